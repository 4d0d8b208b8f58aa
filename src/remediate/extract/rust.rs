//! rustc, cargo and clippy diagnostics, and the panics of `cargo test`.
//!
//! A diagnostic starts at column 0 with `error[E0308]: …` or `error: …`, is followed by its
//! location (` --> src/lib.rs:4:18`), the code snippet, and its `help:` and `= note:` lines, and
//! ends at the first empty line. Clippy with `-D warnings` prints lints the same way, with the
//! lint's name in a note (`` `-D clippy::needless-return` implied by `-D warnings` ``), which
//! becomes the code. An `error: …` without a location is cargo's own (a failed build script, a
//! missing package) and counts only in a cargo build; cargo's summaries (`could not compile`,
//! `aborting due to`, `test failed, to rerun pass`) are not errors, and warnings never are.
//!
//! `cargo --message-format short` prints a diagnostic on one line: `src/lib.rs:4:18: error[E0308]:
//! mismatched types`.
//!
//! A test panic (`thread 'tests::x' panicked at src/lib.rs:20:9:` and its message on the next
//! lines; since Rust 1.88 the thread's id follows its name: `thread 'tests::x' (27904) panicked
//! at …`; or the one-line form of older toolchains) is reported under the tool `cargo`.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, indented, number, push_help, regex};

static HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^error(?:\[(?P<code>E\d{4})\])?: (?P<msg>.+)$"));
/// `cargo --message-format short`: the whole diagnostic on one line.
static SHORT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>\S.*?\.rs):(?P<line>\d+):(?P<col>\d+): error(?:\[(?P<code>E\d{4})\])?: (?P<msg>.+)$",
    )
});
static ARROW: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*--> (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$"));
/// cargo's summaries of errors printed above.
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?:could not compile |could not document |aborting due to |test failed, to rerun pass |build failed|\d+ previous errors?\b|failed to compile |\d+ targets? failed:)",
    )
});
/// Lines that only cargo prints.
static CARGO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^\s+(?:(?:Compiling|Checking|Documenting) \S+ v\d|Updating crates\.io index|(?:Downloaded|Locking) \d+ (?:crates?|packages?)|Finished `)|^(?:\+ |\$ |##\[command\])?cargo (?:build|test|check|clippy|run|doc|nextest)\b",
    )
});
static NOTE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*(?:= )?(?P<kind>help|note|suggestion): (?P<text>.+)$"));
static LABEL_HELP: LazyLock<Regex> = LazyLock::new(|| regex(r"[\^\-]+ help: (?P<text>.+)$"));
static LINT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"`-[DF] (?P<a>[\w:-]+)` implied by|`#\[(?:deny|forbid)\((?P<b>[\w:]+)\)\]` on by default",
    )
});
static PANIC: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^thread '(?P<name>[^']*)'(?: \(\d+\))? panicked at (?P<path>.+?):(?P<line>\d+):(?P<col>\d+):$",
    )
});
static PANIC_OLD: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^thread '(?P<name>[^']*)'(?: \(\d+\))? panicked at '(?P<msg>.*)$"));
static PANIC_OLD_END: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<msg>.*)', (?P<path>[^\s']+?):(?P<line>\d+):(?P<col>\d+)$"));

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut cargo = false;
    // Inside a failed test's captured output (`---- name stdout ----`), an `error: …` line is the
    // program's, not cargo's.
    let mut captured = false;
    let mut index = 0;
    while index < log.len() {
        let line = log.line(index);
        if !cargo && (line.starts_with(' ') || line.starts_with(['c', '+', '$', '#'])) {
            cargo = CARGO.is_match(line);
        }
        if line.starts_with("---- ")
            && (line.ends_with(" stdout ----") || line.ends_with(" stderr ----"))
        {
            captured = true;
        } else if captured && (line == "failures:" || line.starts_with("test result: ")) {
            captured = false;
        }
        if line.starts_with("error") && !captured {
            if let Some(next) = diagnostic(log, index, cargo, out) {
                cargo = true;
                index = next;
                continue;
            }
        } else if line.starts_with("thread '") {
            if let Some(next) = panic(log, index, out) {
                index = next;
                continue;
            }
        } else if line.contains(".rs:") && !captured {
            if let Some(caps) = SHORT.captures(line) {
                let error = BuildError::new("rustc", &caps["msg"], index)
                    .at(
                        group(&caps, "path"),
                        number(caps.name("line")),
                        number(caps.name("col")),
                    )
                    .with_code(group(&caps, "code"));
                out.push(Found::error(error));
            }
        }
        index += 1;
    }
}

