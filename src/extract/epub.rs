//! EPUB e-books and long reports: the chapters in spine (reading) order, their headings kept,
//! metadata from the package document (OPF).
//!
//! `META-INF/container.xml` names the package document; its `<metadata>` gives the title
//! (`dc:title`), authors (`dc:creator`), publisher, date, language, description and subjects
//! (as tags), and an `http(s)` identifier as the URL. Each spine item that is XHTML or HTML is
//! read by the HTML extractor (visible text, `h1`–`h6` headings) and the chapters are joined in
//! spine order, so a passage's heading is its chapter's. Lines are lines of the extracted text.
//! The archive is read from memory under the size limit; a chapter over [`MAX_CHAPTER_BYTES`]
//! unpacked is skipped with a warning. Runs in a worker process (a ZIP of XML, like DOCX).

use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::document::{Document, Format, Metadata, TextBuilder};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// The EPUB extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Epub,
    name: "epub",
    version: 1,
    extensions: &["epub"],
    isolate: Isolate::Always,
    method: Method::Document(extract),
};

/// The largest chapter (or package document) read, unpacked.
pub const MAX_CHAPTER_BYTES: u64 = 32_000_000;

fn corrupt(reason: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Corrupt, reason)
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The bytes of the member `name`, `None` when there is none.
fn member(archive: &mut Archive, name: &str) -> Result<Option<Vec<u8>>, Failure> {
    let entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(corrupt(format!("cannot read {name} ({e})"))),
    };
    let mut bytes = Vec::new();
    entry
        .take(MAX_CHAPTER_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| corrupt(format!("cannot unpack {name} ({e})")))?;
    if bytes.len() as u64 > MAX_CHAPTER_BYTES {
        return Err(Failure::new(
            FailureKind::TooLarge,
            format!(
                "{name} unpacks to more than {} MB",
                MAX_CHAPTER_BYTES / 1_000_000
            ),
        ));
    }
    Ok(Some(bytes))
}

/// The local name of a tag, without its namespace prefix, lower case.
fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

/// An attribute's value by local name, with the predefined entities resolved.
fn attribute(e: &quick_xml::events::BytesStart, key: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (local(a.key.as_ref()) == key).then(|| {
            a.value
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
    })
}

/// The package document's path, from `META-INF/container.xml`.
fn package_path(archive: &mut Archive) -> Result<String, Failure> {
    let xml = member(archive, "META-INF/container.xml")?
        .ok_or_else(|| corrupt("not an EPUB: no META-INF/container.xml"))?;
    let xml = String::from_utf8_lossy(&xml);
    let mut reader = Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if local(e.name().as_ref()) == "rootfile" => {
                if let Some(path) = attribute(&e, "full-path") {
                    return Ok(path);
                }
            }
            Ok(Event::Eof) => return Err(corrupt("container.xml names no package document")),
            Err(e) => return Err(corrupt(format!("invalid container.xml ({e})"))),
            _ => {}
        }
    }
}

/// What the package document says: metadata, the manifest and the spine.
#[derive(Default)]
struct Package {
    meta: Metadata,
    /// id → (href, media type)
    manifest: HashMap<String, (String, String)>,
    spine: Vec<String>,
}

