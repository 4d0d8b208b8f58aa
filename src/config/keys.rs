//! The key table: every key of CodeRabbit's `.coderabbit.yaml` schema (v2) with the type and the
//! constraints the schema gives it.
//!
//! This module owns the *knowledge* of the schema, as data; it knows nothing of YAML, of
//! positions or of what the agent does with a value. The validator walks a document against
//! [`KEYS`]; [`ACTED_ON`] says which of those keys change what the agent does.
//!
//! The program never reads the schema file (it does not exist where the agent runs). The test
//! `tests/it/config_schema.rs` loads `tests/reference/coderabbit/schema.v2.json` and checks that this
//! table describes exactly the same keys, types, enums and bounds, so that the two cannot drift:
//! when CodeRabbit publishes a new schema, that test says which lines to change.
//!
//! Paths join object keys with `.`; `[]` names the items of a list
//! (`reviews.path_instructions[].path`). The root object has no entry of its own.

/// What the schema allows at one key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    /// A mapping; `required` lists the keys it must have.
    Object {
        required: &'static [&'static str],
    },
    /// A list; its items are described by the entry `<path>[]`.
    Array,
    Boolean,
    /// A string, at most `max_len` characters (Unicode scalar values) long.
    String {
        max_len: Option<usize>,
    },
    /// A string that must be one of these values (case-sensitive).
    Enum(&'static [&'static str]),
    /// A number (integer or not) within the inclusive bounds.
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
}

/// One key of the schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Key {
    pub path: &'static str,
    pub ty: Type,
}

