//! A minimal forwarding HTTP proxy on loopback, for checking that the agent's requests go
//! through a configured proxy. It serves absolute-form `http://` requests, one per connection
//! (it answers with `Connection: close`), and records each request line and its
//! `Proxy-Authorization` header.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Proxied {
    pub request_line: String,
    pub proxy_authorization: Option<String>,
}

pub struct Proxy {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Proxied>>>,
}

impl Proxy {
    pub fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Vec<Proxied>>> = Arc::default();
        let record = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let record = Arc::clone(&record);
                std::thread::spawn(move || {
                    let _ = serve(stream, &record);
                });
            }
        });
        Proxy { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Proxied> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn serve(client: TcpStream, record: &Mutex<Vec<Proxied>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').unwrap_or((trimmed, ""));
        let lower = name.to_ascii_lowercase();
        if lower == "content-length" {
            length = value.trim().parse().unwrap_or(0);
        }
        if lower == "proxy-authorization" {
            authorization = Some(value.trim().to_owned());
            continue;
        }
        if lower == "connection" || lower == "proxy-connection" {
            continue;
        }
        headers.push(trimmed.to_owned());
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    if let Ok(mut seen) = record.lock() {
        seen.push(Proxied {
            request_line: request_line.trim_end().to_owned(),
            proxy_authorization: authorization,
        });
    }
    // `GET http://host:port/path HTTP/1.1` → connect to host:port, send `GET /path HTTP/1.1`.
    let mut parts = request_line.split_whitespace();
    let (method, target, version) = (
        parts.next().unwrap_or("GET"),
        parts.next().unwrap_or("/"),
        parts.next().unwrap_or("HTTP/1.1"),
    );
    let rest = target.strip_prefix("http://").unwrap_or(target);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut upstream = TcpStream::connect(authority)?;
    write!(
        upstream,
        "{method} {} {version}\r\n",
        if path.is_empty() { "/" } else { path }
    )?;
    for header in &headers {
        write!(upstream, "{header}\r\n")?;
    }
    write!(upstream, "Connection: close\r\n\r\n")?;
    upstream.write_all(&body)?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    let mut client = client;
    client.write_all(&response)?;
    client.flush()
}
