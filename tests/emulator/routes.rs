//! How the emulated service answers one request: authentication, route lookup in the reference,
//! `api-version`, query and body checks, scopes and permissions, then the operation itself on the
//! organization's state. Everything here runs under the emulator's lock; nothing here knows about
//! HTTP connections or injected faults.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::auth::{Presented, Token, Tokens};
use super::clock;
use super::reply::Reply;
use super::spec::{self, Operation, Route, percent_decode};
use super::state::{
    Comment, Organization, Project, PullRequest, Repository, Status, Thread, TypedValue, log_lines,
};
use super::{Identity, Permission, RecordedRequest};

/// Answers a request as the service would.
pub(super) fn respond(
    organization: &mut Organization,
    tokens: &Tokens,
    request: &RecordedRequest,
) -> Reply {
    let segments: Vec<String> = request
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let query = spec::parse_query(&request.query);
    let connection_data = segments.len() == 3
        && segments[1].eq_ignore_ascii_case("_apis")
        && segments[2].eq_ignore_ascii_case("connectionData");
    let route = (!connection_data).then(|| spec::spec().route(&request.method, &segments));
    let unknown = match &route {
        Some(Route::Unknown) => Some(format!(
            "no operation of the 7.1 reference matches {} {}",
            request.method, request.path
        )),
        Some(Route::WrongMethod(methods)) => Some(format!(
            "the requested resource does not support http method '{}' (it supports {})",
            request.method,
            methods.join(", ")
        )),
        _ => None,
    };

    let presented = tokens.authenticate(request.header("authorization"));
    let Presented::Valid(token) = presented else {
        let mut reply = if matches!(request.method.as_str(), "GET" | "POST" | "HEAD") {
            Reply::sign_in_page()
        } else {
            Reply::unauthorized("")
        };
        reply.violation = unknown.or_else(|| {
            matches!(presented, Presented::PatAsBearer).then(|| {
                "a personal access token sent as Bearer; a PAT goes in Basic with an empty user \
                 name"
                    .to_owned()
            })
        });
        return reply;
    };
    if !segments
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case(&organization.name))
    {
        return Reply::violation(
            404,
            &format!(
                "{} is not under the organization /{}/",
                request.path, organization.name
            ),
            "OrganizationNotFoundException",
        );
    }
    let given_version = api_version(request, &query);
    if connection_data {
        return connection_data_reply(organization, token, request, given_version);
    }
    let (operation, params) = match route {
        Some(Route::Operation(operation, params)) => (operation, params),
        Some(Route::WrongMethod(_)) => {
            return Reply::violation(405, &unknown.unwrap_or_default(), "HttpMethodNotAllowed");
        }
        _ => {
            return Reply::violation(
                404,
                &unknown.unwrap_or_default(),
                "ApiResourceNotFoundException",
            );
        }
    };
    if let Err(reply) = check_api_version(operation, &request.method, given_version) {
        return reply;
    }
    if let Err(reply) = check_parameters(operation, &params, &query) {
        return reply;
    }
    let body = match check_body(operation, request) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    if !token.allows(&operation.scopes) {
        return Reply::unauthorized(&token.identity.id);
    }
    let call = Call {
        operation,
        params,
        query,
        body,
        token,
        accept: request.header("accept").unwrap_or_default().to_owned(),
    };
    if let Err(reply) = check_permissions(&call) {
        return reply;
    }
    dispatch(organization, &call)
}

/// Creates a thread outside HTTP (a person in the web UI), with the same checks.
pub(super) fn seed_thread(
    organization: &mut Organization,
    pull_request_id: u32,
    author: &Identity,
    mut body: Value,
) -> Result<u32, String> {
    let spec = spec::spec();
    let operation = spec
        .operation("Pull Request Threads_Create")
        .ok_or("the reference has no Pull Request Threads_Create")?;
    if let Some(param) = &operation.body {
        spec.normalize(&mut body, &param.schema, operation.definitions());
    }
    let problems = operation.body_problems(&body);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let reply = create_thread(organization, pull_request_id, author, &body)?;
    reply["id"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| "the created thread has no id".to_owned())
}

/// A request that passed the checks, with what the operations need from it.
struct Call<'a> {
    operation: &'a Operation,
    params: HashMap<String, String>,
    query: Vec<(String, String)>,
    body: Option<Value>,
    token: &'a Token,
    accept: String,
}

impl Call<'_> {
    fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn number(&self, name: &str) -> u32 {
        self.param(name).parse().unwrap_or(0)
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| {
                n.eq_ignore_ascii_case(name)
                    || name
                        .strip_prefix("searchCriteria.")
                        .is_some_and(|short| n.eq_ignore_ascii_case(short))
            })
            .map(|(_, v)| v.as_str())
    }

    fn query_number(&self, name: &str) -> Option<i64> {
        self.query(name).and_then(|v| v.trim().parse().ok())
    }

    fn body(&self) -> &Value {
        self.body.as_ref().unwrap_or(&Value::Null)
    }

    fn identity(&self) -> &Identity {
        &self.token.identity
    }

    fn is_write(&self) -> bool {
        self.operation.method != "GET"
    }
}

// ----- checks --------------------------------------------------------------------------------

/// The `api-version` of the query, else of the `Accept` header.
fn api_version(request: &RecordedRequest, query: &[(String, String)]) -> Option<String> {
    if let Some((_, v)) = query
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("api-version"))
    {
        return Some(v.clone());
    }
    request
        .header("accept")?
        .split([';', ','])
        .filter_map(|part| part.trim().split_once('='))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.trim().to_owned())
}

