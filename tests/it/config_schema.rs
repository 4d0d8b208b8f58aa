//! `.coderabbit.yaml` against CodeRabbit's published schema (`tests/reference/coderabbit/schema.v2.json`).
//!
//! The agent carries its own table of the schema's keys (`config::keys`) and never reads the
//! schema file; these tests read it to prove that the table describes exactly the schema, and
//! that what the schema accepts loads without a problem while what it rejects is reported.

#![allow(clippy::unwrap_used)]

use coderabbit_agent::config::keys::{self, Key, Type};
use coderabbit_agent::config::{
    self, Config, Loaded, ProblemSeverity, Profile, find_in, load_file, load_str,
};
use coderabbit_agent::finding::Severity;
use serde_json::{Map, Value as Json};
use std::path::Path;

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/reference/coderabbit/schema.v2.json"
);

fn schema() -> Json {
    let text =
        std::fs::read_to_string(SCHEMA).expect("the CodeRabbit schema is in tests/reference");
    serde_json::from_str(text.trim_start_matches('\u{FEFF}')).expect("the schema is JSON")
}

/// The object the schema describes (its root is a `$ref` to it).
fn root(schema: &Json) -> &Json {
    &schema["definitions"]["schema"]
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&schema()).expect("the schema compiles")
}

fn load(text: &str) -> Loaded {
    load_str(text, Path::new(".coderabbit.yaml"))
}

fn messages(loaded: &Loaded) -> Vec<String> {
    loaded.problems.iter().map(ToString::to_string).collect()
}

/// What the schema says about one key, in a form both sides can produce.
fn describe_schema(path: &str, node: &Json) -> String {
    const UNDERSTOOD: &[&str] = &[
        "type",
        "properties",
        "additionalProperties",
        "items",
        "enum",
        "default",
        "description",
        "maxLength",
        "minimum",
        "maximum",
        "required",
    ];
    let object = node.as_object().expect("every schema node is an object");
    for keyword in object.keys() {
        assert!(
            UNDERSTOOD.contains(&keyword.as_str()),
            "`{path}` uses `{keyword}`, which the key table cannot express: extend keys::Type"
        );
    }
    let number = |name: &str| object.get(name).and_then(Json::as_f64);
    match object.get("type").and_then(Json::as_str) {
        Some("object") => {
            let required: Vec<&str> = object
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            format!("object required={required:?}")
        }
        Some("array") => "array".to_owned(),
        Some("boolean") => "boolean".to_owned(),
        Some("string") => match object.get("enum").and_then(Json::as_array) {
            Some(values) => {
                let values: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
                format!("enum {values:?}")
            }
            None => format!(
                "string max={:?}",
                object.get("maxLength").and_then(Json::as_u64)
            ),
        },
        Some("number") => format!(
            "number min={:?} max={:?}",
            number("minimum"),
            number("maximum")
        ),
        other => panic!("`{path}` has type {other:?}, which the key table cannot express"),
    }
}

fn describe_key(key: &Key) -> String {
    match key.ty {
        Type::Object { required } => format!("object required={required:?}"),
        Type::Array => "array".to_owned(),
        Type::Boolean => "boolean".to_owned(),
        Type::String { max_len } => format!("string max={:?}", max_len.map(|n| n as u64)),
        Type::Enum(values) => format!("enum {values:?}"),
        Type::Number { min, max } => format!("number min={min:?} max={max:?}"),
    }
}

/// Every key of the schema, parents first, in the schema's order.
fn schema_keys(node: &Json, path: &str, out: &mut Vec<(String, String)>) {
    if !path.is_empty() {
        out.push((path.to_owned(), describe_schema(path, node)));
    }
    if let Some(properties) = node.get("properties").and_then(Json::as_object) {
        for (name, child) in properties {
            schema_keys(child, &keys::join(path, name), out);
        }
    }
    if let Some(items) = node.get("items") {
        schema_keys(items, &format!("{path}[]"), out);
    }
}

