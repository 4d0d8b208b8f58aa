//! Checks a parsed document against the key table and keeps only what is valid.
//!
//! This module owns the rules "what may be written where": it walks the [`Node`] tree of
//! [`super::yaml`] against [`keys::KEYS`], gathers every problem in one pass, each with its line
//! and column, and returns a pruned copy of the tree that holds only valid values. It knows the
//! schema only through the table and never what the agent does with a value (except, through
//! [`keys::usage`], whether to list a key as ignored).
//!
//! - A key the schema does not know is a warning that names the nearest valid key at that level
//!   (or the place where the key belongs, when it was written at the wrong level); it is dropped.
//! - A value of the wrong type, outside an enum, too long or out of range is an error; it is
//!   dropped, so that its default applies. A bad list item drops only that item; a list item that
//!   lacks a required key (`path_instructions[].path`, …) is dropped whole.
//! - Below a key whose shape CodeRabbit documents only loosely ([`keys::FREE_FORM`]), anything
//!   is accepted unchecked.
//! - A key whose value is null counts as absent: `reviews:` with nothing under it means the
//!   defaults, as in CodeRabbit.

use super::keys::{self, Key, Type, Use};
use super::problem::{Problem, ProblemSeverity};
use super::yaml::{Entry, Node, Pos, Value};
use std::path::Path;

/// The outcome of [`validate`].
#[derive(Debug, Default)]
pub(super) struct Validated {
    /// The document with every invalid or unknown part removed; `None` means "all defaults".
    pub tree: Option<Node>,
    pub problems: Vec<Problem>,
    /// Known keys present in the document that the agent does not act on, shallowest first.
    pub ignored: Vec<String>,
}

/// Validates the root of a document read from `file`.
pub(super) fn validate(root: Option<&Node>, file: &Path) -> Validated {
    let mut walker = Walker {
        file,
        problems: Vec::new(),
        ignored: Vec::new(),
    };
    let tree = match root.map(|node| (node, &node.value)) {
        None | Some((_, Value::Null)) => None,
        Some((node, Value::Map(_))) => walker.object(node, "", "", &[], false),
        Some((node, other)) => {
            walker.error(
                node.pos,
                format!(
                    "the file must be a mapping of keys (such as `reviews:`), found {}; \
                     the defaults are used",
                    other.describe()
                ),
            );
            None
        }
    };
    Validated {
        tree,
        problems: walker.problems,
        ignored: walker.ignored,
    }
}

struct Walker<'a> {
    file: &'a Path,
    problems: Vec<Problem>,
    ignored: Vec<String>,
}

