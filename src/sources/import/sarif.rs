//! SARIF 2.1.0 results.

use serde_json::Value;

use super::{Reported, severity_of};
use crate::finding::{Category, Severity};

pub fn parse(text: &str) -> Result<Vec<Reported>, String> {
    let value: Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())?;
    let runs = value
        .get("runs")
        .and_then(Value::as_array)
        .ok_or("no `runs`")?;
    let mut out = Vec::new();
    for run in runs {
        let driver = &run["tool"]["driver"];
        let tool = driver["name"].as_str().unwrap_or("sarif").to_owned();
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        for result in run["results"].as_array().into_iter().flatten() {
            let rule = result["ruleId"].as_str().map(str::to_owned).or_else(|| {
                let index = result["ruleIndex"].as_u64()? as usize;
                rules.get(index)?.get("id")?.as_str().map(str::to_owned)
            });
            let rule_meta = rule
                .as_deref()
                .and_then(|id| rules.iter().find(|r| r["id"].as_str() == Some(id)));
            let level = result["level"]
                .as_str()
                .or_else(|| rule_meta.and_then(|r| r["defaultConfiguration"]["level"].as_str()))
                .unwrap_or("warning");
            let severity = security_severity(rule_meta).unwrap_or_else(|| severity_of(level));
            let tags: Vec<&str> = rule_meta
                .and_then(|r| r["properties"]["tags"].as_array())
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let category = if tags.iter().any(|t| t.eq_ignore_ascii_case("security")) {
                Category::Security
            } else {
                Category::Correctness
            };
            let message = result["message"]["text"]
                .as_str()
                .or_else(|| result["message"]["markdown"].as_str())
                .unwrap_or_default()
                .to_owned();
            let location = &result["locations"][0]["physicalLocation"];
            let Some(uri) = location["artifactLocation"]["uri"].as_str() else {
                continue;
            };
            let line = location["region"]["startLine"].as_u64().unwrap_or(0) as u32;
            let end_line = location["region"]["endLine"]
                .as_u64()
                .map_or(line, |l| l as u32)
                .max(line);
            out.push(Reported {
                tool: tool.clone(),
                path: uri.to_owned(),
                line,
                end_line,
                severity,
                category,
                rule: rule.unwrap_or_default(),
                message,
                suggestion: None,
            });
        }
    }
    Ok(out)
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
mod tests {
    use super::*;

    #[test]
    fn results_with_rules_levels_and_regions() {
        let text = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"eslint","rules":[{"id":"no-eval","properties":{"tags":["security"]}}]}},
          "results":[{"ruleIndex":0,"level":"error","message":{"text":"eval is evil"},
            "locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.js"},"region":{"startLine":3,"endLine":4}}}]},
            {"ruleId":"semi","message":{"text":"missing semicolon"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/b.js"},"region":{"startLine":9}}}]}]}]}"#;
        let found = parse(text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].rule, "no-eval");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[0].category, Category::Security);
        assert_eq!((found[0].line, found[0].end_line), (3, 4));
        assert_eq!(found[1].severity, Severity::Minor);
        assert_eq!(found[1].end_line, 9);
    }
}
