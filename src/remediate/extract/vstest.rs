//! `dotnet test` (VSTest's console logger) failures and .NET's unhandled exceptions.
//!
//! A failed test is `Failed Ledger.Tests.RefundTests.Restores [12 ms]` (older SDKs: `Failed
//! Ledger.Tests.RefundTests.Restores`), then `Error Message:` and the assertion's lines, then
//! `Stack Trace:` and frames `at Ledger.Tests.RefundTests.Restores() in /…/RefundTests.cs:line
//! 21`. A program that crashed prints `Unhandled exception. System.InvalidOperationException: …`
//! and the same frames. The error is at the first frame in the project (.NET lists the innermost
//! frame first); frames in a package's sources (`/_/src/…`, the path deterministic builds
//! record) are not the project's.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, foreign_frame, number, push_help, regex};

static FAILED: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s*(?:Failed|X)\s+(?P<name>[\w$.`<>+,\[\]-]+(?:\(.*\))?)(?: \[[^\]]*\])?$")
});
static ERROR_MESSAGE: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*Error Message:\s*$"));
static STACK_TRACE: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*Stack Trace:\s*$"));
static UNHANDLED: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^Unhandled [Ee]xception\. (?P<msg>\S.*)$"));
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s+at (?P<at>.+?) in (?P<path>.+?):line (?P<line>\d+)$"));

/// At most this many lines of a failure are read.
const MAX_BLOCK: usize = 80;

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut index = 0;
    while index < log.len() {
        let line = log.line(index);
        let next = log.line(index + 1);
        if next.contains("Error Message:") && ERROR_MESSAGE.is_match(next) {
            if let Some(caps) = FAILED.captures(line) {
                index = failed_test(log, index, &caps["name"], out);
                continue;
            }
        }
        if let Some(caps) = line
            .starts_with("Unhandled")
            .then(|| UNHANDLED.captures(line))
            .flatten()
        {
            let mut error = BuildError::new("vstest", &caps["msg"], index);
            let (place, end) = frames(log, index + 1);
            if let Some((path, line)) = place {
                error = error.at(Some(path), line, None);
            }
            out.push(Found::error(error));
            index = end;
            continue;
        }
        index += 1;
    }
}

fn failed_test(log: &Log<'_>, start: usize, name: &str, out: &mut Vec<Found>) -> usize {
    let mut index = start + 2;
    let limit = log.len().min(start + MAX_BLOCK);
    let mut lines = Vec::new();
    while index < limit && !STACK_TRACE.is_match(log.line(index)) && !is_end(log.line(index)) {
        if !log.line(index).trim().is_empty() {
            lines.push(log.line(index).trim());
        }
        index += 1;
    }
    let first = lines.first().copied().unwrap_or("failed");
    let mut error = BuildError::new("vstest", &format!("{name}: {first}"), start);
    for line in lines.iter().skip(1) {
        push_help(&mut error.help, line);
    }
    if STACK_TRACE.is_match(log.line(index)) {
        let (place, end) = frames(log, index + 1);
        if let Some((path, line)) = place {
            error = error.at(Some(path), line, None);
        }
        index = end;
    }
    out.push(Found::error(error));
    index
}

/// A failure's block ends at the next test's result or the run's summary.
fn is_end(line: &str) -> bool {
    FAILED.is_match(line) || line.trim_start().starts_with("Passed ")
}

/// The first frame in the project among the frames from `start`, and where they end.
fn frames<'a>(log: &Log<'a>, start: usize) -> (Option<(&'a str, Option<u32>)>, usize) {
    let mut place = None;
    let mut index = start;
    let limit = log.len().min(start + MAX_BLOCK);
    while index < limit {
        let line = log.line(index);
        if let Some(frame) = FRAME.captures(line) {
            let path = frame.name("path").map_or("", |m| m.as_str());
            if place.is_none() && !foreign_frame(path) && !path.starts_with("/_/") {
                place = Some((path, number(frame.name("line"))));
            }
        } else if !line.trim_start().starts_with("at ")
            && !line.trim_start().starts_with("--- End of")
        {
            break;
        }
        index += 1;
    }
    (place, index)
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    // dotnet and VSTest are not in Debian's archive, so no fixture here comes from running them.
    // The layout below follows the console output quoted in microsoft/vstest#285 ("Failed",
    // "Error Message:", "Stack Trace:", frames "in /…/Tests.cs:line 29") and the frames of
    // dotnet/runtime#109202 (xunit's frames under `/_/src/…`), with this project's names; the
    // `[12 ms]` duration is what current SDKs add to the result line.
    #[test]
    fn failed_tests_at_their_first_project_frame() {
        let found = run("Starting test execution, please wait...
  Passed Ledger.Tests.RefundTests.KeepsFees [3 ms]
  Failed Ledger.Tests.RefundTests.RestoresBalance [12 ms]
  Error Message:
   Assert.Equal() Failure: Values differ
Expected: 100
Actual:   101
  Stack Trace:
     at Xunit.Assert.Equal[T](T expected, T actual) in /_/src/Microsoft.DotNet.XUnitAssert/src/EqualityAsserts.cs:line 96
     at Ledger.Tests.RefundTests.RestoresBalance() in /home/vsts/work/1/s/tests/Ledger Tests/RefundTests.cs:line 21

Failed   Ledger.Tests.RefundTests.FailingTest
Error Message:
 Assert.Fail failed.
Stack Trace:
   at Ledger.Tests.RefundTests.FailingTest() in D:\\a\\1\\s\\tests\\RefundTests.cs:line 70
Test Run Failed.");
        let shown: Vec<_> = found
            .iter()
            .map(|e| (e.path.as_deref(), e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Some("/home/vsts/work/1/s/tests/Ledger Tests/RefundTests.cs"),
                    Some(21),
                    "Ledger.Tests.RefundTests.RestoresBalance: Assert.Equal() Failure: Values differ"
                ),
                (
                    Some("D:\\a\\1\\s\\tests\\RefundTests.cs"),
                    Some(70),
                    "Ledger.Tests.RefundTests.FailingTest: Assert.Fail failed."
                ),
            ]
        );
        assert_eq!(found[0].help, ["Expected: 100", "Actual:   101"]);
    }

    #[test]
    fn unhandled_exceptions_and_lookalikes() {
        let found = run(
            "Unhandled exception. System.InvalidOperationException: no ledger
   at Ledger.Program.Main(String[] args) in /w/s/src/Ledger/Program.cs:line 12
Failed to restore /w/s/src/Ledger/Ledger.csproj
Failed ledger",
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].path.as_deref(), found[0].line),
            (Some("/w/s/src/Ledger/Program.cs"), Some(12))
        );
    }
}
