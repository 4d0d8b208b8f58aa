//! `comments/todo`: `TODO`, `FIXME`, `HACK` and `XXX` markers added in comments.
//!
//! A marker counts only inside a comment, found from the file's comment syntax (`//`, `#`,
//! `/*`, ` * `, `--`, `<!--`, `;`, `%`, `'`), with the leader at the start of the line or after
//! whitespace and outside string literals. Identifiers (`todo_list`, `TodoItem`), the `todo`
//! macro of Rust and quoted mentions of a marker are not comments about work left to do.

use super::registry::{Check, Family, Rule};
use super::syntax::{CommentSyntax, Language};
use super::{FileContext, Line, Sink};
use crate::finding::{Category, Severity};

pub(super) static TODO: Rule = Rule {
    code: "comments/todo",
    severity: Severity::Info,
    category: Category::Maintainability,
    explanation: "A `TODO`, `FIXME`, `HACK` or `XXX` comment is added. Such markers record work \
                  that the change leaves undone or a shortcut it takes; in the code they are \
                  easy to forget and nobody owns them. Track the work in a work item and \
                  reference it in the comment, or finish it in this change.",
    family: Family::Comments,
    check: Check::Line {
        hints: &["todo", "fixme", "hack", "xxx"],
        long_lines: false,
        run: check_line,
    },
};

const MARKERS: [&str; 4] = ["TODO", "FIXME", "HACK", "XXX"];

/// Reports the first marker in the line's comment, if any.
fn check_line(ctx: &FileContext<'_>, line: &Line<'_>, sink: &mut Sink) {
    let Some(start) = comment_start(
        line.text,
        &ctx.syntax.comments,
        ctx.syntax.guessed,
        ctx.syntax.language,
    ) else {
        return;
    };
    let Some(marker) = find_marker(&line.text[start..]) else {
        return;
    };
    sink.push(&TODO, line.number, TODO.severity, || {
        format!(
            "`{marker}` comment added. Track the work in a work item and reference it here, or \
             finish it in this change."
        )
    });
}

/// Where the comment text of a line begins (after its leader), if the line has a comment.
fn comment_start(
    text: &str,
    syntax: &CommentSyntax,
    guessed: bool,
    language: Language,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let indent = text.len() - text.trim_start().len();
    let trimmed = &text[indent..];
    if syntax.block && (trimmed == "*" || trimmed.starts_with("* ") || trimmed.starts_with("*\t")) {
        return Some(indent + 1);
    }
    let mut leaders: Vec<&str> = syntax.line.to_vec();
    if syntax.block {
        leaders.push("/*");
    }
    if syntax.markup {
        leaders.push("<!--");
    }
    let quotes: &[u8] = match language {
        Language::JavaScript => b"\"'`",
        Language::Python | Language::Ruby => b"\"'",
        _ => b"\"",
    };
    let mut string: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(quote) = string {
            if b == b'\\' {
                i += 1;
            } else if b == quote {
                string = None;
            }
            i += 1;
            continue;
        }
        let at_start = i == indent;
        let after_space = i > 0 && bytes[i - 1].is_ascii_whitespace();
        if at_start || (after_space && !guessed) {
            if let Some(leader) = leaders
                .iter()
                .find(|leader| bytes[i..].starts_with(leader.as_bytes()))
            {
                // `'` opens strings in most languages; as a leader it only starts a line.
                if *leader != "'" || at_start {
                    return Some(i + leader.len());
                }
            }
        }
        if quotes.contains(&b) && !(b == b'\'' && syntax.line.contains(&"'")) {
            string = Some(b);
        }
        i += 1;
    }
    None
}

