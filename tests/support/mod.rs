//! Test support: scripted git repositories made with the real `git`, a parser for `git diff`
//! output, a runner for the real binary, a pull request fixture, and loopback servers (a git
//! server over http, a forwarding proxy, a language-model server).

pub mod git_http;
pub mod llm_stub;
pub mod proxy;
pub mod pull_request;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A git command isolated from the user's and the system's configuration.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    command
}

/// Runs git and returns stdout, panicking with stderr on failure.
pub fn git<I, S>(dir: &Path, args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let output = git_command(dir).args(&args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {:?} failed: {}",
        args,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

pub fn git_text<I, S>(dir: &Path, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    String::from_utf8_lossy(&git(dir, args)).trim().to_owned()
}

/// A scratch repository in a temporary directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), ["init", "-q", "-b", "main"]);
        Repo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let full = self.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, content).expect("write");
        self
    }

    pub fn write_bytes_path(&self, path: &[u8], content: &[u8]) -> &Self {
        use std::os::unix::ffi::OsStrExt;
        let full = self.path().join(OsStr::from_bytes(path));
        std::fs::write(full, content).expect("write");
        self
    }

    pub fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.path().join(path)).expect("remove");
        self
    }

    pub fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        git_text(self.path(), args)
    }

    /// Stages everything and commits; returns the new commit id.
    pub fn commit(&self, message: &str) -> String {
        git(self.path(), ["add", "-A"]);
        git(
            self.path(),
            ["commit", "-q", "--allow-empty", "-m", message],
        );
        self.head()
    }

    /// Commits what is staged, without staging the work tree first.
    pub fn commit_staged(&self, message: &str) -> String {
        git(
            self.path(),
            ["commit", "-q", "--allow-empty", "-m", message],
        );
        self.head()
    }

    pub fn chmod(&self, path: &str, mode: u32) -> &Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            self.path().join(path),
            std::fs::Permissions::from_mode(mode),
        )
        .expect("chmod");
        self
    }

    pub fn head(&self) -> String {
        self.git(["rev-parse", "HEAD"])
    }
}

/// The added lines per path that `git diff -M base head` prints, with git's defaults.
pub fn git_added_lines(dir: &Path, base: &str, head: &str) -> BTreeMap<String, Vec<u32>> {
    let out = git(
        dir,
        [
            "-c",
            "core.quotePath=false",
            "diff",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            base,
            head,
        ],
    );
    parse_unified_diff(&out)
}

/// Parses unified diff output into new-side added line numbers per path (files without added
/// lines are left out). Hunk bodies are consumed by their counts, so a content line that looks
/// like a header (`+++ x`) is not mistaken for one.
pub fn parse_unified_diff(out: &[u8]) -> BTreeMap<String, Vec<u32>> {
    let mut result: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut path = String::new();
    let (mut old_left, mut new_left, mut new_line) = (0u32, 0u32, 0u32);
    for raw in out.split(|&b| b == b'\n') {
        if old_left > 0 || new_left > 0 {
            match raw.first() {
                Some(b'+') => {
                    result.entry(path.clone()).or_default().push(new_line);
                    new_line += 1;
                    new_left -= 1;
                }
                Some(b'-') => old_left -= 1,
                Some(b'\\') => {}
                _ => {
                    new_line += 1;
                    new_left = new_left.saturating_sub(1);
                    old_left = old_left.saturating_sub(1);
                }
            }
            continue;
        }
        let line = String::from_utf8_lossy(raw);
        if let Some(rest) = line.strip_prefix("+++ ") {
            let rest = rest.strip_suffix('\t').unwrap_or(rest);
            path = rest.strip_prefix("b/").unwrap_or(rest).to_owned();
        } else if let Some(rest) = line.strip_prefix("@@ -") {
            let mut parts = rest.split(' ');
            let old = parts.next().unwrap_or("");
            let new = parts.next().unwrap_or("").trim_start_matches('+');
            let count = |s: &str| -> (u32, u32) {
                let mut it = s.split(',');
                let start = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
                let len = it.next().map_or(1, |v| v.parse().unwrap_or(0));
                (start, len)
            };
            let (_, old_len) = count(old);
            let (new_start, new_len) = count(new);
            old_left = old_len;
            new_left = new_len;
            new_line = new_start;
        }
    }
    result
}

/// Path of the built binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coderabbit-agent"))
}

/// The binary as the agent runs it, with a clean environment (no pipeline variables leaking in
/// from the machine running the tests).
pub fn agent(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command.current_dir(dir).env_clear();
    for keep in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Ok(value) = std::env::var(keep) {
            command.env(keep, value);
        }
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1");
    command
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
