//! Build calls: the timeline of a build (and, for remediation, its logs).

use serde::Deserialize;

use super::client::{Call, Client, Scope, segment};
use super::error::ApiError;

/// `Timeline`: the records of a build's stages, jobs and tasks.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Timeline {
    #[serde(default)]
    pub records: Vec<TimelineRecord>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineRecord {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, rename = "type")]
    pub record_type: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
}

/// The build's timeline.
pub async fn timeline(
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
        .get(
            url,
            &Call::new(
                "read the timeline of",
                format!("build {build_id}"),
                Scope::Build,
            ),
        )
        .await
}
