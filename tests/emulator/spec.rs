//! The official Azure DevOps REST 7.1 reference (`tests/reference/azure-devops-rest/7.1`), loaded
//! once per process: the route table (method, path template, parameters, OAuth scopes,
//! `api-version`) and a strict copy of the schemas that request bodies are validated against.
//!
//! The strict copy differs from the reference in what the service does and the reference does not
//! say: `allOf` inheritance is flattened and every object schema that lists its `properties` gets
//! `additionalProperties: false` (so a misspelled field is caught), except the free-form bags
//! (`PropertiesCollection`, `ReferenceLinks`), which stay open; `JsonPatchDocument` is the array
//! it really is; a JSON Patch `value` may be anything. Before validation a body is normalised as
//! the service reads it: enum values given as integers or in any letter case become their
//! camelCase names, and a `null` for a known property counts as absent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value, json};

const SPEC_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/reference/azure-devops-rest"
);

/// The reference, parsed once per process.
pub(super) fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(Spec::load)
}

pub(super) struct Spec {
    operations: Vec<Operation>,
    /// The strict definitions of each reference file.
    areas: Vec<Arc<Value>>,
    enum_integers: Value,
    /// Validators of whole definitions, compiled on first use.
    definition_validators: Mutex<HashMap<String, Arc<Result<jsonschema::Validator, String>>>>,
}

pub(super) struct Operation {
    /// The reference's `operationId`, e.g. `Pull Request Threads_Create`.
    pub(super) id: String,
    pub(super) method: String,
    pub(super) template: String,
    /// The template with and without each optional segment.
    variants: Vec<Vec<Segment>>,
    /// What `api-version` must be: `7.1`, or `7.1-preview.1` for a preview.
    pub(super) api_version: String,
    pub(super) path_params: Vec<Param>,
    pub(super) query_params: Vec<Param>,
    pub(super) body: Option<Param>,
    pub(super) consumes: Vec<String>,
    /// The OAuth scopes, any one of which allows the call.
    pub(super) scopes: Vec<String>,
    definitions: Arc<Value>,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
}

pub(super) struct Param {
    pub(super) name: String,
    pub(super) required: bool,
    pub(super) schema: Value,
}

#[derive(Clone, Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// Where a request leads.
pub(super) enum Route<'a> {
    Operation(&'a Operation, HashMap<String, String>),
    /// The path exists for other methods only.
    WrongMethod(Vec<String>),
    Unknown,
}

fn read_json(relative: &str) -> Value {
    let path = format!("{SPEC_DIR}/{relative}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read the reference {path}: {error}"));
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .unwrap_or_else(|error| panic!("cannot parse the reference {path}: {error}"))
}

impl Spec {
    fn load() -> Spec {
        let mut operations = Vec::new();
        let mut areas = Vec::new();
        for file in [
            "7.1/core.json",
            "7.1/git.json",
            "7.1/build.json",
            "7.1/wit.json",
        ] {
            let document = read_json(file);
            let definitions = Arc::new(Value::Object(strict_definitions(
                document["definitions"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            )));
            areas.push(Arc::clone(&definitions));
            let shared = document["parameters"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let Some(paths) = document["paths"].as_object() else {
                continue;
            };
            for (template, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, operation) in item {
                    if method == "parameters" {
                        continue;
                    }
                    operations.push(Operation::from_reference(
                        template,
                        method,
                        operation,
                        &shared,
                        &definitions,
                    ));
                }
            }
        }
        Spec {
            operations,
            areas,
            enum_integers: read_json("enum-integer-values.json"),
            definition_validators: Mutex::new(HashMap::new()),
        }
    }

    /// The operation for a method and decoded path segments. The organization is the first
    /// segment; literals compare case-insensitively, as the service's routes do. When several
    /// templates match, the one with the most literal segments wins.
    pub(super) fn route(&self, method: &str, segments: &[String]) -> Route<'_> {
        let mut best: Option<(usize, usize, &Operation, HashMap<String, String>)> = None;
        let mut other_methods = Vec::new();
        for operation in &self.operations {
            for (omitted, variant) in operation.variants.iter().enumerate() {
                let Some((literals, params)) = match_variant(variant, segments) else {
                    continue;
                };
                if !operation.method.eq_ignore_ascii_case(method) {
                    other_methods.push(operation.method.to_uppercase());
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((l, o, _, _)) => literals > *l || (literals == *l && omitted < *o),
                };
                if better {
                    best = Some((literals, omitted, operation, params));
                }
            }
        }
        match best {
            Some((_, _, operation, params)) => Route::Operation(operation, params),
            None if !other_methods.is_empty() => {
                other_methods.sort();
                other_methods.dedup();
                Route::WrongMethod(other_methods)
            }
            None => Route::Unknown,
        }
    }

