//! SARIF 2.1.0 results: each result's rule (from the driver or an extension), level, message
//! (its text, or `message.id` + `arguments` through the rule's `messageStrings`) and first
//! physical location (its `uri`, or an `index` into `run.artifacts`, resolved against
//! `originalUriBaseIds`). Paths come out decoded (`%20` → space, `file:///C:/x` → `C:/x`);
//! making them repository-relative is [`super::repository_path`]'s job.

use serde_json::Value;

use super::{DropReason, Dropped, Report, Reported, json_error, percent_decode, severity_of};
use crate::finding::{Category, Severity};

pub(super) fn parse(text: &str) -> Result<Report, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    match value.get("version") {
        None => {}
        Some(Value::String(version)) if version == "2.1.0" => {}
        Some(Value::String(version)) => {
            return Err(format!(
                "it is SARIF version {version}, and only 2.1.0 is read (ask the tool for SARIF 2.1.0)"
            ));
        }
        Some(other) => {
            return Err(format!(
                "`version` must be the string \"2.1.0\", found {other}"
            ));
        }
    }
    let runs = match value.get("runs") {
        Some(Value::Array(runs)) => runs,
        Some(other) => return Err(format!("`runs` must be an array, found {}", kind(other))),
        None => return Err("it has no `runs`".to_owned()),
    };
    let mut report = Report::default();
    for (index, run) in runs.iter().enumerate() {
        let results = match run.get("results") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(results)) => results,
            Some(other) => {
                return Err(format!(
                    "`runs[{index}].results` must be an array, found {}",
                    kind(other)
                ));
            }
        };
        let run = Run::new(run);
        for result in results {
            run.result(result, &mut report);
        }
    }
    Ok(report)
}

/// What a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One run's tables, which results point into.
struct Run<'a> {
    run: &'a Value,
    tool: String,
}

impl<'a> Run<'a> {
    fn new(run: &'a Value) -> Run<'a> {
        let tool = run["tool"]["driver"]["name"]
            .as_str()
            .filter(|name| !name.is_empty())
            .unwrap_or("sarif")
            .to_owned();
        Run { run, tool }
    }

    /// The tool component a result's rule belongs to: an extension when
    /// `rule.toolComponent.index` says so, else the driver.
    fn component(&self, result: &Value) -> &'a Value {
        match result["rule"]["toolComponent"]["index"].as_u64() {
            Some(index) => &self.run["tool"]["extensions"][index as usize],
            None => &self.run["tool"]["driver"],
        }
    }

    /// The rule's id and its metadata (`reportingDescriptor`), when the run describes it.
    fn rule(&self, result: &Value) -> (Option<String>, Option<&'a Value>) {
        let component = self.component(result);
        let by_index = result["ruleIndex"]
            .as_u64()
            .or_else(|| result["rule"]["index"].as_u64())
            .and_then(|index| component["rules"].get(index as usize));
        let id = result["ruleId"]
            .as_str()
            .or_else(|| result["rule"]["id"].as_str())
            .or_else(|| by_index.and_then(|rule| rule["id"].as_str()))
            .map(str::to_owned);
        let meta = by_index.or_else(|| {
            let id = id.as_deref()?;
            std::iter::once(&self.run["tool"]["driver"])
                .chain(
                    self.run["tool"]["extensions"]
                        .as_array()
                        .into_iter()
                        .flatten(),
                )
                .flat_map(|component| component["rules"].as_array().into_iter().flatten())
                .find(|rule| rule["id"].as_str() == Some(id))
        });
        (id, meta)
    }

