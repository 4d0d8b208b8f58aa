//! Provider signatures: credentials whose format identifies them (AWS key ids, GitHub, Slack,
//! Stripe, Google, OpenAI and npm tokens, Azure DevOps PATs, Azure shared access keys, private
//! key blocks, signed JWTs), recognised by their signature and exact shape wherever they appear.

use std::sync::LazyLock;

use regex::Regex;

use super::judgement::{
    encrypted_document, fixture_note, identifier_words, placeholder, placeholder_signed,
    severity_for, without_addresses,
};
use super::redaction::{redact, report, report_with};
use super::{
    decode_base64url, ends_cleanly, is_alnum, is_base64, is_base64url, is_word, regex, secret_rule,
    standalone,
};
use crate::finding::Severity;
use crate::sources::rules::registry::Rule;
use crate::sources::rules::syntax;
use crate::sources::rules::{FileContext, Line, MAX_HEURISTIC_LINE, Sink};

pub(in crate::sources::rules) static AWS_ACCESS_KEY: Rule = secret_rule(
    "secrets/aws-access-key",
    "An AWS access key id (20 characters starting with AKIA for long-term keys or ASIA for \
     temporary ones) is committed. On its own it identifies a key, and it is almost always \
     accompanied by its secret access key; anyone who can read the repository, its forks or its \
     history can use the pair. Deactivate the key in IAM, create a new one, and give it to the \
     build through a secret variable or a service connection instead of the source tree.",
    &["akia", "asia"],
    true,
    aws_access_key,
);

pub(in crate::sources::rules) static AZURE_SHARED_ACCESS_KEY: Rule = secret_rule(
    "secrets/azure-shared-access-key",
    "A `SharedAccessKey=` with a 44-character key is committed, as found in Azure Service Bus, \
     Event Hubs, IoT Hub and Relay connection strings. The key signs tokens for whatever rights \
     its policy grants (send, listen, manage). Regenerate the key on the policy and load the \
     connection string from a secret store, or use a managed identity.",
    &["sharedaccesskey="],
    true,
    azure_shared_access_key,
);

pub(in crate::sources::rules) static AZURE_DEVOPS_PAT: Rule = secret_rule(
    "secrets/azure-devops-pat",
    "An Azure DevOps personal access token is committed: one in the 84-character format (its \
     characters 77 to 80 are the `AZDO` signature), or a legacy one (52 characters of \
     lowercase base32) where the code says it is a PAT or a token (`pat`, \
     `AZURE_DEVOPS_EXT_PAT`, `SYSTEM_ACCESSTOKEN`, `VssBasicCredential`, NuGet's \
     `ClearTextPassword`, a pipeline variable named so, a `dev.azure.com` URL). It acts as its \
     owner with the token's scopes, across every organisation it was created for. Revoke it \
     under User settings > Personal access tokens and pass credentials to pipelines as secret \
     variables or service connections.",
    &[
        "azdo",
        // `pat` ending a name (`AZURE_DEVOPS_EXT_PAT=`, `pat: …`, `adoPat = …`), not `path`.
        "pat:",
        "pat=",
        "pat ",
        "pat\"",
        "pat'",
        "token",
        "cleartextpassword",
        "vssbasiccredential",
        "value:",
        "dev.azure.com",
        "visualstudio.com",
    ],
    true,
    azure_devops_pat,
);

pub(in crate::sources::rules) static GITHUB_TOKEN: Rule = secret_rule(
    "secrets/github-token",
    "A GitHub token is committed: a classic personal access token (`ghp_`), an OAuth token \
     (`gho_`), a user-to-server or server-to-server token (`ghu_`, `ghs_`), a refresh token \
     (`ghr_`) or a fine-grained personal access token (`github_pat_`). It acts with its owner's \
     rights on every repository it can reach. Revoke it in the GitHub settings and keep tokens in \
     secret variables.",
    &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    true,
    github_token,
);

pub(in crate::sources::rules) static SLACK_TOKEN: Rule = secret_rule(
    "secrets/slack-token",
    "A Slack API token (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-` or `xoxe-`) is committed. \
     Bot and user tokens can read and post messages and files in every channel they can see. \
     Revoke the token in the Slack app's settings and load it from a secret store.",
    &["xoxa-", "xoxb-", "xoxe-", "xoxp-", "xoxr-", "xoxs-"],
    true,
    slack_token,
);

