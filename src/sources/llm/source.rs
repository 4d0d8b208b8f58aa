//! The AI reviewer as one [`Source`] of the review: it takes the change, the configuration and
//! the built-in findings (whose secret lines it redacts and whose subjects it does not repeat),
//! asks the model on a runtime of its own, and keeps the rest of its outcome (walkthrough,
//! nitpicks, usage) for the summary to pick up with [`LlmSource::take_review`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::anchor::{SOURCE, fingerprint, merge_with_builtin};
use super::client::ModelClient;
use super::prompt::Redaction;
use super::review::{LlmReview, ReviewInput, review};
use super::walkthrough::WalkthroughOptions;
use crate::finding::Finding;
use crate::review::{SkipReason, Skipped};
use crate::sources::{Change, Found, Source};

/// Runs [`review`] to completion from synchronous code, on a runtime of its own (on its own
/// thread, so that it works inside or outside another runtime).
pub fn review_blocking(model: &ModelClient, input: &ReviewInput) -> LlmReview {
    let ran = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|runtime| runtime.block_on(review(model, input)))
            })
            .join()
    });
    match ran {
        Ok(Ok(review)) => review,
        Ok(Err(error)) => {
            tracing::warn!("could not start the AI review: {error}");
            not_reviewed(input, "the AI review could not start")
        }
        Err(_) => not_reviewed(input, "the AI review stopped unexpectedly"),
    }
}

fn not_reviewed(input: &ReviewInput, why: &str) -> LlmReview {
    LlmReview {
        files_not_reviewed: input
            .files
            .iter()
            .map(|f| (f.path.clone(), why.to_owned()))
            .collect(),
        ..LlmReview::default()
    }
}

/// What the AI source needs beyond the change and the configuration.
#[derive(Debug, Clone, Default)]
pub struct LlmContext {
    pub pr_title: String,
    pub pr_description: String,
    /// Values masked as secrets in the pipeline (the agent's own credentials included).
    pub masked_values: Vec<String>,
    /// The PR's organisation (`dev.azure.com/contoso`): the only host model text may link to.
    pub allowed_host: String,
    /// For an incremental run, the paths whose content changed since the last review.
    pub only_paths: Option<BTreeSet<String>>,
    /// `Some` to ask for the walkthrough.
    pub walkthrough: Option<WalkthroughOptions>,
}

/// The language model as a source of findings.
pub struct LlmSource {
    model: ModelClient,
    context: LlmContext,
    outcome: Mutex<Option<LlmReview>>,
}

impl LlmSource {
    pub fn new(model: ModelClient, context: LlmContext) -> Self {
        LlmSource {
            model,
            context,
            outcome: Mutex::new(None),
        }
    }

    /// The whole outcome of the last review (walkthrough, nitpicks, not placed, files not
    /// reviewed, usage), once.
    pub fn take_review(&self) -> Option<LlmReview> {
        self.outcome.lock().ok().and_then(|mut o| o.take())
    }
}

/// The head lines the built-in secret rules flagged, per path.
pub fn secret_lines(builtin: &[Finding]) -> BTreeMap<String, BTreeSet<u32>> {
    let mut flagged: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    for finding in builtin.iter().filter(|f| f.rule.starts_with("secrets/")) {
        if finding.line > 0 {
            flagged
                .entry(finding.path.clone())
                .or_default()
                .extend(finding.line..=finding.end_line.max(finding.line));
        }
    }
    flagged
}

impl Source for LlmSource {
    fn name(&self) -> &'static str {
        SOURCE
    }

    fn review_change(&self, change: &Change<'_>, so_far: &[Finding]) -> anyhow::Result<Found> {
        let config = change.config;
        let input = ReviewInput {
            repo: change.repo.path().to_owned(),
            base: change.revisions.base,
            head: change.revisions.head,
            files: change.changes.files.clone(),
            only_paths: self.context.only_paths.clone(),
            excluded_paths: change
                .changes
                .files
                .iter()
                .filter(|f| !config.includes_path(&f.path))
                .map(|f| f.path.clone())
                .collect(),
            profile: config.reviews.profile,
            filter_mode: change.filter_mode,
            tone_instructions: config.tone_instructions.clone(),
            language: config.language.clone(),
            path_instructions: config.reviews.path_instructions.clone(),
            pr_title: self.context.pr_title.clone(),
            pr_description: self.context.pr_description.clone(),
            redaction: Redaction {
                flagged: secret_lines(so_far),
                values: self.context.masked_values.clone(),
            },
            walkthrough: self.context.walkthrough.clone(),
            allowed_host: self.context.allowed_host.clone(),
        };
        let outcome = review_blocking(&self.model, &input);
        let findings = merge_with_builtin(outcome.findings.clone(), so_far);
        let unplaced = outcome
            .not_placed
            .iter()
            .map(|n| {
                let rule = format!("{SOURCE}/{}", n.category.as_str());
                Finding {
                    path: n.path.clone(),
                    line: n.line,
                    end_line: n.line,
                    severity: n.severity,
                    category: n.category,
                    fingerprint: fingerprint(&rule, &n.path, &n.title),
                    rule,
                    source: SOURCE.to_owned(),
                    message: format!("**{}** ({})", n.title, n.reason),
                    suggestion: None,
                }
            })
            .collect();
        let skipped = outcome
            .files_not_reviewed
            .iter()
            .map(|(path, why)| Skipped {
                path: path.clone(),
                reason: SkipReason::NotSentToModel(why.clone()),
            })
            .collect();
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some(outcome);
        }
        Ok(Found {
            findings,
            unplaced,
            skipped,
            dropped: Vec::new(),
        })
    }
}
