//! pytest failures and errors.
//!
//! pytest reports each failed test twice: a section under `= FAILURES =` (or `= ERRORS =` for
//! errors in fixtures and collection), headed `___ test_x ___`, with its traceback, the `E` lines
//! of the exception and the location lines (`tests/test_a.py:15: AssertionError`), and a line in
//! the short test summary (`FAILED tests/test_a.py::test_x - AssertionError: …`). The two are
//! tied by the test's name: the summary gives the test and the message, the section the file and
//! line where the exception was raised (the last location in the project, not in
//! `site-packages`) and the `E` lines, kept as help. Without a summary (`-rN`), each section is
//! an error of its own. With `--tb=line` a failure is one line, `/…/tests/test_a.py:15:
//! AssertionError: …`, without a header: the summary's entries name their tests in the same
//! order. With `--tb=native` the section holds Python's traceback (`File "/…/test_a.py", line
//! 15, in test_x`) instead of location lines. Paths may hold spaces. Lines outside those two parts of the report (a test named
//! `test_error_path`, `PASSED`, captured output) are never errors.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{BuildError, Found, Log, foreign_frame, push_help, regex};

static BANNER: LazyLock<Regex> = LazyLock::new(|| regex(r"^={3,} (?P<title>.+?) ={3,}$"));
static HEADER: LazyLock<Regex> = LazyLock::new(|| regex(r"^_{3,} (?P<name>.+?) _{3,}$"));
static CAPTURED: LazyLock<Regex> = LazyLock::new(|| regex(r"^-{3,} Captured .* -{3,}$"));
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?P<path>(?:[A-Za-z]:)?[^\s:][^:]*\.py):(?P<line>\d+):(?: (?P<what>.*))?$")
});
static NATIVE_FRAME: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"^  File "(?P<path>.+\.py)", line (?P<line>\d+)(?:, in .*)?$"#));
static E_LINE: LazyLock<Regex> = LazyLock::new(|| regex(r"^E\s+(?P<text>.*)$"));
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"^(?P<kind>FAILED|ERROR) (?P<id>[^\s:][^:]*?\.py(?:::\S.*?)?)(?: - (?P<msg>.*))?$")
});

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Other,
    Sections,
    Summary,
}

/// One `___ name ___` section of the report.
struct Section {
    /// The test (`TestApi.test_get[x]`) or the collected file, without `ERROR at setup of`.
    key: String,
    error: bool,
    index: usize,
    locations: Vec<(String, u32, Option<String>)>,
    e_lines: Vec<String>,
    captured: bool,
    used: bool,
    /// A failure of `--tb=line`: one `path:line: message` line, no header; the summary names its
    /// test, in the same order.
    anonymous: bool,
}

pub(super) fn extract(log: &Log<'_>, out: &mut Vec<Found>) {
    let mut part = Part::Other;
    let mut sections: Vec<Section> = Vec::new();
    let mut summary: Vec<(usize, bool, String, Option<String>)> = Vec::new();
    for index in 0..log.len() {
        let line = log.line(index);
        if line.starts_with("===") {
            if let Some(caps) = BANNER.captures(line) {
                part = match &caps["title"] {
                    "FAILURES" | "ERRORS" => Part::Sections,
                    "short test summary info" => Part::Summary,
                    _ => Part::Other,
                };
                continue;
            }
        }
        match part {
            Part::Other => {}
            Part::Sections => section_line(line, index, &mut sections),
            Part::Summary => {
                if let Some(caps) = SUMMARY.captures(line) {
                    summary.push((
                        index,
                        &caps["kind"] == "ERROR",
                        caps["id"].to_owned(),
                        caps.name("msg").map(|m| m.as_str().to_owned()),
                    ));
                }
            }
        }
    }
    if summary.is_empty() {
        for section in &sections {
            let message = section
                .e_lines
                .first()
                .cloned()
                .unwrap_or_else(|| section.key.clone());
            let test = (!section.key.ends_with(".py")).then_some(section.key.as_str());
            out.push(Found::error(build(
                section.index,
                test,
                None,
                &message,
                Some(section),
            )));
        }
        return;
    }
    let anonymous: Vec<usize> = (0..sections.len())
        .filter(|&s| sections[s].anonymous)
        .collect();
    let mut in_order = (anonymous.len() == summary.len())
        .then(|| anonymous.into_iter())
        .into_iter()
        .flatten();
    let mut by_key: HashMap<(bool, String), Vec<usize>> = HashMap::new();
    for (slot, section) in sections.iter().enumerate() {
        by_key
            .entry((section.error, section.key.clone()))
            .or_default()
            .push(slot);
    }
    for (index, error, id, message) in summary {
        let (file, test) = match id.split_once("::") {
            Some((file, test)) => (file, Some(test)),
            None => (id.as_str(), None),
        };
        let key = test.map_or_else(|| file.to_owned(), |t| t.replace("::", "."));
        let slot = by_key
            .get(&(error, key))
            .and_then(|slots| slots.iter().copied().find(|&s| !sections[s].used))
            .or_else(|| in_order.next());
        let section = slot.map(|s| {
            sections[s].used = true;
            &sections[s]
        });
        let full = section.and_then(|s| s.e_lines.first());
        let message = match (message.as_deref(), full) {
            (Some(m), Some(e)) if m.ends_with("...") => e.clone(),
            (Some(m), _) => m.to_owned(),
            (None, Some(e)) => e.clone(),
            (None, None) => format!("{} failed", test.unwrap_or(file)),
        };
        let at = section.map_or(index, |s| s.index);
        out.push(Found::error(build(at, test, Some(file), &message, section)));
    }
}

