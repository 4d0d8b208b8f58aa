//! From the model's answer to findings on the right lines, or to nothing.
//!
//! Each item of an answer is checked on its own: the path must be a file the model was shown,
//! the quoted text must be on the first line (or within a few lines, where the finding is
//! moved), the lines must be lines the change touches, a suggestion must replace exactly the
//! lines it says it replaces and change them. An item that fails a check is dropped alone, or,
//! when it is about real code that cannot be placed, listed as "not placed". The profile then
//! decides what is a thread, what is a nitpick and what is left out.

use serde_json::Value;

use super::guard::sanitize;
use super::prompt::FileUnderReview;
use crate::config::Profile;
use crate::filter::FilterMode;
use crate::finding::{Category, Finding, Fingerprint, Severity};

/// The `source` of every finding the model produces.
pub const SOURCE: &str = "llm";

/// How far the quoted line may be from the line the model named.
pub const ANCHOR_SLACK: u32 = 3;

/// Longest range a finding may cover.
const LONGEST_RANGE: u32 = 40;
const LONGEST_TITLE: usize = 160;
const LONGEST_EXPLANATION: usize = 1500;
const LONGEST_SUGGESTION_LINES: usize = 60;

/// One item of the model's answer, as the model gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    pub line_text: String,
    pub severity: Severity,
    pub category: Category,
    pub nitpick: bool,
    pub title: String,
    pub explanation: String,
    pub replaces: Option<String>,
    pub suggestion: Option<String>,
}

/// Reads one item; `None` when it is not a finding (missing or invalid fields).
pub fn read_item(item: &Value) -> Option<Proposed> {
    let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
    let line = |k: &str| {
        item.get(k)
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            })
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n > 0)
    };
    let start_line = line("start_line")?;
    let end_line = line("end_line").unwrap_or(start_line).max(start_line);
    let severity: Severity = text("severity")?.parse().ok()?;
    let category = parse_category(&text("category")?)?;
    let title = text("title")?;
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return None;
    }
    Some(Proposed {
        path: text("path")?
            .trim()
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_owned(),
        start_line,
        end_line,
        line_text: text("line_text").unwrap_or_default(),
        severity,
        category,
        nitpick: item
            .get("nitpick")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        title,
        explanation: text("explanation").unwrap_or_default(),
        replaces: text("replaces"),
        suggestion: text("suggestion"),
    })
}

fn parse_category(name: &str) -> Option<Category> {
    let name = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    [
        Category::Security,
        Category::Stability,
        Category::DataIntegrity,
        Category::Correctness,
        Category::Performance,
        Category::Maintainability,
    ]
    .into_iter()
    .find(|c| c.as_str() == name)
}

/// A finding the model made about real code that cannot be put on a line of the change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotPlaced {
    pub path: String,
    /// The line the model named (1-based, head side); it may be wrong.
    pub line: u32,
    pub severity: Severity,
    pub category: Category,
    /// One line, sanitised.
    pub title: String,
    /// Why it could not be placed.
    pub reason: String,
}

/// What became of one proposed finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    Placed {
        finding: Finding,
        nitpick: bool,
    },
    NotPlaced(NotPlaced),
    /// About nothing real (an unknown file, a line past the end): left out.
    Dropped(String),
}

