//! What the agent says about a build error: what it means and how to fix it.
//!
//! The fix comes from a [`FixAdvisor`]. The built-in one, [`ToolHelp`], uses the tool's own
//! help and suggestion lines (rustc's `help:`, a compiler's "did you mean"); an advisor that
//! asks a language model can take its place without touching the rest of remediation.

use std::collections::{HashMap, HashSet};

use super::Located;
use super::extract::BuildError;
use super::failure::FailedStep;
use crate::finding::{Category, Finding, Fingerprint, Severity};
use crate::publish::markdown::{MAX_COMMENT_CHARS, truncate};

/// Writes the "how to fix" part for an error, given the source lines around it.
pub trait FixAdvisor {
    fn advise(&self, error: &BuildError) -> Option<String>;
}

/// The tool's own help lines, as the tool printed them.
pub struct ToolHelp;

impl FixAdvisor for ToolHelp {
    fn advise(&self, error: &BuildError) -> Option<String> {
        let help: Vec<&str> = error
            .help
            .iter()
            .map(|h| h.trim())
            .filter(|h| !h.is_empty())
            .collect();
        (!help.is_empty()).then(|| {
            help.iter()
                .map(|h| format!("- {}", escape(h)))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }
}

/// What a failing tool means for the build, in one sentence.
fn meaning(tool: &str) -> &'static str {
    match tool {
        "rustc" | "cargo" | "clippy" => {
            "The Rust compiler rejected this line, so the crate did not build."
        }
        "gcc" | "clang" => "The C/C++ compiler rejected this line, so the build stopped.",
        "msbuild" | "dotnet" => {
            "The .NET build reported an error here, so the project did not build."
        }
        "tsc" => "The TypeScript compiler found a type error here, so the build failed.",
        "eslint" => "ESLint reports this as an error, and the lint step failed because of it.",
        "go" => "The Go toolchain rejected this line (build, vet or a failing test).",
        "javac" | "maven" | "gradle" | "kotlinc" => {
            "The JVM build reported an error here, so compilation failed."
        }
        "pytest" => "A Python test failed at this line.",
        "jest" | "vitest" => "A JavaScript test failed at this line.",
        "npm" => "npm stopped with an error.",
        _ => "A build step reported this error, and the build failed.",
    }
}

fn escape(text: &str) -> String {
    text.replace('<', "&lt;")
}

fn fenced(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}\n{text}\n{fence}")
}

fn heading(error: &BuildError) -> String {
    match &error.code {
        Some(code) => format!("{} {code}", error.tool),
        None => error.tool.to_owned(),
    }
}

/// The text of an inline remediation thread.
pub(super) fn inline_body(item: &Located, advisor: &dyn FixAdvisor) -> String {
    let error = &item.error;
    let mut body = format!(
        "**The build failed here** ({} in step \"{}\")\n\n{}\n\n{}",
        heading(error),
        escape(&item.step),
        fenced(&error.message),
        meaning(error.tool)
    );
    match advisor.advise(error) {
        Some(fix) => body.push_str(&format!("\n\n**How to fix**\n\n{fix}")),
        None => body.push_str(
            "\n\n**How to fix**\n\nCorrect this line so that the step passes, then push again.",
        ),
    }
    if let Some(url) = &item.log_url {
        body.push_str(&format!("\n\n[Open the log]({url})"));
    }
    body
}

