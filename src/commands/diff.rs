//! `coderabbit-agent diff`: the changed-line map the review works on, as JSON.

use anyhow::Result;

use crate::cli::RepoArgs;
use crate::error::{UserError, exit};
use crate::git;
use crate::settings::Settings;

pub(super) fn run(args: &RepoArgs, settings: &Settings) -> Result<i32> {
    let (repo, revisions) = super::checkout(args, settings)?;
    let changes = git::diff_revisions(&repo, revisions.base, revisions.head)
        .map_err(|e| UserError::new(format!("cannot diff the two revisions: {}", e.message())))?;
    super::write_output(|out| {
        serde_json::to_writer_pretty(&mut *out, &changes)?;
        writeln!(out)
    })?;
    Ok(exit::OK)
}
