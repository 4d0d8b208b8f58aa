//! The review posted to a pull request, end to end: the real binary in a PR build environment
//! against the Azure DevOps emulator, on fixture repositories that look like an Azure Repos PR
//! checkout. Every request the binary makes is validated against the official 7.1 reference.

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::emulator::{Emulator, Identity, IterationSeed, PullRequestSeed, WriteFault};
use crate::support::pull_request::{PullRequestFixture, marker};
use crate::support::{agent, run, stderr, stdout};
use base64::Engine as _;
use serde_json::Value;

/// A stand-in token: not a real credential format.
const TOKEN: &str = "fake-token-for-the-emulator-0001";
const REPOSITORY_ID: &str = "3a1c5e6f-1111-4222-8333-944455556666";

struct Setup {
    ado: Emulator,
    fixture: PullRequestFixture,
    work: tempfile::TempDir,
    temp: tempfile::TempDir,
}

fn feature_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "src/merge.rs",
            marker(&[
                "fn a() {}\n<<<<<<",
                "< HEAD\nlet a = 1;\n=======\nlet a = 2;\n>>>>>>",
                "> feature\n",
            ]),
        ),
        (
            "web/app.test.js",
            marker(&[
                "describe(\"app\", () => {\n  it.on",
                "ly(\"works\", () => {\n    expect(1).toBe(1);\n  });\n});\n",
            ]),
        ),
        (
            "src/debug.rs",
            marker(&["pub fn show(x: u32) -> u32 {\n    d", "bg!(x)\n}\n"]),
        ),
    ]
}

fn seed(fixture: &PullRequestFixture, draft: bool) -> PullRequestSeed {
    PullRequestSeed {
        title: "Add the feature".into(),
        is_draft: draft,
        ..PullRequestSeed::at(
            &fixture.source,
            &fixture.target,
            &fixture.fork_point,
            &fixture.merge,
            &fixture.changes(),
        )
    }
}

fn setup_with(files: &[(&str, String)], depth: Option<u32>, draft: bool) -> Setup {
    let fixture = PullRequestFixture::new(files);
    let ado = Emulator::start();
    ado.add_token(
        TOKEN,
        Identity::new(
            "CodeRabbit",
            "coderabbit@example.com",
            "c0de4abb-1700-4000-8000-000000000001",
        ),
        &["code_read", "code_write"],
    );
    ado.add_repository("project", REPOSITORY_ID, "app");
    ado.add_pull_request(seed(&fixture, draft));
    let work = fixture.checkout(depth);
    Setup {
        ado,
        fixture,
        work,
        temp: tempfile::tempdir().expect("tempdir"),
    }
}

fn setup() -> Setup {
    setup_with(&feature_files(), None, false)
}

/// The binary as a PR build step runs it: the predefined variables of PR 1, in the checkout.
fn in_pipeline(setup: &Setup, args: &[&str]) -> std::process::Command {
    let mut command = agent(setup.work.path());
    command.args(args);
    for (key, value) in setup.ado.pipeline_env(1) {
        command.env(key, value);
    }
    command.env("BUILD_SOURCESDIRECTORY", setup.work.path());
    command
}

fn review(setup: &Setup, token: &str, args: &[&str]) -> Output {
    let mut command = in_pipeline(setup, &["review"]);
    command
        .args(args)
        .env("BUILD_BUILDID", "42")
        .env("AGENT_TEMPDIRECTORY", setup.temp.path())
        .env("CODERABBIT_PAT", token)
        .env("CODERABBIT_MAX_RETRY_WAIT_SECS", "20");
    run(&mut command)
}

/// The findings in the fixture's files, as a person reading `feature_files` and the fixture's
/// `src/app.rs` finds them: file, line on the source branch (S), rule.
const FIXTURE_FINDINGS: &[(&str, u64, &str)] = &[
    ("src/app.rs", 21, "comments/todo"),
    ("src/debug.rs", 2, "debugging/dbg-macro"),
    ("src/merge.rs", 2, "conflicts/unresolved-marker"),
    ("web/app.test.js", 2, "tests/focused-test"),
];

/// The finding threads as (file, line, rule): the rule is the one of `rules` the comment names.
fn posted_findings(threads: &[Value], rules: &[&str]) -> Vec<(String, u64, String)> {
    let mut posted: Vec<(String, u64, String)> = ours(threads, "finding")
        .into_iter()
        .filter(|t| t["status"] != "closed")
        .map(|thread| {
            let context = &thread["threadContext"];
            let path = context["filePath"].as_str().unwrap_or_default();
            let content = thread["comments"][0]["content"]
                .as_str()
                .unwrap_or_default();
            let rule = rules
                .iter()
                .find(|rule| content.contains(*rule))
                .unwrap_or_else(|| panic!("no rule of {rules:?} named in {content}"));
            (
                path.trim_start_matches('/').to_owned(),
                context["rightFileStart"]["line"]
                    .as_u64()
                    .unwrap_or_default(),
                (*rule).to_owned(),
            )
        })
        .collect();
    posted.sort();
    posted
}

/// Asserts the open finding threads are exactly the fixture's findings, once each.
fn assert_fixture_findings_posted(threads: &[Value]) {
    let rules: Vec<&str> = FIXTURE_FINDINGS.iter().map(|(_, _, rule)| *rule).collect();
    let expected: Vec<(String, u64, String)> = FIXTURE_FINDINGS
        .iter()
        .map(|(path, line, rule)| ((*path).to_owned(), *line, (*rule).to_owned()))
        .collect();
    assert_eq!(posted_findings(threads, &rules), expected);
}

