//! The HTTP side: a hyper HTTP/1.1 server on its own thread and tokio runtime, which reads each
//! request whole, records it, applies latency and injected faults, and asks [`super::routes`] for
//! the answer. Dropping the [`Handle`] stops the accept loop and closes open connections.

use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use super::faults::{Fault, WriteFault};
use super::reply::Reply;
use super::{RecordedRequest, Shared, Violation, World, routes};

/// The running server.
pub(super) struct Handle {
    shutdown: oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Handle {
    pub(super) fn stop(self) {
        // The server may already be gone if its thread panicked; nothing is left to stop then.
        let _ = self.shutdown.send(());
        let _ = self.thread.join();
    }
}

/// Serves `listener` until the handle is stopped.
pub(super) fn spawn(listener: std::net::TcpListener, shared: Arc<Shared>) -> Handle {
    let (shutdown, mut stopped) = oneshot::channel::<()>();
    listener
        .set_nonblocking(true)
        .expect("the emulator's listener goes non-blocking");
    let thread = std::thread::Builder::new()
        .name("azure-devops-emulator".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the emulator's runtime starts");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("the emulator's listener joins the runtime");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let shared = Arc::clone(&shared);
                            tokio::spawn(async move {
                                let service = service_fn(move |request| {
                                    serve(Arc::clone(&shared), request)
                                });
                                // A client that hangs up, or a connection the emulator drops on
                                // purpose, ends here; neither is the emulator's failure.
                                let _ = http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        })
        .expect("the emulator's thread starts");
    Handle { shutdown, thread }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the emulator dropped the connection on purpose")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn serve(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ConnectionDropped> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return Err(ConnectionDropped),
    };
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        status: None,
        received: std::time::Instant::now(),
    };
    let latency = shared.world().faults.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let reply = shared.world().answer(recorded);
    match reply {
        Some(reply) => Ok(into_response(reply)),
        None => Err(ConnectionDropped),
    }
}

fn into_response(reply: Reply) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(reply.status);
    if let Some(content_type) = reply.content_type {
        builder = builder.header("content-type", content_type);
    }
    builder = builder
        .header("x-tfs-processid", "0f0c7a8e-6d38-4a5e-9a57-5e1b5c0e9a11")
        .header("x-vss-e2eid", "5d7a2c44-8b9c-4f8e-a6e5-3c5f2b1e0d77");
    for (name, value) in &reply.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// The error answer of an injected fault.
fn injected(status: u16) -> Reply {
    Reply::error(
        status,
        &format!("The emulator answers {status} on purpose (an injected fault)."),
        "InjectedFaultException",
    )
}

impl World {
    /// Counts, applies faults, answers and records one request; `None` drops the connection.
    fn answer(&mut self, mut request: RecordedRequest) -> Option<Reply> {
        self.request_count += 1;
        let is_write = request.is_write();
        if is_write {
            self.write_count += 1;
        }
        let fault = self.faults.next();
        let write_fault = match (fault, is_write) {
            (None, true) => self.faults.next_write(&request.method, &request.path),
            _ => None,
        };
        if let Some(write_fault) = write_fault {
            let reply = match write_fault {
                WriteFault::Refused(status) => Some(injected(status)),
                WriteFault::RefusedDropped => None,
                WriteFault::AppliedThenStatus(status) => {
                    self.serve(&request, is_write);
                    Some(injected(status))
                }
                WriteFault::AppliedThenDropped => {
                    self.serve(&request, is_write);
                    None
                }
            };
            request.status = reply.as_ref().map(|r| r.status);
            self.requests.push(request);
            return reply;
        }
        let reply = match fault {
            Some(Fault::Drop) => None,
            Some(Fault::Status(status)) => Some(injected(status)),
            Some(Fault::RateLimited { retry_after_secs }) => Some(
                Reply::error(
                    429,
                    "Request was blocked due to exceeding usage of resource 'Core' in namespace 'User'. For more information on why your request was blocked, see the topic \"Rate limits\" on the Microsoft Web site (https://go.microsoft.com/fwlink/?LinkId=823950).",
                    "RequestBlockedException",
                )
                .with_header("Retry-After", &retry_after_secs.to_string())
                .with_header("X-RateLimit-Resource", "Core")
                .with_header("X-RateLimit-Limit", "200")
                .with_header("X-RateLimit-Remaining", "0")
                .with_header("X-RateLimit-Reset", "1767225900"),
            ),
            Some(Fault::Throttled { delay_secs }) => Some(
                self.serve(&request, is_write)
                    .with_header("X-RateLimit-Resource", "Core")
                    .with_header("X-RateLimit-Delay", &format!("{delay_secs:.3}"))
                    .with_header("X-RateLimit-Limit", "200")
                    .with_header("X-RateLimit-Remaining", "0")
                    .with_header("X-RateLimit-Reset", "1767225900"),
            ),
            None => Some(self.serve(&request, is_write)),
        };
        request.status = reply.as_ref().map(|r| r.status);
        self.requests.push(request);
        reply
    }

    /// The service's own answer, with violations recorded and successful writes counted.
    fn serve(&mut self, request: &RecordedRequest, is_write: bool) -> Reply {
        let reply = routes::respond(&mut self.organization, &self.tokens, request);
        if let Some(message) = &reply.violation {
            self.violations.push(Violation {
                method: request.method.clone(),
                path: request.path.clone(),
                query: request.query.clone(),
                status: reply.status,
                message: message.clone(),
            });
        }
        if is_write && reply.is_success() {
            self.faults.write_succeeded();
        }
        reply
    }
}
