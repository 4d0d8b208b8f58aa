//! What the emulated organization holds — projects, repositories, pull requests with their
//! iterations, threads, statuses and properties, builds with timelines and logs — and how the
//! service renders each of them as JSON (camelCase, `_links`, `$type`/`$value` properties).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::clock::{self, Clock};
use super::{BuildSeed, Change, Identity, IterationSeed, PullRequestSeed};

#[derive(Debug)]
pub(super) struct Organization {
    pub(super) name: String,
    /// `http://127.0.0.1:PORT/org/`
    pub(super) base_url: String,
    pub(super) projects: Vec<Project>,
    pub(super) repositories: Vec<Repository>,
    pub(super) pull_requests: BTreeMap<u32, PullRequest>,
    pub(super) builds: BTreeMap<u32, Build>,
    pub(super) work_items: super::work_items::WorkItems,
    next_thread_id: u32,
    pub(super) clock: Clock,
}

#[derive(Clone, Debug)]
pub(super) struct Project {
    pub(super) id: String,
    pub(super) name: String,
}

#[derive(Clone, Debug)]
pub(super) struct Repository {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) project_id: String,
}

#[derive(Debug)]
pub(super) struct PullRequest {
    pub(super) id: u32,
    pub(super) repository_id: String,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) is_draft: bool,
    pub(super) status: String,
    pub(super) created_by: Identity,
    pub(super) creation_date: String,
    pub(super) source_ref_name: String,
    pub(super) target_ref_name: String,
    pub(super) labels: Vec<String>,
    pub(super) merge_commit: String,
    pub(super) iterations: Vec<Iteration>,
    /// Path → change tracking id, stable across iterations.
    change_tracking: BTreeMap<String, u32>,
    pub(super) threads: Vec<Thread>,
    pub(super) statuses: Vec<Status>,
    next_status_id: u32,
    pub(super) properties: BTreeMap<String, TypedValue>,
}

#[derive(Debug)]
pub(super) struct Iteration {
    pub(super) id: u32,
    pub(super) source_commit: String,
    pub(super) target_commit: String,
    pub(super) base_commit: String,
    pub(super) created_date: String,
    pub(super) author: Identity,
    pub(super) changes: Vec<IterationChange>,
}

#[derive(Debug)]
pub(super) struct IterationChange {
    pub(super) change_tracking_id: u32,
    pub(super) change_id: u32,
    pub(super) path: String,
    pub(super) change_type: String,
    pub(super) original_path: Option<String>,
    pub(super) object_id: String,
}

#[derive(Debug)]
pub(super) struct Thread {
    pub(super) id: u32,
    pub(super) published_date: String,
    pub(super) last_updated_date: String,
    pub(super) status: Option<String>,
    pub(super) thread_context: Option<Value>,
    pub(super) pull_request_thread_context: Option<Value>,
    pub(super) properties: BTreeMap<String, TypedValue>,
    pub(super) comments: Vec<Comment>,
}

#[derive(Debug)]
pub(super) struct Comment {
    pub(super) id: u32,
    pub(super) parent_comment_id: u32,
    pub(super) author: Identity,
    /// `None` once deleted.
    pub(super) content: Option<String>,
    pub(super) published_date: String,
    pub(super) last_updated_date: String,
    pub(super) last_content_updated_date: String,
    pub(super) comment_type: String,
}

#[derive(Debug)]
pub(super) struct Status {
    pub(super) id: u32,
    pub(super) iteration_id: Option<u32>,
    pub(super) state: Option<String>,
    pub(super) description: Option<String>,
    pub(super) context: Value,
    pub(super) target_url: Option<String>,
    pub(super) created_by: Identity,
    pub(super) creation_date: String,
    pub(super) properties: BTreeMap<String, TypedValue>,
}

#[derive(Debug)]
pub(super) struct Build {
    pub(super) seed: BuildSeed,
    pub(super) project_id: String,
    pub(super) repository_id: String,
    pub(super) timeline_id: String,
    pub(super) queue_time: String,
    /// Record ids, generated where the seed left them empty.
    pub(super) record_ids: Vec<String>,
}

/// A property value with its .NET type, read back as `{"$type": …, "$value": …}`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TypedValue {
    pub(super) type_name: String,
    pub(super) value: Value,
}

impl TypedValue {
    fn string(value: String) -> TypedValue {
        TypedValue {
            type_name: "System.String".to_owned(),
            value: Value::String(value),
        }
    }

