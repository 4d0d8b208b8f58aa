//! Certificates people understand: the real binary against a local https server whose
//! certificates come from a private certificate authority made by the test. An untrusted CA,
//! an expired certificate and one issued for another host each get one sentence naming the
//! host and the fix; with `SSL_CERT_FILE` pointing at the CA the same server is trusted.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};

use crate::support::{agent, run, stderr, stdout};

const PAT: &str = "certificate-test-pat-0001";
const DAY: i64 = 24 * 3600;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// A certificate for `common_name`, valid from `from` to `until` (Unix seconds), signed by
/// `issuer` (self-signed when `None`).
fn certificate(
    common_name: &str,
    key: &PKey<Private>,
    issuer: Option<(&X509, &PKey<Private>)>,
    dns_names: &[&str],
    (from, until): (i64, i64),
    serial: u32,
) -> X509 {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)
        .unwrap();
    let name = name.build();
    let mut builder = X509::builder().unwrap();
    builder.set_version(2).unwrap();
    builder
        .set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    builder.set_subject_name(&name).unwrap();
    builder
        .set_issuer_name(issuer.map_or(&*name, |(ca, _)| ca.subject_name()))
        .unwrap();
    builder.set_pubkey(key).unwrap();
    builder
        .set_not_before(&Asn1Time::from_unix(from).unwrap())
        .unwrap();
    builder
        .set_not_after(&Asn1Time::from_unix(until).unwrap())
        .unwrap();
    if issuer.is_none() {
        builder
            .append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        builder
            .append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
    } else {
        let mut alternative = SubjectAlternativeName::new();
        for dns in dns_names {
            alternative.dns(dns);
        }
        let alternative = alternative
            .build(&builder.x509v3_context(issuer.map(|(ca, _)| &**ca), None))
            .unwrap();
        builder.append_extension(alternative).unwrap();
        builder
            .append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
            .unwrap();
    }
    let signer = issuer.map_or(key, |(_, ca_key)| ca_key);
    builder.sign(signer, MessageDigest::sha256()).unwrap();
    builder.build()
}

/// A private certificate authority, as an organisation running its own would have.
struct Authority {
    cert: X509,
    key: PKey<Private>,
}

impl Authority {
    fn new() -> Self {
        let key = key();
        let cert = certificate(
            "Contoso Internal Root CA",
            &key,
            None,
            &[],
            (now() - DAY, now() + 365 * DAY),
            1,
        );
        Authority { cert, key }
    }

    fn issue(&self, dns_names: &[&str], validity: (i64, i64)) -> (X509, PKey<Private>) {
        let key = key();
        let cert = certificate(
            dns_names[0],
            &key,
            Some((&self.cert, &self.key)),
            dns_names,
            validity,
            2,
        );
        (cert, key)
    }

    fn write_pem(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("contoso-root-ca.pem");
        std::fs::write(&path, self.cert.to_pem().unwrap()).unwrap();
        path
    }
}

/// An https server on 127.0.0.1 that answers every request with the connection data of a
/// user named CodeRabbit, and counts the connections it was offered.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
}

impl Server {
    fn start(cert: &X509, key: &PKey<Private>) -> Server {
        let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap();
        acceptor.set_private_key(key).unwrap();
        acceptor.set_certificate(cert).unwrap();
        acceptor.check_private_key().unwrap();
        let acceptor = acceptor.build();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let (offered, served) = (Arc::clone(&connections), Arc::clone(&answered));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                offered.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                // A client that refuses the certificate aborts the handshake here.
                let Ok(mut tls) = acceptor.accept(stream) else {
                    continue;
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                }
                let body = r#"{"authenticatedUser":{"id":"6c2b1d2e-0000-4000-8000-000000000001","providerDisplayName":"CodeRabbit","properties":{"Account":{"$type":"System.String","$value":"coderabbit@contoso.com"}}}}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes());
                let _ = tls.shutdown();
                served.fetch_add(1, Ordering::SeqCst);
            }
        });
        Server {
            port,
            connections,
            answered,
        }
    }
}