/// The inline threads for errors on lines the pull request changed, each given with its
/// repository path and S-side line: one per error and place. The same error reported at one
/// place by two steps (or twice by one tool) is one thread; the same message at several lines
/// of a file is one thread per line, each with its own fingerprint (the message and its rank
/// among the same message's lines in the file, not the line number, so that lines added above
/// do not make an error look new).
pub(super) fn inline_findings(
    errors: &[(&Located, &str, u32)],
    advisor: &dyn FixAdvisor,
) -> Vec<Finding> {
    let mut seen: HashSet<(&str, u32, String)> = HashSet::new();
    let mut placed: Vec<(&Located, &str, u32, String)> = Vec::new();
    for (item, path, line) in errors {
        let identity = identity(&item.error);
        if seen.insert((path, *line, identity.clone())) {
            placed.push((item, path, *line, identity));
        }
    }
    placed.sort_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)));
    let mut rank: HashMap<(&str, String), u32> = HashMap::new();
    placed
        .into_iter()
        .map(|(item, path, line, identity)| {
            let occurrence = rank.entry((path, identity.clone())).or_insert(0);
            let fingerprint = Fingerprint::compute("remediation", path, &identity, *occurrence);
            *occurrence += 1;
            Finding {
                path: path.to_owned(),
                line,
                end_line: line,
                severity: Severity::Major,
                category: Category::Correctness,
                rule: format!("remediation/{}", item.error.tool),
                source: item.error.tool.to_owned(),
                message: inline_body(item, advisor),
                suggestion: None,
                fingerprint,
            }
        })
        .collect()
}

/// What makes two reports the same error, wherever they are: the tool, its code and the
/// message with its whitespace normalised.
fn identity(error: &BuildError) -> String {
    let normalised: String = error
        .message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{}|{}|{}",
        error.tool,
        error.code.as_deref().unwrap_or_default(),
        normalised
    )
}

/// How many errors of the summary are shown with an excerpt.
const SHOWN: usize = 10;

/// How many errors the summary's list of every error names; it then counts the rest.
const LISTED: usize = 50;

/// At most this many characters of one message or one log line are quoted in the summary: a
/// minified bundle's line is a megabyte, and ten of them would not fit in one comment.
const MAX_QUOTED_CHARS: usize = 300;

