//! Transport, authentication and retries.

use std::fmt;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use super::error::ApiError;

/// The PAT scope a call needs, named as the PAT creation page names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Code,
    Build,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Code => "Code (Read & write)",
            Scope::Build => "Build (Read)",
        })
    }
}

/// What a request is for, in the user's words: used in every error sentence.
#[derive(Debug, Clone)]
pub struct Call {
    /// e.g. "pull request 42 in repository `web`".
    pub resource: String,
    /// e.g. "read", "comment on".
    pub action: &'static str,
    pub scope: Scope,
}

impl Call {
    pub fn new(action: &'static str, resource: impl Into<String>, scope: Scope) -> Self {
        Call {
            resource: resource.into(),
            action,
            scope,
        }
    }
}

/// The credential the agent presents.
#[derive(Clone)]
pub enum Credential {
    /// The CodeRabbit user's Personal Access Token: Basic with an empty user name.
    Pat(String),
    /// `SYSTEM_ACCESSTOKEN`: Bearer.
    Bearer(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::Pat(_) => "Credential::Pat(***)",
            Credential::Bearer(_) => "Credential::Bearer(***)",
        })
    }
}

impl Credential {
    /// The `Authorization` header value. It is a secret too (base64 of the PAT).
    pub fn header_value(&self) -> String {
        match self {
            Credential::Pat(pat) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(":{pat}"))
            ),
            Credential::Bearer(token) => format!("Bearer {token}"),
        }
    }

    pub fn secret(&self) -> &str {
        match self {
            Credential::Pat(s) | Credential::Bearer(s) => s,
        }
    }
}

/// The agent's proxy (`AGENT_PROXYURL` and friends), used when the standard variables are unset.
#[derive(Clone)]
pub struct AgentProxy {
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Regular expressions of URLs that bypass the proxy (`AGENT_PROXYBYPASSLIST`, a JSON array).
    pub bypass: Vec<String>,
}

impl fmt::Debug for AgentProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentProxy")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("bypass", &self.bypass)
            .finish()
    }
}

/// Transport settings, read from the environment.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    pub allow_insecure_http: bool,
    pub agent_proxy: Option<AgentProxy>,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
    /// Most time spent waiting between retries of one request.
    pub max_wait: Duration,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        NetworkSettings {
            allow_insecure_http: false,
            agent_proxy: None,
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl NetworkSettings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let agent_proxy = var("AGENT_PROXYURL").map(|url| AgentProxy {
            url,
            username: var("AGENT_PROXYUSERNAME"),
            password: var("AGENT_PROXYPASSWORD"),
            bypass: var("AGENT_PROXYBYPASSLIST")
                .and_then(|list| serde_json::from_str::<Vec<String>>(&list).ok())
                .unwrap_or_default(),
        });
        let seconds = |name: &str, default: u64| {
            var(name)
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(Duration::from_secs(default), Duration::from_secs)
        };
        NetworkSettings {
            allow_insecure_http: var("CODERABBIT_ALLOW_INSECURE_HTTP")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            agent_proxy,
            timeout: seconds("CODERABBIT_HTTP_TIMEOUT_SECS", 30),
            max_wait: seconds("CODERABBIT_MAX_RETRY_WAIT_SECS", 120),
        }
    }
}

/// A response body with the headers the caller may need.
struct Answer {
    body: Vec<u8>,
}

