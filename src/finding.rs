//! `Finding`, `Severity`, `Category` and `Fingerprint`: the one currency between stages.
//!
//! Every source (built-in rules, an LLM, imported SARIF) produces findings; every publisher
//! (console, JSON, SARIF, Markdown, the pull request) consumes them. Nothing here knows where a
//! finding came from or where it goes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// How much a finding matters, from `info` (lowest) to `critical` (highest).
///
/// The derived ordering follows that scale, so `severity >= threshold` is the test used by
/// `--fail-on` and by the review profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Trivial,
    Minor,
    Major,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Trivial,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Trivial => "trivial",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected critical, major, minor, trivial or info)")
            })
    }
}

/// What kind of problem a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Security,
    Stability,
    DataIntegrity,
    Correctness,
    Performance,
    Maintainability,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Stability => "stability",
            Category::DataIntegrity => "data-integrity",
            Category::Correctness => "correctness",
            Category::Performance => "performance",
            Category::Maintainability => "maintainability",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the review has to say about one place in the change.
///
/// `path` is repository-relative with `/` separators; `line`/`end_line` are 1-based lines of the
/// file as it is in the head revision (the right side of the pull request). A finding with
/// `line == 0` is about the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub path: String,
    pub line: u32,
    pub end_line: u32,
    pub severity: Severity,
    pub category: Category,
    pub rule: String,
    pub source: String,
    pub message: String,
    /// Replacement text for the lines `line..=end_line`, when the source knows the fix.
    pub suggestion: Option<String>,
    pub fingerprint: Fingerprint,
}

/// A stable identity for a finding that survives unrelated line shifts.
///
/// It hashes the rule, the path, the whitespace-normalised text of the flagged line(s) and the
/// occurrence number of that same text within the file — never the line number — so that lines
/// added above a finding do not make it look new, while two identical problems in one file stay
/// two findings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl Fingerprint {
    /// Computes the fingerprint of `rule` at `path` over the flagged `text`; `occurrence` is 0
    /// for the first finding of that rule on that text in the file, 1 for the second, and so on.
    pub fn compute(rule: &str, path: &str, text: &str, occurrence: u32) -> Self {
        let normalised: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut hasher = Sha256::new();
        for part in [rule, path, normalised.as_str()] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hasher.update(occurrence.to_le_bytes());
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(32);
        for byte in &digest[..16] {
            hex.push_str(&format!("{byte:02x}"));
        }
        Fingerprint(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Assigns fingerprints to findings that lack one, numbering repeated (rule, path, text)
/// triples in line order so that identical findings in one file stay distinct.
///
/// `line_text` returns the text of a 1-based head line of a path (empty if unknown).
pub fn assign_fingerprints(
    findings: &mut [Finding],
    mut line_text: impl FnMut(&str, u32) -> String,
) {
    use std::collections::HashMap;
    findings.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.end_line, a.rule.as_str()).cmp(&(
            b.path.as_str(),
            b.line,
            b.end_line,
            b.rule.as_str(),
        ))
    });
    let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
    for finding in findings.iter_mut() {
        if !finding.fingerprint.0.is_empty() {
            continue;
        }
        let mut text = String::new();
        if finding.line > 0 {
            for line in finding.line..=finding.end_line.max(finding.line) {
                text.push_str(&line_text(&finding.path, line));
                text.push('\n');
            }
        }
        let key = (finding.rule.clone(), finding.path.clone(), text.clone());
        let occurrence = seen.entry(key).or_insert(0);
        finding.fingerprint =
            Fingerprint::compute(&finding.rule, &finding.path, &text, *occurrence);
        *occurrence += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_from_info_to_critical() {
        assert!(Severity::Info < Severity::Trivial);
        assert!(Severity::Trivial < Severity::Minor);
        assert!(Severity::Minor < Severity::Major);
        assert!(Severity::Major < Severity::Critical);
        assert_eq!("MAJOR".parse::<Severity>(), Ok(Severity::Major));
        assert!("loud".parse::<Severity>().is_err());
    }

    #[test]
    fn fingerprint_ignores_whitespace_but_not_occurrence() {
        let a = Fingerprint::compute("r", "p", "let  x = 1;", 0);
        let b = Fingerprint::compute("r", "p", "  let x = 1;", 0);
        let c = Fingerprint::compute("r", "p", "let x = 1;", 1);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.as_str().len(), 32);
    }
}
