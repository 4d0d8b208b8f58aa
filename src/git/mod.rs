//! Everything that reads git: resolving the base and head revisions, completing shallow
//! checkouts, and turning `base..head` into per-file line maps (`FileDiff`).
//!
//! It knows nothing about rules, configuration or Azure DevOps: callers get a `ChangeSet` and
//! the head contents of its files.

mod checkout;
mod diff;
mod revisions;
mod shallow;
mod translate;

pub use checkout::{Asked, checked_out_commit, file_text, open_repository, repo_dir, resolve};
pub use diff::{
    ChangeSet, EMPTY_TREE, FileDiff, FileStatus, Hunk, NotReviewable, diff_revisions, visit_files,
};
pub use revisions::{
    PullRequestCommits, Revisions, resolve_commit, resolve_local, resolve_pull_request, short,
};
pub use shallow::{FetchAuth, FetchCredential, Wanted, ensure_commits};
pub use translate::LineMap;
