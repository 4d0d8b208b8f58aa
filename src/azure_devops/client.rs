//! The Azure DevOps side of a request: the collection's URLs, the credential, and what the
//! service's answers mean (a 203 sign-in page is a rejected token, `TF401027` a missing
//! permission, …). Sending, retrying and waiting are the shared [`crate::http`] transport's.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::{self, Answer, Failure, NetworkSettings, Request, Transport, Verdict};

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

/// The REST client for one collection (`SYSTEM_COLLECTIONURI`).
pub struct Client {
    transport: Transport,
    base: Url,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
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
        if !http::may_carry_credentials(&base, settings.allow_insecure_http) {
            return Err(ApiError::InsecureHttp {
                url: http::loggable(&base),
            });
        }
        let mut authorization = HeaderValue::from_str(&credential.header_value())
            .map_err(|_| ApiError::TokenRejected { scope: Scope::Code })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        // Without it, a rejected credential is answered with a redirect to a sign-in page.
        headers.insert(
            "X-TFS-FedAuthRedirect",
            HeaderValue::from_static("Suppress"),
        );
        let transport = Transport::new(&settings, headers).map_err(|failure| {
            failure_to_error(
                failure,
                &base,
                &Call::new("reach", "the service", Scope::Code),
            )
        })?;
        Ok(Client { transport, base })
    }

    /// Number of HTTP requests sent so far (retries included).
    pub fn requests_sent(&self) -> usize {
        self.transport.requests_sent()
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
        let body = self.send(Request::new(Method::GET, url), call).await?;
        parse(&body, call)
    }

    /// A GET whose answer is plain text (build logs).
    pub async fn get_text(&self, url: Url, call: &Call) -> Result<String, ApiError> {
        let request =
            Request::new(Method::GET, url).header(ACCEPT, HeaderValue::from_static("text/plain"));
        let body = self.send(request, call).await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
        call: &Call,
    ) -> Result<T, ApiError> {
        // A POST creates something: retried only where the service cannot have acted.
        self.send_json(Request::new(Method::POST, url), body, call)
            .await
    }

    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
        call: &Call,
    ) -> Result<T, ApiError> {
        // A PATCH that sets a field to a value is idempotent: retrying it is safe.
        self.send_json(
            Request::new(Method::PATCH, url).idempotent(true),
            body,
            call,
        )
        .await
    }

    async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        request: Request,
        body: &B,
        call: &Call,
    ) -> Result<T, ApiError> {
        let bytes = serde_json::to_vec(body).map_err(|e| unexpected(0, call, e.to_string()))?;
        let answer = self.send(request.json(bytes), call).await?;
        parse(&answer, call)
    }

    /// Sends through the transport, with Azure DevOps' reading of the answers.
    async fn send(&self, request: Request, call: &Call) -> Result<Vec<u8>, ApiError> {
        let url = request.url.clone();
        match self
            .transport
            .send(request, |answer| classify(answer, call))
            .await
        {
            Ok(answer) => Ok(answer.body),
            Err(http::Error::Service(err)) => Err(err),
            Err(http::Error::Transport(failure)) => Err(failure_to_error(failure, &url, call)),
        }
    }
}

/// A network failure, in the words of an Azure DevOps user.
fn failure_to_error(failure: Failure, url: &Url, call: &Call) -> ApiError {
    match failure {
        Failure::InsecureHttp { url } => ApiError::InsecureHttp { url },
        Failure::Unreachable { host, detail } => ApiError::Unreachable { host, detail },
        Failure::Certificate(problem) => ApiError::Certificate { problem },
        Failure::Setup { detail } => ApiError::Unreachable {
            host: url.host_str().unwrap_or_default().to_owned(),
            detail: format!("cannot set up the HTTP client: {detail}"),
        },
        Failure::Exhausted { detail, waited } => ApiError::Exhausted {
            resource: call.resource.clone(),
            detail,
            waited_secs: waited.as_secs(),
        },
        Failure::Ambiguous { status, detail } => ApiError::Ambiguous {
            action: call.action,
            resource: call.resource.clone(),
            detail: match status {
                Some(_) => detail,
                None => format!("the connection failed during the request ({detail})"),
            },
        },
    }
}

