//! Python's checkers and unittest (pytest has its own module).
//!
//! - mypy: `billing/ledger.py:10: error: Incompatible return value type (…)  [return-value]`,
//!   with a column when asked (`--show-column-numbers`); its `note:` lines at the same place are
//!   the error's help.
//! - The `path:line:col: CODE message` family: flake8 (`ledger.py:1:1: F401 'os' imported but
//!   unused`), ruff's concise format (`ledger.py:1:8: F401 [*] \`os\` imported but unused`, the
//!   run ends with `Found 6 errors.`) and pylint (`ledger.py:14:7: C0121: Comparison … (symbol)`,
//!   a colon after the code). Every message a linter prints fails its step, so each is an error.
//! - ruff's default format: `F401 [*] \`os\` imported but unused`, then ` --> path:1:8`, the
//!   source, and `help:` lines.
//! - unittest: `FAIL: test_fee (tests.test_unit.LedgerTest.test_fee)` or `ERROR: …`, a rule, the
//!   traceback (`File "/…/tests/test_unit.py", line 11, in test_fee`) and the exception; the
//!   error is at the innermost frame in the project.
//!
//! Only Python files (`.py`, `.pyi`, `.ipynb`) are read as these tools' paths.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, foreign_frame, group, indented, number, push_help, regex};

const PY: &str = r"(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*?\.(?:py|pyi|ipynb))";

static MYPY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^{PY}:(?P<line>\d+):(?:(?P<col>\d+):)?(?:\d+:\d+:)? (?P<kind>error|note): (?P<msg>.+?)(?:  \[(?P<code>[a-z][\w-]*)\])?$"
    ))
});
static LINT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^{PY}:(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+)(?P<colon>:)? (?P<fix>\[\*\] )?(?P<msg>.+)$"
    ))
});
static RUFF_HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<code>[A-Z]+\d+) (?:\[\*\] )?(?P<msg>\S.*)$"));
static RUFF_ARROW: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s*--> (?P<path>(?:[A-Za-z]:)?[^:]+?\.(?:py|pyi|ipynb)):(?P<line>\d+):(?P<col>\d+)$")
});
static RUFF_SUMMARY: LazyLock<Regex> = LazyLock::new(|| regex(r"^Found \d+ errors?\b"));
static UNITTEST: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<kind>FAIL|ERROR): (?P<title>\S+ \(\S+\)(?: \(.*\))?)$"));
static RULE: LazyLock<Regex> = LazyLock::new(|| regex(r"^(?:={20,}|-{20,})$"));
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"^\s+File "(?P<path>.+)", line (?P<line>\d+)(?:, in .*)?$"#));

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut index = 0;
    while index < log.len() {
        let line = log.line(index);
        if let Some(caps) = (line.starts_with("FAIL") || line.starts_with("ERROR"))
            .then(|| UNITTEST.captures(line))
            .flatten()
        {
            if RULE.is_match(log.line(index + 1)) {
                index = unittest(log, index, &caps["title"], out);
                continue;
            }
        }
        if line.contains(".py") {
            if LINT.is_match(line) {
                index = lint_run(log, index, out);
                continue;
            }
            if let Some(caps) = MYPY.captures(line) {
                if &caps["kind"] == "error" {
                    index = mypy(log, index, &caps, out);
                    continue;
                }
            }
        }
        if line.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && log.line(index + 1).contains("--> ")
        {
            if let (Some(caps), Some(arrow)) = (
                RUFF_HEADER.captures(line),
                RUFF_ARROW.captures(log.line(index + 1)),
            ) {
                index = ruff_full(log, index, &caps, &arrow, out);
                continue;
            }
        }
        index += 1;
    }
}

fn mypy(log: &Log<'_>, start: usize, caps: &regex::Captures<'_>, out: &mut Vec<Found>) -> usize {
    let mut error = BuildError::new("mypy", &caps["msg"], start)
        .at(
            group(caps, "path"),
            number(caps.name("line")),
            number(caps.name("col")),
        )
        .with_code(group(caps, "code"));
    let mut index = start + 1;
    while let Some(note) = MYPY.captures(log.line(index)) {
        if &note["kind"] != "note" || note["path"] != caps["path"] {
            break;
        }
        push_help(&mut error.help, &note["msg"]);
        index += 1;
    }
    out.push(Found::error(error));
    index
}

