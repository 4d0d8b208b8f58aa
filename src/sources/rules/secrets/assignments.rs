//! Assignments: credentials known by where they are written rather than by their format: a
//! value assigned to a credential's name (`password = "…"`, `aws_secret_access_key: …`, a key
//! name holding an 88-character storage key), a password in a URL, and keys inside connection
//! strings.

use std::sync::LazyLock;

use regex::Regex;

use super::judgement::{
    decoded_says_placeholder, encrypted_document, fixture_note, identifier_words, is_ciphertext,
    looks_random, neighbours_say_placeholder, placeholder, severity_for, shannon_entropy,
};
use super::providers::pipeline_variable_name;
use super::redaction::{redact, report};
use super::{ends_cleanly, is_base64, regex, secret_rule, standalone};
use crate::sources::rules::registry::Rule;
use crate::sources::rules::syntax::{self, Language};
use crate::sources::rules::{FileContext, Line, Sink};

pub(in crate::sources::rules) static AWS_SECRET_KEY: Rule = secret_rule(
    "secrets/aws-secret-key",
    "A 40-character AWS secret access key is assigned to a name such as aws_secret_access_key, \
     or passed as a string argument next to an access key id (`new BasicAWSCredentials(\"AKIA…\", \
     \"…\")`, `credentials.NewStaticCredentials(…)`, `boto3.client(…)`). Together with its \
     access key id it grants whatever the IAM identity can do, and git keeps it in the history \
     even after the line is removed. Deactivate the key pair in IAM, issue a new one and load it \
     from a secret store or a secret pipeline variable.",
    &[
        "secret_access_key",
        "secretaccesskey",
        "secret-access-key",
        "aws_secret",
        "awssecret",
        "akia",
        "asia",
    ],
    false,
    aws_secret_key,
);

pub(in crate::sources::rules) static AWS_SESSION_TOKEN: Rule = secret_rule(
    "secrets/aws-session-token",
    "An AWS session token (the long base64 token of temporary STS credentials, as in \
     `aws_session_token = …` or `AWS_SESSION_TOKEN=…`) is committed. With its temporary key \
     pair it acts as the assumed role until it expires, often for hours. Revoke the role's \
     active sessions in IAM if it may still be valid, and let the pipeline obtain temporary \
     credentials through a service connection instead.",
    &[
        "session_token",
        "sessiontoken",
        "session-token",
        "iqojb3jpz2lux2vj",
        "fwogzxivyxdz",
    ],
    false,
    aws_session_token,
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
    "A literal that looks random (long enough, mixed characters, high Shannon entropy) is given \
     to a name such as password, secret, token, api_key or client_secret (or one ending so, like \
     PGPASSWORD): assigned (`name = …`, `name: …`), passed as a command-line flag \
     (`--password …`, `-StorageAccountKey \"…\"`), written as an XML element or a NuGet \
     `<add key=\"ClearTextPassword\" value=\"…\"/>`, defined (`define('DB_PASSWORD', '…')`), \
     set in a connection string (`…;Password=…;`), the value of a pipeline variable of that name \
     or the `default` of a Terraform variable marked `sensitive`. References and templates \
     (`${VAR}`, `$(Var)`, `{{ x }}`, `%(x)s`, environment lookups, function calls), encrypted \
     values (SOPS, Ansible Vault), file paths, ordinary words and placeholders (`changeme`, \
     `xxxx`, `<your-key>`) are skipped. Treat the value as leaked: rotate it and read it from a \
     secret store or a secret pipeline variable.",
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
        "accountkey",
        "account-key",
        "account_key",
        // Terraform's `default = "…"`, aligned by `terraform fmt`.
        "default =",
        "default  ",
        "default=",
        "value:",
    ],
    false,
    hardcoded_credential,
);

pub(in crate::sources::rules) static URL_PASSWORD: Rule = secret_rule(
    "secrets/url-password",
    "A URL carries a password in its user-info part (`scheme://user:password@host`), as in \
     database, message-broker and package-feed URLs, or a data source name does without a \
     scheme (`user:password@tcp(host)/db`). The password travels with every copy of the file \
     and of its history. Rotate the password and build the URL from a secret at run time. URLs \
     to the local machine and placeholder passwords are not reported.",
    &["://", "@tcp(", "@unix(", "@udp("],
    false,
    url_password,
);

static AWS_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i)(?:aws[_.-]?secret(?:[_.-]?access)?(?:[_.-]?key)?|secret[_.-]?access[_.-]?key)[a-z_]*["'\]]?\s*(?::=|=>|=|:|,)\s*[@$]?["'`]?([A-Za-z0-9/+]{40})"#,
    )
});