fn normalised(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Places one proposed finding on `file` (the file of the diff with that path, if any).
pub fn place(
    proposed: Proposed,
    file: Option<&FileUnderReview>,
    mode: FilterMode,
    allowed_host: &str,
) -> Placement {
    let Some(file) = file else {
        return Placement::Dropped(format!("`{}` is not a file of this change", proposed.path));
    };
    let total = file.head_lines.len() as u32;
    let span = proposed.end_line - proposed.start_line;
    if span >= LONGEST_RANGE {
        return Placement::Dropped("the range is too long to be one finding".into());
    }
    if proposed.start_line > total + ANCHOR_SLACK {
        return Placement::Dropped(format!(
            "line {} is past the end of `{}`",
            proposed.start_line, proposed.path
        ));
    }
    let not_placed = |reason: String| {
        Placement::NotPlaced(NotPlaced {
            path: proposed.path.clone(),
            line: proposed.start_line,
            severity: proposed.severity,
            category: proposed.category,
            title: sanitize(&proposed.title, allowed_host).trim().to_owned(),
            reason,
        })
    };
    // Anchor on the quoted text: the named line, else the nearest line within the slack.
    let quoted = normalised(&proposed.line_text);
    if quoted.is_empty() {
        return not_placed("the finding quotes no line".into());
    }
    // Models often copy the prompt's line number and marker along with the line.
    let bare = normalised(without_prompt_prefix(&proposed.line_text));
    let matches = |line: u32| {
        file.head_line(line).is_some_and(|t| {
            let t = normalised(t);
            t == quoted || (!bare.is_empty() && t == bare)
        })
    };
    let start = std::iter::once(proposed.start_line)
        .chain(
            (1..=ANCHOR_SLACK)
                .flat_map(|d| {
                    [
                        proposed.start_line.checked_sub(d).filter(|l| *l > 0),
                        Some(proposed.start_line + d),
                    ]
                })
                .flatten(),
        )
        .find(|l| matches(*l));
    let Some(start) = start else {
        return not_placed(format!(
            "the quoted line is not at or near line {}",
            proposed.start_line
        ));
    };
    let end = (start + span).min(total.max(start));
    let touches = |line: u32| match mode {
        FilterMode::Added => file.added.contains(&line),
        FilterMode::DiffContext => file.in_hunk(line),
        FilterMode::File | FilterMode::Nofilter => true,
    };
    if !(start..=end).any(touches) {
        return not_placed(format!(
            "line {start} is outside the lines this change touches"
        ));
    }
    let current: Vec<&str> = (start..=end).filter_map(|l| file.head_line(l)).collect();
    let mut suggestion = None;
    if let (Some(replaces), Some(replacement)) = (&proposed.replaces, &proposed.suggestion) {
        if same_lines(replaces, &current) {
            let reindented = reindent(replacement, &current);
            if normalised(&reindented) == normalised(&current.join("\n")) {
                // It asks for what the code already does: the finding is noise.
                return Placement::Dropped("the suggestion restates the current code".into());
            }
            if reindented.lines().count() <= LONGEST_SUGGESTION_LINES {
                suggestion = Some(reindented);
            }
        }
    }
    let title = sanitize(&proposed.title, allowed_host);
    let title: String = title.trim().chars().take(LONGEST_TITLE).collect();
    let explanation = sanitize(proposed.explanation.trim(), allowed_host);
    let explanation = shorten(&explanation, LONGEST_EXPLANATION);
    let message = if explanation.is_empty() {
        format!("**{title}**")
    } else {
        format!("**{title}**\n\n{explanation}")
    };
    let rule = format!("{SOURCE}/{}", proposed.category.as_str());
    let fingerprint = fingerprint(&rule, &file.path, &current.join("\n"));
    Placement::Placed {
        nitpick: proposed.nitpick || proposed.severity <= Severity::Trivial,
        finding: Finding {
            path: file.path.clone(),
            line: start,
            end_line: end,
            severity: proposed.severity,
            category: proposed.category,
            rule,
            source: SOURCE.to_owned(),
            message,
            suggestion,
            fingerprint,
        },
    }
}

/// `text` without a leading `12 + ` / `12   ` (the prompt's number and marker) or `+ `.
fn without_prompt_prefix(text: &str) -> &str {
    let trimmed = text.trim_start();
    let digits = trimmed.len()
        - trimmed
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    let rest = &trimmed[digits..];
    let rest = if digits > 0 {
        rest.strip_prefix(" + ")
            .or_else(|| rest.strip_prefix("   "))
            .or_else(|| rest.strip_prefix(" "))
            .unwrap_or(rest)
    } else {
        rest.strip_prefix("+ ").unwrap_or(rest)
    };
    if digits > 0 && rest.len() == trimmed[digits..].len() {
        // Digits that are not followed by a marker are code (`42;`), not a line number.
        return text;
    }
    rest
}

/// A fingerprint that survives rewording: the rule (source and category), the path and the
/// whitespace-normalised text of the anchored lines; never the model's words or line numbers.
pub fn fingerprint(rule: &str, path: &str, anchored_text: &str) -> Fingerprint {
    Fingerprint::compute(rule, path, anchored_text, 0)
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let cut: String = text.chars().take(limit).collect();
    let cut = cut
        .rsplit_once(char::is_whitespace)
        .map(|(a, _)| a)
        .unwrap_or(&cut);
    let mut out = format!("{cut} …");
    // A cut inside a code block must not leave it open.
    if out.matches("```").count() % 2 == 1 {
        out.push_str("\n```");
    }
    out
}

/// Whether `replaces` is exactly `current` (line endings and trailing spaces aside).
fn same_lines(replaces: &str, current: &[&str]) -> bool {
    let theirs: Vec<&str> = replaces
        .trim_end_matches(['\n', '\r'])
        .split('\n')
        .map(|l| l.trim_end())
        .collect();
    theirs.len() == current.len() && theirs.iter().zip(current).all(|(a, b)| *a == b.trim_end())
}

fn indentation(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// `replacement` with its indentation moved to the file's: the replacement's first non-blank
/// line starts where the replaced first non-blank line starts, and the rest follows.
fn reindent(replacement: &str, current: &[&str]) -> String {
    let replacement = replacement.trim_end_matches(['\n', '\r']);
    let lines: Vec<&str> = replacement
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .collect();
    let Some(file_indent) = current
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| indentation(l))
    else {
        return replacement.to_owned();
    };
    let theirs_min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| indentation(l))
        .min_by_key(|i| i.len())
        .unwrap_or("");
    let first = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| indentation(l))
        .unwrap_or("");
    if first == file_indent {
        return lines.join("\n");
    }
    // Keep the relative indentation, replace the common part with the file's.
    let unit_is_tab = file_indent.contains('\t');
    lines
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                return String::new();
            }
            let own = indentation(l);
            let extra = &own[theirs_min.len().min(own.len())..];
            let extra = if unit_is_tab {
                extra.replace("    ", "\t")
            } else {
                extra.replace('\t', "    ")
            };
            format!("{file_indent}{extra}{}", l.trim_start())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a finding matters under `chill`: a bug, a security problem, data loss, a clear mistake.
