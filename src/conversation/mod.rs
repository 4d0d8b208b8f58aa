//! The conversation on a pull request: what people wrote to the agent since the last run, and
//! the agent's answers. [`command`] reads a comment; [`plan`] decides, from the threads as they
//! are and the review state, what is pending; [`respond`] acts and replies — one reply per
//! comment, never twice, even when two runs are at work at once (each answer is claimed right
//! before it is written, and the thread is read again).
//!
//! It owns neither the threads' text rendering nor the writing of threads: replies, statuses
//! and the state go through [`crate::publish::azure::ThreadWriter`].

pub(crate) mod command;
pub(crate) mod event;
pub(crate) mod new_work_item;
pub(crate) mod plan;
pub(crate) mod work_items;

use std::time::Duration;

use serde_json::Map;

use crate::azure_devops::models::{GitPullRequest, GitPullRequestCommentThread, ThreadStatus};
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::config::Config;
use crate::publish::azure::{self as azure_publish, Kind, State, ThreadWriter};

pub(crate) use command::{Addressee, Command};
pub(crate) use plan::{Action, Pending};

/// Answers a question in one of the agent's threads.
pub(crate) trait Chat {
    /// The answer to `question` about the finding `finding` (the agent's first comment), or
    /// `None` when this chat cannot answer (no model).
    fn answer(&self, finding: &str, question: &str) -> Option<String>;
}

/// The chat without a language model: it never answers; the agent says once per pull request
/// that answering needs a provider.
pub(crate) struct NoModel;

impl Chat for NoModel {
    fn answer(&self, _finding: &str, _question: &str) -> Option<String> {
        None
    }
}

/// What the conversation needs besides the pull request.
pub(crate) struct Options<'a> {
    /// The token owner's identity id: its own comments are never commands.
    pub me: String,
    pub config: &'a Config,
    pub chat: &'a dyn Chat,
    /// Whether `chat.auto_reply` is on.
    pub auto_reply: bool,
    /// Whether a review follows in this run (a PR build) — the replies to `review` say so.
    pub review_follows: bool,
    /// Unique to this run: its claims on answers.
    pub run_id: String,
    /// How long a claim settles before it is read back.
    pub settle: Duration,
}

/// What the conversation asks of the review that may follow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// `pause` is in effect.
    pub paused: bool,
    /// The description says `@coderabbitai ignore`.
    pub ignored: bool,
    /// `full review` was asked.
    pub full_review: bool,
    /// `review`, `full review` or `summary` was asked.
    pub review_requested: bool,
    /// Replies posted.
    pub replies: usize,
    /// Comments that were pending.
    pub pending: usize,
    /// The state as it is after this run.
    pub state: State,
    /// The threads as listed, when this run wrote nothing (the review may reuse them).
    pub threads: Option<Vec<GitPullRequestCommentThread>>,
}

/// The one line said once per pull request when a question cannot be answered.
pub(crate) const CHAT_NEEDS_PROVIDER: &str = "Answering questions needs a language model: set the task's `llmProvider` (or `CODERABBIT_LLM_PROVIDER`) and enable `chat.auto_reply` in `.coderabbit.yaml`.";

/// Acts on what people wrote since the last run. `pull_request` and `threads` are the PR and
/// its threads as just read.
pub(crate) async fn respond(
    api: &PullRequestApi<'_>,
    pull_request: &GitPullRequest,
    threads: &[GitPullRequestCommentThread],
    options: &Options<'_>,
) -> Result<Outcome, ApiError> {
    let writer = ThreadWriter::from_threads(api, 8, threads);
    let summary = writer.single(Kind::Summary, None).cloned();
    let mut state = State::from_summary(summary.as_ref());
    let addressee = Addressee {
        identity_id: Some(options.me.clone()),
    };
    let plan = plan::plan(threads, &options.me, &addressee, &state);
    let ignored = pull_request
        .description
        .as_deref()
        .is_some_and(|d| addressee.command(d) == Some(Command::Ignore));
    let mut outcome = Outcome {
        ignored,
        pending: plan.pending.len(),
        ..Outcome::default()
    };
    let before = state.clone();
    state.silenced.extend(plan.silence.iter().cloned());

    for pending in &plan.pending {
        let key = (pending.thread, pending.comment);
        if !writer
            .claim(key.0, key.1, &options.me, &options.run_id, options.settle)
            .await?
        {
            tracing::info!(thread = key.0, comment = key.1, "answered by another run");
            state.handled.insert(azure_publish::CommentRef {
                thread: key.0,
                comment: key.1,
            });
            continue;
        }
        let answer = act(&writer, pending, options, &mut state, &mut outcome).await?;
        if let Some(text) = answer
            && writer.reply_once(key.0, key.1, &options.me, text).await?
        {
            outcome.replies += 1;
        }
        state.handled.insert(azure_publish::CommentRef {
            thread: key.0,
            comment: key.1,
        });
    }

    if state != before {
        write_state(api, &writer, summary.as_ref(), &mut state).await?;
    } else if outcome.replies == 0 {
        outcome.threads = Some(threads.to_vec());
    }
    outcome.paused = state.paused;
    outcome.state = state;
    Ok(outcome)
}

