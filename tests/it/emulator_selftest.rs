//! The Azure DevOps emulator's own tests: raw HTTP against it, checking that it behaves like the
//! service (answers, quirks, authentication, faults) and catches what the service would reject.

use std::time::{Duration, Instant};

use crate::emulator::{
    BuildSeed, Change, Emulator, Identity, IssueSeed, IterationSeed, Permission, PullRequestSeed,
    TimelineRecordSeed, WriteFault, reference_problems,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const PAT: &str = "pat-0123456789abcdefghijklmnopqrstuvwxyz";
const REPOSITORY: &str = "8d2b3c4e-5f60-4a71-8b92-a3b4c5d6e7f8";
const PR: u32 = 7;

fn bot() -> Identity {
    Identity::new(
        "CodeRabbit Reviewer",
        "coderabbit@example.com",
        "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
    )
}

/// An emulator with one repository, pull request 7 (two changed files) and a PAT that may do
/// everything the agent needs.
fn seeded() -> Emulator {
    let ado = Emulator::start();
    ado.add_token(PAT, bot(), &["code_write", "build_read", "threads_full"]);
    ado.add_repository("proj", REPOSITORY, "repo");
    ado.add_pull_request(PullRequestSeed {
        id: PR,
        changes: vec![("/src/a.rs", "edit").into(), ("src/b.rs", "add").into()],
        ..Default::default()
    });
    ado
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A raw HTTP client with one way of authenticating.
struct Client {
    http: reqwest::Client,
    base: String,
    authorization: Option<String>,
}

impl Client {
    fn new(ado: &Emulator, authorization: Option<String>) -> Client {
        Client {
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("a client"),
            base: ado.base_url(),
            authorization,
        }
    }

    fn pat(ado: &Emulator, pat: &str) -> Client {
        Client::new(ado, Some(basic(pat)))
    }

    /// `proj/_apis/git/repositories/{repo}/pullRequests/7{rest}`
    fn pr(rest: &str) -> String {
        format!("proj/_apis/git/repositories/{REPOSITORY}/pullRequests/{PR}{rest}")
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<&Value>,
    ) -> Result<Answer, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            request = request.header("Authorization", authorization);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", content_type)
                .body(serde_json::to_vec(body).expect("JSON"));
        }
        let response = request.send().await?;
        Ok(Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await?,
        })
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, "", None).await.expect("an answer")
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send("POST", path, "application/json", Some(body))
            .await
            .expect("an answer")
    }

    async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.send("PATCH", path, "application/json", Some(body))
            .await
            .expect("an answer")
    }
}

fn basic(pat: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!(":{pat}")))
}

/// A finding thread as the agent posts it, with integer enums and typed properties.
fn finding_thread() -> Value {
    json!({
        "comments": [{ "parentCommentId": 0, "content": "**major**: check the bounds", "commentType": 1 }],
        "status": 1,
        "threadContext": {
            "filePath": "/src/a.rs",
            "rightFileStart": { "line": 3, "offset": 1 },
            "rightFileEnd": { "line": 4, "offset": 2147483647 }
        },
        "pullRequestThreadContext": {
            "changeTrackingId": 1,
            "iterationContext": { "firstComparingIteration": 1, "secondComparingIteration": 1 }
        },
        "properties": {
            "CodeRabbit.Kind": "finding",
            "CodeRabbit.Fingerprint": { "$type": "System.String", "$value": "fp-1" },
            "Microsoft.TeamFoundation.Discussion.SupportsMarkdown": { "type": "System.Int32", "value": 1 }
        }
    })
}

