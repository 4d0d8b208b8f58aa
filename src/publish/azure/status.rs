//! The PR statuses the agent sets (`coderabbit/review`, `coderabbit/remediation`), which a
//! branch policy can require.

use crate::azure_devops::models::{GitPullRequestStatus, GitStatusContext};

/// A status of the `coderabbit` genre; the description is cut to the service's 400 characters.
pub(crate) fn status(
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
