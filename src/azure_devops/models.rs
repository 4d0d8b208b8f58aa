//! Typed models of the Azure DevOps resources the agent reads and writes, named after the
//! service's own types. Only the fields the agent uses; every optional field is skipped when
//! absent, so a write carries exactly what the 7.1 API defines.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every list the service returns: `{"count": N, "value": [...]}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct List<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitCommitRef {
    #[serde(default)]
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebApiTagDefinition {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `GitPullRequest`: what decides whether and how to review.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequest {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_draft: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_by: Option<IdentityRef>,
    #[serde(default)]
    pub target_ref_name: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<WebApiTagDefinition>>,
    #[serde(default)]
    pub last_merge_source_commit: Option<GitCommitRef>,
    /// With `includeWorkItemRefs=true`: the linked work items.
    #[serde(default)]
    pub work_item_refs: Option<Vec<ResourceRef>>,
}

/// `GitPullRequestIteration`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestIteration {
    pub id: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct GitItem {
    #[serde(default)]
    pub path: Option<String>,
}

/// `GitPullRequestChange`: one entry of an iteration's changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestChange {
    #[serde(default)]
    pub change_tracking_id: Option<u32>,
    #[serde(default)]
    pub item: Option<GitItem>,
}

/// `GitPullRequestIterationChanges`: one page of changes. The last page has no `nextSkip`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestIterationChanges {
    #[serde(default)]
    pub change_entries: Vec<GitPullRequestChange>,
    #[serde(default)]
    pub next_skip: Option<u32>,
}

/// `CommentPosition`: 1-based line, 1-based UTF-16 column; end positions are exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CommentPosition {
    pub line: u32,
    pub offset: u32,
}

/// `CommentThreadContext`: where in which file a thread sits (right side = the PR's source).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommentThreadContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_file_start: Option<CommentPosition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right_file_end: Option<CommentPosition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommentIterationContext {
    pub first_comparing_iteration: u32,
    pub second_comparing_iteration: u32,
}

/// `GitPullRequestCommentThreadContext`: ties a thread to an iteration and a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestCommentThreadContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_tracking_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_context: Option<CommentIterationContext>,
}

/// `Comment`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_comment_id: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<IdentityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
}

impl Comment {
    /// A new text comment.
    pub(crate) fn text(content: String) -> Self {
        Comment {
            parent_comment_id: Some(0),
            content: Some(content),
            comment_type: Some(Value::String("text".to_owned())),
            ..Comment::default()
        }
    }

    pub(crate) fn is_system(&self) -> bool {
        self.comment_type.as_ref().is_some_and(|t| match t {
            Value::String(s) => s.eq_ignore_ascii_case("system"),
            Value::Number(n) => n.as_u64() == Some(3),
            _ => false,
        })
    }
}

/// `GitPullRequestCommentThread`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestCommentThread {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    #[serde(default)]
    pub comments: Vec<Comment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_context: Option<CommentThreadContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request_thread_context: Option<GitPullRequestCommentThreadContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
}

impl GitPullRequestCommentThread {
    /// A property's value, whether read back typed (`{"$type", "$value"}`) or plain.
    pub(crate) fn property(&self, key: &str) -> Option<String> {
        let value = self
            .properties
            .as_ref()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))?
            .1;
        let inner = match value {
            Value::Object(map) => map.get("$value").or_else(|| map.get("value"))?,
            other => other,
        };
        match inner {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The thread's status, whether the service sent it as a word or a number.
    pub(crate) fn status(&self) -> ThreadStatus {
        match &self.status {
            Some(Value::String(s)) => ThreadStatus::parse(s),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(1) => ThreadStatus::Active,
                Some(2) => ThreadStatus::Fixed,
                Some(3) => ThreadStatus::WontFix,
                Some(4) => ThreadStatus::Closed,
                Some(5) => ThreadStatus::ByDesign,
                Some(6) => ThreadStatus::Pending,
                _ => ThreadStatus::Unknown,
            },
            _ => ThreadStatus::Unknown,
        }
    }
}

