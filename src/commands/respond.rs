//! `coderabbit-agent respond`: act on what people wrote on a pull request since the last run —
//! in the conversation pipeline (a comment's service hook payload, `--event`), for a pull
//! request by number, or in a PR build. The same conversation runs first inside every PR-build
//! `review` ([`converse`]).

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::azure_devops::identity::connection_data;
use crate::azure_devops::models::GitPullRequest;
use crate::azure_devops::{ApiError, Client, PullRequestApi, PullRequestRef};
use crate::cli::RespondArgs;
use crate::config::{self, Config};
use crate::context::Context;
use crate::conversation::{self, NoModel, Outcome, event};
use crate::error::{UserError, exit};
use crate::git;
use crate::settings::Settings;

/// How long a claim on an answer settles before it is read back.
const CLAIM_SETTLE: Duration = Duration::from_millis(300);

pub(super) fn run(args: &RespondArgs, settings: &Settings) -> Result<i32> {
    let (collection, pull_request) = target(args, settings)?;
    let auth = settings
        .credentials
        .auth
        .as_ref()
        .map_err(|missing| UserError::new(missing.sentence()))?;
    let client = Client::new(&collection, &auth.credential, settings.network.clone())?;
    let api = PullRequestApi::new(&client, pull_request);
    let runtime = super::runtime()?;
    let repo = git::open_repository(&git::repo_dir(
        args.repo.as_deref(),
        settings.pipeline.sources_directory.as_deref(),
    ))
    .ok();
    let outcome = runtime.block_on(async {
        let pr = api.pull_request().await?;
        let config = repo.as_ref().map_or_else(Config::default, |repo| {
            let head = pr
                .last_merge_source_commit
                .as_ref()
                .and_then(|c| c.commit_id.as_deref())
                .and_then(|id| git2::Oid::from_str(id).ok())
                .unwrap_or_else(git2::Oid::zero);
            let loaded = config::load_for_review(repo, args.config.as_deref(), head);
            super::config::report_problems(&loaded);
            loaded.config
        });
        converse(&api, &pr, &config, false).await
    })?;
    tracing::info!(requests = client.requests_sent(), "Azure DevOps requests");
    let mut out = std::io::stdout();
    writeln!(
        out,
        "{} comment(s) pending, {} repl{} posted{}",
        outcome.pending,
        outcome.replies,
        if outcome.replies == 1 { "y" } else { "ies" },
        if outcome.paused {
            "; reviews are paused"
        } else {
            ""
        }
    )?;
    Ok(exit::OK)
}

/// Reads the people's side of the conversation and answers it. `review_follows` says whether a
/// review runs after it in this process.
pub(super) async fn converse(
    api: &PullRequestApi<'_>,
    pr: &GitPullRequest,
    config: &Config,
    review_follows: bool,
) -> Result<Outcome, ApiError> {
    let threads = api.threads().await?;
    // The agent's identity, as its summary shows it: enough to see that nothing is pending
    // without asking the service who the token is.
    let guess = conversation::plan::summary_author(&threads);
    let quiet = |me: &str| {
        let addressee = conversation::Addressee {
            identity_id: Some(me.to_owned()),
        };
        let summary = crate::publish::azure::single_summary(&threads);
        let state = crate::publish::azure::State::from_summary(summary.as_ref());
        let plan = conversation::plan::plan(&threads, me, &addressee, &state);
        plan.pending.is_empty() && plan.silence.is_empty()
    };
    let ignored = pr.description.as_deref().is_some_and(|d| {
        conversation::Addressee { identity_id: None }.command(d)
            == Some(conversation::Command::Ignore)
    });
    // Before the first summary, no comment can be the agent's: if none is pending even so,
    // nothing is.
    if quiet(guess.as_deref().unwrap_or_default()) {
        let summary = crate::publish::azure::single_summary(&threads);
        let state = crate::publish::azure::State::from_summary(summary.as_ref());
        return Ok(Outcome {
            paused: state.paused,
            ignored,
            state,
            threads: Some(threads),
            ..Outcome::default()
        });
    }
    let me = connection_data(api.client())
        .await?
        .authenticated_user
        .and_then(|user| user.id)
        .unwrap_or_default();
    let options = conversation::Options {
        me,
        config,
        chat: &NoModel,
        auto_reply: true,
        review_follows,
        run_id: run_id(),
        settle: CLAIM_SETTLE,
    };
    conversation::respond(api, pr, &threads, &options).await
}

/// An id unique to this run, for its claims.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// The collection and the pull request to respond on: from the payload, the number, or the
/// PR build.
fn target(args: &RespondArgs, settings: &Settings) -> Result<(String, PullRequestRef), UserError> {
    let event_file = args.event.as_ref().or(settings
        .pipeline
        .event_file
        .as_ref()
        .filter(|_| args.pull_request.is_none()));
    if let Some(path) = event_file {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| UserError::new(format!("cannot read the payload {name}: {e}")))?;
        let event = event::parse(&text, &name)?;
        let collection = settings.pipeline.collection_uri.clone().ok_or_else(|| {
            UserError::new(
                "SYSTEM_COLLECTIONURI is not set: run `respond --event` in a pipeline of the organization the service hook belongs to",
            )
        })?;
        event::check_origin(
            &event,
            &collection,
            settings.pipeline.repository_id.as_deref(),
        )?;
        return Ok((
            collection,
            PullRequestRef {
                project: event.project,
                repository: event.repository_id,
                id: event.pull_request_id,
            },
        ));
    }
    if let Some(id) = args.pull_request {
        let need = |value: Option<String>, name: &str| {
            value.ok_or_else(|| {
                UserError::new(format!(
                    "{name} is not set: `respond --pull-request` needs SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT (or SYSTEM_TEAMPROJECTID) and BUILD_REPOSITORY_ID"
                ))
            })
        };
        let pipeline = &settings.pipeline;
        let collection = need(pipeline.collection_uri.clone(), "SYSTEM_COLLECTIONURI")?;
        let project = need(
            pipeline
                .team_project
                .clone()
                .or_else(|| pipeline.team_project_id.clone()),
            "SYSTEM_TEAMPROJECT",
        )?;
        let repository = need(pipeline.repository_id.clone(), "BUILD_REPOSITORY_ID")?;
        return Ok((
            collection,
            PullRequestRef {
                project,
                repository,
                id,
            },
        ));
    }
    if let Context::PullRequest(pr) = &settings.context {
        return Ok((
            pr.collection_uri.clone(),
            PullRequestRef {
                project: pr.project.clone(),
                repository: pr.repository_id.clone(),
                id: pr.pull_request_id,
            },
        ));
    }
    Err(UserError::new(
        "respond needs a pull request: give --pull-request N or --event FILE (the service hook's payload), or run it in a pull request build",
    ))
}
