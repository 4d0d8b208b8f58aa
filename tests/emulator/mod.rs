//! An in-process Azure DevOps Services emulator for integration tests.
//!
//! It is a real HTTP/1.1 server on `127.0.0.1` (a random port) that runs on its own thread with its
//! own tokio runtime, so a test can point the real `coderabbit-agent` binary at it through
//! `SYSTEM_COLLECTIONURI` and then inspect what the binary left on the pull request. It behaves like
//! the service as `tests/reference/README.md` describes it, quirks included:
//!
//! - **Every request is checked against the official REST 7.1 reference** (`git.json`,
//!   `build.json`, `core.json`): the route (method + path template, project segment optional where
//!   the reference says so), `api-version` (exactly `7.1`, or `-preview.N` where the reference
//!   declares a preview), unknown and ill-typed query parameters, the `Content-Type`, and the JSON
//!   body against a strict copy of the body schema in which every object that lists its
//!   `properties` forbids any other (property bags and `_links` stay open). Enums are accepted as
//!   integers or case-insensitive strings and stored as camelCase strings, as the service does. On
//!   top of the schema come the service's own rules that the agent's contract relies on: a thread
//!   has comments, `filePath` starts with `/`, positions are 1-based with the end not before the
//!   start, iteration contexts and change tracking ids exist, a status has a context name. A request
//!   that fails gets 400 (404 for an unknown route, 405 for a wrong method) with the
//!   service's `{"message", "typeKey"}` body, **and is recorded as a violation**, so a test can
//!   assert [`Emulator::violations`] is empty even when the client ignored the error.
//! - **Authentication like the service**: a PAT arrives as `Basic base64(":" + pat)`,
//!   `SYSTEM_ACCESSTOKEN` as `Bearer`. An unknown token gets 203 with an HTML sign-in page on
//!   GET/POST and 401 `TF400813` on other methods; a token without the operation's OAuth scope gets
//!   401; a permission denied with [`Emulator::deny_permission`] gets 403 `TF401027` on writes.
//! - **Faults** can be injected while it runs: latency, 429 with `Retry-After`, 5xx, dropped
//!   connections, 200 with `X-RateLimit-Delay`, and "everything fails after N writes".
//! - **Every request is logged** with all its headers and its body, for secret-leak checks.
//!
//! ```ignore
//! mod emulator;
//! use emulator::{Emulator, Identity, PullRequestSeed};
//!
//! let ado = Emulator::start();
//! ado.add_token("pat-1", Identity::new("CodeRabbit", "coderabbit@example.com", "0b1c…"), &["code_write", "build_read"]);
//! ado.add_repository("proj", "9f3c…", "repo");
//! ado.add_pull_request(PullRequestSeed {
//!     id: 7,
//!     changes: vec![("/src/a.rs", "edit").into()],
//!     ..Default::default()
//! });
//! // run the binary with `ado.pipeline_env(7)` and CODERABBIT_PAT=pat-1, then:
//! ado.assert_no_violations();
//! assert_eq!(ado.threads(7).len(), 2);
//! ```
//!
//! Endpoints served: connectionData; project by id; repository by id; pull request by id (with
//! and without the repository), pull request lists (description cut to 400 characters); labels;
//! iterations and iteration changes (paged by `$top`/`$skip`, no `nextSkip` on the last page);
//! threads (list, get, create, update) and comments (list, get, create, edit, delete); pull request
//! and iteration statuses (list, get, create, JSON Patch remove, delete); pull request properties
//! (get, JSON Patch); work item refs of a pull request (always empty); build, timeline, log list and
//! log lines. Any other route of the reference answers 404 and counts as a violation, so a client
//! that starts using a new call extends the emulator first. Not emulated: work items by id (no
//! `wit` reference here), `$compareTo` on iteration changes (ignored), and thread position tracking
//! for `$iteration`/`$baseIteration` (threads come back at their creation position).

mod auth;
mod clock;
mod faults;
mod reply;
mod routes;
mod server;
mod spec;
mod state;
mod work_items;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;

use self::faults::Fault;
pub use self::faults::WriteFault;

use self::state::Organization;
pub use self::work_items::WorkItemSeed;

/// The problems of `value` as an instance of `definition` (e.g. `GitPullRequestCommentThread`,
/// `Build`) of the 7.1 reference, checked against the emulator's strict copy after the same
/// normalisation as request bodies; empty when it conforms.
pub fn reference_problems(definition: &str, value: &Value) -> Vec<String> {
    spec::spec().definition_problems(definition, value)
}

