//! The one writer of the agent's threads on a pull request, for the review, the remediation
//! and the conversation alike: plan from what is actually there, then apply.
//!
//! It lists the threads once and recognises the agent's own by their properties. For inline
//! threads of one kind it posts the findings whose fingerprints are not there yet (most severe
//! first, capped), sets threads whose finding is gone to `fixed` unless a person touched them,
//! and closes later copies that two racing runs left. For a single thread of a kind (a summary)
//! it edits the oldest in place and closes the copies. Writes run concurrently, bounded. A
//! create whose answer was lost (a 5xx or a dropped connection after the service may have stored
//! it) is never simply repeated: the threads are listed again and only what is still missing is
//! posted. Nothing is ever deleted. A run killed half-way is completed by the next one, because
//! every decision starts from the threads that are there.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};
use serde_json::{Map, Value};

use crate::azure_devops::models::{GitPullRequestCommentThread, ThreadStatus};
use crate::azure_devops::{ApiError, PullRequestApi};
use crate::finding::Finding;

use super::reconcile::{Existing, Kind, plan_kind, recognise};
use super::threads::{Anchor, LineLengths, inline_thread};

/// How many times a create whose answer was lost is looked for and, if missing, posted again.
const AMBIGUOUS_ROUNDS: u32 = 3;

/// The pause before looking again: the service may still be finishing the write.
fn ambiguous_pause(round: u32) -> std::time::Duration {
    std::time::Duration::from_millis(250 * u64::from(round))
}

/// Whether `me` already replied to comment `parent` in `thread`.
pub(crate) fn answered(thread: &GitPullRequestCommentThread, parent: u32, me: &str) -> bool {
    thread.comments.iter().any(|c| {
        c.parent_comment_id == Some(parent)
            && c.is_deleted != Some(true)
            && c.author
                .as_ref()
                .and_then(|a| a.id.as_deref())
                .is_some_and(|id| id.eq_ignore_ascii_case(me))
    })
}

/// What happened to the single thread of a kind (a summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum SingleChange {
    #[default]
    Unchanged,
    Created,
    Edited,
}

/// What an inline sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct InlineReport {
    pub created: usize,
    pub already_there: usize,
    pub marked_fixed: usize,
    pub left_alone: usize,
    /// Indexes of the findings not posted inline (over the cap, or not anchorable).
    pub overflow: Vec<usize>,
}

/// The agent's threads on one pull request, and the means to change them.
pub(crate) struct ThreadWriter<'a> {
    api: &'a PullRequestApi<'a>,
    concurrency: usize,
    existing: Vec<Existing>,
    /// The latest iteration, once known (from a summary that describes the head, or asked).
    iteration: Option<Option<u32>>,
    tracking: Option<HashMap<String, u32>>,
}

impl<'a> ThreadWriter<'a> {
    /// Lists the pull request's threads once.
    pub(crate) async fn open(
        api: &'a PullRequestApi<'a>,
        concurrency: usize,
    ) -> Result<Self, ApiError> {
        let threads = api.threads().await?;
        Ok(Self::from_threads(api, concurrency, &threads))
    }

    /// A writer over threads already listed (the conversation lists them once for both).
    pub(crate) fn from_threads(
        api: &'a PullRequestApi<'a>,
        concurrency: usize,
        threads: &[GitPullRequestCommentThread],
    ) -> Self {
        ThreadWriter {
            api,
            concurrency: concurrency.max(1),
            existing: threads.iter().filter_map(recognise).collect(),
            iteration: None,
            tracking: None,
        }
    }

    /// Answers the comment `parent` of `thread` (any thread, a person's included) with a
    /// reply, unless the agent (`me`) already answered it: the thread is read again right
    /// before writing, so that a run that raced this one is seen. Returns whether it posted.
    pub(crate) async fn reply_once(
        &self,
        thread: u32,
        parent: u32,
        me: &str,
        content: String,
    ) -> Result<bool, ApiError> {
        let now = self.api.thread(thread).await?;
        if answered(&now, parent, me) {
            return Ok(false);
        }
        self.api.create_comment(thread, parent, content).await?;
        Ok(true)
    }

    /// Claims the answer to comment `parent` of `thread` for this run (`run` is unique to it)
    /// when two runs may be at work at once: writes the claim as a thread property, waits
    /// `settle`, and reads it back; the run whose claim is there answers, the other does not.
    /// A comment already answered, or claimed by another run, is not claimed.
    pub(crate) async fn claim(
        &self,
        thread: u32,
        parent: u32,
        me: &str,
        run: &str,
        settle: std::time::Duration,
    ) -> Result<bool, ApiError> {
        let key = format!("CodeRabbit.Answering.{parent}");
        let before = self.api.thread(thread).await?;
        if answered(&before, parent, me) || before.property(&key).is_some() {
            return Ok(false);
        }
        let mut properties = Map::new();
        properties.insert(
            key.clone(),
            crate::azure_devops::models::typed_property("System.String", Value::from(run)),
        );
        self.api.set_thread_properties(thread, properties).await?;
        tokio::time::sleep(settle).await;
        let after = self.api.thread(thread).await?;
        Ok(after.property(&key).as_deref() == Some(run) && !answered(&after, parent, me))
    }

