//! The extension as a user installs it: `scripts/package-extension` builds the VSIX, the test
//! unpacks it the way the agent unpacks a task, and runs the task folder exactly as the agent
//! runs a Node handler (`node <task>/index.js` with `INPUT_*` variables and the PR build's
//! predefined variables) against the Azure DevOps emulator.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::emulator::{Emulator, Identity, PullRequestSeed};
use crate::support::pull_request::{PullRequestFixture, marker};
use crate::support::{stderr, stdout};
use serde_json::Value;

/// A stand-in token: not a real credential format.
const TOKEN: &str = "fake-token-for-the-vsix-test-0042";
const REPOSITORY_ID: &str = "3a1c5e6f-1111-4222-8333-944455556666";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The packaged and unpacked extension, made once per test binary.
struct Unpacked {
    vsix: PathBuf,
    dir: PathBuf,
}

fn unpacked() -> Option<&'static Unpacked> {
    static UNPACKED: OnceLock<Option<Unpacked>> = OnceLock::new();
    UNPACKED
        .get_or_init(|| {
            if !have("node") || !have("npm") {
                println!("skipped: node and npm are needed to package and run the task");
                return None;
            }
            let started = Instant::now();
            let output = Command::new(root().join("scripts/package-extension"))
                .current_dir(root())
                .output()
                .expect("scripts/package-extension runs");
            assert!(
                output.status.success(),
                "scripts/package-extension failed:\n{}\n{}",
                stdout(&output),
                stderr(&output)
            );
            println!("packaged in {:.1} s", started.elapsed().as_secs_f64());
            let vsix = PathBuf::from(stdout(&output).lines().last().unwrap_or_default().trim());
            assert!(vsix.is_file(), "no VSIX at {}", vsix.display());
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vsix-unpacked");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("mkdir");
            let unzip = if have_unzip() {
                Command::new("unzip")
                    .arg("-q")
                    .arg(&vsix)
                    .arg("-d")
                    .arg(&dir)
                    .output()
            } else {
                Command::new("python3")
                    .args(["-m", "zipfile", "-e"])
                    .arg(&vsix)
                    .arg(&dir)
                    .output()
            }
            .expect("unzip or python3 runs");
            assert!(unzip.status.success(), "unpacking: {}", stderr(&unzip));
            Some(Unpacked { vsix, dir })
        })
        .as_ref()
}

/// The binary for this machine in the task folder (`bin/<platform>-<arch>/`, as Node names them;
/// on this project's build machine, `bin/linux-x64/coderabbit-agent`).
fn host_binary() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("bin/{os}-{arch}/coderabbit-agent")
}

fn have_unzip() -> bool {
    Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// `node <task>/index.js` with a clean environment, as the agent starts a Node handler.
fn task_command(task: &Path, work_dir: &Path) -> Command {
    let mut command = Command::new("node");
    command
        .arg(task.join("index.js"))
        .current_dir(work_dir)
        .env_clear();
    for keep in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Ok(value) = std::env::var(keep) {
            command.env(keep, value);
        }
    }
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("NO_COLOR", "1");
    command
}

fn feature_files() -> Vec<(&'static str, String)> {
    vec![
        (
            "src/merge.rs",
            marker(&[
                "fn a() {}\n<<<<<<",
                "< HEAD\nlet a = 1;\n=======\nlet a = 2;\n>>>>>>",
                "> feature\n",
            ]),
        ),
        (
            "src/debug.rs",
            marker(&["pub fn show(x: u32) -> u32 {\n    d", "bg!(x)\n}\n"]),
        ),
    ]
}

struct PullRequestBuild {
    ado: Emulator,
    _fixture: PullRequestFixture,
    work: tempfile::TempDir,
    temp: tempfile::TempDir,
}

