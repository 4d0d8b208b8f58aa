//! The built-in reviewer: offline rules with stable codes, run over the lines a change adds.
//!
//! This module owns the walk over a file's added lines and the sink that folds a line's hits;
//! [`registry`] owns the list of rules (every rule's code, severity, category, explanation, hints
//! and check), from which the catalog, the one-pass prefilter and the dispatch are derived: a
//! single case-insensitive Aho-Corasick automaton finds, for each line, the literal hints
//! (`AKIA`, `ghp_`, `.only(`, `TODO`, …) that some rule needs, and only the rules those hints
//! point at run their precise checks. One file (or folder) per family holds the checks; none of
//! them knows about configuration files, filter modes or publishers, and none of them sees lines
//! the change does not add except as context.
//!
//! Lines longer than [`MAX_HEURISTIC_LINE`] bytes are machine-written in practice (minified
//! bundles, embedded data, generated tables): on them only the checks for self-identifying
//! credentials run (formats with a fixed signature and an exact shape), because the heuristic
//! rules (generic credentials, comments, test and debugger calls) are about hand-written code.
//! Every check is linear in the line's length, so even a 10 MB line costs one scan per rule that
//! its hints wake.

mod conflict_markers;
mod debugger;
mod files;
mod focused_tests;
mod registry;
mod secrets;
mod syntax;
mod todo_comments;

use std::cell::OnceCell;
use std::sync::LazyLock;

use crate::finding::{Category, Finding, Fingerprint, Severity};
use crate::git::{FileDiff, FileStatus};
use registry::{Check, DERIVED, RULES, Rule};

/// A file as the rules see it: its diff entry and its head content.
pub struct FileUnderReview<'a> {
    pub diff: &'a FileDiff,
    /// Head content decoded as UTF-8 (lossily); empty for binary or unavailable content.
    pub text: &'a str,
}

/// Which rule families run, and their thresholds.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// The `secrets/*` family (`reviews.tools.gitleaks.enabled`).
    pub secrets: bool,
    /// Files added or grown over this many bytes are reported by `files/large-file`.
    pub large_file_bytes: u64,
    /// Binary files (images, fonts, media, …) added or replaced at or over this many bytes are
    /// reported by `files/large-file` too: they do not compress or delta well, so every version
    /// stays in the history at full size.
    pub large_binary_bytes: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            secrets: true,
            large_file_bytes: 1024 * 1024,
            large_binary_bytes: 512 * 1024,
        }
    }
}

/// One rule's stable description.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub explanation: &'static str,
}

/// Lines longer than this many bytes only get the self-identifying credential checks.
pub const MAX_HEURISTIC_LINE: usize = 4096;

static CATALOG: LazyLock<Vec<RuleInfo>> =
    LazyLock::new(|| RULES.iter().map(|rule| rule.info()).collect());

/// Every built-in rule.
pub fn catalog() -> &'static [RuleInfo] {
    &CATALOG
}

