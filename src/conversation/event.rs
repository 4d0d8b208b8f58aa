//! The "Pull request commented on" service hook payload
//! (`ms.vss-code.git-pullrequest-comment-event`): which pull request of which repository of
//! which organization a comment was written on. A payload of another event, or for another
//! organization or repository than the pipeline's, is refused with one sentence.

use serde_json::Value;

use crate::error::UserError;

/// The event type this payload must have.
pub(crate) const EVENT_TYPE: &str = "ms.vss-code.git-pullrequest-comment-event";

/// Where the comment of a service hook payload was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommentEvent {
    /// The collection URL the payload's links point into (`https://dev.azure.com/org/`).
    pub collection: String,
    /// The project's id (else its name).
    pub project: String,
    pub repository_id: String,
    pub pull_request_id: u32,
    /// The comment's thread, from its links, when the payload says.
    pub thread_id: Option<u32>,
}

/// Reads a payload; `name` names the file in the sentences.
pub(crate) fn parse(text: &str, name: &str) -> Result<CommentEvent, UserError> {
    let not_it = |why: &str| {
        UserError::new(format!(
            "{name} is not a \"Pull request commented on\" service hook payload ({why}): point --event at the JSON the service hook sends"
        ))
    };
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| not_it(&format!("it is not JSON: {e}")))?;
    let event_type = value["eventType"].as_str().unwrap_or_default();
    if event_type != EVENT_TYPE {
        return Err(not_it(&if event_type.is_empty() {
            "it has no eventType".to_owned()
        } else {
            format!("its eventType is `{event_type}`")
        }));
    }
    let pr = &value["resource"]["pullRequest"];
    let pull_request_id = pr["pullRequestId"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| not_it("it has no resource.pullRequest.pullRequestId"))?;
    let repository = &pr["repository"];
    let repository_id = repository["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| not_it("it has no resource.pullRequest.repository.id"))?
        .to_owned();
    let project = repository["project"]["id"]
        .as_str()
        .or_else(|| repository["project"]["name"].as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| not_it("it has no resource.pullRequest.repository.project"))?
        .to_owned();
    let link = [
        pr["url"].as_str(),
        repository["url"].as_str(),
        value["resource"]["comment"]["_links"]["self"]["href"].as_str(),
    ]
    .into_iter()
    .flatten()
    .find(|url| url.contains("/_apis/"))
    .ok_or_else(|| not_it("it has no link to the pull request"))?;
    let collection = format!(
        "{}/",
        link.split("/_apis/")
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    let thread_id = value["resource"]["comment"]["_links"]["threads"]["href"]
        .as_str()
        .and_then(|href| href.rsplit('/').next())
        .and_then(|id| id.parse().ok());
    Ok(CommentEvent {
        collection,
        project,
        repository_id,
        pull_request_id,
        thread_id,
    })
}

/// The organization (or, on Azure DevOps Server, host and collection) a collection URL
/// names, for comparison: `https://fabrikam.visualstudio.com/DefaultCollection` and
/// `https://dev.azure.com/fabrikam/` are the same organization.
pub(crate) fn organization(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    let host = parts.next().unwrap_or_default().to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or_default().to_owned();
    let first = parts.next().unwrap_or_default().to_ascii_lowercase();
    if let Some(org) = host.strip_suffix(".visualstudio.com") {
        return org.to_owned();
    }
    if host == "dev.azure.com" {
        return first;
    }
    format!("{host}/{first}")
}

/// Refuses a payload for another organization than `collection_uri` or another repository
/// than `repository_id` (when the pipeline names one).
pub(crate) fn check_origin(
    event: &CommentEvent,
    collection_uri: &str,
    repository_id: Option<&str>,
) -> Result<(), UserError> {
    if organization(&event.collection) != organization(collection_uri) {
        return Err(UserError::new(format!(
            "the payload is for a pull request of {} but this pipeline runs in {}: nothing was done (the service hook must belong to this pipeline's organization)",
            event.collection.trim_end_matches('/'),
            collection_uri.trim_end_matches('/')
        )));
    }
    if let Some(expected) = repository_id
        && !expected.eq_ignore_ascii_case(&event.repository_id)
    {
        return Err(UserError::new(format!(
            "the payload is for a pull request of repository {} but this pipeline is for repository {expected}: nothing was done (filter the service hook on this repository)",
            event.repository_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/reference/azure-devops-service-hooks/pr_comment_event.sample.json"
        ))
        .unwrap()
    }

    #[test]
    fn the_documented_sample_is_read() {
        let event = parse(&sample(), "event.json").unwrap();
        assert_eq!(event.pull_request_id, 1);
        assert_eq!(
            event.collection,
            "https://fabrikam.visualstudio.com/DefaultCollection/"
        );
        assert_eq!(event.thread_id, Some(5));
        assert_eq!(
            event.project,
            "00000000-0000-0000-0000-000000000000abcd-1234-efgh-5678"
        );
        check_origin(&event, "https://dev.azure.com/Fabrikam/", None).unwrap();
        check_origin(
            &event,
            "https://fabrikam.visualstudio.com/",
            Some(&event.repository_id),
        )
        .unwrap();
    }

    #[test]
    fn foreign_payloads_are_refused_in_one_sentence() {
        let event = parse(&sample(), "event.json").unwrap();
        let other_org = check_origin(&event, "https://dev.azure.com/contoso/", None)
            .unwrap_err()
            .to_string();
        assert!(other_org.contains("contoso") && other_org.contains("nothing was done"));
        let other_repo = check_origin(&event, "https://dev.azure.com/fabrikam/", Some("r2"))
            .unwrap_err()
            .to_string();
        assert!(other_repo.contains("repository r2"), "{other_repo}");
    }

    #[test]
    fn other_events_are_refused() {
        let pushed = sample().replace(EVENT_TYPE, "git.push");
        let err = parse(&pushed, "event.json").unwrap_err().to_string();
        assert!(err.contains("`git.push`"), "{err}");
        assert!(parse("not json", "e.json").is_err());
        assert!(
            parse("{}", "e.json")
                .unwrap_err()
                .to_string()
                .contains("no eventType")
        );
    }

    #[test]
    fn organizations_compare_across_url_forms() {
        assert_eq!(organization("https://dev.azure.com/Org/"), "org");
        assert_eq!(
            organization("https://org.visualstudio.com/DefaultCollection/"),
            "org"
        );
        assert_eq!(organization("http://127.0.0.1:8080/org/"), "127.0.0.1/org");
    }
}
