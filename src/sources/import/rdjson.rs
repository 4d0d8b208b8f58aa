//! reviewdog's Diagnostic format: rdjson (one document) and rdjsonl (one diagnostic a line).

use serde_json::Value;

use super::{Reported, severity_of};
use crate::finding::Category;

pub fn parse(text: &str) -> Result<Vec<Reported>, String> {
    let value: Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())?;
    let tool = value["source"]["name"]
        .as_str()
        .unwrap_or("reviewdog")
        .to_owned();
    let default_level = value["severity"].as_str().unwrap_or("warning").to_owned();
    let diagnostics = value["diagnostics"].as_array().ok_or("no `diagnostics`")?;
    Ok(diagnostics
        .iter()
        .filter_map(|d| diagnostic(d, &tool, &default_level))
        .collect())
}

pub fn parse_lines(text: &str) -> Result<Vec<Reported>, String> {
    let mut out = Vec::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        let tool = value["source"]["name"]
            .as_str()
            .unwrap_or("reviewdog")
            .to_owned();
        out.extend(diagnostic(&value, &tool, "warning"));
    }
    Ok(out)
}

fn diagnostic(d: &Value, tool: &str, default_level: &str) -> Option<Reported> {
    let path = d["location"]["path"].as_str()?.to_owned();
    let start = &d["location"]["range"]["start"];
    let line = start["line"].as_u64().unwrap_or(0) as u32;
    let end_line = d["location"]["range"]["end"]["line"]
        .as_u64()
        .map_or(line, |l| l as u32)
        .max(line);
    let level = d["severity"].as_str().unwrap_or(default_level);
    let tool = d["source"]["name"].as_str().unwrap_or(tool).to_owned();
    // A suggestion that replaces exactly whole lines `line..=end_line` is kept as a fix.
    let suggestion = d["suggestions"]
        .as_array()
        .and_then(|s| s.first())
        .and_then(|s| {
            let range = &s["range"];
            let whole = range["start"]["line"].as_u64() == Some(u64::from(line))
                && range["start"]["column"].as_u64().is_none_or(|c| c <= 1)
                && range["end"]["line"]
                    .as_u64()
                    .is_some_and(|l| l == u64::from(end_line) + 1)
                && range["end"]["column"].as_u64().is_none_or(|c| c <= 1);
            whole
                .then(|| s["text"].as_str().map(str::to_owned))
                .flatten()
        });
    Some(Reported {
        tool,
        path,
        line,
        end_line,
        severity: severity_of(level),
        category: Category::Correctness,
        rule: d["code"]["value"].as_str().unwrap_or_default().to_owned(),
        message: d["message"].as_str().unwrap_or_default().to_owned(),
        suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    #[test]
    fn documents_and_lines() {
        let doc = r#"{"source":{"name":"staticcheck"},"severity":"WARNING","diagnostics":[
            {"message":"deprecated","location":{"path":"a.go","range":{"start":{"line":14,"column":1}}},"severity":"ERROR","code":{"value":"SA1019"}}]}"#;
        let found = parse(doc).unwrap();
        assert_eq!(found[0].tool, "staticcheck");
        assert_eq!(found[0].rule, "SA1019");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[0].line, 14);
        let lines = "{\"message\":\"x\",\"location\":{\"path\":\"b.go\",\"range\":{\"start\":{\"line\":2}}}}\n\n{\"message\":\"y\",\"location\":{\"path\":\"c.go\"}}\n";
        let found = parse_lines(lines).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].line, 0);
    }
}
