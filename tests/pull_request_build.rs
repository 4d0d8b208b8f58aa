//! The review in an Azure Repos PR validation build: the checked-out merge commit M, the PR's
//! source S and target T, full and `fetchDepth: 1` checkouts, and builds that are not for a PR.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Repo, agent, git, git_text, run, stderr, stdout};

struct PullRequest {
    origin: Repo,
    fork_point: String,
    source: String,
    merge: String,
}

/// origin: main moves on after the feature branch forks, and both touch `src/app.rs`; M merges
/// the feature into main and is published as `refs/pull/1/merge`, as Azure Repos does.
fn pull_request() -> PullRequest {
    let origin = Repo::new();
    let app: String = (1..=20).map(|i| format!("fn f{i}() {{}}\n")).collect();
    // `assertive` reports everything, the FIXME note (info) included.
    origin
        .write("src/app.rs", &app)
        .write("README.md", "# app\n")
        .write(".coderabbit.yaml", "reviews:\n  profile: assertive\n");
    let fork_point = origin.commit("base");
    origin.git(["checkout", "-q", "-b", "feature"]);
    let mut feature_app = app.clone();
    feature_app.push_str(&["// FIX", "ME: validate the input\n"].concat());
    origin.write("src/app.rs", &feature_app);
    let source = origin.commit("feature work");
    origin.git(["checkout", "-q", "main"]);
    // The target branch moves: ten lines at the top shift every line of M below S's numbers.
    let header: String = (1..=10).map(|i| format!("// header {i}\n")).collect();
    origin.write("src/app.rs", format!("{header}{app}"));
    origin.write("CHANGELOG.md", "main moved on\n");
    origin.commit("main moves");
    origin.git(["checkout", "-q", "--detach", "main"]);
    origin.git([
        "merge",
        "-q",
        "--no-ff",
        "feature",
        "-m",
        "Merge pull request 1",
    ]);
    let merge = origin.head();
    origin.git(["update-ref", "refs/pull/1/merge", &merge]);
    origin.git(["checkout", "-q", "main"]);
    PullRequest {
        origin,
        fork_point,
        source,
        merge,
    }
}

/// A checkout the way the pipeline's checkout step makes one: fetch the merge ref (optionally
/// with a depth) and check out M detached.
fn checkout(pr: &PullRequest, depth: Option<u32>) -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", pr.origin.path().display());
    git(work.path(), ["init", "-q"]);
    git(work.path(), ["remote", "add", "origin", &url]);
    let mut fetch = vec!["fetch".to_owned(), "-q".to_owned(), "--no-tags".to_owned()];
    if let Some(depth) = depth {
        fetch.push(format!("--depth={depth}"));
    }
    fetch.push("origin".to_owned());
    fetch.push("+refs/pull/1/merge:refs/remotes/pull/1/merge".to_owned());
    git(work.path(), &fetch);
    git(work.path(), ["checkout", "-q", "--detach", &pr.merge]);
    work
}

fn pipeline(command: &mut std::process::Command, pr: &PullRequest, work: &Path) {
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

fn review_in_pipeline(pr: &PullRequest, work: &Path) -> std::process::Output {
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

fn assert_reviewed_source_side(pr: &PullRequest, output: &std::process::Output) {
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
    let pr = pull_request();
    let work = checkout(&pr, None);
    assert_reviewed_source_side(&pr, &review_in_pipeline(&pr, work.path()));
}

#[test]
fn shallow_checkout_fetches_what_it_needs() {
    let pr = pull_request();
    let work = checkout(&pr, Some(1));
    assert_eq!(
        git_text(work.path(), ["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_reviewed_source_side(&pr, &review_in_pipeline(&pr, work.path()));
}

#[test]
fn shallow_checkout_without_origin_names_fetch_depth() {
    let pr = pull_request();
    let work = checkout(&pr, Some(1));
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
    let pr = pull_request();
    let work = checkout(&pr, None);
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
