//! The review state of one pull request, kept in the summary thread's properties (one
//! JSON-valued property, [`STATE`]) so that a new agent version, or a run on another machine,
//! picks up where the last run left off: the last reviewed source commit, the comments already
//! acted on, the fingerprints people silenced, and whether the reviews are paused.
//!
//! The state is versioned; fields a later version adds are kept as they are when this version
//! rewrites it, and a summary written before the state existed reads as the empty state.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::azure_devops::models::typed_property;

use super::reconcile::Existing;

/// The summary thread's property that holds the state.
pub(crate) const STATE: &str = "CodeRabbit.State";

/// The version this agent writes.
pub(super) const VERSION: u32 = 1;

/// A comment on the pull request: its thread and its id within the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct CommentRef {
    pub thread: u32,
    pub comment: u32,
}

/// What the agent remembers about a pull request between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct State {
    #[serde(default)]
    pub version: u32,
    /// The PR source commit the last review covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed_commit: Option<String>,
    /// Comments already acted on (commands, replies to findings).
    #[serde(default)]
    pub handled: BTreeSet<CommentRef>,
    /// Findings people dismissed ("false positive", "won't fix", or the thread set to
    /// `wontFix`/`closed`): never posted again on this pull request.
    #[serde(default)]
    pub silenced: BTreeSet<String>,
    /// `@coderabbitai pause`: no review until `resume`.
    #[serde(default)]
    pub paused: bool,
    /// The "chat needs a provider" line was already posted once on this pull request.
    #[serde(default)]
    pub chat_notice_posted: bool,
    /// What the language model wrote for the summary at the last reviewed commit, shown again
    /// when nothing changed since (the model is not asked twice about the same code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<crate::review::AiSummary>,
    /// Fields a later version of the agent wrote: kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl State {
    /// The state carried by the summary thread, if any; a missing or unreadable property reads
    /// as the empty state (an older agent's summary, or one a person edited).
    pub(crate) fn from_summary(summary: Option<&Existing>) -> State {
        summary
            .and_then(|s| s.properties.get(&STATE.to_ascii_lowercase()))
            .map(|text| State::parse(text))
            .unwrap_or_default()
    }

    /// Reads the property's text; anything unreadable is the empty state.
    pub(crate) fn parse(text: &str) -> State {
        match serde_json::from_str::<State>(text) {
            Ok(state) => state,
            Err(err) => {
                tracing::warn!(
                    "the review state on the summary thread is unreadable ({err}); starting afresh"
                );
                State::default()
            }
        }
    }

    /// Whether the comment was acted on already.
    pub(crate) fn is_handled(&self, thread: u32, comment: u32) -> bool {
        self.handled.contains(&CommentRef { thread, comment })
    }

    /// Adds what `other` knows (a state read again, written by a run that raced this one):
    /// handled comments and silenced fingerprints are unions; the rest is this run's.
    pub(crate) fn absorb(&mut self, other: &State) {
        self.handled.extend(other.handled.iter().copied());
        self.silenced.extend(other.silenced.iter().cloned());
        self.chat_notice_posted |= other.chat_notice_posted;
        for (key, value) in &other.other {
            self.other
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }

    /// The property to write on the summary thread.
    pub(crate) fn property(&self) -> (String, Value) {
        let mut state = self.clone();
        state.version = VERSION.max(self.version);
        let text = serde_json::to_string(&state).unwrap_or_else(|_| "{}".to_owned());
        (
            STATE.to_owned(),
            typed_property("System.String", json!(text)),
        )
    }
}

/// The oldest of the agent's summary threads among `threads`, as the writer sees it.
pub(crate) fn single_summary(
    threads: &[crate::azure_devops::models::GitPullRequestCommentThread],
) -> Option<Existing> {
    threads
        .iter()
        .filter_map(super::reconcile::recognise)
        .filter(|e| e.kind == super::reconcile::Kind::Summary)
        .min_by_key(|e| e.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn summary_with(properties: &[(&str, &str)]) -> Existing {
        Existing {
            id: 1,
            kind: super::super::reconcile::Kind::Summary,
            fingerprint: None,
            status: crate::azure_devops::models::ThreadStatus::Unknown,
            touched_by_person: false,
            comment_id: Some(1),
            content: Some("summary".into()),
            head: None,
            iteration: None,
            path: None,
            source: None,
            properties: properties
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        }
    }

    #[test]
    fn a_summary_without_state_reads_as_empty() {
        assert_eq!(State::from_summary(None), State::default());
        let old = summary_with(&[("CodeRabbit.Kind", "summary")]);
        assert_eq!(State::from_summary(Some(&old)), State::default());
        let broken = summary_with(&[(STATE, "{not json")]);
        assert_eq!(State::from_summary(Some(&broken)), State::default());
    }

    #[test]
    fn the_state_round_trips_through_the_property() {
        let mut state = State {
            last_reviewed_commit: Some("abc".into()),
            paused: true,
            ..State::default()
        };
        state.handled.insert(CommentRef {
            thread: 4,
            comment: 2,
        });
        state.silenced.insert("fp".into());
        let (key, value) = state.property();
        assert_eq!(key, STATE);
        assert_eq!(value["type"], "System.String");
        let text = value["value"].as_str().unwrap();
        let back = State::from_summary(Some(&summary_with(&[(STATE, text)])));
        assert_eq!(back.version, VERSION);
        assert!(back.is_handled(4, 2) && !back.is_handled(4, 3));
        assert!(back.paused);
        assert_eq!(back.last_reviewed_commit.as_deref(), Some("abc"));
        assert!(back.silenced.contains("fp"));
    }

    #[test]
    fn fields_of_a_later_version_are_kept() {
        let text =
            r#"{"version":7,"handled":[],"silenced":[],"paused":false,"futureField":{"a":1}}"#;
        let state = State::parse(text);
        let (_, value) = state.property();
        let written: Value = serde_json::from_str(value["value"].as_str().unwrap()).unwrap();
        assert_eq!(written["futureField"], json!({"a": 1}));
        assert_eq!(
            written["version"], 7,
            "a newer version number is not lowered"
        );
    }

    #[test]
    fn racing_states_are_merged() {
        let mut mine = State::default();
        mine.handled.insert(CommentRef {
            thread: 1,
            comment: 1,
        });
        let mut theirs = State::default();
        theirs.handled.insert(CommentRef {
            thread: 2,
            comment: 5,
        });
        theirs.silenced.insert("x".into());
        mine.absorb(&theirs);
        assert!(mine.is_handled(1, 1) && mine.is_handled(2, 5));
        assert!(mine.silenced.contains("x"));
    }
}