/// `("7.1", None)`, `("7.1", Some(None))` for `7.1-preview`, `("7.1", Some(Some(1)))`.
fn split_version(version: &str) -> (String, Option<Option<u32>>) {
    match version.split_once("-preview") {
        Some((number, rest)) => (
            number.to_owned(),
            Some(rest.strip_prefix('.').and_then(|n| n.parse().ok())),
        ),
        None => (version.to_owned(), None),
    }
}

fn missing_version(method: &str) -> Reply {
    Reply::violation(
        400,
        &format!(
            "No api-version was supplied for the \"{method}\" request. The version must be supplied either as part of the Accept header (e.g. \"application/json; api-version=1.0\") or as a query parameter (e.g. \"?api-version=1.0\")."
        ),
        "VssVersionNotSpecifiedException",
    )
}

fn preview_required(given: &str) -> Reply {
    Reply::violation(
        400,
        &format!(
            "The requested version \"{given}\" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: \"{given}-preview\""
        ),
        "VssInvalidPreviewVersionException",
    )
}

fn check_api_version(
    operation: &Operation,
    method: &str,
    given: Option<String>,
) -> Result<(), Reply> {
    let Some(given) = given else {
        return Err(missing_version(method));
    };
    let (expected_number, expected_preview) = split_version(&operation.api_version);
    let (given_number, given_preview) = split_version(&given);
    if given_number != expected_number {
        return Err(Reply::violation(
            400,
            &format!(
                "api-version {given} is not the {} that the 7.1 reference gives for {}",
                operation.api_version, operation.id
            ),
            "VssVersionOutOfRangeException",
        ));
    }
    match (expected_preview, given_preview) {
        (Some(_), None) => Err(preview_required(&given)),
        (None, Some(_)) => Err(Reply::violation(
            400,
            &format!(
                "api-version {given} asks for a preview of {}, which the 7.1 reference releases as {}",
                operation.id, operation.api_version
            ),
            "VssVersionOutOfRangeException",
        )),
        _ => Ok(()),
    }
}

/// Whether a textual parameter value fits the parameter's schema.
fn fits(schema: &Value, value: &str) -> bool {
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        let enum_name = schema["x-ms-enum"]["name"].as_str().unwrap_or_default();
        let as_value = value
            .parse::<i64>()
            .map_or_else(|_| json!(value), |n| json!(n));
        return spec::spec()
            .canonical_enum(&as_value, allowed, enum_name)
            .is_some();
    }
    match schema["type"].as_str() {
        Some("integer") => value.trim().parse::<i64>().is_ok(),
        Some("number") => value.trim().parse::<f64>().is_ok(),
        Some("boolean") => {
            value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
        }
        _ => true,
    }
}

