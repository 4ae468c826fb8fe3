//! CSV and TSV printers: a header row, then one row per result.
//!
//! Cells come from the result's JSON value, so columns carry the same names and meanings as JSON
//! fields: null is an empty cell, lists of strings are joined with `; `, other lists and objects
//! are compact JSON. CSV quotes as RFC 4180 says; TSV never quotes, and tabs and line breaks
//! inside values become spaces, so `cut -f` and `awk -F'\t'` read it safely. Both strip
//! control characters (escape sequences, BEL) and bidi overrides from document text, since the
//! output may reach a terminal; CSV keeps line breaks and tabs inside quoted cells.

use super::OutputFormat;
use crate::aggregate::Aggregates;
use serde_json::Value;
use std::io::{self, Write};

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

fn table(out: &mut dyn Write, rows: Vec<Vec<String>>, format: OutputFormat) -> io::Result<()> {
    if format == OutputFormat::Tsv {
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| super::sanitize(c)).collect();
            writeln!(out, "{}", cells.join("\t"))?;
        }
        return Ok(());
    }
    let mut w = csv::Writer::from_writer(out);
    for row in rows {
        let row: Vec<String> = row.iter().map(|c| keep_lines(c)).collect();
        w.write_record(&row).map_err(into_io)?;
    }
    w.flush()
}

/// A CSV cell made safe for a terminal: line breaks and tabs are kept (quoted fields may hold
/// them), every other control character and bidi override becomes a space, as in
/// [`super::sanitize`].
fn keep_lines(cell: &str) -> String {
    if !cell
        .chars()
        .any(|c| c.is_control() || super::is_bidi_control(c))
    {
        return cell.to_string();
    }
    cell.split('\n')
        .map(|line| {
            line.split('\t')
                .map(super::sanitize)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes rows of `columns` taken from each JSON object in `rows`, after a header row when
/// `header` is true (false continues a table written earlier).
pub fn write_rows(
    out: &mut dyn Write,
    rows: &[Value],
    columns: &[String],
    format: OutputFormat,
    header: bool,
) -> io::Result<()> {
    let mut table_rows = if header {
        vec![columns.to_vec()]
    } else {
        Vec::new()
    };
    for r in rows {
        table_rows.push(columns.iter().map(|c| cell(r.get(c))).collect());
    }
    table(out, table_rows, format)
}

/// Writes aggregates: columns `kind, facet, value, passages, documents`, where `kind` is
/// `total`, `facet`, `period` (the period in `value`) or `undated`.
pub fn write_aggregates(
    out: &mut dyn Write,
    a: &Aggregates,
    format: OutputFormat,
) -> io::Result<()> {
    let mut rows = vec![vec![
        "kind".to_string(),
        "facet".to_string(),
        "value".to_string(),
        "passages".to_string(),
        "documents".to_string(),
    ]];
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        a.total.passages.to_string(),
        a.total.documents.to_string(),
    ]);
    for f in &a.facets {
        for v in &f.values {
            rows.push(vec![
                "facet".into(),
                f.field.clone(),
                v.value.clone(),
                v.passages.to_string(),
                v.documents.to_string(),
            ]);
        }
    }
    if let Some(t) = &a.timeline {
        for b in &t.buckets {
            rows.push(vec![
                "period".into(),
                String::new(),
                b.period.clone(),
                b.passages.to_string(),
                b.documents.to_string(),
            ]);
        }
        rows.push(vec![
            "undated".into(),
            String::new(),
            String::new(),
            t.undated.passages.to_string(),
            t.undated.documents.to_string(),
        ]);
    }
    table(out, rows, format)
}

fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let rows = vec![vec![
            "a\x1b]52;c;ZXZpbA==\x07b\u{202e}c\nnext\tcol".to_string()
        ]];
        let mut csv = Vec::new();
        table(&mut csv, rows.clone(), OutputFormat::Csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv, "\"a ]52;c;ZXZpbA== b c\nnext\tcol\"\n");
        let mut tsv = Vec::new();
        table(&mut tsv, rows, OutputFormat::Tsv).unwrap();
        assert_eq!(
            String::from_utf8(tsv).unwrap(),
            "a ]52;c;ZXZpbA== b c next col\n"
        );
    }
}
