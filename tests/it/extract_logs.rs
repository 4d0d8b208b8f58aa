//! The error extractors against real-shaped build logs.
//!
//! Every `tests/fixtures/logs/<name>.log` is a step's log as the agent stores it (timestamps,
//! colors, `##[section]` and `##[command]` lines, progress, warnings, passing tests), and
//! `<name>.expected` lists the errors a person reading it would report, one per line:
//! `tool|path|line|code|message-prefix` (empty fields for none; `#` starts a comment). A fixture
//! with no expected error is a passing build that must yield nothing. The test prints, for each
//! fixture, what was missed and what was found in excess, and over all of them the precision (the
//! share of errors found that are expected) and the recall (the share of expected errors found).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coderabbit_agent::remediate::extract::{BuildError, clean_line, extract};

/// One expected error.
#[derive(Debug)]
struct Expected {
    tool: String,
    path: Option<String>,
    line: Option<u32>,
    code: Option<String>,
    message: String,
}

impl Expected {
    fn parse(text: &str) -> Vec<Self> {
        text.lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let fields: Vec<&str> = l.splitn(5, '|').collect();
                assert_eq!(fields.len(), 5, "not tool|path|line|code|message: {l}");
                let some = |f: &str| (!f.is_empty()).then(|| f.to_owned());
                Self {
                    tool: fields[0].to_owned(),
                    path: some(fields[1]),
                    line: some(fields[2]).map(|n| n.parse().expect("a line number")),
                    code: some(fields[3]),
                    message: fields[4].to_owned(),
                }
            })
            .collect()
    }

    fn matches(&self, found: &BuildError) -> bool {
        self.tool == found.tool
            && self.path == found.path
            && self.line == found.line
            && self.code == found.code
            && found.message.starts_with(&self.message)
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

/// The fixture logs, by name: `<name>.log` in the folder and `<folder>/<name>.log` one level
/// below it (`real/`: logs of tools run for real, described in `real/README.md`).
fn fixtures() -> BTreeMap<String, PathBuf> {
    let mut logs = BTreeMap::new();
    let mut folders = vec![(String::new(), fixtures_dir())];
    while let Some((prefix, folder)) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a fixture folder") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() && prefix.is_empty() {
                folders.push((format!("{name}/"), path));
            } else if path.extension().is_some_and(|ext| ext == "log") {
                logs.insert(format!("{prefix}{name}"), path);
            }
        }
    }
    logs
}

/// A log as the caller reads it: bytes decoded lossily, split into lines, each cleaned.
fn read_log(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).expect("the log");
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(clean_line)
        .collect()
}

fn expected_of(log: &Path) -> Vec<Expected> {
    let text = std::fs::read_to_string(log.with_extension("expected"))
        .unwrap_or_else(|e| panic!("{}: no expected file: {e}", log.display()));
    Expected::parse(&text)
}

fn show(e: &BuildError) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        e.tool,
        e.path.as_deref().unwrap_or(""),
        e.line.map(|n| n.to_string()).unwrap_or_default(),
        e.code.as_deref().unwrap_or(""),
        e.message
    )
}

/// Pairs found errors with expected ones, each used once; returns the unmatched of both sides.
fn compare<'a>(
    expected: &'a [Expected],
    found: &'a [BuildError],
) -> (Vec<&'a Expected>, Vec<&'a BuildError>) {
    let mut used = vec![false; found.len()];
    let mut missed = Vec::new();
    for want in expected {
        match (0..found.len()).find(|&i| !used[i] && want.matches(&found[i])) {
            Some(i) => used[i] = true,
            None => missed.push(want),
        }
    }
    let excess = found
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(f, _)| f)
        .collect();
    (missed, excess)
}

/// What one tool's errors came to over every fixture.
#[derive(Debug, Default)]
struct Tally {
    /// Errors of this tool the fixtures hold.
    present: usize,
    /// Errors reported with this tool's name.
    reported: usize,
    /// Expected errors of this tool that were found.
    right: usize,
    /// Reported errors of this tool that no fixture expects.
    false_positives: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.reported == 0 {
            return 1.0;
        }
        (self.reported - self.false_positives) as f64 / self.reported as f64
    }

    fn recall(&self) -> f64 {
        if self.present == 0 {
            return 1.0;
        }
        self.right as f64 / self.present as f64
    }
}