fn property(thread: &Value, key: &str) -> Option<String> {
    let value = &thread["properties"][key];
    let inner = value.get("$value").unwrap_or(value);
    match inner {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ours<'a>(threads: &'a [Value], kind: &str) -> Vec<&'a Value> {
    threads
        .iter()
        .filter(|t| property(t, "CodeRabbit.Kind").as_deref() == Some(kind))
        .collect()
}

fn assert_ok(output: &Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The token never appears in output or in a request body, raw or as its Basic header.
fn assert_no_leak(setup: &Setup, outputs: &[&Output]) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{TOKEN}"));
    for output in outputs {
        for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            let masked: String = text
                .lines()
                .filter(|l| !l.starts_with("##vso[task.setsecret]"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(!masked.contains(TOKEN), "token in {name}");
            assert!(!masked.contains(&basic), "Basic form in {name}");
        }
    }
    for request in setup.ado.requests() {
        let body = request.body_text();
        assert!(
            !body.contains(TOKEN) && !body.contains(&basic),
            "token in a {} {} body",
            request.method,
            request.path
        );
        assert!(
            !request.path.contains(TOKEN) && !request.query.contains(TOKEN),
            "token in a URL"
        );
    }
}

#[test]
fn first_review_posts_each_finding_on_its_source_line_with_a_summary_and_a_status() {
    let setup = setup();
    let output = review(&setup, TOKEN, &[]);
    assert_ok(&output);

    let out = stdout(&output);
    assert!(
        out.starts_with("##vso[task.setsecret]"),
        "masking comes first: {out}"
    );
    assert!(out.contains("##vso[task.logissue type="), "{out}");
    assert!(out.contains("##vso[task.uploadsummary]"), "{out}");
    assert!(
        out.contains("##vso[task.complete result=SucceededWithIssues;]"),
        "{out}"
    );

    let threads = setup.ado.threads(1);
    // Lines are S-side: the FIXME is line 21 of src/app.rs in S (31 in the merge commit).
    assert_fixture_findings_posted(&threads);
    let findings = ours(&threads, "finding");
    for thread in &findings {
        let context = &thread["threadContext"];
        assert_eq!(context["rightFileStart"]["offset"], 1);
        assert_eq!(
            context["rightFileEnd"]["line"], context["rightFileStart"]["line"],
            "every fixture finding is on one line: {thread}"
        );
        assert!(
            thread["pullRequestThreadContext"]["changeTrackingId"]
                .as_u64()
                .is_some(),
            "{thread}"
        );
        assert_eq!(
            thread["pullRequestThreadContext"]["iterationContext"]["secondComparingIteration"],
            1
        );
        assert_eq!(thread["status"], "active");
        assert_eq!(
            property(
                thread,
                "Microsoft.TeamFoundation.Discussion.SupportsMarkdown"
            )
            .as_deref(),
            Some("1")
        );
        let fingerprint = property(thread, "CodeRabbit.Fingerprint").expect("a fingerprint");
        let content = thread["comments"][0]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(
            !content.contains(&fingerprint),
            "bookkeeping stays out of the text"
        );
        assert_eq!(thread["comments"][0]["author"]["displayName"], "CodeRabbit");
    }
    // The focused test carries a suggestion covering exactly its line.
    let focused = findings
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/web/app.test.js")
        .expect("focused test thread");
    let content = focused["comments"][0]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        content.contains("```suggestion\n  it(\"works\", () => {\n```"),
        "{content}"
    );
    assert_eq!(
        focused["threadContext"]["rightFileStart"]["line"],
        focused["threadContext"]["rightFileEnd"]["line"]
    );
    assert_eq!(
        focused["threadContext"]["rightFileEnd"]["offset"],
        "  it.only(\"works\", () => {".len() + 1
    );

    let summaries = ours(&threads, "summary");
    assert_eq!(summaries.len(), 1);
    assert!(
        summaries[0].get("threadContext").is_none_or(Value::is_null),
        "the summary is PR-level"
    );
    let summary = summaries[0]["comments"][0]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("## CodeRabbit review") && summary.contains("Reviewed iteration 1"),
        "{summary}"
    );
    assert!(summary.contains(&format!("coderabbit-agent {}", env!("CARGO_PKG_VERSION"))));

    let statuses = setup.ado.statuses(1);
    let states: Vec<&str> = statuses
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(states, ["pending", "succeeded"]);
    let last = statuses.last().expect("status");
    assert_eq!(last["context"]["genre"], "coderabbit");
    assert_eq!(last["context"]["name"], "review");
    assert!(
        last["targetUrl"]
            .as_str()
            .is_some_and(|u| u.ends_with("/_build/results?buildId=42")),
        "{last}"
    );
    assert_no_leak(&setup, &[&output]);
}

