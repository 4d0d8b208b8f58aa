//! `.coderabbit.yaml`: CodeRabbit's own repository configuration, read so that a team that
//! already has one keeps it.
//!
//! The flow, one module per step:
//!
//! 1. `yaml`: bytes → text → a tree of YAML nodes, each with its line and column.
//! 2. `validate`: that tree checked against [`keys::KEYS`] — the schema's every key,
//!    type and bound, as data — gathering every problem in one pass and keeping only valid values.
//! 3. `effective`: the kept values, over the schema's defaults, become a [`Config`].
//!
//! **Nothing here stops a review.** [`load_file`], [`load_blob`] and [`load_str`] always return a usable
//! [`Config`], plus the [`Problem`]s found, each with file, line and column.
//!
//! **Fallback policy: only what is wrong falls back.** A file that cannot be read as a YAML
//! mapping — unreadable, binary, not UTF-8/UTF-16, a syntax error, a list or a scalar at the top —
//! gives the defaults and one error. A file that parses is used value by value: an unknown key
//! is a warning and is dropped; a value of the wrong type, outside its enum, too long or out of
//! range is an error and that value alone takes its default; a bad list item is dropped from its
//! list; a `path_instructions` entry without `path` or `instructions`, or whose `path` is not a
//! valid glob, is dropped whole. Everything else in the file applies. This is reliable because
//! every value is checked against the schema's table before it is used, never coerced.
//!
//! **YAML flavour.** The file is read as CodeRabbit reads it (js-yaml 4): where strict YAML 1.2
//! refuses a `[…]`/`{…}` collection whose lines are not indented past its key, `flow_indent`
//! reads it anyway, with a warning; of a key written twice, the later value is used, with a
//! warning naming both lines. Scalars follow YAML 1.2's core schema, as CodeRabbit and
//! `serde_yaml` 0.9 read them: `yes`, `no`, `on` and `off` are strings, so `poem: yes` is an error
//! (with a hint to write `true`), not a silent `true`. An empty file, or one with only comments,
//! means the defaults, without a problem; so does a key with no value (`reviews:`).
//!
//! Known keys the agent does not act on are accepted (and still validated); they are listed on
//! one `debug` line and by [`ignored_keys`]. Paths in [`Config::includes_path`] and
//! [`Config::instructions_for`] follow [`paths`].

mod effective;
mod flow_indent;
mod for_review;
pub mod keys;
pub mod paths;
mod problem;
mod validate;
mod yaml;

pub use effective::{AutoReview, Config, PathInstruction, Profile, Reviews, Tools};
pub use for_review::load_for_review;
pub use problem::{Problem, ProblemSeverity};

use std::io::Read;
use std::path::{Path, PathBuf};

/// The names a repository's configuration file may have, in order of preference.
pub const FILE_NAMES: [&str; 2] = [".coderabbit.yaml", ".coderabbit.yml"];

/// Larger files are refused: a configuration is a few kilobytes, and a pull request must not be
/// able to make the agent read an arbitrary amount of data.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A configuration and what was found on the way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Loaded {
    pub config: Config,
    /// The file it came from; `None` when there was none and the defaults apply.
    pub source: Option<PathBuf>,
    /// Every problem, sorted by position.
    pub problems: Vec<Problem>,
    /// Keys of the schema present in the file that the agent does not act on (see
    /// [`ignored_keys`]).
    pub ignored: Vec<String>,
}

impl Loaded {
    /// Whether any problem is an error (some value, or the whole file, was replaced by defaults).
    pub fn has_errors(&self) -> bool {
        self.problems
            .iter()
            .any(|problem| problem.severity == ProblemSeverity::Error)
    }

    fn defaults_because(
        file: &Path,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    ) -> Loaded {
        Loaded {
            config: Config::default(),
            source: Some(file.to_path_buf()),
            problems: vec![Problem {
                file: file.to_path_buf(),
                line,
                column,
                severity: ProblemSeverity::Error,
                message,
            }],
            ignored: Vec::new(),
        }
    }
}

