//! `base..head` as per-file line maps, computed with libgit2 the way `git diff -M` computes it.

use serde::Serialize;

/// The whole change between two commits.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeSet {
    pub base: String,
    pub head: String,
    pub files: Vec<FileDiff>,
}

/// How a file changed, as `git diff --name-status` would say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Modified => "modified",
            FileStatus::Deleted => "deleted",
            FileStatus::Renamed => "renamed",
            FileStatus::Copied => "copied",
            FileStatus::TypeChanged => "type_changed",
        }
    }
}

/// One hunk header: `@@ -old_start,old_lines +new_start,new_lines @@`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hunk {
    pub old_start: u32,
    pub old_lines: u32,
    pub new_start: u32,
    pub new_lines: u32,
}

/// One changed file: where it is, how it changed and which head lines the change adds.
#[derive(Debug, Clone, Serialize)]
pub struct FileDiff {
    /// Repository-relative path in the head revision (the old path for a deletion).
    pub path: String,
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub binary: bool,
    /// 1-based head-side line numbers that the change adds, ascending.
    pub added_lines: Vec<u32>,
    pub hunks: Vec<Hunk>,
    /// Number of added and removed lines (`git diff --numstat`).
    #[serde(skip)]
    pub additions: u32,
    #[serde(skip)]
    pub deletions: u32,
    /// Size in bytes of the head blob (0 for deletions, submodules).
    #[serde(skip)]
    pub new_size: u64,
    /// Head blob id, when the head side is a blob (regular file or symlink).
    #[serde(skip)]
    pub new_blob: Option<git2::Oid>,
    /// Why the file is not reviewed at all (a symlink, a submodule), if it is not.
    #[serde(skip)]
    pub not_reviewable: Option<String>,
}

impl FileDiff {
    /// A diff entry for tests and for sources that build one by hand.
    pub fn new(path: impl Into<String>, status: FileStatus) -> Self {
        FileDiff {
            path: path.into(),
            old_path: None,
            status,
            binary: false,
            added_lines: Vec::new(),
            hunks: Vec::new(),
            additions: 0,
            deletions: 0,
            new_size: 0,
            new_blob: None,
            not_reviewable: None,
        }
    }
}

/// Diffs two commits.
pub fn diff_revisions() {}
