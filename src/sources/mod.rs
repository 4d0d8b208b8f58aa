//! Sources of findings. Each source looks at the change and produces [`Finding`]s, plus what it
//! did not look at and why: [`rules`] (the built-in reviewer, offline, no token) and [`import`]
//! (other tools' reports: SARIF, rdjson, checkstyle). The review runs a list of them
//! ([`crate::review::build`]); adding a source is one folder here and one line in that list.
//!
//! A source may work per file, while the diff is being computed (in parallel, with the file's
//! head content), or on the change as a whole once the diff is known (with the findings of the
//! sources before it, e.g. to redact the secrets they found), or both.

mod builtin;
pub mod import;
pub mod llm;
pub mod rules;

pub use builtin::BuiltinRules;
pub use import::ImportedFindings;
pub use rules::FileUnderReview;

use git2::Repository;

use crate::config::Config;
use crate::filter::FilterMode;
use crate::finding::Finding;
use crate::git::{ChangeSet, Revisions};
use crate::review::Skipped;

/// The change as a whole, as a whole-change source sees it.
pub struct Change<'a> {
    pub repo: &'a Repository,
    pub revisions: &'a Revisions,
    pub changes: &'a ChangeSet,
    pub config: &'a Config,
    pub filter_mode: FilterMode,
}

/// Why findings were left out before the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The tool reported a file outside the repository.
    OutsideRepository,
    /// The result has no file location.
    NoLocation,
    /// The file is excluded by `reviews.path_filters`.
    ExcludedByPathFilters,
    /// Below the severity floor of `reviews.profile`.
    BelowProfile,
    /// Not on a line the filter mode keeps (`--filter-mode`).
    OutsideFilterMode,
}

impl DropReason {
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::OutsideRepository => "point outside the repository",
            DropReason::NoLocation => "have no file location",
            DropReason::ExcludedByPathFilters => "are in files excluded by reviews.path_filters",
            DropReason::BelowProfile => "are below the severity floor of reviews.profile",
            DropReason::OutsideFilterMode => "are not on lines the filter mode keeps",
        }
    }
}

/// How many findings of one source were left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub source: String,
    pub reason: DropReason,
    pub count: usize,
}

/// What a whole-change source found.
#[derive(Debug, Default)]
pub struct Found {
    /// Findings on head lines (fingerprints assigned).
    pub findings: Vec<Finding>,
    /// Findings that could not be placed on a line of the head revision (shown in the summary,
    /// never on a guessed line).
    pub unplaced: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    pub dropped: Vec<Dropped>,
}

/// A producer of findings.
pub trait Source: Send + Sync {
    /// The name findings and log lines use (`builtin`, `imported`, `llm`).
    fn name(&self) -> &'static str;

    /// Findings on one reviewable changed file (not deleted, not excluded, not a submodule or
    /// link). Called in parallel while the diff is computed.
    fn review_file(&self, _file: &FileUnderReview<'_>) -> Vec<Finding> {
        Vec::new()
    }

    /// Findings about the change as a whole, once the diff is known; `so_far` holds what the
    /// sources before this one found.
    fn review_change(&self, _change: &Change<'_>, _so_far: &[Finding]) -> anyhow::Result<Found> {
        Ok(Found::default())
    }
}

/// A shared source (kept by the caller to read what it found beyond findings).
impl<S: Source + ?Sized> Source for std::sync::Arc<S> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn review_file(&self, file: &FileUnderReview<'_>) -> Vec<Finding> {
        (**self).review_file(file)
    }

    fn review_change(&self, change: &Change<'_>, so_far: &[Finding]) -> anyhow::Result<Found> {
        (**self).review_change(change, so_far)
    }
}