impl Walker<'_> {
    fn push(&mut self, pos: Pos, severity: ProblemSeverity, message: String) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: Some(pos.line),
            column: Some(pos.column),
            severity,
            message,
        });
    }

    fn error(&mut self, pos: Pos, message: String) {
        self.push(pos, ProblemSeverity::Error, message);
    }

    fn warning(&mut self, pos: Pos, message: String) {
        self.push(pos, ProblemSeverity::Warning, message);
    }

    /// `path` is the key's path in the table (`reviews.path_instructions[]`), `shown` the one a
    /// user reads (`reviews.path_instructions[2]`). `ignored` is set below an ignored key.
    fn value(
        &mut self,
        node: &Node,
        key: &Key,
        path: &str,
        shown: &str,
        ignored: bool,
    ) -> Option<Node> {
        match (key.ty, &node.value) {
            (Type::Object { required }, Value::Map(_)) => {
                self.object(node, path, shown, required, ignored)
            }
            (Type::Array, Value::List(items)) => Some(self.list(node, items, path, shown, ignored)),
            (Type::Boolean, Value::Bool(_)) => Some(node.clone()),
            (Type::String { max_len }, Value::String(text)) => {
                let length = text.chars().count();
                match max_len {
                    Some(max) if length > max => {
                        self.error(
                            node.pos,
                            format!(
                                "`{shown}` is {length} characters long; at most {max} are allowed"
                            ),
                        );
                        None
                    }
                    _ => Some(node.clone()),
                }
            }
            (Type::Enum(values), Value::String(text)) if values.contains(&text.as_str()) => {
                Some(node.clone())
            }
            (Type::Enum(values), found) => {
                self.not_in_enum(node.pos, shown, values, found);
                None
            }
            (Type::Number { min, max }, Value::Number(n)) => {
                let below = min.is_some_and(|min| *n < min);
                let above = max.is_some_and(|max| *n > max);
                if !n.is_finite() || below || above {
                    let range = match (min, max) {
                        (Some(min), Some(max)) => format!("a number from {min} to {max}"),
                        (Some(min), None) => format!("a number of at least {min}"),
                        (None, Some(max)) => format!("a number of at most {max}"),
                        (None, None) => "a finite number".to_owned(),
                    };
                    self.error(node.pos, format!("`{shown}` must be {range}, found `{n}`"));
                    None
                } else {
                    Some(node.clone())
                }
            }
            (ty, found) => {
                self.wrong_type(node.pos, path, shown, ty, found);
                None
            }
        }
    }

    fn object(
        &mut self,
        node: &Node,
        path: &str,
        shown: &str,
        required: &[&str],
        ignored: bool,
    ) -> Option<Node> {
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let mut kept = Vec::new();
        let mut given: Vec<&str> = Vec::new();
        for entry in entries {
            let child_path = keys::join(path, &entry.key);
            let child_shown = keys::join(shown, &entry.key);
            let simple = !entry.key.contains(['.', '[', ']']);
            let Some(key) = keys::lookup(&child_path).filter(|_| simple) else {
                self.unknown(entry, path, &child_shown);
                continue;
            };
            if entry.value.value == Value::Null {
                continue;
            }
            given.push(&entry.key);
            if keys::free_form(&child_path) {
                if !ignored && !self.ignored.contains(&child_path) {
                    self.ignored.push(child_path.clone());
                }
                kept.push(entry.clone());
                continue;
            }
            let ignored_here = !ignored && keys::usage(&child_path) == Use::Ignored;
            if ignored_here && !self.ignored.contains(&child_path) {
                self.ignored.push(child_path.clone());
            }
            let child = self.value(
                &entry.value,
                key,
                &child_path,
                &child_shown,
                ignored || ignored_here,
            );
            if let Some(value) = child {
                kept.push(Entry {
                    key: entry.key.clone(),
                    key_pos: entry.key_pos,
                    value,
                });
            }
        }
        let mut complete = true;
        for name in required {
            if !given.contains(name) {
                let what = if shown.is_empty() { "the file" } else { shown };
                self.error(
                    node.pos,
                    format!("`{what}` has no `{name}`, which is required; the entry is ignored"),
                );
                complete = false;
            } else if !kept.iter().any(|entry| entry.key == *name) {
                complete = false;
            }
        }
        complete.then_some(Node {
            pos: node.pos,
            value: Value::Map(kept),
        })
    }

    fn list(
        &mut self,
        node: &Node,
        items: &[Node],
        path: &str,
        shown: &str,
        ignored: bool,
    ) -> Node {
        let item_path = format!("{path}[]");
        let Some(item_key) = keys::lookup(&item_path) else {
            return node.clone();
        };
        let mut kept = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_shown = format!("{shown}[{index}]");
            if item.value == Value::Null {
                self.wrong_type(item.pos, &item_path, &item_shown, item_key.ty, &item.value);
                continue;
            }
            if let Some(value) = self.value(item, item_key, &item_path, &item_shown, ignored) {
                kept.push(value);
            }
        }
        Node {
            pos: node.pos,
            value: Value::List(kept),
        }
    }

    fn wrong_type(&mut self, pos: Pos, path: &str, shown: &str, ty: Type, found: &Value) {
        let expected = match ty {
            Type::Object { .. } => "a mapping of keys",
            Type::Array => "a list",
            Type::Boolean => "a boolean (`true` or `false`)",
            Type::String { .. } | Type::Enum(_) => "a string",
            Type::Number { .. } => "a number",
        };
        let hint = match (ty, found) {
            (Type::Boolean, Value::String(text)) if bool_word(text).is_some() => {
                format!(" (quoted, it is text: write `{text}` without quotes)")
            }
            (Type::Boolean, Value::String(text)) => yaml11_bool(text)
                .map(|b| {
                    format!(
                        " (YAML 1.2, which CodeRabbit uses, reads `{text}` as text: write `{b}`)"
                    )
                })
                .unwrap_or_default(),
            (Type::Object { .. }, Value::Bool(b))
                if keys::lookup(&keys::join(path, "enabled")).is_some() =>
            {
                format!(" (write `enabled: {b}` on the next line, indented)")
            }
            (Type::String { .. }, Value::Bool(_) | Value::Number(_)) => {
                format!(" (quote it to make it text: `\"{}\"`)", scalar_text(found))
            }
            (Type::Array, Value::String(_)) => {
                " (write each entry on its own line, starting with `- `)".to_owned()
            }
            _ => String::new(),
        };
        self.error(
            pos,
            format!(
                "`{shown}` must be {expected}, found {}{hint}",
                found.describe()
            ),
        );
    }

    fn not_in_enum(&mut self, pos: Pos, shown: &str, values: &[&str], found: &Value) {
        let text = match found {
            Value::String(text) => text.clone(),
            Value::Bool(_) | Value::Number(_) => scalar_text(found),
            _ => {
                let one_of = if values.len() <= 12 {
                    format!("one of {}", list(values))
                } else {
                    "a string".to_owned()
                };
                self.error(
                    pos,
                    format!("`{shown}` must be {one_of}, found {}", found.describe()),
                );
                return;
            }
        };
        let quoted = !matches!(found, Value::String(_));
        let message = if quoted && values.contains(&text.as_str()) {
            format!(
                "`{shown}` must be the string `\"{text}\"`, quoted, not {}",
                found.describe()
            )
        } else if values.len() <= 12 {
            let case = values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(&text))
                .map(|v| format!(" (values are case-sensitive: did you mean `{v}`?)"))
                .unwrap_or_default();
            format!(
                "`{shown}` must be one of {}, found `{text}`{case}",
                list(values)
            )
        } else {
            let near = match nearest(&text, values.iter().copied()) {
                Some(value) => format!("; did you mean `{value}`?"),
                None => format!(
                    "; it takes one of {} values, such as {}",
                    values.len(),
                    list(&values[..3])
                ),
            };
            format!("`{shown}` does not accept `{text}`{near}")
        };
        self.error(pos, message);
    }

    fn unknown(&mut self, entry: &Entry, parent: &str, shown: &str) {
        let name = entry.key.as_str();
        let advice = if name == "<<" {
            " (YAML merge keys are not supported; write the keys out)".to_owned()
        } else if name.contains('.') && keys::lookup(&keys::join(parent, name)).is_some() {
            let (outer, inner) = name.split_once('.').unwrap_or((name, ""));
            format!("; write it nested: `{outer}:` and, indented below it, `{inner}:`")
        } else if let Some(near) = nearest(name, keys::children(parent)) {
            format!("; did you mean `{near}`?")
        } else if let Some(elsewhere) = belongs_elsewhere(name) {
            let home = elsewhere.rsplit_once('.').map_or("", |(parent, _)| parent);
            format!("; `{name}` is a key of `{home}`: write it there (`{elsewhere}`)")
        } else {
            String::new()
        };
        self.warning(entry.key_pos, format!("unknown key `{shown}`{advice}"));
    }
}

