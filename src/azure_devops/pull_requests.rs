//! The pull request calls the agent makes, typed: read the PR, its iterations and changes, list
//! and write threads and comments, post statuses. One method per REST call.

use std::collections::HashMap;

use serde_json::json;

use super::client::{Call, Client, Scope, segment};
use super::error::ApiError;
use super::models::{
    Comment, GitPullRequest, GitPullRequestCommentThread, GitPullRequestIteration,
    GitPullRequestIterationChanges, GitPullRequestStatus, List, ThreadStatus,
};

const API: &str = "7.1";

/// Where the pull request lives.
#[derive(Debug, Clone)]
pub(crate) struct PullRequestRef {
    /// Project name or id (`SYSTEM_TEAMPROJECT` or `SYSTEM_TEAMPROJECTID`).
    pub project: String,
    /// Repository id (`BUILD_REPOSITORY_ID`).
    pub repository: String,
    pub id: u32,
}

/// The calls on one pull request.
pub(crate) struct PullRequestApi<'c> {
    client: &'c Client,
    pr: PullRequestRef,
}

impl<'c> PullRequestApi<'c> {
    pub(crate) fn new(client: &'c Client, pr: PullRequestRef) -> Self {
        PullRequestApi { client, pr }
    }

    pub(crate) fn client(&self) -> &Client {
        self.client
    }

    /// Where the pull request lives.
    pub(crate) fn pull_request_ref(&self) -> &PullRequestRef {
        &self.pr
    }

    fn path(&self, rest: &str) -> String {
        format!(
            "{}/_apis/git/repositories/{}/pullRequests/{}{rest}",
            segment(&self.pr.project),
            segment(&self.pr.repository),
            self.pr.id
        )
    }

    fn describe(&self) -> String {
        format!(
            "pull request {} in repository {}",
            self.pr.id, self.pr.repository
        )
    }

    fn read(&self) -> Call {
        Call::new("read", self.describe(), Scope::Code)
    }

    fn write(&self) -> Call {
        Call::new("comment on", self.describe(), Scope::Code)
    }

    /// The pull request, with the refs of its linked work items.
    pub(crate) async fn pull_request(&self) -> Result<GitPullRequest, ApiError> {
        let url = self.client.url(
            &self.path(""),
            API,
            &[("includeWorkItemRefs", "true".to_owned())],
        );
        self.client.get(url, &self.read()).await
    }

    pub(crate) async fn iterations(&self) -> Result<Vec<GitPullRequestIteration>, ApiError> {
        let url = self.client.url(&self.path("/iterations"), API, &[]);
        let list: List<GitPullRequestIteration> = self.client.get(url, &self.read()).await?;
        Ok(list.value)
    }

    /// The change tracking id of every path the iteration changes (paths without the leading
    /// `/`), following `nextSkip` until the last page.
    pub(crate) async fn change_tracking_ids(
        &self,
        iteration: u32,
    ) -> Result<HashMap<String, u32>, ApiError> {
        // The service allows up to 2,000 a page; 1,000 keeps each answer moderate.
        const PAGE: u32 = 1000;
        let mut ids = HashMap::new();
        let mut skip = 0u32;
        loop {
            let url = self.client.url(
                &self.path(&format!("/iterations/{iteration}/changes")),
                API,
                &[("$top", PAGE.to_string()), ("$skip", skip.to_string())],
            );
            let page: GitPullRequestIterationChanges = self.client.get(url, &self.read()).await?;
            let count = page.change_entries.len() as u32;
            for change in page.change_entries {
                if let (Some(id), Some(path)) = (
                    change.change_tracking_id,
                    change.item.and_then(|item| item.path),
                ) {
                    ids.insert(path.trim_start_matches('/').to_owned(), id);
                }
            }
            match page.next_skip {
                Some(next) if next > skip && count > 0 => skip = next,
                _ => break,
            }
        }
        Ok(ids)
    }

    pub(crate) async fn threads(&self) -> Result<Vec<GitPullRequestCommentThread>, ApiError> {
        let url = self.client.url(&self.path("/threads"), API, &[]);
        let list: List<GitPullRequestCommentThread> = self.client.get(url, &self.read()).await?;
        Ok(list.value)
    }

    /// One thread, with its comments and properties as they are now.
    pub(crate) async fn thread(
        &self,
        thread: u32,
    ) -> Result<GitPullRequestCommentThread, ApiError> {
        let url = self
            .client
            .url(&self.path(&format!("/threads/{thread}")), API, &[]);
        self.client.get(url, &self.read()).await
    }

    /// Posts a reply in a thread, under the comment `parent`.
    pub(crate) async fn create_comment(
        &self,
        thread: u32,
        parent: u32,
        content: String,
    ) -> Result<Comment, ApiError> {
        let url = self
            .client
            .url(&self.path(&format!("/threads/{thread}/comments")), API, &[]);
        let mut comment = Comment::text(content);
        comment.parent_comment_id = Some(parent);
        self.client.post(url, &comment, &self.write()).await
    }

    pub(crate) async fn create_thread(
        &self,
        thread: &GitPullRequestCommentThread,
    ) -> Result<GitPullRequestCommentThread, ApiError> {
        let url = self.client.url(&self.path("/threads"), API, &[]);
        self.client.post(url, thread, &self.write()).await
    }

    pub(crate) async fn set_thread_status(
        &self,
        thread: u32,
        status: ThreadStatus,
    ) -> Result<(), ApiError> {
        let url = self
            .client
            .url(&self.path(&format!("/threads/{thread}")), API, &[]);
        let _: serde_json::Value = self
            .client
            .patch(url, &json!({ "status": status.as_str() }), &self.write())
            .await?;
        Ok(())
    }

    /// Sets properties on a thread (the agent's bookkeeping; never visible text).
    pub(crate) async fn set_thread_properties(
        &self,
        thread: u32,
        properties: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        let url = self
            .client
            .url(&self.path(&format!("/threads/{thread}")), API, &[]);
        let body = GitPullRequestCommentThread {
            properties: Some(properties),
            ..GitPullRequestCommentThread::default()
        };
        let _: serde_json::Value = self.client.patch(url, &body, &self.write()).await?;
        Ok(())
    }

    /// Replaces the pull request's description (the "Summary by CodeRabbit" block in it).
    pub(crate) async fn update_description(&self, description: &str) -> Result<(), ApiError> {
        let url = self.client.url(&self.path(""), API, &[]);
        let body = json!({ "description": description });
        let _: serde_json::Value = self
            .client
            .patch(
                url,
                &body,
                &Call::new("edit the description of", self.describe(), Scope::Code),
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn edit_comment(
        &self,
        thread: u32,
        comment: u32,
        content: String,
    ) -> Result<(), ApiError> {
        let url = self.client.url(
            &self.path(&format!("/threads/{thread}/comments/{comment}")),
            API,
            &[],
        );
        let body = Comment {
            content: Some(content),
            ..Comment::default()
        };
        let _: serde_json::Value = self.client.patch(url, &body, &self.write()).await?;
        Ok(())
    }

    pub(crate) async fn post_status(&self, status: &GitPullRequestStatus) -> Result<(), ApiError> {
        let url = self.client.url(&self.path("/statuses"), API, &[]);
        let _: serde_json::Value = self
            .client
            .post(
                url,
                status,
                &Call::new("set a status on", self.describe(), Scope::Code),
            )
            .await?;
        Ok(())
    }
}