/// Known keys of the schema that the file sets and the agent does not act on, as dotted paths
/// (`reviews.poem`, `chat`): the shallowest such key, once.
pub fn ignored_keys(loaded: &Loaded) -> &[String] {
    &loaded.ignored
}

/// The configuration file of the repository at `dir`: `.coderabbit.yaml`, else `.coderabbit.yml`.
pub fn find_in(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// The configuration of the repository at `dir`: its file if it has one, else the defaults.
pub fn discover(dir: &Path) -> Loaded {
    match find_in(dir) {
        Some(path) => load_file(&path),
        None => Loaded::default(),
    }
}

/// Reads a configuration file. Never fails: whatever is wrong becomes a [`Problem`] and the
/// defaults stand in for what could not be used.
pub fn load_file(path: &Path) -> Loaded {
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(err) = read {
        return Loaded::defaults_because(
            path,
            None,
            None,
            format!("cannot read the file ({err}); the defaults are used"),
        );
    }
    load_blob(&bytes, path)
}

/// Reads a configuration from its bytes — a file committed in a tree, or one read from disk —
/// with the same size cap ([`MAX_FILE_BYTES`]) and the same decoding (UTF-8 with or without a
/// byte-order mark, UTF-16 with one) as [`load_file`]; `name` names it in problems. Never fails.
pub fn load_blob(bytes: &[u8], name: &Path) -> Loaded {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Loaded::defaults_because(
            name,
            None,
            None,
            format!(
                "the file is larger than {} KiB, which no configuration needs; the defaults are used",
                MAX_FILE_BYTES / 1024
            ),
        );
    }
    match decode(bytes) {
        Ok(text) => load_str(&text, name),
        Err((line, column, why)) => {
            Loaded::defaults_because(name, line, column, format!("{why}; the defaults are used"))
        }
    }
}

