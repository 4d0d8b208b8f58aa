//! coderabbit-agent: a pull-request reviewer for Azure Pipelines.
//!
//! One flow, one module per stage:
//!
//! - [`settings`]: the environment, read once — [`context`] (where we run: a PR build, another
//!   build, or a developer's checkout), [`credentials`] (which token, and masking), network, plan
//!   and model settings.
//! - [`git`]: opening the checkout, base/head resolution, shallow clones, per-file line maps.
//! - [`config`]: `.coderabbit.yaml`, validated once, every problem with its line and column.
//! - [`sources`]: producers of [`finding::Finding`]s behind one `Source` trait — the built-in
//!   [`sources::rules`], other tools' reports ([`sources::import`]) and the language model
//!   ([`sources::llm`]), which also writes the walkthrough.
//! - [`filter`]: which findings survive (`--filter-mode`, profile).
//! - [`review`]: the review as a value, and [`review::build`] that runs the sources over the diff.
//! - [`auto_review`]: whether to review a pull request at all (`reviews.auto_review`).
//! - [`publish`]: renderers (text, JSON, SARIF, Markdown) and [`publish::azure`], the one writer
//!   of the agent's threads on a pull request.
//! - [`conversation`]: what people wrote on the pull request — `@coderabbitai` commands and
//!   replies in the agent's threads — and the linked work items.
//! - [`azure_devops`]: the REST client, on the generic [`http`] transport (retries, waits,
//!   proxies, TLS and its errors); [`pipeline_log`]: logging commands in the pipeline log.
//! - [`remediate`]: a failed build's logs → errors → remediation (Pro).
//! - [`commands`]: one module per subcommand, wiring the stages; `main.rs` only parses
//!   arguments, reads the settings, calls [`commands::run`] and maps errors to exit codes.

pub(crate) mod auto_review;
pub(crate) mod azure_devops;
pub mod cli;
pub mod commands;
pub mod config;
pub(crate) mod context;
pub(crate) mod conversation;
pub(crate) mod credentials;
pub mod error;
pub(crate) mod filter;
pub mod finding;
pub mod git;
pub mod http;
pub(crate) mod pipeline_log;
pub(crate) mod publish;
pub mod remediate;
pub(crate) mod review;
pub mod settings;
pub mod sources;
