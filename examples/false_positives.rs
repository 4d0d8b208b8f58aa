//! Measures how often the built-in rules fire on ordinary, already-reviewed code.
//!
//! Walks the given directories, treats every file as wholly added (every line an added line,
//! status `added`), runs the built-in rules on it and prints the files scanned, the findings per
//! rule (in total, per 1,000 files, and how many of them are `info` placeholders) and a sample of
//! each rule's hits so that they can be inspected. Messages are printed as the rules wrote them
//! (secrets are already redacted there); the flagged line is shown only for rules outside the
//! `secrets/` family.
//!
//! ```text
//! cargo run --release --example false_positives -- ~/.cargo/registry/src [--samples N]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use coderabbit_agent::finding::{Finding, Severity};
use coderabbit_agent::git::{FileDiff, FileStatus};
use coderabbit_agent::sources::rules::{FileUnderReview, RuleOptions, catalog, check};

/// Files larger than this are skipped (none of the corpus's source files come close).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Default)]
struct RuleStats {
    findings: usize,
    placeholders: usize,
    /// Findings per severity, in `Severity::ALL` order (critical first).
    by_severity: [usize; 5],
    files: usize,
    /// Reservoir sample of (path, line, message, line text).
    sample: Vec<(String, u32, String, String)>,
    seen: usize,
}

#[derive(Default)]
struct Corpus {
    text_files: usize,
    binary_files: usize,
    lines: usize,
    bytes: u64,
    unreadable: usize,
    rules: BTreeMap<String, RuleStats>,
    rng: u64,
}

impl Corpus {
    fn next_random(&mut self) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.rng >> 33
    }

    fn record(&mut self, path: &str, text: &str, findings: &[Finding], samples: usize) {
        let mut rules_in_file: Vec<&str> = Vec::new();
        let lines: Vec<&str> = if findings.is_empty() {
            Vec::new()
        } else {
            text.lines().collect()
        };
        for finding in findings {
            let line_text = if finding.rule.starts_with("secrets/") || finding.line == 0 {
                String::new()
            } else {
                let index = (finding.line as usize).saturating_sub(1);
                let line = lines.get(index).copied().unwrap_or("");
                line.trim().chars().take(160).collect()
            };
            let pick = self.next_random() as usize;
            let stats = self.rules.entry(finding.rule.clone()).or_default();
            stats.findings += 1;
            if let Some(i) = Severity::ALL.iter().position(|s| *s == finding.severity) {
                stats.by_severity[i] += 1;
            }
            if finding.severity == Severity::Info && finding.rule.starts_with("secrets/") {
                stats.placeholders += 1;
            }
            if !rules_in_file.contains(&finding.rule.as_str()) {
                rules_in_file.push(&finding.rule);
                stats.files += 1;
            }
            stats.seen += 1;
            let entry = (
                path.to_string(),
                finding.line,
                format!("[{}] {}", finding.severity, finding.message),
                line_text,
            );
            if stats.sample.len() < samples {
                stats.sample.push(entry);
            } else if pick % stats.seen < samples {
                stats.sample[pick % samples] = entry;
            }
        }
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(&path, files);
            }
        } else if kind.is_file() {
            files.push(path);
        }
    }
}

fn main() -> ExitCode {
    let mut dirs = Vec::new();
    let mut samples = 12;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--samples" {
            match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => samples = n,
                None => {
                    eprintln!("--samples needs a number");
                    return ExitCode::from(2);
                }
            }
        } else {
            dirs.push(PathBuf::from(arg));
        }
    }
    if dirs.is_empty() {
        eprintln!("usage: false_positives DIR... [--samples N]");
        return ExitCode::from(2);
    }

    let options = RuleOptions::default();
    let mut corpus = Corpus {
        rng: 7,
        ..Corpus::default()
    };
    let started = Instant::now();
    let mut checking = std::time::Duration::ZERO;
    for dir in &dirs {
        let mut files = Vec::new();
        walk(dir, &mut files);
        for path in files {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.len() > MAX_FILE_BYTES {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                corpus.unreadable += 1;
                continue;
            };
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let binary = bytes.iter().take(8000).any(|&b| b == 0);
            let text = if binary {
                String::new()
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            let mut diff = FileDiff::new(relative.clone(), FileStatus::Added);
            diff.binary = binary;
            diff.new_size = bytes.len() as u64;
            let line_count = text.lines().count();
            diff.added_lines = (1..=u32::try_from(line_count).unwrap_or(u32::MAX)).collect();
            diff.additions = u32::try_from(line_count).unwrap_or(u32::MAX);
            let before = Instant::now();
            let findings = check(
                &FileUnderReview {
                    diff: &diff,
                    text: &text,
                },
                &options,
            );
            checking += before.elapsed();
            if binary {
                corpus.binary_files += 1;
            } else {
                corpus.text_files += 1;
            }
            corpus.lines += line_count;
            corpus.bytes += bytes.len() as u64;
            corpus.record(&relative, &text, &findings, samples);
        }
    }

    let files = corpus.text_files + corpus.binary_files;
    let per_thousand = |n: usize| n as f64 * 1000.0 / (files.max(1)) as f64;
    println!(
        "scanned {files} files ({} text, {} binary, {} unreadable), {} lines, {:.1} MiB in {:.2?} (rules: {:.2?})",
        corpus.text_files,
        corpus.binary_files,
        corpus.unreadable,
        corpus.lines,
        corpus.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed(),
        checking
    );
    println!();
    println!(
        "{:<42} {:>9} {:>7} {:>12} {:>13}  by severity",
        "rule", "findings", "files", "per 1k files", "placeholders"
    );
    for rule in catalog() {
        let stats = corpus.rules.get(rule.code);
        let (findings, files_hit, placeholders) =
            stats.map_or((0, 0, 0), |s| (s.findings, s.files, s.placeholders));
        let by_severity: Vec<String> = stats
            .map(|s| {
                Severity::ALL
                    .iter()
                    .zip(s.by_severity)
                    .filter(|(_, count)| *count > 0)
                    .map(|(severity, count)| format!("{severity} {count}"))
                    .collect()
            })
            .unwrap_or_default();
        let row = format!(
            "{:<42} {:>9} {:>7} {:>12.2} {:>13}  {}",
            rule.code,
            findings,
            files_hit,
            per_thousand(findings),
            placeholders,
            by_severity.join(", ")
        );
        println!("{}", row.trim_end());
    }
    for (code, stats) in &corpus.rules {
        if stats.sample.is_empty() {
            continue;
        }
        println!();
        println!(
            "== {code}: sample of {} of {} findings",
            stats.sample.len(),
            stats.findings
        );
        for (path, line, message, text) in &stats.sample {
            println!("  {path}:{line}: {message}");
            if !text.is_empty() {
                println!("      | {text}");
            }
        }
    }
    ExitCode::SUCCESS
}
