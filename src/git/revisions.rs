//! Which two commits a review compares.
//!
//! Locally: `--head` (default `HEAD`) against the merge-base of it with `--base`, or with the
//! branch's upstream, else `origin/HEAD`, else `HEAD~1`. In an Azure Repos PR build:
//! merge-base(T, S)..S, where S is the PR's source commit and T the target branch tip (the first
//! parent of the synthetic merge commit M that the build checked out).

use git2::{Oid, Repository};

use crate::error::UserError;

/// The two ends of the review, and how the base was chosen (for the log and the summary).
#[derive(Debug, Clone)]
pub struct Revisions {
    /// `None` when the head is a root commit: the review then covers every file.
    pub base: Option<Oid>,
    pub head: Oid,
    pub base_reason: String,
}

/// Resolves a revision expression to a commit, with a sentence a user can act on.
pub fn resolve_commit(repo: &Repository, spec: &str) -> Result<Oid, UserError> {
    let object = repo.revparse_single(spec).map_err(|_| {
        UserError::new(format!(
            "unknown revision `{spec}`: it names no commit in this repository (fetch it, or check the spelling)"
        ))
    })?;
    object
        .peel_to_commit()
        .map(|c| c.id())
        .map_err(|_| UserError::new(format!("revision `{spec}` does not point to a commit")))
}

fn merge_base(
    repo: &Repository,
    a: Oid,
    b: Oid,
    a_name: &str,
    b_name: &str,
) -> Result<Oid, UserError> {
    repo.merge_base(a, b).map_err(|err| {
        if err.code() == git2::ErrorCode::NotFound {
            UserError::new(format!(
                "`{a_name}` and `{b_name}` have no common ancestor (unrelated histories): pass --base with a commit that `{b_name}` descends from"
            ))
        } else {
            UserError::new(format!("could not compute the merge-base of `{a_name}` and `{b_name}`: {}", err.message()))
        }
    })
}

/// Resolves base and head outside a PR build.
pub fn resolve_local(
    repo: &Repository,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Revisions, UserError> {
    let head_spec = head.unwrap_or("HEAD");
    let head_oid = resolve_commit(repo, head_spec)?;
    if let Some(base_spec) = base {
        let base_oid = resolve_commit(repo, base_spec)?;
        let merge_base = merge_base(repo, base_oid, head_oid, base_spec, head_spec)?;
        let reason = if merge_base == base_oid {
            format!("--base {base_spec}")
        } else {
            format!("merge-base of {base_spec} and {head_spec}")
        };
        return Ok(Revisions {
            base: Some(merge_base),
            head: head_oid,
            base_reason: reason,
        });
    }
    // The upstream of the checked-out branch, when the head is that branch.
    if head.is_none()
        && let Some((name, oid)) = upstream_of_head(repo)
        && let Ok(base) = repo.merge_base(oid, head_oid)
    {
        return Ok(Revisions {
            base: Some(base),
            head: head_oid,
            base_reason: format!("merge-base with upstream {name}"),
        });
    }
    if let Ok(reference) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(commit) = reference.peel_to_commit()
        && let Ok(base) = repo.merge_base(commit.id(), head_oid)
    {
        let name = reference
            .symbolic_target()
            .map(|t| t.trim_start_matches("refs/remotes/").to_owned())
            .unwrap_or_else(|| "origin/HEAD".to_owned());
        return Ok(Revisions {
            base: Some(base),
            head: head_oid,
            base_reason: format!("merge-base with {name}"),
        });
    }
    let commit = repo
        .find_commit(head_oid)
        .map_err(|e| UserError::new(format!("cannot read commit {head_oid}: {}", e.message())))?;
    match commit.parent_id(0) {
        Ok(parent) if repo.find_commit(parent).is_ok() => Ok(Revisions {
            base: Some(parent),
            head: head_oid,
            base_reason: format!("{head_spec}~1 (no upstream branch or origin/HEAD)"),
        }),
        Ok(_) => Err(UserError::new(format!(
            "the parent of `{head_spec}` is not in this shallow clone: fetch more history (`git fetch --unshallow`, or `fetchDepth: 0` in a pipeline) or pass --base"
        ))),
        Err(_) => Ok(Revisions {
            base: None,
            head: head_oid,
            base_reason: format!("{head_spec} is a root commit: every file is new"),
        }),
    }
}

fn upstream_of_head(repo: &Repository) -> Option<(String, Oid)> {
    let head = repo.head().ok()?;
    if !head.is_branch() {
        return None;
    }
    let name = head.name()?;
    let upstream = repo.branch_upstream_name(name).ok()?;
    let upstream = upstream.as_str()?.to_owned();
    let oid = repo
        .find_reference(&upstream)
        .ok()?
        .peel_to_commit()
        .ok()?
        .id();
    Some((upstream.trim_start_matches("refs/remotes/").to_owned(), oid))
}

/// What a PR build tells us about the pull request's commits.
#[derive(Debug, Clone)]
pub struct PullRequestCommits {
    /// S: `SYSTEM_PULLREQUEST_SOURCECOMMITID`.
    pub source: Oid,
    /// M: `BUILD_SOURCEVERSION`, the synthetic merge commit that was checked out.
    pub merge: Option<Oid>,
    /// `SYSTEM_PULLREQUEST_TARGETBRANCH`, e.g. `refs/heads/main`.
    pub target_branch: String,
}

/// Resolves merge-base(T, S)..S in a PR build. T is M's first parent when M is the merge of T
/// and S; otherwise the remote-tracking ref of the target branch.
pub fn resolve_pull_request(
    repo: &Repository,
    pr: &PullRequestCommits,
) -> Result<Revisions, UserError> {
    let source = pr.source;
    repo.find_commit(source)
        .map_err(|_| missing_commit("source", source))?;
    let target = target_tip(repo, pr)?;
    let base = merge_base(
        repo,
        target,
        source,
        &pr.target_branch,
        "the PR source commit",
    )?;
    Ok(Revisions {
        base: Some(base),
        head: source,
        base_reason: format!(
            "merge-base of {} ({}) and the PR source",
            pr.target_branch,
            short(target)
        ),
    })
}

fn target_tip(repo: &Repository, pr: &PullRequestCommits) -> Result<Oid, UserError> {
    if let Some(merge) = pr.merge
        && let Ok(commit) = repo.find_commit(merge)
        && commit.parent_count() == 2
        && commit.parent_id(1).ok() == Some(pr.source)
        && let Ok(first) = commit.parent_id(0)
        && repo.find_commit(first).is_ok()
    {
        return Ok(first);
    }
    let branch = pr.target_branch.trim_start_matches("refs/heads/");
    for candidate in [
        format!("refs/remotes/origin/{branch}"),
        format!("refs/heads/{branch}"),
    ] {
        if let Ok(reference) = repo.find_reference(&candidate)
            && let Ok(commit) = reference.peel_to_commit()
        {
            return Ok(commit.id());
        }
    }
    Err(UserError::new(format!(
        "the target branch {} is not in this checkout: fetch it, or set `fetchDepth: 0` on the checkout step",
        pr.target_branch
    )))
}

fn missing_commit(what: &str, oid: Oid) -> UserError {
    UserError::new(format!(
        "the PR {what} commit {} is not in this checkout: set `fetchDepth: 0` on the checkout step",
        short(oid)
    ))
}

/// The first 8 hex digits of a commit id.
pub fn short(oid: Oid) -> String {
    oid.to_string().chars().take(8).collect()
}
