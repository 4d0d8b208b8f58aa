//! `coderabbit-agent review`: build the review from the sources, then print it — or, in a pull
//! request build, decide whether to review at all, set the `coderabbit/review` status, publish
//! the threads and the summary, and report in the pipeline log.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use git2::Repository;

use crate::auto_review::{self, Decision};
use crate::azure_devops::models::GitPullRequest;
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::cli::ReviewArgs;
use crate::config::{self, Config, Loaded};
use crate::context::{Context, PullRequestBuild};
use crate::credentials::AuthSource;
use crate::error::{UserError, exit};
use crate::finding::{Finding, Severity};
use crate::git;
use crate::git::Revisions;
use crate::pipeline_log::{self, StepResult};
use crate::publish::azure::{self, LineLengths};
use crate::publish::{self, Format, RenderOptions};
use crate::review::{self, AiSummary, Review};
use crate::settings::Settings;
use crate::sources::llm::{
    LlmContext, LlmReview, LlmSource, ModelClient, WalkthroughOptions, render_summary_block,
    render_walkthrough,
};
use crate::sources::{BuiltinRules, ImportedFindings, Source};

pub(super) fn run(args: &ReviewArgs, settings: &Settings) -> Result<i32> {
    if let Context::OtherBuild { reason } = &settings.context
        && !args.dry_run
        && args.repo.base.is_none()
    {
        tracing::info!(reason = %reason, "Build.Reason");
        println!("not a pull request build; nothing to review");
        return Ok(exit::OK);
    }
    let (repo, revisions) = super::checkout(&args.repo, settings)?;
    let loaded = config::load_for_review(&repo, args.repo.config.as_deref(), revisions.head);
    super::config::report_problems(&loaded);
    if let (Context::PullRequest(pr), false) = (&settings.context, args.dry_run) {
        let mut log = super::log_writer(args.format.is_data());
        let checkout = Checkout {
            repo: &repo,
            revisions: &revisions,
            loaded: &loaded,
        };
        return review_pull_request(&checkout, pr, args, settings, &mut log);
    }
    let review = build_review(
        &repo,
        &revisions,
        &loaded,
        args,
        settings,
        AiInput::default(),
    )?;
    let options = RenderOptions::for_stdout(settings.no_color);
    super::write_output(|out| publish::render_with(args.format, &review, options, out))?;
    Ok(if fails(&review, args) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// The checkout a review is of.
struct Checkout<'a> {
    repo: &'a Repository,
    revisions: &'a Revisions,
    loaded: &'a Loaded,
}

/// What the AI reviewer learns from the pull request, in a PR build.
#[derive(Debug, Default)]
struct AiInput {
    title: String,
    description: String,
    /// The files whose content changed since the last reviewed commit (`None`: all).
    only_paths: Option<BTreeSet<String>>,
    /// The last reviewed commit, when this is an incremental review.
    since: Option<String>,
    /// What the model wrote for the summary last time, shown again when nothing changed.
    previous: Option<AiSummary>,
}

/// Builds the review from every source, the AI reviewer included when one is configured.
fn build_review(
    repo: &Repository,
    revisions: &Revisions,
    loaded: &Loaded,
    args: &ReviewArgs,
    settings: &Settings,
    ai_input: AiInput,
) -> Result<Review> {
    let since = ai_input.since.clone();
    let only_paths = ai_input.only_paths.clone();
    let previous = ai_input.previous.clone();
    // Nothing changed since the last review: the model is not asked again, and the summary
    // shows what it wrote then.
    let unchanged = only_paths.as_ref().is_some_and(BTreeSet::is_empty) && previous.is_some();
    let model = if unchanged {
        None
    } else {
        ai_reviewer(&loaded.config, settings, ai_input)?
    };
    let mut sources = sources(repo, &loaded.config, args, settings)?;
    if let Some(model) = &model {
        sources.push(Box::new(Arc::clone(model)));
    }
    let mut review = review::build(repo, revisions, loaded, args.filter_mode, &sources)?;
    if settings.llm.model_settings()?.is_none() {
        // No model now: nothing of an earlier one is shown.
    } else if unchanged {
        review.ai = previous;
        carry_ai_findings(&mut review, None);
    } else if let Some(model) = &model {
        let mut summary = model
            .take_review()
            .map(|ai| ai_summary(ai, &loaded.config, settings));
        if let Some(summary) = &mut summary {
            summary.since = since;
            // The model's findings on files it did not look at again stay as they were.
            if let (Some(paths), Some(previous)) = (&only_paths, &previous) {
                summary.findings = previous
                    .findings
                    .iter()
                    .filter(|f| !paths.contains(&f.path))
                    .cloned()
                    .collect();
            }
            summary.findings.extend(
                review
                    .findings
                    .iter()
                    .filter(|f| f.source == "llm")
                    .cloned(),
            );
        }
        review.ai = summary;
        carry_ai_findings(&mut review, only_paths.as_ref());
    }
    report_dropped(&review);
    if !review.unplaced.is_empty() {
        tracing::warn!(
            "{} finding(s) could not be placed on a line of the change (for an imported one: a line the PR's source commit does not have); they are listed in the summary",
            review.unplaced.len()
        );
    }
    Ok(review)
}

/// Puts the model's findings kept from earlier runs (on files it did not look at again, or all
/// of them when nothing changed) into the review, so that their threads and the summary stay.
fn carry_ai_findings(review: &mut Review, reviewed_now: Option<&BTreeSet<String>>) {
    let Some(ai) = &review.ai else {
        return;
    };
    let present: std::collections::HashSet<String> = review
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str().to_owned())
        .collect();
    let carried: Vec<Finding> = ai
        .findings
        .iter()
        .filter(|f| reviewed_now.is_none_or(|paths| !paths.contains(&f.path)))
        .filter(|f| !present.contains(f.fingerprint.as_str()))
        .cloned()
        .collect();
    if carried.is_empty() {
        return;
    }
    review.findings.extend(carried);
    Review::sort_findings(&mut review.findings);
}

