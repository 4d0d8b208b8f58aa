//! Where the agent runs: an Azure Pipelines pull request build, another pipeline build, or a
//! developer's checkout, from the predefined variables (read once by `crate::settings`).

/// The pull request a PR validation build is for, from the predefined variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequestBuild {
    pub collection_uri: String,
    pub project: String,
    pub repository_id: String,
    pub repository_uri: String,
    pub pull_request_id: u32,
    /// S: the PR's source commit.
    pub source_commit: String,
    /// e.g. `refs/heads/main`.
    pub target_branch: String,
    /// M: the synthetic merge commit the build checked out.
    pub source_version: String,
    pub sources_directory: Option<String>,
    pub build_id: Option<String>,
}

/// Where we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// Not in a pipeline: review and print.
    Local,
    /// A pipeline build that is not for a pull request (`BUILD_REASON` says why it ran).
    OtherBuild { reason: String },
    /// A pull request validation build.
    PullRequest(PullRequestBuild),
}

impl Context {
    /// Reads the context through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let in_pipeline = get("TF_BUILD").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !in_pipeline {
            return Context::Local;
        }
        let pr_id = get("SYSTEM_PULLREQUEST_PULLREQUESTID").and_then(|v| v.parse::<u32>().ok());
        let Some(pull_request_id) = pr_id else {
            return Context::OtherBuild {
                reason: get("BUILD_REASON").unwrap_or_else(|| "unknown".to_owned()),
            };
        };
        Context::PullRequest(PullRequestBuild {
            collection_uri: get("SYSTEM_COLLECTIONURI").unwrap_or_default(),
            project: get("SYSTEM_TEAMPROJECT")
                .or_else(|| get("SYSTEM_TEAMPROJECTID"))
                .unwrap_or_default(),
            repository_id: get("BUILD_REPOSITORY_ID").unwrap_or_default(),
            repository_uri: get("BUILD_REPOSITORY_URI").unwrap_or_default(),
            pull_request_id,
            source_commit: get("SYSTEM_PULLREQUEST_SOURCECOMMITID").unwrap_or_default(),
            target_branch: get("SYSTEM_PULLREQUEST_TARGETBRANCH").unwrap_or_default(),
            source_version: get("BUILD_SOURCEVERSION").unwrap_or_default(),
            sources_directory: get("BUILD_SOURCESDIRECTORY"),
            build_id: get("BUILD_BUILDID"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn context(vars: &[(&str, &str)]) -> Context {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Context::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn outside_a_pipeline_is_local() {
        assert_eq!(context(&[]), Context::Local);
        assert_eq!(
            context(&[("SYSTEM_PULLREQUEST_PULLREQUESTID", "1")]),
            Context::Local
        );
    }

    #[test]
    fn a_ci_build_is_not_a_pull_request() {
        assert_eq!(
            context(&[("TF_BUILD", "True"), ("BUILD_REASON", "IndividualCI")]),
            Context::OtherBuild {
                reason: "IndividualCI".into()
            }
        );
    }

    #[test]
    fn a_pr_build_reads_the_predefined_variables() {
        let ctx = context(&[
            ("TF_BUILD", "True"),
            ("SYSTEM_PULLREQUEST_PULLREQUESTID", "42"),
            ("SYSTEM_TEAMPROJECTID", "p-id"),
            ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
        ]);
        let Context::PullRequest(pr) = ctx else {
            panic!("expected a PR build")
        };
        assert_eq!(pr.pull_request_id, 42);
        assert_eq!(pr.project, "p-id");
        assert_eq!(pr.target_branch, "refs/heads/main");
    }
}
