//! One module per subcommand, each wiring the stages it needs: settings → context → revisions →
//! config → diff → sources → filter → review → publish. The stages live in their own modules;
//! these only connect them and decide the exit status.

mod config;
mod diff;
mod doctor;
mod remediate;
mod respond;
mod review;

use std::io::Write;

use anyhow::{Context as _, Result};

use git2::Repository;

use crate::azure_devops::{Client, Credential, PullRequestRef, segment};
use crate::cli::{Cli, Command, RepoArgs};
use crate::context::PullRequestBuild;
use crate::error::UserError;
use crate::git::{self, Revisions};
use crate::settings::Settings;

/// Runs the parsed command line with the settings read from the environment; returns the exit
/// status.
pub fn run(cli: Cli, settings: &Settings) -> Result<i32> {
    match cli.command {
        Command::Review(args) => review::run(&args, settings),
        Command::Remediate(args) => remediate::run(&args, settings),
        Command::Respond(args) => respond::run(&args, settings),
        Command::Doctor(args) => doctor::run(&args, settings, &mut std::io::stdout()),
        Command::Diff(args) => diff::run(&args, settings),
        Command::Config(args) => config::run(&args, settings),
    }
}

/// Opens the repository the arguments name and resolves the revisions to compare, completing
/// a shallow clone from `origin` when it must.
fn checkout(args: &RepoArgs, settings: &Settings) -> Result<(Repository, Revisions), UserError> {
    let dir = git::repo_dir(
        args.repo.as_deref(),
        settings.pipeline.sources_directory.as_deref(),
    );
    let repo = git::open_repository(&dir)?;
    let asked = git::Asked {
        base: args.base.as_deref(),
        head: args.head.as_deref(),
    };
    let (repo, revisions) = git::resolve(repo, &settings.context, asked, &settings.fetch_auth())?;
    tracing::info!(base = ?revisions.base, head = %revisions.head, reason = %revisions.base_reason, "revisions");
    Ok((repo, revisions))
}

/// The REST client for a PR build's collection, the pull request's place, and a runtime to
/// drive the calls.
struct Connection {
    client: Client,
    pull_request: PullRequestRef,
    runtime: tokio::runtime::Runtime,
}

fn connect(
    pr: &PullRequestBuild,
    credential: &Credential,
    settings: &Settings,
) -> Result<Connection> {
    let client = Client::new(&pr.collection_uri, credential, settings.network.clone())?;
    let pull_request = PullRequestRef {
        project: pr.project.clone(),
        repository: pr.repository_id.clone(),
        id: pr.pull_request_id,
    };
    Ok(Connection {
        client,
        pull_request,
        runtime: runtime()?,
    })
}

/// A runtime for the network calls of one command.
fn runtime() -> Result<tokio::runtime::Runtime, UserError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UserError::new(format!("cannot start the network runtime: {e}")))
}

/// The build's results page, the target of the agent's statuses and links.
fn build_results_url(pr: &PullRequestBuild, settings: &Settings) -> Option<String> {
    let build = pr.build_id.as_deref()?;
    let base = pr.collection_uri.trim_end_matches('/');
    let project = settings
        .pipeline
        .team_project
        .clone()
        .unwrap_or_else(|| pr.project.clone());
    Some(format!(
        "{base}/{}/_build/results?buildId={build}",
        segment(&project)
    ))
}

/// The collection's host and path (`dev.azure.com/contoso`): the only place model text may link.
fn organisation_host(collection_uri: &str) -> String {
    collection_uri
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

/// Where logging commands go: stdout, unless stdout carries machine-readable output.
pub fn log_writer(stdout_is_data: bool) -> Box<dyn Write> {
    if stdout_is_data {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_output(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = std::io::BufWriter::new(stdout.lock());
    let result = f(&mut lock).and_then(|()| lock.flush());
    match result {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(err).context("while writing the output"),
    }
}
