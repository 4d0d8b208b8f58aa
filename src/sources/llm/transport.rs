//! The one seam between the model client and the network: send a POST, get a status, headers
//! and a body. The default sender uses `reqwest`; the shared HTTP transport (proxies, TLS,
//! per-host pauses) or a test double can take its place without touching the providers.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A request as it goes on the wire. `headers` may carry the API key: never log them.
pub struct WireRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub timeout: Duration,
}

impl std::fmt::Debug for WireRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values are left out on purpose: one of them is the key.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("WireRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WireResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why nothing came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the model server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("could not reach the model server: {0}")]
    Unreachable(String),
    #[error("the model server's answer is larger than {0} bytes")]
    TooLarge(usize),
}

pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<WireResponse, WireError>> + Send + 'a>>;

/// Sends one request, once: retries are the caller's business.
pub trait Transport: Send + Sync {
    fn send(&self, request: WireRequest) -> SendFuture<'_>;
}

/// Largest answer read from a model server.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The default sender, on `reqwest` (system proxies from the environment, native TLS).
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new() -> Result<Self, WireError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("coderabbit-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WireError::Unreachable(plain(&e)))?;
        Ok(ReqwestTransport { client })
    }
}

/// A reqwest error without its URL's query (nothing secret goes there, but keep it short).
fn plain(error: &reqwest::Error) -> String {
    let mut text = error.without_url_ref().to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(url.as_str(), "<model endpoint>");
        }
        text
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: WireRequest) -> SendFuture<'_> {
        Box::pin(async move {
            let timeout = request.timeout;
            let mut builder = self
                .client
                .post(&request.url)
                .timeout(timeout)
                .body(request.body);
            for (name, value) in &request.headers {
                builder = builder.header(*name, value);
            }
            let response = builder.send().await.map_err(|e| {
                if e.is_timeout() {
                    WireError::Timeout(timeout)
                } else {
                    WireError::Unreachable(plain(&e))
                }
            })?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_ascii_lowercase(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut response = response;
            loop {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                            return Err(WireError::TooLarge(MAX_ANSWER_BYTES));
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) if e.is_timeout() => return Err(WireError::Timeout(timeout)),
                    Err(e) => return Err(WireError::Unreachable(plain(&e))),
                }
            }
            Ok(WireResponse {
                status,
                headers,
                body,
            })
        })
    }
}
