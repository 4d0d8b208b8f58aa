//! The JVM builds: javac, Maven (with its Surefire test report) and Gradle (with Kotlin).
//!
//! - kotlinc on the command line: `app/src/main/kotlin/Refunds.kt:4:20: error: type mismatch: …`.
//! - javac: `App.java:12: error: cannot find symbol`, then the source line, the caret (which
//!   gives the column) and the `symbol:`/`location:` lines (help).
//! - Maven: `[ERROR] /path/App.java:[12,8] cannot find symbol` (and Kotlin's
//!   `[ERROR] file:///path/A.kt:12:5 …`); Surefire's `Results:` section (`[ERROR]   AppTest.testAdd:14
//!   expected: <4> but was: <3>`), tied to the test's source file through its stack frame
//!   (`at com.acme.AppTest.testAdd(AppTest.java:14)`, giving `com/acme/AppTest.java`).
//!   `[ERROR] Failed to execute goal …` wraps the errors above it: weak. Maven's advice lines
//!   (`-> [Help 1]`, `Re-run Maven using the -X switch`) are not errors.
//! - Gradle: Kotlin's `e: file:///path/A.kt:12:5 Unresolved reference: foo` (and the older
//!   `e: /path/A.kt: (12, 5): …`), a failed test (`AppTest > testAdd() FAILED` and the exception
//!   line under it), and "What went wrong:", which says which task failed: weak, like the
//!   `> Task :compileJava FAILED` line, which counts only when Gradle printed no "What went wrong".

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, indented, number, push_help, regex, unecho};

static JAVAC: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*\.java):(?P<line>\d+): error: (?P<msg>.+)$")
});
static CARET: LazyLock<Regex> = LazyLock::new(|| regex(r"^(?P<pad>\s*)\^$"));
static MAVEN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\[ERROR\] (?P<path>\S.*?):\[(?P<line>\d+),(?P<col>\d+)\] (?P<msg>.+)$")
});
static MAVEN_KOTLIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\[ERROR\] (?:file://)?(?P<path>\S.*?\.kts?):(?P<line>\d+):(?P<col>\d+):? (?P<msg>.+)$")
});
static KOTLIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^e: (?:file://)?(?P<path>\S.*?\.kts?):(?P<line>\d+):(?P<col>\d+):? (?P<msg>.+)$")
});
static KOTLIN_OLD: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^e: (?P<path>\S.*?\.kts?): \((?P<line>\d+), (?P<col>\d+)\): (?P<msg>.+)$")
});
/// The command-line compiler: `app/src/main/kotlin/Refunds.kt:4:20: error: type mismatch: …`.
static KOTLINC: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*?\.kts?):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$",
    )
});
static SUREFIRE_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^\[ERROR\]   (?P<class>[\w$]+)\.(?P<method>[\w$]+)(?:[:(](?P<line>\d+)\)?)? (?P<msg>.*)$",
    )
});
static STACK_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^\s+at (?:[\w.-]+//)?(?P<class>[\w$.]+)\.(?P<method>[\w$<>]+)\((?P<file>[\w$]+\.(?:java|kt|groovy|scala)):(?P<line>\d+)\)$",
    )
});
static GRADLE_TEST: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<class>[A-Za-z_$][\w$.]*) > (?P<test>.+) FAILED$"));
static GRADLE_EXCEPTION: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s{4}(?P<msg>[\w$.]+(?::.*?)?)(?: at (?P<file>[\w$]+\.\w+):(?P<line>\d+))?$")
});
static TASK_FAILED: LazyLock<Regex> = LazyLock::new(|| regex(r"^> Task (?P<task>:\S+) FAILED$"));

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut went_wrong = false;
    let mut failed_tasks = Vec::new();
    let frames = OnceCell::new();
    let mut index = 0;
    while index < log.len() {
        let (line, echo) = unecho(log.line(index));
        if line.starts_with("[ERROR]") {
            index = maven(log, index, line, echo, &frames, out);
            continue;
        }
        if line.starts_with("e: ") {
            if let Some(caps) = KOTLIN.captures(line).or_else(|| KOTLIN_OLD.captures(line)) {
                out.push(Found::error(located("gradle", &caps, index)).echoed(echo));
            }
        } else if let Some(caps) = line
            .contains(".kt")
            .then(|| KOTLINC.captures(line))
            .flatten()
        {
            out.push(Found::error(located("kotlinc", &caps, index)).echoed(echo));
        } else if line.contains(".java:") {
            if let Some(next) = javac(log, index, line, echo, out) {
                index = next;
                continue;
            }
        } else if line == "* What went wrong:" {
            went_wrong = true;
            index = what_went_wrong(log, index, out);
            continue;
        } else if line.ends_with(" FAILED") {
            if let Some(caps) = TASK_FAILED.captures(line) {
                failed_tasks.push((caps["task"].to_owned(), index));
            } else if let Some(caps) = GRADLE_TEST.captures(line) {
                index = gradle_test(log, index, &caps, out);
                continue;
            }
        }
        index += 1;
    }
    if !went_wrong {
        for (task, index) in failed_tasks {
            out.push(Found::weak(BuildError::new(
                "gradle",
                &format!("Task {task} FAILED"),
                index,
            )));
        }
    }
}