    /// Checks a value against a definition of the reference (the first file that defines it).
    pub(super) fn definition_problems(&self, name: &str, value: &Value) -> Vec<String> {
        let Some(definitions) = self.areas.iter().find(|a| a.get(name).is_some()) else {
            return vec![format!("the 7.1 reference has no definition {name}")];
        };
        let schema = json!({ "$ref": format!("#/definitions/{name}") });
        let mut value = value.clone();
        self.normalize(&mut value, &schema, definitions);
        let validator = {
            let mut cache = self
                .definition_validators
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Arc::clone(
                cache
                    .entry(name.to_owned())
                    .or_insert_with(|| Arc::new(compile(definitions, &schema))),
            )
        };
        problems(name, validator.as_ref(), &value)
    }

    /// An operation by its `operationId`.
    pub(super) fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// Rewrites enum values as the service reads them and drops `null`s of known properties.
    pub(super) fn normalize(&self, value: &mut Value, schema: &Value, definitions: &Value) {
        let schema = resolve(schema, definitions);
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            let enum_name = schema["x-ms-enum"]["name"].as_str().unwrap_or_default();
            if let Some(canonical) = self.canonical_enum(value, allowed, enum_name) {
                *value = Value::String(canonical);
            }
            return;
        }
        match value {
            Value::Object(map) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                if let Some(properties) = properties {
                    map.retain(|key, v| !(v.is_null() && properties.contains_key(key)));
                }
                for (key, v) in map.iter_mut() {
                    if let Some(property) = properties.and_then(|p| p.get(key)) {
                        self.normalize(v, property, definitions);
                    } else if let Some(extra) =
                        schema.get("additionalProperties").filter(|s| s.is_object())
                    {
                        self.normalize(v, extra, definitions);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for item in items {
                        self.normalize(item, item_schema, definitions);
                    }
                }
            }
            _ => {}
        }
    }

    /// The camelCase name of an enum value given as a name in any case or as its integer.
    pub(super) fn canonical_enum(
        &self,
        value: &Value,
        allowed: &[Value],
        enum_name: &str,
    ) -> Option<String> {
        let name = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => {
                let n = n.as_i64()?;
                let integers = self.enum_integers.get(enum_name)?.as_object()?;
                integers
                    .iter()
                    .find(|(_, v)| v.as_i64() == Some(n))
                    .map(|(k, _)| k.clone())?
            }
            _ => return None,
        };
        allowed
            .iter()
            .filter_map(Value::as_str)
            .find(|a| a.eq_ignore_ascii_case(name.trim()))
            .map(str::to_owned)
    }
}

fn match_variant(
    variant: &[Segment],
    segments: &[String],
) -> Option<(usize, HashMap<String, String>)> {
    if variant.len() != segments.len() {
        return None;
    }
    let mut literals = 0;
    let mut params = HashMap::new();
    for (pattern, segment) in variant.iter().zip(segments) {
        match pattern {
            Segment::Literal(literal) => {
                if !literal.eq_ignore_ascii_case(segment) {
                    return None;
                }
                literals += 1;
            }
            Segment::Param(name) => {
                if segment.is_empty() {
                    return None;
                }
                params.insert(name.clone(), segment.clone());
            }
        }
    }
    Some((literals, params))
}

