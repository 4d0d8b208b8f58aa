//! `base..head` as per-file line maps, computed with libgit2 the way `git diff -M` computes it.

use git2::{Delta, DiffDelta, DiffFindOptions, DiffOptions, FileMode, Oid, Patch, Repository};
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
    pub not_reviewable: Option<NotReviewable>,
}

/// Why git's view of a file is all the review gets of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotReviewable {
    /// A submodule's commit changed; the submodule's own repository is not reviewed.
    Submodule,
    /// A symbolic link; its target is not reviewed.
    SymbolicLink,
}

impl NotReviewable {
    pub fn describe(self) -> &'static str {
        match self {
            NotReviewable::Submodule => {
                "submodule change (the submodule's own repository is not reviewed)"
            }
            NotReviewable::SymbolicLink => "symbolic link (its target is not reviewed)",
        }
    }
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

/// The id of git's empty tree, the base of a review of a root commit.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// Computes the change from `base` (or the empty tree when `None`) to `head`, as
/// `git diff -M base head` shows it: Myers with the indent heuristic, three lines of context,
/// rename detection at 50% similarity, copies left as added files, and type changes reported
/// once (status `type_changed`).
pub fn diff_revisions(
    repo: &Repository,
    base: Option<Oid>,
    head: Oid,
) -> Result<ChangeSet, git2::Error> {
    let (changes, _) = visit_files(repo, base, head, 1, |_, _| Vec::<()>::new())?;
    Ok(changes)
}

/// Like [`diff_revisions`], and calls `visit` with every reviewable file and its head content
/// (empty for binary files and deletions; symlinks and submodules are not visited) while the
/// content is at hand, so that nothing has to read a blob twice. Files are processed on up to `threads` threads, each with
/// its own handle on the repository; results come back in diff order, one `Vec` per file.
pub fn visit_files<U, F>(
    repo: &Repository,
    base: Option<Oid>,
    head: Oid,
    threads: usize,
    visit: F,
) -> Result<(ChangeSet, Vec<Vec<U>>), git2::Error>
where
    U: Send,
    F: Fn(&FileDiff, &[u8]) -> Vec<U> + Sync,
{
    // Like git, trust the object store on reads: re-hashing every object read costs a tenth of
    // a large review. A process-wide libgit2 option.
    git2::opts::strict_hash_verification(false);
    let entries = list_entries(repo, base, head)?;
    // Threads pay off only when there is enough to share.
    let threads = if entries.len() < 64 {
        1
    } else {
        threads.clamp(1, 16)
    };
    let mut processed: Vec<(FileDiff, Vec<U>)> = Vec::with_capacity(entries.len());
    if threads <= 1 {
        for entry in &entries {
            processed.push(process_entry(repo, entry, &visit)?);
        }
    } else {
        let chunk = entries.len().div_ceil(threads);
        let path = repo.path().to_path_buf();
        let results: Vec<ChunkResult<U>> = std::thread::scope(|scope| {
            let handles: Vec<_> = entries
                .chunks(chunk)
                .map(|slice| {
                    let path = &path;
                    let visit = &visit;
                    scope.spawn(move || {
                        let repo = Repository::open(path)?;
                        slice
                            .iter()
                            .map(|entry| process_entry(&repo, entry, visit))
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(git2::Error::from_str("a diff worker thread panicked"))
                    })
                })
                .collect()
        });
        for result in results {
            processed.extend(result?);
        }
    }
    let (files, results) = merge_type_changes(processed).into_iter().unzip();
    Ok((
        ChangeSet {
            base: base.map_or_else(|| EMPTY_TREE.to_owned(), |oid| oid.to_string()),
            head: head.to_string(),
            files,
        },
        results,
    ))
}

/// What one worker thread returns: its files with their visit results, in order.
type ChunkResult<U> = Result<Vec<(FileDiff, Vec<U>)>, git2::Error>;

/// One delta of the tree diff, as plain data that can cross threads.
struct Entry {
    status: FileStatus,
    path: String,
    old_path: Option<String>,
    old_id: Oid,
    old_mode: FileMode,
    new_id: Oid,
    new_mode: FileMode,
    new_size: u64,
}

fn list_entries(
    repo: &Repository,
    base: Option<Oid>,
    head: Oid,
) -> Result<Vec<Entry>, git2::Error> {
    let head_tree = repo.find_commit(head)?.tree()?;
    let base_tree = match base {
        Some(oid) => Some(repo.find_commit(oid)?.tree()?),
        None => None,
    };
    let mut options = DiffOptions::new();
    options.ignore_submodules(false).skip_binary_check(true);
    let mut diff =
        repo.diff_tree_to_tree(base_tree.as_ref(), Some(&head_tree), Some(&mut options))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).rename_threshold(50).rename_limit(1000);
    diff.find_similar(Some(&mut find))?;
    Ok(diff.deltas().map(|delta| entry(&delta)).collect())
}

fn path_of(file: &git2::DiffFile<'_>) -> String {
    file.path_bytes()
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default()
}

