//! Whether to review this pull request at all, from the PR itself and `reviews.auto_review`.

use crate::azure_devops::models::GitPullRequest;
use crate::config::AutoReview;

/// The decision, with the reason a skip is shown under (PR status description and log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Review,
    Skip(String),
}

/// Decides from the PR's draft flag, title, target branch, labels and author.
///
/// `base_branches`: an empty list reviews every target branch (the branch policy already chose
/// which builds run); otherwise the target must match one entry (a regular expression, or the
/// plain name) or be the repository's default branch when the PR says which that is.
pub(crate) fn decide(
    pr: &GitPullRequest,
    auto: &AutoReview,
    default_branch: Option<&str>,
) -> Decision {
    if !auto.enabled {
        return Decision::Skip(
            "automatic reviews are off (reviews.auto_review.enabled: false)".into(),
        );
    }
    if pr.is_draft == Some(true) && !auto.drafts {
        return Decision::Skip("draft".into());
    }
    let title = pr.title.to_lowercase();
    if let Some(keyword) = auto
        .ignore_title_keywords
        .iter()
        .find(|k| !k.trim().is_empty() && title.contains(&k.to_lowercase()))
    {
        return Decision::Skip(format!("title contains \"{keyword}\""));
    }
    let target = pr
        .target_ref_name
        .as_deref()
        .unwrap_or_default()
        .trim_start_matches("refs/heads/");
    if !auto.base_branches.is_empty() {
        let is_default =
            default_branch.is_some_and(|d| d.trim_start_matches("refs/heads/") == target);
        let listed = auto
            .base_branches
            .iter()
            .any(|pattern| branch_matches(pattern, target));
        if !is_default && !listed {
            return Decision::Skip(format!(
                "target branch {target} is not in reviews.auto_review.base_branches"
            ));
        }
    }
    let labels: Vec<String> = pr
        .labels
        .iter()
        .flatten()
        .filter(|l| l.active != Some(false))
        .filter_map(|l| l.name.as_deref().map(str::to_lowercase))
        .collect();
    let (excluded, required): (Vec<&String>, Vec<&String>) = auto
        .labels
        .iter()
        .filter(|l| !l.trim().is_empty())
        .partition(|l| l.trim_start().starts_with('!'));
    if let Some(label) = excluded
        .iter()
        .map(|l| l.trim_start().trim_start_matches('!').trim().to_lowercase())
        .find(|l| labels.contains(l))
    {
        return Decision::Skip(format!("label \"{label}\""));
    }
    if !required.is_empty()
        && !required
            .iter()
            .any(|l| labels.contains(&l.trim().to_lowercase()))
    {
        return Decision::Skip("none of the labels in reviews.auto_review.labels".into());
    }
    if let Some(author) = &pr.created_by {
        let names = [&author.unique_name, &author.display_name];
        let ignored = auto.ignore_usernames.iter().find(|ignored| {
            names.iter().any(|name| {
                name.as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(ignored.trim()))
            })
        });
        if let Some(user) = ignored {
            return Decision::Skip(format!(
                "author {user} is in reviews.auto_review.ignore_usernames"
            ));
        }
    }
    Decision::Review
}

fn branch_matches(pattern: &str, branch: &str) -> bool {
    let pattern = pattern.trim().trim_start_matches("refs/heads/");
    if pattern == branch {
        return true;
    }
    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(branch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure_devops::models::{IdentityRef, WebApiTagDefinition};

    fn pr() -> GitPullRequest {
        GitPullRequest {
            title: "Add login".into(),
            target_ref_name: Some("refs/heads/main".into()),
            created_by: Some(IdentityRef {
                id: Some("1".into()),
                display_name: Some("Dependabot".into()),
                unique_name: Some("dependabot@example.com".into()),
            }),
            ..GitPullRequest::default()
        }
    }

    #[test]
    fn drafts_are_skipped_unless_asked_for() {
        let mut draft = pr();
        draft.is_draft = Some(true);
        assert_eq!(
            decide(&draft, &AutoReview::default(), None),
            Decision::Skip("draft".into())
        );
        let auto = AutoReview {
            drafts: true,
            ..AutoReview::default()
        };
        assert_eq!(decide(&draft, &auto, None), Decision::Review);
    }

    #[test]
    fn title_keywords_branches_labels_and_authors() {
        let auto = AutoReview {
            ignore_title_keywords: vec!["WIP".into()],
            ..AutoReview::default()
        };
        let mut wip = pr();
        wip.title = "wip: add login".into();
        assert!(matches!(decide(&wip, &auto, None), Decision::Skip(r) if r.contains("WIP")));

        let auto = AutoReview {
            base_branches: vec!["release/.*".into()],
            ..AutoReview::default()
        };
        assert!(matches!(decide(&pr(), &auto, None), Decision::Skip(_)));
        assert_eq!(
            decide(&pr(), &auto, Some("refs/heads/main")),
            Decision::Review
        );
        let mut release = pr();
        release.target_ref_name = Some("refs/heads/release/1.2".into());
        assert_eq!(decide(&release, &auto, None), Decision::Review);

        let auto = AutoReview {
            labels: vec!["!skip-review".into()],
            ..AutoReview::default()
        };
        let mut labelled = pr();
        labelled.labels = Some(vec![WebApiTagDefinition {
            name: Some("Skip-Review".into()),
            active: Some(true),
        }]);
        assert!(matches!(decide(&labelled, &auto, None), Decision::Skip(_)));
        let auto = AutoReview {
            labels: vec!["review-me".into()],
            ..AutoReview::default()
        };
        assert!(matches!(decide(&pr(), &auto, None), Decision::Skip(_)));

        let auto = AutoReview {
            ignore_usernames: vec!["DEPENDABOT@example.com".into()],
            ..AutoReview::default()
        };
        assert!(matches!(decide(&pr(), &auto, None), Decision::Skip(_)));

        let auto = AutoReview {
            enabled: false,
            ..AutoReview::default()
        };
        assert!(matches!(decide(&pr(), &auto, None), Decision::Skip(_)));
        assert_eq!(
            decide(&pr(), &AutoReview::default(), None),
            Decision::Review
        );
    }
}