    /// A value of a `PropertiesCollection` in a thread or status body: typed as
    /// `{"type", "value"}` (Microsoft's samples) or `{"$type", "$value"}`, or plain. Plain
    /// integers that fit keep `System.Int32`, decimals `System.Double`; other primitives come
    /// back as strings, as the service documents.
    pub(super) fn from_collection(value: &Value) -> TypedValue {
        if let Some(typed) = TypedValue::typed(value) {
            return typed;
        }
        match value {
            Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => {
                TypedValue {
                    type_name: "System.Int32".to_owned(),
                    value: value.clone(),
                }
            }
            Value::Number(n) if n.is_f64() => TypedValue {
                type_name: "System.Double".to_owned(),
                value: value.clone(),
            },
            other => TypedValue::string(plain_text(other)),
        }
    }

    /// A value set through the properties JSON Patch: integers come back as strings, date-like
    /// strings as `System.DateTime` (the service's own sample shows both).
    pub(super) fn from_patch(value: &Value) -> TypedValue {
        if let Some(typed) = TypedValue::typed(value) {
            return typed;
        }
        match value {
            Value::String(s) if looks_like_date(s) => TypedValue {
                type_name: "System.DateTime".to_owned(),
                value: value.clone(),
            },
            Value::Number(n) if n.is_f64() => TypedValue {
                type_name: "System.Double".to_owned(),
                value: value.clone(),
            },
            other => TypedValue::string(plain_text(other)),
        }
    }

    fn typed(value: &Value) -> Option<TypedValue> {
        let map = value.as_object()?;
        if map.len() != 2 {
            return None;
        }
        let (type_name, inner) = match (map.get("type"), map.get("value")) {
            (Some(t), Some(v)) => (t, v),
            _ => (map.get("$type")?, map.get("$value")?),
        };
        let type_name = type_name.as_str()?.to_owned();
        if type_name == "System.Guid" {
            // The service stores GUIDs as strings without dashes.
            return Some(TypedValue::string(plain_text(inner).replace('-', "")));
        }
        Some(TypedValue {
            type_name,
            value: inner.clone(),
        })
    }

    pub(super) fn to_json(&self) -> Value {
        json!({ "$type": self.type_name, "$value": self.value })
    }
}

fn plain_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

fn looks_like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit())
}

pub(super) fn properties_json(properties: &BTreeMap<String, TypedValue>) -> Value {
    Value::Object(
        properties
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect::<Map<_, _>>(),
    )
}