fn section_line(line: &str, index: usize, sections: &mut Vec<Section>) {
    if line.starts_with("___") {
        if let Some(caps) = HEADER.captures(line) {
            let name = &caps["name"];
            let (error, key) = [
                "ERROR at setup of ",
                "ERROR at teardown of ",
                "ERROR collecting ",
            ]
            .iter()
            .find_map(|prefix| name.strip_prefix(prefix))
            .map_or((false, name), |rest| (true, rest));
            sections.push(Section {
                key: key.to_owned(),
                error,
                index,
                locations: Vec::new(),
                e_lines: Vec::new(),
                captured: false,
                used: false,
                anonymous: false,
            });
            return;
        }
    }
    if sections.last().is_none_or(|s| s.anonymous) && line.contains(".py:") {
        if let Some(caps) = LOCATION.captures(line) {
            if let (Ok(number), Some(what)) = (caps["line"].parse(), caps.name("what")) {
                sections.push(Section {
                    key: String::new(),
                    error: false,
                    index,
                    locations: vec![(caps["path"].to_owned(), number, None)],
                    e_lines: vec![what.as_str().trim().to_owned()],
                    captured: false,
                    used: false,
                    anonymous: true,
                });
                return;
            }
        }
    }
    let Some(section) = sections.last_mut().filter(|s| !s.captured && !s.anonymous) else {
        return;
    };
    if line.starts_with("---") && CAPTURED.is_match(line) {
        section.captured = true;
    } else if line.starts_with('E') {
        if let Some(caps) = E_LINE.captures(line) {
            if section.e_lines.len() < 16 {
                section.e_lines.push(caps["text"].trim().to_owned());
            }
        }
    } else if line.starts_with("  File \"") {
        // `--tb=native`: Python's own traceback.
        if let Some(caps) = NATIVE_FRAME.captures(line) {
            if let Ok(number) = caps["line"].parse() {
                section
                    .locations
                    .push((caps["path"].to_owned(), number, None));
            }
        }
    } else if line.contains(".py:") {
        if let Some(caps) = LOCATION.captures(line) {
            if let Ok(number) = caps["line"].parse() {
                let what = caps.name("what").map(|m| m.as_str().to_owned());
                section
                    .locations
                    .push((caps["path"].to_owned(), number, what));
            }
        }
    }
}

fn build(
    index: usize,
    test: Option<&str>,
    file: Option<&str>,
    message: &str,
    section: Option<&Section>,
) -> BuildError {
    let text = match test {
        Some(test) => format!("{test}: {message}"),
        None => message.to_owned(),
    };
    let mut error = BuildError::new("pytest", &text, index).at(file, None, None);
    if let Some(section) = section {
        if let Some((path, line, _)) = section
            .locations
            .iter()
            .rev()
            .find(|(path, _, _)| !foreign_frame(path))
        {
            error = error.at(Some(path), Some(*line), None);
        }
        for e in &section.e_lines {
            if e != message {
                push_help(&mut error.help, e);
            }
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use super::super::tests::found;
    use super::*;

    fn run(text: &str) -> Vec<BuildError> {
        found(extract, text).into_iter().map(|f| f.error).collect()
    }

    const REPORT: &str =
        "============================= test session starts ==============================
platform linux -- Python 3.12.4, pytest-8.3.2, pluggy-1.5.0
collected 6 items

tests/test_dates.py .F.                                                  [ 50%]
tests/test_errors.py ..E                                                 [100%]

==================================== ERRORS ====================================
_________________________ ERROR at setup of test_query _________________________

    @pytest.fixture
    def db():
>       return connect(os.environ[\"DB_URL\"])
E       KeyError: 'DB_URL'

tests/conftest.py:9: KeyError
=================================== FAILURES ===================================
_______________________________ test_parse_date ________________________________

    def test_parse_date():
>       assert parse_date(\"2024-01-01\").year == 2023
E       AssertionError: assert 2024 == 2023
E        +  where 2024 = datetime.date(2024, 1, 1).year

tests/test_dates.py:15: AssertionError
----------------------------- Captured stdout call -----------------------------
src/app/dates.py:3: not a location, captured output
=========================== short test summary info ============================
FAILED tests/test_dates.py::test_parse_date - AssertionError: assert 2024 == 2023
ERROR tests/test_errors.py::test_query - KeyError: 'DB_URL'
==================== 1 failed, 4 passed, 1 error in 0.42s =====================";

    #[test]
    fn summary_lines_are_tied_to_their_sections() {
        let found = run(REPORT);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].message,
            "test_parse_date: AssertionError: assert 2024 == 2023"
        );
        assert_eq!(found[0].path.as_deref(), Some("tests/test_dates.py"));
        assert_eq!(found[0].line, Some(15));
        assert_eq!(
            found[0].help,
            ["+  where 2024 = datetime.date(2024, 1, 1).year"]
        );
        assert_eq!(found[1].message, "test_query: KeyError: 'DB_URL'");
        assert_eq!(found[1].path.as_deref(), Some("tests/conftest.py"));
        assert_eq!(found[1].line, Some(9));
    }

    #[test]
    fn sections_alone_without_a_summary() {
        let text = REPORT
            .lines()
            .take_while(|l| !l.contains("short test summary"))
            .collect::<Vec<_>>()
            .join("\n");
        let found = run(&text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[1].message,
            "test_parse_date: AssertionError: assert 2024 == 2023"
        );
    }

    #[test]
    fn passing_runs_and_names_with_error_are_nothing() {
        assert!(
            run("tests/test_errors.py::test_error_path PASSED [ 50%]
tests/test_errors.py::test_raises_error PASSED [100%]
============================== 2 passed in 0.02s ===============================")
            .is_empty()
        );
    }
}