#[tokio::test]
async fn a_thread_round_trips_with_typed_properties_and_enum_names() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);

    let created = client
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let created = created.json();
    assert_eq!(created["status"], "active");
    assert_eq!(created["comments"][0]["commentType"], "text");
    assert_eq!(created["comments"][0]["id"], 1);
    assert_eq!(
        created["comments"][0]["author"]["displayName"],
        "CodeRabbit Reviewer"
    );
    assert_eq!(
        created["comments"][0]["author"]["uniqueName"],
        "coderabbit@example.com"
    );
    let published = created["publishedDate"].as_str().expect("a date");
    assert!(
        published.len() == 24 && published.ends_with('Z') && published.as_bytes()[10] == b'T',
        "{published}"
    );

    let listed = client
        .get(&Client::pr("/threads?api-version=7.1"))
        .await
        .json();
    assert_eq!(listed["count"], 1);
    let thread = &listed["value"][0];
    assert_eq!(thread["id"], created["id"]);
    assert_eq!(
        thread["properties"]["Microsoft.TeamFoundation.Discussion.SupportsMarkdown"],
        json!({ "$type": "System.Int32", "$value": 1 })
    );
    assert_eq!(
        thread["properties"]["CodeRabbit.Kind"],
        json!({ "$type": "System.String", "$value": "finding" })
    );
    assert_eq!(
        thread["properties"]["CodeRabbit.Fingerprint"],
        json!({ "$type": "System.String", "$value": "fp-1" })
    );
    assert_eq!(
        thread["threadContext"]["rightFileEnd"]["offset"],
        2147483647
    );
    assert_eq!(thread["pullRequestThreadContext"]["changeTrackingId"], 1);
    assert_eq!(ado.threads(PR), vec![thread.clone()]);
    assert_eq!(
        reference_problems("GitPullRequestCommentThread", thread),
        Vec::<String>::new()
    );
    ado.assert_no_violations();
}

#[tokio::test]
async fn a_misspelled_field_is_refused_and_recorded() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    let mut body = finding_thread();
    let context = body
        .as_object_mut()
        .and_then(|m| m.remove("threadContext"))
        .expect("a context");
    body["threadContex"] = context;

    let answer = client
        .post(&Client::pr("/threads?api-version=7.1"), &body)
        .await;

    assert_eq!(answer.status, 400);
    let error = answer.json();
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("threadContex")),
        "{error}"
    );
    assert!(error["typeKey"].is_string());
    let violations = ado.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].message.contains("threadContex"));
    assert!(ado.threads(PR).is_empty());
}

#[tokio::test]
async fn enums_accept_any_case_and_reject_unknown_values() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    let mut body = finding_thread();
    body["status"] = json!("WONTFIX");
    let answer = client
        .post(&Client::pr("/threads?api-version=7.1"), &body)
        .await;
    assert_eq!(answer.json()["status"], "wontFix");
    ado.assert_no_violations();

    body["status"] = json!("resolved");
    let answer = client
        .post(&Client::pr("/threads?api-version=7.1"), &body)
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(ado.violations().len(), 1);
}

#[tokio::test]
async fn thread_positions_follow_the_service_rules() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    let cases = [
        (
            "/threadContext/filePath",
            json!("src/a.rs"),
            "must start with '/'",
        ),
        (
            "/threadContext/rightFileStart/offset",
            json!(0),
            "offset must be 1 or more",
        ),
        ("/threadContext/rightFileEnd/line", json!(2), "is before"),
        (
            "/pullRequestThreadContext/changeTrackingId",
            json!(99),
            "changeTrackingId 99",
        ),
        (
            "/pullRequestThreadContext/iterationContext/secondComparingIteration",
            json!(2),
            "does not name iterations",
        ),
    ];
    let count = cases.len();
    for (pointer, value, expected) in cases {
        let mut body = finding_thread();
        *body.pointer_mut(pointer).expect("the field exists") = value;
        let answer = client
            .post(&Client::pr("/threads?api-version=7.1"), &body)
            .await;
        assert_eq!(answer.status, 400, "{pointer}");
        assert!(answer.text.contains(expected), "{pointer}: {}", answer.text);
    }
    assert_eq!(ado.violations().len(), count);
    assert!(ado.threads(PR).is_empty());
}

#[tokio::test]
async fn api_version_must_be_the_reference_one() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);

    let missing = client.get(&Client::pr("/threads")).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["typeKey"], "VssVersionNotSpecifiedException");

    let older = client.get(&Client::pr("/threads?api-version=7.0")).await;
    assert_eq!(older.status, 400);

    let in_accept = client
        .http
        .get(format!("{}{}", client.base, Client::pr("/threads")))
        .header("Authorization", basic(PAT))
        .header("Accept", "application/json; api-version=7.1")
        .send()
        .await
        .expect("an answer");
    assert_eq!(in_accept.status().as_u16(), 200);

    assert_eq!(ado.violations().len(), 2, "{:?}", ado.violations());
}