fn package(xml: &[u8]) -> Result<Package, Failure> {
    let xml = String::from_utf8_lossy(xml);
    let mut reader = Reader::from_str(&xml);
    let mut out = Package::default();
    let mut field: Option<String> = None;
    let mut value = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| corrupt(format!("invalid package document ({e})")))?;
        match event {
            Event::Start(e) if matches!(local(e.name().as_ref()).as_str(), "item" | "itemref") => {
                item(&e, &mut out);
            }
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if matches!(
                    name.as_str(),
                    "title"
                        | "creator"
                        | "publisher"
                        | "date"
                        | "language"
                        | "description"
                        | "subject"
                        | "identifier"
                ) {
                    field = Some(name);
                    value.clear();
                }
            }
            Event::Empty(e) => item(&e, &mut out),
            Event::Text(t) if field.is_some() => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if field.is_some() => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    super::docx::named_entity(&r)
                };
                value.extend(c);
            }
            Event::End(e) => {
                let name = local(e.name().as_ref());
                if field.as_deref() == Some(name.as_str()) {
                    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
                    let m = &mut out.meta;
                    if !v.is_empty() {
                        match name.as_str() {
                            "title" if m.title.is_none() => m.title = Some(v),
                            "creator" => m.authors.push(v),
                            "publisher" if m.publisher.is_none() => m.publisher = Some(v),
                            "date" if m.date.is_none() => {
                                m.date = crate::date::PartialDate::parse(&v).map(|d| d.to_string())
                            }
                            "language" if m.lang.is_none() => m.lang = Some(v),
                            "description" if m.description.is_none() => m.description = Some(v),
                            "subject" => m.tags.push(v),
                            "identifier"
                                if m.url.is_none()
                                    && (v.starts_with("http://") || v.starts_with("https://")) =>
                            {
                                m.url = Some(v)
                            }
                            _ => {}
                        }
                    }
                    field = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// A manifest `<item>` or a spine `<itemref>`, written empty or not.
fn item(e: &quick_xml::events::BytesStart, out: &mut Package) {
    match local(e.name().as_ref()).as_str() {
        "item" => {
            if let (Some(id), Some(href)) = (attribute(e, "id"), attribute(e, "href")) {
                let media = attribute(e, "media-type").unwrap_or_default();
                out.manifest.insert(id, (href, media));
            }
        }
        "itemref" => {
            if let Some(id) = attribute(e, "idref") {
                out.spine.push(id);
            }
        }
        _ => {}
    }
}

/// `href` (relative to the folder of the package document at `base`, maybe %-encoded) as a
/// member name.
fn resolve(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or(href);
    let href = percent_encoding::percent_decode_str(href).decode_utf8_lossy();
    let mut parts: Vec<&str> = match base.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').filter(|p| !p.is_empty()).collect(),
        None => Vec::new(),
    };
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("not a zip archive ({e})")))?;
    let opf_path = package_path(&mut archive)?;
    let opf = member(&mut archive, &opf_path)?
        .ok_or_else(|| corrupt(format!("no package document {opf_path}")))?;
    let pkg = package(&opf)?;
    let Method::Document(html) = super::html::EXTRACTOR.method else {
        return Err(corrupt("no HTML extractor"));
    };
    let mut out = TextBuilder::new();
    let mut warnings = Vec::new();
    let mut line = 1u32;
    for id in &pkg.spine {
        let Some((href, media)) = pkg.manifest.get(id) else {
            continue;
        };
        if !(media.contains("html") || href.ends_with(".xhtml") || href.ends_with(".html")) {
            continue;
        }
        let name = resolve(&opf_path, href);
        let chapter = match member(&mut archive, &name) {
            Ok(Some(b)) => b,
            Ok(None) => {
                warnings.push(format!("chapter {name} is missing"));
                continue;
            }
            Err(e) => {
                warnings.push(format!("chapter {name} skipped: {e}"));
                continue;
            }
        };
        let Ok(read) = html(path, &chapter) else {
            warnings.push(format!("chapter {name} skipped: not readable HTML"));
            continue;
        };
        let doc = read.doc;
        for b in &doc.blocks {
            let text = doc.text.get(b.start..b.end).unwrap_or("");
            out.push(text, line, None, b.heading);
            line += text.matches('\n').count() as u32 + 2;
        }
    }
    let (text, blocks) = out.finish();
    if blocks.is_empty() {
        return Err(Failure::new(FailureKind::NoText, "no text in the book"));
    }
    let mut doc = Document::new(path, Format::Epub, (text, blocks));
    doc.meta = pkg.meta;
    super::title_or_file_name(&mut doc.meta, path);
    Ok(Extracted {
        doc,
        warnings,
        pages: None,
        ocr: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_resolve_against_the_package_folder() {
        assert_eq!(
            resolve("OEBPS/content.opf", "text/ch%201.xhtml#s2"),
            "OEBPS/text/ch 1.xhtml"
        );
        assert_eq!(resolve("OEBPS/content.opf", "../ch.xhtml"), "ch.xhtml");
        assert_eq!(resolve("content.opf", "ch.xhtml"), "ch.xhtml");
    }
}
