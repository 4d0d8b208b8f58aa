//! Build calls: a build's timeline and its logs (the last lines of each).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::{Call, Client, Scope, segment};
use super::error::ApiError;
use super::models::List;

/// `Timeline`: the records of a build's stages, jobs and tasks.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Timeline {
    #[serde(default)]
    pub records: Vec<TimelineRecord>,
}

/// `TimelineRecord`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimelineRecord {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub record_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub order: Option<i64>,
    #[serde(default)]
    pub log: Option<LogReference>,
    #[serde(default)]
    pub issues: Option<Vec<Issue>>,
}

impl TimelineRecord {
    pub(crate) fn is_failed_task(&self) -> bool {
        self.record_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("task"))
            && self
                .result
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("failed"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct LogReference {
    #[serde(default)]
    pub id: Option<u32>,
}

/// `Issue`: an error or warning a task logged with `##vso[task.logissue]`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Issue {
    #[serde(default, rename = "type")]
    pub issue_type: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Map<String, Value>>,
}

impl Issue {
    pub(crate) fn is_error(&self) -> bool {
        self.issue_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("error"))
    }

    /// A value of the issue's data (`sourcepath`, `linenumber`, `columnnumber`, `code`).
    pub(crate) fn data(&self, key: &str) -> Option<String> {
        let value = self
            .data
            .as_ref()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))?
            .1;
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// `BuildLog`: a log's id and length.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuildLog {
    pub id: u32,
    #[serde(default)]
    pub line_count: Option<u64>,
}

fn build_call(action: &'static str, build_id: &str) -> Call {
    Call::new(action, format!("build {build_id}"), Scope::Build)
}

/// The build's timeline.
pub(crate) async fn timeline(
    client: &Client,
    project: &str,
    build_id: &str,
) -> Result<Timeline, ApiError> {
    let path = format!(
        "{}/_apis/build/builds/{}/timeline",
        segment(project),
        segment(build_id)
    );
    let url = client.url(&path, "7.1", &[]);
    client
        .get(url, &build_call("read the timeline of", build_id))
        .await
}

/// The build's logs with their line counts.
pub(crate) async fn logs(
    client: &Client,
    project: &str,
    build_id: &str,
) -> Result<Vec<BuildLog>, ApiError> {
    let path = format!(
        "{}/_apis/build/builds/{}/logs",
        segment(project),
        segment(build_id)
    );
    let url = client.url(&path, "7.1", &[]);
    let list: List<BuildLog> = client
        .get(url, &build_call("list the logs of", build_id))
        .await?;
    Ok(list.value)
}

/// Lines `start..=end` (1-based) of a log, as text.
pub(crate) async fn log_lines(
    client: &Client,
    project: &str,
    build_id: &str,
    log_id: u32,
    start: u64,
    end: u64,
) -> Result<String, ApiError> {
    let path = format!(
        "{}/_apis/build/builds/{}/logs/{log_id}",
        segment(project),
        segment(build_id)
    );
    let url = client.url(
        &path,
        "7.1",
        &[
            ("startLine", start.to_string()),
            ("endLine", end.to_string()),
        ],
    );
    client
        .get_text(url, &build_call("read the logs of", build_id))
        .await
}
