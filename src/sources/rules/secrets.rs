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

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use super::syntax::{self, Language};
use super::{FileContext, Line, Probe, ProbeSet, RuleInfo, Sink};
use crate::finding::{Category, Severity};

const fn secret_rule(code: &'static str, explanation: &'static str) -> RuleInfo {
    RuleInfo {
        code,
        severity: Severity::Critical,
        category: Category::Security,
        explanation,
    }
}

pub(super) const AWS_ACCESS_KEY: RuleInfo = secret_rule(
    "secrets/aws-access-key",
    "An AWS access key id (20 characters starting with AKIA for long-term keys or ASIA for \
     temporary ones) is committed. On its own it identifies a key, and it is almost always \
     accompanied by its secret access key; anyone who can read the repository, its forks or its \
     history can use the pair. Deactivate the key in IAM, create a new one, and give it to the \
     build through a secret variable or a service connection instead of the source tree.",
);

pub(super) const AWS_SECRET_KEY: RuleInfo = secret_rule(
    "secrets/aws-secret-key",
    "A 40-character AWS secret access key is assigned to a name such as aws_secret_access_key. \
     Together with its access key id it grants whatever the IAM identity can do, and git keeps \
     it in the history even after the line is removed. Deactivate the key pair in IAM, issue a \
     new one and load it from a secret store or a secret pipeline variable.",
);

pub(super) const AZURE_STORAGE_KEY: RuleInfo = secret_rule(
    "secrets/azure-storage-key",
    "An 88-character base64 key ending in `==` (the shape of an Azure storage account key) is \
     assigned to a key name. A storage account key grants full control of every blob, queue, \
     table and file share in the account. Rotate the key in the portal (Access keys), and use \
     a managed identity, Key Vault or a secret pipeline variable instead.",
);

pub(super) const AZURE_STORAGE_CONNECTION_STRING: RuleInfo = secret_rule(
    "secrets/azure-storage-connection-string",
    "An Azure storage connection string with an embedded `AccountKey=` is committed. The key in \
     it grants full control of the storage account. Rotate the account key, then read the \
     connection string from Key Vault, app settings or a secret pipeline variable, or switch to \
     a managed identity. The public development-storage key of the emulator is reported as a \
     placeholder.",
);

pub(super) const AZURE_SHARED_ACCESS_KEY: RuleInfo = secret_rule(
    "secrets/azure-shared-access-key",
    "A `SharedAccessKey=` with a 44-character key is committed, as found in Azure Service Bus, \
     Event Hubs, IoT Hub and Relay connection strings. The key signs tokens for whatever rights \
     its policy grants (send, listen, manage). Regenerate the key on the policy and load the \
     connection string from a secret store, or use a managed identity.",
);

pub(super) const AZURE_DEVOPS_PAT: RuleInfo = secret_rule(
    "secrets/azure-devops-pat",
    "An Azure DevOps personal access token in the 84-character format (its characters 77 to 80 \
     are the `AZDO` signature) is committed. It acts as its owner with the token's scopes, \
     across every organisation it was created for. Revoke it under User settings > Personal \
     access tokens and pass credentials to pipelines as secret variables or service \
     connections.",
);

pub(super) const GITHUB_TOKEN: RuleInfo = secret_rule(
    "secrets/github-token",
    "A GitHub token is committed: a classic personal access token (`ghp_`), an OAuth token \
     (`gho_`), a user-to-server or server-to-server token (`ghu_`, `ghs_`), a refresh token \
     (`ghr_`) or a fine-grained personal access token (`github_pat_`). It acts with its owner's \
     rights on every repository it can reach. Revoke it in the GitHub settings and keep tokens in \
     secret variables.",
);

pub(super) const SLACK_TOKEN: RuleInfo = secret_rule(
    "secrets/slack-token",
    "A Slack API token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-` or `xoxe-`) is committed. \
     Bot and user tokens can read and post messages and files in every channel they can see. \
     Revoke the token in the Slack app's settings and load it from a secret store.",
);

pub(super) const SLACK_WEBHOOK: RuleInfo = secret_rule(
    "secrets/slack-webhook",
    "A Slack incoming webhook URL (`hooks.slack.com/services/…`) is committed. Anyone who has \
     the URL can post messages to the channel it belongs to, for example convincing phishing \
     messages. Regenerate the webhook in the Slack app's settings and keep the URL in a secret \
     variable.",
);

pub(super) const STRIPE_LIVE_KEY: RuleInfo = secret_rule(
    "secrets/stripe-live-key",
    "A Stripe live-mode secret or restricted key (`sk_live_`, `rk_live_`) is committed. Live \
     keys move real money: they can create charges and refunds and read customer data. Roll the \
     key in the Stripe dashboard and load it from a secret store; use test-mode keys in code and \
     tests.",
);

pub(super) const GOOGLE_API_KEY: RuleInfo = secret_rule(
    "secrets/google-api-key",
    "A Google API key (`AIza` followed by 35 characters) is committed. Unless it is restricted \
     to specific APIs and referrers, anyone can use it and bill the project for the usage. \
     Restrict or regenerate the key in the Google Cloud console and keep unrestricted keys out \
     of the source tree.",
);

pub(super) const OPENAI_API_KEY: RuleInfo = secret_rule(
    "secrets/openai-api-key",
    "An OpenAI API key (an `sk-` key carrying the `T3BlbkFJ` signature) is committed. It lets \
     anyone call the API on the owner's account and budget. Revoke it on the API keys page and \
     pass it to pipelines as a secret variable.",
);

pub(super) const NPM_TOKEN: RuleInfo = secret_rule(
    "secrets/npm-token",
    "An npm access token (`npm_` followed by 36 characters) is committed. Publish-capable \
     tokens let anyone publish new versions of the owner's packages, a classic supply-chain \
     attack. Revoke the token on npmjs.com and keep it in a secret variable or an `.npmrc` \
     outside the repository.",
);

pub(super) const PRIVATE_KEY: RuleInfo = secret_rule(
    "secrets/private-key",
    "A PEM or OpenSSH private key block (`-----BEGIN … PRIVATE KEY-----` followed by key data) \
     is committed. Whoever holds a private key can impersonate its owner: sign code and tokens, \
     decrypt traffic, log in over SSH. Public keys and certificates are not reported; an \
     encrypted key (which a passphrase still protects) is reported as `major`. Replace the key \
     pair and keep private keys in a key vault or a secure file of the pipeline.",
);

