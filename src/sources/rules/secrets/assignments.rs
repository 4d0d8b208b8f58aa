//! Assignments: credentials known by where they are written rather than by their format: a
//! value assigned to a credential's name (`password = "…"`, `aws_secret_access_key: …`, a key
//! name holding an 88-character storage key), a password in a URL, and keys inside connection
//! strings.

use std::sync::LazyLock;

use regex::Regex;

use super::judgement::{
    decoded_says_placeholder, fixture_note, identifier_words, looks_random,
    neighbours_say_placeholder, placeholder, severity_for, shannon_entropy,
};
use super::redaction::{redact, report};
use super::{ends_cleanly, is_base64, regex, secret_rule, standalone};
use crate::sources::rules::registry::Rule;
use crate::sources::rules::syntax::{self, Language};
use crate::sources::rules::{FileContext, Line, Sink};

pub(in crate::sources::rules) static AWS_SECRET_KEY: Rule = secret_rule(
    "secrets/aws-secret-key",
    "A 40-character AWS secret access key is assigned to a name such as aws_secret_access_key. \
     Together with its access key id it grants whatever the IAM identity can do, and git keeps \
     it in the history even after the line is removed. Deactivate the key pair in IAM, issue a \
     new one and load it from a secret store or a secret pipeline variable.",
    &[
        "secret_access_key",
        "secretaccesskey",
        "secret-access-key",
        "aws_secret",
        "awssecret",
    ],
    false,
    aws_secret_key,
);

pub(in crate::sources::rules) static AZURE_STORAGE_KEY: Rule = secret_rule(
    "secrets/azure-storage-key",
    "An 88-character base64 key ending in `==` (the shape of an Azure storage account key) is \
     assigned to a key name. A storage account key grants full control of every blob, queue, \
     table and file share in the account. Rotate the key in the portal (Access keys), and use \
     a managed identity, Key Vault or a secret pipeline variable instead.",
    &["=="],
    false,
    azure_storage_key,
);

pub(in crate::sources::rules) static AZURE_STORAGE_CONNECTION_STRING: Rule = secret_rule(
    "secrets/azure-storage-connection-string",
    "An Azure storage connection string with an embedded `AccountKey=` is committed. The key in \
     it grants full control of the storage account. Rotate the account key, then read the \
     connection string from Key Vault, app settings or a secret pipeline variable, or switch to \
     a managed identity. The public development-storage key of the emulator is reported as a \
     placeholder.",
    &["accountkey="],
    true,
    azure_connection_string,
);

pub(in crate::sources::rules) static HARDCODED_CREDENTIAL: Rule = secret_rule(
    "secrets/hardcoded-credential",
    "A literal that looks random (long enough, mixed characters, high Shannon entropy) is \
     assigned to a name such as password, secret, token, api_key or client_secret. References \
     (`${VAR}`, `$(Var)`, `{{ x }}`, environment lookups, function calls), file paths, ordinary \
     words and placeholders (`changeme`, `xxxx`, `<your-key>`) are skipped. Treat the value as \
     leaked: rotate it and read it from a secret store or a secret pipeline variable.",
    &[
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "accesskey",
        "access_key",
        "access-key",
        "authkey",
        "auth_key",
        "credential",
    ],
    false,
    hardcoded_credential,
);

pub(in crate::sources::rules) static URL_PASSWORD: Rule = secret_rule(
    "secrets/url-password",
    "A URL carries a password in its user-info part (`scheme://user:password@host`), as in \
     database, message-broker and package-feed URLs. The password travels with every copy of \
     the file and of its history. Rotate the password and build the URL from a secret at run \
     time. URLs to the local machine and placeholder passwords are not reported.",
    &["://"],
    false,
    url_password,
);

static AWS_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)(?:aws[_.-]?secret(?:[_.-]?access)?(?:[_.-]?key)?|secret[_.-]?access[_.-]?key)[a-z_]*["'\]]?\s*(?::=|=>|=|:|,)\s*[@$]?["'`]?([A-Za-z0-9/+]{40})"#,
    )
});

fn aws_secret_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in AWS_SECRET.captures_iter(text) {
        let Some(secret) = caps.get(1) else { continue };
        if !ends_cleanly(text, secret.end(), is_base64) {
            continue;
        }
        let value = secret.as_str();
        let near = syntax::window(text, secret.start(), secret.end(), 64);
        let verdict = placeholder(value, value, near);
        if verdict.is_none() && shannon_entropy(value) < 4.0 {
            continue;
        }
        report(
            ctx,
            sink,
            &AWS_SECRET_KEY,
            line.number,
            "AWS secret access key",
            value,
            verdict,
        );
    }
}

