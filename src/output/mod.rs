//! Printers: search hits, passages, documents and statistics, in each output format.
//!
//! Printers write to any `io::Write` and never decide anything about terminals themselves: the
//! caller passes a [`Style`] saying whether to colour. Machine formats (`json`, `jsonl`, `csv`)
//! are a documented contract (docs/json.md); text is for people and may change.

mod csv;
mod json;
mod text;

pub use text::{write_document_text, write_passages_text, write_stats_text};

use crate::search::SearchResults;
use std::io::{self, Write};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable text, coloured on request.
    Text,
    /// One JSON array (or object, for `show` and `stats`).
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// How to render text output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

/// Writes search results in `format`.
pub fn write_hits(
    out: &mut dyn Write,
    results: &SearchResults,
    format: OutputFormat,
    style: Style,
) -> io::Result<()> {
    match format {
        OutputFormat::Text => text::write_hits(out, results, style),
        OutputFormat::Json => json::write_array(out, &results.hits),
        OutputFormat::Jsonl => json::write_lines(out, &results.hits),
        OutputFormat::Csv => csv::write_hits(out, &results.hits),
    }
}

/// Writes any serialisable value as pretty JSON followed by a newline.
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes values as JSON Lines.
pub fn write_jsonl<T: serde::Serialize>(out: &mut dyn Write, values: &[T]) -> io::Result<()> {
    json::write_lines(out, values)
}

/// Makes untrusted text safe for a terminal: control characters (escape sequences included)
/// become spaces.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_escape_sequences() {
        assert_eq!(sanitize("a\x1b[31mb\nc"), "a [31mb c");
    }
}
