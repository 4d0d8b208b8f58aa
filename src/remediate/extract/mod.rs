//! From a failed step's log to the errors in it: the offline core of build failure remediation.
//!
//! This module owns three things: cleaning the lines of an Azure Pipelines log ([`clean_line`]),
//! finding the errors the tools printed in it ([`extract`], one extractor per tool family, one file
//! each), and tying the paths those tools wrote to files of the repository ([`repo_relative`]).
//! It knows nothing about the REST API that fetches the logs, about pull requests or about what
//! is posted: the caller reads the logs, cleans them line by line, and turns each [`BuildError`]
//! into remediation.
//!
//! Every extractor reads the whole log once and is linear in its length; a line is read only up to
//! its first 16 KiB, so a megabyte of minified output on one line costs one truncation, not a
//! scan per pattern. Extractors only report what their tool prints as an error:
//! a line that merely contains the word (`0 errors`, `error_handler.rs`, `test_error_path ... ok`,
//! warnings) is not one. [`extract`] then drops the step failure itself (`##[error]Bash exited
//! with code '1'.`, npm's "Lifecycle script failed", Maven's "Failed to execute goal") when the
//! log holds a real error, and merges the same error reported twice.

mod azure;
mod clean;
mod dedup;
mod directory;
mod eslint;
mod gcc;
mod go;
mod jest;
mod jvm;
mod make;
mod msbuild;
mod node;
mod npm;
mod paths;
mod powershell;
mod pytest;
mod python;
mod rust;
mod typescript;
mod vstest;

use std::sync::LazyLock;

use regex::Regex;

pub use clean::clean_line;
pub use paths::repo_relative;

/// One error found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError {
    /// The tool that reported it: `rustc`, `cargo` (a `cargo test` panic), `gcc` (gcc, clang and
    /// the linkers), `make`, `msbuild`, `tsc`, `eslint`, `go`, `javac`, `kotlinc`, `maven`,
    /// `gradle`, `pytest`, `unittest`, `mypy`, `ruff`, `flake8`, `pylint`, `jest`, `vitest`,
    /// `node` (an uncaught error), `npm`, `pnpm`, `yarn`, `vstest` (`dotnet test`), `powershell`,
    /// or `azure-pipelines` (an `##[error]` line no tool claims).
    pub tool: &'static str,
    /// The file as the tool wrote it (absolute or relative, `/` or `\`); see [`repo_relative`].
    pub path: Option<String>,
    /// 1-based line in `path`.
    pub line: Option<u32>,
    /// 1-based column in `path`.
    pub column: Option<u32>,
    /// The tool's code for the error: `E0308`, `CS1002`, `TS2322`, `no-unused-vars`, `MSB3073`…
    pub code: Option<String>,
    /// One line: the error itself. For a failed test, `<test name>: <failure>`.
    pub message: String,
    /// The tool's own help, notes and suggestions printed with the error (rustc `help:` and
    /// `= note:`, clang and gcc `note:` and fix-its, tsc elaborations, a failed assertion's
    /// expected and received values…), one line each, trimmed.
    pub help: Vec<String>,
    /// 0-based index of the error's first line in the cleaned log.
    pub log_line: usize,
}

impl BuildError {
    fn new(tool: &'static str, message: &str, log_line: usize) -> Self {
        Self {
            tool,
            path: None,
            line: None,
            column: None,
            code: None,
            message: message.trim().to_owned(),
            help: Vec::new(),
            log_line,
        }
    }

    fn at(mut self, path: Option<&str>, line: Option<u32>, column: Option<u32>) -> Self {
        self.path = path
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        self.line = line;
        self.column = column;
        self
    }

    fn with_code(mut self, code: Option<&str>) -> Self {
        self.code = code
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        self
    }
}

/// Finds the errors in one step's log, `lines` already cleaned with [`clean_line`].
///
/// Runs every extractor, keeps the step failure (`##[error]Bash exited with code '1'.` and its
/// kin) only when nothing else was found, and merges the same error reported twice (an
/// `##[error]` echo of a compiler line, MSBuild's summary after "Build FAILED.", Maven's repeat
/// under "Failed to execute goal", Jest's "Summary of all failing tests"), keeping the most
/// detailed report. Errors come in log order.
pub fn extract(lines: &[String]) -> Vec<BuildError> {
    let log = Log::new(lines);
    let mut found = Vec::new();
    rust::extract(&log, &mut found);
    gcc::extract(&log, &mut found);
    make::extract(&log, &mut found);
    msbuild::extract(&log, &mut found);
    typescript::extract(&log, &mut found);
    eslint::extract(&log, &mut found);
    go::extract(&log, &mut found);
    jvm::extract(&log, &mut found);
    pytest::extract(&log, &mut found);
    python::extract(&log, &mut found);
    jest::extract(&log, &mut found);
    npm::extract(&log, &mut found);
    node::extract(&log, &mut found);
    vstest::extract(&log, &mut found);
    powershell::extract(&log, &mut found);
    // Last: an `##[error]` line that an extractor above read is not reported a second time.
    azure::extract(&log, &mut found);
    for report in &mut found {
        if let Some(dir) = log.dir(report.error.log_line) {
            directory::resolve(&mut report.error, dir);
        }
    }
    dedup::resolve(found)
}

/// How much of a line the extractors read. Tools print an error on a line of its own; a longer
/// line is machine output (minified code, a serialized blob), and its first bytes say enough.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// The log as the extractors read it: lines without trailing whitespace (a `\r` left by the
/// split), each cut to [`MAX_LINE_BYTES`] on a character boundary, without the prefix a
/// workspace runner puts before its packages' lines, and with the directory each line was
/// printed in when the log says it (see [`directory`]).
struct Log<'a> {
    lines: Vec<&'a str>,
    dirs: Vec<Option<&'a str>>,
}

