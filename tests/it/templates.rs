//! The pipeline YAML we ship, against Azure Pipelines' own schema
//! (`tests/reference/azure-pipelines/azure-pipelines.service-schema.json`, the one the VS Code
//! extension uses): every template and example in `pipeline-templates/`, and this project's
//! `azure-pipelines.yml`. `task.json` is checked against the task schema too.
//!
//! The service schema lists only Microsoft's tasks, so the test adds `CodeRabbitReview@1` the way
//! the VS Code extension describes a task: its inputs as properties, pick lists as `enum`,
//! inputs required without a default as `required`, nothing else allowed. A template therefore passes only inputs that
//! `task.json` declares, with values its pick lists offer.
//!
//! Azure Pipelines reads every YAML scalar as a string (`fetchDepth: 0` is "0"), and so does the
//! schema: scalars become strings before validation, and where the schema says `boolean` or
//! `integer` it accepts the string form of such a literal, which is what the service converts. Template
//! expressions are expanded: `${{ parameters.x }}` becomes the parameter's default (or a sample
//! of its type), `${{ each }}` iterates that sample, and every `${{ if … }}` insertion is checked
//! both ways — each combination of the conditions is a variant, validated on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value as Json, json};
use serde_yaml::Value as Yaml;

const TASK: &str = "CodeRabbitReview@1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn specs() -> PathBuf {
    root().join("tests/reference/azure-pipelines")
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(text.trim_start_matches('\u{FEFF}'))
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn task_json() -> Json {
    read_json(&root().join("task/CodeRabbitReviewV1/task.json"))
}

// ----- the schema ---------------------------------------------------------------------------

/// The inputs of our task as the VS Code extension describes a task's inputs: pick lists as
/// `enum`, inputs that are required and have no default as `required`, nothing else allowed.
fn task_inputs_schema(task: &Json) -> Json {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for input in task["inputs"].as_array().expect("inputs") {
        let name = input["name"].as_str().expect("input name");
        let label = input["label"].as_str().unwrap_or(name);
        let property = match input["type"].as_str().unwrap_or("string") {
            "pickList" | "radio" => {
                let options: Vec<&String> = input["options"]
                    .as_object()
                    .expect("a pick list has options")
                    .keys()
                    .collect();
                json!({"description": label, "ignoreCase": "all", "enum": options})
            }
            "boolean" => json!({"type": "boolean", "description": label, "ignoreCase": "key"}),
            _ => json!({"type": "string", "description": label, "ignoreCase": "key"}),
        };
        properties.insert(name.to_owned(), property);
        // Required without a default: an input with a default may be left out.
        let has_default = input["defaultValue"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
            || input["defaultValue"].is_boolean();
        if input["required"] == true && !has_default {
            required.push(name.to_owned());
        }
    }
    json!({
        "description": format!("{} inputs", task["friendlyName"].as_str().unwrap_or_default()),
        "properties": properties,
        "additionalProperties": false,
        "required": required,
    })
}

/// The service schema with our task added to the step's `task` property and to its branches.
fn schema_with_task(task: &Json) -> Json {
    let mut schema = read_json(&specs().join("azure-pipelines.service-schema.json"));
    let version = task["version"]["Major"].as_u64().expect("Major");
    let name = format!("{}@{version}", task["name"].as_str().expect("name"));
    assert_eq!(name, TASK);
    let inputs = task_inputs_schema(task);
    let required_inputs = !inputs["required"].as_array().is_none_or(|r| r.is_empty());
    let definition = schema["definitions"]["task"]
        .as_object_mut()
        .expect("definitions.task");
    definition["properties"]["task"]["anyOf"]
        .as_array_mut()
        .expect("task names")
        .push(json!({
            "description": task["description"],
            "doNotSuggest": false,
            "ignoreCase": "value",
            "enum": [name],
        }));
    definition["anyOf"]
        .as_array_mut()
        .expect("task branches")
        .push(json!({
            "properties": {
                "task": {
                    "description": format!("{}\n\n{}", task["friendlyName"].as_str().unwrap_or_default(), task["description"].as_str().unwrap_or_default()),
                    "ignoreCase": "value",
                    "pattern": format!("^{name}$"),
                },
                "inputs": inputs,
            },
            "doNotSuggest": false,
            "firstProperty": ["task"],
            "required": if required_inputs { json!(["task", "inputs"]) } else { json!(["task"]) },
        }));
    strings_for_scalars(&mut schema);
    schema
}

/// Every scalar of a pipeline is a string: a schema's `boolean`, `integer` or `number` accepts the
/// string form of such a literal.
fn strings_for_scalars(schema: &mut Json) {
    match schema {
        Json::Object(object) => {
            let pattern = match object.get("type").and_then(Json::as_str) {
                Some("boolean") => Some("^(true|false|True|False|TRUE|FALSE)$"),
                Some("integer") => Some("^-?[0-9]+$"),
                Some("number") => Some("^-?[0-9]+(\\.[0-9]+)?$"),
                _ => None,
            };
            if let Some(pattern) = pattern {
                object.insert("type".into(), json!("string"));
                object.insert("pattern".into(), json!(pattern));
            }
            for value in object.values_mut() {
                strings_for_scalars(value);
            }
        }
        Json::Array(items) => items.iter_mut().for_each(strings_for_scalars),
        _ => {}
    }
}

struct Schemas {
    pipeline: jsonschema::Validator,
    /// One step of a job, to say which step is wrong when the pipeline is.
    step: jsonschema::Validator,
    inputs: jsonschema::Validator,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let task = task_json();
        let compile = |schema: &Json| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                .should_validate_formats(false)
                .build(schema)
                .unwrap_or_else(|e| panic!("the schema compiles: {e}"))
        };
        let mut inputs = task_inputs_schema(&task);
        strings_for_scalars(&mut inputs);
        let pipeline = schema_with_task(&task);
        let step = json!({
            "definitions": pipeline["definitions"],
            "$ref": "#/definitions/step",
        });
        Schemas {
            pipeline: compile(&pipeline),
            step: compile(&step),
            inputs: compile(&inputs),
        }
    })
}