#[test]
fn key_table_equals_the_schema() {
    let schema = schema();
    assert_eq!(schema["$ref"], "#/definitions/schema");
    let mut expected = Vec::new();
    schema_keys(root(&schema), "", &mut expected);
    let actual: Vec<(String, String)> = keys::KEYS
        .iter()
        .map(|key| (key.path.to_owned(), describe_key(key)))
        .collect();
    // serde_json sorts object keys, so the schema's order is lost: compare as sets.
    let missing: Vec<&(String, String)> = expected.iter().filter(|k| !actual.contains(k)).collect();
    let extra: Vec<&(String, String)> = actual.iter().filter(|k| !expected.contains(k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the key table has drifted from the schema\nmissing or different in the table: \
         {missing:#?}\nnot in the schema: {extra:#?}"
    );
    assert_eq!(expected.len(), actual.len(), "a key is listed twice");
}

/// The document made of every default the schema gives.
fn defaults_of(node: &Json) -> Option<Json> {
    if let Some(properties) = node.get("properties").and_then(Json::as_object) {
        let map: Map<String, Json> = properties
            .iter()
            .filter_map(|(name, child)| Some((name.clone(), defaults_of(child)?)))
            .collect();
        return Some(Json::Object(map));
    }
    node.get("default").cloned()
}

#[test]
fn the_schemas_defaults_load_as_our_defaults() {
    let schema = schema();
    let defaults = defaults_of(root(&schema)).unwrap();
    assert!(validator().is_valid(&defaults));
    // JSON is YAML; and the same document written as YAML.
    for text in [
        serde_json::to_string_pretty(&defaults).unwrap(),
        serde_yaml::to_string(&defaults).unwrap(),
    ] {
        let loaded = load(&text);
        assert!(loaded.problems.is_empty(), "{:#?}", messages(&loaded));
        assert_eq!(loaded.config, Config::default());
    }
}

#[test]
fn printed_configuration_is_valid_and_loads_back() {
    let validator = validator();
    let mut config = load(EVERY_ACTED_KEY).config;
    for _ in 0..2 {
        let printed = config.to_yaml();
        let json: Json = serde_yaml::from_str(&printed).unwrap();
        assert!(validator.is_valid(&json), "{printed}");
        let again = load(&printed);
        assert!(again.problems.is_empty(), "{:#?}", messages(&again));
        assert_eq!(again.config, config);
        config = Config::default();
    }
}

const EVERY_ACTED_KEY: &str = r#"# every key the agent acts on
language: pt-BR
tone_instructions: "Short sentences, no jokes."
reviews:
  profile: assertive
  path_filters:
    - "src/**"
    - "docs/"
    - "!**/*.lock"
    - "!src/generated/**"
  path_instructions:
    - path: "src/**/*.ts"
      instructions: "Check for unhandled promise rejections."
    - path: "**/*.test.ts"
      instructions: |
        Tests must not sleep.
        Prefer table-driven cases.
  high_level_summary: false
  review_status: false
  commit_status: false
  fail_commit_status: true
  collapse_walkthrough: true
  auto_review:
    enabled: true
    ignore_title_keywords: ["WIP", "DO NOT MERGE"]
    labels: ["needs-review", "!skip-review"]
    drafts: true
    base_branches: ["develop", "release/.*"]
  tools:
    eslint:
      enabled: false
    shellcheck:
      enabled: true
    golangci-lint:
      enabled: false
"#;

#[test]
fn every_acted_key_is_read() {
    let json: Json = serde_yaml::from_str(EVERY_ACTED_KEY).unwrap();
    assert!(validator().is_valid(&json));
    let loaded = load(EVERY_ACTED_KEY);
    assert!(loaded.problems.is_empty(), "{:#?}", messages(&loaded));
    assert!(loaded.ignored.is_empty(), "{:?}", loaded.ignored);
    let c = &loaded.config;
    assert_eq!(c.language, "pt-BR");
    assert_eq!(c.tone_instructions, "Short sentences, no jokes.");
    assert_eq!(c.reviews.profile, Profile::Assertive);
    assert_eq!(c.min_severity(), Severity::Info);
    assert!(!c.reviews.high_level_summary);
    assert!(!c.reviews.review_status);
    assert!(!c.reviews.commit_status);
    assert!(c.reviews.fail_commit_status);
    assert!(c.reviews.collapse_walkthrough);
    let auto = &c.reviews.auto_review;
    assert!(auto.enabled && auto.drafts);
    assert_eq!(auto.ignore_title_keywords, ["WIP", "DO NOT MERGE"]);
    assert_eq!(auto.labels, ["needs-review", "!skip-review"]);
    assert_eq!(auto.base_branches, ["develop", "release/.*"]);
    assert!(!c.tool_enabled("eslint"));
    assert!(!c.tool_enabled("golangci-lint"));
    assert!(c.tool_enabled("shellcheck") && c.tool_enabled("ruff"));

    assert!(c.includes_path("src/app/main.ts"));
    assert!(c.includes_path("docs/guide/intro.md"));
    assert!(!c.includes_path("src/package.lock"));
    assert!(!c.includes_path("src/generated/api.ts"));
    assert!(!c.includes_path("README.md"), "not under an include");
    assert!(!c.includes_path("scripts/build.sh"));
    assert_eq!(
        c.instructions_for("src/app/main.ts"),
        ["Check for unhandled promise rejections."]
    );
    assert_eq!(
        c.instructions_for("src/app/main.test.ts"),
        [
            "Check for unhandled promise rejections.",
            "Tests must not sleep.\nPrefer table-driven cases.\n"
        ]
    );
    assert!(c.instructions_for("docs/a.md").is_empty());
}

/// A file as a CodeRabbit user writes it: many keys this agent ignores, anchors, comments,
/// quoting styles, flow and block collections.
const REALISTIC: &str = r#"# yaml-language-server: $schema=https://coderabbit.ai/integrations/schema.v2.json
language: "en-US"
early_access: false
reviews:
  profile: "chill"
  request_changes_workflow: false
  high_level_summary: true
  poem: false
  review_status: true
  collapse_walkthrough: false
  sequence_diagrams: true
  labeling_instructions:
    - label: frontend
      instructions: Changes under web/.
  path_filters:
    - "!**/dist/**"
    - "!**/node_modules/**"
    - "!**/*.pb.go"
    - "!**/*.min.js"
    - '!**/package-lock.json'
  path_instructions:
    - path: "**/*.go"
      instructions: &go >-
        Review the Go code against Effective Go
        and point out deviations.
    - path: "cmd/**"
      instructions: *go
    - path: "**/*_test.go"
      instructions: "Check that tests use t.Helper() in helpers."
  auto_review:
    enabled: true
    drafts: false
    base_branches:
      - main
      - "release/.*"
  finishing_touches:
    docstrings: {enabled: true}
  pre_merge_checks:
    docstrings:
      mode: warning
      threshold: 75.5
  tools:
    languagetool:
      enabled: true
      level: picky
      disabled_rules: [EN_QUOTES]
    phpstan:
      enabled: false
      level: "5"
    github-checks:
      enabled: true
      timeout_ms: 120000
    ast-grep:
      rule_dirs: [".ast-grep/rules"]
      essential_rules: true
    markdownlint: {enabled: false}
chat:
  auto_reply: true
  integrations:
    jira: {usage: disabled}
knowledge_base:
  opt_out: false
  learnings:
    scope: auto
  code_guidelines:
    filePatterns: ["docs/CONVENTIONS.md"]
code_generation:
  docstrings:
    language: en-GB
    path_instructions:
      - path: "**/*.go"
        instructions: Use godoc style.
"#;

#[test]
fn a_realistic_file_loads_without_problems() {
    let json: Json = serde_yaml::from_str(REALISTIC).unwrap();
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let loaded = load(REALISTIC);
    assert!(loaded.problems.is_empty(), "{:#?}", messages(&loaded));
    let c = &loaded.config;
    assert_eq!(c.language, "en-US");
    assert_eq!(c.reviews.profile, Profile::Chill);
    assert_eq!(c.min_severity(), Severity::Minor);
    assert!(c.reviews.high_level_summary && c.reviews.review_status);
    assert!(c.includes_path("cmd/server/main.go"));
    assert!(!c.includes_path("web/dist/app.js"));
    assert!(!c.includes_path("web/node_modules/x/index.js"));
    assert!(!c.includes_path("api/v1/service.pb.go"));
    assert!(!c.includes_path("package-lock.json"));
    assert!(
        !c.includes_path("web/static/App.MIN.JS"),
        "matching ignores case"
    );
    let go = "Review the Go code against Effective Go and point out deviations.";
    assert_eq!(c.instructions_for("cmd/server/main.go"), [go, go]);
    assert_eq!(
        c.instructions_for("pkg/x/x_test.go"),
        [go, "Check that tests use t.Helper() in helpers."]
    );
    assert!(c.instructions_for("web/app.ts").is_empty());
    assert!(!c.tool_enabled("phpstan") && !c.tool_enabled("markdownlint"));
    assert!(c.tool_enabled("languagetool") && c.tool_enabled("ast-grep"));
    assert_eq!(c.reviews.auto_review.base_branches, ["main", "release/.*"]);
    assert_eq!(
        config::ignored_keys(&loaded),
        [
            "early_access",
            "reviews.request_changes_workflow",
            "reviews.labeling_instructions",
            "reviews.finishing_touches",
            "reviews.pre_merge_checks",
            "reviews.tools.languagetool.level",
            "reviews.tools.languagetool.disabled_rules",
            "reviews.tools.phpstan.level",
            "reviews.tools.github-checks.timeout_ms",
            "reviews.tools.ast-grep.rule_dirs",
            "reviews.tools.ast-grep.essential_rules",
            "chat",
            "knowledge_base",
            "code_generation",
        ]
    );
}

#[test]
fn an_unknown_key_is_a_warning_naming_the_nearest_key() {
    let loaded = load(
        "# settings\nreviews:\n  profle: assertive\n  tools:\n    eslnt:\n      enabled: false\n",
    );
    assert_eq!(
        messages(&loaded),
        [
            ".coderabbit.yaml:3:3: warning: unknown key `reviews.profle`; did you mean `profile`?",
            ".coderabbit.yaml:5:5: warning: unknown key `reviews.tools.eslnt`; did you mean `eslint`?",
        ]
    );
    assert!(!loaded.has_errors());
    assert_eq!(loaded.config, Config::default());
}

#[test]
fn type_errors_are_all_errors_with_positions() {
    let text = concat!(
        "language: 42\n",
        "tone_instructions: [a]\n",
        "reviews:\n",
        "  profile: relaxed\n",
        "  commit_status: \"false\"\n",
        "  fail_commit_status: on\n",
        "  path_filters: {exclude: dist}\n",
        "  path_instructions:\n",
        "    - path: src/**\n",
        "  auto_review:\n",
        "    drafts: 1\n",
        "  tools:\n",
        "    ruff: true\n",
    );
    let json: Json = serde_yaml::from_str(text).unwrap();
    let validator = validator();
    let mut schema_errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.instance_path.to_string())
        .collect();
    schema_errors.dedup();
    let loaded = load(text);
    let problems: Vec<(usize, usize, ProblemSeverity)> = loaded
        .problems
        .iter()
        .map(|p| (p.line.unwrap(), p.column.unwrap(), p.severity))
        .collect();
    use ProblemSeverity::Error;
    assert_eq!(
        problems,
        [
            (1, 11, Error),
            (2, 20, Error),
            (4, 12, Error),
            (5, 18, Error),
            (6, 23, Error),
            (7, 17, Error),
            (9, 7, Error),
            (11, 13, Error),
            (13, 11, Error),
        ],
        "{:#?}",
        messages(&loaded)
    );
    assert_eq!(
        schema_errors.len(),
        problems.len(),
        "one problem per value the schema rejects: {schema_errors:?}"
    );
    assert_eq!(loaded.config, Config::default(), "every value was bad");
    let m = messages(&loaded);
    assert!(m[3].contains(
        "`reviews.commit_status` must be a boolean (`true` or `false`), found the string `false` (quoted, it is text"
    ));
    assert!(m[4].contains("reads `on` as text: write `true`"));
    assert!(
        m[8].contains("`reviews.tools.ruff` must be a mapping of keys, found the boolean `true` (write `enabled: true`")
    );
}

/// Small documents on which the schema and the loader must agree: the schema accepts exactly
/// those the loader reads without a problem. (Two deliberate exceptions are tested elsewhere:
/// a key with no value means its default, and an unknown top-level key gets a warning although
/// the schema allows extra keys there.)
#[test]
fn the_loader_agrees_with_the_schema() {
    let cases = [
        "reviews: {profile: chill}",
        "reviews: {profile: CHILL}",
        "reviews: {poem: false}",
        "reviews: {poem: 'false'}",
        "reviews: {poem: no}",
        "reviews: {poem: False}",
        "reviews: {path_filters: []}",
        "reviews: {path_filters: [1]}",
        "reviews: {path_filters: '**'}",
        "reviews: {path_instructions: [{path: a, instructions: b}]}",
        "reviews: {path_instructions: [{path: a}]}",
        "reviews: {path_instructions: [{path: a, instructions: b, extra: c}]}",
        "reviews: {auto_review: {labels: [a, b]}}",
        "reviews: {auto_review: {enabeld: true}}",
        "reviews: {tools: {phpstan: {level: '5'}}}",
        "reviews: {tools: {phpstan: {level: 5}}}",
        "reviews: {tools: {phpstan: {level: max}}}",
        "reviews: {tools: {github-checks: {timeout_ms: 0}}}",
        "reviews: {tools: {github-checks: {timeout_ms: -1}}}",
        "reviews: {tools: {github-checks: {timeout_ms: 900000.5}}}",
        "reviews: {tools: {nosuchtool: {enabled: true}}}",
        "reviews: {pre_merge_checks: {docstrings: {threshold: 100}}}",
        "reviews: {pre_merge_checks: {docstrings: {threshold: '80'}}}",
        "reviews: {pre_merge_checks: {title: {mode: off}}}",
        "reviews: {pre_merge_checks: {title: {mode: false}}}",
        "reviews: []",
        "language: en-NZ",
        "language: EN",
        "tone_instructions: ''",
        "chat: {integrations: {jira: {usage: enabled}}}",
        "chat: {integrations: {slack: {usage: enabled}}}",
        "knowledge_base: {code_guidelines: {filePatterns: ['**/*.md']}}",
        "code_generation: {docstrings: {language: xx}}",
    ];
    let validator = validator();
    let long = format!("tone_instructions: '{}'", "é".repeat(250));
    let too_long = format!("tone_instructions: '{}'", "é".repeat(251));
    let mut disagreements = Vec::new();
    for text in cases
        .iter()
        .copied()
        .chain([long.as_str(), too_long.as_str()])
    {
        let json: Json = serde_yaml::from_str(text).unwrap();
        let schema_ok = validator.is_valid(&json);
        let loaded = load(text);
        if schema_ok != loaded.problems.is_empty() {
            disagreements.push(format!(
                "{text}: schema {}, loader {:?}",
                if schema_ok { "accepts" } else { "rejects" },
                messages(&loaded)
            ));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn files_that_are_not_configuration_fall_back_to_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".coderabbit.yaml");
    let cases: [(&[u8], &str); 5] = [
        (b"reviews:\n  profile: [\n", "not valid YAML"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "NUL"),
        (b"\x89PNG\r\n\x1a\n\xff\xd8", "not UTF-8"),
        (b"- reviews\n- profile\n", "must be a mapping"),
        (b"just some words", "must be a mapping"),
    ];
    for (bytes, expected) in cases {
        std::fs::write(&path, bytes).unwrap();
        let loaded = load_file(&path);
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.source.as_deref(), Some(path.as_path()));
        assert_eq!(loaded.problems.len(), 1, "{:?}", messages(&loaded));
        let problem = &loaded.problems[0];
        assert_eq!(problem.severity, ProblemSeverity::Error);
        assert!(problem.message.contains(expected), "{problem}");
        assert_eq!(problem.file, path);
    }
    std::fs::write(&path, b"").unwrap();
    let empty = load_file(&path);
    assert!(empty.problems.is_empty());
    assert_eq!(empty.config, Config::default());
}

#[test]
fn yml_is_found_when_yaml_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".coderabbit.yml"),
        "reviews:\n  profile: assertive\n",
    )
    .unwrap();
    let found = find_in(dir.path()).unwrap();
    assert!(found.ends_with(".coderabbit.yml"));
    assert_eq!(load_file(&found).config.reviews.profile, Profile::Assertive);
    std::fs::write(dir.path().join(".coderabbit.yaml"), "").unwrap();
    assert!(find_in(dir.path()).unwrap().ends_with(".coderabbit.yaml"));
}