fn pull_request_build() -> PullRequestBuild {
    let fixture = PullRequestFixture::new(&feature_files());
    let ado = Emulator::start();
    ado.add_token(
        TOKEN,
        Identity::new(
            "CodeRabbit",
            "coderabbit@example.com",
            "c0de4abb-1700-4000-8000-000000000001",
        ),
        &["code_read", "code_write"],
    );
    ado.add_repository("project", REPOSITORY_ID, "app");
    ado.add_pull_request(PullRequestSeed {
        title: "Add the feature".into(),
        ..PullRequestSeed::at(
            &fixture.source,
            &fixture.target,
            &fixture.fork_point,
            &fixture.merge,
            &fixture.changes(),
        )
    });
    let work = fixture.checkout(None);
    PullRequestBuild {
        ado,
        _fixture: fixture,
        work,
        temp: tempfile::tempdir().expect("tempdir"),
    }
}

/// Runs the unpacked task in the PR build with the given inputs.
fn run_task(task: &Path, build: &PullRequestBuild, inputs: &[(&str, &str)]) -> Output {
    let mut command = task_command(task, build.temp.path());
    for (key, value) in build.ado.pipeline_env(1) {
        command.env(key, value);
    }
    command
        .env("BUILD_SOURCESDIRECTORY", build.work.path())
        .env("BUILD_BUILDID", "42")
        .env("AGENT_TEMPDIRECTORY", build.temp.path())
        .env("CODERABBIT_MAX_RETRY_WAIT_SECS", "20");
    for (name, value) in inputs {
        command.env(format!("INPUT_{}", name.to_uppercase()), value);
    }
    command.output().expect("node runs the task")
}

fn property(thread: &Value, key: &str) -> Option<String> {
    let value = &thread["properties"][key];
    let inner = value.get("$value").unwrap_or(value);
    match inner {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn kinds(threads: &[Value], kind: &str) -> usize {
    threads
        .iter()
        .filter(|t| property(t, "CodeRabbit.Kind").as_deref() == Some(kind))
        .count()
}

#[test]
fn the_vsix_holds_the_manifest_the_icon_and_the_task_with_its_linux_binary() {
    let Some(unpacked) = unpacked() else { return };
    let name = unpacked
        .vsix
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    assert_eq!(name, "coderabbit.coderabbit-review-1.0.0.vsix");
    for file in [
        "extension.vsixmanifest",
        "extension.vsomanifest",
        "overview.md",
        "images/icon.png",
        "CodeRabbitReviewV1/task.json",
        "CodeRabbitReviewV1/index.js",
        "CodeRabbitReviewV1/icon.png",
    ] {
        assert!(unpacked.dir.join(file).is_file(), "{file} is missing");
    }
    let binary = format!("CodeRabbitReviewV1/{}", host_binary());
    assert!(unpacked.dir.join(&binary).is_file(), "{binary} is missing");
    assert!(
        !unpacked.dir.join("CodeRabbitReviewV1/tests").exists(),
        "tests stay out of the VSIX"
    );
    assert!(
        !unpacked
            .dir
            .join("CodeRabbitReviewV1/node_modules")
            .exists()
    );
    let icon = std::fs::read(unpacked.dir.join("images/icon.png")).expect("icon");
    assert_eq!(&icon[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&icon[16..24], &[0, 0, 0, 128, 0, 0, 0, 128], "128x128");
    let manifest =
        std::fs::read_to_string(unpacked.dir.join("extension.vsomanifest")).expect("vsomanifest");
    let manifest: Value = serde_json::from_str(&manifest).expect("json");
    let task = &manifest["contributions"][0];
    assert_eq!(task["type"], "ms.vss-distributed-task.task");
    assert_eq!(task["properties"]["name"], "CodeRabbitReviewV1");
}

#[test]
fn the_unpacked_task_reviews_a_pull_request_as_the_agent_runs_it() {
    let Some(unpacked) = unpacked() else { return };
    // Each test works on its own copy: the agent unpacks a task once per version and job.
    let task = copy_task(&unpacked.dir, "review");
    let binary = task.join(host_binary());
    assert_eq!(
        mode(&binary) & 0o111,
        0,
        "VSIX packing drops the execute bit"
    );

    let build = pull_request_build();
    let output = run_task(
        &task,
        &build,
        &[
            ("command", "review"),
            ("accessToken", TOKEN),
            ("plan", "free"),
            ("configPath", ""),
            ("failOn", "none"),
            ("filterMode", "added"),
            ("findings", ""),
            ("maxComments", "50"),
            ("dryRun", "false"),
            ("llmProvider", "none"),
            ("allowInsecureHttp", "false"),
        ],
    );
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        stderr(&output)
    );
    assert_eq!(mode(&binary), 0o755, "the shim restores the execute bit");
    assert!(
        out.starts_with(&format!("##vso[task.setsecret]{TOKEN}\n")),
        "masking comes first: {out}"
    );
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let leaked = text
            .lines()
            .filter(|l| !l.starts_with("##vso[task.setsecret]"))
            .any(|l| l.contains(TOKEN));
        assert!(!leaked, "token in {name}");
    }

    build.ado.assert_no_violations();
    let threads = build.ado.threads(1);
    assert!(kinds(&threads, "finding") >= 2, "threads: {threads:?}");
    assert_eq!(kinds(&threads, "summary"), 1);
    let statuses = build.ado.statuses(1);
    let last = statuses.last().expect("a status");
    assert_eq!(last["context"]["genre"], "coderabbit");
    assert_eq!(last["context"]["name"], "review");
    assert_eq!(last["state"], "succeeded");
}

#[test]
fn a_bad_input_fails_the_step_with_one_sentence_and_no_request() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "bad-input");
    let build = pull_request_build();
    let output = run_task(&task, &build, &[("accessToken", TOKEN), ("failOn", "loud")]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let sentence =
        "Input failOn is `loud`; valid values: none, info, trivial, minor, major, critical.";
    assert!(
        stdout(&output).contains(&format!("##vso[task.complete result=Failed;]{sentence}")),
        "{}",
        stdout(&output)
    );
    assert_eq!(build.ado.request_count(), 0, "the binary did not run");
}