/// The diagnostic that starts at `start`, if it is one; returns where to continue.
fn diagnostic(log: &Log<'_>, start: usize, cargo: bool, out: &mut Vec<Found>) -> Option<usize> {
    let caps = HEADER.captures(log.line(start))?;
    let message = group(&caps, "msg")?;
    if SUMMARY.is_match(message) {
        return None;
    }
    let code = group(&caps, "code");
    let arrow = ARROW.captures(log.line(start + 1));
    if arrow.is_none() && code.is_none() && !cargo {
        return None;
    }
    let mut error = BuildError::new("rustc", message, start).with_code(code);
    let mut index = start + 1;
    if let Some(arrow) = &arrow {
        error = error.at(
            group(arrow, "path"),
            number(arrow.name("line")),
            number(arrow.name("col")),
        );
        index += 1;
    }
    while index < log.len() {
        let line = log.line(index);
        if line.is_empty() || line.starts_with("error") || line.starts_with("warning") {
            break;
        }
        if let Some(note) = NOTE.captures(line) {
            let (kind, text) = (&note["kind"], &note["text"]);
            push_help(&mut error.help, &format!("{kind}: {text}"));
        } else if let Some(label) = LABEL_HELP.captures(line) {
            push_help(&mut error.help, &format!("help: {}", &label["text"]));
        }
        index += 1;
    }
    // cargo's own errors explain themselves under "Caused by:", after an empty line.
    if arrow.is_none() && log.line(index + 1) == "Caused by:" {
        index += 2;
        while index < log.len() && indented(log.line(index)) {
            push_help(
                &mut error.help,
                &format!("caused by: {}", log.line(index).trim()),
            );
            index += 1;
        }
    }
    if error.code.is_none() {
        error.code = error.help.iter().find_map(|help| {
            let lint = LINT.captures(help)?;
            let name = lint.name("a").or_else(|| lint.name("b"))?.as_str();
            (name != "warnings").then(|| name.replace('-', "_"))
        });
    }
    out.push(Found::error(error));
    Some(index)
}