static AZURE_ACCOUNT_KEY: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)"));

fn azure_verdict(value: &str, near: &[u8]) -> Option<&'static str> {
    if syntax::contains_ignore_case(near, b"devstoreaccount1") {
        return Some("it is for the storage emulator's development account");
    }
    placeholder(value, value, near)
}

fn azure_connection_string(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in AZURE_ACCOUNT_KEY.captures_iter(text) {
        let Some(secret) = caps.get(1) else { continue };
        if !ends_cleanly(text, secret.end(), is_base64) {
            continue;
        }
        let value = secret.as_str();
        let near = syntax::window(text, secret.start(), secret.end(), 200);
        report(
            ctx,
            sink,
            &AZURE_STORAGE_CONNECTION_STRING,
            line.number,
            "Azure storage connection string with the account key",
            value,
            azure_verdict(value, near),
        );
    }
}

static BASE64_88: LazyLock<Regex> = LazyLock::new(|| regex(r"[A-Za-z0-9+/]{86}=="));

/// The name a value at `start` is assigned to: `name = value`, `name: "value"`, `"name" => …`.
pub(super) fn assigned_name(text: &str, start: usize) -> Option<&str> {
    let before = text.get(..start)?;
    let before = before
        .trim_end_matches(['"', '\'', '`', '@', '$'])
        .trim_end();
    let before = before
        .strip_suffix(":=")
        .or_else(|| before.strip_suffix("=>"))
        .or_else(|| before.strip_suffix('='))
        .or_else(|| before.strip_suffix(':'))
        .or_else(|| before.strip_suffix(','))?;
    let before = before.trim_end().trim_end_matches(['"', '\'', ']']);
    let begin = before
        .bytes()
        .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
        .map_or(0, |i| i + 1);
    let name = &before[begin..];
    (!name.is_empty()).then_some(name)
}

fn azure_storage_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for found in BASE64_88.find_iter(text) {
        if !standalone(text, found.start(), found.end(), is_base64) {
            continue;
        }
        // `AccountKey=` in a connection string is the connection-string rule's.
        let head = &text.as_bytes()[..found.start()];
        if head.len() >= 11 && head[head.len() - 11..].eq_ignore_ascii_case(b"accountkey=") {
            continue;
        }
        let Some(name) = assigned_name(text, found.start()) else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        if !lower.contains("key") || lower.contains("public") || lower.contains("pub_") {
            continue;
        }
        let value = found.as_str();
        let near = syntax::window(text, found.start(), found.end(), 200);
        report(
            ctx,
            sink,
            &AZURE_STORAGE_KEY,
            line.number,
            "Azure storage account key",
            value,
            azure_verdict(value, near),
        );
    }
}

static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://([^\s:/@"'`<>]{0,64}):([^\s/@"'`<>]{1,128})@([A-Za-z0-9.\-\[\]:]{1,255})"#,
    )
});

fn url_password(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in URL_USERINFO.captures_iter(text) {
        let (Some(password), Some(host)) = (caps.get(2), caps.get(3)) else {
            continue;
        };
        let host = host.as_str().to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or("");
        if matches!(
            host,
            "localhost" | "127.0.0.1" | "0.0.0.0" | "[" | "host.docker.internal"
        ) || host.ends_with(".localhost")
            || host.ends_with(".local")
            || host.ends_with(".test")
            || host.ends_with(".invalid")
            || host.contains("example")
        {
            continue;
        }
        let value = password.as_str();
        if !looks_random(value) {
            continue;
        }
        let near = syntax::window(text, password.start(), password.end(), 48);
        if placeholder(value, value, near).is_some()
            || decoded_says_placeholder(value)
            || neighbours_say_placeholder(ctx, line.number).is_some()
        {
            continue;
        }
        report(
            ctx,
            sink,
            &URL_PASSWORD,
            line.number,
            "password in a URL",
            value,
            None,
        );
    }
}

static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    // Unbounded repetitions on purpose: counted ones (`{0,256}`) unroll into a large automaton
    // that makes every capture search slow. Lengths are checked on the captured value instead.
    regex(
        r#"(?x)
        (?P<name>[A-Za-z_$][A-Za-z0-9_.\-]*)
        ["'\]]?\s*
        (?: :\s*[&*]?\s*(?:'static\s+)?(?:mut\s+)?[A-Za-z_][A-Za-z0-9_<>:,\[\]?]*\s* )?
        (?P<op>:=|=>|=|:)
        \s*
        (?: @?"(?P<dq>[^"\\]*)"
          | '(?P<sq>[^'\\]*)'
          | `(?P<bq>[^`\\$]*)`
          | (?P<bare>[^\s"'`,;)\]}]+) )
        "#,
    )
});

