//! Certificates people understand: a TLS handshake that failed on the server's certificate,
//! told as one sentence naming the host and the fix, instead of OpenSSL's error chain.
//!
//! The kind is read from the error chain: native-tls appends the certificate verification
//! result to OpenSSL's error (`certificate verify failed … (unable to get local issuer
//! certificate)`), worded as OpenSSL's `X509_verify_cert_error_string` words each code; on
//! Windows, Schannel's messages for the same cases are recognised too.

use std::error::Error;
use std::fmt;

/// What is wrong with the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateFault {
    /// Issued by an authority this machine does not trust (a private CA, a TLS-inspecting
    /// proxy, a self-signed certificate).
    Untrusted,
    /// Past its end date.
    Expired,
    /// Before its start date (usually a wrong clock).
    NotYetValid,
    /// Issued for another host name.
    WrongHost,
    /// Rejected for another reason (revoked, bad signature, unsuitable purpose, …).
    Rejected,
}

/// A server certificate the agent refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateProblem {
    /// The host the agent was connecting to.
    pub host: String,
    pub fault: CertificateFault,
    /// The verifier's own words, e.g. "self-signed certificate in certificate chain".
    pub reason: String,
}

/// The verifier's wording of each fault, lower case; the first match wins.
const PHRASES: [(&str, CertificateFault); 20] = [
    // OpenSSL (X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH).
    ("hostname mismatch", CertificateFault::WrongHost),
    ("ip address mismatch", CertificateFault::WrongHost),
    // Schannel (SEC_E_WRONG_PRINCIPAL, CERT_E_CN_NO_MATCH).
    (
        "the target principal name is incorrect",
        CertificateFault::WrongHost,
    ),
    ("cn name does not match", CertificateFault::WrongHost),
    // OpenSSL (X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID).
    ("certificate has expired", CertificateFault::Expired),
    (
        "certificate is not yet valid",
        CertificateFault::NotYetValid,
    ),
    // Schannel (SEC_E_CERT_EXPIRED, CERT_E_EXPIRED).
    (
        "received certificate has expired",
        CertificateFault::Expired,
    ),
    ("not within its validity period", CertificateFault::Expired),
    // OpenSSL: no path to a trusted root.
    (
        "unable to get local issuer certificate",
        CertificateFault::Untrusted,
    ),
    (
        "unable to get issuer certificate",
        CertificateFault::Untrusted,
    ),
    ("self-signed certificate", CertificateFault::Untrusted),
    ("self signed certificate", CertificateFault::Untrusted),
    (
        "unable to verify the first certificate",
        CertificateFault::Untrusted,
    ),
    ("certificate not trusted", CertificateFault::Untrusted),
    // Schannel (SEC_E_UNTRUSTED_ROOT, CERT_E_UNTRUSTEDROOT).
    (
        "issued by an authority that is not trusted",
        CertificateFault::Untrusted,
    ),
    (
        "terminated in a root certificate which is not trusted",
        CertificateFault::Untrusted,
    ),
    // OpenSSL, other verification failures.
    ("certificate revoked", CertificateFault::Rejected),
    ("certificate signature failure", CertificateFault::Rejected),
    (
        "unsupported certificate purpose",
        CertificateFault::Rejected,
    ),
    // OpenSSL's generic line, when no verification result says more.
    ("certificate verify failed", CertificateFault::Rejected),
];

