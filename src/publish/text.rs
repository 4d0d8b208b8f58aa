//! The text format: findings grouped by file, for a terminal or a pipeline log.
//!
//! ```text
//! src/auth/token.rs (added, +48 -0)
//!      12:  critical  secrets/aws-access-key  AWS access key ID … is committed in plain text.
//!   40-42:  major     llm/error-handling      The refresh ignores the HTTP status …
//!
//! 2 findings (1 critical, 1 major) in 1 of 3 changed files (3f2a9c1e..9b8c7d6e)
//! ```
//!
//! A location is a line, a line range, or `file` for a finding about the whole file. Colour is
//! off unless asked for ([`Options::color`]); whatever a path or a message contains, the output
//! holds no control characters and no Azure Pipelines logging command.

use crate::finding::{Finding, Severity};
use crate::git::FileStatus;
use crate::review::{Review, ReviewedFile};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{plural, short_revision};

/// How to render text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Options {
    /// Colour severities and headers with ANSI escapes.
    pub color: bool,
}

/// Renders `review` as plain text, without colour.
#[cfg(test)]
pub(crate) fn render(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    render_with(review, Options::default(), out)
}

/// Renders `review` as text with `options`.
pub(crate) fn render_with(
    review: &Review,
    options: Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(to_string(review, options).as_bytes())
}

/// The text rendering of `review`.
pub(crate) fn to_string(review: &Review, options: Options) -> String {
    let style = Style {
        color: options.color,
    };
    let mut text = String::new();
    let revisions = format!(
        "{}..{}",
        clean(short_revision(&review.base)),
        clean(short_revision(&review.head))
    );

    if review.findings.is_empty() {
        let _ = writeln!(
            text,
            "{}",
            style.bold(&format!(
                "No findings in {} ({revisions})",
                plural(review.files.len(), "changed file", "changed files")
            ))
        );
    } else {
        let mut findings: Vec<&Finding> = review.findings.iter().collect();
        findings.sort_by(|a, b| (&a.path, a.line, a.end_line).cmp(&(&b.path, b.line, b.end_line)));
        for group in findings.chunk_by(|a, b| a.path == b.path) {
            write_file_group(&mut text, review, group, style);
            text.push('\n');
        }
        let _ = writeln!(text, "{}", style.bold(&totals(review, &revisions)));
    }

    if !review.skipped.is_empty() {
        let _ = writeln!(text, "\n{}", style.bold("Skipped:"));
        for skipped in &review.skipped {
            let _ = writeln!(
                text,
                "  {}: {}",
                clean(&skipped.path),
                clean(&skipped.reason.describe())
            );
        }
    }
    if !review.config_problems.is_empty() {
        let _ = writeln!(text, "\n{}", style.bold("Configuration problems:"));
        for problem in &review.config_problems {
            write_lines(&mut text, "  ", "  ", problem);
        }
    }
    text
}

/// One file's header and its findings, with locations, severities and rules in columns.
fn write_file_group(text: &mut String, review: &Review, group: &[&Finding], style: Style) {
    let Some(first) = group.first() else {
        return;
    };
    let file = review.files.iter().find(|f| f.path == first.path);
    let header = match file {
        Some(file) => format!("{} ({})", clean(&first.path), describe_file(file)),
        None => clean(&first.path).into_owned(),
    };
    let _ = writeln!(text, "{}", style.bold(&header));

    let locations: Vec<String> = group.iter().map(|f| location(f)).collect();
    let location_width = locations.iter().map(|l| l.len()).max().unwrap_or(0);
    let rules: Vec<Cow<'_, str>> = group.iter().map(|f| clean(&f.rule)).collect();
    let rule_width = rules.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let severity_width = group
        .iter()
        .map(|f| f.severity.as_str().len())
        .max()
        .unwrap_or(0);

    for ((finding, location), rule) in group.iter().zip(&locations).zip(&rules) {
        let severity = finding.severity.as_str();
        let prefix = format!(
            "  {location:>location_width$}:  {}{}  {}{}  ",
            style.severity(finding.severity, severity),
            " ".repeat(severity_width - severity.len()),
            rule,
            " ".repeat(rule_width - rule.chars().count()),
        );
        let indent = " ".repeat(2 + location_width + 3);
        let message_indent =
            " ".repeat(2 + location_width + 3 + severity_width + 2 + rule_width + 2);
        write_lines(text, &prefix, &message_indent, &finding.message);
        if let Some(suggestion) = &finding.suggestion {
            let _ = writeln!(text, "{indent}suggested change:");
            for line in suggestion.lines() {
                let _ = writeln!(
                    text,
                    "{indent}{}",
                    style.addition(&format!("+ {}", clean(line)))
                );
            }
        }
    }
}

