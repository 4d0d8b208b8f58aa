//! Build failure remediation (Pro): read a failed PR build's logs, find the errors, tie them to
//! the PR.
//!
//! `remediate` runs in a step that runs only when the build failed. It reads the build's
//! timeline, takes the failed task records (not its own step), their logged issues and the last
//! lines of their logs, extracts the errors with one extractor per tool ([`extract`]), turns the
//! paths into repository paths, moves line numbers from the merge commit M to the PR source S,
//! and posts: an inline remediation thread for each error on a line the PR changed, one
//! remediation summary for the rest, and the `coderabbit/remediation` status.

pub mod extract;
mod failure;
mod fix;

use std::collections::{HashMap, HashSet};
use std::io::Write;

use anyhow::Result;
use git2::Repository;

use crate::azure_devops::PullRequestApi;
use crate::cli::ReviewArgs;
use crate::context::Context;
use crate::credentials;
use crate::error::{UserError, exit};
use crate::finding::{Category, Finding, Fingerprint, Severity};
use crate::git::{self, LineMap};
use crate::publish::azure::{self, remediation};

pub use failure::{FailedStep, read_failure};
pub use fix::{FixAdvisor, ToolHelp};

/// An error tied to the repository: where it is in S, if anywhere.
#[derive(Debug, Clone)]
pub struct Located {
    pub error: extract::BuildError,
    pub step: String,
    pub log_url: Option<String>,
    /// Repository path, when the error names a file of the repository.
    pub path: Option<String>,
    /// S-side line, when the error's line translates to the PR's source commit.
    pub line: Option<u32>,
}

fn pro_plan() -> bool {
    std::env::var("CODERABBIT_PLAN").is_ok_and(|p| p.trim().eq_ignore_ascii_case("pro"))
}

pub fn run(args: &ReviewArgs, log: &mut dyn Write) -> Result<i32> {
    if !pro_plan() {
        writeln!(
            log,
            "build failure remediation is a Pro feature (set the task's plan input to pro, or CODERABBIT_PLAN=pro); nothing to do"
        )?;
        return Ok(exit::OK);
    }
    let context = Context::from_env();
    let Context::PullRequest(pr) = &context else {
        writeln!(log, "not a pull request build; nothing to remediate")?;
        return Ok(exit::OK);
    };
    let Some(build_id) = pr.build_id.clone() else {
        return Err(UserError::new(
            "BUILD_BUILDID is not set: run remediate as a step of the failed pull request build",
        )
        .into());
    };
    let credential =
        credentials::from_env().map_err(|m| UserError::new(credentials::missing_sentence(&m)))?;
    let repo = crate::run::open_repository(&crate::run::repo_dir(&args.repo))?;
    let (repo, revisions) = crate::run::resolve_revisions(repo, &context, &args.repo)?;
    let changes = git::diff_revisions(&repo, revisions.base, revisions.head)
        .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;
    let added: HashMap<&str, HashSet<u32>> = changes
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.added_lines.iter().copied().collect()))
        .collect();
    let merge = git2::Oid::from_str(&pr.source_version)
        .ok()
        .filter(|m| repo.find_commit(*m).is_ok());
    let repo_files = repository_files(&repo, merge.unwrap_or(revisions.head), revisions.head);
    let sources_dir = pr.sources_directory.clone().unwrap_or_default();

    let (client, reference, runtime) = crate::pull_request::connect(pr, &credential)?;
    let api = PullRequestApi::new(&client, reference);
    let own_step = std::env::var("SYSTEM_TASKINSTANCEID").ok();
    let failure = runtime.block_on(read_failure(
        &client,
        &pr.project,
        &build_id,
        own_step.as_deref(),
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

    // Locate every error in S.
    let mut maps: HashMap<String, Option<LineMap>> = HashMap::new();
    let mut located = Vec::new();
    for step in &failure.steps {
        for error in &step.errors {
            let path = error
                .path
                .as_deref()
                .and_then(|p| extract::repo_relative(p, &sources_dir, &repo_files));
            let line = match (&path, error.line) {
                (Some(path), Some(line)) => {
                    let map = maps.entry(path.clone()).or_insert_with(|| match merge {
                        Some(m) if m != revisions.head => {
                            LineMap::between(&repo, m, revisions.head, path).ok()
                        }
                        _ => Some(LineMap::default()),
                    });
                    map.as_ref().and_then(|m| m.translate(line))
                }
                _ => None,
            };
            located.push(Located {
                error: error.clone(),
                step: step.name.clone(),
                log_url: step.log_url.clone(),
                path,
                line,
            });
        }
    }
    let advisor = ToolHelp;
    let mut inline: Vec<Finding> = Vec::new();
    let mut elsewhere: Vec<&Located> = Vec::new();
    for item in &located {
        match (&item.path, item.line) {
            (Some(path), Some(line))
                if added
                    .get(path.as_str())
                    .is_some_and(|lines| lines.contains(&line)) =>
            {
                inline.push(remediation_finding(item, path, line, &advisor));
            }
            _ => elsewhere.push(item),
        }
    }
    dedupe(&mut inline);
    let summary = fix::summary(&build_id, &failure.steps, &elsewhere, inline.len());
    let line_lengths = azure::LineLengths::of(&repo, revisions.head, &inline);
    let first = located
        .first()
        .map(|l| l.error.message.clone())
        .unwrap_or_else(|| "the build failed".to_owned());
    let target_url = crate::pull_request::build_results_url(pr);
    let head = revisions.head.to_string();
    let report = runtime.block_on(async {
        let report =
            remediation::publish(&api, &inline, summary, &build_id, &head, &line_lengths).await?;
        let status = azure::status(
            "remediation",
            "failed",
            &first,
            target_url.as_deref(),
            report.iteration,
        );
        api.post_status(&status).await?;
        Ok::<_, crate::azure_devops::ApiError>(report)
    })?;
    writeln!(
        log,
        "build {build_id}: {} error(s) in {} failed step(s); {} on lines of this pull request ({} new thread(s)), {} in the remediation summary",
        located.len(),
        failure.steps.len(),
        inline.len(),
        report.created,
        elsewhere.len()
    )?;
    Ok(exit::OK)
}

/// Every file path in M and in S (the failed job built M).
fn repository_files(repo: &Repository, merge: git2::Oid, head: git2::Oid) -> HashSet<String> {
    let mut files = HashSet::new();
    for commit in [merge, head] {
        let Ok(tree) = repo.find_commit(commit).and_then(|c| c.tree()) else {
            continue;
        };
        let _ = tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                files.insert(format!("{root}{}", entry.name().unwrap_or_default()));
            }
            git2::TreeWalkResult::Ok
        });
    }
    files
}

fn remediation_finding(item: &Located, path: &str, line: u32, advisor: &dyn FixAdvisor) -> Finding {
    let error = &item.error;
    let normalised: String = error
        .message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let identity = format!(
        "{}|{}|{}",
        error.tool,
        error.code.as_deref().unwrap_or_default(),
        normalised
    );
    Finding {
        path: path.to_owned(),
        line,
        end_line: line,
        severity: Severity::Major,
        category: Category::Correctness,
        rule: format!("remediation/{}", error.tool),
        source: error.tool.to_owned(),
        message: fix::inline_body(item, advisor),
        suggestion: None,
        fingerprint: Fingerprint::compute("remediation", path, &identity, 0),
    }
}

/// One thread per distinct error: the same error reported by two steps is posted once.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert(f.fingerprint.clone()));
}
