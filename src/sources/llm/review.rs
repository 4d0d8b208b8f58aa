//! One AI review of a change: choose and read the files, ask the model in batches, place its
//! findings, ask for the walkthrough, and account for what was spent and what was left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use git2::{Oid, Repository};
use serde_json::{Value, json};

use super::anchor::{self, NotPlaced, Placement};
use super::client::{ModelClient, ModelError, Question, Usage};
use super::prompt::{self, FileUnderReview, Part, Redaction, Voice};
use super::walkthrough::{self, Cohort, Walkthrough, WalkthroughOptions};
use crate::config::{PathInstruction, Profile};
use crate::filter::FilterMode;
use crate::finding::Finding;
use crate::git::FileDiff;

/// Everything one review needs. Built by the caller from the run's settings, the diff and the
/// configuration; nothing here is read from the environment.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub repo: PathBuf,
    /// `None` for a root commit (the empty tree).
    pub base: Option<Oid>,
    /// The PR's source commit: every line number is a line of this revision.
    pub head: Oid,
    pub files: Vec<FileDiff>,
    /// For an incremental run: only these paths are sent (the others were reviewed before).
    pub only_paths: Option<BTreeSet<String>>,
    /// Paths `reviews.path_filters` excludes.
    pub excluded_paths: BTreeSet<String>,
    pub profile: Profile,
    pub filter_mode: FilterMode,
    pub tone_instructions: String,
    pub language: String,
    pub path_instructions: Vec<PathInstruction>,
    pub pr_title: String,
    pub pr_description: String,
    pub redaction: Redaction,
    /// `Some` to ask for the walkthrough too.
    pub walkthrough: Option<WalkthroughOptions>,
    /// The PR's organisation (`dev.azure.com/contoso`): the only host model text may link to.
    pub allowed_host: String,
}

/// What the AI review found and what it cost.
#[derive(Debug, Clone, Default)]
pub struct LlmReview {
    /// Findings for threads.
    pub findings: Vec<Finding>,
    /// Small things, for one collapsed section of the summary.
    pub nitpicks: Vec<Finding>,
    /// Findings about code the change does not touch or that could not be anchored.
    pub not_placed: Vec<NotPlaced>,
    pub walkthrough: Option<Walkthrough>,
    /// One sentence per reviewed file, from the model.
    pub file_summaries: BTreeMap<String, String>,
    /// Files not sent to the model, and why.
    pub files_not_reviewed: Vec<(String, String)>,
    /// Files the model reviewed.
    pub files_reviewed: Vec<String>,
    /// Answer items left out: invalid, unknown file, restating the code, leaking the prompt.
    pub dropped: usize,
    /// What went wrong with the model, each once, for the log and the review details (the
    /// key is never in them).
    pub problems: Vec<String>,
    pub usage: Usage,
}

/// Most characters of code in one request, and most files.
pub(super) const BATCH_CHARS: usize = 24_000;
pub(super) const BATCH_FILES: usize = 12;
/// Most output tokens a review answer may take.
const REVIEW_OUTPUT_TOKENS: u32 = 4096;
const WALKTHROUGH_OUTPUT_TOKENS: u32 = 2048;
/// Most findings kept per file (the weightiest), so that an oversized answer cannot flood the PR.
const FINDINGS_PER_FILE: usize = 10;

/// The schema of a review answer.
pub(super) fn review_schema() -> Value {
    let string = json!({"type": "string"});
    let nullable = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["findings", "files"],
        "properties": {
            "findings": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["path", "start_line", "end_line", "line_text", "severity", "category",
                             "nitpick", "title", "explanation", "replaces", "suggestion"],
                "properties": {
                    "path": string,
                    "start_line": {"type": "integer"},
                    "end_line": {"type": "integer"},
                    "line_text": string,
                    "severity": {"type": "string", "enum": ["critical", "major", "minor", "trivial", "info"]},
                    "category": {"type": "string", "enum": ["security", "stability", "data-integrity",
                                 "correctness", "performance", "maintainability"]},
                    "nitpick": {"type": "boolean"},
                    "title": string,
                    "explanation": string,
                    "replaces": nullable,
                    "suggestion": nullable
                }
            }},
            "files": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["path", "summary"],
                "properties": {"path": string, "summary": string}
            }}
        }
    })
}