fn check_parameters(
    operation: &Operation,
    params: &HashMap<String, String>,
    query: &[(String, String)],
) -> Result<(), Reply> {
    for param in &operation.path_params {
        if let Some(value) = params.get(&param.name) {
            if !fits(&param.schema, value) {
                return Err(Reply::bad_request(&format!(
                    "{}: the path parameter {} must be {}, not {value:?}",
                    operation.id,
                    param.name,
                    param.schema["type"].as_str().unwrap_or("valid")
                )));
            }
        }
    }
    for (name, value) in query {
        if name.eq_ignore_ascii_case("api-version") {
            continue;
        }
        let known = operation.query_params.iter().find(|p| {
            p.name.eq_ignore_ascii_case(name)
                || p.name
                    .strip_prefix("searchCriteria.")
                    .is_some_and(|short| short.eq_ignore_ascii_case(name))
        });
        let Some(param) = known else {
            let names: Vec<&str> = operation
                .query_params
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            return Err(Reply::bad_request(&format!(
                "{}: unknown query parameter {name:?} (the reference knows {})",
                operation.id,
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        };
        if !fits(&param.schema, value) {
            return Err(Reply::bad_request(&format!(
                "{}: the query parameter {name}={value:?} is not a valid {}",
                operation.id,
                param.schema["type"].as_str().unwrap_or("value")
            )));
        }
    }
    for param in operation.query_params.iter().filter(|p| p.required) {
        let present = query
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&param.name));
        if !present {
            return Err(Reply::bad_request(&format!(
                "{}: the query parameter {} is required",
                operation.id, param.name
            )));
        }
    }
    Ok(())
}

fn check_body(operation: &Operation, request: &RecordedRequest) -> Result<Option<Value>, Reply> {
    let empty = request.body.iter().all(u8::is_ascii_whitespace);
    let Some(param) = &operation.body else {
        if empty {
            return Ok(None);
        }
        return Err(Reply::bad_request(&format!(
            "{} takes no request body, yet one was sent",
            operation.id
        )));
    };
    if empty {
        if param.required {
            return Err(Reply::violation(
                400,
                &format!(
                    "Value cannot be null.\r\nParameter name: {} ({} needs a body)",
                    param.name, operation.id
                ),
                "ArgumentNullException",
            ));
        }
        return Ok(None);
    }
    let media_type = request
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let accepted: Vec<&str> = if operation.consumes.is_empty() {
        vec!["application/json"]
    } else {
        operation.consumes.iter().map(String::as_str).collect()
    };
    if !accepted.contains(&media_type.as_str()) {
        return Err(Reply::violation(
            400,
            &format!(
                "The request indicated a Content-Type of \"{media_type}\" for method type \"{}\" which is not supported. Valid content types for this method are: {}.",
                operation.method,
                accepted.join(", ")
            ),
            "VssRequestContentTypeNotSupportedException",
        ));
    }
    let mut body: Value = serde_json::from_slice(&request.body).map_err(|error| {
        Reply::bad_request(&format!("{}: the body is not JSON: {error}", operation.id))
    })?;
    spec::spec().normalize(&mut body, &param.schema, operation.definitions());
    let problems = operation.body_problems(&body);
    if problems.is_empty() {
        Ok(Some(body))
    } else {
        Err(Reply::bad_request(&problems.join("; ")))
    }
}

fn check_permissions(call: &Call<'_>) -> Result<(), Reply> {
    let template = call.operation.template.as_str();
    let identity = call.identity();
    if template.contains("/_apis/git/") {
        if call.is_write() && call.token.is_denied(Permission::PullRequestContribute) {
            return Err(Reply::error(
                403,
                &format!(
                    "TF401027: You need the Git 'PullRequestContribute' permission to perform this action. Details: identity '{}', scope 'repository'.",
                    identity.display_name
                ),
                "GitNeedsPermissionException",
            ));
        }
        if call.token.is_denied(Permission::GenericRead) {
            return Err(repository_not_found(call.param("repositoryId")));
        }
    }
    if template.contains("/_apis/build/") && call.token.is_denied(Permission::ViewBuilds) {
        return Err(Reply::error(
            403,
            &format!(
                "TF215106: Access denied. {} needs View builds permissions for build {} in team project {} to perform the action. For more information, contact the Azure DevOps Server administrator.",
                identity.display_name,
                call.param("buildId"),
                call.param("project")
            ),
            "AccessDeniedException",
        ));
    }
    Ok(())
}

// ----- lookups -------------------------------------------------------------------------------

fn repository_not_found(name: &str) -> Reply {
    Reply::not_found(
        &format!(
            "TF401019: The Git repository with name or identifier {name} does not exist or you do not have permissions for the operation you are attempting."
        ),
        "GitRepositoryNotFoundException",
    )
}

fn pull_request_not_found() -> Reply {
    Reply::not_found(
        "TF401180: The requested pull request was not found.",
        "GitPullRequestNotFoundException",
    )
}

fn project(organization: &Organization, call: &Call<'_>) -> Result<Option<Project>, Reply> {
    let name = call
        .params
        .get("project")
        .or_else(|| call.params.get("projectId"));
    match name {
        None => Ok(None),
        Some(name) => organization.find_project(name).cloned().map(Some).ok_or_else(|| {
            Reply::not_found(
                &format!(
                    "TF200016: The following project does not exist: {name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server."
                ),
                "ProjectDoesNotExistWithNameException",
            )
        }),
    }
}

fn repository(organization: &Organization, call: &Call<'_>) -> Result<Repository, Reply> {
    let project = project(organization, call)?;
    let name = call.param("repositoryId");
    organization
        .find_repository(project.as_ref(), name)
        .cloned()
        .ok_or_else(|| repository_not_found(name))
}

/// The pull request of the call, checked against the project and repository in the path.
fn pull_request_id(organization: &Organization, call: &Call<'_>) -> Result<u32, Reply> {
    let project = project(organization, call)?;
    let repository = if call.params.contains_key("repositoryId") {
        Some(repository(organization, call)?)
    } else {
        None
    };
    let id = call.number("pullRequestId");
    let pull_request = organization
        .pull_requests
        .get(&id)
        .ok_or_else(pull_request_not_found)?;
    let repository_matches = repository
        .as_ref()
        .is_none_or(|r| r.id == pull_request.repository_id);
    let project_matches = project.as_ref().is_none_or(|p| {
        organization
            .repositories
            .iter()
            .any(|r| r.id == pull_request.repository_id && r.project_id == p.id)
    });
    if repository_matches && project_matches {
        Ok(id)
    } else {
        Err(pull_request_not_found())
    }
}

fn pull_request<'o>(
    organization: &'o Organization,
    call: &Call<'_>,
) -> Result<&'o PullRequest, Reply> {
    let id = pull_request_id(organization, call)?;
    organization
        .pull_requests
        .get(&id)
        .ok_or_else(pull_request_not_found)
}

fn thread_not_found(id: u32) -> Reply {
    Reply::not_found(
        &format!("The requested comment thread {id} was not found in this pull request."),
        "CommentThreadNotFoundException",
    )
}

fn comment_not_found(id: u32) -> Reply {
    Reply::not_found(
        &format!("The requested comment {id} was not found in this thread."),
        "CommentNotFoundException",
    )
}

fn iteration_not_found(id: u32) -> Reply {
    Reply::not_found(
        &format!("The requested pull request iteration {id} was not found."),
        "GitPullRequestIterationNotFoundException",
    )
}

// ----- operations ----------------------------------------------------------------------------

