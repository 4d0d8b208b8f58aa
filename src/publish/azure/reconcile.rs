//! Reconciliation: which of the agent's threads already on the PR match this review, what to
//! post, what to mark fixed, and what to leave alone. Pure functions over data; the publisher
//! carries the plan out.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::azure_devops::models::{GitPullRequestCommentThread, ThreadStatus};
use crate::finding::Finding;

/// Thread property keys. Older versions of the agent wrote the same keys; keep them stable.
pub(super) const KIND: &str = "CodeRabbit.Kind";
pub(crate) const FINGERPRINT: &str = "CodeRabbit.Fingerprint";
/// Which source wrote a finding's thread (`builtin`, `llm`, a tool's name).
pub(crate) const SOURCE: &str = "CodeRabbit.Source";
pub(super) const HEAD: &str = "CodeRabbit.Head";
pub(super) const ITERATION: &str = "CodeRabbit.Iteration";
pub(super) const SUPPORTS_MARKDOWN: &str = "Microsoft.TeamFoundation.Discussion.SupportsMarkdown";

/// What one of the agent's threads is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Finding,
    Summary,
    Remediation,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Finding => "finding",
            Kind::Summary => "summary",
            Kind::Remediation => "remediation",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "finding" => Some(Kind::Finding),
            "summary" => Some(Kind::Summary),
            "remediation" => Some(Kind::Remediation),
            _ => None,
        }
    }
}

/// One of the agent's threads found on the PR.
#[derive(Debug, Clone)]
pub(crate) struct Existing {
    pub id: u32,
    pub kind: Kind,
    pub fingerprint: Option<String>,
    pub status: ThreadStatus,
    /// A person replied, or the status is one the agent never sets.
    pub touched_by_person: bool,
    /// The agent's own first comment: its id and content.
    pub comment_id: Option<u32>,
    pub content: Option<String>,
    /// For the summary: the head commit and iteration it describes.
    pub head: Option<String>,
    pub iteration: Option<u32>,
    /// Every property, as text, by lower-case key.
    pub properties: HashMap<String, String>,
    /// The file a thread is on (without the leading `/`), if it is on one.
    pub path: Option<String>,
    /// The source of the finding (property, else the comment's footer of older versions).
    pub source: Option<String>,
}

impl Existing {
    /// Whether the thread already carries `wanted` (properties as the agent writes them).
    pub(crate) fn has_properties(&self, wanted: &Map<String, Value>) -> bool {
        wanted.iter().all(|(key, value)| {
            let inner = value.get("value").unwrap_or(value);
            let text = match inner {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.properties.get(&key.to_ascii_lowercase()) == Some(&text)
        })
    }
}

/// Recognises the agent's threads by their properties; other threads are not ours.
pub(crate) fn recognise(thread: &GitPullRequestCommentThread) -> Option<Existing> {
    let id = thread.id?;
    let kind = Kind::parse(&thread.property(KIND)?)?;
    if thread.is_deleted == Some(true) {
        return None;
    }
    let first = thread
        .comments
        .iter()
        .find(|c| c.is_deleted != Some(true) && !c.is_system());
    let our_author = first
        .and_then(|c| c.author.as_ref())
        .and_then(|a| a.id.clone());
    let replied = thread.comments.iter().any(|comment| {
        comment.is_deleted != Some(true)
            && !comment.is_system()
            && comment.author.as_ref().and_then(|a| a.id.clone()) != our_author
    });
    let status = thread.status();
    let properties = thread
        .properties
        .iter()
        .flatten()
        .filter_map(|(key, _)| Some((key.to_ascii_lowercase(), thread.property(key)?)))
        .collect();
    Some(Existing {
        id,
        kind,
        fingerprint: thread.property(FINGERPRINT),
        touched_by_person: replied || !status.is_agents(),
        path: thread
            .thread_context
            .as_ref()
            .and_then(|c| c.file_path.as_deref())
            .map(|p| p.trim_start_matches('/').to_owned()),
        source: thread.property(SOURCE).or_else(|| {
            let content = first.and_then(|c| c.content.as_deref())?;
            let footer = content.rsplit_once("<sub>coderabbit-agent · ")?.1;
            Some(footer.trim_end_matches("</sub>").trim().to_owned())
        }),
        properties,
        comment_id: first.and_then(|c| c.id),
        content: first.and_then(|c| c.content.clone()),
        head: thread.property(HEAD),
        iteration: thread.property(ITERATION).and_then(|v| v.parse().ok()),
        status,
    })
}

/// What to do on the PR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Indexes into the findings: post these as new threads, in this order.
    pub create: Vec<usize>,
    /// Indexes of findings that are new but over the cap: listed in the summary instead.
    pub overflow: Vec<usize>,
    /// Indexes of findings that already have a thread.
    pub existing: Vec<usize>,
    /// Thread ids whose finding is gone: set to `fixed`.
    pub mark_fixed: Vec<u32>,
    /// Thread ids whose finding is gone but that a person touched: left alone.
    pub left_alone: Vec<u32>,
    /// Later copies of a thread for the same finding (two runs raced): set to `closed`.
    pub close_duplicate: Vec<u32>,
}