/// A quoted 40-character string: an argument that may be a secret access key.
static QUOTED_40: LazyLock<Regex> = LazyLock::new(|| regex(r#"["'`]([A-Za-z0-9/+]{40})["'`]"#));

/// An AWS access key id as a quoted argument.
static QUOTED_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"["'`](?:AKIA|ASIA)[A-Z0-9]{16}["'`]"#));

fn aws_secret_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let named = AWS_SECRET
        .captures_iter(text)
        .filter_map(|caps| caps.get(1));
    // `new BasicAWSCredentials("AKIA…", "…")`, `NewStaticCredentials("AKIA…", "…", "")`:
    // a quoted 40-character argument after a quoted key id on the same line.
    let after_key_id = QUOTED_KEY_ID.find(text).map(|id| id.end());
    let as_argument = after_key_id.into_iter().flat_map(|from| {
        QUOTED_40
            .captures_iter(text)
            .filter_map(|caps| caps.get(1))
            .filter(move |secret| secret.start() > from)
            .filter(|secret| {
                let value = secret.as_str();
                value.bytes().any(|b| b.is_ascii_lowercase())
                    && value.bytes().any(|b| b.is_ascii_uppercase())
            })
    });
    for secret in named.chain(as_argument) {
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

/// A data source name without a scheme, as Go's MySQL driver takes it:
/// `user:password@tcp(host:3306)/db`.
static DSN_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?:^|[\s"'`=])([A-Za-z0-9_.\-]{1,64}):([^\s:/@"'`<>]{1,128})@(?:tcp|udp|unix)\(([A-Za-z0-9.\-\[\]:]{1,255})"#,
    )
});

fn url_password(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in URL_USERINFO
        .captures_iter(text)
        .chain(DSN_USERINFO.captures_iter(text))
    {
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
        if !looks_random(value) || sink.is_claimed(password.start(), password.end()) {
            continue;
        }
        let near = syntax::window(text, password.start(), password.end(), 48);
        if placeholder(value, value, near).is_some()
            || decoded_says_placeholder(value)
            || neighbours_say_placeholder(ctx, line.number, false).is_some()
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
        // `secret_key_base` (Rails).
        "base" => before == "key" && words.len() >= 3 && words[words.len() - 3] == "secret",
        // One word ending in a credential's name: `PGPASSWORD`, `dbpassword`, `accesstoken`.
        _ => ["password", "passwd", "secret", "token"]
            .iter()
            .any(|suffix| {
                last.len() > suffix.len()
                    && last.ends_with(suffix)
                    && ![
                        "csrf",
                        "xsrf",
                        "page",
                        "next",
                        "continuation",
                        "cancel",
                        "sync",
                        "resume",
                        "public",
                        "refresh",
                        "id",
                    ]
                    .iter()
                    .any(|prefix| last.starts_with(prefix))
            }),
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
    assigned(ctx, line, sink);
    if text.contains(" -") || text.starts_with('-') {
        flags(ctx, line, sink);
    }
    if text.contains("</") || text.contains("value=") {
        xml(ctx, line, sink);
    }
    if text.contains("\",") || text.contains("',") {
        name_value_arguments(ctx, line, sink);
    }
    if text.contains(';') && text.bytes().filter(|&b| b == b'=').nth(1).is_some() {
        connection_string(ctx, line, sink);
    }
    pipeline_variable(ctx, line, sink);
    if ctx.path.ends_with(".tf") || ctx.path.ends_with(".hcl") {
        terraform_default(ctx, line, sink);
    }
}

/// `name = "…"`, `name: …`, `"name" => '…'`.
fn assigned(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
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
        let bare = caps
            .name("bare")
            .is_some_and(|bare| bare.start() + shift == value.start());
        let name = name.as_str().trim_start_matches('$');
        judge_credential(ctx, line, sink, name, (value.start(), value.end()), bare);
    }
}

