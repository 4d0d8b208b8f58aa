//! Errors a user can act on, each rendered as one sentence, and the exit codes of the contract.

use thiserror::Error;

/// Exit statuses of the contract.
pub mod exit {
    /// Done, findings or not.
    pub const OK: i32 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// The run could not do its job.
    pub const FAILURE: i32 = 2;
}

/// A failure the user must fix; its `Display` is the one sentence they read.
#[derive(Debug, Error)]
pub enum UserError {
    #[error("{0}")]
    Message(String),
}