    fn result(&self, result: &Value, report: &mut Report) {
        let (rule, meta) = self.rule(result);
        let drop = |report: &mut Report, reason| {
            report.dropped.push(Dropped {
                tool: self.tool.clone(),
                rule: rule.clone().unwrap_or_default(),
                reason,
            });
        };
        if result["kind"]
            .as_str()
            .is_some_and(|kind| kind != "fail" && kind != "review" && kind != "open")
        {
            return drop(report, DropReason::NotAProblem);
        }
        if result["suppressions"].as_array().is_some_and(|s| {
            s.iter()
                .any(|s| s["status"].as_str().is_none_or(|st| st == "accepted"))
        }) {
            return drop(report, DropReason::Suppressed);
        }
        let location = &result["locations"][0]["physicalLocation"];
        let Some(path) = self.path(&location["artifactLocation"]) else {
            return drop(report, DropReason::NoLocation);
        };
        let Some(message) = self.message(result, meta) else {
            return drop(report, DropReason::NoMessage);
        };
        let level = result["level"]
            .as_str()
            .or_else(|| meta.and_then(|r| r["defaultConfiguration"]["level"].as_str()))
            .unwrap_or("warning");
        let severity = security_severity(meta).unwrap_or_else(|| severity_of(level));
        let security = meta
            .and_then(|r| r["properties"]["tags"].as_array())
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|tag| tag.eq_ignore_ascii_case("security"));
        let line = location["region"]["startLine"].as_u64().unwrap_or(0) as u32;
        let end_line = location["region"]["endLine"]
            .as_u64()
            .map_or(line, |l| l as u32)
            .max(line);
        report.reported.push(Reported {
            tool: self.tool.clone(),
            path,
            line,
            end_line,
            severity,
            category: if security {
                Category::Security
            } else {
                Category::Correctness
            },
            rule: rule.unwrap_or_default(),
            message,
            suggestion: None,
        });
    }

    /// The path an `artifactLocation` names: its `uri`, or that of the artifact its `index`
    /// points at, joined to its `uriBaseId`'s base when the run gives one; decoded.
    fn path(&self, location: &Value) -> Option<String> {
        let artifact = location["index"]
            .as_u64()
            .map(|index| &self.run["artifacts"][index as usize]["location"]);
        let uri = location["uri"]
            .as_str()
            .or_else(|| artifact.and_then(|a| a["uri"].as_str()))
            .filter(|uri| !uri.is_empty())?;
        let base_id = location["uriBaseId"]
            .as_str()
            .or_else(|| artifact.and_then(|a| a["uriBaseId"].as_str()));
        let base = base_id
            .and_then(|id| self.run["originalUriBaseIds"][id]["uri"].as_str())
            .filter(|_| !uri.contains("://") && !uri.starts_with('/'));
        let joined = match base {
            Some(base) if base.ends_with('/') => format!("{base}{uri}"),
            Some(base) => format!("{base}/{uri}"),
            None => uri.to_owned(),
        };
        Some(uri_to_path(&joined))
    }

    /// The result's message: its text (or markdown), or its `id` looked up in the rule's
    /// `messageStrings` (then the component's `globalMessageStrings`), with `{n}` placeholders
    /// filled from `arguments`; else the rule's short description or name. `None` when all
    /// are empty.
    fn message(&self, result: &Value, meta: Option<&Value>) -> Option<String> {
        let message = &result["message"];
        let template = message["text"]
            .as_str()
            .or_else(|| message["markdown"].as_str())
            .filter(|t| !t.trim().is_empty())
            .or_else(|| {
                let id = message["id"].as_str()?;
                message_string(meta, "messageStrings", id).or_else(|| {
                    message_string(Some(self.component(result)), "globalMessageStrings", id)
                })
            });
        let arguments: Vec<&str> = message["arguments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a.as_str().unwrap_or_default())
            .collect();
        let text = template
            .map(|t| fill(t, &arguments))
            .filter(|t| !t.trim().is_empty())
            .or_else(|| {
                let meta = meta?;
                [
                    &meta["shortDescription"]["text"],
                    &meta["fullDescription"]["text"],
                    &meta["name"],
                ]
                .into_iter()
                .filter_map(Value::as_str)
                .find(|t| !t.trim().is_empty())
                .map(str::to_owned)
            })?;
        Some(text.trim().to_owned())
    }
}

