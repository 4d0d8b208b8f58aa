//! Remediation on the pull request: inline threads on the lines a failed build's errors point
//! at, one remediation summary thread, and — when a later build succeeds — those threads set to
//! `fixed` (see [`super::review`]). Written through the same [`ThreadWriter`] as the review.

use serde_json::json;

use crate::azure_devops::models::{ThreadStatus, typed_property};
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::finding::Finding;

use super::reconcile::{FINGERPRINT, KIND, Kind};
use super::threads::{LineLengths, summary_properties, summary_thread};
use super::writer::{SingleChange, ThreadWriter};

/// The fingerprint of the remediation summary thread (one per pull request).
pub(crate) const SUMMARY_FINGERPRINT: &str = "remediation-summary";
/// The build a remediation thread was written for.
pub(crate) const BUILD: &str = "CodeRabbit.Build";

/// What a remediation run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Report {
    pub created: usize,
    pub already_there: usize,
    pub marked_fixed: usize,
    pub summary_written: bool,
    pub iteration: Option<u32>,
}

/// Posts `inline` remediation (findings on PR lines, fingerprints set) and the summary text.
pub(crate) async fn publish(
    api: &PullRequestApi<'_>,
    inline: &[Finding],
    summary: String,
    build_id: &str,
    head: &str,
    line_lengths: &LineLengths,
) -> Result<Report, ApiError> {
    let mut writer = ThreadWriter::open(api, 8).await?;
    let anchorable = vec![true; inline.len()];
    let build = [(BUILD, typed_property("System.String", json!(build_id)))];
    // The summary is a remediation thread too: it is kept out of the inline reconciliation.
    let report = writer
        .sync_inline(
            Kind::Remediation,
            inline,
            &anchorable,
            usize::MAX,
            line_lengths,
            &build,
            &|e| e.fingerprint.as_deref() == Some(SUMMARY_FINGERPRINT),
        )
        .await?;
    let iteration = if report.created > 0 {
        writer.iteration().await?
    } else {
        None
    };
    let mut properties = summary_properties(head, None);
    properties.insert(
        KIND.to_owned(),
        typed_property("System.String", json!(Kind::Remediation.as_str())),
    );
    properties.insert(
        FINGERPRINT.to_owned(),
        typed_property("System.String", json!(SUMMARY_FINGERPRINT)),
    );
    properties.insert(
        BUILD.to_owned(),
        typed_property("System.String", json!(build_id)),
    );
    let change = writer
        .sync_single(
            Kind::Remediation,
            Some(SUMMARY_FINGERPRINT),
            summary,
            properties,
            Some(ThreadStatus::Active),
            |content, properties| {
                let mut thread = summary_thread(content, head, iteration);
                thread.properties = Some(properties);
                thread.status = Some(json!("active"));
                thread
            },
        )
        .await?;
    Ok(Report {
        created: report.created,
        already_there: report.already_there,
        marked_fixed: report.marked_fixed,
        summary_written: change != SingleChange::Unchanged,
        iteration,
    })
}
