//! `@coderabbitai create work item` in a finding's thread: which work item type the project's
//! process uses for bugs (the type categories, `Microsoft.BugCategory` first, then the
//! requirement category — `Issue` in the Basic process), and the JSON Patch document that
//! creates it from the finding — title, a description with the file, the line and a link back to
//! the thread — linked to the pull request in the same request (an `ArtifactLink` named
//! "Pull Request"). Pure: the service calls are made elsewhere.
//!
//! Not wired yet: creating a work item needs JSON Patch requests (`application/json-patch+json`)
//! that the REST client does not send; `create work item` answers that it is not available.
#![allow(dead_code)]

use serde_json::{Value, json};

/// The categories to look in, in order.
pub(crate) const CATEGORIES: [&str; 3] = [
    "Microsoft.BugCategory",
    "Microsoft.RequirementCategory",
    "Microsoft.TaskCategory",
];

/// A work item type category as the type categories API lists it: its reference name and its
/// default type's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Category {
    pub reference_name: String,
    pub default_type: Option<String>,
}

/// The type to create: the default type of the first of [`CATEGORIES`] the process has.
pub(crate) fn work_item_type(categories: &[Category]) -> Option<String> {
    CATEGORIES.iter().find_map(|wanted| {
        categories
            .iter()
            .find(|c| c.reference_name.eq_ignore_ascii_case(wanted))
            .and_then(|c| c.default_type.clone())
    })
}

/// The artifact URL of a pull request, as a work item's link to it names it.
pub(crate) fn pull_request_artifact(
    project_id: &str,
    repository_id: &str,
    pull_request: u32,
) -> String {
    format!("vstfs:///Git/PullRequestId/{project_id}%2F{repository_id}%2F{pull_request}")
}

/// What the work item is made from.
#[derive(Debug, Clone)]
pub(crate) struct FromFinding<'a> {
    /// The finding's comment (Markdown, as the agent posted it).
    pub body: &'a str,
    /// Repository path, without the leading `/`.
    pub path: Option<&'a str>,
    pub line: Option<u32>,
    /// The thread in the pull request's web view.
    pub thread_url: &'a str,
    pub artifact: String,
}

/// The work item's title: the finding's message, one line, at most 255 characters.
pub(crate) fn title(body: &str, path: Option<&str>) -> String {
    let message = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|l| !l.starts_with("**") && !l.starts_with("<sub>") && !l.starts_with("```"))
        .unwrap_or("A CodeRabbit finding");
    let mut title = match path {
        Some(path) => format!("{path}: {message}"),
        None => message.to_owned(),
    };
    if title.chars().count() > 255 {
        title = title.chars().take(254).collect::<String>() + "…";
    }
    title
}

/// The JSON Patch document that creates the work item, linked to the pull request.
pub(crate) fn create_document(from: &FromFinding<'_>) -> Value {
    let place = match (from.path, from.line) {
        (Some(path), Some(line)) => format!("<code>{}</code>, line {line}", html(path)),
        (Some(path), None) => format!("<code>{}</code>", html(path)),
        _ => "the pull request".to_owned(),
    };
    let description = format!(
        "<p>Raised by CodeRabbit on {place}: <a href=\"{}\">the review comment</a>.</p><pre>{}</pre>",
        html(from.thread_url),
        html(from.body)
    );
    json!([
        {"op": "add", "path": "/fields/System.Title", "value": title(from.body, from.path)},
        {"op": "add", "path": "/fields/System.Description", "value": description},
        {"op": "add", "path": "/relations/-", "value": {
            "rel": "ArtifactLink",
            "url": from.artifact,
            "attributes": {"name": "Pull Request"}
        }}
    ])
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str, default: &str) -> Category {
        Category {
            reference_name: name.into(),
            default_type: Some(default.into()),
        }
    }

    #[test]
    fn the_bug_category_first_then_the_requirement_category() {
        let agile = [
            category("Microsoft.RequirementCategory", "User Story"),
            category("Microsoft.BugCategory", "Bug"),
        ];
        assert_eq!(work_item_type(&agile).as_deref(), Some("Bug"));
        let basic = [
            category("Microsoft.EpicCategory", "Epic"),
            category("Microsoft.RequirementCategory", "Issue"),
            category("Microsoft.TaskCategory", "Task"),
        ];
        assert_eq!(work_item_type(&basic).as_deref(), Some("Issue"));
        assert_eq!(work_item_type(&[]), None);
    }

    #[test]
    fn the_document_has_title_description_and_the_pull_request_link() {
        let body = "**Major** · `debugging/dbg-macro` · maintainability\n\nA `dbg!` call <left> in code.\n\n<sub>coderabbit-agent · builtin</sub>";
        let from = FromFinding {
            body,
            path: Some("src/debug.rs"),
            line: Some(2),
            thread_url: "https://dev.azure.com/o/p/_git/r/pullrequest/1?discussionId=7",
            artifact: pull_request_artifact("p-id", "r-id", 1),
        };
        let doc = create_document(&from);
        assert_eq!(
            doc[0]["value"],
            "src/debug.rs: A `dbg!` call <left> in code."
        );
        let description = doc[1]["value"].as_str().unwrap();
        assert!(description.contains("<code>src/debug.rs</code>, line 2"));
        assert!(description.contains("discussionId=7"));
        assert!(description.contains("&lt;left&gt;"), "the body is escaped");
        assert_eq!(doc[2]["value"]["rel"], "ArtifactLink");
        assert_eq!(
            doc[2]["value"]["url"],
            "vstfs:///Git/PullRequestId/p-id%2Fr-id%2F1"
        );
        assert_eq!(doc[2]["value"]["attributes"]["name"], "Pull Request");
    }

    #[test]
    fn a_long_title_is_cut_to_the_services_limit() {
        let long = "word ".repeat(100);
        let t = title(&long, Some("a.rs"));
        assert_eq!(t.chars().count(), 255);
        assert!(t.ends_with('…'));
    }
}
