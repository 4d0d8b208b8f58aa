//! The SARIF format: one SARIF 2.1.0 log with one run, for code-scanning viewers (GitHub code
//! scanning, the Azure DevOps "SARIF SAST Scans Tab") and for other reviewers to import.
//!
//! - `tool.driver.rules[]` describes every rule that produced a finding, with the built-in
//!   catalogue's explanation where the rule is ours; security rules carry the `security` tag and
//!   a `security-severity` score.
//! - Each finding is a result: `level` from the severity (critical and major are `error`,
//!   minor and trivial `warning`, info `note`), a repository-relative location under
//!   `%SRCROOT%` (no region for a whole-file finding), the fingerprint as a partial fingerprint,
//!   and a fix when the finding suggests replacement lines.
//! - Configuration problems and skipped files are notifications of the run's invocation.
//!
//! Validated against the OASIS schema in `tests/schemas/sarif-schema-2.1.0.json`.

use crate::finding::{Finding, Severity};
use crate::review::Review;
use crate::sources::rules::{self, RuleInfo};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The `$schema` written in the log: the OASIS-published SARIF 2.1.0 schema.
pub(crate) const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF version written in the log.
pub(crate) const SARIF_VERSION: &str = "2.1.0";

/// The tool name in `tool.driver.name`.
pub(crate) const TOOL_NAME: &str = "coderabbit-agent";

/// The key of the finding's fingerprint in `partialFingerprints`.
pub(crate) const FINGERPRINT_KEY: &str = "coderabbitFingerprint/v1";

/// The base every artifact location is relative to: the repository root.
pub(crate) const SRCROOT: &str = "%SRCROOT%";

/// Where to read about the tool: the package's homepage when it has one.
fn information_uri() -> &'static str {
    match env!("CARGO_PKG_HOMEPAGE") {
        "" => "https://www.coderabbit.ai",
        homepage => homepage,
    }
}

/// Writes `review` as a SARIF 2.1.0 log, describing built-in rules from the rule catalogue.
pub(crate) fn render(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    render_with_catalog(review, rules::catalog(), out)
}

/// Writes `review` as a SARIF 2.1.0 log, describing rules from `catalog`.
pub(crate) fn render_with_catalog(
    review: &Review,
    catalog: &[RuleInfo],
    out: &mut dyn Write,
) -> io::Result<()> {
    super::write_json(&log(review, catalog), out)
}

fn log<'a>(review: &'a Review, catalog: &'a [RuleInfo]) -> Log<'a> {
    let mut findings: Vec<&Finding> = review.findings.iter().collect();
    findings.sort_by(|a, b| (&a.path, a.line, a.end_line).cmp(&(&b.path, b.line, b.end_line)));

    // One descriptor per rule, in order of first appearance.
    let mut rule_ids: Vec<&str> = Vec::new();
    for finding in &findings {
        if !rule_ids.contains(&finding.rule.as_str()) {
            rule_ids.push(&finding.rule);
        }
    }
    let rules = rule_ids
        .iter()
        .map(|id| {
            let first = findings.iter().find(|f| f.rule == *id);
            rule_descriptor(id, catalog.iter().find(|r| r.code == *id), first.copied())
        })
        .collect();

    let results = findings
        .iter()
        .map(|finding| {
            let index = rule_ids
                .iter()
                .position(|id| *id == finding.rule)
                .unwrap_or_default();
            result(finding, index)
        })
        .collect();

    let configuration_notifications = review
        .config_problems
        .iter()
        .map(|problem| Notification {
            message: Message::new(problem.clone()),
            level: "warning",
            locations: Vec::new(),
        })
        .collect();
    let execution_notifications = review
        .skipped
        .iter()
        .map(|skipped| Notification {
            message: Message::new(format!("Not reviewed: {}", skipped.reason)),
            level: "note",
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation::file(&skipped.path),
                    region: None,
                },
            }],
        })
        .collect();

    let mut original_uri_base_ids = BTreeMap::new();
    original_uri_base_ids.insert(
        SRCROOT,
        ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Message::new(
                "The root of the repository checkout.".to_owned(),
            )),
        },
    );

    Log {
        schema: SCHEMA_URI,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_configuration_notifications: configuration_notifications,
                tool_execution_notifications: execution_notifications,
            }],
            original_uri_base_ids,
            results,
            properties: RunProperties {
                base: &review.base,
                head: &review.head,
            },
        }],
    }
}