#[tokio::test]
async fn unknown_routes_and_query_parameters_are_violations() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);

    let unknown = client.get(&Client::pr("/threadz?api-version=7.1")).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["message"].is_string());

    let unimplemented = client.get(&Client::pr("/reviewers?api-version=7.1")).await;
    assert_eq!(unimplemented.status, 404);
    assert!(unimplemented.text.contains("does not implement"));

    let typo = client
        .get(&Client::pr("/iterations/1/changes?api-version=7.1&$tpo=10"))
        .await;
    assert_eq!(typo.status, 400);

    let violations = ado.violations();
    assert_eq!(violations.len(), 3, "{violations:?}");
    assert!(violations[2].message.contains("$tpo"));
}

#[tokio::test]
async fn a_rejected_token_gets_the_sign_in_page_or_401() {
    let ado = seeded();
    let stranger = Client::pat(&ado, "expired-pat");
    let anonymous = Client::new(&ado, None);

    let get = stranger.get(&Client::pr("?api-version=7.1")).await;
    assert_eq!(get.status, 203);
    assert!(
        get.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    assert!(get.text.contains("Sign In"));

    let post = anonymous
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(post.status, 203);

    let patch = stranger
        .patch(
            &Client::pr("/threads/1?api-version=7.1"),
            &json!({ "status": "fixed" }),
        )
        .await;
    assert_eq!(patch.status, 401);
    let error = patch.json();
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("TF400813"))
    );
    assert_eq!(error["typeKey"], "UnauthorizedRequestException");

    ado.assert_no_violations();

    // A PAT is Basic only: as Bearer the service does not know it, and the client is at fault.
    let bearer = Client::new(&ado, Some(format!("Bearer {PAT}")));
    let answer = bearer.get(&Client::pr("?api-version=7.1")).await;
    assert_eq!(answer.status, 203);
    let violations = ado.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0]
            .message
            .contains("personal access token sent as Bearer"),
        "{}",
        violations[0]
    );
    ado.expect_violations();

    // The job token is Bearer (and works in Basic too).
    ado.add_job_token("job-token", Identity::build_service(), &["code_read"]);
    let job = Client::new(&ado, Some("Bearer job-token".to_owned()));
    assert_eq!(job.get(&Client::pr("?api-version=7.1")).await.status, 200);
    let job_basic = Client::new(
        &ado,
        Some(format!("Basic {}", STANDARD.encode(":job-token"))),
    );
    assert_eq!(
        job_basic.get(&Client::pr("?api-version=7.1")).await.status,
        200
    );
    assert_eq!(ado.violations().len(), 1);
}

#[tokio::test]
async fn scopes_and_permissions_limit_what_a_token_does() {
    let ado = seeded();
    ado.add_token("read-only", Identity::person(), &["code_read"]);
    ado.add_token("no-contribute", Identity::person(), &["code_write"]);
    ado.deny_permission("no-contribute", Permission::PullRequestContribute);

    let reader = Client::pat(&ado, "read-only");
    assert_eq!(
        reader.get(&Client::pr("?api-version=7.1")).await.status,
        200
    );
    let write = reader
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(write.status, 401);
    assert!(write.text.contains("TF400813"));
    assert_eq!(
        reader
            .get("proj/_apis/build/builds/1?api-version=7.1")
            .await
            .status,
        401
    );

    let denied = Client::pat(&ado, "no-contribute")
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(denied.status, 403);
    assert!(denied.text.contains("TF401027"));
    assert!(ado.threads(PR).is_empty());
    ado.assert_no_violations();
}