/// The first marker in a comment's text, as written.
fn find_marker(comment: &str) -> Option<&'static str> {
    let bytes = comment.as_bytes();
    let mut first_word = true;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let word = &comment[start..i];
        let before = start.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i).copied();
        let is_first = std::mem::replace(&mut first_word, false);
        let Some(marker) = MARKERS.iter().find(|m| m.eq_ignore_ascii_case(word)) else {
            continue;
        };
        let quoted = matches!(before, Some(b'`' | b'"' | b'\''))
            || matches!(after, Some(b'`' | b'"' | b'\''));
        if quoted || matches!(after, Some(b'!' | b'-' | b'.' | b'/')) && !is_first {
            continue;
        }
        let tagged = matches!(before, Some(b'@' | b'\\'));
        let labelled = matches!(after, Some(b':' | b'('));
        let upper = word == *marker;
        let accepted = match *marker {
            "XXX" => {
                upper && (labelled || (is_first && after.is_none_or(|b| b.is_ascii_whitespace())))
            }
            // A marker opens the comment (`TODO handle`, `todo: …`), is labelled mid-sentence
            // (`…; TODO(alice): …`), or is a doc tag (`@todo`); an upper-case word in the middle
            // of prose (`the FIXME above`) only mentions one.
            _ => (is_first && (upper || labelled)) || (upper && labelled) || tagged,
        };
        if accepted {
            return Some(marker);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::find_marker;
    use crate::finding::Severity;

    const TODO: &str = "comments/todo";

    /// Marker words built at run time, so that this file's own comments stay clean.
    fn todo() -> String {
        ["TO", "DO"].concat()
    }

    #[test]
    fn markers_in_comments_are_info() {
        let (t, f, h, x) = (
            todo(),
            ["FIX", "ME"].concat(),
            ["HA", "CK"].concat(),
            ["XX", "X"].concat(),
        );
        for (path, line) in [
            ("a.rs", format!("    // {t}: handle retries")),
            ("a.rs", format!("    /// {t} document this")),
            ("a.rs", format!("    let x = 1; // {f} overflow")),
            (
                "a.rs",
                format!("    /* {h}: works around a compiler bug */"),
            ),
            ("a.rs", format!("     * {x} this is wrong")),
            ("a.py", format!("x = 1  # {t}(alice): remove")),
            ("a.yml", format!("# {t} pin the version")),
            ("a.sql", format!("-- {f}: index this")),
            ("index.html", format!("<!-- {t}: translate -->")),
            ("a.clj", format!(";; {t} simplify")),
            ("a.tex", format!("% {t} cite")),
            ("a.vb", format!("' {t} port to async")),
            ("a.php", format!("/** @{} refactor */", t.to_lowercase())),
            (
                "a.js",
                format!("// {}: lower case with a colon", t.to_lowercase()),
            ),
            ("Makefile", format!("# {t}: parallel build")),
        ] {
            let findings = added_file(path, &format!("{line}\n"));
            assert_eq!(codes(&findings), [TODO], "{path}: {line}");
            assert_eq!(findings[0].severity, Severity::Info);
        }
    }

    #[test]
    fn a_marker_mentioned_in_prose_is_not_one() {
        let f = ["FIX", "ME"].concat();
        for line in [
            format!("    // Lines are S-side: the {f} is line 21 of src/app.rs."),
            format!("    // `assertive` reports everything, the {f} note included."),
        ] {
            assert!(
                added_file("a.rs", &format!("{line}\n")).is_empty(),
                "{line}"
            );
        }
        let labelled = format!("    // Retries are linear; {f}: use backoff.\n");
        assert_eq!(codes(&added_file("a.rs", &labelled)), [TODO]);
    }

    #[test]
    fn identifiers_macros_strings_and_prose_are_quiet() {
        let t = todo();
        let lower = t.to_lowercase();
        for (path, line) in [
            ("a.rs", format!("    let {lower}_list = Vec::new();")),
            ("a.rs", format!("    {lower}!()")),
            (
                "a.rs",
                format!("    // calls {lower}!() until the parser lands"),
            ),
            (
                "a.ts",
                format!("interface {}Item {{ done: boolean }}", "Todo"),
            ),
            ("a.rs", format!("    let s = \"// {t}: not a comment\";")),
            ("a.py", format!("msg = '# {t} inside a string'")),
            ("a.rs", format!("    // the `{t}` rule reports these")),
            ("a.rs", "    // format: XXX-XXX-XXXX".to_string()),
            ("a.py", "#  ( XXX=254 for a typical extension)".to_string()),
            ("a.js", format!("const url = 'http://host/{t}';")),
            ("notes.txt", format!("{t}: buy milk")),
            ("README.md", format!("* {t}: write docs")),
            ("a.rs", format!("    // this is a {lower} list widget")),
            (
                "a.rs",
                "    // a hack around the borrow checker".to_string(),
            ),
            (
                "a.rs",
                "    // we insert a special hack: if the search is".to_string(),
            ),
            ("a.c", format!("    x--; {t}();")),
        ] {
            assert!(
                added_file(path, &format!("{line}\n")).is_empty(),
                "{path}: {line}"
            );
        }
    }

    #[test]
    fn markers_are_whole_words() {
        assert_eq!(find_marker(&format!(" {}S left", todo())), None);
        assert_eq!(find_marker(&format!(" {}: x", todo())), Some("TODO"));
        assert_eq!(find_marker(" FIXMEs everywhere"), None);
    }
}
