//! Sending one request until it has an answer worth giving the caller: retries, waits,
//! run-wide pauses, and the rule about requests that change something.
//!
//! What an answer *means* is not decided here: the caller passes a classification hook that
//! turns each answer into a [`Verdict`] (done, retry, or its own typed error). The transport
//! only decides when to try again and how long to wait.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use url::Url;

use super::backoff::{Jitter, RetryPolicy};
use super::certificate::{self, CertificateProblem};
use super::network::{self, NetworkSettings};
use super::pause::{HostPauses, host_key};

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
    /// Whether sending it twice does no more than sending it once. Requests that are not are
    /// retried only when the server cannot have acted on them.
    pub idempotent: bool,
    /// The time one attempt may take, when it differs from the transport's (a language model
    /// may think for longer than a REST call should take).
    pub timeout: Option<Duration>,
}

impl Request {
    /// A request without a body; idempotent as its method is (`POST` and `PATCH` are not).
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = method.is_idempotent();
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent,
            timeout: None,
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// A JSON body.
    pub fn json(mut self, body: Vec<u8>) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(body);
        self
    }

    /// The time one attempt may take, instead of the transport's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Overrides whether the request may be sent twice (a `PATCH` that sets a field to a value
    /// may).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

/// The server's answer, body read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The `Content-Type`, lower case, or "".
    pub fn content_type(&self) -> String {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// What the caller's classification hook makes of an answer.
#[derive(Debug)]
pub enum Verdict<E> {
    /// The answer is the one wanted.
    Done,
    /// The server refused without acting (429, 503): any request may be sent again. A 429
    /// also pauses every request of the run to the host.
    Refused(String),
    /// A failure after which the server may have acted (500, 502, 504): sent again only when
    /// the request is idempotent, otherwise reported as [`Failure::Ambiguous`].
    Transient(String),
    /// A final answer the caller turns into its own error.
    Fail(E),
}

/// Why the transport gave up, in terms of the network rather than of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Plain http to a host that is not this machine, without the user's permission.
    InsecureHttp { url: String },
    /// The host could not be reached (after retries).
    Unreachable { host: String, detail: String },
    /// Still refused or failing when the attempts or the wait budget ran out.
    Exhausted { detail: String, waited: Duration },
    /// A request that is not idempotent failed in a way that leaves unknown whether the server
    /// acted on it; the caller should look before sending it again.
    Ambiguous {
        status: Option<StatusCode>,
        detail: String,
    },
    /// The server's certificate was refused; retrying would not change it.
    Certificate(CertificateProblem),
    /// The HTTP client could not be set up.
    Setup { detail: String },
}

/// The result of [`Transport::send`]: the caller's own error, or the transport's.
#[derive(Debug)]
pub enum Error<E> {
    Service(E),
    Transport(Failure),
}

