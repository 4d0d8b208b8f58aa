//! The extension as a user installs it: `scripts/package-extension` builds the VSIX, the test
//! unpacks it the way the agent unpacks a task, and runs the task folder exactly as the agent
//! runs a Node handler (`node <task>/index.js` with `INPUT_*` variables and the PR build's
//! predefined variables) against the Azure DevOps emulator: every command the task offers
//! (`review`, `remediate`, `doctor`) with the real binary, with a PAT and with a service
//! connection (workload identity federation, its two token endpoints emulated on loopback). When
//! this machine has the Windows cross toolchain (`scripts/install-cross-targets`; CI builds the
//! Windows binary before the tests), the VSIX also holds `bin/win32-x64/coderabbit-agent.exe`,
//! and the shim must choose it on Windows.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::emulator::{
    BuildSeed, Emulator, Identity, IssueSeed, PullRequestSeed, TimelineRecordSeed,
};
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
    /// Whether it holds the Windows binary (this machine has the cross toolchain).
    windows: bool,
}

const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// Whether this machine can cross-build the Windows binary without installing anything
/// (`scripts/install-cross-targets` installs what it needs; CI builds it before the tests).
fn windows_toolchain() -> bool {
    let target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == WINDOWS_TARGET)
        });
    target && have("x86_64-w64-mingw32-gcc")
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
            let windows = windows_toolchain();
            let mut package = Command::new(root().join("scripts/package-extension"));
            if windows {
                // The debug build CI has just made; packed stripped.
                package.args(["--cross", WINDOWS_TARGET, "--cross-profile", "debug"]);
            } else {
                println!("no Windows cross toolchain: the VSIX holds this machine's binary only");
            }
            let output = package
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
            Some(Unpacked { vsix, dir, windows })
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
        &["code_read", "code_write", "build_read"],
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
    task_in_build(task, build, inputs)
        .output()
        .expect("node runs the task")
}

/// The agent sets `INPUT_<NAME>` for every input task.json declares: the pipeline's value, else
/// the input's default.
fn agent_inputs<'a>(task: &Path, given: &[(&'a str, &'a str)]) -> Vec<(String, String)> {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(task.join("task.json")).expect("task.json"))
            .expect("json");
    let mut inputs: Vec<(String, String)> = manifest["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|input| {
            let name = input["name"].as_str().expect("name").to_owned();
            let default = match &input["defaultValue"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name, default)
        })
        .collect();
    for (name, value) in given {
        let slot = inputs
            .iter_mut()
            .find(|(declared, _)| declared == name)
            .unwrap_or_else(|| panic!("task.json declares no input {name}"));
        slot.1 = (*value).to_owned();
    }
    inputs
}

/// `node index.js` of the unpacked task in the PR build, with the given inputs only.
fn task_in_build(task: &Path, build: &PullRequestBuild, inputs: &[(&str, &str)]) -> Command {
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
    command
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

/// The step of the failed build that remediation runs in.
const OWN_STEP: &str = "0f0f0f0f-0000-4000-8000-00000000000f";

/// The PR build failed: its timeline has a failed step with a logged error on a line the pull
/// request added (src/merge.rs line 2, a conflict marker).
fn failed_pull_request_build() -> PullRequestBuild {
    let build = pull_request_build();
    build.ado.add_build(BuildSeed {
        id: 42,
        pull_request_id: Some(1),
        source_version: build._fixture.merge.clone(),
        result: Some("failed".into()),
        records: vec![
            TimelineRecordSeed {
                id: "cccccccc-0000-4000-8000-000000000003".into(),
                name: "lint".into(),
                result: Some("failed".into()),
                order: 1,
                issues: vec![IssueSeed {
                    issue_type: "error".into(),
                    message: "unresolved merge conflict marker".into(),
                    data: vec![
                        ("sourcepath".into(), "src/merge.rs".into()),
                        ("linenumber".into(), "2".into()),
                    ],
                    ..IssueSeed::default()
                }],
                ..TimelineRecordSeed::default()
            },
            TimelineRecordSeed {
                id: OWN_STEP.into(),
                name: "CodeRabbit remediation".into(),
                state: "inProgress".into(),
                order: 2,
                ..TimelineRecordSeed::default()
            },
        ],
        ..BuildSeed::default()
    });
    build
}

fn assert_no_token_printed(output: &Output, secrets: &[&str]) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        for secret in secrets {
            let leaked = text
                .lines()
                .filter(|l| !l.starts_with("##vso[task.setsecret]"))
                .any(|l| l.contains(secret));
            assert!(!leaked, "a secret in {name}: {text}");
        }
    }
}

