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
        Command::Remediate(args) => crate::remediate::run(&args, &mut log_writer(args.format)),
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
    let (base, head) = (args.base.as_deref(), args.head.as_deref());
    if !repo.is_shallow() {
        return git::resolve_local(&repo, base, head).map(|r| (repo, r));
    }
    // A shallow clone can hide the merge-base or the parent: complete it first.
    git::ensure_commits(&repo, &Wanted::default(), &fetch_auth())?;
    let repo = reopen(&repo)?;
    let revisions = git::resolve_local(&repo, base, head)?;
    Ok((repo, revisions))
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

/// Reads `--findings` files (globs allowed) and says where their lines point.
fn read_imports(repo: &Repository, context: &Context, patterns: &[PathBuf]) -> Result<Imports> {
    let mut imports = Imports::default();
    if patterns.is_empty() {
        return Ok(imports);
    }
    for pattern in patterns {
        let files = expand(pattern)?;
        for file in files {
            imports
                .reported
                .extend(crate::sources::import::read(&file)?);
        }
    }
    if let Some(workdir) = repo.workdir() {
        imports.roots.push(workdir.to_path_buf());
        if let Ok(canonical) = workdir.canonicalize() {
            imports.roots.push(canonical);
        }
    }
    if let Some(dir) = std::env::var_os("BUILD_SOURCESDIRECTORY") {
        imports.roots.push(PathBuf::from(dir));
    }
    if let Context::PullRequest(pr) = context {
        // The tools ran on the checked-out merge commit.
        imports.checked_out = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
            .or_else(|| git2::Oid::from_str(&pr.source_version).ok());
    }
    Ok(imports)
}

/// A `--findings` argument: a file, or a glob of files (none matching is an error).
fn expand(pattern: &Path) -> Result<Vec<PathBuf>, UserError> {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        if !pattern.is_file() {
            return Err(UserError::new(format!(
                "the findings file {} does not exist",
                pattern.display()
            )));
        }
        return Ok(vec![pattern.to_path_buf()]);
    }
    let glob = globset::Glob::new(&text)
        .map_err(|e| UserError::new(format!("--findings {text} is not a valid glob: {e}")))?
        .compile_matcher();
    // Walk from the pattern's literal prefix.
    let literal: PathBuf = pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    let start = if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    };
    let mut found = Vec::new();
    let mut stack = vec![start];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix("./").unwrap_or(&path).to_path_buf();
            if path.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(path);
                }
            } else if glob.is_match(&relative) {
                found.push(relative);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(UserError::new(format!("--findings {text} matches no file")));
    }
    Ok(found)
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
/// Other tools' findings to merge into the review, and where their lines point.
#[derive(Debug, Default)]
pub struct Imports {
    pub reported: Vec<crate::sources::import::Reported>,
    /// The commit whose tree the tools ran on, when it is not the head (a PR build's merge
    /// commit): lines are translated from it to the head.
    pub checked_out: Option<git2::Oid>,
    /// Directories a tool's absolute paths may start with (the checkout).
    pub roots: Vec<PathBuf>,
}

pub fn build_review(
    repo: &Repository,
    revisions: &Revisions,
    loaded: &Loaded,
    filter_mode: FilterMode,
    imports: &Imports,
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
    let mut findings: Vec<Finding> = per_file.into_iter().flatten().collect();
    let (mut imported, unplaced) = place_imports(repo, revisions.head, imports, config);
    findings.append(&mut imported);
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
        unplaced,
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

/// Places imported findings on head lines: repository paths, lines translated from the
/// checked-out commit, fingerprints from the head text. Findings that cannot be placed on a
/// head line are returned apart; findings outside the repository are dropped (logged).
fn place_imports(
    repo: &Repository,
    head: git2::Oid,
    imports: &Imports,
    config: &crate::config::Config,
) -> (Vec<Finding>, Vec<Finding>) {
    use std::collections::HashMap;
    let roots: Vec<&Path> = imports.roots.iter().map(PathBuf::as_path).collect();
    let mut maps: HashMap<String, Option<git::LineMap>> = HashMap::new();
    let mut placed: Vec<Finding> = Vec::new();
    let mut unplaced = Vec::new();
    let mut outside = 0usize;
    for reported in &imports.reported {
        let Some(path) = crate::sources::import::repository_path(&reported.path, &roots) else {
            outside += 1;
            continue;
        };
        if !config.includes_path(&path) {
            continue;
        }
        let (line, end_line) = (reported.line, reported.end_line);
        let translated = match imports.checked_out {
            Some(from) if from != head && line > 0 => {
                let map = maps
                    .entry(path.clone())
                    .or_insert_with(|| git::LineMap::between(repo, from, head, &path).ok());
                map.as_ref()
                    .and_then(|m| Some((m.translate(line)?, m.translate(end_line)?)))
            }
            _ => Some((line, end_line)),
        };
        let finding = reported.clone();
        match translated {
            Some((line, end_line)) => {
                placed.push(finding.into_finding(path, line, end_line.max(line)))
            }
            None => unplaced.push(finding.into_finding(path, line, end_line)),
        }
    }
    if outside > 0 {
        tracing::info!(
            "{outside} imported finding(s) point outside the repository and were left out"
        );
    }
    // Fingerprints from the head text, as for the built-in findings.
    let tree = repo.find_commit(head).and_then(|c| c.tree()).ok();
    let mut texts: HashMap<String, Vec<String>> = HashMap::new();
    for finding in placed.iter().chain(unplaced.iter()) {
        if texts.contains_key(&finding.path) {
            continue;
        }
        let lines = tree
            .as_ref()
            .and_then(|t| t.get_path(Path::new(&finding.path)).ok())
            .and_then(|entry| repo.find_blob(entry.id()).ok())
            .map(|blob| {
                String::from_utf8_lossy(blob.content())
                    .lines()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        texts.insert(finding.path.clone(), lines);
    }
    let text_of = |path: &str, line: u32| {
        texts
            .get(path)
            .and_then(|lines| lines.get((line as usize).saturating_sub(1)))
            .cloned()
            .unwrap_or_default()
    };
    assign_fingerprints(&mut placed, text_of);
    assign_fingerprints(&mut unplaced, |_, _| String::new());
    (placed, unplaced)
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
    let repo = open_repository(&repo_dir(&args.repo))?;
    let (repo, revisions) = resolve_revisions(repo, &context, &args.repo)?;
    tracing::info!(base = ?revisions.base, head = %revisions.head, reason = %revisions.base_reason, "revisions");
    let loaded = load_config(&repo, args.repo.config.as_deref(), revisions.head);
    report_config_problems(&loaded);
    let imports = read_imports(&repo, &context, &args.findings)?;
    let outcome = build_review(&repo, &revisions, &loaded, args.filter_mode, &imports)?;
    if !outcome.review.unplaced.is_empty() {
        tracing::warn!(
            "{} imported finding(s) are on lines the PR's source commit does not have; they are listed in the summary",
            outcome.review.unplaced.len()
        );
    }
    if let (Context::PullRequest(pr), false) = (&context, args.dry_run) {
        let options = crate::pull_request::Options {
            max_comments: args.max_comments,
            fail_on: args.fail_on.threshold(),
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
