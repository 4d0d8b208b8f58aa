//! Completing shallow checkouts.
//!
//! Newer pipelines check out with `fetchDepth: 1`, which leaves out the target tip T, the PR
//! source S and their merge-base. When the repository is shallow, or a commit the review needs is
//! missing, the missing history is fetched from `origin`.
//!
//! The fetch runs the `git` command line that the checkout step itself used: it speaks every
//! transport and honours the agent's proxy and TLS settings. A credential, when there is one,
//! travels as an extra `Authorization` header passed through `GIT_CONFIG_*` environment
//! variables — never in the URL, never on a command line that `ps` could show.

use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use git2::Repository;

use crate::error::UserError;

/// The credential to present to `origin` over https.
#[derive(Clone, Default)]
pub enum FetchCredential {
    #[default]
    None,
    /// A Personal Access Token, sent as Basic with an empty user name.
    Pat(String),
    /// A bearer token (`SYSTEM_ACCESSTOKEN`, an Entra ID access token).
    Bearer(String),
}

impl fmt::Debug for FetchCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FetchCredential::None => "FetchCredential::None",
            FetchCredential::Pat(_) => "FetchCredential::Pat(***)",
            FetchCredential::Bearer(_) => "FetchCredential::Bearer(***)",
        })
    }
}

/// How to authenticate a fetch from `origin`.
#[derive(Debug, Clone, Default)]
pub struct FetchAuth {
    pub credential: FetchCredential,
    /// `GIT_CONFIG_COUNT` of the environment: the header is appended after its entries.
    pub existing_config_entries: usize,
}

impl FetchAuth {
    fn header(&self) -> Option<String> {
        match &self.credential {
            FetchCredential::None => None,
            FetchCredential::Pat(pat) => Some(format!(
                "Authorization: Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(":{pat}"))
            )),
            FetchCredential::Bearer(token) => Some(format!("Authorization: Bearer {token}")),
        }
    }
}

/// What a review needs from `origin` when the checkout lacks it.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Refspecs to fetch, e.g. `+refs/heads/main:refs/remotes/origin/main`.
    pub refspecs: Vec<String>,
}

/// Fetches `wanted` from `origin`, unshallowing the repository when it is shallow.
///
/// On failure the sentence names `fetchDepth: 0`, the setting that avoids the need.
pub fn ensure_commits(
    repo: &Repository,
    wanted: &Wanted,
    auth: &FetchAuth,
) -> Result<(), UserError> {
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo.path().to_path_buf());
    if repo.find_remote("origin").is_err() {
        return Err(UserError::new(
            "this checkout is shallow or lacks the commits to compare, and it has no `origin` remote to fetch them from: set `fetchDepth: 0` on the checkout step (or run `git fetch --unshallow`)",
        ));
    }
    let mut command = Command::new("git");
    command
        .current_dir(&workdir)
        .arg("fetch")
        .arg("--no-tags")
        .arg("--quiet")
        .arg("--no-write-fetch-head");
    if repo.is_shallow() {
        command.arg("--unshallow");
    }
    command.arg("origin").args(&wanted.refspecs);
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(header) = auth.header() {
        // Appended to the environment's own GIT_CONFIG_* entries, if any.
        let count = auth.existing_config_entries;
        command
            .env("GIT_CONFIG_COUNT", (count + 1).to_string())
            .env(format!("GIT_CONFIG_KEY_{count}"), "http.extraHeader")
            .env(format!("GIT_CONFIG_VALUE_{count}"), header);
    }
    tracing::info!(refspecs = ?wanted.refspecs, shallow = repo.is_shallow(), "fetching missing history from origin");
    let output = command.output().map_err(|err| {
        UserError::new(format!(
            "this checkout lacks the commits to compare and `git fetch` could not be started ({err}): set `fetchDepth: 0` on the checkout step"
        ))
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        tracing::debug!(stderr = %stderr, "git fetch failed");
        return Err(UserError::new(format!(
            "this checkout lacks the commits to compare and fetching them from origin failed ({reason}): set `fetchDepth: 0` on the checkout step"
        )));
    }
    Ok(())
}
