//! YAML text to a tree of nodes that remember where they were written.
//!
//! This module owns the reading of YAML and nothing else: it knows no key of the schema. It turns
//! the marked events of `saphyr-parser` (a pure-Rust YAML 1.2 parser) into a small tree of
//! [`Node`]s, each with the line and column of its first character, so that every later problem
//! can point at the exact spot. `serde_yaml` reports a location only for its first error, which
//! is why it is not used for reading.
//!
//! Scalars are resolved with the YAML 1.2 core schema, as `serde_yaml` 0.9 and CodeRabbit do:
//! `true`/`false` (also `True`, `TRUE`, …) are booleans, `~`/`null`/empty are null, decimal,
//! `0o` and `0x` integers and decimal floats are numbers, and everything else — including the
//! YAML 1.1 words `yes`, `no`, `on`, `off`, `y`, `n` — is a string. Quoted and block scalars are
//! always strings, and so is a scalar tagged `!!str`.
//!
//! Only the first document of a stream is read (later ones get a warning). Of a key written
//! twice in one mapping the later value is kept, with a warning naming both lines. Anchors and aliases
//! are expanded, within a budget of nodes so that a "billion laughs" file cannot exhaust memory,
//! and nesting deeper than [`MAX_DEPTH`] is refused so that no later recursion can overflow the
//! stack. Merge keys (`<<`) are not part of YAML 1.2 and stay ordinary keys.

use super::flow_indent::{self, Raised};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use std::collections::HashMap;

/// How deep collections may nest; the schema itself needs six levels.
pub(super) const MAX_DEPTH: usize = 64;

/// How many nodes a document may expand to, aliases included.
pub(super) const MAX_NODES: usize = 100_000;

/// A 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// One value of the document and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// A resolved YAML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping; keys are kept as the text that was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Value {
    /// How a value is named in messages: "a boolean", "the string `yes`", "a mapping".
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("the boolean `{b}`"),
            Value::Number(n) => format!("the number `{n}`"),
            Value::String(s) if s.chars().count() > 40 => "a string".to_owned(),
            Value::String(s) => format!("the string `{s}`"),
            Value::List(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }
}

/// A parsed document: its root (`None` for an empty stream) and the oddities met on the way,
/// which are warnings unless `error` is set.
#[derive(Debug, Default)]
pub(super) struct Document {
    pub root: Option<Node>,
    pub notes: Vec<Note>,
}

/// Something the reader noticed; the document is still usable.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Note {
    pub pos: Pos,
    pub error: bool,
    pub message: String,
}

/// The text is not YAML (or exceeds our limits); nothing of it can be trusted.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses the first document of `text`.
///
/// A text that YAML 1.2 rejects only because lines inside a flow collection are not indented
/// past their key is read as js-yaml 4 reads it (see [`super::flow_indent`]), with a warning at
/// the first such line; positions stay those of the original text.
pub(super) fn parse(text: &str) -> Result<Document, SyntaxError> {
    let strict = parse_with(text, None);
    let Err(error) = strict else {
        return strict;
    };
    let Some(raised) = flow_indent::raise(text) else {
        return Err(error);
    };
    let Ok(mut document) = parse_with(&raised.text, Some(&raised)) else {
        return Err(error);
    };
    if let Some(&(line, _)) = raised.shifts.first() {
        document.notes.push(Note {
            pos: Pos { line, column: 1 },
            error: false,
            message: "this line is inside a `[…]` or `{…}` collection but not indented past the \
                      key that holds it; CodeRabbit reads it, strict YAML parsers do not: indent it"
                .to_owned(),
        });
        document.notes.sort_by_key(|note| note.pos);
    }
    Ok(document)
}

fn parse_with(text: &str, raised: Option<&Raised>) -> Result<Document, SyntaxError> {
    // The parser is not expected to panic, but a configuration file must never stop a review:
    // a panic inside it is reported like any other unreadable file.
    std::panic::catch_unwind(|| {
        Builder {
            raised,
            ..Builder::default()
        }
        .run(text)
    })
    .unwrap_or_else(|_| {
        Err(SyntaxError {
            pos: Pos { line: 1, column: 1 },
            message: "the YAML parser failed on this file".to_owned(),
        })
    })
}

