//! The review as a value: what was compared, which files were looked at, what was found and
//! what was skipped. Built by [`build`] from the diff, the config and the sources; read by every
//! publisher.

pub(crate) mod build;

use crate::finding::{Finding, Severity};
use crate::git::{FileStatus, NotReviewable};
use crate::sources::Dropped;
use serde::Serialize;

pub(crate) use build::build;

/// One changed file as the summary lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ReviewedFile {
    pub path: String,
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub binary: bool,
    pub additions: u32,
    pub deletions: u32,
}

/// A file the review did not look at, and why (`path_filters`, a symlink, a submodule…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

/// Why a file was not looked at (by every source, or by the language model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Excluded by `reviews.path_filters`.
    PathFilters,
    /// git's view of it is all there is (a submodule, a symbolic link).
    NotReviewable(NotReviewable),
    /// Not sent to the language model (a lock file, generated or minified code, the budget…),
    /// in the model source's words.
    NotSentToModel(String),
}

impl SkipReason {
    pub fn describe(&self) -> String {
        match self {
            SkipReason::PathFilters => "excluded by reviews.path_filters".to_owned(),
            SkipReason::NotReviewable(why) => why.describe().to_owned(),
            SkipReason::NotSentToModel(why) => format!("not reviewed by the model: {why}"),
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The contract's JSON: the reason as a sentence.
impl Serialize for SkipReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.describe())
    }
}

/// The presentation settings that come from `.coderabbit.yaml`.
#[derive(Debug, Clone)]
pub(crate) struct Presentation {
    pub high_level_summary: bool,
    pub review_status: bool,
    pub collapse_walkthrough: bool,
}

impl Default for Presentation {
    fn default() -> Self {
        Presentation {
            high_level_summary: true,
            review_status: true,
            collapse_walkthrough: false,
        }
    }
}

/// What the language model added beyond its findings, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct AiSummary {
    /// The walkthrough as sanitised Markdown, when the model wrote one.
    pub walkthrough: Option<String>,
    /// The "Summary by CodeRabbit" block for the PR description (`reviews.high_level_summary`).
    #[serde(default)]
    pub summary_block: Option<String>,
    /// Small things, for one collapsed section of the summary.
    pub nitpicks: Vec<Finding>,
    /// The model's findings (kept for the next run, which does not ask again about the files
    /// that did not change).
    pub findings: Vec<Finding>,
    /// Files the model reviewed, of those it was given.
    pub files_reviewed: usize,
    /// Their paths.
    pub reviewed_paths: std::collections::BTreeSet<String>,
    /// The last reviewed commit, when the model reviewed only what changed since.
    pub since: Option<String>,
    pub files_given: usize,
    /// Requests and tokens spent, of the run's budget.
    pub requests: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub token_budget: u64,
    /// What went wrong with the model, one sentence each.
    pub problems: Vec<String>,
}

/// Everything a publisher needs to render the review.
#[derive(Debug, Clone)]
pub(crate) struct Review {
    pub base: String,
    pub head: String,
    /// Every changed file, reviewed or not, in path order.
    pub files: Vec<ReviewedFile>,
    /// Findings that passed the filter, sorted by path and line.
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Problems found in `.coderabbit.yaml`, one sentence each (with file, line and column).
    pub config_problems: Vec<String>,
    /// Imported findings whose line is not a line of the head revision (in a PR build: a line
    /// of the merge commit that came from the target branch). Shown in the summary, never on a
    /// wrong line. Their `line` is the line the tool reported.
    pub unplaced: Vec<Finding>,
    /// Findings each source lost before reaching the review, counted by reason.
    pub dropped: Vec<Dropped>,
    /// Lowest severity reported (from `reviews.profile`).
    pub min_severity: Severity,
    pub presentation: Presentation,
    /// With a language model configured: its walkthrough, nitpicks and spending.
    pub ai: Option<AiSummary>,
}

impl Review {
    /// Number of findings at each severity, highest first.
    pub(crate) fn counts_by_severity(&self) -> Vec<(Severity, usize)> {
        Severity::ALL
            .into_iter()
            .map(|sev| {
                (
                    sev,
                    self.findings.iter().filter(|f| f.severity == sev).count(),
                )
            })
            .collect()
    }

    /// Puts the findings in the order every publisher shows them: by path, line and rule.
    pub(crate) fn sort_findings(findings: &mut [Finding]) {
        findings.sort_by(|a, b| {
            (a.path.as_str(), a.line, a.rule.as_str()).cmp(&(
                b.path.as_str(),
                b.line,
                b.rule.as_str(),
            ))
        });
    }

    /// The highest severity among the findings, if any.
    pub(crate) fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
