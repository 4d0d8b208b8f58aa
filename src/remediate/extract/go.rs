//! Go: build and vet errors, and failed tests.
//!
//! `go build`, `go vet` and linters that follow the compiler's format print
//! `./main.go:12:2: undefined: foo` (a linter's name in parentheses at the end is the code).
//! Under a package's header (`# example.com/svc/parser`) a position may have no column and
//! name another file: generated code's `//line grammar.y:12` directives move vet's positions
//! into the grammar (`internal/parser/grammar.y:13: fmt.Sprintf format %d has arg …`).
//! `go test` prints a failed test as `--- FAIL: TestX (0.00s)`, with the test's log lines
//! (`    x_test.go:15: expected 3, got 4`) before it (`-v`, streamed after `=== RUN`) or after it;
//! each log line of a failed test is an error. Those lines name the file without its directory,
//! so the path is qualified with the package's import path when `FAIL\t<package>` follows
//! (`github.com/acme/svc/calc/calc_test.go`), which [`super::repo_relative`] matches by suffix.
//! A failed test without log lines is reported once, with its panic and the panicking frame in
//! the project when there is one. A parent test that failed only because a subtest did is not
//! reported again.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{
    BuildError, Found, Log, foreign_frame, group, indented, number, push_help, regex, unecho,
};

static BUILD: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:vet: )?(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*\.go):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+?)(?: \((?P<code>S[AT]?\d{4}|[a-z][a-z0-9]+)\))?$",
    )
});
/// The header of a package's errors: `# example.com/ledger/internal/parser`.
static PACKAGE_HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^# (?:\[)?[\w.~-]+(?:/[\w.~-]+)*(?: \[[\w.~/-]+(?:\.test)?\])?\]?$"));
/// Under a package header, a position with no column or in another file than a `.go` one: a
/// `//line grammar.y:12` directive of generated code moves the position into the grammar, and
/// such a position has no column (`internal/parser/grammar.y:13: fmt.Sprintf format …`).
static PACKAGE_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:vet: )?(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*\.\w+):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.+?)(?: \((?P<code>S[AT]?\d{4}|[a-z][a-z0-9]+)\))?$",
    )
});
static MODULE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^go: (?P<msg>.*(?:missing go\.sum entry|updates to go\.mod needed|errors parsing go\.mod|inconsistent vendoring|cannot find main module|unknown revision|invalid version|requires go >=|no required module provides package).*)$",
    )
});
static RUN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^=== (?:RUN|CONT|NAME|PAUSE)\s+(?P<name>\S+)$"));
static RESULT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*--- (?P<verdict>FAIL|PASS|SKIP): (?P<name>\S+) \([\d.]+m?s\)$"));
static TEST_LOG: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<indent>\s+)(?P<file>[\w.-]+\.go):(?P<line>\d+): (?P<msg>.*)$"));
static PACKAGE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:FAIL|ok)\s+(?P<pkg>[\w.~/-]+)(?:\s|$)"));
static PANIC: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^panic: (?P<msg>.+?)(?: \[recovered\])?$"));
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\t(?P<path>\S+\.go):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$"));

/// A log line of a test, and the lines continuing it.
struct TestLog {
    file: String,
    line: Option<u32>,
    message: String,
    help: Vec<String>,
    index: usize,
    indent: usize,
}

/// What one package's test run printed, until its `FAIL`/`ok` line.
#[derive(Default)]
struct Package {
    logs: HashMap<String, Vec<TestLog>>,
    failed: Vec<(String, usize)>,
    panic: Option<Panic>,
}

