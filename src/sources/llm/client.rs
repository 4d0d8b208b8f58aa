//! Asking the model for one JSON answer: the providers' wire formats, the structured-output
//! ladder, the run's budget and its concurrency limit. Requests go through the shared HTTP
//! transport (`crate::http`), which retries 429 and 5xx answers as the server asks.
//!
//! A question is a system text, a user text and the JSON schema of the answer. The client tries
//! the best way the server offers to get that JSON (a strict schema, then a forced tool call,
//! then JSON mode, then plain text read tolerantly); a server that rejects a way as unsupported
//! is asked the next way, and the whole run remembers it. It knows nothing about diffs or
//! findings.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::settings::{DEFAULT_AZURE_API_VERSION, LlmSettings, Provider};
use crate::http::{self, Answer, Failure, NetworkSettings, RetryPolicy, Transport, Verdict};

/// What the run has spent on the model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    pub requests: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// One question whose answer is a JSON object.
#[derive(Debug, Clone)]
pub struct Question {
    pub system: String,
    pub user: String,
    /// Name of the answer's schema (and of the tool that carries it).
    pub name: &'static str,
    pub schema: Value,
    /// Most output tokens the answer may take.
    pub max_output_tokens: u32,
}

/// Why a question got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the run's model budget is used up")]
    Budget,
    #[error("the model server did not answer in time")]
    Timeout,
    #[error("the model server answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the model's answer could not be read as the expected JSON")]
    Unreadable,
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Settings(String),
}

/// Ways to get structured output, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rung {
    JsonSchema,
    Tool,
    JsonMode,
    Text,
}

impl Rung {
    /// Words a server's 400 uses when it does not support this way.
    fn feature_words(self) -> &'static [&'static str] {
        match self {
            Rung::JsonSchema => &["response_format", "json_schema", "structured output"],
            Rung::Tool => &["tool", "function"],
            Rung::JsonMode => &["response_format", "json_object", "json mode"],
            Rung::Text => &[],
        }
    }
}

fn ladder(provider: Provider) -> &'static [Rung] {
    match provider {
        Provider::OpenAi | Provider::AzureOpenAi => {
            &[Rung::JsonSchema, Rung::Tool, Rung::JsonMode, Rung::Text]
        }
        Provider::Anthropic => &[Rung::Tool, Rung::Text],
    }
}

/// The run's spending and what is reserved for requests in flight.
#[derive(Debug, Default)]
struct Ledger {
    spent: Usage,
    reserved: u64,
}

/// Largest answer read from a model server; a larger one is not a review.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// How the shared transport retries model requests: a few attempts, 429 and 503 waits as the
/// server asks, within a minute and a half.
const MODEL_RETRIES: RetryPolicy = RetryPolicy {
    max_attempts: 4,
    first: Duration::from_millis(500),
    cap: Duration::from_secs(10),
    budget: Duration::from_secs(90),
};

/// The model, as the run talks to it. Cheap to share by reference across tasks.
pub struct ModelClient {
    settings: LlmSettings,
    transport: Transport,
    rung: AtomicUsize,
    ledger: Mutex<Ledger>,
    gate: Semaphore,
}

impl std::fmt::Debug for ModelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Rough token count of a text, as most tokenizers come out on code: four characters a token.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

impl ModelClient {
    /// A client on the shared HTTP transport (proxies, TLS, run-wide pauses on 429), with the
    /// model's own timeout. Refuses to send the key over plain HTTP to a host that is not
    /// loopback unless the network settings allow it.
    pub fn new(settings: LlmSettings, network: &NetworkSettings) -> Result<Self, ModelError> {
        check_endpoint(&settings, network.allow_insecure_http)?;
        let network = NetworkSettings {
            timeout: settings.timeout,
            ..network.clone()
        };
        let transport = Transport::new(&network, reqwest::header::HeaderMap::new())
            .map_err(|f| ModelError::Unreachable(failure_text(&f)))?
            .with_policy(MODEL_RETRIES);
        let permits = settings.concurrency.clamp(1, 64);
        Ok(ModelClient {
            settings,
            transport,
            rung: AtomicUsize::new(0),
            ledger: Mutex::new(Ledger::default()),
            gate: Semaphore::new(permits),
        })
    }

    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// What the run has spent so far.
    pub fn usage(&self) -> Usage {
        self.ledger.lock().map(|l| l.spent).unwrap_or_default()
    }