impl<'a> Log<'a> {
    fn new(lines: &'a [String]) -> Self {
        let mut lines: Vec<&'a str> = lines.iter().map(|line| view(line)).collect();
        let dirs = directory::track(&mut lines);
        Self { lines, dirs }
    }

    /// The directory line `index` was printed in, when the log names it.
    fn dir(&self, index: usize) -> Option<&'a str> {
        self.dirs.get(index).copied().flatten()
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    /// Line `index`, or `""` past the end.
    fn line(&self, index: usize) -> &'a str {
        self.lines.get(index).copied().unwrap_or("")
    }
}

fn view(line: &str) -> &str {
    let mut end = line.len().min(MAX_LINE_BYTES);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].trim_end()
}

/// An error as an extractor reports it, with what [`dedup`] needs to know about it.
struct Found {
    error: BuildError,
    /// The step failing (an exit code, a wrapper around errors printed above): reported only when
    /// the log holds no other error.
    weak: bool,
    /// Read from an `##[error]` line: an echo, when the tool's own line is in the log too.
    echo: bool,
}

impl Found {
    fn error(error: BuildError) -> Self {
        Self {
            error,
            weak: false,
            echo: false,
        }
    }

    fn weak(error: BuildError) -> Self {
        Self {
            error,
            weak: true,
            echo: false,
        }
    }

    fn echoed(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }
}

/// The prefix the agent writes before an error line.
const ERROR_PREFIX: &str = "##[error]";

/// A line without its `##[error]` prefix, and whether it had one.
fn unecho(line: &str) -> (&str, bool) {
    match line.strip_prefix(ERROR_PREFIX) {
        Some(body) => (body, true),
        None => (line, false),
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the log patterns are valid")
}

/// A number the tool printed, if it fits.
fn number(text: Option<regex::Match<'_>>) -> Option<u32> {
    text.and_then(|m| m.as_str().parse().ok())
}

/// The named group's text.
fn group<'h>(caps: &regex::Captures<'h>, name: &str) -> Option<&'h str> {
    caps.name(name).map(|m| m.as_str())
}

/// Whether the line starts with whitespace (continuation lines of most tools).
fn indented(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}

/// At most this many help lines are kept with one error.
const MAX_HELP: usize = 12;

fn push_help(help: &mut Vec<String>, line: &str) {
    let line = line.trim();
    if !line.is_empty() && help.len() < MAX_HELP {
        help.push(line.to_owned());
    }
}

/// Frames in a stack trace that point into dependencies or the runtime, not the project.
fn foreign_frame(path: &str) -> bool {
    static FOREIGN: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"(?i)(?:^|[/\\])(?:node_modules|site-packages|dist-packages|hostedtoolcache|\.cargo|\.rustup|\.m2|\.gradle|\.pyenv)(?:[/\\]|$)|[/\\]lib[/\\]python\d[\d.]*[/\\]|[/\\]python\d*[/\\]lib[/\\]|^node:|^internal[/\\]|^<|/src/runtime/|/src/testing/|/pkg/mod/|^/usr/(?:local/)?(?:lib|go)/|^/rustc/",
        )
    });
    FOREIGN.is_match(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    /// What one extractor reports for `text`.
    pub(super) fn found(extractor: fn(&Log<'_>, &mut Vec<Found>), text: &str) -> Vec<Found> {
        let lines = lines(text);
        let mut out = Vec::new();
        extractor(&Log::new(&lines), &mut out);
        out
    }

    #[test]
    fn lines_are_read_up_to_a_bound_on_a_char_boundary() {
        let long = format!("{}{}", "a".repeat(MAX_LINE_BYTES - 1), "é".repeat(10));
        let cut = view(&long);
        assert!(cut.len() <= MAX_LINE_BYTES);
        assert!(cut.ends_with('a'));
        assert_eq!(view("error: x \r"), "error: x");
    }

    #[test]
    fn a_megabyte_line_and_lossy_text_do_not_hurt() {
        let mut log = vec![format!("error[E0308]: {}", "x".repeat(1 << 20))];
        log.push(" --> src/lib.rs:1:1".to_owned());
        log.push(String::from_utf8_lossy(b"\xff\xfe linking \xc3 done").into_owned());
        log.push("\u{fffd}".repeat(100_000));
        let found = extract(&log);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path.as_deref(), Some("src/lib.rs"));
        assert!(found[0].message.len() <= MAX_LINE_BYTES);
    }

    #[test]
    fn the_step_failure_is_reported_only_alone() {
        let alone = extract(&lines("Building…\n##[error]Bash exited with code '1'."));
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].tool, "azure-pipelines");
        assert_eq!(alone[0].message, "Bash exited with code '1'.");

        let with_cause = extract(&lines(
            "src/main.c:3:5: error: unknown type name 'strin'\n##[error]Bash exited with code '1'.",
        ));
        assert_eq!(with_cause.len(), 1);
        assert_eq!(with_cause[0].tool, "gcc");
    }

    #[test]
    fn the_word_error_alone_is_not_an_error() {
        let log = lines(
            "test result: ok. 12 passed; 0 failed\n\
             test tests::error_path ... ok\n\
             Compiling error_handler v0.1.0\n\
             src/error_handler.rs: 0 errors, 0 warnings\n\
             warning: unused variable: `error`\n \
             --> src/error.rs:3:9\n\
             Build succeeded.\n    0 Warning(s)\n    0 Error(s)\n\
             ##[warning]error budget is low",
        );
        assert_eq!(extract(&log), Vec::new());
    }
}
