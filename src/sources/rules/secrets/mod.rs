//! `secrets/*`: credentials written into the change.
//!
//! Two kinds of checks live here. Self-identifying formats (AWS key ids, GitHub, Slack, Stripe,
//! Google, OpenAI and npm tokens, Azure DevOps PATs, private key blocks, JWTs, Azure storage and
//! Service Bus keys in connection strings) are recognised by their signature and exact shape.
//! Credentials without a signature (a password or token assigned to a telling name, a password in
//! a URL) are recognised by the name they are assigned to and by the value's shape and Shannon
//! entropy, after skipping values that are references, placeholders or ordinary words.
//!
//! A finding never repeats the secret: messages show at most its first four characters (never
//! more than a quarter of it) and its length. Well-known documentation values and obvious fakes
//! (`EXAMPLE`, `fake`, `dummy`, repeated or sequential characters) are reported at `info` as
//! placeholders rather than as leaks.
//!
//! The folder follows those layers: [`providers`] (signatures), [`assignments`] (names, URLs and
//! connection strings), `judgement` (entropy and placeholders) and `redaction` (what a message
//! may show).

pub(super) mod assignments;
mod judgement;
pub(super) mod providers;
mod redaction;

use regex::Regex;

use super::registry::{Check, Family, LineCheck, Rule};
use crate::finding::{Category, Severity};

/// A `secrets/*` rule: critical, a security matter, run on lines holding one of `hints`.
const fn secret_rule(
    code: &'static str,
    explanation: &'static str,
    hints: &'static [&'static str],
    long_lines: bool,
    run: LineCheck,
) -> Rule {
    Rule {
        code,
        severity: Severity::Critical,
        category: Category::Security,
        explanation,
        family: Family::Secrets,
        check: Check::Line {
            hints,
            long_lines,
            run,
        },
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the secret patterns are valid")
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Whether `text[start..end]` is not glued to more characters of its kind on either side.
fn standalone(text: &str, start: usize, end: usize, kind: fn(u8) -> bool) -> bool {
    let bytes = text.as_bytes();
    let before = start
        .checked_sub(1)
        .and_then(|i| bytes.get(i))
        .is_none_or(|&b| !kind(b));
    let after = bytes.get(end).is_none_or(|&b| !kind(b));
    before && after
}

/// Whether the byte at `end` (if any) is not of `kind`: the value ends where its match ends.
fn ends_cleanly(text: &str, end: usize, kind: fn(u8) -> bool) -> bool {
    text.as_bytes().get(end).is_none_or(|&b| !kind(b))
}

/// Decodes base64url (or standard base64), padded or not; `None` on any other character.
fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod corpus;
