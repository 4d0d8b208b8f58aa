//! The review in an Azure Repos PR validation build: the checked-out merge commit M, the PR's
//! source S and target T, full and `fetchDepth: 1` checkouts, and builds that are not for a PR.

use std::path::Path;

use crate::support::git_http::GitHttpServer;
use crate::support::pull_request::PullRequestFixture;
use crate::support::{agent, git, git_text, run, stderr, stdout};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
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

/// A stand-in PAT: not a real credential format.
const PAT: &str = "fake-pat-for-the-git-server-0001";

/// A `fetchDepth: 1` checkout whose origin is an Azure Repos-like git server over http that
/// demands a credential: the agent fetches what it needs with `CODERABBIT_PAT`, sent in the
/// `Authorization` header and nowhere else (not the URL, not the fetch's command line, not the
/// logs).
#[test]
fn a_shallow_checkout_fetches_over_http_with_the_credential_in_a_header_only() {
    let pr = PullRequestFixture::new(&[]);
    let served = tempfile::tempdir().expect("tempdir");
    git(
        served.path(),
        [
            "clone",
            "-q",
            "--mirror",
            pr.origin.path().to_str().expect("utf-8"),
            "repo.git",
        ],
    );
    let basic = format!("Basic {}", STANDARD.encode(format!(":{PAT}")));
    let server = GitHttpServer::start(served.path(), &basic);
    let url = server.url("repo.git");

    // The checkout step: fetchDepth 1 of the merge commit, authenticated by an extra header.
    let work = tempfile::tempdir().expect("tempdir");
    git(work.path(), ["init", "-q"]);
    git(work.path(), ["remote", "add", "origin", &url]);
    git(
        work.path(),
        [
            "-c",
            &format!("http.extraHeader=Authorization: {basic}"),
            "fetch",
            "-q",
            "--no-tags",
            "--depth=1",
            "origin",
            "+refs/pull/1/merge:refs/remotes/pull/1/merge",
        ],
    );
    git(
        work.path(),
        ["checkout", "-q", "--force", "--detach", &pr.merge],
    );
    assert_eq!(
        git_text(work.path(), ["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let checkout_requests = server.seen().len();

    // Every `git` the agent starts goes through a wrapper that writes down its arguments.
    let wrapper_dir = tempfile::tempdir().expect("tempdir");
    let argv_log = wrapper_dir.path().join("argv.log");
    let real_git = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("git"))
        .find(|candidate| candidate.is_file())
        .expect("git on PATH");
    let wrapper = wrapper_dir.path().join("git");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            argv_log.display(),
            real_git.display()
        ),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let path = std::env::join_paths(std::iter::once(wrapper_dir.path().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH");

    let mut command = agent(work.path());
    command.args([
        "review",
        "--dry-run",
        "--format",
        "json",
        "--filter-mode",
        "added",
    ]);
    pipeline(&mut command, &pr, work.path());
    command.env("PATH", path).env("CODERABBIT_PAT", PAT);
    let output = run(&mut command);
    assert_reviewed_source_side(&pr, &output);

    // The fetch reached the server, authenticated, with the credential in the header.
    let fetched = &server.seen()[checkout_requests..];
    assert!(!fetched.is_empty(), "the agent fetched from origin");
    for request in fetched {
        assert_eq!(
            request.authorization.as_deref(),
            Some(basic.as_str()),
            "{} {}",
            request.method,
            request.target
        );
        assert!(!request.target.contains(PAT), "{}", request.target);
    }
    assert!(
        fetched
            .iter()
            .any(|r| r.method == "POST" && r.target.ends_with("/git-upload-pack")),
        "{fetched:?}"
    );
    // …and nowhere else.
    let argv = std::fs::read_to_string(&argv_log).expect("the agent ran git");
    assert!(argv.lines().any(|l| l.starts_with("fetch")), "{argv}");
    let encoded = STANDARD.encode(format!(":{PAT}"));
    for (place, text) in [
        ("the fetch's command line", argv),
        ("stdout", stdout(&output)),
        ("stderr", stderr(&output)),
        (
            "origin's URL",
            git_text(work.path(), ["remote", "get-url", "origin"]),
        ),
        (
            "the repository's config",
            std::fs::read_to_string(work.path().join(".git/config")).expect("config"),
        ),
    ] {
        // The masking command is how the agent asks the pipeline to hide the credential.
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("##vso[task.setsecret]"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !text.contains(PAT) && !text.contains(&encoded),
            "the credential is in {place}: {text}"
        );
    }
}
