//! ESLint errors in its stylish (default), unix and compact formats, and its fatal failures.
//!
//! Stylish prints a file's path on a line of its own, then one line per problem:
//! `  3:7  error  'x' is assigned a value but never used  no-unused-vars` (the rule, after two or
//! more spaces, is the code; a parsing error has none). Unix prints
//! `/path/a.js:3:7: 'x' is assigned … [Error/no-unused-vars]`, compact
//! `/path/a.js: line 3, col 7, Error - 'x' is assigned … (no-unused-vars)`. Warnings are not
//! errors, unless they are too many for `--max-warnings`: then ESLint's verdict
//! (`ESLint found too many warnings (maximum: 0).`) is the error. When ESLint itself fails
//! (`Oops! Something went wrong! :(`), the reason it gives is the error.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, group, indented, number, regex, unecho};

static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s+(?P<line>\d+):(?P<col>\d+)\s+(?P<sev>error|warning)\s+(?P<rest>\S.*)$")
});
static RULE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?P<msg>.*?)\s{2,}(?P<rule>(?:@[\w.-]+/)?[\w.-]+(?:/[\w.-]+)*)$"));
static HEADER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:[A-Za-z]:[\\/]|/|\.{1,2}[\\/])?[^\s:]*[\w\\/][^:]*\.\w+$"));
static UNIX: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>\S.*?):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+) \[(?P<sev>Error|Warning)(?:/(?P<rule>[^\]]+))?\]$",
    )
});
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^(?P<path>\S.*?): line (?P<line>\d+), col (?P<col>\d+), (?P<sev>Error|Warning) - (?P<msg>.+?)(?: \((?P<rule>[^()\s]+)\))?$",
    )
});

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut file: Option<&str> = None;
    for index in 0..log.len() {
        let raw = log.line(index);
        if indented(raw) {
            if let (Some(path), Some(caps)) = (file, ENTRY.captures(raw)) {
                if &caps["sev"] == "error" {
                    let rest = &caps["rest"];
                    let (message, rule) = match RULE.captures(rest) {
                        Some(split) => (
                            split.name("msg").map_or(rest, |m| m.as_str()),
                            group(&split, "rule"),
                        ),
                        None => (rest, None),
                    };
                    out.push(Found::error(
                        BuildError::new("eslint", message, index)
                            .at(
                                Some(path),
                                number(caps.name("line")),
                                number(caps.name("col")),
                            )
                            .with_code(rule),
                    ));
                }
                continue;
            }
            file = None;
            continue;
        }
        file = None;
        let (line, echo) = unecho(raw);
        if line.is_empty() {
            continue;
        }
        if line.ends_with(']') && line.contains(": ") {
            if let Some(caps) = UNIX.captures(line) {
                if &caps["sev"] == "Error" {
                    out.push(Found::error(located(&caps, index)).echoed(echo));
                }
                continue;
            }
        }
        if line.contains(": line ") {
            if let Some(caps) = COMPACT.captures(line) {
                if &caps["sev"] == "Error" {
                    out.push(Found::error(located(&caps, index)).echoed(echo));
                }
                continue;
            }
        }
        if line.starts_with("ESLint found too many warnings") {
            out.push(Found::error(BuildError::new("eslint", line, index)));
            continue;
        }
        if line == "Oops! Something went wrong! :(" {
            if let Some((at, reason)) = (index + 1..log.len().min(index + 8))
                .map(|i| (i, log.line(i).trim()))
                .find(|(_, l)| !l.is_empty() && !l.starts_with("ESLint: "))
            {
                out.push(Found::error(BuildError::new("eslint", reason, at)));
            }
            continue;
        }
        // A stylish file header: a path followed by a problem line.
        if ENTRY.is_match(log.line(index + 1)) && HEADER.is_match(line) {
            file = Some(line);
        }
    }
}

fn located(caps: &regex::Captures<'_>, index: usize) -> BuildError {
    BuildError::new("eslint", &caps["msg"], index)
        .at(
            group(caps, "path"),
            number(caps.name("line")),
            number(caps.name("col")),
        )
        .with_code(group(caps, "rule"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn stylish_errors_not_warnings() {
        let found = run("
/home/vsts/work/1/s/src/app.js
   3:7   error    'x' is assigned a value but never used  no-unused-vars
  10:1   warning  Unexpected console statement             no-console
  12:15  error    Parsing error: Unexpected token )

D:\\a\\1\\s\\src\\components\\Button.tsx
  4:10  error  'React' is defined but never used  @typescript-eslint/no-unused-vars

✖ 4 problems (3 errors, 1 warning)
  1 error and 0 warnings potentially fixable with the `--fix` option.
");
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(
            found[0].path.as_deref(),
            Some("/home/vsts/work/1/s/src/app.js")
        );
        assert_eq!(found[0].code.as_deref(), Some("no-unused-vars"));
        assert_eq!(found[0].message, "'x' is assigned a value but never used");
        assert_eq!(
            (found[1].code.as_deref(), found[1].message.as_str()),
            (None, "Parsing error: Unexpected token )")
        );
        assert_eq!(
            found[2].code.as_deref(),
            Some("@typescript-eslint/no-unused-vars")
        );
        assert_eq!(
            found[2].path.as_deref(),
            Some("D:\\a\\1\\s\\src\\components\\Button.tsx")
        );
    }

    #[test]
    fn unix_and_compact_formats() {
        let found = run(
            "/s/src/a.js:3:7: 'x' is assigned a value but never used. [Error/no-unused-vars]
/s/src/a.js:9:1: Unexpected console statement. [Warning/no-console]
/s/src/b.js: line 2, col 4, Error - Missing semicolon. (semi)
/s/src/b.js: line 5, col 1, Warning - Unexpected var. (no-var)

2 problems",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].code.as_deref(), Some("semi"));
        assert_eq!(found[1].message, "Missing semicolon.");
    }

    #[test]
    fn eslint_itself_failing() {
        let found = run("Oops! Something went wrong! :(

ESLint: 9.12.0

ESLint couldn't find an eslint.config.(js|mjs|cjs) file.");
        assert_eq!(found.len(), 1);
        assert!(found[0].message.starts_with("ESLint couldn't find"));
    }

    #[test]
    fn indented_numbers_without_a_header_are_not_eslint() {
        assert!(run("Summary:\n  3:7  error  not a file header  x").is_empty());
        assert!(run("  12:30  error  something").is_empty());
    }
}
