//! Documents as extractors produce them: extracted text, metadata, and blocks with provenance.
//!
//! A [`Document`] holds the whole extracted text of one source file and a list of [`Block`]s:
//! paragraphs, headings, list items, table rows, code blocks. Blocks are byte ranges of that
//! text, in order, not overlapping; every non-whitespace character of the text lies in a block.
//! Each block knows the line it starts on and, for paged formats, its page. The passage splitter
//! ([`crate::passage`]) works on blocks only, so it does not care which format a document came
//! from; a new format only has to produce blocks.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The source format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text (`.txt`).
    Text,
    /// Markdown (`.md`, `.markdown`), with optional YAML or TOML front matter.
    Markdown,
    /// HTML (`.html`, `.htm`).
    Html,
    /// PDF, page by page.
    Pdf,
    /// Word documents (`.docx`).
    Docx,
    /// OpenDocument text (`.odt`).
    Odt,
    /// Comma-separated records, one document per row.
    Csv,
    /// Tab-separated records, one document per row.
    Tsv,
    /// JSON Lines records, one document per line.
    Jsonl,
    /// A JSON array of records, one document per element.
    Json,
    /// An e-mail message (`.eml`, or one message of an `.mbox`).
    Email,
    /// An EPUB book or report, its chapters in reading order.
    Epub,
    /// A Telegram Desktop export (`result.json`), one document per message.
    Telegram,
    /// A spreadsheet (`.xlsx`, `.xls`, `.ods`), one document per row of each sheet.
    Spreadsheet,
    /// A web archive (`.warc`, `.warc.gz`). Its captures are documents of their own formats
    /// (pages are `html`), so no document has this one.
    WebArchive,
    /// A ZIP archive. Its members are documents of their own formats, so no document has
    /// this one; it names the files in the index's counts by format.
    Archive,
    /// An image (`.png`, `.jpg`, `.tif`...), its text read by OCR.
    Image,
}

/// Every format, in a fixed order.
pub const FORMATS: [Format; 17] = [
    Format::Text,
    Format::Markdown,
    Format::Html,
    Format::Pdf,
    Format::Docx,
    Format::Odt,
    Format::Csv,
    Format::Tsv,
    Format::Jsonl,
    Format::Json,
    Format::Email,
    Format::Epub,
    Format::Telegram,
    Format::Spreadsheet,
    Format::WebArchive,
    Format::Archive,
    Format::Image,
];

impl Format {
    /// The short lower-case name used in the index, in output and in `type:` filters.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Email => "email",
            Format::Epub => "epub",
            Format::Telegram => "telegram",
            Format::Spreadsheet => "spreadsheet",
            Format::WebArchive => "warc",
            Format::Archive => "archive",
            Format::Image => "image",
        }
    }

    /// The format with this [`Format::name`].
    pub fn from_name(name: &str) -> Option<Format> {
        FORMATS.into_iter().find(|f| f.name() == name)
    }

    /// True for record formats, whose files hold one document per row.
    pub fn is_record(self) -> bool {
        matches!(
            self,
            Format::Csv
                | Format::Tsv
                | Format::Jsonl
                | Format::Json
                | Format::Telegram
                | Format::Spreadsheet
        )
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Descriptive metadata of a document: from front matter, HTML `<meta>` tags, or derived.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// The document's title.
    pub title: Option<String>,
    /// Its authors, in the order given.
    pub authors: Vec<String>,
    /// The organisation that published the original source.
    pub publisher: Option<String>,
    /// The publication date of the original, normalised to `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The canonical URL of the original source.
    pub url: Option<String>,
    /// Free tags: attributed actors, operation names, platforms, topics.
    pub tags: Vec<String>,
    /// The kind of source: report, investigation, platform-disclosure, policy, law, dataset, news...
    pub kind: Option<String>,
    /// The document language as a code such as `en` or `ru`, when declared.
    pub lang: Option<String>,
    /// A one-paragraph description, when the source declares one.
    pub description: Option<String>,
    /// Every other front-matter key, kept as given.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Fields that are guesses rather than declarations (`date`, `title`): a PDF's creation
    /// date (often the day it was re-typeset), a title made from the file name. Folder defaults
    /// replace them instead of only filling gaps; cleared once the layers are applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guessed: Vec<String>,
}

impl Metadata {
    /// Marks `field` as a guess (see [`Metadata::guessed`]).
    pub fn guess(&mut self, field: &str) {
        if !self.guessed.iter().any(|g| g == field) {
            self.guessed.push(field.to_string());
        }
    }

    /// Whether `field` is a guess.
    pub fn is_guess(&self, field: &str) -> bool {
        self.guessed.iter().any(|g| g == field)
    }

