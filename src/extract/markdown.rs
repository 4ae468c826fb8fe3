//! Markdown (`.md`, `.markdown`), with optional YAML or TOML front matter.
//!
//! The front matter gives the metadata ([`super::frontmatter`]). The body is parsed with
//! pulldown-cmark and rendered to plain text block by block: paragraphs, headings, list items,
//! table rows (cells joined with ` | `), code blocks. Markup, link targets and raw HTML are
//! dropped; link and image text is kept. Each block records the source line it starts on, so a
//! passage cites `file.md:LINE` as an editor shows it. The title is the front matter's, else the
//! first level-1 heading, else the file name.

use super::frontmatter;
use super::{decode_text, Extracted, Extractor, Failure, Isolate, Method};
use crate::document::{Document, Format, Metadata, TextBuilder};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// The Markdown extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Markdown,
    name: "markdown",
    version: 2,
    extensions: &["md", "markdown", "mdown", "mkd"],
    isolate: Isolate::Never,
    method: Method::Document(extract),
};

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let source = decode_text(bytes)?;
    let mut meta = Metadata::default();
    let mut warnings = Vec::new();
    let (body, line_offset) = match frontmatter::split(&source) {
        Some(fm) => {
            match frontmatter::parse(&fm) {
                Ok(map) => warnings.extend(frontmatter::metadata_from_map(map, &mut meta)),
                Err(e) => warnings.push(format!("{e}; front matter ignored")),
            }
            (fm.body, fm.body_line_offset)
        }
        None => (source.as_str(), 0),
    };
    let (text, blocks, first_h1) = render(body, line_offset);
    if meta.title.is_none() {
        meta.title = first_h1;
    }
    super::title_or_file_name(&mut meta, path);
    Ok(Extracted {
        doc: Document {
            path: path.to_string(),
            row: None,
            source: None,
            format: Format::Markdown,
            meta,
            text,
            blocks,
        },
        warnings,
        pages: None,
        ocr: None,
    })
}

/// A block being rendered: its text, source line and heading level.
struct Pending {
    text: String,
    line: u32,
    heading: Option<u8>,
}

/// Renders a Markdown body to text and blocks. `line_offset` is the number of source lines
/// before `body`. Also returns the text of the first level-1 heading.
fn render(body: &str, line_offset: u32) -> (String, Vec<crate::document::Block>, Option<String>) {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |byte: usize| -> u32 {
        let idx = line_starts.partition_point(|&s| s <= byte);
        idx as u32 + line_offset
    };

    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut out = TextBuilder::new();
    let mut pending: Option<Pending> = None;
    let mut first_h1: Option<String> = None;
    let flush = |pending: &mut Option<Pending>, out: &mut TextBuilder, h1: &mut Option<String>| {
        if let Some(p) = pending.take() {
            if p.heading == Some(1) && h1.is_none() && !p.text.trim().is_empty() {
                *h1 = Some(p.text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            out.push(&p.text, p.line, None, p.heading);
        }
    };

    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                let heading = match &tag {
                    Tag::Heading { level, .. } => Some(*level as u8),
                    _ => None,
                };
                let starts_block = matches!(
                    tag,
                    Tag::Paragraph
                        | Tag::Heading { .. }
                        | Tag::CodeBlock(_)
                        | Tag::Item
                        | Tag::TableHead
                        | Tag::TableRow
                        | Tag::DefinitionListTitle
                        | Tag::DefinitionListDefinition
                        | Tag::FootnoteDefinition(_)
                        | Tag::HtmlBlock
                );
                if starts_block {
                    flush(&mut pending, &mut out, &mut first_h1);
                    if !matches!(tag, Tag::HtmlBlock) {
                        pending = Some(Pending {
                            text: String::new(),
                            line: line_of(range.start),
                            heading,
                        });
                    }
                } else if matches!(tag, Tag::TableCell) {
                    if let Some(p) = &mut pending {
                        if !p.text.is_empty() {
                            p.text.push_str(" | ");
                        }
                    }
                }
            }
            Event::End(tag) => {
                if matches!(
                    tag,
                    TagEnd::Paragraph
                        | TagEnd::Heading(_)
                        | TagEnd::CodeBlock
                        | TagEnd::Item
                        | TagEnd::TableHead
                        | TagEnd::TableRow
                        | TagEnd::DefinitionListTitle
                        | TagEnd::DefinitionListDefinition
                        | TagEnd::FootnoteDefinition
                ) {
                    flush(&mut pending, &mut out, &mut first_h1);
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                pending
                    .get_or_insert_with(|| Pending {
                        text: String::new(),
                        line: line_of(range.start),
                        heading: None,
                    })
                    .text
                    .push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(p) = &mut pending {
                    p.text.push('\n');
                }
            }
            // Raw HTML, footnote markers, rules and task markers carry no prose.
            _ => {}
        }
    }
    flush(&mut pending, &mut out, &mut first_h1);
    let (text, blocks) = out.finish();
    (text, blocks, first_h1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(doc: &Document) -> Vec<(&str, u32, Option<u8>)> {
        doc.blocks
            .iter()
            .map(|b| (&doc.text[b.start..b.end], b.line, b.heading))
            .collect()
    }

    #[test]
    fn front_matter_markup_and_lines() {
        let src = "---\ntitle: Front title\ndate: 2021-12-28\n---\n# Heading One\n\nSome *emphasis* and \
                   a [link](http://x.example).\nSecond line.\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
        let out = extract("x.md", src.as_bytes()).unwrap();
        let doc = &out.doc;
        assert!(out.warnings.is_empty());
        assert_eq!(doc.meta.title.as_deref(), Some("Front title"));
        assert_eq!(doc.meta.date.as_deref(), Some("2021-12-28"));
        assert_eq!(
            blocks(doc),
            vec![
                ("Heading One", 5, Some(1)),
                ("Some emphasis and a link.\nSecond line.", 7, None),
                ("item one", 10, None),
                ("item two", 11, None),
                ("a | b", 13, None),
                ("1 | 2", 15, None),
            ]
        );
    }

    #[test]
    fn title_falls_back_to_first_h1_then_file_name() {
        let out = extract("dir/a-b.md", b"Intro\n\n# The  Title\n\ntext").unwrap();
        assert_eq!(out.doc.meta.title.as_deref(), Some("The Title"));
        let out = extract("dir/a-b.md", b"## Only h2\n\ntext").unwrap();
        assert_eq!(out.doc.meta.title.as_deref(), Some("a b"));
    }

    #[test]
    fn bad_front_matter_is_a_warning() {
        let out = extract("x.md", b"---\ntitle: [oops\n---\nBody text\n").unwrap();
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("front matter ignored"));
        assert_eq!(blocks(&out.doc), vec![("Body text", 4, None)]);
    }

    #[test]
    fn raw_html_is_dropped_and_nested_lists_split() {
        let src = "<div class=\"x\">\nhidden markup\n</div>\n\n- outer\n  - inner\n";
        let out = extract("x.md", src.as_bytes()).unwrap();
        let texts: Vec<&str> = blocks(&out.doc).into_iter().map(|b| b.0).collect();
        assert_eq!(texts, ["outer", "inner"]);
    }
}