fn dispatch(organization: &mut Organization, call: &Call<'_>) -> Reply {
    let answer = match call.operation.id.as_str() {
        "Projects_Get" => get_project(organization, call),
        "Repositories_Get Repository" => {
            repository(organization, call).map(|r| Reply::ok(&organization.repository_json(&r)))
        }
        "Pull Requests_Get Pull Request" | "Pull Requests_Get Pull Request By Id" => {
            pull_request_id(organization, call).map(|id| {
                let mut json = organization.pull_request_json(id);
                if call
                    .query("includeWorkItemRefs")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
                {
                    json["workItemRefs"] = organization
                        .work_items
                        .ref_values(&organization.base_url, id)
                        .into();
                }
                Reply::ok(&json)
            })
        }
        "Pull Requests_Update" => update_pull_request(organization, call),
        "Pull Requests_Get Pull Requests" | "Pull Requests_Get Pull Requests By Project" => {
            list_pull_requests(organization, call)
        }
        "Pull Request Labels_List" => list_labels(organization, call),
        "Pull Request Work Items_List" => pull_request_id(organization, call)
            .map(|id| organization.work_items.refs(&organization.base_url, id)),
        "Work Items_Get Work Items Batch" => project(organization, call).map(|_| {
            organization
                .work_items
                .batch(&organization.base_url, call.body())
        }),
        "Pull Request Iterations_List" => list_iterations(organization, call),
        "Pull Request Iterations_Get" => get_iteration(organization, call),
        "Pull Request Iteration Changes_Get" => iteration_changes(organization, call),
        "Pull Request Threads_List" => pull_request(organization, call).map(|pr| {
            Reply::list(
                pr.threads
                    .iter()
                    .map(|t| organization.thread_json(pr, t))
                    .collect(),
            )
        }),
        "Pull Request Threads_Get" => get_thread(organization, call),
        "Pull Request Threads_Create" => post_thread(organization, call),
        "Pull Request Threads_Update" => update_thread(organization, call),
        "Pull Request Thread Comments_List" => list_comments(organization, call),
        "Pull Request Thread Comments_Get" => get_comment(organization, call),
        "Pull Request Thread Comments_Create" => create_comment(organization, call),
        "Pull Request Thread Comments_Update" => update_comment(organization, call),
        "Pull Request Thread Comments_Delete" => delete_comment(organization, call),
        "Pull Request Statuses_List" => list_statuses(organization, call, None),
        "Pull Request Iteration Statuses_List" => {
            list_statuses(organization, call, Some(call.number("iterationId")))
        }
        "Pull Request Statuses_Get" | "Pull Request Iteration Statuses_Get" => {
            get_status(organization, call)
        }
        "Pull Request Statuses_Create" => create_status(organization, call, None),
        "Pull Request Iteration Statuses_Create" => {
            create_status(organization, call, Some(call.number("iterationId")))
        }
        "Pull Request Statuses_Update" | "Pull Request Iteration Statuses_Update" => {
            patch_statuses(organization, call)
        }
        "Pull Request Statuses_Delete" | "Pull Request Iteration Statuses_Delete" => {
            delete_status(organization, call)
        }
        "Pull Request Properties_List" => pull_request_id(organization, call)
            .map(|id| Reply::ok(&organization.properties_json(id))),
        "Pull Request Properties_Update" => patch_properties(organization, call),
        "Builds_Get" => build(organization, call).map(|b| Reply::ok(&organization.build_json(b))),
        "Timeline_Get" => get_timeline(organization, call),
        "Builds_Get Build Logs" => {
            build(organization, call).map(|b| Reply::list(organization.logs_json(b)))
        }
        "Builds_Get Build Log" => get_log(organization, call),
        other => Err(Reply::violation(
            404,
            &format!(
                "the emulator does not implement {other} ({} {}); extend tests/emulator before using it",
                call.operation.method, call.operation.template
            ),
            "NotImplementedByEmulator",
        )),
    };
    answer.unwrap_or_else(|reply| reply)
}

type Answer = Result<Reply, Reply>;

fn get_project(organization: &Organization, call: &Call<'_>) -> Answer {
    let project = project(organization, call)?.ok_or_else(|| Reply::bad_request("no project"))?;
    let mut value = organization.project_json(&project);
    value["_links"] = json!({ "self": { "href": value["url"] } });
    value["defaultTeam"] = json!({
        "id": clock::guid(&format!("team:{}", project.id)),
        "name": format!("{} Team", project.name),
    });
    Ok(Reply::ok(&value))
}

fn list_pull_requests(organization: &Organization, call: &Call<'_>) -> Answer {
    let project = project(organization, call)?;
    let repository = if call.params.contains_key("repositoryId") {
        Some(repository(organization, call)?)
    } else {
        None
    };
    let status = call.query("searchCriteria.status").unwrap_or("active");
    let source = call.query("searchCriteria.sourceRefName");
    let target = call.query("searchCriteria.targetRefName");
    let skip = usize::try_from(call.query_number("$skip").unwrap_or(0)).unwrap_or(0);
    let top = usize::try_from(call.query_number("$top").unwrap_or(101)).unwrap_or(101);
    let values = organization
        .pull_requests
        .values()
        .rev()
        .filter(|pr| repository.as_ref().is_none_or(|r| r.id == pr.repository_id))
        .filter(|pr| {
            project.as_ref().is_none_or(|p| {
                organization
                    .repositories
                    .iter()
                    .any(|r| r.id == pr.repository_id && r.project_id == p.id)
            })
        })
        .filter(|pr| status.eq_ignore_ascii_case("all") || pr.status.eq_ignore_ascii_case(status))
        .filter(|pr| source.is_none_or(|s| s == pr.source_ref_name))
        .filter(|pr| target.is_none_or(|t| t == pr.target_ref_name))
        .skip(skip)
        .take(top)
        .map(|pr| {
            let mut value = organization.pull_request_json(pr.id);
            // The list endpoint cuts descriptions to 400 characters; GET by id does not.
            let cut: String = pr.description.chars().take(400).collect();
            value["description"] = json!(cut);
            value
        })
        .collect();
    Ok(Reply::list(values))
}