pub(in crate::sources::rules) static SLACK_WEBHOOK: Rule = secret_rule(
    "secrets/slack-webhook",
    "A Slack incoming webhook URL (`hooks.slack.com/services/…`) is committed. Anyone who has \
     the URL can post messages to the channel it belongs to, for example convincing phishing \
     messages. Regenerate the webhook in the Slack app's settings and keep the URL in a secret \
     variable.",
    &["hooks.slack.com/"],
    true,
    slack_webhook,
);

pub(in crate::sources::rules) static STRIPE_LIVE_KEY: Rule = secret_rule(
    "secrets/stripe-live-key",
    "A Stripe live-mode secret or restricted key (`sk_live_`, `rk_live_`) is committed. Live \
     keys move real money: they can create charges and refunds and read customer data. Roll the \
     key in the Stripe dashboard and load it from a secret store; use test-mode keys in code and \
     tests.",
    &["sk_live_", "rk_live_"],
    true,
    stripe_live_key,
);

pub(in crate::sources::rules) static GOOGLE_API_KEY: Rule = secret_rule(
    "secrets/google-api-key",
    "A Google API key (`AIza` followed by 35 characters) is committed. Unless it is restricted \
     to specific APIs and referrers, anyone can use it and bill the project for the usage. \
     Restrict or regenerate the key in the Google Cloud console and keep unrestricted keys out \
     of the source tree.",
    &["aiza"],
    true,
    google_api_key,
);

pub(in crate::sources::rules) static OPENAI_API_KEY: Rule = secret_rule(
    "secrets/openai-api-key",
    "An OpenAI API key (an `sk-` key carrying the `T3BlbkFJ` signature) is committed. It lets \
     anyone call the API on the owner's account and budget. Revoke it on the API keys page and \
     pass it to pipelines as a secret variable.",
    &["t3blbkfj"],
    true,
    openai_api_key,
);

pub(in crate::sources::rules) static NPM_TOKEN: Rule = secret_rule(
    "secrets/npm-token",
    "An npm access token (`npm_` followed by 36 characters) is committed. Publish-capable \
     tokens let anyone publish new versions of the owner's packages, a classic supply-chain \
     attack. Revoke the token on npmjs.com and keep it in a secret variable or an `.npmrc` \
     outside the repository.",
    &["npm_"],
    true,
    npm_token,
);

pub(in crate::sources::rules) static PRIVATE_KEY: Rule = secret_rule(
    "secrets/private-key",
    "A PEM or OpenSSH private key block (`-----BEGIN … PRIVATE KEY-----` followed by key data) \
     is committed. Whoever holds a private key can impersonate its owner: sign code and tokens, \
     decrypt traffic, log in over SSH. Public keys and certificates are not reported; an \
     encrypted key (which a passphrase still protects) is reported as `major`. Replace the key \
     pair and keep private keys in a key vault or a secure file of the pipeline.",
    &["private key"],
    true,
    private_key,
);

pub(in crate::sources::rules) static JWT: Rule = secret_rule(
    "secrets/jwt",
    "A signed JSON Web Token is committed (three base64url parts whose header decodes to JSON \
     with an `alg`). A JWT is a bearer credential: until it expires, anyone who has it is \
     whoever it names. Revoke the session or rotate the signing key if it may still be valid, \
     and build test tokens at run time instead of committing them.",
    &["eyj"],
    true,
    jwt,
);

/// A credential format recognised by signature and shape alone.
struct TokenFormat {
    rule: &'static Rule,
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

fn aws_access_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &AWS_KEY_ID, line, sink);
}

fn azure_shared_access_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &AZURE_SHARED, line, sink);
}

fn github_token(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &GITHUB, line, sink);
}

fn slack_token(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &SLACK, line, sink);
}

fn stripe_live_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &STRIPE, line, sink);
}

fn google_api_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &GOOGLE, line, sink);
}

fn openai_api_key(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &OPENAI, line, sink);
}

fn npm_token(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    scan_tokens(ctx, &NPM, line, sink);
}

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
        let verdict = placeholder_signed(value, body, near);
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