/// `true` or `false` as YAML 1.2 spells them, for a boolean that was quoted.
fn bool_word(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// The YAML 1.1 booleans that YAML 1.2 reads as strings.
fn yaml11_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" => Some(true),
        "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => other.describe(),
    }
}

fn list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    quoted.join(", ")
}

/// Lowercase, without `-` and `_`: `golangci_lint`, `golangci-lint` and `GolangciLint` agree.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate closest to `name` when it is close enough to be a typo of it: at most one edit
/// in four characters (at least one), once case, `-` and `_` are set aside. Candidates are the
/// names of one nesting level; a name from another level is never offered as a typo.
fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(name);
    candidates
        .map(|candidate| {
            let other = fold(candidate);
            let allowed = (folded.chars().count().max(other.chars().count()) / 4).max(1);
            (
                candidate,
                strsim::damerau_levenshtein(&folded, &other),
                allowed,
            )
        })
        .filter(|(_, distance, allowed)| distance <= allowed)
        .min_by_key(|(_, distance, _)| *distance)
        .map(|(candidate, _, _)| candidate)
}

/// The one place in the schema where a key of this name lives, for a key written at the wrong
/// level (`path_filters` at the top instead of under `reviews`).
fn belongs_elsewhere(name: &str) -> Option<&'static str> {
    let mut homes = keys::KEYS
        .iter()
        .filter(|key| key.path.rsplit('.').next() == Some(name) && !key.path.contains("[]"));
    let home = homes.next()?;
    homes.next().is_none().then_some(home.path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::yaml;

    fn check(text: &str) -> Validated {
        let doc = yaml::parse(text).unwrap();
        validate(doc.root.as_ref(), Path::new(".coderabbit.yaml"))
    }

    fn messages(validated: &Validated) -> Vec<String> {
        validated.problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn unknown_keys_get_the_nearest_name() {
        let v = check(
            "language: en\n\nreviews:\n  profle: chill\n  tools:\n    golangci_lint:\n      enabled: false\n",
        );
        assert_eq!(
            messages(&v),
            [
                ".coderabbit.yaml:4:3: warning: unknown key `reviews.profle`; did you mean `profile`?",
                ".coderabbit.yaml:6:5: warning: unknown key `reviews.tools.golangci_lint`; did you mean `golangci-lint`?",
            ]
        );
    }

    #[test]
    fn did_you_mean_is_only_for_close_names_of_the_same_level() {
        let v = check(concat!(
            "reviews:\n",
            "  high_level_summery: true\n",
            "  collapse_walkthru: true\n",
            "  tools:\n",
            "    eslint: {enable: true}\n",
            "    tflnt: {enabled: true}\n",
            "  summary: true\n",
            "  auto_review:\n",
            "    profile: chill\n",
            "tone: friendly\n",
            "chat:\n",
            "  auto: true\n",
        ));
        assert_eq!(
            messages(&v),
            [
                ".coderabbit.yaml:2:3: warning: unknown key `reviews.high_level_summery`; did you mean `high_level_summary`?",
                ".coderabbit.yaml:3:3: warning: unknown key `reviews.collapse_walkthru`; did you mean `collapse_walkthrough`?",
                ".coderabbit.yaml:5:14: warning: unknown key `reviews.tools.eslint.enable`; did you mean `enabled`?",
                ".coderabbit.yaml:6:5: warning: unknown key `reviews.tools.tflnt`; did you mean `tflint`?",
                ".coderabbit.yaml:7:3: warning: unknown key `reviews.summary`",
                ".coderabbit.yaml:9:5: warning: unknown key `reviews.auto_review.profile`; `profile` is a key of `reviews`: write it there (`reviews.profile`)",
                ".coderabbit.yaml:10:1: warning: unknown key `tone`",
                ".coderabbit.yaml:12:3: warning: unknown key `chat.auto`",
            ]
        );
    }

    #[test]
    fn keys_at_the_wrong_level_are_pointed_home() {
        let v = check("path_filters: ['!dist/**']\nreviews.profile: assertive\nzzz: 1\n");
        let m = messages(&v);
        assert!(
            m[0].ends_with(
                "unknown key `path_filters`; `path_filters` is a key of `reviews`: write it there \
                 (`reviews.path_filters`)"
            ),
            "{m:?}"
        );
        assert!(m[1].contains("write it nested"), "{m:?}");
        assert!(m[2].ends_with("unknown key `zzz`"), "{m:?}");
        assert!(v.tree.is_some_and(|t| t.value == Value::Map(vec![])));
    }

    #[test]
    fn type_errors_are_all_reported_with_positions() {
        let v = check(concat!(
            "reviews:\n",
            "  profile: Chill\n",
            "  high_level_summary: yes\n",
            "  path_filters: \"!dist/**\"\n",
            "  auto_review:\n",
            "    labels: {a: b}\n",
            "    base_branches: [main, 2024, ~]\n",
            "  tools:\n",
            "    phpstan: {level: 5}\n",
            "    github-checks: {timeout_ms: 1000000}\n",
            "language: english\n",
        ));
        let m = messages(&v);
        assert_eq!(m.len(), 9, "{m:#?}");
        assert_eq!(
            m[0],
            ".coderabbit.yaml:2:12: error: `reviews.profile` must be one of `chill`, `assertive`, `quiet`, found `Chill` (values are case-sensitive: did you mean `chill`?)"
        );
        assert_eq!(
            m[1],
            ".coderabbit.yaml:3:23: error: `reviews.high_level_summary` must be a boolean (`true` or `false`), found the string `yes` (YAML 1.2, which CodeRabbit uses, reads `yes` as text: write `true`)"
        );
        assert!(
            m[2].starts_with(".coderabbit.yaml:4:17: error: `reviews.path_filters` must be a list"),
            "{}",
            m[2]
        );
        assert!(m[3].starts_with(".coderabbit.yaml:6:13: error: `reviews.auto_review.labels` must be a list, found a mapping"), "{}", m[3]);
        assert!(m[4].starts_with(".coderabbit.yaml:7:27: error: `reviews.auto_review.base_branches[1]` must be a string, found the number `2024` (quote it"), "{}", m[4]);
        assert!(m[5].starts_with(".coderabbit.yaml:7:33: error: `reviews.auto_review.base_branches[2]` must be a string, found null"), "{}", m[5]);
        assert!(
            m[6].contains("9:22: error: `reviews.tools.phpstan.level` must be the string `\"5\"`"),
            "{}",
            m[6]
        );
        assert!(m[7].contains("10:33: error: `reviews.tools.github-checks.timeout_ms` must be a number from 0 to 900000, found `1000000`"), "{}", m[7]);
        assert!(
            m[8].contains("11:11: error: `language` does not accept `english`"),
            "{}",
            m[8]
        );
        // What survives is only the valid part: `main` stays in base_branches.
        let tree = v.tree.unwrap();
        let Value::Map(top) = &tree.value else {
            panic!()
        };
        let Value::Map(reviews) = &top[0].value.value else {
            panic!()
        };
        let names: Vec<&str> = reviews.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(names, ["auto_review", "tools"]);
    }

    #[test]
    fn long_strings_and_missing_required_keys() {
        let long = "x".repeat(251);
        let v = check(&format!(
            "tone_instructions: {long}\nreviews:\n  path_instructions:\n    - path: src/**\n    - path: a\n      instructions: ok\n"
        ));
        let m = messages(&v);
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(
            m[0].contains("1:20: error: `tone_instructions` is 251 characters long; at most 250"),
            "{}",
            m[0]
        );
        assert!(
            m[1].contains("4:7: error: `reviews.path_instructions[0]` has no `instructions`"),
            "{}",
            m[1]
        );
        let tree = v.tree.unwrap();
        let Value::Map(top) = &tree.value else {
            panic!()
        };
        let Value::Map(reviews) = &top[0].value.value else {
            panic!()
        };
        let Value::List(items) = &reviews[0].value.value else {
            panic!()
        };
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn nulls_are_absent_and_ignored_keys_are_listed() {
        let v = check(
            "reviews:\n  poem:\n  profile: assertive\n  tools:\n    languagetool: {level: picky, enabled: false}\nchat: {auto_reply: false}\n",
        );
        assert!(v.problems.is_empty(), "{:?}", messages(&v));
        assert_eq!(v.ignored, ["reviews.tools.languagetool.level", "chat"]);
    }

    #[test]
    fn a_non_mapping_root_is_an_error() {
        let v = check("- a\n- b\n");
        assert!(v.tree.is_none());
        assert_eq!(
            messages(&v),
            [
                ".coderabbit.yaml:1:1: error: the file must be a mapping of keys (such as `reviews:`), found a list; the defaults are used"
            ]
        );
        assert!(check("~\n").problems.is_empty());
    }
}
