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

/// Which format `text` is in, from its content.
pub fn detect(text: &str) -> Option<Format> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return trimmed
            .contains("<checkstyle")
            .then_some(Format::Checkstyle);
    }
    if trimmed.starts_with('{') {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
            if value.get("runs").is_some() {
                return Some(Format::Sarif);
            }
            if value.get("diagnostics").is_some() {
                return Some(Format::Rdjson);
            }
            if value.get("message").is_some() {
                return Some(Format::Rdjsonl);
            }
            return None;
        }
        // Several JSON objects, one a line.
        let first = trimmed.lines().next().unwrap_or_default();
        if serde_json::from_str::<serde_json::Value>(first)
            .is_ok_and(|v| v.get("message").is_some())
        {
            return Some(Format::Rdjsonl);
        }
    }
    None
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
    pub rule: String,
    pub message: String,
    pub suggestion: Option<String>,
}

/// Reads `path` (any supported format).
pub fn read(path: &Path) -> Result<Vec<Reported>, UserError> {
    let bytes = std::fs::read(path).map_err(|e| {
        UserError::new(format!(
            "cannot read the findings file {}: {e}",
            path.display()
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let format = detect(&text).ok_or_else(|| {
        UserError::new(format!(
            "{} is not SARIF 2.1.0, reviewdog rdjson/rdjsonl or checkstyle XML: pass one of those to --findings",
            path.display()
        ))
    })?;
    let parsed = match format {
        Format::Sarif => sarif::parse(&text),
        Format::Rdjson => rdjson::parse(&text),
        Format::Rdjsonl => rdjson::parse_lines(&text),
        Format::Checkstyle => checkstyle::parse(&text),
    };
    parsed.map_err(|why| {
        UserError::new(format!(
            "{} could not be read as {format:?}: {why}",
            path.display()
        ))
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
    let path = path.replace('\\', "/");
    for root in roots {
        let root = root.to_string_lossy().replace('\\', "/");
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

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
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
                format!("{}/{}", self.tool, self.rule)
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
mod tests {
    use super::*;

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
        assert_eq!(repository_path("/usr/include/stdio.h", &[root]), None);
        assert_eq!(repository_path("../outside.rs", &[root]), None);
    }
}
