//! Redaction: how a finding speaks of a secret without repeating it, and the one place secret
//! findings are written.

use super::judgement::{fixture_note, neighbours_say_placeholder, severity_for};
use crate::finding::Severity;
use crate::sources::rules::registry::Rule;
use crate::sources::rules::{FileContext, Sink};

/// The secret as a message may show it: at most its first four characters, never more than a
/// quarter of it, and its length.
pub(super) fn redact(secret: &str) -> String {
    let count = secret.chars().count();
    let shown: String = secret.chars().take((count / 4).min(4)).collect();
    format!("{shown}… ({count} characters)")
}

pub(super) fn report(
    ctx: &FileContext<'_>,
    sink: &mut Sink,
    rule: &'static Rule,
    line: u32,
    what: &'static str,
    secret: &str,
    verdict: Option<&'static str>,
) {
    report_with(ctx, sink, rule, line, what, secret, verdict, redact);
}

#[allow(clippy::too_many_arguments)]
pub(super) fn report_with(
    ctx: &FileContext<'_>,
    sink: &mut Sink,
    rule: &'static Rule,
    line: u32,
    what: &'static str,
    secret: &str,
    verdict: Option<&'static str>,
    show: impl FnOnce(&str) -> String,
) {
    let verdict = verdict.or_else(|| neighbours_say_placeholder(ctx, line));
    let severity = if verdict.is_some() {
        Severity::Info
    } else {
        severity_for(ctx, rule, line)
    };
    let note = fixture_note(severity);
    sink.push(rule, line, severity, || {
        let shown = show(secret);
        match verdict {
            Some(reason) => format!(
                "{what} `{shown}` looks like a placeholder ({reason}); nothing to do if it is \
                 not a real credential."
            ),
            None => format!(
                "{what} `{shown}` is committed in clear text. Treat it as leaked: revoke or \
                 rotate it, then read it from a secret store or a secret pipeline variable.{note}"
            ),
        }
    });
}