/// Azure DevOps' reading of an answer: the classification hook the transport calls.
fn classify(answer: &Answer, call: &Call) -> Verdict<ApiError> {
    let status = answer.status;
    let body = &answer.body[..];
    let looks_html = answer.content_type().contains("text/html") || starts_like_html(body);
    let message = service_message(body);
    if message.contains("TF401027") {
        return Verdict::Fail(forbidden(call, &message));
    }
    match status.as_u16() {
        203 => Verdict::Fail(ApiError::TokenRejected { scope: call.scope }),
        200..=299 if looks_html => Verdict::Fail(ApiError::TokenRejected { scope: call.scope }),
        200..=299 => Verdict::Done,
        401 => Verdict::Fail(ApiError::TokenRejected { scope: call.scope }),
        403 => Verdict::Fail(forbidden(call, &message)),
        404 => Verdict::Fail(ApiError::NotFound {
            resource: call.resource.clone(),
            detail: if message.is_empty() {
                "404".to_owned()
            } else {
                message
            },
        }),
        429 => Verdict::Refused(format!("429 Too Many Requests{}", with_message(&message))),
        // Only a 429 is certain to come before the service acted: a 503 can come from a front
        // end after the write was stored, so a create it answers is looked for before it is
        // sent again.
        500 | 502 | 503 | 504 => Verdict::Transient(format!("{status}{}", with_message(&message))),
        _ if looks_html => Verdict::Fail(ApiError::TokenRejected { scope: call.scope }),
        code => Verdict::Fail(unexpected(
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

/// A body that opens like an HTML page (`<!DOCTYPE html` or `<html`): a sign-in page.
fn starts_like_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(14)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
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

fn parse<T: DeserializeOwned>(body: &[u8], call: &Call) -> Result<T, ApiError> {
    let body = if body.is_empty() { &b"null"[..] } else { body };
    serde_json::from_slice(body).map_err(|e| ApiError::Unexpected {
        status: 200,
        resource: call.resource.clone(),
        detail: format!("the answer is not what the 7.1 API describes ({e})"),
    })
}

/// Percent-encodes one path segment (project and repository names may hold spaces).
pub(crate) fn segment(value: &str) -> String {
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

    fn answer(status: u16, content_type: &str, body: &[u8]) -> Answer {
        let mut headers = HeaderMap::new();
        if !content_type.is_empty() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            );
        }
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.to_vec(),
        }
    }

    #[test]
    fn answers_become_typed_errors() {
        let c = call();
        let verdict =
            |status, content_type, body: &[u8]| classify(&answer(status, content_type, body), &c);
        assert!(matches!(
            verdict(203, "text/html", b"<html>"),
            Verdict::Fail(ApiError::TokenRejected { .. })
        ));
        assert!(matches!(
            verdict(200, "text/html; charset=utf-8", b"<!DOCTYPE html><html>"),
            Verdict::Fail(ApiError::TokenRejected { .. })
        ));
        assert!(matches!(
            verdict(200, "", b"  <HTML><body>sign in"),
            Verdict::Fail(ApiError::TokenRejected { .. })
        ));
        assert!(matches!(
            verdict(401, "application/json", b"{}"),
            Verdict::Fail(ApiError::TokenRejected { .. })
        ));
        let tf = br#"{"message":"TF401027: You need the Git 'PullRequestContribute' permission to perform this action."}"#;
        match verdict(403, "application/json", tf) {
            Verdict::Fail(err @ ApiError::Forbidden { .. }) => {
                assert!(err.to_string().contains("PullRequestContribute"))
            }
            _ => panic!("expected Forbidden"),
        }
        assert!(matches!(
            verdict(404, "application/json", b"{}"),
            Verdict::Fail(ApiError::NotFound { .. })
        ));
        // Refused: the service did not act, so even a POST may be sent again.
        assert!(matches!(verdict(429, "", b""), Verdict::Refused(_)));
        assert!(matches!(verdict(503, "", b""), Verdict::Transient(_)));
        // Transient: it may have acted; the transport decides by the request's idempotency.
        for status in [500, 502, 504] {
            assert!(matches!(verdict(status, "", b""), Verdict::Transient(_)));
        }
        assert!(matches!(
            verdict(409, "application/json", br#"{"message":"conflict"}"#),
            Verdict::Fail(ApiError::Unexpected { status: 409, .. })
        ));
        assert!(matches!(
            verdict(200, "application/json", b"{}"),
            Verdict::Done
        ));
    }

    #[test]
    fn a_write_the_service_may_have_applied_is_ambiguous() {
        let url = Url::parse("https://dev.azure.com/org/").unwrap();
        let post = Call::new("comment on", "pull request 1", Scope::Code);
        let err = failure_to_error(
            Failure::Ambiguous {
                status: None,
                detail: "connection reset".into(),
            },
            &url,
            &post,
        );
        assert!(err.is_ambiguous());
        let text = err.to_string();
        assert!(text.contains("comment on pull request 1"), "{text}");
        assert!(text.contains("may or may not have been applied"), "{text}");
        let exhausted = failure_to_error(
            Failure::Exhausted {
                detail: "429".into(),
                waited: std::time::Duration::from_secs(20),
            },
            &url,
            &post,
        );
        assert!(exhausted.to_string().contains("20 s"));
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
