//! Spreadsheets (`.xlsx`, `.xlsm`, `.xls`, `.ods`): each sheet a record set, a document per
//! row, cited as `book.xlsx!/Sheet name` and the row's number in the sheet.
//!
//! Workbooks are read by `calamine`. In each sheet the first row with a value is the header:
//! its cells name the columns (an empty one is `column N`), and the same column mapping as CSV
//! applies (recognised names, or `[records]` in quarry.toml). Lists of accounts and takedown
//! tables often have no text column: then every cell of a row, as `Header: value` lines, is its
//! text, and its first value its title. Dates are written `YYYY-MM-DD` (with the time when it is not midnight); numbers as
//! the sheet shows integers. The row number is the sheet's own (the header is usually row 1),
//! so a reader finds the row where the citation says.
//!
//! A workbook is held in memory while it is read (calamine builds each sheet as a rectangle of
//! cells), so it is read in a worker process under its memory limit, and its size is capped:
//! files over the size limit are skipped, and so are `.xlsx` and `.ods` files (ZIP archives)
//! whose parts declare more than 20 times the limit unpacked (a zip bomb). A sheet with two
//! cells a million rows apart costs the worker, not the indexer.

use super::{
    inner_path, records, safe_name, ContainerSummary, Extracted, Extractor, Failure, FailureKind,
    Isolate, Limits, Method, Part,
};
use crate::document::Format;
use calamine::{Data, Reader};
use serde_json::Value;
use std::path::Path;

/// The spreadsheet extractor.
pub const SPREADSHEET: Extractor = Extractor {
    format: Format::Spreadsheet,
    name: "spreadsheet",
    version: 1,
    extensions: &["xlsx", "xlsm", "xls", "ods"],
    isolate: Isolate::Always,
    method: Method::Container(workbook),
};

/// The most a workbook's ZIP parts may unpack to, as a multiple of the file size limit.
const MAX_UNPACKED_FACTOR: u64 = 20;

fn workbook(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure> {
    let len = std::fs::metadata(path)
        .map_err(|e| Failure::unreadable(&e))?
        .len();
    if len > limits.max_file_bytes {
        return Err(super::too_large(len, limits.max_file_bytes));
    }
    refuse_bombs(
        path,
        limits.max_file_bytes.saturating_mul(MAX_UNPACKED_FACTOR),
    )?;
    let mut book = calamine::open_workbook_auto(path).map_err(|e| {
        Failure::new(
            FailureKind::Corrupt,
            format!("not a readable spreadsheet ({e})"),
        )
    })?;
    let mut summary = ContainerSummary::default();
    let mut empty_rows = 0u64;
    for name in book.sheet_names() {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                summary
                    .warnings
                    .push(format!("sheet '{name}' skipped: {e}"));
                continue;
            }
        };
        let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
        let sheet_path = inner_path(display, &safe_name(&name));
        let mut rows = range.rows().enumerate();
        let Some(header) = rows
            .by_ref()
            .find(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
            .map(|(_, cells)| header_names(cells))
        else {
            continue;
        };
        let has_text_column = limits
            .mapping
            .text
            .iter()
            .any(|t| header.iter().any(|h| h.eq_ignore_ascii_case(t)))
            || records::TEXT_COLUMNS
                .iter()
                .any(|t| header.iter().any(|h| h.eq_ignore_ascii_case(t)));
        for (i, cells) in rows {
            let mut fields: Vec<(String, Value)> = header
                .iter()
                .zip(cells)
                .filter_map(|(h, c)| cell_text(c).map(|v| (h.clone(), Value::String(v))))
                .collect();
            if fields.is_empty() {
                continue;
            }
            if !has_text_column && limits.mapping.text.is_empty() {
                let text = fields
                    .iter()
                    .map(|(h, v)| format!("{h}: {}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n");
                // Named by its first value (an account's handle), not by "Header: value".
                let title = fields[0].1.clone();
                fields.insert(0, ("text".to_string(), Value::String(text)));
                if !records::TITLE_COLUMNS
                    .iter()
                    .any(|t| header.iter().any(|h| h.eq_ignore_ascii_case(t)))
                {
                    fields.insert(1, ("title".to_string(), title));
                }
            }
            // The sheet's own 1-based row number.
            let row = first_row + i as u64 + 1;
            match records::row_document(
                fields,
                row,
                &sheet_path,
                Format::Spreadsheet,
                limits.mapping,
            ) {
                Some(extracted) => summary.give(
                    sink,
                    Part::Document(Extracted {
                        warnings: Vec::new(),
                        ..extracted
                    }),
                )?,
                None => empty_rows += 1,
            }
        }
    }
    if empty_rows > 0 {
        summary.warnings.push(format!(
            "{empty_rows} row(s) without text skipped (map the text column under [records] in quarry.toml)"
        ));
    }
    if summary.parts == 0 {
        // Sheets that could not be read say why better than "no rows".
        if let Some(first) = summary.warnings.iter().find(|w| w.starts_with("sheet '")) {
            return Err(Failure::new(FailureKind::Corrupt, first.clone()));
        }
        return Err(Failure::new(FailureKind::NoText, "no rows with text"));
    }
    Ok(summary)
}

/// A ZIP-based workbook whose parts unpack to more than `max` bytes is refused before it is
/// read (by the sizes the archive declares; calamine then reads what they say).
fn refuse_bombs(path: &Path, max: u64) -> Result<(), Failure> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        // Not a ZIP: an `.xls`, or damage calamine will report.
        return Ok(());
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        if let Ok(entry) = archive.by_index_raw(i) {
            total = total.saturating_add(entry.size());
        }
    }
    if total > max {
        return Err(Failure::new(
            FailureKind::TooLarge,
            format!(
                "its parts unpack to {} MB, more than {} times the file size limit (a zip bomb?)",
                total / 1_000_000,
                MAX_UNPACKED_FACTOR
            ),
        ));
    }
    Ok(())
}

/// Column names from a header row: empty cells are `column N`, repeated names get `-2`, `-3`.
fn header_names(cells: &[Data]) -> Vec<String> {
    let mut seen = std::collections::HashMap::new();
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let name = cell_text(c).unwrap_or_else(|| format!("column {}", i + 1));
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                name
            } else {
                format!("{name}-{n}")
            }
        })
        .collect()
}

/// A cell as text, or `None` when it is empty or an error.
fn cell_text(cell: &Data) -> Option<String> {
    let s = match cell {
        Data::Empty | Data::Error(_) => return None,
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(d) => d.as_f64().to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    };
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_named_and_cells_written_as_shown() {
        let header = header_names(&[
            Data::String("Account".into()),
            Data::Empty,
            Data::String("Account".into()),
        ]);
        assert_eq!(header, ["Account", "column 2", "Account-2"]);
        assert_eq!(cell_text(&Data::Float(41.0)).as_deref(), Some("41"));
        assert_eq!(cell_text(&Data::Float(0.5)).as_deref(), Some("0.5"));
        assert_eq!(cell_text(&Data::String("  ".into())), None);
    }
}