fn located(tool: &'static str, caps: &regex::Captures<'_>, index: usize) -> BuildError {
    BuildError::new(tool, &caps["msg"], index).at(
        group(caps, "path"),
        number(caps.name("line")),
        number(caps.name("col")),
    )
}

/// A javac error at `start` with its source line, caret and detail lines.
fn javac(
    log: &Log<'_>,
    start: usize,
    line: &str,
    echo: bool,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let caps = JAVAC.captures(line)?;
    let mut error = located("javac", &caps, start);
    let mut index = start + 1;
    if let Some(caret) = CARET.captures(log.line(start + 2)) {
        error.column = u32::try_from(caret["pad"].len() + 1).ok();
        index = start + 3;
    }
    while index < log.len() && indented(log.line(index)) && !CARET.is_match(log.line(index)) {
        push_help(&mut error.help, log.line(index));
        index += 1;
    }
    out.push(Found::error(error).echoed(echo));
    Some(index)
}

/// A Maven `[ERROR]` line at `start`; returns where to continue.
fn maven(
    log: &Log<'_>,
    start: usize,
    line: &str,
    echo: bool,
    frames: &OnceCell<Frames>,
    out: &mut Vec<Found>,
) -> usize {
    let next = start + 1;
    if let Some(caps) = MAVEN_KOTLIN.captures(line).or_else(|| MAVEN.captures(line)) {
        let mut error = located("maven", &caps, start);
        let mut index = next;
        // javac's detail lines, bare in the first report, prefixed in the repeat.
        loop {
            let detail = log.line(index);
            let detail = detail.strip_prefix("[ERROR]").unwrap_or(detail);
            let trimmed = detail.trim_start();
            if detail.starts_with("  ")
                && ["symbol:", "location:", "required:", "found:", "reason:"]
                    .iter()
                    .any(|k| trimmed.starts_with(k))
            {
                push_help(&mut error.help, trimmed);
                index += 1;
            } else {
                break;
            }
        }
        out.push(Found::error(error).echoed(echo));
        return index;
    }
    let body = line.trim_start_matches("[ERROR]").trim();
    if body.starts_with("Failed to execute goal") {
        let mut error = BuildError::new("maven", body, start);
        // The reason, on the `[ERROR]` lines up to the first empty one (not the errors repeated
        // there, which have their own report).
        let mut index = next;
        while let Some(detail) = log.line(index).strip_prefix("[ERROR] ") {
            let detail = detail.trim();
            if detail.is_empty() || detail.starts_with("->") || MAVEN.is_match(log.line(index)) {
                break;
            }
            push_help(&mut error.help, detail);
            index += 1;
        }
        out.push(Found::weak(error));
        return next;
    }
    if body == "Failures:" || body == "Errors:" {
        return surefire(log, next, frames, out);
    }
    next
}

/// Surefire's list of failed tests, from `start` (after `[ERROR] Failures:`).
fn surefire(log: &Log<'_>, start: usize, frames: &OnceCell<Frames>, out: &mut Vec<Found>) -> usize {
    let mut index = start;
    while let Some(caps) = SUREFIRE_ENTRY.captures(log.line(index)) {
        let (class, method) = (&caps["class"], &caps["method"]);
        let message = caps["msg"].trim_start_matches('»').trim();
        let mut error = BuildError::new("maven", &format!("{class}.{method}: {message}"), index);
        let line = number(caps.name("line"));
        error.line = line;
        error.path = frames
            .get_or_init(|| stack_frames(log))
            .get(&(class.to_owned(), method.to_owned()))
            .and_then(|sources| {
                sources
                    .iter()
                    .find(|(_, at)| line.is_none() || *at == line)
                    .or_else(|| sources.first())
            })
            .map(|(path, _)| path.clone());
        out.push(Found::error(error));
        index += 1;
    }
    index
}

