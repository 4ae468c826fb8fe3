//! Word documents (`.docx`): paragraphs, headings, tables and core properties, with bounded
//! decompression. Runs isolated in a worker process.
//!
//! The zip archive is read with the `zip` crate and `word/document.xml` streamed with quick-xml.
//! Paragraph styles `Title` and `Heading1`–`Heading6` become headings; table rows become
//! blocks with cells joined by ` | `. Title, creator, created date, language, keywords and
//! description come from `docProps/core.xml`. An entry that expands beyond [`MAX_XML_BYTES`]
//! is refused as a possible zip bomb without being inflated further. Line numbers are lines of
//! the extracted text.

use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::date::PartialDate;
use crate::document::{Document, Format, Metadata, TextBuilder};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{Cursor, Read};

/// The DOCX extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Docx,
    name: "docx",
    version: 3,
    extensions: &["docx"],
    isolate: Isolate::Always,
    method: Method::Document(extract),
};

/// The largest uncompressed XML part quarry will inflate.
pub const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;

fn corrupt(detail: impl std::fmt::Display) -> Failure {
    Failure::new(FailureKind::Corrupt, format!("corrupt document: {detail}"))
}

/// Reads one entry of the archive, refusing to inflate more than [`MAX_XML_BYTES`].
pub(super) fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, Failure> {
    let entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(corrupt(e)),
    };
    let too_big = || {
        Failure::new(
            FailureKind::TooLarge,
            format!(
                "{name} expands to more than {} MB (possible zip bomb); not inflated",
                MAX_XML_BYTES / 1024 / 1024
            ),
        )
    };
    if entry.size() > MAX_XML_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    entry
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(corrupt)?;
    if bytes.len() as u64 > MAX_XML_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| corrupt(format!("{name} is not UTF-8")))
}

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("not a zip archive ({e})")))?;
    let body = read_entry(&mut archive, "word/document.xml")?
        .ok_or_else(|| corrupt("no word/document.xml in the archive"))?;
    let core = read_entry(&mut archive, "docProps/core.xml")?;
    let (text, blocks) = body_text(&body)?;
    if blocks.is_empty() {
        return Err(Failure::new(FailureKind::NoText, "no text in the document"));
    }
    let mut doc = Document::new(path, Format::Docx, (text, blocks));
    doc.meta = core.as_deref().map(document_properties).unwrap_or_default();
    super::title_or_file_name(&mut doc.meta, path);
    Ok(Extracted::new(doc))
}

pub(super) fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Text and blocks of `word/document.xml`.
fn body_text(xml: &str) -> Result<(String, Vec<crate::document::Block>), Failure> {
    let mut reader = Reader::from_str(xml);
    let mut out = TextBuilder::new();
    let mut paragraph = String::new();
    let mut heading: Option<u8> = None;
    let mut in_text = false;
    let mut cells: Vec<String> = Vec::new();
    let mut table_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| corrupt(format!("invalid XML ({e})")))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().into_inner() {
                "t" => in_text = true,
                "tab" => paragraph.push('\t'),
                "br" | "cr" => paragraph.push('\n'),
                "pStyle" => {
                    if let Ok(Some(val)) = e.try_get_attribute("w:val") {
                        heading = heading_level(&val.value);
                    }
                }
                "tbl" => table_depth += 1,
                "tr" => cells.clear(),
                _ => {}
            },
            Event::Text(t) if in_text => paragraph.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    named_entity(&r)
                };
                paragraph.extend(c);
            }
            Event::End(e) => match e.local_name().into_inner() {
                "t" => in_text = false,
                "p" => {
                    if table_depth > 0 {
                        if !paragraph.trim().is_empty() {
                            cells.push(paragraph.trim().to_string());
                        }
                    } else {
                        let line = out.next_text_line();
                        out.push(&paragraph, line, None, heading);
                    }
                    paragraph.clear();
                    heading = None;
                }
                "tr" if table_depth > 0 => {
                    let line = out.next_text_line();
                    out.push(&cells.join(" | "), line, None, None);
                    cells.clear();
                }
                "tbl" => table_depth = table_depth.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out.finish())
}