/// Who a token belongs to, or who wrote a comment: the parts of an Azure DevOps `IdentityRef`
/// that the agent reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub display_name: String,
    pub unique_name: String,
    pub id: String,
}

impl Identity {
    pub fn new(display_name: &str, unique_name: &str, id: &str) -> Identity {
        Identity {
            display_name: display_name.to_owned(),
            unique_name: unique_name.to_owned(),
            id: id.to_owned(),
        }
    }

    /// A person on the team: the author of [`Emulator::add_human_reply`] and the default author
    /// of seeded pull requests.
    pub fn person() -> Identity {
        Identity::new(
            "Alex Developer",
            "alex@example.com",
            "6f1e4c1a-1b7d-4b8e-9c55-0c9d2f1d5a01",
        )
    }

    /// The project collection build service, as `SYSTEM_ACCESSTOKEN` appears.
    pub fn build_service() -> Identity {
        Identity::new(
            "Project Collection Build Service (org)",
            "Build\\3e1c2b7a-5d44-4a8b-b1f2-7c5b8e9d0a11",
            "3e1c2b7a-5d44-4a8b-b1f2-7c5b8e9d0a11",
        )
    }
}

/// A Git permission that a token's identity can be denied (the token's scopes are separate: see
/// [`Emulator::add_token`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Writing threads, comments, statuses, properties: denied writes answer 403 `TF401027`.
    PullRequestContribute,
    /// Reading the repository: denied reads answer 404 `TF401019`, as the service hides what one
    /// cannot read.
    GenericRead,
    /// Reading builds, timelines and logs: denied reads answer 403 `TF215106`.
    ViewBuilds,
}

/// One file of an iteration's change list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Repository path; a leading `/` is added if missing, as the service always has one.
    pub path: String,
    /// `add`, `edit`, `delete`, `rename`, or flags such as `edit, rename`.
    pub change_type: String,
    /// The old path of a rename.
    pub original_path: Option<String>,
}

impl Change {
    pub fn new(path: &str, change_type: &str) -> Change {
        Change {
            path: path.to_owned(),
            change_type: change_type.to_owned(),
            original_path: None,
        }
    }

    pub fn rename(original_path: &str, path: &str) -> Change {
        Change {
            path: path.to_owned(),
            change_type: "rename".to_owned(),
            original_path: Some(original_path.to_owned()),
        }
    }
}

impl From<(&str, &str)> for Change {
    fn from((path, change_type): (&str, &str)) -> Change {
        Change::new(path, change_type)
    }
}

/// A pull request to seed; iteration 1 is created from its commits and changes.
#[derive(Clone, Debug)]
pub struct PullRequestSeed {
    pub id: u32,
    /// Repository id or name; empty means the only repository added so far.
    pub repository: String,
    pub title: String,
    pub description: String,
    pub is_draft: bool,
    /// `active`, `abandoned` or `completed`.
    pub status: String,
    pub created_by: Identity,
    pub source_ref_name: String,
    pub target_ref_name: String,
    pub labels: Vec<String>,
    /// The PR source tip S (`lastMergeSourceCommit`).
    pub source_commit: String,
    /// The target tip T (`lastMergeTargetCommit`).
    pub target_commit: String,
    /// merge-base(T, S) (the iteration's `commonRefCommit`).
    pub base_commit: String,
    /// The synthetic merge commit M (`lastMergeCommit`); empty means derived from S and T.
    pub merge_commit: String,
    pub changes: Vec<Change>,
}

impl Default for PullRequestSeed {
    fn default() -> PullRequestSeed {
        PullRequestSeed {
            id: 1,
            repository: String::new(),
            title: "Add a feature".to_owned(),
            description: "Adds a feature.".to_owned(),
            is_draft: false,
            status: "active".to_owned(),
            created_by: Identity::person(),
            source_ref_name: "refs/heads/feature".to_owned(),
            target_ref_name: "refs/heads/main".to_owned(),
            labels: Vec::new(),
            source_commit: "5".repeat(40),
            target_commit: "7".repeat(40),
            base_commit: "b".repeat(40),
            merge_commit: String::new(),
            changes: Vec::new(),
        }
    }
}

