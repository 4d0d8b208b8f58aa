//! Imported findings as a [`Source`]: reads the `--findings` reports once, then places each
//! result on a line of the head revision — repository paths, lines translated from the commit
//! the tools ran on (a PR build's merge commit M) to the head (the PR's source S), fingerprints
//! from the head text. What cannot be placed on a head line is returned apart (the summary lists
//! it); what points outside the repository or into excluded files is counted and named.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::UserError;
use crate::finding::{Finding, assign_fingerprints};
use crate::git::{self, LineMap};
use crate::sources::{Change, DropReason, Dropped, Found, Source};

use super::{Reported, files, read, repository_path};

/// Other tools' findings to merge into the review, and where their lines point.
#[derive(Debug, Default)]
pub struct ImportedFindings {
    reported: Vec<Reported>,
    /// The commit whose tree the tools ran on, when it is not the head (a PR build's merge
    /// commit): lines are translated from it to the head.
    checked_out: Option<git2::Oid>,
    /// Directories a tool's absolute paths may start with (the checkout).
    roots: Vec<PathBuf>,
}

impl ImportedFindings {
    /// Reads every file the `--findings` arguments name (globs allowed).
    pub fn read(patterns: &[PathBuf]) -> Result<Self, UserError> {
        let mut reported = Vec::new();
        for pattern in patterns {
            for file in files::expand(pattern)? {
                let found = read(&file)?;
                tracing::info!(file = %file.display(), results = found.len(), "imported findings");
                reported.extend(found);
            }
        }
        Ok(ImportedFindings {
            reported,
            ..ImportedFindings::default()
        })
    }

    /// Where the tools ran: the checkout's directories (absolute paths in reports start with
    /// them) and, when it differs from the head, the commit they saw.
    pub fn ran_in(
        mut self,
        repo: &git2::Repository,
        sources_directory: Option<&Path>,
        checked_out: Option<git2::Oid>,
    ) -> Self {
        if let Some(workdir) = repo.workdir() {
            self.roots.push(workdir.to_path_buf());
            if let Ok(canonical) = workdir.canonicalize() {
                self.roots.push(canonical);
            }
        }
        if let Some(dir) = sources_directory {
            self.roots.push(dir.to_path_buf());
        }
        self.checked_out = checked_out;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.reported.is_empty()
    }
}

impl Source for ImportedFindings {
    fn name(&self) -> &'static str {
        "imported"
    }

    fn review_change(&self, change: &Change<'_>, _so_far: &[Finding]) -> anyhow::Result<Found> {
        if self.reported.is_empty() {
            return Ok(Found::default());
        }
        let repo = change.repo;
        let head = change.revisions.head;
        let roots: Vec<&Path> = self.roots.iter().map(PathBuf::as_path).collect();
        let mut maps: HashMap<String, Option<LineMap>> = HashMap::new();
        let mut placed: Vec<Finding> = Vec::new();
        let mut unplaced = Vec::new();
        let mut dropped: BTreeMap<(String, DropReason), usize> = BTreeMap::new();
        for reported in &self.reported {
            let reason = if reported.path.trim().is_empty() {
                Some(DropReason::NoLocation)
            } else {
                None
            };
            let path = reason
                .is_none()
                .then(|| repository_path(&reported.path, &roots))
                .flatten();
            let Some(path) = path else {
                let why = reason.unwrap_or(DropReason::OutsideRepository);
                *dropped.entry((reported.tool.clone(), why)).or_default() += 1;
                continue;
            };
            if !change.config.includes_path(&path) {
                *dropped
                    .entry((reported.tool.clone(), DropReason::ExcludedByPathFilters))
                    .or_default() += 1;
                continue;
            }
            let (line, end_line) = (reported.line, reported.end_line);
            let translated = match self.checked_out {
                Some(from) if from != head && line > 0 => {
                    let map = maps
                        .entry(path.clone())
                        .or_insert_with(|| LineMap::between(repo, from, head, &path).ok());
                    map.as_ref()
                        .and_then(|m| Some((m.translate(line)?, m.translate(end_line)?)))
                }
                _ => Some((line, end_line)),
            };
            let finding = reported.clone();
            match translated {
                Some((line, end_line)) => {
                    placed.push(finding.into_finding(path, line, end_line.max(line)))
                }
                None => unplaced.push(finding.into_finding(path, line, end_line)),
            }
        }
        // Fingerprints from the head text, as for the built-in findings.
        let mut texts: HashMap<String, Vec<String>> = HashMap::new();
        for finding in placed.iter().chain(unplaced.iter()) {
            texts.entry(finding.path.clone()).or_insert_with(|| {
                git::file_text(repo, head, &finding.path)
                    .map(|text| text.lines().map(str::to_owned).collect())
                    .unwrap_or_default()
            });
        }
        let text_of = |path: &str, line: u32| {
            texts
                .get(path)
                .and_then(|lines| lines.get((line as usize).saturating_sub(1)))
                .cloned()
                .unwrap_or_default()
        };
        assign_fingerprints(&mut placed, text_of);
        assign_fingerprints(&mut unplaced, |_, _| String::new());
        let dropped = dropped
            .into_iter()
            .map(|((source, reason), count)| Dropped {
                source,
                reason,
                count,
            })
            .collect();
        Ok(Found {
            findings: placed,
            unplaced,
            skipped: Vec::new(),
            dropped,
        })
    }
}