/// Follows `#/definitions/...` references.
pub(super) fn resolve<'a>(mut schema: &'a Value, definitions: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.trim_start_matches("#/definitions/");
                match definitions.get(name) {
                    Some(target) => schema = target,
                    None => return schema,
                }
            }
            None => return schema,
        }
    }
    schema
}

impl Operation {
    fn from_reference(
        template: &str,
        method: &str,
        operation: &Value,
        shared: &Map<String, Value>,
        definitions: &Arc<Value>,
    ) -> Operation {
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        let mut body = None;
        let mut optional = Vec::new();
        let mut api_version = "7.1".to_owned();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = match parameter.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let name = reference.trim_start_matches("#/parameters/");
                    shared.get(name).unwrap_or(&Value::Null)
                }
                None => parameter,
            };
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if name == "api-version" {
                api_version = version_of(parameter);
                continue;
            }
            let mut schema = parameter.get("schema").cloned().unwrap_or_else(|| {
                let mut schema = parameter.clone();
                if let Some(map) = schema.as_object_mut() {
                    map.retain(|k, _| {
                        matches!(
                            k.as_str(),
                            "type" | "format" | "enum" | "items" | "x-ms-enum"
                        )
                    });
                }
                schema
            });
            if schema.is_null() {
                schema = json!({});
            }
            let required = parameter["required"].as_bool().unwrap_or(false);
            let param = Param {
                name: name.clone(),
                required,
                schema,
            };
            match parameter["in"].as_str() {
                Some("path") => {
                    if parameter["x-ms-required"] == json!(false) {
                        optional.push(name);
                    }
                    path_params.push(param);
                }
                Some("query") => query_params.push(param),
                Some("body") => body = Some(param),
                _ => {}
            }
        }
        let segments: Vec<Segment> = template
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        let mut variants = vec![segments];
        for name in &optional {
            let without: Vec<Vec<Segment>> = variants
                .iter()
                .map(|v| {
                    v.iter()
                        .filter(|s| !matches!(s, Segment::Param(n) if n == name))
                        .cloned()
                        .collect()
                })
                .collect();
            variants.extend(without);
        }
        let scopes = operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["oauth2"].as_array())
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let consumes = operation["consumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        Operation {
            id: operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            method: method.to_uppercase(),
            template: template.to_owned(),
            variants,
            api_version,
            path_params,
            query_params,
            body,
            consumes,
            scopes,
            definitions: Arc::clone(definitions),
            validator: OnceLock::new(),
        }
    }

    pub(super) fn definitions(&self) -> &Value {
        &self.definitions
    }

    /// Validates a normalised body against the strict copy of the body schema; the problems, one
    /// sentence each, naming where they are.
    pub(super) fn body_problems(&self, body: &Value) -> Vec<String> {
        let Some(param) = &self.body else {
            return Vec::new();
        };
        let validator = self
            .validator
            .get_or_init(|| compile(&self.definitions, &param.schema));
        problems(&self.id, validator, body)
    }
}

/// A validator of `schema` against the strict definitions it refers to.
fn compile(definitions: &Value, schema: &Value) -> Result<jsonschema::Validator, String> {
    let root = json!({
        "definitions": definitions,
        "allOf": [schema],
    });
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(false)
        .build(&root)
        .map_err(|error| error.to_string())
}

/// How many problems one check reports at most.
const MAX_PROBLEMS: usize = 10;

