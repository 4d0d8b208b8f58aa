//! A language-model server for tests, on 127.0.0.1 and a random port, speaking the real wire
//! formats of OpenAI's Chat Completions (also as Azure OpenAI serves it: deployment URL,
//! `api-version`, `api-key`) and Anthropic's Messages API. It checks each request's shape
//! (path, auth header, body fields), records it, and answers from a script or a function,
//! with the provider's `usage` counted as four characters a token.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Which wire format the stub speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Azure {
        deployment: &'static str,
        api_version: &'static str,
    },
    Anthropic,
}

/// One request as the stub received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The user message's text.
    pub fn user_text(&self) -> String {
        let body = self.json();
        body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "user")
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The system text (a system message, or Anthropic's top-level `system`).
    pub fn system_text(&self) -> String {
        let body = self.json();
        if let Some(system) = body["system"].as_str() {
            return system.to_owned();
        }
        body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "system")
            .filter_map(|m| m["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What the stub answers to one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The answer's JSON, carried the way the request asked for it (tool call, or content).
    Json(Value),
    /// Free text as the message content.
    Text(String),
    /// A raw HTTP answer.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

/// A scripted answer, after a delay.
#[derive(Debug, Clone)]
pub struct Reply {
    pub answer: Answer,
    pub delay: Duration,
}

impl From<Answer> for Reply {
    fn from(answer: Answer) -> Self {
        Reply {
            answer,
            delay: Duration::ZERO,
        }
    }
}

type Responder = Box<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct State {
    flavor: Flavor,
    key: String,
    script: Mutex<VecDeque<Reply>>,
    fallback: Mutex<Option<Responder>>,
    requests: Mutex<Vec<Recorded>>,
    violations: Mutex<Vec<String>>,
}

pub struct ModelStub {
    pub base_url: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ModelStub {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl ModelStub {
    /// Starts a stub that expects `key` in the provider's auth header.
    pub fn start(flavor: Flavor, key: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("the stub binds");
        let addr = listener.local_addr().expect("the stub has an address");
        listener.set_nonblocking(true).expect("non-blocking");
        let state = Arc::new(State {
            flavor,
            key: key.to_owned(),
            script: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
        });
        let (shutdown, mut stopped) = oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the stub's runtime starts");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let shared = Arc::clone(&shared);
                            tokio::spawn(async move {
                                let service = service_fn(move |r| serve(Arc::clone(&shared), r));
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        let base_url = match flavor {
            Flavor::OpenAi => format!("http://{addr}/v1"),
            Flavor::Azure { .. } | Flavor::Anthropic => format!("http://{addr}"),
        };
        ModelStub {
            base_url,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Queues answers, used in order before the fallback.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state
            .script
            .lock()
            .expect("the stub state")
            .extend(replies);
    }

    /// Answers every request the script does not cover.
    pub fn fallback(&self, f: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        *self.state.fallback.lock().expect("the stub state") = Some(Box::new(f));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("the stub state").clone()
    }

    /// Requests whose shape does not match the provider's wire format.
    pub fn violations(&self) -> Vec<String> {
        self.state
            .violations
            .lock()
            .expect("the stub state")
            .clone()
    }
}

/// Four characters a token, as the stub's `usage` counts them.
pub fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

fn check(flavor: Flavor, key: &str, r: &Recorded) -> Vec<String> {
    let mut bad = Vec::new();
    let body = r.json();
    if r.method != "POST" {
        bad.push(format!("method {}", r.method));
    }
    if !r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"))
    {
        bad.push("content-type is not application/json".into());
    }
    match flavor {
        Flavor::OpenAi => {
            if r.path_and_query != "/v1/chat/completions" {
                bad.push(format!("path {}", r.path_and_query));
            }
            if r.header("authorization") != Some(&format!("Bearer {key}")) {
                bad.push("no Bearer key".into());
            }
        }
        Flavor::Azure {
            deployment,
            api_version,
        } => {
            let want = format!(
                "/openai/deployments/{deployment}/chat/completions?api-version={api_version}"
            );
            if r.path_and_query != want {
                bad.push(format!("path {} (want {want})", r.path_and_query));
            }
            if r.header("api-key") != Some(key) {
                bad.push("no api-key header".into());
            }
            if r.header("authorization").is_some() {
                bad.push("an Authorization header on Azure OpenAI".into());
            }
        }
        Flavor::Anthropic => {
            if r.path_and_query != "/v1/messages" {
                bad.push(format!("path {}", r.path_and_query));
            }
            if r.header("x-api-key") != Some(key) {
                bad.push("no x-api-key".into());
            }
            if r.header("anthropic-version") != Some("2023-06-01") {
                bad.push("no anthropic-version".into());
            }
            if !body["max_tokens"].is_u64() {
                bad.push("no max_tokens".into());
            }
            if !body["system"].is_string() {
                bad.push("no top-level system".into());
            }
            if let Some(choice) = body.get("tool_choice") {
                let name = choice["name"].as_str().unwrap_or_default();
                let declared = body["tools"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|t| t["name"] == name && t["input_schema"]["type"] == "object");
                if choice["type"] != "tool" || !declared {
                    bad.push("tool_choice names no declared tool".into());
                }
            }
        }
    }
    if matches!(flavor, Flavor::OpenAi | Flavor::Azure { .. }) {
        let roles_ok = body["messages"].as_array().is_some_and(|m| {
            !m.is_empty()
                && m.iter().all(|m| {
                    ["system", "user", "assistant"]
                        .contains(&m["role"].as_str().unwrap_or_default())
                        && m["content"].is_string()
                })
        });
        if !roles_ok {
            bad.push("messages are not role/content pairs".into());
        }
        if let Some(format) = body.get("response_format") {
            let ok = match format["type"].as_str() {
                Some("json_schema") => {
                    format["json_schema"]["name"].is_string()
                        && format["json_schema"]["schema"]["type"] == "object"
                }
                Some("json_object") => r.body.to_lowercase().contains("json"),
                _ => false,
            };
            if !ok {
                bad.push("malformed response_format".into());
            }
        }
        if let Some(choice) = body.get("tool_choice") {
            let name = choice["function"]["name"].as_str().unwrap_or_default();
            let declared = body["tools"].as_array().into_iter().flatten().any(|t| {
                t["type"] == "function"
                    && t["function"]["name"] == name
                    && t["function"]["parameters"]["type"] == "object"
            });
            if choice["type"] != "function" || !declared {
                bad.push("tool_choice names no declared function".into());
            }
        }
    }
    bad
}

/// The body of a successful answer in the flavor's format.
fn success(flavor: Flavor, request: &Value, input_tokens: u64, answer: &Answer) -> String {
    let (json_answer, text) = match answer {
        Answer::Json(v) => (Some(v.clone()), v.to_string()),
        Answer::Text(t) => (None, t.clone()),
        Answer::Raw { .. } => unreachable!(),
    };
    let output_tokens = tokens(&text);
    match flavor {
        Flavor::Anthropic => {
            let tool = request["tool_choice"]["name"].as_str();
            let content = match (tool, json_answer) {
                (Some(name), Some(input)) => {
                    json!([{"type": "tool_use", "id": "toolu_01", "name": name, "input": input}])
                }
                _ => json!([{"type": "text", "text": text}]),
            };
            let stop = if tool.is_some() {
                "tool_use"
            } else {
                "end_turn"
            };
            json!({
                "id": "msg_01", "type": "message", "role": "assistant", "model": request["model"],
                "content": content, "stop_reason": stop, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}
            })
            .to_string()
        }
        Flavor::OpenAi | Flavor::Azure { .. } => {
            let tool = request["tool_choice"]["function"]["name"].as_str();
            let (message, finish) = match (tool, json_answer) {
                (Some(name), Some(args)) => (
                    json!({"role": "assistant", "content": null, "tool_calls": [{
                        "id": "call_01", "type": "function",
                        "function": {"name": name, "arguments": args.to_string()}}]}),
                    "tool_calls",
                ),
                _ => (
                    json!({"role": "assistant", "content": text, "refusal": null}),
                    "stop",
                ),
            };
            json!({
                "id": "chatcmpl-01", "object": "chat.completion", "created": 1_767_225_600,
                "model": request["model"].as_str().unwrap_or("deployment"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": null}],
                "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                          "total_tokens": input_tokens + output_tokens}
            })
            .to_string()
        }
    }
}

async fn serve(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = request.method().to_string();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = request.into_body().collect().await?.to_bytes();
    let recorded = Recorded {
        method,
        path_and_query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let problems = check(state.flavor, &state.key, &recorded);
    state
        .requests
        .lock()
        .expect("the stub state")
        .push(recorded.clone());
    if !problems.is_empty() {
        state
            .violations
            .lock()
            .expect("the stub state")
            .extend(problems.iter().cloned());
        return Ok(respond(
            400,
            &[],
            json!({"error": {"message": problems.join("; ")}}).to_string(),
        ));
    }
    let reply = state.script.lock().expect("the stub state").pop_front();
    let reply = match reply {
        Some(r) => r,
        None => match state.fallback.lock().expect("the stub state").as_ref() {
            Some(f) => f(&recorded),
            None => Answer::Json(json!({"findings": [], "files": []})).into(),
        },
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let input_tokens = tokens(&recorded.system_text()) + tokens(&recorded.user_text());
    Ok(match &reply.answer {
        Answer::Raw {
            status,
            headers,
            body,
        } => respond(*status, headers, body.clone()),
        other => respond(
            200,
            &[],
            success(state.flavor, &recorded.json(), input_tokens, other),
        ),
    })
}

fn respond(status: u16, headers: &[(String, String)], body: String) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (n, v) in headers {
        response = response.header(n.as_str(), v.as_str());
    }
    response
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
