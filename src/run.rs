//! Runs a command end to end: context → revisions → config → diff → sources → filter →
//! review → publish. Each stage lives in its own module; this one only wires them together and
//! decides the exit status.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use git2::Repository;

use crate::cli::{Cli, Command, ConfigArgs, FilterMode, RepoArgs, ReviewArgs};
use crate::config::{self, Loaded};
use crate::context::{Context, PullRequestBuild};
use crate::error::{UserError, exit};
use crate::filter::{self, DiffIndex};
use crate::finding::{Finding, assign_fingerprints};
use crate::git::{self, ChangeSet, FetchAuth, FileStatus, Revisions, Wanted};
use crate::publish;
use crate::review::{Presentation, Review, ReviewedFile, Skipped};
use crate::sources::rules::{self, FileUnderReview, RuleOptions};

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Review(args) => review_command(&args),
        Command::Diff(args) => diff_command(&args),
        Command::Config(args) => config_command(&args),
        Command::Remediate(_) => Err(UserError::new(
            "`remediate` is not available in this version of coderabbit-agent: update the task to a version that provides build failure remediation",
        )
        .into()),
        Command::Doctor(_) => crate::doctor::run(&mut std::io::stdout()),
    }
}

/// The repository directory: `--repo`, else `$BUILD_SOURCESDIRECTORY`, else `.`.
pub(crate) fn repo_dir(args: &RepoArgs) -> PathBuf {
    args.repo
        .clone()
        .or_else(|| std::env::var_os("BUILD_SOURCESDIRECTORY").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Opens the repository at or above `dir`.
pub fn open_repository(dir: &Path) -> Result<Repository, UserError> {
    if !dir.exists() {
        return Err(UserError::new(format!(
            "`{}` does not exist: pass --repo with the path of a git checkout",
            dir.display()
        )));
    }
    Repository::discover(dir).map_err(|err| {
        if err.code() == git2::ErrorCode::NotFound {
            UserError::new(format!(
                "`{}` is not in a git repository: run the agent inside a checkout, or pass --repo PATH",
                dir.display()
            ))
        } else {
            UserError::new(format!("cannot open the git repository at `{}`: {}", dir.display(), err.message()))
        }
    })
}

/// The credential for fetching from origin, from the environment.
fn fetch_auth() -> FetchAuth {
    let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(pat) = non_empty("CODERABBIT_PAT") {
        FetchAuth::Pat(pat)
    } else if let Some(token) = non_empty("SYSTEM_ACCESSTOKEN") {
        FetchAuth::Bearer(token)
    } else {
        FetchAuth::None
    }
}

/// Resolves base and head for this context, fetching missing history when the clone is
/// shallow. Returns the (possibly reopened) repository with the revisions.
pub(crate) fn resolve_revisions(
    repo: Repository,
    context: &Context,
    args: &RepoArgs,
) -> Result<(Repository, Revisions), UserError> {
    let explicit = args.base.is_some() || args.head.is_some();
    if let (Context::PullRequest(pr), false) = (context, explicit) {
        return resolve_pull_request(repo, pr);
    }
    match git::resolve_local(&repo, args.base.as_deref(), args.head.as_deref()) {
        Ok(revisions) if !repo.is_shallow() => Ok((repo, revisions)),
        first => {
            if !repo.is_shallow() {
                return first.map(|r| (repo, r));
            }
            // A shallow clone can hide the merge-base or the parent: complete it, then retry.
            git::ensure_commits(&repo, &Wanted::default(), &fetch_auth())?;
            let repo = reopen(&repo)?;
            let revisions = git::resolve_local(&repo, args.base.as_deref(), args.head.as_deref())?;
            Ok((repo, revisions))
        }
    }
}

fn resolve_pull_request(
    repo: Repository,
    pr: &PullRequestBuild,
) -> Result<(Repository, Revisions), UserError> {
    let source = git2::Oid::from_str(&pr.source_commit).map_err(|_| {
        UserError::new("SYSTEM_PULLREQUEST_SOURCECOMMITID is not a commit id: run the agent in an Azure Repos pull request validation build")
    })?;
    let merge = git2::Oid::from_str(&pr.source_version).ok();
    let commits = git::PullRequestCommits {
        source,
        merge,
        target_branch: pr.target_branch.clone(),
    };
    if !repo.is_shallow()
        && let Ok(revisions) = git::resolve_pull_request(&repo, &commits)
    {
        return Ok((repo, revisions));
    }
    let branch = pr.target_branch.trim_start_matches("refs/heads/");
    let wanted = Wanted {
        refspecs: vec![
            format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"),
            format!(
                "+refs/pull/{id}/merge:refs/remotes/pull/{id}/merge",
                id = pr.pull_request_id
            ),
        ],
    };
    git::ensure_commits(&repo, &wanted, &fetch_auth())?;
    let repo = reopen(&repo)?;
    let revisions = git::resolve_pull_request(&repo, &commits)?;
    Ok((repo, revisions))
}

fn reopen(repo: &Repository) -> Result<Repository, UserError> {
    Repository::open(repo.path()).map_err(|e| {
        UserError::new(format!(
            "cannot reopen the repository after fetching: {}",
            e.message()
        ))
    })
}

/// Loads `.coderabbit.yaml`: `--config`, else the checkout's root, else the head commit's tree.
fn load_config(repo: &Repository, explicit: Option<&Path>, head: git2::Oid) -> Loaded {
    if let Some(path) = explicit {
        return config::load_file(path);
    }
    if let Some(workdir) = repo.workdir()
        && let Some(path) = config::find_in(workdir)
    {
        return config::load_file(&path);
    }
    let from_tree = repo
        .find_commit(head)
        .ok()
        .and_then(|commit| commit.tree().ok())
        .and_then(|tree| {
            [".coderabbit.yaml", ".coderabbit.yml"]
                .into_iter()
                .find_map(|name| {
                    let entry = tree.get_name(name)?;
                    let blob = repo.find_blob(entry.id()).ok()?;
                    Some(config::load_str(
                        &String::from_utf8_lossy(blob.content()),
                        Path::new(name),
                    ))
                })
        });
    from_tree.unwrap_or_default()
}

/// Everything a review run produced.
pub struct Outcome {
    pub review: Review,
    pub changes: ChangeSet,
}

/// Builds the review of `revisions` in `repo` with `loaded` configuration.
pub fn build_review(
    repo: &Repository,
    revisions: &Revisions,
    loaded: &Loaded,
    filter_mode: FilterMode,
) -> Result<Outcome> {
    let config = &loaded.config;
    let options = RuleOptions {
        secrets: config.tool_enabled("gitleaks"),
        ..RuleOptions::default()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (changes, per_file) = git::visit_files(
        repo,
        revisions.base,
        revisions.head,
        threads,
        |file, content| {
            if file.status == FileStatus::Deleted
                || file.not_reviewable.is_some()
                || !config.includes_path(&file.path)
            {
                return Vec::new();
            }
            let text = String::from_utf8_lossy(content);
            let mut found = rules::check(
                &FileUnderReview {
                    diff: file,
                    text: &text,
                },
                &options,
            );
            if !found.is_empty() {
                let lines: Vec<&str> = text.lines().collect();
                assign_fingerprints(&mut found, |_, line| {
                    let index = (line as usize).saturating_sub(1);
                    lines.get(index).map(|l| l.to_string()).unwrap_or_default()
                });
            }
            found
        },
    )
    .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;

    let mut files = Vec::with_capacity(changes.files.len());
    let mut skipped = Vec::new();
    for file in &changes.files {
        files.push(ReviewedFile {
            path: file.path.clone(),
            old_path: file.old_path.clone(),
            status: file.status,
            binary: file.binary,
            additions: file.additions,
            deletions: file.deletions,
        });
        if file.status == FileStatus::Deleted {
            continue;
        }
        if !config.includes_path(&file.path) {
            skipped.push(Skipped {
                path: file.path.clone(),
                reason: "excluded by reviews.path_filters".to_owned(),
            });
        } else if let Some(reason) = &file.not_reviewable {
            skipped.push(Skipped {
                path: file.path.clone(),
                reason: reason.clone(),
            });
        }
    }
    let findings: Vec<Finding> = per_file.into_iter().flatten().collect();
    let index = DiffIndex::new(&changes.files);
    let mut findings = filter::apply(findings, &index, filter_mode, config.min_severity());
    findings.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.rule.as_str()).cmp(&(b.path.as_str(), b.line, b.rule.as_str()))
    });
    let review = Review {
        base: changes.base.clone(),
        head: changes.head.clone(),
        files,
        findings,
        skipped,
        config_problems: loaded.problems.iter().map(ToString::to_string).collect(),
        min_severity: config.min_severity(),
        presentation: Presentation {
            high_level_summary: config.reviews.high_level_summary,
            review_status: config.reviews.review_status,
            collapse_walkthrough: config.reviews.collapse_walkthrough,
            tone_instructions: config.tone_instructions.clone(),
            language: config.language.clone(),
        },
    };
    Ok(Outcome { review, changes })
}

