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

use git2::Repository;

use crate::error::UserError;
use crate::finding::Finding;
use crate::git::{self, LineMap, Revisions};

pub use failure::{FailedStep, Failure, read_failure};
pub(crate) use fix::excerpt;
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

/// What the agent will say about a failed build: the errors located in the PR's source
/// commit, the inline remediation for those on lines the PR changed, and the summary.
#[derive(Debug, Clone)]
pub struct Remediation {
    pub build_id: String,
    pub failed_steps: usize,
    pub located: Vec<Located>,
    /// Remediation findings on lines of this pull request (fingerprints set).
    pub inline: Vec<Finding>,
    /// The remediation summary comment.
    pub summary: String,
    /// The first error's message, for the status description.
    pub first_error: String,
}

impl Remediation {
    /// How many located errors are not posted inline.
    pub fn elsewhere(&self) -> usize {
        self.located.len().saturating_sub(self.inline.len())
    }
}

/// Ties the errors of `failure` to the PR: repository paths (the build ran in
/// `sources_directory` on the merge commit `merge`), lines moved from M to the PR source
/// (`revisions.head`), inline remediation for the errors on lines the PR adds, with the fixes
/// of the advisor that `advisor_for` makes for those errors (the tool's own help, or a model).
pub fn plan(
    repo: &Repository,
    revisions: &Revisions,
    merge: Option<git2::Oid>,
    sources_directory: &str,
    build_id: &str,
    failure: &Failure,
    advisor_for: impl FnOnce(&[&Located]) -> Box<dyn FixAdvisor>,
) -> Result<Remediation, UserError> {
    let changes = git::diff_revisions(repo, revisions.base, revisions.head)
        .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;
    let added: HashMap<&str, HashSet<u32>> = changes
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.added_lines.iter().copied().collect()))
        .collect();
    let merge = merge.filter(|m| repo.find_commit(*m).is_ok());
    let repo_files = repository_files(repo, merge.unwrap_or(revisions.head), revisions.head);

    // Locate every error in S.
    let mut maps: HashMap<String, Option<LineMap>> = HashMap::new();
    let mut located = Vec::new();
    for step in &failure.steps {
        for error in &step.errors {
            let path = error
                .path
                .as_deref()
                .and_then(|p| extract::repo_relative(p, sources_directory, &repo_files));
            let line = match (&path, error.line) {
                (Some(path), Some(line)) => {
                    let map = maps.entry(path.clone()).or_insert_with(|| match merge {
                        Some(m) if m != revisions.head => {
                            LineMap::between(repo, m, revisions.head, path).ok()
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
    let mut on_changed_lines: Vec<(&Located, &str, u32)> = Vec::new();
    let mut elsewhere: Vec<&Located> = Vec::new();
    for item in &located {
        match (&item.path, item.line) {
            (Some(path), Some(line))
                if added
                    .get(path.as_str())
                    .is_some_and(|lines| lines.contains(&line)) =>
            {
                on_changed_lines.push((item, path, line));
            }
            _ => elsewhere.push(item),
        }
    }
    let items: Vec<&Located> = on_changed_lines.iter().map(|(item, _, _)| *item).collect();
    let advisor = advisor_for(&items);
    let inline = fix::inline_findings(&on_changed_lines, advisor.as_ref());
    let summary = fix::summary(build_id, &failure.steps, &located, &elsewhere, inline.len());
    let first_error = located
        .first()
        .map(|l| l.error.message.clone())
        .unwrap_or_else(|| "the build failed".to_owned());
    Ok(Remediation {
        build_id: build_id.to_owned(),
        failed_steps: failure.steps.len(),
        located,
        inline,
        summary,
        first_error,
    })
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
