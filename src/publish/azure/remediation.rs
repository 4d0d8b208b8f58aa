//! Remediation on the pull request: inline threads on the lines a failed build's errors point
//! at, one remediation summary thread for the rest, and — when a later build succeeds — those
//! threads set to `fixed`. Same reconciliation as the review: fingerprints decide what is new.

use std::collections::HashMap;

use serde_json::json;

use crate::azure_devops::models::typed_property;
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::finding::Finding;

use super::reconcile::{Existing, Kind, plan_kind, recognise};
use super::threads::{Anchor, LineLengths, inline_thread, summary_properties};

/// The fingerprint of the remediation summary thread (one per pull request).
pub const SUMMARY_FINGERPRINT: &str = "remediation-summary";
/// The build a remediation thread was written for.
pub const BUILD: &str = "CodeRabbit.Build";

/// What a remediation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub created: usize,
    pub already_there: usize,
    pub marked_fixed: usize,
    pub summary_written: bool,
    pub iteration: Option<u32>,
}

/// Posts `inline` remediation (findings on PR lines, fingerprints set) and the summary text.
pub async fn publish(
    api: &PullRequestApi<'_>,
    inline: &[Finding],
    summary: String,
    build_id: &str,
    head: &str,
    line_lengths: &LineLengths,
) -> Result<Report, ApiError> {
    let threads = api.threads().await?;
    let existing: Vec<Existing> = threads.iter().filter_map(recognise).collect();
    let (summaries, inline_existing): (Vec<&Existing>, Vec<&Existing>) = existing
        .iter()
        .filter(|e| e.kind == Kind::Remediation)
        .partition(|e| e.fingerprint.as_deref() == Some(SUMMARY_FINGERPRINT));
    let inline_existing: Vec<Existing> = inline_existing.into_iter().cloned().collect();
    let anchorable = vec![true; inline.len()];
    let plan = plan_kind(
        Kind::Remediation,
        inline,
        &anchorable,
        &inline_existing,
        usize::MAX,
    );

    let mut iteration = None;
    let mut tracking = HashMap::new();
    if !plan.create.is_empty() {
        iteration = api.iterations().await?.iter().map(|i| i.id).max();
        if let Some(iteration) = iteration {
            tracking = api.change_tracking_ids(iteration).await?;
        }
    }
    let build = [(BUILD, typed_property("System.String", json!(build_id)))];
    for &index in &plan.create {
        let finding = &inline[index];
        let anchor = Anchor {
            iteration,
            change_tracking_id: tracking.get(&finding.path).copied(),
            end_line_length: line_lengths.get(&finding.path, finding.end_line.max(finding.line)),
        };
        api.create_thread(&inline_thread(Kind::Remediation, finding, anchor, &build))
            .await?;
    }
    for &id in &plan.mark_fixed {
        api.set_thread_status(id, "fixed").await?;
    }

    let mut summary_written = false;
    match summaries.first() {
        Some(existing)
            if existing.content.as_deref() == Some(summary.as_str())
                && existing.status == "active" => {}
        Some(Existing {
            id,
            comment_id: Some(comment),
            status,
            ..
        }) => {
            api.edit_comment(*id, *comment, summary).await?;
            if status != "active" {
                api.set_thread_status(*id, "active").await?;
            }
            summary_written = true;
        }
        _ => {
            let mut thread = super::threads::summary_thread(summary, head, iteration);
            let mut properties = summary_properties(head, iteration);
            properties.insert(
                super::reconcile::KIND.to_owned(),
                typed_property("System.String", json!(Kind::Remediation.as_str())),
            );
            properties.insert(
                super::reconcile::FINGERPRINT.to_owned(),
                typed_property("System.String", json!(SUMMARY_FINGERPRINT)),
            );
            properties.insert(
                BUILD.to_owned(),
                typed_property("System.String", json!(build_id)),
            );
            thread.properties = Some(properties);
            thread.status = Some(json!("active"));
            api.create_thread(&thread).await?;
            summary_written = true;
        }
    }
    Ok(Report {
        created: plan.create.len(),
        already_there: plan.existing.len(),
        marked_fixed: plan.mark_fixed.len(),
        summary_written,
        iteration,
    })
}

/// After a successful build: the active remediation threads no person touched are set to
/// `fixed`. Returns whether any remediation was still open (so the remediation status should
/// become `succeeded`).
pub async fn resolve(api: &PullRequestApi<'_>, existing: &[Existing]) -> Result<bool, ApiError> {
    let open: Vec<&Existing> = existing
        .iter()
        .filter(|e| e.kind == Kind::Remediation && e.status == "active")
        .collect();
    for thread in open.iter().filter(|t| !t.touched_by_person) {
        api.set_thread_status(thread.id, "fixed").await?;
    }
    Ok(!open.is_empty())
}
