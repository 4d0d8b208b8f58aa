//! The checkout the agent works in: finding and opening the repository, and resolving the base
//! and head of the review in it — completing a shallow clone from `origin` first when it lacks
//! the commits (a PR build's target tip, source tip and their merge-base).

use std::path::{Path, PathBuf};

use git2::Repository;

use crate::context::{Context, PullRequestBuild};
use crate::error::UserError;

use super::revisions::{PullRequestCommits, Revisions, resolve_local, resolve_pull_request};
use super::shallow::{FetchAuth, Wanted, ensure_commits};

/// The repository directory: `--repo`, else the pipeline's sources directory, else `.`.
pub fn repo_dir(explicit: Option<&Path>, sources_directory: Option<&Path>) -> PathBuf {
    explicit
        .or(sources_directory)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Opens the repository at or above `dir`.
pub fn open_repository(dir: &Path) -> Result<Repository, UserError> {
    if !dir.exists() {
        return Err(UserError::new(format!(
            "`{}` does not exist: pass --repo with the path of a git checkout",
            dir.display()
        )));
    }
    Repository::discover(dir).map_err(|err| {
        if err.code() == git2::ErrorCode::NotFound {
            UserError::new(format!(
                "`{}` is not in a git repository: run the agent inside a checkout, or pass --repo PATH",
                dir.display()
            ))
        } else {
            UserError::new(format!(
                "cannot open the git repository at `{}`: {}",
                dir.display(),
                err.message()
            ))
        }
    })
}

/// What the review compares, as the user asked for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    pub base: Option<&'a str>,
    pub head: Option<&'a str>,
}

/// Resolves base and head for this context, fetching missing history when the clone is
/// shallow. Returns the (possibly reopened) repository with the revisions.
///
/// In a PR build with no explicit revisions the review covers merge-base(T, S)..S; anywhere
/// else, `merge-base(BASE, HEAD)..HEAD` with the local defaults.
pub fn resolve(
    repo: Repository,
    context: &Context,
    asked: Asked<'_>,
    auth: &FetchAuth,
) -> Result<(Repository, Revisions), UserError> {
    let explicit = asked.base.is_some() || asked.head.is_some();
    if let (Context::PullRequest(pr), false) = (context, explicit) {
        return resolve_for_pull_request(repo, pr, auth);
    }
    if !repo.is_shallow() {
        return resolve_local(&repo, asked.base, asked.head).map(|r| (repo, r));
    }
    // A shallow clone can hide the merge-base or the parent: complete it first.
    ensure_commits(&repo, &Wanted::default(), auth)?;
    let repo = reopen(&repo)?;
    let revisions = resolve_local(&repo, asked.base, asked.head)?;
    Ok((repo, revisions))
}

fn resolve_for_pull_request(
    repo: Repository,
    pr: &PullRequestBuild,
    auth: &FetchAuth,
) -> Result<(Repository, Revisions), UserError> {
    let source = git2::Oid::from_str(&pr.source_commit).map_err(|_| {
        UserError::new(
            "SYSTEM_PULLREQUEST_SOURCECOMMITID is not a commit id: run the agent in an Azure Repos pull request validation build",
        )
    })?;
    let merge = git2::Oid::from_str(&pr.source_version).ok();
    let commits = PullRequestCommits {
        source,
        merge,
        target_branch: pr.target_branch.clone(),
    };
    if !repo.is_shallow()
        && let Ok(revisions) = resolve_pull_request(&repo, &commits)
    {
        return Ok((repo, revisions));
    }
    let branch = pr.target_branch.trim_start_matches("refs/heads/");
    let wanted = Wanted {
        refspecs: vec![
            format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"),
            format!(
                "+refs/pull/{id}/merge:refs/remotes/pull/{id}/merge",
                id = pr.pull_request_id
            ),
        ],
    };
    ensure_commits(&repo, &wanted, auth)?;
    let repo = reopen(&repo)?;
    let revisions = resolve_pull_request(&repo, &commits)?;
    Ok((repo, revisions))
}

fn reopen(repo: &Repository) -> Result<Repository, UserError> {
    Repository::open(repo.path()).map_err(|e| {
        UserError::new(format!(
            "cannot reopen the repository after fetching: {}",
            e.message()
        ))
    })
}

/// The commit the checkout's working tree is at (in a PR build: the merge commit M), if any.
pub fn checked_out_commit(repo: &Repository) -> Option<git2::Oid> {
    repo.head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id())
}

/// The text of `path` in `commit`, decoded as UTF-8 (lossily); `None` when it has no such file.
pub fn file_text(repo: &Repository, commit: git2::Oid, path: &str) -> Option<String> {
    let tree = repo.find_commit(commit).and_then(|c| c.tree()).ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}
