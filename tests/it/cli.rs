//! The real binary, run as a user runs it, on repositories the tests make: the happy path, the
//! exit statuses of the contract, and every bad input the review engine must survive.

use std::io::Write;
use std::process::Stdio;

use crate::support::{Repo, agent, git, run, stderr, stdout};
use serde_json::Value;

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A repository with one commit on main and a feature commit on top of it.
fn two_commits(feature: &[(&str, &str)]) -> (Repo, String, String) {
    let repo = Repo::new();
    repo.write("README.md", "# demo\n")
        .write("src/main.rs", "fn main() {}\n");
    let base = repo.commit("base");
    for (path, content) in feature {
        repo.write(path, content);
    }
    let head = repo.commit("feature");
    (repo, base, head)
}

/// Asserts a failed run: status 2 and one sentence on stderr (no panic, no backtrace).
fn assert_one_sentence_failure(output: &std::process::Output, needle: &str) {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stderr: {err}\nstdout: {}",
        stdout(output)
    );
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("RUST_BACKTRACE"), "{err}");
    assert_eq!(
        err.trim().lines().count(),
        1,
        "one sentence expected, got: {err}"
    );
}

#[test]
fn review_prints_findings_and_json_follows_the_contract() {
    let todo_line = ["// TO", "DO: handle the error case\n"].concat();
    let conflict = [
        "<<<<<<",
        "< HEAD\nlet a = 1;\n=======\nlet a = 2;\n>>>>>>",
        "> feature\n",
    ]
    .concat();
    let (repo, base, head) = two_commits(&[
        ("src/lib.rs", &format!("pub fn f() {{}}\n{todo_line}")),
        ("src/merge.rs", &conflict),
    ]);
    let output = run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--format", "json"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["base"], base.as_str());
    assert_eq!(value["head"], head.as_str());
    // The whole document is the contract: its keys, severities, messages and fingerprints.
    insta::assert_json_snapshot!("review_json", value);

    // The default text output names the file, the line and the rule.
    let text = run(agent(repo.path()).args(["review", "--base", "HEAD~1"]));
    assert_eq!(text.status.code(), Some(0));
    insta::assert_snapshot!("review_text", stdout(&text));

    // --fail-on turns findings into exit status 1; `none` never does.
    let failing = run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--fail-on", "info"]));
    assert_eq!(failing.status.code(), Some(1));
    let passing = run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--fail-on", "none"]));
    assert_eq!(passing.status.code(), Some(0));
}

#[test]
fn every_output_format_renders() {
    let focused = [
        "describe(\"app\", () => {\n  it.on",
        "ly(\"works\", () => {});\n});\n",
    ]
    .concat();
    let (repo, _, _) = two_commits(&[("notes.txt", "plain text\n"), ("web/app.test.js", &focused)]);
    for format in ["text", "json", "sarif", "markdown"] {
        let output =
            run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--format", format]));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&output)
        );
        let printed = stdout(&output).replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(format!("format_{format}"), printed);
    }
}