// ----- template expressions -----------------------------------------------------------------

/// A template's declared parameters: name → (type, default, allowed values).
#[derive(Clone, Debug, Default)]
struct Parameters(BTreeMap<String, Parameter>);

#[derive(Clone, Debug)]
struct Parameter {
    kind: String,
    default: Option<Yaml>,
    values: Option<Vec<String>>,
}

impl Parameters {
    fn of(document: &Yaml) -> Parameters {
        let mut declared = BTreeMap::new();
        if let Some(list) = document.get("parameters").and_then(Yaml::as_sequence) {
            for item in list {
                let name = item["name"].as_str().expect("a parameter has a name");
                let kind = item
                    .get("type")
                    .and_then(Yaml::as_str)
                    .unwrap_or("string")
                    .to_owned();
                let values = item.get("values").and_then(Yaml::as_sequence).map(|v| {
                    v.iter()
                        .map(|x| scalar_text(x).expect("values are scalars"))
                        .collect()
                });
                declared.insert(
                    name.to_owned(),
                    Parameter {
                        kind,
                        default: item.get("default").cloned(),
                        values,
                    },
                );
            }
        }
        // A webhook resource's alias is a parameter too: the event's payload.
        let webhooks = document
            .get("resources")
            .and_then(|r| r.get("webhooks"))
            .and_then(Yaml::as_sequence);
        for webhook in webhooks.into_iter().flatten() {
            if let Some(alias) = webhook.get("webhook").and_then(Yaml::as_str) {
                declared.insert(
                    alias.to_owned(),
                    Parameter {
                        kind: "webhook".to_owned(),
                        default: None,
                        values: None,
                    },
                );
            }
        }
        Parameters(declared)
    }

