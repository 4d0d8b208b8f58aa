//! Command-line types (clap) and nothing else: what the user can ask for, with its defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;

/// Reviews pull requests in Azure Pipelines, and changes on your machine.
#[derive(Debug, Parser)]
#[command(name = "coderabbit-agent", version, about, propagate_version = true)]
pub struct Cli {
    /// Log what the agent does to stderr (`-vv` for debug); `RUST_LOG` takes precedence.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Review the change between a base and a head revision (posts to the PR in a PR build;
    /// prints anywhere else, or with --dry-run).
    Review(ReviewArgs),
    /// After a failed PR build: find the errors in its logs and post remediation (Pro plan).
    Remediate(RemediateArgs),
    /// Act on what people wrote on the pull request since the last run: `@coderabbitai`
    /// commands and replies in the agent's threads.
    Respond(RespondArgs),
    /// Check the token and the pipeline context, and say how to fix what is wrong.
    Doctor(RepoArgs),
    /// Print, as JSON, the changed-line map the review works on.
    Diff(RepoArgs),
    /// Print the effective configuration, or validate a configuration file.
    Config(ConfigArgs),
}

/// Where the repository is and which revisions to compare.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// Repository to review (default: $BUILD_SOURCESDIRECTORY, else the current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Base revision: the review covers merge-base(BASE, HEAD)..HEAD (default: the upstream
    /// branch, else origin/HEAD, else HEAD~1; in a PR build, the PR's target branch).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head revision (default: HEAD; in a PR build, the PR's source commit).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Configuration file (default: .coderabbit.yaml or .coderabbit.yml at the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// What `review` prints (one renderer per format, in `publish`).
pub use crate::publish::Format as OutputFormat;

pub use crate::filter::FilterMode;

/// The severity threshold of `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    #[default]
    None,
    Info,
    Trivial,
    Minor,
    Major,
    Critical,
}

impl FailOn {
    /// The lowest severity that fails the run, if any does.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::None => None,
            FailOn::Info => Some(Severity::Info),
            FailOn::Trivial => Some(Severity::Trivial),
            FailOn::Minor => Some(Severity::Minor),
            FailOn::Major => Some(Severity::Major),
            FailOn::Critical => Some(Severity::Critical),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Output format of the printed review.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print the review instead of posting it, even in a PR build.
    #[arg(long)]
    pub dry_run: bool,
    /// Exit with status 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value_t = FailOn::None)]
    pub fail_on: FailOn,
    /// Findings of other tools to include (SARIF 2.1.0, reviewdog rdjson/rdjsonl, checkstyle).
    #[arg(long, value_name = "FILE")]
    pub findings: Vec<PathBuf>,
    /// Which findings are kept, relative to the diff.
    #[arg(long, value_enum, default_value_t = FilterMode::Added)]
    pub filter_mode: FilterMode,
    /// Most new inline threads posted per run; the rest are listed in the summary.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_comments: usize,
}

#[derive(Debug, Clone, Args)]
pub struct RemediateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Print what would be posted (in --format) and write nothing to the pull request.
    #[arg(long)]
    pub dry_run: bool,
    /// What --dry-run prints.
    #[arg(long, value_enum, default_value_t = RemediationFormat::Text)]
    pub format: RemediationFormat,
}

/// What `remediate --dry-run` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RemediationFormat {
    /// The errors that would be posted inline, then the remediation summary.
    #[default]
    Text,
    /// The located errors, the inline remediation and the summary, for programs.
    Json,
    /// The remediation summary comment.
    Markdown,
}

#[derive(Debug, Clone, Args)]
pub struct RespondArgs {
    /// The pull request (in the repository `BUILD_REPOSITORY_ID` of project
    /// `SYSTEM_TEAMPROJECT`); default in a PR build: the build's own.
    #[arg(long, value_name = "N", conflicts_with = "event")]
    pub pull_request: Option<u32>,
    /// The "Pull request commented on" service hook's JSON payload.
    #[arg(long, value_name = "FILE")]
    pub event: Option<PathBuf>,
    /// Repository to read the configuration from (default: $BUILD_SOURCESDIRECTORY, else the
    /// current directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Configuration file (default: .coderabbit.yaml or .coderabbit.yml in the repository).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Print the effective configuration as YAML (the default action).
    #[arg(long, conflicts_with = "validate")]
    pub print: bool,
    /// Validate a configuration file: every problem with its line and column; exit 2 on errors.
    #[arg(long, value_name = "FILE")]
    pub validate: Option<PathBuf>,
}
