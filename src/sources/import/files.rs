//! Which files `--findings` names: a path, or a glob in the same dialect as
//! `reviews.path_filters` (see [`crate::config::paths`]). The walk starts at the pattern's
//! literal prefix, never enters `.git`, enters dependency and build folders (`node_modules`,
//! `target`, …) only when the pattern names them, and follows a symbolic link to a directory only
//! once, so a link loop ends the walk instead of hanging it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::paths::{PathPattern, normalize};
use crate::error::UserError;

/// Folders a report is never in unless the pattern says so: they hold other projects' files.
const NOT_ENTERED: [&str; 6] = [
    ".git",
    "node_modules",
    "target",
    "bower_components",
    ".venv",
    "__pycache__",
];

fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// The files one `--findings` argument stands for (a glob matching none is an error).
pub(super) fn expand(pattern: &Path) -> Result<Vec<PathBuf>, UserError> {
    let text = pattern.to_string_lossy();
    if !is_glob(&text) {
        if !pattern.is_file() {
            return Err(UserError::new(format!(
                "the findings file {} does not exist",
                pattern.display()
            )));
        }
        return Ok(vec![pattern.to_path_buf()]);
    }
    let matcher =
        PathPattern::new(&text).map_err(|e| UserError::new(format!("--findings {text}: {e}")))?;
    // Walk from the pattern's literal prefix.
    let literal: PathBuf = pattern
        .components()
        .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
        .collect();
    let start = if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    };
    let named = |folder: &str| {
        text.split(['/', '\\'])
            .any(|segment| segment.eq_ignore_ascii_case(folder))
    };
    let mut found = Vec::new();
    let mut visited: HashSet<PathBuf> = HashSet::new();
    let mut stack = vec![start];
    while let Some(dir) = stack.pop() {
        // A directory reached twice (a link loop, or two links to one place) is walked once.
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if !visited.insert(canonical) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix("./").unwrap_or(&path).to_path_buf();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                let skipped = NOT_ENTERED
                    .iter()
                    .any(|folder| name.eq_ignore_ascii_case(folder) && !named(folder));
                if !skipped {
                    stack.push(path);
                }
            } else if matcher.matches(&normalize(&relative.to_string_lossy())) {
                found.push(relative);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(UserError::new(format!("--findings {text} matches no file")));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "{}").unwrap();
    }

    #[test]
    fn globs_use_the_path_filter_dialect_and_skip_dependency_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("reports/a.sarif"));
        touch(&root.join("reports/deep/B.SARIF"));
        touch(&root.join("node_modules/pkg/c.sarif"));
        touch(&root.join("target/d.sarif"));
        let pattern = root.join("**/*.sarif");
        let found = expand(&pattern).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["reports/a.sarif", "reports/deep/B.SARIF"]);
        let named = expand(&root.join("node_modules/**/*.sarif")).unwrap();
        assert_eq!(named.len(), 1);
        assert!(expand(&root.join("**/*.xml")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_loop_ends_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("out/r.sarif"));
        std::os::unix::fs::symlink(root.join("out"), root.join("out/again")).unwrap();
        std::os::unix::fs::symlink(root, root.join("out/up")).unwrap();
        let found = expand(&root.join("**/*.sarif")).unwrap();
        assert!(!found.is_empty() && found.len() <= 3, "{found:?}");
    }
}