/// The last words of an identifier that make it a credential's name.
pub(super) fn is_credential_name(name: &str) -> bool {
    let words = identifier_words(name);
    let last = words.last().map(String::as_str).unwrap_or("");
    let before = words
        .len()
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .map(String::as_str)
        .unwrap_or("");
    let named = match last {
        "password" | "passwd" | "pwd" | "passphrase" | "passcode" | "secret" | "token"
        | "apikey" | "credential" | "credentials" | "secretkey" | "accesskey" | "authkey" => true,
        "key" => matches!(
            before,
            "api"
                | "secret"
                | "access"
                | "auth"
                | "private"
                | "master"
                | "signing"
                | "encryption"
                | "account"
                | "client"
                | "app"
                | "subscription"
        ),
        "word" => before == "pass",
        _ => false,
    };
    let disclaimed = words.iter().any(|word| {
        matches!(
            word.as_str(),
            "fake"
                | "dummy"
                | "test"
                | "mock"
                | "example"
                | "sample"
                | "placeholder"
                | "invalid"
                | "wrong"
                | "bad"
                | "bogus"
                | "random"
                | "public"
                | "next"
                | "page"
                | "csrf"
                | "xsrf"
        )
    });
    named && !disclaimed
}

/// Whether unquoted values are literals in this file (configuration formats and shell scripts),
/// rather than expressions.
fn bare_values_are_literals(ctx: &FileContext<'_>) -> bool {
    ctx.syntax.language == Language::Config
        || matches!(
            syntax::extension(ctx.path).as_str(),
            "sh" | "bash" | "zsh" | "ksh" | "env" | "ini"
        )
}

fn hardcoded_credential(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let bare_ok = bare_values_are_literals(ctx);
    // The lazy DFA finds candidate assignments cheaply; captures (a slower engine) run only on
    // those whose name is a credential's. Matching the same regex on the matched text alone
    // yields the same match, so offsets are shifted back by its start.
    for found in ASSIGNMENT.find_iter(text) {
        let leading_name = found
            .as_str()
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '$')))
            .next()
            .unwrap_or("");
        if !is_credential_name(leading_name) {
            continue;
        }
        let Some(caps) = ASSIGNMENT.captures(found.as_str()) else {
            continue;
        };
        let shift = found.start();
        let (Some(name), Some(op)) = (caps.get(1), caps.name("op")) else {
            continue;
        };
        let name = Shifted {
            text,
            start: name.start() + shift,
            end: name.end() + shift,
        };
        let op = Shifted {
            text,
            start: op.start() + shift,
            end: op.end() + shift,
        };
        if !is_credential_name(name.as_str()) {
            continue;
        }
        // A name inside a larger token (`arn:aws:…:secret:Name`, `a/secret/b`) is not assigned.
        if text[..name.start()].ends_with([':', '/', '\\']) {
            continue;
        }
        // `==`, `=~`, `=>` as a comparison or arrow in code.
        if text[op.end()..].starts_with(['=', '~']) {
            continue;
        }
        let value = match (
            caps.name("dq").or(caps.name("sq")).or(caps.name("bq")),
            caps.name("bare"),
        ) {
            (Some(quoted), _) => quoted,
            (None, Some(bare)) if bare_ok => bare,
            _ => continue,
        };
        let value = Shifted {
            text,
            start: value.start() + shift,
            end: value.end() + shift,
        };
        let secret = value.as_str();
        if !looks_random(secret) {
            continue;
        }
        let near = syntax::window(text, value.start(), value.end(), 48);
        if placeholder(secret, secret, near).is_some()
            || decoded_says_placeholder(secret)
            || neighbours_say_placeholder(ctx, line.number).is_some()
        {
            continue;
        }
        let shown = redact(secret);
        let name = name.as_str().trim_start_matches('$').to_string();
        let entropy = shannon_entropy(secret);
        let severity = severity_for(ctx, &HARDCODED_CREDENTIAL, line.number);
        let note = fixture_note(severity);
        sink.push(&HARDCODED_CREDENTIAL, line.number, severity, || {
            format!(
                "`{name}` is assigned a literal that looks like a real credential (`{shown}`, \
                 {entropy:.1} bits of entropy per character). Treat it as leaked: rotate it and \
                 read it from a secret store or a secret pipeline variable.{note}"
            )
        });
    }
}

/// A span of the line, like `regex::Match`, for captures taken on a slice of it.
struct Shifted<'t> {
    text: &'t str,
    start: usize,
    end: usize,
}

impl<'t> Shifted<'t> {
    fn as_str(&self) -> &'t str {
        &self.text[self.start..self.end]
    }
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
}