    /// The value a reference stands for: structural types get a sample even when their default
    /// is empty (so that their insertion is checked); others their default, else a sample.
    fn sample(&self, name: &str) -> Json {
        let parameter = self
            .0
            .get(name)
            .unwrap_or_else(|| panic!("`parameters.{name}` is not declared"));
        let sample = match parameter.kind.as_str() {
            "stageList" => {
                json!([{"stage": "Build", "jobs": [{"job": "Build", "steps": [{"script": "make"}]}]}])
            }
            "stage" => {
                json!({"stage": "Build", "jobs": [{"job": "Build", "steps": [{"script": "make"}]}]})
            }
            "jobList" => json!([{"job": "Build", "steps": [{"script": "make"}]}]),
            "job" => json!({"job": "Build", "steps": [{"script": "make"}]}),
            "stepList" => json!([{"script": "make"}]),
            "step" => json!({"script": "make"}),
            // The documented payload of the "Pull request commented on" service hook.
            "webhook" => {
                read_json(&root().join(
                    "tests/reference/azure-devops-service-hooks/pr_comment_event.sample.json",
                ))
            }
            _ => Json::Null,
        };
        if !sample.is_null() {
            return sample;
        }
        if let Some(default) = &parameter.default {
            return to_json(default);
        }
        match parameter.kind.as_str() {
            "boolean" => json!("true"),
            "number" => json!("1"),
            "object" => json!({}),
            "stringList" => json!(["sample"]),
            _ => match &parameter.values {
                Some(values) => json!(values[0]),
                None => json!("sample"),
            },
        }
    }
}

fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

/// YAML as the pipeline reads it: every scalar a string.
fn to_json(value: &Yaml) -> Json {
    match value {
        Yaml::Sequence(items) => Json::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (scalar_text(k).expect("scalar keys"), to_json(v)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => to_json(&tagged.value),
        scalar => Json::String(scalar_text(scalar).unwrap_or_default()),
    }
}

/// `$(Name)`: how a secret variable reaches a task. `$()` arises when a condition is tried
/// against a sample that leaves the variable's name empty: still no secret in the text.
fn variable_macro() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\$\([A-Za-z0-9_.]*\)$").expect("regex"))
}

fn whole_expression() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\$\{\{\s*(.*?)\s*\}\}$").expect("regex"))
}

fn embedded_expression() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\$\{\{\s*(.*?)\s*\}\}").expect("regex"))
}

fn if_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\$\{\{\s*if\s+(.+?)\s*\}\}$").expect("regex"))
}

fn each_key() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\$\{\{\s*each\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+?)\s*\}\}$")
            .expect("regex")
    })
}

/// The `${{ if … }}` conditions of a document, each once.
fn conditions(value: &Yaml, found: &mut BTreeSet<String>) {
    match value {
        Yaml::Mapping(map) => {
            for (key, inner) in map {
                if let Some(caps) = key.as_str().and_then(|k| if_key().captures(k)) {
                    found.insert(caps[1].to_owned());
                }
                conditions(inner, found);
            }
        }
        Yaml::Sequence(items) => items.iter().for_each(|i| conditions(i, found)),
        _ => {}
    }
}

/// One variant of a document: the truth of each condition, and the parameters' samples.
struct Expander<'a> {
    parameters: &'a Parameters,
    truth: &'a BTreeMap<String, bool>,
    scope: Vec<(String, Json)>,
}