    /// Cuts metadata a document may make arbitrarily large to sizes a reader can use: titles
    /// and descriptions to [`MAX_TITLE_CHARS`] and [`MAX_DESCRIPTION_CHARS`], names, kinds,
    /// tags and languages to [`MAX_NAME_CHARS`], URLs to [`MAX_URL_CHARS`] (cuts end in `…`),
    /// and lists to [`MAX_NAMES`] values. A 10 MB title would otherwise be printed with every
    /// hit.
    pub fn bound(&mut self) {
        let cut = |s: &mut String, max: usize| {
            if let Some((i, _)) = s.char_indices().nth(max) {
                s.truncate(i);
                s.push('…');
            }
        };
        for (value, max) in [
            (&mut self.title, MAX_TITLE_CHARS),
            (&mut self.description, MAX_DESCRIPTION_CHARS),
            (&mut self.publisher, MAX_NAME_CHARS),
            (&mut self.kind, MAX_NAME_CHARS),
            (&mut self.lang, MAX_NAME_CHARS),
            (&mut self.date, MAX_NAME_CHARS),
            (&mut self.url, MAX_URL_CHARS),
        ] {
            if let Some(v) = value {
                cut(v, max);
            }
        }
        for list in [&mut self.authors, &mut self.tags] {
            list.truncate(MAX_NAMES);
            for v in list.iter_mut() {
                cut(v, MAX_NAME_CHARS);
            }
        }
    }
}

/// The longest title kept, in characters (see [`Metadata::bound`]).
pub const MAX_TITLE_CHARS: usize = 500;
/// The longest description kept, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// The longest author, publisher, kind, tag, language or date kept, in characters.
pub const MAX_NAME_CHARS: usize = 300;
/// The longest URL kept, in characters.
pub const MAX_URL_CHARS: usize = 2000;
/// The most authors, and the most tags, kept.
pub const MAX_NAMES: usize = 100;

/// A unit of a document's layout: a paragraph, heading, list item, table row or code block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Byte offset of the block's first character in [`Document::text`].
    pub start: usize,
    /// Byte offset just past the block's last character.
    pub end: usize,
    /// 1-based line of the block's first character: in the source file for text, Markdown and
    /// HTML, in the extracted text for formats without readable source lines (PDF, DOCX, ODT:
    /// cite those by page).
    /// Within a block, each `\n` of the text is one more line.
    pub line: u32,
    /// 1-based page, for paged formats.
    pub page: Option<u32>,
    /// `Some(level)` (1–6) when the block is a heading.
    pub heading: Option<u8>,
    /// When its text was read by OCR: the mean confidence of its words, 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<u8>,
}

/// One extracted source document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// The path as shown to users and stored in the index (forward slashes).
    pub path: String,
    /// For records: the 1-based row (record number) within the file.
    pub row: Option<u64>,
    /// For a part of a file (a message of a mailbox, a member of an archive, an attachment):
    /// the display path of the file indexed, whose change or removal replaces or removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The source format.
    pub format: Format,
    /// Descriptive metadata.
    pub meta: Metadata,
    /// The whole extracted text.
    pub text: String,
    /// The layout blocks of `text`, in order.
    pub blocks: Vec<Block>,
}

impl Document {
    /// A document of `format` at `path` from built text and blocks, with empty metadata.
    pub fn new(path: &str, format: Format, (text, blocks): (String, Vec<Block>)) -> Document {
        Document {
            path: path.to_string(),
            row: None,
            source: None,
            format,
            meta: Metadata::default(),
            text,
            blocks,
        }
    }
}

/// Builds a document's text and blocks in order, keeping the block invariants.
#[derive(Debug, Default)]
pub struct TextBuilder {
    text: String,
    blocks: Vec<Block>,
    newlines: u32,
}

/// The longest word kept whole, in bytes: a longer run of non-whitespace (a base64 blob, a
/// 50 MB "word"; each CJK character is a word of its own) is cut to this length, marked with `…`, and the rest of it dropped, so no
/// passage holds more than [`crate::passage::MAX_WORDS`] words of this size. Words over
/// [`crate::analysis::MAX_TOKEN_BYTES`] are not searchable anyway.
pub const MAX_WORD_BYTES: usize = 1024;

/// Appends `body` to `text`, cutting words longer than [`MAX_WORD_BYTES`]. Linear.
fn push_cutting_giant_words(text: &mut String, body: &str) {
    if body.len() <= MAX_WORD_BYTES {
        text.push_str(body);
        return;
    }
    let mut copied = 0;
    let mut pos = 0;
    while let Some(skip) = body[pos..].find(|c: char| !c.is_whitespace()) {
        let word_start = pos + skip;
        // Words as the passage splitter counts them: each CJK character is one.
        let word_end = body[word_start..]
            .find(|c: char| c.is_whitespace() || crate::passage::is_cjk(c))
            .map_or(body.len(), |k| word_start + k);
        let word_end = if word_end == word_start {
            word_start + body[word_start..].chars().next().map_or(1, char::len_utf8)
        } else {
            word_end
        };
        if word_end - word_start > MAX_WORD_BYTES {
            let mut cut = word_start + MAX_WORD_BYTES;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            text.push_str(&body[copied..cut]);
            text.push('…');
            copied = word_end;
        }
        pos = word_end;
    }
    text.push_str(&body[copied..]);
}

