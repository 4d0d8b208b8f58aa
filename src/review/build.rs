//! Building the review: one pass over the diff that runs the per-file sources on every
//! reviewable file (in parallel, with its head content), then the whole-change sources, then the
//! filter. It knows which files were skipped and why, and how many findings each source lost
//! to the filter; it knows nothing about where the review goes.

use anyhow::Result;
use git2::Repository;

use crate::config::{Config, Loaded};
use crate::error::UserError;
use crate::filter::{self, DiffIndex, FilterMode};
use crate::finding::Finding;
use crate::git::{self, ChangeSet, FileStatus, Revisions};
use crate::sources::{Change, FileUnderReview, Source};

use super::{Presentation, Review, ReviewedFile, SkipReason, Skipped};

/// Every changed file as the summary lists it, and those the review did not look at, with why.
fn files_and_skipped(changes: &ChangeSet, config: &Config) -> (Vec<ReviewedFile>, Vec<Skipped>) {
    let mut files = Vec::with_capacity(changes.files.len());
    let mut skipped = Vec::new();
    for file in &changes.files {
        files.push(ReviewedFile {
            path: file.path.clone(),
            old_path: file.old_path.clone(),
            status: file.status,
            binary: file.binary,
            additions: file.additions,
            deletions: file.deletions,
        });
        if file.status == FileStatus::Deleted {
            continue;
        }
        if !config.includes_path(&file.path) {
            skipped.push(Skipped {
                path: file.path.clone(),
                reason: SkipReason::PathFilters,
            });
        } else if let Some(why) = file.not_reviewable {
            skipped.push(Skipped {
                path: file.path.clone(),
                reason: SkipReason::NotReviewable(why),
            });
        }
    }
    (files, skipped)
}

/// Reviews `revisions` in `repo` with `loaded` configuration and `sources`, in order.
pub(crate) fn build(
    repo: &Repository,
    revisions: &Revisions,
    loaded: &Loaded,
    filter_mode: FilterMode,
    sources: &[Box<dyn Source>],
) -> Result<Review> {
    let config = &loaded.config;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (changes, per_file) = git::visit_files(
        repo,
        revisions.base,
        revisions.head,
        threads,
        |file, content| {
            if file.status == FileStatus::Deleted
                || file.not_reviewable.is_some()
                || !config.includes_path(&file.path)
            {
                return Vec::new();
            }
            let text = String::from_utf8_lossy(content);
            let file = FileUnderReview {
                diff: file,
                text: &text,
            };
            sources
                .iter()
                .flat_map(|source| source.review_file(&file))
                .collect::<Vec<Finding>>()
        },
    )
    .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;

    let (files, mut skipped) = files_and_skipped(&changes, config);
    let mut findings: Vec<Finding> = per_file.into_iter().flatten().collect();
    let mut unplaced = Vec::new();
    let mut dropped = Vec::new();
    let change = Change {
        repo,
        revisions,
        changes: &changes,
        config,
        filter_mode,
    };
    for source in sources {
        let mut found = source.review_change(&change, &findings)?;
        findings.append(&mut found.findings);
        unplaced.append(&mut found.unplaced);
        skipped.append(&mut found.skipped);
        dropped.append(&mut found.dropped);
    }
    let index = DiffIndex::new(&changes.files);
    let (mut findings, mut filtered) =
        filter::apply(findings, &index, filter_mode, config.min_severity());
    dropped.append(&mut filtered);
    Review::sort_findings(&mut findings);
    let review = Review {
        base: changes.base.clone(),
        head: changes.head.clone(),
        files,
        findings,
        skipped,
        config_problems: loaded.problems.iter().map(ToString::to_string).collect(),
        unplaced,
        dropped,
        min_severity: config.min_severity(),
        presentation: Presentation {
            high_level_summary: config.reviews.high_level_summary,
            review_status: config.reviews.review_status,
            collapse_walkthrough: config.reviews.collapse_walkthrough,
        },
        ai: None,
    };
    Ok(review)
}
