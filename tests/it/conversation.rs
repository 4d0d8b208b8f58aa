//! The conversation on a pull request, end to end: people write to the agent (`@coderabbitai …`
//! or the mention Azure DevOps stores for its user), the real binary runs `respond` (or a PR
//! build's `review`) against the Azure DevOps emulator, and each comment gets one answer, never
//! two — across runs, after edits, with two runs at once. People's edits and deletions go
//! through the REST API as that person, so the emulator checks them too.
#![allow(clippy::unwrap_used)]

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::emulator::{Emulator, Identity, PullRequestSeed, WorkItemSeed};
use crate::support::pull_request::{PullRequestFixture, marker};
use crate::support::{agent, run, stderr, stdout};

const TOKEN: &str = "fake-token-for-the-emulator-0002";
const PERSON_TOKEN: &str = "fake-token-of-a-person-0003";
const REPOSITORY_ID: &str = "5b2d6e7f-1111-4222-8333-944455556677";
const BOT_ID: &str = "c0de4abb-1700-4000-8000-000000000002";

struct Setup {
    ado: Emulator,
    work: tempfile::TempDir,
    _fixture: PullRequestFixture,
}

fn bot() -> Identity {
    Identity::new("CodeRabbit", "coderabbit@example.com", BOT_ID)
}

fn setup() -> Setup {
    let fixture = PullRequestFixture::new(&[
        (
            "src/debug.rs",
            marker(&["pub fn show(x: u32) -> u32 {\n    d", "bg!(x)\n}\n"]),
        ),
        (
            "web/app.test.js",
            marker(&[
                "describe(\"app\", () => {\n  it.on",
                "ly(\"works\", () => {\n    expect(1).toBe(1);\n  });\n});\n",
            ]),
        ),
    ]);
    let ado = Emulator::start();
    ado.add_token(TOKEN, bot(), &["code_read", "code_write", "vso.work"]);
    ado.add_token(
        PERSON_TOKEN,
        Identity::person(),
        &["code_read", "code_write"],
    );
    ado.add_repository("project", REPOSITORY_ID, "app");
    ado.add_pull_request(PullRequestSeed {
        title: "Add the feature".into(),
        ..PullRequestSeed::at(
            &fixture.source,
            &fixture.target,
            &fixture.fork_point,
            &fixture.merge,
            &fixture.changes(),
        )
    });
    let work = fixture.checkout(None);
    Setup {
        ado,
        work,
        _fixture: fixture,
    }
}

/// The conversation pipeline's environment: the organization, project and repository, no PR.
fn respond_command(setup: &Setup, args: &[&str]) -> std::process::Command {
    let mut command = agent(setup.work.path());
    command.arg("respond").args(args);
    for (key, value) in setup.ado.pipeline_env(1) {
        if !key.starts_with("SYSTEM_PULLREQUEST_") && key != "BUILD_REASON" {
            command.env(key, value);
        }
    }
    command
        .env("BUILD_REASON", "ResourceTrigger")
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("CODERABBIT_PAT", TOKEN);
    command
}

fn respond(setup: &Setup) -> Output {
    run(&mut respond_command(setup, &["--pull-request", "1"]))
}

fn review(setup: &Setup) -> Output {
    let mut command = agent(setup.work.path());
    command.arg("review");
    for (key, value) in setup.ado.pipeline_env(1) {
        command.env(key, value);
    }
    command
        .env("BUILD_SOURCESDIRECTORY", setup.work.path())
        .env("BUILD_BUILDID", "42")
        .env("CODERABBIT_PAT", TOKEN);
    run(&mut command)
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
}

/// A person opens a PR-level thread with `text`; returns its id.
fn person_says(ado: &Emulator, text: &str) -> u32 {
    ado.add_thread_as(
        1,
        &Identity::person(),
        json!({"comments": [{"parentCommentId": 0, "content": text, "commentType": "text"}], "status": "active"}),
    )
}