#[tokio::test]
async fn iteration_changes_page_without_next_skip_at_the_end() {
    let ado = Emulator::start();
    ado.add_token(PAT, bot(), &["code_read"]);
    ado.add_repository("proj", REPOSITORY, "repo");
    ado.add_pull_request(PullRequestSeed {
        id: PR,
        changes: (0..500)
            .map(|i| Change::new(&format!("/src/f{i:03}.rs"), "add"))
            .collect(),
        ..Default::default()
    });
    let client = Client::pat(&ado, PAT);

    let first = client
        .get(&Client::pr("/iterations/1/changes?api-version=7.1"))
        .await
        .json();
    assert_eq!(first["changeEntries"].as_array().map(Vec::len), Some(100));
    assert_eq!(first["nextSkip"], 100);

    let mut paths = Vec::new();
    let mut skip = 0;
    let mut pages = 0;
    loop {
        let page = client
            .get(&Client::pr(&format!(
                "/iterations/1/changes?api-version=7.1&$top=100&$skip={skip}"
            )))
            .await
            .json();
        pages += 1;
        assert_eq!(
            reference_problems("GitPullRequestIterationChanges", &page),
            Vec::<String>::new()
        );
        for entry in page["changeEntries"].as_array().expect("entries") {
            paths.push(entry["item"]["path"].as_str().expect("a path").to_owned());
        }
        match page.get("nextSkip") {
            Some(next) => {
                assert_eq!(page["nextTop"], 100);
                skip = usize::try_from(next.as_u64().expect("a number")).expect("fits");
            }
            None => {
                assert!(page.get("nextTop").is_none());
                break;
            }
        }
        assert!(pages < 10, "paging never ends");
    }
    assert_eq!(pages, 5);
    assert_eq!(paths.len(), 500);
    assert_eq!(paths[499], "/src/f499.rs");
    ado.assert_no_violations();
}

#[tokio::test]
async fn iterations_track_changes_across_pushes() {
    let ado = seeded();
    let second = ado.push_iteration(
        PR,
        IterationSeed {
            source_commit: "9".repeat(40),
            changes: vec![
                ("/src/b.rs", "add").into(),
                Change::rename("/src/a.rs", "/src/c.rs"),
            ],
            ..Default::default()
        },
    );
    assert_eq!(second, 2);
    let client = Client::pat(&ado, PAT);
    let iterations = client
        .get(&Client::pr("/iterations?api-version=7.1"))
        .await
        .json();
    assert_eq!(iterations["count"], 2);
    assert_eq!(
        iterations["value"][1]["sourceRefCommit"]["commitId"],
        "9".repeat(40)
    );
    assert_eq!(
        reference_problems("GitPullRequestIteration", &iterations["value"][1]),
        Vec::<String>::new()
    );
    let changes = client
        .get(&Client::pr("/iterations/2/changes?api-version=7.1"))
        .await
        .json();
    assert_eq!(changes["changeEntries"][0]["changeTrackingId"], 2);
    assert_eq!(changes["changeEntries"][1]["originalPath"], "/src/a.rs");
    let pr = client.get(&Client::pr("?api-version=7.1")).await.json();
    assert_eq!(pr["lastMergeSourceCommit"]["commitId"], "9".repeat(40));
    assert_eq!(
        reference_problems("GitPullRequest", &pr),
        Vec::<String>::new()
    );
    let by_id = client
        .get(&format!("_apis/git/pullrequests/{PR}?api-version=7.1"))
        .await;
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    ado.assert_no_violations();
}

#[tokio::test]
async fn comments_are_edited_by_their_author_only() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    let thread = client
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await
        .json();
    let id = thread["id"].as_u64().expect("an id");
    let thread_id = u32::try_from(id).expect("fits");

    let edited = client
        .patch(
            &Client::pr(&format!("/threads/{id}/comments/1?api-version=7.1")),
            &json!({ "content": "updated <b>verbatim</b>" }),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.json()["content"], "updated <b>verbatim</b>");

    let reply = ado.add_human_reply(PR, thread_id, "I disagree");
    assert_eq!(reply, 2);
    let foreign = client
        .patch(
            &Client::pr(&format!("/threads/{id}/comments/2?api-version=7.1")),
            &json!({ "content": "overwritten" }),
        )
        .await;
    assert_eq!(foreign.status, 403);

    let posted = client
        .post(
            &Client::pr(&format!("/threads/{id}/comments?api-version=7.1")),
            &json!({ "parentCommentId": 2, "content": "Noted.", "commentType": "text" }),
        )
        .await
        .json();
    assert_eq!(posted["id"], 3);

    ado.set_thread_status(PR, thread_id, "fixed");
    let thread = ado.thread(PR, thread_id).expect("the thread");
    assert_eq!(thread["status"], "fixed");
    let comments = thread["comments"].as_array().expect("comments");
    assert_eq!(
        comments[1]["author"]["displayName"],
        Identity::person().display_name
    );
    assert_eq!(comments[1]["content"], "I disagree");

    let deleted = client
        .send(
            "DELETE",
            &Client::pr(&format!("/threads/{id}/comments/3?api-version=7.1")),
            "",
            None,
        )
        .await
        .expect("an answer");
    assert_eq!(deleted.status, 200);
    let thread = ado.thread(PR, thread_id).expect("the thread");
    assert_eq!(thread["comments"][2]["isDeleted"], true);
    assert!(thread["comments"][2].get("content").is_none());
    assert_eq!(thread["isDeleted"], false);

    let violations = ado.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].status, 403);
}