#[test]
fn an_unchanged_rerun_posts_nothing_and_makes_at_most_four_requests() {
    let setup = setup();
    assert_ok(&review(&setup, TOKEN, &[]));
    let before = setup.ado.threads(1);
    setup.ado.reset_counters();
    let output = review(&setup, TOKEN, &[]);
    assert_ok(&output);
    assert!(
        setup.ado.request_count() <= 4,
        "{} requests: {:?}",
        setup.ado.request_count(),
        setup
            .ado
            .requests()
            .iter()
            .rev()
            .take(setup.ado.request_count())
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    let after = setup.ado.threads(1);
    assert_eq!(after.len(), before.len());
    assert_eq!(ours(&after, "summary").len(), 1);
    setup.ado.assert_no_violations();
}

#[test]
fn a_pushed_fix_marks_its_thread_fixed_and_leaves_a_thread_a_person_replied_to() {
    let mut setup = setup();
    assert_ok(&review(&setup, TOKEN, &[]));
    let threads = setup.ado.threads(1);
    let on = |path: &str| -> u32 {
        ours(&threads, "finding")
            .iter()
            .find(|t| t["threadContext"]["filePath"] == path)
            .and_then(|t| t["id"].as_u64())
            .unwrap_or_else(|| panic!("thread on {path}")) as u32
    };
    let conflict = on("/src/merge.rs");
    let debug = on("/src/debug.rs");
    setup.ado.add_human_reply(1, debug, "Intentional, keep it.");

    // Fix both problems in a new push.
    setup.fixture.push_to_feature(&[
        ("src/merge.rs", Some("fn a() {}\nlet a = 2;\n".to_owned())),
        (
            "src/debug.rs",
            Some("pub fn show(x: u32) -> u32 {\n    x\n}\n".to_owned()),
        ),
    ]);
    let fixture = &setup.fixture;
    setup.ado.push_iteration(
        1,
        IterationSeed::at(
            &fixture.source,
            &fixture.target,
            &fixture.fork_point,
            &fixture.merge,
            &fixture.changes(),
        ),
    );
    fixture.checkout_into(setup.work.path(), None);
    let output = review(&setup, TOKEN, &[]);
    assert_ok(&output);
    setup.ado.assert_no_violations();
    let thread = |id: u32| {
        setup
            .ado
            .threads(1)
            .into_iter()
            .find(|t| t["id"] == id)
            .expect("thread")
    };
    assert_eq!(thread(conflict)["status"], "fixed");
    assert_eq!(
        thread(debug)["status"],
        "active",
        "a thread a person replied to is left alone"
    );
    let summaries = ours(&setup.ado.threads(1), "summary").len();
    assert_eq!(summaries, 1, "the summary is edited in place");
    let summary = ours(&setup.ado.threads(1), "summary")[0]["comments"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(summary.contains("Reviewed iteration 2"), "{summary}");
}

#[test]
fn a_rejected_token_says_how_to_replace_it() {
    let setup = setup();
    let output = review(&setup, "expired-token", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains("the token was rejected"), "{err}");
    assert!(
        err.contains("create a new PAT for the CodeRabbit user and update the secret variable"),
        "{err}"
    );
    assert!(!err.contains("expired-token"), "the token is never printed");
    assert!(setup.ado.threads(1).is_empty());
}

#[test]
fn storms_of_429_and_5xx_are_waited_out() {
    let setup = setup();
    setup.ado.rate_limit_next(3, 1);
    setup.ado.fail_next(2, 503);
    let output = review(&setup, TOKEN, &[]);
    assert_ok(&output);
    let threads = setup.ado.threads(1);
    assert_fixture_findings_posted(&threads);
    assert_eq!(ours(&threads, "summary").len(), 1);
}

#[test]
fn a_run_killed_half_way_is_completed_by_the_next_without_duplicates() {
    let setup = setup();
    // The service stops answering after the status and two threads.
    setup.ado.fail_after_writes(3);
    let output = review(&setup, TOKEN, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    setup.ado.clear_faults();
    assert_ok(&review(&setup, TOKEN, &[]));
    let threads = setup.ado.threads(1);
    assert_fixture_findings_posted(&threads);
    let findings = ours(&threads, "finding");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for thread in findings {
        *seen
            .entry(property(thread, "CodeRabbit.Fingerprint").unwrap_or_default())
            .or_default() += 1;
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "each finding exactly once: {seen:?}"
    );
    assert_eq!(ours(&threads, "summary").len(), 1);
}

#[test]
fn a_draft_is_skipped_and_the_status_says_so() {
    let setup = setup_with(&feature_files(), None, true);
    let output = review(&setup, TOKEN, &[]);
    assert_ok(&output);
    assert!(setup.ado.threads(1).is_empty());
    let statuses = setup.ado.statuses(1);
    let last = statuses.last().expect("a status");
    assert_eq!(last["state"], "notApplicable");
    assert_eq!(last["description"], "skipped: draft");
    setup.ado.assert_no_violations();
}

#[test]
fn a_shallow_checkout_is_reviewed_and_posted() {
    let setup = setup_with(&feature_files(), Some(1), false);
    assert_ok(&review(&setup, TOKEN, &[]));
    assert_fixture_findings_posted(&setup.ado.threads(1));
    setup.ado.assert_no_violations();
}

#[test]
fn a_pull_request_with_many_changed_files_is_anchored_across_pages() {
    // 1,050 changed files: more than one page of iteration changes. Files late in the list
    // carry the most severe findings, so they are the ones posted.
    let mut files: Vec<(String, String)> = (0..1_050)
        .map(|i| (format!("gen/file{i:04}.txt"), format!("line {i}\n")))
        .collect();
    for i in [1_020usize, 1_030, 1_040] {
        files[i].1 = marker(&["<<<<<<", "< HEAD\na\n=======\nb\n>>>>>>", "> x\n"]);
    }
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let setup = setup_with(&borrowed, None, false);
    let output = review(&setup, TOKEN, &["--max-comments", "3"]);
    assert_ok(&output);
    setup.ado.assert_no_violations();
    let threads = setup.ado.threads(1);
    let posted = ours(&threads, "finding");
    assert_eq!(posted.len(), 3, "the cap");
    for thread in posted {
        let path = thread["threadContext"]["filePath"]
            .as_str()
            .unwrap_or_default();
        assert!(path.starts_with("/gen/file10"), "{path}");
        assert!(
            thread["pullRequestThreadContext"]["changeTrackingId"]
                .as_u64()
                .is_some(),
            "{thread}"
        );
    }
    let summary = ours(&threads, "summary")[0]["comments"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("Not posted as inline comments"),
        "overflow listed"
    );
    let pages = setup
        .ado
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/changes"))
        .count();
    assert!(
        pages >= 2,
        "iteration changes were paged ({pages} requests)"
    );
}

#[test]
fn a_fork_without_the_secret_warns_and_exits_zero() {
    let setup = setup();
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("SYSTEM_PULLREQUEST_ISFORK", "True");
    let output = run(&mut command);
    assert_ok(&output);
    assert!(stdout(&output).contains("fork"), "{}", stdout(&output));
    assert_eq!(setup.ado.request_count(), 0);
}

#[test]
fn a_missing_token_says_how_to_map_the_secret() {
    let setup = setup();
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", "$(CodeRabbitPAT)");
    let output = run(&mut command);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("accessToken: $(CodeRabbitPAT)"),
        "{}",
        stderr(&output)
    );
}

/// Benchmark, not a test of timing: `cargo test --release --test it benchmark_posting_200_findings -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: run explicitly"]
fn benchmark_posting_200_findings_with_50ms_latency() {
    // 199 notes plus the fixture's own FIXME: 200 findings.
    let files: Vec<(String, String)> = (0..199)
        .map(|i| {
            (
                format!("notes/n{i:03}.rs"),
                marker(&["// TO", &format!("DO: item {i}\n")]),
            )
        })
        .collect();
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let setup = setup_with(&borrowed, None, false);
    setup.ado.set_latency(Duration::from_millis(50));
    let start = Instant::now();
    let output = review(&setup, TOKEN, &["--max-comments", "200"]);
    let first = start.elapsed();
    assert_ok(&output);
    let posted = ours(&setup.ado.threads(1), "finding").len();
    let first_requests = setup.ado.request_count();
    setup.ado.reset_counters();
    let start = Instant::now();
    assert_ok(&review(&setup, TOKEN, &["--max-comments", "200"]));
    let rerun = start.elapsed();
    println!(
        "first run: {posted} threads, {first_requests} requests, {:.2} s wall (50 ms latency per request)",
        first.as_secs_f64()
    );
    println!(
        "unchanged re-run: {} requests, {:.2} s wall",
        setup.ado.request_count(),
        rerun.as_secs_f64()
    );
    for request in setup
        .ado
        .requests()
        .iter()
        .rev()
        .take(setup.ado.request_count())
        .rev()
    {
        println!(
            "  {} {} -> {:?}",
            request.method, request.path, request.status
        );
    }
    let _ = Path::new(".");
}

#[test]
fn a_missing_permission_names_it_and_the_repository() {
    let setup = setup();
    setup
        .ado
        .deny_permission(TOKEN, crate::emulator::Permission::PullRequestContribute);
    let output = review(&setup, TOKEN, &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("PullRequestContribute"), "{err}");
    assert!(err.contains(REPOSITORY_ID), "names the repository: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn the_service_asking_to_slow_down_is_honoured() {
    let setup = setup();
    setup.ado.throttle_next(2, 0.5);
    let start = Instant::now();
    assert_ok(&review(&setup, TOKEN, &[]));
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "X-RateLimit-Delay waited out"
    );
    setup.ado.assert_no_violations();
}

#[test]
fn no_secret_in_a_trace_log() {
    let setup = setup();
    let mut command = in_pipeline(&setup, &["review", "-vvv"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN)
        .env("RUST_LOG", "trace");
    let output = run(&mut command);
    assert_ok(&output);
    assert!(stderr(&output).len() > 1000, "a trace log was written");
    assert_no_leak(&setup, &[&output]);
}

fn doctor(setup: &Setup, token: &str, plan: &str) -> Output {
    let mut command = in_pipeline(setup, &["doctor"]);
    command
        .env("CODERABBIT_PAT", token)
        .env("CODERABBIT_PLAN", plan)
        .env("BUILD_BUILDID", "42");
    run(&mut command)
}

#[test]
fn doctor_says_who_the_token_is_and_checks_without_writing() {
    let setup = setup();
    setup.ado.add_build(crate::emulator::BuildSeed {
        id: 42,
        pull_request_id: Some(1),
        ..crate::emulator::BuildSeed::default()
    });
    let output = doctor(&setup, TOKEN, "pro");
    let out = stdout(&output);
    assert!(
        out.contains("ok    token: authenticates as CodeRabbit <coderabbit@example.com>"),
        "{out}"
    );
    assert!(out.contains("ok    read the pull request"), "{out}");
    assert!(out.contains("ok    list threads"), "{out}");
    // This token has no Build (Read) scope: the timeline check fails and names the scope.
    assert!(
        out.contains("FAIL  read the build timeline") && out.contains("Build (Read)"),
        "{out}"
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(setup.ado.write_count(), 0, "doctor never writes");

    let free = doctor(&setup, TOKEN, "free");
    assert_eq!(free.status.code(), Some(0), "{}", stdout(&free));
    assert!(stdout(&free).contains("skip  read the build timeline"));

    let bad = doctor(&setup, "expired-token", "free");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stdout(&bad).contains("FAIL  token: the token was rejected"),
        "{}",
        stdout(&bad)
    );
    setup.ado.assert_no_violations();
}

#[test]
fn doctor_warns_when_the_token_belongs_to_a_person() {
    let setup = setup();
    setup.ado.add_token(
        "someones-own-token",
        Identity::new(
            "Jane Doe",
            "jane@example.com",
            "99999999-0000-4000-8000-000000000009",
        ),
        &["code_read", "code_write"],
    );
    let output = doctor(&setup, "someones-own-token", "free");
    let out = stdout(&output);
    assert!(
        out.contains("warn  reviewer identity: reviews will be attributed to Jane Doe"),
        "{out}"
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_pull_request_that_does_not_exist_is_named() {
    let setup = setup();
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("SYSTEM_PULLREQUEST_PULLREQUESTID", "999")
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN);
    let output = run(&mut command);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("pull request 999") && err.contains("was not found"),
        "{err}"
    );
}

#[test]
fn the_build_service_token_works_with_a_warning() {
    let setup = setup();
    setup.ado.add_job_token(
        "build-service-token",
        Identity::build_service(),
        &["code_read", "code_write"],
    );
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("SYSTEM_ACCESSTOKEN", "build-service-token");
    let output = run(&mut command);
    assert_ok(&output);
    assert!(
        stdout(&output).contains("comments will come from the project's build service"),
        "{}",
        stdout(&output)
    );
    let authorization = setup.ado.requests()[0]
        .header("authorization")
        .map(str::to_owned)
        .unwrap_or_default();
    assert_eq!(authorization, "Bearer build-service-token");
    assert!(!ours(&setup.ado.threads(1), "summary").is_empty());
}

#[test]
fn a_linters_findings_on_the_merge_commit_are_moved_to_source_lines() {
    let setup = setup();
    // The linter ran on the checkout (M): line 31 of src/app.rs in M is line 21 in S; line 5 is a
    // header line only the target branch has.
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lintall", "rules": [{"id": "L001"}]}},
            "results": [
                {"ruleId": "L001", "level": "error", "message": {"text": "validate before use"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": format!("file://{}/src/app.rs", setup.work.path().display())}, "region": {"startLine": 31}}}]},
                {"ruleId": "L001", "level": "error", "message": {"text": "header style"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.rs"}, "region": {"startLine": 5}}}]}
            ]
        }]
    });
    let file = setup.temp.path().join("lint.sarif");
    std::fs::write(&file, sarif.to_string()).expect("write sarif");
    let output = review(
        &setup,
        TOKEN,
        &["--findings", file.to_str().expect("utf-8")],
    );
    assert_ok(&output);
    setup.ado.assert_no_violations();
    let threads = setup.ado.threads(1);
    let lint = ours(&threads, "finding")
        .into_iter()
        .find(|t| {
            t["comments"][0]["content"]
                .as_str()
                .is_some_and(|c| c.contains("validate before use"))
        })
        .expect("the linter's finding is posted");
    assert_eq!(lint["threadContext"]["filePath"], "/src/app.rs");
    assert_eq!(
        lint["threadContext"]["rightFileStart"]["line"], 21,
        "moved from M line 31 to S line 21"
    );
    assert!(
        !ours(&threads, "finding")
            .iter()
            .any(|t| t["comments"][0]["content"]
                .as_str()
                .is_some_and(|c| c.contains("header style"))),
        "a line S does not have is never commented on"
    );
    let summary = ours(&threads, "summary")[0]["comments"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("header style") && summary.contains("merge commit"),
        "{summary}"
    );
}

#[test]
fn requests_go_through_the_agents_proxy_with_its_credentials() {
    let setup = setup();
    let proxy = crate::support::proxy::Proxy::start();
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN)
        .env("AGENT_PROXYURL", proxy.url())
        .env("AGENT_PROXYUSERNAME", "builder")
        .env("AGENT_PROXYPASSWORD", "proxy-secret-value");
    let output = run(&mut command);
    assert_ok(&output);
    let seen = proxy.seen();
    assert!(
        seen.len() >= 4,
        "every request went through the proxy: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|p| p.request_line.contains("/org/project/_apis/")),
        "{seen:?}"
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("builder:proxy-secret-value");
    assert!(
        seen.iter()
            .all(|p| p.proxy_authorization.as_deref() == Some(format!("Basic {basic}").as_str())),
        "{seen:?}"
    );
    assert!(
        stdout(&output).contains("##vso[task.setsecret]proxy-secret-value"),
        "the proxy password is masked"
    );
    assert_eq!(ours(&setup.ado.threads(1), "summary").len(), 1);

    // The bypass list sends matching URLs direct.
    let before = proxy.seen().len();
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN)
        .env("AGENT_PROXYURL", proxy.url())
        .env("AGENT_PROXYBYPASSLIST", r#"["127\\.0\\.0\\.1"]"#);
    assert_ok(&run(&mut command));
    assert_eq!(proxy.seen().len(), before, "bypassed");

    // The standard variables work too.
    let mut command = in_pipeline(&setup, &["review"]);
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN)
        .env("HTTP_PROXY", proxy.url());
    assert_ok(&run(&mut command));
    assert!(proxy.seen().len() > before, "HTTP_PROXY honoured");
}

/// The CodeRabbit identity the test token belongs to.
fn coderabbit() -> Identity {
    Identity::new(
        "CodeRabbit",
        "coderabbit@example.com",
        "c0de4abb-1700-4000-8000-000000000001",
    )
}

/// A thread as posted, from one read back (typed properties back to their written form).
fn as_posted(thread: &Value) -> Value {
    let properties: serde_json::Map<String, Value> = thread["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            let typed = serde_json::json!({"type": value["$type"], "value": value["$value"]});
            (key.clone(), typed)
        })
        .collect();
    let mut posted = serde_json::json!({
        "comments": [{"parentCommentId": 0, "content": thread["comments"][0]["content"], "commentType": "text"}],
        "properties": properties,
    });
    for key in ["status", "threadContext", "pullRequestThreadContext"] {
        if !thread[key].is_null() {
            posted[key] = thread[key].clone();
        }
    }
    posted
}

#[test]
fn copies_left_by_two_runs_that_raced_are_closed_by_the_next() {
    let setup = setup();
    assert_ok(&review(&setup, TOKEN, &[]));
    // Two builds of the same PR that ran at once both posted: copy a finding and the summary.
    let threads = setup.ado.threads(1);
    let finding = ours(&threads, "finding")[0].clone();
    let summary = ours(&threads, "summary")[0].clone();
    let copy = setup
        .ado
        .add_thread_as(1, &coderabbit(), as_posted(&finding));
    let summary_copy = setup
        .ado
        .add_thread_as(1, &coderabbit(), as_posted(&summary));

    assert_ok(&review(&setup, TOKEN, &[]));
    let threads = setup.ado.threads(1);
    let status = |id: u32| {
        threads
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(
        status(copy),
        "closed",
        "the later copy of a finding is closed"
    );
    assert_eq!(
        status(summary_copy),
        "closed",
        "the later summary is closed"
    );
    assert_eq!(
        status(finding["id"].as_u64().unwrap_or_default() as u32),
        "active",
        "the first stays"
    );
    assert_fixture_findings_posted(&threads);
    setup.ado.assert_no_violations();
}

/// A run that met `fault` either completed (a 5xx is retried, after checking whether the write
/// was stored), or (a POST whose connection dropped is not retried) stopped with exit 2 and
/// naming the failure, and then the next run, on a healthy service, completes it.
fn settle(setup: &Setup, output: &Output, fault: WriteFault) {
    match output.status.code() {
        Some(0) => {}
        Some(2)
            if matches!(
                fault,
                WriteFault::RefusedDropped | WriteFault::AppliedThenDropped
            ) =>
        {
            assert!(
                stderr(output).contains("the connection failed during the request"),
                "{fault:?}: {}",
                stderr(output)
            );
            setup.ado.clear_faults();
            assert_ok(&review(setup, TOKEN, &[]));
        }
        _ => panic!(
            "{fault:?}: exit {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            stdout(output),
            stderr(output)
        ),
    }
}

/// Each finding and the summary posted once, whatever happened to the first try of each thread.
fn thread_posts_suffer(fault: WriteFault) {
    {
        let setup = setup();
        // Every thread's first POST (four findings and the summary) suffers the fault.
        setup
            .ado
            .fault_next_writes(r"^POST .*/pullRequests/1/threads$", 5, fault);
        let output = review(&setup, TOKEN, &[]);
        settle(&setup, &output, fault);
        let threads = setup.ado.threads(1);
        assert_fixture_findings_posted(&threads);
        assert_eq!(
            ours(&threads, "finding").len(),
            FIXTURE_FINDINGS.len(),
            "{fault:?}: a finding posted twice"
        );
        assert_eq!(
            ours(&threads, "summary").len(),
            1,
            "{fault:?}: the summary posted twice"
        );
    }
}

/// An edit of the summary (or a finding's status) that failed, or whose answer was lost, is not
/// repeated as a new summary.
fn thread_edits_suffer(fault: WriteFault) {
    {
        let mut setup = setup();
        assert_ok(&review(&setup, TOKEN, &[]));
        setup.fixture.push_to_feature(&[(
            "src/debug.rs",
            Some("pub fn show(x: u32) -> u32 {\n    x\n}\n".to_owned()),
        )]);
        let fixture = &setup.fixture;
        setup.ado.push_iteration(
            1,
            IterationSeed::at(
                &fixture.source,
                &fixture.target,
                &fixture.fork_point,
                &fixture.merge,
                &fixture.changes(),
            ),
        );
        fixture.checkout_into(setup.work.path(), None);
        // Every write to an existing thread or comment fails once.
        setup
            .ado
            .fault_next_writes(r"^PATCH .*/threads/\d+(/comments/\d+)?$", 3, fault);
        let output = review(&setup, TOKEN, &[]);
        settle(&setup, &output, fault);
        let threads = setup.ado.threads(1);
        let summaries = ours(&threads, "summary");
        assert_eq!(summaries.len(), 1, "{fault:?}");
        let text = summaries[0]["comments"][0]["content"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains("Reviewed iteration 2"), "{fault:?}: {text}");
        let open = ours(&threads, "finding")
            .into_iter()
            .filter(|t| t["status"] == "active")
            .count();
        assert_eq!(open, FIXTURE_FINDINGS.len() - 1, "{fault:?}");
    }
}

#[test]
fn a_thread_post_refused_with_a_503_is_posted_once() {
    thread_posts_suffer(WriteFault::Refused(503));
}

#[test]
fn a_thread_post_whose_connection_dropped_before_storing_is_posted_once() {
    thread_posts_suffer(WriteFault::RefusedDropped);
}

#[test]
fn a_thread_post_stored_then_answered_503_is_posted_once() {
    thread_posts_suffer(WriteFault::AppliedThenStatus(503));
}

#[test]
fn a_thread_post_stored_then_dropped_is_posted_once() {
    thread_posts_suffer(WriteFault::AppliedThenDropped);
}

#[test]
fn a_summary_edit_refused_with_a_503_leaves_one_summary() {
    thread_edits_suffer(WriteFault::Refused(503));
}

#[test]
fn a_summary_edit_whose_connection_dropped_leaves_one_summary() {
    thread_edits_suffer(WriteFault::RefusedDropped);
}

#[test]
fn a_summary_edit_stored_then_answered_503_leaves_one_summary() {
    thread_edits_suffer(WriteFault::AppliedThenStatus(503));
}

#[test]
fn a_summary_edit_stored_then_dropped_leaves_one_summary() {
    thread_edits_suffer(WriteFault::AppliedThenDropped);
}

/// The longest comment the service stores: it refuses more with a 400 ("A discussion comment
/// cannot be longer than 150000 characters"), counting UTF-16 code units.
const MAX_COMMENT_CHARACTERS: usize = 150_000;

/// Every comment on the PR, as (thread id, length in UTF-16 code units).
fn comment_lengths(threads: &[Value]) -> Vec<(u64, usize)> {
    threads
        .iter()
        .flat_map(|t| {
            let id = t["id"].as_u64().unwrap_or_default();
            t["comments"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |c| {
                    (
                        id,
                        c["content"]
                            .as_str()
                            .unwrap_or_default()
                            .encode_utf16()
                            .count(),
                    )
                })
        })
        .collect()
}

#[test]
fn every_comment_stays_under_the_services_size_limit_with_huge_imported_findings() {
    let setup = setup();
    // One finding on a changed line whose message is longer than a comment may be, and eighty
    // on a line the source branch does not have (they go to the summary), 4,000 characters each.
    let huge = "minified();".repeat(20_000);
    let mut results = vec![serde_json::json!({
        "ruleId": "L001", "level": "error", "message": {"text": huge},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.rs"}, "region": {"startLine": 31}}}]
    })];
    for i in 0..80 {
        results.push(serde_json::json!({
            "ruleId": "L002", "level": "warning",
            "message": {"text": format!("{i:02} {}", "é".repeat(4_000))},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/app.rs"}, "region": {"startLine": 5}}}]
        }));
    }
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "lintall"}}, "results": results}]
    });
    let file = setup.temp.path().join("lint.sarif");
    std::fs::write(&file, sarif.to_string()).expect("write sarif");
    let output = review(
        &setup,
        TOKEN,
        &["--findings", file.to_str().expect("utf-8")],
    );
    assert_ok(&output);
    let threads = setup.ado.threads(1);
    for (thread, length) in comment_lengths(&threads) {
        assert!(
            length <= MAX_COMMENT_CHARACTERS,
            "thread {thread}: a comment of {length} characters"
        );
    }
    let lint = ours(&threads, "finding")
        .into_iter()
        .find(|t| {
            t["comments"][0]["content"]
                .as_str()
                .is_some_and(|c| c.contains("`L001`"))
        })
        .unwrap_or_else(|| {
            panic!(
                "the huge finding is posted: {:?}\n{}",
                ours(&threads, "finding")
                    .iter()
                    .map(|t| t["comments"][0]["content"]
                        .as_str()
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect::<String>())
                    .collect::<Vec<_>>(),
                stderr(&output)
            )
        });
    assert_eq!(lint["threadContext"]["rightFileStart"]["line"], 21);
    let summaries = ours(&threads, "summary");
    assert_eq!(summaries.len(), 1);
    let summary = summaries[0]["comments"][0]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("was cut to fit Azure DevOps' limit"),
        "the summary says it was cut: {summary}"
    );
}