/// The source files of the stack frames in the log, by simple class name and method:
/// `at com.acme.AppTest.testAdd(AppTest.java:14)` gives `com/acme/AppTest.java`, line 14.
type Frames = HashMap<(String, String), Vec<(String, Option<u32>)>>;

fn stack_frames(log: &Log<'_>) -> Frames {
    let mut frames = Frames::new();
    for index in 0..log.len() {
        let text = log.line(index);
        if !text.contains("at ") {
            continue;
        }
        let Some(frame) = STACK_FRAME.captures(text) else {
            continue;
        };
        let qualified = &frame["class"];
        let (package, simple) = match qualified.rsplit_once('.') {
            Some((package, simple)) => (Some(package), simple),
            None => (None, qualified),
        };
        let path = match package {
            Some(dir) => format!("{}/{}", dir.replace('.', "/"), &frame["file"]),
            None => frame["file"].to_owned(),
        };
        frames
            .entry((simple.to_owned(), frame["method"].to_owned()))
            .or_default()
            .push((path, number(frame.name("line"))));
    }
    frames
}

/// A Gradle test failure: `AppTest > testAdd() FAILED` and the exception under it.
fn gradle_test(
    log: &Log<'_>,
    start: usize,
    caps: &regex::Captures<'_>,
    out: &mut Vec<Found>,
) -> usize {
    let class = &caps["class"];
    let test = &caps["test"];
    let mut index = start + 1;
    let mut error = BuildError::new("gradle", &format!("{class} > {test}"), start);
    if let Some(exception) = GRADLE_EXCEPTION.captures(log.line(index)) {
        error.message = format!("{class} > {test}: {}", &exception["msg"]);
        let (package, simple) = match class.rsplit_once('.') {
            Some((package, simple)) => (Some(package.replace('.', "/")), simple),
            None => (None, class),
        };
        if let Some(file) = exception.name("file") {
            // The package is the test class's: it says where the file is only if it is the test's.
            let own = file.as_str().split('.').next() == Some(simple);
            let path = match &package {
                Some(dir) if own => format!("{dir}/{}", file.as_str()),
                _ => file.as_str().to_owned(),
            };
            error = error.at(Some(&path), number(exception.name("line")), None);
        }
        index += 1;
        // With `exceptionFormat = FULL`, the frames follow.
        while indented(log.line(index)) {
            if error.path.is_none() {
                if let Some(frame) = STACK_FRAME.captures(log.line(index)) {
                    let qualified = &frame["class"];
                    if qualified == class || qualified.ends_with(&format!(".{class}")) {
                        let dir = qualified.rsplit_once('.').map(|(p, _)| p.replace('.', "/"));
                        let path = match dir {
                            Some(dir) => format!("{dir}/{}", &frame["file"]),
                            None => frame["file"].to_owned(),
                        };
                        error = error.at(Some(&path), number(frame.name("line")), None);
                    }
                }
            }
            index += 1;
        }
    }
    out.push(Found::error(error));
    index
}

