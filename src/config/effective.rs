//! The effective configuration: the values the agent acts on, with the schema's defaults for
//! everything the file leaves out or gets wrong.
//!
//! This module owns [`Config`] and the questions the rest of the program asks it (is this path
//! reviewed, which instructions apply to it, is this tool on, what is the lowest severity worth
//! posting). It builds a `Config` from a tree that [`super::validate`] has already cleaned, so it
//! only checks what the schema cannot say: that the path patterns are valid globs.

use super::keys;
use super::paths::{self, PathFilter, PathPattern};
use super::problem::{Problem, ProblemSeverity};
use super::yaml::{Node, Value};
use crate::finding::Severity;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::rc::Rc;

/// The configuration the agent runs with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// The language of the review text (an ISO code such as `en-US`).
    pub language: String,
    /// How the review should sound; at most 250 characters.
    pub tone_instructions: String,
    pub reviews: Reviews,
}

/// `reviews.*`: what is reviewed and how the result is shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reviews {
    pub profile: Profile,
    /// Globs; a leading `!` excludes (see [`super::paths`]).
    pub path_filters: Vec<String>,
    pub path_instructions: Vec<PathInstruction>,
    pub high_level_summary: bool,
    pub review_status: bool,
    pub commit_status: bool,
    pub fail_commit_status: bool,
    pub collapse_walkthrough: bool,
    /// With a language model: a short poem in the walkthrough.
    pub poem: bool,
    /// With a language model: a sequence diagram in the walkthrough when the change has a flow.
    pub sequence_diagrams: bool,
    /// Where the "Summary by CodeRabbit" goes in the PR description when the author wrote it.
    pub high_level_summary_placeholder: String,
    pub auto_review: AutoReview,
    pub tools: Tools,
}

/// How much feedback a review gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Fewer, weightier comments (the default).
    Chill,
    /// Everything, nitpicks included.
    Assertive,
    /// Only the most important comments (CodeRabbit: the rest are grouped in the summary).
    Quiet,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Chill => "chill",
            Profile::Assertive => "assertive",
            Profile::Quiet => "quiet",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Review instructions for the files a glob matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathInstruction {
    pub path: String,
    pub instructions: String,
}

/// `reviews.auto_review.*`: which pull requests are reviewed without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoReview {
    pub enabled: bool,
    pub auto_incremental_review: bool,
    /// A pull request whose title contains one of these (case-insensitively) is skipped.
    pub ignore_title_keywords: Vec<String>,
    /// When not empty, only pull requests with one of these labels are reviewed.
    pub labels: Vec<String>,
    pub drafts: bool,
    /// Target branches reviewed besides the default branch (regular expressions in CodeRabbit).
    pub base_branches: Vec<String>,
    /// Pull requests by these authors (user names, e-mails or display names, compared
    /// case-insensitively) are skipped. An extension to the published schema: printed only
    /// when set, so that a printed default configuration stays valid against that schema.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_usernames: Vec<String>,
}

/// `reviews.tools.<name>.enabled`, for the tools the file mentions; every tool is on by default.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    pub enabled: BTreeMap<String, bool>,
}

impl Tools {
    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled.get(name).copied().unwrap_or(true)
    }
}

/// Equal when every tool is on or off in both: an explicit `enabled: true` equals no mention.
impl PartialEq for Tools {
    fn eq(&self, other: &Self) -> bool {
        self.enabled
            .keys()
            .chain(other.enabled.keys())
            .all(|tool| self.is_enabled(tool) == other.is_enabled(tool))
    }
}

impl Eq for Tools {}

/// Printed as every tool of the schema that has an `enabled` switch, with its effective state,
/// and the tools documented since that the file switched.
impl Serialize for Tools {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Switch {
            enabled: bool,
        }
        let switchable: Vec<&str> = keys::tools()
            .filter(|tool| {
                let switch = format!("reviews.tools.{tool}.enabled");
                // The schema's tools always; newer ones only when the file names them, so that
                // the printed file stays valid against the published schema.
                keys::KEYS.iter().any(|key| key.path == switch)
                    || (keys::lookup(&switch).is_some() && self.enabled.contains_key(*tool))
            })
            .collect();
        let mut map = serializer.serialize_map(Some(switchable.len()))?;
        for tool in switchable {
            map.serialize_entry(
                tool,
                &Switch {
                    enabled: self.is_enabled(tool),
                },
            )?;
        }
        map.end()
    }
}

