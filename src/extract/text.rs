//! Plain text (`.txt`): paragraphs separated by blank lines.
//!
//! The extracted text is the file's text itself (decoded, newlines normalised), so offsets and
//! line numbers point into the file as a reader opens it. The title is the first line when that
//! line is short and stands alone (followed by a blank line), else the file name.

use super::{decode_text, Extracted, Extractor, Failure, Isolate, Method};
use crate::document::{Block, Document, Format, Metadata};

/// The plain-text extractor.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Text,
    name: "text",
    version: 2,
    extensions: &["txt", "text"],
    isolate: Isolate::Never,
    method: Method::Document(extract),
};

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    let text = decode_text(bytes)?;
    let blocks = paragraphs(&text);
    let mut meta = Metadata {
        title: standalone_first_line(&text, &blocks).map(str::to_string),
        ..Metadata::default()
    };
    super::title_or_file_name(&mut meta, path);
    Ok(Extracted {
        doc: Document {
            path: path.to_string(),
            row: None,
            source: None,
            format: Format::Text,
            meta,
            text,
            blocks,
        },
        warnings: Vec::new(),
        pages: None,
        ocr: None,
    })
}

/// Blocks for the runs of non-blank lines of `text`, with their 1-based line numbers.
pub(crate) fn paragraphs(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let line_start = offset;
        offset += line.len() + 1;
        if line.trim().is_empty() {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            continue;
        }
        let content_start = line_start + (line.len() - line.trim_start().len());
        let content_end = line_start + line.trim_end().len();
        match &mut current {
            Some(b) => b.end = content_end,
            None => {
                current = Some(Block {
                    start: content_start,
                    end: content_end,
                    line: i as u32 + 1,
                    page: None,
                    heading: None,
                    ocr: None,
                })
            }
        }
    }
    blocks.extend(current);
    blocks
}

fn standalone_first_line<'a>(text: &'a str, blocks: &[Block]) -> Option<&'a str> {
    let first = blocks.first()?;
    let block = &text[first.start..first.end];
    let chars = block.chars().count();
    (!block.contains('\n') && chars <= 120 && blocks.len() > 1).then_some(block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_with_lines_and_title() {
        let input = "Title line\n\n  First para\ncontinues.  \n\n\nSecond para.\n";
        let out = extract("notes/x.txt", input.as_bytes()).unwrap();
        let doc = out.doc;
        assert_eq!(doc.meta.title.as_deref(), Some("Title line"));
        let texts: Vec<&str> = doc
            .blocks
            .iter()
            .map(|b| &doc.text[b.start..b.end])
            .collect();
        assert_eq!(
            texts,
            ["Title line", "First para\ncontinues.", "Second para."]
        );
        let lines: Vec<u32> = doc.blocks.iter().map(|b| b.line).collect();
        assert_eq!(lines, [1, 3, 7]);
    }

    #[test]
    fn a_long_first_paragraph_is_not_a_title() {
        let out = extract("dir/some_notes.txt", b"one\ntwo\n\nthree").unwrap();
        assert_eq!(out.doc.meta.title.as_deref(), Some("some notes"));
    }
}