impl Expander<'_> {
    fn resolve(&self, expression: &str) -> Json {
        let expression = expression.trim();
        if let Some(inner) = expression
            .strip_prefix("convertToJson(")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            let value = self.resolve(inner);
            return Json::String(serde_json::to_string_pretty(&value).expect("JSON"));
        }
        if let Some(name) = expression.strip_prefix("parameters.") {
            return self.parameters.sample(name);
        }
        let mut path = expression.split('.');
        let head = path.next().unwrap_or_default();
        if let Some((_, value)) = self.scope.iter().rev().find(|(name, _)| name == head) {
            let mut value = value.clone();
            for field in path {
                value = value
                    .get(field)
                    .cloned()
                    .unwrap_or(Json::String(String::new()));
            }
            return value;
        }
        panic!(
            "unsupported template expression `${{{{ {expression} }}}}`: extend tests/templates.rs"
        );
    }

    fn truth(&self, condition: &str) -> bool {
        *self
            .truth
            .get(condition)
            .unwrap_or_else(|| panic!("condition `{condition}` was not collected"))
    }

    fn text(&self, text: &str) -> Json {
        if let Some(caps) = whole_expression().captures(text) {
            return self.resolve(&caps[1]);
        }
        let replaced = embedded_expression().replace_all(text, |caps: &regex::Captures| match self
            .resolve(&caps[1])
        {
            Json::String(s) => s,
            other => panic!("`{}` inside a string is not a scalar: {other}", &caps[0]),
        });
        Json::String(replaced.into_owned())
    }

    fn value(&mut self, value: &Yaml) -> Json {
        match value {
            Yaml::Mapping(map) => {
                let mut out = Map::new();
                for (key, inner) in map {
                    let key = scalar_text(key).expect("scalar keys");
                    if let Some(caps) = if_key().captures(&key) {
                        if self.truth(&caps[1]) {
                            self.merge(&mut out, inner);
                        }
                    } else if let Some(caps) = each_key().captures(&key) {
                        let items = self.iterate(&caps[2]);
                        for item in items {
                            self.scope.push((caps[1].to_owned(), item));
                            self.merge(&mut out, inner);
                            self.scope.pop();
                        }
                    } else if key.contains("${{") && whole_expression().is_match(&key) {
                        panic!("unsupported template directive `{key}`: extend tests/templates.rs");
                    } else {
                        let key = match self.text(&key) {
                            Json::String(s) => s,
                            other => panic!("a key expands to {other}"),
                        };
                        let value = self.value(inner);
                        out.insert(key, value);
                    }
                }
                Json::Object(out)
            }
            Yaml::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    self.items(item, &mut out);
                }
                Json::Array(out)
            }
            Yaml::String(text) => self.text(text),
            Yaml::Tagged(tagged) => self.value(&tagged.value),
            scalar => Json::String(scalar_text(scalar).unwrap_or_default()),
        }
    }

    fn merge(&mut self, out: &mut Map<String, Json>, inner: &Yaml) {
        match self.value(inner) {
            Json::Object(map) => out.extend(map),
            other => panic!("a conditional insertion into a mapping must be a mapping: {other}"),
        }
    }

    fn iterate(&self, expression: &str) -> Vec<Json> {
        match self.resolve(expression) {
            Json::Array(items) => items,
            Json::Object(map) => map
                .into_iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect(),
            other => panic!("`each` over {other}"),
        }
    }

    /// One sequence item, which a directive or a list-valued parameter turns into several.
    fn items(&mut self, item: &Yaml, out: &mut Vec<Json>) {
        if let Some(map) = item.as_mapping()
            && map.len() == 1
            && let Some((key, inner)) = map.iter().next()
            && let Some(key) = key.as_str()
        {
            if let Some(caps) = if_key().captures(key) {
                if self.truth(&caps[1]) {
                    self.insert(inner, out);
                }
                return;
            }
            if let Some(caps) = each_key().captures(key) {
                for element in self.iterate(&caps[2]) {
                    self.scope.push((caps[1].to_owned(), element));
                    self.insert(inner, out);
                    self.scope.pop();
                }
                return;
            }
        }
        if let Some(text) = item.as_str()
            && let Some(caps) = whole_expression().captures(text)
        {
            match self.resolve(&caps[1]) {
                Json::Array(items) => out.extend(items),
                other => out.push(other),
            }
            return;
        }
        let value = self.value(item);
        out.push(value);
    }

    fn insert(&mut self, inner: &Yaml, out: &mut Vec<Json>) {
        match inner {
            Yaml::Sequence(items) => {
                for item in items {
                    self.items(item, out);
                }
            }
            other => {
                let value = self.value(other);
                out.push(value);
            }
        }
    }
}