pub(super) const JWT: RuleInfo = secret_rule(
    "secrets/jwt",
    "A signed JSON Web Token is committed (three base64url parts whose header decodes to JSON \
     with an `alg`). A JWT is a bearer credential: until it expires, anyone who has it is \
     whoever it names. Revoke the session or rotate the signing key if it may still be valid, \
     and build test tokens at run time instead of committing them.",
);

pub(super) const HARDCODED_CREDENTIAL: RuleInfo = secret_rule(
    "secrets/hardcoded-credential",
    "A literal that looks random (long enough, mixed characters, high Shannon entropy) is \
     assigned to a name such as password, secret, token, api_key or client_secret. References \
     (`${VAR}`, `$(Var)`, `{{ x }}`, environment lookups, function calls), file paths, ordinary \
     words and placeholders (`changeme`, `xxxx`, `<your-key>`) are skipped. Treat the value as \
     leaked: rotate it and read it from a secret store or a secret pipeline variable.",
);

pub(super) const URL_PASSWORD: RuleInfo = secret_rule(
    "secrets/url-password",
    "A URL carries a password in its user-info part (`scheme://user:password@host`), as in \
     database, message-broker and package-feed URLs. The password travels with every copy of \
     the file and of its history. Rotate the password and build the URL from a secret at run \
     time. URLs to the local machine and placeholder passwords are not reported.",
);

/// Runs the secret checks that the line's probes point at.
pub(super) fn check_line(
    ctx: &FileContext<'_>,
    line: &Line<'_>,
    probes: ProbeSet,
    sink: &mut Sink,
) {
    if probes.contains(Probe::AwsKeyId) {
        scan_tokens(ctx, &AWS_KEY_ID, line, sink);
    }
    if probes.contains(Probe::AwsSecret) {
        aws_secret_key(ctx, line, sink);
    }
    if probes.contains(Probe::AzureConnection) {
        azure_connection_string(ctx, line, sink);
    }
    if probes.contains(Probe::AzureSharedKey) {
        scan_tokens(ctx, &AZURE_SHARED, line, sink);
    }
    if probes.contains(Probe::AzureKeyValue) {
        azure_storage_key(ctx, line, sink);
    }
    if probes.contains(Probe::AzureDevOps) {
        azure_devops_pat(ctx, line, sink);
    }
    if probes.contains(Probe::GitHub) {
        scan_tokens(ctx, &GITHUB, line, sink);
    }
    if probes.contains(Probe::Slack) {
        scan_tokens(ctx, &SLACK, line, sink);
    }
    if probes.contains(Probe::SlackWebhook) {
        slack_webhook(ctx, line, sink);
    }
    if probes.contains(Probe::Stripe) {
        scan_tokens(ctx, &STRIPE, line, sink);
    }
    if probes.contains(Probe::Google) {
        scan_tokens(ctx, &GOOGLE, line, sink);
    }
    if probes.contains(Probe::OpenAi) {
        scan_tokens(ctx, &OPENAI, line, sink);
    }
    if probes.contains(Probe::Npm) {
        scan_tokens(ctx, &NPM, line, sink);
    }
    if probes.contains(Probe::PrivateKey) {
        private_key(ctx, line, sink);
    }
    if probes.contains(Probe::Jwt) {
        jwt(ctx, line, sink);
    }
    if probes.contains(Probe::UrlPassword) {
        url_password(ctx, line, sink);
    }
    if probes.contains(Probe::Credential) {
        hardcoded_credential(ctx, line, sink);
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

/// A credential format recognised by signature and shape alone.
struct TokenFormat {
    rule: &'static RuleInfo,
    /// What the message calls it.
    name: &'static str,
    regex: LazyLock<Regex>,
    /// Characters that may not touch the token on either side.
    kind: fn(u8) -> bool,
    /// The capture group holding the secret (0 for the whole match).
    group: usize,
    /// Length of the fixed signature at the start of the secret.
    prefix: usize,
}

static AWS_KEY_ID: TokenFormat = TokenFormat {
    rule: &AWS_ACCESS_KEY,
    name: "AWS access key id",
    regex: LazyLock::new(|| regex(r"(?:AKIA|ASIA)[A-Z0-9]{16}")),
    kind: is_alnum,
    group: 0,
    prefix: 4,
};

static AZURE_SHARED: TokenFormat = TokenFormat {
    rule: &AZURE_SHARED_ACCESS_KEY,
    name: "Azure shared access key",
    regex: LazyLock::new(|| regex(r"(?i:SharedAccessKey)=([A-Za-z0-9+/]{43}=)")),
    kind: is_base64,
    group: 1,
    prefix: 0,
};

static GITHUB: TokenFormat = TokenFormat {
    rule: &GITHUB_TOKEN,
    name: "GitHub token",
    regex: LazyLock::new(|| {
        regex(r"gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{80,251}")
    }),
    kind: is_word,
    group: 0,
    prefix: 4,
};

static SLACK: TokenFormat = TokenFormat {
    rule: &SLACK_TOKEN,
    name: "Slack token",
    regex: LazyLock::new(|| regex(r"xox[abeprs]-[0-9]{1,16}-[A-Za-z0-9-]{10,250}")),
    kind: is_alnum,
    group: 0,
    prefix: 5,
};

static STRIPE: TokenFormat = TokenFormat {
    rule: &STRIPE_LIVE_KEY,
    name: "Stripe live key",
    regex: LazyLock::new(|| regex(r"[sr]k_live_[A-Za-z0-9]{20,247}")),
    kind: is_word,
    group: 0,
    prefix: 8,
};

static GOOGLE: TokenFormat = TokenFormat {
    rule: &GOOGLE_API_KEY,
    name: "Google API key",
    regex: LazyLock::new(|| regex(r"AIza[0-9A-Za-z_-]{35}")),
    kind: is_base64url,
    group: 0,
    prefix: 4,
};

static OPENAI: TokenFormat = TokenFormat {
    rule: &OPENAI_API_KEY,
    name: "OpenAI API key",
    regex: LazyLock::new(|| regex(r"sk-[A-Za-z0-9_-]{8,200}T3BlbkFJ[A-Za-z0-9_-]{8,200}")),
    kind: is_base64url,
    group: 0,
    prefix: 3,
};

static NPM: TokenFormat = TokenFormat {
    rule: &NPM_TOKEN,
    name: "npm access token",
    regex: LazyLock::new(|| regex(r"npm_[A-Za-z0-9]{36}")),
    kind: is_alnum,
    group: 0,
    prefix: 4,
};

fn scan_tokens(ctx: &FileContext<'_>, format: &TokenFormat, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let ceiling = severity_for(ctx, format.rule, line.number);
    let judge = |whole: regex::Match<'_>, secret: regex::Match<'_>, sink: &mut Sink| {
        // A signature inside the match (`SharedAccessKey=`) bounds the start already.
        let bounded = if format.group == 0 {
            standalone(text, whole.start(), whole.end(), format.kind)
        } else {
            ends_cleanly(text, whole.end(), format.kind)
        };
        if !bounded || sink.fold_if_settled(format.rule, line.number, ceiling) {
            return;
        }
        let value = secret.as_str();
        let body = value.get(format.prefix..).unwrap_or(value);
        let near = syntax::window(text, whole.start(), whole.end(), 48);
        let verdict = placeholder(value, body, near);
        report(
            ctx,
            sink,
            format.rule,
            line.number,
            format.name,
            value,
            verdict,
        );
    };
    if format.group == 0 {
        for found in format.regex.find_iter(text) {
            judge(found, found, sink);
        }
    } else {
        for caps in format.regex.captures_iter(text) {
            if let (Some(whole), Some(secret)) = (caps.get(0), caps.get(format.group)) {
                judge(whole, secret, sink);
            }
        }
    }
}

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

/// SHA-256 digests of credentials published in documentation, which are placeholders wherever
/// they appear (kept as digests so that this file does not hold them): each entry is the
/// value's length, its digest, and why it is a placeholder.
const PUBLISHED: &[(usize, &str, &str)] = &[
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

fn published(value: &str) -> Option<&'static str> {
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
fn assigned_name(text: &str, start: usize) -> Option<&str> {
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

/// New-format Azure DevOps PATs: 84 alphanumerics whose characters 76..80 (0-based) are `AZDO`.
fn azure_devops_pat(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut searched = 0;
    while let Some(found) = syntax::find(&bytes[searched..], b"AZDO") {
        let at = searched + found;
        searched = at + 4;
        let Some(start) = at.checked_sub(76) else {
            continue;
        };
        let end = start + 84;
        let Some(candidate) = bytes.get(start..end) else {
            continue;
        };
        if !candidate.iter().all(|b| b.is_ascii_alphanumeric())
            || !standalone(text, start, end, is_alnum)
        {
            continue;
        }
        let value = &text[start..end];
        let near = syntax::window(text, start, end, 48);
        report(
            ctx,
            sink,
            &AZURE_DEVOPS_PAT,
            line.number,
            "Azure DevOps personal access token",
            value,
            placeholder(value, &value[..52], near),
        );
    }
}

static SLACK_HOOK: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{6,}(?:/[A-Za-z0-9]{6,}){2,3})",
    )
});