/// The files whose content differs between the last reviewed commit and the head, when the
/// last reviewed commit is known and still in the repository (after a force push it may not be).
fn changed_since(repo: &Repository, last: &str, head: git2::Oid) -> Option<BTreeSet<String>> {
    let last = git2::Oid::from_str(last).ok()?;
    repo.find_commit(last).ok()?;
    let changes = git::diff_revisions(repo, Some(last), head).ok()?;
    Some(changes.files.into_iter().map(|f| f.path).collect())
}

/// The sources of this review, in order: the built-in rules, then other tools' reports.
fn sources(
    repo: &Repository,
    config: &Config,
    args: &ReviewArgs,
    settings: &Settings,
) -> Result<Vec<Box<dyn Source>>> {
    // The tools ran on the checked-out tree: in a PR build, the merge commit.
    let checked_out = match &settings.context {
        Context::PullRequest(pr) => {
            git::checked_out_commit(repo).or_else(|| git2::Oid::from_str(&pr.source_version).ok())
        }
        _ => None,
    };
    let imported = ImportedFindings::read(&args.findings)?.ran_in(
        repo,
        settings.pipeline.sources_directory.as_deref(),
        checked_out,
    );
    Ok(vec![
        Box::new(BuiltinRules::new(config)),
        Box::new(imported),
    ])
}

/// The language model as a source, when the pipeline configures one (never the repository).
fn ai_reviewer(
    config: &Config,
    settings: &Settings,
    input: AiInput,
) -> Result<Option<Arc<LlmSource>>> {
    let Some(model_settings) = settings.llm.model_settings()? else {
        return Ok(None);
    };
    let budget = model_settings.token_budget;
    let client = ModelClient::new(model_settings, &settings.network)
        .map_err(|e| UserError::new(format!("cannot set up the AI reviewer: {e}")))?;
    tracing::info!(budget, "AI reviewer configured");
    let context = LlmContext {
        pr_title: input.title,
        pr_description: input.description,
        masked_values: settings.credentials.secrets().to_vec(),
        allowed_host: allowed_host(settings),
        only_paths: input.only_paths,
        walkthrough: Some(walkthrough_options(config, settings)),
    };
    Ok(Some(Arc::new(LlmSource::new(client, context))))
}

/// The only host model text may link to: the pull request's organisation.
fn allowed_host(settings: &Settings) -> String {
    let collection = match &settings.context {
        Context::PullRequest(pr) => Some(pr.collection_uri.clone()),
        _ => settings.pipeline.collection_uri.clone(),
    };
    collection
        .map(|uri| super::organisation_host(&uri))
        .unwrap_or_default()
}