impl Default for AutoReview {
    fn default() -> Self {
        AutoReview {
            enabled: true,
            auto_incremental_review: true,
            ignore_title_keywords: Vec::new(),
            labels: Vec::new(),
            drafts: false,
            base_branches: Vec::new(),
            ignore_usernames: Vec::new(),
        }
    }
}

impl Default for Reviews {
    fn default() -> Self {
        Reviews {
            profile: Profile::Chill,
            path_filters: Vec::new(),
            path_instructions: Vec::new(),
            high_level_summary: true,
            review_status: true,
            commit_status: true,
            fail_commit_status: false,
            collapse_walkthrough: false,
            poem: true,
            sequence_diagrams: true,
            high_level_summary_placeholder: "@coderabbitai summary".to_owned(),
            auto_review: AutoReview::default(),
            tools: Tools::default(),
        }
    }
}

/// The schema's defaults.
impl Default for Config {
    fn default() -> Self {
        Config {
            language: "en-US".to_owned(),
            tone_instructions: String::new(),
            reviews: Reviews::default(),
        }
    }
}

impl Config {
    /// `reviews.tools.<name>.enabled`; a tool the file does not mention is on.
    pub fn tool_enabled(&self, name: &str) -> bool {
        self.reviews.tools.is_enabled(name)
    }

    /// Whether `reviews.path_filters` lets this repository-relative path be reviewed.
    pub fn includes_path(&self, path: &str) -> bool {
        compiled(&self.reviews)
            .filter
            .includes(&paths::normalize(path))
    }

    /// The `reviews.path_instructions` whose glob matches this path, in the file's order.
    pub fn instructions_for(&self, path: &str) -> Vec<&str> {
        let compiled = compiled(&self.reviews);
        let path = paths::normalize(path);
        self.reviews
            .path_instructions
            .iter()
            .zip(&compiled.instructions)
            .filter(|(_, pattern)| pattern.as_ref().is_some_and(|p| p.matches(&path)))
            .map(|(instruction, _)| instruction.instructions.as_str())
            .collect()
    }

    /// The lowest severity worth posting: `chill` keeps `minor` and above, `assertive` all,
    /// `quiet` only `major` and `critical`.
    pub fn min_severity(&self) -> Severity {
        match self.reviews.profile {
            Profile::Chill => Severity::Minor,
            Profile::Assertive => Severity::Info,
            Profile::Quiet => Severity::Major,
        }
    }