fn slack_webhook(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in SLACK_HOOK.captures_iter(text) {
        let (Some(whole), Some(path)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let value = path.as_str();
        let secret = value.rsplit('/').next().unwrap_or(value);
        let near = syntax::window(text, whole.start(), whole.end(), 48);
        let verdict = placeholder(value, secret, near);
        let shown = format!("https://hooks.slack.com/…/{}", redact(secret));
        let message = move |_: &str| shown;
        report_with(
            ctx,
            sink,
            &SLACK_WEBHOOK,
            line.number,
            "Slack webhook URL",
            value,
            verdict,
            message,
        );
    }
}

static PRIVATE_KEY_HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"));

/// Whether `text` starts with key data: at least 40 base64 characters, or a few followed by an
/// ellipsis (an elided key in documentation, which the placeholder test then recognises).
fn starts_with_key_data(text: &str) -> bool {
    let run = text.bytes().take_while(|&b| is_base64(b)).count();
    run >= 40 || (run >= 4 && (text[run..].starts_with("...") || text[run..].starts_with('…')))
}

fn private_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    for caps in PRIVATE_KEY_HEADER.captures_iter(text) {
        let Some(header) = caps.get(0) else { continue };
        let kind = caps.get(1).map_or("", |m| m.as_str().trim());
        let rest = &text[header.end()..];
        // Key data right after an escaped newline (a key inside a JSON or code string), or on
        // the following lines (a PEM file), after optional `Key: value` headers.
        let inline = ["\\r\\n", "\\n", "\\\\n"]
            .iter()
            .find_map(|newline| rest.strip_prefix(newline))
            .map(|body| body.trim_start_matches(['\\', 'n']));
        let body = match inline {
            Some(body) if starts_with_key_data(body) => Some(body),
            Some(_) => None,
            None if rest
                .trim()
                .trim_matches(['"', '\'', ',', '`', '\\', '+'])
                .is_empty() =>
            {
                following_key_data(ctx, line.number)
            }
            None => None,
        };
        let Some(body) = body else { continue };
        let data: String = body.chars().take(64).collect();
        let near = syntax::window(text, header.start(), header.end(), 48);
        let verdict = placeholder(&data, &data, near);
        // A passphrase still protects an encrypted key (PKCS#8 `ENCRYPTED PRIVATE KEY`, or a
        // legacy PEM with a `Proc-Type: 4,ENCRYPTED` header).
        let encrypted =
            kind.contains("ENCRYPTED") || following_lines_say_encrypted(ctx, line.number);
        let what = if kind.is_empty() {
            "private key".to_string()
        } else {
            format!("private key ({kind})")
        };
        let severity = match (verdict, encrypted) {
            (Some(_), _) => Severity::Info,
            (None, true) => Severity::Major.min(severity_for(ctx, &PRIVATE_KEY, line.number)),
            (None, false) => severity_for(ctx, &PRIVATE_KEY, line.number),
        };
        let note = fixture_note(severity);
        sink.push(&PRIVATE_KEY, line.number, severity, || {
            let message = match (verdict, encrypted) {
                (Some(reason), _) => format!(
                    "A {what} block is added, but its data looks like a placeholder ({reason}); \
                 nothing to do if it is not a real key."
                ),
                (None, true) => format!(
                    "A {what} block is committed. It is encrypted, so it is only as safe as its \
                 passphrase: replace the key pair and keep the private key in a key vault or a \
                 secure file."
                ),
                (None, false) => format!(
                    "A {what} block is committed in clear text. Treat the key as compromised: \
                 replace the key pair and keep the private key in a key vault or a secure file."
                ),
            };
            message + note
        });
    }
}