/// The time between the first request of a run and the second.
fn first_gap(ado: &Emulator) -> Duration {
    let requests = ado.requests();
    assert!(requests.len() >= 2, "{} requests", requests.len());
    requests[1].received.duration_since(requests[0].received)
}

#[test]
fn retry_after_and_x_ratelimit_delay_are_waited_for_as_long_as_they_say() {
    // Without a fault, the second request follows the first at once.
    let baseline = setup();
    assert_ok(&review(&baseline, TOKEN, &[]));
    let base = first_gap(&baseline.ado);
    assert!(base < Duration::from_millis(500), "baseline gap {base:?}");

    // 429 with `Retry-After: 2` on the first request: the retry comes two seconds later, not
    // sooner and not much later.
    let limited = setup();
    limited.ado.rate_limit_next(1, 2);
    assert_ok(&review(&limited, TOKEN, &[]));
    let requests = limited.ado.requests();
    assert_eq!(requests[0].status, Some(429));
    assert_eq!(
        (requests[1].method.as_str(), requests[1].path.as_str()),
        (requests[0].method.as_str(), requests[0].path.as_str()),
        "the refused request is the one retried"
    );
    let gap = first_gap(&limited.ado);
    assert!(
        gap >= Duration::from_secs(2)
            && gap < Duration::from_secs(2) + base + Duration::from_secs(1),
        "Retry-After: 2 -> waited {gap:?} (baseline {base:?})"
    );
    assert_fixture_findings_posted(&limited.ado.threads(1));

    // 200 with `X-RateLimit-Delay: 1.5`: the next request (whichever it is) waits 1.5 s.
    let throttled = setup();
    throttled.ado.throttle_next(1, 1.5);
    assert_ok(&review(&throttled, TOKEN, &[]));
    assert_eq!(throttled.ado.requests()[0].status, Some(200));
    let gap = first_gap(&throttled.ado);
    assert!(
        gap >= Duration::from_millis(1_500)
            && gap < Duration::from_millis(1_500) + base + Duration::from_secs(1),
        "X-RateLimit-Delay: 1.5 -> waited {gap:?} (baseline {base:?})"
    );
    assert_fixture_findings_posted(&throttled.ado.threads(1));
}

