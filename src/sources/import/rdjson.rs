//! reviewdog's Diagnostic format: rdjson (one document) and rdjsonl (one diagnostic a line).

use serde_json::Value;

use super::{DropReason, Dropped, Report, Reported, json_error, severity_of};
use crate::finding::Category;

pub(super) fn parse(text: &str) -> Result<Report, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let tool = value["source"]["name"]
        .as_str()
        .unwrap_or("reviewdog")
        .to_owned();
    let default_level = value["severity"].as_str().unwrap_or("warning").to_owned();
    let diagnostics = match &value["diagnostics"] {
        Value::Array(diagnostics) => diagnostics,
        Value::Null => return Err("it has no `diagnostics`".to_owned()),
        _ => return Err("`diagnostics` must be an array".to_owned()),
    };
    let mut report = Report::default();
    for d in diagnostics {
        diagnostic(d, &tool, &default_level, &mut report);
    }
    Ok(report)
}

pub(super) fn parse_lines(text: &str) -> Result<Report, String> {
    let mut report = Report::default();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line = line.trim_start_matches('\u{feff}');
        let value: Value = serde_json::from_str(line).map_err(|e| {
            let what = e.to_string();
            let what = what
                .rsplit_once(" at line ")
                .map_or(what.as_str(), |(w, _)| w);
            format!("{what} at line {} column {}", number + 1, e.column())
        })?;
        let tool = value["source"]["name"]
            .as_str()
            .unwrap_or("reviewdog")
            .to_owned();
        diagnostic(&value, &tool, "warning", &mut report);
    }
    Ok(report)
}

fn diagnostic(d: &Value, tool: &str, default_level: &str, report: &mut Report) {
    let tool = d["source"]["name"].as_str().unwrap_or(tool).to_owned();
    let rule = d["code"]["value"].as_str().unwrap_or_default().to_owned();
    let message = d["message"].as_str().unwrap_or_default().trim().to_owned();
    let path = d["location"]["path"].as_str().filter(|p| !p.is_empty());
    let reason = match (path, message.is_empty()) {
        (None, _) => Some(DropReason::NoLocation),
        (_, true) => Some(DropReason::NoMessage),
        _ => None,
    };
    if let Some(reason) = reason {
        report.dropped.push(Dropped { tool, rule, reason });
        return;
    }
    let path = path.unwrap_or_default().to_owned();
    let start = &d["location"]["range"]["start"];
    let line = start["line"].as_u64().unwrap_or(0) as u32;
    let end_line = d["location"]["range"]["end"]["line"]
        .as_u64()
        .map_or(line, |l| l as u32)
        .max(line);
    let level = d["severity"].as_str().unwrap_or(default_level);
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
    report.reported.push(Reported {
        tool,
        path,
        line,
        end_line,
        severity: severity_of(level),
        category: Category::Correctness,
        rule,
        message,
        suggestion,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    #[test]
    fn documents_and_lines() {
        let doc = r#"{"source":{"name":"staticcheck"},"severity":"WARNING","diagnostics":[
            {"message":"deprecated","location":{"path":"a.go","range":{"start":{"line":14,"column":1}}},"severity":"ERROR","code":{"value":"SA1019"}}]}"#;
        let found = parse(doc).unwrap().reported;
        assert_eq!(found[0].tool, "staticcheck");
        assert_eq!(found[0].rule, "SA1019");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[0].line, 14);
        let lines = "{\"message\":\"x\",\"location\":{\"path\":\"b.go\",\"range\":{\"start\":{\"line\":2}}}}\r\n\r\n{\"message\":\"y\",\"location\":{\"path\":\"c.go\"}}\r\n{\"message\":\"\",\"location\":{\"path\":\"c.go\"}}\n";
        let report = parse_lines(lines).unwrap();
        assert_eq!(report.dropped.len(), 1);
        assert_eq!(report.dropped[0].reason, DropReason::NoMessage);
        let found = report.reported;
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].line, 0);
        let truncated = "{\"message\":\"x\"}\n{\"message\":\"y\",\"loc";
        assert_eq!(
            parse_lines(truncated).unwrap_err(),
            "EOF while parsing a string at line 2 column 19"
        );
    }
}
