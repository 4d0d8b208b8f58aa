//! The review on the pull request: one inline thread per finding (capped), the summary thread
//! edited in place, and — since this build got as far as a review — the remediation threads of
//! an earlier failed build resolved.

use crate::azure_devops::{ApiError, PullRequestApi};
use crate::finding::Finding;
use crate::git::FileStatus;
use crate::review::Review;

use super::reconcile::Kind;
use super::state::State;
use super::summary;
use super::threads::{self, LineLengths, summary_thread_with};
use super::writer::{SingleChange, ThreadWriter};

/// How to publish.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub max_comments: usize,
    pub concurrency: usize,
    /// The summary's linked work items section (read by the caller).
    pub work_items: Option<String>,
    /// The PR's threads, when the caller has just listed them and written nothing since.
    pub listed: Option<Vec<crate::azure_devops::models::GitPullRequestCommentThread>>,
    /// With a language model: the files it looked at this run (`None`: no model, or all).
    pub model_reviewed: Option<std::collections::BTreeSet<String>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_comments: 50,
            concurrency: 8,
            work_items: None,
            listed: None,
            model_reviewed: None,
        }
    }
}

/// What a run did on the PR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub created: usize,
    pub already_there: usize,
    pub marked_fixed: usize,
    pub left_alone: usize,
    pub not_inline: usize,
    pub summary: SingleChange,
    pub iteration: Option<u32>,
    /// Remediation threads of an earlier failed build were open and are now resolved.
    pub remediation_resolved: bool,
}

/// Posts `review` to the PR. `line_lengths` gives the UTF-16 length of the head lines the
/// findings end on, for exclusive end offsets.
pub(crate) async fn publish(
    api: &PullRequestApi<'_>,
    review: &Review,
    settings: &Settings,
    line_lengths: &LineLengths,
) -> Result<Report, ApiError> {
    let mut writer = match &settings.listed {
        Some(threads) => ThreadWriter::from_threads(api, settings.concurrency, threads),
        None => ThreadWriter::open(api, settings.concurrency).await?,
    };
    // A summary that describes this head already knows the latest iteration.
    if let Some(known) = writer
        .single(Kind::Summary, None)
        .filter(|s| s.head.as_deref() == Some(review.head.as_str()))
        .and_then(|s| s.iteration)
    {
        writer.know_iteration(known);
    }
    // The state the summary carries: what people silenced is never posted again.
    let mut state = State::from_summary(writer.single(Kind::Summary, None));
    let kept: Vec<Finding> = review
        .findings
        .iter()
        .filter(|f| !state.silenced.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();
    let findings = &kept;
    let changed: std::collections::HashSet<&str> = review
        .files
        .iter()
        .filter(|f| f.status != FileStatus::Deleted)
        .map(|f| f.path.as_str())
        .collect();
    let anchorable: Vec<bool> = findings
        .iter()
        .map(|f| changed.contains(f.path.as_str()))
        .collect();
    let inline = writer
        .sync_inline(
            Kind::Finding,
            findings,
            &anchorable,
            settings.max_comments,
            line_lengths,
            &[],
            &|e| {
                // The model's threads on files it did not look at this run stay as they are.
                settings.model_reviewed.as_ref().is_some_and(|reviewed| {
                    e.source.as_deref() == Some("llm")
                        && e.path.as_ref().is_some_and(|p| !reviewed.contains(p))
                })
            },
        )
        .await?;
    let iteration = writer.iteration().await?;

    // The summary, written last so that it describes what is on the PR.
    let mut not_inline: Vec<(&Finding, &'static str)> = inline
        .overflow
        .iter()
        .map(|&i| {
            let why = if anchorable[i] {
                summary::OVER_CAP
            } else {
                summary::NOT_IN_CHANGES
            };
            (&findings[i], why)
        })
        .collect();
    not_inline.extend(review.unplaced.iter().map(|f| (f, summary::NOT_IN_SOURCE)));
    let status = summary::Status {
        iteration,
        not_inline,
        max_comments: settings.max_comments,
        work_items: settings.work_items.clone(),
    };
    let content = summary::render(review, &status);
    state.last_reviewed_commit = Some(review.head.clone());
    if let Some(ai) = &review.ai {
        state.ai_summary = Some(ai.clone());
    }
    let mut properties = threads::summary_properties(&review.head, iteration);
    let (key, value) = state.property();
    properties.insert(key, value);
    let summary_change = writer
        .sync_single(
            Kind::Summary,
            None,
            content,
            properties,
            None,
            summary_thread_with,
        )
        .await?;
    let remediation_resolved = writer.resolve_all(Kind::Remediation).await?;
    Ok(Report {
        remediation_resolved,
        created: inline.created,
        already_there: inline.already_there,
        marked_fixed: inline.marked_fixed,
        left_alone: inline.left_alone,
        not_inline: inline.overflow.len(),
        summary: summary_change,
        iteration,
    })
}