/// One sentence per problem, naming where it is.
fn problems(
    what: &str,
    validator: &Result<jsonschema::Validator, String>,
    value: &Value,
) -> Vec<String> {
    match validator {
        Ok(validator) => {
            let mut found: Vec<String> = validator
                .iter_errors(value)
                .map(|error| {
                    let at = error.instance_path.to_string();
                    let at = if at.is_empty() { "/".to_owned() } else { at };
                    format!("{what} body at {at}: {error}")
                })
                .collect();
            if found.len() > MAX_PROBLEMS {
                let more = found.len() - MAX_PROBLEMS;
                found.truncate(MAX_PROBLEMS);
                found.push(format!("and {more} more problems"));
            }
            found
        }
        Err(error) => vec![format!(
            "the emulator could not compile the schema of {what}: {error}"
        )],
    }
}

/// `7.1` or `7.1-preview.1`, from the parameter's "This should be set to '…'" description.
fn version_of(parameter: &Value) -> String {
    let description = parameter["description"].as_str().unwrap_or_default();
    description
        .split_once("set to '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(version, _)| version.to_owned())
        .unwrap_or_else(|| "7.1".to_owned())
}

/// The strict copy of a reference's definitions (see the module documentation).
fn strict_definitions(mut definitions: Map<String, Value>) -> Map<String, Value> {
    // `Change` is generic in the service (`Change<GitItem>` in Git); the reference flattens its
    // `item` to a string.
    if definitions.contains_key("GitItem") {
        if let Some(item) = definitions
            .get_mut("Change")
            .and_then(|change| change.pointer_mut("/properties/item"))
            .filter(|item| item["type"] == "string")
        {
            *item = json!({ "$ref": "#/definitions/GitItem" });
        }
    }
    let mut strict = Map::new();
    for name in definitions.keys() {
        let schema = match name.as_str() {
            "PropertiesCollection" | "ReferenceLinks" => json!({ "type": "object" }),
            "JsonPatchDocument" => json!({
                "type": "array",
                "items": { "$ref": "#/definitions/JsonPatchOperation" }
            }),
            _ => {
                let mut flat = flatten(&definitions, name, 0);
                if name == "JsonPatchOperation" {
                    flat["properties"]["value"] = json!({});
                }

                close(&mut flat);
                flat
            }
        };
        strict.insert(name.clone(), schema);
    }
    strict
}

/// A definition with the properties of its `allOf` bases merged in.
fn flatten(definitions: &Map<String, Value>, name: &str, depth: usize) -> Value {
    let Some(schema) = definitions.get(name) else {
        return json!({});
    };
    let mut schema = schema.clone();
    let Some(bases) = schema
        .as_object_mut()
        .and_then(|map| map.remove("allOf"))
        .and_then(|bases| bases.as_array().cloned())
    else {
        return schema;
    };
    let mut properties = Map::new();
    for base in &bases {
        let base = match base.get("$ref").and_then(Value::as_str) {
            Some(reference) if depth < 16 => flatten(
                definitions,
                reference.trim_start_matches("#/definitions/"),
                depth + 1,
            ),
            _ => base.clone(),
        };
        if let Some(base_properties) = base["properties"].as_object() {
            properties.extend(base_properties.clone());
        }
    }
    if let Some(own) = schema["properties"].as_object() {
        properties.extend(own.clone());
    }
    schema["properties"] = Value::Object(properties);
    if schema.get("type").is_none() {
        schema["type"] = json!("object");
    }
    schema
}

/// Forbids unknown properties in every object schema that lists its properties, recursively.
fn close(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if map.get("properties").is_some_and(Value::is_object)
        && !map.contains_key("additionalProperties")
    {
        map.insert("additionalProperties".to_owned(), json!(false));
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for property in properties.values_mut() {
            close(property);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            close(child);
        }
    }
}

/// Splits and percent-decodes a query string (`+` is a space).
pub(super) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                percent_decode(&name.replace('+', " ")),
                percent_decode(&value.replace('+', " ")),
            )
        })
        .collect()
}

/// Decodes `%XX` escapes; malformed escapes stay as they are.
pub(super) fn percent_decode(text: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        char::from(byte)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
