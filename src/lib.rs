//! coderabbit-agent: a pull-request reviewer for Azure Pipelines.
//!
//! One flow, one module per stage:
//!
//! - [`context`]: where we run (an Azure Pipelines PR build, or a developer's checkout).
//! - [`git`]: base/head resolution, shallow checkouts, and the per-file line maps of `base..head`.
//! - [`config`]: `.coderabbit.yaml`, validated once, every problem with its line and column.
//! - [`sources`]: producers of [`finding::Finding`]s — the built-in [`sources::rules`] first.
//! - [`filter`]: which findings survive (`--filter-mode`, profile, path filters).
//! - [`review`]: the review as a value; [`run`] builds it from the stages above.
//! - [`publish`]: renderers (text, JSON, SARIF, Markdown), later the pull request itself.
//!
//! `main.rs` only parses arguments, calls [`run`], and maps errors to exit codes.

pub mod azure_devops;
pub mod cli;
pub mod config;
pub mod context;
pub mod credentials;
pub mod doctor;
pub mod error;
pub mod filter;
pub mod finding;
pub mod git;
pub mod pipeline;
pub mod publish;
pub mod pull_request;
pub mod remediate;
pub mod review;
pub mod run;
pub mod sources;