/// Runs every enabled rule over one file's added lines.
pub fn check(file: &FileUnderReview<'_>, options: &RuleOptions) -> Vec<Finding> {
    let diff = file.diff;
    let mut sink = Sink::default();
    if diff.status == FileStatus::Deleted || diff.not_reviewable.is_some() {
        return Vec::new();
    }
    let enabled = DERIVED.enabled(options);
    for rule in DERIVED.diff_rules(enabled) {
        if let Check::Diff(run) = rule.check {
            run(file, options, &mut sink);
        }
    }
    if diff.binary || file.text.is_empty() || diff.added_lines.is_empty() {
        return sink.into_findings(&diff.path);
    }

    let ctx = FileContext {
        path: &diff.path,
        syntax: syntax::Syntax::of_path(&diff.path),
        lines: file
            .text
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect(),
        added: &diff.added_lines,
        rust_tests_start: OnceCell::new(),
        encrypted: OnceCell::new(),
    };
    let whole_file: Vec<&Rule> = registry::file_rules(enabled).collect();
    let mut concerned = vec![false; whole_file.len()];
    for &number in &diff.added_lines {
        let Some(text) = ctx.line_text(number) else {
            continue;
        };
        for (flag, rule) in concerned.iter_mut().zip(&whole_file) {
            if let Check::File { candidate, .. } = rule.check {
                *flag = *flag || candidate(text);
            }
        }
        let rules = DERIVED.line_rules(text, enabled);
        if rules.is_empty() {
            continue;
        }
        let line = Line { number, text };
        sink.start_line();
        for rule in rules.rules() {
            if let Check::Line { run, .. } = rule.check {
                run(&ctx, &line, &mut sink);
            }
        }
    }
    for (flag, rule) in concerned.iter().zip(&whole_file) {
        if let (true, Check::File { run, .. }) = (*flag, &rule.check) {
            sink.start_line();
            run(&ctx, &mut sink);
        }
    }
    sink.into_findings(&diff.path)
}

/// What every family may know about the file whose added lines it checks.
struct FileContext<'a> {
    path: &'a str,
    syntax: syntax::Syntax,
    /// Every head line, without its line terminator (index 0 is line 1).
    lines: Vec<&'a str>,
    /// The 1-based head lines the change adds, ascending.
    added: &'a [u32],
    /// The line of the file's first Rust `#[cfg(test)]` or `#[test]` attribute, found on first
    /// use.
    rust_tests_start: OnceCell<Option<u32>>,
    /// Whether the file is an encrypted document (SOPS, Ansible Vault), found on first use.
    encrypted: OnceCell<bool>,
}

impl<'a> FileContext<'a> {
    /// The text of a 1-based head line, if the file has it.
    fn line_text(&self, number: u32) -> Option<&'a str> {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        self.lines.get(index).copied()
    }

    /// Whether a line is test code: in a test file (by directory or name), or, in Rust, after
    /// the file's first `#[cfg(test)]` or `#[test]` (tests conventionally close a file).
    fn in_tests(&self, number: u32) -> bool {
        if syntax::is_test_file(self.path) {
            return true;
        }
        if self.syntax.language != syntax::Language::Rust {
            return false;
        }
        let start = self.rust_tests_start.get_or_init(|| {
            let index = self.lines.iter().position(|line| {
                let line = line.trim_start();
                line.starts_with("#[cfg(test)]") || line.starts_with("#[test]")
            })?;
            u32::try_from(index + 1).ok()
        });
        start.is_some_and(|start| number > start)
    }

    fn is_added(&self, number: u32) -> bool {
        self.added.binary_search(&number).is_ok()
    }
}

/// One added line.
struct Line<'a> {
    number: u32,
    text: &'a str,
}

/// Collects hits and folds repeats of one rule on one line into a single finding.
#[derive(Default)]
struct Sink {
    hits: Vec<Hit>,
    /// Index in `hits` of the first hit of the line being checked.
    line_start: usize,
    /// Byte ranges of the line being checked that a finding already covers: one finding per
    /// occurrence, so a later, more general rule leaves them alone.
    claimed: Vec<(usize, usize)>,
}

struct Hit {
    rule: &'static Rule,
    line: u32,
    end_line: u32,
    severity: Severity,
    message: String,
    suggestion: Option<String>,
    /// Further hits of the same rule on the same line, folded into this one.
    more: usize,
}

impl Sink {
    /// Marks the start of a new line's hits.
    fn start_line(&mut self) {
        self.line_start = self.hits.len();
        self.claimed.clear();
    }

    /// Marks `start..end` of the line being checked as covered by a finding.
    fn claim(&mut self, start: usize, end: usize) {
        self.claimed.push((start, end));
    }

    /// Whether a finding already covers part of `start..end` of the line being checked.
    fn is_claimed(&self, start: usize, end: usize) -> bool {
        self.claimed.iter().any(|&(s, e)| s < end && start < e)
    }

