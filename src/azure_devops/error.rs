//! Typed REST failures, each one sentence that says what failed and what to do.

use thiserror::Error;

use super::client::Scope;
use crate::http::CertificateProblem;

#[derive(Debug, Error)]
pub enum ApiError {
    /// A 203 sign-in page, an HTML body, or a 401: the service did not accept the token.
    #[error(
        "the token was rejected: it may have expired, been revoked, or lack the {scope} scope — create a new PAT for the CodeRabbit user and update the secret variable"
    )]
    TokenRejected { scope: Scope },

    /// A 403 (or `TF401027`): the identity lacks a permission.
    #[error("{identity} lacks permission to {action} {resource}: {detail}")]
    Forbidden {
        identity: String,
        action: String,
        resource: String,
        detail: String,
    },

    /// A 404.
    #[error(
        "{resource} was not found ({detail}): check the pipeline's repository and pull request, and that the token's user can see the project"
    )]
    NotFound { resource: String, detail: String },

    /// Still rate limited or failing after the retry budget.
    #[error(
        "Azure DevOps kept refusing requests to {resource} ({detail}); gave up after waiting {waited_secs} s — re-run the job later"
    )]
    Exhausted {
        resource: String,
        detail: String,
        waited_secs: u64,
    },

    /// A write whose fate is unknown: the connection broke or the service failed after the
    /// request was sent, so it may or may not have been applied.
    #[error(
        "Azure DevOps did not confirm the request to {action} {resource} ({detail}); it may or may not have been applied — re-run the job, which picks up what is already there"
    )]
    Ambiguous {
        action: &'static str,
        resource: String,
        detail: String,
    },

    /// The service could not be reached.
    #[error(
        "cannot reach Azure DevOps at {host} ({detail}): check the collection URL, the network and the proxy settings"
    )]
    Unreachable { host: String, detail: String },

    /// The server's certificate was refused (untrusted authority, expired, another host's).
    #[error("{problem}")]
    Certificate { problem: CertificateProblem },

    /// Plain http to a host that is not this machine.
    #[error(
        "refusing to send credentials over plain http to {url}: use https, or set CODERABBIT_ALLOW_INSECURE_HTTP=true for an on-premises server without TLS"
    )]
    InsecureHttp { url: String },

    /// The collection URL is not usable.
    #[error(
        "SYSTEM_COLLECTIONURI `{url}` is not a valid URL: run the agent in an Azure Pipelines job, or set it to your organization's URL"
    )]
    BadCollectionUrl { url: String },

    /// Any other answer the agent cannot use.
    #[error("Azure DevOps answered {status} for {resource}: {detail}")]
    Unexpected {
        status: u16,
        resource: String,
        detail: String,
    },
}

impl ApiError {
    /// Whether a write that failed this way may or may not have been applied by the service
    /// (so the caller should check before writing again).
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            ApiError::Exhausted { .. }
                | ApiError::Ambiguous { .. }
                | ApiError::Unexpected {
                    status: 500..=599,
                    ..
                }
        )
    }
}