fn report_config_problems(loaded: &Loaded) {
    for problem in &loaded.problems {
        eprintln!("{problem}");
    }
}

fn review_command(args: &ReviewArgs) -> Result<i32> {
    let context = Context::from_env();
    if let Context::OtherBuild { reason } = &context
        && !args.dry_run
        && args.repo.base.is_none()
    {
        tracing::info!(reason = %reason, "Build.Reason");
        println!("not a pull request build; nothing to review");
        return Ok(exit::OK);
    }
    if !args.findings.is_empty() {
        return Err(UserError::new(
            "--findings is not available in this version of coderabbit-agent: run the review without it",
        )
        .into());
    }
    let repo = open_repository(&repo_dir(&args.repo))?;
    let (repo, revisions) = resolve_revisions(repo, &context, &args.repo)?;
    tracing::info!(base = ?revisions.base, head = %revisions.head, reason = %revisions.base_reason, "revisions");
    let loaded = load_config(&repo, args.repo.config.as_deref(), revisions.head);
    report_config_problems(&loaded);
    let outcome = build_review(&repo, &revisions, &loaded, args.filter_mode)?;
    if let (Context::PullRequest(pr), false) = (&context, args.dry_run) {
        let options = crate::pull_request::Options {
            max_comments: args.max_comments,
            fail_on: args.fail_on.threshold(),
            format: args.format,
        };
        let mut log = log_writer(args.format);
        return crate::pull_request::run(
            &repo,
            pr,
            &outcome.review,
            &loaded.config,
            &options,
            &mut log,
        );
    }
    write_output(|out| {
        publish::render_with(
            args.format,
            &outcome.review,
            publish::RenderOptions::for_stdout(),
            out,
        )
    })?;
    let failed = args.fail_on.threshold().is_some_and(|threshold| {
        outcome
            .review
            .findings
            .iter()
            .any(|f| f.severity >= threshold)
    });
    Ok(if failed { exit::FINDINGS } else { exit::OK })
}

