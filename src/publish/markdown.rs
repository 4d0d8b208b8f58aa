//! The Markdown format: the walkthrough that becomes the pull request's summary comment.
//!
//! Azure DevOps renders CommonMark with GitHub-style tables and a safe subset of HTML
//! (`<details>`, `<summary>`). The comment has, in order: a headline with the totals; the
//! walkthrough (a high-level summary when `high_level_summary` is on, then a table of changed
//! files), folded into `<details>` when `collapse_walkthrough` is on; the findings by severity;
//! configuration problems; and, when `review_status` is on, folded review details (revisions,
//! files reviewed and skipped).
//!
//! Paths are code spans with `|` escaped inside tables; messages keep their inline Markdown
//! but cannot open HTML tags or new blocks. The files table stops at [`MAX_FILE_ROWS`] rows and
//! the whole comment at [`MAX_COMMENT_CHARS`], Azure DevOps' limit for one comment, with a note
//! saying what was left out.

use crate::finding::{Finding, Severity};
use crate::git::FileStatus;
use crate::review::Review;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{plural, short_revision};

/// Azure DevOps refuses a comment longer than this many characters.
pub(crate) const MAX_COMMENT_CHARS: usize = 150_000;

/// The changed-files table lists at most this many files, then says how many more there are.
pub(crate) const MAX_FILE_ROWS: usize = 300;

