//! Reading a failed build: the failed task records of its timeline (not the remediation step
//! itself; canceled and skipped ones are ignored), the errors they logged as issues, and the
//! last lines of their logs, cleaned and run through the extractors. A log whose length the log
//! list gives is read by its last lines only; one without a `lineCount` is read whole and its
//! tail kept, since the errors that failed a long step are at its end.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};

use crate::azure_devops::builds::{self, TimelineRecord};
use crate::azure_devops::{ApiError, Client};

use super::extract::{self, BuildError};

/// How many of a log's last lines are read: the errors that failed a step are at its end.
pub(super) const LOG_TAIL_LINES: u64 = 2_000;

/// The `endLine` that reaches the end of any log (the service stops at the last line; the
/// parameter is an `int64`).
const TO_THE_END: u64 = i64::MAX.unsigned_abs();

/// A failed step and the errors found for it.
#[derive(Debug, Clone)]
pub struct FailedStep {
    pub name: String,
    /// A link a person can open: the build's log view of this step.
    pub log_url: Option<String>,
    pub errors: Vec<BuildError>,
    /// The last lines of the log, cleaned (for excerpts).
    pub tail: Vec<String>,
}

/// The failure as read, with notes about what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub steps: Vec<FailedStep>,
    pub notes: Vec<String>,
}

fn issue_errors(record: &TimelineRecord) -> Vec<BuildError> {
    record
        .issues
        .iter()
        .flatten()
        .filter(|issue| issue.is_error())
        .filter_map(|issue| {
            let message = issue.message.as_deref()?.trim().to_owned();
            if message.is_empty() {
                return None;
            }
            Some(BuildError {
                tool: "azure-pipelines",
                path: issue.data("sourcepath"),
                line: issue.data("linenumber").and_then(|l| l.parse().ok()),
                column: issue.data("columnnumber").and_then(|c| c.parse().ok()),
                code: issue.data("code"),
                message,
                help: Vec::new(),
                log_line: 0,
            })
        })
        .collect()
}

/// Reads what failed in `build_id`. `own_step` is this step's timeline record id
/// (`SYSTEM_TASKINSTANCEID`), which is never taken for a failure.
pub async fn read_failure(
    client: &Client,
    project: &str,
    build_id: &str,
    own_step: Option<&str>,
) -> Result<Failure, ApiError> {
    let timeline = builds::timeline(client, project, build_id).await?;
    let mut failed: Vec<&TimelineRecord> = timeline
        .records
        .iter()
        .filter(|r| r.is_failed_task())
        .filter(|r| {
            own_step.is_none_or(|own| {
                r.id.as_deref()
                    .is_none_or(|id| !id.eq_ignore_ascii_case(own))
            })
        })
        .collect();
    failed.sort_by_key(|r| r.order.unwrap_or(i64::MAX));
    let mut failure = Failure::default();
    if failed.is_empty() {
        return Ok(failure);
    }
    // Only known, non-zero counts: a missing or zero count says nothing about where the end is.
    let line_counts: HashMap<u32, u64> = if failed
        .iter()
        .any(|r| r.log.as_ref().and_then(|l| l.id).is_some())
    {
        builds::logs(client, project, build_id)
            .await?
            .into_iter()
            .filter_map(|log| Some((log.id, log.line_count.filter(|&n| n > 0)?)))
            .collect()
    } else {
        HashMap::new()
    };
    let results_url = results_url(client, project, build_id);
    let tails: Vec<(usize, Result<Vec<String>, ApiError>)> =
        stream::iter(failed.iter().enumerate())
            .map(|(index, record)| {
                let log_id = record.log.as_ref().and_then(|l| l.id);
                let line_count = log_id.and_then(|id| line_counts.get(&id).copied());
                async move {
                    let Some(log_id) = log_id else {
                        return (index, Ok(Vec::new()));
                    };
                    let (start, end) = match line_count {
                        Some(end) => (end.saturating_sub(LOG_TAIL_LINES - 1).max(1), end),
                        None => (1, TO_THE_END),
                    };
                    let text =
                        builds::log_lines(client, project, build_id, log_id, start, end).await;
                    (index, text.map(|t| tail_lines(&t)))
                }
            })
            .buffer_unordered(4)
            .collect()
            .await;
    let mut tails: HashMap<usize, Result<Vec<String>, ApiError>> = tails.into_iter().collect();
    for (index, record) in failed.iter().enumerate() {
        let name = record.name.clone().unwrap_or_else(|| "a step".to_owned());
        let tail = match tails.remove(&index) {
            Some(Ok(lines)) => lines,
            Some(Err(ApiError::NotFound { .. })) => {
                failure.notes.push(format!("the log of step \"{name}\" is no longer available; only the errors it logged as issues are used"));
                Vec::new()
            }
            Some(Err(err)) => return Err(err),
            None => Vec::new(),
        };
        let mut errors = extract::extract(&tail);
        for issue in issue_errors(record) {
            let duplicate = errors.iter().any(|e| {
                e.line == issue.line
                    && (e.message.contains(&issue.message) || issue.message.contains(&e.message))
            });
            if !duplicate {
                errors.push(issue);
            }
        }
        let log_url = results_url.as_ref().map(|base| match &record.id {
            Some(id) => format!("{base}&view=logs&t={id}"),
            None => base.clone(),
        });
        failure.steps.push(FailedStep {
            name,
            log_url,
            errors,
            tail,
        });
    }
    Ok(failure)
}

/// The last [`LOG_TAIL_LINES`] lines of a log's text, cleaned.
fn tail_lines(text: &str) -> Vec<String> {
    let count = text.lines().count();
    let keep = usize::try_from(LOG_TAIL_LINES).unwrap_or(usize::MAX);
    text.lines()
        .skip(count.saturating_sub(keep))
        .map(extract::clean_line)
        .collect()
}

fn results_url(client: &Client, project: &str, build_id: &str) -> Option<String> {
    let base = client.base().as_str().trim_end_matches('/');
    Some(format!(
        "{base}/{}/_build/results?buildId={build_id}",
        crate::azure_devops::segment(project)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_the_last_lines_in_order() {
        let text: String = (1..=2_500).map(|i| format!("line {i}\n")).collect();
        let tail = tail_lines(&text);
        assert_eq!(tail.len(), 2_000);
        assert_eq!(tail.first().map(String::as_str), Some("line 501"));
        assert_eq!(tail.last().map(String::as_str), Some("line 2500"));
        assert_eq!(tail_lines("a\nb\n"), ["a", "b"]);
        assert!(tail_lines("").is_empty());
    }
}