fn diff_command(args: &RepoArgs) -> Result<i32> {
    let context = Context::from_env();
    let repo = open_repository(&repo_dir(args))?;
    let (repo, revisions) = resolve_revisions(repo, &context, args)?;
    let changes = git::diff_revisions(&repo, revisions.base, revisions.head)
        .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;
    write_output(|out| {
        serde_json::to_writer_pretty(&mut *out, &changes)?;
        writeln!(out)
    })?;
    Ok(exit::OK)
}

fn config_command(args: &ConfigArgs) -> Result<i32> {
    if let Some(path) = &args.validate {
        let loaded = config::load_file(path);
        report_config_problems(&loaded);
        let errors = loaded
            .problems
            .iter()
            .filter(|p| p.severity == config::ProblemSeverity::Error)
            .count();
        if errors > 0 {
            return Err(UserError::new(format!(
                "{} has {errors} error(s); the review would run on defaults for what they affect",
                path.display()
            ))
            .into());
        }
        println!("{}: valid", path.display());
        return Ok(exit::OK);
    }
    let dir = repo_dir(&args.repo);
    let loaded = match &args.repo.config {
        Some(path) => config::load_file(path),
        None => config::discover(&dir),
    };
    report_config_problems(&loaded);
    write_output(|out| out.write_all(loaded.config.to_yaml().as_bytes()))?;
    Ok(exit::OK)
}

/// Where logging commands go: stdout, unless stdout carries JSON or SARIF.
pub fn log_writer(format: publish::Format) -> Box<dyn Write> {
    match format {
        publish::Format::Json | publish::Format::Sarif => Box::new(std::io::stderr()),
        _ => Box::new(std::io::stdout()),
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
