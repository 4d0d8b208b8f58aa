//! An error a Node.js script did not catch.
//!
//! Node prints the place it was thrown (`/…/scripts/build.js:12`, or a `file://` URL for an ES
//! module, or `node:internal/…` when a built-in threw), the source line, a caret line, a blank
//! line, the error (`Error: manifest has no entry`, `TypeError: …`, `AssertionError
//! [ERR_ASSERTION]: …`) and its stack (`    at main (/…/build.js:12:11)`). The error is at the
//! place when it is in the project, else at the first stack frame that is.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, foreign_frame, number, push_help, regex};

static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>node:\S+|(?:file://)?(?:/|[A-Za-z]:[\\/]|\.{0,2}[\\/]?)[^:\s][^:]*?\.[cm]?[jt]sx?):(?P<line>\d+)$",
    )
});
static CARET: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*\^+\s*$"));
static FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s+at (?:.*? \()?(?P<path>[^()]+?):(?P<line>\d+):(?P<col>\d+)\)?$"));

/// How far below the place its caret line may be (a long source line wraps in no log, but a
/// `node:internal` place prints a line of its own source).
const CARET_REACH: usize = 3;
/// At most this many stack frames are read for a frame in the project.
const MAX_FRAMES: usize = 30;

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut index = 0;
    while index < log.len() {
        let line = log.line(index);
        if maybe_place(line) {
            if let Some(caps) = PLACE.captures(line) {
                if let Some(next) = uncaught(log, index, &caps, out) {
                    index = next;
                    continue;
                }
            }
        }
        index += 1;
    }
}

/// A cheap look before the pattern: `…js:12` or `node:…:12`.
fn maybe_place(line: &str) -> bool {
    line.rsplit_once(':').is_some_and(|(head, tail)| {
        !tail.is_empty()
            && tail.bytes().all(|b| b.is_ascii_digit())
            && (head.starts_with("node:") || head.ends_with("js") || head.ends_with("ts"))
    })
}

fn uncaught(
    log: &Log<'_>,
    start: usize,
    place: &regex::Captures<'_>,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let caret = (start + 1..=start + CARET_REACH).find(|&i| CARET.is_match(log.line(i)))?;
    let at = (caret + 1..caret + 3).find(|&i| !log.line(i).trim().is_empty())?;
    let message = log.line(at).trim();
    if message.starts_with("at ") || message.starts_with("Node.js ") {
        return None;
    }
    let path = place["path"].trim_start_matches("file://");
    let line = number(place.name("line"));
    let mut error = BuildError::new("node", message, at);
    let mut index = at + 1;
    let mut frames = 0;
    let mut first_frame = None;
    while index < log.len() && frames < MAX_FRAMES {
        let text = log.line(index);
        match FRAME.captures(text) {
            Some(frame) => {
                frames += 1;
                let frame_path = frame
                    .name("path")
                    .map_or("", |m| m.as_str())
                    .trim_start_matches("file://");
                if first_frame.is_none() && !foreign_frame(frame_path) {
                    first_frame = Some((
                        frame_path,
                        number(frame.name("line")),
                        number(frame.name("col")),
                    ));
                }
            }
            // An error's own properties (`code: 'ERR_ASSERTION'`) and the closing brace.
            None if frames > 0 => break,
            None => push_help(&mut error.help, text),
        }
        index += 1;
    }
    error = if !foreign_frame(path) {
        let column = first_frame
            .filter(|(p, l, _)| *p == path && *l == line)
            .and_then(|(_, _, c)| c);
        error.at(Some(path), line, column)
    } else if let Some((path, line, column)) = first_frame {
        error.at(Some(path), line, column)
    } else {
        error
    };
    out.push(Found::error(error));
    Some(index)
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn uncaught_errors_in_scripts_and_modules() {
        // Node.js v20.20.2.
        let found = run("/w/s/scripts/build.js:12
    throw new Error('manifest has no entry');
    ^

Error: manifest has no entry
    at main (/w/s/scripts/build.js:12:11)
    at Object.<anonymous> (/w/s/scripts/build.js:16:1)
    at node:internal/main/run_main_module:28:49

Node.js v20.20.2
file:///w/s/my scripts/gen.mjs:4
const pages = config.pages.map((p) => p.toUpperCase());
                           ^

TypeError: Cannot read properties of undefined (reading 'map')
    at file:///w/s/my scripts/gen.mjs:4:28
node:internal/assert/utils:281
    throw err;
    ^

AssertionError [ERR_ASSERTION]: bundle limit too high
    at Object.<anonymous> (/w/s/packages/cli/check.js:4:8)
    at Module._compile (node:internal/modules/cjs/loader:1521:14) {
  code: 'ERR_ASSERTION',
}");
        let shown: Vec<_> = found
            .iter()
            .map(|e| (e.path.as_deref(), e.line, e.column, e.message.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    Some("/w/s/scripts/build.js"),
                    Some(12),
                    Some(11),
                    "Error: manifest has no entry"
                ),
                (
                    Some("/w/s/my scripts/gen.mjs"),
                    Some(4),
                    Some(28),
                    "TypeError: Cannot read properties of undefined (reading 'map')"
                ),
                (
                    Some("/w/s/packages/cli/check.js"),
                    Some(4),
                    Some(8),
                    "AssertionError [ERR_ASSERTION]: bundle limit too high"
                ),
            ]
        );
    }

    #[test]
    fn windows_paths() {
        let found = run("D:\\a\\1\\s\\scripts\\build.js:12
    throw new Error('manifest has no entry');
    ^

Error: manifest has no entry
    at main (D:\\a\\1\\s\\scripts\\build.js:12:11)
    at node:internal/main/run_main_module:28:49");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            (found[0].path.as_deref(), found[0].line, found[0].column),
            (Some("D:\\a\\1\\s\\scripts\\build.js"), Some(12), Some(11))
        );
    }

    #[test]
    fn a_place_without_a_caret_is_not_an_error() {
        assert!(run("/w/s/scripts/build.js:12\nsomething else\n\nError: x").is_empty());
    }
}