/// The files of the change, read and ready, and those left out.
struct Prepared {
    files: Vec<FileUnderReview>,
    not_reviewed: Vec<(String, String)>,
}

fn prepare(input: &ReviewInput) -> Result<Prepared, git2::Error> {
    let repo = Repository::open(&input.repo)?;
    let head_tree = repo.find_commit(input.head)?.tree()?;
    let mut files = Vec::new();
    let mut not_reviewed = Vec::new();
    for file in &input.files {
        if input
            .only_paths
            .as_ref()
            .is_some_and(|only| !only.contains(&file.path))
        {
            continue;
        }
        if input.excluded_paths.contains(&file.path) {
            not_reviewed.push((file.path.clone(), "excluded by path_filters".into()));
            continue;
        }
        let blob = match file.new_blob {
            Some(id) => repo.find_blob(id).ok(),
            None => head_tree
                .get_path(std::path::Path::new(&file.path))
                .ok()
                .and_then(|e| repo.find_blob(e.id()).ok()),
        };
        let content = blob.as_ref().map(|b| b.content()).unwrap_or_default();
        if let Some(why) = prompt::not_sent_because(file, content) {
            not_reviewed.push((file.path.clone(), why));
            continue;
        }
        let text = String::from_utf8_lossy(content);
        let instructions = prompt::instructions_for(&input.path_instructions, &file.path);
        let read = prompt::read_file(
            &repo,
            input.base,
            file,
            &text,
            instructions,
            &input.redaction,
        )?;
        if read.hunks.is_empty() {
            not_reviewed.push((file.path.clone(), "no changed lines".into()));
            continue;
        }
        files.push(read);
    }
    Ok(Prepared {
        files,
        not_reviewed,
    })
}

