//! What is pending on a pull request, from its threads as they are and the review state: the
//! people's comments not yet acted on that address the agent, and the findings people
//! dismissed. Pure: threads in, plan out.
//!
//! A comment counts once: it is pending when it is a person's (not the agent's own, not a
//! system comment), not deleted, not in the state's handled comments, and not already answered
//! by the agent (a reply of the agent's whose parent it is). An edited comment keeps its id, so
//! it is not acted on again.

use crate::azure_devops::models::{GitPullRequestCommentThread, ThreadStatus};
use crate::publish::azure::{Kind, State, answered, recognise};

use super::command::{self, Addressee, Command, Reply};

/// What a pending comment asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Command(Command),
    /// "false positive", "won't fix" in a finding's thread.
    Dismiss {
        fingerprint: String,
    },
    /// A question in a finding's thread: `finding` is the agent's comment.
    Question {
        finding: String,
        question: String,
    },
}

/// A comment to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub thread: u32,
    pub comment: u32,
    pub action: Action,
}

/// Everything pending on the pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// In the order people wrote them (thread, then comment).
    pub pending: Vec<Pending>,
    /// Fingerprints of the agent's findings whose threads people set to `wontFix` or `closed`.
    pub silence: Vec<String>,
}

/// Plans from the threads; `me` is the agent's identity id.
pub(crate) fn plan(
    threads: &[GitPullRequestCommentThread],
    me: &str,
    addressee: &Addressee,
    state: &State,
) -> Plan {
    let mut plan = Plan::default();
    let mut sorted: Vec<&GitPullRequestCommentThread> = threads.iter().collect();
    sorted.sort_by_key(|t| t.id);
    for thread in sorted {
        let Some(thread_id) = thread.id else { continue };
        if thread.is_deleted == Some(true) {
            continue;
        }
        let ours = recognise(thread);
        let finding = ours
            .as_ref()
            .filter(|e| e.kind == Kind::Finding)
            .and_then(|e| {
                Some((
                    e.fingerprint.clone()?,
                    e.content.clone().unwrap_or_default(),
                ))
            });
        if let Some((fingerprint, _)) = &finding
            && matches!(
                thread.status(),
                ThreadStatus::WontFix | ThreadStatus::Closed
            )
            && !state.silenced.contains(fingerprint)
        {
            plan.silence.push(fingerprint.clone());
        }
        let mut comments: Vec<_> = thread.comments.iter().collect();
        comments.sort_by_key(|c| c.id);
        for comment in comments {
            let Some(comment_id) = comment.id else {
                continue;
            };
            let author = comment.author.as_ref().and_then(|a| a.id.as_deref());
            if comment.is_deleted == Some(true)
                || comment.is_system()
                || author.is_none_or(|a| a.eq_ignore_ascii_case(me))
                || state.is_handled(thread_id, comment_id)
                || answered(thread, comment_id, me)
            {
                continue;
            }
            let text = comment.content.as_deref().unwrap_or_default();
            let action = match (addressee.command(text), &finding) {
                (Some(command), _) => Some(Action::Command(command)),
                (None, Some((fingerprint, body))) => match command::reply(addressee, text) {
                    Reply::Dismissal => Some(Action::Dismiss {
                        fingerprint: fingerprint.clone(),
                    }),
                    Reply::Question => Some(Action::Question {
                        finding: body.clone(),
                        question: text.to_owned(),
                    }),
                    Reply::Other => None,
                },
                (None, None) => None,
            };
            if let Some(action) = action {
                plan.pending.push(Pending {
                    thread: thread_id,
                    comment: comment_id,
                    action,
                });
            }
        }
    }
    plan
}

/// The author of the agent's summary thread: the agent's identity, as far as the threads say.
pub(crate) fn summary_author(threads: &[GitPullRequestCommentThread]) -> Option<String> {
    let mut summaries: Vec<&GitPullRequestCommentThread> = threads
        .iter()
        .filter(|t| recognise(t).is_some_and(|e| e.kind == Kind::Summary))
        .collect();
    summaries.sort_by_key(|t| t.id);
    summaries
        .first()?
        .comments
        .iter()
        .find(|c| !c.is_system() && c.is_deleted != Some(true))?
        .author
        .as_ref()?
        .id
        .clone()
}