/// The descriptor of rule `id`: from the catalogue when it is a built-in rule, else from the
/// first finding that names it.
fn rule_descriptor<'a>(
    id: &'a str,
    info: Option<&'a RuleInfo>,
    first: Option<&'a Finding>,
) -> ReportingDescriptor<'a> {
    let severity = info
        .map(|i| i.severity)
        .or(first.map(|f| f.severity))
        .unwrap_or(Severity::Info);
    let category = info.map(|i| i.category).or(first.map(|f| f.category));
    let security = category == Some(crate::finding::Category::Security);

    let (short_description, full_description, help) = match info {
        Some(info) => (
            Message::new(first_sentence(info.explanation).to_owned()),
            Some(Message::new(info.explanation.to_owned())),
            Some(Message::new(info.explanation.to_owned())),
        ),
        None => {
            let source = first.map(|f| f.source.as_str()).unwrap_or("another tool");
            let text = match source {
                "llm" => "Reported by the LLM reviewer.".to_owned(),
                source => format!("Reported by {source}."),
            };
            (Message::new(text), None, None)
        }
    };

    ReportingDescriptor {
        id,
        short_description,
        full_description,
        help,
        default_configuration: ReportingConfiguration {
            level: level(severity),
        },
        properties: RuleProperties {
            tags: category.map(|c| vec![c.as_str()]).unwrap_or_default(),
            security_severity: security.then(|| security_severity(severity)),
        },
    }
}

fn result(finding: &Finding, rule_index: usize) -> SarifResult<'_> {
    let region = Region::lines(finding);
    let fixes = match (&finding.suggestion, &region) {
        (Some(suggestion), Some(_)) => vec![fix(finding, suggestion)],
        _ => Vec::new(),
    };
    let mut partial_fingerprints = BTreeMap::new();
    partial_fingerprints.insert(FINGERPRINT_KEY, finding.fingerprint.as_str());
    SarifResult {
        rule_id: &finding.rule,
        rule_index,
        level: level(finding.severity),
        message: Message::new(finding.message.clone()),
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation::file(&finding.path),
                region,
            },
        }],
        partial_fingerprints,
        fixes,
        properties: ResultProperties {
            severity: finding.severity.as_str(),
            category: finding.category.as_str(),
            source: &finding.source,
        },
    }
}

/// A fix that replaces the finding's lines with its suggestion.
///
/// A region given by lines alone ends before the newline of its last line, so the inserted
/// text loses one trailing newline; an empty suggestion deletes the lines, newlines included.
fn fix(finding: &Finding, suggestion: &str) -> Fix {
    let end_line = finding.end_line.max(finding.line);
    let (deleted_region, text) = if suggestion.is_empty() {
        (
            Region {
                start_line: finding.line,
                start_column: Some(1),
                end_line: end_line.saturating_add(1),
                end_column: Some(1),
            },
            String::new(),
        )
    } else {
        (
            Region {
                start_line: finding.line,
                start_column: None,
                end_line,
                end_column: None,
            },
            suggestion
                .strip_suffix('\n')
                .map(|s| s.strip_suffix('\r').unwrap_or(s))
                .unwrap_or(suggestion)
                .to_owned(),
        )
    };
    Fix {
        description: Message::new("Apply the suggested change.".to_owned()),
        artifact_changes: vec![ArtifactChange {
            artifact_location: ArtifactLocation::file(&finding.path),
            replacements: vec![Replacement {
                deleted_region,
                inserted_content: ArtifactContent { text },
            }],
        }],
    }
}

/// critical and major are errors, minor and trivial warnings, info a note.
pub(crate) fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::Major => "error",
        Severity::Minor | Severity::Trivial => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (0.1–10): critical above 9, major "high", minor
