//! `conflicts/unresolved-marker`: merge conflict markers left in a file.
//!
//! A conflict is a run of marker lines in git's order — `<<<<<<< ours`, optionally
//! `||||||| base`, `=======`, `>>>>>>> theirs` — of which at least two are present. A lone
//! `=======` (a Markdown or reStructuredText underline) or a lone `>>>>>>>` (deeply quoted mail)
//! is not a conflict. The file's marker lines are found in one pass over its lines (a first-byte
//! test per line), and only when an added line could be a marker.

use super::registry::{Check, Family, Rule};
use super::{FileContext, Sink};
use crate::finding::{Category, Severity};

pub(super) static UNRESOLVED: Rule = Rule {
    code: "conflicts/unresolved-marker",
    severity: Severity::Critical,
    category: Category::Correctness,
    explanation: "Merge conflict markers (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`) are left in \
                  the file: a merge or rebase was committed before the conflict was resolved. The \
                  file now holds both sides of the change, so code does not compile or behaves as \
                  neither side intended, and configuration files stop parsing. Resolve the \
                  conflict and keep only the intended lines.",
    family: Family::Conflicts,
    check: Check::File {
        candidate: could_be_marker,
        run: check_file,
    },
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Ours,
    Base,
    Separator,
    Theirs,
}

/// A cheap test for an added line that could be a marker line.
fn could_be_marker(text: &str) -> bool {
    matches!(text.as_bytes().first(), Some(b'<' | b'|' | b'=' | b'>')) && marker(text).is_some()
}

/// The marker a line is, if it is one: seven marker characters, then the end of the line or a
/// space and a label (`=======` takes no label).
fn marker(text: &str) -> Option<Marker> {
    let bytes = text.as_bytes();
    let kind = match bytes.get(..7)? {
        b"<<<<<<<" => Marker::Ours,
        b"|||||||" => Marker::Base,
        b"=======" => Marker::Separator,
        b">>>>>>>" => Marker::Theirs,
        _ => return None,
    };
    let rest = &text[7..];
    let fits = match kind {
        Marker::Separator => rest.trim_end().is_empty(),
        _ => rest.is_empty() || rest.starts_with([' ', '\t']),
    };
    fits.then_some(kind)
}

/// Whether one of the lines `numbers` holds `marker` after other text.
fn quoted_marker(ctx: &FileContext<'_>, numbers: std::ops::Range<u32>, marker: &str) -> bool {
    numbers
        .filter_map(|number| ctx.line_text(number))
        .any(|text| text.find(marker).is_some_and(|at| at > 0))
}

/// Finds the conflicts of the file and reports each one that has an added marker line, at its
/// first added marker line.
fn check_file(ctx: &FileContext<'_>, sink: &mut Sink) {
    let mut region: Vec<(u32, Marker)> = Vec::new();
    for (index, text) in ctx.lines.iter().enumerate() {
        if !matches!(text.as_bytes().first(), Some(b'<' | b'|' | b'=' | b'>')) {
            continue;
        }
        let Some(kind) = marker(text) else { continue };
        let Ok(number) = u32::try_from(index + 1) else {
            break;
        };
        let follows = region.last().is_some_and(|&(_, last)| match kind {
            Marker::Ours => false,
            Marker::Base => last == Marker::Ours,
            Marker::Separator => matches!(last, Marker::Ours | Marker::Base),
            Marker::Theirs => matches!(last, Marker::Ours | Marker::Base | Marker::Separator),
        });
        if !follows {
            report(ctx, &region, sink);
            region.clear();
        }
        region.push((number, kind));
        if kind == Marker::Theirs {
            report(ctx, &region, sink);
            region.clear();
        }
    }
    report(ctx, &region, sink);
}

/// How far from an incomplete conflict to look for its missing marker written inside a line.
const QUOTED_MARKER_REACH: u32 = 50;