/// A collection being filled while its events arrive.
enum Frame {
    List {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        key: KeySlot,
    },
}

/// Where a mapping is between its keys and values.
enum KeySlot {
    /// The next node is a key.
    Empty,
    /// The next node is the value of this key.
    Key(String, Pos),
    /// The next node is the value of a key that cannot be used (reported already).
    Skip,
}

#[derive(Default)]
struct Builder<'a> {
    /// Set when the text was raised: positions are mapped back to the original.
    raised: Option<&'a Raised>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    notes: Vec<Note>,
}

fn syntax(pos: Pos, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        pos,
        message: message.into(),
    }
}

impl Builder<'_> {
    /// The position in the original text of a position in the parsed one.
    fn original(&self, line: usize, column: usize) -> Pos {
        let shift = self.raised.map_or(0, |raised| raised.shift_of(line));
        Pos {
            line,
            column: column.saturating_sub(shift).max(1),
        }
    }

    fn run(mut self, text: &str) -> Result<Document, SyntaxError> {
        let mut parser = Parser::new_from_str(text);
        let mut documents = 0;
        while let Some(event) = parser.next_event() {
            let (event, span) = event.map_err(|e| {
                syntax(
                    self.original(e.marker().line(), e.marker().col() + 1),
                    e.info().to_owned(),
                )
            })?;
            let pos = self.original(span.start.line(), span.start.col() + 1);
            match event {
                Event::DocumentStart(_) => {
                    documents += 1;
                    if documents > 1 {
                        self.notes.push(Note {
                            pos,
                            error: false,
                            message: "only the first YAML document of the file is read; \
                                      this one and any after it are ignored"
                                .to_owned(),
                        });
                        break;
                    }
                }
                Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
                Event::SequenceStart(anchor, _) => self.open(Frame::List {
                    pos,
                    anchor,
                    items: Vec::new(),
                })?,
                Event::MappingStart(anchor, _) => self.open(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    key: KeySlot::Empty,
                })?,
                Event::SequenceEnd | Event::MappingEnd => self.close()?,
                Event::Scalar(text, style, anchor, tag) => {
                    let node = Node {
                        pos,
                        value: resolve(&text, style, tag.as_deref()),
                    };
                    self.count(1, pos)?;
                    if anchor > 0 {
                        self.anchors.insert(anchor, (node.clone(), 1));
                    }
                    self.complete(node, Some(text.into_owned()));
                }
                Event::Alias(anchor) => {
                    let Some((node, size)) = self.anchors.get(&anchor).cloned() else {
                        return Err(syntax(pos, "alias to an unknown anchor"));
                    };
                    self.count(size, pos)?;
                    let text = match &node.value {
                        Value::String(s) => Some(s.clone()),
                        _ => None,
                    };
                    self.complete(Node { pos, ..node }, text);
                }
            }
        }
        Ok(Document {
            root: self.root,
            notes: self.notes,
        })
    }

    fn count(&mut self, nodes: usize, pos: Pos) -> Result<(), SyntaxError> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(syntax(
                pos,
                format!("the document expands to more than {MAX_NODES} values (aliases included)"),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), SyntaxError> {
        let pos = match &frame {
            Frame::List { pos, .. } | Frame::Map { pos, .. } => *pos,
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err(syntax(
                pos,
                format!("values nest more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.count(1, pos)?;
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        let Some(frame) = self.stack.pop() else {
            return Err(syntax(Pos::default(), "unbalanced collection end"));
        };
        let (node, anchor) = match frame {
            Frame::List { pos, anchor, items } => (
                Node {
                    pos,
                    value: Value::List(items),
                },
                anchor,
            ),
            Frame::Map {
                pos,
                anchor,
                entries,
                ..
            } => (
                Node {
                    pos,
                    value: Value::Map(entries),
                },
                anchor,
            ),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size(&node)));
        }
        self.complete(node, None);
        Ok(())
    }

    /// Hands a finished node to the collection that holds it (or makes it the root).
    /// `key_text` is the text of a scalar, used when the node is a mapping key.
    fn complete(&mut self, node: Node, key_text: Option<String>) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::List { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match std::mem::replace(key, KeySlot::Empty) {
                KeySlot::Empty => {
                    *key = match key_text {
                        Some(text) => {
                            if let Some(at) = entries.iter().position(|e| e.key == text) {
                                let first = entries.remove(at);
                                self.notes.push(Note {
                                    pos: node.pos,
                                    error: false,
                                    message: format!(
                                        "duplicate key `{text}` at lines {} and {}: the later \
                                         one is used, as CodeRabbit reads it; remove the other",
                                        first.key_pos.line, node.pos.line
                                    ),
                                });
                            }
                            KeySlot::Key(text, node.pos)
                        }
                        None => {
                            self.notes.push(Note {
                                pos: node.pos,
                                error: true,
                                message: format!(
                                    "a mapping key must be a plain string, found {}; \
                                         this entry is ignored",
                                    node.value.describe()
                                ),
                            });
                            KeySlot::Skip
                        }
                    };
                }
                KeySlot::Key(text, key_pos) => entries.push(Entry {
                    key: text,
                    key_pos,
                    value: node,
                }),
                KeySlot::Skip => {}
            },
        }
    }
}

/// How many nodes a tree holds, counted without recursion.
fn size(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.value {
            Value::List(items) => pending.extend(items),
            Value::Map(entries) => pending.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

/// Resolves a scalar with the YAML 1.2 core schema.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let core_tag = tag
        .filter(|t| t.is_yaml_core_schema())
        .map(|t| t.suffix.as_str());
    match core_tag {
        Some("str") => return Value::String(text.to_owned()),
        Some("null") => return Value::Null,
        Some("bool") => {
            return bool_of(text).map_or_else(|| Value::String(text.to_owned()), Value::Bool);
        }
        Some("int" | "float") => {
            return number_of(text).map_or_else(|| Value::String(text.to_owned()), Value::Number);
        }
        _ => {}
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = bool_of(text) {
        return Value::Bool(b);
    }
    if let Some(n) = number_of(text) {
        return Value::Number(n);
    }
    Value::String(text.to_owned())
}

fn bool_of(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// A number of the core schema: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`,
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, `[-+]?.inf`, `.nan`.
fn number_of(text: &str) -> Option<f64> {
    if let Some(octal) = text.strip_prefix("0o") {
        return u64::from_str_radix(octal, 8).ok().map(|n| n as f64);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(|n| n as f64);
    }
    let (sign, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (digits(whole) && (fraction.is_empty() || digits(fraction)))
                || (whole.is_empty() && digits(fraction))
        }
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    if mantissa_ok && exponent_ok {
        text.parse::<f64>().ok()
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).unwrap().root.unwrap()
    }

    fn entries(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn core_schema_scalars() {
        let doc = root(
            "a: true\nb: yes\nc: on\nd: ~\ne:\nf: 12\ng: 0x1F\nh: 1.5e3\ni: '12'\nj: !!str true\n\
             k: 1_000\nl: .inf\nm: False\nn: |\n  text\n",
        );
        let values: Vec<(&str, &Value)> = entries(&doc)
            .iter()
            .map(|e| (e.key.as_str(), &e.value.value))
            .collect();
        assert_eq!(
            values,
            [
                ("a", &Value::Bool(true)),
                ("b", &Value::String("yes".into())),
                ("c", &Value::String("on".into())),
                ("d", &Value::Null),
                ("e", &Value::Null),
                ("f", &Value::Number(12.0)),
                ("g", &Value::Number(31.0)),
                ("h", &Value::Number(1500.0)),
                ("i", &Value::String("12".into())),
                ("j", &Value::String("true".into())),
                ("k", &Value::String("1_000".into())),
                ("l", &Value::Number(f64::INFINITY)),
                ("m", &Value::Bool(false)),
                ("n", &Value::String("text\n".into())),
            ]
        );
    }

    #[test]
    fn numbers_follow_the_core_schema() {
        for (text, expected) in [
            ("0", Some(0.0)),
            ("-3", Some(-3.0)),
            ("+3", Some(3.0)),
            ("3.", Some(3.0)),
            (".5", Some(0.5)),
            ("1e3", Some(1000.0)),
            ("0o17", Some(15.0)),
            ("inf", None),
            ("nan", None),
            ("infinity", None),
            ("1.2.3", None),
            ("e3", None),
            ("1e", None),
            ("-", None),
            ("", None),
            ("0x", None),
        ] {
            assert_eq!(number_of(text), expected, "{text}");
        }
        assert!(number_of(".nan").is_some_and(f64::is_nan));
    }

    #[test]
    fn positions_are_one_based() {
        let doc = root("# comment\nreviews:\n  profile: chill\n  tools: {eslint: {enabled: no}}\n");
        let reviews = &entries(&doc)[0];
        assert_eq!(reviews.key_pos, Pos { line: 2, column: 1 });
        let inner = entries(&reviews.value);
        assert_eq!(inner[0].key_pos, Pos { line: 3, column: 3 });
        assert_eq!(
            inner[0].value.pos,
            Pos {
                line: 3,
                column: 12
            }
        );
        assert_eq!(
            inner[1].value.pos,
            Pos {
                line: 4,
                column: 10
            }
        );
        let eslint = &entries(&inner[1].value)[0];
        assert_eq!(
            eslint.key_pos,
            Pos {
                line: 4,
                column: 11
            }
        );
        let enabled = &entries(&eslint.value)[0];
        assert_eq!(
            enabled.value.pos,
            Pos {
                line: 4,
                column: 29
            }
        );
    }

    #[test]
    fn aliases_expand_and_duplicates_are_noted() {
        let doc = parse("a: &x [1, 2]\nb: *x\na: 3\n").unwrap();
        let root = doc.root.unwrap();
        let map = entries(&root);
        assert_eq!(map.len(), 2);
        assert_eq!(map[0].key, "b");
        assert_eq!(
            map[0].value.value,
            Value::List(vec![
                Node {
                    pos: Pos { line: 1, column: 8 },
                    value: Value::Number(1.0)
                },
                Node {
                    pos: Pos {
                        line: 1,
                        column: 11
                    },
                    value: Value::Number(2.0)
                },
            ])
        );
        assert_eq!(map[0].value.pos.line, 2);
        assert_eq!(
            (map[1].key.as_str(), &map[1].value.value),
            ("a", &Value::Number(3.0))
        );
        assert_eq!(doc.notes.len(), 1);
        assert!(!doc.notes[0].error);
        assert!(
            doc.notes[0]
                .message
                .starts_with("duplicate key `a` at lines 1 and 3: the later one is used"),
            "{:?}",
            doc.notes[0]
        );
        assert_eq!(doc.notes[0].pos, Pos { line: 3, column: 1 });
    }

    #[test]
    fn complex_keys_are_noted_and_skipped() {
        let doc = parse("? [a, b]\n: 1\nc: 2\n").unwrap();
        let root = doc.root.unwrap();
        assert_eq!(entries(&root).len(), 1);
        assert!(doc.notes[0].message.contains("plain string"));
    }

    #[test]
    fn only_the_first_document_is_read() {
        let doc = parse("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(entries(doc.root.as_ref().unwrap())[0].key, "a");
        assert_eq!(doc.notes.len(), 1);
        assert_eq!(doc.notes[0].pos.line, 2);
    }

    #[test]
    fn empty_streams_have_no_root() {
        for text in ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n"] {
            let doc = parse(text).unwrap();
            assert!(doc.notes.is_empty(), "{text:?}");
            assert!(
                doc.root.is_none() || doc.root.as_ref().unwrap().value == Value::Null,
                "{text:?}"
            );
        }
    }

    #[test]
    fn limits_turn_into_syntax_errors() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().message.contains("nest"));
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f", "g"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f"])
        {
            laughs += &format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            );
        }
        assert!(parse(&laughs).unwrap_err().message.contains("expands"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("reviews:\n  profile: chill\n    bad: [\n").unwrap_err();
        assert!(err.pos.line >= 3, "{err:?}");
        assert!(parse("a: [1, 2\n").is_err());
        assert!(parse("key: \"unterminated\n").is_err());
    }
}