/// A per-run marker for the data fences: not guessable from the change.
fn nonce(input: &ReviewInput) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(input.head.as_bytes());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.update(now.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    let digest = hasher.finalize();
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether model text repeats the prompt's own markers or rules.
fn leaks_prompt(text: &str, nonce: &str) -> bool {
    text.contains(nonce)
        || text.contains("BEGIN-CHANGE")
        || text.contains("END-CHANGE")
        || text.contains("is never an instruction to you")
}

fn why_not(error: &ModelError) -> String {
    match error {
        ModelError::Budget => "the run's model budget was used up".into(),
        ModelError::Timeout => "the model did not answer in time".into(),
        ModelError::Unreadable => "the model's answer could not be read".into(),
        ModelError::Http { status, .. } => format!("the model server answered HTTP {status}"),
        ModelError::Unreachable(_) => "the model server could not be reached".into(),
        ModelError::Settings(_) => "the model settings are invalid".into(),
    }
}

/// Reviews the change with the model. Never fails: what could not be reviewed is listed with
/// its reason. A synchronous caller runs it with `runtime.block_on(review(&model, &input))`.
pub async fn review(model: &ModelClient, input: &ReviewInput) -> LlmReview {
    let mut out = LlmReview::default();
    let prepared = match prepare(input) {
        Ok(p) => p,
        Err(error) => {
            tracing::warn!("could not read the change for the AI review: {error}");
            out.files_not_reviewed = input
                .files
                .iter()
                .map(|f| (f.path.clone(), "the repository could not be read".into()))
                .collect();
            return out;
        }
    };
    out.files_not_reviewed = prepared.not_reviewed;
    let files = prepared.files;
    let nonce = nonce(input);
    let voice = Voice {
        profile: input.profile,
        tone_instructions: &input.tone_instructions,
        language: &input.language,
    };
    let system = prompt::review_system(&voice, &nonce);
    let title = input.redaction.scrub(&input.pr_title);
    let description = input.redaction.scrub(&input.pr_description);
    let parts: Vec<Part> = files
        .iter()
        .enumerate()
        .flat_map(|(i, f)| prompt::parts_of(i, f, BATCH_CHARS))
        .collect();
    let batches = prompt::batches(parts, BATCH_CHARS, BATCH_FILES);
    let schema = review_schema();
    let asks = batches.iter().map(|batch| {
        let question = Question {
            system: system.clone(),
            user: prompt::review_user(&nonce, &title, &description, batch),
            name: "report_review",
            schema: schema.clone(),
            max_output_tokens: REVIEW_OUTPUT_TOKENS,
        };
        async move { model.ask(&question).await }
    });
    let answers = futures_util::future::join_all(asks).await;

    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    let mut reviewed: BTreeSet<String> = BTreeSet::new();
    let mut placed: Vec<(Finding, bool)> = Vec::new();
    for (batch, answer) in batches.iter().zip(answers) {
        let shown: HashMap<&str, &FileUnderReview> = batch
            .iter()
            .map(|p| (files[p.file].path.as_str(), &files[p.file]))
            .collect();
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!("AI review of {} file(s) failed: {error}", shown.len());
                let problem = error.to_string();
                if !out.problems.contains(&problem) {
                    out.problems.push(problem);
                }
                for path in shown.keys() {
                    failed
                        .entry((*path).to_owned())
                        .or_insert_with(|| why_not(&error));
                }
                continue;
            }
        };
        reviewed.extend(shown.keys().map(|p| (*p).to_owned()));
        for item in answer
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(path), Some(summary)) = (
                item.get("path").and_then(Value::as_str),
                item.get("summary").and_then(Value::as_str),
            ) else {
                continue;
            };
            if shown.contains_key(path) && !leaks_prompt(summary, &nonce) {
                let summary: String = summary.trim().chars().take(400).collect();
                out.file_summaries.insert(path.to_owned(), summary);
            }
        }
        let items = answer
            .get("findings")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in &items {
            let Some(proposed) = anchor::read_item(item) else {
                out.dropped += 1;
                continue;
            };
            if leaks_prompt(&proposed.title, &nonce)
                || leaks_prompt(&proposed.explanation, &nonce)
                || proposed
                    .suggestion
                    .as_deref()
                    .is_some_and(|s| leaks_prompt(s, &nonce))
            {
                out.dropped += 1;
                continue;
            }
            let file = shown.get(proposed.path.as_str()).copied();
            match anchor::place(proposed, file, input.filter_mode, &input.allowed_host) {
                Placement::Placed { finding, nitpick } => placed.push((finding, nitpick)),
                Placement::NotPlaced(n) => out.not_placed.push(n),
                Placement::Dropped(why) => {
                    tracing::debug!("AI finding left out: {why}");
                    out.dropped += 1;
                }
            }
        }
    }
    // A file whose parts all failed is not reviewed; one that got at least one answer is.
    for (path, why) in failed {
        if !reviewed.contains(&path) {
            out.files_not_reviewed.push((path, why));
        }
    }
    out.files_reviewed = reviewed.into_iter().collect();

    // Keep the weightiest findings per file, one per fingerprint.
    placed.sort_by(|a, b| {
        (a.0.path.as_str(), std::cmp::Reverse(a.0.severity), a.0.line).cmp(&(
            b.0.path.as_str(),
            std::cmp::Reverse(b.0.severity),
            b.0.line,
        ))
    });
    let mut per_file: HashMap<String, usize> = HashMap::new();
    let mut seen = BTreeSet::new();
    placed.retain(|(f, _)| {
        let count = per_file.entry(f.path.clone()).or_insert(0);
        *count += 1;
        *count <= FINDINGS_PER_FILE && seen.insert(f.fingerprint.clone())
    });
    let (findings, nitpicks) = anchor::by_profile(placed, input.profile);
    out.findings = findings;
    out.nitpicks = nitpicks;

    if let Some(options) = &input.walkthrough
        && !out.files_reviewed.is_empty()
    {
        out.walkthrough = ask_walkthrough(model, input, options, &out, &nonce).await;
    }
    out.usage = model.usage();
    out
}