impl PullRequestSeed {
    /// Pull request 1 at a checkout's commits: source S, target T, their merge-base and the merge
    /// commit M, with its changes as `(path, change type)` (`git diff --name-status`).
    pub fn at(
        source: &str,
        target: &str,
        base: &str,
        merge: &str,
        changes: &[(String, String)],
    ) -> Self {
        let iteration = IterationSeed::at(source, target, base, merge, changes);
        PullRequestSeed {
            source_commit: iteration.source_commit,
            target_commit: iteration.target_commit,
            base_commit: iteration.base_commit,
            merge_commit: iteration.merge_commit,
            changes: iteration.changes,
            ..PullRequestSeed::default()
        }
    }
}

impl IterationSeed {
    /// A push that brings the pull request to these commits and changes.
    pub fn at(
        source: &str,
        target: &str,
        base: &str,
        merge: &str,
        changes: &[(String, String)],
    ) -> Self {
        IterationSeed {
            source_commit: source.to_owned(),
            target_commit: target.to_owned(),
            base_commit: base.to_owned(),
            merge_commit: merge.to_owned(),
            changes: changes
                .iter()
                .map(|(path, kind)| Change::new(path, kind))
                .collect(),
        }
    }
}

/// A later push to a pull request: a new iteration whose change list replaces the previous one.
/// `..Default::default()` keeps the seeded pull request's target and base commits.
#[derive(Clone, Debug)]
pub struct IterationSeed {
    pub source_commit: String,
    pub target_commit: String,
    pub base_commit: String,
    /// Empty means derived from S and T.
    pub merge_commit: String,
    /// All the PR's changes as of this iteration (what the "Files" tab shows).
    pub changes: Vec<Change>,
}

impl Default for IterationSeed {
    fn default() -> IterationSeed {
        let seed = PullRequestSeed::default();
        IterationSeed {
            source_commit: "6".repeat(40),
            target_commit: seed.target_commit,
            base_commit: seed.base_commit,
            merge_commit: String::new(),
            changes: Vec::new(),
        }
    }
}

/// One issue of a timeline record (`##vso[task.logissue]`, compiler errors the agent reported…).
#[derive(Clone, Debug)]
pub struct IssueSeed {
    /// `error` or `warning`.
    pub issue_type: String,
    pub category: Option<String>,
    pub message: String,
    /// `sourcepath`, `linenumber`, `columnnumber`, `code`, `logFileLineNumber`…
    pub data: Vec<(String, String)>,
}

impl Default for IssueSeed {
    fn default() -> IssueSeed {
        IssueSeed {
            issue_type: "error".to_owned(),
            category: Some("General".to_owned()),
            message: String::new(),
            data: Vec::new(),
        }
    }
}

/// One record of a build timeline (stage, job or task).
#[derive(Clone, Debug)]
pub struct TimelineRecordSeed {
    /// A GUID; empty means generated.
    pub id: String,
    pub parent_id: Option<String>,
    /// `Stage`, `Phase`, `Job`, `Task`, `Checkpoint`.
    pub record_type: String,
    pub name: String,
    /// `pending`, `inProgress` or `completed`.
    pub state: String,
    /// `succeeded`, `succeededWithIssues`, `failed`, `canceled`, `skipped`, `abandoned`.
    pub result: Option<String>,
    pub log_id: Option<u32>,
    pub order: u32,
    pub issues: Vec<IssueSeed>,
}

impl Default for TimelineRecordSeed {
    fn default() -> TimelineRecordSeed {
        TimelineRecordSeed {
            id: String::new(),
            parent_id: None,
            record_type: "Task".to_owned(),
            name: "Build".to_owned(),
            state: "completed".to_owned(),
            result: Some("succeeded".to_owned()),
            log_id: None,
            order: 1,
            issues: Vec::new(),
        }
    }
}

/// A build to seed, with its timeline and logs.
#[derive(Clone, Debug)]
pub struct BuildSeed {
    pub id: u32,
    /// Project name or id; empty means the only project added so far.
    pub project: String,
    /// Repository id or name; empty means the only repository added so far.
    pub repository: String,
    /// `completed`, `inProgress`…
    pub status: String,
    /// `succeeded`, `partiallySucceeded`, `failed`, `canceled`; `None` while running.
    pub result: Option<String>,
    /// `pullRequest`, `individualCI`, `manual`…
    pub reason: String,
    /// Empty means `refs/pull/{pr}/merge` for a PR build.
    pub source_branch: String,
    pub source_version: String,
    /// The pull request that triggered it (`triggerInfo["pr.number"]`).
    pub pull_request_id: Option<u32>,
    pub definition_id: u32,
    pub definition_name: String,
    pub records: Vec<TimelineRecordSeed>,
    /// Log id and its text; lines are split on `\n`.
    pub logs: Vec<(u32, String)>,
    /// Logs whose entry in the log list has no `lineCount` (the service leaves it out, e.g. for
    /// a log still being written).
    pub logs_without_line_count: Vec<u32>,
}