/// The handled comments as a state would record them (for tests and reports).
#[cfg(test)]
pub(crate) fn handled(plan: &Plan) -> Vec<crate::publish::azure::CommentRef> {
    plan.pending
        .iter()
        .map(|p| crate::publish::azure::CommentRef {
            thread: p.thread,
            comment: p.comment,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const ME: &str = "aaaa-bot";

    fn comment(id: u32, author: &str, text: &str) -> Value {
        json!({"id": id, "parentCommentId": if id == 1 { 0 } else { 1 }, "author": {"id": author}, "content": text, "commentType": "text"})
    }

    fn thread(
        id: u32,
        properties: Value,
        status: &str,
        comments: Vec<Value>,
    ) -> GitPullRequestCommentThread {
        serde_json::from_value(
            json!({"id": id, "status": status, "properties": properties, "comments": comments}),
        )
        .unwrap()
    }

    fn finding_thread(id: u32, status: &str, replies: Vec<Value>) -> GitPullRequestCommentThread {
        let mut comments = vec![comment(1, ME, "**Major** finding")];
        comments.extend(replies);
        thread(
            id,
            json!({"CodeRabbit.Kind": {"$type": "System.String", "$value": "finding"},
                   "CodeRabbit.Fingerprint": {"$type": "System.String", "$value": format!("fp{id}")}}),
            status,
            comments,
        )
    }

    fn me() -> Addressee {
        Addressee {
            identity_id: Some(ME.into()),
        }
    }

    #[test]
    fn a_persons_command_is_pending_once() {
        let threads = vec![thread(
            3,
            json!({}),
            "active",
            vec![comment(1, "person", "@coderabbitai pause")],
        )];
        let plan = plan(&threads, ME, &me(), &State::default());
        assert_eq!(
            plan.pending,
            vec![Pending {
                thread: 3,
                comment: 1,
                action: Action::Command(Command::Pause)
            }]
        );
        let mut state = State::default();
        state.handled.extend(handled(&plan));
        assert!(super::plan(&threads, ME, &me(), &state).pending.is_empty());
    }

    #[test]
    fn the_agents_own_deleted_and_system_comments_do_not_count() {
        let mut deleted = comment(2, "person", "@coderabbitai pause");
        deleted["isDeleted"] = json!(true);
        let mut system = comment(3, "person", "@coderabbitai pause");
        system["commentType"] = json!("system");
        let threads = vec![thread(
            3,
            json!({}),
            "active",
            vec![comment(1, ME, "@coderabbitai help"), deleted, system],
        )];
        assert!(
            plan(&threads, ME, &me(), &State::default())
                .pending
                .is_empty()
        );
    }

    #[test]
    fn a_comment_the_agent_already_answered_is_not_pending() {
        let mut answer = comment(2, ME, "Reviews are paused");
        answer["parentCommentId"] = json!(1);
        let threads = vec![thread(
            3,
            json!({}),
            "active",
            vec![comment(1, "person", "@coderabbitai pause"), answer],
        )];
        assert!(
            plan(&threads, ME, &me(), &State::default())
                .pending
                .is_empty()
        );
    }

    #[test]
    fn replies_in_finding_threads_and_dismissed_threads() {
        let threads = vec![
            finding_thread(5, "active", vec![comment(2, "person", "false positive")]),
            finding_thread(
                6,
                "active",
                vec![comment(2, "person", "Why does this matter?")],
            ),
            finding_thread(7, "wontFix", vec![]),
            finding_thread(
                8,
                "active",
                vec![comment(2, "person", "fixed in the next commit")],
            ),
            thread(9, json!({}), "active", vec![comment(1, "person", "why?")]),
        ];
        let plan = plan(&threads, ME, &me(), &State::default());
        assert_eq!(plan.silence, vec!["fp7".to_owned()]);
        assert_eq!(plan.pending.len(), 2, "{:?}", plan.pending);
        assert_eq!(
            plan.pending[0].action,
            Action::Dismiss {
                fingerprint: "fp5".into()
            }
        );
        assert!(matches!(
            &plan.pending[1].action,
            Action::Question { finding, .. } if finding.contains("finding")
        ));
    }
}