/// Not asserted: what the shim costs at start-up (node + spawn) over running the binary
/// directly, 20 runs each, alternating. Run with `--nocapture` to read the figures.
#[test]
fn start_up_overhead_of_the_shim() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "timing");
    let binary = task.join(host_binary());
    let work = tempfile::tempdir().expect("tempdir");
    // The first run restores the execute bit.
    let first = task_command(&task, work.path())
        .arg("--version")
        .output()
        .expect("node");
    assert!(first.status.success(), "{}", stderr(&first));
    let (mut direct, mut shim) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let started = Instant::now();
        let out = Command::new(&binary)
            .arg("--version")
            .output()
            .expect("binary");
        direct.push(started.elapsed());
        assert!(out.status.success());
        let started = Instant::now();
        let out = task_command(&task, work.path())
            .arg("--version")
            .output()
            .expect("node");
        shim.push(started.elapsed());
        assert!(out.status.success());
    }
    let stats = |runs: &mut Vec<Duration>| {
        runs.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        (
            ms(runs[runs.len() / 2]),
            ms(runs[0]),
            ms(runs[runs.len() - 1]),
        )
    };
    let (d_med, d_min, d_max) = stats(&mut direct);
    let (s_med, s_min, s_max) = stats(&mut shim);
    let binary_size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
    let vsix_size = std::fs::metadata(&unpacked.vsix)
        .map(|m| m.len())
        .unwrap_or(0);
    println!("VSIX: {vsix_size} bytes; release binary (stripped): {binary_size} bytes");
    println!("binary --version: median {d_med:.1} ms (min {d_min:.1}, max {d_max:.1})");
    println!("node shim --version: median {s_med:.1} ms (min {s_min:.1}, max {s_max:.1})");
    println!("shim overhead: {:.1} ms (median difference)", s_med - d_med);
}

/// A private copy of the unpacked task folder, with the files as unpacking left them.
fn copy_task(unpacked: &Path, name: &str) -> PathBuf {
    let target = unpacked
        .parent()
        .unwrap_or(unpacked)
        .join(format!(
            "{}-{name}",
            unpacked
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("task")
        ))
        .join("CodeRabbitReviewV1");
    let _ = std::fs::remove_dir_all(&target);
    copy_dir(&unpacked.join("CodeRabbitReviewV1"), &target);
    target
}

fn copy_dir(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
            let mode = mode(&entry.path());
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }
}
