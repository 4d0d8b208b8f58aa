//! Build failure remediation end to end: the real binary, after a failed PR build, against the
//! Azure DevOps emulator's build timeline and logs.

use std::process::Output;
use std::time::Instant;

use crate::emulator::{
    BuildSeed, Emulator, Identity, IssueSeed, PullRequestSeed, TimelineRecordSeed, WriteFault,
};
use crate::support::pull_request::{PullRequestFixture, marker};
use crate::support::{agent, run, stderr, stdout};
use serde_json::Value;

const TOKEN: &str = "fake-token-for-remediation-0001";
const NO_BUILD_SCOPE: &str = "fake-token-without-build-0002";
const OWN_STEP: &str = "0f0f0f0f-0000-4000-8000-00000000000f";

struct Setup {
    ado: Emulator,
    fixture: PullRequestFixture,
    work: tempfile::TempDir,
}

fn ts(line: &str) -> String {
    format!("2026-11-30T10:00:00.1234567Z {line}")
}

/// The failed build's log: a compiler error on a line the PR added (line 31 of M is line 21 of
/// S), one on a line only the target branch has (M line 5), one outside the repository.
fn build_log() -> String {
    let mut lines = vec![
        ts("##[section]Starting: Build"),
        ts("   Compiling app v0.1.0 (/home/vsts/work/1/s)"),
        ts("error[E0425]: cannot find value `input` in this scope"),
        ts("  --> /home/vsts/work/1/s/src/app.rs:31:5"),
        ts("   |"),
        ts("31 |     input.validate();"),
        ts("   |     ^^^^^ not found in this scope"),
        ts("   |"),
        ts("help: consider declaring `input` before using it"),
        ts(""),
        ts("error[E0601]: `main` function not found in crate `app`"),
        ts("  --> src/app.rs:5:1"),
        ts(""),
        ts("/usr/include/stdio.h:3:1: error: unknown type name 'size_t'"),
        ts("error: could not compile `app` (bin \"app\") due to 3 previous errors"),
        ts("##[error]Bash exited with code '101'."),
        ts("##[section]Finishing: Build"),
    ];
    // Colours as a terminal would print them.
    lines[2] = ts(
        "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror[E0425]\u{1b}[0m\u{1b}[1m: cannot find value `input` in this scope\u{1b}[0m",
    );
    lines.join("\n") + "\n"
}

fn timeline(log_id: Option<u32>) -> Vec<TimelineRecordSeed> {
    vec![
        TimelineRecordSeed {
            id: "aaaaaaaa-0000-4000-8000-000000000001".into(),
            record_type: "Job".into(),
            name: "Build job".into(),
            result: Some("failed".into()),
            order: 1,
            ..TimelineRecordSeed::default()
        },
        TimelineRecordSeed {
            id: "bbbbbbbb-0000-4000-8000-000000000002".into(),
            parent_id: Some("aaaaaaaa-0000-4000-8000-000000000001".into()),
            name: "cargo build".into(),
            result: Some("failed".into()),
            log_id,
            order: 2,
            ..TimelineRecordSeed::default()
        },
        TimelineRecordSeed {
            id: "cccccccc-0000-4000-8000-000000000003".into(),
            name: "lint".into(),
            result: Some("failed".into()),
            order: 3,
            issues: vec![IssueSeed {
                issue_type: "error".into(),
                message: "unresolved merge conflict marker".into(),
                data: vec![
                    ("sourcepath".into(), "src/merge.rs".into()),
                    ("linenumber".into(), "2".into()),
                ],
                ..IssueSeed::default()
            }],
            ..TimelineRecordSeed::default()
        },
        TimelineRecordSeed {
            name: "deploy".into(),
            result: Some("canceled".into()),
            order: 4,
            ..TimelineRecordSeed::default()
        },
        TimelineRecordSeed {
            id: OWN_STEP.into(),
            name: "CodeRabbit remediation".into(),
            state: "inProgress".into(),
            result: Some("failed".into()),
            order: 5,
            ..TimelineRecordSeed::default()
        },
    ]
}

