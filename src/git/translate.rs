//! Translating line numbers between two versions of a file.
//!
//! In a PR build the checked-out tree is the merge commit M, while every line the agent posts is
//! a line of the PR's source commit S. A finding made on M (a linter's SARIF, a compiler error in
//! a build log) is moved to S through the diff of the file between the two: a line outside every
//! changed region moves by the lines added and removed above it; a line that exists only in M
//! (it came from the target branch) has no S line, and the caller puts it in the summary instead
//! of on a wrong line.

use std::path::Path;

use git2::{DiffOptions, Oid, Patch, Repository};

/// The changed regions of one file between two commits, as `(from_start, from_len, to_start,
/// to_len)` hunks without context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineMap {
    hunks: Vec<(u32, u32, u32, u32)>,
    /// The file does not exist on one side: nothing translates.
    missing: bool,
}

impl LineMap {
    /// The map from `path` in commit `from` to `path` in commit `to`.
    pub fn between(
        repo: &Repository,
        from: Oid,
        to: Oid,
        path: &str,
    ) -> Result<LineMap, git2::Error> {
        let blob = |commit: Oid| -> Result<Option<git2::Blob<'_>>, git2::Error> {
            let tree = repo.find_commit(commit)?.tree()?;
            match tree.get_path(Path::new(path)) {
                Ok(entry) => Ok(repo.find_blob(entry.id()).ok()),
                Err(_) => Ok(None),
            }
        };
        let (Some(from_blob), Some(to_blob)) = (blob(from)?, blob(to)?) else {
            return Ok(LineMap {
                hunks: Vec::new(),
                missing: true,
            });
        };
        if from_blob.id() == to_blob.id() {
            return Ok(LineMap::default());
        }
        let mut options = DiffOptions::new();
        options
            .context_lines(0)
            .interhunk_lines(0)
            .indent_heuristic(true)
            .force_text(true);
        let patch = Patch::from_blobs(&from_blob, None, &to_blob, None, Some(&mut options))?;
        let mut hunks = Vec::with_capacity(patch.num_hunks());
        for index in 0..patch.num_hunks() {
            let (hunk, _) = patch.hunk(index)?;
            hunks.push((
                hunk.old_start(),
                hunk.old_lines(),
                hunk.new_start(),
                hunk.new_lines(),
            ));
        }
        Ok(LineMap {
            hunks,
            missing: false,
        })
    }

    /// The line of the `to` side that `line` of the `from` side is, if it is on both.
    pub fn translate(&self, line: u32) -> Option<u32> {
        if self.missing || line == 0 {
            return None;
        }
        let mut shift: i64 = 0;
        for &(from_start, from_len, _, to_len) in &self.hunks {
            if from_len > 0 && line >= from_start && line < from_start + from_len {
                return None; // changed between the two
            }
            let before = if from_len > 0 {
                from_start + from_len <= line
            } else {
                from_start < line
            };
            if before {
                shift += i64::from(to_len) - i64::from(from_len);
            } else {
                break;
            }
        }
        u32::try_from(i64::from(line) + shift)
            .ok()
            .filter(|&l| l > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(hunks: &[(u32, u32, u32, u32)]) -> LineMap {
        LineMap {
            hunks: hunks.to_vec(),
            missing: false,
        }
    }

    #[test]
    fn lines_move_by_what_changed_above_them() {
        // M has ten header lines that S lacks: M line 31 is S line 21.
        let m_to_s = map(&[(1, 10, 0, 0)]);
        assert_eq!(m_to_s.translate(31), Some(21));
        assert_eq!(m_to_s.translate(5), None, "a line only M has");
        // An insertion in the target side after line 3.
        let m_to_s = map(&[(4, 2, 3, 0), (10, 1, 8, 1)]);
        assert_eq!(m_to_s.translate(3), Some(3));
        assert_eq!(m_to_s.translate(6), Some(4));
        assert_eq!(m_to_s.translate(10), None);
        assert_eq!(m_to_s.translate(11), Some(9));
        // A deletion (lines S has, M lacks) after M line 2.
        let m_to_s = map(&[(2, 0, 3, 4)]);
        assert_eq!(m_to_s.translate(2), Some(2));
        assert_eq!(m_to_s.translate(3), Some(7));
    }

    #[test]
    fn a_missing_file_translates_nothing() {
        let none = LineMap {
            hunks: Vec::new(),
            missing: true,
        };
        assert_eq!(none.translate(1), None);
        assert_eq!(LineMap::default().translate(7), Some(7));
    }
}
