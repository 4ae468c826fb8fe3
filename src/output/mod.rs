//! Printers: search hits, documents, counts, facets, timelines, passages, documents and
//! statistics, in each output format.
//!
//! Printers write to any `io::Write` and never decide anything about terminals themselves: the
//! caller passes a [`Style`] saying whether to colour. Machine formats (`json`, `jsonl`, `csv`,
//! `tsv`) are a documented contract (docs/json.md) whose version is [`FORMAT_VERSION`]; text and
//! `cite` are for people.

mod csv;
mod json;
mod text;

pub use text::{write_document_text, write_passages_text, write_stats_text};

use crate::aggregate::Aggregates;
use crate::search::{DocumentResults, SearchResults};
use std::io::{self, Write};

/// The version of the machine-output contract (docs/json.md). It changes only when a field is
/// renamed, removed or changes meaning; new fields may appear without a change.
pub const FORMAT_VERSION: u32 = 1;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Human-readable text, coloured on request.
    Text,
    /// One JSON object.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One ready-to-paste citation per line.
    Cite,
}

/// How to render output.
#[derive(Debug, Clone, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
    /// For machine formats: only these fields (or columns), in this order.
    pub fields: Option<Vec<String>>,
}

/// Fields of a hit object, in their JSON order.
pub const HIT_FIELDS: &[&str] = &[
    "rank",
    "score",
    "doc_id",
    "passage_id",
    "ordinal",
    "path",
    "format",
    "title",
    "publisher",
    "authors",
    "date",
    "url",
    "tags",
    "kind",
    "lang",
    "page",
    "ocr",
    "ocr_confidence",
    "row",
    "line",
    "start",
    "end",
    "heading",
    "text",
    "extra",
    "indicators",
    "cite",
    "snippet",
    "highlights",
    "snippet_highlights",
    "context_before",
    "context_after",
    "explain",
    "also_in",
];

/// The CSV and TSV columns of hits when `--fields` is not given.
pub const HIT_COLUMNS: &[&str] = &[
    "rank",
    "score",
    "passage_id",
    "doc_id",
    "path",
    "page",
    "row",
    "line",
    "start",
    "end",
    "title",
    "publisher",
    "authors",
    "date",
    "url",
    "tags",
    "kind",
    "lang",
    "heading",
    "snippet",
    "text",
    "cite",
    "also_in",
    "ocr",
    "ocr_confidence",
];

/// Fields of a document object (`--group doc`), in their JSON order. CSV and TSV rows also
/// offer `passage_ids` and `snippet` (of the best passage).
pub const DOCUMENT_FIELDS: &[&str] = &[
    "rank",
    "score",
    "doc_id",
    "path",
    "format",
    "row",
    "title",
    "publisher",
    "authors",
    "date",
    "url",
    "kind",
    "lang",
    "cite",
    "matches",
    "passages",
    "passage_ids",
    "snippet",
];

/// The CSV and TSV columns of documents when `--fields` is not given.
pub const DOCUMENT_COLUMNS: &[&str] = &[
    "rank",
    "score",
    "doc_id",
    "path",
    "row",
    "title",
    "publisher",
    "authors",
    "date",
    "url",
    "kind",
    "lang",
    "matches",
    "passage_ids",
    "snippet",
    "cite",
];

