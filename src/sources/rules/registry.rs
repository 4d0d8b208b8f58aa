//! The registry: every built-in rule, registered once.
//!
//! A rule is one [`Rule`] value, defined next to its check in its family's file: its stable code,
//! severity, category and explanation, its family, and how it runs ([`Check`]): on added lines
//! that hold one of its literal hints, on the file's diff entry, or on the whole file once an
//! added line could concern it. [`RULES`] lists them, one row each, in catalog order; the
//! catalog, the one-pass prefilter (a single case-insensitive Aho-Corasick automaton over every
//! rule's hints), the family and long-line masks and the dispatch are all derived from it.
//!
//! Adding a rule is its `Rule` value and check function in a family file, plus one row here.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::{
    FileContext, FileUnderReview, Line, RuleInfo, RuleOptions, Sink, conflict_markers, debugger,
    files, focused_tests, secrets, todo_comments,
};
use crate::finding::{Category, Severity};

/// Every built-in rule, in catalog order (which is also the order rules run in on a line).
pub(super) static RULES: &[&Rule] = &[
    &secrets::providers::AWS_ACCESS_KEY,
    &secrets::assignments::AWS_SECRET_KEY,
    &secrets::assignments::AWS_SESSION_TOKEN,
    &secrets::assignments::AZURE_STORAGE_KEY,
    &secrets::assignments::AZURE_STORAGE_CONNECTION_STRING,
    &secrets::providers::AZURE_SHARED_ACCESS_KEY,
    &secrets::providers::AZURE_DEVOPS_PAT,
    &secrets::providers::GITHUB_TOKEN,
    &secrets::providers::SLACK_TOKEN,
    &secrets::providers::SLACK_WEBHOOK,
    &secrets::providers::STRIPE_LIVE_KEY,
    &secrets::providers::GOOGLE_API_KEY,
    &secrets::providers::OPENAI_API_KEY,
    &secrets::providers::NPM_TOKEN,
    &secrets::providers::PRIVATE_KEY,
    &secrets::providers::JWT,
    &secrets::assignments::HARDCODED_CREDENTIAL,
    &secrets::assignments::URL_PASSWORD,
    &conflict_markers::UNRESOLVED,
    &focused_tests::FOCUSED,
    &focused_tests::DISABLED,
    &debugger::BREAKPOINT,
    &debugger::DBG_MACRO,
    &files::LARGE_FILE,
    &files::BINARY_ARTIFACT,
    &todo_comments::TODO,
];

/// One built-in rule: its stable description and how it runs.
pub(super) struct Rule {
    pub(super) code: &'static str,
    pub(super) severity: Severity,
    pub(super) category: Category,
    pub(super) explanation: &'static str,
    pub(super) family: Family,
    pub(super) check: Check,
}

impl Rule {
    pub(super) fn info(&self) -> RuleInfo {
        RuleInfo {
            code: self.code,
            severity: self.severity,
            category: self.category,
            explanation: self.explanation,
        }
    }
}

/// The families, as the first part of a rule's code names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// `secrets/*`, switched off by `reviews.tools.gitleaks.enabled: false`.
    Secrets,
    Conflicts,
    Tests,
    Debugging,
    Files,
    Comments,
}

impl Family {
    #[cfg(test)]
    pub(super) fn prefix(self) -> &'static str {
        match self {
            Family::Secrets => "secrets/",
            Family::Conflicts => "conflicts/",
            Family::Tests => "tests/",
            Family::Debugging => "debugging/",
            Family::Files => "files/",
            Family::Comments => "comments/",
        }
    }

    fn enabled(self, options: &RuleOptions) -> bool {
        self != Family::Secrets || options.secrets
    }
}

/// A check over one added line.
pub(super) type LineCheck = fn(&FileContext<'_>, &Line<'_>, &mut Sink);

/// How a rule runs.
pub(super) enum Check {
    /// On each added line that holds one of `hints` (ASCII-case-insensitively; a hint is
    /// necessary for a match, never sufficient). Lines over
    /// [`MAX_HEURISTIC_LINE`](super::MAX_HEURISTIC_LINE) bytes get the check only if
    /// `long_lines`: formats whose signature identifies them, that need no judgement about the
    /// surrounding code.
    Line {
        hints: &'static [&'static str],
        long_lines: bool,
        run: LineCheck,
    },
    /// Once per file, on its diff entry, before its lines are read (binary files included).
    /// These findings are about the whole file (line 0); they come first, ordered by code.
    Diff(fn(&FileUnderReview<'_>, &RuleOptions, &mut Sink)),
    /// Once per file, over all its lines, when `candidate` holds for one of its added lines (of
    /// any length).
    File {
        candidate: fn(&str) -> bool,
        run: fn(&FileContext<'_>, &mut Sink),
    },
}

/// A set of rules, as a bit mask over their indices in [`RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct RuleSet(u64);

impl RuleSet {
    /// How many rules a set can hold.
    pub(super) const CAPACITY: usize = 64;

    fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    fn intersect(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 & other.0)
    }

    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The rules of the set, in registry order.
    pub(super) fn rules(self) -> impl Iterator<Item = &'static Rule> {
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let index = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            RULES.get(index).copied()
        })
    }
}

