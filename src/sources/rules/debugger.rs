//! `debugging/*`: debugging statements left in a change.
//!
//! `debugging/breakpoint` covers statements that stop the program for a debugger or an
//! interactive console: `debugger;` (JavaScript, TypeScript), `binding.pry`, `binding.irb` and
//! `byebug` (Ruby), `pdb.set_trace()`, `ipdb.set_trace()` and the builtin `breakpoint()`
//! (Python), `Debugger.Break()` and `Debugger.Launch()` (.NET), `runtime.Breakpoint()` (Go).
//! In a server, a job or a CI run they hang waiting for a console or crash the process, hence
//! `major`. `debugging/dbg-macro` covers Rust's `dbg!(`, which only prints to stderr, hence
//! `minor`; in tests (test files by directory or name, and code after a file's first
//! `#[cfg(test)]` or `#[test]`) the harness captures its output and nothing ships, so it is not
//! reported there. Each pattern
//! applies to its own language and only to code (not strings or comments).

use std::sync::LazyLock;

use regex::Regex;

use super::registry::{Check, Family, Rule};
use super::syntax::{self, Language};
use super::{FileContext, Line, Sink};
use crate::finding::{Category, Severity};

pub(super) static BREAKPOINT: Rule = Rule {
    code: "debugging/breakpoint",
    severity: Severity::Major,
    category: Category::Stability,
    explanation: "A statement that stops the program for a debugger or an interactive console is \
                  added: `debugger;` (JavaScript, TypeScript), `binding.pry`, `binding.irb` or \
                  `byebug` (Ruby), `pdb.set_trace()`, `ipdb.set_trace()` or `breakpoint()` \
                  (Python), `Debugger.Break()` or `Debugger.Launch()` (.NET), \
                  `runtime.Breakpoint()` (Go). Left in, it pauses a browser with the developer \
                  tools open, hangs a server or a pipeline job waiting for input, or crashes a \
                  process that has no debugger attached. Remove it before merging.",
    family: Family::Debugging,
    check: Check::Line {
        hints: &[
            "debugger",
            "binding.pry",
            "binding.irb",
            "byebug",
            "set_trace(",
            "breakpoint(",
        ],
        long_lines: false,
        run: breakpoint,
    },
};

pub(super) static DBG_MACRO: Rule = Rule {
    code: "debugging/dbg-macro",
    severity: Severity::Minor,
    category: Category::Maintainability,
    explanation: "Rust's `dbg!(` macro is added. It prints the expression, its file and line to \
                  standard error in every build, debug or release, which clutters logs and can \
                  expose values that were never meant to be printed. Remove it, or log through \
                  the project's logging facility at a debug level. Test code (test files, and \
                  code after a file's first `#[cfg(test)]` or `#[test]`) is not reported: the \
                  test harness captures the output and none of it ships.",
    family: Family::Debugging,
    check: Check::Line {
        hints: &["dbg!"],
        long_lines: false,
        run: dbg_macro,
    },
};

/// Reports Rust's `dbg!` outside tests.
fn dbg_macro(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let language = ctx.syntax.language;
    if language == Language::Rust
        && first_in_code(&RUST_DBG, line.text, language, 1).is_some()
        && !ctx.in_tests(line.number)
    {
        sink.push(&DBG_MACRO, line.number, DBG_MACRO.severity, || {
            "`dbg!` left in the code: it prints to standard error in every build. Remove it or \
             log at a debug level instead."
                .to_string()
        });
    }
}

/// Reports a statement that stops the program for a debugger.
fn breakpoint(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let language = ctx.syntax.language;
    let statement = match language {
        Language::JavaScript => first_in_code(&JS_DEBUGGER, line.text, language, 1),
        Language::Ruby => first_in_code(&RUBY_BREAK, line.text, language, 1),
        Language::Python if !line.text.trim_start().starts_with("def ") => {
            first_in_code(&PYTHON_BREAK, line.text, language, 1)
        }
        Language::DotNet => first_in_code(&DOTNET_BREAK, line.text, language, 0),
        Language::Go => first_in_code(&GO_BREAK, line.text, language, 0),
        _ => None,
    };
    let Some(statement) = statement else { return };
    sink.push(&BREAKPOINT, line.number, BREAKPOINT.severity, || {
        format!(
            "`{statement}` left in the code: it stops the program for a debugger or a console, \
             which hangs servers and pipeline jobs. Remove it before merging."
        )
    });
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the debugging patterns are valid")
}