/// "medium", trivial and info "low".
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::Major => "8.0",
        Severity::Minor => "5.5",
        Severity::Trivial => "3.0",
        Severity::Info => "1.0",
    }
}

/// The first sentence of an explanation, for a one-line description: up to the first `. `
/// followed by a capital letter (so that `e.g. a` does not end it).
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(found) = text[from..].find(". ") {
        let end = from + found;
        let next = text[end + 2..].chars().next();
        if next.is_some_and(char::is_uppercase) {
            return &text[..=end];
        }
        from = end + 2;
    }
    text
}

/// A repository-relative path as a relative URI reference: `/`-separated segments with every
/// byte outside RFC 3986's unreserved set (and `/`) percent-encoded, so that a space, a `#` or
/// a `:` in a file name cannot change what the URI means.
pub(crate) fn path_to_uri(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte));
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

// The subset of the SARIF object model that the log uses, in the schema's own names.

#[derive(Debug, Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'a str,
    version: &'a str,
    runs: Vec<Run<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    original_uri_base_ids: BTreeMap<&'a str, ArtifactLocation>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Debug, Serialize)]
struct RunProperties<'a> {
    base: &'a str,
    head: &'a str,
}

#[derive(Debug, Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'a str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Message>,
    default_configuration: ReportingConfiguration,
    properties: RuleProperties<'a>,
}

#[derive(Debug, Serialize)]
struct ReportingConfiguration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct RuleProperties<'a> {
    tags: Vec<&'a str>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_configuration_notifications: Vec<Notification>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Debug, Serialize)]
struct Notification {
    message: Message,
    level: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<Fix>,
    properties: ResultProperties<'a>,
}

#[derive(Debug, Serialize)]
struct ResultProperties<'a> {
    severity: &'a str,
    category: &'a str,
    source: &'a str,
}

#[derive(Debug, Serialize)]
struct Message {
    text: String,
}