impl Default for BuildSeed {
    fn default() -> BuildSeed {
        BuildSeed {
            id: 1,
            project: String::new(),
            repository: String::new(),
            status: "completed".to_owned(),
            result: Some("failed".to_owned()),
            reason: "pullRequest".to_owned(),
            source_branch: String::new(),
            source_version: "c".repeat(40),
            pull_request_id: Some(1),
            definition_id: 12,
            definition_name: "CI".to_owned(),
            records: Vec::new(),
            logs: Vec::new(),
            logs_without_line_count: Vec::new(),
        }
    }
}

/// A request as the emulator received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Every header in the order received; names are lower-case (HTTP/1.1 names are
    /// case-insensitive and hyper normalises them), values exactly as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status answered, `None` when the emulator dropped the connection.
    pub status: Option<u16>,
    /// When the emulator had read it whole (before any injected latency).
    pub received: std::time::Instant,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The decoded value of a query parameter, by case-insensitive name.
    pub fn query_param(&self, name: &str) -> Option<String> {
        spec::parse_query(&self.query)
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// Whether `needle` appears anywhere in the request: path, query, a header value or the body.
    pub fn contains(&self, needle: &str) -> bool {
        self.path.contains(needle)
            || self.query.contains(needle)
            || self.headers.iter().any(|(_, v)| v.contains(needle))
            || self.body_text().contains(needle)
    }
}

/// A request the real service would reject, or that a well-behaved client never sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        write!(f, " -> {}: {}", self.status, self.message)
    }
}

/// The emulator's mutable world, behind one lock: the organization's data, the tokens, the faults
/// and the request log.
struct World {
    organization: Organization,
    tokens: auth::Tokens,
    faults: faults::Faults,
    requests: Vec<RecordedRequest>,
    violations: Vec<Violation>,
    request_count: usize,
    write_count: usize,
}

struct Shared {
    world: Mutex<World>,
}

impl Shared {
    fn world(&self) -> MutexGuard<'_, World> {
        // A test that panicked while holding the lock must not hide the state from the others.
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running emulator. Dropping it stops the server and, unless the test called
/// [`Emulator::expect_violations`] or is already failing, fails the test on any request the
/// service would have rejected.
pub struct Emulator {
    shared: Arc<Shared>,
    address: SocketAddr,
    organization: String,
    server: Option<server::Handle>,
    violations_expected: AtomicBool,
}

impl Emulator {
    /// Starts an emulator for the organization `org` on a random loopback port.
    pub fn start() -> Emulator {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind a loopback port for the emulator");
        let address = listener.local_addr().expect("the emulator's address");
        let organization = "org".to_owned();
        let base_url = format!("http://{address}/{organization}/");
        let shared = Arc::new(Shared {
            world: Mutex::new(World {
                organization: Organization::new(&organization, &base_url),
                tokens: auth::Tokens::default(),
                faults: faults::Faults::default(),
                requests: Vec::new(),
                violations: Vec::new(),
                request_count: 0,
                write_count: 0,
            }),
        });
        let server = server::spawn(listener, Arc::clone(&shared));
        Emulator {
            shared,
            address,
            organization,
            server: Some(server),
            violations_expected: AtomicBool::new(false),
        }
    }

    /// The collection URL, as `SYSTEM_COLLECTIONURI` holds it: `http://127.0.0.1:PORT/org/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/{}/", self.address, self.organization)
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.shared.world()
    }

    // ----- tokens -----------------------------------------------------------------------------

    /// Makes `token` a valid personal access token (sent in Basic auth; as Bearer it is refused
    /// like an unknown token and recorded as a violation) for `identity`, with the given scopes: `code_read`, `code_write`, `code_manage`, `code_full`, `code_status`,
    /// `threads_full`, `build_read`, `build_execute`, `project_read`, `full` (everything), or the
    /// service's own names such as `vso.code_write`. Panics on an unknown scope name.
    pub fn add_token(&self, token: &str, identity: Identity, scopes: &[&str]) {
        self.world()
            .tokens
            .add(token, auth::TokenKind::Pat, identity, scopes);
    }

