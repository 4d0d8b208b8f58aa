//! Redaction: how a finding speaks of a secret without repeating it, and the one place secret
//! findings are written.

use super::judgement::{
    encrypted_document, fixture_note, neighbours_say_placeholder, severity_for,
};
use super::providers;
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
    if !claim(ctx, sink, line, secret) || encrypted_document(ctx) {
        return;
    }
    let signed = providers::is_signed(rule);
    let verdict = verdict.or_else(|| neighbours_say_placeholder(ctx, line, signed));
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

/// Claims the occurrence of `secret` on `line` for one finding: false when a finding already
/// covers it (rules run strongest first, so the first one wins). A secret that is not a slice
/// of the line (a private key's data) is not tracked.
pub(super) fn claim(ctx: &FileContext<'_>, sink: &mut Sink, line: u32, secret: &str) -> bool {
    let Some((start, end)) = span(ctx, line, secret) else {
        return true;
    };
    if sink.is_claimed(start, end) {
        return false;
    }
    sink.claim(start, end);
    true
}

/// Where `secret` lies in the text of `line`, if it is a slice of it.
fn span(ctx: &FileContext<'_>, line: u32, secret: &str) -> Option<(usize, usize)> {
    let text = ctx.line_text(line)?;
    let start = (secret.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start.checked_add(secret.len())?;
    (end <= text.len()).then_some((start, end))
}
