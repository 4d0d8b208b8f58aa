//! The review in an Azure Repos PR validation build: the checked-out merge commit M, the PR's
//! source S and target T, full and `fetchDepth: 1` checkouts, and builds that are not for a PR.

use std::path::Path;

use crate::support::pull_request::PullRequestFixture;
use crate::support::{agent, git, git_text, run, stderr, stdout};
use serde_json::Value;

fn pipeline(command: &mut std::process::Command, pr: &PullRequestFixture, work: &Path) {
    command
        .env("TF_BUILD", "True")
        .env("BUILD_REASON", "PullRequest")
        .env("SYSTEM_PULLREQUEST_PULLREQUESTID", "1")
        .env("SYSTEM_PULLREQUEST_SOURCECOMMITID", &pr.source)
        .env("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main")
        .env("BUILD_SOURCEVERSION", &pr.merge)
        .env("BUILD_SOURCESDIRECTORY", work)
        .env("SYSTEM_COLLECTIONURI", "https://dev.azure.com/example/")
        .env("SYSTEM_TEAMPROJECT", "project");
}

fn review_in_pipeline(pr: &PullRequestFixture, work: &Path) -> std::process::Output {
    let mut command = agent(work);
    command.args([
        "review",
        "--dry-run",
        "--format",
        "json",
        "--filter-mode",
        "added",
    ]);
    pipeline(&mut command, pr, work);
    run(&mut command)
}

fn assert_reviewed_source_side(pr: &PullRequestFixture, output: &std::process::Output) {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(value["base"], pr.fork_point.as_str(), "merge-base(T, S)");
    assert_eq!(value["head"], pr.source.as_str(), "S, not the merge commit");
    let findings = value["findings"].as_array().expect("findings");
    let fixme = findings
        .iter()
        .find(|f| f["path"] == "src/app.rs")
        .unwrap_or_else(|| {
            panic!(
                "the FIXME is reported: {findings:?}; stderr: {}",
                stderr(output)
            )
        });
    assert_eq!(fixme["line"], 21, "S-side line (M has it at 31)");
    assert!(
        !findings.iter().any(|f| f["path"] == "CHANGELOG.md"),
        "target-branch changes are not the PR's"
    );
}

#[test]
fn full_checkout_reviews_merge_base_to_source() {
    let pr = PullRequestFixture::new(&[]);
    let work = pr.checkout(None);
    assert_reviewed_source_side(&pr, &review_in_pipeline(&pr, work.path()));
}

#[test]
fn shallow_checkout_fetches_what_it_needs() {
    let pr = PullRequestFixture::new(&[]);
    let work = pr.checkout(Some(1));
    assert_eq!(
        git_text(work.path(), ["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_reviewed_source_side(&pr, &review_in_pipeline(&pr, work.path()));
}

#[test]
fn shallow_checkout_without_origin_names_fetch_depth() {
    let pr = PullRequestFixture::new(&[]);
    let work = pr.checkout(Some(1));
    git(
        work.path(),
        ["remote", "set-url", "origin", "file:///nonexistent/origin"],
    );
    let output = review_in_pipeline(&pr, work.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("fetchDepth: 0"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_build_that_is_not_for_a_pull_request_has_nothing_to_review() {
    let pr = PullRequestFixture::new(&[]);
    let work = pr.checkout(None);
    let output = run(agent(work.path())
        .args(["review"])
        .env("TF_BUILD", "True")
        .env("BUILD_REASON", "IndividualCI"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("not a pull request build; nothing to review"),
        "{}",
        stdout(&output)
    );
}