pub fn matters(finding: &Finding) -> bool {
    finding.severity >= Severity::Minor
        && matches!(
            finding.category,
            Category::Security
                | Category::Correctness
                | Category::DataIntegrity
                | Category::Stability
        )
}

/// Splits placed findings into threads and nitpicks (for the summary) by profile: `chill` keeps
/// what matters as threads and the nitpicks apart; `assertive` keeps every non-nitpick as a
/// thread; `quiet` keeps only major and critical findings that matter as threads and groups the
/// rest in the summary.
pub fn by_profile(placed: Vec<(Finding, bool)>, profile: Profile) -> (Vec<Finding>, Vec<Finding>) {
    let mut threads = Vec::new();
    let mut nitpicks = Vec::new();
    for (finding, nitpick) in placed {
        let thread = !nitpick
            && match profile {
                Profile::Assertive => true,
                Profile::Chill => matters(&finding),
                Profile::Quiet => matters(&finding) && finding.severity >= Severity::Major,
            };
        if thread {
            threads.push(finding);
        } else if nitpick || profile == Profile::Quiet {
            nitpicks.push(finding);
        }
    }
    (threads, nitpicks)
}

/// The AI findings that do not repeat a built-in finding: one on overlapping lines of the same
/// path with the same category (the same subject) is merged into the built-in one, which stays
/// as it is; a duplicate among the AI findings themselves (same fingerprint) goes too.
pub fn merge_with_builtin(ai: Vec<Finding>, builtin: &[Finding]) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    ai.into_iter()
        .filter(|f| {
            !builtin.iter().any(|b| {
                b.path == f.path
                    && b.category == f.category
                    && b.line <= f.end_line.max(f.line)
                    && f.line <= b.end_line.max(b.line)
            })
        })
        .filter(|f| seen.insert(f.fingerprint.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::FileStatus;
    use serde_json::json;
    use std::collections::BTreeSet;

    fn file() -> FileUnderReview {
        let head = [
            "fn main() {",            // 1
            "    let a = 1;",         // 2
            "    let b = a + 1;",     // 3 added
            "    println!(\"{b}\");", // 4 added
            "}",                      // 5
            "",                       // 6
            "fn other() {}",          // 7
        ];
        FileUnderReview {
            path: "src/main.rs".into(),
            status: FileStatus::Modified,
            head_lines: head.iter().map(|s| s.to_string()).collect(),
            hunks: vec![super::super::prompt::HunkRows {
                new_start: 1,
                new_end: 5,
                rows: vec![],
            }],
            added: BTreeSet::from([3, 4]),
            instructions: vec![],
        }
    }

    fn proposed(line: u32, text: &str) -> Proposed {
        read_item(&json!({
            "path": "src/main.rs", "start_line": line, "end_line": line, "line_text": text,
            "severity": "major", "category": "correctness", "nitpick": false,
            "title": "Off by one", "explanation": "`b` should be `a`.",
            "replaces": null, "suggestion": null
        }))
        .unwrap()
    }

    fn placed(p: Placement) -> Finding {
        match p {
            Placement::Placed { finding, .. } => finding,
            other => panic!("not placed: {other:?}"),
        }
    }

    #[test]
    fn a_finding_on_its_quoted_line_is_placed() {
        let f = placed(place(
            proposed(3, "let b = a + 1;"),
            Some(&file()),
            FilterMode::Added,
            "h",
        ));
        assert_eq!((f.line, f.end_line), (3, 3));
        assert_eq!(f.source, "llm");
        assert_eq!(f.rule, "llm/correctness");
        assert!(f.message.starts_with("**Off by one**"));
    }

    #[test]
    fn a_quoted_line_a_few_lines_away_moves_the_finding() {
        let f = placed(place(
            proposed(2, "println!(\"{b}\");"),
            Some(&file()),
            FilterMode::Added,
            "h",
        ));
        assert_eq!(f.line, 4);
    }

    #[test]
    fn a_quote_with_the_prompts_number_and_marker_still_anchors() {
        let f = placed(place(
            proposed(
                4,
                "    4 +     let first = items[0];"
                    .replace("let first = items[0];", "println!(\"{b}\");")
                    .as_str(),
            ),
            Some(&file()),
            FilterMode::Added,
            "h",
        ));
        assert_eq!(f.line, 4);
        let f = placed(place(
            proposed(3, "+ let b = a + 1;"),
            Some(&file()),
            FilterMode::Added,
            "h",
        ));
        assert_eq!(f.line, 3);
        assert_eq!(without_prompt_prefix("42;"), "42;");
    }

    #[test]
    fn a_quote_that_matches_nothing_near_is_not_placed() {
        let p = place(
            proposed(3, "let c = 3;"),
            Some(&file()),
            FilterMode::Added,
            "h",
        );
        assert!(matches!(p, Placement::NotPlaced(_)), "{p:?}");
    }

    #[test]
    fn unchanged_lines_are_not_placed_unless_diff_context() {
        let p = place(
            proposed(2, "let a = 1;"),
            Some(&file()),
            FilterMode::Added,
            "h",
        );
        assert!(matches!(p, Placement::NotPlaced(_)), "{p:?}");
        placed(place(
            proposed(2, "let a = 1;"),
            Some(&file()),
            FilterMode::DiffContext,
            "h",
        ));
        let p = place(
            proposed(7, "fn other() {}"),
            Some(&file()),
            FilterMode::DiffContext,
            "h",
        );
        assert!(matches!(p, Placement::NotPlaced(_)), "{p:?}");
    }

    #[test]
    fn unknown_paths_and_lines_past_the_end_are_dropped() {
        let mut p = proposed(3, "let b = a + 1;");
        p.path = "src/imaginary.rs".into();
        assert!(matches!(
            place(p, None, FilterMode::Added, "h"),
            Placement::Dropped(_)
        ));
        assert!(matches!(
            place(proposed(400, "x"), Some(&file()), FilterMode::Added, "h"),
            Placement::Dropped(_)
        ));
    }

    #[test]
    fn suggestions_must_replace_exactly_the_range_and_change_it() {
        let mut p = proposed(3, "let b = a + 1;");
        p.replaces = Some("    let b = a + 1;".into());
        p.suggestion = Some("let b = a;".into());
        let f = placed(place(p.clone(), Some(&file()), FilterMode::Added, "h"));
        assert_eq!(
            f.suggestion.as_deref(),
            Some("    let b = a;"),
            "indentation follows the file"
        );

        p.replaces = Some("    let b = a + 2;".into());
        let f = placed(place(p.clone(), Some(&file()), FilterMode::Added, "h"));
        assert_eq!(
            f.suggestion, None,
            "the replaced lines differ from the file"
        );

        p.replaces = Some("    let b = a + 1;".into());
        p.suggestion = Some("let  b = a + 1;".into());
        assert!(matches!(
            place(p, Some(&file()), FilterMode::Added, "h"),
            Placement::Dropped(_)
        ));
    }

    #[test]
    fn invalid_items_are_not_read() {
        assert!(read_item(&json!({"path": "a", "start_line": 0, "severity": "major", "category": "correctness", "title": "t"})).is_none());
        assert!(read_item(&json!({"path": "a", "start_line": 2, "severity": "loud", "category": "correctness", "title": "t"})).is_none());
        assert!(read_item(&json!({"path": "a", "start_line": 2, "severity": "major", "category": "vibes", "title": "t"})).is_none());
        assert!(read_item(&json!("text")).is_none());
    }

    #[test]
    fn the_fingerprint_ignores_wording_and_line_shifts() {
        let mut a = proposed(3, "let b = a + 1;");
        let mut b = proposed(3, "let b = a + 1;");
        a.title = "Wrong value".into();
        b.title = "This computes the wrong value".into();
        let fa = placed(place(a, Some(&file()), FilterMode::Added, "h"));
        let mut shifted = file();
        shifted.head_lines.insert(0, "// header".into());
        shifted.added = BTreeSet::from([4, 5]);
        shifted.hunks[0].new_end = 6;
        b.start_line = 4;
        b.end_line = 4;
        let fb = placed(place(b, Some(&shifted), FilterMode::Added, "h"));
        assert_eq!(fa.fingerprint, fb.fingerprint);
    }

    #[test]
    fn chill_keeps_what_matters_and_nitpicks_apart() {
        let f = |sev: Severity, cat: Category| {
            let mut f = placed(place(
                proposed(3, "let b = a + 1;"),
                Some(&file()),
                FilterMode::Added,
                "h",
            ));
            f.severity = sev;
            f.category = cat;
            f
        };
        let all = vec![
            (f(Severity::Major, Category::Correctness), false),
            (f(Severity::Minor, Category::Maintainability), false),
            (f(Severity::Trivial, Category::Maintainability), true),
        ];
        let (threads, nitpicks) = by_profile(all.clone(), Profile::Chill);
        assert_eq!((threads.len(), nitpicks.len()), (1, 1));
        let (threads, nitpicks) = by_profile(all.clone(), Profile::Assertive);
        assert_eq!((threads.len(), nitpicks.len()), (2, 1));
        let mut quiet = all;
        quiet[0].0.severity = Severity::Minor;
        let (threads, nitpicks) = by_profile(quiet, Profile::Quiet);
        assert_eq!((threads.len(), nitpicks.len()), (0, 3));
    }

    #[test]
    fn an_ai_finding_on_a_builtin_one_is_merged() {
        let ai = placed(place(
            proposed(3, "let b = a + 1;"),
            Some(&file()),
            FilterMode::Added,
            "h",
        ));
        let mut builtin = ai.clone();
        builtin.source = "builtin".into();
        builtin.rule = "secrets/x".into();
        assert!(merge_with_builtin(vec![ai.clone()], &[builtin.clone()]).is_empty());
        builtin.category = Category::Security;
        assert_eq!(
            merge_with_builtin(vec![ai.clone(), ai], &[builtin]).len(),
            1
        );
    }
}