/// The agent's replies in a thread.
fn replies(ado: &Emulator, thread: u32) -> Vec<Value> {
    ado.thread(1, thread)
        .map(|t| t["comments"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c["author"]["id"] == BOT_ID && c["parentCommentId"] != 0)
        .collect()
}

fn only_reply(ado: &Emulator, thread: u32) -> String {
    let replies = replies(ado, thread);
    assert_eq!(replies.len(), 1, "thread {thread}: {replies:#?}");
    replies[0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn summary(ado: &Emulator) -> Option<Value> {
    ado.threads(1)
        .into_iter()
        .find(|t| t["properties"]["CodeRabbit.Kind"]["$value"] == "summary")
}

fn state(ado: &Emulator) -> Value {
    let summary = summary(ado).expect("a summary thread");
    let text = summary["properties"]["CodeRabbit.State"]["$value"]
        .as_str()
        .expect("the state property")
        .to_owned();
    serde_json::from_str(&text).expect("the state is JSON")
}

/// A request as the person, through the REST API (checked by the emulator like the agent's).
fn as_person(ado: &Emulator, method: &str, path: &str, body: Option<Value>) -> u16 {
    let url = format!(
        "{}project/_apis/git/repositories/{REPOSITORY_ID}/pullRequests/1/{path}?api-version=7.1",
        ado.base_url()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut request = client
            .request(method.parse().unwrap(), &url)
            .basic_auth("", Some(PERSON_TOKEN));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap().status().as_u16()
    })
}

#[test]
fn every_command_gets_one_reply_and_never_a_second() {
    let setup = setup();
    let ado = &setup.ado;
    let help = person_says(ado, "@coderabbitai help");
    let fenced = person_says(ado, "Try this:\n```\n@coderabbitai pause\n```");
    let quoted = person_says(ado, "> @coderabbitai pause\n\nno, not yet");
    let configuration = person_says(ado, "@coderabbitai configuration");
    let unknown = person_says(ado, "@coderabbitai dance");
    let mention = person_says(ado, &format!("@<{}> pause", BOT_ID.to_uppercase()));
    let resolve = person_says(ado, "@coderabbitai resolve");
    let plain = person_says(ado, "LGTM once the tests pass");

    let first = respond(&setup);
    ok(&first);
    assert!(stdout(&first).contains("5 repl"), "{}", stdout(&first));
    assert!(only_reply(ado, help).contains("`full review`"));
    assert!(replies(ado, fenced).is_empty(), "a command in a code block");
    assert!(replies(ado, quoted).is_empty(), "a command in a quote");
    assert!(replies(ado, plain).is_empty());
    let yaml = only_reply(ado, configuration);
    assert!(
        yaml.contains("```yaml") && yaml.contains("profile: assertive"),
        "the fixture's .coderabbit.yaml says assertive: {yaml}"
    );
    assert!(only_reply(ado, unknown).contains("\"dance\""));
    assert!(only_reply(ado, mention).contains("paused"));
    assert!(only_reply(ado, resolve).contains("resolved"));
    for thread in [help, configuration, unknown, mention, resolve] {
        assert_eq!(replies(ado, thread)[0]["parentCommentId"], 1);
    }
    let state = state(ado);
    assert_eq!(state["paused"], true);
    assert_eq!(state["handled"].as_array().map(Vec::len), Some(5));

    // Nothing new: a second run writes nothing and reads little.
    ado.reset_counters();
    let second = respond(&setup);
    ok(&second);
    assert_eq!(ado.write_count(), 0, "{}", stdout(&second));
    assert!(ado.request_count() <= 5, "{} requests", ado.request_count());
    for thread in [help, configuration, unknown, mention, resolve] {
        assert_eq!(replies(ado, thread).len(), 1);
    }

    // Paused: the PR build's review posts nothing but its skipped status.
    let paused = review(&setup);
    ok(&paused);
    assert!(stdout(&paused).contains("paused"), "{}", stdout(&paused));
    assert!(
        !ado.threads(1)
            .iter()
            .any(|t| t["properties"]["CodeRabbit.Kind"]["$value"] == "finding")
    );

    // Resumed in a comment: the next build handles it first, then reviews.
    let resume = person_says(ado, "@coderabbitai resume");
    let resumed = review(&setup);
    ok(&resumed);
    assert!(only_reply(ado, resume).contains("resumed"));
    assert!(
        ado.threads(1)
            .iter()
            .any(|t| t["properties"]["CodeRabbit.Kind"]["$value"] == "finding"),
        "{}",
        stdout(&resumed)
    );
    let state_after = self::state(ado);
    assert_eq!(state_after["paused"], false);
    assert_eq!(state_after["handled"].as_array().map(Vec::len), Some(6));
    assert!(state_after["lastReviewedCommit"].is_string());
}

#[test]
fn edits_deletions_and_the_agents_own_comments_are_not_commands_again() {
    let setup = setup();
    let ado = &setup.ado;
    let thread = person_says(ado, "@coderabbitai help");
    ok(&respond(&setup));
    assert_eq!(replies(ado, thread).len(), 1);

    // The person edits the command: the same comment, handled once.
    let status = as_person(
        ado,
        "PATCH",
        &format!("threads/{thread}/comments/1"),
        Some(json!({"content": "@coderabbitai pause"})),
    );
    assert_eq!(status, 200);
    // A command written and deleted before the run.
    let deleted = person_says(ado, "@coderabbitai pause");
    assert_eq!(
        as_person(
            ado,
            "DELETE",
            &format!("threads/{deleted}/comments/1"),
            None
        ),
        200
    );
    // The agent's own words never command it.
    let own = ado.add_thread_as(
        1,
        &bot(),
        json!({"comments": [{"parentCommentId": 0, "content": "@coderabbitai pause", "commentType": "text"}], "status": "active"}),
    );
    ado.reset_counters();
    ok(&respond(&setup));
    assert_eq!(ado.write_count(), 0);
    assert_eq!(replies(ado, thread).len(), 1);
    assert!(replies(ado, deleted).is_empty());
    assert_eq!(
        ado.thread(1, own).unwrap()["comments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn two_runs_at_once_answer_each_command_once() {
    let setup = setup();
    let ado = &setup.ado;
    let threads: Vec<u32> = ["help", "configuration", "pause", "summary", "dance"]
        .iter()
        .map(|words| person_says(ado, &format!("@coderabbitai {words}")))
        .collect();
    let children: Vec<_> = (0..2)
        .map(|_| {
            respond_command(&setup, &["--pull-request", "1"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    for thread in threads {
        assert_eq!(replies(ado, thread).len(), 1, "thread {thread}");
    }
    assert_eq!(state(ado)["handled"].as_array().map(Vec::len), Some(5));
}

#[test]
fn dismissed_findings_stay_silenced_and_questions_get_the_provider_line_once() {
    let setup = setup();
    let ado = &setup.ado;
    ok(&review(&setup));
    let findings: Vec<Value> = ado
        .threads(1)
        .into_iter()
        .filter(|t| t["properties"]["CodeRabbit.Kind"]["$value"] == "finding")
        .collect();
    assert!(findings.len() >= 3, "{findings:#?}");
    let id = |t: &Value| u32::try_from(t["id"].as_u64().unwrap()).unwrap();
    let fingerprint = |t: &Value| t["properties"]["CodeRabbit.Fingerprint"]["$value"].clone();
    let (dismissed, wont_fix, asked) = (&findings[0], &findings[1], &findings[2]);
    ado.add_human_reply(1, id(dismissed), "This is a false positive.");
    ado.set_thread_status(1, id(wont_fix), "wontFix");
    ado.add_human_reply(1, id(asked), "Why does this matter?");
    let question = id(asked);
    let second_question = person_says(ado, "what now?");
    ok(&respond(&setup));
    assert!(only_reply(ado, id(dismissed)).contains("not raise this again"));
    let silenced = state(ado)["silenced"].clone();
    for thread in [dismissed, wont_fix] {
        assert!(
            silenced.as_array().unwrap().contains(&fingerprint(thread)),
            "{silenced}"
        );
    }
    assert!(only_reply(ado, question).contains("needs a language model"));
    ado.add_human_reply(1, question, "And is there a better way?");
    ok(&respond(&setup));
    assert_eq!(
        replies(ado, question).len(),
        1,
        "the provider line is said once"
    );
    assert!(
        replies(ado, second_question).is_empty(),
        "not one of its threads"
    );

    // A later review neither re-opens nor re-posts what was silenced.
    ok(&review(&setup));
    let after: Vec<Value> = ado.threads(1);
    assert_eq!(
        after
            .iter()
            .find(|t| t["id"] == wont_fix["id"])
            .map(|t| t["status"].clone()),
        Some(json!("wontFix"))
    );
    for thread in [dismissed, wont_fix] {
        let copies = after
            .iter()
            .filter(|t| t["properties"]["CodeRabbit.Fingerprint"]["$value"] == fingerprint(thread))
            .count();
        assert_eq!(copies, 1);
    }
}

/// The service hook's documented payload, pointed at this PR of this organization.
fn payload(setup: &Setup) -> String {
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/azure-devops-service-hooks/pr_comment_event.sample.json"
    ))
    .unwrap();
    let mut value: Value = serde_json::from_str(&sample).unwrap();
    let base = setup.ado.base_url();
    let base = base.trim_end_matches('/');
    let project_id = setup.ado.project_id("project");
    let pr = &mut value["resource"]["pullRequest"];
    pr["pullRequestId"] = json!(1);
    pr["repository"]["id"] = json!(REPOSITORY_ID);
    pr["repository"]["project"]["id"] = json!(project_id);
    pr["repository"]["project"]["name"] = json!("project");
    pr["url"] = json!(format!(
        "{base}/{project_id}/_apis/git/repositories/{REPOSITORY_ID}/pullRequests/1"
    ));
    pr["repository"]["url"] = json!(format!(
        "{base}/{project_id}/_apis/git/repositories/{REPOSITORY_ID}"
    ));
    value["resource"]["comment"]["_links"] = json!({});
    serde_json::to_string_pretty(&value).unwrap()
}

#[test]
fn the_service_hooks_payload_starts_an_answer() {
    let setup = setup();
    let ado = &setup.ado;
    let thread = person_says(ado, "@coderabbitai help");
    let file = setup.work.path().join("event.json");
    std::fs::write(&file, payload(&setup)).unwrap();
    let started = Instant::now();
    let output = run(&mut respond_command(
        &setup,
        &["--event", file.to_str().unwrap()],
    ));
    let elapsed = started.elapsed();
    ok(&output);
    assert!(only_reply(ado, thread).contains("`pause`"));
    eprintln!(
        "comment-triggered answer: {} ms from start to reply",
        elapsed.as_millis()
    );
    assert!(elapsed < Duration::from_secs(10));
}

#[test]
fn foreign_and_other_payloads_are_refused_without_a_request() {
    let setup = setup();
    let ado = &setup.ado;
    person_says(ado, "@coderabbitai help");
    ado.reset_counters();
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/azure-devops-service-hooks/pr_comment_event.sample.json"
    ))
    .unwrap();
    let ours = payload(&setup);
    let cases = [
        ("foreign.json", sample.clone(), "fabrikam"),
        (
            "other-repo.json",
            ours.replace(REPOSITORY_ID, "99999999-1111-4222-8333-944455556677"),
            "repository 99999999",
        ),
        (
            "push.json",
            ours.replace("ms.vss-code.git-pullrequest-comment-event", "git.push"),
            "`git.push`",
        ),
    ];
    for (name, text, says) in cases {
        let file = setup.work.path().join(name);
        std::fs::write(&file, text).unwrap();
        let output = run(&mut respond_command(
            &setup,
            &["--event", file.to_str().unwrap()],
        ));
        assert_eq!(output.status.code(), Some(2), "{name}");
        let err = stderr(&output);
        assert!(err.contains(says), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
    assert_eq!(ado.request_count(), 0, "nothing was asked or written");
}

#[test]
fn a_pull_request_with_two_thousand_comments_is_read_in_one_pass() {
    let setup = setup();
    let ado = &setup.ado;
    for t in 0..100 {
        let thread = person_says(ado, &format!("discussion {t}"));
        for c in 0..19 {
            ado.add_human_reply(1, thread, &format!("comment {c} of thread {t}"));
        }
    }
    let last = person_says(ado, "@coderabbitai help");
    ado.reset_counters();
    ok(&respond(&setup));
    assert_eq!(
        only_reply(ado, last)
            .lines()
            .next()
            .map(|l| l.contains("@coderabbitai")),
        Some(true)
    );
    let threads_listed = ado
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/threads"))
        .count();
    assert_eq!(threads_listed, 1, "one pass over the threads");
}

#[test]
fn three_hundred_threads_and_nothing_new_take_few_requests() {
    let setup = setup();
    let ado = &setup.ado;
    for t in 0..300 {
        person_says(ado, &format!("thread {t}"));
    }
    ado.reset_counters();
    ok(&respond(&setup));
    let count = ado.request_count();
    eprintln!("respond on 300 threads, nothing new: {count} requests");
    assert!(count <= 5, "{count} requests");
    assert_eq!(ado.write_count(), 0);
}

fn summary_text(ado: &Emulator) -> String {
    summary(ado).expect("a summary")["comments"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_summary_lists_linked_work_items_and_goes_on_past_an_unreadable_one() {
    let setup = setup();
    let ado = &setup.ado;
    ok(&review(&setup));
    assert!(
        summary_text(ado).contains("No work item is linked to this pull request."),
        "{}",
        summary_text(ado)
    );

    ado.add_work_item(WorkItemSeed {
        state: "Resolved".into(),
        acceptance_criteria: "Saving twice keeps one copy".into(),
        ..WorkItemSeed::new(12, "Bug", "Saving twice duplicates the record")
    });
    ado.add_work_item(WorkItemSeed {
        readable: false,
        ..WorkItemSeed::new(13, "User Story", "Secret area")
    });
    ado.link_work_item(1, 12);
    ado.link_work_item(1, 13);
    ok(&review(&setup));
    let text = summary_text(ado);
    assert!(
        text.contains("- #12 Bug — Saving twice duplicates the record _(Resolved)_"),
        "{text}"
    );
    assert!(text.contains("- #13 — not readable"), "{text}");
    assert!(!text.contains("Secret area"));
    assert!(!text.contains("No work item is linked"));
    assert!(
        ado.threads(1)
            .iter()
            .any(|t| t["properties"]["CodeRabbit.Kind"]["$value"] == "finding"),
        "the review went on"
    );
    let batch = ado
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/_apis/wit/workitemsbatch"))
        .count();
    assert_eq!(batch, 1, "one batch read for both");
}