/// The certificate problem behind `error`, if a certificate is what failed.
pub(super) fn diagnose(error: &(dyn Error + 'static), host: &str) -> Option<CertificateProblem> {
    let mut chain = String::new();
    let mut next = Some(error);
    while let Some(current) = next {
        chain.push_str(&current.to_string().to_lowercase());
        chain.push('\n');
        next = current.source();
    }
    PHRASES
        .iter()
        .find(|(phrase, _)| chain.contains(phrase))
        .map(|&(phrase, fault)| CertificateProblem {
            host: host.to_owned(),
            fault,
            reason: verification_result(&chain).unwrap_or(phrase).to_owned(),
        })
}

/// The verification result native-tls appends in parentheses to OpenSSL's line, if any.
fn verification_result(chain: &str) -> Option<&str> {
    let line = chain
        .lines()
        .find(|l| l.contains("certificate verify failed"))?;
    let open = line.rfind(" (")?;
    let inner = line[open + 2..].strip_suffix(')')?;
    (!inner.is_empty()).then_some(inner)
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = &self.host;
        match self.fault {
            CertificateFault::Untrusted => write!(
                f,
                "the certificate presented by {host} is not trusted on this machine ({}): if the server, or a TLS-inspecting proxy in between, uses your organization's own certificate authority, add that CA certificate to the agent machine's trust store (on Linux agents, install it into the system bundle with update-ca-certificates, or point SSL_CERT_FILE at a PEM file that holds it)",
                self.reason
            ),
            CertificateFault::Expired => write!(
                f,
                "the certificate presented by {host} has expired: renew it on the server (or on the TLS-inspecting proxy in between), and check that the agent machine's clock is right"
            ),
            CertificateFault::NotYetValid => write!(
                f,
                "the certificate presented by {host} is not valid yet: check the agent machine's clock and time zone, or the certificate's start date"
            ),
            CertificateFault::WrongHost => write!(
                f,
                "the certificate presented by {host} was issued for another host name: use the host name the certificate names in the URL, or have the certificate reissued to include {host}"
            ),
            CertificateFault::Rejected => write!(
                f,
                "the certificate presented by {host} was rejected ({}): check the server's certificate, or the TLS-inspecting proxy's, and the agent machine's trust store",
                self.reason
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The innermost error of a chain, as reqwest → hyper → native-tls does.
    #[derive(Debug)]
    struct Chain(String);

    impl fmt::Display for Chain {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl Error for Chain {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            None
        }
    }

    #[derive(Debug)]
    struct Outer(String, Chain);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.1)
        }
    }

    /// native-tls' error for each case, as the agent received it from a local https server
    /// (`cargo test --test it certificates` with the diagnosis switched off; native-tls 0.2.18,
    /// OpenSSL 3.0.22 from Debian 12's libssl3 3.0.22-1~deb12u2).
    fn openssl_says(result: &str) -> Outer {
        Outer(
            "client error (Connect)".into(),
            Chain(format!(
                "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: ({result})"
            )),
        )
    }

    #[test]
    fn openssls_verification_results_are_told_apart() {
        for (result, fault) in [
            (
                "unable to get local issuer certificate",
                CertificateFault::Untrusted,
            ),
            ("certificate has expired", CertificateFault::Expired),
            ("hostname mismatch", CertificateFault::WrongHost),
        ] {
            let problem = diagnose(&openssl_says(result), "tfs.contoso.com").unwrap();
            assert_eq!(problem.fault, fault, "{result}");
            assert_eq!(problem.reason, result);
            assert_eq!(problem.host, "tfs.contoso.com");
        }
    }

    #[test]
    fn other_failures_are_not_certificate_problems() {
        let err = Outer(
            "error sending request".into(),
            Chain("Connection refused (os error 111)".into()),
        );
        assert_eq!(diagnose(&err, "h"), None);
    }

    #[test]
    fn every_sentence_names_the_host_and_is_one_line() {
        for fault in [
            CertificateFault::Untrusted,
            CertificateFault::Expired,
            CertificateFault::NotYetValid,
            CertificateFault::WrongHost,
            CertificateFault::Rejected,
        ] {
            let text = CertificateProblem {
                host: "tfs.example.com".into(),
                fault,
                reason: "why".into(),
            }
            .to_string();
            assert!(text.contains("tfs.example.com"), "{text}");
            assert!(!text.contains('\n'), "{text}");
        }
    }
}
