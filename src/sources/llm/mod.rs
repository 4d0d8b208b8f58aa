//! The AI reviewer: a language model as one more source of findings, and the author of the
//! walkthrough.
//!
//! `settings` says where the model is; `client` asks it for JSON on any provider; `prompt`
//! decides what the model sees (and redacts secrets); `anchor` turns answers into findings
//! placed on the change's lines; `guard` keeps model text harmless on the pull request;
//! `walkthrough` writes the summary; `advisor` explains build failures.

pub mod advisor;
pub mod anchor;
pub mod client;
pub mod guard;
pub mod prompt;
mod review;
pub mod settings;
mod source;
pub mod walkthrough;

pub use anchor::{NotPlaced, merge_with_builtin};
pub use client::{ModelClient, ModelError, Question, Usage};
pub use guard::sanitize;
pub use prompt::Redaction;
pub use review::{LlmReview, ReviewInput, review};
pub use settings::{ApiKey, LlmSettings, Provider};
pub use source::{LlmContext, LlmSource, review_blocking, secret_lines};
pub use walkthrough::{
    Walkthrough, WalkthroughOptions, render_summary_block, render_walkthrough, with_summary_block,
};
