//! The JSON format (`review --format json`): the contract's stable, versioned shape.
//!
//! ```json
//! {"version": 1, "base": "<sha>", "head": "<sha>",
//!  "findings": [{"path", "line", "end_line", "severity", "category", "rule", "source",
//!                "message", "suggestion", "fingerprint"}],
//!  "skipped": [{"path", "reason"}]}
//! ```
//!
//! Pretty-printed with a trailing newline. A change to this shape is a change to the contract:
//! bump [`VERSION`] and say so in the changelog.

use crate::finding::Finding;
use crate::review::{Review, Skipped};
use serde::Serialize;
use std::io::{self, Write};

/// The version of the JSON shape, written as `"version"`.
pub(crate) const VERSION: u32 = 1;

/// The document, borrowing from the review.
#[derive(Debug, Serialize)]
struct Document<'a> {
    version: u32,
    base: &'a str,
    head: &'a str,
    findings: &'a [Finding],
    skipped: &'a [Skipped],
}

/// Writes `review` as the contract's JSON document.
pub(crate) fn render(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        version: VERSION,
        base: &review.base,
        head: &review.head,
        findings: &review.findings,
        skipped: &review.skipped,
    };
    super::write_json(&document, out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::publish::fixtures;
    use serde_json::{Value, json};

    fn rendered(review: &Review) -> String {
        let mut out = Vec::new();
        render(review, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn realistic_review() {
        insta::assert_snapshot!(rendered(&fixtures::realistic()));
    }

    #[test]
    fn empty_review() {
        insta::assert_snapshot!(rendered(&fixtures::empty()));
    }

    #[test]
    fn shape_is_the_contract_field_by_field() {
        let review = fixtures::realistic();
        let text = rendered(&review);
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        let doc: Value = serde_json::from_str(&text).unwrap();

        let mut top: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        top.sort_unstable();
        assert_eq!(top, ["base", "findings", "head", "skipped", "version"]);
        assert_eq!(doc["version"], json!(1));
        assert_eq!(doc["base"], json!(fixtures::BASE));
        assert_eq!(doc["head"], json!(fixtures::HEAD));

        let findings = doc["findings"].as_array().unwrap();
        assert_eq!(findings.len(), review.findings.len());
        for (value, finding) in findings.iter().zip(&review.findings) {
            let object = value.as_object().unwrap();
            let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "category",
                    "end_line",
                    "fingerprint",
                    "line",
                    "message",
                    "path",
                    "rule",
                    "severity",
                    "source",
                    "suggestion"
                ]
            );
            assert_eq!(value["path"], json!(finding.path));
            assert_eq!(value["line"], json!(finding.line));
            assert_eq!(value["end_line"], json!(finding.end_line));
            assert_eq!(value["severity"], json!(finding.severity.as_str()));
            assert_eq!(value["category"], json!(finding.category.as_str()));
            assert_eq!(value["rule"], json!(finding.rule));
            assert_eq!(value["source"], json!(finding.source));
            assert_eq!(value["message"], json!(finding.message));
            assert_eq!(value["suggestion"], json!(finding.suggestion));
            assert_eq!(value["fingerprint"], json!(finding.fingerprint.as_str()));
        }
        // Absent suggestions are `null`, not missing.
        assert!(findings[1]["suggestion"].is_null());
        assert_eq!(
            findings[4]["suggestion"],
            json!("    let config = load(&path)?;\n")
        );
        assert_eq!(findings[0]["line"], json!(0));
        assert_eq!(findings[1]["category"], json!("security"));

        assert_eq!(
            doc["skipped"],
            json!([
                {"path": "third_party/zlib", "reason": "submodule change (the submodule's own repository is not reviewed)"},
                {"path": "vendor/chart.min.js", "reason": "excluded by reviews.path_filters"}
            ])
        );
    }

    #[test]
    fn findings_read_back_as_findings() {
        let review = fixtures::realistic();
        let doc: Value = serde_json::from_str(&rendered(&review)).unwrap();
        let back: Vec<Finding> = serde_json::from_value(doc["findings"].clone()).unwrap();
        assert_eq!(back, review.findings);
    }

    #[test]
    fn empty_review_has_empty_arrays() {
        let doc: Value = serde_json::from_str(&rendered(&fixtures::empty())).unwrap();
        assert_eq!(doc["findings"], json!([]));
        assert_eq!(doc["skipped"], json!([]));
    }
}