/// Writes the summary comment for `review`.
pub(crate) fn render(review: &Review, out: &mut dyn Write) -> io::Result<()> {
    let comment = comment(review);
    out.write_all(comment.as_bytes())?;
    if !comment.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The summary comment for `review`, at most [`MAX_COMMENT_CHARS`] characters long.
pub(crate) fn comment(review: &Review) -> String {
    truncate(full_comment(review), MAX_COMMENT_CHARS)
}

/// The summary comment without a length limit: its sections, a blank line apart.
pub(crate) fn full_comment(review: &Review) -> String {
    let mut sections = vec!["## CodeRabbit review".to_owned(), headline(review)];

    let walkthrough = match review.ai.as_ref().and_then(|ai| ai.walkthrough.clone()) {
        Some(written) => written,
        None => walkthrough(review),
    };
    let walkthrough = walkthrough.trim_end();
    if review.presentation.collapse_walkthrough {
        sections.push(format!(
            "<details>\n<summary>Walkthrough ({})</summary>\n\n{walkthrough}\n\n</details>",
            plural(review.files.len(), "changed file", "changed files")
        ));
    } else {
        sections.push(format!("### Walkthrough\n\n{walkthrough}"));
    }

    if !review.findings.is_empty() {
        sections.push(findings(review));
    }

    if let Some(ai) = review.ai.as_ref().filter(|ai| !ai.nitpicks.is_empty()) {
        let mut md = format!(
            "<details>\n<summary>Nitpicks ({})</summary>\n\n",
            ai.nitpicks.len()
        );
        for nit in &ai.nitpicks {
            let _ = writeln!(
                md,
                "- {}: {}",
                code(&format!("{}:{}", nit.path, nit.line), false),
                inline(&nit.message)
            );
        }
        md.push_str("\n</details>");
        sections.push(md);
    }

    if !review.config_problems.is_empty() {
        let mut md = String::from("### Configuration problems\n\n");
        for problem in &review.config_problems {
            let _ = writeln!(md, "- {}", inline(problem));
        }
        sections.push(md);
    }

    if review.presentation.review_status {
        sections.push(details(review));
    }

    let mut md = sections
        .iter()
        .map(|section| section.trim_end())
        .collect::<Vec<_>>()
        .join("\n\n");
    md.push('\n');
    md
}

/// `**6 findings** (1 critical, 2 major) in 4 of 8 changed files.` or `No findings in …`.
fn headline(review: &Review) -> String {
    let files = plural(review.files.len(), "changed file", "changed files");
    if review.findings.is_empty() {
        return format!("No findings in {files}.");
    }
    let counts: Vec<String> = review
        .counts_by_severity()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    format!(
        "**{}** ({}) in {} of {files}.",
        plural(review.findings.len(), "finding", "findings"),
        counts.join(", "),
        files_with_findings(review),
    )
}

fn files_with_findings(review: &Review) -> usize {
    let mut paths: Vec<&str> = review.findings.iter().map(|f| f.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    paths.len()
}

/// The high-level summary (when asked for) and the changed-files table.
fn walkthrough(review: &Review) -> String {
    let mut md = String::new();
    if review.presentation.high_level_summary && !review.files.is_empty() {
        md.push_str(&high_level_summary(review));
        md.push_str("\n\n");
    }
    if review.files.is_empty() {
        md.push_str("No files changed.\n");
        return md;
    }
    md.push_str("| File | Change | +/- |\n| --- | --- | --- |\n");
    for file in review.files.iter().take(MAX_FILE_ROWS) {
        let change = match (&file.old_path, file.status) {
            (Some(old), FileStatus::Renamed) => format!("renamed from {}", code(old, true)),
            (Some(old), FileStatus::Copied) => format!("copied from {}", code(old, true)),
            (_, FileStatus::TypeChanged) => "type changed".to_owned(),
            (_, status) => status.as_str().to_owned(),
        };
        let lines = if file.binary {
            "binary".to_owned()
        } else {
            format!("+{} / -{}", file.additions, file.deletions)
        };
        let _ = writeln!(md, "| {} | {change} | {lines} |", code(&file.path, true));
    }
    if review.files.len() > MAX_FILE_ROWS {
        let more = review.files.len() - MAX_FILE_ROWS;
        let files = if more == 1 { "file" } else { "files" };
        let _ = writeln!(md, "\n… and {more} more {files}.");
    }
    md
}

/// One paragraph: how many files changed and how, what kinds of files, what the review found.
fn high_level_summary(review: &Review) -> String {
    let files = &review.files;
    let additions: u64 = files.iter().map(|f| u64::from(f.additions)).sum();
    let deletions: u64 = files.iter().map(|f| u64::from(f.deletions)).sum();
    let mut text = format!(
        "This change touches {} (+{additions} / -{deletions} lines)",
        plural(files.len(), "file", "files")
    );

    let statuses = [
        (FileStatus::Added, "added"),
        (FileStatus::Modified, "modified"),
        (FileStatus::Renamed, "renamed"),
        (FileStatus::Copied, "copied"),
        (FileStatus::Deleted, "deleted"),
        (FileStatus::TypeChanged, "changed type"),
    ];
    let by_status: Vec<String> = statuses
        .iter()
        .filter_map(|(status, word)| {
            let count = files.iter().filter(|f| f.status == *status).count();
            (count > 0).then(|| format!("{count} {word}"))
        })
        .collect();
    let _ = write!(text, ": {}", join_words(&by_status));
    let binaries = files.iter().filter(|f| f.binary).count();
    if binaries > 0 {
        let _ = write!(text, " ({binaries} of them binary)");
    }
    text.push_str(". ");

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for file in files {
        *kinds.entry(kind_of(&file.path)).or_default() += 1;
    }
    let mut kinds: Vec<(&str, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let kinds: Vec<String> = kinds
        .iter()
        .map(|(kind, count)| format!("{kind} ({count})"))
        .collect();
    let _ = write!(text, "Kinds of files: {}.", kinds.join(", "));

    if review.findings.is_empty() {
        text.push_str(" The review found nothing to report.");
    } else if let Some(worst) = review.worst() {
        let _ = write!(
            text,
            " The review found {} in {}; the most severe is **{worst}**.",
            plural(review.findings.len(), "finding", "findings"),
            plural(files_with_findings(review), "file", "files"),
        );
    }
    if !review.skipped.is_empty() {
        let _ = write!(
            text,
            " {} not reviewed.",
            plural(review.skipped.len(), "file was", "files were")
        );
    }
    text
}

/// What kind of file a path is, by its name.
fn kind_of(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "Dockerfile" | "Containerfile" => return "Docker",
        "Makefile" | "GNUmakefile" => return "Make",
        "Cargo.lock" | "package-lock.json" | "yarn.lock" | "pnpm-lock.yaml" | "go.sum" => {
            return "lock file";
        }
        _ => {}
    }
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return "other";
    };
    if stem.is_empty() && !matches!(extension, "yml" | "yaml" | "json" | "toml") {
        return "other";
    }
    match extension.to_ascii_lowercase().as_str() {
        "rs" => "Rust",
        "ts" | "tsx" | "mts" | "cts" => "TypeScript",
        "js" | "jsx" | "mjs" | "cjs" => "JavaScript",
        "py" | "pyi" => "Python",
        "go" => "Go",
        "java" => "Java",
        "kt" | "kts" => "Kotlin",
        "cs" => "C#",
        "fs" | "fsx" => "F#",
        "vb" => "Visual Basic",
        "c" | "h" => "C",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" => "C++",
        "swift" => "Swift",
        "rb" => "Ruby",
        "php" => "PHP",
        "scala" => "Scala",
        "sh" | "bash" | "zsh" => "shell",
        "ps1" | "psm1" | "psd1" => "PowerShell",
        "sql" => "SQL",
        "html" | "htm" => "HTML",
        "css" | "scss" | "sass" | "less" => "CSS",
        "yml" | "yaml" => "YAML",
        "json" | "jsonc" => "JSON",
        "toml" => "TOML",
        "xml" | "csproj" | "vbproj" | "fsproj" | "props" | "targets" => "XML",
        "md" | "markdown" | "rst" | "adoc" | "txt" => "documentation",
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "ico" | "webp" | "bmp" => "image",
        "tf" | "tfvars" | "bicep" => "infrastructure",
        _ => "other",
    }
}

/// The findings: a table of counts, then a list per severity, most severe first.
fn findings(review: &Review) -> String {
    let mut md = String::from("### Findings\n\n| Severity | Count |\n| --- | ---: |\n");
    let counts = review.counts_by_severity();
    for (severity, count) in &counts {
        if *severity >= review.min_severity || *count > 0 {
            let _ = writeln!(md, "| {} | {count} |", title(*severity));
        }
    }
    md.push('\n');

    let mut ordered: Vec<&Finding> = review.findings.iter().collect();
    ordered.sort_by(|a, b| {
        (b.severity, &a.path, a.line, a.end_line).cmp(&(a.severity, &b.path, b.line, b.end_line))
    });
    for group in ordered.chunk_by(|a, b| a.severity == b.severity) {
        let Some(first) = group.first() else {
            continue;
        };
        let _ = writeln!(md, "#### {} ({})\n", title(first.severity), group.len());
        for finding in group {
            let _ = writeln!(md, "- {}", finding_item(finding));
        }
        md.push('\n');
    }
    md
}

/// `` `src/a.rs:12` — message (`rule`) ``, with the source when it is not the built-in reviewer
/// and a mark when a fix is suggested.
fn finding_item(finding: &Finding) -> String {
    let place = match (finding.line, finding.end_line) {
        (0, _) => format!("{} (whole file)", code(&finding.path, false)),
        (line, end) if end > line => code(&format!("{}:{line}-{end}", finding.path), false),
        (line, _) => code(&format!("{}:{line}", finding.path), false),
    };
    let mut about = code(&finding.rule, false);
    if finding.source != "builtin" {
        let _ = write!(about, " from {}", inline(&finding.source));
    }
    if finding.suggestion.is_some() {
        about.push_str(", fix suggested");
    }
    format!("{place} — {} ({about})", inline(&finding.message))
}

/// The folded review details: revisions, files reviewed, files skipped and why.
fn details(review: &Review) -> String {
    let mut md = String::from("<details>\n<summary>Review details</summary>\n\n");
    let _ = writeln!(
        md,
        "- Compared: {}",
        code(
            &format!(
                "{}..{}",
                short_revision(&review.base),
                short_revision(&review.head)
            ),
            false
        )
    );
    let reviewed = review.files.len().saturating_sub(review.skipped.len());
    let _ = writeln!(md, "- Files reviewed: {reviewed} of {}", review.files.len());
    if review.skipped.is_empty() {
        md.push_str("- Files skipped: none\n");
    } else {
        let _ = writeln!(md, "- Files skipped: {}", review.skipped.len());
        for skipped in &review.skipped {
            let _ = writeln!(
                md,
                "  - {}: {}",
                code(&skipped.path, false),
                inline(&skipped.reason.describe())
            );
        }
    }
    let _ = writeln!(md, "- Lowest severity reported: {}", review.min_severity);
    if let Some(ai) = &review.ai {
        let since = ai
            .since
            .as_deref()
            .map(|c| format!(" since {}", code(short_revision(c), false)))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "- AI review: reviewed {} of {} files{since}; {} request(s), {} input and {} output tokens of a {}-token budget",
            ai.files_reviewed,
            ai.files_given,
            ai.requests,
            ai.input_tokens,
            ai.output_tokens,
            ai.token_budget
        );
        for problem in &ai.problems {
            let _ = writeln!(md, "  - {}", inline(problem));
        }
    }
    for dropped in review.dropped.iter().filter(|d| d.source != "builtin") {
        let _ = writeln!(
            md,
            "- Left out: {} finding(s) of {} that {}",
            dropped.count,
            inline(&dropped.source),
            dropped.reason.describe()
        );
    }
    if !review.config_problems.is_empty() {
        let _ = writeln!(
            md,
            "- Configuration problems: {}",
            review.config_problems.len()
        );
    }
    md.push_str("\n</details>\n");
    md
}