/// Sends requests for one service: one HTTP client (connection pool, proxy, TLS), the
/// headers every request carries, the retry rules, and the run-wide pauses.
pub struct Transport {
    http: reqwest::Client,
    allow_insecure_http: bool,
    policy: RetryPolicy,
    pauses: Arc<HostPauses>,
    jitter: Jitter,
    requests: AtomicUsize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("policy", &self.policy)
            .field("requests", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// The longest `X-RateLimit-Delay` honoured: beyond it the service is throttling so hard that
/// the retry budget decides.
const MAX_SLOW_DOWN: Duration = Duration::from_secs(30);

/// The longest `Retry-After` believed.
const MAX_SERVER_WAIT_SECS: f64 = 3600.0;

impl Transport {
    /// A transport whose every request carries `headers` (credentials among them are marked
    /// sensitive and never logged).
    pub fn new(settings: &NetworkSettings, headers: HeaderMap) -> Result<Self, Failure> {
        let http = network::build_client(settings, headers).map_err(|e| Failure::Setup {
            detail: e.to_string(),
        })?;
        Ok(Transport {
            http,
            allow_insecure_http: settings.allow_insecure_http,
            policy: RetryPolicy {
                budget: settings.max_wait,
                ..RetryPolicy::default()
            },
            pauses: HostPauses::run_wide(),
            jitter: Jitter::default(),
            requests: AtomicUsize::new(0),
        })
    }

    /// Replaces the retry rules (the wait budget comes from the settings otherwise).
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Number of HTTP requests sent so far, retries included.
    pub fn requests_sent(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Refuses plain http to another machine unless the user allowed it.
    pub fn check_url(&self, url: &Url) -> Result<(), Failure> {
        if network::may_carry_credentials(url, self.allow_insecure_http) {
            Ok(())
        } else {
            Err(Failure::InsecureHttp {
                url: network::loggable(url),
            })
        }
    }

    /// Sends `request` until `classify` accepts or rejects an answer, retrying what may be
    /// retried within the policy's attempts and wait budget.
    pub async fn send<E>(
        &self,
        request: Request,
        classify: impl Fn(&Answer) -> Verdict<E>,
    ) -> Result<Answer, Error<E>> {
        self.check_url(&request.url).map_err(Error::Transport)?;
        let host = host_key(&request.url);
        let shown_url = network::loggable(&request.url);
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let budget_left = self.policy.budget.saturating_sub(waited);
            match self.pauses.wait(&host, budget_left).await {
                Ok(paused) => waited += paused,
                Err(too_long) => {
                    return Err(Error::Transport(Failure::Exhausted {
                        detail: format!(
                            "the service asked every request to wait {} s more",
                            too_long.remaining.as_secs_f64().ceil()
                        ),
                        waited,
                    }));
                }
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let (detail, status, server_wait, may_have_acted, unreachable) = match self
                .attempt(&request)
                .await
            {
                Err(err) => {
                    tracing::debug!(method = %request.method, url = %shown_url, error = %error_text(&err), "request failed");
                    let host_name = request.url.host_str().unwrap_or_default();
                    if let Some(problem) = certificate::diagnose(&err, host_name) {
                        return Err(Error::Transport(Failure::Certificate(problem)));
                    }
                    // A connection that never opened sent nothing.
                    let connect = err.is_connect();
                    (error_text(&err), None, None, !connect, connect)
                }
                Ok(answer) => {
                    tracing::debug!(method = %request.method, url = %shown_url, status = answer.status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
                    if let Some(delay) = header_secs(&answer.headers, "x-ratelimit-delay") {
                        let delay = delay.min(MAX_SLOW_DOWN);
                        tracing::info!(
                            delay_ms = delay.as_millis() as u64,
                            host = %host,
                            "the service asks the agent to slow down"
                        );
                        self.pauses.pause(&host, delay);
                    }
                    match classify(&answer) {
                        Verdict::Done => return Ok(answer),
                        Verdict::Fail(err) => return Err(Error::Service(err)),
                        Verdict::Refused(detail) => {
                            let server = header_secs(&answer.headers, RETRY_AFTER.as_str());
                            (detail, Some(answer.status), server, false, false)
                        }
                        Verdict::Transient(detail) => {
                            let server = header_secs(&answer.headers, RETRY_AFTER.as_str());
                            (detail, Some(answer.status), server, true, false)
                        }
                    }
                }
            };
            if may_have_acted && !request.idempotent {
                return Err(Error::Transport(Failure::Ambiguous { status, detail }));
            }
            let wait = self.policy.wait_before_retry(
                attempt,
                server_wait,
                waited,
                self.jitter.next_unit(),
            );
            if status == Some(StatusCode::TOO_MANY_REQUESTS) {
                // The service throttles the identity: hold back every request to the host, even
                // when this one gives up.
                let pause = wait.or(server_wait).unwrap_or_default();
                tracing::info!(pause_ms = pause.as_millis() as u64, host = %host, "rate limited: pausing every request to the host");
                self.pauses.pause(&host, pause);
            }
            let Some(wait) = wait else {
                return Err(Error::Transport(if unreachable {
                    Failure::Unreachable {
                        host: request.url.host_str().unwrap_or_default().to_owned(),
                        detail,
                    }
                } else {
                    Failure::Exhausted { detail, waited }
                }));
            };
            tracing::info!(attempt, wait_ms = wait.as_millis() as u64, reason = %detail, url = %shown_url, "retrying");
            if status != Some(StatusCode::TOO_MANY_REQUESTS) {
                // A 429's wait is the host's pause, waited at the top of the loop.
                tokio::time::sleep(wait).await;
                waited += wait;
            }
        }
    }

    /// One attempt: the request sent and its body read.
    async fn attempt(&self, request: &Request) -> Result<Answer, reqwest::Error> {
        let mut headers = request.headers.clone();
        network::mark_sensitive(&mut headers);
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .headers(headers);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        if let Some(timeout) = request.timeout {
            builder = builder.timeout(timeout);
        }
        let response = builder.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// The error and its causes, one line.
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

/// A header holding seconds (`Retry-After: 7`, `X-RateLimit-Delay: 0.500`). The HTTP-date form
/// of `Retry-After` is not used by the services the agent talks to.
fn header_secs(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs.min(MAX_SERVER_WAIT_SECS)))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback HTTP/1.1 server that answers the n-th request (from 0) with `script(n)` and
    /// records when each request arrived.
    struct Server {
        url: Url,
        arrivals: Arc<Mutex<Vec<(Instant, String)>>>,
    }

    impl Server {
        async fn start(script: impl Fn(usize) -> String + Send + Sync + 'static) -> Server {
            Self::start_slow(Duration::ZERO, script).await
        }

        /// A server that takes `delay` to answer each request.
        async fn start_slow(
            delay: Duration,
            script: impl Fn(usize) -> String + Send + Sync + 'static,
        ) -> Server {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
            let arrivals = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&arrivals);
            let script = Arc::new(script);
            tokio::spawn(async move {
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        return;
                    };
                    let seen = Arc::clone(&seen);
                    let script = Arc::clone(&script);
                    tokio::spawn(async move {
                        let mut head = Vec::new();
                        let mut byte = [0u8; 1];
                        while !head.ends_with(b"\r\n\r\n") {
                            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                                return;
                            }
                            head.push(byte[0]);
                        }
                        let head = String::from_utf8_lossy(&head).into_owned();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        let mut body = vec![0u8; length];
                        stream.read_exact(&mut body).await.unwrap();
                        let index = {
                            let mut seen = seen.lock().unwrap();
                            seen.push((Instant::now(), head.clone()));
                            seen.len() - 1
                        };
                        tokio::time::sleep(delay).await;
                        let _ = stream.write_all(script(index).as_bytes()).await;
                        let _ = stream.shutdown().await;
                    });
                }
            });
            Server { url, arrivals }
        }

        fn arrivals(&self) -> Vec<(Instant, String)> {
            self.arrivals.lock().unwrap().clone()
        }
    }