/// `12`, `40-42`, or `file` for a finding about the whole file.
fn location(finding: &Finding) -> String {
    if finding.line == 0 {
        "file".to_owned()
    } else if finding.end_line > finding.line {
        format!("{}-{}", finding.line, finding.end_line)
    } else {
        finding.line.to_string()
    }
}

/// `added, +48 -0`, `renamed from src/config.rs, +12 -5`, `added, binary`.
fn describe_file(file: &ReviewedFile) -> String {
    let status = match (&file.old_path, file.status) {
        (Some(old), FileStatus::Renamed) => format!("renamed from {}", clean(old)),
        (Some(old), FileStatus::Copied) => format!("copied from {}", clean(old)),
        (_, FileStatus::TypeChanged) => "type changed".to_owned(),
        (_, status) => status.as_str().to_owned(),
    };
    if file.binary {
        format!("{status}, binary")
    } else {
        format!("{status}, +{} -{}", file.additions, file.deletions)
    }
}

/// `6 findings (1 critical, 2 major, …) in 4 of 8 changed files (base..head); 2 files skipped`.
fn totals(review: &Review, revisions: &str) -> String {
    let counts: Vec<String> = review
        .counts_by_severity()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    let mut files_with_findings: Vec<&str> =
        review.findings.iter().map(|f| f.path.as_str()).collect();
    files_with_findings.sort_unstable();
    files_with_findings.dedup();
    let mut line = format!(
        "{} ({}) in {} of {} ({revisions})",
        plural(review.findings.len(), "finding", "findings"),
        counts.join(", "),
        files_with_findings.len(),
        plural(review.files.len(), "changed file", "changed files"),
    );
    if !review.skipped.is_empty() {
        let _ = write!(
            line,
            "; {} skipped",
            plural(review.skipped.len(), "file", "files")
        );
    }
    line
}

/// Writes `content` line by line: the first line after `first_prefix`, the others after
/// `indent`.
fn write_lines(text: &mut String, first_prefix: &str, indent: &str, content: &str) {
    let mut lines = content.lines();
    let first = lines.next().unwrap_or("");
    let _ = writeln!(text, "{first_prefix}{}", clean(first));
    for line in lines {
        let _ = writeln!(text, "{indent}{}", clean(line));
    }
}

/// `text` made safe for a terminal and a build log: control and bidirectional-override
/// characters escaped as `\u{…}`, and `##vso[`/`##[` broken up so that the agent does not run
/// them as logging commands.
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    let needs_escape = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.contains(needs_escape) && !text.contains("##") {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped.replace("##vso[", "# #vso[").replace("##[", "# #["))
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn addition(self, text: &str) -> String {
        self.paint("32", text)
    }

    fn severity(self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::Major => "31",
            Severity::Minor => "33",
            Severity::Trivial => "36",
            Severity::Info => "2",
        };
        self.paint(code, text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::publish::fixtures;

    fn plain(review: &Review) -> String {
        let mut out = Vec::new();
        render(review, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn realistic_review() {
        insta::assert_snapshot!(plain(&fixtures::realistic()));
    }

    #[test]
    fn empty_review_is_one_clear_line() {
        let text = plain(&fixtures::empty());
        assert_eq!(
            text,
            "No findings in 3 changed files (3f2a9c1e..9b8c7d6e)\n"
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn empty_review_still_lists_skipped_files_and_config_problems() {
        let mut review = fixtures::realistic();
        review.findings.clear();
        let text = plain(&review);
        assert!(text.starts_with("No findings in 8 changed files (3f2a9c1e..9b8c7d6e)\n"));
        assert!(text.contains("\nSkipped:\n  third_party/zlib: submodule change (the submodule's own repository is not reviewed)\n"));
        assert!(text.contains("\nConfiguration problems:\n  .coderabbit.yaml:4:3:"));
    }

    #[test]
    fn no_colour_unless_asked() {
        let review = fixtures::realistic();
        assert!(!plain(&review).contains('\x1b'));
        let coloured = to_string(&review, Options { color: true });
        assert!(coloured.contains("\x1b[1;31mcritical\x1b[0m"));
    }

    #[test]
    fn hostile_text_cannot_drive_the_log_or_the_terminal() {
        let mut review = fixtures::realistic();
        review.findings[1].path = "src/##vso[task.setvariable variable=a]b.rs".to_owned();
        review.findings[1].message = "line one\n##[group]oops\x1b[2J\u{202E}".to_owned();
        let text = plain(&review);
        assert!(!text.contains("##vso["), "{text}");
        assert!(!text.contains("##["), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
        assert!(!text.contains('\u{202E}'), "{text}");
        assert!(text.contains("# #[group]oops\\u{1b}[2J\\u{202e}"), "{text}");
    }
}
