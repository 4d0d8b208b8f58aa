//! TypeScript compiler (`tsc`, `vue-tsc`, `tsc --build`) errors.
//!
//! Three shapes: the plain form that tsc prints when its output is not a terminal
//! (`src/a.ts(3,7): error TS2322: …`), the pretty form (`src/a.ts:3:7 - error TS2322: …`, then the
//! code frame), and errors without a file (`error TS5023: Unknown compiler option …`). The
//! elaboration lines indented under an error (`  Type 'string' is not assignable to …`) and, in
//! the pretty form, related locations (`'name' is declared here.`) are kept as help. The summary
//! (`Found 2 errors in the same file …`) is not an error.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, indented, number, push_help, regex, unecho};

static PLAIN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?P<path>\S.*?)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$")
});
static PRETTY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?P<path>\S.*?):(?P<line>\d+):(?P<col>\d+) - error (?P<code>TS\d+): (?P<msg>.*)$")
});
static BARE: LazyLock<Regex> = LazyLock::new(|| regex(r"^error (?P<code>TS\d+): (?P<msg>.*)$"));
/// A code frame line of the pretty form: `3 const x: number = "a";`, or its squiggle.
static FRAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(?:\d+\s|~+$)"));
static RELATED: LazyLock<Regex> = LazyLock::new(|| regex(r"^  (?P<loc>\S.*?:\d+:\d+)$"));

/// Whether `line` is a tsc error in the pretty form (which test runners quote in their own
/// failure reports).
pub(super) fn is_pretty_error(line: &str) -> bool {
    line.contains(" - error TS") && PRETTY.is_match(line.trim())
}

/// A tsc error in the pretty form, alone on `line`.
pub(super) fn parse_pretty(line: &str, index: usize) -> Option<BuildError> {
    let caps = PRETTY.captures(line)?;
    Some(
        BuildError::new("tsc", &caps["msg"], index)
            .at(
                group(&caps, "path"),
                number(caps.name("line")),
                number(caps.name("col")),
            )
            .with_code(group(&caps, "code")),
    )
}

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut index = 0;
    while index < log.len() {
        let (line, echo) = unecho(log.line(index));
        if !line.contains("error TS") {
            index += 1;
            continue;
        }
        let (caps, pretty) = match PLAIN.captures(line) {
            Some(caps) => (caps, false),
            None => match PRETTY.captures(line) {
                Some(caps) => (caps, true),
                None => match BARE.captures(line) {
                    Some(caps) => (caps, false),
                    None => {
                        index += 1;
                        continue;
                    }
                },
            },
        };
        let mut error = BuildError::new("tsc", &caps["msg"], index)
            .at(
                group(&caps, "path"),
                number(caps.name("line")),
                number(caps.name("col")),
            )
            .with_code(group(&caps, "code"));
        index += 1;
        // Elaborations, indented right under the error.
        while index < log.len() && indented(log.line(index)) && !log.line(index).trim().is_empty() {
            push_help(&mut error.help, log.line(index));
            index += 1;
        }
        if pretty {
            index = related(log, index, &mut error.help);
        }
        out.push(Found::error(error).echoed(echo));
    }
}

/// The pretty form's code frame and related locations after an error; returns where they end.
fn related(log: &Log<'_>, mut index: usize, help: &mut Vec<String>) -> usize {
    let mut location: Option<&str> = None;
    while index < log.len() {
        let line = log.line(index);
        if line.is_empty() || FRAME.is_match(line) {
            index += 1;
            continue;
        }
        if let Some(caps) = RELATED.captures(line) {
            location = caps.name("loc").map(|m| m.as_str());
        } else if line.starts_with("    ") {
            if let Some(loc) = location.take() {
                push_help(help, &format!("{loc}: {}", line.trim()));
            }
        } else {
            break;
        }
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn plain_form_with_elaboration() {
        let found = run("> web@1.0.0 build
> tsc -p tsconfig.json

src/api/client.ts(42,5): error TS2322: Type '{ id: string; }' is not assignable to type 'User'.
  Property 'name' is missing in type '{ id: string; }' but required in type 'User'.
src/app (routes)/page.tsx(3,10): error TS2305: Module '\"./lib\"' has no exported member 'load'.
error TS5023: Unknown compiler option 'strictest'.");
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].help,
            ["Property 'name' is missing in type '{ id: string; }' but required in type 'User'."]
        );
        assert_eq!(found[1].path.as_deref(), Some("src/app (routes)/page.tsx"));
        assert_eq!(
            (found[2].path.as_deref(), found[2].code.as_deref()),
            (None, Some("TS5023"))
        );
    }

    #[test]
    fn pretty_form_with_code_frame_and_related_location() {
        let found = run("src/models/user.ts:12:3 - error TS2741: Property 'email' is missing in type '{ name: string; }' but required in type 'User'.

12   const u: User = { name: \"x\" };
     ~~~~~~~~~~~~~

  src/types.ts:4:3
    4   email: string;
        ~~~~~
    'email' is declared here.

src/index.ts:1:10 - error TS2305: Module '\"./models\"' has no exported member 'Account'.

1 import { Account } from \"./models\";
           ~~~~~~~


Found 2 errors in 2 files.

Errors  Files
     1  src/models/user.ts:12
     1  src/index.ts:1");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!((found[0].line, found[0].column), (Some(12), Some(3)));
        assert_eq!(
            found[0].help,
            ["src/types.ts:4:3: 'email' is declared here."]
        );
        assert_eq!(found[1].code.as_deref(), Some("TS2305"));
        assert!(is_pretty_error("src/a.ts:3:7 - error TS2322: x"));
    }

    #[test]
    fn not_tsc_errors() {
        assert!(
            run(
                "Found 0 errors. Watching for file changes.\nsrc/errors.ts compiled\nwarning TS6133"
            )
            .is_empty()
        );
    }
}
