//! Which `.coderabbit.yaml` a review uses: `--config`, else the checkout's root, else the file
//! in the head commit's tree (a bare repository, or a checkout of another commit).

use std::path::Path;

use git2::Repository;

use super::{FILE_NAMES, Loaded, find_in, load_blob, load_file};

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
            FILE_NAMES.into_iter().find_map(|name| {
                let entry = tree.get_name(name)?;
                let blob = repo.find_blob(entry.id()).ok()?;
                // The same size cap and encoding detection as a file on disk.
                Some(load_blob(blob.content(), Path::new(name)))
            })
        });
    from_tree.unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{MAX_FILE_BYTES, Profile};

    /// A bare repository whose one commit holds `.coderabbit.yaml` with these bytes.
    fn bare_with_config(bytes: &[u8]) -> (tempfile::TempDir, Repository, git2::Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let head = {
            let blob = repo.blob(bytes).unwrap();
            let mut builder = repo.treebuilder(None).unwrap();
            builder.insert(".coderabbit.yaml", blob, 0o100644).unwrap();
            let tree = repo.find_tree(builder.write().unwrap()).unwrap();
            let who = git2::Signature::now("t", "t@example.com").unwrap();
            repo.commit(None, &who, &who, "config", &tree, &[]).unwrap()
        };
        (dir, repo, head)
    }

    #[test]
    fn a_committed_file_is_decoded_and_capped_like_one_on_disk() {
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "reviews:\n  profile: assertive\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        let (_dir, repo, head) = bare_with_config(&utf16);
        let loaded = load_for_review(&repo, None, head);
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.config.reviews.profile, Profile::Assertive);
        assert_eq!(
            loaded.source.as_deref(),
            Some(Path::new(".coderabbit.yaml"))
        );

        let mut huge = b"reviews:\n  profile: assertive\n".to_vec();
        huge.resize(MAX_FILE_BYTES as usize + 1, b'#');
        let (_dir, repo, head) = bare_with_config(&huge);
        let loaded = load_for_review(&repo, None, head);
        assert_eq!(loaded.config.reviews.profile, Profile::Chill);
        assert!(loaded.problems[0].message.contains("larger than"));
    }
}
