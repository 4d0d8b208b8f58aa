//! checkstyle XML (`<checkstyle><file name><error line severity message source/></file>`), as
//! ESLint, golangci-lint, ktlint and many others write it.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{Reported, severity_of};
use crate::finding::Category;

pub fn parse(text: &str) -> Result<Vec<Reported>, String> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    let mut file: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(element) | Event::Empty(element) if element.name().as_ref() == b"file" => {
                file = attribute(&element, b"name");
            }
            Event::Start(element) | Event::Empty(element)
                if element.name().as_ref() == b"error" =>
            {
                let Some(path) = file.clone() else { continue };
                let line: u32 = attribute(&element, b"line")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let source = attribute(&element, b"source").unwrap_or_default();
                let (tool, rule) = split_source(&source);
                out.push(Reported {
                    tool,
                    path,
                    line,
                    end_line: line,
                    severity: severity_of(
                        &attribute(&element, b"severity").unwrap_or_else(|| "warning".into()),
                    ),
                    category: Category::Correctness,
                    rule,
                    message: attribute(&element, b"message").unwrap_or_default(),
                    suggestion: None,
                });
            }
            Event::End(element) if element.name().as_ref() == b"file" => file = None,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
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
        let found = parse(xml).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].message, "'x' is unused");
        assert_eq!(found[0].tool, "eslint");
        assert_eq!(found[0].rule, "no-unused-vars");
        assert_eq!(found[0].severity, Severity::Major);
        assert_eq!(found[1].path, "b.kt");
        assert_eq!(found[1].severity, Severity::Minor);
    }
}
