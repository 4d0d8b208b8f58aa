//! The task's choices have one source, `task/CodeRabbitReviewV1/task.json`: its pick lists are
//! compared here with the binary's value enums (`--fail-on`, `--filter-mode`), its subcommands,
//! the language model providers of the contract, and every template's parameter `values:` lists.
//! (The shim reads its pick lists from task.json; a node test ties its command table to them.)

use std::path::{Path, PathBuf};

use clap::{CommandFactory, ValueEnum};
use coderabbit_agent::cli::{Cli, FailOn, FilterMode};
use coderabbit_agent::settings::LlmEnv;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_yaml::Value as Yaml;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What this test reads of task.json: each input's pick-list keys, in the file's order (the
/// order the task's editor shows them in).
#[derive(Deserialize)]
struct Manifest {
    inputs: Vec<Input>,
}

#[derive(Deserialize)]
struct Input {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    options: Option<Keys>,
}

/// The keys of a JSON object, in order.
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

fn task_json() -> Manifest {
    let path = root().join("task/CodeRabbitReviewV1/task.json");
    let text = std::fs::read_to_string(&path).expect("task.json");
    serde_json::from_str(&text).expect("task.json is JSON")
}

/// The option keys of a pick-list input, in task.json's order.
fn pick_list(task: &Manifest, name: &str) -> Vec<String> {
    let input = task
        .inputs
        .iter()
        .find(|input| input.name == name)
        .unwrap_or_else(|| panic!("task.json declares no input {name}"));
    assert_eq!(input.kind, "pickList", "{name}");
    input
        .options
        .as_ref()
        .expect("a pick list has options")
        .0
        .clone()
}

/// The values a clap value enum accepts, as the command line spells them.
fn values_of<T: ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .map(|value| value.get_name().to_owned())
        .collect()
}

/// The long options a subcommand of the binary accepts.
fn long_options(command: &str) -> Vec<String> {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(command)
        .unwrap_or_else(|| panic!("the binary has no `{command}` command"));
    let mut options: Vec<String> = sub
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| !["help", "version", "verbose"].contains(long))
        .map(|long| format!("--{long}"))
        .collect();
    options.sort();
    options
}

#[test]
fn task_json_offers_the_binary_s_values_for_fail_on_and_filter_mode() {
    let task = task_json();
    assert_eq!(pick_list(&task, "failOn"), values_of::<FailOn>());
    assert_eq!(pick_list(&task, "filterMode"), values_of::<FilterMode>());
}

#[test]
fn task_json_offers_the_contract_s_plans_and_the_binary_s_providers() {
    let task = task_json();
    assert_eq!(pick_list(&task, "plan"), ["free", "pro"]);
    assert_eq!(
        pick_list(&task, "llmProvider"),
        ["none", "openai", "azure-openai", "anthropic"]
    );
    assert_eq!(pick_list(&task, "llmProvider"), LlmEnv::PROVIDERS);
}

/// Every command the task offers is a command of the binary, and accepts every option the shim
/// passes it (the shim's node tests check that it passes each command only these).
#[test]
fn every_command_of_the_task_is_a_command_of_the_binary_and_accepts_what_the_shim_passes() {
    let task = task_json();
    let commands = pick_list(&task, "command");
    assert_eq!(commands, ["review", "remediate", "doctor", "respond"]);
    let passed: &[(&str, &[&str])] = &[
        (
            "review",
            &[
                "--config",
                "--fail-on",
                "--filter-mode",
                "--max-comments",
                "--dry-run",
                "--findings",
            ],
        ),
        ("remediate", &["--config", "--dry-run"]),
        ("doctor", &["--config"]),
        ("respond", &["--config"]),
    ];
    for (command, options) in passed {
        assert!(commands.iter().any(|c| c == command), "{command}");
        let accepted = long_options(command);
        for option in *options {
            assert!(
                accepted.iter().any(|a| a == option),
                "`{command}` does not accept {option}: it accepts {accepted:?}"
            );
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn every_template_parameter_named_after_a_pick_list_offers_task_json_s_values() {
    let task = task_json();
    let mut files = Vec::new();
    yaml_files(&root().join("pipeline-templates"), &mut files);
    let mut compared = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let document: Yaml = serde_yaml::from_str(&text).expect("YAML");
        let Some(parameters) = document.get("parameters").and_then(Yaml::as_sequence) else {
            continue;
        };
        for parameter in parameters {
            let name = parameter["name"].as_str().expect("a parameter has a name");
            if !["command", "failOn", "filterMode", "plan", "llmProvider"].contains(&name) {
                continue;
            }
            let values: Vec<String> = parameter
                .get("values")
                .and_then(Yaml::as_sequence)
                .unwrap_or_else(|| {
                    panic!("{} parameter {name} has no `values:` list", file.display())
                })
                .iter()
                .map(|v| v.as_str().expect("string values").to_owned())
                .collect();
            assert_eq!(
                values,
                pick_list(&task, name),
                "{} parameter {name}",
                file.display()
            );
            compared.push(format!("{}:{name}", file.display()));
        }
    }
    // steps/coderabbit-review.yml, jobs/ and extends/ have all four; the remediation step has
    // llmProvider.
    assert!(compared.len() >= 13, "{compared:?}");
}