fn normalized_path(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

impl Organization {
    pub(super) fn new(name: &str, base_url: &str) -> Organization {
        Organization {
            name: name.to_owned(),
            base_url: base_url.to_owned(),
            projects: Vec::new(),
            repositories: Vec::new(),
            pull_requests: BTreeMap::new(),
            builds: BTreeMap::new(),
            work_items: Default::default(),
            next_thread_id: 1,
            clock: Clock::default(),
        }
    }

    // ----- seeding ----------------------------------------------------------------------------

    pub(super) fn add_project(&mut self, name: &str, id: &str) {
        assert!(
            self.find_project(name).is_none() && self.find_project(id).is_none(),
            "project {name} ({id}) already exists"
        );
        self.projects.push(Project {
            id: id.to_owned(),
            name: name.to_owned(),
        });
    }

    pub(super) fn add_repository(&mut self, project: &str, repository_id: &str, name: &str) {
        if self.find_project(project).is_none() {
            let id = clock::guid(&format!("project:{project}"));
            self.add_project(project, &id);
        }
        let project_id = self.project_by_name_or_id(project).id.clone();
        assert!(
            !self.repositories.iter().any(|r| r.id == repository_id),
            "repository {repository_id} already exists"
        );
        self.repositories.push(Repository {
            id: repository_id.to_owned(),
            name: name.to_owned(),
            project_id,
        });
    }

    pub(super) fn project_by_name_or_id(&self, project: &str) -> &Project {
        self.find_project(project)
            .unwrap_or_else(|| panic!("no project {project:?}; add_repository creates projects"))
    }

    fn seeded_repository(&self, repository: &str) -> Repository {
        if repository.is_empty() {
            match self.repositories.as_slice() {
                [only] => return only.clone(),
                [] => panic!("add_repository before seeding pull requests or builds"),
                _ => panic!("several repositories exist: name the repository in the seed"),
            }
        }
        self.repositories
            .iter()
            .find(|r| {
                r.id.eq_ignore_ascii_case(repository) || r.name.eq_ignore_ascii_case(repository)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no repository {repository:?}"))
    }

    pub(super) fn add_pull_request(&mut self, seed: PullRequestSeed) {
        assert!(
            !self.pull_requests.contains_key(&seed.id),
            "pull request {} already exists",
            seed.id
        );
        let repository = self.seeded_repository(&seed.repository);
        let now = self.clock.now();
        let mut properties = BTreeMap::new();
        properties.insert(
            "Microsoft.Git.PullRequest.SourceRefName".to_owned(),
            TypedValue::string(seed.source_ref_name.clone()),
        );
        properties.insert(
            "Microsoft.Git.PullRequest.TargetRefName".to_owned(),
            TypedValue::string(seed.target_ref_name.clone()),
        );
        let mut pull_request = PullRequest {
            id: seed.id,
            repository_id: repository.id,
            title: seed.title,
            description: seed.description,
            is_draft: seed.is_draft,
            status: seed.status,
            created_by: seed.created_by,
            creation_date: now,
            source_ref_name: seed.source_ref_name,
            target_ref_name: seed.target_ref_name,
            labels: seed.labels,
            merge_commit: String::new(),
            iterations: Vec::new(),
            change_tracking: BTreeMap::new(),
            threads: Vec::new(),
            statuses: Vec::new(),
            next_status_id: 1,
            properties,
        };
        let iteration = IterationSeed {
            source_commit: seed.source_commit,
            target_commit: seed.target_commit,
            base_commit: seed.base_commit,
            merge_commit: seed.merge_commit,
            changes: seed.changes,
        };
        pull_request.push(iteration, &mut self.clock);
        self.pull_requests.insert(pull_request.id, pull_request);
    }

    pub(super) fn push_iteration(&mut self, pull_request_id: u32, seed: IterationSeed) -> u32 {
        let pull_request = self
            .pull_requests
            .get_mut(&pull_request_id)
            .unwrap_or_else(|| panic!("no pull request {pull_request_id}"));
        pull_request.push(seed, &mut self.clock)
    }

    pub(super) fn add_build(&mut self, seed: BuildSeed) {
        assert!(
            !self.builds.contains_key(&seed.id),
            "build {} already exists",
            seed.id
        );
        let repository = self.seeded_repository(&seed.repository);
        let project_id = if seed.project.is_empty() {
            repository.project_id.clone()
        } else {
            self.project_by_name_or_id(&seed.project).id.clone()
        };
        let record_ids = seed
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.id.is_empty() {
                    clock::guid(&format!("build:{}:record:{i}", seed.id))
                } else {
                    r.id.clone()
                }
            })
            .collect();
        let build = Build {
            timeline_id: clock::guid(&format!("build:{}:timeline", seed.id)),
            queue_time: self.clock.now(),
            project_id,
            repository_id: repository.id,
            record_ids,
            seed,
        };
        self.builds.insert(build.seed.id, build);
    }

    pub(super) fn next_thread_id(&mut self) -> u32 {
        let id = self.next_thread_id;
        self.next_thread_id += 1;
        id
    }

    pub(super) fn add_reply(
        &mut self,
        pull_request_id: u32,
        thread_id: u32,
        author: &Identity,
        text: &str,
    ) -> u32 {
        let now = self.clock.now();
        let thread = self.seeded_thread(pull_request_id, thread_id);
        let comment = Comment::new(thread.next_comment_id(), 1, author, text, "text", &now);
        let id = comment.id;
        thread.comments.push(comment);
        thread.last_updated_date = now;
        id
    }

    pub(super) fn set_thread_status(&mut self, pull_request_id: u32, thread_id: u32, status: &str) {
        let now = self.clock.now();
        let thread = self.seeded_thread(pull_request_id, thread_id);
        thread.status = Some(status.to_owned());
        thread.last_updated_date = now;
    }

    fn seeded_thread(&mut self, pull_request_id: u32, thread_id: u32) -> &mut Thread {
        self.pull_requests
            .get_mut(&pull_request_id)
            .unwrap_or_else(|| panic!("no pull request {pull_request_id}"))
            .threads
            .iter_mut()
            .find(|t| t.id == thread_id)
            .unwrap_or_else(|| panic!("no thread {thread_id} on pull request {pull_request_id}"))
    }

    // ----- lookups ----------------------------------------------------------------------------

    pub(super) fn find_project(&self, name_or_id: &str) -> Option<&Project> {
        self.projects.iter().find(|p| {
            p.id.eq_ignore_ascii_case(name_or_id) || p.name.eq_ignore_ascii_case(name_or_id)
        })
    }

    pub(super) fn project(&self, id: &str) -> Project {
        self.projects
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .unwrap_or_else(|| Project {
                id: id.to_owned(),
                name: id.to_owned(),
            })
    }

    /// A repository by id, or by name within a project (a name needs the project).
    pub(super) fn find_repository(
        &self,
        project: Option<&Project>,
        name_or_id: &str,
    ) -> Option<&Repository> {
        self.repositories.iter().find(|r| {
            let in_project = project.is_none_or(|p| p.id == r.project_id);
            in_project
                && (r.id.eq_ignore_ascii_case(name_or_id)
                    || (project.is_some() && r.name.eq_ignore_ascii_case(name_or_id)))
        })
    }

    fn repository(&self, id: &str) -> Repository {
        self.repositories
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .unwrap_or_else(|| Repository {
                id: id.to_owned(),
                name: id.to_owned(),
                project_id: String::new(),
            })
    }

    fn pull_request_ref(&self, pull_request_id: u32) -> &PullRequest {
        self.pull_requests
            .get(&pull_request_id)
            .unwrap_or_else(|| panic!("no pull request {pull_request_id}"))
    }

    // ----- rendering --------------------------------------------------------------------------

    pub(super) fn identity_json(&self, identity: &Identity) -> Value {
        let url = format!("{}_apis/Identities/{}", self.base_url, identity.id);
        let image = format!(
            "{}_api/_common/identityImage?id={}",
            self.base_url, identity.id
        );
        json!({
            "displayName": identity.display_name,
            "url": url,
            "_links": { "avatar": { "href": image } },
            "id": identity.id,
            "uniqueName": identity.unique_name,
            "imageUrl": image,
            "descriptor": format!("aad.{}", identity.id.replace('-', "")),
        })
    }

    pub(super) fn project_json(&self, project: &Project) -> Value {
        json!({
            "id": project.id,
            "name": project.name,
            "url": format!("{}_apis/projects/{}", self.base_url, project.id),
            "state": "wellFormed",
            "revision": 11,
            "visibility": "private",
            "lastUpdateTime": "2026-01-01T00:00:00.000Z",
        })
    }

    pub(super) fn repository_json(&self, repository: &Repository) -> Value {
        let project = self.project(&repository.project_id);
        let origin = self.base_url.trim_end_matches('/');
        json!({
            "id": repository.id,
            "name": repository.name,
            "url": self.repository_url(repository),
            "project": self.project_json(&project),
            "defaultBranch": "refs/heads/main",
            "size": 1024,
            "remoteUrl": format!("{origin}/{}/_git/{}", project.name, repository.name),
            "sshUrl": format!("git@ssh.dev.azure.com:v3/{}/{}/{}", self.name, project.name, repository.name),
            "webUrl": format!("{origin}/{}/_git/{}", project.name, repository.name),
            "isDisabled": false,
            "isInMaintenance": false,
        })
    }

    fn repository_url(&self, repository: &Repository) -> String {
        format!(
            "{}{}/_apis/git/repositories/{}",
            self.base_url, repository.project_id, repository.id
        )
    }

    fn pull_request_url(&self, pull_request: &PullRequest) -> String {
        let repository = self.repository(&pull_request.repository_id);
        format!(
            "{}/pullRequests/{}",
            self.repository_url(&repository),
            pull_request.id
        )
    }

    fn commit_json(&self, repository_id: &str, commit: &str) -> Value {
        let repository = self.repository(repository_id);
        json!({
            "commitId": commit,
            "url": format!("{}/commits/{commit}", self.repository_url(&repository)),
        })
    }

    pub(super) fn pull_request_json(&self, pull_request_id: u32) -> Value {
        let pr = self.pull_request_ref(pull_request_id);
        let repository = self.repository(&pr.repository_id);
        let project = self.project(&repository.project_id);
        let url = self.pull_request_url(pr);
        let repository_url = self.repository_url(&repository);
        let latest = pr.latest();
        let labels: Vec<Value> = pr
            .labels
            .iter()
            .map(|name| {
                json!({
                    "id": clock::guid(&format!("label:{name}")),
                    "name": name,
                    "active": true,
                    "url": format!("{}{}/_apis/git/repositories/{}/pullRequests/{}/labels/{}", self.base_url, project.id, repository.id, pr.id, clock::guid(&format!("label:{name}"))),
                })
            })
            .collect();
        json!({
            "repository": self.repository_json(&repository),
            "pullRequestId": pr.id,
            "codeReviewId": pr.id,
            "status": pr.status,
            "createdBy": self.identity_json(&pr.created_by),
            "creationDate": pr.creation_date,
            "title": pr.title,
            "description": pr.description,
            "sourceRefName": pr.source_ref_name,
            "targetRefName": pr.target_ref_name,
            "mergeStatus": "succeeded",
            "isDraft": pr.is_draft,
            "mergeId": clock::guid(&format!("merge:{}:{}", pr.id, pr.merge_commit)),
            "lastMergeSourceCommit": self.commit_json(&repository.id, &latest.source_commit),
            "lastMergeTargetCommit": self.commit_json(&repository.id, &latest.target_commit),
            "lastMergeCommit": self.commit_json(&repository.id, &pr.merge_commit),
            "reviewers": [],
            "labels": labels,
            "url": url,
            "_links": {
                "self": { "href": url },
                "repository": { "href": repository_url },
                "workItems": { "href": format!("{url}/workitems") },
                "sourceBranch": { "href": format!("{repository_url}/refs") },
                "targetBranch": { "href": format!("{repository_url}/refs") },
                "statuses": { "href": format!("{url}/statuses") },
                "sourceCommit": { "href": format!("{repository_url}/commits/{}", latest.source_commit) },
                "targetCommit": { "href": format!("{repository_url}/commits/{}", latest.target_commit) },
                "createdBy": { "href": format!("{}_apis/Identities/{}", self.base_url, pr.created_by.id) },
                "iterations": { "href": format!("{url}/iterations") },
            },
            "supportsIterations": true,
            "artifactId": format!("vstfs:///Git/PullRequestId/{}%2f{}%2f{}", project.id, repository.id, pr.id),
        })
    }

    pub(super) fn iteration_json(
        &self,
        pull_request: &PullRequest,
        iteration: &Iteration,
    ) -> Value {
        json!({
            "id": iteration.id,
            "description": pull_request.title,
            "author": self.identity_json(&iteration.author),
            "createdDate": iteration.created_date,
            "updatedDate": iteration.created_date,
            "sourceRefCommit": { "commitId": iteration.source_commit },
            "targetRefCommit": { "commitId": iteration.target_commit },
            "commonRefCommit": { "commitId": iteration.base_commit },
            "hasMoreCommits": false,
            "reason": if iteration.id == 1 { "create" } else { "push" },
            "push": {
                "pushId": iteration.id,
                "date": iteration.created_date,
                "pushedBy": self.identity_json(&iteration.author),
            },
        })
    }

    pub(super) fn change_json(change: &IterationChange) -> Value {
        let mut item = json!({
            "objectId": change.object_id,
            "path": change.path,
        });
        if change.change_type != "add" {
            item["originalObjectId"] =
                json!(clock::object_id(&format!("original:{}", change.path)));
        }
        let mut entry = json!({
            "changeTrackingId": change.change_tracking_id,
            "changeId": change.change_id,
            "item": item,
            "changeType": change.change_type,
        });
        if let Some(original) = &change.original_path {
            entry["originalPath"] = json!(original);
        }
        entry
    }

    pub(super) fn comment_json(&self, comment: &Comment) -> Value {
        let mut value = json!({
            "id": comment.id,
            "parentCommentId": comment.parent_comment_id,
            "author": self.identity_json(&comment.author),
            "publishedDate": comment.published_date,
            "lastUpdatedDate": comment.last_updated_date,
            "lastContentUpdatedDate": comment.last_content_updated_date,
            "commentType": comment.comment_type,
            "usersLiked": [],
        });
        match &comment.content {
            Some(content) => value["content"] = json!(content),
            None => value["isDeleted"] = json!(true),
        }
        value
    }

    pub(super) fn thread_json(&self, pull_request: &PullRequest, thread: &Thread) -> Value {
        let repository = self.repository(&pull_request.repository_id);
        let mut value = json!({
            "pullRequestThreadContext": thread.pull_request_thread_context,
            "id": thread.id,
            "publishedDate": thread.published_date,
            "lastUpdatedDate": thread.last_updated_date,
            "comments": thread.comments.iter().map(|c| self.comment_json(c)).collect::<Vec<_>>(),
            "threadContext": thread.thread_context,
            "properties": properties_json(&thread.properties),
            "isDeleted": thread.is_deleted(),
            "_links": {
                "self": { "href": format!("{}/threads/{}", self.pull_request_url(pull_request), thread.id) },
                "repository": { "href": self.repository_url(&repository) },
            },
        });
        if let Some(status) = &thread.status {
            value["status"] = json!(status);
        }
        value
    }

    pub(super) fn threads_json(&self, pull_request_id: u32) -> Vec<Value> {
        let pr = self.pull_request_ref(pull_request_id);
        pr.threads.iter().map(|t| self.thread_json(pr, t)).collect()
    }

    pub(super) fn status_json(&self, pull_request: &PullRequest, status: &Status) -> Value {
        let repository = self.repository(&pull_request.repository_id);
        let self_url = match status.iteration_id {
            Some(iteration) => format!(
                "{}/iterations/{iteration}/statuses/{}",
                self.pull_request_url(pull_request),
                status.id
            ),
            None => format!(
                "{}/statuses/{}",
                self.pull_request_url(pull_request),
                status.id
            ),
        };
        let mut value = json!({
            "id": status.id,
            "context": status.context,
            "creationDate": status.creation_date,
            "updatedDate": status.creation_date,
            "createdBy": self.identity_json(&status.created_by),
            "_links": {
                "self": { "href": self_url },
                "repository": { "href": self.repository_url(&repository) },
            },
        });
        let optional = [
            ("iterationId", status.iteration_id.map(|i| json!(i))),
            ("state", status.state.as_ref().map(|s| json!(s))),
            ("description", status.description.as_ref().map(|s| json!(s))),
            ("targetUrl", status.target_url.as_ref().map(|s| json!(s))),
        ];
        for (key, field) in optional {
            if let Some(field) = field {
                value[key] = field;
            }
        }
        if !status.properties.is_empty() {
            value["properties"] = properties_json(&status.properties);
        }
        value
    }

    pub(super) fn statuses_json(&self, pull_request_id: u32) -> Vec<Value> {
        let pr = self.pull_request_ref(pull_request_id);
        pr.statuses
            .iter()
            .map(|s| self.status_json(pr, s))
            .collect()
    }

    pub(super) fn properties_json(&self, pull_request_id: u32) -> Value {
        let pr = self.pull_request_ref(pull_request_id);
        json!({
            "count": pr.properties.len(),
            "value": properties_json(&pr.properties),
        })
    }

    pub(super) fn build_json(&self, build: &Build) -> Value {
        let seed = &build.seed;
        let project = self.project(&build.project_id);
        let repository = self.repository(&build.repository_id);
        let url = format!(
            "{}{}/_apis/build/Builds/{}",
            self.base_url, project.id, seed.id
        );
        let web = format!(
            "{}{}/_build/results?buildId={}",
            self.base_url, project.id, seed.id
        );
        let source_branch = if seed.source_branch.is_empty() {
            match seed.pull_request_id {
                Some(pr) => format!("refs/pull/{pr}/merge"),
                None => "refs/heads/main".to_owned(),
            }
        } else {
            seed.source_branch.clone()
        };
        let mut trigger_info = Map::new();
        if let Some(pr) = seed.pull_request_id {
            let pull_request = self.pull_requests.get(&pr);
            trigger_info.insert("pr.number".to_owned(), json!(pr.to_string()));
            trigger_info.insert("pr.isFork".to_owned(), json!("False"));
            trigger_info.insert("pr.triggerRepository".to_owned(), json!(repository.id));
            trigger_info.insert("pr.triggerRepository.Type".to_owned(), json!("TfsGit"));
            if let Some(pull_request) = pull_request {
                trigger_info.insert(
                    "pr.sourceBranch".to_owned(),
                    json!(pull_request.source_ref_name),
                );
                trigger_info.insert(
                    "pr.sourceSha".to_owned(),
                    json!(pull_request.latest().source_commit),
                );
                trigger_info.insert("pr.title".to_owned(), json!(pull_request.title));
            }
        }
        let requested = Identity::build_service();
        let finished = seed.status == "completed";
        json!({
            "_links": {
                "self": { "href": url },
                "web": { "href": web },
                "sourceVersionDisplayUri": { "href": format!("{url}/sources") },
                "timeline": { "href": format!("{url}/Timeline") },
                "badge": { "href": format!("{}{}/_apis/build/status/{}", self.base_url, project.id, seed.definition_id) },
            },
            "properties": {},
            "tags": [],
            "validationResults": [],
            "plans": [{ "planId": build.timeline_id }],
            "triggerInfo": trigger_info,
            "id": seed.id,
            "buildNumber": format!("20260101.{}", seed.id),
            "status": seed.status,
            "result": seed.result,
            "queueTime": build.queue_time,
            "startTime": build.queue_time,
            "finishTime": if finished { json!(build.queue_time) } else { Value::Null },
            "url": url,
            "definition": {
                "id": seed.definition_id,
                "name": seed.definition_name,
                "url": format!("{}{}/_apis/build/Definitions/{}?revision=1", self.base_url, project.id, seed.definition_id),
                "uri": format!("vstfs:///Build/Definition/{}", seed.definition_id),
                "path": "\\",
                "type": "build",
                "queueStatus": "enabled",
                "revision": 1,
                "project": self.project_json(&project),
            },
            "buildNumberRevision": 1,
            "project": self.project_json(&project),
            "uri": format!("vstfs:///Build/Build/{}", seed.id),
            "sourceBranch": source_branch,
            "sourceVersion": seed.source_version,
            "queue": { "id": 9, "name": "Azure Pipelines", "pool": { "id": 9, "name": "Azure Pipelines", "isHosted": true } },
            "priority": "normal",
            "reason": seed.reason,
            "requestedFor": self.identity_json(&requested),
            "requestedBy": self.identity_json(&requested),
            "lastChangedDate": build.queue_time,
            "lastChangedBy": self.identity_json(&requested),
            "orchestrationPlan": { "planId": build.timeline_id },
            "logs": { "id": 0, "type": "Container", "url": format!("{url}/logs") },
            "repository": {
                "id": repository.id,
                "type": "TfsGit",
                "name": repository.name,
                "url": format!("{}/{}/_git/{}", self.base_url.trim_end_matches('/'), project.name, repository.name),
                "clean": null,
                "checkoutSubmodules": false,
            },
            "retainedByRelease": false,
            "triggeredByBuild": null,
            "appendCommitMessageToRunName": true,
        })
    }

    pub(super) fn timeline_json(&self, build: &Build) -> Value {
        let seed = &build.seed;
        let base = format!(
            "{}{}/_apis/build/builds/{}",
            self.base_url, build.project_id, seed.id
        );
        let records: Vec<Value> = seed
            .records
            .iter()
            .zip(&build.record_ids)
            .map(|(record, id)| {
                let issues: Vec<Value> = record
                    .issues
                    .iter()
                    .map(|issue| {
                        let mut data: Map<String, Value> = issue
                            .data
                            .iter()
                            .map(|(k, v)| (k.clone(), json!(v)))
                            .collect();
                        data.entry("type".to_owned())
                            .or_insert_with(|| json!(issue.issue_type));
                        json!({
                            "type": issue.issue_type,
                            "category": issue.category,
                            "message": issue.message,
                            "data": data,
                        })
                    })
                    .collect();
                let count = |kind: &str| {
                    record
                        .issues
                        .iter()
                        .filter(|i| i.issue_type == kind)
                        .count()
                };
                json!({
                    "previousAttempts": [],
                    "id": id,
                    "parentId": record.parent_id,
                    "type": record.record_type,
                    "name": record.name,
                    "startTime": build.queue_time,
                    "finishTime": build.queue_time,
                    "currentOperation": null,
                    "percentComplete": 100,
                    "state": record.state,
                    "result": record.result,
                    "resultCode": null,
                    "changeId": 1,
                    "lastModified": build.queue_time,
                    "workerName": "Hosted Agent",
                    "order": record.order,
                    "details": null,
                    "errorCount": count("error"),
                    "warningCount": count("warning"),
                    "url": null,
                    "log": record.log_id.map(|log| json!({
                        "id": log,
                        "type": "Container",
                        "url": format!("{base}/logs/{log}"),
                    })),
                    "task": null,
                    "attempt": 1,
                    "identifier": null,
                    "issues": issues,
                })
            })
            .collect();
        json!({
            "records": records,
            "lastChangedBy": Identity::build_service().id,
            "lastChangedOn": build.queue_time,
            "id": build.timeline_id,
            "changeId": 1,
            "url": format!("{base}/Timeline/{}", build.timeline_id),
        })
    }

    pub(super) fn logs_json(&self, build: &Build) -> Vec<Value> {
        build
            .seed
            .logs
            .iter()
            .map(|(id, text)| {
                let mut entry = json!({
                    "lineCount": log_lines(text).len(),
                    "createdOn": build.queue_time,
                    "lastChangedOn": build.queue_time,
                    "id": id,
                    "type": "Container",
                    "url": format!("{}{}/_apis/build/builds/{}/logs/{id}", self.base_url, build.project_id, build.seed.id),
                });
                if build.seed.logs_without_line_count.contains(id) {
                    if let Some(entry) = entry.as_object_mut() {
                        entry.remove("lineCount");
                    }
                }
                entry
            })
            .collect()
    }

    pub(super) fn pipeline_env(&self, pull_request_id: u32) -> Vec<(String, String)> {
        let pr = self.pull_request_ref(pull_request_id);
        let repository = self.repository(&pr.repository_id);
        let project = self.project(&repository.project_id);
        let latest = pr.latest();
        [
            ("TF_BUILD", "True".to_owned()),
            ("SYSTEM_COLLECTIONURI", self.base_url.clone()),
            ("SYSTEM_TEAMPROJECT", project.name.clone()),
            ("SYSTEM_TEAMPROJECTID", project.id.clone()),
            ("BUILD_REPOSITORY_ID", repository.id.clone()),
            (
                "BUILD_REPOSITORY_URI",
                format!(
                    "{}/{}/_git/{}",
                    self.base_url.trim_end_matches('/'),
                    project.name,
                    repository.name
                ),
            ),
            ("BUILD_REPOSITORY_PROVIDER", "TfsGit".to_owned()),
            ("BUILD_REASON", "PullRequest".to_owned()),
            ("SYSTEM_PULLREQUEST_PULLREQUESTID", pr.id.to_string()),
            (
                "SYSTEM_PULLREQUEST_SOURCECOMMITID",
                latest.source_commit.clone(),
            ),
            (
                "SYSTEM_PULLREQUEST_SOURCEBRANCH",
                pr.source_ref_name.clone(),
            ),
            (
                "SYSTEM_PULLREQUEST_TARGETBRANCH",
                pr.target_ref_name.clone(),
            ),
            ("BUILD_SOURCEVERSION", pr.merge_commit.clone()),
            ("BUILD_SOURCEBRANCH", format!("refs/pull/{}/merge", pr.id)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// The lines of a log, without the final empty one a trailing newline makes.
pub(super) fn log_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

impl PullRequest {
    pub(super) fn latest(&self) -> &Iteration {
        self.iterations
            .last()
            .unwrap_or_else(|| panic!("pull request {} has no iteration", self.id))
    }

    pub(super) fn iteration(&self, id: u32) -> Option<&Iteration> {
        self.iterations.iter().find(|i| i.id == id)
    }

    /// Adds an iteration; returns its id.
    fn push(&mut self, seed: IterationSeed, clock: &mut Clock) -> u32 {
        let id = u32::try_from(self.iterations.len()).unwrap_or(u32::MAX) + 1;
        let mut changes = Vec::new();
        for (index, change) in seed.changes.iter().enumerate() {
            let Change {
                path,
                change_type,
                original_path,
            } = change;
            let path = normalized_path(path);
            let next = u32::try_from(self.change_tracking.len()).unwrap_or(u32::MAX) + 1;
            let change_tracking_id = *self.change_tracking.entry(path.clone()).or_insert(next);
            changes.push(IterationChange {
                change_tracking_id,
                change_id: u32::try_from(index).unwrap_or(u32::MAX) + 1,
                object_id: clock::object_id(&format!("{}:{path}", seed.source_commit)),
                path,
                change_type: change_type.clone(),
                original_path: original_path.as_deref().map(normalized_path),
            });
        }
        self.merge_commit = if seed.merge_commit.is_empty() {
            clock::object_id(&format!(
                "merge:{}:{}",
                seed.source_commit, seed.target_commit
            ))
        } else {
            seed.merge_commit
        };
        self.iterations.push(Iteration {
            id,
            source_commit: seed.source_commit,
            target_commit: seed.target_commit,
            base_commit: seed.base_commit,
            created_date: clock.now(),
            author: self.created_by.clone(),
            changes,
        });
        id
    }

    pub(super) fn knows_change_tracking_id(&self, id: i64) -> bool {
        self.change_tracking
            .values()
            .any(|&known| i64::from(known) == id)
    }

    pub(super) fn thread_mut(&mut self, id: u32) -> Option<&mut Thread> {
        self.threads.iter_mut().find(|t| t.id == id)
    }

    pub(super) fn next_status_id(&mut self) -> u32 {
        let id = self.next_status_id;
        self.next_status_id += 1;
        id
    }
}

impl Thread {
    pub(super) fn is_deleted(&self) -> bool {
        !self.comments.is_empty() && self.comments.iter().all(|c| c.content.is_none())
    }

    pub(super) fn next_comment_id(&self) -> u32 {
        self.comments.iter().map(|c| c.id).max().unwrap_or(0) + 1
    }
}

impl Comment {
    pub(super) fn new(
        id: u32,
        parent_comment_id: u32,
        author: &Identity,
        content: &str,
        comment_type: &str,
        now: &str,
    ) -> Comment {
        Comment {
            id,
            parent_comment_id,
            author: author.clone(),
            content: Some(content.to_owned()),
            published_date: now.to_owned(),
            last_updated_date: now.to_owned(),
            last_content_updated_date: now.to_owned(),
            comment_type: comment_type.to_owned(),
        }
    }
}