/// A test's (or a program's) panic at `start`; returns where to continue.
fn panic(log: &Log<'_>, start: usize, out: &mut Vec<Found>) -> Option<usize> {
    let first = log.line(start);
    let named = |name: &str, message: &str| match name {
        "main" | "<unnamed>" | "" => message.to_owned(),
        _ => format!("{name}: {message}"),
    };
    if let Some(caps) = PANIC.captures(first) {
        let message = log.line(start + 1);
        let mut error = BuildError::new("cargo", &named(&caps["name"], message.trim()), start).at(
            group(&caps, "path"),
            number(caps.name("line")),
            number(caps.name("col")),
        );
        let mut index = start + 2;
        while index < log.len() {
            let line = log.line(index);
            if line.is_empty()
                || line.starts_with("note: ")
                || line.starts_with("stack backtrace:")
                || line.starts_with("thread '")
                || line.starts_with("---- ")
            {
                break;
            }
            push_help(&mut error.help, line);
            index += 1;
        }
        out.push(Found::error(error));
        return Some(index);
    }
    let caps = PANIC_OLD.captures(first)?;
    // The message may span lines: it ends with `', file:line:col`.
    for (offset, index) in (start..log.len().min(start + 12)).enumerate() {
        let line = if offset == 0 {
            &caps["msg"]
        } else {
            log.line(index)
        };
        if let Some(end) = PANIC_OLD_END.captures(line) {
            let message = if offset == 0 {
                &end["msg"]
            } else {
                &caps["msg"]
            };
            let mut error = BuildError::new("cargo", &named(&caps["name"], message), start).at(
                group(&end, "path"),
                number(end.name("line")),
                number(end.name("col")),
            );
            for between in start + 1..index {
                push_help(&mut error.help, log.line(between));
            }
            if offset > 0 {
                push_help(&mut error.help, &end["msg"]);
            }
            out.push(Found::error(error));
            return Some(index + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::BuildError;
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn a_compiler_error_with_location_snippet_and_help() {
        let found = run("   Compiling demo v0.1.0 (/home/vsts/work/1/s)
error[E0308]: mismatched types
 --> src/lib.rs:4:18
  |
4 |     let x: u32 = \"a\";
  |            ---   ^^^ expected `u32`, found `&str`
  |            |
  |            expected due to this
  |
help: try using a conversion method
  |
4 |     let x: u32 = \"a\".parse().expect(\"number\");
  |                     ++++++++++++++++++++++++

For more information about this error, try `rustc --explain E0308`.
error: could not compile `demo` (lib) due to 1 previous error");
        assert_eq!(found.len(), 1);
        let e = &found[0];
        assert_eq!((e.tool, e.code.as_deref()), ("rustc", Some("E0308")));
        assert_eq!(
            (e.path.as_deref(), e.line, e.column),
            (Some("src/lib.rs"), Some(4), Some(18))
        );
        assert_eq!(e.message, "mismatched types");
        assert_eq!(e.help, ["help: try using a conversion method"]);
        assert_eq!(e.log_line, 1);
    }

    #[test]
    fn clippy_errors_take_the_lint_as_code_and_warnings_are_skipped() {
        let found = run("    Checking demo v0.1.0 (/home/vsts/work/1/s)
warning: unused variable: `y`
 --> src/main.rs:3:9
  |
3 |     let y = 1;
  |         ^ help: if this is intentional, prefix it with an underscore: `_y`
  |
  = note: `#[warn(unused_variables)]` on by default

error: this `if` has identical blocks
  --> src/main.rs:10:13
   |
10 |       if a { 1 } else { 1 }
   |              ^^^^^
   |
   = help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#if_same_then_else
   = note: `-D clippy::if-same-then-else` implied by `-D warnings`
   = help: to override `-D warnings` add `#[allow(clippy::if_same_then_else)]`

error: unused variable: `x`
 --> src/main.rs:2:9
  |
2 |     let x = 5;
  |         ^ help: if this is intentional, prefix it with an underscore: `_x`
  |
  = note: `-D unused-variables` implied by `-D warnings`

error: could not compile `demo` (bin \"demo\") due to 2 previous errors");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0].code.as_deref(), Some("clippy::if_same_then_else"));
        assert_eq!(found[0].line, Some(10));
        assert_eq!(found[0].help.len(), 3);
        assert_eq!(found[1].code.as_deref(), Some("unused_variables"));
        assert_eq!(
            found[1].help[0],
            "help: if this is intentional, prefix it with an underscore: `_x`"
        );
    }

    #[test]
    fn cargo_errors_without_location_count_only_in_a_cargo_build() {
        let found = run("   Compiling openssl-sys v0.9.103
error: failed to run custom build command for `openssl-sys v0.9.103`

Caused by:
  process didn't exit successfully: `/home/vsts/work/1/s/target/debug/build/openssl-sys-1/build-script-main` (exit status: 101)
  --- stderr
");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "failed to run custom build command for `openssl-sys v0.9.103`"
        );
        assert_eq!(found[0].path, None);
        assert_eq!(found[0].help.len(), 2);

        // The same shape from another tool, outside a cargo build, is not rustc's.
        assert!(run("error: pathspec 'main' did not match any file(s) known to git").is_empty());
        assert!(run("error: aborting due to 2 previous errors").is_empty());
        assert!(run("   Compiling x v0.1.0\nerror: could not compile `x`").is_empty());
        assert!(run("errors: 0\nerror_handler.rs compiled").is_empty());
    }

    #[test]
    fn the_short_message_format() {
        let found = run("src/main.rs:3:5: warning: unused import: `std::process`
src/lib.rs:4:18: error[E0308]: mismatched types
src/lib.rs:9:1: error: this `if` has identical blocks");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].code.as_deref(), Some("E0308"));
        assert_eq!((found[1].line, found[1].column), (Some(9), Some(1)));
    }

    #[test]
    fn test_panics_new_and_old() {
        let found = run("running 2 tests
test tests::error_path ... ok
test tests::parses_empty ... FAILED

failures:

---- tests::parses_empty stdout ----

thread 'tests::parses_empty' panicked at src/parse.rs:88:9:
assertion `left == right` failed
  left: 0
 right: 1
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace
");
        assert_eq!(found.len(), 1);
        let e = &found[0];
        assert_eq!(e.tool, "cargo");
        assert_eq!(
            e.message,
            "tests::parses_empty: assertion `left == right` failed"
        );
        assert_eq!(
            (e.path.as_deref(), e.line, e.column),
            (Some("src/parse.rs"), Some(88), Some(9))
        );
        assert_eq!(e.help, ["left: 0", "right: 1"]);

        let old = run(
            "thread 'tests::a' panicked at 'assertion failed: `(left == right)`
  left: `0`,
 right: `1`', src/lib.rs:20:5
thread 'main' panicked at 'boom', src/main.rs:3:5",
        );
        assert_eq!(old.len(), 2, "{old:#?}");
        assert_eq!(
            old[0].message,
            "tests::a: assertion failed: `(left == right)`"
        );
        assert_eq!(old[0].line, Some(20));
        assert_eq!(old[0].help, ["left: `0`,", "right: `1`"]);
        assert_eq!(old[1].message, "boom");
        assert_eq!(old[1].path.as_deref(), Some("src/main.rs"));

        // Rust 1.95, a package folder with a space.
        let current = run(
            "thread 'tests::splits_evenly' (27905) panicked at money core/src/lib.rs:26:9:
assertion `left == right` failed: remainder goes to the first part",
        );
        assert_eq!(current.len(), 1, "{current:#?}");
        assert_eq!(
            (current[0].path.as_deref(), current[0].line),
            (Some("money core/src/lib.rs"), Some(26))
        );
        assert!(
            current[0]
                .message
                .starts_with("tests::splits_evenly: assertion")
        );
    }
}