/// The remediation summary: the failing steps; every error found (where, what, which step),
/// capped with a count of the rest; then the errors not posted on a changed line, with a short
/// log excerpt and the tool's help. It stays under Azure DevOps' limit for one comment.
///
/// `every` holds every error found, `elsewhere` those not posted inline, and `inline` how many
/// were.
pub(super) fn summary(
    build_id: &str,
    steps: &[FailedStep],
    every: &[Located],
    elsewhere: &[&Located],
    inline: usize,
) -> String {
    let mut text = format!(
        "## CodeRabbit build remediation\n\nBuild {build_id} failed in {} step(s):\n\n",
        steps.len()
    );
    for step in steps {
        let link = step
            .log_url
            .as_ref()
            .map(|u| format!(" ([log]({u}))"))
            .unwrap_or_default();
        text.push_str(&format!(
            "- **{}**: {} error(s){link}\n",
            escape(&quoted(&step.name)),
            step.errors.len()
        ));
    }
    if !every.is_empty() {
        text.push_str(&format!("\n### Every error found ({})\n\n", every.len()));
        for item in every.iter().take(LISTED) {
            let changed = if elsewhere.iter().any(|e| std::ptr::eq(*e, item)) {
                ""
            } else {
                ", on a line this pull request changed"
            };
            text.push_str(&format!(
                "- {} — {}: {} (step \"{}\"{changed})\n",
                place(item),
                heading(&item.error),
                code_span(&quoted(&item.error.message)),
                escape(&quoted(&item.step))
            ));
        }
        if every.len() > LISTED {
            text.push_str(&format!(
                "- …and {} more error(s); see the logs.\n",
                every.len() - LISTED
            ));
        }
    }
    if inline > 0 {
        text.push_str(&format!("\n{inline} error(s) are on lines this pull request changed: see the comments on those lines.\n"));
    }
    if !elsewhere.is_empty() {
        text.push_str("\n### Errors outside the lines this pull request changed\n\n");
        for item in elsewhere.iter().take(SHOWN) {
            text.push_str(&format!(
                "#### {} — {}\n\n{}\n",
                place(item),
                heading(&item.error),
                fenced(&quoted(&item.error.message))
            ));
            let step = steps.iter().find(|s| s.name == item.step);
            if let Some(excerpt) = step.and_then(|s| excerpt(&s.tail, item.error.log_line)) {
                text.push_str(&format!(
                    "\n<details><summary>Log excerpt</summary>\n\n{}\n\n</details>\n",
                    fenced(&excerpt)
                ));
            }
            let help = ToolHelp.advise(&item.error).map(|fix| {
                fix.lines()
                    .map(|line| quoted(line).into_owned())
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            if let Some(fix) = help {
                text.push_str(&format!("\n{fix}\n"));
            }
            text.push('\n');
        }
        if elsewhere.len() > SHOWN {
            text.push_str(&format!(
                "…and {} more error(s) outside the changed lines; see the logs.\n",
                elsewhere.len() - SHOWN
            ));
        }
    }
    if steps.iter().all(|s| s.errors.is_empty()) {
        text.push_str("\nNo error message could be extracted from the logs; open the failed steps' logs above.\n");
    }
    truncate(text, MAX_COMMENT_CHARS)
}

/// Where an error is, as the summary names it.
fn place(item: &Located) -> String {
    match (&item.path, item.line, &item.error.path, item.error.line) {
        (Some(path), Some(line), _, _) => code_span(&format!("{path}:{line}")),
        (Some(path), None, _, Some(line)) => format!(
            "{} (line {line} of the merged code the build compiled, which comes from the target branch)",
            code_span(path)
        ),
        (Some(path), None, _, None) => code_span(path),
        (None, _, Some(raw), Some(line)) => format!(
            "{} (outside the repository)",
            code_span(&quoted(&format!("{raw}:{line}")))
        ),
        (None, _, Some(raw), None) => {
            format!("{} (outside the repository)", code_span(&quoted(raw)))
        }
        _ => format!("step \"{}\"", escape(&quoted(&item.step))),
    }
}

/// `text` as an inline code span, whatever backticks it holds.
fn code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

/// `text` cut to [`MAX_QUOTED_CHARS`] characters, with an ellipsis when it was longer.
fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

/// A few log lines around the error (the tail the extractors read).
pub(crate) fn excerpt(tail: &[String], at: usize) -> Option<String> {
    if tail.is_empty() || at >= tail.len() {
        return None;
    }
    let start = at.saturating_sub(2);
    let end = (at + 6).min(tail.len());
    Some(
        tail[start..end]
            .iter()
            .map(|line| quoted(line))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::markdown::utf16_len;

    fn error(
        tool: &'static str,
        path: &str,
        line: u32,
        message: &str,
        log_line: usize,
    ) -> BuildError {
        BuildError {
            tool,
            path: Some(path.to_owned()),
            line: Some(line),
            column: None,
            code: None,
            message: message.to_owned(),
            help: Vec::new(),
            log_line,
        }
    }

    fn located(error: BuildError, step: &str, line: Option<u32>) -> Located {
        Located {
            path: error.path.clone(),
            line,
            error,
            step: step.to_owned(),
            log_url: None,
        }
    }

    fn step(name: &str, errors: Vec<BuildError>, tail: Vec<String>) -> FailedStep {
        FailedStep {
            name: name.to_owned(),
            log_url: None,
            errors,
            tail,
        }
    }

    #[test]
    fn the_summary_lists_every_error_inline_or_not() {
        let on_line = located(
            error("rustc", "src/lib.rs", 3, "mismatched types", 0),
            "Build",
            Some(3),
        );
        let elsewhere = located(
            error(
                "pytest",
                "tests/test_a.py",
                9,
                "test_a: AssertionError: assert 1 == 2",
                1,
            ),
            "Unit tests",
            Some(9),
        );
        let steps = [
            step("Build", vec![on_line.error.clone()], vec![]),
            step("Unit tests", vec![elsewhere.error.clone()], vec![]),
        ];
        let every = [on_line.clone(), elsewhere.clone()];
        let text = summary("42", &steps, &every, &[&every[1]], 1);
        assert!(text.contains("### Every error found (2)"), "{text}");
        assert!(
            text.contains(
                "- `src/lib.rs:3` — rustc: `mismatched types` (step \"Build\", on a line this pull request changed)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "- `tests/test_a.py:9` — pytest: `test_a: AssertionError: assert 1 == 2` (step \"Unit tests\")"
            ),
            "{text}"
        );
        assert!(text.contains("1 error(s) are on lines this pull request changed"));
        assert!(text.contains("#### `tests/test_a.py:9` — pytest"));
        assert!(!text.contains("#### `src/lib.rs:3`"));
    }

    #[test]
    fn the_list_is_capped_with_a_count_of_the_rest() {
        let every: Vec<Located> = (1..=LISTED as u32 + 7)
            .map(|n| {
                located(
                    error("tsc", "src/a.ts", n, "Type 'string' is not assignable", 0),
                    "Build",
                    Some(n),
                )
            })
            .collect();
        let steps = [step(
            "Build",
            every.iter().map(|l| l.error.clone()).collect(),
            vec![],
        )];
        let text = summary("42", &steps, &every, &[], every.len());
        assert!(text.contains(&format!("### Every error found ({})", LISTED + 7)));
        assert_eq!(text.matches("— tsc:").count(), LISTED);
        assert!(
            text.contains("- …and 7 more error(s); see the logs."),
            "{text}"
        );
    }

    #[test]
    fn enormous_log_lines_keep_the_summary_under_the_comment_limit() {
        // Ten errors, each on and around a minified bundle's line of a megabyte.
        let bundle = format!("!function(e){{{}}}", "var a=1;".repeat(128 * 1024));
        let tail: Vec<String> = (0..40)
            .map(|i| {
                if i % 2 == 0 {
                    bundle.clone()
                } else {
                    format!("error line {i}")
                }
            })
            .collect();
        let errors: Vec<BuildError> = (0..10)
            .map(|i| {
                error(
                    "node",
                    "dist/app.min.js",
                    1,
                    &format!("{i}: {bundle}"),
                    i * 4,
                )
            })
            .collect();
        let every: Vec<Located> = errors
            .iter()
            .map(|e| Located {
                path: None,
                ..located(e.clone(), "Bundle", None)
            })
            .collect();
        let elsewhere: Vec<&Located> = every.iter().collect();
        let steps = [step("Bundle", errors, tail)];
        let text = summary("42", &steps, &every, &elsewhere, 0);
        assert!(
            utf16_len(&text) <= MAX_COMMENT_CHARS,
            "{}",
            utf16_len(&text)
        );
        // Every error is still there, each quoted line cut with an ellipsis.
        assert_eq!(
            text.matches("#### `dist/app.min.js:1` (outside the repository)")
                .count(),
            10,
            "{}",
            &text[..2000]
        );
        assert!(
            text.lines()
                .all(|line| line.chars().count() <= MAX_QUOTED_CHARS + 200)
        );
        assert!(text.lines().any(|line| line.starts_with("!function(e){")
            && line.ends_with('…')
            && line.chars().count() == MAX_QUOTED_CHARS + 1));
    }

    #[test]
    fn one_thread_per_place_not_per_message() {
        let first = located(
            error("rustc", "src/lib.rs", 31, "mismatched types", 0),
            "Build",
            Some(31),
        );
        let second = located(
            error("rustc", "src/lib.rs", 35, "mismatched types", 9),
            "Build",
            Some(35),
        );
        let again = located(
            error("rustc", "src/lib.rs", 31, "mismatched types", 0),
            "Clippy",
            Some(31),
        );
        let findings = inline_findings(
            &[
                (&first, "src/lib.rs", 31),
                (&second, "src/lib.rs", 35),
                (&again, "src/lib.rs", 31),
            ],
            &ToolHelp,
        );
        let lines: Vec<u32> = findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [31, 35]);
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
        // Lines added above move both errors, not their fingerprints.
        let moved = [
            located(
                error("rustc", "src/lib.rs", 41, "mismatched types", 0),
                "Build",
                Some(41),
            ),
            located(
                error("rustc", "src/lib.rs", 45, "mismatched types", 9),
                "Build",
                Some(45),
            ),
        ];
        let again = inline_findings(
            &[(&moved[0], "src/lib.rs", 41), (&moved[1], "src/lib.rs", 45)],
            &ToolHelp,
        );
        assert_eq!(
            again.iter().map(|f| &f.fingerprint).collect::<Vec<_>>(),
            findings.iter().map(|f| &f.fingerprint).collect::<Vec<_>>()
        );
    }
}