    /// Sets every active thread of `kind` to `fixed`, whoever touched it (a person asked);
    /// returns how many.
    pub(crate) async fn resolve_every_active(&self, kind: Kind) -> Result<usize, ApiError> {
        let statuses: Vec<(u32, ThreadStatus)> = self
            .existing
            .iter()
            .filter(|e| e.kind == kind && e.status == ThreadStatus::Active)
            .map(|e| (e.id, ThreadStatus::Fixed))
            .collect();
        let count = statuses.len();
        self.set_statuses(statuses).await?;
        Ok(count)
    }

    /// Tells the writer the latest iteration without asking the service (a summary thread that
    /// describes this head already knows it).
    pub(crate) fn know_iteration(&mut self, iteration: u32) {
        self.iteration = Some(Some(iteration));
    }

    /// The PR's latest iteration, asked once.
    pub(crate) async fn iteration(&mut self) -> Result<Option<u32>, ApiError> {
        if let Some(known) = self.iteration {
            return Ok(known);
        }
        let latest = self.api.iterations().await?.iter().map(|i| i.id).max();
        self.iteration = Some(latest);
        Ok(latest)
    }

    async fn anchors(&mut self) -> Result<(Option<u32>, &HashMap<String, u32>), ApiError> {
        let iteration = self.iteration().await?;
        if self.tracking.is_none() {
            let ids = match iteration {
                Some(iteration) => self.api.change_tracking_ids(iteration).await?,
                None => HashMap::new(),
            };
            self.tracking = Some(ids);
        }
        Ok((iteration, self.tracking.get_or_insert_with(HashMap::new)))
    }