fn title(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::Major => "Major",
        Severity::Minor => "Minor",
        Severity::Trivial => "Trivial",
        Severity::Info => "Info",
    }
}

/// `a, b and c`.
fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `text` as a code span: every character shown as is, `|` escaped inside a table cell.
///
/// The fence is one backtick longer than the longest run of backticks in `text`; control
/// characters (a newline in a file name) are shown as `\u{…}`.
pub(crate) fn code(text: &str, in_table: bool) -> String {
    let mut body = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            let _ = write!(body, "\\u{{{:x}}}", u32::from(c));
        } else if c == '|' && in_table {
            body.push_str("\\|");
        } else {
            body.push(c);
        }
    }
    let longest_run = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = body.starts_with('`')
        || body.ends_with('`')
        || (body.starts_with(' ') && body.ends_with(' ') && !body.trim().is_empty());
    if pad {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

/// Free text (a message, a reason) as inline Markdown on one line.
///
/// Its own inline Markdown (code spans, emphasis, links) is kept; line breaks become spaces;
/// outside code spans `<` is escaped so that no HTML tag (a stray `</details>`) reaches the
/// page, `|` so that no table is broken, and `##` so that the text never reads as an Azure
/// Pipelines logging command when printed to a build log. An unmatched backtick is escaped.
pub(crate) fn inline(text: &str) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    let mut out = String::with_capacity(flat.len() + 8);
    let mut rest = flat.as_str();
    while !rest.is_empty() {
        let Some(tick) = rest.find('`') else {
            out.push_str(&escape_plain(rest));
            break;
        };
        out.push_str(&escape_plain(&rest[..tick]));
        let after = &rest[tick..];
        let run = after.len() - after.trim_start_matches('`').len();
        let fence = &after[..run];
        let body = &after[run..];
        match find_closing_fence(body, run) {
            Some(end) => {
                out.push_str(fence);
                out.push_str(&body[..end + run]);
                rest = &body[end + run..];
            }
            None => {
                out.push_str(&"\\`".repeat(run));
                rest = body;
            }
        }
    }
    out
}