/// Whether the PEM headers after a header line mark the key as encrypted.
fn following_lines_say_encrypted(ctx: &FileContext<'_>, header_line: u32) -> bool {
    (1..=2).any(|offset| {
        header_line
            .checked_add(offset)
            .and_then(|number| ctx.line_text(number))
            .is_some_and(|text| text.contains("Proc-Type: 4,ENCRYPTED"))
    })
}

/// The first line of key data after a PEM header line, skipping `Key: value` headers and blank
/// lines (at most a few).
fn following_key_data<'a>(ctx: &FileContext<'a>, header_line: u32) -> Option<&'a str> {
    for offset in 1..=4 {
        let next = ctx.line_text(header_line.checked_add(offset)?)?;
        let body = next.trim().trim_start_matches(['"', '\'', '`', '+', ' ']);
        if starts_with_key_data(body) {
            return Some(body);
        }
        let is_header = body.is_empty()
            || body.split_once(':').is_some_and(|(k, _)| {
                !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !is_header {
            return None;
        }
    }
    None
}

static JWT_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}"));

fn jwt(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let ceiling = severity_for(ctx, &JWT, line.number);
    for found in JWT_SHAPE.find_iter(text) {
        if !standalone(text, found.start(), found.end(), |b| {
            is_base64url(b) || b == b'.'
        }) || sink.fold_if_settled(&JWT, line.number, ceiling)
        {
            continue;
        }
        let token = found.as_str();
        let mut parts = token.split('.');
        let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some(header) = decode_base64url(header) else {
            continue;
        };
        let Ok(serde_json::Value::Object(header)) =
            serde_json::from_slice::<serde_json::Value>(&header)
        else {
            continue;
        };
        match header.get("alg").and_then(|alg| alg.as_str()) {
            Some(alg) if !alg.eq_ignore_ascii_case("none") => {}
            _ => continue,
        }
        let claims = decode_base64url(payload).unwrap_or_default();
        let near = syntax::window(text, found.start(), found.end(), 48);
        let verdict = placeholder(token, "", near).or_else(|| {
            let claims = String::from_utf8_lossy(&claims);
            let sample = placeholder(&claims, &claims, claims.as_bytes()).is_some()
                || syntax::contains_ignore_case(claims.as_bytes(), b"john doe");
            sample.then_some("its claims are sample data")
        });
        report(
            ctx,
            sink,
            &JWT,
            line.number,
            "JSON Web Token",
            token,
            verdict,
        );
    }
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
fn is_credential_name(name: &str) -> bool {
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

/// Splits `snake_case`, `kebab-case`, `dotted.names` and `camelCase` into lowercase words.
fn identifier_words(name: &str) -> Vec<String> {
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

/// Whether a literal assigned to a credential name looks like a real, random secret rather than
/// a reference, a path, a name, words or a placeholder.
fn looks_random(value: &str) -> bool {
    let len = value.len();
    if !(12..=200).contains(&len) || value.chars().any(char::is_whitespace) || !value.is_ascii() {
        return false;
    }
    // References, templates and expressions: `${VAR}`, `$(Var)`, `{{ x }}`, `%(x)s`, `#{x}`,
    // `<x>`, `@Ref`, `Jobs[-1].Id`.
    const OPENERS: [char; 15] = [
        '$', '%', '{', '<', '[', '(', '@', '&', '*', '#', '~', '!', '=', '-', '.',
    ];
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
fn is_path(value: &str) -> bool {
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
fn reads_as_words(value: &str) -> bool {
    let total = value.bytes().filter(u8::is_ascii_alphanumeric).count();
    let in_words: usize = identifier_words(value)
        .iter()
        .map(|word| word.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|word| word.len() >= 3 && word.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::len)
        .sum();
    total > 0 && in_words * 4 >= total * 3
}

/// The entropy a random value of this length and alphabet would comfortably exceed.
fn entropy_threshold(value: &str) -> f64 {
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

fn distinct_bytes(value: &str) -> usize {
    let mut seen = [false; 256];
    value.bytes().for_each(|b| seen[usize::from(b)] = true);
    seen.iter().filter(|&&s| s).count()
}

/// The longest run of characters that each follow the previous one (`123456`, `abcdef`).
fn longest_sequential_run(value: &str) -> usize {
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
fn severity_for(ctx: &FileContext<'_>, rule: &'static RuleInfo, line: u32) -> Severity {
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
fn fixture_note(severity: Severity) -> &'static str {
    if severity == Severity::Minor {
        " It is in test code, so it is probably a fixture made for the tests; if so, \
         nothing to do."
    } else {
        ""
    }
}

/// Words that, near a value, say it is not a real credential.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"sample",
    b"dummy",
    b"fake",
    b"placeholder",
    b"mock",
    b"redacted",
];

fn says_placeholder(text: &[u8]) -> bool {
    PLACEHOLDER_WORDS
        .iter()
        .any(|word| syntax::contains_ignore_case(text, word))
}

/// How many lines above and below a value may say that it is an example.
const NEIGHBOURHOOD: u32 = 2;

/// Whether the lines around `line` say that what it holds is an example or a fake, or the line
/// belongs to an interactive session transcript (`>>> `), as in documentation.
fn neighbours_say_placeholder(ctx: &FileContext<'_>, line: u32) -> Option<&'static str> {
    let first = line.saturating_sub(NEIGHBOURHOOD).max(1);
    (first..=line.saturating_add(NEIGHBOURHOOD))
        .filter(|&number| number != line)
        .filter_map(|number| ctx.line_text(number))
        .filter(|text| text.len() <= super::MAX_HEURISTIC_LINE)
        .any(|text| says_placeholder(text.as_bytes()))
        .then_some("the lines around it say it is an example or a fake")
        .or_else(|| {
            in_transcript(ctx, line).then_some("it is in an interactive session transcript")
        })
}

/// How far above a line to look for the prompt of the session transcript it may belong to.
const TRANSCRIPT_REACH: u32 = 12;

/// Whether `line` is a prompt (`>>> `) of an interactive session transcript or part of the
/// output block after one, as in documentation and doctests.
fn in_transcript(ctx: &FileContext<'_>, line: u32) -> bool {
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
fn decoded_says_placeholder(value: &str) -> bool {
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
fn placeholder(value: &str, body: &str, near: &[u8]) -> Option<&'static str> {
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
    if says_placeholder(near) {
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

/// The secret as a message may show it: at most its first four characters, never more than a
/// quarter of it, and its length.
pub(super) fn redact(secret: &str) -> String {
    let count = secret.chars().count();
    let shown: String = secret.chars().take((count / 4).min(4)).collect();
    format!("{shown}… ({count} characters)")
}

fn report(
    ctx: &FileContext<'_>,
    sink: &mut Sink,
    rule: &'static RuleInfo,
    line: u32,
    what: &'static str,
    secret: &str,
    verdict: Option<&'static str>,
) {
    report_with(ctx, sink, rule, line, what, secret, verdict, redact);
}

#[allow(clippy::too_many_arguments)]
fn report_with(
    ctx: &FileContext<'_>,
    sink: &mut Sink,
    rule: &'static RuleInfo,
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

#[cfg(test)]
mod tests {
    use super::super::RuleOptions;
    use super::super::testing::*;
    use super::*;
    use crate::finding::Finding;

    /// Joins fixture pieces, so that no source line holds a whole credential.
    fn join(parts: &[&str]) -> String {
        parts.concat()
    }

    /// Deterministic pseudo-random characters from `alphabet`, built at run time.
    fn random(seed: u64, len: usize, alphabet: &str) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                chars[((state >> 33) % chars.len() as u64) as usize]
            })
            .collect()
    }

    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const BASE64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    fn base64url(bytes: &[u8]) -> String {
        const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn aws_key_id() -> String {
        join(&["AK", "IA", &random(1, 16, BASE32)])
    }

    fn github_token() -> String {
        join(&["gh", "p_", &random(2, 36, ALNUM)])
    }

    fn only(findings: &[Finding], code: &str) -> Vec<(u32, Severity)> {
        of_rule(findings, code)
            .iter()
            .map(|f| (f.line, f.severity))
            .collect()
    }

    fn assert_one(path: &str, text: &str, code: &str, severity: Severity) -> Finding {
        let findings = added_file(path, text);
        let hits = of_rule(&findings, code);
        assert_eq!(hits.len(), 1, "{code} in {text:?}: {findings:#?}");
        assert_eq!(hits[0].severity, severity, "{text:?}: {}", hits[0].message);
        hits[0].clone()
    }

    fn assert_none(path: &str, text: &str) {
        let findings = added_file(path, text);
        let secrets: Vec<_> = findings
            .iter()
            .filter(|f| f.rule.starts_with("secrets/"))
            .collect();
        assert!(secrets.is_empty(), "{text:?}: {secrets:#?}");
    }

    #[test]
    fn aws_access_key_ids() {
        let key = aws_key_id();
        let finding = assert_one(
            "config.py",
            &format!("AWS_ACCESS_KEY_ID = \"{key}\"\n"),
            "secrets/aws-access-key",
            Severity::Critical,
        );
        assert!(
            finding.message.contains("(20 characters)"),
            "{}",
            finding.message
        );
        assert!(finding.message.starts_with("AWS access key id `AKIA…"));
        let temporary = join(&["AS", "IA", &random(3, 16, BASE32)]);
        assert_one(
            "a.env",
            &format!("id={temporary}\n"),
            "secrets/aws-access-key",
            Severity::Critical,
        );
        // Documentation's key and obvious fakes are placeholders.
        let documented = join(&["AKIA", "IOSFODNN7", "EXAMPLE"]);
        let finding = assert_one(
            "README.md",
            &format!("key: {documented}\n"),
            "secrets/aws-access-key",
            Severity::Info,
        );
        assert!(finding.message.contains("placeholder"));
        let repeated = join(&["AKIA", &"A".repeat(16)]);
        assert_one(
            "a.txt",
            &format!("{repeated}\n"),
            "secrets/aws-access-key",
            Severity::Info,
        );
        // Too short, glued to other characters, or lowercase: not a key id.
        assert_none("a.txt", &format!("{}\n", &key[..19]));
        assert_none("a.txt", &format!("X{key}\n"));
        assert_none("a.txt", &format!("{key}Q\n"));
        assert_none("a.txt", &format!("{}\n", key.to_ascii_lowercase()));
        assert_none("tz.txt", "ASIA/Tokyo ASIAN markets\n");
    }

    #[test]
    fn aws_secret_access_keys() {
        let secret = random(4, 40, BASE64);
        assert_one(
            "creds",
            &format!("aws_secret_access_key = {secret}\n"),
            "secrets/aws-secret-key",
            Severity::Critical,
        );
        assert_one(
            "a.json",
            &format!("{{\"SecretAccessKey\": \"{secret}\"}}\n"),
            "secrets/aws-secret-key",
            Severity::Critical,
        );
        let documented = join(&["wJalrXUtnFEMI/K7MDENG/", "bPxRfiCY", "EXAMPLEKEY"]);
        assert_one(
            "creds",
            &format!("aws_secret_access_key={documented}\n"),
            "secrets/aws-secret-key",
            Severity::Info,
        );
        // A 40-character value not assigned to such a name, or a longer one, is not reported.
        assert_none("a.txt", &format!("checksum = {secret}\n"));
        assert_none("creds", &format!("aws_secret_access_key = {secret}AB\n"));
        assert_none(
            "a.py",
            "aws_secret_access_key = os.environ['AWS_SECRET_ACCESS_KEY']\n",
        );
    }

    #[test]
    fn azure_storage_keys_and_connection_strings() {
        let key = join(&[&random(5, 86, BASE64), "=="]);
        let connection = format!(
            "\"Storage\": \"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={key};EndpointSuffix=core.windows.net\""
        );
        let findings = added_file("appsettings.json", &format!("{connection}\n"));
        assert_eq!(
            only(&findings, "secrets/azure-storage-connection-string"),
            [(1, Severity::Critical)]
        );
        assert!(of_rule(&findings, "secrets/azure-storage-key").is_empty());

        assert_one(
            "main.tf",
            &format!("storage_account_key = \"{key}\"\n"),
            "secrets/azure-storage-key",
            Severity::Critical,
        );
        assert_one(
            "a.yml",
            &format!("primaryKey: {key}\n"),
            "secrets/azure-storage-key",
            Severity::Critical,
        );
        // Integrity hashes and public keys have the same shape but are not secrets.
        assert_none(
            "package-lock.json",
            &format!("\"integrity\": \"sha512-{key}\"\n"),
        );
        assert_none("a.yml", &format!("publicKey: {key}\n"));

        // The emulator's published key is a placeholder.
        let emulator = join(&[
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
            "/K1SZFPTOtr/KBHBeksoGMGw==",
        ]);
        let text = format!("conn = \"AccountName=dev;AccountKey={emulator};\"\n");
        assert_one(
            "a.py",
            &text,
            "secrets/azure-storage-connection-string",
            Severity::Info,
        );
        assert_none("a.py", "conn = \"AccountName=x;AccountKey=<key>;\"\n");
    }

    #[test]
    fn azure_shared_access_keys() {
        let key = join(&[&random(6, 43, BASE64), "="]);
        let text = format!(
            "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={key}\n"
        );
        assert_one(
            "local.settings.json",
            &text,
            "secrets/azure-shared-access-key",
            Severity::Critical,
        );
        assert_none("a.txt", "SharedAccessKey=<your key>\n");
    }

    #[test]
    fn azure_devops_pats() {
        let pat = join(&[
            &random(7, 52, ALNUM),
            "JQQJ99BAAC",
            &random(8, 14, ALNUM),
            "AZ",
            "DO",
            &random(9, 4, ALNUM),
        ]);
        assert_eq!(pat.len(), 84);
        assert_one(
            "azure-pipelines.yml",
            &format!("  pat: {pat}\n"),
            "secrets/azure-devops-pat",
            Severity::Critical,
        );
        // The signature elsewhere, or a token of another length, is not one.
        let shifted = join(&["Q", &pat[..83]]);
        assert_none("a.txt", &format!("{shifted}\n"));
        assert_none("a.txt", &format!("{}\n", &pat[1..]));
        assert_none("a.txt", "AZDO signature\n");
    }

    #[test]
    fn github_tokens() {
        let token = github_token();
        assert_one(
            "deploy.sh",
            &format!("export GH_TOKEN={token}\n"),
            "secrets/github-token",
            Severity::Critical,
        );
        for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
            let other = join(&[prefix, &random(10, 36, ALNUM)]);
            assert_one(
                "a.txt",
                &format!("{other}\n"),
                "secrets/github-token",
                Severity::Critical,
            );
        }
        let fine_grained = join(&[
            "github",
            "_pat_",
            &random(11, 22, ALNUM),
            "_",
            &random(12, 59, ALNUM),
        ]);
        assert_one(
            "a.txt",
            &format!("{fine_grained}\n"),
            "secrets/github-token",
            Severity::Critical,
        );
        assert_none("a.txt", &format!("{}\n", &token[..30]));
        assert_none("a.txt", "let prefix = \"ghp_\";\n");
    }

    #[test]
    fn slack_tokens_and_webhooks() {
        let token = join(&[
            "xo",
            "xb-",
            "2215309211",
            "-",
            "4928166012",
            "-",
            &random(13, 24, ALNUM),
        ]);
        assert_one(
            "bot.js",
            &format!("const t = '{token}';\n"),
            "secrets/slack-token",
            Severity::Critical,
        );
        assert_none("README.md", "SLACK_TOKEN=xoxb-your-token-here\n");

        let hook = join(&[
            "https://hooks.",
            "slack.com/services/",
            "T02K8QZ3M",
            "/B04R7ZP2L",
            "/",
            &random(14, 24, ALNUM),
        ]);
        let finding = assert_one(
            "notify.py",
            &format!("URL = \"{hook}\"\n"),
            "secrets/slack-webhook",
            Severity::Critical,
        );
        assert!(!finding.message.contains(&hook[hook.len() - 20..]));
        let documented = join(&[
            "https://hooks.",
            "slack.com/services/",
            "T00000000/B00000000/",
            &"X".repeat(24),
        ]);
        assert_one(
            "README.md",
            &format!("{documented}\n"),
            "secrets/slack-webhook",
            Severity::Info,
        );
        // The endpoint without a webhook path, as in documentation links.
        assert_none(
            "README.md",
            "See https://hooks.slack.com/services/ for details.\n",
        );
    }

    #[test]
    fn stripe_google_openai_and_npm_keys() {
        let stripe = join(&["sk_", "live_", &random(15, 24, ALNUM)]);
        assert_one(
            "pay.rb",
            &format!("Stripe.api_key = '{stripe}'\n"),
            "secrets/stripe-live-key",
            Severity::Critical,
        );
        assert_none(
            "pay.rb",
            &format!(
                "key = '{}'\n",
                join(&["sk_", "test_", &random(15, 24, ALNUM)])
            ),
        );

        let google = join(&["AI", "za", &random(16, 35, "ABCDEFabcdef0123456789_-")]);
        assert_one(
            "maps.html",
            &format!("<script src=\"https://maps.googleapis.com/maps/api/js?key={google}\">\n"),
            "secrets/google-api-key",
            Severity::Critical,
        );
        assert_none("a.txt", &format!("{}\n", &google[..30]));

        let openai = join(&[
            "sk-",
            "proj-",
            &random(17, 20, ALNUM),
            "T3Blb",
            "kFJ",
            &random(18, 20, ALNUM),
        ]);
        assert_one(
            "a.env",
            &format!("OPENAI_API_KEY={openai}\n"),
            "secrets/openai-api-key",
            Severity::Critical,
        );
        // An `sk-` key without the signature is some other service's, or nothing.
        assert_none("a.env", &format!("KEY=sk-{}\n", random(18, 48, ALNUM)));

        let npm = join(&["np", "m_", &random(19, 36, ALNUM)]);
        assert_one(
            ".npmrc",
            &format!("//registry.npmjs.org/:_authToken={npm}\n"),
            "secrets/npm-token",
            Severity::Critical,
        );
        assert_none("a.sh", "echo $npm_config_cache\n");
    }

    fn pem(kind: &str, body: &[String]) -> String {
        let mut text = format!("-----BEGIN {kind}-----\n");
        for line in body {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&format!("-----END {kind}-----\n"));
        text
    }

    #[test]
    fn private_key_blocks() {
        let body: Vec<String> = (0..4).map(|i| random(20 + i, 64, BASE64)).collect();
        let kind = join(&["RSA PRIV", "ATE KEY"]);
        let text = pem(&kind, &body);
        let finding = assert_one(
            "deploy/id_rsa",
            &text,
            "secrets/private-key",
            Severity::Critical,
        );
        assert!(
            finding.message.contains("private key (RSA)"),
            "{}",
            finding.message
        );
        assert!(!finding.message.contains(&body[0][..16]));

        let openssh = join(&["OPENSSH PRIV", "ATE KEY"]);
        assert_one(
            "a.txt",
            &pem(&openssh, &body),
            "secrets/private-key",
            Severity::Critical,
        );
        let encrypted = pem(
            &kind,
            &[
                "Proc-Type: 4,ENCRYPTED".to_string(),
                "DEK-Info: AES-128-CBC,0A1B".to_string(),
                String::new(),
                body[0].clone(),
            ],
        );
        assert_one("a.pem", &encrypted, "secrets/private-key", Severity::Major);
        let pkcs8_encrypted = join(&["ENCRYPTED PRIV", "ATE KEY"]);
        assert_one(
            "a.pem",
            &pem(&pkcs8_encrypted, &body),
            "secrets/private-key",
            Severity::Major,
        );
        // Inside a JSON string, as in a cloud service-account file.
        let pkcs8 = join(&["PRIV", "ATE KEY"]);
        let json = format!(
            "  \"private_key\": \"-----BEGIN {pkcs8}-----\\n{}\\n-----END {pkcs8}-----\\n\",\n",
            body[1]
        );
        assert_one("sa.json", &json, "secrets/private-key", Severity::Critical);

        // Public keys and certificates, headers without key data, and elided bodies.
        assert_none("a.pem", &pem("PUBLIC KEY", &body));
        assert_none("a.pem", &pem("CERTIFICATE", &body));
        assert_none(
            "parse.rs",
            &format!("if line == \"-----BEGIN {kind}-----\" {{\n    return Kind::Rsa;\n}}\n"),
        );
        assert_one(
            "README.md",
            &pem(&kind, &["MIIEowIBAAKCAQEA...".to_string()]),
            "secrets/private-key",
            Severity::Info,
        )
        .message
        .contains("placeholder")
        .then_some(())
        .expect("a placeholder message");
    }

    fn jwt_token(header: &str, claims: &str, seed: u64) -> String {
        [
            base64url(header.as_bytes()),
            base64url(claims.as_bytes()),
            random(seed, 43, ALNUM),
        ]
        .join(".")
    }

    #[test]
    fn json_web_tokens() {
        let token = jwt_token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"sub":"u-4821","exp":1893456000}"#,
            30,
        );
        let finding = assert_one(
            "api.http",
            &format!("Authorization: Bearer {token}\n"),
            "secrets/jwt",
            Severity::Critical,
        );
        assert!(finding.message.contains("eyJh…"));
        // The jwt.io sample claims, unsigned tokens and non-JSON headers.
        let sample = jwt_token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#,
            31,
        );
        assert_one(
            "README.md",
            &format!("{sample}\n"),
            "secrets/jwt",
            Severity::Info,
        );
        let unsigned = jwt_token(r#"{"alg":"none"}"#, r#"{"sub":"u-4821"}"#, 32);
        assert_none("a.txt", &format!("{unsigned}\n"));
        let no_alg = jwt_token(r#"{"typ":"JWT","kid":"k1"}"#, r#"{"sub":"u-4821"}"#, 33);
        assert_none("a.txt", &format!("{no_alg}\n"));
    }

    #[test]
    fn passwords_in_urls() {
        let password = random(34, 16, ALNUM);
        assert_one(
            "a.yml",
            &format!("url: postgres://app:{password}@db.contoso.net:5432/app\n"),
            "secrets/url-password",
            Severity::Critical,
        );
        assert_none("a.yml", "url: postgres://app:password@db.contoso.net/app\n");
        assert_none(
            "a.yml",
            &format!("url: postgres://app:{password}@localhost:5432/app\n"),
        );
        assert_none("a.yml", "url: https://user:${PASSWORD}@feed.contoso.net/\n");
        assert_none(
            "a.md",
            &format!("see https://user:{password}@example.com/\n"),
        );
    }

    #[test]
    fn hardcoded_credentials() {
        let value = random(35, 24, ALNUM);
        for (path, line) in [
            ("a.py", format!("password = \"{value}\"")),
            ("a.ts", format!("  clientSecret: '{value}',")),
            ("a.rs", format!("let api_key: &str = \"{value}\";")),
            ("a.go", format!("dbPassword := \"{value}\"")),
            ("a.cs", format!("    Password = \"{value}\";")),
            ("a.json", format!("  \"client_secret\": \"{value}\",")),
            ("a.yml", format!("  password: {value}")),
            (".env", format!("API_KEY={value}")),
            (
                "app.properties",
                format!("spring.datasource.password={value}"),
            ),
            ("a.xml", format!("<add key=\"x\" password=\"{value}\" />")),
        ] {
            let finding = assert_one(
                path,
                &format!("{line}\n"),
                "secrets/hardcoded-credential",
                Severity::Critical,
            );
            assert!(
                !finding.message.contains(&value[6..]),
                "{}",
                finding.message
            );
        }
    }

    #[test]
    fn ordinary_code_near_credential_names_stays_quiet() {
        for (path, line) in [
            ("a.py", "password = os.environ['DB_PASSWORD']"),
            ("a.py", "token = get_token(user, scope)"),
            ("a.rs", "let token: Token = lexer.next_token()?;"),
            ("a.rs", "pub password: String,"),
            ("a.ts", "const apiKey = process.env.API_KEY;"),
            ("a.ts", "if (password === 'hunter2') {"),
            ("a.yml", "password: ${DB_PASSWORD}"),
            ("a.yml", "password: $(DbPassword)"),
            ("a.yml", "token: \"{{ vault_token }}\""),
            ("a.yml", "client_secret: <your-client-secret>"),
            ("a.yml", "password: changeme"),
            ("a.yml", "password: xxxxxxxxxxxx"),
            ("a.yml", "password: '************'"),
            ("a.yml", "secret_name: my_app_secret_name"),
            ("a.yml", "password_file: /run/secrets/db_password.txt"),
            ("a.yml", "token_type: Bearer"),
            ("a.json", "\"password\": \"Mot de passe oublié\""),
            ("a.py", "PASSWORD_FIELD = 'password_confirmation'"),
            ("a.py", "api_key = '1234567890abcdef'"),
            ("a.py", "secret = 'aaaaaaaaaaaaaaaa'"),
            ("a.py", "test_password = 'Xk29dLq8Zp3Wm'"),
            ("a.py", "password_hash = '9f86d081884c7d659a2feaa0c55ad015'"),
            ("a.java", "String token = TokenType.ACCESS_TOKEN.name();"),
            (
                "a.rb",
                "secret = Rails.application.credentials.secret_key_base",
            ),
            (
                "a.ts",
                "const tokenUrl = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';",
            ),
            ("a.py", "password = 'Passw0rd'"),
            ("a.rs", "let secret = \"com.contoso.secret.v1\";"),
            ("a.py", "passwd='geheim$parole'"),
            ("a.py", "refresh_token = '23sdf876234'"),
            // base64 of "not my real password".
            ("README.md", "password: 'bm90IG15IHJlYWwgcGFzc3dvcmQ='"),
            (
                "a.json",
                "\"pattern\":\"arn:([a-z-]+):.*:secret:AmazonLookoutMetrics-.+\"",
            ),
            ("a.py", "    'secret': 'V1SecretVolumeSource',"),
            (
                "a.yml",
                "secret: projects/my-project/secrets/my-secret/versions/1",
            ),
            ("a.py", "REQUEST_TYPE_ID_TOKEN = 'auth-request-type/it'"),
            ("a.py", "    ACCESS_KEY = 'AWSAccessKeyId'"),
        ] {
            assert_none(path, &format!("{line}\n"));
        }
    }

    #[test]
    fn offline_credentials_under_test_directories_are_minor_fixtures() {
        let body: Vec<String> = (0..2).map(|i| random(50 + i, 64, BASE64)).collect();
        let kind = join(&["EC PRIV", "ATE KEY"]);
        let finding = assert_one(
            "tests/data/server.key",
            &pem(&kind, &body),
            "secrets/private-key",
            Severity::Minor,
        );
        assert!(finding.message.contains("fixture"));
        let value = random(52, 24, ALNUM);
        assert_one(
            "spec/login_spec.rb",
            &format!("password = '{value}'\n"),
            "secrets/hardcoded-credential",
            Severity::Minor,
        );
        // A token only a service can issue stays critical.
        assert_one(
            "tests/smoke.py",
            &format!("T = '{}'\n", github_token()),
            "secrets/github-token",
            Severity::Critical,
        );
    }

    #[test]
    fn random_values_pass_the_shape_test() {
        // Random credentials of common alphabets and lengths are recognised almost always.
        for (alphabet, len) in [
            (ALNUM, 16),
            (ALNUM, 24),
            (ALNUM, 40),
            (BASE64, 32),
            ("0123456789abcdef", 32),
        ] {
            let passed = (0..500)
                .filter(|&seed| looks_random(&random(1000 + seed, len, alphabet)))
                .count();
            assert!(
                passed >= 475,
                "{passed}/500 of length {len} from {alphabet}"
            );
        }
        for name in [
            "V1SecretVolumeSource",
            "google_oauth2.Credentials",
            "projects/my-app/secrets/db-key",
            "Jobs[-1].JobId",
        ] {
            assert!(!looks_random(name), "{name}");
        }
    }

    #[test]
    fn documentation_values_and_examples_nearby_are_placeholders() {
        // The sample token of RFC 6749, wherever it appears.
        let rfc = join(&["2YotnFZFEjr1", "zCsicMWpAA"]);
        assert_none("a.py", &format!("access_token = \"{rfc}\"\n"));
        // A line near the value says it is an example.
        let value = random(36, 24, ALNUM);
        assert_none(
            "a.py",
            &format!("# Example response:\n\nclient_secret = \"{value}\"\n"),
        );
        let token = github_token();
        assert_one(
            "a.md",
            &format!("For example:\n\n    GH_TOKEN={token}\n"),
            "secrets/github-token",
            Severity::Info,
        );
        // The output of a session transcript.
        let transcript = format!(
            "    >>> session.fetch_token(url)\n    {{\n        'oauth_token_secret': '{value}',\n    }}\n"
        );
        assert_none("a.py", &transcript);
        // Far enough away, the word no longer counts.
        assert_one(
            "a.py",
            &format!("# example\n\n\n\nclient_secret = \"{value}\"\n"),
            "secrets/hardcoded-credential",
            Severity::Critical,
        );
    }

    #[test]
    fn a_secret_finding_never_contains_the_secret() {
        let secrets = [
            aws_key_id(),
            github_token(),
            join(&["sk_", "live_", &random(40, 30, ALNUM)]),
            random(41, 24, ALNUM),
        ];
        let text = format!(
            "id = \"{}\"\ngh = \"{}\"\nstripe = \"{}\"\npassword = \"{}\"\n",
            secrets[0], secrets[1], secrets[2], secrets[3]
        );
        let findings = added_file("a.py", &text);
        assert_eq!(findings.len(), 4, "{findings:#?}");
        for finding in &findings {
            for secret in &secrets {
                // No run of five or more characters of any secret appears in any message.
                for start in 0..secret.len().saturating_sub(5) {
                    let piece = &secret[start..start + 5];
                    assert!(
                        !finding.message.contains(piece),
                        "{} leaks {piece}",
                        finding.message
                    );
                }
            }
        }
    }

    #[test]
    fn redaction_shows_at_most_a_quarter() {
        assert_eq!(redact("ABCDEFGHIJKLMNOPQRST"), "ABCD… (20 characters)");
        assert_eq!(redact("abcdefgh"), "ab… (8 characters)");
        assert_eq!(redact("abc"), "… (3 characters)");
    }

    #[test]
    fn secrets_off_silences_every_secret_rule() {
        let text = format!(
            "{}\n{}\npassword = \"{}\"\n",
            aws_key_id(),
            github_token(),
            random(42, 24, ALNUM)
        );
        let options = RuleOptions {
            secrets: false,
            ..RuleOptions::default()
        };
        assert!(added_file_with("a.py", &text, &options).is_empty());
        assert_eq!(added_file("a.py", &text).len(), 3);
    }

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(identifier_words("dbPassword"), ["db", "password"]);
        assert_eq!(identifier_words("AWS_SECRET_KEY"), ["aws", "secret", "key"]);
        assert_eq!(identifier_words("APIKey"), ["api", "key"]);
        assert_eq!(
            identifier_words("spring.datasource.password"),
            ["spring", "datasource", "password"]
        );
        assert!(is_credential_name("clientSecret"));
        assert!(is_credential_name("GITHUB_TOKEN"));
        assert!(!is_credential_name("token_type"));
        assert!(!is_credential_name("public_key"));
        assert!(!is_credential_name("tokenizer"));
    }

    #[test]
    fn entropy_is_measured_in_bits_per_character() {
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert_eq!(longest_sequential_run("x123456y"), 6);
        assert_eq!(
            decode_base64url("eyJhIjoxfQ").as_deref(),
            Some(&b"{\"a\":1}"[..])
        );
    }
}