fn walkthrough_options(config: &Config, settings: &Settings) -> WalkthroughOptions {
    WalkthroughOptions {
        poem: config.reviews.poem,
        sequence_diagrams: config.reviews.sequence_diagrams,
        collapse_walkthrough: config.reviews.collapse_walkthrough,
        allowed_host: allowed_host(settings),
    }
}

/// What the summary shows of the model's review beyond its findings.
fn ai_summary(ai: LlmReview, config: &Config, settings: &Settings) -> AiSummary {
    let options = walkthrough_options(config, settings);
    let budget = settings
        .llm
        .model_settings()
        .ok()
        .flatten()
        .map_or(0, |m| m.token_budget);
    for problem in &ai.problems {
        eprintln!("warning: AI reviewer: {problem}");
    }
    AiSummary {
        walkthrough: ai
            .walkthrough
            .as_ref()
            .map(|w| render_walkthrough(w, &options)),
        summary_block: ai
            .walkthrough
            .as_ref()
            .map(|w| render_summary_block(w, &options.allowed_host)),
        nitpicks: ai.nitpicks,
        files_reviewed: ai.files_reviewed.len(),
        reviewed_paths: ai.files_reviewed.iter().cloned().collect(),
        findings: Vec::new(),
        since: None,
        files_given: ai.files_reviewed.len() + ai.files_not_reviewed.len(),
        requests: ai.usage.requests,
        input_tokens: ai.usage.input_tokens,
        output_tokens: ai.usage.output_tokens,
        token_budget: budget,
        problems: ai.problems,
    }
}

/// Says, at normal verbosity, how many of other tools' findings were left out and why: a user
/// who imports a report expects to see its results.
fn report_dropped(review: &Review) {
    for dropped in review.dropped.iter().filter(|d| d.source != "builtin") {
        eprintln!(
            "note: {} finding(s) of {} {}",
            dropped.count,
            dropped.source,
            dropped.reason.describe()
        );
    }
}

fn fails(review: &Review, args: &ReviewArgs) -> bool {
    args.fail_on
        .threshold()
        .is_some_and(|threshold| review.findings.iter().any(|f| f.severity >= threshold))
}