/// Every variant of a document: (description of the conditions, expanded document).
fn variants(document: &Yaml) -> Vec<(String, Json)> {
    let parameters = Parameters::of(document);
    let mut found = BTreeSet::new();
    conditions(document, &mut found);
    let found: Vec<String> = found.into_iter().collect();
    assert!(
        found.len() <= 10,
        "too many conditions to try every variant"
    );
    (0..1u32 << found.len())
        .map(|bits| {
            let truth: BTreeMap<String, bool> = found
                .iter()
                .enumerate()
                .map(|(i, c)| (c.clone(), bits & (1 << i) != 0))
                .collect();
            let described = if truth.is_empty() {
                "no conditions".to_owned()
            } else {
                truth
                    .iter()
                    .map(|(c, t)| format!("{c} = {t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut expander = Expander {
                parameters: &parameters,
                truth: &truth,
                scope: Vec::new(),
            };
            (described, expander.value(document))
        })
        .collect()
}

// ----- checks -------------------------------------------------------------------------------

/// The problems of one YAML document (a pipeline or a template), in every variant.
fn problems_in(file: &Path, text: &str) -> Vec<String> {
    let document: Yaml = match serde_yaml::from_str(text) {
        Ok(document) => document,
        Err(e) => return vec![format!("{}: not YAML: {e}", file.display())],
    };
    let mut problems = Vec::new();
    for (variant, instance) in variants(&document) {
        let mut found: Vec<String> = schemas()
            .pipeline
            .iter_errors(&instance)
            .map(|e| {
                format!(
                    "at {}: {}",
                    pointer(&e.instance_path.to_string()),
                    short(&e)
                )
            })
            .collect();
        if !found.is_empty() {
            found.extend(step_problems(&instance, ""));
        }
        found.extend(task_input_problems(&instance, ""));
        found.extend(template_call_problems(file, &instance, ""));
        found.extend(secret_problems(&instance, ""));
        for problem in found {
            let problem = format!("{} [{variant}] {problem}", file.display());
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    problems
}

/// A schema error without the whole instance it quotes.
fn short(error: &jsonschema::ValidationError) -> String {
    let text = error.to_string();
    if text.chars().count() > 240 {
        let cut: String = text.chars().take(240).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Which steps of the document are wrong, each on its own.
fn step_problems(value: &Json, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match value {
        Json::Object(map) => {
            for (key, inner) in map {
                let here = format!("{at}/{key}");
                if key == "steps"
                    && let Some(steps) = inner.as_array()
                {
                    for (i, step) in steps.iter().enumerate() {
                        if !schemas().step.is_valid(step) {
                            let kinds = [
                                "task",
                                "script",
                                "bash",
                                "pwsh",
                                "powershell",
                                "checkout",
                                "download",
                                "downloadBuild",
                                "publish",
                                "template",
                            ];
                            let what = kinds
                                .iter()
                                .find_map(|k| {
                                    step.get(k)
                                        .map(|v| format!("{k}: {}", v.as_str().unwrap_or("…")))
                                })
                                .unwrap_or_else(|| "?".to_owned());
                            problems.push(format!(
                                "at {here}/{i}: this step (`{what}`) is not a valid step"
                            ));
                        }
                    }
                }
                problems.extend(step_problems(inner, &here));
            }
        }
        Json::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                problems.extend(step_problems(inner, &format!("{at}/{i}")));
            }
        }
        _ => {}
    }
    problems
}

fn pointer(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

/// Our task's inputs against task.json, with the precise reason (the schema's `anyOf` over all
/// tasks only says that no task matched).
fn task_input_problems(value: &Json, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match value {
        Json::Object(map) => {
            if map.get("task").and_then(Json::as_str) == Some(TASK) {
                let inputs = map.get("inputs").cloned().unwrap_or(json!({}));
                for e in schemas().inputs.iter_errors(&inputs) {
                    problems.push(format!("at {at}/inputs{}: {TASK}: {e}", e.instance_path));
                }
            }
            for (key, inner) in map {
                problems.extend(task_input_problems(inner, &format!("{at}/{key}")));
            }
        }
        Json::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                problems.extend(task_input_problems(inner, &format!("{at}/{i}")));
            }
        }
        _ => {}
    }
    problems
}

/// Secrets reach our task only as `$(Variable)` macros, never as text in the YAML.
fn secret_problems(value: &Json, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match value {
        Json::Object(map) => {
            if map.get("task").and_then(Json::as_str) == Some(TASK) {
                for secret in ["accessToken", "llmApiKey"] {
                    if let Some(text) = map
                        .get("inputs")
                        .and_then(|i| i.get(secret))
                        .and_then(Json::as_str)
                    {
                        let macro_ = variable_macro();
                        if !text.is_empty() && !macro_.is_match(text) {
                            problems.push(format!(
                                "at {at}/inputs/{secret}: a secret must be a `$(Variable)` macro, not `{text}`"
                            ));
                        }
                    }
                }
            }
            for (key, inner) in map {
                problems.extend(secret_problems(inner, &format!("{at}/{key}")));
            }
        }
        Json::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                problems.extend(secret_problems(inner, &format!("{at}/{i}")));
            }
        }
        _ => {}
    }
    problems
}

/// A `template:` reference to one of our templates passes only parameters it declares, with
/// values of their type and from their `values:` lists.
fn template_call_problems(file: &Path, value: &Json, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    match value {
        Json::Object(map) => {
            if let Some(reference) = map.get("template").and_then(Json::as_str)
                && let Some(target) = our_template(file, reference)
            {
                let text = std::fs::read_to_string(&target)
                    .unwrap_or_else(|e| panic!("{reference} → {}: {e}", target.display()));
                let document: Yaml = serde_yaml::from_str(&text).expect("template YAML");
                let declared = Parameters::of(&document);
                let empty = Map::new();
                let passed = map
                    .get("parameters")
                    .and_then(Json::as_object)
                    .unwrap_or(&empty);
                for (name, value) in passed {
                    let Some(parameter) = declared.0.get(name) else {
                        problems.push(format!(
                            "at {at}: {reference} declares no parameter `{name}`"
                        ));
                        continue;
                    };
                    let text = value.as_str();
                    let ok = match (parameter.kind.as_str(), text) {
                        ("boolean", Some(t)) => t == "true" || t == "false",
                        ("number", Some(t)) => t.parse::<f64>().is_ok(),
                        ("string", Some(t)) => parameter
                            .values
                            .as_ref()
                            .is_none_or(|values| values.iter().any(|v| v == t)),
                        ("string" | "boolean" | "number", None) => false,
                        _ => true,
                    };
                    if !ok {
                        problems.push(format!(
                            "at {at}: {reference} parameter `{name}` ({}{}) cannot be {value}",
                            parameter.kind,
                            parameter
                                .values
                                .as_ref()
                                .map(|v| format!(", one of {}", v.join(", ")))
                                .unwrap_or_default()
                        ));
                    }
                }
                for (name, parameter) in &declared.0 {
                    if parameter.default.is_none() && !passed.contains_key(name) {
                        problems.push(format!("at {at}: {reference} needs the parameter `{name}`"));
                    }
                }
            }
            for (key, inner) in map {
                problems.extend(template_call_problems(file, inner, &format!("{at}/{key}")));
            }
        }
        Json::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                problems.extend(template_call_problems(file, inner, &format!("{at}/{i}")));
            }
        }
        _ => {}
    }
    problems
}

