//! Azure Pipelines logging commands: masking secrets, reporting issues, grouping output,
//! attaching a summary and setting the step result.
//!
//! Commands go to one writer chosen by the caller (stdout, unless stdout carries machine-readable
//! output such as JSON or SARIF; the agent reads commands from both streams). Every value is
//! escaped per the logging-command rules, so a path or message can never end a command early or
//! start another one.

use std::io::{self, Write};

use crate::finding::{Finding, Severity};

/// Escapes a command's message (the text after `]`).
pub(crate) fn escape_data(value: &str) -> String {
    value
        .replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`key=value;`).
pub(crate) fn escape_property(value: &str) -> String {
    escape_data(value).replace(';', "%3B").replace(']', "%5D")
}

/// `##vso[task.setsecret]`: the agent masks `secret` in every later line of the log.
pub(crate) fn set_secret(out: &mut dyn Write, secret: &str) -> io::Result<()> {
    // A multi-line secret is masked line by line, as the agent matches lines.
    for part in secret.split(['\r', '\n']).filter(|p| !p.trim().is_empty()) {
        writeln!(out, "##vso[task.setsecret]{}", escape_data(part))?;
    }
    Ok(())
}

/// Whether an issue is a warning or an error in the build's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssueKind {
    Warning,
    Error,
}

/// `##vso[task.logissue]` for one finding: `error` from `error_from` up, else `warning`.
pub(crate) fn log_finding(
    out: &mut dyn Write,
    finding: &Finding,
    error_from: Severity,
) -> io::Result<()> {
    let kind = if finding.severity >= error_from {
        IssueKind::Error
    } else {
        IssueKind::Warning
    };
    let line = (finding.line > 0).then_some(finding.line);
    let message = format!(
        "{} [{}] {}",
        finding.severity, finding.rule, finding.message
    );
    log_issue(
        out,
        kind,
        &message,
        Some(&finding.path),
        line,
        Some(&finding.rule),
    )
}

pub(crate) fn log_issue(
    out: &mut dyn Write,
    kind: IssueKind,
    message: &str,
    source_path: Option<&str>,
    line: Option<u32>,
    code: Option<&str>,
) -> io::Result<()> {
    let mut properties = format!(
        "type={};",
        match kind {
            IssueKind::Warning => "warning",
            IssueKind::Error => "error",
        }
    );
    if let Some(path) = source_path {
        properties.push_str(&format!("sourcepath={};", escape_property(path)));
    }
    if let Some(line) = line {
        properties.push_str(&format!("linenumber={line};"));
    }
    if let Some(code) = code {
        properties.push_str(&format!("code={};", escape_property(code)));
    }
    writeln!(
        out,
        "##vso[task.logissue {properties}]{}",
        escape_data(message)
    )
}

/// Starts a collapsible section of the log.
pub(crate) fn group(out: &mut dyn Write, name: &str) -> io::Result<()> {
    writeln!(out, "##[group]{}", escape_data(name))
}

pub(crate) fn end_group(out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "##[endgroup]")
}

/// Attaches a Markdown file to the build's summary page.
pub(crate) fn upload_summary(out: &mut dyn Write, path: &std::path::Path) -> io::Result<()> {
    writeln!(
        out,
        "##vso[task.uploadsummary]{}",
        escape_data(&path.to_string_lossy())
    )
}

/// The step's result, when the agent should show it as other than a plain success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepResult {
    SucceededWithIssues,
}

pub(crate) fn complete(out: &mut dyn Write, result: StepResult, message: &str) -> io::Result<()> {
    let result = match result {
        StepResult::SucceededWithIssues => "SucceededWithIssues",
    };
    writeln!(
        out,
        "##vso[task.complete result={result};]{}",
        escape_data(message)
    )
}

/// Neutralises text that would otherwise be read as a logging command when printed at the
/// start of a log line (`##vso[…]`, `##[…]`).
pub(crate) fn defuse(line: &str) -> String {
    if line.trim_start().starts_with("##") {
        line.replacen("##", "# #", 1)
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Fingerprint};

    fn text(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_are_escaped() {
        assert_eq!(escape_data("a\r\nb%"), "a%0D%0Ab%AZP25");
        assert_eq!(escape_property("x;y]z"), "x%3By%5Dz");
    }

    #[test]
    fn a_finding_becomes_an_issue_with_its_place() {
        let finding = Finding {
            path: "src/a;b].rs".into(),
            line: 12,
            end_line: 12,
            severity: Severity::Major,
            category: Category::Security,
            rule: "secrets/aws-access-key".into(),
            source: "builtin".into(),
            message: "line one\nline two".into(),
            suggestion: None,
            fingerprint: Fingerprint(String::new()),
        };
        let out = text(|o| log_finding(o, &finding, Severity::Critical));
        assert_eq!(
            out,
            "##vso[task.logissue type=warning;sourcepath=src/a%3Bb%5D.rs;linenumber=12;code=secrets/aws-access-key;]major [secrets/aws-access-key] line one%0Aline two\n"
        );
        let out = text(|o| log_finding(o, &finding, Severity::Major));
        assert!(out.starts_with("##vso[task.logissue type=error;"));
    }

    #[test]
    fn secrets_are_masked_line_by_line() {
        assert_eq!(text(|o| set_secret(o, "abc")), "##vso[task.setsecret]abc\n");
        assert_eq!(
            text(|o| set_secret(o, "a\nb")),
            "##vso[task.setsecret]a\n##vso[task.setsecret]b\n"
        );
    }

    #[test]
    fn printed_text_cannot_start_a_command() {
        assert_eq!(
            defuse("##vso[task.complete result=Failed]"),
            "# #vso[task.complete result=Failed]"
        );
        assert_eq!(defuse("plain"), "plain");
    }
}
