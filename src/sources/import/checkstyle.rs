//! checkstyle XML (`<checkstyle><file name><error line severity message source/></file>`), as
//! ESLint, golangci-lint, ktlint and many others write it.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{DropReason, Dropped, Report, Reported, severity_of};
use crate::finding::Category;

pub(super) fn parse(text: &str) -> Result<Report, String> {
    let mut reader = Reader::from_str(text);
    let mut report = Report::default();
    let mut file: Option<String> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            let (line, column) = position(text, reader.error_position());
            format!("{e} at line {line} column {column}")
        })?;
        match event {
            Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"file" => {
                file = attribute(&element, b"name");
            }
            Event::Start(element) | Event::Empty(element)
                if element.name().as_ref() == b"error" =>
            {
                let source = attribute(&element, b"source").unwrap_or_default();
                let (tool, rule) = split_source(&source);
                let line: u32 = match attribute(&element, b"line") {
                    None => 0,
                    Some(line) => line.trim().parse().map_err(|_| {
                        let (at_line, _) = position(text, at);
                        format!(
                            "the `line` of the <error> at line {at_line} is `{line}`, not a number"
                        )
                    })?,
                };
                let message = attribute(&element, b"message")
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .or_else(|| (!source.is_empty()).then(|| source.clone()));
                let (Some(path), Some(message)) = (file.clone(), message) else {
                    let reason = if file.is_none() {
                        DropReason::NoLocation
                    } else {
                        DropReason::NoMessage
                    };
                    report.dropped.push(Dropped { tool, rule, reason });
                    continue;
                };
                report.reported.push(Reported {
                    tool,
                    path,
                    line,
                    end_line: line,
                    severity: severity_of(
                        &attribute(&element, b"severity").unwrap_or_else(|| "warning".into()),
                    ),
                    category: Category::Correctness,
                    rule,
                    message,
                    suggestion: None,
                });
            }
            Event::End(element) if element.name().as_ref() == b"file" => file = None,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(report)
}

/// The 1-based line and column of byte `offset` of `text`.
fn position(text: &str, offset: u64) -> (usize, usize) {
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let before = text.as_bytes().get(..offset).unwrap_or_default();
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, column)
}

fn attribute(element: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `eslint.rules.no-unused-vars` → (`eslint`, `no-unused-vars`); a bare source is the rule.
fn split_source(source: &str) -> (String, String) {
    if let Some(rule) = source.strip_prefix("eslint.rules.") {
        return ("eslint".to_owned(), rule.to_owned());
    }
    match source.split_once('.') {
        Some((tool, rule)) if !tool.is_empty() && !rule.is_empty() => {
            (tool.to_owned(), rule.to_owned())
        }
        _ => ("checkstyle".to_owned(), source.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    #[test]
    fn files_and_errors() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><checkstyle version="4.3">
            <file name="/src/a.js"><error line="3" column="7" severity="error" message="&apos;x&apos; is unused" source="eslint.rules.no-unused-vars"/></file>
            <file name="b.kt"><error line="1" severity="warning" message="Wildcard import" source="standard:no-wildcard-imports"/></file></checkstyle>"#;
        let found = parse(xml).unwrap().reported;
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].message, "'x' is unused");
        assert_eq!(found[0].tool, "eslint");
        assert_eq!(found[0].rule, "no-unused-vars");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[1].path, "b.kt");
        assert_eq!(found[1].severity, Severity::Minor);
    }
}