static RUST_DBG: LazyLock<Regex> = LazyLock::new(|| regex(r"(?:^|[^\w])(dbg!\s*\()"));
/// `debugger` as a statement: not a property (`.debugger`, `debugger:`), not part of a word.
static JS_DEBUGGER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?:^|[^\w$.])(debugger)\s*(?:;|$|\}|//)"));
static RUBY_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:^|[^\w.])(binding\.(?:pry|irb)|byebug)\b\s*(?:$|;|#|\bif\b|\bunless\b)")
});
/// `pdb.set_trace(` and friends, and the builtin `breakpoint(` (not a method, not a definition).
static PYTHON_BREAK: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?:^|[^\w.])((?:pdb|ipdb|pudb|ptpdb|rpdb)\.set_trace\s*\(|breakpoint\s*\()")
});
static DOTNET_BREAK: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(?:System\.Diagnostics\.)?Debugger\.(?:Break|Launch)\s*\(\s*\)"));
static GO_BREAK: LazyLock<Regex> = LazyLock::new(|| regex(r"\bruntime\.Breakpoint\s*\(\s*\)"));

/// The first match of `pattern` (its capture `group`) that lies in code, as a message shows it.
fn first_in_code(pattern: &Regex, text: &str, language: Language, group: usize) -> Option<String> {
    pattern.captures_iter(text).find_map(|caps| {
        let found = caps.get(group)?;
        if !syntax::in_code(text, found.start(), language) {
            return None;
        }
        let call = found.as_str();
        Some(match call.strip_suffix('(') {
            Some(name) => format!("{}()", name.trim_end()),
            None => call.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::finding::Severity;

    const BREAKPOINT: &str = "debugging/breakpoint";
    const DBG: &str = "debugging/dbg-macro";

    /// Statement names built at run time, so that this file holds none.
    fn js_statement() -> String {
        ["debug", "ger;"].concat()
    }
    fn dbg_call() -> String {
        ["db", "g!(x)"].concat()
    }

    #[test]
    fn breakpoints_are_major_in_their_languages() {
        for (path, line) in [
            ("app.js", format!("  {}", js_statement())),
            ("app.tsx", format!("if (x) {{ {} }}", js_statement())),
            ("app.ts", ["  debug", "ger"].concat()),
            ("app.rb", ["  binding", ".pry"].concat()),
            ("app.rb", ["  binding", ".irb"].concat()),
            ("app.rb", ["  bye", "bug"].concat()),
            ("app.py", ["    import pdb; pdb", ".set_trace()"].concat()),
            ("app.py", ["    ipdb", ".set_trace()"].concat()),
            ("app.py", ["    break", "point()"].concat()),
            (
                "App.cs",
                ["        System.Diagnostics.Debugger", ".Break();"].concat(),
            ),
            ("App.cs", ["        Debugger", ".Launch();"].concat()),
            ("main.go", ["\truntime", ".Breakpoint()"].concat()),
        ] {
            let findings = added_file(path, &format!("{line}\n"));
            assert_eq!(codes(&findings), [BREAKPOINT], "{path}: {line}");
            assert_eq!(findings[0].severity, Severity::Major);
        }
    }

    #[test]
    fn lookalikes_are_quiet() {
        let statement = js_statement();
        for (path, line) in [
            ("app.js", format!("// {statement}")),
            ("app.js", format!("const s = '{statement}';")),
            ("app.js", ["const opts = { debug", "ger: true };"].concat()),
            ("app.js", ["if (window.debug", "ger) {"].concat()),
            ("app.rs", format!("  {statement}")),
            (
                "app.py",
                ["    debugger.set_", "breakpoint(frame)"].concat(),
            ),
            ("app.py", ["    self.break", "point()"].concat()),
            ("app.py", ["    def break", "point(self):"].concat()),
            ("app.py", ["    # break", "point() here"].concat()),
            ("app.rb", ["  require 'bye", "bug'"].concat()),
            ("App.cs", ["  if (Debugger", ".IsAttached) {}"].concat()),
            ("README.md", ["  binding", ".pry"].concat()),
        ] {
            assert!(
                added_file(path, &format!("{line}\n")).is_empty(),
                "{path}: {line}"
            );
        }
    }

    #[test]
    fn dbg_macro_is_minor_in_rust_code_only() {
        let findings = added_file("src/a.rs", &format!("    let y = {};\n", dbg_call()));
        assert_eq!(codes(&findings), [DBG]);
        assert_eq!(findings[0].severity, Severity::Minor);
        assert!(added_file("src/a.rs", &format!("    // {}\n", dbg_call())).is_empty());
        assert!(added_file("src/a.rs", &format!("    /// {}\n", dbg_call())).is_empty());
        assert!(added_file("src/a.rs", &format!("    let s = \"{}\";\n", dbg_call())).is_empty());
        assert!(added_file("src/a.rs", "    my_dbg!(x);\n").is_empty());
        assert!(added_file("a.md", &format!("{}\n", dbg_call())).is_empty());
        // Test code: the harness captures the output.
        assert!(added_file("tests/parse.rs", &format!("    {};\n", dbg_call())).is_empty());
        let module = format!(
            "fn f() {{}}\n#[cfg(test)]\nmod tests {{\n    fn t() {{ {}; }}\n}}\n",
            dbg_call()
        );
        assert!(added_file("src/a.rs", &module).is_empty());
    }
}
