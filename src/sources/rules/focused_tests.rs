//! `tests/focused-test` and `tests/disabled-test`: test-runner switches that change which tests
//! run, left in a change.
//!
//! Focused tests (`it.only(`, `describe.only(`, `fit(`, …) make the runner skip every other test
//! of the suite, silently. Disabled tests without a reason (`#[ignore]`, `@Ignore`, `[Ignore]`,
//! `@Disabled`, `xit(`, `it.skip(`, `@pytest.mark.skip`, `t.Skip()`) lose coverage without
//! saying why; a comment on the same line or the line above counts as the reason. Each pattern
//! applies only to the languages whose test frameworks define it, and only to code (not strings
//! or comments).

use std::sync::LazyLock;

use regex::Regex;

use super::registry::{Check, Family, Rule};
use super::syntax::{self, Language};
use super::{FileContext, Line, Sink};
use crate::finding::{Category, Severity};

pub(super) static FOCUSED: Rule = Rule {
    code: "tests/focused-test",
    severity: Severity::Major,
    category: Category::Correctness,
    explanation: "A focused test (`it.only(`, `describe.only(`, `test.only(`, `context.only(`, \
                  `fit(`, `fdescribe(`, `fcontext(`) is added. Mocha, Jest, Jasmine, Vitest and \
                  Playwright then run only the focused tests and report success while every \
                  other test of the suite is skipped, so the build stays green whatever else \
                  breaks. Remove the focus before merging; the suggestion does exactly that.",
    family: Family::Tests,
    check: Check::Line {
        hints: &[".only", "fit(", "fdescribe(", "fcontext("],
        long_lines: false,
        run: focused,
    },
};

pub(super) static DISABLED: Rule = Rule {
    code: "tests/disabled-test",
    severity: Severity::Minor,
    category: Category::Maintainability,
    explanation: "A test is disabled without a reason: `#[ignore]` (Rust) without `= \"reason\"`, \
                  `@Ignore` or `@Disabled` (JUnit) without a value, `[Ignore]` (MSTest, NUnit) \
                  without a message, bare `@pytest.mark.skip`, `t.Skip()` or `t.SkipNow()` (Go), \
                  or `xit(`, `xdescribe(`, `it.skip(`, `test.skip(`, `describe.skip(` \
                  (JavaScript, which has no reason argument). A comment after it on the same \
                  line, or on the line above, counts as a reason. A disabled test stops guarding \
                  its behaviour and is easily forgotten; say why it is off and when it can come \
                  back.",
    family: Family::Tests,
    check: Check::Line {
        hints: &[
            "ignore",
            "@disabled",
            "xit(",
            "xdescribe(",
            "xcontext(",
            "xtest(",
            ".skip",
            "skipnow(",
        ],
        long_lines: false,
        run: disabled,
    },
};

/// Reports a focused test (JavaScript's runners are the ones that have them).
fn focused(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    if ctx.syntax.language == Language::JavaScript {
        focused_javascript(line, sink);
    }
}

/// Reports a test disabled without a reason.
fn disabled(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let language = ctx.syntax.language;
    let found = match language {
        Language::JavaScript => {
            first_call(&JS_SKIPPED, line.text, language).map(|call| format!("`{call}(`"))
        }
        Language::Rust => first_call(&RUST_IGNORE, line.text, language)
            .map(|_| "`#[ignore]` without a reason".to_string()),
        Language::Jvm => first_call(&JVM_IGNORE, line.text, language)
            .map(|_| "`@Ignore`/`@Disabled` without a reason".to_string()),
        Language::DotNet => first_call(&DOTNET_IGNORE, line.text, language)
            .map(|_| "`[Ignore]` without a reason".to_string()),
        Language::Python => first_call(&PYTEST_SKIP, line.text, language)
            .map(|_| "`@pytest.mark.skip` without a reason".to_string()),
        Language::Go => first_call(&GO_SKIP, line.text, language)
            .map(|_| "`t.Skip()` without a reason".to_string()),
        _ => None,
    };
    match found {
        Some(what) if !explained(ctx, line) => {
            sink.push(&DISABLED, line.number, DISABLED.severity, || {
                format!(
                    "Test disabled with {what}. Say why it is off (and when it can come \
                     back), or re-enable it."
                )
            });
        }
        _ => {}
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the test-runner patterns are valid")
}

/// `it.only('…'`, `test.describe.only("…"`, `fit(`…: a focused block with a title.
static JS_FOCUSED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?:^|[^\w$.])(?P<call>(?:describe|it|test|context|suite|specify)(?:\.describe)?\.only|fit|fdescribe|fcontext)\s*\(\s*['"`]"#,
    )
});

