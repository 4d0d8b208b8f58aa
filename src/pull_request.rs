//! The review in an Azure Pipelines pull request build: choose the token, decide whether to
//! review from the PR itself, set the `coderabbit/review` status, publish the threads and the
//! summary, and report in the pipeline log.

use std::io::Write;

use anyhow::Result;
use git2::Repository;

use crate::azure_devops::{
    Client, Credential, NetworkSettings, PullRequestApi, PullRequestRef, segment,
};
use crate::config::Config;
use crate::context::PullRequestBuild;
use crate::credentials;
use crate::error::{UserError, exit};
use crate::finding::Severity;
use crate::pipeline::{self, StepResult};
use crate::publish::azure::{self, Decision, Settings};
use crate::publish::{self, Format};
use crate::review::Review;

/// Options of a PR run, from the command line.
pub struct Options {
    pub max_comments: usize,
    pub fail_on: Option<Severity>,
}

/// The build's results page, the status's target.
pub(crate) fn build_results_url(pr: &PullRequestBuild) -> Option<String> {
    let build = pr.build_id.as_deref()?;
    let base = pr.collection_uri.trim_end_matches('/');
    let project = std::env::var("SYSTEM_TEAMPROJECT")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| pr.project.clone());
    Some(format!(
        "{base}/{}/_build/results?buildId={build}",
        segment(&project)
    ))
}

fn status_description(review: &Review) -> String {
    if review.findings.is_empty() {
        return "no findings".to_owned();
    }
    let counts: Vec<String> = review
        .counts_by_severity()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    let total = review.findings.len();
    format!(
        "{total} finding{} ({})",
        if total == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

/// The REST client for the PR build's collection, the calls on its pull request, and a runtime
/// to drive them.
pub(crate) fn connect(
    pr: &PullRequestBuild,
    credential: &Credential,
) -> Result<(Client, PullRequestRef, tokio::runtime::Runtime)> {
    let client = Client::new(&pr.collection_uri, credential, NetworkSettings::from_env())?;
    let reference = PullRequestRef {
        project: pr.project.clone(),
        repository: pr.repository_id.clone(),
        id: pr.pull_request_id,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UserError::new(format!("cannot start the network runtime: {e}")))?;
    Ok((client, reference, runtime))
}

/// Publishes `review` to the pull request; returns the exit status.
pub fn run(
    repo: &Repository,
    pr: &PullRequestBuild,
    review: &Review,
    config: &Config,
    options: &Options,
    log: &mut dyn Write,
) -> Result<i32> {
    let credential = match credentials::from_env() {
        Ok(credential) => credential,
        Err(missing) => {
            let fork = std::env::var("SYSTEM_PULLREQUEST_ISFORK")
                .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
            if fork {
                writeln!(
                    log,
                    "##[warning]this pull request comes from a fork, where secret variables are not available: the review is printed in the log, nothing is posted"
                )?;
                print_review(log, review)?;
                return Ok(exit::OK);
            }
            return Err(UserError::new(credentials::missing_sentence(&missing)).into());
        }
    };
    if matches!(credential, Credential::Bearer(_)) {
        writeln!(
            log,
            "##[warning]no CodeRabbit PAT was given: using System.AccessToken, so comments will come from the project's build service identity instead of the CodeRabbit user"
        )?;
    }
    let (client, reference, runtime) = connect(pr, &credential)?;
    let api = PullRequestApi::new(&client, reference);
    let head = git2::Oid::from_str(&review.head).unwrap_or_else(|_| git2::Oid::zero());
    let line_lengths = azure::LineLengths::of(repo, head, &review.findings);
    let target_url = build_results_url(pr);
    let commit_status = config.reviews.commit_status;
    let failed = options
        .fail_on
        .is_some_and(|t| review.findings.iter().any(|f| f.severity >= t));

    let outcome = runtime.block_on(async {
        let pull_request = api.pull_request().await?;
        if let Decision::Skip(reason) =
            azure::decide(&pull_request, &config.reviews.auto_review, None)
        {
            if commit_status {
                let status = azure::status(
                    "review",
                    "notApplicable",
                    &format!("skipped: {reason}"),
                    target_url.as_deref(),
                    None,
                );
                api.post_status(&status).await?;
            }
            return Ok::<_, crate::azure_devops::ApiError>(Err(reason));
        }
        if commit_status {
            api.post_status(&azure::status(
                "review",
                "pending",
                "reviewing",
                target_url.as_deref(),
                None,
            ))
            .await?;
        }
        let settings = Settings {
            max_comments: options.max_comments,
            ..Settings::default()
        };
        let report = azure::publish(&api, review, &settings, &line_lengths).await?;
        if report.remediation_resolved && commit_status {
            let status = azure::status(
                "remediation",
                "succeeded",
                "a later build succeeded",
                target_url.as_deref(),
                report.iteration,
            );
            api.post_status(&status).await?;
        }
        if commit_status {
            let state = if failed && config.reviews.fail_commit_status {
                "failed"
            } else {
                "succeeded"
            };
            let status = azure::status(
                "review",
                state,
                &status_description(review),
                target_url.as_deref(),
                report.iteration,
            );
            api.post_status(&status).await?;
        }
        Ok(Ok(report))
    })?;
    tracing::info!(requests = client.requests_sent(), "Azure DevOps requests");

    let report = match outcome {
        Err(reason) => {
            writeln!(log, "skipped: {reason}; nothing posted")?;
            return Ok(exit::OK);
        }
        Ok(report) => report,
    };
    pipeline::group(log, "CodeRabbit review")?;
    print_review(log, review)?;
    pipeline::end_group(log)?;
    let error_from = options
        .fail_on
        .unwrap_or(Severity::Major)
        .max(Severity::Trivial);
    for finding in &review.findings {
        pipeline::log_finding(log, finding, error_from)?;
    }
    writeln!(
        log,
        "posted {} new comment(s), {} already on the pull request, {} marked fixed, {} in the summary only",
        report.created, report.already_there, report.marked_fixed, report.not_inline
    )?;
    attach_summary(log, review)?;
    if failed {
        return Ok(exit::FINDINGS);
    }
    if !review.findings.is_empty() {
        pipeline::complete(
            log,
            StepResult::SucceededWithIssues,
            &status_description(review),
        )?;
    }
    Ok(exit::OK)
}

fn print_review(log: &mut dyn Write, review: &Review) -> std::io::Result<()> {
    let mut text = Vec::new();
    publish::render(Format::Text, review, &mut text)?;
    for line in String::from_utf8_lossy(&text).lines() {
        writeln!(log, "{}", pipeline::defuse(line))?;
    }
    Ok(())
}

/// Writes the Markdown summary under `AGENT_TEMPDIRECTORY` and attaches it to the build.
fn attach_summary(log: &mut dyn Write, review: &Review) -> std::io::Result<()> {
    let Some(dir) = std::env::var_os("AGENT_TEMPDIRECTORY").filter(|d| !d.is_empty()) else {
        return Ok(());
    };
    let path = std::path::Path::new(&dir).join("coderabbit-review-summary.md");
    match std::fs::write(&path, publish::markdown::comment(review)) {
        Ok(()) => pipeline::upload_summary(log, &path),
        Err(err) => {
            tracing::warn!(
                "cannot write the build summary to {}: {err}",
                path.display()
            );
            Ok(())
        }
    }
}
