//! A git server over plain HTTP on loopback: `git http-backend` run as a CGI program for each
//! request, serving the bare repositories under one folder. It demands a credential (401 without
//! the expected `Authorization` header, as Azure Repos does) and records each request's method,
//! URL and `Authorization` header, so a test can check where a credential travelled.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct GitRequest {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub authorization: Option<String>,
}

pub struct GitHttpServer {
    port: u16,
    seen: Arc<Mutex<Vec<GitRequest>>>,
}

struct Config {
    root: PathBuf,
    authorization: String,
    seen: Arc<Mutex<Vec<GitRequest>>>,
}

impl GitHttpServer {
    /// Serves the bare repositories under `root` to clients that send `authorization` (the
    /// whole header value, e.g. `Basic …`).
    pub fn start(root: &Path, authorization: &str) -> GitHttpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<GitRequest>>> = Arc::default();
        let config = Arc::new(Config {
            root: root.to_path_buf(),
            authorization: authorization.to_owned(),
            seen: Arc::clone(&seen),
        });
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let config = Arc::clone(&config);
                    tokio::spawn(async move {
                        let service =
                            service_fn(move |request| serve(Arc::clone(&config), request));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        GitHttpServer { port, seen }
    }

    /// The URL of the repository `name` (a folder under the root).
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn seen(&self) -> Vec<GitRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

async fn serve(
    config: Arc<Config>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes()
        .to_vec();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    if let Ok(mut seen) = config.seen.lock() {
        seen.push(GitRequest {
            method: parts.method.to_string(),
            target: parts.uri.to_string(),
            authorization: authorization.clone(),
        });
    }
    if authorization.as_deref() != Some(config.authorization.as_str()) {
        return Ok(Response::builder()
            .status(401)
            .header("WWW-Authenticate", "Basic realm=\"git\"")
            .body(Full::new(Bytes::from_static(b"authentication required\n")))
            .unwrap_or_default());
    }
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &config.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", "build")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (variable, name) in [
        ("CONTENT_TYPE", "content-type"),
        ("HTTP_CONTENT_ENCODING", "content-encoding"),
        ("GIT_PROTOCOL", "git-protocol"),
    ] {
        if let Some(value) = header(name) {
            cgi.env(variable, value);
        }
    }
    let output = tokio::task::spawn_blocking(move || {
        let mut child = cgi.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(&body)?;
        }
        child.wait_with_output()
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(cgi_response(&output.stdout))
}

/// A CGI program's output (headers, a blank line, the body) as an HTTP response.
fn cgi_response(output: &[u8]) -> Response<Full<Bytes>> {
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| (at, 4))
        .or_else(|| {
            output
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|at| (at, 2))
        });
    let Some((at, separator)) = split else {
        return Response::builder()
            .status(500)
            .body(Full::new(Bytes::copy_from_slice(output)))
            .unwrap_or_default();
    };
    let mut builder = Response::builder().status(200);
    for line in String::from_utf8_lossy(&output[..at]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code: u16 = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or(500);
            builder = builder.status(code);
        } else {
            builder = builder.header(name.trim(), value);
        }
    }
    builder
        .body(Full::new(Bytes::copy_from_slice(&output[at + separator..])))
        .unwrap_or_default()
}