fn list_labels(organization: &Organization, call: &Call<'_>) -> Answer {
    let id = pull_request_id(organization, call)?;
    let labels = organization.pull_request_json(id)["labels"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    Ok(Reply::list(labels))
}

fn list_iterations(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    Ok(Reply::list(
        pr.iterations
            .iter()
            .map(|i| organization.iteration_json(pr, i))
            .collect(),
    ))
}

fn get_iteration(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let id = call.number("iterationId");
    let iteration = pr.iteration(id).ok_or_else(|| iteration_not_found(id))?;
    Ok(Reply::ok(&organization.iteration_json(pr, iteration)))
}

/// Paged by `$top` (default 100, at most 2000) and `$skip`; a page that ends the list has no
/// `nextSkip`/`nextTop` at all.
fn iteration_changes(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let id = call.number("iterationId");
    let iteration = pr.iteration(id).ok_or_else(|| iteration_not_found(id))?;
    let top = call.query_number("$top").unwrap_or(100).clamp(0, 2000);
    let skip = call.query_number("$skip").unwrap_or(0).max(0);
    let top = usize::try_from(top).unwrap_or(100);
    let skip = usize::try_from(skip).unwrap_or(0);
    let entries: Vec<Value> = iteration
        .changes
        .iter()
        .skip(skip)
        .take(top)
        .map(Organization::change_json)
        .collect();
    let mut value = json!({ "changeEntries": entries });
    if skip + top < iteration.changes.len() {
        value["nextSkip"] = json!(skip + top);
        value["nextTop"] = json!(top);
    }
    Ok(Reply::ok(&value))
}

fn get_thread(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let id = call.number("threadId");
    let thread = pr
        .threads
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| thread_not_found(id))?;
    Ok(Reply::ok(&organization.thread_json(pr, thread)))
}

/// Checks a position (`CommentPosition`): 1-based line and offset.
fn check_position(name: &str, position: &Value) -> Result<(i64, i64), String> {
    let line = position["line"].as_i64().unwrap_or(0);
    let offset = position["offset"].as_i64().unwrap_or(0);
    if line < 1 {
        return Err(format!(
            "threadContext.{name}.line must be 1 or more (lines are 1-based), not {line}"
        ));
    }
    if offset < 1 {
        return Err(format!(
            "threadContext.{name}.offset must be 1 or more (offsets are 1-based), not {offset}"
        ));
    }
    Ok((line, offset))
}