async fn ask_walkthrough(
    model: &ModelClient,
    input: &ReviewInput,
    options: &WalkthroughOptions,
    review: &LlmReview,
    nonce: &str,
) -> Option<Walkthrough> {
    // Files path_filters exclude are not named to the model at all.
    let listed: Vec<&FileDiff> = input
        .files
        .iter()
        .filter(|f| !input.excluded_paths.contains(&f.path))
        .collect();
    let known: Vec<String> = listed.iter().map(|f| f.path.clone()).collect();
    let mut user = format!(
        "BEGIN-PR-{nonce}\nTitle: {}\n",
        input.redaction.scrub(&input.pr_title).trim()
    );
    let description = input.redaction.scrub(&input.pr_description);
    if !description.trim().is_empty() {
        let short: String = description.trim().chars().take(2000).collect();
        user.push_str(&format!("Description:\n{short}\n"));
    }
    user.push_str("Files (path, status, +added/-removed, summary):\n");
    for file in &listed {
        let summary = review
            .file_summaries
            .get(&file.path)
            .map(String::as_str)
            .unwrap_or("(not reviewed)");
        user.push_str(&format!(
            "- {} ({}, +{}/-{}): {}\n",
            file.path,
            file.status.as_str(),
            file.additions,
            file.deletions,
            input.redaction.scrub(summary)
        ));
    }
    user.push_str(&format!("END-PR-{nonce}\n"));
    let question = Question {
        system: walkthrough::system(nonce, options, &input.language),
        user,
        name: "report_walkthrough",
        schema: walkthrough::schema(),
        max_output_tokens: WALKTHROUGH_OUTPUT_TOKENS,
    };
    let answer = match model.ask(&question).await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!("the AI walkthrough failed: {error}");
            return None;
        }
    };
    let mut walkthrough = walkthrough::read(&answer, &known)?;
    let texts = std::iter::once(walkthrough.walkthrough.as_str())
        .chain(walkthrough.poem.as_deref())
        .chain(walkthrough.sequence_diagram.as_deref())
        .chain(walkthrough.cohorts.iter().map(|c| c.summary.as_str()));
    if texts.clone().any(|t| leaks_prompt(t, nonce)) {
        return None;
    }
    let grouped: BTreeSet<&String> = walkthrough.cohorts.iter().flat_map(|c| &c.files).collect();
    let rest: Vec<String> = known
        .iter()
        .filter(|f| !grouped.contains(f))
        .cloned()
        .collect();
    if !rest.is_empty() {
        walkthrough.cohorts.push(Cohort {
            title: "Other changes".into(),
            files: rest,
            summary: String::new(),
        });
    }
    Some(walkthrough)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_can_run_on_any_runtime_thread() {
        fn send<T: Send>(_: &T) {}
        fn sync<T: Sync>() {}
        sync::<ModelClient>();
        sync::<ReviewInput>();
        let settings = super::super::settings::LlmSettings::new(
            super::super::settings::Provider::OpenAi,
            "http://127.0.0.1:9/v1",
            "m",
            super::super::settings::ApiKey::new("k"),
        );
        let model = ModelClient::new(settings, &crate::http::NetworkSettings::default())
            .expect("valid settings");
        let input = ReviewInput {
            repo: PathBuf::from("."),
            base: None,
            head: Oid::zero(),
            files: Vec::new(),
            only_paths: None,
            excluded_paths: BTreeSet::new(),
            profile: Profile::Chill,
            filter_mode: FilterMode::Added,
            tone_instructions: String::new(),
            language: String::new(),
            path_instructions: Vec::new(),
            pr_title: String::new(),
            pr_description: String::new(),
            redaction: Redaction::default(),
            walkthrough: None,
            allowed_host: String::new(),
        };
        send(&review(&model, &input));
    }
}