fn focused_javascript(line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let mut fixed = String::with_capacity(text.len());
    let mut copied = 0;
    let mut first: Option<String> = None;
    for caps in JS_FOCUSED.captures_iter(text) {
        let Some(call) = caps.name("call") else {
            continue;
        };
        if !syntax::in_code(text, call.start(), Language::JavaScript) {
            continue;
        }
        let name = call.as_str();
        let unfocused = match name.strip_suffix(".only") {
            Some(rest) => rest,
            None => &name[1..],
        };
        fixed.push_str(&text[copied..call.start()]);
        fixed.push_str(unfocused);
        copied = call.end();
        first.get_or_insert_with(|| name.to_string());
    }
    let Some(name) = first else { return };
    fixed.push_str(&text[copied..]);
    sink.push_hit(
        &FOCUSED,
        line.number,
        line.number,
        FOCUSED.severity,
        || {
            format!(
                "Focused test `{name}(`: the runner will skip every other test in the suite. \
                 Remove the focus before merging."
            )
        },
        Some(fixed),
    );
}

/// `xit('…'`, `it.skip('…'`: a skipped block with a title.
static JS_SKIPPED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?:^|[^\w$.])(?P<call>(?:describe|it|test|context|suite|specify)(?:\.describe)?\.skip|xit|xdescribe|xcontext|xtest)\s*\(\s*['"`]"#,
    )
});

static RUST_IGNORE: LazyLock<Regex> = LazyLock::new(|| regex(r"#\[\s*ignore\s*\]"));
/// `@Ignore` or `@Disabled` not followed by an argument list holding a value.
static JVM_IGNORE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"@(?:org\.junit\.(?:jupiter\.api\.)?)?(?:Ignore|Disabled)(?:\s*\(\s*\))?(?:$|[^\w(])"#)
});
/// `[Ignore]`, `[Ignore()]`, `[TestMethod, Ignore]`.
static DOTNET_IGNORE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"[\[,]\s*(?:NUnit\.Framework\.)?Ignore(?:Attribute)?\s*(?:\(\s*\))?\s*[\],]")
});
static PYTEST_SKIP: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*@pytest\.mark\.skip\s*(?:\(\s*\))?\s*(?:#.*)?$"));
static GO_SKIP: LazyLock<Regex> = LazyLock::new(|| regex(r"\b[tb]\.Skip(?:Now)?\(\s*\)"));

/// The first match of `pattern` that lies in code: its `call` group if it has one, else the
/// whole match.
fn first_call<'t>(pattern: &Regex, text: &'t str, language: Language) -> Option<&'t str> {
    pattern.captures_iter(text).find_map(|caps| {
        let found = caps.name("call").or_else(|| caps.get(0))?;
        syntax::in_code(text, found.start(), language).then_some(found.as_str())
    })
}

