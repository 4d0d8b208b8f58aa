//! Judgement: whether a value with a credential's shape is a real secret. Shannon entropy and
//! the shape of random text, words and paths, published documentation values, placeholders in
//! the value or said by the code around it, and the lower severity of fixtures in test code.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use super::assignments::{HARDCODED_CREDENTIAL, URL_PASSWORD};
use super::providers::{JWT, PRIVATE_KEY};
use super::{decode_base64url, is_base64, regex};
use crate::finding::Severity;
use crate::sources::rules::registry::Rule;
use crate::sources::rules::syntax;
use crate::sources::rules::{FileContext, MAX_HEURISTIC_LINE};

/// SHA-256 digests of credentials published in documentation, which are placeholders wherever
/// they appear (kept as digests so that this file does not hold them): each entry is the
/// value's length, its digest, and why it is a placeholder.
pub(super) const PUBLISHED: &[(usize, &str, &str)] = &[
    (
        88,
        "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059",
        "it is the storage emulator's published development key",
    ),
    (
        22,
        "6c96130f130ab0d6d158397e24d2bcc1c9a5e73ae081f6e983f1c7b545d24a4c",
        "it is the sample access token of RFC 6749",
    ),
    (
        22,
        "00cf4c781dc37003f7c7dd7d4c9a6ef1e0f4c62d9a291aa8bc398774e3fefd32",
        "it is the sample refresh token of RFC 6749",
    ),
];

pub(super) fn published(value: &str) -> Option<&'static str> {
    if !PUBLISHED.iter().any(|(len, _, _)| *len == value.len()) {
        return None;
    }
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    PUBLISHED
        .iter()
        .find(|(len, known, _)| *len == value.len() && *known == hex)
        .map(|(_, _, reason)| *reason)
}

/// Whether a literal assigned to a credential name looks like a real, random secret rather than
/// a reference, a path, a name, words or a placeholder.
pub(super) fn looks_random(value: &str) -> bool {
    let len = value.len();
    if !(12..=200).contains(&len) || value.chars().any(char::is_whitespace) || !value.is_ascii() {
        return false;
    }
    // References, templates and expressions: `${VAR}`, `$(Var)`, `{{ x }}`, `%(x)s`, `#{x}`,
    // `<x>`, `Jobs[-1].Id`. A password may start with any other punctuation (`!Xk29…`).
    const OPENERS: [char; 6] = ['$', '%', '{', '<', '[', '('];
    const INSIDE: [&str; 14] = [
        "${", "$(", "{{", "}}", "%(", "#{", "{}", "%s", "%d", "::", "://", "()", "->", "[",
    ];
    if value.starts_with(OPENERS)
        || value.ends_with(')')
        || INSIDE.iter().any(|marker| value.contains(marker))
    {
        return false;
    }
    // Values that name what they stand for (`my-secret-token`, `admin123pass`).
    const TELLING: [&[u8]; 6] = [b"pass", b"secret", b"token", b"admin", b"demo", b"default"];
    if TELLING
        .iter()
        .any(|word| syntax::contains_ignore_case(value.as_bytes(), word))
    {
        return false;
    }
    if is_path(value) {
        return false;
    }
    let bytes = value.as_bytes();
    let letters = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if letters == 0 {
        return false;
    }
    // Single-case words and constant names (`my_app_key`, `SOME-NAME`).
    let single_case = bytes.iter().all(|b| !b.is_ascii_uppercase())
        || bytes.iter().all(|b| !b.is_ascii_lowercase());
    if digits == 0 && single_case {
        return false;
    }
    // Lowercase words joined by separators (`geheim$parole`) are typed by people, not generated.
    if digits <= 2
        && value
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|run| !run.is_empty())
            .all(|run| run.len() >= 4 && run.bytes().all(|b| b.is_ascii_lowercase()))
    {
        return false;
    }
    if reads_as_words(value) || distinct_bytes(value) < 6 || longest_sequential_run(value) >= 6 {
        return false;
    }
    shannon_entropy(value) >= entropy_threshold(value)
}

/// File paths and resource names: `a/b.txt`, `./x`, `C:\x`, `projects/my-app/secrets/db`.
pub(super) fn is_path(value: &str) -> bool {
    if value.contains('\\') || value.starts_with("./") || value.starts_with('/') {
        return true;
    }
    if !value.contains('/') {
        return false;
    }
    let has_extension = value.rsplit_once('.').is_some_and(|(_, ext)| {
        (1..=5).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphabetic())
    });
    let lowercase_segments = value.split('/').all(|segment| {
        segment.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
    });
    has_extension || lowercase_segments
}

