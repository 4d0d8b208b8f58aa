//! The changed-line map must equal what `git diff -M` prints, commit for commit: on scripted
//! tricky commits and on this project's own history.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{Repo, git_added_lines, git_text};
use coderabbit_agent::git::{ChangeSet, FileStatus, NotReviewable, diff_revisions};

fn ours(dir: &Path, base: &str, head: &str) -> ChangeSet {
    let repo = git2::Repository::open(dir).expect("open");
    let base = git2::Oid::from_str(base).expect("base oid");
    let head = git2::Oid::from_str(head).expect("head oid");
    diff_revisions(&repo, Some(base), head).expect("diff")
}

fn is_submodule(file: &coderabbit_agent::git::FileDiff) -> bool {
    file.not_reviewable == Some(NotReviewable::Submodule)
}

/// Our line map: every file, symlinks included (not reviewed, but counted as git counts them),
/// submodules aside.
fn added_map(changes: &ChangeSet) -> BTreeMap<String, Vec<u32>> {
    changes
        .files
        .iter()
        .filter(|f| !is_submodule(f) && !f.added_lines.is_empty())
        .map(|f| (f.path.clone(), f.added_lines.clone()))
        .collect()
}

/// git's map without submodules (whose `Subproject commit` line we do not map).
fn git_map_reviewable(
    dir: &Path,
    base: &str,
    head: &str,
    changes: &ChangeSet,
) -> BTreeMap<String, Vec<u32>> {
    let mut expected = git_added_lines(dir, base, head);
    for file in changes.files.iter().filter(|f| is_submodule(f)) {
        expected.remove(&file.path);
    }
    expected
}

fn assert_matches_git(dir: &Path, base: &str, head: &str) -> ChangeSet {
    let changes = ours(dir, base, head);
    let expected = git_map_reviewable(dir, base, head, &changes);
    let actual = added_map(&changes);
    assert_eq!(
        actual, expected,
        "added lines differ from `git diff -M {base} {head}`"
    );
    changes
}