/// Where a run of exactly `run` backticks starts in `body`, if anywhere.
fn find_closing_fence(body: &str, run: usize) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let start = i;
            while i < bytes.len() && bytes[i] == b'`' {
                i += 1;
            }
            if i - start == run {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Escapes, outside code spans, what could open HTML, break a table row or read as a logging
/// command.
fn escape_plain(text: &str) -> String {
    text.replace('<', "&lt;")
        .replace('|', "\\|")
        .replace("##", "#\\#")
}

/// Cuts `md` at a line boundary so that it fits in `max` characters (UTF-16 code units, as
/// Azure DevOps counts them), closes a `<details>` left open, and says what was left out.
pub(crate) fn truncate(md: String, max: usize) -> String {
    if utf16_len(&md) <= max {
        return md;
    }
    let total_lines = md.lines().count();
    let note = |omitted: usize| {
        format!(
            "\n\n> **Note:** this comment was cut to fit Azure DevOps' limit of {max} characters \
             per comment; {} left out. `coderabbit-agent review --format json` lists every \
             finding.\n",
            plural(omitted, "line was", "lines were")
        )
    };
    // The note and closing tags, at their longest.
    let reserve = utf16_len(&note(total_lines)) + utf16_len("\n</details>\n````````");
    // One line may take at most a tenth of the comment: a minified bundle's line or a huge
    // message is shortened, and the lines after it still fit.
    let line_cap = (max / 10).max(80);

    let mut kept = String::new();
    let mut kept_len = 0;
    let mut kept_lines = 0;
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let line = shorten(line, line_cap);
        let len = utf16_len(&line) + 1;
        if kept_len + len + reserve > max {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            let ticks: String = trimmed.chars().take_while(|c| *c == '`').collect();
            match &fence {
                Some(open) if ticks.len() >= open.len() => fence = None,
                None => fence = Some(ticks),
                _ => {}
            }
        }
        kept.push_str(&line);
        kept.push('\n');
        kept_len += len;
        kept_lines += 1;
    }
    while kept.ends_with('\n') {
        kept.pop();
    }
    if let Some(open) = fence {
        kept.push('\n');
        kept.push_str(&open);
    }
    if kept.matches("<details>").count() > kept.matches("</details>").count() {
        kept.push_str("\n\n</details>");
    }
    kept.push_str(&note(total_lines - kept_lines));
    kept
}