/// Whether most of a value's characters belong to words of three or more letters, as in names
/// (`V1SecretVolumeSource`, `google_oauth2.Credentials`); random text splits into short runs.
pub(super) fn reads_as_words(value: &str) -> bool {
    let total = value.bytes().filter(u8::is_ascii_alphanumeric).count();
    let in_words: usize = identifier_words(value)
        .iter()
        .map(|word| word.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|word| word.len() >= 3 && word.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::len)
        .sum();
    total > 0 && in_words * 4 >= total * 3
}

/// Splits `snake_case`, `kebab-case`, `dotted.names` and `camelCase` into lowercase words.
pub(super) fn identifier_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let boundary = i > 0
                && c.is_ascii_uppercase()
                && (chars[i - 1].is_ascii_lowercase()
                    || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
                        && chars[i - 1].is_ascii_uppercase());
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// The entropy a random value of this length and alphabet would comfortably exceed.
pub(super) fn entropy_threshold(value: &str) -> f64 {
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    match value.len() {
        _ if hex => 3.0,
        0..=15 => 3.2,
        16..=23 => 3.3,
        _ => 3.5,
    }
}

/// Shannon entropy of the bytes of `value`, in bits per byte.
pub(super) fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in value.bytes() {
        counts[usize::from(b)] += 1;
    }
    let len = value.len() as f64;
    if len == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = count as f64 / len;
            -p * p.log2()
        })
        .sum()
}

pub(super) fn distinct_bytes(value: &str) -> usize {
    let mut seen = [false; 256];
    value.bytes().for_each(|b| seen[usize::from(b)] = true);
    seen.iter().filter(|&&s| s).count()
}

/// The longest run of characters that each follow the previous one (`123456`, `abcdef`).
pub(super) fn longest_sequential_run(value: &str) -> usize {
    let bytes = value.as_bytes();
    let (mut best, mut run) = (usize::from(!bytes.is_empty()), 1);
    for pair in bytes.windows(2) {
        if pair[1] == pair[0].wrapping_add(1) && pair[1].is_ascii_alphanumeric() {
            run += 1;
            best = best.max(run);
        } else {
            run = 1;
        }
    }
    best
}

/// The severity of a credential on `line` that can be made offline (a key pair, a signed token,
/// a password) in test code: tests make their own, so such a value is most likely a fixture,
/// unlike an API token, which only a service can issue.
pub(super) fn severity_for(ctx: &FileContext<'_>, rule: &'static Rule, line: u32) -> Severity {
    let offline = [
        PRIVATE_KEY.code,
        JWT.code,
        HARDCODED_CREDENTIAL.code,
        URL_PASSWORD.code,
    ];
    if offline.contains(&rule.code) && ctx.in_tests(line) {
        Severity::Minor
    } else {
        rule.severity
    }
}

/// What a message adds when [`severity_for`] lowered a finding to a fixture's severity.
pub(super) fn fixture_note(severity: Severity) -> &'static str {
    if severity == Severity::Minor {
        " It is in test code, so it is probably a fixture made for the tests; if so, \
         nothing to do."
    } else {
        ""
    }
}

/// Words that, near a value, say it is not a real credential.
pub(super) const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"sample",
    b"dummy",
    b"fake",
    b"placeholder",
    b"mock",
    b"redacted",
];

/// Host names and e-mail addresses (`api.example.com`, `me@example.net`).
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)[a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*|(?:[a-z0-9-]+\.)+[a-z]{2,24}\b")
});

/// `text` without its host names and e-mail addresses: a placeholder word in an address
/// (`api.example.com`) says where a value is used, not that the value is an example.
pub(super) fn without_addresses(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    ADDRESS.replace_all(&text, " ").into_owned().into_bytes()
}

/// Like [`says_placeholder`], but a word inside a host name or an e-mail address does not
/// count.
pub(super) fn says_placeholder_outside_addresses(text: &[u8]) -> bool {
    says_placeholder(&without_addresses(text))
}

pub(super) fn says_placeholder(text: &[u8]) -> bool {
    PLACEHOLDER_WORDS
        .iter()
        .any(|word| syntax::contains_ignore_case(text, word))
}

/// How many lines above and below a value may say that it is an example.
pub(super) const NEIGHBOURHOOD: u32 = 2;

/// Whether the lines around `line` say that what it holds is an example or a fake, or the line
/// belongs to an interactive session transcript (`>>> `), as in documentation.
///
/// For a provider-signed credential (`signed`), a placeholder word inside a host name or an
/// e-mail address (`api.example.com`) says nothing about the value.
pub(super) fn neighbours_say_placeholder(
    ctx: &FileContext<'_>,
    line: u32,
    signed: bool,
) -> Option<&'static str> {
    let first = line.saturating_sub(NEIGHBOURHOOD).max(1);
    (first..=line.saturating_add(NEIGHBOURHOOD))
        .filter(|&number| number != line)
        .filter_map(|number| ctx.line_text(number))
        .filter(|text| text.len() <= MAX_HEURISTIC_LINE)
        .any(|text| {
            if signed {
                says_placeholder_outside_addresses(text.as_bytes())
            } else {
                says_placeholder(text.as_bytes())
            }
        })
        .then_some("the lines around it say it is an example or a fake")
        .or_else(|| {
            in_transcript(ctx, line).then_some("it is in an interactive session transcript")
        })
}

