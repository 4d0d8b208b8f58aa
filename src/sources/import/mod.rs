//! Imported findings: other tools' results given with `--findings FILE` (SARIF 2.1.0, reviewdog
//! rdjson/rdjsonl, checkstyle XML), detected from the content, turned into `Finding`s with
//! repository-relative paths. Where the lines point (the checked-out tree, which in a PR build
//! is the merge commit) is the caller's business: it translates them to the PR's source.

mod checkstyle;
mod files;
mod place;
mod rdjson;
mod sarif;

pub use place::ImportedFindings;

use std::path::Path;

use crate::error::UserError;
use crate::finding::{Category, Finding, Fingerprint, Severity};

/// The formats `--findings` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sarif,
    Rdjson,
    Rdjsonl,
    Checkstyle,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Sarif => "SARIF",
            Format::Rdjson => "rdjson",
            Format::Rdjsonl => "rdjsonl",
            Format::Checkstyle => "checkstyle XML",
        }
    }
}

/// Which format `text` is in, from its content; `None` when it is none of them.
pub fn detect(text: &str) -> Option<Format> {
    sniff(text).ok().flatten()
}

/// Which format `text` is in; an error when it looks like JSON but is not (with the JSON
/// parser's line and column).
fn sniff(text: &str) -> Result<Option<Format>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return Ok(trimmed
            .contains("<checkstyle")
            .then_some(Format::Checkstyle));
    }
    if !trimmed.starts_with('{') {
        return Ok(None);
    }
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(value) if value.get("runs").is_some() => Ok(Some(Format::Sarif)),
        Ok(value) if value.get("diagnostics").is_some() => Ok(Some(Format::Rdjson)),
        Ok(value) if value.get("message").is_some() => Ok(Some(Format::Rdjsonl)),
        Ok(_) => Ok(None),
        Err(whole) => {
            // Several JSON objects, one a line.
            let first = trimmed.lines().next().unwrap_or_default();
            match serde_json::from_str::<serde_json::Value>(first) {
                Ok(value) if value.get("message").is_some() => Ok(Some(Format::Rdjsonl)),
                _ => Err(format!(
                    "is not valid JSON ({}; truncated?)",
                    json_error(&whole)
                )),
            }
        }
    }
}

/// A JSON parser's error as "what at line L column C".
pub(crate) fn json_error(error: &serde_json::Error) -> String {
    let what = error.to_string();
    let what = what
        .rsplit_once(" at line ")
        .map_or(what.as_str(), |(what, _)| what);
    format!("{what} at line {} column {}", error.line(), error.column())
}

/// A finding as another tool reported it, before paths and lines are placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub tool: String,
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub severity: Severity,
    pub category: Category,
    /// The rule's id as the tool names it (`cpp/missing-header-guard`, `SC2086`); may be empty.
    pub rule: String,
    pub message: String,
    pub suggestion: Option<String>,
}

/// Why a result of a report was not turned into a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// The result names no file.
    NoLocation,
    /// Neither the result nor its rule says anything to post.
    NoMessage,
    /// The tool itself records the result as suppressed in the source.
    Suppressed,
    /// A SARIF result whose `kind` is not a problem (`pass`, `notApplicable`, …).
    NotAProblem,
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DropReason::NoLocation => "no file location",
            DropReason::NoMessage => "no message, and the rule has no description",
            DropReason::Suppressed => "suppressed in the source",
            DropReason::NotAProblem => "not a problem (SARIF kind pass, notApplicable, …)",
        })
    }
}

/// A result left out while reading, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    pub tool: String,
    pub rule: String,
    pub reason: DropReason,
}

/// What one report gave: the findings to place, and the results left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub format: Option<Format>,
    pub reported: Vec<Reported>,
    pub dropped: Vec<Dropped>,
}

/// Reads `path` (any supported format); results left out while reading are logged with why.
pub fn read(path: &Path) -> Result<Vec<Reported>, UserError> {
    read_report(path).map(|report| report.reported)
}