/// The least share of a tool's errors that must be found. Every fixture error is one a reader
/// reports from the log alone, so each tool is held to all of them: a tool whose errors cannot be
/// read is a tool the extractors do not cover, and belongs in no fixture.
const RECALL_FLOOR: f64 = 1.0;

#[test]
fn every_fixture_yields_its_expected_errors() {
    let fixtures = fixtures();
    assert!(!fixtures.is_empty());
    let (mut present, mut reported, mut right) = (0usize, 0usize, 0usize);
    let mut by_tool: BTreeMap<String, Tally> = BTreeMap::new();
    // The same over the logs of tools run for real (`real/`) alone.
    let mut by_tool_real: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (name, path) in &fixtures {
        let found = extract(&read_log(path));
        if std::env::var_os("EXTRACT_LOGS_VERBOSE").is_some() {
            for error in &found {
                println!("  {name}:{} {}", error.log_line, show(error));
                for help in &error.help {
                    println!("      {help}");
                }
            }
        }
        let expected = expected_of(path);
        let (missed, excess) = compare(&expected, &found);
        present += expected.len();
        reported += found.len();
        right += expected.len() - missed.len();
        let tallies: &mut [&mut BTreeMap<String, Tally>] = if name.starts_with("real/") {
            &mut [&mut by_tool, &mut by_tool_real]
        } else {
            &mut [&mut by_tool]
        };
        for map in tallies.iter_mut() {
            for want in &expected {
                let tally = map.entry(want.tool.clone()).or_default();
                tally.present += 1;
                if !missed.iter().any(|m| std::ptr::eq(*m, want)) {
                    tally.right += 1;
                }
            }
            for error in &found {
                let tally = map.entry(error.tool.to_owned()).or_default();
                tally.reported += 1;
                if excess.iter().any(|e| std::ptr::eq(*e, error)) {
                    tally.false_positives += 1;
                }
            }
        }
        println!(
            "{name}: {} expected, {} found, {} missed, {} in excess",
            expected.len(),
            found.len(),
            missed.len(),
            excess.len()
        );
        if expected.is_empty() && !found.is_empty() {
            failures.push(format!("{name}: a passing build yields errors"));
        }
        for want in &missed {
            failures.push(format!("{name}: missed {want:?}"));
        }
        for extra in &excess {
            failures.push(format!("{name}: not expected {}", show(extra)));
        }
    }
    let precision = right as f64 / reported.max(1) as f64;
    let recall = right as f64 / present.max(1) as f64;
    println!(
        "\n{} fixtures, {present} errors present, {reported} reported, {right} right: \
         precision {precision:.3}, recall {recall:.3}",
        fixtures.len()
    );
    for (title, map) in [
        ("every fixture", &by_tool),
        ("logs of tools run for real (real/)", &by_tool_real),
    ] {
        println!("\n{title}\ntool                 present  found  false+  precision  recall");
        for (tool, tally) in map {
            println!(
                "{tool:<20} {:>7} {:>6} {:>7} {:>10.3} {:>7.3}",
                tally.present,
                tally.reported,
                tally.false_positives,
                tally.precision(),
                tally.recall()
            );
        }
    }
    for failure in &failures {
        println!("  {failure}");
    }
    for (tool, tally) in &by_tool {
        assert_eq!(tally.false_positives, 0, "{tool}: {tally:?}");
        assert!(tally.recall() >= RECALL_FLOOR, "{tool}: {tally:?}");
    }
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The family of tools each extractor covers, as the fixtures name them.
fn family(tool: &str) -> &str {
    match tool {
        "rustc" | "cargo" => "rust",
        "msbuild" => "msbuild",
        "javac" | "maven" | "gradle" => "jvm",
        "jest" | "vitest" => "jest",
        other => other,
    }
}

#[test]
fn every_tool_family_has_fixtures_and_one_from_windows() {
    let mut by_family: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut passing = 0;
    for (name, path) in fixtures() {
        let expected = expected_of(&path);
        if expected.is_empty() {
            passing += 1;
        }
        let mut families: Vec<&str> = expected.iter().map(|e| family(&e.tool)).collect();
        families.dedup();
        for f in families {
            by_family
                .entry(f.to_owned())
                .or_default()
                .push(name.clone());
        }
    }
    for family in [
        "rust",
        "gcc",
        "msbuild",
        "tsc",
        "eslint",
        "go",
        "jvm",
        "pytest",
        "jest",
        "npm",
        "azure-pipelines",
    ] {
        let names = by_family.get(family).cloned().unwrap_or_default();
        let mut distinct = names.clone();
        distinct.dedup();
        assert!(distinct.len() >= 2, "{family}: fixtures {names:?}");
        assert!(
            names.iter().any(|n| n.contains("windows")),
            "{family}: no fixture from a Windows agent in {names:?}"
        );
    }
    assert!(passing >= 2, "passing builds: {passing}");
}

/// A log of `len` lines made of every fixture's lines, failures and noise alike.
fn mixed_log(len: usize) -> Vec<String> {
    let mut all: Vec<String> = fixtures().values().flat_map(|p| read_log(p)).collect();
    assert!(all.len() >= 1_000, "{} fixture lines", all.len());
    while all.len() < len {
        all.extend_from_within(..all.len().min(len - all.len()));
    }
    all.truncate(len);
    all
}

/// The best of five extractions of `lines`.
fn best_time(lines: &[String]) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let found = extract(lines);
        best = best.min(start.elapsed());
        assert!(!found.is_empty());
    }
    best
}