#[test]
fn the_unpacked_task_remediates_a_failed_build_as_the_agent_runs_it() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "remediate");
    let build = failed_pull_request_build();
    let inputs = agent_inputs(
        &task,
        &[
            ("command", "remediate"),
            ("accessToken", TOKEN),
            ("plan", "pro"),
        ],
    );
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let output = task_in_build(&task, &build, &inputs)
        .env("SYSTEM_TASKINSTANCEID", OWN_STEP)
        .output()
        .expect("node runs the task");
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        stderr(&output)
    );
    assert!(
        out.contains("bin/linux-x64/coderabbit-agent remediate\n")
            || !host_binary().contains("linux-x64"),
        "remediate gets none of the review's options: {out}"
    );
    assert_no_token_printed(&output, &[TOKEN]);
    build.ado.assert_no_violations();
    let threads = build.ado.threads(1);
    let remediation: Vec<&Value> = threads
        .iter()
        .filter(|t| property(t, "CodeRabbit.Kind").as_deref() == Some("remediation"))
        .collect();
    assert!(
        remediation
            .iter()
            .any(|t| t["threadContext"]["filePath"] == "/src/merge.rs"
                && t["threadContext"]["rightFileStart"]["line"] == 2),
        "a remediation thread on src/merge.rs line 2: {threads:?}"
    );
    assert_eq!(kinds(&threads, "finding"), 0, "remediate does not review");
}

#[test]
fn the_unpacked_task_runs_doctor_as_the_agent_runs_it_and_writes_nothing() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "doctor");
    let build = pull_request_build();
    let inputs = agent_inputs(&task, &[("command", "doctor"), ("accessToken", TOKEN)]);
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let output = run_task(&task, &build, &inputs);
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        stderr(&output)
    );
    let text = format!("{out}{}", stderr(&output));
    assert!(
        text.contains("authenticates as CodeRabbit"),
        "doctor names the identity: {text}"
    );
    assert!(text.contains("the CodeRabbit user's PAT"), "{text}");
    assert!(text.contains("\"Add the feature\""), "reads the PR: {text}");
    assert_no_token_printed(&output, &[TOKEN]);
    build.ado.assert_no_violations();
    assert_eq!(build.ado.write_count(), 0, "doctor never writes");
}

/// The pipeline's OIDC endpoint and Entra ID's token endpoint on loopback, with the documented
/// request and answer shapes (see the shim's node tests for the references): one thread, one
/// request per connection; what each request asked is recorded.
struct TokenEndpoints {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

const CONNECTION: &str = "6c1f6a02-5e3b-4b7a-9a55-3f0d1e2c4b11";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "0f3c5d2e-1a2b-4c3d-8e9f-a0b1c2d3e4f5";
const JOB_TOKEN: &str = "fake-job-token-for-the-vsix-test-77";
const ID_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.fake-id-token.sig";
const ENTRA_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.fake-entra-access-token.sig";

fn token_endpoints() -> TokenEndpoints {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap_or((&line, ""));
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name, value));
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            let header = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default()
            };
            let target = request_line.split(' ').nth(1).unwrap_or_default();
            seen.lock()
                .expect("lock")
                .push(request_line.trim().to_owned());
            let (status, answer) = if target.starts_with("/oidc?")
                && request_line.starts_with("POST ")
                && target.contains("api-version=7.1")
                && target.contains(&format!("serviceConnectionId={CONNECTION}"))
                && header("authorization") == format!("Bearer {JOB_TOKEN}")
            {
                ("200 OK", format!("{{\"oidcToken\":\"{ID_TOKEN}\"}}"))
            } else if target == format!("/{TENANT}/oauth2/v2.0/token")
                && header("content-type") == "application/x-www-form-urlencoded"
                && body.contains(&format!("client_id={CLIENT}"))
                && body.contains("grant_type=client_credentials")
                && body.contains("scope=499b84ac-1321-427f-aa17-267ca6975798%2F.default")
                && body.contains(
                    "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
                )
                && body.contains(&format!("client_assertion={ID_TOKEN}"))
            {
                (
                    "200 OK",
                    format!(
                        "{{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"{ENTRA_TOKEN}\"}}"
                    ),
                )
            } else {
                (
                    "400 Bad Request",
                    "{\"error\":\"invalid_request\",\"error_codes\":[900144]}".to_owned(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    TokenEndpoints { base, requests }
}

#[test]
fn the_unpacked_task_signs_in_with_a_service_connection_and_doctor_says_so() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "service-connection");
    let build = pull_request_build();
    // The service principal, as Azure DevOps knows it once it is added to the organisation; its
    // Entra token is a Bearer token, as the job's is.
    build.ado.add_job_token(
        ENTRA_TOKEN,
        Identity::new(
            "CodeRabbit",
            "0f3c5d2e-1a2b-4c3d-8e9f-a0b1c2d3e4f5@72f988bf-86f1-41af-91ab-2d7cd011db47",
            "5e1b0000-1700-4000-8000-000000000002",
        ),
        &["code_read", "code_write"],
    );
    let endpoints = token_endpoints();
    let inputs = agent_inputs(
        &task,
        &[("command", "doctor"), ("connectedServiceName", CONNECTION)],
    );
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut command = task_in_build(&task, &build, &inputs);
    command
        .env("SYSTEM_OIDCREQUESTURI", format!("{}/oidc", endpoints.base))
        .env(
            "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN",
            JOB_TOKEN,
        )
        .env(
            format!("ENDPOINT_AUTH_SCHEME_{CONNECTION}"),
            "WorkloadIdentityFederation",
        )
        .env(
            format!("ENDPOINT_AUTH_PARAMETER_{CONNECTION}_TENANTID"),
            TENANT,
        )
        .env(
            format!("ENDPOINT_AUTH_PARAMETER_{CONNECTION}_SERVICEPRINCIPALID"),
            CLIENT,
        )
        .env(
            format!("ENDPOINT_DATA_{CONNECTION}_ENVIRONMENTAUTHORITYURL"),
            format!("{}/", endpoints.base),
        );
    let started = Instant::now();
    let output = command.output().expect("node runs the task");
    let elapsed = started.elapsed();
    let out = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{out}\nstderr:\n{}",
        stderr(&output)
    );
    let text = format!("{out}{}", stderr(&output));
    assert!(
        text.contains("authenticates as CodeRabbit"),
        "the service principal: {text}"
    );
    assert!(
        text.contains(&format!("the service connection `{CONNECTION}`")),
        "doctor says which way it authenticated: {text}"
    );
    assert!(
        out.starts_with(&format!(
            "##vso[task.setsecret]{JOB_TOKEN}\n##vso[task.setsecret]{ID_TOKEN}\n##vso[task.setsecret]{ENTRA_TOKEN}\n"
        )),
        "every token is masked first: {out}"
    );
    assert_no_token_printed(&output, &[JOB_TOKEN, ID_TOKEN, ENTRA_TOKEN]);
    let asked = endpoints.requests.lock().expect("lock").clone();
    assert_eq!(asked.len(), 2, "{asked:?}");
    build.ado.assert_no_violations();
    assert!(build.ado.request_count() >= 2, "doctor asked the service");
    println!("doctor through the shim with a service connection: {elapsed:?}");
}