/// `line` cut to at most `cap` UTF-16 units, marked with `…` when it was cut.
fn shorten(line: &str, cap: usize) -> std::borrow::Cow<'_, str> {
    if utf16_len(line) <= cap {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        used += c.len_utf16();
        if used + 1 > cap {
            break;
        }
        out.push(c);
    }
    out.push('…');
    std::borrow::Cow::Owned(out)
}

/// Length as Azure DevOps counts it: UTF-16 code units.
pub(crate) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::finding::{Category, Fingerprint};
    use crate::publish::fixtures;
    use crate::review::ReviewedFile;

    #[test]
    fn realistic_review() {
        insta::assert_snapshot!(comment(&fixtures::realistic()));
    }

    #[test]
    fn realistic_review_collapsed_without_summary_or_details() {
        let mut review = fixtures::realistic();
        review.presentation.collapse_walkthrough = true;
        review.presentation.high_level_summary = false;
        review.presentation.review_status = false;
        let md = comment(&review);
        assert!(
            md.contains("<details>\n<summary>Walkthrough (8 changed files)</summary>\n\n| File |")
        );
        assert!(!md.contains("This change touches"));
        assert!(!md.contains("Review details"));
        assert!(md.contains("### Configuration problems"));
        insta::assert_snapshot!(md);
    }

    #[test]
    fn empty_review() {
        let md = comment(&fixtures::empty());
        assert!(md.contains("No findings in 3 changed files."));
        assert!(!md.contains("### Findings"));
        insta::assert_snapshot!(md);
    }

    /// The cells of a table row, split on unescaped `|` as a GFM table parser does.
    fn cells(row: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut chars = row.trim().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'|') => {
                    chars.next();
                    if let Some(cell) = cells.last_mut() {
                        cell.push('|');
                    }
                }
                '|' => cells.push(String::new()),
                c => {
                    if let Some(cell) = cells.last_mut() {
                        cell.push(c);
                    }
                }
            }
        }
        cells
            .into_iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    }

    #[test]
    fn paths_with_markdown_specials_stay_one_cell_and_literal() {
        let path = "docs/release notes/a|b*c_d.md";
        let mut review = fixtures::empty();
        review.files = vec![ReviewedFile {
            path: path.to_owned(),
            old_path: Some("docs/old `name`.md".to_owned()),
            status: FileStatus::Renamed,
            binary: false,
            additions: 1,
            deletions: 1,
        }];
        let md = comment(&review);
        let row = md
            .lines()
            .find(|l| l.starts_with("| `docs/release"))
            .expect("a row for the file");
        assert_eq!(
            row,
            "| `docs/release notes/a\\|b*c_d.md` | renamed from ``docs/old `name`.md`` | +1 / -1 |"
        );
        let cells = cells(row);
        assert_eq!(cells.len(), 3, "{cells:?}");
        assert_eq!(cells[0], "`docs/release notes/a|b*c_d.md`");

        // Outside a table, the pipe needs no escape.
        assert_eq!(code(path, false), "`docs/release notes/a|b*c_d.md`");
        assert_eq!(code("`x`", false), "`` `x` ``");
        assert_eq!(code("a\nb", false), "`a\\u{a}b`");
    }

    #[test]
    fn messages_keep_inline_markdown_but_no_html_or_commands() {
        assert_eq!(
            inline("use `Vec<u8>` here</details>\n<script>|##vso[x]"),
            "use `Vec<u8>` here&lt;/details> &lt;script>\\|#\\#vso[x]"
        );
        assert_eq!(inline("a ` b"), "a \\` b");
        assert_eq!(inline("``a`b`` c"), "``a`b`` c");
    }

    #[test]
    fn files_table_is_capped() {
        let mut review = fixtures::empty();
        review.files = (0..MAX_FILE_ROWS + 25)
            .map(|i| ReviewedFile {
                path: format!("src/file{i:04}.rs"),
                old_path: None,
                status: FileStatus::Added,
                binary: false,
                additions: 1,
                deletions: 0,
            })
            .collect();
        let md = comment(&review);
        let rows = md.lines().filter(|l| l.starts_with("| `src/file")).count();
        assert_eq!(rows, MAX_FILE_ROWS);
        assert!(md.contains("\n… and 25 more files.\n"));
        assert!(md.contains("This change touches 325 files"));
    }

    #[test]
    fn huge_review_is_cut_below_the_comment_limit() {
        let mut review = fixtures::realistic();
        review.presentation.collapse_walkthrough = true;
        review.findings = (0..5000u32)
            .map(|i| Finding {
                path: format!("src/generated/module_{:03}/file.rs", i % 400),
                line: i + 1,
                end_line: i + 1,
                severity: Severity::ALL[(i % 5) as usize],
                category: Category::Correctness,
                rule: "llm/correctness".to_owned(),
                source: "llm".to_owned(),
                message: format!(
                    "Finding number {i}: {}",
                    "this is a long explanation ".repeat(4)
                ),
                suggestion: None,
                fingerprint: Fingerprint(format!("{i:032x}")),
            })
            .collect();
        let full = full_comment(&review);
        assert!(utf16_len(&full) > MAX_COMMENT_CHARS);

        let md = comment(&review);
        assert!(md.chars().count() <= MAX_COMMENT_CHARS);
        assert!(utf16_len(&md) <= MAX_COMMENT_CHARS);
        assert!(md.len() > MAX_COMMENT_CHARS / 2, "cut far too much");
        assert!(md.contains("> **Note:** this comment was cut"));
        assert!(md.starts_with("## CodeRabbit review\n\n**5000 findings**"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn truncation_closes_an_open_details_and_counts_in_utf16() {
        let md = format!(
            "head\n\n<details>\n<summary>x</summary>\n\n{}",
            "- 😀😀😀😀\n".repeat(100)
        );
        let cut = truncate(md, 600);
        assert!(utf16_len(&cut) <= 600, "{}", utf16_len(&cut));
        assert!(cut.contains("\n\n</details>\n\n> **Note:**"));
        assert_eq!(truncate("short".to_owned(), 600), "short");
    }
}