fn entry(delta: &DiffDelta<'_>) -> Entry {
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
    Entry {
        status,
        path,
        old_path,
        old_id: old.id(),
        old_mode: old.mode(),
        new_id: new.id(),
        new_mode: new.mode(),
        new_size: new.size(),
    }
}

fn process_entry<U, F>(
    repo: &Repository,
    entry: &Entry,
    visit: &F,
) -> Result<(FileDiff, Vec<U>), git2::Error>
where
    F: Fn(&FileDiff, &[u8]) -> Vec<U>,
{
    let mut file = FileDiff::new(entry.path.clone(), entry.status);
    file.old_path = entry.old_path.clone();
    let deleted = entry.status == FileStatus::Deleted;
    if !deleted {
        file.new_size = entry.new_size;
        if matches!(
            entry.new_mode,
            FileMode::Blob | FileMode::BlobExecutable | FileMode::Link
        ) {
            file.new_blob = Some(entry.new_id);
        }
    }
    let side_mode = if deleted {
        entry.old_mode
    } else {
        entry.new_mode
    };
    if side_mode == FileMode::Commit {
        file.not_reviewable = Some(NotReviewable::Submodule);
        return Ok((file, Vec::new()));
    }
    if side_mode == FileMode::Link {
        // Not reviewed, but its line map is git's: a symlink's blob is its target, one line.
        file.not_reviewable = Some(NotReviewable::SymbolicLink);
    }

    // Each blob is read once. Binary-ness is decided the way git decides it (libgit2's own
    // heuristic also counts control characters), and the patch is made from the two buffers.
    let old_blob = blob_if_any(repo, entry.old_id, entry.old_mode)?;
    let new_blob = if deleted {
        None
    } else {
        blob_if_any(repo, entry.new_id, entry.new_mode)?
    };
    let old_content = old_blob.as_ref().map_or(&[][..], |b| b.content());
    let new_content = new_blob.as_ref().map_or(&[][..], |b| b.content());
    file.binary = looks_binary(old_content) || looks_binary(new_content);
    if !file.binary && old_content != new_content {
        match (&old_blob, &new_blob) {
            (Some(old), Some(new)) => {
                let mut options = DiffOptions::new();
                options
                    .context_lines(3)
                    .interhunk_lines(0)
                    .indent_heuristic(true)
                    .force_text(true);
                let patch = Patch::from_blobs(old, None, new, None, Some(&mut options))?;
                collect_lines(&patch, &mut file)?;
            }
            // A new file (or the new side of a type change): every line is added, one hunk.
            (None, Some(_)) => all_lines_added(new_content, &mut file),
            // A deleted file adds nothing; `git diff --numstat` counts its lines as removed.
            (Some(_), None) => file.deletions = line_count(old_content),
            (None, None) => {}
        }
    }
    let results = if file.not_reviewable.is_some() {
        Vec::new()
    } else if deleted || file.binary {
        visit(&file, &[])
    } else {
        visit(&file, new_content)
    };
    Ok((file, results))
}

fn blob_if_any(
    repo: &Repository,
    id: Oid,
    mode: FileMode,
) -> Result<Option<git2::Blob<'_>>, git2::Error> {
    if id.is_zero()
        || !matches!(
            mode,
            FileMode::Blob | FileMode::BlobExecutable | FileMode::Link
        )
    {
        return Ok(None);
    }
    repo.find_blob(id).map(Some)
}

/// Lines as git counts them: a final line without a newline still counts.
fn line_count(content: &[u8]) -> u32 {
    let newlines = content.iter().filter(|&&b| b == b'\n').count();
    let unterminated = usize::from(content.last().is_some_and(|&b| b != b'\n'));
    u32::try_from(newlines + unterminated).unwrap_or(u32::MAX)
}

fn all_lines_added(content: &[u8], file: &mut FileDiff) {
    let lines = line_count(content);
    if lines == 0 {
        return;
    }
    file.hunks.push(Hunk {
        old_start: 0,
        old_lines: 0,
        new_start: 1,
        new_lines: lines,
    });
    file.added_lines = (1..=lines).collect();
    file.additions = lines;
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
/// the same path; report it once, as a type change carrying the addition's lines and results.
fn merge_type_changes<U>(files: Vec<(FileDiff, Vec<U>)>) -> Vec<(FileDiff, Vec<U>)> {
    let mut merged: Vec<(FileDiff, Vec<U>)> = Vec::with_capacity(files.len());
    for (file, mut results) in files {
        if let Some((previous, previous_results)) = merged.last_mut()
            && previous.path == file.path
            && matches!(
                (previous.status, file.status),
                (FileStatus::Deleted, FileStatus::Added) | (FileStatus::Added, FileStatus::Deleted)
            )
        {
            let deleted_first = previous.status == FileStatus::Deleted;
            let (added, deletions) = if deleted_first {
                let deletions = previous.deletions;
                (file, deletions)
            } else {
                let deletions = file.deletions;
                (previous.clone(), deletions)
            };
            *previous = FileDiff {
                status: FileStatus::TypeChanged,
                deletions: added.deletions + deletions,
                ..added
            };
            previous_results.append(&mut results);
            continue;
        }
        merged.push((file, results));
    }
    merged
}