fn report(ctx: &FileContext<'_>, region: &[(u32, Marker)], sink: &mut Sink) {
    let (Some(&(first, first_kind)), Some(&(last, last_kind))) = (region.first(), region.last())
    else {
        return;
    };
    if region.len() < 2 {
        return;
    }
    // A conflict whose start (or end) marker sits inside a line, after other text, is conflict
    // text quoted in a string or a document (`r"<<<<<<< ours` … `>>>>>>> theirs"`), not a
    // conflict in this file.
    if first_kind != Marker::Ours
        && quoted_marker(
            ctx,
            first.saturating_sub(QUOTED_MARKER_REACH)..first,
            "<<<<<<<",
        )
    {
        return;
    }
    if last_kind != Marker::Theirs
        && quoted_marker(
            ctx,
            last + 1..last.saturating_add(QUOTED_MARKER_REACH),
            ">>>>>>>",
        )
    {
        return;
    }
    let Some(&(first_added, _)) = region.iter().find(|&&(number, _)| ctx.is_added(number)) else {
        return;
    };
    let lines: Vec<String> = region
        .iter()
        .map(|(number, _)| number.to_string())
        .collect();
    let listed = match lines.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => lines.join(""),
    };
    sink.push(&UNRESOLVED, first_added, UNRESOLVED.severity, || {
        format!(
            "Unresolved merge conflict: marker lines at {listed}. Resolve the conflict and \
             remove the markers."
        )
    });
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{FileUnderReview, RuleOptions, check};
    use crate::git::{FileDiff, FileStatus};

    const CODE: &str = "conflicts/unresolved-marker";

    /// Marker lines built at run time, so that this file holds none.
    fn ours() -> String {
        ["<<<<<<", "< HEAD"].concat()
    }
    fn base() -> String {
        ["||||||", "| merged common ancestors"].concat()
    }
    fn separator() -> String {
        ["======", "="].concat()
    }
    fn theirs() -> String {
        [">>>>>>", "> feature/login"].concat()
    }

    fn lines(parts: &[&str]) -> String {
        let mut text = parts.join("\n");
        text.push('\n');
        text
    }

    #[test]
    fn a_full_conflict_is_one_finding_at_its_first_marker() {
        let text = lines(&[
            "fn a() {",
            &ours(),
            "  one();",
            &separator(),
            "  two();",
            &theirs(),
            "}",
        ]);
        let findings = added_file("src/a.rs", &text);
        assert_eq!(codes(&findings), [CODE]);
        assert_eq!(findings[0].line, 2);
        assert!(
            findings[0].message.contains("2, 4 and 6"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn diff3_conflicts_and_pairs_are_reported() {
        let diff3 = lines(&[&ours(), "a", &base(), "b", &separator(), "c", &theirs()]);
        assert_eq!(codes(&added_file("a.txt", &diff3)), [CODE]);
        // A pair is enough: the end marker was deleted, or the start marker was.
        assert_eq!(
            codes(&added_file(
                "a.txt",
                &lines(&[&ours(), "a", &separator(), "b"])
            )),
            [CODE]
        );
        assert_eq!(
            codes(&added_file(
                "a.txt",
                &lines(&["a", &separator(), "b", &theirs()])
            )),
            [CODE]
        );
        // Two conflicts in one file are two findings.
        let two = lines(&[
            &ours(),
            "a",
            &separator(),
            "b",
            &theirs(),
            "x",
            &ours(),
            "c",
            &separator(),
            "d",
            &theirs(),
        ]);
        assert_eq!(codes(&added_file("a.txt", &two)), [CODE, CODE]);
    }

    #[test]
    fn underlines_and_quotes_are_not_conflicts() {
        assert!(added_file("README.md", &lines(&["Title", &separator(), "", "Text"])).is_empty());
        assert!(added_file("index.rst", &lines(&[&separator(), "Title", &separator()])).is_empty());
        assert!(added_file("mail.txt", &lines(&[&theirs(), "> quoted"])).is_empty());
        // Longer runs and markers that do not start the line are not markers.
        let long = ["<<<<<<", "<< HEAD"].concat();
        let indented = format!("  {}", ours());
        assert!(added_file("a.txt", &lines(&[&long, &separator(), &indented])).is_empty());
        // Separator before start: an underline followed by an unrelated lone start marker.
        assert!(added_file("a.md", &lines(&["T", &separator(), "x", &ours()])).is_empty());
        // Conflict text quoted in a string: its first marker follows the opening quote.
        let quoted = format!("    let expected = r\"{}", ours());
        let fixture = lines(&[
            &quoted,
            "a",
            &base(),
            "b",
            &separator(),
            "c",
            &format!("{}\";", theirs()),
        ]);
        assert!(added_file("src/merge.rs", &fixture).is_empty());
    }

    #[test]
    fn only_conflicts_with_an_added_marker_are_reported() {
        let text = lines(&[&ours(), "a", &separator(), "b", &theirs()]);
        let mut diff = FileDiff::new("a.txt", FileStatus::Modified);
        diff.added_lines = vec![2];
        assert!(
            check(
                &FileUnderReview {
                    diff: &diff,
                    text: &text
                },
                &RuleOptions::default()
            )
            .is_empty()
        );
        diff.added_lines = vec![3, 4];
        let findings = check(
            &FileUnderReview {
                diff: &diff,
                text: &text,
            },
            &RuleOptions::default(),
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 3);
    }
}