/// How far above a line to look for the prompt of the session transcript it may belong to.
pub(super) const TRANSCRIPT_REACH: u32 = 12;

/// Whether `line` is a prompt (`>>> `) of an interactive session transcript or part of the
/// output block after one, as in documentation and doctests.
pub(super) fn in_transcript(ctx: &FileContext<'_>, line: u32) -> bool {
    let first = line.saturating_sub(TRANSCRIPT_REACH).max(1);
    for number in (first..=line).rev() {
        let Some(text) = ctx.line_text(number) else {
            return false;
        };
        let text = text.trim_start();
        if text.starts_with(">>> ") || text == ">>>" {
            return true;
        }
        if text.is_empty() {
            return false;
        }
    }
    false
}

/// Whether a base64 value decodes to readable text that gives it away as a sample
/// (`bm90IG15…` is "not my real password").
pub(super) fn decoded_says_placeholder(value: &str) -> bool {
    if value.len() % 4 != 0 || !value.bytes().all(is_base64) {
        return false;
    }
    let Some(decoded) = decode_base64url(value) else {
        return false;
    };
    let readable = decoded.iter().all(|&b| (0x20..0x7f).contains(&b)) && decoded.contains(&b' ');
    readable
        && (says_placeholder(&decoded)
            || [
                &b"password"[..],
                b"secret",
                b"not my",
                b"not a real",
                b"test",
            ]
            .iter()
            .any(|word| syntax::contains_ignore_case(&decoded, word)))
}

/// Why a value that has a credential's shape is a placeholder, if it is one: it or the text
/// near it says so, or its random part is repeated or sequential characters.
pub(super) fn placeholder(value: &str, body: &str, near: &[u8]) -> Option<&'static str> {
    judge_placeholder(value, body, near, false)
}

/// [`placeholder`] for a provider-signed credential: only the value itself, and what the code
/// near it says outside host names and e-mail addresses, can make it an example.
pub(super) fn placeholder_signed(value: &str, body: &str, near: &[u8]) -> Option<&'static str> {
    judge_placeholder(value, body, near, true)
}

fn judge_placeholder(value: &str, body: &str, near: &[u8], signed: bool) -> Option<&'static str> {
    const IN_VALUE: &[(&[u8], &str)] = &[
        (b"example", "it contains EXAMPLE"),
        (b"sample", "it contains SAMPLE"),
        (b"dummy", "it contains DUMMY"),
        (b"fake", "it contains FAKE"),
        (b"placeholder", "it contains PLACEHOLDER"),
        (b"redacted", "it contains REDACTED"),
        (b"changeme", "it contains CHANGEME"),
        (b"xxxx", "it contains XXXX"),
        (b"****", "it is masked"),
        (b"...", "it is elided"),
        (b"your", "it asks for your own value"),
        (b"test", "it contains TEST"),
    ];
    if let Some(reason) = published(value) {
        return Some(reason);
    }
    for (marker, reason) in IN_VALUE {
        if syntax::contains_ignore_case(value.as_bytes(), marker) {
            return Some(reason);
        }
    }
    let says = if signed {
        says_placeholder_outside_addresses(near)
    } else {
        says_placeholder(near)
    };
    if says {
        return Some("the code around it says it is an example or a fake");
    }
    if body.len() >= 8 && distinct_bytes(body) <= 3 {
        return Some("it repeats the same characters");
    }
    if body.len() >= 8 && longest_sequential_run(body) >= 6 {
        return Some("it contains a sequential run of characters");
    }
    None
}

/// Whether the file is an encrypted document whose values are ciphertext, not secrets: a SOPS
/// file (a `sops:` block or `"sops": {` with `ENC[…]` values) or an Ansible Vault file.
pub(super) fn encrypted_document(ctx: &FileContext<'_>) -> bool {
    *ctx.encrypted.get_or_init(|| {
        if ctx
            .lines
            .first()
            .is_some_and(|line| line.starts_with("$ANSIBLE_VAULT;"))
        {
            return true;
        }
        let sops_block = ctx.lines.iter().any(|line| {
            let line = line.trim_end();
            line == "sops:" || line.trim_start().starts_with("\"sops\":")
        });
        sops_block
            && ctx
                .lines
                .iter()
                .any(|line| line.contains("ENC[AES256_GCM,data:"))
    })
}

/// Whether a value is SOPS ciphertext (`ENC[AES256_GCM,data:…]`) or an Ansible Vault block.
pub(super) fn is_ciphertext(value: &str) -> bool {
    value.starts_with("ENC[") || value.starts_with("$ANSIBLE_VAULT;") || value.starts_with("!vault")
}
