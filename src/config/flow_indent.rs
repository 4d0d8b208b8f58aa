//! Flow collections (`[…]`, `{…}`) written across lines whose lines are not indented more than
//! the key that holds them — `labels: [` … `]` with the `]` (or the items) at the key's column
//! or further left.
//!
//! Inside a flow collection indentation carries no meaning, and js-yaml 4 (the parser most Node
//! services use, CodeRabbit's among them) does not check it; YAML 1.2 and `saphyr-parser` require
//! those lines to be indented more than the enclosing block. This module owns the one tolerant
//! step that bridges the two: [`raise`] indents every line that starts inside a flow collection
//! to one column past the key (or `- ` item) that holds the outermost collection. Adding spaces at the start
//! of such a line changes no value — not even inside a quoted string that spans lines, whose
//! leading spaces YAML folds away — so the result reads exactly as js-yaml reads the original.
//! It knows nothing of keys or of the schema, and runs only after a strict parse failed.

/// Text whose flow lines were raised, and how many spaces each raised line got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Raised {
    pub text: String,
    /// `(line, spaces added)`, 1-based lines, in order.
    pub shifts: Vec<(usize, usize)>,
}

impl Raised {
    /// How many spaces were added at the start of `line` (1-based).
    pub(super) fn shift_of(&self, line: usize) -> usize {
        self.shifts
            .binary_search_by_key(&line, |(l, _)| *l)
            .map_or(0, |at| self.shifts[at].1)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
}

/// The scanner's state between lines.
#[derive(Default)]
struct Scan {
    /// How many flow collections are open.
    depth: usize,
    /// The column of the key (or `- ` item) that holds the outermost open collection.
    base: usize,
    quote: Option<Quote>,
    /// Inside a block scalar (`|`, `>`) introduced on a line with this indentation.
    block_scalar: Option<usize>,
}

/// The text with every line that starts inside a flow collection indented past the key (or
/// the `- ` item) that holds the collection; `None` when no line needed it.
pub(super) fn raise(text: &str) -> Option<Raised> {
    let mut scan = Scan::default();
    let mut out = String::with_capacity(text.len() + 64);
    let mut shifts = Vec::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(owner) = scan.block_scalar {
            if blank || indent > owner {
                out.push_str(line);
                continue;
            }
            scan.block_scalar = None;
        }
        if scan.depth > 0 && !blank && indent <= scan.base {
            let added = scan.base + 1 - indent;
            out.extend(std::iter::repeat_n(' ', added));
            shifts.push((index + 1, added));
        }
        out.push_str(line);
        scan.line(line, indent);
    }
    (!shifts.is_empty()).then_some(Raised { text: out, shifts })
}

impl Scan {
    /// Follows one line: quotes, comments, brackets, and where a node may start.
    fn line(&mut self, line: &str, indent: usize) {
        let chars: Vec<char> = line.trim_end_matches(['\n', '\r']).chars().collect();
        // At depth 0, whether the next character may begin a node (a flow collection, a quoted
        // or block scalar): after the indentation, `- `, `? ` and `: `.
        let mut node_start = self.quote.is_none();
        // The column of the innermost block node begun on this line (a key, or a `- ` item):
        // the lines of a flow collection must be indented past it.
        let mut owner = indent;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let spaced = |n: Option<char>| n.is_none_or(|n| n == ' ' || n == '\t');
            if let Some(quote) = self.quote {
                match (quote, c) {
                    (Quote::Double, '\\') => i += 1,
                    (Quote::Single, '\'') if next == Some('\'') => i += 1,
                    (Quote::Double, '"') | (Quote::Single, '\'') => self.quote = None,
                    _ => {}
                }
                i += 1;
                continue;
            }
            let after_space = i == 0 || chars[i - 1] == ' ' || chars[i - 1] == '\t';
            if c == '#' && after_space {
                return;
            }
            if self.depth > 0 {
                match c {
                    '"' => self.quote = Some(Quote::Double),
                    '\'' => self.quote = Some(Quote::Single),
                    '[' | '{' => self.depth += 1,
                    ']' | '}' => self.depth -= 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            match c {
                ' ' | '\t' => {}
                '-' | '?' if spaced(next) => {
                    owner = i;
                    node_start = true;
                }
                ':' if spaced(next) => node_start = true,
                '&' | '!' if node_start => {
                    // An anchor or a tag before the node: skip it, the node may still start.
                    while i + 1 < chars.len() && chars[i + 1] != ' ' {
                        i += 1;
                    }
                }
                '[' | '{' if node_start => {
                    self.depth = 1;
                    self.base = owner;
                }
                '"' if node_start => self.quote = Some(Quote::Double),
                '\'' if node_start => self.quote = Some(Quote::Single),
                '|' | '>' if node_start => {
                    self.block_scalar = Some(indent);
                    return;
                }
                _ => {
                    if node_start {
                        owner = i;
                    }
                    node_start = false;
                }
            }
            i += 1;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flow_lines_are_raised_past_their_key() {
        let raised =
            raise("reviews:\n  labels: [\n    \"a\",\n  \"b\"\n]\n  poem: false\n").unwrap();
        assert_eq!(
            raised.text,
            "reviews:\n  labels: [\n    \"a\",\n   \"b\"\n   ]\n  poem: false\n"
        );
        assert_eq!(raised.shifts, [(4, 1), (5, 3)]);
        assert_eq!(raised.shift_of(5), 3);
        assert_eq!(raised.shift_of(2), 0);
    }

    #[test]
    fn lines_are_raised_past_the_key_not_the_dash() {
        let text = "list:\n  - path: [\n    a\n  ]\n    instructions: y\n";
        let raised = raise(text).unwrap();
        assert_eq!(raised.shifts, [(3, 1), (4, 3)]);
        assert_eq!(
            raised.text,
            "list:\n  - path: [\n     a\n     ]\n    instructions: y\n"
        );
    }

    #[test]
    fn nothing_to_raise() {
        for text in [
            "reviews:\n  labels: [a, b]\n",
            "reviews:\n  labels: [\n    a\n    ]\n",
            "a: \"x [\ny\"\nb: 1\n",
            "a: |\n  [\nb: 1\n",
            "a: >-\n  text {\n\nb: 1\n",
            "a: plain [not a flow\nb: 1\n",
            "a: 'it''s [' # [\nb: 1\n",
            "- x\n",
        ] {
            assert_eq!(raise(text), None, "{text:?}");
        }
    }

    #[test]
    fn quotes_comments_and_nesting_inside_flow() {
        let text = "a: [ \"]\\\" #\", '['']', # ] comment\n{b: [c]},\n]\nd: 1\n";
        let raised = raise(text).unwrap();
        assert_eq!(raised.shifts, [(2, 1), (3, 1)]);
        let text = "- &x [\n1]\n- !!seq [\n2]\n";
        assert_eq!(raise(text).unwrap().shifts, [(2, 1), (4, 1)]);
    }
}