/// The service's rules for a thread beyond the schema, and the agent contract's.
fn check_thread(pr: &PullRequest, body: &Value, creating: bool) -> Result<(), String> {
    if creating {
        let comments = body["comments"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if comments.is_empty() {
            return Err("a new thread must contain at least one comment".to_owned());
        }
        for (index, comment) in comments.iter().enumerate() {
            let parent = comment["parentCommentId"].as_i64().unwrap_or(0);
            let position = i64::try_from(index).unwrap_or(i64::MAX);
            if parent < 0 || parent > position {
                return Err(format!(
                    "comment {} of the new thread replies to comment {parent}, which does not exist",
                    index + 1
                ));
            }
            if comment["content"].as_str().is_none() {
                return Err(format!(
                    "comment {} of the new thread has no content",
                    index + 1
                ));
            }
        }
    }
    if let Some(context) = body.get("threadContext") {
        match context["filePath"].as_str() {
            Some(path) if !path.starts_with('/') => {
                return Err(format!(
                    "threadContext.filePath {path:?} must start with '/', or the web UI cannot place the thread on the file"
                ));
            }
            None if context.as_object().is_some_and(|m| !m.is_empty()) => {
                return Err("threadContext has positions but no filePath".to_owned());
            }
            _ => {}
        }
        for side in ["left", "right"] {
            let start_name = format!("{side}FileStart");
            let end_name = format!("{side}FileEnd");
            match (context.get(&start_name), context.get(&end_name)) {
                (None, None) => {}
                (Some(start), Some(end)) => {
                    let start = check_position(&start_name, start)?;
                    let end = check_position(&end_name, end)?;
                    if end < start {
                        return Err(format!(
                            "threadContext.{end_name} {end:?} is before {start_name} {start:?}"
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "threadContext needs both {start_name} and {end_name}, or neither"
                    ));
                }
            }
        }
    }
    if let Some(context) = body.get("pullRequestThreadContext") {
        if let Some(id) = context.get("changeTrackingId").and_then(Value::as_i64) {
            if !pr.knows_change_tracking_id(id) {
                return Err(format!(
                    "pullRequestThreadContext.changeTrackingId {id} is not the tracking id of any change of pull request {}",
                    pr.id
                ));
            }
        }
        if let Some(iterations) = context.get("iterationContext") {
            let latest = i64::from(pr.latest().id);
            let first = iterations["firstComparingIteration"].as_i64().unwrap_or(0);
            let second = iterations["secondComparingIteration"].as_i64().unwrap_or(0);
            if !(1..=latest).contains(&first) || !(1..=latest).contains(&second) || first > second {
                return Err(format!(
                    "pullRequestThreadContext.iterationContext {{{first}, {second}}} does not name iterations of pull request {} (1 to {latest}, first <= second)",
                    pr.id
                ));
            }
        }
    }
    Ok(())
}

fn properties_from(body: &Value) -> Vec<(String, Option<TypedValue>)> {
    body.get("properties")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let value = (!v.is_null()).then(|| TypedValue::from_collection(v));
                    (k.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Creates a thread from a checked body; returns it as the service renders it.
fn create_thread(
    organization: &mut Organization,
    pull_request_id: u32,
    author: &Identity,
    body: &Value,
) -> Result<Value, String> {
    let pr = organization
        .pull_requests
        .get(&pull_request_id)
        .ok_or_else(|| format!("no pull request {pull_request_id}"))?;
    check_thread(pr, body, true)?;
    let id = organization.next_thread_id();
    let now = organization.clock.now();
    let comments = body["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, comment)| {
            Comment::new(
                u32::try_from(index).unwrap_or(u32::MAX) + 1,
                comment["parentCommentId"]
                    .as_u64()
                    .and_then(|p| u32::try_from(p).ok())
                    .unwrap_or(0),
                author,
                comment["content"].as_str().unwrap_or_default(),
                comment["commentType"].as_str().unwrap_or("text"),
                &now,
            )
        })
        .collect();
    let thread = Thread {
        id,
        published_date: now.clone(),
        last_updated_date: now,
        status: body["status"].as_str().map(str::to_owned),
        thread_context: body.get("threadContext").cloned(),
        pull_request_thread_context: body.get("pullRequestThreadContext").cloned(),
        properties: properties_from(body)
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
        comments,
    };
    let pr = organization
        .pull_requests
        .get_mut(&pull_request_id)
        .ok_or_else(|| format!("no pull request {pull_request_id}"))?;
    pr.threads.push(thread);
    let pr = &organization.pull_requests[&pull_request_id];
    let thread = pr.threads.last().ok_or("the new thread is missing")?;
    Ok(organization.thread_json(pr, thread))
}

/// The longest comment the service stores, in characters (UTF-16 code units, as .NET counts).
pub const MAX_COMMENT_CHARACTERS: usize = 150_000;

/// The service's refusal of a comment longer than [`MAX_COMMENT_CHARACTERS`]: 400 with the message
/// clients report from the real service ("A discussion comment cannot be longer than 150000
/// characters.\r\nParameter name: comment.Content"); the type key is .NET's for that message form.
fn check_comment_size(content: &str) -> Result<(), Reply> {
    let characters = content.encode_utf16().count();
    if characters > MAX_COMMENT_CHARACTERS {
        return Err(Reply::violation(
            400,
            &format!(
                "A discussion comment cannot be longer than {MAX_COMMENT_CHARACTERS} characters.\r\nParameter name: comment.Content"
            ),
            "ArgumentException",
        ));
    }
    Ok(())
}

fn post_thread(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let id = pull_request_id(organization, call)?;
    for comment in call.body()["comments"].as_array().into_iter().flatten() {
        check_comment_size(comment["content"].as_str().unwrap_or_default())?;
    }
    create_thread(organization, id, call.identity(), call.body())
        .map(|thread| Reply::ok(&thread))
        .map_err(|message| Reply::bad_request(&message))
}

/// Only the description is updated here (the agent's "Summary by CodeRabbit" block); the
/// service refuses a description over 4,000 characters.
fn update_pull_request(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let body = call.body();
    if let Some(description) = body["description"].as_str() {
        if description.encode_utf16().count() > 4000 {
            return Err(Reply::bad_request(
                "The pull request description cannot be longer than 4000 characters.",
            ));
        }
        if let Some(pr) = organization.pull_requests.get_mut(&pr_id) {
            pr.description = description.to_owned();
        }
    }
    Ok(Reply::ok(&organization.pull_request_json(pr_id)))
}

fn update_thread(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let thread_id = call.number("threadId");
    let body = call.body();
    check_thread(&organization.pull_requests[&pr_id], body, false)
        .map_err(|message| Reply::bad_request(&message))?;
    let now = organization.clock.now();
    let pr = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?;
    let thread = pr
        .thread_mut(thread_id)
        .ok_or_else(|| thread_not_found(thread_id))?;
    if let Some(status) = body["status"].as_str() {
        thread.status = Some(status.to_owned());
    }
    for (key, value) in properties_from(body) {
        match value {
            Some(value) => {
                thread.properties.insert(key, value);
            }
            None => {
                thread.properties.remove(&key);
            }
        }
    }
    thread.last_updated_date = now;
    let pr = &organization.pull_requests[&pr_id];
    let thread = pr
        .threads
        .iter()
        .find(|t| t.id == thread_id)
        .ok_or_else(|| thread_not_found(thread_id))?;
    Ok(Reply::ok(&organization.thread_json(pr, thread)))
}

fn thread<'p>(pr: &'p PullRequest, call: &Call<'_>) -> Result<&'p Thread, Reply> {
    let id = call.number("threadId");
    pr.threads
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| thread_not_found(id))
}

fn list_comments(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let thread = thread(pr, call)?;
    Ok(Reply::list(
        thread
            .comments
            .iter()
            .map(|c| organization.comment_json(c))
            .collect(),
    ))
}

fn get_comment(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let thread = thread(pr, call)?;
    let id = call.number("commentId");
    let comment = thread
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| comment_not_found(id))?;
    Ok(Reply::ok(&organization.comment_json(comment)))
}

/// The thread of the call, mutable, with the time of the change.
fn thread_mut<'o>(
    organization: &'o mut Organization,
    call: &Call<'_>,
) -> Result<(&'o mut Thread, String), Reply> {
    let pr_id = pull_request_id(organization, call)?;
    let now = organization.clock.now();
    let thread_id = call.number("threadId");
    let thread = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?
        .thread_mut(thread_id)
        .ok_or_else(|| thread_not_found(thread_id))?;
    Ok((thread, now))
}

fn create_comment(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let body = call.body();
    let author = call.identity().clone();
    let (thread, now) = thread_mut(organization, call)?;
    let parent = body["parentCommentId"].as_u64().unwrap_or(0);
    let parent = u32::try_from(parent).unwrap_or(u32::MAX);
    if parent != 0 && !thread.comments.iter().any(|c| c.id == parent) {
        return Err(Reply::bad_request(&format!(
            "the new comment replies to comment {parent}, which this thread does not have"
        )));
    }
    let Some(content) = body["content"].as_str() else {
        return Err(Reply::bad_request("the new comment has no content"));
    };
    check_comment_size(content)?;
    let comment = Comment::new(
        thread.next_comment_id(),
        parent,
        &author,
        content,
        body["commentType"].as_str().unwrap_or("text"),
        &now,
    );
    let id = comment.id;
    thread.last_updated_date = now;
    thread.comments.push(comment);
    comment_reply(organization, call, id)
}