/// A test binary's panic: its message, and the first frame in the project.
struct Panic {
    message: String,
    frame: Option<(String, Option<u32>)>,
}

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut package = Package::default();
    let mut current: Option<String> = None;
    let mut in_package = false;
    for index in 0..log.len() {
        let (line, echo) = unecho(log.line(index));
        if line.starts_with("# ") {
            in_package = PACKAGE_HEADER.is_match(line);
            continue;
        }
        if in_package && !BUILD.is_match(line) {
            match PACKAGE_ERROR.captures(line) {
                Some(caps) => {
                    out.push(
                        Found::error(
                            BuildError::new("go", &caps["msg"], index)
                                .at(
                                    group(&caps, "path"),
                                    number(caps.name("line")),
                                    number(caps.name("col")),
                                )
                                .with_code(group(&caps, "code")),
                        )
                        .echoed(echo),
                    );
                    continue;
                }
                None if !indented(line) => in_package = false,
                None => {}
            }
        }
        if line.contains(".go:") {
            if let Some(caps) = BUILD.captures(line) {
                out.push(
                    Found::error(
                        BuildError::new("go", &caps["msg"], index)
                            .at(
                                group(&caps, "path"),
                                number(caps.name("line")),
                                number(caps.name("col")),
                            )
                            .with_code(group(&caps, "code")),
                    )
                    .echoed(echo),
                );
                continue;
            }
            if let (Some(caps), Some(test)) = (TEST_LOG.captures(line), &current) {
                package.logs.entry(test.clone()).or_default().push(TestLog {
                    file: caps["file"].to_owned(),
                    line: number(caps.name("line")),
                    message: caps["msg"].trim().to_owned(),
                    help: Vec::new(),
                    index,
                    indent: caps["indent"].len(),
                });
                continue;
            }
            if let Some(caps) = FRAME.captures(line) {
                if let Some(Panic {
                    frame: frame @ None,
                    ..
                }) = &mut package.panic
                {
                    if !foreign_frame(&caps["path"]) {
                        *frame = Some((caps["path"].to_owned(), number(caps.name("line"))));
                    }
                }
                continue;
            }
        }
        if line.starts_with("go: ") {
            if let Some(caps) = MODULE.captures(line) {
                out.push(Found::error(BuildError::new("go", &caps["msg"], index)));
            }
            continue;
        }
        if line.starts_with("=== ") {
            if let Some(caps) = RUN.captures(line) {
                current = Some(caps["name"].to_owned());
            }
            continue;
        }
        if let Some(caps) = RESULT.captures(line) {
            let name = caps["name"].to_owned();
            if &caps["verdict"] == "FAIL" {
                package.failed.push((name.clone(), index));
            }
            // Without -v, a test's log lines follow its result line.
            current = Some(name);
            continue;
        }
        if let Some(caps) = PANIC.captures(line) {
            if package.panic.is_none() {
                package.panic = Some(Panic {
                    message: caps["msg"].to_owned(),
                    frame: None,
                });
            }
            continue;
        }
        if line.starts_with("FAIL") || line.starts_with("ok ") {
            if let Some(caps) = PACKAGE.captures(line) {
                flush(std::mem::take(&mut package), Some(&caps["pkg"]), out);
                current = None;
            }
            continue;
        }
        // A line continuing the last log line: indented deeper than it.
        if let Some(last) = current
            .as_ref()
            .and_then(|test| package.logs.get_mut(test))
            .and_then(|logs| logs.last_mut())
        {
            let depth = line.len() - line.trim_start().len();
            if depth > last.indent && last.index + 1 + last.help.len() == index {
                push_help(&mut last.help, line);
                continue;
            }
        }
    }
    flush(package, None, out);
}