    /// The structured-output way the run currently uses.
    pub fn rung(&self) -> Rung {
        let ladder = ladder(self.settings.provider);
        ladder[self.rung.load(Ordering::SeqCst).min(ladder.len() - 1)]
    }

    /// Whether a question of about `input_tokens` still fits the run's budget.
    pub fn fits(&self, input_tokens: u64, max_output_tokens: u32) -> bool {
        let Ok(ledger) = self.ledger.lock() else {
            return false;
        };
        let used = ledger.spent.input_tokens + ledger.spent.output_tokens + ledger.reserved;
        ledger.spent.requests < self.settings.max_requests
            && used + input_tokens + u64::from(max_output_tokens) <= self.settings.token_budget
    }

    fn reserve(&self, tokens: u64) -> Result<(), ModelError> {
        let mut ledger = self.ledger.lock().map_err(|_| ModelError::Budget)?;
        let used = ledger.spent.input_tokens + ledger.spent.output_tokens + ledger.reserved;
        if ledger.spent.requests >= self.settings.max_requests
            || used + tokens > self.settings.token_budget
        {
            return Err(ModelError::Budget);
        }
        ledger.spent.requests += 1;
        ledger.reserved += tokens;
        Ok(())
    }

    fn settle(&self, reserved: u64, input: u64, output: u64) {
        if let Ok(mut ledger) = self.ledger.lock() {
            ledger.reserved = ledger.reserved.saturating_sub(reserved);
            ledger.spent.input_tokens += input;
            ledger.spent.output_tokens += output;
        }
    }