    /// The effective configuration as `.coderabbit.yaml` text (for `config --print`); loading it
    /// back gives the same configuration.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self)
            .unwrap_or_else(|err| format!("# the configuration could not be printed: {err}\n"))
    }

    /// Builds the configuration from a validated tree; `None` means all defaults. Patterns that
    /// are not valid globs are reported and left out.
    pub(crate) fn from_tree(tree: Option<&Node>, file: &Path) -> (Config, Vec<Problem>) {
        let mut config = Config::default();
        let mut problems = Vec::new();
        let Some(root) = tree else {
            return (config, problems);
        };
        let mut bad_glob = |node: &Node, message: String| {
            problems.push(Problem {
                file: file.to_path_buf(),
                line: Some(node.pos.line),
                column: Some(node.pos.column),
                severity: ProblemSeverity::Error,
                message,
            });
        };
        if let Some(language) = string(root, &["language"]) {
            config.language = language;
        }
        if let Some(tone) = string(root, &["tone_instructions"]) {
            config.tone_instructions = tone;
        }
        let reviews = &mut config.reviews;
        if let Some(profile) = string(root, &["reviews", "profile"]) {
            reviews.profile = match profile.as_str() {
                "assertive" => Profile::Assertive,
                "quiet" => Profile::Quiet,
                _ => Profile::Chill,
            };
        }
        for (index, node) in items(root, &["reviews", "path_filters"]).iter().enumerate() {
            if let Value::String(pattern) = &node.value {
                match paths::check(pattern) {
                    Ok(()) => reviews.path_filters.push(pattern.clone()),
                    Err(why) => bad_glob(node, format!("`reviews.path_filters[{index}]`: {why}")),
                }
            }
        }
        for (index, item) in items(root, &["reviews", "path_instructions"])
            .iter()
            .enumerate()
        {
            let (Some(path_node), Some(instructions)) =
                (get(item, &["path"]), string(item, &["instructions"]))
            else {
                continue;
            };
            let Value::String(path) = &path_node.value else {
                continue;
            };
            match paths::check(path) {
                Ok(()) => reviews.path_instructions.push(PathInstruction {
                    path: path.clone(),
                    instructions,
                }),
                Err(why) => bad_glob(
                    path_node,
                    format!(
                        "`reviews.path_instructions[{index}].path`: {why}; the entry is ignored"
                    ),
                ),
            }
        }
        if let Some(placeholder) = string(root, &["reviews", "high_level_summary_placeholder"]) {
            reviews.high_level_summary_placeholder = placeholder;
        }
        let flags: [(&str, &mut bool); 7] = [
            ("poem", &mut reviews.poem),
            ("sequence_diagrams", &mut reviews.sequence_diagrams),
            ("high_level_summary", &mut reviews.high_level_summary),
            ("review_status", &mut reviews.review_status),
            ("commit_status", &mut reviews.commit_status),
            ("fail_commit_status", &mut reviews.fail_commit_status),
            ("collapse_walkthrough", &mut reviews.collapse_walkthrough),
        ];
        for (name, flag) in flags {
            if let Some(value) = boolean(root, &["reviews", name]) {
                *flag = value;
            }
        }
        let auto = &mut reviews.auto_review;
        let auto_flags: [(&str, &mut bool); 3] = [
            ("enabled", &mut auto.enabled),
            ("auto_incremental_review", &mut auto.auto_incremental_review),
            ("drafts", &mut auto.drafts),
        ];
        for (name, flag) in auto_flags {
            if let Some(value) = boolean(root, &["reviews", "auto_review", name]) {
                *flag = value;
            }
        }
        auto.ignore_title_keywords =
            strings(root, &["reviews", "auto_review", "ignore_title_keywords"]);
        auto.labels = strings(root, &["reviews", "auto_review", "labels"]);
        auto.base_branches = strings(root, &["reviews", "auto_review", "base_branches"]);
        auto.ignore_usernames = strings(root, &["reviews", "auto_review", "ignore_usernames"]);
        if let Some(Value::Map(tools)) = get(root, &["reviews", "tools"]).map(|n| &n.value) {
            for tool in tools {
                if let Some(enabled) = boolean(&tool.value, &["enabled"]) {
                    reviews.tools.enabled.insert(tool.key.clone(), enabled);
                }
            }
        }
        (config, problems)
    }
}

fn get<'a>(node: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(node, |node, name| match &node.value {
        Value::Map(entries) => entries.iter().find(|e| e.key == *name).map(|e| &e.value),
        _ => None,
    })
}

fn string(node: &Node, path: &[&str]) -> Option<String> {
    match &get(node, path)?.value {
        Value::String(text) => Some(text.clone()),
        _ => None,
    }
}

fn boolean(node: &Node, path: &[&str]) -> Option<bool> {
    match get(node, path)?.value {
        Value::Bool(value) => Some(value),
        _ => None,
    }
}

fn items<'a>(node: &'a Node, path: &[&str]) -> &'a [Node] {
    match get(node, path).map(|n| &n.value) {
        Some(Value::List(items)) => items,
        _ => &[],
    }
}

