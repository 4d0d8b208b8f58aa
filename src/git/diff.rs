//! `base..head` as per-file line maps, computed with libgit2 the way `git diff -M` computes it.

use git2::{
    Delta, Diff, DiffDelta, DiffFindOptions, DiffOptions, FileMode, Oid, Patch, Repository,
};
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

/// Git's own test for binary content: a NUL byte in the first 8,000 bytes.
const BINARY_PROBE_BYTES: usize = 8000;

fn looks_binary(content: &[u8]) -> bool {
    content[..content.len().min(BINARY_PROBE_BYTES)].contains(&0)
}

/// Computes the change from `base` (or the empty tree when `None`) to `head`, as
/// `git diff -M base head` shows it: Myers with the indent heuristic, three lines of context,
/// rename detection at 50% similarity, copies left as added files, and type changes reported
/// once (status `type_changed`).
pub fn diff_revisions(
    repo: &Repository,
    base: Option<Oid>,
    head: Oid,
) -> Result<ChangeSet, git2::Error> {
    let head_tree = repo.find_commit(head)?.tree()?;
    let base_tree = match base {
        Some(oid) => Some(repo.find_commit(oid)?.tree()?),
        None => None,
    };
    let mut options = DiffOptions::new();
    options
        .context_lines(3)
        .interhunk_lines(0)
        .indent_heuristic(true)
        .ignore_submodules(false);
    let mut diff =
        repo.diff_tree_to_tree(base_tree.as_ref(), Some(&head_tree), Some(&mut options))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_threshold(50).rename_limit(1000);
    diff.find_similar(Some(&mut find))?;

    let mut files: Vec<FileDiff> = Vec::with_capacity(diff.deltas().len());
    for (index, delta) in diff.deltas().enumerate() {
        let file = file_diff(repo, &diff, index, &delta)?;
        files.push(file);
    }
    let files = merge_type_changes(files);
    Ok(ChangeSet {
        base: base.map_or_else(|| EMPTY_TREE.to_owned(), |oid| oid.to_string()),
        head: head.to_string(),
        files,
    })
}

/// The id of git's empty tree, the base of a review of a root commit.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn path_of(file: &git2::DiffFile<'_>) -> String {
    file.path_bytes()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default()
}

fn file_diff(
    repo: &Repository,
    diff: &Diff<'_>,
    index: usize,
    delta: &DiffDelta<'_>,
) -> Result<FileDiff, git2::Error> {
    let old = delta.old_file();
    let new = delta.new_file();
    let status = match delta.status() {
        Delta::Added => FileStatus::Added,
        Delta::Deleted => FileStatus::Deleted,
        Delta::Renamed => FileStatus::Renamed,
        Delta::Copied => FileStatus::Copied,
        Delta::Typechange => FileStatus::TypeChanged,
        _ => FileStatus::Modified,
    };
    let (path, old_path) = match status {
        FileStatus::Deleted => (path_of(&old), None),
        FileStatus::Renamed | FileStatus::Copied => (path_of(&new), Some(path_of(&old))),
        _ => (path_of(&new), None),
    };
    let mut file = FileDiff::new(path, status);
    file.old_path = old_path;
    let new_mode = new.mode();
    let old_mode = old.mode();
    if status != FileStatus::Deleted {
        file.new_size = new.size();
        if matches!(
            new_mode,
            FileMode::Blob | FileMode::BlobExecutable | FileMode::Link
        ) {
            file.new_blob = Some(new.id());
        }
    }
    let side_mode = if status == FileStatus::Deleted {
        old_mode
    } else {
        new_mode
    };
    if side_mode == FileMode::Commit {
        file.not_reviewable =
            Some("submodule change (the submodule's own repository is not reviewed)".to_owned());
        return Ok(file);
    }
    if side_mode == FileMode::Link {
        file.not_reviewable = Some("symbolic link (its target is not reviewed)".to_owned());
        return Ok(file);
    }

    // libgit2's binary heuristic differs from git's (it also counts control characters), so
    // decide binary-ness the way git does and force text diffs where git would show text.
    let old_blob = blob_if_any(repo, &old)?;
    let new_blob = blob_if_any(repo, &new)?;
    let binary = old_blob.as_ref().is_some_and(|b| looks_binary(b.content()))
        || new_blob.as_ref().is_some_and(|b| looks_binary(b.content()));
    file.binary = binary;
    if binary {
        return Ok(file);
    }
    let patch = if delta.flags().is_binary() {
        let mut options = DiffOptions::new();
        options
            .context_lines(3)
            .interhunk_lines(0)
            .indent_heuristic(true)
            .force_text(true);
        let old_content = old_blob.as_ref().map_or(&[][..], |b| b.content());
        let new_content = new_blob.as_ref().map_or(&[][..], |b| b.content());
        Patch::from_buffers(old_content, None, new_content, None, Some(&mut options))?
    } else {
        match Patch::from_diff(diff, index)? {
            Some(patch) => patch,
            None => return Ok(file),
        }
    };
    collect_lines(&patch, &mut file)?;
    Ok(file)
}

fn blob_if_any<'r>(
    repo: &'r Repository,
    side: &git2::DiffFile<'_>,
) -> Result<Option<git2::Blob<'r>>, git2::Error> {
    if side.id().is_zero() || !matches!(side.mode(), FileMode::Blob | FileMode::BlobExecutable) {
        return Ok(None);
    }
    repo.find_blob(side.id()).map(Some)
}

fn collect_lines(patch: &Patch<'_>, file: &mut FileDiff) -> Result<(), git2::Error> {
    for hunk_index in 0..patch.num_hunks() {
        let (hunk, line_count) = patch.hunk(hunk_index)?;
        file.hunks.push(Hunk {
            old_start: hunk.old_start(),
            old_lines: hunk.old_lines(),
            new_start: hunk.new_start(),
            new_lines: hunk.new_lines(),
        });
        for line_index in 0..line_count {
            let line = patch.line_in_hunk(hunk_index, line_index)?;
            match line.origin() {
                '+' => {
                    file.additions += 1;
                    if let Some(number) = line.new_lineno() {
                        file.added_lines.push(number);
                    }
                }
                '-' => file.deletions += 1,
                _ => {}
            }
        }
    }
    Ok(())
}

/// git shows a file that became a symlink (or the reverse) as a deletion plus an addition of
/// the same path; report it once, as a type change carrying the addition's lines.
fn merge_type_changes(files: Vec<FileDiff>) -> Vec<FileDiff> {
    let mut merged: Vec<FileDiff> = Vec::with_capacity(files.len());
    for file in files {
        if let Some(previous) = merged.last_mut()
            && previous.path == file.path
        {
            let (added, deleted) = match (previous.status, file.status) {
                (FileStatus::Deleted, FileStatus::Added) => (file, previous.clone()),
                (FileStatus::Added, FileStatus::Deleted) => (previous.clone(), file),
                _ => {
                    merged.push(file);
                    continue;
                }
            };
            *previous = FileDiff {
                status: FileStatus::TypeChanged,
                deletions: added.deletions + deleted.deletions,
                ..added
            };
            continue;
        }
        merged.push(file);
    }
    merged
}
