//! What the agent says about a build error: what it means and how to fix it.
//!
//! The fix comes from a [`FixAdvisor`]. The built-in one, [`ToolHelp`], uses the tool's own
//! help and suggestion lines (rustc's `help:`, a compiler's "did you mean"); an advisor that
//! asks a language model can take its place without touching the rest of remediation.

use super::Located;
use super::extract::BuildError;
use super::failure::FailedStep;

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
pub fn inline_body(item: &Located, advisor: &dyn FixAdvisor) -> String {
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

/// How many errors of the summary are shown with an excerpt.
const SHOWN: usize = 10;

/// The remediation summary: the failing steps, their first errors with a short log excerpt,
/// and links to the logs.
pub fn summary(
    build_id: &str,
    steps: &[FailedStep],
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
            escape(&step.name),
            step.errors.len()
        ));
    }
    if inline > 0 {
        text.push_str(&format!("\n{inline} error(s) are on lines this pull request changed: see the comments on those lines.\n"));
    }
    if !elsewhere.is_empty() {
        text.push_str("\n### Errors outside the lines this pull request changed\n\n");
        for item in elsewhere.iter().take(SHOWN) {
            let place = match (&item.path, item.line, &item.error.path, item.error.line) {
                (Some(path), Some(line), _, _) => format!("`{path}:{line}`"),
                (Some(path), None, _, Some(line)) => format!(
                    "`{path}` (line {line} of the merged code the build compiled, which comes from the target branch)"
                ),
                (Some(path), None, _, None) => format!("`{path}`"),
                (None, _, Some(raw), Some(line)) => {
                    format!("`{}:{line}` (outside the repository)", raw)
                }
                (None, _, Some(raw), None) => format!("`{raw}` (outside the repository)"),
                _ => format!("step \"{}\"", escape(&item.step)),
            };
            text.push_str(&format!(
                "#### {place} — {}\n\n{}\n",
                heading(&item.error),
                fenced(&item.error.message)
            ));
            let step = steps.iter().find(|s| s.name == item.step);
            if let Some(excerpt) = step.and_then(|s| excerpt(&s.tail, item.error.log_line)) {
                text.push_str(&format!(
                    "\n<details><summary>Log excerpt</summary>\n\n{}\n\n</details>\n",
                    fenced(&excerpt)
                ));
            }
            if let Some(fix) = ToolHelp.advise(&item.error) {
                text.push_str(&format!("\n{fix}\n"));
            }
            text.push('\n');
        }
        if elsewhere.len() > SHOWN {
            text.push_str(&format!(
                "…and {} more error(s); see the logs.\n",
                elsewhere.len() - SHOWN
            ));
        }
    }
    if steps.iter().all(|s| s.errors.is_empty()) {
        text.push_str("\nNo error message could be extracted from the logs; open the failed steps' logs above.\n");
    }
    text
}

/// A few log lines around the error (the tail the extractors read).
fn excerpt(tail: &[String], at: usize) -> Option<String> {
    if tail.is_empty() || at >= tail.len() {
        return None;
    }
    let start = at.saturating_sub(2);
    let end = (at + 6).min(tail.len());
    Some(tail[start..end].join("\n"))
}