impl Key {
    const fn object(path: &'static str) -> Key {
        Key {
            path,
            ty: Type::Object { required: &[] },
        }
    }
    const fn object_requiring(path: &'static str, required: &'static [&'static str]) -> Key {
        Key {
            path,
            ty: Type::Object { required },
        }
    }
    const fn array(path: &'static str) -> Key {
        Key {
            path,
            ty: Type::Array,
        }
    }
    const fn boolean(path: &'static str) -> Key {
        Key {
            path,
            ty: Type::Boolean,
        }
    }
    const fn string(path: &'static str) -> Key {
        Key {
            path,
            ty: Type::String { max_len: None },
        }
    }
    const fn string_max(path: &'static str, max_len: usize) -> Key {
        Key {
            path,
            ty: Type::String {
                max_len: Some(max_len),
            },
        }
    }
    const fn one_of(path: &'static str, values: &'static [&'static str]) -> Key {
        Key {
            path,
            ty: Type::Enum(values),
        }
    }
    const fn number(path: &'static str, min: f64, max: f64) -> Key {
        Key {
            path,
            ty: Type::Number {
                min: Some(min),
                max: Some(max),
            },
        }
    }
}

/// The language codes CodeRabbit accepts for `language` and `code_generation.docstrings.language`.
pub const LANGUAGES: &[&str] = &[
    "de",
    "de-DE",
    "de-AT",
    "de-CH",
    "en",
    "en-US",
    "en-AU",
    "en-GB",
    "en-CA",
    "en-NZ",
    "en-ZA",
    "es",
    "es-AR",
    "fr",
    "fr-CA",
    "fr-CH",
    "fr-BE",
    "nl",
    "nl-BE",
    "pt-AO",
    "pt",
    "pt-BR",
    "pt-MZ",
    "pt-PT",
    "ar",
    "ast-ES",
    "ast",
    "be-BY",
    "be",
    "br-FR",
    "br",
    "ca-ES",
    "ca",
    "ca-ES-valencia",
    "ca-ES-balear",
    "da-DK",
    "da",
    "de-DE-x-simple-language",
    "el-GR",
    "el",
    "eo",
    "fa",
    "ga-IE",
    "ga",
    "gl-ES",
    "gl",
    "it",
    "ja-JP",
    "ja",
    "km-KH",
    "km",
    "ko-KR",
    "ko",
    "pl-PL",
    "pl",
    "ro-RO",
    "ro",
    "ru-RU",
    "ru",
    "sk-SK",
    "sk",
    "sl-SI",
    "sl",
    "sv",
    "ta-IN",
    "ta",
    "tl-PH",
    "tl",
    "tr",
    "uk-UA",
    "uk",
    "zh-CN",
    "zh",
    "crh-UA",
    "crh",
    "cs-CZ",
    "cs",
    "nb",
    "no",
    "nl-NL",
    "de-DE-x-simple-language-DE",
    "es-ES",
    "it-IT",
    "fa-IR",
    "sv-SE",
    "de-LU",
    "fr-FR",
    "bg-BG",
    "bg",
    "he-IL",
    "he",
    "hi-IN",
    "hi",
    "vi-VN",
    "vi",
    "th-TH",
    "th",
    "bn-BD",
    "bn",
];

/// Every key of the schema, parents before children, in the schema's order.
pub const KEYS: &[Key] = &[
    Key::one_of("language", LANGUAGES),
    Key::string_max("tone_instructions", 250),
    Key::boolean("early_access"),
    Key::boolean("enable_free_tier"),
    Key::object("reviews"),
    Key::one_of("reviews.profile", &["chill", "assertive"]),
    Key::boolean("reviews.request_changes_workflow"),
    Key::boolean("reviews.high_level_summary"),
    Key::string("reviews.high_level_summary_placeholder"),
    Key::boolean("reviews.high_level_summary_in_walkthrough"),
    Key::string("reviews.auto_title_placeholder"),
    Key::string("reviews.auto_title_instructions"),
    Key::boolean("reviews.review_status"),
    Key::boolean("reviews.commit_status"),
    Key::boolean("reviews.fail_commit_status"),
    Key::boolean("reviews.collapse_walkthrough"),
    Key::boolean("reviews.changed_files_summary"),
    Key::boolean("reviews.sequence_diagrams"),
    Key::boolean("reviews.estimate_code_review_effort"),
    Key::boolean("reviews.assess_linked_issues"),
    Key::boolean("reviews.related_issues"),
    Key::boolean("reviews.related_prs"),
    Key::boolean("reviews.suggested_labels"),
    Key::boolean("reviews.auto_apply_labels"),
    Key::boolean("reviews.suggested_reviewers"),
    Key::boolean("reviews.auto_assign_reviewers"),
    Key::boolean("reviews.poem"),
    Key::array("reviews.labeling_instructions"),
    Key::object_requiring(
        "reviews.labeling_instructions[]",
        &["label", "instructions"],
    ),
    Key::string("reviews.labeling_instructions[].label"),
    Key::string_max("reviews.labeling_instructions[].instructions", 3000),
    Key::array("reviews.path_filters"),
    Key::string("reviews.path_filters[]"),
    Key::array("reviews.path_instructions"),
    Key::object_requiring("reviews.path_instructions[]", &["path", "instructions"]),
    Key::string("reviews.path_instructions[].path"),
    Key::string_max("reviews.path_instructions[].instructions", 20000),
    Key::boolean("reviews.abort_on_close"),
    Key::boolean("reviews.disable_cache"),
    Key::object("reviews.auto_review"),
    Key::boolean("reviews.auto_review.enabled"),
    Key::boolean("reviews.auto_review.auto_incremental_review"),
    Key::array("reviews.auto_review.ignore_title_keywords"),
    Key::string("reviews.auto_review.ignore_title_keywords[]"),
    Key::array("reviews.auto_review.labels"),
    Key::string("reviews.auto_review.labels[]"),
    Key::boolean("reviews.auto_review.drafts"),
    Key::array("reviews.auto_review.base_branches"),
    Key::string("reviews.auto_review.base_branches[]"),
    Key::object("reviews.finishing_touches"),
    Key::object("reviews.finishing_touches.docstrings"),
    Key::boolean("reviews.finishing_touches.docstrings.enabled"),
    Key::object("reviews.finishing_touches.unit_tests"),
    Key::boolean("reviews.finishing_touches.unit_tests.enabled"),
    Key::object("reviews.pre_merge_checks"),
    Key::object("reviews.pre_merge_checks.docstrings"),
    Key::one_of(
        "reviews.pre_merge_checks.docstrings.mode",
        &["off", "warning", "error"],
    ),
    Key::number("reviews.pre_merge_checks.docstrings.threshold", 0.0, 100.0),
    Key::object("reviews.pre_merge_checks.title"),
    Key::one_of(
        "reviews.pre_merge_checks.title.mode",
        &["off", "warning", "error"],
    ),
    Key::string("reviews.pre_merge_checks.title.requirements"),
    Key::object("reviews.pre_merge_checks.description"),
    Key::one_of(
        "reviews.pre_merge_checks.description.mode",
        &["off", "warning", "error"],
    ),
    Key::object("reviews.pre_merge_checks.issue_assessment"),
    Key::one_of(
        "reviews.pre_merge_checks.issue_assessment.mode",
        &["off", "warning", "error"],
    ),
    Key::object("reviews.tools"),
    Key::object("reviews.tools.ast-grep"),
    Key::array("reviews.tools.ast-grep.rule_dirs"),
    Key::string("reviews.tools.ast-grep.rule_dirs[]"),
    Key::array("reviews.tools.ast-grep.util_dirs"),
    Key::string("reviews.tools.ast-grep.util_dirs[]"),
    Key::boolean("reviews.tools.ast-grep.essential_rules"),
    Key::array("reviews.tools.ast-grep.packages"),
    Key::string("reviews.tools.ast-grep.packages[]"),
    Key::object("reviews.tools.shellcheck"),
    Key::boolean("reviews.tools.shellcheck.enabled"),
    Key::object("reviews.tools.ruff"),
    Key::boolean("reviews.tools.ruff.enabled"),
    Key::object("reviews.tools.markdownlint"),
    Key::boolean("reviews.tools.markdownlint.enabled"),
    Key::object("reviews.tools.github-checks"),
    Key::boolean("reviews.tools.github-checks.enabled"),
    Key::number("reviews.tools.github-checks.timeout_ms", 0.0, 900000.0),
    Key::object("reviews.tools.languagetool"),
    Key::boolean("reviews.tools.languagetool.enabled"),
    Key::array("reviews.tools.languagetool.enabled_rules"),
    Key::string("reviews.tools.languagetool.enabled_rules[]"),
    Key::array("reviews.tools.languagetool.disabled_rules"),
    Key::string("reviews.tools.languagetool.disabled_rules[]"),
    Key::array("reviews.tools.languagetool.enabled_categories"),
    Key::string("reviews.tools.languagetool.enabled_categories[]"),
    Key::array("reviews.tools.languagetool.disabled_categories"),
    Key::string("reviews.tools.languagetool.disabled_categories[]"),
    Key::boolean("reviews.tools.languagetool.enabled_only"),
    Key::one_of("reviews.tools.languagetool.level", &["default", "picky"]),
    Key::object("reviews.tools.biome"),
    Key::boolean("reviews.tools.biome.enabled"),
    Key::object("reviews.tools.hadolint"),
    Key::boolean("reviews.tools.hadolint.enabled"),
    Key::object("reviews.tools.swiftlint"),
    Key::boolean("reviews.tools.swiftlint.enabled"),
    Key::string("reviews.tools.swiftlint.config_file"),
    Key::object("reviews.tools.phpstan"),
    Key::boolean("reviews.tools.phpstan.enabled"),
    Key::one_of(
        "reviews.tools.phpstan.level",
        &[
            "default", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "max",
        ],
    ),
    Key::object("reviews.tools.phpmd"),
    Key::boolean("reviews.tools.phpmd.enabled"),
    Key::object("reviews.tools.phpcs"),
    Key::boolean("reviews.tools.phpcs.enabled"),
    Key::object("reviews.tools.golangci-lint"),
    Key::boolean("reviews.tools.golangci-lint.enabled"),
    Key::string("reviews.tools.golangci-lint.config_file"),
    Key::object("reviews.tools.yamllint"),
    Key::boolean("reviews.tools.yamllint.enabled"),
    Key::object("reviews.tools.gitleaks"),
    Key::boolean("reviews.tools.gitleaks.enabled"),
    Key::object("reviews.tools.checkov"),
    Key::boolean("reviews.tools.checkov.enabled"),
    Key::object("reviews.tools.detekt"),
    Key::boolean("reviews.tools.detekt.enabled"),
    Key::string("reviews.tools.detekt.config_file"),
    Key::object("reviews.tools.eslint"),
    Key::boolean("reviews.tools.eslint.enabled"),
    Key::object("reviews.tools.flake8"),
    Key::boolean("reviews.tools.flake8.enabled"),
    Key::object("reviews.tools.rubocop"),
    Key::boolean("reviews.tools.rubocop.enabled"),
    Key::object("reviews.tools.buf"),
    Key::boolean("reviews.tools.buf.enabled"),
    Key::object("reviews.tools.regal"),
    Key::boolean("reviews.tools.regal.enabled"),
    Key::object("reviews.tools.actionlint"),
    Key::boolean("reviews.tools.actionlint.enabled"),
    Key::object("reviews.tools.pmd"),
    Key::boolean("reviews.tools.pmd.enabled"),
    Key::string("reviews.tools.pmd.config_file"),
    Key::object("reviews.tools.cppcheck"),
    Key::boolean("reviews.tools.cppcheck.enabled"),
    Key::object("reviews.tools.semgrep"),
    Key::boolean("reviews.tools.semgrep.enabled"),
    Key::string("reviews.tools.semgrep.config_file"),
    Key::object("reviews.tools.circleci"),
    Key::boolean("reviews.tools.circleci.enabled"),
    Key::object("reviews.tools.clippy"),
    Key::boolean("reviews.tools.clippy.enabled"),
    Key::object("reviews.tools.sqlfluff"),
    Key::boolean("reviews.tools.sqlfluff.enabled"),
    Key::object("reviews.tools.prismaLint"),
    Key::boolean("reviews.tools.prismaLint.enabled"),
    Key::object("reviews.tools.pylint"),
    Key::boolean("reviews.tools.pylint.enabled"),
    Key::object("reviews.tools.oxc"),
    Key::boolean("reviews.tools.oxc.enabled"),
    Key::object("reviews.tools.shopifyThemeCheck"),
    Key::boolean("reviews.tools.shopifyThemeCheck.enabled"),
    Key::object("reviews.tools.luacheck"),
    Key::boolean("reviews.tools.luacheck.enabled"),
    Key::object("reviews.tools.brakeman"),
    Key::boolean("reviews.tools.brakeman.enabled"),
    Key::object("reviews.tools.dotenvLint"),
    Key::boolean("reviews.tools.dotenvLint.enabled"),
    Key::object("reviews.tools.htmlhint"),
    Key::boolean("reviews.tools.htmlhint.enabled"),
    Key::object("reviews.tools.checkmake"),
    Key::boolean("reviews.tools.checkmake.enabled"),
    Key::object("reviews.tools.osvScanner"),
    Key::boolean("reviews.tools.osvScanner.enabled"),
    Key::object("chat"),
    Key::boolean("chat.art"),
    Key::boolean("chat.auto_reply"),
    Key::object("chat.integrations"),
    Key::object("chat.integrations.jira"),
    Key::one_of(
        "chat.integrations.jira.usage",
        &["auto", "enabled", "disabled"],
    ),
    Key::object("chat.integrations.linear"),
    Key::one_of(
        "chat.integrations.linear.usage",
        &["auto", "enabled", "disabled"],
    ),
    Key::object("knowledge_base"),
    Key::boolean("knowledge_base.opt_out"),
    Key::object("knowledge_base.web_search"),
    Key::boolean("knowledge_base.web_search.enabled"),
    Key::object("knowledge_base.code_guidelines"),
    Key::boolean("knowledge_base.code_guidelines.enabled"),
    Key::array("knowledge_base.code_guidelines.filePatterns"),
    Key::string("knowledge_base.code_guidelines.filePatterns[]"),
    Key::object("knowledge_base.learnings"),
    Key::one_of(
        "knowledge_base.learnings.scope",
        &["local", "global", "auto"],
    ),
    Key::object("knowledge_base.issues"),
    Key::one_of("knowledge_base.issues.scope", &["local", "global", "auto"]),
    Key::object("knowledge_base.jira"),
    Key::one_of(
        "knowledge_base.jira.usage",
        &["auto", "enabled", "disabled"],
    ),
    Key::array("knowledge_base.jira.project_keys"),
    Key::string("knowledge_base.jira.project_keys[]"),
    Key::object("knowledge_base.linear"),
    Key::one_of(
        "knowledge_base.linear.usage",
        &["auto", "enabled", "disabled"],
    ),
    Key::array("knowledge_base.linear.team_keys"),
    Key::string("knowledge_base.linear.team_keys[]"),
    Key::object("knowledge_base.pull_requests"),
    Key::one_of(
        "knowledge_base.pull_requests.scope",
        &["local", "global", "auto"],
    ),
    Key::object("knowledge_base.mcp"),
    Key::one_of("knowledge_base.mcp.usage", &["auto", "enabled", "disabled"]),
    Key::array("knowledge_base.mcp.disabled_servers"),
    Key::string("knowledge_base.mcp.disabled_servers[]"),
    Key::object("code_generation"),
    Key::object("code_generation.docstrings"),
    Key::one_of("code_generation.docstrings.language", LANGUAGES),
    Key::array("code_generation.docstrings.path_instructions"),
    Key::object_requiring(
        "code_generation.docstrings.path_instructions[]",
        &["path", "instructions"],
    ),
    Key::string("code_generation.docstrings.path_instructions[].path"),
    Key::string_max(
        "code_generation.docstrings.path_instructions[].instructions",
        20000,
    ),
    Key::object("code_generation.unit_tests"),
    Key::array("code_generation.unit_tests.path_instructions"),
    Key::object_requiring(
        "code_generation.unit_tests.path_instructions[]",
        &["path", "instructions"],
    ),
    Key::string("code_generation.unit_tests.path_instructions[].path"),
    Key::string_max(
        "code_generation.unit_tests.path_instructions[].instructions",
        20000,
    ),
];

/// The keys whose values change what this agent does; every other key of [`KEYS`] is accepted,
/// validated and ignored. A `*` stands for any one key (here: any tool). A key listed here covers
/// its whole subtree.
///
/// `language`, `tone_instructions`, `reviews.profile` and `reviews.path_instructions` also shape
/// what the AI reviewer writes when a language-model provider is configured; the built-in rules
/// and imported findings do not read them, except `reviews.profile` (the severity floor).
/// `reviews.auto_review.auto_incremental_review` is accepted and not acted on: every run reviews
/// the whole pull request.
pub const ACTED_ON: &[&str] = &[
    "language",
    "tone_instructions",
    "reviews.profile",
    "reviews.path_filters",
    "reviews.path_instructions",
    "reviews.high_level_summary",
    "reviews.review_status",
    "reviews.commit_status",
    "reviews.fail_commit_status",
    "reviews.collapse_walkthrough",
    "reviews.poem",
    "reviews.sequence_diagrams",
    "reviews.high_level_summary_placeholder",
    "reviews.auto_review.enabled",
    "reviews.auto_review.drafts",
    "reviews.auto_review.ignore_title_keywords",
    "reviews.auto_review.labels",
    "reviews.auto_review.base_branches",
    "reviews.auto_review.ignore_usernames",
    "reviews.tools.*.enabled",
];

/// The values `reviews.profile` takes: the schema's two and `quiet`, which CodeRabbit documents
/// since (see [`EXTENSIONS`]).
pub const PROFILES: &[&str] = &["chill", "assertive", "quiet"];

/// Keys the agent accepts beyond the published schema: settings CodeRabbit documents that the
/// schema edition in `tests/reference` predates (`tests/reference/coderabbit/keys-after-schema.md`).
/// Kept apart so the schema test still compares [`KEYS`] with the schema exactly. An entry here
/// whose path is also in [`KEYS`] replaces it (`reviews.profile` gains `quiet`).
pub const EXTENSIONS: &[Key] = &[
    Key::one_of("reviews.profile", PROFILES),
    Key::boolean("inheritance"),
    Key::object("issue_enrichment"),
    Key::object("issue_enrichment.auto_enrich"),
    Key::boolean("issue_enrichment.auto_enrich.enabled"),
    Key::object("issue_enrichment.planning"),
    Key::boolean("issue_enrichment.planning.enabled"),
    Key::object("issue_enrichment.planning.auto_planning"),
    Key::boolean("issue_enrichment.planning.auto_planning.enabled"),
    Key::array("issue_enrichment.planning.auto_planning.labels"),
    Key::string("issue_enrichment.planning.auto_planning.labels[]"),
    Key::object("issue_enrichment.labeling"),
    Key::boolean("reviews.allow_author_approval"),
    Key::string("reviews.high_level_summary_instructions"),
    Key::boolean("reviews.review_details"),
    Key::boolean("reviews.review_progress"),
    Key::object("reviews.mutually_exclusive_groups"),
    Key::array("reviews.suggested_reviewers_instructions"),
    Key::boolean("reviews.in_progress_fortune"),
    Key::boolean("reviews.enable_prompt_for_ai_agents"),
    Key::array("reviews.post_merge_actions"),
    Key::object("reviews.slop_detection"),
    Key::string("reviews.auto_review.description_keyword"),
    Key {
        path: "reviews.auto_review.auto_pause_after_reviewed_commits",
        ty: Type::Number {
            min: Some(0.0),
            max: None,
        },
    },
    Key::array("reviews.auto_review.ignore_usernames"),
    Key::string("reviews.auto_review.ignore_usernames[]"),
    Key::object("reviews.finishing_touches.simplify"),
    Key::object("reviews.finishing_touches.autofix"),
    Key::object("reviews.finishing_touches.fix_ci"),
    Key::object("reviews.finishing_touches.resolve_merge_conflict"),
    Key::array("reviews.finishing_touches.custom"),
    Key::object_requiring(
        "reviews.finishing_touches.custom[]",
        &["name", "instructions"],
    ),
    Key::string("reviews.finishing_touches.custom[].name"),
    Key::string("reviews.finishing_touches.custom[].instructions"),
    Key::array("reviews.pre_merge_checks.custom_checks"),
    Key::object_requiring(
        "reviews.pre_merge_checks.custom_checks[]",
        &["name", "instructions"],
    ),
    Key::string_max("reviews.pre_merge_checks.custom_checks[].name", 50),
    Key::one_of(
        "reviews.pre_merge_checks.custom_checks[].mode",
        &["off", "warning", "error"],
    ),
    Key::string_max(
        "reviews.pre_merge_checks.custom_checks[].instructions",
        10000,
    ),
    Key::boolean("reviews.pre_merge_checks.override_requested_reviewers_only"),
    Key::string("reviews.tools.ruff.config_file"),
    Key::string("reviews.tools.eslint.config_file"),
    Key::object("reviews.tools.eslint.e18e"),
    Key::string("reviews.tools.sqlfluff.config_file"),
    Key::object("reviews.tools.trufflehog"),
    Key::boolean("reviews.tools.trufflehog.enabled"),
    Key::object("reviews.tools.tflint"),
    Key::boolean("reviews.tools.tflint.enabled"),
    Key::object("reviews.tools.fbinfer"),
    Key::boolean("reviews.tools.fbinfer.enabled"),
    Key::object("reviews.tools.fortitudeLint"),
    Key::boolean("reviews.tools.fortitudeLint.enabled"),
    Key::object("reviews.tools.zizmor"),
    Key::boolean("reviews.tools.zizmor.enabled"),
    Key::object("reviews.tools.clang"),
    Key::boolean("reviews.tools.clang.enabled"),
    Key::object("reviews.tools.vale"),
    Key::boolean("reviews.tools.vale.enabled"),
    Key::object("reviews.tools.verilator"),
    Key::boolean("reviews.tools.verilator.enabled"),
    Key::object("reviews.tools.opengrep"),
    Key::boolean("reviews.tools.opengrep.enabled"),
    Key::object("reviews.tools.squawk"),
    Key::boolean("reviews.tools.squawk.enabled"),
    Key::object("reviews.tools.trivy"),
    Key::boolean("reviews.tools.trivy.enabled"),
    Key::object("reviews.tools.stylelint"),
    Key::boolean("reviews.tools.stylelint.enabled"),
    Key::object("reviews.tools.oasdiff"),
    Key::boolean("reviews.tools.oasdiff.enabled"),
    Key::object("reviews.tools.reactDoctor"),
    Key::boolean("reviews.tools.reactDoctor.enabled"),
    Key::object("reviews.tools.presidio"),
    Key::boolean("reviews.tools.presidio.enabled"),
    Key::object("reviews.tools.blinter"),
    Key::boolean("reviews.tools.blinter.enabled"),
    Key::object("reviews.tools.smartyLint"),
    Key::boolean("reviews.tools.smartyLint.enabled"),
    Key::object("reviews.tools.emberTemplateLint"),
    Key::boolean("reviews.tools.emberTemplateLint.enabled"),
    Key::object("reviews.tools.skillspector"),
    Key::boolean("reviews.tools.skillspector.enabled"),
    Key::object("reviews.tools.psscriptanalyzer"),
    Key::boolean("reviews.tools.psscriptanalyzer.enabled"),
    Key::boolean("chat.allow_non_org_members"),
    Key::object("chat.integrations.jira.issue_template"),
    Key::object("knowledge_base.learnings.approval_delay"),
    Key::object("knowledge_base.automatic_linking_mode"),
    Key::array("knowledge_base.linked_repositories"),
    Key::array("knowledge_base.jira.excluded_project_keys"),
    Key::string("knowledge_base.jira.excluded_project_keys[]"),
];

/// Keys of [`EXTENSIONS`] whose shape the reference describes only loosely: any value is
/// accepted there, unchecked, and nothing below them gets a warning. The agent acts on none.
pub const FREE_FORM: &[&str] = &[
    "issue_enrichment.labeling",
    "reviews.mutually_exclusive_groups",
    "reviews.suggested_reviewers_instructions",
    "reviews.post_merge_actions",
    "reviews.slop_detection",
    "reviews.finishing_touches.simplify",
    "reviews.finishing_touches.autofix",
    "reviews.finishing_touches.fix_ci",
    "reviews.finishing_touches.resolve_merge_conflict",
    "reviews.tools.eslint.e18e",
    "chat.integrations.jira.issue_template",
    "knowledge_base.learnings.approval_delay",
    "knowledge_base.automatic_linking_mode",
    "knowledge_base.linked_repositories",
];

/// Whether any value is accepted at `path` (see [`FREE_FORM`]).
pub fn free_form(path: &str) -> bool {
    FREE_FORM.contains(&path)
}

/// Every key the agent accepts: the extensions (which may replace a schema entry), then the
/// schema's.
fn all_keys() -> impl Iterator<Item = &'static Key> {
    EXTENSIONS.iter().chain(KEYS.iter())
}

/// The entry for `path`, if the schema (or an extension) knows it.
pub fn lookup(path: &str) -> Option<&'static Key> {
    all_keys().find(|key| key.path == path)
}