/// The file a template reference names, when it is one of ours: `x.yml@templates` (the
/// templates repository of the examples) or a path relative to the including file.
fn our_template(file: &Path, reference: &str) -> Option<PathBuf> {
    let templates = root().join("pipeline-templates");
    let path = match reference.split_once('@') {
        Some((path, "templates")) => templates.join(path),
        Some(_) => return None,
        None => file.parent()?.join(reference),
    };
    assert!(
        path.is_file(),
        "{reference} from {}: no such template",
        file.display()
    );
    Some(path)
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
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

fn ours() -> Vec<PathBuf> {
    let mut files = Vec::new();
    yaml_files(&root().join("pipeline-templates"), &mut files);
    files.push(root().join("azure-pipelines.yml"));
    files
}

// ----- tests --------------------------------------------------------------------------------

#[test]
fn task_json_is_valid_against_the_task_schema() {
    let schema = read_json(&specs().join("tasks.schema.json"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the task schema compiles: {e}"));
    let task = task_json();
    let problems: Vec<String> = validator
        .iter_errors(&task)
        .map(|e| format!("{}: {e}", pointer(&e.instance_path.to_string())))
        .collect();
    assert!(problems.is_empty(), "task.json:\n{}", problems.join("\n"));

    // What the contract and the agent rely on beyond the schema.
    assert_eq!(task["name"], "CodeRabbitReview");
    assert_eq!(task["version"]["Major"], 1);
    for handler in ["Node20_1", "Node24"] {
        assert_eq!(
            task["execution"][handler]["target"], "index.js",
            "{handler}"
        );
    }
    let minimum: Vec<u32> = task["minimumAgentVersion"]
        .as_str()
        .expect("minimumAgentVersion")
        .split('.')
        .map(|p| p.parse().expect("number"))
        .collect();
    assert!(minimum >= vec![3, 232, 1], "Node20_1 needs agent 3.232.1");
    let extension = read_json(&root().join("task/vss-extension.json"));
    let version = &task["version"];
    assert_eq!(
        extension["version"],
        format!(
            "{}.{}.{}",
            version["Major"], version["Minor"], version["Patch"]
        ),
        "the extension's version is the task's"
    );
}

#[test]
fn every_template_example_and_pipeline_is_valid_in_every_variant() {
    let files = ours();
    assert!(files.len() >= 7, "{files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        problems.extend(problems_in(file, &text));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn both_branches_of_a_condition_are_expanded() {
    let text =
        std::fs::read_to_string(root().join("pipeline-templates/steps/coderabbit-review.yml"))
            .expect("read");
    let document: Yaml = serde_yaml::from_str(&text).expect("yaml");
    let variants_of = variants;
    let variants = variants(&document);
    let steps = |v: &Json| v["steps"].as_array().map_or(0, Vec::len);
    let counts: BTreeSet<usize> = variants.iter().map(|(_, v)| steps(v)).collect();
    assert_eq!(
        counts,
        BTreeSet::from([1, 2]),
        "with and without remediation"
    );
    let remediation = variants
        .iter()
        .find(|(_, v)| steps(v) == 2)
        .map(|(_, v)| v["steps"][1].clone())
        .expect("a variant with remediation");
    assert_eq!(remediation["template"], "coderabbit-remediation.yml");

    // The remediation step itself, with its default condition: after a failed step, in a PR build.
    let text =
        std::fs::read_to_string(root().join("pipeline-templates/steps/coderabbit-remediation.yml"))
            .expect("read");
    let document: Yaml = serde_yaml::from_str(&text).expect("yaml");
    let remediation = variants_of(&document)[0].1["steps"][0].clone();
    assert_eq!(remediation["inputs"]["command"], "remediate");
    assert_eq!(remediation["inputs"]["plan"], "pro");
    assert_eq!(
        remediation["condition"],
        "and(failed(), eq(variables['Build.Reason'], 'PullRequest'))"
    );
    let review = variants
        .iter()
        .map(|(_, v)| &v["steps"][0])
        .find(|step| step["inputs"].get("accessToken").is_some())
        .expect("a variant with the PAT");
    assert_eq!(
        review["condition"],
        "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))"
    );
    assert_eq!(review["inputs"]["accessToken"], "$(CodeRabbitPAT)");
    assert_eq!(review["inputs"]["maxComments"], "50", "numbers are strings");
}

#[test]
fn the_extends_template_keeps_the_pipeline_stages_and_waits_for_them() {
    let text =
        std::fs::read_to_string(root().join("pipeline-templates/extends/coderabbit-required.yml"))
            .expect("read");
    let document: Yaml = serde_yaml::from_str(&text).expect("yaml");
    let pro = variants(&document)
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| v["stages"].as_array().is_some_and(|s| s.len() == 3))
        .expect("the variant with remediation");
    let names: Vec<&str> = pro["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(
        names,
        ["Build", "CodeRabbitReview", "CodeRabbitRemediation"]
    );
    assert_eq!(pro["stages"][2]["dependsOn"], json!(["Build"]));
}

/// The validator itself: a template that passes an input the task does not declare, or a value
/// its pick list does not offer — even only in one branch of a condition — is rejected.
#[test]
fn a_broken_template_is_rejected() {
    let file = root().join("pipeline-templates/steps/broken.yml");
    let good = "steps:\n- task: CodeRabbitReview@1\n  inputs:\n    accessToken: $(CodeRabbitPAT)\n    failOn: major\n";
    assert!(
        problems_in(&file, good).is_empty(),
        "{:?}",
        problems_in(&file, good)
    );

    let unknown_input = "steps:\n- task: CodeRabbitReview@1\n  inputs:\n    failOnn: major\n";
    let problems = problems_in(&file, unknown_input);
    assert!(
        problems.iter().any(|p| p.contains("failOnn")),
        "{problems:?}"
    );

    let bad_value = "steps:\n- task: CodeRabbitReview@1\n  inputs:\n    failOn: loud\n";
    let problems = problems_in(&file, bad_value);
    assert!(problems.iter().any(|p| p.contains("loud")), "{problems:?}");

    let in_a_branch = "parameters:\n- name: strict\n  type: boolean\n  default: false\nsteps:\n- task: CodeRabbitReview@1\n  inputs:\n    ${{ if parameters.strict }}:\n      filterMode: everything\n";
    let problems = problems_in(&file, in_a_branch);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("parameters.strict = true") && p.contains("everything")),
        "{problems:?}"
    );
    assert!(
        !problems
            .iter()
            .any(|p| p.contains("parameters.strict = false"))
    );

    let literal_secret = "steps:\n- task: CodeRabbitReview@1\n  inputs:\n    accessToken: abc123\n";
    let problems = problems_in(&file, literal_secret);
    assert!(
        problems.iter().any(|p| p.contains("`$(Variable)` macro")),
        "{problems:?}"
    );

    let wrong_task_version = "steps:\n- task: CodeRabbitReview@2\n";
    assert!(!problems_in(&file, wrong_task_version).is_empty());

    let unknown_step_key = "steps:\n- checkout: self\n  fetchDepth: 0\n  fetchDeep: 1\n";
    assert!(!problems_in(&file, unknown_step_key).is_empty());

    let bad_parameter = "steps:\n- template: steps/coderabbit-review.yml@templates\n  parameters:\n    failOn: loud\n    colour: blue\n";
    let problems = problems_in(
        &root().join("pipeline-templates/examples/x.yml"),
        bad_parameter,
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("`failOn`") && p.contains("loud")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("`colour`")),
        "{problems:?}"
    );
}