fn status_description(review: &Review) -> String {
    if review.findings.is_empty() {
        return "no findings".to_owned();
    }
    let counts: Vec<String> = review
        .counts_by_severity()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect();
    let total = review.findings.len();
    format!(
        "{total} finding{} ({})",
        if total == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

/// Reviews the pull request of this build: decides from the PR and its conversation whether to
/// review at all (before any model is asked), builds the review — incrementally for the model,
/// since the last reviewed commit — publishes it, and reports in the pipeline log; returns the
/// exit status.
fn review_pull_request(
    checkout: &Checkout<'_>,
    pr: &PullRequestBuild,
    args: &ReviewArgs,
    settings: &Settings,
    log: &mut dyn Write,
) -> Result<i32> {
    let Checkout {
        repo,
        revisions,
        loaded,
    } = *checkout;
    let config = &loaded.config;
    let auth = match &settings.credentials.auth {
        Ok(auth) => auth,
        Err(missing) => {
            if settings.pipeline.is_fork {
                writeln!(
                    log,
                    "##[warning]this pull request comes from a fork, where secret variables are not available: the review is printed in the log, nothing is posted"
                )?;
                let review =
                    build_review(repo, revisions, loaded, args, settings, AiInput::default())?;
                print_review(log, &review)?;
                return Ok(exit::OK);
            }
            return Err(UserError::new(missing.sentence()).into());
        }
    };
    if auth.source == AuthSource::JobToken {
        writeln!(
            log,
            "##[warning]no CodeRabbit PAT was given: using System.AccessToken, so comments will come from the project's build service identity instead of the CodeRabbit user"
        )?;
    }
    let connection = super::connect(pr, &auth.credential, settings)?;
    let api = PullRequestApi::new(&connection.client, connection.pull_request.clone());
    let target_url = super::build_results_url(pr, settings);
    let mut post = Post {
        api: &api,
        config,
        args,
        target_url: target_url.as_deref(),
        prepared: None,
    };
    if let Err(reason) = connection.runtime.block_on(post.prepare())? {
        writeln!(log, "skipped: {reason}; nothing posted")?;
        return Ok(exit::OK);
    }
    let ai_input = post.ai_input(repo, revisions.head);
    let review = build_review(repo, revisions, loaded, args, settings, ai_input)?;
    let head = git2::Oid::from_str(&review.head).unwrap_or_else(|_| git2::Oid::zero());
    let line_lengths = LineLengths::of(repo, head, &review.findings);
    // The model's findings from earlier runs are carried in the review (see `build_review`);
    // when the model could not answer at all, its threads are left as they are.
    let model_failed = review.ai.is_none() && settings.llm.model_settings()?.is_some();
    let model_reviewed = model_failed.then(BTreeSet::new);
    let report =
        connection
            .runtime
            .block_on(post.publish(&review, &line_lengths, model_reviewed))?;
    tracing::info!(
        requests = connection.client.requests_sent(),
        "Azure DevOps requests"
    );
    let review = &review;
    let failed = fails(review, args);
    pipeline_log::group(log, "CodeRabbit review")?;
    print_review(log, review)?;
    pipeline_log::end_group(log)?;
    let error_from = args
        .fail_on
        .threshold()
        .unwrap_or(Severity::Major)
        .max(Severity::Trivial);
    for finding in &review.findings {
        pipeline_log::log_finding(log, finding, error_from)?;
    }
    writeln!(
        log,
        "posted {} new comment(s), {} already on the pull request, {} marked fixed, {} in the summary only",
        report.created, report.already_there, report.marked_fixed, report.not_inline
    )?;
    attach_summary(log, review, settings)?;
    if failed {
        return Ok(exit::FINDINGS);
    }
    if !review.findings.is_empty() {
        pipeline_log::complete(
            log,
            StepResult::SucceededWithIssues,
            &status_description(review),
        )?;
    }
    Ok(exit::OK)
}

/// The pull request as this run found it: the PR, what people asked, and the decision.
struct Prepared {
    pull_request: GitPullRequest,
    asked: Option<crate::conversation::Outcome>,
}

/// What the review posts to the pull request, and where.
struct Post<'a> {
    api: &'a PullRequestApi<'a>,
    config: &'a Config,
    args: &'a ReviewArgs,
    target_url: Option<&'a str>,
    prepared: Option<Prepared>,
}

impl Post<'_> {
    /// Reads the PR and what people asked since the last run, decides whether to review and
    /// sets the pending status; `Err(reason)` inside when the pull request is skipped.
    async fn prepare(&mut self) -> Result<Result<(), String>, ApiError> {
        let commit_status = self.config.reviews.commit_status;
        let pull_request = self.api.pull_request().await?;
        // What people asked since the last run comes first: a pause stops this review.
        let asked = match super::respond::converse(self.api, &pull_request, self.config, true).await
        {
            Ok(outcome) => Some(outcome),
            Err(err) => {
                tracing::warn!("the conversation on the pull request could not be read: {err}");
                None
            }
        };
        let held = asked.as_ref().and_then(|asked| {
            if asked.ignored {
                Some("the pull request description says `@coderabbitai ignore`".to_owned())
            } else if asked.paused {
                Some(
                    "reviews are paused on this pull request (`@coderabbitai resume` resumes them)"
                        .to_owned(),
                )
            } else {
                None
            }
        });
        let decision = match held {
            Some(reason) => Decision::Skip(reason),
            // Asked for by a person: reviewed even where automatic reviews are off.
            None if asked.as_ref().is_some_and(|a| a.review_requested) => Decision::Review,
            None => auto_review::decide(&pull_request, &self.config.reviews.auto_review, None),
        };
        if let Decision::Skip(reason) = decision {
            if commit_status {
                let status = azure::status(
                    "review",
                    "notApplicable",
                    &format!("skipped: {reason}"),
                    self.target_url,
                    None,
                );
                self.api.post_status(&status).await?;
            }
            return Ok(Err(reason));
        }
        if commit_status {
            self.api
                .post_status(&azure::status(
                    "review",
                    "pending",
                    "reviewing",
                    self.target_url,
                    None,
                ))
                .await?;
        }
        self.prepared = Some(Prepared {
            pull_request,
            asked,
        });
        Ok(Ok(()))
    }

    /// What the model learns from the PR: its title and description, and — unless a person
    /// asked for a full review — only the files changed since the last reviewed commit.
    fn ai_input(&self, repo: &Repository, head: git2::Oid) -> AiInput {
        let Some(prepared) = &self.prepared else {
            return AiInput::default();
        };
        let pull_request = &prepared.pull_request;
        let asked = prepared.asked.as_ref();
        let last = asked
            .filter(|a| !a.full_review)
            .and_then(|a| a.state.last_reviewed_commit.clone());
        let only_paths = last.as_deref().and_then(|l| changed_since(repo, l, head));
        AiInput {
            title: pull_request.title.clone(),
            description: pull_request.description.clone().unwrap_or_default(),
            since: only_paths.as_ref().and(last),
            only_paths,
            previous: asked.and_then(|a| a.state.ai_summary.clone()),
        }
    }

    /// With `reviews.high_level_summary` and a model's walkthrough: the "Summary by CodeRabbit"
    /// block in the PR description, edited in place; the author's text is never changed.
    async fn summarise_in_description(
        &self,
        pull_request: &GitPullRequest,
        review: &Review,
    ) -> Result<(), ApiError> {
        let Some(block) = review
            .ai
            .as_ref()
            .and_then(|ai| ai.summary_block.as_deref())
        else {
            return Ok(());
        };
        if !self.config.reviews.high_level_summary {
            return Ok(());
        }
        let current = pull_request.description.clone().unwrap_or_default();
        let wanted = crate::sources::llm::walkthrough::with_summary_block_at(
            &current,
            block,
            &self.config.reviews.high_level_summary_placeholder,
        );
        if wanted != current {
            self.api.update_description(&wanted).await?;
        }
        Ok(())
    }

    /// Publishes the review and sets the final statuses.
    async fn publish(
        &mut self,
        review: &Review,
        line_lengths: &LineLengths,
        model_reviewed: Option<BTreeSet<String>>,
    ) -> Result<azure::Report, ApiError> {
        let commit_status = self.config.reviews.commit_status;
        let Some(Prepared {
            pull_request,
            mut asked,
        }) = self.prepared.take()
        else {
            return Ok(azure::Report::default());
        };
        let project = self.api.pull_request_ref().project.clone();
        let linked = crate::conversation::work_items::read(self.api, &pull_request, &project).await;
        let publish_settings = azure::Settings {
            max_comments: self.args.max_comments,
            work_items: Some(crate::conversation::work_items::section(&linked)),
            listed: asked.as_mut().and_then(|a| a.threads.take()),
            model_reviewed,
            ..azure::Settings::default()
        };
        let report = azure::publish(self.api, review, &publish_settings, line_lengths).await?;
        self.summarise_in_description(&pull_request, review).await?;
        if report.remediation_resolved && commit_status {
            let status = azure::status(
                "remediation",
                "succeeded",
                "a later build succeeded",
                self.target_url,
                report.iteration,
            );
            self.api.post_status(&status).await?;
        }
        if commit_status {
            let state = if fails(review, self.args) && self.config.reviews.fail_commit_status {
                "failed"
            } else {
                "succeeded"
            };
            let status = azure::status(
                "review",
                state,
                &status_description(review),
                self.target_url,
                report.iteration,
            );
            self.api.post_status(&status).await?;
        }
        Ok(report)
    }
}

fn print_review(log: &mut dyn Write, review: &Review) -> std::io::Result<()> {
    let mut text = Vec::new();
    publish::render(Format::Text, review, &mut text)?;
    for line in String::from_utf8_lossy(&text).lines() {
        writeln!(log, "{}", pipeline_log::defuse(line))?;
    }
    Ok(())
}

/// Writes the Markdown summary under the agent's temp directory and attaches it to the build.
fn attach_summary(
    log: &mut dyn Write,
    review: &Review,
    settings: &Settings,
) -> std::io::Result<()> {
    let Some(dir) = &settings.pipeline.temp_directory else {
        return Ok(());
    };
    let path = dir.join("coderabbit-review-summary.md");
    match std::fs::write(&path, publish::markdown::comment(review)) {
        Ok(()) => pipeline_log::upload_summary(log, &path),
        Err(err) => {
            tracing::warn!(
                "cannot write the build summary to {}: {err}",
                path.display()
            );
            Ok(())
        }
    }
}