    /// Records a hit on a single line; `message` is only built when the hit is kept as its own
    /// finding or replaces a less severe one.
    fn push(
        &mut self,
        rule: &'static Rule,
        line: u32,
        severity: Severity,
        message: impl FnOnce() -> String,
    ) {
        self.push_hit(rule, line, line, severity, message, None);
    }

    /// Counts one more hit of `rule` on `line` without looking at it, when the line already has
    /// one at `ceiling`, the most a hit of this rule can be here. Returns whether it did, so
    /// that a line packed with hits costs one check per hit, not one judgement.
    fn fold_if_settled(&mut self, rule: &'static Rule, line: u32, ceiling: Severity) -> bool {
        let start = self.line_start.min(self.hits.len());
        match self.hits[start..]
            .iter_mut()
            .find(|hit| hit.rule.code == rule.code && hit.line == line && hit.severity >= ceiling)
        {
            Some(existing) => {
                existing.more += 1;
                true
            }
            None => false,
        }
    }

    fn push_hit(
        &mut self,
        rule: &'static Rule,
        line: u32,
        end_line: u32,
        severity: Severity,
        message: impl FnOnce() -> String,
        suggestion: Option<String>,
    ) {
        let start = self.line_start.min(self.hits.len());
        if let Some(existing) = self.hits[start..]
            .iter_mut()
            .find(|hit| hit.rule.code == rule.code && hit.line == line)
        {
            existing.more += 1;
            if severity > existing.severity {
                existing.severity = severity;
                existing.message = message();
                existing.end_line = end_line;
                existing.suggestion = suggestion;
            }
            return;
        }
        self.hits.push(Hit {
            rule,
            line,
            end_line,
            severity,
            message: message(),
            suggestion,
            more: 0,
        });
    }