impl TextBuilder {
    /// An empty builder.
    pub fn new() -> TextBuilder {
        TextBuilder::default()
    }

    /// Appends a block. Leading and trailing whitespace is trimmed (the block's `line` is moved
    /// down past leading newlines); an all-whitespace block is dropped. Blocks are separated by
    /// a blank line in the text.
    pub fn push(&mut self, content: &str, line: u32, page: Option<u32>, heading: Option<u8>) {
        let trimmed_start = content.trim_start();
        let skipped = &content[..content.len() - trimmed_start.len()];
        let line = line + skipped.matches('\n').count() as u32;
        let body = trimmed_start.trim_end();
        if body.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
            self.newlines += 2;
        }
        let start = self.text.len();
        push_cutting_giant_words(&mut self.text, body);
        self.newlines += body.matches('\n').count() as u32;
        self.blocks.push(Block {
            start,
            end: self.text.len(),
            line,
            page,
            heading,
            ocr: None,
        });
    }

    /// Appends a block of text read by OCR, whose words have a mean `confidence` (0 to 100),
    /// as [`TextBuilder::push`] does.
    pub fn push_read(&mut self, content: &str, line: u32, page: Option<u32>, confidence: f32) {
        let before = self.blocks.len();
        self.push(content, line, page, None);
        if self.blocks.len() > before {
            if let Some(b) = self.blocks.last_mut() {
                b.ocr = Some(confidence.clamp(0.0, 100.0).round() as u8);
            }
        }
    }

    /// The line of the text on which the next block will start (for formats whose lines are
    /// the extracted text's own).
    pub fn next_text_line(&self) -> u32 {
        if self.text.is_empty() {
            1
        } else {
            self.newlines + 3
        }
    }

    /// The text and blocks built.
    pub fn finish(self) -> (String, Vec<Block>) {
        (self.text, self.blocks)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn giant_words_are_cut_and_the_text_after_them_kept() {
        let mut b = TextBuilder::new();
        let giant = "x".repeat(10 * MAX_WORD_BYTES);
        b.push(
            &format!("before {giant} after ünïcode {}", "é".repeat(2000)),
            1,
            None,
            None,
        );
        let (text, blocks) = b.finish();
        assert!(text.starts_with("before xxx"));
        assert!(text.contains("x… after ünïcode é"));
        assert!(text.ends_with("é…"));
        assert!(text.len() < 3 * MAX_WORD_BYTES, "{}", text.len());
        assert_eq!(blocks[0].end, text.len());
        let mut zh = TextBuilder::new();
        let chinese = "新疆维吾尔自治区".repeat(600);
        zh.push(&chinese, 1, None, None);
        assert_eq!(
            zh.finish().0,
            chinese,
            "CJK characters are words of their own"
        );
        let mut short = TextBuilder::new();
        short.push("a normal sentence stays as it is", 1, None, None);
        assert_eq!(short.finish().0, "a normal sentence stays as it is");
    }

    use super::*;

    #[test]
    fn huge_metadata_is_cut_to_a_readable_size() {
        let mut m = Metadata {
            title: Some("t".repeat(10_000_000)),
            authors: vec!["ä".repeat(1000); 5000],
            url: Some("https://example.org/".to_string()),
            ..Metadata::default()
        };
        m.bound();
        let title = m.title.unwrap_or_default();
        assert_eq!(title.chars().count(), MAX_TITLE_CHARS + 1);
        assert!(title.ends_with('…'));
        assert_eq!(m.authors.len(), MAX_NAMES);
        assert_eq!(m.authors[0].chars().count(), MAX_NAME_CHARS + 1);
        assert_eq!(
            m.url.as_deref(),
            Some("https://example.org/"),
            "short values stay"
        );
    }

    #[test]
    fn builder_trims_and_separates_blocks() {
        let mut b = TextBuilder::new();
        b.push("\n  Heading ", 3, None, Some(1));
        b.push("   ", 9, None, None);
        b.push("Body text.\nSecond line.", 6, None, None);
        let (text, blocks) = b.finish();
        assert_eq!(text, "Heading\n\nBody text.\nSecond line.");
        assert_eq!(blocks.len(), 2);
        assert_eq!(&text[blocks[0].start..blocks[0].end], "Heading");
        assert_eq!(blocks[0].line, 4);
        assert_eq!(blocks[0].heading, Some(1));
        assert_eq!(
            &text[blocks[1].start..blocks[1].end],
            "Body text.\nSecond line."
        );
    }

    #[test]
    fn next_text_line_counts_the_separator() {
        let mut b = TextBuilder::new();
        assert_eq!(b.next_text_line(), 1);
        b.push("one\ntwo", 1, None, None);
        // "one\ntwo" ends on line 2; the blank separator is line 3; the next block starts on 4.
        assert_eq!(b.next_text_line(), 4);
    }
}
