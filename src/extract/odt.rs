//! OpenDocument text (`.odt`): paragraphs, headings, tables and metadata, with the same bounded
//! decompression as DOCX. Runs isolated in a worker process.
//!
//! `content.xml` is streamed with quick-xml: `text:h` elements become headings (their
//! `text:outline-level`), `text:p` paragraphs, table rows blocks with cells joined by ` | `;
//! `text:s`, `text:tab` and `text:line-break` become spaces, tabs and line breaks. Title,
//! creator, creation date, language, keywords and description come from `meta.xml`.

use super::docx::{document_properties, named_entity, read_entry};
use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::document::{Document, Format, TextBuilder};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::Cursor;

/// The ODT extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Odt,
    name: "odt",
    version: 3,
    extensions: &["odt"],
    isolate: Isolate::Always,
    method: Method::Document(extract),
};

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Failure::new(
            FailureKind::Corrupt,
            format!("corrupt document: not a zip archive ({e})"),
        )
    })?;
    let content = read_entry(&mut archive, "content.xml")?.ok_or_else(|| {
        Failure::new(
            FailureKind::Corrupt,
            "corrupt document: no content.xml in the archive",
        )
    })?;
    let meta = read_entry(&mut archive, "meta.xml")?;
    let (text, blocks) = body_text(&content)?;
    if blocks.is_empty() {
        return Err(Failure::new(FailureKind::NoText, "no text in the document"));
    }
    let mut doc = Document::new(path, Format::Odt, (text, blocks));
    doc.meta = meta.as_deref().map(document_properties).unwrap_or_default();
    super::title_or_file_name(&mut doc.meta, path);
    Ok(Extracted::new(doc))
}

fn body_text(xml: &str) -> Result<(String, Vec<crate::document::Block>), Failure> {
    let mut reader = Reader::from_str(xml);
    let mut out = TextBuilder::new();
    let mut current = String::new();
    let mut heading: Option<u8> = None;
    // Depth of text:p / text:h elements we are inside (notes and frames can nest paragraphs).
    let mut depth = 0usize;
    let mut cells: Vec<String> = Vec::new();
    let mut in_table = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            Failure::new(
                FailureKind::Corrupt,
                format!("corrupt document: invalid XML ({e})"),
            )
        })?;
        match event {
            Event::Start(e) => match e.local_name().into_inner() {
                "p" | "h" => {
                    depth += 1;
                    if e.local_name().into_inner() == "h" {
                        heading = e
                            .try_get_attribute("text:outline-level")
                            .ok()
                            .flatten()
                            .and_then(|a| a.value.parse::<u8>().ok())
                            .map(|l| l.clamp(1, 6))
                            .or(Some(1));
                    }
                }
                "table" => in_table += 1,
                "table-row" => cells.clear(),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().into_inner() {
                "s" => {
                    let n = e
                        .try_get_attribute("text:c")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.parse::<usize>().ok())
                        .unwrap_or(1);
                    current.extend(std::iter::repeat_n(' ', n.min(100)));
                }
                "tab" => current.push('\t'),
                "line-break" => current.push('\n'),
                _ => {}
            },
            Event::Text(t) if depth > 0 => current.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if depth > 0 => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    named_entity(&r)
                };
                current.extend(c);
            }
            Event::End(e) => match e.local_name().into_inner() {
                "p" | "h" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        if in_table > 0 {
                            if !current.trim().is_empty() {
                                cells.push(current.trim().to_string());
                            }
                        } else {
                            let line = out.next_text_line();
                            out.push(&current, line, None, heading);
                        }
                        current.clear();
                        heading = None;
                    }
                }
                "table-row" if in_table > 0 => {
                    let line = out.next_text_line();
                    out.push(&cells.join(" | "), line, None, None);
                    cells.clear();
                }
                "table" => in_table = in_table.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_spaces_and_tables() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="b"><office:body><office:text>
            <text:h text:outline-level="2">Findings</text:h>
            <text:p>Two<text:s text:c="2"/>spaces &amp; a <text:span>span</text:span>.</text:p>
            <table:table><table:table-row><table:table-cell><text:p>A</text:p></table:table-cell><table:table-cell><text:p>41</text:p></table:table-cell></table:table-row></table:table>
        </office:text></office:body></office:document-content>"#;
        let (text, blocks) = body_text(xml).unwrap();
        assert_eq!(text, "Findings\n\nTwo  spaces & a span.\n\nA | 41");
        assert_eq!(blocks[0].heading, Some(2));
    }

    #[test]
    fn meta_xml() {
        let xml = r#"<office:document-meta xmlns:office="o" xmlns:meta="m" xmlns:dc="d"><office:meta>
            <dc:title>Memo</dc:title><meta:initial-creator>A. Writer</meta:initial-creator>
            <meta:creation-date>2023-05-02T09:30:00</meta:creation-date><dc:language>en-GB</dc:language>
            <dc:creator>Last Editor</dc:creator><meta:keyword>memo</meta:keyword><meta:keyword>odt</meta:keyword></office:meta></office:document-meta>"#;
        let m = document_properties(xml);
        assert_eq!(m.title.as_deref(), Some("Memo"));
        assert_eq!(m.authors, ["A. Writer"]);
        assert_eq!(m.date.as_deref(), Some("2023-05-02"));
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(m.tags, ["memo", "odt"]);
    }
}