impl Message {
    fn new(text: String) -> Self {
        Message { text }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Message>,
}

impl ArtifactLocation {
    /// A file of the repository.
    fn file(path: &str) -> Self {
        ArtifactLocation {
            uri: Some(path_to_uri(path)),
            uri_base_id: Some(SRCROOT),
            description: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    end_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

impl Region {
    /// The finding's lines, or `None` for a finding about the whole file.
    fn lines(finding: &Finding) -> Option<Region> {
        (finding.line > 0).then(|| Region {
            start_line: finding.line,
            start_column: None,
            end_line: finding.end_line.max(finding.line),
            end_column: None,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Fix {
    description: Message,
    artifact_changes: Vec<ArtifactChange>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: Region,
    inserted_content: ArtifactContent,
}

#[derive(Debug, Serialize)]
struct ArtifactContent {
    text: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::publish::fixtures;
    use serde_json::{Value, json};

    fn rendered(review: &Review) -> String {
        let mut out = Vec::new();
        render_with_catalog(review, fixtures::catalog(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// `text` with the package version replaced, so that a release does not move snapshots.
    fn versionless(text: &str) -> String {
        let version = env!("CARGO_PKG_VERSION");
        text.replace(
            &format!("\"version\": \"{version}\""),
            "\"version\": \"[version]\"",
        )
        .replace(
            &format!("\"semanticVersion\": \"{version}\""),
            "\"semanticVersion\": \"[version]\"",
        )
    }

    fn validator() -> jsonschema::Validator {
        let schema: Value =
            serde_json::from_str(include_str!("../../tests/schemas/sarif-schema-2.1.0.json"))
                .unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    }

    fn assert_valid(text: &str) {
        let instance: Value = serde_json::from_str(text).unwrap();
        let validator = validator();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    }

    #[test]
    fn realistic_review() {
        let text = rendered(&fixtures::realistic());
        assert_valid(&text);
        insta::assert_snapshot!(versionless(&text));
    }

    #[test]
    fn empty_review() {
        let text = rendered(&fixtures::empty());
        assert_valid(&text);
        insta::assert_snapshot!(versionless(&text));
    }

    #[test]
    fn the_real_catalogue_also_gives_a_valid_log() {
        let mut out = Vec::new();
        render(&fixtures::realistic(), &mut out).unwrap();
        assert_valid(&String::from_utf8(out).unwrap());
    }

    #[test]
    fn the_schema_catches_a_broken_log() {
        let mut log: Value = serde_json::from_str(&rendered(&fixtures::realistic())).unwrap();
        log["runs"][0]["results"][0]["level"] = json!("fatal");
        log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            json!(0);
        let validator = validator();
        assert_eq!(validator.iter_errors(&log).count(), 2);
    }

    #[test]
    fn results_map_findings() {
        let review = fixtures::realistic();
        let log: Value = serde_json::from_str(&rendered(&review)).unwrap();
        let run = &log["runs"][0];
        assert_eq!(log["version"], json!("2.1.0"));
        assert_eq!(run["tool"]["driver"]["name"], json!("coderabbit-agent"));
        assert_eq!(
            run["tool"]["driver"]["version"],
            json!(env!("CARGO_PKG_VERSION"))
        );

        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), review.findings.len());
        for result in results {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }

        // Whole-file finding: no region.
        let whole_file = &results[0];
        assert_eq!(whole_file["ruleId"], json!("files/binary-file"));
        assert!(
            whole_file["locations"][0]["physicalLocation"]
                .get("region")
                .is_none()
        );
        assert_eq!(
            whole_file["locations"][0]["physicalLocation"]["artifactLocation"],
            json!({"uri": "assets/logo.png", "uriBaseId": "%SRCROOT%"})
        );

        // Levels.
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        assert_eq!(
            levels,
            ["warning", "error", "error", "warning", "error", "note"]
        );

        // The secret: a security rule with a score, and its catalogue explanation.
        let secret = &rules[results[1]["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(secret["properties"]["tags"], json!(["security"]));
        assert_eq!(secret["properties"]["security-severity"], json!("9.5"));
        assert_eq!(
            secret["shortDescription"]["text"],
            json!("An AWS access key ID was added.")
        );
        assert_eq!(
            results[1]["partialFingerprints"][FINGERPRINT_KEY],
            json!(review.findings[1].fingerprint.as_str())
        );
        assert_eq!(
            results[2]["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 40, "endLine": 42})
        );

        // The suggestion becomes a fix over the same lines, without its last newline.
        let fix = &results[4]["fixes"][0]["artifactChanges"][0];
        assert_eq!(
            fix["replacements"][0],
            json!({
                "deletedRegion": {"startLine": 88, "endLine": 88},
                "insertedContent": {"text": "    let config = load(&path)?;"}
            })
        );
        assert!(results[3].get("fixes").is_none());

        // Skipped files and configuration problems are notifications.
        let invocation = &run["invocations"][0];
        assert_eq!(
            invocation["toolExecutionNotifications"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            invocation["toolConfigurationNotifications"][0]["level"],
            json!("warning")
        );
    }

    #[test]
    fn short_descriptions_are_first_sentences() {
        assert_eq!(first_sentence("One. Two."), "One.");
        assert_eq!(
            first_sentence("Keys, e.g. a token. More."),
            "Keys, e.g. a token."
        );
        assert_eq!(first_sentence("No full stop"), "No full stop");
    }

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(path_to_uri("src/a.rs"), "src/a.rs");
        assert_eq!(
            path_to_uri("docs/release notes/a|b*c_d#1:2%.md"),
            "docs/release%20notes/a%7Cb%2Ac_d%231%3A2%25.md"
        );
        assert_eq!(path_to_uri("src/é.rs"), "src/%C3%A9.rs");
    }

    #[test]
    fn an_empty_suggestion_deletes_whole_lines() {
        let mut review = fixtures::realistic();
        review.findings[4].suggestion = Some(String::new());
        let text = rendered(&review);
        assert_valid(&text);
        let log: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            log["runs"][0]["results"][4]["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"],
            json!({"startLine": 88, "startColumn": 1, "endLine": 89, "endColumn": 1})
        );
    }
}