    fn reply(status: &str, extra_headers: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\n{extra_headers}Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
        )
    }

    /// The simplest hook: 2xx is done, 429/503 refused, other 5xx transient, the rest fails.
    fn plain(answer: &Answer) -> Verdict<u16> {
        match answer.status.as_u16() {
            200..=299 => Verdict::Done,
            429 | 503 => Verdict::Refused(answer.status.to_string()),
            500..=599 => Verdict::Transient(answer.status.to_string()),
            other => Verdict::Fail(other),
        }
    }

    fn transport(budget_secs: u64) -> Transport {
        Transport::new(&NetworkSettings::default(), HeaderMap::new())
            .unwrap()
            .with_policy(RetryPolicy {
                max_attempts: 4,
                first: Duration::from_millis(20),
                cap: Duration::from_millis(100),
                budget: Duration::from_secs(budget_secs),
            })
    }

    #[tokio::test]
    async fn a_failed_read_is_sent_again_but_a_failed_create_is_ambiguous() {
        let server = Server::start(|n| {
            if n == 0 {
                reply("500 Internal Server Error", "")
            } else {
                reply("200 OK", "")
            }
        })
        .await;
        let t = transport(10);
        let get = Request::new(Method::GET, server.url.clone());
        assert!(t.send(get, plain).await.is_ok());
        assert_eq!(t.requests_sent(), 2, "retried after the 500");

        let server = Server::start(|_| reply("502 Bad Gateway", "")).await;
        let t = transport(10);
        let post = Request::new(Method::POST, server.url.clone()).json(b"{}".to_vec());
        match t.send(post, plain).await {
            Err(Error::Transport(Failure::Ambiguous {
                status: Some(status),
                ..
            })) => assert_eq!(status, StatusCode::BAD_GATEWAY),
            other => panic!("expected Ambiguous, got {other:?}"),
        }
        assert_eq!(
            t.requests_sent(),
            1,
            "a POST the service may have applied is not re-sent"
        );
        // A PATCH declared idempotent is sent again.
        let patch = Request::new(Method::PATCH, server.url.clone()).idempotent(true);
        assert!(matches!(
            t.send(patch, plain).await,
            Err(Error::Transport(Failure::Exhausted { .. }))
        ));
        assert_eq!(t.requests_sent(), 1 + 4, "every attempt of the PATCH");
    }

    #[tokio::test]
    async fn a_create_refused_with_429_or_503_is_sent_again() {
        let server = Server::start(|n| match n {
            0 => reply("429 Too Many Requests", "Retry-After: 0\r\n"),
            1 => reply("503 Service Unavailable", ""),
            _ => reply("201 Created", ""),
        })
        .await;
        let t = transport(10);
        let post = Request::new(Method::POST, server.url.clone()).json(b"{}".to_vec());
        assert!(t.send(post, plain).await.is_ok());
        assert_eq!(server.arrivals().len(), 3);
        assert!(server.arrivals()[0].1.starts_with("POST "));
    }

    #[tokio::test]
    async fn a_create_that_never_connected_is_sent_again_then_unreachable() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", closed.local_addr().unwrap())).unwrap();
        drop(closed);
        let t = transport(10);
        let post = Request::new(Method::POST, url).json(b"{}".to_vec());
        match t.send(post, plain).await {
            Err(Error::Transport(Failure::Unreachable { host, .. })) => {
                assert_eq!(host, "127.0.0.1")
            }
            other => panic!("expected Unreachable, got {other:?}"),
        }
        assert_eq!(
            t.requests_sent(),
            4,
            "nothing was sent: safe to try every attempt"
        );
    }

    #[tokio::test]
    async fn a_429_pauses_every_request_to_the_host() {
        let server = Server::start(|n| {
            if n == 0 {
                reply("429 Too Many Requests", "Retry-After: 1\r\n")
            } else {
                reply("200 OK", "")
            }
        })
        .await;
        let t = Arc::new(transport(10));
        let first = {
            let t = Arc::clone(&t);
            let url = server.url.clone();
            tokio::spawn(async move { t.send(Request::new(Method::GET, url), plain).await })
        };
        // A second, unrelated request starts once the first has been throttled.
        while server.arrivals().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let other = Request::new(Method::GET, server.url.join("other").unwrap());
        assert!(t.send(other, plain).await.is_ok());
        assert!(first.await.unwrap().is_ok());
        let arrivals = server.arrivals();
        assert_eq!(arrivals.len(), 3);
        let throttled_at = arrivals[0].0;
        for (at, head) in &arrivals[1..] {
            assert!(
                at.duration_since(throttled_at) >= Duration::from_millis(950),
                "{head:?} arrived {:?} after the 429",
                at.duration_since(throttled_at)
            );
        }
    }

    #[tokio::test]
    async fn a_slow_down_request_holds_back_the_next_requests() {
        let server = Server::start(|n| {
            if n == 0 {
                reply("200 OK", "X-RateLimit-Delay: 0.400\r\n")
            } else {
                reply("200 OK", "")
            }
        })
        .await;
        let t = transport(10);
        assert!(
            t.send(Request::new(Method::GET, server.url.clone()), plain)
                .await
                .is_ok()
        );
        assert!(
            t.send(Request::new(Method::GET, server.url.clone()), plain)
                .await
                .is_ok()
        );
        let arrivals = server.arrivals();
        assert!(arrivals[1].0.duration_since(arrivals[0].0) >= Duration::from_millis(390));
    }

    #[tokio::test]
    async fn a_wait_longer_than_the_budget_gives_up_at_once() {
        let server = Server::start(|_| reply("429 Too Many Requests", "Retry-After: 60\r\n")).await;
        let t = transport(5);
        let start = Instant::now();
        match t
            .send(Request::new(Method::GET, server.url.clone()), plain)
            .await
        {
            Err(Error::Transport(Failure::Exhausted { detail, .. })) => {
                assert!(detail.contains("429"), "{detail}")
            }
            other => panic!("expected Exhausted, got {other:?}"),
        }
        // The next request to the host does not even try: the host is paused for a minute.
        match t
            .send(Request::new(Method::GET, server.url.clone()), plain)
            .await
        {
            Err(Error::Transport(Failure::Exhausted { detail, .. })) => {
                assert!(detail.contains("wait"), "{detail}")
            }
            other => panic!("expected Exhausted, got {other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(server.arrivals().len(), 1);
    }

    #[tokio::test]
    async fn a_request_may_take_longer_than_the_transports_timeout() {
        let server = Server::start_slow(Duration::from_millis(600), |_| reply("200 OK", "")).await;
        let settings = NetworkSettings {
            timeout: Duration::from_millis(300),
            ..NetworkSettings::default()
        };
        let t = Transport::new(&settings, HeaderMap::new())
            .unwrap()
            .with_policy(RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            });
        let quick = Request::new(Method::GET, server.url.clone());
        assert!(matches!(
            t.send(quick, plain).await,
            Err(Error::Transport(Failure::Exhausted { .. }))
        ));
        let patient = Request::new(Method::GET, server.url.clone()).timeout(Duration::from_secs(5));
        assert!(t.send(patient, plain).await.is_ok());
    }

    #[tokio::test]
    async fn the_callers_verdict_ends_the_request() {
        let server = Server::start(|_| reply("404 Not Found", "")).await;
        let t = transport(5);
        assert!(matches!(
            t.send(Request::new(Method::GET, server.url.clone()), plain)
                .await,
            Err(Error::Service(404))
        ));
        assert_eq!(t.requests_sent(), 1);
    }

    #[tokio::test]
    async fn plain_http_to_another_machine_is_refused_before_sending() {
        let t = transport(5);
        let url = Url::parse("http://tfs.example.com/tfs/").unwrap();
        assert!(matches!(
            t.send(Request::new(Method::GET, url), plain).await,
            Err(Error::Transport(Failure::InsecureHttp { .. }))
        ));
        assert_eq!(t.requests_sent(), 0);
    }

    #[test]
    fn server_waits_are_read_in_seconds_and_bounded() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        headers.insert("x-ratelimit-delay", HeaderValue::from_static("0.500"));
        assert_eq!(
            header_secs(&headers, "retry-after"),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            header_secs(&headers, "x-ratelimit-delay"),
            Some(Duration::from_millis(500))
        );
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(header_secs(&headers, "retry-after"), None);
        headers.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(header_secs(&headers, "retry-after"), None);
        headers.insert("retry-after", HeaderValue::from_static("99999999"));
        assert_eq!(
            header_secs(&headers, "retry-after"),
            Some(Duration::from_secs(3600))
        );
    }
}
