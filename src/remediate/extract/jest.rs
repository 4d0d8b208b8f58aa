//! Jest and Vitest test failures.
//!
//! Jest prints each failure as a block under `FAIL src/a.test.js`: `● Suite › test name`, the
//! error (`expect(received).toBe(expected) // Object.is equality`), its details (`Expected: 3`,
//! `Received: 1`, kept as help), a code frame and the stack, whose first frame in the project
//! (`at Object.<anonymous> (src/a.test.js:10:5)`, not `node_modules`) gives the file and line.
//! `● Test suite failed to run` is a failure of the whole file. The blocks printed again under
//! "Summary of all failing tests" are merged by de-duplication.
//!
//! Vitest's report lists failures as ` FAIL  src/a.test.ts > suite > test name`, the error on
//! the next line, and the frames as ` ❯ src/a.test.ts:10:5` or ` ❯ parseOrder src/orders.js:6:15`
//! (a function name has no `/`). The progress lines of both runners (`✓`, `×`, `PASS`) are not
//! errors. Paths may hold spaces (`src/price rules/rounding.test.js`) in headers and frames.

use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, foreign_frame, number, push_help, regex, typescript};

static JEST_FAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^FAIL\s+(?:\S+\s+)??(?P<file>\S(?:[^()]*?\S)?\.\w+)(?:\s+\(.*\))?$"));
static JEST_FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^\s+at (?:.*? \()?(?P<path>[^()]+?):(?P<line>\d+):(?P<col>\d+)\)?$"));
static VITEST_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s*FAIL\s+(?P<file>\S(?:.*?\S)??)\s+(?:>\s+(?P<name>.+?)|\[ .+ \])$")
});
static VITEST_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^\s*❯ (?:[^\s/\\]+ )?(?P<path>[^\s()/\\][^()]*?):(?P<line>\d+):(?P<col>\d+)$")
});
/// A code frame line: `> 20 |     expect(…)`, `     |     ^`, Vitest's `  6|   expect(…)`.
static CODE_FRAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*>?\s*\d*\s*\|"));

/// At most this many detail lines of a failure are kept.
const MAX_DETAILS: usize = 6;

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut fail_file: Option<&str> = None;
    let mut index = 0;
    while index < log.len() {
        let line = log.line(index);
        let trimmed = line.trim_start();
        if trimmed.starts_with("● ") {
            index = jest_block(log, index, fail_file, out);
            continue;
        }
        if trimmed.starts_with("FAIL") {
            if let Some(caps) = VITEST_HEADER.captures(line) {
                let file = caps.name("file").map(|m| m.as_str());
                let name = caps.name("name").map(|m| m.as_str());
                index = vitest_block(log, index, file, name, out);
                continue;
            }
            if let Some(caps) = JEST_FAIL.captures(line) {
                fail_file = caps.name("file").map(|m| m.as_str());
            }
        } else if line.starts_with("PASS") {
            fail_file = None;
        }
        index += 1;
    }
}

fn ends_jest_block(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("● ")
        || line.starts_with("FAIL ")
        || line.starts_with("PASS ")
        || line.starts_with("Test Suites:")
        || line.starts_with("Tests:")
        || line.starts_with("Summary of all failing tests")
        || line.starts_with("Ran all test suites")
}

/// A Jest `● title` block at `start`; returns where it ends.
fn jest_block(log: &Log<'_>, start: usize, fail_file: Option<&str>, out: &mut Vec<Found>) -> usize {
    let title = log.line(start).trim_start().trim_start_matches("● ").trim();
    let mut end = start + 1;
    while end < log.len() && !ends_jest_block(log.line(end)) {
        end += 1;
    }
    if title.ends_with("Warning:") || title == "Console" {
        return end;
    }
    let body = start + 1..end;
    let first = body.clone().find(|&i| !log.line(i).trim().is_empty());
    if let Some(first) = first {
        // ts-jest quotes the compiler: that error is tsc's.
        if typescript::is_pretty_error(log.line(first)) {
            if let Some(error) = typescript::parse_pretty(log.line(first).trim(), first) {
                out.push(Found::error(error));
                return end;
            }
        }
    }
    let message = match first {
        Some(first) => format!("{title}: {}", log.line(first).trim()),
        None => title.to_owned(),
    };
    let mut error = BuildError::new("jest", &message, start).at(fail_file, None, None);
    if let Some(frame) = body
        .clone()
        .filter_map(|i| JEST_FRAME.captures(log.line(i)))
        .find(|caps| !foreign_frame(&caps["path"]))
    {
        error = error.at(
            frame.name("path").map(|m| m.as_str()),
            number(frame.name("line")),
            number(frame.name("col")),
        );
    }
    if let Some(first) = first {
        details(log, first + 1..end, &JEST_FRAME, &mut error.help);
    }
    out.push(Found::error(error));
    end
}

/// A Vitest ` FAIL  file > test` block at `start`; returns where it ends.
fn vitest_block(
    log: &Log<'_>,
    start: usize,
    file: Option<&str>,
    name: Option<&str>,
    out: &mut Vec<Found>,
) -> usize {
    let mut end = start + 1;
    while end < log.len() {
        let line = log.line(end).trim_start();
        if line.starts_with('⎯')
            || line.starts_with("Test Files ")
            || VITEST_HEADER.is_match(log.line(end))
        {
            break;
        }
        end += 1;
    }
    let first = (start + 1..end).find(|&i| !log.line(i).trim().is_empty());
    let problem = first.map(|i| log.line(i).trim());
    let message = match (name, problem) {
        (Some(name), Some(problem)) => format!("{name}: {problem}"),
        (Some(name), None) => format!("{name} failed"),
        (None, Some(problem)) => problem.to_owned(),
        (None, None) => format!("{} failed", file.unwrap_or("test file")),
    };
    let mut error = BuildError::new("vitest", &message, start).at(file, None, None);
    if let Some(frame) = (start + 1..end)
        .filter_map(|i| VITEST_FRAME.captures(log.line(i)))
        .find(|caps| !foreign_frame(&caps["path"]))
    {
        error = error.at(
            frame.name("path").map(|m| m.as_str()),
            number(frame.name("line")),
            number(frame.name("col")),
        );
    }
    if let Some(first) = first {
        details(log, first + 1..end, &VITEST_FRAME, &mut error.help);
    }
    out.push(Found::error(error));
    end
}