/// What the registry derives once: the prefilter and the masks.
pub(super) struct Derived {
    automaton: AhoCorasick,
    /// For each automaton pattern, the line rules its hint wakes up.
    woken: Vec<RuleSet>,
    /// Line rules that run on lines over `MAX_HEURISTIC_LINE` bytes.
    long_lines: RuleSet,
    /// Rules of the `secrets/*` family.
    secrets: RuleSet,
    /// Every rule.
    all: RuleSet,
    /// The rules checked on the diff entry, by code.
    diff_rules: Vec<(usize, &'static Rule)>,
}

pub(super) static DERIVED: LazyLock<Derived> = LazyLock::new(|| {
    debug_assert!(RULES.len() <= RuleSet::CAPACITY);
    let mut hints: Vec<(String, RuleSet)> = Vec::new();
    let mut diff_rules: Vec<(usize, &'static Rule)> = RULES
        .iter()
        .enumerate()
        .filter(|(_, rule)| matches!(rule.check, Check::Diff(_)))
        .map(|(index, rule)| (index, *rule))
        .collect();
    diff_rules.sort_by_key(|(_, rule)| rule.code);
    let (mut long_lines, mut secrets, mut all) =
        (RuleSet::default(), RuleSet::default(), RuleSet::default());
    for (index, rule) in RULES.iter().enumerate().take(RuleSet::CAPACITY) {
        RuleSet::insert(&mut all, index);
        if rule.family == Family::Secrets {
            RuleSet::insert(&mut secrets, index);
        }
        let Check::Line {
            hints: own,
            long_lines: long,
            ..
        } = rule.check
        else {
            continue;
        };
        if long {
            RuleSet::insert(&mut long_lines, index);
        }
        for hint in own {
            let hint = hint.to_ascii_lowercase();
            match hints.iter_mut().find(|(known, _)| *known == hint) {
                Some((_, set)) => set.insert(index),
                None => {
                    let mut set = RuleSet::default();
                    set.insert(index);
                    hints.push((hint, set));
                }
            }
        }
    }
    Derived {
        // A DFA whatever the number of hints (the automatic choice falls back to a slower NFA
        // past a hundred patterns).
        automaton: AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(hints.iter().map(|(hint, _)| hint))
            .expect("the rule hints are valid literals"),
        woken: hints.into_iter().map(|(_, set)| set).collect(),
        diff_rules,
        long_lines,
        secrets,
        all,
    }
});

impl Derived {
    /// The rules the options let run.
    pub(super) fn enabled(&self, options: &RuleOptions) -> RuleSet {
        if Family::Secrets.enabled(options) {
            self.all
        } else {
            RuleSet(self.all.0 & !self.secrets.0)
        }
    }

    /// The line rules whose hints occur in `text`, in one scan of it, among `enabled`.
    pub(super) fn line_rules(&self, text: &str, enabled: RuleSet) -> RuleSet {
        let mut woken = RuleSet::default();
        for hit in self.automaton.find_overlapping_iter(text) {
            if let Some(set) = self.woken.get(hit.pattern().as_usize()) {
                woken.0 |= set.0;
            }
        }
        if text.len() > super::MAX_HEURISTIC_LINE {
            woken = woken.intersect(self.long_lines);
        }
        woken.intersect(enabled)
    }
}

impl Derived {
    /// The rules checked on the diff entry, among `enabled`, by code.
    pub(super) fn diff_rules(&self, enabled: RuleSet) -> impl Iterator<Item = &'static Rule> {
        self.diff_rules
            .iter()
            .filter(move |(index, _)| enabled.0 & (1 << index) != 0)
            .map(|(_, rule)| *rule)
    }
}

/// The rules that run once over the whole file, among `enabled`.
pub(super) fn file_rules(enabled: RuleSet) -> impl Iterator<Item = &'static Rule> {
    enabled
        .rules()
        .filter(|rule| matches!(rule.check, Check::File { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_fits_a_rule_set_and_codes_name_their_family() {
        assert!(RULES.len() <= RuleSet::CAPACITY);
        for rule in RULES {
            assert!(
                rule.code.starts_with(rule.family.prefix()),
                "{} is not in {:?}",
                rule.code,
                rule.family
            );
            if let Check::Line { hints, .. } = rule.check {
                assert!(!hints.is_empty(), "{} has no hints", rule.code);
                for hint in hints {
                    assert!(
                        !hint.is_empty() && hint.is_ascii(),
                        "{}: {hint:?}",
                        rule.code
                    );
                }
            }
        }
    }

    #[test]
    fn the_prefilter_wakes_only_the_rules_whose_hints_occur() {
        let derived = &*DERIVED;
        let all = derived.enabled(&RuleOptions::default());
        let codes = |set: RuleSet| set.rules().map(|rule| rule.code).collect::<Vec<_>>();
        assert_eq!(
            codes(derived.line_rules("let x = 1;", all)),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(derived.line_rules("// tOdO: later", all)),
            ["comments/todo"]
        );
        let off = derived.enabled(&RuleOptions {
            secrets: false,
            ..RuleOptions::default()
        });
        assert!(
            codes(derived.line_rules("password = x // TODO", off))
                .iter()
                .all(|code| !code.starts_with("secrets/"))
        );
    }
}