    /// Asks `question` and returns the answer's JSON object. An unreadable answer is asked
    /// again once; a way the server rejects as unsupported is replaced by the next one.
    pub async fn ask(&self, question: &Question) -> Result<Value, ModelError> {
        let _permit = self
            .gate
            .acquire()
            .await
            .map_err(|_| ModelError::Unreachable("the model client is closed".into()))?;
        let mut unreadable = 0;
        loop {
            let ladder = ladder(self.settings.provider);
            let index = self.rung.load(Ordering::SeqCst).min(ladder.len() - 1);
            let rung = ladder[index];
            match self.ask_once(question, rung).await {
                Ok(Some(value)) => return Ok(value),
                Ok(None) => {
                    unreadable += 1;
                    if unreadable > 1 {
                        return Err(ModelError::Unreadable);
                    }
                    tracing::debug!("unreadable model answer; asking again once");
                }
                Err(ModelError::Http { status, message })
                    if (status == 400 || status == 422)
                        && index + 1 < ladder.len()
                        && unsupported(rung, &message) =>
                {
                    tracing::info!(
                        "the model server does not support {rung:?} output; using {:?}",
                        ladder[index + 1]
                    );
                    let _ = self.rung.compare_exchange(
                        index,
                        index + 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One question sent (the transport retries 429, 5xx and broken connections).
    /// `Ok(None)`: an answer came but held no JSON.
    async fn ask_once(&self, question: &Question, rung: Rung) -> Result<Option<Value>, ModelError> {
        let body = self.body(question, rung);
        let bytes = serde_json::to_vec(&body).map_err(|e| ModelError::Settings(e.to_string()))?;
        let estimate = estimate_tokens(&question.system)
            + estimate_tokens(&question.user)
            + (bytes.len() as u64).div_ceil(16);
        let reserved = estimate + u64::from(question.max_output_tokens);
        self.reserve(reserved)?;
        let url = url::Url::parse(&self.url())
            .map_err(|_| ModelError::Settings("the model's URL is not valid".into()))?;
        let mut request = http::Request::new(Method::POST, url)
            .json(bytes)
            .timeout(self.settings.timeout)
            // Asking again costs tokens but changes nothing on the server.
            .idempotent(true);
        for (name, value) in self.headers() {
            let value = HeaderValue::from_str(&value)
                .map_err(|_| ModelError::Settings(format!("the `{name}` header is not valid")))?;
            request = request.header(HeaderName::from_static(name), value);
        }
        // The timeout bounds the whole question, retries included: a server that does not
        // answer in time is not asked the same again and again.
        let sent = tokio::time::timeout(
            self.settings.timeout,
            self.transport.send(request, classify),
        )
        .await;
        let answer = match sent {
            Err(_) => {
                self.settle(reserved, 0, 0);
                return Err(ModelError::Timeout);
            }
            Ok(Err(http::Error::Service(error))) => {
                self.settle(reserved, 0, 0);
                return Err(self.scrub_error(error));
            }
            Ok(Err(http::Error::Transport(failure))) => {
                self.settle(reserved, 0, 0);
                return Err(match &failure {
                    Failure::Exhausted { detail, .. } if detail.starts_with("timed out") => {
                        ModelError::Timeout
                    }
                    _ => ModelError::Unreachable(self.scrub(&failure_text(&failure))),
                });
            }
            Ok(Ok(answer)) => answer,
        };
        if answer.body.len() > MAX_ANSWER_BYTES {
            self.settle(reserved, estimate, 0);
            tracing::debug!("the model's answer exceeded {MAX_ANSWER_BYTES} bytes");
            return Ok(None);
        }
        let parsed: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let (input, output) = parsed
            .as_ref()
            .map(|v| usage_of(self.settings.provider, v))
            .unwrap_or((estimate, 0));
        self.settle(reserved, input, output);
        Ok(parsed.and_then(|v| answer_of(self.settings.provider, &v)))
    }

    /// `text` without the key (servers echo a rejected key in their error messages).
    fn scrub(&self, text: &str) -> String {
        let key = self.settings.api_key.expose().trim();
        if key.len() < 4 {
            return text.to_owned();
        }
        let mut out = text.replace(key, "***");
        // OpenAI echoes a rejected key shortened: `sk-abc***********wxyz`.
        let (head, tail) = (
            &key[..key.len().min(6)],
            &key[key.len().saturating_sub(4)..],
        );
        if let Some(start) = out.find(head) {
            let rest = &out[start..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if rest[..end]
                .trim_end_matches(['.', ',', '"', '\''])
                .ends_with(tail)
            {
                out.replace_range(start..start + end, "***");
            }
        }
        out
    }

    fn scrub_error(&self, error: ModelError) -> ModelError {
        match error {
            ModelError::Http { status, message } => ModelError::Http {
                status,
                message: self.scrub(&message),
            },
            other => other,
        }
    }

    fn url(&self) -> String {
        let base = self.settings.base_url.trim().trim_end_matches('/');
        match self.settings.provider {
            Provider::OpenAi => format!("{base}/chat/completions"),
            Provider::AzureOpenAi => {
                let version = self
                    .settings
                    .api_version
                    .as_deref()
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or(DEFAULT_AZURE_API_VERSION);
                let mut url = format!("{base}/openai/deployments/");
                url.extend(url::form_urlencoded::byte_serialize(
                    self.settings.model.as_bytes(),
                ));
                url.push_str("/chat/completions?api-version=");
                url.extend(url::form_urlencoded::byte_serialize(
                    version.trim().as_bytes(),
                ));
                url
            }
            Provider::Anthropic => {
                if base.ends_with("/v1") {
                    format!("{base}/messages")
                } else {
                    format!("{base}/v1/messages")
                }
            }
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        let key = self.settings.api_key.expose().trim();
        let mut headers = vec![("content-type", "application/json".to_owned())];
        match self.settings.provider {
            Provider::OpenAi => {
                if !key.is_empty() {
                    headers.push(("authorization", format!("Bearer {key}")));
                }
            }
            Provider::AzureOpenAi => headers.push(("api-key", key.to_owned())),
            Provider::Anthropic => {
                headers.push(("x-api-key", key.to_owned()));
                let version = self
                    .settings
                    .api_version
                    .as_deref()
                    .filter(|v| !v.trim().is_empty())
                    .unwrap_or("2023-06-01");
                headers.push(("anthropic-version", version.trim().to_owned()));
            }
        }
        headers
    }

    /// The request body for `question` asked the `rung` way.
    fn body(&self, question: &Question, rung: Rung) -> Value {
        let mut system = question.system.clone();
        if matches!(rung, Rung::JsonMode | Rung::Text) {
            system.push_str(
                "\n\nAnswer with one JSON object and nothing else. It must match this JSON schema:\n",
            );
            system.push_str(&question.schema.to_string());
        }
        let tool_description = "Report the answer. Call this exactly once.";
        match self.settings.provider {
            Provider::Anthropic => {
                let mut body = json!({
                    "model": self.settings.model,
                    "max_tokens": question.max_output_tokens,
                    "system": system,
                    "messages": [{"role": "user", "content": question.user}],
                });
                if rung == Rung::Tool {
                    body["tools"] = json!([{
                        "name": question.name,
                        "description": tool_description,
                        "input_schema": question.schema,
                    }]);
                    body["tool_choice"] = json!({"type": "tool", "name": question.name});
                }
                body
            }
            Provider::OpenAi | Provider::AzureOpenAi => {
                let mut body = json!({
                    "messages": [
                        {"role": "system", "content": system},
                        {"role": "user", "content": question.user},
                    ],
                });
                if self.settings.provider == Provider::OpenAi {
                    body["model"] = json!(self.settings.model);
                }
                match rung {
                    Rung::JsonSchema => {
                        body["response_format"] = json!({
                            "type": "json_schema",
                            "json_schema": {"name": question.name, "strict": true, "schema": question.schema},
                        });
                    }
                    Rung::Tool => {
                        body["tools"] = json!([{
                            "type": "function",
                            "function": {
                                "name": question.name,
                                "description": tool_description,
                                "parameters": question.schema,
                            },
                        }]);
                        body["tool_choice"] =
                            json!({"type": "function", "function": {"name": question.name}});
                    }
                    Rung::JsonMode => body["response_format"] = json!({"type": "json_object"}),
                    Rung::Text => {}
                }
                body
            }
        }
    }
}

fn check_endpoint(settings: &LlmSettings, allow_insecure_http: bool) -> Result<(), ModelError> {
    let url = url::Url::parse(settings.base_url.trim()).map_err(|_| {
        ModelError::Settings(format!(
            "the model's base URL `{}` is not a URL; set CODERABBIT_LLM_BASE_URL to e.g. https://api.openai.com/v1",
            settings.base_url
        ))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback || allow_insecure_http {
                Ok(())
            } else {
                Err(ModelError::Settings(format!(
                    "the model's base URL `{}` is plain http:// to a host that is not loopback; use https:// or set CODERABBIT_ALLOW_INSECURE_HTTP=true",
                    url.origin().ascii_serialization()
                )))
            }
        }
        other => Err(ModelError::Settings(format!(
            "the model's base URL has the scheme `{other}`; use https://"
        ))),
    }
}

/// Whether a 400's message says the server does not support `rung`.
fn unsupported(rung: Rung, message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    let says_unsupported = [
        "not supported",
        "unsupported",
        "does not support",
        "not support",
        "invalid",
    ]
    .iter()
    .any(|w| message.contains(w));
    let names_feature = rung.feature_words().iter().any(|w| message.contains(w));
    names_feature && says_unsupported
}

/// What an answer means for the transport: 2xx done; 429, 503 and 529 (Anthropic's
/// "overloaded") refused without acting; other 5xx transient; the rest the model's error.
fn classify(answer: &Answer) -> Verdict<ModelError> {
    let status = answer.status.as_u16();
    match status {
        200..=299 => Verdict::Done,
        429 | 503 | 529 => Verdict::Refused(format!("the model server answered {status}")),
        500..=599 => Verdict::Transient(format!("the model server answered {status}")),
        _ => Verdict::Fail(http_error(status, &answer.body)),
    }
}

fn http_error(status: u16, body: &[u8]) -> ModelError {
    let body = String::from_utf8_lossy(body);
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.pointer("/error"))
                .or_else(|| v.pointer("/message"))
                .and_then(|m| m.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| body.chars().take(300).collect());
    ModelError::Http {
        status,
        message: message.chars().take(500).collect(),
    }
}

fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::InsecureHttp { url } => format!(
            "the model's URL {url} is plain http:// to another machine; use https:// or set CODERABBIT_ALLOW_INSECURE_HTTP=true"
        ),
        Failure::Unreachable { host, detail } => {
            format!("could not reach the model server {host}: {detail}")
        }
        Failure::Exhausted { detail, .. } => format!("the model server kept failing: {detail}"),
        Failure::Ambiguous { detail, .. } => format!("the model server failed: {detail}"),
        Failure::Certificate(problem) => problem.to_string(),
        Failure::Setup { detail } => format!("could not set up the HTTP client: {detail}"),
    }
}

/// Input and output tokens from the provider's `usage`.
fn usage_of(provider: Provider, body: &Value) -> (u64, u64) {
    let usage = &body["usage"];
    let get = |k: &str| usage[k].as_u64().unwrap_or(0);
    match provider {
        Provider::Anthropic => (
            get("input_tokens")
                + get("cache_read_input_tokens")
                + get("cache_creation_input_tokens"),
            get("output_tokens"),
        ),
        Provider::OpenAi | Provider::AzureOpenAi => {
            (get("prompt_tokens"), get("completion_tokens"))
        }
    }
}

/// The JSON object an answer carries: a tool call's arguments, else the text read tolerantly.
fn answer_of(provider: Provider, body: &Value) -> Option<Value> {
    match provider {
        Provider::Anthropic => {
            let blocks = body["content"].as_array()?;
            if let Some(input) = blocks
                .iter()
                .find(|b| b["type"] == "tool_use")
                .map(|b| &b["input"])
                .filter(|i| i.is_object())
            {
                return Some(input.clone());
            }
            let text: String = blocks
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n");
            read_json(&text)
        }
        Provider::OpenAi | Provider::AzureOpenAi => {
            let message = &body["choices"][0]["message"];
            if let Some(arguments) = message["tool_calls"][0]["function"]["arguments"].as_str() {
                return read_json(arguments);
            }
            if message["tool_calls"][0]["function"]["arguments"].is_object() {
                return Some(message["tool_calls"][0]["function"]["arguments"].clone());
            }
            read_json(message["content"].as_str()?)
        }
    }
}

/// The first JSON object in a text: the whole text, a fenced block, or an object with prose
/// around it.
pub fn read_json(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(trimmed) {
        return Some(value);
    }
    // Fenced blocks: ```json … ``` or ``` … ```.
    let mut rest = trimmed;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(0);
        let Some(end) = after[body_start..].find("```") else {
            break;
        };
        let block = after[body_start..body_start + end].trim();
        if let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(block) {
            return Some(value);
        }
        rest = &after[body_start + end + 3..];
    }
    // An object with prose around it: try each `{` with the stream parser.
    for (index, _) in trimmed.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&trimmed[index..]).into_iter::<Value>();
        if let Some(Ok(value @ Value::Object(_))) = stream.next() {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_in_fences_and_prose() {
        let expected = json!({"a": [1, 2]});
        assert_eq!(read_json("{\"a\": [1, 2]}"), Some(expected.clone()));
        assert_eq!(
            read_json("Here you go:\n```json\n{\"a\": [1, 2]}\n```\nThanks"),
            Some(expected.clone())
        );
        assert_eq!(
            read_json("Sure! The review is {\"a\": [1, 2]} as requested."),
            Some(expected)
        );
        assert_eq!(read_json("{\"a\": [1, 2"), None);
        assert_eq!(read_json("no json here"), None);
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        use super::super::settings::ApiKey;
        let mut settings = LlmSettings::new(
            Provider::OpenAi,
            "http://models.example.com/v1",
            "m",
            ApiKey::new("k"),
        );
        let mut network = NetworkSettings::default();
        let error = ModelClient::new(settings.clone(), &network).err();
        assert!(matches!(error, Some(ModelError::Settings(_))), "{error:?}");
        network.allow_insecure_http = true;
        assert!(ModelClient::new(settings.clone(), &network).is_ok());
        settings.base_url = "http://127.0.0.1:9/v1".into();
        network.allow_insecure_http = false;
        assert!(ModelClient::new(settings, &network).is_ok());
    }

    #[test]
    fn a_400_steps_down_only_when_it_names_the_feature() {
        assert!(unsupported(
            Rung::JsonSchema,
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model."
        ));
        assert!(!unsupported(
            Rung::JsonSchema,
            "This model's maximum context length is 8192 tokens"
        ));
        assert!(unsupported(Rung::Tool, "tool_choice is not supported"));
    }
}
