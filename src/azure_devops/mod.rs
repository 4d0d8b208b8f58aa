//! A small hand-written client for the Azure DevOps REST calls the agent makes (API 7.1).
//!
//! It owns the transport (TLS with the system trust store, proxies, plain-http refusal),
//! authentication, retries with backoff, and turning every failure into a typed [`ApiError`]
//! whose `Display` is the one sentence a user reads. It knows nothing about findings or reviews:
//! the publisher builds on it.

pub mod builds;
mod client;
mod error;
pub mod identity;
pub mod models;
mod pull_requests;

pub use client::{AgentProxy, Call, Client, Credential, NetworkSettings, Scope, segment};
pub use error::ApiError;
pub use pull_requests::{PullRequestApi, PullRequestRef};