/// Whether a comment on the line (after the code) or on the line above gives the reason.
fn explained(ctx: &FileContext<'_>, line: &Line<'_>) -> bool {
    let language = ctx.syntax.language;
    if !syntax::in_code(line.text, line.text.len(), language) {
        return true;
    }
    let Some(above) = line.number.checked_sub(1).and_then(|n| ctx.line_text(n)) else {
        return false;
    };
    let above = above.trim_start();
    let comments = ctx.syntax.comments;
    comments.line.iter().any(|leader| above.starts_with(leader))
        || (comments.block && (above.starts_with("/*") || above.starts_with("* ")))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const FOCUSED: &str = "tests/focused-test";
    const DISABLED: &str = "tests/disabled-test";

    /// `name` + `.only` or `.skip`, built at run time.
    fn dotted(name: &str, switch: &str) -> String {
        format!("{name}.{switch}")
    }

    #[test]
    fn focused_javascript_tests_are_major_with_an_exact_fix() {
        for (call, plain) in [
            (dotted("it", "only"), "it"),
            (dotted("describe", "only"), "describe"),
            (dotted("test", "only"), "test"),
            (dotted("context", "only"), "context"),
            (dotted("test.describe", "only"), "test.describe"),
            (["f", "it"].concat(), "it"),
            (["f", "describe"].concat(), "describe"),
            (["f", "context"].concat(), "context"),
        ] {
            let line = format!("  {call}('logs in', async () => {{\n");
            let findings = added_file("login.spec.ts", &line);
            assert_eq!(codes(&findings), [FOCUSED], "{line}");
            assert_eq!(findings[0].severity, crate::finding::Severity::Major);
            let fixed = format!("  {plain}('logs in', async () => {{");
            assert_eq!(findings[0].suggestion.as_deref(), Some(fixed.as_str()));
        }
    }

    #[test]
    fn non_focus_calls_are_quiet() {
        let only = dotted("it", "only");
        for (path, line) in [
            ("model.py", "model.fit(X, y)".to_string()),
            ("a.js", "model.fit(data)".to_string()),
            ("a.js", "function fit(a, b) {}".to_string()),
            ("a.js", "const fit = (x) => x;".to_string()),
            ("a.js", format!("// {only}('x') helps when debugging")),
            ("a.js", format!("const doc = \"use {only}('x')\";")),
            ("README.md", format!("{only}('logs in', () => {{}})")),
            ("a.js", "items.only(x => x.ok)".to_string()),
        ] {
            assert!(
                added_file(path, &format!("{line}\n")).is_empty(),
                "{path}: {line}"
            );
        }
    }

    #[test]
    fn disabled_tests_without_a_reason_are_minor() {
        let skip = dotted("it", "skip");
        for (path, line) in [
            ("src/lib.rs", "#[ignore]".to_string()),
            ("FooTest.java", "    @Ignore".to_string()),
            ("FooTest.java", "    @Disabled()".to_string()),
            ("FooTest.kt", "@org.junit.Ignore fun slow() {}".to_string()),
            ("FooTests.cs", "    [Ignore]".to_string()),
            ("FooTests.cs", "    [TestMethod, Ignore]".to_string()),
            ("test_foo.py", "@pytest.mark.skip".to_string()),
            ("foo_test.go", "\tt.Skip()".to_string()),
            ("foo_test.go", "\tt.SkipNow()".to_string()),
            ("a.test.js", format!("{skip}('works', () => {{")),
            ("a.test.js", "xit('works', () => {".to_string()),
            ("a.test.js", "xdescribe('suite', () => {".to_string()),
        ] {
            let findings = added_file(path, &format!("{line}\n"));
            assert_eq!(codes(&findings), [DISABLED], "{path}: {line}");
            assert_eq!(findings[0].severity, crate::finding::Severity::Minor);
        }
    }

    #[test]
    fn disabled_tests_with_a_reason_are_quiet() {
        let skip = dotted("it", "skip");
        for (path, line) in [
            ("src/lib.rs", "#[ignore = \"needs a database\"]".to_string()),
            (
                "FooTest.java",
                "@Ignore(\"flaky on CI, see #12\")".to_string(),
            ),
            (
                "FooTest.java",
                "@Disabled(\"until the API is back\")".to_string(),
            ),
            ("FooTest.java", "@DisabledOnOs(OS.WINDOWS)".to_string()),
            ("FooTest.java", "import org.junit.Ignore;".to_string()),
            (
                "FooTests.cs",
                "[Ignore(\"Requires Azure credentials\")]".to_string(),
            ),
            ("FooTests.cs", "[Fact(Skip = \"flaky\")]".to_string()),
            (
                "test_foo.py",
                "@pytest.mark.skip(reason=\"no network\")".to_string(),
            ),
            ("foo_test.go", "t.Skip(\"needs docker\")".to_string()),
            (
                "a.test.js",
                format!("{skip}('works', () => {{ // flaky: #123"),
            ),
            (
                "a.test.js",
                "test.skip(isWindows, 'no symlinks on Windows')".to_string(),
            ),
            ("a.js", "const ignore = true; items.skip(3)".to_string()),
            ("src/lib.rs", "// #[ignore]".to_string()),
            ("a.gitignore", "#[ignore]".to_string()),
        ] {
            assert!(
                added_file(path, &format!("{line}\n")).is_empty(),
                "{path}: {line}"
            );
        }
        let explained = format!("  // Flaky on CI, see #42.\n  {skip}('works', () => {{\n");
        assert!(added_file("a.test.ts", &explained).is_empty());
        let explained = "    #[test]\n    #[ignore] // only compilation is checked\n";
        assert!(added_file("src/lib.rs", explained).is_empty());
        let explained = "    // Needs a live database.\n    #[ignore]\n";
        assert!(added_file("src/lib.rs", explained).is_empty());
    }
}