/// The errors of one package's failed tests.
fn flush(package: Package, import_path: Option<&str>, out: &mut Vec<Found>) {
    let Package {
        mut logs,
        failed,
        panic,
    } = package;
    for (test, index) in &failed {
        let logs = logs.remove(test).unwrap_or_default();
        if logs.is_empty() {
            let parent_of_failure = failed.iter().any(|(other, _)| {
                other.len() > test.len()
                    && other.starts_with(test.as_str())
                    && other[test.len()..].starts_with('/')
            });
            if parent_of_failure {
                continue;
            }
            let mut error = BuildError::new("go", &format!("{test} failed"), *index);
            if let Some(Panic { message, frame }) = &panic {
                error.message = format!("{test}: panic: {message}");
                if let Some((path, line)) = frame {
                    error = error.at(Some(path), *line, None);
                }
            }
            out.push(Found::error(error));
            continue;
        }
        for entry in logs {
            let path = match import_path {
                Some(pkg) => format!("{pkg}/{}", entry.file),
                None => entry.file,
            };
            let mut error = BuildError::new(
                "go",
                &format!("{test}: {}", entry.message),
                entry.index,
            )
            .at(Some(&path), entry.line, None);
            error.help = entry.help;
            out.push(Found::error(error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn build_and_vet_errors() {
        let found = run("go: downloading github.com/lib/pq v1.10.9
# github.com/acme/svc/internal/store
internal/store/db.go:42:9: undefined: sqlx
./main.go:12:2: declared and not used: cfg
main.go:20:3: Error return value of `db.Close` is not checked (errcheck)
vet: ./x.go:1:1: expected 'package', found 'EOF'");
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].path.as_deref(), Some("internal/store/db.go"));
        assert_eq!(found[2].code.as_deref(), Some("errcheck"));
        assert_eq!(
            found[2].message,
            "Error return value of `db.Close` is not checked"
        );
    }

    #[test]
    fn failed_tests_are_qualified_with_their_package() {
        let found = run("=== RUN   TestParse
=== RUN   TestParse/empty
    parse_test.go:22: got 1 item, want 0
        extra detail line
=== RUN   TestParse/ok
    parse_test.go:30: parsed fine
--- FAIL: TestParse (0.00s)
    --- FAIL: TestParse/empty (0.00s)
    --- PASS: TestParse/ok (0.00s)
=== RUN   TestErrorPath
--- PASS: TestErrorPath (0.00s)
FAIL
FAIL\tgithub.com/acme/svc/parse\t0.012s
ok  \tgithub.com/acme/svc/store\t0.020s");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].message, "TestParse/empty: got 1 item, want 0");
        assert_eq!(
            found[0].path.as_deref(),
            Some("github.com/acme/svc/parse/parse_test.go")
        );
        assert_eq!(found[0].line, Some(22));
        assert_eq!(found[0].help, ["extra detail line"]);
    }

    #[test]
    fn without_verbose_logs_follow_the_result() {
        let found = run("--- FAIL: TestAdd (0.00s)
    calc_test.go:15: Add(1, 2) = 4, want 3
    calc_test.go:16: Add(2, 2) = 5, want 4
FAIL
FAIL\tgithub.com/acme/svc/calc\t0.004s");
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].line, Some(16));
    }

    #[test]
    fn a_panic_names_the_project_frame() {
        let found = run("--- FAIL: TestDiv (0.00s)
panic: runtime error: integer divide by zero [recovered]
\tpanic: runtime error: integer divide by zero

goroutine 7 [running]:
testing.tRunner.func1.2({0x5b3f00, 0x6e8d50})
\t/opt/hostedtoolcache/go/1.22.1/x64/src/testing/testing.go:1631 +0x24a
github.com/acme/svc/calc.Div(...)
\t/home/vsts/work/1/s/calc/calc.go:12
exit status 2
FAIL\tgithub.com/acme/svc/calc\t0.005s");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "TestDiv: panic: runtime error: integer divide by zero"
        );
        assert_eq!(
            found[0].path.as_deref(),
            Some("/home/vsts/work/1/s/calc/calc.go")
        );
        assert_eq!(found[0].line, Some(12));
    }

    #[test]
    fn passing_tests_logs_are_not_errors() {
        assert!(
            run("=== RUN   TestErrorHandler
    handler_test.go:10: error path covered
--- PASS: TestErrorHandler (0.00s)
PASS
ok  \tgithub.com/acme/svc\t0.010s")
            .is_empty()
        );
    }

    #[test]
    fn positions_without_a_column_under_a_package_header() {
        // go1.19.8 `go vet` on generated code with a `//line grammar.y:12` directive.
        let found = run("# example.com/ledger/internal/parser
internal/parser/grammar.y:13: fmt.Sprintf format %d has arg name of wrong type string
internal/parser/lexer.go:40: unreachable code
ok  \texample.com/ledger/internal/money\t0.01s
notes.txt:3: not under a header");
        let shown: Vec<_> = found
            .iter()
            .map(|e| (e.path.as_deref(), e.line, e.column))
            .collect();
        assert_eq!(
            shown,
            [
                (Some("internal/parser/grammar.y"), Some(13), None),
                (Some("internal/parser/lexer.go"), Some(40), None),
            ]
        );
    }
}