/// The detail lines after a failure's first line, up to its code frame or stack.
fn details(log: &Log<'_>, lines: std::ops::Range<usize>, frame: &Regex, help: &mut Vec<String>) {
    for index in lines {
        let line = log.line(index);
        if CODE_FRAME.is_match(line) || frame.is_match(line) {
            break;
        }
        if help.len() < MAX_DETAILS {
            push_help(help, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    #[test]
    fn jest_blocks_with_frames_and_details() {
        let found = run("PASS src/utils/errors.test.js
FAIL src/api/client.test.js (5.2 s)
  ● ApiClient › retries on 503

    expect(jest.fn()).toHaveBeenCalledTimes(expected)

    Expected number of calls: 3
    Received number of calls: 1

      18 |     await client.get('/items');
      19 |
    > 20 |     expect(fetchMock).toHaveBeenCalledTimes(3);
         |                       ^
      21 |   });

      at Object.toHaveBeenCalledTimes (src/api/client.test.js:20:23)

  ● ApiClient › parses errors

    TypeError: Cannot read properties of undefined (reading 'message')

      at message (node_modules/some-lib/index.js:3:9)
      at parseError (src/api/client.js:42:18)
      at Object.<anonymous> (src/api/client.test.js:31:5)

Test Suites: 1 failed, 1 passed, 2 total");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].message,
            "ApiClient › retries on 503: expect(jest.fn()).toHaveBeenCalledTimes(expected)"
        );
        assert_eq!(
            (found[0].path.as_deref(), found[0].line, found[0].column),
            (Some("src/api/client.test.js"), Some(20), Some(23))
        );
        assert_eq!(
            found[0].help,
            ["Expected number of calls: 3", "Received number of calls: 1"]
        );
        assert_eq!(found[1].path.as_deref(), Some("src/api/client.js"));
        assert_eq!(found[1].line, Some(42));
    }

    #[test]
    fn suite_failures_and_ts_jest() {
        let found = run("FAIL src/broken.test.js
  ● Test suite failed to run

    Cannot find module './missing' from 'src/broken.test.js'

      at Resolver._throwModNotFoundError (node_modules/jest-resolve/build/resolver.js:427:11)

FAIL src/typed.test.ts
  ● Test suite failed to run

    src/typed.test.ts:3:7 - error TS2322: Type 'string' is not assignable to type 'number'.

    3 const n: number = \"x\";
            ~
");
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].message,
            "Test suite failed to run: Cannot find module './missing' from 'src/broken.test.js'"
        );
        assert_eq!(found[0].path.as_deref(), Some("src/broken.test.js"));
        assert_eq!(found[0].line, None);
        assert_eq!((found[1].tool, found[1].line), ("tsc", Some(3)));
    }

    #[test]
    fn vitest_failed_tests() {
        let found = run(" ✓ src/errors.test.ts (2 tests) 3ms
 ❯ src/math.test.ts (3 tests | 1 failed) 12ms
   × math > adds numbers 5ms
     → expected 3 to be 4 // Object.is equality

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  src/math.test.ts > math > adds numbers
AssertionError: expected 3 to be 4 // Object.is equality

- Expected
+ Received

- 4
+ 3

 ❯ src/math.test.ts:6:17
      4|   describe('math', () => {
      5|     it('adds numbers', () => {
      6|       expect(add(1, 2)).toBe(4)
       |                 ^

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯

 Test Files  1 failed | 1 passed (2)");
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].tool, "vitest");
        assert_eq!(
            found[0].message,
            "math > adds numbers: AssertionError: expected 3 to be 4 // Object.is equality"
        );
        assert_eq!((found[0].line, found[0].column), (Some(6), Some(17)));
        assert_eq!(found[0].help, ["- Expected", "+ Received", "- 4", "+ 3"]);
    }

    #[test]
    fn paths_with_spaces() {
        // Jest 30.5.2 and Vitest 4.1.12.
        let jest = run("FAIL src/price rules/rounding.test.js
  ● refuses a zero step

    RangeError: step must be positive, got 0

      at roundPrice (src/price rules/rounding.js:3:11)
      at Object.roundPrice (src/price rules/rounding.test.js:8:10)
");
        let vitest = run(" FAIL  src/tax rules/vat.test.js > unknown country
Error: no VAT rate for XX
 ❯ vat src/tax rules/vat.js:4:11
 ❯ src/tax rules/vat.test.js:9:10
");
        let shown: Vec<_> = jest
            .iter()
            .chain(&vitest)
            .map(|e| (e.tool, e.path.as_deref(), e.line))
            .collect();
        assert_eq!(
            shown,
            [
                ("jest", Some("src/price rules/rounding.js"), Some(3)),
                ("vitest", Some("src/tax rules/vat.js"), Some(4)),
            ]
        );
        assert_eq!(
            vitest[0].message,
            "unknown country: Error: no VAT rate for XX"
        );
    }
}
