//! Which findings survive: the diff filter mode (reviewdog's `added`, `diff_context`, `file`,
//! `nofilter`), the profile's minimum severity and the path filters. It knows nothing about
//! where findings came from or how they will be shown.

use std::collections::{BTreeMap, HashMap};

use clap::ValueEnum;

use crate::finding::{Finding, Severity};
use crate::git::FileDiff;
use crate::sources::{DropReason, Dropped};

/// Which findings are kept, relative to the diff (reviewdog's filter modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FilterMode {
    /// Only findings on lines the change adds.
    #[default]
    Added,
    /// Findings on added lines or their diff context (the hunks).
    DiffContext,
    /// Findings anywhere in a changed file.
    File,
    /// Every finding, changed file or not.
    Nofilter,
}

/// The diff as the filter needs it: per path, added lines and hunk ranges on the head side.
pub(crate) struct DiffIndex<'a> {
    files: HashMap<&'a str, &'a FileDiff>,
}

impl<'a> DiffIndex<'a> {
    pub(crate) fn new(files: &'a [FileDiff]) -> Self {
        DiffIndex {
            files: files.iter().map(|f| (f.path.as_str(), f)).collect(),
        }
    }

    /// Whether `mode` keeps a finding at `path`, lines `line..=end_line` (0 = whole file).
    pub(crate) fn keeps(&self, mode: FilterMode, path: &str, line: u32, end_line: u32) -> bool {
        if mode == FilterMode::Nofilter {
            return true;
        }
        let Some(file) = self.files.get(path) else {
            return false;
        };
        if line == 0 || mode == FilterMode::File {
            return true;
        }
        let end = end_line.max(line);
        match mode {
            FilterMode::Added => {
                let start = file.added_lines.partition_point(|&l| l < line);
                file.added_lines.get(start).is_some_and(|&l| l <= end)
            }
            FilterMode::DiffContext => file.hunks.iter().any(|h| {
                let hunk_end = h.new_start + h.new_lines.saturating_sub(1);
                h.new_lines > 0 && line <= hunk_end && end >= h.new_start
            }),
            FilterMode::File | FilterMode::Nofilter => true,
        }
    }
}

/// Keeps the findings that pass the mode and, for the agent's own findings (built-in and AI),
/// reach `min_severity`; counts the others per source and reason.
///
/// The profile's floor is the agent's judgement of its own findings. Another tool's findings
/// were imported on purpose, at the levels that tool was configured to report: they are all
/// kept (`--fail-on` and `--max-comments` still apply to them).
pub(crate) fn apply(
    findings: Vec<Finding>,
    index: &DiffIndex<'_>,
    mode: FilterMode,
    min_severity: Severity,
) -> (Vec<Finding>, Vec<Dropped>) {
    let mut dropped: BTreeMap<(String, DropReason), usize> = BTreeMap::new();
    let kept = findings
        .into_iter()
        .filter(|f| {
            let own = matches!(f.source.as_str(), "builtin" | "llm");
            let reason = if own && f.severity < min_severity {
                DropReason::BelowProfile
            } else if !index.keeps(mode, &f.path, f.line, f.end_line) {
                DropReason::OutsideFilterMode
            } else {
                return true;
            };
            *dropped.entry((f.source.clone(), reason)).or_default() += 1;
            false
        })
        .collect();
    let dropped = dropped
        .into_iter()
        .map(|((source, reason), count)| Dropped {
            source,
            reason,
            count,
        })
        .collect();
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::{FileStatus, Hunk};

    fn diff() -> Vec<FileDiff> {
        let mut file = FileDiff::new("src/a.rs", FileStatus::Modified);
        file.added_lines = vec![5, 6, 20];
        file.hunks = vec![
            Hunk {
                old_start: 2,
                old_lines: 6,
                new_start: 2,
                new_lines: 8,
            },
            Hunk {
                old_start: 15,
                old_lines: 6,
                new_start: 17,
                new_lines: 7,
            },
        ];
        vec![file]
    }

    #[test]
    fn added_mode_keeps_ranges_that_touch_an_added_line() {
        let files = diff();
        let index = DiffIndex::new(&files);
        assert!(index.keeps(FilterMode::Added, "src/a.rs", 5, 5));
        assert!(index.keeps(FilterMode::Added, "src/a.rs", 3, 5));
        assert!(index.keeps(FilterMode::Added, "src/a.rs", 19, 21));
        assert!(!index.keeps(FilterMode::Added, "src/a.rs", 7, 19));
        assert!(!index.keeps(FilterMode::Added, "src/b.rs", 5, 5));
        assert!(
            index.keeps(FilterMode::Added, "src/a.rs", 0, 0),
            "whole-file findings stay"
        );
    }

    #[test]
    fn other_modes_widen_the_net() {
        let files = diff();
        let index = DiffIndex::new(&files);
        assert!(index.keeps(FilterMode::DiffContext, "src/a.rs", 9, 9));
        assert!(!index.keeps(FilterMode::DiffContext, "src/a.rs", 12, 12));
        assert!(index.keeps(FilterMode::File, "src/a.rs", 12, 12));
        assert!(!index.keeps(FilterMode::File, "other.rs", 1, 1));
        assert!(index.keeps(FilterMode::Nofilter, "other.rs", 1, 1));
    }

    fn finding(source: &str, severity: Severity, line: u32) -> Finding {
        Finding {
            path: "src/a.rs".into(),
            line,
            end_line: line,
            severity,
            category: crate::finding::Category::Correctness,
            rule: "r".into(),
            source: source.into(),
            message: "m".into(),
            suggestion: None,
            fingerprint: crate::finding::Fingerprint(String::new()),
        }
    }

    #[test]
    fn the_profile_floor_applies_to_the_agents_findings_not_to_imported_ones() {
        let files = diff();
        let index = DiffIndex::new(&files);
        let findings = vec![
            finding("builtin", Severity::Info, 5),
            finding("eslint", Severity::Info, 5),
            finding("eslint", Severity::Major, 12),
        ];
        let (kept, dropped) = apply(findings, &index, FilterMode::Added, Severity::Minor);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].source, "eslint");
        assert_eq!(kept[0].line, 5);
        assert_eq!(
            dropped,
            [
                Dropped {
                    source: "builtin".into(),
                    reason: DropReason::BelowProfile,
                    count: 1
                },
                Dropped {
                    source: "eslint".into(),
                    reason: DropReason::OutsideFilterMode,
                    count: 1
                }
            ]
        );
    }
}