/// With a model configured: a paused PR asks it nothing; a review posts the model's finding; an
/// unchanged re-run asks it nothing, keeps its thread, and stays within four requests to Azure
/// DevOps; a push sends the model only the files changed since the last reviewed commit.
#[test]
fn the_ai_review_is_incremental_and_asks_nothing_when_nothing_changed() {
    use crate::support::llm_stub::{Answer, Flavor, ModelStub, Recorded};
    const KEY: &str = "sk-ai-review-key-in-a-pipeline-0001";
    let mut setup = setup();
    // Line 21 of src/app.rs on the source branch (the checkout is the merge commit).
    let line_21 = "// FIXME: validate the input";
    let stub = ModelStub::start(Flavor::OpenAi, KEY);
    stub.fallback(move |r: &Recorded| {
        let json = if r.system_text().contains("walkthrough of a pull request") {
            serde_json::json!({
                "walkthrough": "Adds the app and a few leftovers.",
                "cohorts": [{"title": "App", "files": ["src/app.rs"], "summary": "The app."}],
                "effort": 1, "minutes": 5, "release_notes": [], "poem": null, "sequence_diagram": null
            })
        } else if r.user_text().contains("src/app.rs") {
            serde_json::json!({"findings": [{
                "path": "src/app.rs", "start_line": 21, "end_line": 21, "line_text": line_21,
                "severity": "major", "category": "correctness", "nitpick": false,
                "title": "A note left for later", "explanation": "Resolve it before merging.",
                "replaces": null, "suggestion": null
            }], "files": []})
        } else {
            serde_json::json!({"findings": [], "files": []})
        };
        Answer::Json(json).into()
    });
    let ai_review = |setup: &Setup| {
        let mut command = in_pipeline(setup, &["review"]);
        command
            .env("BUILD_BUILDID", "42")
            .env("AGENT_TEMPDIRECTORY", setup.temp.path())
            .env("CODERABBIT_PAT", TOKEN)
            .env("CODERABBIT_LLM_PROVIDER", "openai")
            .env("CODERABBIT_LLM_BASE_URL", &stub.base_url)
            .env("CODERABBIT_LLM_MODEL", "review-model")
            .env("CODERABBIT_LLM_API_KEY", KEY);
        run(&mut command)
    };
    let llm_threads = |threads: &[Value]| -> Vec<Value> {
        ours(threads, "finding")
            .into_iter()
            .filter(|t| property(t, "CodeRabbit.Source").as_deref() == Some("llm"))
            .cloned()
            .collect()
    };

    // Paused: no model request.
    let pause = setup.ado.add_thread_as(
        1,
        &Identity::person(),
        serde_json::json!({"comments": [{"parentCommentId": 0, "content": "@coderabbitai pause", "commentType": "text"}], "status": "active"}),
    );
    assert_ok(&ai_review(&setup));
    assert!(
        stub.requests().is_empty(),
        "a paused PR asks the model nothing"
    );
    setup.ado.add_human_reply(1, pause, "@coderabbitai resume");

    // The first review asks the model and posts its finding.
    let first = ai_review(&setup);
    assert_ok(&first);
    let asked = stub.requests().len();
    assert!(asked >= 2, "review and walkthrough requests: {asked}");
    let threads = setup.ado.threads(1);
    let ai = llm_threads(&threads);
    assert_eq!(
        ai.len(),
        1,
        "{}\n{}\n{:#?}",
        stdout(&first),
        stderr(&first),
        stub.requests()
            .iter()
            .map(|r| r.user_text())
            .collect::<Vec<_>>()
    );
    assert_eq!(ai[0]["threadContext"]["rightFileStart"]["line"], 21);
    let description = setup.ado.pull_request_description(1);
    assert!(
        description.starts_with("Adds a feature.")
            && description.contains("## Summary by CodeRabbit")
            && description.contains("release notes by coderabbit.ai"),
        "the author's text stays and the block follows: {description}"
    );

    // Unchanged: no model request, the thread stays, at most four requests.
    let summary_text = |setup: &Setup| {
        ours(&setup.ado.threads(1), "summary")[0]["comments"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let was = summary_text(&setup);
    let before = setup.ado.requests().len();
    assert_ok(&ai_review(&setup));
    let now = summary_text(&setup);
    if was != now {
        for (a, b) in was.lines().zip(now.lines()) {
            if a != b {
                eprintln!("WAS: {a}\nNOW: {b}");
            }
        }
    }
    assert_eq!(
        stub.requests().len(),
        asked,
        "an unchanged re-run asks nothing"
    );
    let made: Vec<String> = setup.ado.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(made.len() <= 4, "{made:#?}");
    let ai = llm_threads(&setup.ado.threads(1));
    assert_eq!(ai.len(), 1);
    assert_eq!(
        ai[0]["status"], "active",
        "not marked fixed when not re-reviewed"
    );

    // A push that changes one file: only that file goes to the model.
    setup.fixture.push_to_feature(&[(
        "src/debug.rs",
        Some("pub fn show(x: u32) -> u32 {\n    x + 1\n}\n".to_owned()),
    )]);
    let fixture = &setup.fixture;
    setup.ado.push_iteration(
        1,
        IterationSeed::at(
            &fixture.source,
            &fixture.target,
            &fixture.fork_point,
            &fixture.merge,
            &fixture.changes(),
        ),
    );
    setup.work = fixture.checkout(None);
    assert_ok(&ai_review(&setup));
    let sent: Vec<String> = stub.requests()[asked..]
        .iter()
        .filter(|r| !r.system_text().contains("walkthrough of a pull request"))
        .map(|r| r.user_text())
        .collect();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|t| t.contains("src/debug.rs") && !t.contains("src/app.rs")),
        "{sent:#?}"
    );
    let ai = llm_threads(&setup.ado.threads(1));
    assert_eq!(ai[0]["status"], "active", "the app.rs finding stays");
}
