//! A small hand-written client for the Azure DevOps REST calls the agent makes (API 7.1).
//!
//! It owns the collection's URLs, authentication, and turning every answer and every network
//! failure into a typed [`ApiError`] whose `Display` is the one sentence a user reads. Sending,
//! retries, pauses, proxies and TLS are the shared [`crate::http`] transport's. It knows nothing
//! about findings or reviews: the publisher builds on it.

pub(crate) mod builds;
mod client;
mod error;
pub(crate) mod identity;
pub(crate) mod models;
mod pull_requests;
pub(crate) mod work_items;

pub(crate) use crate::http::{AgentProxy, NetworkSettings};
pub(crate) use client::{Client, Credential, segment};
pub(crate) use error::ApiError;
pub(crate) use pull_requests::{PullRequestApi, PullRequestRef};
