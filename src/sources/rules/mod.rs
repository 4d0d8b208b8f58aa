//! The built-in reviewer: offline rules with stable codes, run over the lines a change adds.
//!
//! (being written)

use crate::finding::{Category, Finding, Severity};
use crate::git::FileDiff;

/// A file as the rules see it: its diff entry and its head content.
pub struct FileUnderReview<'a> {
    pub diff: &'a FileDiff,
    /// Head content decoded as UTF-8 (lossily); empty for binary or unavailable content.
    pub text: &'a str,
}

/// Which rule families run, and their thresholds.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// The `secrets/*` family (`reviews.tools.gitleaks.enabled`).
    pub secrets: bool,
    /// Files added or grown over this many bytes are reported by `files/large-file`.
    pub large_file_bytes: u64,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions { secrets: true, large_file_bytes: 1024 * 1024 }
    }
}

/// One rule's stable description.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub explanation: &'static str,
}

/// Every built-in rule.
pub fn catalog() -> &'static [RuleInfo] {
    &[]
}

/// Runs every enabled rule over one file's added lines.
pub fn check(_file: &FileUnderReview<'_>, _options: &RuleOptions) -> Vec<Finding> {
    Vec::new()
}
