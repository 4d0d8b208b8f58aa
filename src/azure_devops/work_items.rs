//! The work item calls the agent makes (API 7.1): read several work items at once with the
//! batch API, leaving out those the token cannot read.

use serde_json::json;

use super::client::{Call, Client, Scope, segment};
use super::error::ApiError;
use super::models::{List, WorkItem};

const API: &str = "7.1";

/// The fields the agent reads of a linked work item.
pub(crate) const FIELDS: [&str; 5] = [
    "System.WorkItemType",
    "System.Title",
    "System.State",
    "System.Description",
    "Microsoft.VSTS.Common.AcceptanceCriteria",
];

/// The batch API takes at most this many ids a call.
const BATCH: usize = 200;

/// The work item calls in one project.
pub(crate) struct WorkItemApi<'c> {
    client: &'c Client,
    project: String,
}

impl<'c> WorkItemApi<'c> {
    pub(crate) fn new(client: &'c Client, project: impl Into<String>) -> Self {
        WorkItemApi {
            client,
            project: project.into(),
        }
    }

    /// Reads `ids` with [`FIELDS`]; an item the token cannot read (or that is gone) is `None`.
    /// The answer has one entry per id, in order.
    pub(crate) async fn batch(
        &self,
        ids: &[u32],
    ) -> Result<Vec<(u32, Option<WorkItem>)>, ApiError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            let url = self.client.url(
                &format!("{}/_apis/wit/workitemsbatch", segment(&self.project)),
                API,
                &[],
            );
            let body = json!({"ids": chunk, "fields": FIELDS, "errorPolicy": "omit"});
            let call = Call::new("read the work items of", "the pull request", Scope::Code);
            let list: List<Option<WorkItem>> = self.client.post(url, &body, &call).await?;
            for &id in chunk {
                let item = list
                    .value
                    .iter()
                    .flatten()
                    .find(|item| item.id == Some(id))
                    .cloned();
                out.push((id, item));
            }
        }
        Ok(out)
    }
}