/// The path of the key `name` inside the object at `parent` (`""` is the root).
pub fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// The names of the keys directly inside the object at `parent` (`""` is the root).
pub fn children(parent: &str) -> impl Iterator<Item = &'static str> + '_ {
    let replaced = |key: &&Key| {
        !std::ptr::eq(*key, lookup(key.path).unwrap_or(*key)) // an entry an extension replaces
    };
    KEYS.iter()
        .chain(EXTENSIONS.iter())
        .filter(move |key| !replaced(key))
        .filter_map(move |key| {
            let rest = if parent.is_empty() {
                key.path
            } else {
                key.path.strip_prefix(parent)?.strip_prefix('.')?
            };
            (!rest.contains('.') && !rest.ends_with("[]")).then_some(rest)
        })
}

/// The names of the tools under `reviews.tools`, in the schema's order.
pub fn tools() -> impl Iterator<Item = &'static str> {
    children("reviews.tools")
}

/// How a known key relates to [`ACTED_ON`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The key, or a key above it, is acted on.
    Acted,
    /// Some key below it is acted on.
    Partly,
    /// Nothing at or below it is acted on.
    Ignored,
}

/// Whether the agent acts on the key at `path` (a path of [`KEYS`], without `[]` parts below an
/// acted-on key mattering).
pub fn usage(path: &str) -> Use {
    let segments: Vec<&str> = path.split('.').collect();
    let mut partly = false;
    for acted in ACTED_ON {
        let pattern: Vec<&str> = acted.split('.').collect();
        let common = segments.len().min(pattern.len());
        let agree = segments
            .iter()
            .zip(&pattern)
            .take(common)
            .all(|(seg, pat)| *pat == "*" || seg.trim_end_matches("[]") == *pat);
        if !agree {
            continue;
        }
        if segments.len() >= pattern.len() {
            return Use::Acted;
        }
        partly = true;
    }
    if partly { Use::Partly } else { Use::Ignored }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_acted_on_key_is_in_the_table() {
        for acted in ACTED_ON {
            let found = all_keys().any(|key| {
                let segments: Vec<&str> = key.path.split('.').collect();
                let pattern: Vec<&str> = acted.split('.').collect();
                segments.len() == pattern.len()
                    && segments
                        .iter()
                        .zip(&pattern)
                        .all(|(s, p)| *p == "*" || s == p)
            });
            assert!(found, "{acted} is not a key of the schema");
        }
    }

    #[test]
    fn parents_come_before_children() {
        for (index, key) in KEYS.iter().enumerate() {
            if let Some((parent, _)) = key.path.rsplit_once('.') {
                let parent_index = KEYS.iter().position(|k| k.path == parent);
                assert!(parent_index.is_some_and(|p| p < index), "{}", key.path);
            }
        }
    }

    #[test]
    fn children_and_usage() {
        let top: Vec<&str> = children("").collect();
        assert!(top.contains(&"reviews") && top.contains(&"language"));
        assert!(!top.iter().any(|name| name.contains('.')));
        assert!(children("reviews.path_instructions").next().is_none());
        assert_eq!(
            children("reviews.path_instructions[]").collect::<Vec<_>>(),
            ["path", "instructions"]
        );
        assert!(tools().any(|t| t == "eslint"));
        assert_eq!(usage("reviews"), Use::Partly);
        assert_eq!(usage("reviews.tools.eslint"), Use::Partly);
        assert_eq!(usage("reviews.tools.eslint.enabled"), Use::Acted);
        assert_eq!(usage("reviews.tools.languagetool.level"), Use::Ignored);
        assert_eq!(usage("reviews.auto_review.drafts"), Use::Acted);
        assert_eq!(usage("reviews.path_instructions[].path"), Use::Acted);
        assert_eq!(usage("reviews.poem"), Use::Acted);
        assert_eq!(usage("chat"), Use::Ignored);
        assert_eq!(
            usage("reviews.auto_review.auto_incremental_review"),
            Use::Ignored
        );
    }

    #[test]
    fn extensions_add_keys_and_replace_the_profile() {
        assert_eq!(
            lookup("reviews.profile").map(|k| k.ty),
            Some(Type::Enum(PROFILES))
        );
        let profiles = children("reviews")
            .filter(|name| *name == "profile")
            .count();
        assert_eq!(profiles, 1);
        assert!(tools().any(|t| t == "trufflehog") && tools().any(|t| t == "eslint"));
        for path in FREE_FORM {
            assert!(
                EXTENSIONS.iter().any(|key| key.path == *path),
                "{path} is free-form but not an extension"
            );
        }
    }
}