fn strings(node: &Node, path: &[&str]) -> Vec<String> {
    items(node, path)
        .iter()
        .filter_map(|item| match &item.value {
            Value::String(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The compiled globs of the last [`Reviews`] asked about on this thread. A review asks the same
/// configuration about every file, so compiling once per configuration is enough; the patterns
/// are compared on each call, so a caller that edits the public fields is never served stale
/// globs.
struct Compiled {
    filters: Vec<String>,
    instruction_paths: Vec<String>,
    filter: PathFilter,
    /// One per `path_instructions` entry; `None` for a pattern that is not a valid glob.
    instructions: Vec<Option<PathPattern>>,
}

thread_local! {
    static COMPILED: RefCell<Option<Rc<Compiled>>> = const { RefCell::new(None) };
}

fn compiled(reviews: &Reviews) -> Rc<Compiled> {
    COMPILED.with(|cell| {
        let Ok(mut cached) = cell.try_borrow_mut() else {
            return Rc::new(Compiled::new(reviews));
        };
        if let Some(compiled) = cached.as_ref().filter(|c| c.is_for(reviews)) {
            return Rc::clone(compiled);
        }
        let compiled = Rc::new(Compiled::new(reviews));
        *cached = Some(Rc::clone(&compiled));
        compiled
    })
}

impl Compiled {
    fn new(reviews: &Reviews) -> Compiled {
        let instruction_paths: Vec<String> = reviews
            .path_instructions
            .iter()
            .map(|instruction| instruction.path.clone())
            .collect();
        Compiled {
            filter: PathFilter::new(&reviews.path_filters),
            instructions: instruction_paths
                .iter()
                .map(|path| PathPattern::new(path).ok())
                .collect(),
            filters: reviews.path_filters.clone(),
            instruction_paths,
        }
    }

    fn is_for(&self, reviews: &Reviews) -> bool {
        self.filters == reviews.path_filters
            && self
                .instruction_paths
                .iter()
                .eq(reviews.path_instructions.iter().map(|i| &i.path))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn with(filters: &[&str], instructions: &[(&str, &str)]) -> Config {
        let mut config = Config::default();
        config.reviews.path_filters = filters.iter().map(|f| f.to_string()).collect();
        config.reviews.path_instructions = instructions
            .iter()
            .map(|(path, text)| PathInstruction {
                path: path.to_string(),
                instructions: text.to_string(),
            })
            .collect();
        config
    }

    #[test]
    fn defaults() {
        let config = Config::default();
        assert_eq!(config.language, "en-US");
        assert_eq!(config.reviews.profile, Profile::Chill);
        assert_eq!(config.min_severity(), Severity::Minor);
        assert!(config.tool_enabled("eslint") && config.tool_enabled("no-such-tool"));
        assert!(config.includes_path("anything/at/all.rs"));
        assert!(config.instructions_for("src/a.rs").is_empty());
        assert!(config.reviews.high_level_summary && config.reviews.review_status);
        assert!(config.reviews.commit_status && !config.reviews.fail_commit_status);
        assert!(config.reviews.auto_review.enabled && !config.reviews.auto_review.drafts);
    }

    #[test]
    fn instructions_follow_the_file_order() {
        let config = with(
            &[],
            &[
                ("src/**", "all source"),
                ("**/*.rs", "rust"),
                ("docs/", "docs"),
                ("src/[", "broken"),
            ],
        );
        assert_eq!(
            config.instructions_for("src/lib.rs"),
            ["all source", "rust"]
        );
        assert_eq!(config.instructions_for("./tests/a.rs"), ["rust"]);
        assert_eq!(config.instructions_for("docs/x/y.md"), ["docs"]);
        assert!(config.instructions_for("README.md").is_empty());
    }

    #[test]
    fn edits_and_other_configurations_are_seen() {
        let mut config = with(&["!**/*.lock"], &[]);
        let other = with(&["src/**"], &[("**", "all")]);
        assert!(!config.includes_path("Cargo.lock"));
        assert!(!other.includes_path("Cargo.lock"));
        assert_eq!(other.instructions_for("a"), ["all"]);
        assert!(config.instructions_for("a").is_empty());
        config.reviews.path_filters.clear();
        assert!(config.includes_path("Cargo.lock"));
        let literal = Config {
            language: "en".to_owned(),
            ..Config::default()
        };
        assert!(literal.includes_path("Cargo.lock"));
    }

    #[test]
    fn assertive_posts_everything() {
        let mut config = Config::default();
        config.reviews.profile = Profile::Assertive;
        assert_eq!(config.min_severity(), Severity::Info);
    }

    #[test]
    fn printed_tools_list_every_switch() {
        let mut config = Config::default();
        config.reviews.tools.enabled.insert("ruff".into(), false);
        let yaml = config.to_yaml();
        assert!(yaml.contains("  ruff:\n      enabled: false\n"), "{yaml}");
        assert!(yaml.contains("  eslint:\n      enabled: true\n"), "{yaml}");
        assert!(!yaml.contains("ast-grep"), "ast-grep has no switch: {yaml}");
    }
}