/// What the shim chooses for a platform, asked of the unpacked shim itself.
fn shim_choice(task: &Path, platform: &str, arch: &str) -> String {
    let output = Command::new("node")
        .arg("-e")
        .arg(
            "const shim = require(process.argv[1]);
             try { console.log(shim.binaryPath(process.argv[2], process.argv[3], process.argv[4])); }
             catch (err) { console.log('error: ' + err.message); }",
        )
        .arg(task.join("index.js"))
        .arg(task)
        .arg(platform)
        .arg(arch)
        .output()
        .expect("node runs");
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

#[test]
fn on_windows_the_shim_picks_the_win32_x64_exe_that_the_vsix_holds() {
    let Some(unpacked) = unpacked() else { return };
    if !unpacked.windows {
        println!(
            "skipped: no Windows cross toolchain here (scripts/install-cross-targets installs it)"
        );
        return;
    }
    let task = unpacked.dir.join("CodeRabbitReviewV1");
    let exe = task.join("bin/win32-x64/coderabbit-agent.exe");
    let bytes = std::fs::read(&exe).expect("the VSIX holds bin/win32-x64/coderabbit-agent.exe");
    assert_eq!(&bytes[..2], b"MZ", "a Windows executable");
    assert!(!task.join("bin/win32-x64/coderabbit-agent").exists());
    assert_eq!(
        shim_choice(&task, "win32", "x64"),
        exe.display().to_string()
    );
    assert_eq!(
        shim_choice(&task, "linux", "x64"),
        task.join("bin/linux-x64/coderabbit-agent")
            .display()
            .to_string()
    );
    assert!(
        shim_choice(&task, "win32", "arm64")
            .starts_with("error: coderabbit-agent has no binary for win32-arm64"),
    );
    let size = std::fs::metadata(&unpacked.vsix)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "VSIX with linux-x64 (release) and win32-x64 (debug, stripped): {size} bytes; the exe: {} bytes",
        bytes.len()
    );
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

#[test]
fn the_unpacked_task_runs_respond_and_answers_a_command_once() {
    let Some(unpacked) = unpacked() else { return };
    let task = copy_task(&unpacked.dir, "respond");
    let build = pull_request_build();
    let thread = build.ado.add_thread_as(
        1,
        &crate::emulator::Identity::person(),
        serde_json::json!({"comments": [{"parentCommentId": 0, "content": "@coderabbitai help", "commentType": "text"}], "status": "active"}),
    );
    let inputs = agent_inputs(&task, &[("command", "respond"), ("accessToken", TOKEN)]);
    let inputs: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    for _ in 0..2 {
        let output = run_task(&task, &build, &inputs);
        assert_eq!(
            output.status.code(),
            Some(0),
            "stdout:\n{}\nstderr:\n{}",
            stdout(&output),
            stderr(&output)
        );
        assert_no_token_printed(&output, &[TOKEN]);
    }
    let comments = build.ado.thread(1, thread).expect("the thread")["comments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let replies: Vec<&Value> = comments
        .iter()
        .filter(|c| c["parentCommentId"] != 0)
        .collect();
    assert_eq!(
        replies.len(),
        1,
        "one answer, not one per run: {comments:#?}"
    );
    assert!(
        replies[0]["content"]
            .as_str()
            .is_some_and(|c| c.contains("full review")),
        "the help text: {replies:#?}"
    );
    build.ado.assert_no_violations();
}