/// Reads `path` (any supported format): the findings and the results left out, with why.
/// Refuses, with one sentence naming the problem, a file that is not one of the formats or
/// breaks its format's shape.
pub fn read_report(path: &Path) -> Result<Report, UserError> {
    let bytes = std::fs::read(path).map_err(|e| {
        UserError::new(format!(
            "cannot read the findings file {}: {e}",
            path.display()
        ))
    })?;
    let report = parse_bytes(&bytes)
        .map_err(|why| UserError::new(format!("the findings file {} {why}", path.display())))?;
    let mut counts: std::collections::BTreeMap<DropReason, usize> = Default::default();
    for dropped in &report.dropped {
        *counts.entry(dropped.reason).or_default() += 1;
    }
    for (reason, count) in counts {
        let file = path.display();
        // A result the tool meant to report but that cannot be posted is worth a warning; one
        // the tool itself marks as suppressed or as no problem is not.
        match reason {
            DropReason::NoLocation | DropReason::NoMessage => {
                tracing::warn!("{file}: {count} result(s) left out: {reason}");
            }
            DropReason::Suppressed | DropReason::NotAProblem => {
                tracing::info!("{file}: {count} result(s) left out: {reason}");
            }
        }
    }
    Ok(report)
}

/// Reads a report from its bytes: UTF-8 (with or without a byte-order mark) or UTF-16 with a
/// byte-order mark (what Windows PowerShell 5.1's `>` writes); LF or CRLF. The error completes
/// the sentence "the findings file X …".
pub fn parse_bytes(bytes: &[u8]) -> Result<Report, String> {
    let text = decode(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let format = sniff(text)?.ok_or_else(|| {
        "is not SARIF 2.1.0, reviewdog rdjson/rdjsonl or checkstyle XML: pass one of those to --findings"
            .to_owned()
    })?;
    let parsed = match format {
        Format::Sarif => sarif::parse(text),
        Format::Rdjson => rdjson::parse(text),
        Format::Rdjsonl => rdjson::parse_lines(text),
        Format::Checkstyle => checkstyle::parse(text),
    };
    let mut report = parsed.map_err(|why| format!("is not valid {}: {why}", format.name()))?;
    report.format = Some(format);
    Ok(report)
}

/// Bytes to text, by byte-order mark: UTF-16 LE/BE, else UTF-8 (invalid sequences replaced).
fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |big_endian: bool| {
        let units = bytes[2..].chunks(2).map(|pair| match pair {
            [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
            [a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    Ok(match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// A repository-relative `/` path for what a tool wrote: `file://` URIs, absolute paths under
/// the repository (or `BUILD_SOURCESDIRECTORY`), Windows separators, `./` prefixes.
pub fn repository_path(raw: &str, roots: &[&Path]) -> Option<String> {
    let mut path = raw.trim().to_owned();
    if let Some(rest) = path.strip_prefix("file://") {
        path = percent_decode(rest.strip_prefix("localhost").unwrap_or(rest));
        // file:///C:/x → C:/x
        if path.len() > 2 && path.starts_with('/') && path.as_bytes()[2] == b':' {
            path.remove(0);
        }
    }
    let path = drive_upper(path.replace('\\', "/"));
    for root in roots {
        let root = drive_upper(root.to_string_lossy().replace('\\', "/"));
        let root = root.trim_end_matches('/');
        if root.is_empty() {
            continue;
        }
        if let Some(rest) = path.strip_prefix(&format!("{root}/")) {
            return Some(rest.to_owned());
        }
    }
    let relative = path.trim_start_matches("./");
    if relative.starts_with('/')
        || relative.contains(':')
        || relative.split('/').any(|c| c == "..")
        || relative.is_empty()
    {
        return None;
    }
    Some(relative.to_owned())
}

/// A Windows drive letter in upper case (`c:/a` → `C:/a`): tools write either.
fn drive_upper(mut path: String) -> String {
    if let [drive, b':', ..] = path.as_bytes()
        && drive.is_ascii_lowercase()
    {
        path[..1].make_ascii_uppercase();
    }
    path
}

/// `%XX` escapes to bytes; a `%` not followed by two hex digits stays as written.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Reported {
    /// The finding at `path`/`line` (already placed), fingerprint to be assigned by the caller.
    pub fn into_finding(self, path: String, line: u32, end_line: u32) -> Finding {
        Finding {
            path,
            line,
            end_line,
            severity: self.severity,
            category: self.category,
            rule: if self.rule.is_empty() {
                self.tool.clone()
            } else {
                self.rule
            },
            source: self.tool,
            message: self.message,
            suggestion: self.suggestion,
            fingerprint: Fingerprint(String::new()),
        }
    }
}

/// A tool's level word to a severity.
pub fn severity_of(level: &str) -> Severity {
    match level.to_ascii_lowercase().as_str() {
        "error" | "err" | "fatal" | "high" | "critical" => Severity::Major,
        "warning" | "warn" | "medium" => Severity::Minor,
        "note" | "info" | "information" | "low" | "hint" | "none" => Severity::Info,
        _ => Severity::Minor,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports");
        std::fs::read(base.join(name)).unwrap()
    }

    fn report(name: &str) -> Report {
        parse_bytes(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    const PROJECT: &str = "/tmp/scratch/proj";

    /// Every result of every real tool's report is read: as many as `jq`/`grep` count in the
    /// file (see the fixtures' README), on repository paths, with the tool's own rule ids.
    #[test]
    fn real_tools_reports_are_read_whole() {
        for (name, format, results) in [
            ("ruff/ruff.sarif", Format::Sarif, 21),
            ("ruff/ruff.rdjson", Format::Rdjson, 21),
            ("bandit/bandit.sarif", Format::Sarif, 5),
            ("eslint/eslint.sarif", Format::Sarif, 6),
            ("eslint/eslint-checkstyle.xml", Format::Checkstyle, 6),
            ("shellcheck/shellcheck.xml", Format::Checkstyle, 4),
            ("sarif-multitool/validate-SARIF1004.sarif", Format::Sarif, 3),
        ] {
            let report = report(name);
            assert_eq!(report.format, Some(format), "{name}");
            assert_eq!(
                report.reported.len(),
                results,
                "{name}: {:?}",
                report.dropped
            );
            assert!(report.dropped.is_empty(), "{name}");
            for reported in &report.reported {
                assert!(!reported.message.trim().is_empty(), "{name}: {reported:?}");
                assert!(!reported.rule.is_empty(), "{name}: {reported:?}");
                let path = repository_path(&reported.path, &[Path::new(PROJECT)]);
                assert!(path.is_some(), "{name}: {}", reported.path);
            }
        }
        let ruff = report("ruff/ruff.sarif");
        let f401 = ruff.reported.iter().find(|r| r.rule == "F401").unwrap();
        assert_eq!(f401.tool, "ruff");
        assert_eq!(
            repository_path(&f401.path, &[Path::new(PROJECT)]).as_deref(),
            Some("src/app.py")
        );
        let eslint = report("eslint/eslint.sarif");
        assert_eq!(
            repository_path(&eslint.reported[0].path, &[Path::new(PROJECT)]).as_deref(),
            Some("web app/main.js")
        );
        let rules: Vec<&str> = eslint.reported.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "no-unused-vars",
                "eqeqeq",
                "no-eval",
                "semi",
                "no-debugger",
                "no-undef"
            ]
        );
        let shellcheck = report("shellcheck/shellcheck.xml");
        let sc2086 = shellcheck
            .reported
            .iter()
            .find(|r| r.rule == "SC2086")
            .unwrap();
        assert_eq!(
            (sc2086.tool.as_str(), sc2086.path.as_str(), sc2086.line),
            ("ShellCheck", "scripts/ok.sh", 2)
        );
        let bandit = report("bandit/bandit.sarif");
        assert!(
            bandit
                .reported
                .iter()
                .any(|r| r.rule == "B105" && r.path == "src/app.py")
        );
    }

    #[test]
    fn message_strings_and_artifact_indexes_are_resolved() {
        let found = report("sarif-multitool/validate-SARIF1004.sarif").reported;
        assert_eq!(
            found[0].path,
            "FunctionalTestOutput.ValidateCommand/Inputs.SARIF1004.ExpressUriBaseIdsCorrectly_Invalid.sarif"
        );
        assert_eq!(found[0].rule, "SARIF1004");
        assert_eq!(found[0].line, 101);
        assert_eq!(
            found[1].message,
            "runs[0].originalUriBaseIds.SOURCE_ROOT: The 'SOURCE_ROOT' element of \
             'originalUriBaseIds' has a 'uri' property 'src' that does not end with a slash. The \
             trailing slash is required to minimize the likelihood of an error when concatenating \
             URI segments together."
        );
        assert!(found[2].message.ends_with("is already an absolute URI."));
        assert!(found[2].message.contains("'file:///C:/src/file.h'"));
    }

    #[test]
    fn encodings_give_the_same_results() {
        for (original, encoded) in [
            ("ruff/ruff.sarif", "ruff/ruff.utf16le.sarif"),
            ("eslint/eslint.sarif", "eslint/eslint.utf16be.sarif"),
            ("ruff/ruff.rdjson", "ruff/ruff.bom.rdjsonl"),
            (
                "shellcheck/shellcheck.xml",
                "shellcheck/shellcheck.bom-crlf.xml",
            ),
        ] {
            assert_eq!(
                report(original).reported,
                report(encoded).reported,
                "{encoded}"
            );
        }
    }

    #[test]
    fn broken_documents_are_refused_naming_the_problem() {
        let sarif = String::from_utf8(fixture("ruff/ruff.sarif")).unwrap();
        let truncated = &sarif[..sarif.len() / 2];
        let err = parse_bytes(truncated.as_bytes()).unwrap_err();
        let lines = truncated.lines().count();
        assert!(
            err.starts_with("is not valid JSON (EOF while parsing")
                && err.contains(&format!("at line {lines} column")),
            "{err}"
        );
        let old = sarif.replacen("\"2.1.0\"", "\"2.0.0\"", 1);
        let err = parse_bytes(old.as_bytes()).unwrap_err();
        assert!(err.contains("SARIF version 2.0.0"), "{err}");
        let value: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        let mut broken = value.clone();
        broken["runs"][0]["results"] = serde_json::json!({"0": {}});
        let err = parse_bytes(broken.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            "is not valid SARIF: `runs[0].results` must be an array, found an object"
        );
        let xml = String::from_utf8(fixture("shellcheck/shellcheck.xml")).unwrap();
        let err = parse_bytes(xml.replace("line='7'", "line='seven'").as_bytes()).unwrap_err();
        assert!(
            err.contains("the `line` of the <error> at line 4 is `seven`, not a number"),
            "{err}"
        );
        let err = parse_bytes(&xml.as_bytes()[..xml.len() - 20]).unwrap_err();
        assert!(err.starts_with("is not valid checkstyle XML"), "{err}");
        let err = parse_bytes(b"{\"diagnostics\": {}}").unwrap_err();
        assert!(err.contains("`diagnostics` must be an array"), "{err}");
    }

    #[test]
    fn empty_messages_fall_back_or_are_dropped() {
        let text = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL","rules":[
            {"id":"cpp/missing-header-guard","shortDescription":{"text":"Missing header guard"}}]},
            "extensions":[{"name":"codeql/cpp-queries","rules":[{"id":"cpp/x","name":"Named only",
              "messageStrings":{"default":{"text":"{0} is {1}"}}}]}]},
          "results":[
            {"ruleId":"cpp/missing-header-guard","message":{"text":""},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.h"},"region":{"startLine":1}}}]},
            {"rule":{"id":"cpp/x","index":0,"toolComponent":{"index":0}},"message":{"id":"default","arguments":["x","unused"]},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"}}}]},
            {"ruleId":"unknown/rule","message":{},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"}}}]},
            {"ruleId":"cpp/x","message":{"text":"no place"}},
            {"ruleId":"cpp/x","kind":"pass","message":{"text":"fine"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"}}}]},
            {"ruleId":"cpp/x","message":{"text":"ok"},"suppressions":[{"kind":"inSource"}],"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.c"}}}]}
          ]}]}"#;
        let report = parse_bytes(text.as_bytes()).unwrap();
        let found: Vec<(&str, &str)> = report
            .reported
            .iter()
            .map(|r| (r.rule.as_str(), r.message.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("cpp/missing-header-guard", "Missing header guard"),
                ("cpp/x", "x is unused"),
            ]
        );
        let dropped: Vec<DropReason> = report.dropped.iter().map(|d| d.reason).collect();
        assert_eq!(
            dropped,
            [
                DropReason::NoMessage,
                DropReason::NoLocation,
                DropReason::NotAProblem,
                DropReason::Suppressed
            ]
        );
        let finding = report.reported[0].clone().into_finding("a.h".into(), 1, 1);
        assert_eq!(finding.rule, "cpp/missing-header-guard");
        assert_eq!(finding.source, "CodeQL");
    }

    #[test]
    fn malformed_percent_escapes_stay_as_written() {
        let text = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":[
            {"ruleId":"r","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///repo/src/%aé%2.rs"}}}]}]}]}"#;
        let report = parse_bytes(text.as_bytes()).unwrap();
        assert_eq!(report.reported[0].path, "/repo/src/%aé%2.rs");
        assert_eq!(
            repository_path("file:///repo/a%aé%", &[Path::new("/repo")]).as_deref(),
            Some("a%aé%")
        );
        assert_eq!(
            repository_path(
                "file:///C:/agent/_work/1/s/src/A%20B.cs",
                &[Path::new("C:\\agent\\_work\\1\\s")]
            )
            .as_deref(),
            Some("src/A B.cs")
        );
    }

    #[test]
    fn formats_are_detected_from_content() {
        assert_eq!(
            detect(r#"{"version":"2.1.0","runs":[]}"#),
            Some(Format::Sarif)
        );
        assert_eq!(detect(r#"{"diagnostics":[]}"#), Some(Format::Rdjson));
        assert_eq!(
            detect("{\"message\":\"a\"}\n{\"message\":\"b\"}\n"),
            Some(Format::Rdjsonl)
        );
        assert_eq!(
            detect("<?xml version=\"1.0\"?>\n<checkstyle version=\"4.3\"></checkstyle>"),
            Some(Format::Checkstyle)
        );
        assert_eq!(detect("hello"), None);
        assert_eq!(detect("<html></html>"), None);
    }

    #[test]
    fn paths_become_repository_relative() {
        let root = Path::new("/home/vsts/work/1/s");
        assert_eq!(
            repository_path("file:///home/vsts/work/1/s/src/a%20b.rs", &[root]).as_deref(),
            Some("src/a b.rs")
        );
        assert_eq!(
            repository_path("/home/vsts/work/1/s/src/a.rs", &[root]).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(
            repository_path("D:\\a\\1\\s\\src\\A.cs", &[Path::new("D:\\a\\1\\s")]).as_deref(),
            Some("src/A.cs")
        );
        assert_eq!(
            repository_path("./src/a.rs", &[root]).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(
            repository_path(
                "file:///c:/agent/_work/1/s/src/A.cs",
                &[Path::new("C:\\agent\\_work\\1\\s")]
            )
            .as_deref(),
            Some("src/A.cs")
        );
        assert_eq!(
            repository_path(
                "C:\\agent\\_work\\1\\s\\src\\B.cs",
                &[Path::new("c:/agent/_work/1/s/")]
            )
            .as_deref(),
            Some("src/B.cs")
        );
        assert_eq!(repository_path("C:\\elsewhere\\B.cs", &[root]), None);
        assert_eq!(repository_path("/usr/include/stdio.h", &[root]), None);
        assert_eq!(repository_path("../outside.rs", &[root]), None);
    }
}