    /// Makes `token` a valid job token (`System.AccessToken`, sent as Bearer or in Basic auth) for
    /// `identity`, with scopes as for [`Emulator::add_token`].
    pub fn add_job_token(&self, token: &str, identity: Identity, scopes: &[&str]) {
        self.world()
            .tokens
            .add(token, auth::TokenKind::Job, identity, scopes);
    }

    /// Denies a permission to the identity behind `token`.
    pub fn deny_permission(&self, token: &str, permission: Permission) {
        self.world().tokens.deny(token, permission);
    }

    // ----- seeding ----------------------------------------------------------------------------

    /// Adds a repository to `project` (created if new).
    pub fn add_repository(&self, project: &str, repository_id: &str, name: &str) {
        self.world()
            .organization
            .add_repository(project, repository_id, name);
    }

    /// The id of a project, by name.
    pub fn project_id(&self, project: &str) -> String {
        self.world()
            .organization
            .project_by_name_or_id(project)
            .id
            .clone()
    }

    /// Adds a pull request with its first iteration.
    pub fn add_pull_request(&self, seed: PullRequestSeed) {
        self.world().organization.add_pull_request(seed);
    }

    /// Adds an iteration to a pull request (a push); returns its id.
    pub fn push_iteration(&self, pull_request_id: u32, seed: IterationSeed) -> u32 {
        self.world()
            .organization
            .push_iteration(pull_request_id, seed)
    }

    /// Adds a build with its timeline and logs.
    pub fn add_build(&self, seed: BuildSeed) {
        self.world().organization.add_build(seed);
    }

    /// Creates a thread as `author` would in the web UI (or as an older agent did); `thread` is a
    /// `GitPullRequestCommentThread` as posted. Panics if the service would refuse it. Returns
    /// the thread id.
    pub fn add_thread_as(&self, pull_request_id: u32, author: &Identity, thread: Value) -> u32 {
        let mut world = self.world();
        match routes::seed_thread(&mut world.organization, pull_request_id, author, thread) {
            Ok(id) => id,
            Err(message) => panic!("the service would refuse this thread: {message}"),
        }
    }

    /// A person ([`Identity::person`]) replies to a thread; returns the comment id.
    pub fn add_human_reply(&self, pull_request_id: u32, thread_id: u32, text: &str) -> u32 {
        self.add_reply_as(pull_request_id, thread_id, &Identity::person(), text)
    }

    /// `author` replies to a thread; returns the comment id.
    pub fn add_reply_as(
        &self,
        pull_request_id: u32,
        thread_id: u32,
        author: &Identity,
        text: &str,
    ) -> u32 {
        self.world()
            .organization
            .add_reply(pull_request_id, thread_id, author, text)
    }

    /// A person sets a thread's status (`active`, `fixed`, `wontFix`, `closed`, `byDesign`,
    /// `pending`).
    pub fn set_thread_status(&self, pull_request_id: u32, thread_id: u32, status: &str) {
        self.world()
            .organization
            .set_thread_status(pull_request_id, thread_id, status);
    }

    /// Adds a work item to the organization.
    pub fn add_work_item(&self, seed: WorkItemSeed) {
        self.world().organization.work_items.add(seed);
    }

    /// Links a work item to a pull request (as the PR's "Work items" panel does).
    pub fn link_work_item(&self, pull_request_id: u32, work_item: u32) {
        self.world()
            .organization
            .work_items
            .link(pull_request_id, work_item);
    }

    // ----- inspection -------------------------------------------------------------------------

    /// The threads of a pull request, as `GET …/threads` returns them.
    pub fn threads(&self, pull_request_id: u32) -> Vec<Value> {
        self.world().organization.threads_json(pull_request_id)
    }

    /// One thread, as `GET …/threads/{id}` returns it.
    /// The pull request's description as the service has it now.
    pub fn pull_request_description(&self, pull_request_id: u32) -> String {
        self.world()
            .organization
            .pull_requests
            .get(&pull_request_id)
            .map(|pr| pr.description.clone())
            .unwrap_or_default()
    }

    pub fn thread(&self, pull_request_id: u32, thread_id: u32) -> Option<Value> {
        self.threads(pull_request_id)
            .into_iter()
            .find(|t| t["id"] == thread_id)
    }

