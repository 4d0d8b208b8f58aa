//! The work items linked to a pull request, as the summary lists them: type, title and state of
//! each, or that the token cannot read it; with none linked, one line saying so. Reading them
//! never stops a review: what cannot be read is listed as such.

use crate::azure_devops::models::{GitPullRequest, WorkItem};
use crate::azure_devops::work_items::WorkItemApi;
use crate::azure_devops::{ApiError, PullRequestApi};

/// One linked work item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Linked {
    pub id: u32,
    /// `None`: the token cannot read it.
    pub details: Option<Details>,
}

/// What the agent reads of a work item (description and acceptance criteria are for the
/// model's assessment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    pub work_item_type: String,
    pub title: String,
    pub state: String,
    pub description: String,
    pub acceptance_criteria: String,
}

impl Details {
    fn of(item: &WorkItem) -> Details {
        let text = |name: &str| item.field(name).unwrap_or_default().to_owned();
        Details {
            work_item_type: text("System.WorkItemType"),
            title: text("System.Title"),
            state: text("System.State"),
            description: text("System.Description"),
            acceptance_criteria: text("Microsoft.VSTS.Common.AcceptanceCriteria"),
        }
    }
}

/// What the summary knows of the linked work items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkedWorkItems {
    Read(Vec<Linked>),
    /// The list itself could not be read (the sentence says why).
    Unreadable(String),
}

/// Reads the pull request's linked work items (`pr` read with its work item refs) with one
/// batch read.
pub(crate) async fn read(
    api: &PullRequestApi<'_>,
    pr: &GitPullRequest,
    project: &str,
) -> LinkedWorkItems {
    match try_read(api, pr, project).await {
        Ok(items) => LinkedWorkItems::Read(items),
        Err(err) => {
            tracing::warn!("the linked work items could not be read: {err}");
            LinkedWorkItems::Unreadable(err.to_string())
        }
    }
}

async fn try_read(
    api: &PullRequestApi<'_>,
    pr: &GitPullRequest,
    project: &str,
) -> Result<Vec<Linked>, ApiError> {
    let ids: Vec<u32> = pr
        .work_item_refs
        .iter()
        .flatten()
        .filter_map(|r| r.id.as_deref()?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let read = WorkItemApi::new(api.client(), project).batch(&ids).await?;
    Ok(read
        .into_iter()
        .map(|(id, item)| Linked {
            id,
            details: item.as_ref().map(Details::of),
        })
        .collect())
}

/// The summary's section.
pub(crate) fn section(linked: &LinkedWorkItems) -> String {
    let mut text = String::from("\n\n### Linked work items\n\n");
    match linked {
        LinkedWorkItems::Read(items) if items.is_empty() => {
            text.push_str("No work item is linked to this pull request.\n");
        }
        LinkedWorkItems::Read(items) => {
            for item in items {
                match &item.details {
                    Some(d) => text.push_str(&format!(
                        "- #{} {} — {} _({})_\n",
                        item.id,
                        plain(&d.work_item_type),
                        plain(&d.title),
                        plain(&d.state)
                    )),
                    None => text.push_str(&format!(
                        "- #{} — not readable with the agent's token\n",
                        item.id
                    )),
                }
            }
        }
        LinkedWorkItems::Unreadable(_) => {
            text.push_str("The linked work items could not be read with the agent's token.\n");
        }
    }
    text
}

/// One line of plain text: no Markdown or HTML a title could smuggle in.
fn plain(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('<', "&lt;")
        .replace('[', "\\[")
        .replace('@', "@\u{200b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_lists_each_item_or_says_there_is_none() {
        assert!(
            section(&LinkedWorkItems::Read(vec![]))
                .contains("No work item is linked to this pull request.")
        );
        let text = section(&LinkedWorkItems::Read(vec![
            Linked {
                id: 12,
                details: Some(Details {
                    work_item_type: "Bug".into(),
                    title: "Crash <b>on</b> [save](x) @team".into(),
                    state: "Active".into(),
                    ..Details::default()
                }),
            },
            Linked {
                id: 13,
                details: None,
            },
        ]));
        assert!(
            text.contains("- #12 Bug — Crash &lt;b>on&lt;/b> \\[save](x) @\u{200b}team _(Active)_"),
            "{text}"
        );
        assert!(text.contains("- #13 — not readable"), "{text}");
        assert!(section(&LinkedWorkItems::Unreadable("x".into())).contains("could not be read"));
    }
}