fn setup_with(records: Vec<TimelineRecordSeed>, logs: Vec<(u32, String)>) -> Setup {
    setup_with_build(BuildSeed {
        records,
        logs,
        ..BuildSeed::default()
    })
}

/// The PR and the failed build 42 of it; `build` gives its records and logs.
fn setup_with_build(build: BuildSeed) -> Setup {
    let fixture = PullRequestFixture::new(&[(
        "src/merge.rs",
        marker(&[
            "fn a() {}\n<<<<<<",
            "< HEAD\nlet a = 1;\n=======\n>>>>>>",
            "> f\n",
        ]),
    )]);
    let ado = Emulator::start();
    let identity = Identity::new(
        "CodeRabbit",
        "coderabbit@example.com",
        "c0de4abb-1700-4000-8000-000000000001",
    );
    ado.add_token(
        TOKEN,
        identity.clone(),
        &["code_read", "code_write", "build_read"],
    );
    ado.add_token(NO_BUILD_SCOPE, identity, &["code_read", "code_write"]);
    ado.add_repository("project", "3a1c5e6f-1111-4222-8333-944455556666", "app");
    ado.add_pull_request(PullRequestSeed::at(
        &fixture.source,
        &fixture.target,
        &fixture.fork_point,
        &fixture.merge,
        &fixture.changes(),
    ));
    ado.add_build(BuildSeed {
        id: 42,
        pull_request_id: Some(1),
        source_version: fixture.merge.clone(),
        ..build
    });
    let work = fixture.checkout(None);
    Setup { ado, fixture, work }
}

fn setup() -> Setup {
    setup_with(timeline(Some(5)), vec![(5, build_log())])
}

fn command(setup: &Setup, subcommand: &str, token: &str, plan: &str) -> std::process::Command {
    let mut command = agent(setup.work.path());
    command.arg(subcommand);
    for (key, value) in setup.ado.pipeline_env(1) {
        command.env(key, value);
    }
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("BUILD_BUILDID", "42")
        .env("SYSTEM_TASKINSTANCEID", OWN_STEP)
        .env("CODERABBIT_PAT", token)
        .env("CODERABBIT_PLAN", plan);
    command
}

fn remediate(setup: &Setup, token: &str, plan: &str) -> Output {
    run(&mut command(setup, "remediate", token, plan))
}

fn property(thread: &Value, key: &str) -> Option<String> {
    let value = &thread["properties"][key];
    value
        .get("$value")
        .unwrap_or(value)
        .as_str()
        .map(str::to_owned)
}

fn remediation_threads(setup: &Setup) -> Vec<Value> {
    setup
        .ado
        .threads(1)
        .into_iter()
        .filter(|t| property(t, "CodeRabbit.Kind").as_deref() == Some("remediation"))
        .collect()
}