/// `doctor` against `https://localhost:<port>/contoso/`, trusting `ca_file` when given.
fn doctor(server: &Server, ca_file: Option<&Path>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = agent(dir.path());
    command
        .arg("doctor")
        .env(
            "SYSTEM_COLLECTIONURI",
            format!("https://localhost:{}/contoso/", server.port),
        )
        .env("CODERABBIT_PAT", PAT)
        .env("CODERABBIT_MAX_RETRY_WAIT_SECS", "20");
    if let Some(ca_file) = ca_file {
        command.env("SSL_CERT_FILE", ca_file);
    }
    run(&mut command)
}

/// The doctor's verdict on the token: the line that carries the service's error sentence.
fn token_line(output: &Output) -> String {
    let out = stdout(output);
    out.lines()
        .find(|l| l.contains("token:"))
        .unwrap_or_else(|| panic!("no token line in:\n{out}\n{}", stderr(output)))
        .to_owned()
}

fn assert_one_plain_sentence(line: &str, server: &Server) {
    assert!(line.starts_with("FAIL  token: "), "{line}");
    assert!(line.contains("localhost"), "names the host: {line}");
    for raw in [
        "SSL routines",
        "error:0A",
        "statem",
        "error trying to connect",
    ] {
        assert!(
            !line.contains(raw),
            "no OpenSSL error chain ({raw}): {line}"
        );
    }
    assert!(!line.contains(PAT), "{line}");
    assert_eq!(
        server.connections.load(Ordering::SeqCst),
        1,
        "a certificate problem is not retried"
    );
    assert_eq!(server.answered.load(Ordering::SeqCst), 0);
}

fn valid() -> (i64, i64) {
    (now() - DAY, now() + 30 * DAY)
}

#[test]
fn a_certificate_from_an_unknown_authority_says_how_to_trust_it() {
    let ca = Authority::new();
    let (cert, key) = ca.issue(&["localhost"], valid());
    let server = Server::start(&cert, &key);
    let output = doctor(&server, None);
    assert_ne!(output.status.code(), Some(0));
    let line = token_line(&output);
    assert_one_plain_sentence(&line, &server);
    assert!(line.contains("is not trusted on this machine"), "{line}");
    assert!(line.contains("trust store"), "{line}");
    assert!(line.contains("SSL_CERT_FILE"), "{line}");
}

#[test]
fn an_expired_certificate_is_called_expired() {
    let ca = Authority::new();
    let (cert, key) = ca.issue(&["localhost"], (now() - 30 * DAY, now() - DAY));
    let server = Server::start(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let output = doctor(&server, Some(&ca.write_pem(dir.path())));
    let line = token_line(&output);
    assert_one_plain_sentence(&line, &server);
    assert!(line.contains("has expired"), "{line}");
    assert!(line.contains("renew"), "{line}");
}

#[test]
fn a_certificate_for_another_host_names_the_mismatch() {
    let ca = Authority::new();
    let (cert, key) = ca.issue(&["tfs.contoso.com"], valid());
    let server = Server::start(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let output = doctor(&server, Some(&ca.write_pem(dir.path())));
    let line = token_line(&output);
    assert_one_plain_sentence(&line, &server);
    assert!(line.contains("issued for another host name"), "{line}");
}

#[test]
fn ssl_cert_file_naming_the_private_authority_makes_the_server_trusted() {
    let ca = Authority::new();
    let (cert, key) = ca.issue(&["localhost"], valid());
    let server = Server::start(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let output = doctor(&server, Some(&ca.write_pem(dir.path())));
    let line = token_line(&output);
    assert_eq!(
        line,
        "ok    token: authenticates as CodeRabbit <coderabbit@contoso.com>",
        "{}",
        stdout(&output)
    );
    assert_eq!(server.answered.load(Ordering::SeqCst), 1);
}