/// The text of `owner[table][id]` (a `multiformatMessageString`).
fn message_string<'v>(owner: Option<&'v Value>, table: &str, id: &str) -> Option<&'v str> {
    let entry = &owner?[table][id];
    entry["text"]
        .as_str()
        .or_else(|| entry["markdown"].as_str())
}

/// Fills SARIF's `{0}`, `{1}` placeholders with `arguments`; `{{` and `}}` are literal braces.
fn fill(template: &str, arguments: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let argument = digits
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| arguments.get(n))
                    .filter(|_| chars.peek() == Some(&'}'));
                match argument {
                    Some(argument) => {
                        chars.next();
                        out.push_str(argument);
                    }
                    None => {
                        out.push('{');
                        out.push_str(&digits);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A SARIF URI to a path: `file://` (with or without `localhost`) removed, `%XX` decoded,
/// `/C:/x` (a Windows drive in a URI) → `C:/x`. Relative references stay relative.
fn uri_to_path(uri: &str) -> String {
    let rest = uri
        .strip_prefix("file://localhost")
        .or_else(|| uri.strip_prefix("file://"))
        .or_else(|| uri.strip_prefix("file:"))
        .unwrap_or(uri);
    let mut path = percent_decode(rest);
    let bytes = path.as_bytes();
    if bytes.len() > 2 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic() && bytes[2] == b':' {
        path.remove(0);
    }
    path
}

/// GitHub's `security-severity` (a CVSS-like score) when a rule has one.
fn security_severity(rule: Option<&Value>) -> Option<Severity> {
    let score: f64 = rule?["properties"]["security-severity"]
        .as_str()?
        .parse()
        .ok()?;
    Some(match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::Major,
        s if s >= 4.0 => Severity::Minor,
        _ => Severity::Trivial,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn results_with_rules_levels_and_regions() {
        let text = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"eslint","rules":[{"id":"no-eval","properties":{"tags":["security"]}}]}},
          "results":[{"ruleIndex":0,"level":"error","message":{"text":"eval is evil"},
            "locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.js"},"region":{"startLine":3,"endLine":4}}}]},
            {"ruleId":"semi","message":{"text":"missing semicolon"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/b.js"},"region":{"startLine":9}}}]}]}]}"#;
        let found = parse(text).unwrap().reported;
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rule, "no-eval");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[0].category, Category::Security);
        assert_eq!((found[0].line, found[0].end_line), (3, 4));
        assert_eq!(found[1].severity, Severity::Minor);
        assert_eq!(found[1].end_line, 9);
    }

    #[test]
    fn placeholders() {
        assert_eq!(fill("{0} is {1}", &["x", "unused"]), "x is unused");
        assert_eq!(fill("{{0}} {2} {a", &["x"]), "{0} {2} {a");
        assert_eq!(fill("", &[]), "");
    }

    #[test]
    fn uris_to_paths() {
        assert_eq!(uri_to_path("file:///C:/src/a%20b.cs"), "C:/src/a b.cs");
        assert_eq!(uri_to_path("file://localhost/home/x.rs"), "/home/x.rs");
        assert_eq!(uri_to_path("src/%aé.rs"), "src/%aé.rs");
        assert_eq!(uri_to_path("src/a%2"), "src/a%2");
        assert_eq!(uri_to_path("src/%e2%82%ac.rs"), "src/€.rs");
    }

    #[test]
    fn documents_that_break_the_shape_are_refused() {
        let err = parse(r#"{"version":"2.0.0","runs":[]}"#).unwrap_err();
        assert!(err.contains("SARIF version 2.0.0"), "{err}");
        let err = parse(r#"{"version":"2.1.0","runs":[{"results":{}}]}"#).unwrap_err();
        assert_eq!(err, "`runs[0].results` must be an array, found an object");
        let err = parse(r#"{"version":"2.1.0","runs":{}}"#).unwrap_err();
        assert_eq!(err, "`runs` must be an array, found an object");
        assert!(parse(r#"{"version":"2.1.0","runs":[{"results":null}]}"#).is_ok());
    }
}