#[test]
fn extraction_is_linear_and_fast() {
    // Four times the lines take about four times as long (the machine's load cancels out of the
    // ratio); the bounds on the time itself are loose in a debug build, which shares the
    // machine with other builds, and tight in a release build.
    let short = best_time(&mixed_log(2_000));
    let long = best_time(&mixed_log(8_000));
    println!("2,000 lines: {short:?}; 8,000 lines: {long:?}");
    assert!(
        long < short * 8,
        "{long:?} for 8,000 lines, {short:?} for 2,000"
    );
    let bound = if cfg!(debug_assertions) {
        Duration::from_millis(1_000)
    } else {
        Duration::from_millis(10)
    };
    assert!(short < bound, "{short:?} for 2,000 lines");
}

#[test]
fn huge_lines_and_broken_bytes_are_survived() {
    let mut bytes = b"2026-11-30T10:00:00.1234567Z ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
    bytes.extend(b"\n2026-11-30T10:00:00.2Z src/a.c:3:5: error: \xff\xfe broken \xc3\n");
    bytes.extend(b"\x1b]8;;unterminated");
    bytes.extend(std::iter::repeat_n(b'(', 1 << 20));
    bytes.extend(b"\n");
    let lines: Vec<String> = String::from_utf8_lossy(&bytes)
        .lines()
        .map(clean_line)
        .collect();
    assert_eq!(lines[0].len(), 1 << 20);
    let start = Instant::now();
    let found = extract(&lines);
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path.as_deref(), Some("src/a.c"));
    assert!(found[0].message.contains('\u{fffd}'));
}