/// A comment may be edited or deleted by its author only.
fn own_comment<'t>(thread: &'t mut Thread, call: &Call<'_>) -> Result<&'t mut Comment, Reply> {
    let id = call.number("commentId");
    let comment = thread
        .comments
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| comment_not_found(id))?;
    if comment.author.id != call.identity().id {
        return Err(Reply::violation(
            403,
            &format!(
                "comment {id} was written by {}; only its author can change it",
                comment.author.display_name
            ),
            "CommentNotOwnedException",
        ));
    }
    Ok(comment)
}

fn update_comment(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let body = call.body();
    let (thread, now) = thread_mut(organization, call)?;
    let comment = own_comment(thread, call)?;
    if let Some(content) = body["content"].as_str() {
        check_comment_size(content)?;
        if comment.content.is_none() {
            return Err(Reply::bad_request("a deleted comment cannot be edited"));
        }
        comment.content = Some(content.to_owned());
        comment.last_content_updated_date = now.clone();
    }
    comment.last_updated_date = now.clone();
    let id = comment.id;
    thread.last_updated_date = now;
    comment_reply(organization, call, id)
}

fn delete_comment(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let (thread, now) = thread_mut(organization, call)?;
    let comment = own_comment(thread, call)?;
    comment.content = None;
    comment.last_updated_date = now.clone();
    thread.last_updated_date = now;
    Ok(Reply::empty(200))
}

/// A comment of the call's thread, rendered.
fn comment_reply(organization: &Organization, call: &Call<'_>, id: u32) -> Answer {
    let pr = pull_request(organization, call)?;
    let thread = thread(pr, call)?;
    let comment = thread
        .comments
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| comment_not_found(id))?;
    Ok(Reply::ok(&organization.comment_json(comment)))
}

fn list_statuses(organization: &Organization, call: &Call<'_>, iteration: Option<u32>) -> Answer {
    let pr = pull_request(organization, call)?;
    if let Some(id) = iteration {
        pr.iteration(id).ok_or_else(|| iteration_not_found(id))?;
    }
    Ok(Reply::list(
        pr.statuses
            .iter()
            .filter(|s| iteration.is_none() || s.iteration_id == iteration)
            .map(|s| organization.status_json(pr, s))
            .collect(),
    ))
}

fn get_status(organization: &Organization, call: &Call<'_>) -> Answer {
    let pr = pull_request(organization, call)?;
    let id = call.number("statusId");
    let status = pr
        .statuses
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| status_not_found(id))?;
    Ok(Reply::ok(&organization.status_json(pr, status)))
}

fn status_not_found(id: u32) -> Reply {
    Reply::not_found(
        &format!("The requested status {id} was not found."),
        "GitStatusNotFoundException",
    )
}

fn create_status(
    organization: &mut Organization,
    call: &Call<'_>,
    path_iteration: Option<u32>,
) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let body = call.body();
    let name = body["context"]["name"].as_str().unwrap_or_default();
    if name.trim().is_empty() {
        return Err(Reply::bad_request(
            "the status context name cannot be null or empty",
        ));
    }
    let iteration = path_iteration.or_else(|| {
        body["iterationId"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
    });
    let now = organization.clock.now();
    let created_by = call.identity().clone();
    let pr = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?;
    if let Some(id) = iteration {
        if pr.iteration(id).is_none() {
            return Err(Reply::bad_request(&format!(
                "iteration {id} does not exist on pull request {pr_id} (the minimum is 1)"
            )));
        }
    }
    let status = Status {
        id: pr.next_status_id(),
        iteration_id: iteration,
        state: body["state"].as_str().map(str::to_owned),
        description: body["description"].as_str().map(str::to_owned),
        context: body["context"].clone(),
        target_url: body["targetUrl"].as_str().map(str::to_owned),
        created_by,
        creation_date: now,
        properties: properties_from(body)
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect(),
    };
    pr.statuses.push(status);
    let pr = &organization.pull_requests[&pr_id];
    let status = pr.statuses.last().ok_or_else(|| status_not_found(0))?;
    Ok(Reply::ok(&organization.status_json(pr, status)))
}

/// JSON Patch on statuses: only `remove` of `/{statusId}` is supported, as by the service.
fn patch_statuses(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let mut remove = Vec::new();
    for operation in call.body().as_array().into_iter().flatten() {
        let op = operation["op"].as_str().unwrap_or_default();
        let path = operation["path"].as_str().unwrap_or_default();
        let id = path.strip_prefix('/').and_then(|id| id.parse::<u32>().ok());
        match (op, id) {
            ("remove", Some(id)) => remove.push(id),
            _ => {
                return Err(Reply::bad_request(&format!(
                    "statuses can only be removed (op \"remove\", path \"/{{statusId}}\"), not {op} {path:?}"
                )));
            }
        }
    }
    let pr = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?;
    pr.statuses.retain(|s| !remove.contains(&s.id));
    Ok(Reply::empty(204))
}

fn delete_status(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let id = call.number("statusId");
    let pr = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?;
    let before = pr.statuses.len();
    pr.statuses.retain(|s| s.id != id);
    if pr.statuses.len() == before {
        return Err(status_not_found(id));
    }
    Ok(Reply::empty(204))
}