fn heading_level(style: &str) -> Option<u8> {
    let s = style.to_ascii_lowercase();
    if s == "title" {
        return Some(1);
    }
    let n = s.strip_prefix("heading")?.trim();
    match n.parse::<u8>() {
        Ok(level @ 1..=6) => Some(level),
        _ => None,
    }
}

/// Metadata from an office document's properties: `docProps/core.xml` (DOCX) or `meta.xml`
/// (ODT). Both use Dublin Core elements, with a few names of their own: the author is
/// `initial-creator` in ODT (where `creator` is the last editor) and `creator` in DOCX.
pub(super) fn document_properties(xml: &str) -> Metadata {
    let mut reader = Reader::from_str(xml);
    let mut meta = Metadata::default();
    let mut initial_creator = false;
    let mut current: Option<String> = None;
    let mut value = String::new();
    let split = |v: &str, seps: &[char]| -> Vec<String> {
        v.split(seps)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) => {
                current = Some(e.local_name().into_inner().to_string());
                value.clear();
            }
            Event::Text(t) => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => value.extend(named_entity(&r)),
            Event::End(_) => {
                let v = value.trim().to_string();
                match current.take().as_deref() {
                    _ if v.is_empty() => {}
                    Some("title") => meta.title = Some(v),
                    Some("initial-creator") => {
                        meta.authors = split(&v, &[';']);
                        initial_creator = true;
                    }
                    Some("creator") if !initial_creator => meta.authors = split(&v, &[';']),
                    // When the file was made, which for a re-saved or converted report is not
                    // when it was published: a guess that a folder default replaces.
                    Some("created") | Some("creation-date") => {
                        meta.date = PartialDate::parse(&v).map(|d| d.to_string());
                        if meta.date.is_some() {
                            meta.guess("date");
                        }
                    }
                    Some("language") => {
                        let primary = v.split(['-', '_']).next().unwrap_or(&v);
                        meta.lang = Some(primary.to_ascii_lowercase());
                    }
                    Some("keywords") | Some("keyword") => meta.tags.extend(split(&v, &[',', ';'])),
                    Some("description") | Some("subject") => {
                        meta.description.get_or_insert(v);
                    }
                    _ => {}
                }
                value.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_headings_tables_and_entities() {
        let xml = r#"<w:document xmlns:w="x"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Memo</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Cats &amp; dogs </w:t></w:r><w:r><w:t>agree.</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>41</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            <w:p><w:r><w:t>End</w:t></w:r></w:p>
        </w:body></w:document>"#;
        let (text, blocks) = body_text(xml).unwrap();
        assert_eq!(text, "Memo\n\nCats & dogs agree.\n\nA | 41\n\nEnd");
        assert_eq!(blocks[0].heading, Some(1));
        assert_eq!(blocks[1].heading, None);
    }

    #[test]
    fn core_properties_are_read() {
        let xml = r#"<cp:coreProperties xmlns:cp="a" xmlns:dc="b" xmlns:dcterms="c">
            <dc:title>Memo</dc:title><dc:creator>A. Writer</dc:creator>
            <dcterms:created>2023-05-02T09:00:00Z</dcterms:created><dc:language>en-GB</dc:language>
            <cp:keywords>memo, reporting</cp:keywords></cp:coreProperties>"#;
        let m = document_properties(xml);
        assert_eq!(m.title.as_deref(), Some("Memo"));
        assert_eq!(m.authors, ["A. Writer"]);
        assert_eq!(m.date.as_deref(), Some("2023-05-02"));
        assert!(
            m.is_guess("date"),
            "a creation date gives way to a folder default"
        );
        assert_eq!(m.lang.as_deref(), Some("en"));
        assert_eq!(m.tags, ["memo", "reporting"]);
    }

    #[test]
    fn not_a_zip_is_corrupt() {
        let err = extract("x.docx", b"PK\x03\x04garbage").unwrap_err();
        assert_eq!(err.kind, FailureKind::Corrupt);
    }
}