fn file<'a>(changes: &'a ChangeSet, path: &str) -> &'a coderabbit_agent::git::FileDiff {
    changes
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| {
            panic!(
                "{path} not in the diff: {:?}",
                changes.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
}

fn numbered(n: usize, prefix: &str) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

#[test]
fn scripted_tricky_commits_match_git_diff() {
    let repo = Repo::new();
    let body: String = (1..=40)
        .map(|i| format!("fn item_{i}() -> u32 {{ {i} }}\n"))
        .collect();
    repo.write("src/lib.rs", &body)
        .write("docs/guide.md", numbered(30, "guide"))
        .write("moved/original.txt", numbered(60, "original"))
        .write("copy/source.txt", numbered(50, "source"))
        .write("bin/tool.sh", "#!/bin/sh\necho hi\n")
        .write("becomes-link.txt", "plain file\n")
        .write("delete-me.txt", numbered(5, "gone"))
        .write("crlf.txt", "one\r\ntwo\r\nthree\r\n")
        .write("no-eol.txt", "first\nlast without newline")
        .write("image.bin", [0u8, 1, 2, 3, 0, 255, 0, 10])
        .write("late-nul.txt", {
            let mut v = numbered(1000, "text").into_bytes();
            v.extend_from_slice(b"tail\0end\n");
            v
        })
        .write(
            "control.txt",
            "\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10 control chars\n",
        );
    let c0 = repo.commit("initial");

    // A rename with edits, a copy, a mode change, a type change, a deletion, CRLF and EOF edits,
    // non-UTF-8 content, unicode and space-containing paths, binary and control-char content.
    let mut moved = numbered(60, "original");
    moved.push_str("appended after rename\n");
    repo.remove("moved/original.txt")
        .write("moved/renamed.txt", moved);
    let mut copied = numbered(50, "source");
    copied.push_str("copy tweak\n");
    repo.write("copy/duplicate.txt", copied);
    repo.chmod("bin/tool.sh", 0o755);
    repo.remove("becomes-link.txt");
    std::os::unix::fs::symlink("docs/guide.md", repo.path().join("becomes-link.txt"))
        .expect("symlink");
    std::os::unix::fs::symlink("../src/lib.rs", repo.path().join("docs/new-link"))
        .expect("symlink");
    repo.remove("delete-me.txt");
    repo.write("crlf.txt", "one\r\ntwo changed\r\nthree\r\nfour\r\n");
    repo.write("no-eol.txt", "first\nlast without newline\nnew last line");
    repo.write("latin1.txt", b"caf\xe9 cr\xe8me br\xfbl\xe9e\nplain\n");
    repo.write(
        "donn\u{e9}es/r\u{e9}sum\u{e9} final.md",
        "# R\u{e9}sum\u{e9}\n\u{1f600} emoji line\n",
    );
    repo.write("dir with space/file name.txt", "spaced\n");
    repo.write("image.bin", [0u8, 9, 9, 9, 0, 255, 0, 10, 11]);
    let mut late = numbered(1000, "text").into_bytes();
    late.extend_from_slice(b"tail\0changed\n");
    repo.write("late-nul.txt", late);
    repo.write(
        "control.txt",
        "\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10 control chars\nsecond\n",
    );
    // Indent heuristic: a new function inserted between similar ones.
    let mut lib = String::new();
    for i in 1..=40 {
        lib.push_str(&format!("fn item_{i}() -> u32 {{ {i} }}\n"));
        if i == 20 {
            lib.push_str("fn inserted() -> u32 {\n    0\n}\n");
        }
    }
    repo.write("src/lib.rs", &lib);
    repo.git(["add", "-A"]);
    repo.git([
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{c0},vendor/submodule"),
    ]);
    let c1 = repo.commit_staged("tricky");
    let changes = assert_matches_git(repo.path(), &c0, &c1);

    let renamed = file(&changes, "moved/renamed.txt");
    assert_eq!(renamed.status, FileStatus::Renamed);
    assert_eq!(renamed.old_path.as_deref(), Some("moved/original.txt"));
    assert_eq!(renamed.added_lines, vec![61]);
    let copy = file(&changes, "copy/duplicate.txt");
    assert_eq!(
        copy.status,
        FileStatus::Added,
        "a copy is an added file, as in `git diff -M`"
    );
    assert_eq!(copy.added_lines.len(), 51);
    let tool = file(&changes, "bin/tool.sh");
    assert_eq!(tool.status, FileStatus::Modified);
    assert!(tool.added_lines.is_empty());
    let link = file(&changes, "becomes-link.txt");
    assert_eq!(link.status, FileStatus::TypeChanged);
    assert_eq!(link.added_lines, vec![1], "the link's target, one line");
    assert!(link.not_reviewable == Some(NotReviewable::SymbolicLink));
    assert_eq!(file(&changes, "delete-me.txt").status, FileStatus::Deleted);
    assert_eq!(file(&changes, "crlf.txt").added_lines, vec![2, 4]);
    assert_eq!(file(&changes, "no-eol.txt").added_lines, vec![2, 3]);
    assert_eq!(file(&changes, "latin1.txt").added_lines, vec![1, 2]);
    assert!(file(&changes, "image.bin").binary);
    assert!(
        !file(&changes, "late-nul.txt").binary,
        "git only probes the first 8000 bytes"
    );
    assert!(
        !file(&changes, "control.txt").binary,
        "control characters alone do not make a file binary for git"
    );
    assert!(file(&changes, "vendor/submodule").not_reviewable == Some(NotReviewable::Submodule));
    assert_eq!(file(&changes, "src/lib.rs").added_lines, vec![21, 22, 23]);
    let new_link = file(&changes, "docs/new-link");
    assert_eq!(
        (
            new_link.status,
            new_link.added_lines.as_slice(),
            new_link.additions
        ),
        (FileStatus::Added, &[1][..], 1)
    );

    // Back again: the symlink becomes a file, a file is deleted, a rename below the threshold.
    repo.remove("becomes-link.txt");
    repo.write("becomes-link.txt", "a file again\nwith two lines\n");
    repo.remove("docs/new-link");
    std::os::unix::fs::symlink("../README.md", repo.path().join("docs/new-link")).expect("symlink");
    repo.remove("docs/guide.md");
    repo.write("docs/rewritten.md", numbered(30, "totally different"));
    repo.write_bytes_path(b"bad-\xff\xfe-name.txt", b"invalid utf-8 path\n");
    repo.git(["add", "-A"]);
    let c2 = repo.commit_staged("back");
    let changes = assert_matches_git(repo.path(), &c1, &c2);
    let back = file(&changes, "becomes-link.txt");
    assert_eq!(back.status, FileStatus::TypeChanged);
    assert_eq!(back.added_lines, vec![1, 2]);
    assert!(back.not_reviewable.is_none());
    let retargeted = file(&changes, "docs/new-link");
    assert_eq!(retargeted.status, FileStatus::Modified);
    assert_eq!(retargeted.added_lines, vec![1]);
    assert!(retargeted.not_reviewable.is_some());
    assert_eq!(
        file(&changes, "docs/rewritten.md").status,
        FileStatus::Added
    );
    assert!(
        changes
            .files
            .iter()
            .any(|f| f.path.starts_with("bad-") && f.added_lines == vec![1])
    );

    // Across several commits at once.
    assert_matches_git(repo.path(), &c0, &c2);
}

#[test]
fn interleaved_hunks_and_many_edits_match_git_diff() {
    let repo = Repo::new();
    let original: Vec<String> = (1..=500)
        .map(|i| format!("line {i} {}", "x".repeat(i % 7)))
        .collect();
    repo.write("big.txt", original.join("\n") + "\n");
    let c0 = repo.commit("big");
    let mut edited = Vec::new();
    for (i, line) in original.iter().enumerate() {
        match i % 37 {
            0 => edited.push(format!("{line} edited")),
            5 => {}
            9 => {
                edited.push(line.clone());
                edited.push("inserted".to_owned());
                edited.push("inserted".to_owned());
            }
            _ => edited.push(line.clone()),
        }
    }
    repo.write("big.txt", edited.join("\n") + "\n");
    let c1 = repo.commit("edits");
    let changes = assert_matches_git(repo.path(), &c0, &c1);
    assert!(file(&changes, "big.txt").added_lines.len() > 20);
}

/// How to get the history this test needs, in Azure Pipelines.
const NEEDS_HISTORY: &str = "this test compares the project's own history with `git diff`: run it \
     in a clone with history (in Azure Pipelines, `fetchDepth: 0` on the checkout step; a \
     `fetchDepth: 1` checkout has no parent to compare with)";

#[test]
fn this_projects_own_history_matches_git_diff() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = git2::Repository::open(root)
        .unwrap_or_else(|e| panic!("not a git checkout ({e}); {NEEDS_HISTORY}"));
    let list = git_text(
        root,
        ["rev-list", "--first-parent", "--max-count=200", "HEAD"],
    );
    let listed = list.lines().count();
    let mut compared = 0;
    let mut without_parent = Vec::new();
    for commit in list.lines() {
        let parent = std::process::Command::new("git")
            .current_dir(root)
            .args(["rev-parse", "--verify", "--quiet", &format!("{commit}^1")])
            .output()
            .expect("git");
        if !parent.status.success() {
            without_parent.push(commit.to_owned());
            continue;
        }
        let parent = String::from_utf8_lossy(&parent.stdout).trim().to_owned();
        assert_matches_git(root, &parent, commit);
        compared += 1;
    }
    eprintln!(
        "compared {compared} of {listed} commits (shallow: {})",
        repo.is_shallow()
    );
    assert!(compared > 0, "compared no commit; {NEEDS_HISTORY}");
    // On the first-parent chain only the oldest commit can lack a parent: the root commit, or
    // the boundary of a shallow clone.
    assert!(
        without_parent.len() <= 1,
        "commits without a parent: {without_parent:?}"
    );
    if let Some(first) = without_parent.first() {
        assert_eq!(Some(first.as_str()), list.lines().last(), "only the oldest");
    }
    assert_eq!(compared + without_parent.len(), listed);
}