/// Bytes to text: UTF-8 (with or without a byte-order mark), or UTF-16 with a byte-order mark,
/// as Windows tools write it.
fn decode(bytes: &[u8]) -> Result<String, (Option<usize>, Option<usize>, String)> {
    let utf16 = |big_endian: bool| {
        let units = bytes[2..].chunks(2).map(|pair| match pair {
            [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
            [a, b] => u16::from_le_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| (None, None, "the file is not valid UTF-16 text".to_owned()))
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        _ => String::from_utf8(bytes.to_vec()).map_err(|err| {
            let valid = String::from_utf8_lossy(&bytes[..err.utf8_error().valid_up_to()]);
            let (line, column) = position_after(&valid);
            (
                Some(line),
                Some(column),
                "the file is not UTF-8 text (it looks binary)".to_owned(),
            )
        }),
    }
}

/// The 1-based line and column just after `prefix`.
fn position_after(prefix: &str) -> (usize, usize) {
    let line = prefix.matches('\n').count() + 1;
    let column = prefix
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// Reads configuration text; `origin` names it in problems. Never fails, like [`load_file`].
pub fn load_str(text: &str, origin: &Path) -> Loaded {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if let Some(at) = text.find('\0') {
        let (line, column) = position_after(&text[..at]);
        return Loaded::defaults_because(
            origin,
            Some(line),
            Some(column),
            "the file contains NUL bytes: it is binary, not YAML; the defaults are used".to_owned(),
        );
    }
    let document = match yaml::parse(text) {
        Ok(document) => document,
        Err(err) => {
            return Loaded::defaults_because(
                origin,
                Some(err.pos.line),
                Some(err.pos.column),
                format!(
                    "the file is not valid YAML ({}); the whole file is ignored and the defaults \
                     are used",
                    err.message
                ),
            );
        }
    };
    let mut problems: Vec<Problem> = document
        .notes
        .iter()
        .map(|note| Problem {
            file: origin.to_path_buf(),
            line: Some(note.pos.line),
            column: Some(note.pos.column),
            severity: if note.error {
                ProblemSeverity::Error
            } else {
                ProblemSeverity::Warning
            },
            message: note.message.clone(),
        })
        .collect();
    let validated = validate::validate(document.root.as_ref(), origin);
    problems.extend(validated.problems);
    let (config, glob_problems) = Config::from_tree(validated.tree.as_ref(), origin);
    problems.extend(glob_problems);
    problems.sort_by_key(|problem| (problem.line, problem.column));
    if !validated.ignored.is_empty() {
        tracing::debug!(
            "{}: keys accepted but not acted on: {}",
            origin.display(),
            validated.ignored.join(", ")
        );
    }
    Loaded {
        config,
        source: Some(origin.to_path_buf()),
        problems,
        ignored: validated.ignored,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        load_str(text, Path::new(".coderabbit.yaml"))
    }

    fn messages(loaded: &Loaded) -> Vec<String> {
        loaded.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn empty_and_null_documents_are_the_defaults() {
        for text in [
            "",
            "\n",
            "# nothing yet\n",
            "---\n",
            "~\n",
            "reviews:\n",
            "reviews: ~\nchat:\n",
            "\u{FEFF}",
        ] {
            let loaded = load(text);
            assert!(
                loaded.problems.is_empty(),
                "{text:?}: {:?}",
                messages(&loaded)
            );
            assert_eq!(loaded.config, Config::default(), "{text:?}");
        }
    }

    #[test]
    fn values_we_act_on() {
        let loaded = load(concat!(
            "language: de-DE\n",
            "tone_instructions: Be brief.\n",
            "reviews:\n",
            "  profile: assertive\n",
            "  high_level_summary: false\n",
            "  review_status: false\n",
            "  commit_status: false\n",
            "  fail_commit_status: true\n",
            "  collapse_walkthrough: true\n",
            "  path_filters: ['!**/*.lock', 'src/**']\n",
            "  path_instructions:\n",
            "    - path: 'src/**/*.rs'\n",
            "      instructions: Check error handling.\n",
            "  auto_review:\n",
            "    enabled: false\n",
            "    auto_incremental_review: false\n",
            "    ignore_title_keywords: [WIP]\n",
            "    labels: [review-me]\n",
            "    drafts: true\n",
            "    base_branches: [develop, 'release/.*']\n",
            "  tools:\n",
            "    eslint: {enabled: false}\n",
            "    ruff:\n",
            "      enabled: true\n",
        ));
        assert!(loaded.problems.is_empty(), "{:?}", messages(&loaded));
        let c = &loaded.config;
        assert_eq!(c.language, "de-DE");
        assert_eq!(c.tone_instructions, "Be brief.");
        let r = &c.reviews;
        assert_eq!(r.profile, Profile::Assertive);
        assert!(!r.high_level_summary && !r.review_status && !r.commit_status);
        assert!(r.fail_commit_status && r.collapse_walkthrough);
        assert_eq!(r.path_filters, ["!**/*.lock", "src/**"]);
        assert!(c.includes_path("src/main.rs") && !c.includes_path("src/Cargo.lock"));
        assert!(!c.includes_path("README.md"));
        assert_eq!(c.instructions_for("src/a/b.rs"), ["Check error handling."]);
        let a = &r.auto_review;
        assert!(!a.enabled && !a.auto_incremental_review && a.drafts);
        assert_eq!(a.ignore_title_keywords, ["WIP"]);
        assert_eq!(a.labels, ["review-me"]);
        assert_eq!(a.base_branches, ["develop", "release/.*"]);
        assert!(
            !c.tool_enabled("eslint") && c.tool_enabled("ruff") && c.tool_enabled("shellcheck")
        );
        assert_eq!(c.min_severity(), crate::finding::Severity::Info);
        let again = load(&c.to_yaml());
        assert!(again.problems.is_empty(), "{:?}", messages(&again));
        assert_eq!(&again.config, c);
    }

    #[test]
    fn bad_values_fall_back_one_by_one() {
        let loaded = load(concat!(
            "language: fr\n",
            "reviews:\n",
            "  profile: strict\n",
            "  review_status: off\n",
            "  commit_status: false\n",
            "  path_filters: ['!dist/**', 'src/[']\n",
            "  path_instructions:\n",
            "    - path: 'src/{a'\n",
            "      instructions: never\n",
            "    - path: docs/\n",
            "      instructions: Prose.\n",
        ));
        let m = messages(&loaded);
        assert_eq!(m.len(), 4, "{m:#?}");
        assert!(m[0].starts_with(".coderabbit.yaml:3:12: error: `reviews.profile` must be one of"));
        assert!(m[1].starts_with(
            ".coderabbit.yaml:4:18: error: `reviews.review_status` must be a boolean"
        ));
        assert!(m[2].starts_with(
            ".coderabbit.yaml:6:30: error: `reviews.path_filters[1]`: `src/[` is not a valid glob"
        ));
        assert!(
            m[3].starts_with(".coderabbit.yaml:8:13: error: `reviews.path_instructions[0].path`")
        );
        let c = &loaded.config;
        assert_eq!(c.language, "fr");
        assert_eq!(c.reviews.profile, Profile::Chill);
        assert!(c.reviews.review_status, "the default");
        assert!(!c.reviews.commit_status, "the valid neighbour applies");
        assert_eq!(c.reviews.path_filters, ["!dist/**"]);
        assert_eq!(c.instructions_for("docs/a/b.md"), ["Prose."]);
        assert!(loaded.has_errors());
    }

    #[test]
    fn unreadable_files_give_defaults_and_one_error() {
        for (text, expected) in [
            ("reviews: [unclosed\n", "not valid YAML"),
            ("- just\n- a list\n", "must be a mapping"),
            ("plain words, not a mapping\n", "must be a mapping"),
            ("a\0b: c\n", "NUL"),
            (
                "{\"reviews\": {\"profile\": \"assertive\"}",
                "not valid YAML",
            ),
        ] {
            let loaded = load(text);
            assert_eq!(loaded.config, Config::default(), "{text:?}");
            assert_eq!(
                loaded.problems.len(),
                1,
                "{text:?}: {:?}",
                messages(&loaded)
            );
            assert!(
                loaded.problems[0].message.contains(expected),
                "{text:?}: {:?}",
                messages(&loaded)
            );
            assert!(loaded.problems[0].line.is_some(), "{text:?}");
            assert!(loaded.has_errors());
        }
        // JSON is YAML.
        let json = load("{\"reviews\": {\"profile\": \"assertive\"}}");
        assert!(json.problems.is_empty());
        assert_eq!(json.config.reviews.profile, Profile::Assertive);
    }

    #[test]
    fn files_are_decoded_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".coderabbit.yaml");
        std::fs::write(
            &path,
            b"reviews:\n  profile: assertive\n  poem: \xff\xfe\x00\n",
        )
        .unwrap();
        let loaded = load_file(&path);
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(
            (loaded.problems[0].line, loaded.problems[0].column),
            (Some(3), Some(9))
        );
        assert!(loaded.problems[0].message.contains("not UTF-8"));

        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "reviews:\n  profile: assertive\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        std::fs::write(&path, utf16).unwrap();
        let loaded = load_file(&path);
        assert!(loaded.problems.is_empty(), "{:?}", messages(&loaded));
        assert_eq!(loaded.config.reviews.profile, Profile::Assertive);

        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(load_file(&path).problems[0].message.contains("larger"));

        let missing = load_file(&dir.path().join("nope.yaml"));
        assert_eq!(missing.config, Config::default());
        assert!(
            missing.problems[0]
                .message
                .starts_with("cannot read the file")
        );
        assert_eq!(missing.problems[0].line, None);
    }

    #[test]
    fn committed_files_are_capped_and_decoded_like_files_on_disk() {
        let name = Path::new(".coderabbit.yaml");
        let mut utf16 = vec![0xFE, 0xFF];
        for unit in "reviews:\n  profile: assertive\n".encode_utf16() {
            utf16.extend(unit.to_be_bytes());
        }
        let loaded = load_blob(&utf16, name);
        assert!(loaded.problems.is_empty(), "{:?}", messages(&loaded));
        assert_eq!(loaded.config.reviews.profile, Profile::Assertive);
        assert_eq!(loaded.source.as_deref(), Some(name));

        let with_bom = b"\xEF\xBB\xBFreviews:\n  profile: assertive\n";
        assert_eq!(
            load_blob(with_bom, name).config.reviews.profile,
            Profile::Assertive
        );

        let huge = vec![b'#'; MAX_FILE_BYTES as usize + 1];
        let loaded = load_blob(&huge, name);
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.problems[0].message.contains("larger than 1024 KiB"));
        assert!(loaded.has_errors());

        let binary = load_blob(b"reviews:\n  poem: \xff\n", name);
        assert_eq!(
            (binary.problems[0].line, binary.problems[0].column),
            (Some(2), Some(9))
        );
        assert!(binary.problems[0].message.contains("not UTF-8"));
    }

    /// Every file of `tests/fixtures/configs` is readable exactly when js-yaml 4 reads it (the
    /// verdicts in `js-yaml-4.3.2.tsv` come from running js-yaml on the files), and a file that
    /// cannot be read gives the defaults and one error at js-yaml's line.
    #[test]
    fn yaml_is_read_as_coderabbit_reads_it() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configs");
        let verdicts = std::fs::read_to_string(base.join("js-yaml-4.3.2.tsv")).unwrap();
        let mut checked = 0;
        for line in verdicts.lines() {
            let (file, verdict) = line.split_once('\t').unwrap();
            let loaded = load_file(&base.join(file));
            let unreadable: Vec<&Problem> = loaded
                .problems
                .iter()
                .filter(|p| p.message.contains("not valid YAML"))
                .collect();
            match verdict.strip_prefix("error ") {
                None => assert!(unreadable.is_empty(), "{file}: {:?}", messages(&loaded)),
                Some(why) => {
                    let js_line: usize = why.split(' ').next().unwrap().parse().unwrap();
                    assert_eq!(unreadable.len(), 1, "{file}: {:?}", messages(&loaded));
                    assert_eq!(loaded.problems.len(), 1, "{file}");
                    assert_eq!(loaded.config, Config::default(), "{file}");
                    let line = unreadable[0].line.unwrap();
                    assert!(
                        line.abs_diff(js_line) <= 1,
                        "{file}: line {line}, js-yaml says {js_line}"
                    );
                }
            }
            checked += 1;
        }
        assert!(checked >= 30, "{checked}");
    }

    #[test]
    fn flow_lists_closed_at_the_key_apply_with_a_warning() {
        let loaded = load(concat!(
            "reviews:\n",
            "  profile: assertive\n",
            "  path_filters: [\n",
            "    \"!dist/**\",\n",
            "    \"!**/*.lock\",\n",
            "]\n",
            "  auto_review:\n",
            "    labels: [\n",
            "  \"review\"\n",
            "    ]\n",
            "    drafts: x\n",
        ));
        assert_eq!(
            messages(&loaded),
            [
                ".coderabbit.yaml:6:1: warning: this line is inside a `[…]` or `{…}` collection but \
                 not indented past the key that holds it; CodeRabbit reads it, strict YAML parsers \
                 do not: indent it",
                ".coderabbit.yaml:11:13: error: `reviews.auto_review.drafts` must be a boolean \
                 (`true` or `false`), found the string `x`",
            ]
        );
        let c = &loaded.config;
        assert_eq!(c.reviews.profile, Profile::Assertive);
        assert_eq!(c.reviews.path_filters, ["!dist/**", "!**/*.lock"]);
        assert_eq!(c.reviews.auto_review.labels, ["review"]);

        // Positions on a raised line are those of the original text.
        let shifted = load("reviews:\n  auto_review:\n    labels: [\n  2024\n    ]\n");
        let m = messages(&shifted);
        assert!(
            m[1].starts_with(".coderabbit.yaml:4:3: error: `reviews.auto_review.labels[0]`"),
            "{m:?}"
        );
    }

    #[test]
    fn a_duplicate_key_takes_the_later_value_with_a_warning() {
        let loaded = load("reviews:\n  profile: chill\n  poem: false\n  profile: assertive\n");
        assert_eq!(
            messages(&loaded),
            [
                ".coderabbit.yaml:4:3: warning: duplicate key `profile` at lines 2 and 4: the later \
              one is used, as CodeRabbit reads it; remove the other"
            ]
        );
        assert!(!loaded.has_errors());
        assert_eq!(loaded.config.reviews.profile, Profile::Assertive);
    }

    #[test]
    fn keys_documented_after_the_schema_are_accepted() {
        let loaded = load(concat!(
            "inheritance: true\n",
            "issue_enrichment:\n",
            "  auto_enrich: {enabled: true}\n",
            "  planning:\n",
            "    enabled: true\n",
            "    auto_planning: {enabled: true, labels: [plan-me]}\n",
            "  labeling: {labeling_instructions: [{label: bug, instructions: Bugs}]}\n",
            "reviews:\n",
            "  profile: quiet\n",
            "  allow_author_approval: false\n",
            "  high_level_summary_instructions: Short.\n",
            "  review_details: true\n",
            "  review_progress: false\n",
            "  in_progress_fortune: false\n",
            "  enable_prompt_for_ai_agents: false\n",
            "  slop_detection: {enabled: true, label: slop}\n",
            "  post_merge_actions: [{name: notes}]\n",
            "  auto_review:\n",
            "    description_keyword: '@review'\n",
            "    auto_pause_after_reviewed_commits: 0\n",
            "  finishing_touches:\n",
            "    simplify: {enabled: true}\n",
            "    autofix: true\n",
            "    custom: [{name: Tidy, instructions: Tidy it.}]\n",
            "  pre_merge_checks:\n",
            "    override_requested_reviewers_only: true\n",
            "    custom_checks:\n",
            "      - name: Changelog\n",
            "        mode: warning\n",
            "        instructions: A changelog entry exists.\n",
            "  tools:\n",
            "    ruff: {enabled: true, config_file: ruff.toml}\n",
            "    eslint: {config_file: eslint.config.js, e18e: {enabled: true}}\n",
            "    trufflehog: {enabled: true}\n",
            "    psscriptanalyzer: {enabled: false}\n",
            "chat:\n",
            "  allow_non_org_members: false\n",
            "knowledge_base:\n",
            "  automatic_linking_mode: auto\n",
            "  linked_repositories: [{repository: org/repo}]\n",
            "  jira: {excluded_project_keys: [OPS]}\n",
        ));
        assert!(loaded.problems.is_empty(), "{:?}", messages(&loaded));
        assert_eq!(loaded.config.reviews.profile, Profile::Quiet);
        assert_eq!(
            loaded.config.min_severity(),
            crate::finding::Severity::Major
        );
        assert!(!loaded.config.tool_enabled("psscriptanalyzer"));
        let printed = loaded.config.to_yaml();
        assert!(printed.contains("psscriptanalyzer") && !printed.contains("tflint"));
        let again = load(&printed);
        assert!(again.problems.is_empty(), "{:?}", messages(&again));
        assert_eq!(again.config, loaded.config);
        assert!(ignored_keys(&loaded).contains(&"inheritance".to_owned()));
        let bad = load(
            "reviews:\n  pre_merge_checks:\n    custom_checks: [{name: x, mode: loud, instructions: y}]\n",
        );
        assert_eq!(bad.problems.len(), 1, "{:?}", messages(&bad));
        assert!(bad.problems[0].message.contains("custom_checks[0].mode"));
    }

    #[test]
    fn yml_is_the_fallback_name() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_in(dir.path()), None);
        assert_eq!(discover(dir.path()), Loaded::default());
        std::fs::write(
            dir.path().join(".coderabbit.yml"),
            "reviews: {profile: assertive}\n",
        )
        .unwrap();
        assert_eq!(
            find_in(dir.path()),
            Some(dir.path().join(".coderabbit.yml"))
        );
        assert_eq!(
            discover(dir.path()).config.reviews.profile,
            Profile::Assertive
        );
        std::fs::write(
            dir.path().join(".coderabbit.yaml"),
            "reviews: {profile: chill}\n",
        )
        .unwrap();
        assert_eq!(
            find_in(dir.path()),
            Some(dir.path().join(".coderabbit.yaml"))
        );
        let loaded = discover(dir.path());
        assert_eq!(loaded.config.reviews.profile, Profile::Chill);
        assert_eq!(loaded.source, Some(dir.path().join(".coderabbit.yaml")));
    }

    #[test]
    fn ignored_keys_are_listed() {
        let loaded = load(
            "early_access: true\nreviews:\n  changed_files_summary: false\n  tools:\n    ast-grep: {essential_rules: true}\n",
        );
        assert!(loaded.problems.is_empty());
        assert_eq!(
            ignored_keys(&loaded),
            [
                "early_access",
                "reviews.changed_files_summary",
                "reviews.tools.ast-grep.essential_rules"
            ]
        );
    }

    #[test]
    fn odd_inputs_never_panic() {
        let deep = "a:\n".to_owned()
            + &(1..100)
                .map(|depth| format!("{}a:\n", "  ".repeat(depth)))
                .collect::<String>();
        let mut odd: Vec<String> = [
            "*x",
            "&x",
            "a: &x [*x]",
            "!!binary abc",
            "? ",
            "[",
            "{a: [}",
            "a: !!int x",
            "reviews: !!null x",
            "reviews: !custom {profile: assertive}",
            "%YAML 1.1\n---\na: 1",
            "'",
            "\"\\x\"",
            "reviews:\n  - a\n  b: c",
            "a: b: c",
            "\u{1F980}: crab",
            "reviews: {profile: assertive, profile: chill}",
            "---\n---\n---\n",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        odd.push(deep);
        // Pseudo-random printable noise with YAML punctuation.
        let alphabet = b"ab:-[]{}?&*!|>'\"#%@`, \n\t0.~";
        let mut seed: u32 = 12345;
        for _ in 0..300 {
            let text: String = (0..80)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    alphabet[(seed >> 16) as usize % alphabet.len()] as char
                })
                .collect();
            odd.push(text);
        }
        for text in &odd {
            let loaded = load(text);
            for problem in &loaded.problems {
                assert!(
                    problem.line.is_some_and(|line| line >= 1),
                    "{text:?}: {problem}"
                );
            }
        }
        let tagged = load("reviews: !custom {profile: assertive}");
        assert_eq!(tagged.config.reviews.profile, Profile::Assertive);
    }

    #[test]
    fn problems_come_in_file_order() {
        let loaded = load("reviews:\n  profle: chill\n  poem: 3\nzzz: 1\nlanguage: xx\n");
        let lines: Vec<Option<usize>> = loaded.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4), Some(5)]);
    }

    #[test]
    fn ignore_usernames_is_accepted_beyond_the_schema() {
        let loaded = load(
            "reviews:\n  auto_review:\n    ignore_usernames: [\"dependabot\", \"Renovate Bot\"]\n",
        );
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(
            loaded.config.reviews.auto_review.ignore_usernames,
            ["dependabot", "Renovate Bot"]
        );
    }
}