#[test]
fn the_default_base_is_the_upstream_merge_base_else_head_parent() {
    let (repo, base, _) = two_commits(&[("a.txt", "a\n")]);
    // No upstream, no origin/HEAD: HEAD~1.
    let output = run(agent(repo.path()).args(["diff"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["base"], base.as_str());

    // With an upstream, the merge-base with it.
    let upstream = Repo::new();
    upstream.write("x.txt", "x\n");
    let root = upstream.commit("root");
    let clone = tempfile::tempdir().expect("tempdir");
    git(
        clone.path(),
        [
            "clone",
            "-q",
            upstream.path().to_str().expect("utf-8 path"),
            ".",
        ],
    );
    std::fs::write(clone.path().join("y.txt"), "y\n").expect("write");
    git(clone.path(), ["add", "-A"]);
    git(clone.path(), ["commit", "-q", "-m", "one"]);
    std::fs::write(clone.path().join("z.txt"), "z\n").expect("write");
    git(clone.path(), ["add", "-A"]);
    git(clone.path(), ["commit", "-q", "-m", "two"]);
    let output = run(agent(clone.path()).args(["diff"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["base"], root.as_str(), "merge-base with origin/main");
    assert_eq!(value["files"].as_array().map(Vec::len), Some(2));
}

#[test]
fn diff_prints_the_contract_shape() {
    let (repo, _, _) = two_commits(&[("src/main.rs", "fn main() {\n    println!(\"hi\");\n}\n")]);
    let output = run(agent(repo.path()).args(["diff", "--base", "HEAD~1"]));
    let value = json(&output);
    let file = &value["files"][0];
    assert_eq!(file["path"], "src/main.rs");
    assert_eq!(file["old_path"], Value::Null);
    assert_eq!(file["status"], "modified");
    assert_eq!(file["binary"], false);
    assert_eq!(file["added_lines"], serde_json::json!([1, 2, 3]));
    assert_eq!(file["hunks"][0]["new_start"], 1);
}

#[test]
fn not_a_git_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(agent(dir.path()).args(["review"]));
    assert_one_sentence_failure(&output, "not in a git repository");
    let output = run(agent(dir.path()).args(["review", "--repo", "/definitely/not/here"]));
    assert_one_sentence_failure(&output, "does not exist");
}

#[test]
fn a_bare_repository_is_reviewed_from_its_commits() {
    let (repo, _, head) = two_commits(&[("a.txt", "a\n")]);
    let bare = tempfile::tempdir().expect("tempdir");
    git(
        bare.path(),
        [
            "clone",
            "-q",
            "--bare",
            repo.path().to_str().expect("utf-8"),
            ".",
        ],
    );
    let output = run(agent(bare.path()).args(["review", "--format", "json"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["head"], head.as_str());
}

#[test]
fn unknown_revision() {
    let (repo, _, _) = two_commits(&[("a.txt", "a\n")]);
    let output = run(agent(repo.path()).args(["review", "--base", "no-such-branch"]));
    assert_one_sentence_failure(&output, "unknown revision `no-such-branch`");
}

#[test]
fn base_equal_to_head_is_an_empty_review() {
    let (repo, _, _) = two_commits(&[("a.txt", "a\n")]);
    let output = run(agent(repo.path()).args([
        "review",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--fail-on",
        "info",
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["findings"], serde_json::json!([]));
    assert_eq!(value["base"], value["head"]);
}

#[test]
fn unrelated_histories() {
    let (repo, _, _) = two_commits(&[("a.txt", "a\n")]);
    repo.git(["checkout", "-q", "--orphan", "other"]);
    repo.write("other.txt", "other\n");
    repo.commit("unrelated root");
    let output = run(agent(repo.path()).args(["review", "--base", "main"]));
    assert_one_sentence_failure(&output, "no common ancestor");
}

#[test]
fn a_root_commit_is_reviewed_against_the_empty_tree() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("root");
    let output = run(agent(repo.path()).args(["diff"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["files"][0]["status"], "added");
}

fn review_with_config(config: &[u8]) -> std::process::Output {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("base");
    repo.write(".coderabbit.yaml", config).write("b.txt", "b\n");
    repo.commit("feature");
    run(agent(repo.path()).args(["review", "--format", "json"]))
}

#[test]
fn a_broken_config_never_stops_the_review() {
    for (name, config) in [
        ("not yaml", &b"reviews: [unclosed\n  profile: : :\n"[..]),
        ("binary", &b"\x00\x01\x02\xff\xfe binary \x00"[..]),
        (
            "wrong types",
            &b"reviews:\n  profile: loud\n  high_level_summary: maybe\n"[..],
        ),
        ("a list", &b"- one\n- two\n"[..]),
    ] {
        let output = review_with_config(config);
        assert_eq!(output.status.code(), Some(0), "{name}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(".coderabbit.yaml"),
            "{name}: problem reported: {}",
            stderr(&output)
        );
        assert!(json(&output)["findings"].is_array(), "{name}");
        assert!(!stderr(&output).contains("panicked"), "{name}");
    }
}

#[test]
fn an_unreadable_config_is_reported_and_the_review_runs() {
    let (repo, _, _) = two_commits(&[("a.txt", "a\n")]);
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory cannot be read as a file, whoever runs the test.
    let output = run(agent(repo.path())
        .args(["review", "--config"])
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).is_empty(), "problem reported");
}

#[test]
fn config_validate_and_print() {
    let (repo, _, _) = two_commits(&[("a.txt", "a\n")]);
    repo.write("good.yaml", "reviews:\n  profile: assertive\n");
    repo.write(
        "bad.yaml",
        "reviews:\n  profile: 3\n  high_level_summary: maybe\n",
    );
    let ok = run(agent(repo.path()).args(["config", "--validate", "good.yaml"]));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let bad = run(agent(repo.path()).args(["config", "--validate", "bad.yaml"]));
    assert_eq!(bad.status.code(), Some(2));
    // Every problem, with its line and column.
    insta::assert_snapshot!("config_validate_problems", stderr(&bad));
    let printed = run(agent(repo.path()).args(["config", "--print", "--config", "good.yaml"]));
    assert_eq!(printed.status.code(), Some(0));
    insta::assert_snapshot!("config_print", stdout(&printed));
}

#[test]
fn huge_inputs_are_handled() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("base");
    let many_lines: String = (0..100_000)
        .map(|i| format!("let value_{i} = {i};\n"))
        .collect();
    repo.write("many-lines.rs", many_lines);
    repo.write("one-line.min.js", "x".repeat(10 * 1024 * 1024));
    repo.write("latin1.txt", b"caf\xe9 \xff\xfe\n");
    repo.write_bytes_path(b"bad-\xff-name.txt", b"content\n");
    repo.commit("huge");
    let start = std::time::Instant::now();
    let output = run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--format", "json"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value = json(&output);
    assert!(value["findings"].is_array());
    let diff = run(agent(repo.path()).args(["diff", "--base", "HEAD~1"]));
    let files = json(&diff)["files"].as_array().cloned().unwrap_or_default();
    let many = files
        .iter()
        .find(|f| f["path"] == "many-lines.rs")
        .expect("many-lines.rs");
    assert_eq!(many["added_lines"].as_array().map(Vec::len), Some(100_000));
    assert!(
        files
            .iter()
            .any(|f| f["path"].as_str().is_some_and(|p| p.starts_with("bad-")))
    );
    eprintln!("huge inputs reviewed in {:?}", start.elapsed());
}

#[test]
fn a_repository_with_50000_files() {
    let repo = Repo::new();
    // One blob at 50,000 paths, written with fast-import.
    let mut stream = String::from(
        "blob\nmark :1\ndata 6\nhello\ncommit refs/heads/main\nmark :2\ncommitter T <t@example.com> 0 +0000\ndata 4\nbig\n",
    );
    for i in 0..50_000 {
        stream.push_str(&format!("M 100644 :1 dir{}/file{i}.txt\n", i % 100));
    }
    stream.push_str("\ncommit refs/heads/main\ncommitter T <t@example.com> 1 +0000\ndata 7\nchange\nfrom :2\nM 100644 inline dir7/file7.txt\ndata 8\nchanged\n\n");
    let mut child = crate::support::git_command(repo.path())
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("fast-import");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream.as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
    repo.git(["reset", "-q", "--hard", "main"]);
    let output = run(agent(repo.path()).args(["review", "--format", "json"]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let diff = run(agent(repo.path()).args(["diff"]));
    let files = json(&diff)["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], "dir7/file7.txt");
}

#[test]
fn remediate_and_doctor_are_listed() {
    let output = run(agent(std::path::Path::new(".")).args(["--help"]));
    let help = stdout(&output);
    for command in ["review", "remediate", "doctor", "diff", "config"] {
        assert!(
            help.contains(command),
            "{command} missing from --help: {help}"
        );
    }
}

#[test]
fn a_bad_argument_exits_2() {
    let output = run(agent(std::path::Path::new(".")).args(["review", "--fail-on", "loud"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("loud"));
}

#[test]
fn other_tools_findings_are_imported_from_sarif_rdjson_and_checkstyle() {
    let (repo, _, _) = two_commits(&[("src/lib.rs", "pub fn a() {}\npub fn b() {}\n")]);
    repo.write(
        "out/lint.sarif",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"clippy"}},"results":[{"ruleId":"needless_return","level":"warning","message":{"text":"unneeded return"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/lib.rs"},"region":{"startLine":2}}}]}]}]}"#,
    );
    repo.write(
        "out/eslint.xml",
        r#"<?xml version="1.0"?><checkstyle version="4.3"><file name="src/lib.rs"><error line="1" severity="error" message="bad" source="eslint.rules.no-bad"/></file></checkstyle>"#,
    );
    repo.write(
        "out/vet.rdjsonl",
        "{\"message\":\"shadowed\",\"location\":{\"path\":\"src/lib.rs\",\"range\":{\"start\":{\"line\":2}}},\"severity\":\"WARNING\",\"source\":{\"name\":\"govet\"}}\n",
    );
    let output = run(agent(repo.path()).args([
        "review",
        "--base",
        "HEAD~1",
        "--format",
        "json",
        "--findings",
        "out/lint.sarif",
        "--findings",
        "out/*.xml",
        "--findings",
        "out/vet.rdjsonl",
    ]));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let findings = json(&output)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rules: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"needless_return"), "{rules:?}");
    assert!(rules.contains(&"no-bad"), "{rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("govet")), "{rules:?}");
    let clippy = findings
        .iter()
        .find(|f| f["rule"] == "needless_return")
        .expect("clippy");
    assert_eq!(clippy["source"], "clippy");
    assert_eq!(clippy["line"], 2);

    let missing =
        run(agent(repo.path()).args(["review", "--base", "HEAD~1", "--findings", "nope.sarif"]));
    assert_one_sentence_failure(&missing, "does not exist");
    repo.write("out/garbage.txt", "not a report");
    let garbage = run(agent(repo.path()).args([
        "review",
        "--base",
        "HEAD~1",
        "--findings",
        "out/garbage.txt",
    ]));
    assert_one_sentence_failure(&garbage, "is not SARIF 2.1.0");
}