fn content(thread: &Value) -> String {
    thread["comments"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn errors_on_changed_lines_become_inline_threads_and_the_rest_a_summary() {
    let setup = setup();
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    setup.ado.assert_no_violations();
    let threads = remediation_threads(&setup);
    let inline: Vec<&Value> = threads
        .iter()
        .filter(|t| t["threadContext"]["filePath"].is_string())
        .collect();
    let on_app = inline
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/src/app.rs")
        .expect("thread on src/app.rs");
    assert_eq!(
        on_app["threadContext"]["rightFileStart"]["line"], 21,
        "M line 31 is S line 21"
    );
    let text = content(on_app);
    assert!(
        text.contains("cannot find value `input` in this scope"),
        "{text}"
    );
    assert!(
        text.contains("consider declaring `input` before using it"),
        "the tool's help is kept: {text}"
    );
    assert!(!text.contains("\u{1b}["), "colours stripped");
    let on_merge = inline
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/src/merge.rs")
        .expect("the logged issue");
    assert_eq!(on_merge["threadContext"]["rightFileStart"]["line"], 2);
    assert_eq!(inline.len(), 2, "{inline:?}");

    let summary: Vec<&Value> = threads
        .iter()
        .filter(|t| !t["threadContext"]["filePath"].is_string())
        .collect();
    assert_eq!(summary.len(), 1);
    let text = content(summary[0]);
    if std::env::var_os("SHOW_REMEDIATION").is_some() {
        eprintln!("{text}\n----\n{}", content(on_app));
    }
    assert!(text.contains("Build 42 failed"), "{text}");
    assert!(
        text.contains("`main` function not found"),
        "the error on a target-only line: {text}"
    );
    assert!(text.contains("outside the repository"), "{text}");
    assert!(
        text.contains("cargo build") && text.contains("buildId=42"),
        "{text}"
    );
    assert!(
        !text.contains("CodeRabbit remediation\""),
        "its own step is not a failure: {text}"
    );

    let status = setup
        .ado
        .statuses(1)
        .into_iter()
        .find(|s| s["context"]["name"] == "remediation")
        .expect("remediation status");
    assert_eq!(status["state"], "failed");
    assert!(
        status["description"]
            .as_str()
            .is_some_and(|d| d.contains("cannot find value")),
        "{status}"
    );

    // Only the tail of the log was asked for.
    let log_request = setup
        .ado
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/logs/5"))
        .expect("log read");
    assert!(log_request.query_param("startLine").is_some());

    // Re-running on the same build posts nothing twice.
    assert_eq!(remediate(&setup, TOKEN, "pro").status.code(), Some(0));
    assert_eq!(remediation_threads(&setup).len(), threads.len());
    setup.ado.assert_no_violations();
}

#[test]
fn a_later_successful_review_resolves_remediation() {
    let setup = setup();
    assert_eq!(remediate(&setup, TOKEN, "pro").status.code(), Some(0));
    let output = run(&mut command(&setup, "review", TOKEN, "pro"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for thread in remediation_threads(&setup) {
        assert_eq!(thread["status"], "fixed", "{thread}");
    }
    let last = setup
        .ado
        .statuses(1)
        .into_iter()
        .rfind(|s| s["context"]["name"] == "remediation")
        .expect("status");
    assert_eq!(last["state"], "succeeded");
    setup.ado.assert_no_violations();
}

#[test]
fn the_free_plan_makes_no_request() {
    let setup = setup();
    let output = remediate(&setup, TOKEN, "free");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("Pro feature"),
        "{}",
        stdout(&output)
    );
    assert_eq!(setup.ado.request_count(), 0);
}

#[test]
fn a_token_without_build_read_names_the_scope() {
    let setup = setup();
    let output = remediate(&setup, NO_BUILD_SCOPE, "pro");
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("Build (Read)"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn a_build_without_failed_tasks_has_nothing_to_remediate() {
    let setup = setup_with(
        vec![TimelineRecordSeed {
            result: Some("succeeded".into()),
            ..TimelineRecordSeed::default()
        }],
        Vec::new(),
    );
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("nothing to remediate"),
        "{}",
        stdout(&output)
    );
    assert!(remediation_threads(&setup).is_empty());
}

#[test]
fn a_log_that_is_gone_leaves_the_logged_issues() {
    // Record points at log 9, which the build does not have.
    let setup = setup_with(timeline(Some(9)), Vec::new());
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let threads = remediation_threads(&setup);
    assert!(
        threads
            .iter()
            .any(|t| t["threadContext"]["filePath"] == "/src/merge.rs"),
        "{threads:?}"
    );
}

#[test]
fn a_huge_log_is_read_by_its_tail() {
    let mut log = String::with_capacity(52 * 1024 * 1024);
    let noise =
        ts("   Compiling some-crate v1.0.0 (registry) ........................................");
    while log.len() < 50 * 1024 * 1024 {
        log.push_str(&noise);
        log.push('\n');
    }
    log.push_str(&build_log());
    let setup = setup_with(timeline(Some(5)), vec![(5, log)]);
    let start = Instant::now();
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        remediation_threads(&setup)
            .iter()
            .any(|t| t["threadContext"]["filePath"] == "/src/app.rs")
    );
    eprintln!("50 MB log remediated in {:?}", start.elapsed());
}

/// A log whose list entry has no `lineCount`: the errors at the end of a long failed step are
/// still found, so the log is read to its end rather than from its start.
#[test]
fn a_log_without_a_line_count_is_read_by_its_tail() {
    let noise = ts("   Compiling some-crate v1.0.0 (registry)");
    let mut log = format!("{noise}\n").repeat(6_000);
    log.push_str(&build_log());
    let setup = setup_with_build(BuildSeed {
        records: timeline(Some(5)),
        logs: vec![(5, log)],
        logs_without_line_count: vec![5],
        ..BuildSeed::default()
    });
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let threads = remediation_threads(&setup);
    let on_app = threads
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/src/app.rs")
        .unwrap_or_else(|| panic!("the error 6,000 lines down is found: {threads:?}"));
    assert_eq!(on_app["threadContext"]["rightFileStart"]["line"], 21);
}

/// Ten errors on lines the PR did not add (so they all go to the summary), each quoting a line of
/// a minified bundle as compilers do: 40,000 characters each, 400,000 in all.
#[test]
fn the_remediation_summary_stays_under_the_services_comment_limit() {
    let bundle_line = "var a=function(){return 1};".repeat(1_500);
    let mut lines = vec![ts("##[section]Starting: Build")];
    for i in 1..=10 {
        lines.push(ts(&format!(
            "error[E0{i:03}]: mismatched types in the generated bundle ({i})"
        )));
        lines.push(ts(&format!("  --> src/app.rs:{i}:1")));
        lines.push(ts("   |"));
        lines.push(ts(&format!("{i} | {bundle_line}")));
        lines.push(ts("   | ^ expected `u32`"));
        lines.push(ts(""));
    }
    lines.push(ts("##[error]Bash exited with code '101'."));
    let log = lines.join("\n") + "\n";
    let setup = setup_with(timeline(Some(5)), vec![(5, log)]);
    let output = remediate(&setup, TOKEN, "pro");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let threads = remediation_threads(&setup);
    let summary: Vec<&Value> = threads
        .iter()
        .filter(|t| !t["threadContext"]["filePath"].is_string())
        .collect();
    assert_eq!(summary.len(), 1, "the summary is posted");
    for thread in &threads {
        for comment in thread["comments"].as_array().into_iter().flatten() {
            let length = comment["content"]
                .as_str()
                .unwrap_or_default()
                .encode_utf16()
                .count();
            assert!(length <= 150_000, "a comment of {length} characters");
        }
    }
    let text = content(summary[0]);
    assert!(
        text.contains("mismatched types in the generated bundle (1)"),
        "{text}"
    );
}

#[test]
fn not_a_pull_request_build() {
    let setup = setup();
    let output = run(agent(setup.work.path())
        .arg("remediate")
        .env("TF_BUILD", "True")
        .env("BUILD_REASON", "IndividualCI")
        .env("CODERABBIT_PLAN", "pro"));
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).contains("not a pull request build"),
        "{}",
        stdout(&output)
    );
    assert_eq!(setup.ado.request_count(), 0);
    let _ = &setup.fixture;
}

/// Benchmark: `cargo test --release --test it benchmark_ten_failed_logs -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: run explicitly"]
fn benchmark_ten_failed_logs_of_2000_lines() {
    let mut records = vec![];
    let mut logs = vec![];
    for i in 0..10u32 {
        records.push(TimelineRecordSeed {
            id: format!("dddddddd-0000-4000-8000-{i:012}"),
            name: format!("step {i}"),
            result: Some("failed".into()),
            log_id: Some(100 + i),
            order: i + 1,
            ..TimelineRecordSeed::default()
        });
        let mut log = String::new();
        for n in 0..1_985 {
            log.push_str(&ts(&format!("   Compiling crate-{n} v1.0.{i} (registry)")));
            log.push('\n');
        }
        log.push_str(&build_log());
        logs.push((100 + i, log));
    }
    let setup = setup_with(records, logs);
    let start = Instant::now();
    let output = remediate(&setup, TOKEN, "pro");
    let elapsed = start.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    println!(
        "10 failed logs of 2,000 lines: {:.2} s wall, {} requests",
        elapsed.as_secs_f64(),
        setup.ado.request_count()
    );
}

#[test]
fn dry_run_prints_what_it_would_post_and_writes_nothing() {
    let setup = setup();
    let output = run(command(&setup, "remediate", TOKEN, "pro")
        .arg("--dry-run")
        .arg("--format")
        .arg("json"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    setup.ado.assert_no_violations();
    let writes: Vec<String> = setup
        .ado
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "no write request: {writes:?}");
    assert!(setup.ado.threads(1).is_empty());
    let doc: Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    let inline: Vec<(String, u64)> = doc["inline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        inline,
        [
            ("src/app.rs".to_owned(), 21),
            ("src/merge.rs".to_owned(), 2)
        ],
        "the errors on lines of the PR, at S lines"
    );
    assert!(doc["summary"].as_str().unwrap().contains("Build 42 failed"));

    let text = run(command(&setup, "remediate", TOKEN, "pro").arg("--dry-run"));
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(stdout(&text).contains("src/app.rs:21"), "{}", stdout(&text));
    assert!(setup.ado.threads(1).is_empty());
}

#[test]
fn options_that_remediate_would_ignore_are_refused() {
    let setup = setup();
    for option in [
        &["--fail-on", "major"][..],
        &["--findings", "report.sarif"],
        &["--max-comments", "3"],
        &["--format", "sarif"],
    ] {
        let output = run(command(&setup, "remediate", TOKEN, "pro").args(option));
        assert_eq!(output.status.code(), Some(2), "{option:?}");
        assert!(setup.ado.requests().is_empty(), "{option:?}");
    }
}

/// A thread as a client would post it: its comments' text and its properties.
fn as_posted(thread: &Value) -> Value {
    let mut posted = serde_json::json!({
        "comments": [{"content": content(thread), "commentType": "text", "parentCommentId": 0}],
        "properties": {},
    });
    for (key, value) in thread["properties"].as_object().into_iter().flatten() {
        let inner = value.get("$value").unwrap_or(value).clone();
        posted["properties"][key] = serde_json::json!({"type": "System.String", "value": inner});
    }
    for key in ["status", "threadContext", "pullRequestThreadContext"] {
        if !thread[key].is_null() {
            posted[key] = thread[key].clone();
        }
    }
    posted
}

#[test]
fn copies_of_remediation_left_by_two_runs_that_raced_are_closed_by_the_next() {
    let setup = setup();
    assert_eq!(remediate(&setup, TOKEN, "pro").status.code(), Some(0));
    let threads = remediation_threads(&setup);
    let inline = threads
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/src/app.rs")
        .expect("inline remediation")
        .clone();
    let summary = threads
        .iter()
        .find(|t| !t["threadContext"]["filePath"].is_string())
        .expect("remediation summary")
        .clone();
    let identity = Identity::new(
        "CodeRabbit",
        "coderabbit@example.com",
        "c0de4abb-1700-4000-8000-000000000001",
    );
    let copy = setup.ado.add_thread_as(1, &identity, as_posted(&inline));
    let summary_copy = setup.ado.add_thread_as(1, &identity, as_posted(&summary));

    assert_eq!(remediate(&setup, TOKEN, "pro").status.code(), Some(0));
    setup.ado.assert_no_violations();
    let threads = remediation_threads(&setup);
    let status = |id: u64| {
        threads
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["status"].clone())
            .unwrap_or_default()
    };
    assert_eq!(status(u64::from(copy)), "closed");
    assert_eq!(status(u64::from(summary_copy)), "closed");
    assert_eq!(status(inline["id"].as_u64().unwrap()), "active");
    assert_eq!(status(summary["id"].as_u64().unwrap()), "active");
}

/// The run met `fault` on its thread posts: it completed, or it stopped with exit 2 and the next
/// run on a healthy service completed it; either way each thread is there once.
fn remediation_posts_suffer(fault: WriteFault) {
    // Two inline threads (src/app.rs line 21, src/merge.rs line 2) and the PR-level summary,
    // as the first test of this file asserts in detail.
    let expected = ["\"/src/app.rs\" 21", "\"/src/merge.rs\" 2", "null null"];
    let setup = setup();
    setup
        .ado
        .fault_next_writes(r"^POST .*/pullRequests/1/threads$", 3, fault);
    let output = remediate(&setup, TOKEN, "pro");
    match output.status.code() {
        Some(0) => {}
        Some(2) => {
            setup.ado.clear_faults();
            let again = remediate(&setup, TOKEN, "pro");
            assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
        }
        code => panic!("{fault:?}: exit {code:?}\n{}", stderr(&output)),
    }
    let mut posted: Vec<String> = remediation_threads(&setup)
        .iter()
        .filter(|t| t["status"] != "closed")
        .map(|t| {
            format!(
                "{} {}",
                t["threadContext"]["filePath"], t["threadContext"]["rightFileStart"]["line"]
            )
        })
        .collect();
    posted.sort();
    assert_eq!(posted, expected, "{fault:?}");
}

#[test]
fn a_remediation_post_refused_with_a_503_is_posted_once() {
    remediation_posts_suffer(WriteFault::Refused(503));
}

#[test]
fn a_remediation_post_whose_connection_dropped_is_posted_once() {
    remediation_posts_suffer(WriteFault::RefusedDropped);
}

#[test]
fn a_remediation_post_stored_then_answered_503_is_posted_once() {
    remediation_posts_suffer(WriteFault::AppliedThenStatus(503));
}

#[test]
fn a_remediation_post_stored_then_dropped_is_posted_once() {
    remediation_posts_suffer(WriteFault::AppliedThenDropped);
}

/// With a model configured, the inline remediation carries its explanation; the key goes only
/// to the model, and the run still writes each thread once.
#[test]
fn remediation_asks_the_configured_model_for_the_fix() {
    use crate::support::llm_stub::{Answer, Flavor, ModelStub, Recorded};
    const KEY: &str = "sk-remediation-key-0001";
    let setup = setup();
    let stub = ModelStub::start(Flavor::OpenAi, KEY);
    stub.fallback(|_: &Recorded| {
        Answer::Json(serde_json::json!({
            "explanation": "The variable is used before it is declared: declare `input` first.",
            "start_line": null, "end_line": null, "line_text": null,
            "replaces": null, "suggestion": null
        }))
        .into()
    });
    let output = run(command(&setup, "remediate", TOKEN, "pro")
        .env("CODERABBIT_LLM_PROVIDER", "openai")
        .env("CODERABBIT_LLM_BASE_URL", &stub.base_url)
        .env("CODERABBIT_LLM_MODEL", "fix-model")
        .env("CODERABBIT_LLM_API_KEY", KEY));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        printed
            .lines()
            .filter(|l| !l.starts_with("##vso[task.setsecret]"))
            .all(|l| !l.contains(KEY)),
        "the key is only ever in the masking command"
    );
    let asked: Vec<String> = stub.requests().iter().map(|r| r.user_text()).collect();
    assert!(
        asked
            .iter()
            .any(|t| t.contains("cannot find value `input`")),
        "the model is asked about the error: {asked:#?}"
    );
    let threads = remediation_threads(&setup);
    let on_app = threads
        .iter()
        .find(|t| t["threadContext"]["filePath"] == "/src/app.rs")
        .expect("thread on src/app.rs");
    assert!(
        content(on_app).contains("declare `input` first"),
        "{}",
        content(on_app)
    );
}