/// Gradle's "What went wrong:" section: the first line says what, the `> …` lines why.
fn what_went_wrong(log: &Log<'_>, start: usize, out: &mut Vec<Found>) -> usize {
    let mut index = start + 1;
    let what = log.line(index).trim();
    if what.is_empty() {
        return index;
    }
    let mut error = BuildError::new("gradle", what, index);
    index += 1;
    while index < log.len() && !log.line(index).is_empty() && !log.line(index).starts_with("* ") {
        push_help(
            &mut error.help,
            log.line(index).trim_start_matches(['>', ' ']),
        );
        index += 1;
    }
    out.push(Found::weak(error));
    index
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<(BuildError, bool)> {
        found(extract, text)
            .into_iter()
            .map(|f| (f.error, f.weak))
            .collect()
    }

    fn strong(found: &[(BuildError, bool)]) -> Vec<&BuildError> {
        found
            .iter()
            .filter(|(_, weak)| !weak)
            .map(|(e, _)| e)
            .collect()
    }

    #[test]
    fn javac_error_with_caret_and_details() {
        let found = run("> Task :compileJava FAILED
/home/vsts/work/1/s/src/main/java/com/acme/App.java:12: error: cannot find symbol
        Foo foo = new Foo();
        ^
  symbol:   class Foo
  location: class App
1 error

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':compileJava'.
> Compilation failed; see the compiler error output for details.

* Try:
> Run with --stacktrace option to get the stack trace.

BUILD FAILED in 3s");
        let errors = strong(&found);
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column), (Some(12), Some(9)));
        assert_eq!(
            errors[0].help,
            ["symbol:   class Foo", "location: class App"]
        );
        let weak: Vec<_> = found
            .iter()
            .filter(|(_, w)| *w)
            .map(|(e, _)| e.message.as_str())
            .collect();
        assert_eq!(weak, ["Execution failed for task ':compileJava'."]);
    }

    #[test]
    fn maven_compile_errors_and_advice() {
        let found = run("[ERROR] COMPILATION ERROR : 
[INFO] -------------------------------------------------------------
[ERROR] /home/vsts/work/1/s/src/main/java/com/acme/App.java:[12,8] cannot find symbol
  symbol:   class Foo
  location: class com.acme.App
[INFO] 1 error
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.13.0:compile (default-compile) on project app: Compilation failure
[ERROR] /home/vsts/work/1/s/src/main/java/com/acme/App.java:[12,8] cannot find symbol
[ERROR]   symbol:   class Foo
[ERROR]   location: class com.acme.App
[ERROR] -> [Help 1]
[ERROR] 
[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.
[ERROR] Re-run Maven using the -X switch to enable full debug logging.");
        let errors = strong(&found);
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].help, errors[1].help);
        assert_eq!((errors[0].line, errors[0].column), (Some(12), Some(8)));
        assert_eq!(found.iter().filter(|(_, w)| *w).count(), 1);
    }

    #[test]
    fn surefire_results_find_the_test_source() {
        let found = run("[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! -- in com.acme.AppTest
[ERROR] com.acme.AppTest.testAdd -- Time elapsed: 0.01 s <<< FAILURE!
org.opentest4j.AssertionFailedError: expected: <4> but was: <3>
\tat org.junit.jupiter.api.AssertionFailureBuilder.build(AssertionFailureBuilder.java:151)
\tat com.acme.AppTest.testAdd(AppTest.java:14)
[INFO] 
[INFO] Results:
[INFO] 
[ERROR] Failures: 
[ERROR]   AppTest.testAdd:14 expected: <4> but was: <3>
[INFO] 
[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0");
        let errors = strong(&found);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert_eq!(
            errors[0].message,
            "AppTest.testAdd: expected: <4> but was: <3>"
        );
        assert_eq!(errors[0].path.as_deref(), Some("com/acme/AppTest.java"));
        assert_eq!(errors[0].line, Some(14));
    }

    #[test]
    fn kotlin_and_gradle_tests() {
        let found = run("> Task :app:compileKotlin FAILED
e: file:///home/vsts/work/1/s/app/src/main/kotlin/com/acme/Main.kt:12:5 Unresolved reference 'fooBar'.
e: /home/vsts/work/1/s/app/src/main/kotlin/Old.kt: (3, 9): Type mismatch: inferred type is String but Int was expected
w: file:///home/vsts/work/1/s/app/src/main/kotlin/W.kt:1:1 Parameter 'x' is never used

com.acme.CalcTest > adds() FAILED
    org.opentest4j.AssertionFailedError at CalcTest.kt:21");
        let errors = strong(&found);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert_eq!(
            errors[0].path.as_deref(),
            Some("/home/vsts/work/1/s/app/src/main/kotlin/com/acme/Main.kt")
        );
        assert_eq!((errors[0].line, errors[0].column), (Some(12), Some(5)));
        assert_eq!(errors[1].line, Some(3));
        assert_eq!(
            errors[2].message,
            "com.acme.CalcTest > adds(): org.opentest4j.AssertionFailedError"
        );
        assert_eq!(errors[2].path.as_deref(), Some("com/acme/CalcTest.kt"));
        // No "What went wrong" in this excerpt: the task's failure is kept, weak.
        assert_eq!(found.iter().filter(|(_, w)| *w).count(), 1);
    }
}