/// Plans the inline threads: findings in priority order (most severe first), capped at
/// `max_new` new threads.
#[cfg(test)]
pub(crate) fn plan(
    findings: &[Finding],
    anchorable: &[bool],
    existing: &[Existing],
    max_new: usize,
) -> Plan {
    plan_kind(Kind::Finding, findings, anchorable, existing, max_new)
}

/// [`plan`] for the threads of one kind (review findings, or remediation of a failed build).
pub(crate) fn plan_kind(
    kind: Kind,
    findings: &[Finding],
    anchorable: &[bool],
    existing: &[Existing],
    max_new: usize,
) -> Plan {
    let ours: Vec<&Existing> = existing.iter().filter(|e| e.kind == kind).collect();
    let known: HashSet<&str> = ours
        .iter()
        .filter_map(|e| e.fingerprint.as_deref())
        .collect();
    let current: HashSet<&str> = findings.iter().map(|f| f.fingerprint.as_str()).collect();

    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&findings[a], &findings[b]);
        fb.severity
            .cmp(&fa.severity)
            .then_with(|| fa.path.cmp(&fb.path))
            .then_with(|| fa.line.cmp(&fb.line))
    });
    let mut plan = Plan::default();
    let mut posted_now: HashSet<&str> = HashSet::new();
    for index in order {
        let fingerprint = findings[index].fingerprint.as_str();
        if known.contains(fingerprint) || posted_now.contains(fingerprint) {
            plan.existing.push(index);
        } else if !anchorable.get(index).copied().unwrap_or(false) {
            // Not a line of this PR's changes: the summary lists it.
            plan.overflow.push(index);
        } else if plan.create.len() < max_new {
            posted_now.insert(fingerprint);
            plan.create.push(index);
        } else {
            plan.overflow.push(index);
        }
    }
    // Oldest first: when two runs raced and both posted a finding, the first thread is the one
    // kept; a later copy no person touched is closed.
    let mut ours = ours;
    ours.sort_by_key(|thread| thread.id);
    let mut kept: HashSet<&str> = HashSet::new();
    for thread in ours {
        let Some(fingerprint) = thread.fingerprint.as_deref() else {
            continue;
        };
        let duplicate = !kept.insert(fingerprint);
        if duplicate
            && current.contains(fingerprint)
            && thread.status == ThreadStatus::Active
            && !thread.touched_by_person
        {
            plan.close_duplicate.push(thread.id);
            continue;
        }
        if current.contains(fingerprint) || thread.status != ThreadStatus::Active {
            continue;
        }
        if thread.touched_by_person {
            plan.left_alone.push(thread.id);
        } else {
            plan.mark_fixed.push(thread.id);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Category, Fingerprint, Severity};
    use serde_json::json;

    fn finding(fp: &str, severity: Severity, line: u32) -> Finding {
        Finding {
            path: "src/a.rs".into(),
            line,
            end_line: line,
            severity,
            category: Category::Correctness,
            rule: "r".into(),
            source: "builtin".into(),
            message: "m".into(),
            suggestion: None,
            fingerprint: Fingerprint(fp.into()),
        }
    }

    fn existing(id: u32, fp: &str, status: &str, touched: bool) -> Existing {
        Existing {
            id,
            kind: Kind::Finding,
            fingerprint: Some(fp.into()),
            status: ThreadStatus::parse(status),
            properties: HashMap::new(),
            path: None,
            source: None,
            touched_by_person: touched,
            comment_id: Some(1),
            content: None,
            head: None,
            iteration: None,
        }
    }

    #[test]
    fn only_new_fingerprints_are_posted_and_gone_ones_fixed() {
        let findings = vec![
            finding("a", Severity::Minor, 1),
            finding("b", Severity::Major, 2),
        ];
        let threads = vec![
            existing(10, "a", "active", false),
            existing(11, "gone", "active", false),
            existing(12, "gone2", "active", true),
            existing(13, "old", "fixed", false),
        ];
        let plan = plan(&findings, &[true, true], &threads, 50);
        assert_eq!(plan.create, vec![1]);
        assert_eq!(plan.existing, vec![0]);
        assert_eq!(plan.mark_fixed, vec![11]);
        assert_eq!(plan.left_alone, vec![12]);
    }

    #[test]
    fn copies_from_racing_runs_are_closed_keeping_the_oldest() {
        let findings = vec![finding("a", Severity::Minor, 1)];
        let threads = vec![
            existing(12, "a", "active", false),
            existing(10, "a", "active", false),
            existing(11, "a", "active", true),
        ];
        let plan = plan(&findings, &[true], &threads, 50);
        assert!(plan.create.is_empty());
        assert_eq!(
            plan.close_duplicate,
            vec![12],
            "the oldest (10) stays, the touched one (11) is left alone"
        );
    }

    #[test]
    fn the_cap_keeps_the_most_severe() {
        let findings = vec![
            finding("a", Severity::Info, 1),
            finding("b", Severity::Critical, 2),
            finding("c", Severity::Minor, 3),
        ];
        let plan = plan(&findings, &[true, true, true], &[], 2);
        assert_eq!(plan.create, vec![1, 2]);
        assert_eq!(plan.overflow, vec![0]);
    }

    #[test]
    fn unanchorable_findings_go_to_the_summary() {
        let findings = vec![finding("a", Severity::Major, 1)];
        let plan = plan(&findings, &[false], &[], 50);
        assert!(plan.create.is_empty());
        assert_eq!(plan.overflow, vec![0]);
    }

    #[test]
    fn threads_are_recognised_by_their_properties_and_replies_noticed() {
        let thread: GitPullRequestCommentThread = serde_json::from_value(json!({
            "id": 5,
            "status": "active",
            "properties": {
                "CodeRabbit.Kind": {"$type": "System.String", "$value": "finding"},
                "CodeRabbit.Fingerprint": {"$type": "System.String", "$value": "abc"}
            },
            "comments": [
                {"id": 1, "content": "ours", "author": {"id": "bot"}, "commentType": "text"},
                {"id": 2, "content": "status changed", "author": {"id": "human"}, "commentType": "system"}
            ]
        }))
        .unwrap();
        let ours = recognise(&thread).unwrap();
        assert_eq!(ours.kind, Kind::Finding);
        assert_eq!(ours.fingerprint.as_deref(), Some("abc"));
        assert!(!ours.touched_by_person, "system comments are not replies");

        let mut replied = thread.clone();
        replied.comments.push(serde_json::from_value(json!({"id": 3, "content": "why?", "author": {"id": "human"}, "commentType": "text"})).unwrap());
        assert!(recognise(&replied).unwrap().touched_by_person);

        let mut resolved = thread.clone();
        resolved.status = Some(json!("wontFix"));
        assert!(recognise(&resolved).unwrap().touched_by_person);

        let mut foreign = thread;
        foreign.properties = None;
        assert!(recognise(&foreign).is_none());
    }
}