#[tokio::test]
async fn threads_can_be_updated_and_seeded() {
    let ado = seeded();
    let older = ado.add_thread_as(
        PR,
        &bot(),
        json!({
            "comments": [{ "content": "summary", "commentType": "text" }],
            "properties": { "CodeRabbit.Kind": "summary" }
        }),
    );
    let client = Client::pat(&ado, PAT);
    let updated = client
        .patch(
            &Client::pr(&format!("/threads/{older}?api-version=7.1")),
            &json!({ "status": 2, "properties": { "CodeRabbit.Kind": null } }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let updated = updated.json();
    assert_eq!(updated["status"], "fixed");
    assert!(updated["properties"].get("CodeRabbit.Kind").is_none());
    let fetched = client
        .get(&Client::pr(&format!("/threads/{older}?api-version=7.1")))
        .await
        .json();
    assert_eq!(fetched, updated);
    ado.assert_no_violations();
}

#[tokio::test]
async fn statuses_and_properties_behave_like_the_service() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    let status = client
        .post(
            &Client::pr("/statuses?api-version=7.1"),
            &json!({
                "state": 2,
                "description": "CodeRabbit: 3 findings",
                "context": { "genre": "coderabbit", "name": "review" },
                "targetUrl": "https://example.com/build/1"
            }),
        )
        .await;
    assert_eq!(status.status, 200, "{}", status.text);
    let status = status.json();
    assert_eq!(status["state"], "succeeded");
    assert_eq!(status["createdBy"]["id"], bot().id);
    assert_eq!(
        reference_problems("GitPullRequestStatus", &status),
        Vec::<String>::new()
    );
    let on_iteration = client
        .post(
            &Client::pr("/iterations/1/statuses?api-version=7.1"),
            &json!({ "state": "pending", "context": { "genre": "coderabbit", "name": "remediation" } }),
        )
        .await
        .json();
    assert_eq!(on_iteration["iterationId"], 1);
    assert_eq!(ado.statuses(PR).len(), 2);

    let nameless = client
        .post(
            &Client::pr("/statuses?api-version=7.1"),
            &json!({ "state": "failed", "context": { "genre": "coderabbit" } }),
        )
        .await;
    assert_eq!(nameless.status, 400);

    let patch = json!([
        { "op": "add", "path": "/CodeRabbit.LastReviewed", "value": "a".repeat(40) },
        { "op": "add", "path": "/CodeRabbit.Runs", "value": 3 }
    ]);
    let wrong_type = client
        .patch(&Client::pr("/properties?api-version=7.1"), &patch)
        .await;
    assert_eq!(wrong_type.status, 400);
    assert!(wrong_type.text.contains("application/json-patch+json"));
    let properties = client
        .send(
            "PATCH",
            &Client::pr("/properties?api-version=7.1"),
            "application/json-patch+json",
            Some(&patch),
        )
        .await
        .expect("an answer");
    assert_eq!(properties.status, 200, "{}", properties.text);
    let properties = properties.json();
    assert_eq!(properties["count"], 4);
    assert_eq!(
        properties["value"]["CodeRabbit.Runs"],
        json!({ "$type": "System.String", "$value": "3" })
    );
    assert_eq!(ado.pull_request_properties(PR), properties);

    let violations = ado.violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
}

#[tokio::test]
async fn builds_expose_timeline_and_log_lines() {
    let ado = seeded();
    ado.add_build(BuildSeed {
        id: 42,
        pull_request_id: Some(PR),
        records: vec![TimelineRecordSeed {
            name: "cargo build".to_owned(),
            result: Some("failed".to_owned()),
            log_id: Some(5),
            issues: vec![IssueSeed {
                message: "mismatched types".to_owned(),
                data: vec![
                    ("sourcepath".to_owned(), "src/a.rs".to_owned()),
                    ("linenumber".to_owned(), "3".to_owned()),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
        logs: vec![(
            5,
            "line one\nline two\nerror[E0308]: mismatched types\nline four\n".to_owned(),
        )],
        ..Default::default()
    });
    let client = Client::pat(&ado, PAT);

    let build = client
        .get("proj/_apis/build/builds/42?api-version=7.1")
        .await
        .json();
    assert_eq!(build["triggerInfo"]["pr.number"], "7");
    assert_eq!(build["sourceBranch"], "refs/pull/7/merge");
    assert_eq!(reference_problems("Build", &build), Vec::<String>::new());

    let timeline = client
        .get("proj/_apis/build/builds/42/timeline?api-version=7.1")
        .await
        .json();
    let record = &timeline["records"][0];
    assert_eq!(record["issues"][0]["data"]["sourcepath"], "src/a.rs");
    assert_eq!(record["errorCount"], 1);
    assert_eq!(record["log"]["id"], 5);
    assert_eq!(
        reference_problems("Timeline", &timeline),
        Vec::<String>::new()
    );

    let logs = client
        .get("proj/_apis/build/builds/42/logs?api-version=7.1")
        .await
        .json();
    assert_eq!(logs["value"][0]["lineCount"], 4);
    assert_eq!(
        reference_problems("BuildLog", &logs["value"][0]),
        Vec::<String>::new()
    );

    let lines = client
        .get("proj/_apis/build/builds/42/logs/5?api-version=7.1&startLine=2&endLine=3")
        .await;
    assert!(
        lines
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/plain"))
    );
    assert_eq!(lines.text, "line two\nerror[E0308]: mismatched types\n");

    let missing = client
        .get("proj/_apis/build/builds/43?api-version=7.1")
        .await;
    assert_eq!(missing.status, 404);
    ado.assert_no_violations();
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_then_recover() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    ado.rate_limit_next(1, 7);
    ado.throttle_next(1, 0.5);

    let limited = client.get(&Client::pr("?api-version=7.1")).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("7"));

    let delayed = client.get(&Client::pr("?api-version=7.1")).await;
    assert_eq!(delayed.status, 200);
    assert_eq!(delayed.header("x-ratelimit-delay"), Some("0.500"));

    let normal = client.get(&Client::pr("?api-version=7.1")).await;
    assert_eq!(normal.status, 200);
    assert!(normal.header("x-ratelimit-delay").is_none());
}

#[tokio::test]
async fn failures_after_n_writes_cut_a_run_short() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    ado.fail_after_writes(2);

    for _ in 0..2 {
        let answer = client
            .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
            .await;
        assert_eq!(answer.status, 200);
    }
    assert_eq!(
        client
            .get(&Client::pr("/threads?api-version=7.1"))
            .await
            .status,
        503
    );
    assert_eq!(
        client
            .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
            .await
            .status,
        503
    );
    assert_eq!(ado.threads(PR).len(), 2);
    assert_eq!(ado.write_count(), 3);
    assert_eq!(ado.request_count(), 4);

    ado.clear_faults();
    ado.reset_counters();
    ado.fail_next(1, 500);
    assert_eq!(
        client.get(&Client::pr("?api-version=7.1")).await.status,
        500
    );
    assert_eq!(
        client.get(&Client::pr("?api-version=7.1")).await.status,
        200
    );
    assert_eq!(ado.request_count(), 2);
    assert_eq!(ado.write_count(), 0);
}

#[tokio::test]
async fn dropped_connections_get_no_answer() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    ado.drop_next(1);
    let dropped = client
        .send("GET", &Client::pr("?api-version=7.1"), "", None)
        .await;
    assert!(dropped.is_err(), "an answer came back");
    assert_eq!(
        client.get(&Client::pr("?api-version=7.1")).await.status,
        200
    );
    let requests = ado.requests();
    assert_eq!(requests[0].status, None);
    assert_eq!(requests[1].status, Some(200));
}

#[tokio::test]
async fn latency_does_not_serialise_requests() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    ado.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    let path = Client::pr("?api-version=7.1");
    let (a, b, c) = tokio::join!(client.get(&path), client.get(&path), client.get(&path));
    let elapsed = started.elapsed();
    assert_eq!([a.status, b.status, c.status], [200, 200, 200]);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(850), "{elapsed:?}");
}

#[tokio::test]
async fn connection_data_answers_only_to_a_preview_version() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);

    let preview = client
        .get("_apis/connectionData?api-version=7.1-preview.1")
        .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let data = preview.json();
    assert_eq!(
        data["authenticatedUser"]["providerDisplayName"],
        "CodeRabbit Reviewer"
    );
    assert_eq!(data["authenticatedUser"]["id"], bot().id);
    assert_eq!(
        data["authenticatedUser"]["properties"]["Account"],
        json!({ "$type": "System.String", "$value": "coderabbit@example.com" })
    );
    assert_eq!(data["authorizedUser"], data["authenticatedUser"]);
    assert!(data["instanceId"].is_string());
    assert!(data["locationServiceData"].is_object());

    let released = client.get("_apis/connectionData?api-version=7.1").await;
    assert_eq!(released.status, 400);
    assert_eq!(
        released.json()["typeKey"],
        "VssInvalidPreviewVersionException"
    );

    let stranger = Client::pat(&ado, "wrong");
    let refused = stranger
        .get("_apis/connectionData?api-version=7.1-preview.1")
        .await;
    assert_eq!(refused.status, 203);

    assert_eq!(ado.violations().len(), 1);
}

