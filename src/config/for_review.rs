//! Which `.coderabbit.yaml` a review uses: `--config`, else the checkout's root, else the file
//! in the head commit's tree (a bare repository, or a checkout of another commit).

use std::path::Path;

use git2::Repository;

use super::{Loaded, find_in, load_blob, load_file};

/// Names the configuration file may have at the repository root, in order of preference.
const NAMES: [&str; 2] = [".coderabbit.yaml", ".coderabbit.yml"];

/// Loads the configuration for a review of `head` in `repo`.
pub fn load_for_review(repo: &Repository, explicit: Option<&Path>, head: git2::Oid) -> Loaded {
    if let Some(path) = explicit {
        return load_file(path);
    }
    if let Some(workdir) = repo.workdir()
        && let Some(path) = find_in(workdir)
    {
        return load_file(&path);
    }
    let from_tree = repo
        .find_commit(head)
        .ok()
        .and_then(|commit| commit.tree().ok())
        .and_then(|tree| {
            NAMES.into_iter().find_map(|name| {
                let entry = tree.get_name(name)?;
                let blob = repo.find_blob(entry.id()).ok()?;
                // The same size cap and encoding detection as a file on disk.
                Some(load_blob(blob.content(), Path::new(name)))
            })
        });
    from_tree.unwrap_or_default()
}