/// A run of `path:line:col: CODE message` lines; returns where it ends.
fn lint_run(log: &Log<'_>, start: usize, out: &mut Vec<Found>) -> usize {
    let mut end = start;
    while LINT.is_match(log.line(end)) {
        end += 1;
    }
    // ruff ends its run with a count; flake8 prints nothing more.
    let after = (end..log.len().min(end + 3))
        .map(|i| log.line(i).trim())
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let ruff_run = RUFF_SUMMARY.is_match(after);
    for index in start..end {
        let Some(caps) = LINT.captures(log.line(index)) else {
            continue;
        };
        let tool = if caps.name("colon").is_some() {
            "pylint"
        } else if ruff_run || caps.name("fix").is_some() {
            "ruff"
        } else {
            "flake8"
        };
        let error = BuildError::new(tool, &caps["msg"], index)
            .at(
                group(&caps, "path"),
                number(caps.name("line")),
                number(caps.name("col")),
            )
            .with_code(group(&caps, "code"));
        out.push(Found::error(error));
    }
    end
}

fn ruff_full(
    log: &Log<'_>,
    start: usize,
    header: &regex::Captures<'_>,
    arrow: &regex::Captures<'_>,
    out: &mut Vec<Found>,
) -> usize {
    let mut error = BuildError::new("ruff", &header["msg"], start)
        .at(
            group(arrow, "path"),
            number(arrow.name("line")),
            number(arrow.name("col")),
        )
        .with_code(group(header, "code"));
    let mut index = start + 2;
    while index < log.len() && !log.line(index).trim().is_empty() {
        let line = log.line(index);
        if let Some(text) = line
            .strip_prefix("help: ")
            .or_else(|| line.strip_prefix("note: "))
        {
            push_help(&mut error.help, text);
        }
        index += 1;
    }
    out.push(Found::error(error));
    index
}