#[tokio::test]
async fn the_request_log_keeps_every_header_and_body() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    client
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;

    let requests = ado.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.query_param("api-version").as_deref(), Some("7.1"));
    assert_eq!(request.header("Authorization"), Some(basic(PAT).as_str()));
    assert!(request.contains(&STANDARD.encode(format!(":{PAT}"))));
    assert!(!request.contains(PAT), "the raw token never travels");
    assert!(request.header("content-type").is_some());
    assert_eq!(request.body_json(), Some(finding_thread()));
    assert!(request.is_write());
}

#[tokio::test]
async fn pull_request_lists_cut_descriptions_and_env_describes_the_build() {
    let ado = seeded();
    ado.add_pull_request(PullRequestSeed {
        id: 8,
        description: "x".repeat(1000),
        ..Default::default()
    });
    let client = Client::pat(&ado, PAT);
    let list = client
        .get(&format!(
            "proj/_apis/git/repositories/{REPOSITORY}/pullrequests?api-version=7.1&searchCriteria.status=active"
        ))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    assert_eq!(list["count"], 2);
    assert_eq!(
        list["value"][0]["description"].as_str().map(str::len),
        Some(400)
    );
    let whole = client
        .get("proj/_apis/git/pullrequests/8?api-version=7.1")
        .await
        .json();
    assert_eq!(whole["description"].as_str().map(str::len), Some(1000));

    let env = ado.pipeline_env(PR);
    let value = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name} is missing"))
    };
    assert_eq!(value("SYSTEM_COLLECTIONURI"), ado.base_url());
    assert_eq!(value("SYSTEM_PULLREQUEST_PULLREQUESTID"), "7");
    assert_eq!(value("SYSTEM_TEAMPROJECTID"), ado.project_id("proj"));
    assert_eq!(value("BUILD_REPOSITORY_ID"), REPOSITORY);
    ado.assert_no_violations();
}