/// Judges a literal given to a credential's name and reports it if it looks real: not a
/// reference, a template, ciphertext, words or a placeholder, and not already reported.
fn judge_credential(
    ctx: &FileContext<'_>,
    line: &Line<'_>,
    sink: &mut Sink,
    name: &str,
    (start, end): (usize, usize),
    bare: bool,
) {
    let text = line.text;
    let Some(secret) = text.get(start..end) else {
        return;
    };
    // YAML anchors, aliases, tags and block scalars are syntax, not the value.
    if bare && secret.starts_with(['&', '*', '!', '|', '>']) {
        return;
    }
    // SOPS ciphertext (`ENC[AES256_GCM,data:…,iv:…]`), whichever part of it a pattern took.
    if is_ciphertext(secret)
        || text[..start].contains("ENC[")
        || !looks_random(secret)
        || sink.is_claimed(start, end)
    {
        return;
    }
    let near = syntax::window(text, start, end, 48);
    if placeholder(secret, secret, near).is_some()
        || decoded_says_placeholder(secret)
        || neighbours_say_placeholder(ctx, line.number, false).is_some()
        || encrypted_document(ctx)
    {
        return;
    }
    sink.claim(start, end);
    let shown = redact(secret);
    let name = name.to_string();
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

/// The quoted or bare value a pattern captured, and whether it was bare.
fn captured_value(caps: &regex::Captures<'_>) -> Option<((usize, usize), bool)> {
    if let Some(quoted) = caps.name("dq").or(caps.name("sq")) {
        return Some(((quoted.start(), quoted.end()), false));
    }
    caps.name("bare")
        .map(|bare| ((bare.start(), bare.end()), true))
}

/// A command-line flag and its value: `--password …`, `--account-key "…"`,
/// `-StorageAccountKey '…'`, `--client-secret=…`.
static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?:^|[\s"'(\[,])--?(?P<name>[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?:[ \t]+|=)(?:"(?P<dq>[^"\\]*)"|'(?P<sq>[^'\\]*)'|(?P<bare>[^\s"'`;|&)\]]+))"#,
    )
});

fn flags(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    for caps in FLAG.captures_iter(line.text) {
        let Some(name) = caps.name("name") else {
            continue;
        };
        if !is_credential_name(name.as_str()) {
            continue;
        }
        let Some((span, bare)) = captured_value(&caps) else {
            continue;
        };
        // A bare value that starts another flag is not this flag's value.
        if bare && line.text[span.0..].starts_with('-') {
            continue;
        }
        let shown = format!("-{}", name.as_str());
        judge_credential(ctx, line, sink, &shown, span, bare);
    }
}

/// `<password>…</password>`, and `<add key="ClearTextPassword" value="…" />` as in NuGet.config
/// and .NET app settings.
static XML_ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"<(?P<name>[A-Za-z_][\w.:-]*)>(?P<bare>[^<>\s]+)</(?P<close>[A-Za-z_][\w.:-]*)>"#)
});
static XML_KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"\bkey\s*=\s*"(?P<name>[^"]{1,64})"\s+value\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')"#)
});

fn xml(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    for caps in XML_ELEMENT.captures_iter(line.text) {
        let (Some(name), Some(close), Some(value)) =
            (caps.name("name"), caps.name("close"), caps.name("bare"))
        else {
            continue;
        };
        if name.as_str() == close.as_str() && is_credential_name(name.as_str()) {
            judge_credential(
                ctx,
                line,
                sink,
                name.as_str(),
                (value.start(), value.end()),
                false,
            );
        }
    }
    for caps in XML_KEY_VALUE.captures_iter(line.text) {
        let Some(name) = caps.name("name") else {
            continue;
        };
        if !is_credential_name(name.as_str()) {
            continue;
        }
        if let Some((span, _)) = captured_value(&caps) {
            judge_credential(ctx, line, sink, name.as_str(), span, false);
        }
    }
}

/// A quoted name then a quoted value as arguments: `define('DB_PASSWORD', '…')`,
/// `setenv("API_TOKEN", "…")`, `headers.put("X-Api-Key", "…")`.
static NAME_VALUE_ARGUMENTS: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"["'](?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)["']\s*,\s*(?:"(?P<dq>[^"\\]*)"|'(?P<sq>[^'\\]*)')"#,
    )
});

fn name_value_arguments(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    for caps in NAME_VALUE_ARGUMENTS.captures_iter(line.text) {
        let Some(name) = caps.name("name") else {
            continue;
        };
        if !is_credential_name(name.as_str()) {
            continue;
        }
        if let Some((span, _)) = captured_value(&caps) {
            judge_credential(ctx, line, sink, name.as_str(), span, false);
        }
    }
}

/// `Password=…;` inside a connection string (`Server=…;User Id=…;Password=…;`), quoted or not.
static CONNECTION_PAIR: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"(?:^|[;"'])\s*(?P<name>[A-Za-z][A-Za-z0-9 _.]*?)\s*=\s*(?P<bare>[^;"'\s]+)"#)
});

fn connection_string(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    for caps in CONNECTION_PAIR.captures_iter(line.text) {
        let (Some(name), Some(value)) = (caps.name("name"), caps.name("bare")) else {
            continue;
        };
        // A pair of a connection string: another pair before it, or one after it (a lone
        // `name = value;` is a statement).
        let after = line.text[value.end()..].trim_start();
        let in_connection = line.text[..name.start()].trim_end().ends_with(';')
            || after.strip_prefix(';').is_some_and(|rest| {
                rest.split(['"', '\''])
                    .next()
                    .is_some_and(|pairs| pairs.contains('='))
            });
        if in_connection && is_credential_name(name.as_str()) {
            judge_credential(
                ctx,
                line,
                sink,
                name.as_str(),
                (value.start(), value.end()),
                false,
            );
        }
    }
}

/// `value: …` of a pipeline variable whose `- name:` is a credential's.
fn pipeline_variable(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let trimmed = text.trim_start();
    let Some(rest) = trimmed
        .strip_prefix("value:")
        .or_else(|| trimmed.strip_prefix("- value:"))
    else {
        return;
    };
    let Some(name) = pipeline_variable_name(ctx, line.number) else {
        return;
    };
    if !is_credential_name(name) {
        return;
    }
    let offset = text.len() - rest.len();
    let value = rest.trim();
    let start = offset + (rest.len() - rest.trim_start().len());
    let (start, end, bare) = match value.as_bytes().first() {
        Some(b'"' | b'\'') if value.len() >= 2 && value.ends_with(&value[..1]) => {
            (start + 1, start + value.len() - 1, false)
        }
        _ => (start, start + value.len(), true),
    };
    judge_credential(ctx, line, sink, name, (start, end), bare);
}

static TERRAFORM_DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"^\s*default\s*=\s*"(?P<dq>[^"\\]*)""#));
static TERRAFORM_VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"^\s*variable\s+"(?P<name>[^"]+)"\s*\{"#));
static TERRAFORM_SENSITIVE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s*sensitive\s*=\s*true\b"));

/// The `default` of a Terraform variable that is marked `sensitive = true` or named as a
/// credential.
fn terraform_default(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let Some(value) = TERRAFORM_DEFAULT
        .captures(line.text)
        .and_then(|caps| caps.name("dq"))
    else {
        return;
    };
    // The enclosing `variable "…" {`, within a few lines above and before any closing brace.
    let Some((header, name)) = enclosing_variable(ctx, line.number) else {
        return;
    };
    let sensitive = (header + 1..header + 40)
        .map_while(|number| ctx.line_text(number).filter(|text| !text.starts_with('}')))
        .any(|text| TERRAFORM_SENSITIVE.is_match(text));
    if sensitive || is_credential_name(name) {
        let shown = format!("var.{name}");
        judge_credential(ctx, line, sink, &shown, (value.start(), value.end()), false);
    }
}

/// The line and name of the Terraform `variable "name" {` block that holds `number`.
fn enclosing_variable<'a>(ctx: &FileContext<'a>, number: u32) -> Option<(u32, &'a str)> {
    for offset in 1..=30 {
        let above = number.checked_sub(offset)?;
        let text = ctx.line_text(above)?;
        if let Some(name) = TERRAFORM_VARIABLE
            .captures(text)
            .and_then(|caps| caps.name("name"))
        {
            return Some((above, name.as_str()));
        }
        if text.starts_with('}') {
            return None;
        }
    }
    None
}

/// The AWS session token assigned to a name such as `aws_session_token`, or any token that
/// starts like an STS session token (`IQoJb3JpZ2luX2Vj…`, `FwoGZXIvYXdzE…`).
static AWS_SESSION: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?i:session[_.-]?token)[a-z_]*["'\]]?\s*(?::=|=>|=|:|,)\s*[@$]?["'`]?([A-Za-z0-9/+]{100,}={0,2})|(?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdzE)[A-Za-z0-9/+]{96,}={0,2}"#,
    )
});

fn aws_session_token(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in AWS_SESSION.captures_iter(text) {
        let Some(secret) = caps.get(1).or_else(|| caps.get(0)) else {
            continue;
        };
        if !standalone(text, secret.start(), secret.end(), is_base64) {
            continue;
        }
        let value = secret.as_str();
        let near = syntax::window(text, secret.start(), secret.end(), 64);
        let verdict = placeholder(value, value, near);
        if verdict.is_none() && shannon_entropy(value) < 4.5 {
            continue;
        }
        report(
            ctx,
            sink,
            &AWS_SESSION_TOKEN,
            line.number,
            "AWS session token",
            value,
            verdict,
        );
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