/// A unittest failure block at `start`; returns where it ends.
fn unittest(log: &Log<'_>, start: usize, title: &str, out: &mut Vec<Found>) -> usize {
    let mut end = start + 2;
    while end < log.len() && !RULE.is_match(log.line(end)) && !UNITTEST.is_match(log.line(end)) {
        end += 1;
    }
    let body = start + 2..end;
    // The innermost frame in the project, and the exception printed after the last frame.
    let mut place: Option<(&str, Option<u32>)> = None;
    let mut last_frame = None;
    for index in body.clone() {
        if let Some(frame) = FRAME.captures(log.line(index)) {
            last_frame = Some(index);
            let path = frame.name("path").map_or("", |m| m.as_str());
            if !foreign_frame(path) {
                place = Some((path, number(frame.name("line"))));
            }
        }
    }
    let from = last_frame.map_or(body.start, |i| i + 1);
    let exception = (from..end)
        .map(|i| (i, log.line(i)))
        .find(|(_, l)| !l.trim().is_empty() && !indented(l));
    let first = body
        .clone()
        .map(|i| log.line(i))
        .find(|l| !l.trim().is_empty());
    let problem = exception.map(|(_, l)| l).or(first).unwrap_or("failed");
    let mut error = BuildError::new("unittest", &format!("{title}: {}", problem.trim()), start);
    if let Some((path, line)) = place {
        error = error.at(Some(path), line, None);
    }
    if let Some((at, _)) = exception {
        for index in at + 1..end {
            push_help(&mut error.help, log.line(index));
        }
    }
    out.push(Found::error(error));
    end
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    fn places(found: &[BuildError]) -> Vec<(&str, &str, Option<u32>, Option<&str>)> {
        found
            .iter()
            .map(|e| {
                (
                    e.tool,
                    e.path.as_deref().unwrap_or(""),
                    e.line,
                    e.code.as_deref(),
                )
            })
            .collect()
    }

    #[test]
    fn mypy_errors_with_notes() {
        // mypy 2.4.1.
        let found = run(
            "billing/ledger.py:10: error: Incompatible return value type (got \"str\", expected \"int\")  [return-value]
billing/ledger.py:10: note: Perhaps you need a cast
billing/ledger.py:22:5: error: Incompatible return value type (got \"str\", expected \"int\")  [return-value]
Found 2 errors in 1 file (checked 2 source files)
billing\\ledger.py:16: error: \"int\" has no attribute \"upper\"  [attr-defined]",
        );
        assert_eq!(
            places(&found),
            [
                ("mypy", "billing/ledger.py", Some(10), Some("return-value")),
                ("mypy", "billing/ledger.py", Some(22), Some("return-value")),
                // On a Windows agent.
                ("mypy", "billing\\ledger.py", Some(16), Some("attr-defined")),
            ]
        );
        assert_eq!(found[0].help, ["Perhaps you need a cast"]);
        assert_eq!(
            found[1].message,
            "Incompatible return value type (got \"str\", expected \"int\")"
        );
    }

    #[test]
    fn the_lint_family_by_tool() {
        // flake8 7.5.0, then ruff 0.17.6 `--output-format=concise`, then pylint 4.1.5.
        let found = run("billing service/billing/ledger.py:14:15: E711 comparison to None should be 'if cond is None:'
billing service/billing/ledger.py:26:5: F841 local variable 'unused' is assigned to but never used

billing service/billing/ledger.py:14:18: E711 Comparison to `None` should be `cond is None`
Found 1 error.
************* Module billing.ledger
billing service/billing/ledger.py:1:0: C0114: Missing module docstring (missing-module-docstring)
src/main.c:3:5: E711 not python");
        assert_eq!(
            places(&found),
            [
                (
                    "flake8",
                    "billing service/billing/ledger.py",
                    Some(14),
                    Some("E711")
                ),
                (
                    "flake8",
                    "billing service/billing/ledger.py",
                    Some(26),
                    Some("F841")
                ),
                (
                    "ruff",
                    "billing service/billing/ledger.py",
                    Some(14),
                    Some("E711")
                ),
                (
                    "pylint",
                    "billing service/billing/ledger.py",
                    Some(1),
                    Some("C0114")
                ),
            ]
        );
        assert_eq!(
            found[3].message,
            "Missing module docstring (missing-module-docstring)"
        );
    }

    #[test]
    fn ruff_full_format() {
        // ruff 0.17.6, default output.
        let found = run("F401 [*] `os` imported but unused
 --> billing service/billing/ledger.py:1:8
  |
1 | import os
  |        ^^
  |
help: Remove unused import: `os`

error[E0308]: mismatched types
 --> src/lib.rs:3:5");
        assert_eq!(
            places(&found),
            [(
                "ruff",
                "billing service/billing/ledger.py",
                Some(1),
                Some("F401")
            )]
        );
        assert_eq!(found[0].message, "`os` imported but unused");
        assert_eq!(found[0].help, ["Remove unused import: `os`"]);
    }

    #[test]
    fn unittest_on_windows() {
        let found = run(
            r#"======================================================================
FAIL: test_fee (tests.test_unit.LedgerTest.test_fee)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "D:\a\1\s\billing service\tests\test_unit.py", line 11, in test_fee
    self.assertEqual(fee(1), 2)
  File "C:\hostedtoolcache\windows\Python\3.11.7\x64\Lib\unittest\case.py", line 873, in assertEqual
    assertion_func(first, second, msg=msg)
AssertionError: '2' != 2

----------------------------------------------------------------------"#,
        );
        assert_eq!(
            places(&found),
            [(
                "unittest",
                "D:\\a\\1\\s\\billing service\\tests\\test_unit.py",
                Some(11),
                None
            )]
        );
    }

    #[test]
    fn unittest_failures_at_the_innermost_project_frame() {
        // Python 3.11.7.
        let found = run(r#"FF.E
======================================================================
ERROR: test_refund (tests.test_unit.LedgerTest.test_refund)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/w/s/billing service/tests/test_unit.py", line 14, in test_refund
    self.assertEqual(refund(1, None), 1)
  File "/w/s/billing service/billing/ledger.py", line 16, in refund
    return amount.upper()
           ^^^^^^^^^^^^
AttributeError: 'int' object has no attribute 'upper'

======================================================================
ERROR: test_unit (unittest.loader._FailedTest.test_unit)
----------------------------------------------------------------------
ImportError: Failed to import test module: test_unit
Traceback (most recent call last):
  File "/root/.pyenv/versions/3.11.7/lib/python3.11/unittest/loader.py", line 162, in loadTestsFromName
    module = __import__(module_name)
  File "/w/s/billing service/tests/test_unit.py", line 3, in <module>
    from billing.ledger import balance, fee, refund
ModuleNotFoundError: No module named 'billing'


----------------------------------------------------------------------
Ran 4 tests in 0.005s

FAILED (failures=2, errors=1)"#);
        assert_eq!(
            places(&found),
            [
                (
                    "unittest",
                    "/w/s/billing service/billing/ledger.py",
                    Some(16),
                    None
                ),
                (
                    "unittest",
                    "/w/s/billing service/tests/test_unit.py",
                    Some(3),
                    None
                ),
            ]
        );
        assert_eq!(
            found[0].message,
            "test_refund (tests.test_unit.LedgerTest.test_refund): AttributeError: 'int' object has no attribute 'upper'"
        );
        assert_eq!(
            found[1].message,
            "test_unit (unittest.loader._FailedTest.test_unit): ModuleNotFoundError: No module named 'billing'"
        );
    }
}