/// Checks `--fields` names against the fields offered; the error names the first unknown one
/// and lists the rest.
pub fn check_fields(fields: &[String], grouped: bool) -> Result<(), String> {
    let known = if grouped { DOCUMENT_FIELDS } else { HIT_FIELDS };
    match fields.iter().find(|f| !known.contains(&f.as_str())) {
        Some(bad) => Err(format!(
            "unknown field '{bad}' (fields are {})",
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// Writes search results in `format`.
pub fn write_hits(
    out: &mut dyn Write,
    results: &SearchResults,
    format: OutputFormat,
    style: &Style,
) -> io::Result<()> {
    write_hits_page(out, results, format, style, true)
}

/// Writes one page of a result set written a page at a time: the first page as
/// [`write_hits`] does, the others without the CSV or TSV header. JSON (one object around
/// the hits) cannot be written in pages; it is written whole for every page.
pub fn write_hits_page(
    out: &mut dyn Write,
    results: &SearchResults,
    format: OutputFormat,
    style: &Style,
    first: bool,
) -> io::Result<()> {
    let fields = style.fields.as_deref();
    match format {
        OutputFormat::Text => text::write_hits(out, results, style),
        OutputFormat::Json => json::write_hits(out, results, fields),
        OutputFormat::Jsonl => json::write_lines(out, &results.hits, fields),
        OutputFormat::Csv | OutputFormat::Tsv => {
            let rows: Vec<serde_json::Value> = results
                .hits
                .iter()
                .map(|h| serde_json::to_value(h).unwrap_or_default())
                .collect();
            csv::write_rows(
                out,
                &rows,
                fields.unwrap_or(&owned(HIT_COLUMNS)),
                format,
                first,
            )
        }
        OutputFormat::Cite => {
            for h in &results.hits {
                writeln!(out, "{}", sanitize(&h.cite))?;
            }
            Ok(())
        }
    }
}

/// Writes grouped results (one entry per document) in `format`.
pub fn write_documents(
    out: &mut dyn Write,
    results: &DocumentResults,
    format: OutputFormat,
    style: &Style,
) -> io::Result<()> {
    let fields = style.fields.as_deref();
    match format {
        OutputFormat::Text => text::write_documents(out, results, style),
        OutputFormat::Json => json::write_documents(out, results, fields),
        OutputFormat::Jsonl => json::write_lines(out, &results.documents, fields),
        OutputFormat::Csv | OutputFormat::Tsv => {
            let rows: Vec<serde_json::Value> = results
                .documents
                .iter()
                .map(|d| {
                    let mut v = serde_json::to_value(d).unwrap_or_default();
                    let ids: Vec<serde_json::Value> = d
                        .passages
                        .iter()
                        .map(|p| p.passage.passage_id.clone().into())
                        .collect();
                    v["passage_ids"] = serde_json::Value::Array(ids);
                    v["snippet"] = d
                        .passages
                        .first()
                        .map(|p| p.snippet.clone())
                        .unwrap_or_default()
                        .into();
                    v
                })
                .collect();
            csv::write_rows(
                out,
                &rows,
                fields.unwrap_or(&owned(DOCUMENT_COLUMNS)),
                format,
                true,
            )
        }
        OutputFormat::Cite => {
            for d in &results.documents {
                writeln!(out, "{}", sanitize(&d.cite))?;
            }
            Ok(())
        }
    }
}

/// Writes counts, facets and a timeline in `format` (`cite` is not offered for them; it prints
/// as text).
pub fn write_aggregates(
    out: &mut dyn Write,
    query: &str,
    fingerprint: Option<&str>,
    aggregates: &Aggregates,
    format: OutputFormat,
    style: &Style,
) -> io::Result<()> {
    match format {
        OutputFormat::Text | OutputFormat::Cite => text::write_aggregates(out, aggregates, style),
        OutputFormat::Json => json::write_aggregates(out, query, fingerprint, aggregates),
        OutputFormat::Jsonl => json::write_aggregate_lines(out, aggregates),
        OutputFormat::Csv | OutputFormat::Tsv => csv::write_aggregates(out, aggregates, format),
    }
}

/// The columns of `quarry indicators` in CSV and TSV.
pub const INDICATOR_COLUMNS: &[&str] = &[
    "kind",
    "value",
    "passages",
    "documents",
    "first",
    "last",
    "publishers",
];

/// Writes the table of `quarry indicators`: JSON `{query, fingerprint, indicators: [...]}`,
/// one row object per line (jsonl), CSV/TSV with [`INDICATOR_COLUMNS`], or aligned text.
pub fn write_indicators(
    out: &mut dyn Write,
    query: &str,
    fingerprint: Option<&str>,
    rows: &[crate::indicators::list::Row],
    format: OutputFormat,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => write_json(
            out,
            &serde_json::json!({
                "query": query,
                "fingerprint": fingerprint,
                "indicators": rows,
            }),
        ),
        OutputFormat::Jsonl => write_jsonl(out, rows),
        OutputFormat::Csv | OutputFormat::Tsv => csv::write_rows(
            out,
            &rows
                .iter()
                .map(|r| serde_json::to_value(r).unwrap_or_default())
                .collect::<Vec<_>>(),
            &owned(INDICATOR_COLUMNS),
            format,
            true,
        ),
        OutputFormat::Text | OutputFormat::Cite => {
            let width = rows
                .iter()
                .map(|r| r.value.chars().count())
                .max()
                .unwrap_or(5)
                .clamp(5, 60);
            writeln!(
                out,
                "{:<8} {:<width$} {:>8} {:>9}  {:<10}  {:<10}  publishers",
                "kind", "value", "passages", "documents", "first", "last"
            )?;
            for r in rows {
                writeln!(
                    out,
                    "{:<8} {:<width$} {:>8} {:>9}  {:<10}  {:<10}  {}",
                    r.kind.name(),
                    sanitize(&r.value),
                    r.passages,
                    r.documents,
                    r.first.as_deref().unwrap_or("-"),
                    r.last.as_deref().unwrap_or("-"),
                    sanitize(&r.publishers.join("; "))
                )?;
            }
            Ok(())
        }
    }
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Writes any serialisable value as pretty JSON followed by a newline.
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes values as JSON Lines.
pub fn write_jsonl<T: serde::Serialize>(out: &mut dyn Write, values: &[T]) -> io::Result<()> {
    json::write_lines(out, values, None)
}

/// The bidirectional embedding, override and isolate controls.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Makes untrusted text safe for a terminal: control characters (escape sequences included)
/// and the bidirectional embedding, override and isolate controls (which can make text read
/// in another order than it is stored) become spaces.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_escape_sequences() {
        assert_eq!(sanitize("a\x1b[31mb\nc"), "a [31mb c");
        assert_eq!(sanitize("x\u{202e}fdp.exe\u{2066}y"), "x fdp.exe y");
        assert_eq!(
            sanitize("\u{200f}عربي"),
            "\u{200f}عربي",
            "marks that only hint stay"
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        assert!(check_fields(&["rank".into(), "cite".into()], false).is_ok());
        let e = check_fields(&["rank".into(), "nope".into()], false).unwrap_err();
        assert!(e.starts_with("unknown field 'nope'"), "{e}");
        assert!(check_fields(&["matches".into()], true).is_ok());
        assert!(check_fields(&["matches".into()], false).is_err());
    }

    #[test]
    fn default_columns_are_offered_fields() {
        assert!(check_fields(&owned(HIT_COLUMNS), false).is_ok());
        assert!(check_fields(&owned(DOCUMENT_COLUMNS), true).is_ok());
    }
}