#[tokio::test]
async fn an_unchecked_violation_fails_the_test_when_the_emulator_is_dropped() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    let answer = client.get(&Client::pr("/threadz?api-version=7.1")).await;
    assert_eq!(answer.status, 404);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(ado)));
    let message = dropped
        .expect_err("dropping an emulator that saw a violation panics")
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(
        message.contains("1 request(s) the service would reject") && message.contains("threadz"),
        "{message}"
    );

    // Opting out is explicit.
    let ado = seeded();
    ado.expect_violations();
    Client::pat(&ado, PAT)
        .get(&Client::pr("/threadz?api-version=7.1"))
        .await;
    drop(ado);
}

#[tokio::test]
async fn comment_content_over_150000_characters_is_refused_as_the_service_does() {
    let ado = seeded();
    ado.expect_violations();
    let client = Client::pat(&ado, PAT);
    // The service counts characters (UTF-16 code units), not bytes: 150,000 'é' (300,000 bytes
    // of UTF-8) fit exactly.
    let mut thread = finding_thread();
    thread["comments"][0]["content"] = json!("é".repeat(150_000));
    let fits = client
        .post(&Client::pr("/threads?api-version=7.1"), &thread)
        .await;
    assert_eq!(
        fits.status,
        200,
        "{}",
        &fits.text[..200.min(fits.text.len())]
    );
    let thread_id = fits.json()["id"].as_u64().expect("an id");

    let over = "x".repeat(150_001);
    let expected = "A discussion comment cannot be longer than 150000 characters.\r\nParameter name: comment.Content";
    thread["comments"][0]["content"] = json!(over);
    let refused = client
        .post(&Client::pr("/threads?api-version=7.1"), &thread)
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["message"], expected);

    let reply = client
        .post(
            &Client::pr(&format!("/threads/{thread_id}/comments?api-version=7.1")),
            &json!({ "parentCommentId": 1, "content": over, "commentType": 1 }),
        )
        .await;
    assert_eq!(reply.status, 400);
    let edit = client
        .patch(
            &Client::pr(&format!("/threads/{thread_id}/comments/1?api-version=7.1")),
            &json!({ "content": over }),
        )
        .await;
    assert_eq!(edit.status, 400);
    assert_eq!(edit.json()["message"], expected);

    assert_eq!(ado.threads(PR).len(), 1);
    assert_eq!(
        ado.threads(PR)[0]["comments"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(ado.violations().len(), 3, "{:?}", ado.violations());
}

#[tokio::test]
async fn a_write_fault_either_stores_nothing_or_stores_and_loses_the_answer() {
    let ado = seeded();
    let client = Client::pat(&ado, PAT);
    let threads = "^POST .*/pullRequests/7/threads$";

    ado.fault_next_writes(threads, 1, WriteFault::Refused(503));
    let refused = client
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(refused.status, 503);
    assert!(ado.threads(PR).is_empty());

    ado.fault_next_writes(threads, 1, WriteFault::RefusedDropped);
    let dropped = client
        .send(
            "POST",
            &Client::pr("/threads?api-version=7.1"),
            "application/json",
            Some(&finding_thread()),
        )
        .await;
    assert!(
        dropped.is_err(),
        "the connection is closed without an answer"
    );
    assert!(ado.threads(PR).is_empty());

    ado.fault_next_writes(threads, 1, WriteFault::AppliedThenStatus(500));
    let lost = client
        .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
        .await;
    assert_eq!(lost.status, 500);
    assert_eq!(
        ado.threads(PR).len(),
        1,
        "stored although the answer is a 500"
    );

    ado.fault_next_writes(threads, 1, WriteFault::AppliedThenDropped);
    let lost = client
        .send(
            "POST",
            &Client::pr("/threads?api-version=7.1"),
            "application/json",
            Some(&finding_thread()),
        )
        .await;
    assert!(lost.is_err());
    assert_eq!(ado.threads(PR).len(), 2, "stored although no answer came");

    // Reads and writes that do not match the pattern are not touched; the fault is used up.
    ado.fault_next_writes(threads, 1, WriteFault::Refused(503));
    assert_eq!(
        client
            .get(&Client::pr("/threads?api-version=7.1"))
            .await
            .status,
        200
    );
    let status = client
        .post(
            &Client::pr("/statuses?api-version=7.1"),
            &json!({ "state": "succeeded", "context": { "name": "review", "genre": "coderabbit" } }),
        )
        .await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(
        client
            .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
            .await
            .status,
        503
    );
    assert_eq!(
        client
            .post(&Client::pr("/threads?api-version=7.1"), &finding_thread())
            .await
            .status,
        200
    );
}
