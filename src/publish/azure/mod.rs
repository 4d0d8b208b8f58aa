//! Publishing a review to an Azure DevOps pull request — "just another renderer" plus
//! reconciliation with what an earlier run left there.
//!
//! One run: list the PR's threads once; recognise the agent's own by their properties; post the
//! findings whose fingerprints are not there yet (most severe first, capped); set threads whose
//! finding is gone to `fixed` unless a person touched them; write the summary thread, or edit
//! it in place when its text changed. Writes run concurrently, bounded. Nothing is ever deleted.
//! A run killed half-way is completed by the next one, because every decision starts from the
//! threads that are actually there.

mod gate;
mod reconcile;
pub mod remediation;
mod summary;
mod threads;

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};

use crate::azure_devops::models::{GitPullRequestStatus, GitStatusContext};
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::finding::Finding;
use crate::review::Review;

pub use gate::{Decision, decide};
pub use reconcile::{Existing, FINGERPRINT, Kind, Plan, plan, plan_kind, recognise};
pub use threads::{Anchor, LineLengths, finding_body, finding_thread, summary_thread};

/// How to publish.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_comments: usize,
    pub concurrency: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_comments: 50,
            concurrency: 8,
        }
    }
}

/// What a run did on the PR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub created: usize,
    pub already_there: usize,
    pub marked_fixed: usize,
    pub left_alone: usize,
    pub not_inline: usize,
    pub summary: SummaryChange,
    pub iteration: Option<u32>,
    /// Remediation threads of an earlier failed build were open and are now resolved.
    pub remediation_resolved: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SummaryChange {
    #[default]
    Unchanged,
    Created,
    Edited,
}