/// `CommentThreadStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ThreadStatus {
    Unknown,
    Active,
    Fixed,
    WontFix,
    Closed,
    ByDesign,
    Pending,
}

impl ThreadStatus {
    /// The word the service uses.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ThreadStatus::Unknown => "unknown",
            ThreadStatus::Active => "active",
            ThreadStatus::Fixed => "fixed",
            ThreadStatus::WontFix => "wontFix",
            ThreadStatus::Closed => "closed",
            ThreadStatus::ByDesign => "byDesign",
            ThreadStatus::Pending => "pending",
        }
    }

    pub(crate) fn parse(word: &str) -> Self {
        [
            ThreadStatus::Active,
            ThreadStatus::Fixed,
            ThreadStatus::WontFix,
            ThreadStatus::Closed,
            ThreadStatus::ByDesign,
            ThreadStatus::Pending,
        ]
        .into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(word))
        .unwrap_or(ThreadStatus::Unknown)
    }

    /// A status the agent itself sets (or a thread's initial one): any other means a person
    /// decided something about the thread.
    pub(crate) fn is_agents(self) -> bool {
        matches!(
            self,
            ThreadStatus::Active | ThreadStatus::Fixed | ThreadStatus::Unknown
        )
    }
}

/// A typed property as the service's samples write it.
pub(crate) fn typed_property(type_name: &str, value: Value) -> Value {
    serde_json::json!({ "type": type_name, "value": value })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GitStatusContext {
    pub genre: String,
    pub name: String,
}

/// `GitPullRequestStatus`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GitPullRequestStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub context: GitStatusContext,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_id: Option<u32>,
}

/// `ResourceRef`: a work item linked to a pull request.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ResourceRef {
    #[serde(default)]
    pub id: Option<String>,
}

/// `WorkItem`: its id and the fields asked for.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WorkItem {
    #[serde(default)]
    pub id: Option<u32>,
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl WorkItem {
    /// A field's text, when it has one.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    }
}

/// `_apis/connectionData`: who the token is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionData {
    #[serde(default)]
    pub authenticated_user: Option<ConnectionIdentity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionIdentity {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub provider_display_name: Option<String>,
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
}

impl ConnectionIdentity {
    /// The account (e-mail or unique name) from the identity's properties.
    pub(crate) fn account(&self) -> Option<String> {
        let value = self.properties.as_ref()?.get("Account")?;
        match value {
            Value::Object(map) => map.get("$value").and_then(Value::as_str).map(str::to_owned),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_read_back_typed_or_plain() {
        let thread: GitPullRequestCommentThread = serde_json::from_value(serde_json::json!({
            "id": 7,
            "comments": [],
            "status": "active",
            "properties": {
                "CodeRabbit.Kind": {"$type": "System.String", "$value": "finding"},
                "CodeRabbit.Fingerprint": "abc",
                "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": {"$type": "System.Int32", "$value": 1}
            }
        }))
        .unwrap();
        assert_eq!(
            thread.property("CodeRabbit.Kind").as_deref(),
            Some("finding")
        );
        assert_eq!(
            thread.property("CodeRabbit.Fingerprint").as_deref(),
            Some("abc")
        );
        assert_eq!(
            thread
                .property("Microsoft.TeamFoundation.Discussion.SupportsMarkdown")
                .as_deref(),
            Some("1")
        );
        assert_eq!(thread.status(), ThreadStatus::Active);
    }

    #[test]
    fn a_new_thread_serialises_only_what_is_set() {
        let thread = GitPullRequestCommentThread {
            comments: vec![Comment::text("hi".into())],
            status: Some(Value::String("active".into())),
            ..Default::default()
        };
        let json = serde_json::to_value(&thread).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"comments": [{"parentCommentId": 0, "content": "hi", "commentType": "text"}], "status": "active"})
        );
    }
}
