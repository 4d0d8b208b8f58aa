//! Who is calling: the configured tokens, how a token arrives, what its OAuth scopes allow and
//! which permissions its identity lacks. A personal access token arrives as `Basic` (any user
//! name, usually empty); the pipeline's job token (`System.AccessToken`) as `Bearer` or `Basic`.
//! A PAT sent as `Bearer` is not a token the service knows.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::{Identity, Permission};

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) identity: Identity,
    kind: TokenKind,
    scopes: Vec<String>,
    denied: Vec<Permission>,
}

/// What a token is, which decides how it may arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// A personal access token: `Basic` only.
    Pat,
    /// The job's `System.AccessToken`: `Bearer` (or `Basic`).
    Job,
}

/// How a request presented a known token.
pub(super) enum Presented<'t> {
    Valid(&'t Token),
    /// A PAT in a `Bearer` header: refused like an unknown token, and a client bug.
    PatAsBearer,
    Unknown,
}

#[derive(Debug, Default)]
pub(super) struct Tokens {
    by_secret: HashMap<String, Token>,
}

/// The scope names a test may use, and the service's names they stand for.
const SCOPE_NAMES: &[(&str, &str)] = &[
    ("code_read", "vso.code"),
    ("code_write", "vso.code_write"),
    ("code_manage", "vso.code_manage"),
    ("code_full", "vso.code_full"),
    ("code_status", "vso.code_status"),
    ("threads_full", "vso.threads_full"),
    ("build_read", "vso.build"),
    ("build_execute", "vso.build_execute"),
    ("project_read", "vso.project"),
    ("profile", "vso.profile"),
    ("work_read", "vso.work"),
    ("full", "full"),
];

/// Scopes that include others (a read scope is part of the write scope of the same area).
const IMPLIED_BY: &[(&str, &[&str])] = &[
    (
        "vso.code",
        &["vso.code_write", "vso.code_manage", "vso.code_full"],
    ),
    ("vso.code_write", &["vso.code_manage", "vso.code_full"]),
    ("vso.code_manage", &["vso.code_full"]),
    (
        "vso.code_status",
        &["vso.code_write", "vso.code_manage", "vso.code_full"],
    ),
    ("vso.build", &["vso.build_execute"]),
    ("vso.project", &["vso.project_write", "vso.project_manage"]),
];

impl Tokens {
    pub(super) fn add(
        &mut self,
        secret: &str,
        kind: TokenKind,
        identity: Identity,
        scopes: &[&str],
    ) {
        let scopes = scopes
            .iter()
            .map(|scope| {
                SCOPE_NAMES
                    .iter()
                    .find(|(short, long)| short == scope || long == scope)
                    .map(|(_, long)| (*long).to_owned())
                    .or_else(|| scope.starts_with("vso.").then(|| (*scope).to_owned()))
                    .unwrap_or_else(|| {
                        panic!(
                            "unknown scope {scope:?}; use one of {:?} or a vso.* name",
                            SCOPE_NAMES.iter().map(|(s, _)| s).collect::<Vec<_>>()
                        )
                    })
            })
            .collect();
        self.by_secret.insert(
            secret.to_owned(),
            Token {
                identity,
                kind,
                scopes,
                denied: Vec::new(),
            },
        );
    }

    pub(super) fn deny(&mut self, secret: &str, permission: Permission) {
        let token = self
            .by_secret
            .get_mut(secret)
            .unwrap_or_else(|| panic!("deny_permission: unknown token; add_token it first"));
        token.denied.push(permission);
    }

    /// The token the request carries in `Authorization`, if it is a valid one presented the way
    /// its kind allows.
    pub(super) fn authenticate(&self, authorization: Option<&str>) -> Presented<'_> {
        let Some((secret, bearer)) = authorization.and_then(secret_of) else {
            return Presented::Unknown;
        };
        match self.by_secret.get(&secret) {
            Some(token) if bearer && token.kind == TokenKind::Pat => Presented::PatAsBearer,
            Some(token) => Presented::Valid(token),
            None => Presented::Unknown,
        }
    }
}

/// The secret of a `Basic` (`user:secret`, any user) or `Bearer` credential, and whether it came
/// as `Bearer`.
fn secret_of(authorization: &str) -> Option<(String, bool)> {
    let (scheme, value) = authorization.trim().split_once(' ')?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD.decode(value).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (_, secret) = decoded.split_once(':')?;
        Some((secret.to_owned(), false))
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some((value.to_owned(), true))
    } else {
        None
    }
}

impl Token {
    /// Whether the token holds one of the operation's scopes (they are alternatives).
    pub(super) fn allows(&self, required: &[String]) -> bool {
        if required.is_empty() || self.scopes.iter().any(|s| s == "full") {
            return true;
        }
        required.iter().any(|needed| {
            self.scopes.iter().any(|held| {
                held == needed
                    || IMPLIED_BY
                        .iter()
                        .any(|(scope, by)| scope == needed && by.contains(&held.as_str()))
            })
        })
    }

    pub(super) fn is_denied(&self, permission: Permission) -> bool {
        self.denied.contains(&permission)
    }
}