/// Does what `pending` asks; returns the reply, if any.
async fn act(
    writer: &ThreadWriter<'_>,
    pending: &Pending,
    options: &Options<'_>,
    state: &mut State,
    outcome: &mut Outcome,
) -> Result<Option<String>, ApiError> {
    let reply = match &pending.action {
        Action::Command(command) => match command {
            Command::Pause => {
                state.paused = true;
                "Reviews are paused on this pull request. Write `@coderabbitai resume` to resume them.".to_owned()
            }
            Command::Resume => {
                state.paused = false;
                if options.review_follows {
                    "Reviews resumed: reviewing this build.".to_owned()
                } else {
                    "Reviews resumed: the next build of this pull request is reviewed.".to_owned()
                }
            }
            Command::Ignore => "To stop reviews of this pull request for good, write `@coderabbitai ignore` in its description; `@coderabbitai pause` pauses them from a comment.".to_owned(),
            Command::Review | Command::FullReview | Command::Summary => {
                outcome.review_requested = true;
                if *command == Command::FullReview {
                    outcome.full_review = true;
                }
                let what = match command {
                    Command::FullReview => "A full review",
                    Command::Summary => "A new summary",
                    _ => "A review",
                };
                if state.paused {
                    format!("{what} is not possible while reviews are paused: write `@coderabbitai resume` first.")
                } else if options.review_follows {
                    format!("{what} is under way in this build.")
                } else {
                    format!("{what} needs the pull request's code: it runs with the next build of this pull request.")
                }
            }
            Command::Resolve => {
                let count = writer.resolve_every_active(Kind::Finding).await?;
                format!("Marked {count} of my comment(s) as resolved.")
            }
            Command::Configuration => format!(
                "The configuration in effect:\n\n```yaml\n{}```\n",
                options.config.to_yaml()
            ),
            Command::Help => command::help_text(None),
            Command::Unknown(words) => command::help_text(Some(words)),
            Command::CreateWorkItem => {
                "Creating work items from a comment is not available in this version of the agent.".to_owned()
            }
        },
        Action::Dismiss { fingerprint } => {
            state.silenced.insert(fingerprint.clone());
            "Understood: I will not raise this again on this pull request.".to_owned()
        }
        Action::Question { finding, question } => {
            let answer = if options.auto_reply {
                options.chat.answer(finding, question)
            } else {
                None
            };
            match answer {
                Some(answer) => answer,
                None if state.chat_notice_posted => return Ok(None),
                None => {
                    state.chat_notice_posted = true;
                    CHAT_NEEDS_PROVIDER.to_owned()
                }
            }
        }
    };
    Ok(Some(reply))
}

/// Writes the state on the summary thread, merging what a racing run wrote meanwhile; creates
/// a short summary when there is none yet.
async fn write_state(
    api: &PullRequestApi<'_>,
    writer: &ThreadWriter<'_>,
    summary: Option<&azure_publish::Existing>,
    state: &mut State,
) -> Result<(), ApiError> {
    if let Some(summary) = summary {
        let now = api.thread(summary.id).await?;
        if let Some(text) = now.property(azure_publish::STATE) {
            state.absorb(&State::parse(&text));
        }
    }
    let content = summary
        .and_then(|s| s.content.clone())
        .unwrap_or_else(|| NOT_REVIEWED_YET.to_owned());
    let mut properties = Map::new();
    let (key, value) = state.property();
    properties.insert(key, value);
    let head = summary.and_then(|s| s.head.clone()).unwrap_or_default();
    let iteration = summary.and_then(|s| s.iteration);
    let mut create_with = azure_publish::summary_properties(&head, iteration);
    create_with.extend(properties.clone());
    writer
        .sync_single(
            Kind::Summary,
            None,
            content,
            properties,
            None::<ThreadStatus>,
            move |content, _| azure_publish::summary_thread_with(content, create_with),
        )
        .await?;
    Ok(())
}

/// The summary's text before the first review.
pub(crate) const NOT_REVIEWED_YET: &str =
    "CodeRabbit has not reviewed this pull request yet: the next build of it will be reviewed.";