/// Azure DevOps PATs, in the new format and, on hand-written lines, the legacy one.
fn azure_devops_pat(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    signed_devops_pat(ctx, line, sink);
    if line.text.len() <= MAX_HEURISTIC_LINE {
        legacy_devops_pat(ctx, line, sink);
    }
}

/// Legacy Azure DevOps PATs: 52 characters of lowercase base32 (`a`-`z`, `2`-`7`), which only
/// the context tells apart from other identifiers.
fn legacy_devops_pat(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if !is_alnum(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_alnum(bytes[at]) {
            at += 1;
        }
        let run = &bytes[start..at];
        if run.len() != 52 || !run.iter().all(|&b| matches!(b, b'a'..=b'z' | b'2'..=b'7')) {
            continue;
        }
        let digits = run.iter().filter(|b| b.is_ascii_digit()).count();
        if !(3..=40).contains(&digits) || !says_pat(ctx, line.number, text, start) {
            continue;
        }
        let value = &text[start..at];
        let near = syntax::window(text, start, at, 48);
        report(
            ctx,
            sink,
            &AZURE_DEVOPS_PAT,
            line.number,
            "Azure DevOps personal access token",
            value,
            placeholder_signed(value, value, near),
        );
    }
}

/// Whether the code before a value on its line (or the pipeline variable it is the value of)
/// says it is a PAT or a token.
fn says_pat(ctx: &FileContext<'_>, number: u32, text: &str, start: usize) -> bool {
    let before = &text[..start];
    let lower = text.to_ascii_lowercase();
    if ["dev.azure.com", "visualstudio.com", "vssbasiccredential"]
        .iter()
        .any(|marker| lower.contains(marker))
    {
        return true;
    }
    let telling = |words: &[String]| {
        words.iter().any(|word| {
            matches!(word.as_str(), "pat" | "pats" | "token" | "accesstoken")
                || word.ends_with("pat") && word.len() <= 12
                || word.ends_with("token")
        }) || words
            .windows(3)
            .any(|w| w[0] == "clear" && w[1] == "text" && w[2] == "password")
    };
    if telling(&identifier_words(before)) {
        return true;
    }
    // `- name: AdoPat` then `  value: …`, as in pipeline variables.
    let trimmed = text.trim_start();
    if trimmed.starts_with("value:") || trimmed.starts_with("- value:") {
        return pipeline_variable_name(ctx, number)
            .is_some_and(|name| telling(&identifier_words(name)));
    }
    false
}

/// The name of the pipeline variable whose `value:` is on `number`: the `- name:` on the line
/// above (or two above).
pub(super) fn pipeline_variable_name<'a>(ctx: &FileContext<'a>, number: u32) -> Option<&'a str> {
    (1..=2).find_map(|offset| {
        let above = ctx.line_text(number.checked_sub(offset)?)?.trim();
        let name = above
            .strip_prefix("- name:")
            .or_else(|| above.strip_prefix("name:"))?;
        Some(name.trim().trim_matches(['"', '\'']))
    })
}

/// New-format Azure DevOps PATs: 84 alphanumerics whose characters 76..80 (0-based) are `AZDO`.
fn signed_devops_pat(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
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
            placeholder_signed(value, &value[..52], near),
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
        let verdict = placeholder_signed(value, secret, near);
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
    if encrypted_document(ctx) {
        return;
    }
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
        let verdict = placeholder_signed(token, "", near).or_else(|| {
            let claims = without_addresses(&claims);
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

/// Whether `rule` recognises a credential by its provider's signature, so that only the value
/// itself can make it an example.
pub(super) fn is_signed(rule: &Rule) -> bool {
    [
        &AWS_ACCESS_KEY,
        &AZURE_SHARED_ACCESS_KEY,
        &AZURE_DEVOPS_PAT,
        &GITHUB_TOKEN,
        &SLACK_TOKEN,
        &SLACK_WEBHOOK,
        &STRIPE_LIVE_KEY,
        &GOOGLE_API_KEY,
        &OPENAI_API_KEY,
        &NPM_TOKEN,
        &JWT,
    ]
    .iter()
    .any(|signed| signed.code == rule.code)
}