/// JSON Patch on the pull request's properties: `add`/`replace` (`/Name`, or `""` with an object
/// of several) and `remove`.
fn patch_properties(organization: &mut Organization, call: &Call<'_>) -> Answer {
    let pr_id = pull_request_id(organization, call)?;
    let pr = organization
        .pull_requests
        .get_mut(&pr_id)
        .ok_or_else(pull_request_not_found)?;
    for operation in call.body().as_array().into_iter().flatten() {
        let op = operation["op"].as_str().unwrap_or_default();
        let path = operation["path"].as_str().unwrap_or_default();
        let name = path
            .strip_prefix('/')
            .unwrap_or(path)
            .replace("~1", "/")
            .replace("~0", "~");
        let value = operation.get("value").unwrap_or(&Value::Null);
        match op {
            "add" | "replace" if name.is_empty() => {
                let Some(map) = value.as_object() else {
                    return Err(Reply::bad_request(
                        "a properties patch at path \"\" needs an object value",
                    ));
                };
                for (k, v) in map {
                    pr.properties.insert(k.clone(), TypedValue::from_patch(v));
                }
            }
            "add" | "replace" => {
                pr.properties.insert(name, TypedValue::from_patch(value));
            }
            "remove" => {
                pr.properties.remove(&name);
            }
            _ => {
                return Err(Reply::bad_request(&format!(
                    "the properties patch supports add, replace and remove, not {op}"
                )));
            }
        }
    }
    Ok(Reply::ok(&organization.properties_json(pr_id)))
}

fn build<'o>(
    organization: &'o Organization,
    call: &Call<'_>,
) -> Result<&'o super::state::Build, Reply> {
    let project = project(organization, call)?;
    let id = call.number("buildId");
    organization
        .builds
        .get(&id)
        .filter(|b| project.as_ref().is_none_or(|p| p.id == b.project_id))
        .ok_or_else(|| {
            Reply::not_found(
                &format!("The requested build {id} could not be found."),
                "BuildNotFoundException",
            )
        })
}

fn get_timeline(organization: &Organization, call: &Call<'_>) -> Answer {
    let build = build(organization, call)?;
    if let Some(timeline) = call.params.get("timelineId") {
        if !timeline.eq_ignore_ascii_case(&build.timeline_id) {
            return Err(Reply::not_found(
                &format!("The requested timeline {timeline} was not found."),
                "TimelineNotFoundException",
            ));
        }
    }
    Ok(Reply::ok(&organization.timeline_json(build)))
}

/// A log's lines, `startLine`..=`endLine` (1-based), as text, or as a JSON list when the client
/// asks for JSON only.
fn get_log(organization: &Organization, call: &Call<'_>) -> Answer {
    let build = build(organization, call)?;
    let id = call.number("logId");
    let text = build
        .seed
        .logs
        .iter()
        .find(|(log, _)| *log == id)
        .map(|(_, text)| text)
        .ok_or_else(|| {
            Reply::not_found(
                &format!(
                    "The requested log {id} of build {} was not found.",
                    build.seed.id
                ),
                "BuildLogNotFoundException",
            )
        })?;
    let lines = log_lines(text);
    let start = usize::try_from(call.query_number("startLine").unwrap_or(1).max(1)).unwrap_or(1);
    let end = usize::try_from(call.query_number("endLine").unwrap_or(i64::MAX).max(0))
        .unwrap_or(usize::MAX)
        .min(lines.len());
    let selected: Vec<&str> = if start <= end {
        lines[start - 1..end].to_vec()
    } else {
        Vec::new()
    };
    let wants_json =
        call.accept.contains("application/json") && !call.accept.contains("text/plain");
    if wants_json {
        Ok(Reply::list(selected.iter().map(|l| json!(l)).collect()))
    } else {
        let mut text = selected.join("\n");
        if !selected.is_empty() {
            text.push('\n');
        }
        Ok(Reply::text(text))
    }
}

/// `_apis/connectionData`: not in the reference; answers only to a preview `api-version`.
fn connection_data_reply(
    organization: &Organization,
    token: &Token,
    request: &RecordedRequest,
    given: Option<String>,
) -> Reply {
    if request.method != "GET" {
        return Reply::violation(
            405,
            &format!(
                "the requested resource does not support http method '{}'",
                request.method
            ),
            "HttpMethodNotAllowed",
        );
    }
    let Some(given) = given else {
        return missing_version(&request.method);
    };
    if split_version(&given).1.is_none() {
        return preview_required(&given);
    }
    let identity = &token.identity;
    let user = json!({
        "id": identity.id,
        "descriptor": format!("Microsoft.IdentityModel.Claims.ClaimsIdentity;{}\\{}", clock::guid("tenant"), identity.unique_name),
        "subjectDescriptor": format!("aad.{}", identity.id.replace('-', "")),
        "providerDisplayName": identity.display_name,
        "isActive": true,
        "properties": {
            "Account": { "$type": "System.String", "$value": identity.unique_name }
        },
        "resourceVersion": 2,
        "metaTypeId": 0,
    });
    Reply::ok(&json!({
        "authenticatedUser": user,
        "authorizedUser": user,
        "instanceId": clock::guid(&format!("instance:{}", organization.name)),
        "deploymentId": clock::guid(&format!("deployment:{}", organization.name)),
        "deploymentType": "hosted",
        "locationServiceData": {
            "serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7",
            "defaultAccessMappingMoniker": "PublicAccessMapping",
            "lastChangeId": 295_042_290,
            "lastChangeId64": 295_042_290,
        },
    }))
}
