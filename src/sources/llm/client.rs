//! Asking the model for one JSON answer: the providers' wire formats, the structured-output
//! ladder, retries, the run's budget and its concurrency limit.
//!
//! A question is a system text, a user text and the JSON schema of the answer. The client tries
//! the best way the server offers to get that JSON (a strict schema, then a forced tool call,
//! then JSON mode, then plain text read tolerantly); a server that rejects a way as unsupported
//! is asked the next way, and the whole run remembers it. It knows nothing about diffs or
//! findings.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::settings::{DEFAULT_AZURE_API_VERSION, LlmSettings, Provider};
use super::transport::{ReqwestTransport, Transport, WireError, WireRequest, WireResponse};

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

/// Attempts per request on 429, 5xx and connection failures.
const ATTEMPTS: u32 = 3;
/// Longest wait a `Retry-After` may impose before the client gives up on that request.
const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(60);

/// The model, as the run talks to it. Cheap to share by reference across tasks.
pub struct ModelClient {
    settings: LlmSettings,
    transport: Arc<dyn Transport>,
    rung: AtomicUsize,
    ledger: Mutex<Ledger>,
    gate: Semaphore,
    /// Base of the exponential back-off when no `Retry-After` is given.
    backoff: Duration,
    /// No request starts before this instant: a 429's wait holds back the requests in
    /// flight too, not only the one that got it.
    paused_until: Mutex<Option<tokio::time::Instant>>,
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
    /// A client on the default transport. Refuses to send the key over plain HTTP to a host
    /// that is not loopback unless the settings allow it.
    pub fn new(settings: LlmSettings) -> Result<Self, ModelError> {
        let transport =
            ReqwestTransport::new().map_err(|e| ModelError::Unreachable(e.to_string()))?;
        Self::with_transport(settings, Arc::new(transport))
    }

    /// A client on a given transport (the shared one, or a test double).
    pub fn with_transport(
        settings: LlmSettings,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, ModelError> {
        check_endpoint(&settings)?;
        let permits = settings.concurrency.clamp(1, 64);
        Ok(ModelClient {
            settings,
            transport,
            rung: AtomicUsize::new(0),
            ledger: Mutex::new(Ledger::default()),
            gate: Semaphore::new(permits),
            backoff: Duration::from_millis(500),
            paused_until: Mutex::new(None),
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

    /// One request (with retries on 429/5xx). `Ok(None)`: an answer came but held no JSON.
    async fn ask_once(&self, question: &Question, rung: Rung) -> Result<Option<Value>, ModelError> {
        let body = self.body(question, rung);
        let bytes = serde_json::to_vec(&body).map_err(|e| ModelError::Settings(e.to_string()))?;
        let estimate = estimate_tokens(&question.system)
            + estimate_tokens(&question.user)
            + (bytes.len() as u64).div_ceil(16);
        let reserved = estimate + u64::from(question.max_output_tokens);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let pause = self.paused_until.lock().ok().and_then(|p| *p);
            if let Some(until) = pause {
                tokio::time::sleep_until(until).await;
            }
            self.reserve(reserved)?;
            let sent = self
                .transport
                .send(WireRequest {
                    url: self.url(),
                    headers: self.headers(),
                    body: bytes.clone(),
                    timeout: self.settings.timeout,
                })
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(WireError::Timeout(_)) => {
                    self.settle(reserved, 0, 0);
                    return Err(ModelError::Timeout);
                }
                Err(WireError::TooLarge(limit)) => {
                    // An answer that large is not a review: read as unreadable.
                    self.settle(reserved, estimate, 0);
                    tracing::debug!("the model's answer exceeded {limit} bytes");
                    return Ok(None);
                }
                Err(error) => {
                    self.settle(reserved, 0, 0);
                    if attempt < ATTEMPTS {
                        tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
                        continue;
                    }
                    return Err(ModelError::Unreachable(self.scrub(&error.to_string())));
                }
            };
            if response.status == 429 || response.status >= 500 {
                self.settle(reserved, 0, 0);
                let wait = retry_wait(&response).unwrap_or(self.backoff * 2u32.pow(attempt - 1));
                if attempt < ATTEMPTS && wait <= LONGEST_RETRY_WAIT {
                    if response.status == 429 {
                        let until = tokio::time::Instant::now() + wait;
                        if let Ok(mut paused) = self.paused_until.lock() {
                            *paused = Some(paused.map_or(until, |p| p.max(until)));
                        }
                    }
                    tracing::debug!(
                        "model server answered {}; retrying in {wait:?}",
                        response.status
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Err(self.scrub_error(http_error(&response)));
            }
            if !(200..300).contains(&response.status) {
                self.settle(reserved, 0, 0);
                return Err(self.scrub_error(http_error(&response)));
            }
            let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
            let (input, output) = parsed
                .as_ref()
                .map(|v| usage_of(self.settings.provider, v))
                .unwrap_or((estimate, 0));
            self.settle(reserved, input, output);
            return Ok(parsed.and_then(|v| answer_of(self.settings.provider, &v)));
        }
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

fn check_endpoint(settings: &LlmSettings) -> Result<(), ModelError> {
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
            if loopback || settings.allow_insecure_http {
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

fn http_error(response: &WireResponse) -> ModelError {
    let body = String::from_utf8_lossy(&response.body);
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
        status: response.status,
        message: message.chars().take(500).collect(),
    }
}

/// The wait a 429 or 503 asks for: `retry-after-ms`, else `Retry-After` in seconds or as an
/// HTTP date.
fn retry_wait(response: &WireResponse) -> Option<Duration> {
    if let Some(ms) = response
        .header("retry-after-ms")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_millis(ms as u64));
    }
    let value = response.header("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    http_date_from_now(value)
}

/// Seconds from now until an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date_from_now(value: &str) -> Option<Duration> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    if parts.len() != 6 {
        return None;
    }
    let day: i64 = parts[1].parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])? as i64
        + 1;
    let year: i64 = parts[3].parse().ok()?;
    let hms: Vec<i64> = parts[4].split(':').filter_map(|p| p.parse().ok()).collect();
    if hms.len() != 3 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let at = days * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(Duration::from_secs((at - now).max(0) as u64))
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
    fn retry_after_is_read_in_all_its_forms() {
        let response = |h: &[(&str, &str)]| WireResponse {
            status: 429,
            headers: h
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: Vec::new(),
        };
        assert_eq!(
            retry_wait(&response(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_wait(&response(&[
                ("retry-after-ms", "250"),
                ("retry-after", "9")
            ])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_wait(&response(&[(
                "retry-after",
                "Sun, 06 Nov 1994 08:49:37 GMT"
            )])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_wait(&response(&[])), None);
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
        let error = ModelClient::new(settings.clone()).err();
        assert!(matches!(error, Some(ModelError::Settings(_))), "{error:?}");
        settings.allow_insecure_http = true;
        assert!(ModelClient::new(settings.clone()).is_ok());
        settings.base_url = "http://127.0.0.1:9/v1".into();
        settings.allow_insecure_http = false;
        assert!(ModelClient::new(settings).is_ok());
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