/// The remediation step is written once, in steps/coderabbit-remediation.yml: every other
/// template adds it through that file.
#[test]
fn the_remediation_step_is_written_once() {
    let mut files = Vec::new();
    yaml_files(&root().join("pipeline-templates"), &mut files);
    let writers: Vec<String> = files
        .iter()
        .filter(|file| {
            std::fs::read_to_string(file)
                .expect("read")
                .contains("command: remediate")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert_eq!(writers.len(), 1, "{writers:?}");
    assert!(
        writers[0].ends_with("steps/coderabbit-remediation.yml"),
        "{writers:?}"
    );
    for template in [
        "pipeline-templates/steps/coderabbit-review.yml",
        "pipeline-templates/jobs/coderabbit-review.yml",
        "pipeline-templates/extends/coderabbit-required.yml",
    ] {
        let text = std::fs::read_to_string(root().join(template)).expect("read");
        assert!(
            text.contains("coderabbit-remediation.yml"),
            "{template} adds the remediation step through its template"
        );
    }
}

/// With `serviceConnection`, the steps pass the connection and no PAT; without it, the PAT.
#[test]
fn a_service_connection_replaces_the_pat_in_the_steps() {
    for template in [
        "pipeline-templates/steps/coderabbit-review.yml",
        "pipeline-templates/steps/coderabbit-remediation.yml",
    ] {
        let text = std::fs::read_to_string(root().join(template)).expect("read");
        let document: Yaml = serde_yaml::from_str(&text).expect("yaml");
        let parameters = Parameters::of(&document);
        let mut found = BTreeSet::new();
        conditions(&document, &mut found);
        let empty = "eq(parameters.serviceConnection, '')".to_owned();
        let set = "ne(parameters.serviceConnection, '')".to_owned();
        assert!(
            found.contains(&empty) && found.contains(&set),
            "{template}: {found:?}"
        );
        for (connection, expected) in [(true, "connectedServiceName"), (false, "accessToken")] {
            let truth: BTreeMap<String, bool> = found
                .iter()
                .map(|c| {
                    let value = if *c == set {
                        connection
                    } else if *c == empty {
                        !connection
                    } else {
                        true
                    };
                    (c.clone(), value)
                })
                .collect();
            let mut expander = Expander {
                parameters: &parameters,
                truth: &truth,
                scope: Vec::new(),
            };
            let expanded = expander.value(&document);
            let inputs = &expanded["steps"][0]["inputs"];
            let other = if connection {
                "accessToken"
            } else {
                "connectedServiceName"
            };
            assert!(inputs.get(expected).is_some(), "{template}: {inputs}");
            assert!(inputs.get(other).is_none(), "{template}: {inputs}");
        }
    }
}