    /// The statuses of a pull request (iteration statuses included), as `GET …/statuses` returns
    /// them.
    pub fn statuses(&self, pull_request_id: u32) -> Vec<Value> {
        self.world().organization.statuses_json(pull_request_id)
    }

    /// The pull request's properties, as `GET …/properties` returns them (`{"count", "value"}`).
    pub fn pull_request_properties(&self, pull_request_id: u32) -> Value {
        self.world().organization.properties_json(pull_request_id)
    }

    /// The environment of an Azure Pipelines PR validation build of this pull request:
    /// `TF_BUILD`, `SYSTEM_COLLECTIONURI`, `SYSTEM_TEAMPROJECT(ID)`, `BUILD_REPOSITORY_ID/URI`,
    /// `SYSTEM_PULLREQUEST_*`, `BUILD_SOURCEVERSION`, `BUILD_REASON`. The test adds
    /// `BUILD_SOURCESDIRECTORY`, `BUILD_BUILDID` and the token.
    pub fn pipeline_env(&self, pull_request_id: u32) -> Vec<(String, String)> {
        self.world().organization.pipeline_env(pull_request_id)
    }

    /// Every request received so far (also those answered by an injected fault).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.world().requests.clone()
    }

    /// Requests received since the start or the last [`Emulator::reset_counters`].
    pub fn request_count(&self) -> usize {
        self.world().request_count
    }

    /// POST/PATCH/PUT/DELETE requests received (whatever their answer) since the start or the
    /// last [`Emulator::reset_counters`].
    pub fn write_count(&self) -> usize {
        self.world().write_count
    }

    pub fn reset_counters(&self) {
        let mut world = self.world();
        world.request_count = 0;
        world.write_count = 0;
    }

    /// Requests the service would have rejected: spec or semantic check failures, unknown routes,
    /// wrong methods or media types, edits of another identity's comment.
    pub fn violations(&self) -> Vec<Violation> {
        self.world().violations.clone()
    }

    /// The opt-out of the check on drop, for a test that provokes violations on purpose (and
    /// asserts them itself with [`Emulator::violations`]).
    pub fn expect_violations(&self) {
        self.violations_expected.store(true, Ordering::SeqCst);
    }

    /// Panics with the list of violations, if any. Dropping the emulator does this too.
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        assert!(
            violations.is_empty(),
            "the Azure DevOps emulator saw {} request(s) the service would reject:\n{}",
            violations.len(),
            violations
                .iter()
                .map(|v| format!("  {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    // ----- faults -----------------------------------------------------------------------------

    /// Delays every answer by `latency` (without holding up other requests).
    pub fn set_latency(&self, latency: Duration) {
        self.world().faults.latency = latency;
    }

    /// The next `n` requests answer `status` (e.g. 500, 503) with a JSON error.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.world().faults.push(n, Fault::Status(status));
    }

    /// The next `n` requests answer 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: usize, retry_after_secs: u64) {
        self.world()
            .faults
            .push(n, Fault::RateLimited { retry_after_secs });
    }

    /// The next `n` requests are served normally but carry `X-RateLimit-Delay: delay_secs`, as
    /// the service does when it starts delaying a user.
    pub fn throttle_next(&self, n: usize, delay_secs: f64) {
        self.world().faults.push(n, Fault::Throttled { delay_secs });
    }

    /// The next `n` requests get their connection closed without an answer.
    pub fn drop_next(&self, n: usize) {
        self.world().faults.push(n, Fault::Drop);
    }

    /// After `n` more successful writes (POST/PATCH/PUT/DELETE answered 2xx), every request answers
    /// 503: a run cut off half-way.
    pub fn fail_after_writes(&self, n: usize) {
        self.world().faults.fail_after_writes(n, Fault::Status(503));
    }

    /// The next `n` writes whose `METHOD path` matches the regular expression `pattern` (e.g.
    /// `"^POST .*/threads$"`) suffer `fault`: refused, or stored with the answer lost.
    pub fn fault_next_writes(&self, pattern: &str, n: usize, fault: WriteFault) {
        self.world().faults.push_write(pattern, n, fault);
    }

    /// Removes every pending fault and the latency.
    pub fn clear_faults(&self) {
        self.world().faults = faults::Faults::default();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        if !std::thread::panicking() && !self.violations_expected.load(Ordering::SeqCst) {
            self.assert_no_violations();
        }
    }
}
