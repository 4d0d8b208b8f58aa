//! Errors a user can act on, each rendered as one sentence, and the exit codes of the contract.

use std::fmt;

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
///
/// Deeper causes travel inside `anyhow` chains and go to the debug log; this is the sentence
/// `main` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    sentence: String,
}

impl UserError {
    pub fn new(sentence: impl Into<String>) -> Self {
        UserError {
            sentence: sentence.into(),
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sentence)
    }
}

impl std::error::Error for UserError {}
