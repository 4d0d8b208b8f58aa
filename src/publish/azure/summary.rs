//! The summary comment: the Markdown walkthrough of the review plus the review status on this
//! pull request (iteration and commits reviewed, findings not posted inline and why) and a
//! footer with the agent's version. Its text depends only on the review and the PR, never on
//! what an earlier run did, so an unchanged re-run finds nothing to edit.

use crate::finding::Finding;
use crate::publish::markdown::{MAX_COMMENT_CHARS, full_comment, truncate, utf16_len};
use crate::review::Review;

/// What the summary says beyond the walkthrough.
pub(super) struct Status<'a> {
    pub iteration: Option<u32>,
    /// Findings listed here instead of inline, and why.
    pub not_inline: Vec<(&'a Finding, &'static str)>,
    pub max_comments: usize,
    /// The linked work items section, when they were read.
    pub work_items: Option<String>,
}

pub(super) fn render(review: &Review, status: &Status<'_>) -> String {
    let footer = format!(
        "\n\n<sub>Reviewed by coderabbit-agent {}</sub>",
        env!("CARGO_PKG_VERSION")
    );
    let mut text = full_comment(review);
    if review.presentation.review_status {
        text.push_str("\n\n### Review status\n\n");
        let base = short(&review.base);
        let head = short(&review.head);
        match status.iteration {
            Some(iteration) => text.push_str(&format!(
                "- Reviewed iteration {iteration}: commits `{base}..{head}`\n"
            )),
            None => text.push_str(&format!("- Reviewed commits `{base}..{head}`\n")),
        }
        let inline = review.findings.len().saturating_sub(
            status
                .not_inline
                .iter()
                .filter(|(_, why)| *why != NOT_IN_SOURCE)
                .count(),
        );
        text.push_str(&format!(
            "- Findings: {} ({inline} as inline comments)\n",
            review.findings.len()
        ));
        if !review.skipped.is_empty() {
            text.push_str(&format!("- Files skipped: {}\n", review.skipped.len()));
        }
    }
    if !status.not_inline.is_empty() {
        text.push_str("\n\n### Not posted as inline comments\n\n");
        for (finding, why) in &status.not_inline {
            let place = if finding.line == 0 {
                format!("`{}`", finding.path)
            } else {
                format!("`{}:{}`", finding.path, finding.line)
            };
            text.push_str(&format!(
                "- {place} — **{}** `{}`: {} _({why})_\n",
                finding.severity,
                finding.rule,
                single_line(&finding.message)
            ));
        }
        if status.not_inline.iter().any(|(_, why)| *why == OVER_CAP) {
            text.push_str(&format!(
                "\nAt most {} new inline comments are posted per run (`maxComments`).\n",
                status.max_comments
            ));
        }
    }
    if let Some(section) = &status.work_items {
        text.push_str(section);
    }
    let body = truncate(text, MAX_COMMENT_CHARS - utf16_len(&footer));
    body + &footer
}

/// Why a finding is in the summary rather than inline.
pub(super) const OVER_CAP: &str = "over the per-run limit of inline comments";
pub(super) const NOT_IN_CHANGES: &str = "its file is not among the pull request's changes";
pub(super) const NOT_IN_SOURCE: &str =
    "reported on a line of the merge commit that the pull request's source does not have";

fn short(sha: &str) -> String {
    sha.chars().take(8).collect()
}

fn single_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('<', "&lt;")
}