/// The paths the fixtures' errors name, tied to the files of the repositories they came from, as
/// the caller does on a Linux agent (another agent may have run the failed job).
#[test]
fn fixture_paths_name_repository_files() {
    use std::collections::HashSet;

    use coderabbit_agent::remediate::extract::repo_relative;

    let repo: HashSet<String> = [
        "src/ledger.rs",
        "src/parser.rs",
        "src/cli.rs",
        "src/Billing.Api/Services/ErrorReporter.cs",
        "src/Tollgate.Core/Rules/RateRule.cs",
        "src/net.c",
        "include/netkit/net.h",
        "internal/ledger/ledger_test.go",
        "internal/money/parse.go",
        "internal/store/pg.go",
        "src/test/java/com/acme/ledger/RefundServiceTest.java",
        "app/src/main/kotlin/com/acme/ledger/Refunds.kt",
        "core/src/main/java/com/acme/ledger/Ledger.java",
        "packages/web/src/api/errors.ts",
        "src/routes/orders.ts",
        "tests/test_paths.py",
        "src/api/client.test.js",
        "cmd/ledgerd/main.go",
        "cmd/migrate/main.go",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let sources = "/home/vsts/work/1/s";
    let found: Vec<BuildError> = fixtures()
        .values()
        .flat_map(|path| extract(&read_log(path)))
        .collect();
    let mapped = |tool: &str, message: &str| {
        let error = found
            .iter()
            .find(|e| e.tool == tool && e.message.starts_with(message))
            .unwrap_or_else(|| panic!("no {tool} error {message:?}"));
        let path = error.path.as_deref().expect("a path");
        repo_relative(path, sources, &repo)
    };
    let cases = [
        // rustc on a Windows agent: relative, with backslashes.
        (
            "rustc",
            "this `if` has identical blocks",
            Some("src/parser.rs"),
        ),
        // This agent's sources directory.
        (
            "msbuild",
            "; expected",
            Some("src/Billing.Api/Services/ErrorReporter.cs"),
        ),
        // A Windows agent's sources directory, with backslashes.
        (
            "msbuild",
            "Cannot implicitly convert type 'string' to 'int'",
            Some("src/Tollgate.Core/Rules/RateRule.cs"),
        ),
        ("gcc", "implicit declaration of function", Some("src/net.c")),
        // `D:/a/1/s/…` from MinGW.
        ("gcc", "unknown type name 'SOCKET_T'", Some("src/net.c")),
        // A Go test names its file by the package's import path.
        (
            "go",
            "TestApplyRefund: balance",
            Some("internal/ledger/ledger_test.go"),
        ),
        (
            "go",
            "TestParseAmount: panic",
            Some("internal/money/parse.go"),
        ),
        ("go", "undefined: pgxpool", Some("internal/store/pg.go")),
        // Surefire's test class, through its package.
        (
            "maven",
            "RefundServiceTest.refundRestoresBalance",
            Some("src/test/java/com/acme/ledger/RefundServiceTest.java"),
        ),
        // Kotlin's `file://` URL.
        (
            "gradle",
            "Argument type mismatch",
            Some("app/src/main/kotlin/com/acme/ledger/Refunds.kt"),
        ),
        (
            "javac",
            "incompatible types",
            Some("core/src/main/java/com/acme/ledger/Ledger.java"),
        ),
        // tsc ran in a workspace folder.
        (
            "tsc",
            "Type 'string | undefined'",
            Some("packages/web/src/api/errors.ts"),
        ),
        (
            "tsc",
            "Argument of type 'number'",
            Some("src/routes/orders.ts"),
        ),
        (
            "pytest",
            "test_export_path_is_relative",
            Some("tests/test_paths.py"),
        ),
        (
            "jest",
            "ApiClient › retries on 503",
            Some("src/api/client.test.js"),
        ),
        // `./main.go`, printed in a directory the log does not name, and two files could be it.
        ("go", "declared and not used: errCount", None),
    ];
    for (tool, message, want) in cases {
        assert_eq!(mapped(tool, message).as_deref(), want, "{tool}: {message}");
    }
}

/// Relative paths printed under `make -C`, pnpm's package prefixes and npm's workspaces name
/// the right file even where two files share a name: the directory the log names decides.
#[test]
fn directories_the_log_names_decide_between_files_of_one_name() {
    use std::collections::HashSet;

    use coderabbit_agent::remediate::extract::repo_relative;

    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "real/make-recursive",
            "/home/vsts/work/5/s",
            &[
                "lib/src/util.c",
                "lib/src/parse.c",
                "app/src/util.c",
                "app/src/main.c",
                "docs/Makefile",
                "Makefile",
            ],
        ),
        (
            "real/pnpm-recursive",
            "/home/vsts/work/3/s",
            &[
                "packages/core/src/money.ts",
                "packages/cli/src/money.ts",
                "packages/cli/check.js",
            ],
        ),
        (
            "real/npm-workspaces-jest-vitest",
            "/home/vsts/work/2/s",
            &[
                "packages/web app/src/cart.js",
                "packages/web app/src/cart.test.js",
                "packages/web app/src/price rules/rounding.js",
                "packages/api/src/orders.js",
                "packages/api/src/orders.test.js",
                "packages/api/src/cart.js",
                "packages/api/src/tax rules/vat.js",
            ],
        ),
    ];
    let fixtures = fixtures();
    for (name, sources, files) in cases {
        let repo: HashSet<String> = files.iter().map(|f| (*f).to_owned()).collect();
        let found = extract(&read_log(&fixtures[name]));
        let mapped: Vec<Option<String>> = found
            .iter()
            .map(|e| repo_relative(e.path.as_deref().unwrap_or(""), sources, &repo))
            .collect();
        let expected: Vec<Option<String>> = expected_of(&fixtures[name])
            .iter()
            .map(|e| {
                e.path.as_deref().map(|p| {
                    p.strip_prefix(&format!("{sources}/"))
                        .unwrap_or(p)
                        .to_owned()
                })
            })
            .collect();
        assert_eq!(mapped, expected, "{name}");
    }
}