    fn into_findings(self, path: &str) -> Vec<Finding> {
        self.hits
            .into_iter()
            .map(|hit| {
                let mut message = hit.message;
                if hit.more > 0 {
                    message.push_str(&format!(" ({} more on this line.)", hit.more));
                }
                Finding {
                    path: path.to_string(),
                    line: hit.line,
                    end_line: hit.end_line,
                    severity: hit.severity,
                    category: hit.rule.category,
                    rule: hit.rule.code.to_string(),
                    source: "builtin".to_string(),
                    message,
                    suggestion: hit.suggestion,
                    fingerprint: Fingerprint(String::new()),
                }
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared helpers for the families' tests.

    use super::*;

    /// Checks `text` as a wholly added file at `path` with default options.
    pub(crate) fn added_file(path: &str, text: &str) -> Vec<Finding> {
        added_file_with(path, text, &RuleOptions::default())
    }

    pub(crate) fn added_file_with(path: &str, text: &str, options: &RuleOptions) -> Vec<Finding> {
        let mut diff = FileDiff::new(path, FileStatus::Added);
        let count = u32::try_from(text.lines().count()).expect("test files are small");
        diff.added_lines = (1..=count).collect();
        diff.additions = count;
        diff.new_size = text.len() as u64;
        check(&FileUnderReview { diff: &diff, text }, options)
    }

    /// The codes of the findings, in order.
    pub(crate) fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    /// The findings of one rule.
    pub(crate) fn of_rule<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
        findings.iter().filter(|f| f.rule == code).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn catalog_lists_every_code() {
        let codes: Vec<&str> = catalog().iter().map(|rule| rule.code).collect();
        assert_eq!(
            codes,
            [
                "secrets/aws-access-key",
                "secrets/aws-secret-key",
                "secrets/aws-session-token",
                "secrets/azure-storage-key",
                "secrets/azure-storage-connection-string",
                "secrets/azure-shared-access-key",
                "secrets/azure-devops-pat",
                "secrets/github-token",
                "secrets/slack-token",
                "secrets/slack-webhook",
                "secrets/stripe-live-key",
                "secrets/google-api-key",
                "secrets/openai-api-key",
                "secrets/npm-token",
                "secrets/private-key",
                "secrets/jwt",
                "secrets/hardcoded-credential",
                "secrets/url-password",
                "conflicts/unresolved-marker",
                "tests/focused-test",
                "tests/disabled-test",
                "debugging/breakpoint",
                "debugging/dbg-macro",
                "files/large-file",
                "files/binary-artifact",
                "comments/todo",
            ]
        );
    }

    #[test]
    fn catalog_codes_are_unique_kebab_case_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for rule in catalog() {
            assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
            let (family, name) = rule.code.split_once('/').expect("family/name");
            for part in [family, name] {
                assert!(!part.is_empty());
                assert!(
                    part.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "{} is not kebab-case",
                    rule.code
                );
            }
            assert!(
                rule.explanation.len() > 80,
                "{} needs an explanation",
                rule.code
            );
            if family == "secrets" {
                assert_eq!(rule.category, Category::Security);
            }
        }
    }

    #[test]
    fn findings_carry_the_catalog_category_and_builtin_source() {
        let text = ["<<<<<<", "< HEAD\na\n=======\nb\n>>>>>>", "> topic\n"].concat();
        let findings = added_file("src/a.rs", &text);
        assert_eq!(codes(&findings), ["conflicts/unresolved-marker"]);
        let finding = &findings[0];
        assert_eq!(finding.source, "builtin");
        assert_eq!(finding.category, Category::Correctness);
        assert!(finding.fingerprint.as_str().is_empty());
        assert_eq!((finding.line, finding.end_line), (1, 1));
    }

    #[test]
    fn only_added_lines_are_checked() {
        let text = format!("// {}: later\nfn main() {{}}\n// {}: now\n", "TODO", "TODO");
        let mut diff = FileDiff::new("src/main.rs", FileStatus::Modified);
        diff.added_lines = vec![3];
        let findings = check(
            &FileUnderReview {
                diff: &diff,
                text: &text,
            },
            &RuleOptions::default(),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 3);
    }

    #[test]
    fn added_lines_past_the_end_or_zero_are_ignored() {
        let mut diff = FileDiff::new("a.txt", FileStatus::Modified);
        diff.added_lines = vec![0, 5, 9];
        let findings = check(
            &FileUnderReview {
                diff: &diff,
                text: "x\r\n",
            },
            &RuleOptions::default(),
        );
        assert!(findings.is_empty());
    }

    #[test]
    fn repeats_of_one_rule_on_one_line_fold_into_one_finding() {
        let key = |tail: &str| format!("{}{}", "AKIA", tail);
        let line = format!(
            "k1 = {} k2 = {}\n",
            key("Z7Q4M2XK6RW3TB6V"),
            key("Q3M5VT2PK7ZR4XW5")
        );
        let findings = added_file("cfg.txt", &line);
        let aws = of_rule(&findings, "secrets/aws-access-key");
        assert_eq!(aws.len(), 1);
        assert!(
            aws[0].message.contains("1 more on this line"),
            "{}",
            aws[0].message
        );
    }

    #[test]
    fn deleted_and_unreviewable_files_have_no_findings() {
        let text = format!("// {}: x\n", "TODO");
        let mut diff = FileDiff::new("a.rs", FileStatus::Deleted);
        diff.added_lines = vec![1];
        assert!(
            check(
                &FileUnderReview {
                    diff: &diff,
                    text: &text
                },
                &RuleOptions::default()
            )
            .is_empty()
        );
        diff.status = FileStatus::Added;
        diff.not_reviewable = Some(crate::git::NotReviewable::Submodule);
        assert!(
            check(
                &FileUnderReview {
                    diff: &diff,
                    text: &text
                },
                &RuleOptions::default()
            )
            .is_empty()
        );
    }

    /// A generous bound for unoptimised test builds; release builds are far faster.
    const SLOW: Duration = Duration::from_secs(20);

    #[test]
    fn a_ten_megabyte_line_is_checked_quickly_and_safely() {
        let mut line = String::with_capacity(10 * 1024 * 1024 + 64);
        // Hints for most probes, none of them a finding; built from pieces.
        let chunk = [
            "var a=b==c?\"eyJhbGciOi\":d.on",
            "ly(x);debug",
            "ger;// TO",
            "DO xoxb-12 AK",
            "IA ghp_ ==== ",
        ]
        .concat();
        while line.len() < 10 * 1024 * 1024 {
            line.push_str(&chunk);
        }
        line.push_str(&format!(
            " {}{}",
            "ghp_", "Z7Q4M2XK9RW3TB6VQ3M8VT2PK7ZR4XW5N6Ja"
        ));
        let options = RuleOptions {
            large_file_bytes: u64::MAX,
            ..RuleOptions::default()
        };
        let started = Instant::now();
        let findings = added_file_with("dist/app.js", &line, &options);
        let elapsed = started.elapsed();
        assert!(elapsed < SLOW, "took {elapsed:?}");
        // Heuristic rules do not run on such a line; the self-identifying token does.
        assert_eq!(codes(&findings), ["secrets/github-token"]);

        // A line made of credentials: one finding that counts the rest.
        let token = format!("{}{} ", "ghp_", "Z7Q4M2XK9RW3TB6VQ3M8VT2PK7ZR4XW5N6Ja");
        let many = token.repeat(10 * 1024 * 1024 / token.len());
        let started = Instant::now();
        let findings = added_file_with("dump.txt", &many, &options);
        assert!(started.elapsed() < SLOW, "took {:?}", started.elapsed());
        assert_eq!(codes(&findings), ["secrets/github-token"]);
        assert!(findings[0].message.contains("more on this line"));

        let mut same = String::with_capacity(10 * 1024 * 1024);
        while same.len() < 10 * 1024 * 1024 {
            same.push_str("==========");
        }
        let started = Instant::now();
        assert!(added_file_with("data.txt", &same, &options).is_empty());
        assert!(started.elapsed() < SLOW);
    }

    #[test]
    fn a_hundred_thousand_line_file_is_checked_quickly() {
        let mut text = String::new();
        for i in 0..100_000 {
            match i % 10 {
                0 => text.push_str("    let token = parse_token(&input)?; // fixed up later\n"),
                1 => text.push_str("=======\n"),
                2 => text.push_str("    if a == b { return Err(Error::Secret); }\n"),
                3 => text.push_str("    it('works', () => expect(x).toBe(1));\n"),
                _ => text.push_str("    let value = compute(index, &mut state);\n"),
            }
        }
        let started = Instant::now();
        let options = RuleOptions {
            large_file_bytes: u64::MAX,
            ..RuleOptions::default()
        };
        let findings = added_file_with("src/big.rs", &text, &options);
        let elapsed = started.elapsed();
        assert!(findings.is_empty(), "{findings:?}");
        assert!(elapsed < SLOW, "took {elapsed:?}");
    }

    #[test]
    fn secrets_false_silences_the_secrets_family_only() {
        let text = format!(
            "key = \"{}{}\"\n# {}: rotate\n",
            "AKIA", "Z7Q4M2XK6RW3TB6V", "TODO"
        );
        let on = added_file("a.py", &text);
        assert!(codes(&on).contains(&"secrets/aws-access-key"));
        let off = added_file_with(
            "a.py",
            &text,
            &RuleOptions {
                secrets: false,
                ..RuleOptions::default()
            },
        );
        assert!(
            off.iter().all(|f| !f.rule.starts_with("secrets/")),
            "{off:?}"
        );
        assert_eq!(codes(&off), ["comments/todo"]);
    }
}
