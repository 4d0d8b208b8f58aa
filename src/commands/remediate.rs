//! `coderabbit-agent remediate`: after a failed PR build (Pro plan), read the build's timeline
//! and logs, tie the errors to the PR, then post the remediation and its status — or, with
//! `--dry-run`, print what would be posted and write nothing.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use crate::azure_devops::PullRequestApi;
use crate::cli::{RemediateArgs, RemediationFormat};
use crate::context::Context;
use crate::error::{UserError, exit};
use crate::git;
use crate::publish::azure::{self, LineLengths, remediation};
use crate::remediate::{self, Failure, FixAdvisor, Located, Remediation, ToolHelp, read_failure};
use crate::settings::{Plan, Settings};
use crate::sources::llm::advisor::{FixRequest, ModelFixAdvisor};
use crate::sources::llm::{ModelClient, Redaction};

pub(super) fn run(args: &RemediateArgs, settings: &Settings) -> Result<i32> {
    let mut log = super::log_writer(args.dry_run && args.format == RemediationFormat::Json);
    if settings.plan != Plan::Pro {
        writeln!(
            log,
            "build failure remediation is a Pro feature (set the task's plan input to pro, or CODERABBIT_PLAN=pro); nothing to do"
        )?;
        return Ok(exit::OK);
    }
    let Context::PullRequest(pr) = &settings.context else {
        writeln!(log, "not a pull request build; nothing to remediate")?;
        return Ok(exit::OK);
    };
    let Some(build_id) = pr.build_id.clone() else {
        return Err(UserError::new(
            "BUILD_BUILDID is not set: run remediate as a step of the failed pull request build",
        )
        .into());
    };
    let auth = settings
        .credentials
        .auth
        .as_ref()
        .map_err(|missing| UserError::new(missing.sentence()))?;
    let (repo, revisions) = super::checkout(&args.repo, settings)?;
    let connection = super::connect(pr, &auth.credential, settings)?;
    let failure = connection.runtime.block_on(read_failure(
        &connection.client,
        &pr.project,
        &build_id,
        settings.pipeline.task_instance_id.as_deref(),
    ))?;
    for note in &failure.notes {
        writeln!(log, "{note}")?;
    }
    if failure.steps.is_empty() {
        writeln!(
            log,
            "no failed task in build {build_id}; nothing to remediate"
        )?;
        return Ok(exit::OK);
    }
    let sources_dir = pr.sources_directory.clone().unwrap_or_default();
    let merge = git2::Oid::from_str(&pr.source_version).ok();
    let model = settings
        .llm
        .model_settings()?
        .map(|model| ModelClient::new(model, &settings.network))
        .transpose()
        .map_err(|e| UserError::new(format!("cannot set up the AI reviewer: {e}")))?;
    let advisor_for = |items: &[&Located]| -> Box<dyn FixAdvisor> {
        match &model {
            Some(model) => {
                let asked = FixQuestions {
                    failure: &failure,
                    repo: &repo,
                    head: revisions.head,
                    secrets: settings.credentials.secrets(),
                    collection_uri: &pr.collection_uri,
                };
                Box::new(asked.ask(model, items, &connection.runtime))
            }
            None => Box::new(ToolHelp),
        }
    };
    let plan = remediate::plan(
        &repo,
        &revisions,
        merge,
        &sources_dir,
        &build_id,
        &failure,
        advisor_for,
    )?;
    if args.dry_run {
        print_plan(&plan, args.format)?;
        return Ok(exit::OK);
    }

    let api = PullRequestApi::new(&connection.client, connection.pull_request.clone());
    let line_lengths = LineLengths::of(&repo, revisions.head, &plan.inline);
    let target_url = super::build_results_url(pr, settings);
    let head = revisions.head.to_string();
    let report = connection.runtime.block_on(async {
        let report = remediation::publish(
            &api,
            &plan.inline,
            plan.summary.clone(),
            &build_id,
            &head,
            &line_lengths,
        )
        .await?;
        let status = azure::status(
            "remediation",
            "failed",
            &plan.first_error,
            target_url.as_deref(),
            report.iteration,
        );
        api.post_status(&status).await?;
        Ok::<_, crate::azure_devops::ApiError>(report)
    })?;
    writeln!(
        log,
        "build {build_id}: {} error(s) in {} failed step(s); {} on lines of this pull request ({} new thread(s)), {} in the remediation summary",
        plan.located.len(),
        plan.failed_steps,
        plan.inline.len(),
        report.created,
        plan.elsewhere()
    )?;
    Ok(exit::OK)
}

/// What the model is asked about the errors on changed lines: the error, the log around it and
/// the code of the PR's source commit.
struct FixQuestions<'a> {
    failure: &'a Failure,
    repo: &'a git2::Repository,
    head: git2::Oid,
    secrets: &'a [String],
    collection_uri: &'a str,
}

impl FixQuestions<'_> {
    /// The model's explanation and fix for each error on a changed line.
    fn ask(
        &self,
        model: &ModelClient,
        items: &[&Located],
        runtime: &tokio::runtime::Runtime,
    ) -> ModelFixAdvisor {
        let requests: Vec<FixRequest> = items
            .iter()
            .map(|item| FixRequest {
                error: item.error.clone(),
                log_excerpt: self
                    .failure
                    .steps
                    .iter()
                    .find(|s| s.name == item.step)
                    .and_then(|s| remediate::excerpt(&s.tail, item.error.log_line))
                    .unwrap_or_default(),
                path: item.path.clone(),
                line: item.line,
                head_text: item
                    .path
                    .as_deref()
                    .and_then(|p| git::file_text(self.repo, self.head, p)),
            })
            .collect();
        let redaction = Redaction {
            values: self.secrets.to_vec(),
            ..Redaction::default()
        };
        let host = super::organisation_host(self.collection_uri);
        runtime.block_on(ModelFixAdvisor::prepare(
            model, &requests, &redaction, &host,
        ))
    }
}

/// Prints what a run would post.
fn print_plan(plan: &Remediation, format: RemediationFormat) -> Result<()> {
    super::write_output(|out| match format {
        RemediationFormat::Markdown => writeln!(out, "{}", plan.summary),
        RemediationFormat::Json => {
            let errors: Vec<_> = plan
                .located
                .iter()
                .map(|item| {
                    json!({
                        "step": item.step,
                        "tool": item.error.tool,
                        "code": item.error.code,
                        "message": item.error.message,
                        "reported_path": item.error.path,
                        "reported_line": item.error.line,
                        "path": item.path,
                        "line": item.line,
                    })
                })
                .collect();
            let doc = json!({
                "version": 1,
                "build": plan.build_id,
                "failed_steps": plan.failed_steps,
                "errors": errors,
                "inline": plan.inline,
                "summary": plan.summary,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        RemediationFormat::Text => {
            writeln!(
                out,
                "build {}: {} error(s) in {} failed step(s); {} would be posted on lines of this pull request",
                plan.build_id,
                plan.located.len(),
                plan.failed_steps,
                plan.inline.len()
            )?;
            for finding in &plan.inline {
                writeln!(
                    out,
                    "  {}:{}  {}",
                    finding.path,
                    finding.line,
                    finding.message.lines().next().unwrap_or_default()
                )?;
            }
            writeln!(out, "\nremediation summary:\n\n{}", plan.summary)
        }
    })
}