/// Posts `review` to the PR. `line_lengths` gives the UTF-16 length of the head lines the
/// findings end on, for exclusive end offsets.
pub async fn publish(
    api: &PullRequestApi<'_>,
    review: &Review,
    settings: &Settings,
    line_lengths: &LineLengths,
) -> Result<Report, ApiError> {
    let threads = api.threads().await?;
    let existing: Vec<Existing> = threads.iter().filter_map(recognise).collect();
    let findings = &review.findings;
    let changed: HashSet<&str> = review
        .files
        .iter()
        .filter(|f| f.status != crate::git::FileStatus::Deleted)
        .map(|f| f.path.as_str())
        .collect();
    let anchorable: Vec<bool> = findings
        .iter()
        .map(|f| changed.contains(f.path.as_str()))
        .collect();
    let plan = plan(findings, &anchorable, &existing, settings.max_comments);
    // One summary: the oldest; copies left by a run that raced this one are closed.
    let mut summaries: Vec<&Existing> = existing
        .iter()
        .filter(|e| e.kind == Kind::Summary)
        .collect();
    summaries.sort_by_key(|e| e.id);
    let summary = summaries.first().copied();
    let extra_summaries = summaries
        .iter()
        .skip(1)
        .filter(|e| !e.touched_by_person && e.status != "closed")
        .map(|e| Write::Status(e.id, "closed"));

    // The latest iteration: from the summary when it describes this head, else from the PR.
    let known_iteration = summary
        .filter(|s| s.head.as_deref() == Some(review.head.as_str()))
        .and_then(|s| s.iteration);
    let iteration = match known_iteration {
        Some(iteration) if plan.create.is_empty() => Some(iteration),
        _ => api.iterations().await?.iter().map(|i| i.id).max(),
    };
    let tracking = match (iteration, plan.create.is_empty()) {
        (Some(iteration), false) => api.change_tracking_ids(iteration).await?,
        _ => HashMap::new(),
    };

    // Inline threads and fixes, concurrently.
    let creations = plan.create.iter().map(|&index| {
        let finding = &findings[index];
        let anchor = Anchor {
            iteration,
            change_tracking_id: tracking.get(&finding.path).copied(),
            end_line_length: line_lengths.get(&finding.path, finding.end_line.max(finding.line)),
        };
        Write::Create(finding_thread(finding, anchor), finding)
    });
    let fixes = plan
        .mark_fixed
        .iter()
        .map(|&id| Write::Status(id, "fixed"))
        .chain(
            plan.close_duplicate
                .iter()
                .map(|&id| Write::Status(id, "closed")),
        )
        .chain(extra_summaries);
    let writes: Vec<Write<'_>> = creations.chain(fixes).collect();
    let results: Vec<(Write<'_>, Result<(), ApiError>)> = stream::iter(writes)
        .map(|write| async move {
            let result = match &write {
                Write::Create(thread, _) => api.create_thread(thread).await.map(|_| ()),
                Write::Status(id, status) => api.set_thread_status(*id, status).await,
            };
            (write, result)
        })
        .buffer_unordered(settings.concurrency.max(1))
        .collect()
        .await;

    let mut retry: Vec<&Finding> = Vec::new();
    for (write, result) in results {
        match (write, result) {
            (_, Ok(())) => {}
            (Write::Create(_, finding), Err(err)) if err.is_ambiguous() => retry.push(finding),
            (_, Err(err)) => return Err(err),
        }
    }
    if !retry.is_empty() {
        // The service may have created some of them before failing: look before writing again.
        let there: HashSet<String> = api
            .threads()
            .await?
            .iter()
            .filter_map(recognise)
            .filter_map(|e| e.fingerprint)
            .collect();
        for finding in retry
            .into_iter()
            .filter(|f| !there.contains(f.fingerprint.as_str()))
        {
            let anchor = Anchor {
                iteration,
                change_tracking_id: tracking.get(&finding.path).copied(),
                end_line_length: line_lengths
                    .get(&finding.path, finding.end_line.max(finding.line)),
            };
            api.create_thread(&finding_thread(finding, anchor)).await?;
        }
    }

    // The summary, written last so that it describes what is on the PR.
    let mut not_inline: Vec<(&Finding, &'static str)> = plan
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
    };
    let content = summary::render(review, &status);
    let summary_change = match summary {
        Some(existing) if existing.content.as_deref() == Some(content.as_str()) => {
            SummaryChange::Unchanged
        }
        Some(Existing {
            id,
            comment_id: Some(comment),
            head,
            iteration: known,
            ..
        }) => {
            api.edit_comment(*id, *comment, content).await?;
            if head.as_deref() != Some(review.head.as_str()) || *known != iteration {
                api.set_thread_properties(
                    *id,
                    threads::summary_properties(&review.head, iteration),
                )
                .await?;
            }
            SummaryChange::Edited
        }
        _ => {
            api.create_thread(&summary_thread(content, &review.head, iteration))
                .await?;
            SummaryChange::Created
        }
    };
    // This build got as far as the review: a failed build's remediation is resolved.
    let remediation_resolved = remediation::resolve(api, &existing).await?;
    Ok(Report {
        remediation_resolved,
        created: plan.create.len(),
        already_there: plan.existing.len(),
        marked_fixed: plan.mark_fixed.len(),
        left_alone: plan.left_alone.len(),
        not_inline: plan.overflow.len(),
        summary: summary_change,
        iteration,
    })
}

enum Write<'f> {
    Create(
        crate::azure_devops::models::GitPullRequestCommentThread,
        &'f Finding,
    ),
    Status(u32, &'static str),
}

/// The PR status the agent sets (`coderabbit/review`, `coderabbit/remediation`).
pub fn status(
    name: &str,
    state: &str,
    description: &str,
    target_url: Option<&str>,
    iteration: Option<u32>,
) -> GitPullRequestStatus {
    GitPullRequestStatus {
        id: None,
        state: state.to_owned(),
        description: Some(description.chars().take(400).collect()),
        context: GitStatusContext {
            genre: "coderabbit".to_owned(),
            name: name.to_owned(),
        },
        target_url: target_url.map(str::to_owned),
        iteration_id: iteration,
    }
}