    /// Makes the inline threads of `kind` match `findings`: posts the new ones (at most
    /// `max_new`, most severe first; `anchorable[i]` says whether finding `i` can be anchored on
    /// the PR), marks the gone ones `fixed`, closes racing copies. `extra` properties go on
    /// every new thread. Threads for which `leave` is true (a summary of the same kind, or
    /// threads of files this run did not look at) are left out of the reconciliation.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn sync_inline(
        &mut self,
        kind: Kind,
        findings: &[Finding],
        anchorable: &[bool],
        max_new: usize,
        line_lengths: &LineLengths,
        extra: &[(&str, Value)],
        leave: &dyn Fn(&Existing) -> bool,
    ) -> Result<InlineReport, ApiError> {
        let inline: Vec<Existing> = self
            .existing
            .iter()
            .filter(|e| !leave(e))
            .cloned()
            .collect();
        let plan = plan_kind(kind, findings, anchorable, &inline, max_new);
        let mut threads = Vec::with_capacity(plan.create.len());
        if !plan.create.is_empty() {
            let (iteration, tracking) = self.anchors().await?;
            for &index in &plan.create {
                let finding = &findings[index];
                let anchor = Anchor {
                    iteration,
                    change_tracking_id: tracking.get(&finding.path).copied(),
                    end_line_length: line_lengths
                        .get(&finding.path, finding.end_line.max(finding.line)),
                };
                threads.push((
                    finding.fingerprint.as_str(),
                    inline_thread(kind, finding, anchor, extra),
                ));
            }
        }
        let statuses: Vec<(u32, ThreadStatus)> = plan
            .mark_fixed
            .iter()
            .map(|&id| (id, ThreadStatus::Fixed))
            .chain(
                plan.close_duplicate
                    .iter()
                    .map(|&id| (id, ThreadStatus::Closed)),
            )
            .collect();
        self.create_all(kind, threads).await?;
        self.set_statuses(statuses).await?;
        Ok(InlineReport {
            created: plan.create.len(),
            already_there: plan.existing.len(),
            marked_fixed: plan.mark_fixed.len(),
            left_alone: plan.left_alone.len(),
            overflow: plan.overflow,
        })
    }

    /// Posts `threads` (fingerprint, thread) concurrently. Creates whose answer was lost (the
    /// service may have stored them) are never simply repeated: after a pause the threads are
    /// listed again and only what is still missing is posted, for a few rounds.
    async fn create_all(
        &self,
        kind: Kind,
        threads: Vec<(&str, GitPullRequestCommentThread)>,
    ) -> Result<(), ApiError> {
        let api = self.api;
        let mut pending = threads;
        let mut round = 0u32;
        loop {
            let results: Vec<_> = stream::iter(pending)
                .map(|(fingerprint, thread)| async move {
                    let result = api.create_thread(&thread).await.map(|_| ());
                    (fingerprint, thread, result)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut unsure = Vec::new();
            let mut last_error = None;
            for (fingerprint, thread, result) in results {
                match result {
                    Ok(()) => {}
                    Err(err) if err.is_ambiguous() => {
                        unsure.push((fingerprint, thread));
                        last_error = Some(err);
                    }
                    Err(err) => return Err(err),
                }
            }
            let Some(last_error) = last_error else {
                return Ok(());
            };
            round += 1;
            if round > AMBIGUOUS_ROUNDS {
                return Err(last_error);
            }
            tokio::time::sleep(ambiguous_pause(round)).await;
            // The service may have stored some of them before failing: look before writing again.
            let there = self.fingerprints_now(kind).await?;
            pending = unsure
                .into_iter()
                .filter(|(fingerprint, _)| !there.contains(*fingerprint))
                .collect();
        }
    }

    async fn fingerprints_now(&self, kind: Kind) -> Result<HashSet<String>, ApiError> {
        Ok(self
            .api
            .threads()
            .await?
            .iter()
            .filter_map(recognise)
            .filter(|e| e.kind == kind)
            .filter_map(|e| e.fingerprint)
            .collect())
    }

    async fn set_statuses(&self, statuses: Vec<(u32, ThreadStatus)>) -> Result<(), ApiError> {
        let api = self.api;
        let results: Vec<Result<(), ApiError>> = stream::iter(statuses)
            .map(|(id, status)| async move { api.set_thread_status(id, status).await })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Sets the active threads of `kind` that no person touched to `fixed`; returns whether any
    /// thread of that kind was still active.
    pub(crate) async fn resolve_all(&self, kind: Kind) -> Result<bool, ApiError> {
        let open: Vec<&Existing> = self
            .existing
            .iter()
            .filter(|e| e.kind == kind && e.status == ThreadStatus::Active)
            .collect();
        let statuses = open
            .iter()
            .filter(|t| !t.touched_by_person)
            .map(|t| (t.id, ThreadStatus::Fixed))
            .collect();
        self.set_statuses(statuses).await?;
        Ok(!open.is_empty())
    }

    /// The oldest thread of `kind` (with `fingerprint`, when given).
    pub(crate) fn single(&self, kind: Kind, fingerprint: Option<&str>) -> Option<&Existing> {
        self.copies(kind, fingerprint).into_iter().next()
    }

    fn copies(&self, kind: Kind, fingerprint: Option<&str>) -> Vec<&Existing> {
        let mut copies: Vec<&Existing> = self
            .existing
            .iter()
            .filter(|e| e.kind == kind)
            .filter(|e| fingerprint.is_none_or(|fp| e.fingerprint.as_deref() == Some(fp)))
            .collect();
        copies.sort_by_key(|e| e.id);
        copies
    }

    /// Makes the single thread of `kind` (and `fingerprint`) say `content`: edits the oldest in
    /// place (and its `properties`, when they changed; `status` when it is set and differs),
    /// creates it when there is none (`new_thread` builds it), closes later copies no person
    /// touched.
    pub(crate) async fn sync_single(
        &self,
        kind: Kind,
        fingerprint: Option<&str>,
        content: String,
        properties: Map<String, Value>,
        status: Option<ThreadStatus>,
        new_thread: impl FnOnce(String, Map<String, Value>) -> GitPullRequestCommentThread,
    ) -> Result<SingleChange, ApiError> {
        let copies = self.copies(kind, fingerprint);
        let extra: Vec<(u32, ThreadStatus)> = copies
            .iter()
            .skip(1)
            .filter(|e| !e.touched_by_person && e.status != ThreadStatus::Closed)
            .map(|e| (e.id, ThreadStatus::Closed))
            .collect();
        self.set_statuses(extra).await?;
        let change =
            match copies.first() {
                Some(existing) => {
                    let mut change = SingleChange::Unchanged;
                    if existing.content.as_deref() != Some(content.as_str())
                        && let Some(comment) = existing.comment_id
                    {
                        self.api.edit_comment(existing.id, comment, content).await?;
                        change = SingleChange::Edited;
                    }
                    if !existing.has_properties(&properties) {
                        self.api
                            .set_thread_properties(existing.id, properties)
                            .await?;
                        change = SingleChange::Edited;
                    }
                    if let Some(status) = status.filter(|s| *s != existing.status) {
                        self.api.set_thread_status(existing.id, status).await?;
                        change = SingleChange::Edited;
                    }
                    change
                }
                None => {
                    let thread = new_thread(content, properties);
                    let mut round = 0u32;
                    loop {
                        match self.api.create_thread(&thread).await {
                            Ok(_) => break,
                            Err(err) if err.is_ambiguous() && round < AMBIGUOUS_ROUNDS => {
                                round += 1;
                                tokio::time::sleep(ambiguous_pause(round)).await;
                                let there =
                                    self.api.threads().await?.iter().filter_map(recognise).any(
                                        |e| {
                                            e.kind == kind
                                                && fingerprint.is_none_or(|fp| {
                                                    e.fingerprint.as_deref() == Some(fp)
                                                })
                                        },
                                    );
                                if there {
                                    break;
                                }
                            }
                            Err(err) => return Err(err),
                        }
                    }
                    SingleChange::Created
                }
            };
        Ok(change)
    }
}