/// The REST client for one collection (`SYSTEM_COLLECTIONURI`).
pub struct Client {
    http: reqwest::Client,
    base: Url,
    authorization: HeaderValue,
    settings: NetworkSettings,
    /// Set from `X-RateLimit-Delay`: no request starts before this instant.
    pause_until: Arc<Mutex<Option<Instant>>>,
    requests: AtomicUsize,
    jitter_seed: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl Client {
    /// A client for `collection_uri` (e.g. `https://dev.azure.com/org/`).
    pub fn new(
        collection_uri: &str,
        credential: &Credential,
        settings: NetworkSettings,
    ) -> Result<Self, ApiError> {
        let mut base =
            Url::parse(collection_uri.trim()).map_err(|_| ApiError::BadCollectionUrl {
                url: collection_uri.to_owned(),
            })?;
        if !matches!(base.scheme(), "https" | "http") || base.host().is_none() {
            return Err(ApiError::BadCollectionUrl {
                url: collection_uri.to_owned(),
            });
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        if base.scheme() == "http" && !is_loopback(&base) && !settings.allow_insecure_http {
            return Err(ApiError::InsecureHttp {
                url: base.to_string(),
            });
        }
        let mut authorization = HeaderValue::from_str(&credential.header_value())
            .map_err(|_| ApiError::TokenRejected { scope: Scope::Code })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(
            "X-TFS-FedAuthRedirect",
            HeaderValue::from_static("Suppress"),
        );
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("coderabbit-agent/", env!("CARGO_PKG_VERSION"))),
        );
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(15)))
            .redirect(reqwest::redirect::Policy::none());
        if let Some(proxy) = agent_proxy(&settings) {
            builder = builder.proxy(proxy);
        }
        let http = builder.build().map_err(|e| ApiError::Unreachable {
            host: base.host_str().unwrap_or_default().to_owned(),
            detail: format!("cannot set up the HTTP client: {e}"),
        })?;
        Ok(Client {
            http,
            base,
            authorization,
            settings,
            pause_until: Arc::new(Mutex::new(None)),
            requests: AtomicUsize::new(0),
            jitter_seed: AtomicU64::new(0),
        })
    }

    /// Number of HTTP requests sent so far (retries included).
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// The collection URL, ending in `/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `base` + `path` (segments already encoded) + `api-version` + `query`.
    pub fn url(&self, path: &str, api_version: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path(), path.trim_start_matches('/'));
        url.set_path(&joined);
        {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
            pairs.append_pair("api-version", api_version);
        }
        url
    }

    pub async fn get<T: DeserializeOwned>(&self, url: Url, call: &Call) -> Result<T, ApiError> {
        let answer = self
            .execute(Method::GET, url, None, "application/json", call, true)
            .await?;
        parse(&answer.body, call)
    }

    /// A GET whose answer is plain text (build logs).
    pub async fn get_text(&self, url: Url, call: &Call) -> Result<String, ApiError> {
        let answer = self
            .execute(Method::GET, url, None, "text/plain", call, true)
            .await?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
        call: &Call,
    ) -> Result<T, ApiError> {
        // A POST creates something: retried only where the service cannot have acted.
        self.send_json(Method::POST, url, body, call, false).await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
        call: &Call,
    ) -> Result<T, ApiError> {
        // A PATCH that sets a field to a value is idempotent: retrying it is safe.
        self.send_json(Method::PATCH, url, body, call, true).await
    }

    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &B,
        call: &Call,
        idempotent: bool,
    ) -> Result<T, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|e| unexpected(0, call, e.to_string()))?;
        let answer = self
            .execute(
                method,
                url,
                Some(bytes),
                "application/json",
                call,
                idempotent,
            )
            .await?;
        parse(&answer.body, call)
    }

    async fn wait_for_pause(&self) {
        let until = *self.pause_until.lock().await;
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
    }

    fn jitter(&self, base: Duration) -> Duration {
        let n = self.jitter_seed.fetch_add(1, Ordering::Relaxed);
        let random = std::collections::hash_map::RandomState::new().hash_one(n);
        // Between half and all of `base` ("equal jitter").
        let fraction = 0.5 + (random % 1000) as f64 / 2000.0;
        base.mul_f64(fraction)
    }

    async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        accept: &'static str,
        call: &Call,
        idempotent: bool,
    ) -> Result<Answer, ApiError> {
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        let host = url.host_str().unwrap_or_default().to_owned();
        loop {
            attempt += 1;
            self.wait_for_pause().await;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, self.authorization.clone())
                .header(ACCEPT, accept);
            if let Some(bytes) = &body {
                request = request
                    .header(CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = request.send().await;
            let (retry, detail, retry_after) = match outcome {
                Err(err) => {
                    tracing::debug!(%method, url = %url, error = %err, "request failed");
                    // A connection that never opened sent nothing: always safe to retry.
                    let retry = err.is_connect() || idempotent;
                    if !retry {
                        return Err(ApiError::Unexpected {
                            status: 0,
                            resource: call.resource.clone(),
                            detail: format!(
                                "the connection failed during the request ({})",
                                error_text(&err)
                            ),
                        });
                    }
                    (true, error_text(&err), None)
                }
                Ok(response) => {
                    let status = response.status();
                    tracing::debug!(%method, url = %url, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
                    if let Some(delay) = header_secs(response.headers(), "x-ratelimit-delay") {
                        let delay = delay.min(Duration::from_secs(30));
                        tracing::info!(
                            delay_ms = delay.as_millis() as u64,
                            "Azure DevOps asks the agent to slow down"
                        );
                        *self.pause_until.lock().await = Some(Instant::now() + delay);
                    }
                    let retry_after = header_secs(response.headers(), RETRY_AFTER.as_str());
                    let content_type = response
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let bytes = match response.bytes().await {
                        Ok(b) => b.to_vec(),
                        Err(err) if idempotent => {
                            if let Some(wait) = self.next_wait(attempt, None, waited) {
                                waited += wait;
                                tokio::time::sleep(wait).await;
                                continue;
                            }
                            return Err(exhausted(call, error_text(&err), waited));
                        }
                        Err(err) => {
                            return Err(unexpected(status.as_u16(), call, error_text(&err)));
                        }
                    };
                    match classify(status, &content_type, &bytes, call, idempotent) {
                        Classified::Done => return Ok(Answer { body: bytes }),
                        Classified::Fail(err) => return Err(err),
                        Classified::Retry(detail) => (true, detail, retry_after),
                    }
                }
            };
            debug_assert!(retry);
            match self.next_wait(attempt, retry_after, waited) {
                Some(wait) => {
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, reason = %detail, "retrying {}", call.resource);
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
                None if detail.starts_with("cannot connect") || detail.contains("connect") => {
                    return Err(ApiError::Unreachable { host, detail });
                }
                None => return Err(exhausted(call, detail, waited)),
            }
        }
    }

    /// How long to wait before attempt `attempt + 1`, or `None` when the budget is spent.
    fn next_wait(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        waited: Duration,
    ) -> Option<Duration> {
        const MAX_ATTEMPTS: u32 = 8;
        if attempt >= MAX_ATTEMPTS {
            return None;
        }
        let backoff = Duration::from_millis(250u64.saturating_mul(1 << attempt.min(6)))
            .min(Duration::from_secs(10));
        let wait = match retry_after {
            Some(server) => server.max(Duration::from_millis(50)),
            None => self.jitter(backoff),
        };
        (waited + wait <= self.settings.max_wait).then_some(wait)
    }
}

enum Classified {
    Done,
    Retry(String),
    Fail(ApiError),
}

fn classify(
    status: StatusCode,
    content_type: &str,
    body: &[u8],
    call: &Call,
    idempotent: bool,
) -> Classified {
    let looks_html = content_type.contains("text/html")
        || body
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(15)
            .copied()
            .collect::<Vec<u8>>()
            .to_ascii_lowercase()
            .starts_with(b"<!doctype html")
        || body
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(5)
            .copied()
            .collect::<Vec<u8>>()
            .to_ascii_lowercase()
            .starts_with(b"<html");
    let message = service_message(body);
    if message.contains("TF401027") {
        return Classified::Fail(forbidden(call, &message));
    }
    match status.as_u16() {
        203 => Classified::Fail(ApiError::TokenRejected { scope: call.scope }),
        200..=299 if looks_html => Classified::Fail(ApiError::TokenRejected { scope: call.scope }),
        200..=299 => Classified::Done,
        401 => Classified::Fail(ApiError::TokenRejected { scope: call.scope }),
        403 => Classified::Fail(forbidden(call, &message)),
        404 => Classified::Fail(ApiError::NotFound {
            resource: call.resource.clone(),
            detail: if message.is_empty() {
                "404".to_owned()
            } else {
                message
            },
        }),
        429 => Classified::Retry(format!("429 Too Many Requests{}", with_message(&message))),
        503 => Classified::Retry(format!("503 Service Unavailable{}", with_message(&message))),
        500 | 502 | 504 if idempotent => {
            Classified::Retry(format!("{status}{}", with_message(&message)))
        }
        _ if looks_html => Classified::Fail(ApiError::TokenRejected { scope: call.scope }),
        code => Classified::Fail(unexpected(
            code,
            call,
            if message.is_empty() {
                status.to_string()
            } else {
                message
            },
        )),
    }
}

fn with_message(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// The service's own error message (`{"message": …}`), if the body has one.
fn service_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

fn forbidden(call: &Call, message: &str) -> ApiError {
    ApiError::Forbidden {
        identity: "the token's user".to_owned(),
        action: call.action.to_owned(),
        resource: call.resource.clone(),
        detail: if message.is_empty() {
            "403 Forbidden — grant the CodeRabbit user Contribute to pull requests on the repository (Project settings → Repositories → Security)".to_owned()
        } else {
            message.to_owned()
        },
    }
}

fn unexpected(status: u16, call: &Call, detail: String) -> ApiError {
    ApiError::Unexpected {
        status,
        resource: call.resource.clone(),
        detail,
    }
}

fn exhausted(call: &Call, detail: String, waited: Duration) -> ApiError {
    ApiError::Exhausted {
        resource: call.resource.clone(),
        detail,
        waited_secs: waited.as_secs(),
    }
}

fn error_text(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "cannot connect".to_owned()
    } else {
        "connection error".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

fn header_secs(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

fn parse<T: DeserializeOwned>(body: &[u8], call: &Call) -> Result<T, ApiError> {
    let body = if body.is_empty() { &b"null"[..] } else { body };
    serde_json::from_slice(body).map_err(|e| ApiError::Unexpected {
        status: 200,
        resource: call.resource.clone(),
        detail: format!("the answer is not what the 7.1 API describes ({e})"),
    })
}

fn agent_proxy(settings: &NetworkSettings) -> Option<reqwest::Proxy> {
    let standard = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ];
    if standard.iter().any(|name| std::env::var_os(name).is_some()) {
        return None; // reqwest reads these itself, NO_PROXY included.
    }
    let agent = settings.agent_proxy.clone()?;
    let Ok(proxy_url) = Url::parse(&agent.url) else {
        tracing::warn!("AGENT_PROXYURL is not a URL; connecting without the agent's proxy");
        return None;
    };
    let bypass: Vec<regex::Regex> = agent
        .bypass
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .collect();
    let target = proxy_url.clone();
    let mut proxy = reqwest::Proxy::custom(move |url| {
        // As the agent does: only the bypass list goes direct.
        if bypass.iter().any(|re| re.is_match(url.as_str())) {
            None
        } else {
            Some(target.clone())
        }
    });
    if let Some(user) = &agent.username {
        proxy = proxy.basic_auth(user, agent.password.as_deref().unwrap_or_default());
    }
    Some(proxy)
}

/// Percent-encodes one path segment (project and repository names may hold spaces).
pub fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> Call {
        Call::new("read", "pull request 1", Scope::Code)
    }

    #[test]
    fn plain_http_is_refused_except_on_loopback_or_when_allowed() {
        let pat = Credential::Pat("x".into());
        let settings = NetworkSettings::default();
        assert!(matches!(
            Client::new(
                "http://tfs.example.com/tfs/Default/",
                &pat,
                settings.clone()
            ),
            Err(ApiError::InsecureHttp { .. })
        ));
        assert!(Client::new("http://127.0.0.1:8080/org/", &pat, settings.clone()).is_ok());
        assert!(Client::new("http://localhost/org", &pat, settings.clone()).is_ok());
        assert!(Client::new("http://[::1]:1/org", &pat, settings.clone()).is_ok());
        let allowed = NetworkSettings {
            allow_insecure_http: true,
            ..settings
        };
        assert!(Client::new("http://tfs.example.com/tfs/Default/", &pat, allowed).is_ok());
    }

    #[test]
    fn urls_keep_the_collection_path() {
        let pat = Credential::Pat("x".into());
        for (base, expected) in [
            (
                "https://dev.azure.com/org/",
                "https://dev.azure.com/org/p/_apis/x?api-version=7.1",
            ),
            (
                "https://org.visualstudio.com",
                "https://org.visualstudio.com/p/_apis/x?api-version=7.1",
            ),
            (
                "https://host/tfs/Collection",
                "https://host/tfs/Collection/p/_apis/x?api-version=7.1",
            ),
        ] {
            let client = Client::new(base, &pat, NetworkSettings::default()).unwrap();
            assert_eq!(client.url("p/_apis/x", "7.1", &[]).as_str(), expected);
        }
    }

    #[test]
    fn the_pat_is_basic_with_an_empty_user_name() {
        let header = Credential::Pat("abc".into()).header_value();
        assert_eq!(header, "Basic OmFiYw==");
        assert_eq!(Credential::Bearer("t".into()).header_value(), "Bearer t");
        assert!(!format!("{:?}", Credential::Pat("abc".into())).contains("abc"));
    }

    #[test]
    fn answers_become_typed_errors() {
        let c = call();
        assert!(matches!(
            classify(
                StatusCode::from_u16(203).unwrap(),
                "text/html",
                b"<html>",
                &c,
                true
            ),
            Classified::Fail(ApiError::TokenRejected { .. })
        ));
        assert!(matches!(
            classify(
                StatusCode::OK,
                "text/html; charset=utf-8",
                b"<!DOCTYPE html><html>",
                &c,
                true
            ),
            Classified::Fail(ApiError::TokenRejected { .. })
        ));
        assert!(matches!(
            classify(
                StatusCode::UNAUTHORIZED,
                "application/json",
                b"{}",
                &c,
                true
            ),
            Classified::Fail(ApiError::TokenRejected { .. })
        ));
        let tf = br#"{"message":"TF401027: You need the Git 'PullRequestContribute' permission to perform this action."}"#;
        match classify(StatusCode::FORBIDDEN, "application/json", tf, &c, false) {
            Classified::Fail(err @ ApiError::Forbidden { .. }) => {
                assert!(err.to_string().contains("PullRequestContribute"))
            }
            _ => panic!("expected Forbidden"),
        }
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, "application/json", b"{}", &c, true),
            Classified::Fail(ApiError::NotFound { .. })
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, "", b"", &c, false),
            Classified::Retry(_)
        ));
        assert!(matches!(
            classify(StatusCode::INTERNAL_SERVER_ERROR, "", b"", &c, true),
            Classified::Retry(_)
        ));
        assert!(matches!(
            classify(StatusCode::INTERNAL_SERVER_ERROR, "", b"", &c, false),
            Classified::Fail(_)
        ));
        assert!(matches!(
            classify(StatusCode::OK, "application/json", b"{}", &c, true),
            Classified::Done
        ));
    }

    #[test]
    fn the_rejected_token_sentence_says_how_to_replace_it() {
        let text = ApiError::TokenRejected { scope: Scope::Code }.to_string();
        assert!(text.contains("expired"));
        assert!(
            text.contains(
                "create a new PAT for the CodeRabbit user and update the secret variable"
            )
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(segment("My Project"), "My%20Project");
        assert_eq!(segment("a/b"), "a%2Fb");
    }
}
