//! Publishers: one renderer per output format, each turning a [`Review`] into bytes.
//!
//! - [`text`]: findings grouped by file, for a terminal or a pipeline log.
//! - [`json`]: the stable machine-readable shape of the contract (`review --format json`).
//! - [`sarif`]: SARIF 2.1.0, for code-scanning viewers (GitHub, the Azure DevOps SARIF tab).
//! - [`markdown`]: the walkthrough that becomes the pull request's summary comment.
//!
//! Renderers only read the review: they never filter, reorder by importance, or decide exit
//! codes (`--fail-on` belongs to the caller). They know nothing about Azure DevOps' REST API;
//! the pull-request publisher posts what [`markdown`] renders.

pub(crate) mod azure;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod sarif;
pub(crate) mod text;

#[cfg(test)]
mod fixtures;

use crate::review::Review;
use serde::Serialize;
use std::fmt;
use std::io::{self, Write};

/// What `review --format` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Format {
    /// Findings grouped by file, for people.
    #[default]
    Text,
    /// The contract's JSON shape, for programs.
    Json,
    /// SARIF 2.1.0, for code-scanning viewers.
    Sarif,
    /// The pull-request summary walkthrough.
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Sarif, Format::Markdown];

    /// Whether the format is data for programs (then logging commands go to stderr).
    pub fn is_data(self) -> bool {
        matches!(self, Format::Json | Format::Sarif)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Markdown => "markdown",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to render, beyond the format itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RenderOptions {
    /// Colour the text format with ANSI escapes. Other formats ignore it.
    pub color: bool,
}

impl RenderOptions {
    /// Options for writing to standard output: colour only on a terminal, and only while
    /// `NO_COLOR` is unset or empty (<https://no-color.org>). Pipeline logs are not terminals.
    pub(crate) fn for_stdout(no_color: bool) -> Self {
        use std::io::IsTerminal;
        RenderOptions {
            color: color_allowed(io::stdout().is_terminal(), no_color),
        }
    }
}

/// Whether colour may be used, given whether the output is a terminal and the value of
/// `NO_COLOR`.
pub(crate) fn color_allowed(is_terminal: bool, no_color: bool) -> bool {
    is_terminal && !no_color
}

/// Renders `review` in `format` without colour.
pub(crate) fn render(format: Format, review: &Review, out: &mut dyn Write) -> io::Result<()> {
    render_with(format, review, RenderOptions::default(), out)
}

/// Renders `review` in `format` with `options`.
pub(crate) fn render_with(
    format: Format,
    review: &Review,
    options: RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::render_with(
            review,
            text::Options {
                color: options.color,
            },
            out,
        ),
        Format::Json => json::render(review, out),
        Format::Sarif => sarif::render(review, out),
        Format::Markdown => markdown::render(review, out),
    }
}

/// A revision as people read it: the first 8 hex digits of a full object id (as Azure DevOps
/// shows commits), anything else unchanged.
pub(crate) fn short_revision(revision: &str) -> &str {
    if revision.len() > 8 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        &revision[..8]
    } else {
        revision
    }
}

/// `1 file`, `2 files`.
pub(crate) fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// Writes `value` as pretty JSON followed by a newline.
///
/// Every `##` inside a string is written as `#\u0023`: the same JSON value, but a line of the
/// output can never read as an Azure Pipelines logging command (`##vso[…]`, `##[…]`) when the
/// output lands in a build log, whatever a path or a message contains.
pub(crate) fn write_json<T: Serialize + ?Sized>(value: &T, out: &mut dyn Write) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut *out,
        LogSafeFormatter(serde_json::ser::PrettyFormatter::with_indent(b"  ")),
    );
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// serde_json's pretty printer, with `##` in strings escaped (see [`write_json`]).
struct LogSafeFormatter<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for LogSafeFormatter<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // A fragment is a run of characters that need no escape; two fragments are always
        // separated by an escape, so a `##` can never straddle two of them.
        let mut rest = fragment;
        while let Some(at) = rest.find("##") {
            writer.write_all(&rest.as_bytes()[..=at])?;
            writer.write_all(b"\\u0023")?;
            rest = &rest[at + 2..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn format_names_are_the_contract_names() {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(ValueEnum::to_possible_value)
            .map(|v| v.get_name().to_owned())
            .collect();
        assert_eq!(names, ["text", "json", "sarif", "markdown"]);
        for format in Format::ALL {
            assert_eq!(Format::from_str(format.as_str(), false), Ok(format));
        }
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(color_allowed(true, false));
        assert!(!color_allowed(true, true));
        assert!(!color_allowed(false, false));
    }

    #[test]
    fn short_revision_shortens_object_ids_only() {
        assert_eq!(
            short_revision("0123456789abcdef0123456789abcdef01234567"),
            "01234567"
        );
        assert_eq!(short_revision("HEAD~1"), "HEAD~1");
        assert_eq!(short_revision("abc"), "abc");
    }

    #[test]
    fn json_output_never_contains_a_logging_command() {
        let value = serde_json::json!({"message": "##vso[task.setvariable variable=x]1 and ###"});
        let mut out = Vec::new();
        write_json(&value, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("##"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn every_format_renders_the_realistic_review() {
        let review = fixtures::realistic();
        for format in Format::ALL {
            let mut out = Vec::new();
            render(format, &review, &mut out).unwrap();
            assert!(!out.is_empty(), "{format}");
        }
    }
}
