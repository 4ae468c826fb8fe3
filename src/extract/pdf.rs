//! PDF, page by page: with poppler's `pdftotext` where it is installed ([`poppler`]), else
//! with unpdf (pure Rust). Runs isolated in a worker process.
//!
//! Each page's paragraphs, tables and preformatted blocks become blocks carrying the 1-based
//! page number a viewer shows, so every passage cites one page. Lines repeated on most pages
//! (running headers and footers, page numbers) are dropped; words hyphenated at line ends are
//! rejoined. Title, author, keywords and creation date come from the document information.
//! Pages without a usable text layer (none, under [`SHORT_PAGE`] characters, or garbage:
//! [`is_garbage`]) are listed for the indexer to read by OCR ([`crate::ocr::Need::Pages`],
//! beside the numbers of all pages, which `--ocr always` reads); a PDF OCR cannot read either
//! is refused there as having no text layer. An encrypted one is refused as encrypted; anything unpdf cannot parse as corrupt. Line numbers are lines of
//! the extracted text, as `quarry show DOC_ID` prints it; cite PDFs by page.

use super::{Extracted, Extractor, Failure, FailureKind, Isolate, Method};
use crate::date::PartialDate;
use crate::document::{Document, Format, Metadata, TextBuilder};
use std::collections::HashMap;

pub mod poppler;

/// The PDF extractor of the pure-Rust parser.
pub const EXTRACTOR: Extractor = Extractor {
    format: Format::Pdf,
    name: "pdf",
    version: 3,
    extensions: &["pdf"],
    isolate: Isolate::Always,
    method: Method::Document(extract),
};

/// The PDF extractor through poppler's `pdftotext`, chosen when it is installed; the pure-Rust
/// parser is its fallback for files poppler cannot read.
pub const POPPLER: Extractor = Extractor {
    format: Format::Pdf,
    name: "pdf-poppler",
    version: 4,
    extensions: &["pdf"],
    isolate: Isolate::Always,
    method: Method::Document(extract_poppler),
};

/// The PDF extractor to use on this machine.
pub fn preferred() -> &'static Extractor {
    if poppler::program().is_some() {
        &POPPLER
    } else {
        &EXTRACTOR
    }
}

/// The number of pages in pdftotext's XHTML output `bytes`, read as a PDF is (for the fuzz
/// target of that reader).
pub(super) fn pages_in_pdftotext_xhtml(bytes: &[u8]) -> usize {
    poppler::parse(bytes).map_or(0, |p| p.pages.len())
}

/// A block of a page before clean-up: its text and heading level.
#[derive(Debug, Clone)]
struct RawBlock {
    text: String,
    heading: Option<u8>,
    /// Where on the page it stands, when the parser says (poppler does).
    band: Band,
}

/// The part of a page a block stands in: running headers and footers are looked for in the
/// top and bottom bands when positions are known, else among the first and last blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Band {
    Unknown,
    Top,
    Body,
    Bottom,
}

fn check_header(bytes: &[u8]) -> Result<(), Failure> {
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        Ok(())
    } else {
        Err(Failure::new(
            FailureKind::Corrupt,
            "not a PDF (no %PDF header)",
        ))
    }
}

fn extract(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    check_header(bytes)?;
    let options = unpdf::ParseOptions::new()
        .lenient()
        .with_resources(false)
        .sequential();
    let parsed = unpdf::parse_bytes_with_options(bytes, options).map_err(failure)?;
    let pages: Vec<(u32, Vec<RawBlock>)> = parsed
        .pages
        .iter()
        .map(|page| (page.number, page_blocks(page)))
        .collect();
    let info = &parsed.metadata;
    let meta = metadata(Info {
        title: info.title.clone(),
        author: info.author.clone(),
        keywords: info.keywords.clone(),
        subject: info.subject.clone(),
        created: info.created.as_ref().map(|d| d.to_string()),
    });
    assemble(path, pages, meta)
}

fn extract_poppler(path: &str, bytes: &[u8]) -> Result<Extracted, Failure> {
    check_header(bytes)?;
    let Some(program) = poppler::program() else {
        let mut x = extract(path, bytes)?;
        x.warnings
            .push("pdftotext is not installed here; used the built-in PDF parser".to_string());
        return Ok(x);
    };
    let limits = poppler::Limits::within(super::worker::budget());
    match poppler::extract(program, bytes, &limits) {
        Ok(p) => {
            let meta = metadata(Info {
                title: p.title,
                author: p.author,
                keywords: p.keywords,
                subject: p.subject,
                created: p.created,
            });
            let incomplete = p.incomplete;
            let skipped = p.skipped;
            // Pages pdftotext stalled on are not for OCR: rendering them would stall too.
            let assembled = assemble(path, p.pages, meta).map(|mut x| {
                if let Some(crate::ocr::Need::Pages { without_text, .. }) = &mut x.ocr {
                    without_text.retain(|n| !skipped.contains(n));
                }
                x
            });
            match assembled {
                // Nothing read in time is a timeout, not a scanned file. Pages read before the
                // time limit without text are still read by OCR (which has limits of its own).
                Ok(x) if incomplete && x.doc.blocks.is_empty() && !needs_pages(&x) => {
                    Err(Failure::new(FailureKind::TimedOut, p.warnings.join("; ")))
                }
                Ok(mut x) => {
                    x.warnings.extend(p.warnings);
                    Ok(x)
                }
                Err(f) => Err(f),
            }
        }
        Err(poppler::Refusal::Encrypted) => Err(poppler::encrypted()),
        Err(poppler::Refusal::Failed(reason)) => {
            // A damaged file poppler gives up on may still be partly readable.
            let mut x = extract(path, bytes)?;
            x.warnings.push(format!(
                "poppler could not read it ({reason}); used the built-in PDF parser"
            ));
            Ok(x)
        }
    }
}

/// Whether `x` lists pages without a usable text layer.
fn needs_pages(x: &Extracted) -> bool {
    matches!(&x.ocr, Some(crate::ocr::Need::Pages { without_text, .. }) if !without_text.is_empty())
}

/// A page whose text layer holds fewer characters than this (besides spaces) has no usable
/// one: a scan with a stamp or a Bates number on it, or a blank page.
const SHORT_PAGE: usize = 20;

/// Whether a page's text layer is garbage rather than text: over a fifth of its characters
/// are replacement characters, private-use code points or control characters (text drawn
/// with fonts that map to nothing), or under half are letters and digits. Spaces and the
/// characters of leaders and rules (`.`, `·`, `…`, `-`, `_`, dashes) are not counted, so a
/// table of contents is text. Pages of less than [`SHORT_PAGE`] characters are too short to
/// tell (and count as without text anyway).
fn is_garbage(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    let mut alphanumeric = 0usize;
    let leader = |c: char| matches!(c, '.' | '·' | '…' | '-' | '_' | '–' | '—' | '‒');
    for c in text.chars().filter(|&c| !c.is_whitespace() && !leader(c)) {
        total += 1;
        let private = matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0x10FFFF);
        if c == '\u{FFFD}' || private || c.is_control() {
            bad += 1;
        } else if c.is_alphanumeric() {
            alphanumeric += 1;
        }
    }
    total >= SHORT_PAGE && (bad * 5 > total || alphanumeric * 2 < total)
}

/// A document from pages of raw blocks: running headers and footers dropped, ligatures
/// expanded, hyphenation at line ends undone, each block cited by its page.
fn assemble(
    path: &str,
    mut pages: Vec<(u32, Vec<RawBlock>)>,
    meta: Metadata,
) -> Result<Extracted, Failure> {
    remove_running_lines(&mut pages);
    // Pages without a usable text layer: none, a few characters (a stamp on a scan), or
    // garbage. OCR may read them (see crate::ocr::pass); what they hold stays where it does not.
    let without_text: Vec<u32> = pages
        .iter()
        .filter(|(_, blocks)| {
            let text: String = blocks.iter().map(|b| b.text.as_str()).collect();
            let chars = text.chars().filter(|c| !c.is_whitespace()).count();
            chars < SHORT_PAGE || is_garbage(&text)
        })
        .map(|(n, _)| *n)
        .collect();
    let all: Vec<u32> = pages.iter().map(|(n, _)| *n).collect();
    let mut out = TextBuilder::new();
    for (number, blocks) in &pages {
        for block in blocks {
            let text = dehyphenate(&expand_ligatures(&block.text));
            let line = out.next_text_line();
            out.push(&text, line, Some(*number), block.heading);
        }
    }
    let (text, blocks) = out.finish();
    let page_count = pages.len() as u32;
    if page_count == 0 {
        return Err(Failure::new(FailureKind::NoText, "no pages"));
    }
    let mut meta = meta;
    if !blocks.is_empty() {
        settle_title(&mut meta, &text, &blocks, path);
    }
    let mut doc = Document::new(path, Format::Pdf, (text, blocks));
    doc.meta = meta;
    Ok(Extracted {
        doc,
        warnings: Vec::new(),
        pages: Some(page_count),
        ocr: Some(crate::ocr::Need::Pages { all, without_text }),
    })
}

/// Document information, from either parser.
struct Info {
    title: Option<String>,
    author: Option<String>,
    keywords: Option<String>,
    subject: Option<String>,
    created: Option<String>,
}

fn failure(err: unpdf::Error) -> Failure {
    match err.kind() {
        unpdf::ErrorKind::Encrypted | unpdf::ErrorKind::InvalidPassword => Failure::new(
            FailureKind::Encrypted,
            "encrypted PDF (needs a password; decrypt it first, e.g. with qpdf --decrypt)",
        ),
        _ => {
            let detail = err.to_string();
            let detail = crate::error::lowercase_first(detail.lines().next().unwrap_or("").trim());
            Failure::new(
                FailureKind::Corrupt,
                format!("corrupt or unreadable PDF: {detail}"),
            )
        }
    }
}

fn page_blocks(page: &unpdf::Page) -> Vec<RawBlock> {
    let mut out = Vec::new();
    for element in &page.elements {
        let (text, heading) = match element {
            unpdf::Block::Paragraph(p) => (p.plain_text(), p.style.heading_level),
            unpdf::Block::Table(_) | unpdf::Block::Code { .. } => {
                let mut s = String::new();
                element.append_plain_text(&mut s);
                (s, None)
            }
            _ => continue,
        };
        if !text.trim().is_empty() {
            out.push(RawBlock {
                text,
                heading: heading.filter(|l| (1..=6).contains(l)),
                band: Band::Unknown,
            });
        }
    }
    out
}

/// The key under which a candidate header or footer line is compared across pages: lower case,
/// each run of digits as one `#` (so pages 9 and 10 share a key), whitespace collapsed.
fn running_key(text: &str) -> Option<String> {
    if text.chars().count() > 150 {
        return None;
    }
    let key = mask_digits(
        &text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
    );
    (!key.is_empty()).then_some(key)
}

/// `text` with each run of ASCII digits replaced by one `#`.
fn mask_digits(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// How many blocks at each end of a page can be a running header or footer, when positions are
/// not known.
const EDGE_BLOCKS: usize = 2;

/// The blocks of a page that can be a running header (`top`) or footer: those in the top or
/// bottom band when positions are known, else the first or last [`EDGE_BLOCKS`].
fn edge_blocks(blocks: &[RawBlock], top: bool) -> Vec<usize> {
    let n = blocks.len();
    if blocks.iter().any(|b| b.band != Band::Unknown) {
        let want = if top { Band::Top } else { Band::Bottom };
        return (0..n).filter(|&i| blocks[i].band == want).collect();
    }
    if top {
        (0..n.min(EDGE_BLOCKS)).collect()
    } else {
        (n.saturating_sub(EDGE_BLOCKS)..n).collect()
    }
}

/// Drops blocks at the top or bottom of pages whose text (digits ignored) recurs at the edges of
/// at least half of the pages (a third, where positions are known), when there are three pages
/// or more.
fn remove_running_lines(pages: &mut [(u32, Vec<RawBlock>)]) {
    if pages.len() < 3 {
        return;
    }
    let edges = |blocks: &[RawBlock]| -> Vec<usize> {
        let mut idx = edge_blocks(blocks, true);
        for i in edge_blocks(blocks, false) {
            if !idx.contains(&i) {
                idx.push(i);
            }
        }
        idx.sort_unstable();
        idx
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (_, blocks) in pages.iter() {
        let mut seen = std::collections::HashSet::new();
        for i in edges(blocks) {
            if let Some(key) = running_key(&blocks[i].text) {
                if seen.insert(key.clone()) {
                    *counts.entry(key).or_insert(0) += 1;
                }
            }
        }
    }
    // Where positions are known, a block must stand in the top or bottom tenth of the page as
    // well, and a third of the pages is enough (volume I of the Mueller report carries its
    // running header on 86 of 189 pages); else half of them.
    let positioned = pages
        .iter()
        .any(|(_, blocks)| blocks.iter().any(|b| b.band != Band::Unknown));
    let threshold = if positioned {
        pages.len().div_ceil(3).max(3)
    } else {
        pages.len().div_ceil(2).max(3)
    };
    for (_, blocks) in pages.iter_mut() {
        let drop: Vec<usize> = edges(blocks)
            .into_iter()
            .filter(|&i| {
                running_key(&blocks[i].text)
                    .and_then(|k| counts.get(&k))
                    .is_some_and(|&c| c >= threshold)
            })
            .collect();
        for i in drop.into_iter().rev() {
            blocks.remove(i);
        }
    }
    strip_running_words(pages, threshold, true);
    strip_running_words(pages, threshold, false);
}

/// The shortest and longest word runs considered a running header or footer merged into a block.
const RUN_WORDS: std::ops::RangeInclusive<usize> = 4..=16;
/// The fewest characters such a run has.
const RUN_MIN_CHARS: usize = 20;

fn word_key(word: &str) -> String {
    mask_digits(&word.to_lowercase())
}

/// Strips a run of words that begins (`top`) or ends (`!top`) an edge block on at least
/// `threshold` pages: a running header or footer that the PDF parser merged into the first or
/// last block of the page (`Report Volume I (ver. 0.4) CHAPTER TITLE ...`).
fn strip_running_words(pages: &mut [(u32, Vec<RawBlock>)], threshold: usize, top: bool) {
    let candidates = |blocks: &[RawBlock]| edge_blocks(blocks, top);
    let runs = |text: &str| -> Vec<Vec<String>> {
        let mut words: Vec<String> = text.split_whitespace().map(word_key).collect();
        if !top {
            words.reverse();
        }
        RUN_WORDS
            .filter(|&k| k <= words.len())
            .map(|k| words[..k].to_vec())
            .filter(|run| run.iter().map(|w| w.chars().count() + 1).sum::<usize>() > RUN_MIN_CHARS)
            .collect()
    };
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    for (_, blocks) in pages.iter() {
        let mut seen = std::collections::HashSet::new();
        for i in candidates(blocks) {
            for run in runs(&blocks[i].text) {
                if seen.insert(run.clone()) {
                    *counts.entry(run).or_insert(0) += 1;
                }
            }
        }
    }
    for (_, blocks) in pages.iter_mut() {
        for i in candidates(blocks).into_iter().rev() {
            let longest = runs(&blocks[i].text)
                .into_iter()
                .filter(|r| counts.get(r).is_some_and(|&c| c >= threshold))
                .map(|r| r.len())
                .max();
            if let Some(k) = longest {
                let text = &blocks[i].text;
                let rest = if top {
                    skip_words(text, k).to_string()
                } else {
                    let reversed_words = text.split_whitespace().count() - k;
                    take_words(text, reversed_words).to_string()
                };
                if rest.trim().is_empty() {
                    blocks.remove(i);
                } else {
                    blocks[i].text = rest;
                }
            }
        }
    }
}

/// `text` after its first `k` whitespace-separated words.
fn skip_words(text: &str, k: usize) -> &str {
    let mut rest = text.trim_start();
    for _ in 0..k {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// The first `k` whitespace-separated words of `text`, as they stand.
fn take_words(text: &str, k: usize) -> &str {
    let trimmed = text.trim_start();
    let offset = text.len() - trimmed.len();
    let after = skip_words(trimmed, k);
    let end = text.len() - after.len();
    text[offset..end].trim_end()
}

/// Spells out typographic ligatures (`ﬁ` → `fi`), which PDF text layers often keep.
fn expand_ligatures(text: &str) -> String {
    if !text.chars().any(|c| ('\u{FB00}'..='\u{FB06}').contains(&c)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            other => out.push(other),
        }
    }
    out
}

/// Rejoins words hyphenated across line ends: `disinfor-\nmation` and `disinfor- mation` become
/// `disinformation` when a letter precedes the hyphen and a lower-case letter follows. Suspended
/// compounds (`pro- and anti-war`) are left alone.
pub(crate) fn dehyphenate(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && i >= 2 && chars[i - 1].is_alphabetic() && chars[i - 2].is_alphabetic() {
            let mut j = i + 1;
            let mut saw_newline = false;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\n') && j - i <= 3 {
                saw_newline |= chars[j] == '\n';
                j += 1;
            }
            let broke = j > i + 1 && (saw_newline || j == i + 2);
            if broke && j < chars.len() && chars[j].is_lowercase() {
                let next_word: String = chars[j..]
                    .iter()
                    .take_while(|c| c.is_alphabetic())
                    .collect();
                if !matches!(
                    next_word.as_str(),
                    "and" | "or" | "to" | "nor" | "und" | "et"
                ) {
                    i = j;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn metadata(info: Info) -> Metadata {
    let clean = |s: &Option<String>| -> Option<String> {
        let s = s.as_deref()?.trim();
        let s = s.strip_prefix("Microsoft Word - ").unwrap_or(s).trim();
        let lower = s.to_ascii_lowercase();
        (!s.is_empty() && lower != "untitled" && lower != "unknown").then(|| s.to_string())
    };
    let split = |s: Option<String>| -> Vec<String> {
        s.map(|s| {
            s.split([';', ','])
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    let mut meta = Metadata {
        // Settled in `assemble`: the first heading, else the file name, when there is none.
        title: clean(&info.title),
        authors: split(clean(&info.author)),
        date: info
            .created
            .as_deref()
            .and_then(PartialDate::parse)
            .map(|d| d.to_string()),
        tags: split(clean(&info.keywords)),
        description: clean(&info.subject),
        ..Metadata::default()
    };
    // The document information's date is when the file was made, which for a re-typeset or
    // re-saved report is not when it was published.
    if meta.date.is_some() {
        meta.guess("date");
    }
    meta
}

/// The title of a PDF without one in its document information: its first heading of two to
/// fifteen words on the first two pages, else the file name (a guess).
fn settle_title(meta: &mut Metadata, text: &str, blocks: &[crate::document::Block], path: &str) {
    if meta.title.is_some() {
        return;
    }
    let heading = blocks
        .iter()
        .take_while(|b| b.page.is_none_or(|p| p <= 2))
        .filter(|b| b.heading.is_some_and(|l| l <= 2))
        .filter_map(|b| text.get(b.start..b.end))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| (2..=15).contains(&t.split(' ').count()));
    match heading {
        Some(h) => meta.title = Some(h),
        None => super::title_or_file_name(meta, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_line_ends_are_rejoined() {
        assert_eq!(
            dehyphenate("disinfor-\nmation campaigns"),
            "disinformation campaigns"
        );
        assert_eq!(dehyphenate("disinfor- mation"), "disinformation");
        assert_eq!(dehyphenate("pro- and anti-war"), "pro- and anti-war");
        assert_eq!(dehyphenate("state-sponsored"), "state-sponsored");
        assert_eq!(dehyphenate("in 2020- the"), "in 2020- the");
        assert_eq!(dehyphenate("Kremlin- Backed"), "Kremlin- Backed");
    }

    fn block(text: &str) -> RawBlock {
        RawBlock {
            text: text.to_string(),
            heading: None,
            band: Band::Unknown,
        }
    }

    #[test]
    fn running_headers_and_page_numbers_are_dropped() {
        let topics = [
            "Sockpuppets were counted first.",
            "Amplification came next.",
            "Forgeries are described here.",
            "Remedies close the review.",
        ];
        let mut pages: Vec<(u32, Vec<RawBlock>)> = (1..=4)
            .map(|n| {
                (
                    n,
                    vec![
                        block("Annual Review"),
                        block(topics[n as usize - 1]),
                        block(&format!("Page {n} of 4")),
                    ],
                )
            })
            .collect();
        remove_running_lines(&mut pages);
        for (n, blocks) in &pages {
            assert_eq!(blocks.len(), 1, "page {n}: {blocks:?}");
            assert_eq!(blocks[0].text, topics[*n as usize - 1]);
        }
    }

    #[test]
    fn page_numbers_of_one_and_two_digits_are_one_footer() {
        // Pages 8 to 13: "8" and "9" alone recur on a third of the pages only together with
        // "10" to "13".
        let mut pages: Vec<(u32, Vec<RawBlock>)> = (8..=13)
            .map(|n| {
                let mut number = block(&n.to_string());
                number.band = Band::Bottom;
                let mut body = block(&format!("Body text of page {n}."));
                body.band = Band::Body;
                (n, vec![body, number])
            })
            .collect();
        remove_running_lines(&mut pages);
        for (n, blocks) in &pages {
            assert_eq!(blocks.len(), 1, "page {n}: {blocks:?}");
        }
        assert_eq!(mask_digits("page 9 of 120"), "page # of #");
    }

    #[test]
    fn running_headers_merged_into_blocks_are_stripped() {
        let chapters = [
            "INTRODUCTION",
            "THE CAMPAIGN",
            "THE CAMPAIGN",
            "CONCLUSIONS",
        ];
        let bodies = [
            "Body starts here.",
            "Another start.",
            "Third page text.",
            "Last words.",
        ];
        let mut pages: Vec<(u32, Vec<RawBlock>)> = (1..=4)
            .map(|n| {
                let c = chapters[n as usize - 1];
                (
                    n,
                    vec![
                        block(&format!(
                            "Open Source Report Volume I (ver. 0.4) {c} {}",
                            bodies[n as usize - 1]
                        )),
                        block(&format!(
                            "{} then Open Report page {n}",
                            [
                                "Alpha closes.",
                                "Beta stops.",
                                "Gamma halts.",
                                "Delta rests."
                            ][n as usize - 1]
                        )),
                    ],
                )
            })
            .collect();
        remove_running_lines(&mut pages);
        assert_eq!(pages[0].1[0].text, "INTRODUCTION Body starts here.");
        assert_eq!(pages[2].1[0].text, "THE CAMPAIGN Third page text.");
        assert_eq!(pages[1].1[1].text, "Beta stops.");
    }

    #[test]
    fn ligatures_are_spelt_out() {
        assert_eq!(expand_ligatures("oﬃcials ﬁrst ﬂow"), "officials first flow");
    }

    #[test]
    fn short_documents_keep_every_line() {
        let mut pages = vec![
            (1, vec![block("Title"), block("Body")]),
            (2, vec![block("Title")]),
        ];
        remove_running_lines(&mut pages);
        assert_eq!(pages[0].1.len(), 2);
    }

    #[test]
    fn garbage_is_a_clean_failure() {
        let err = extract("x.pdf", b"this is not a pdf at all").unwrap_err();
        assert_eq!(err.kind, FailureKind::Corrupt);
        let err = extract("x.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog").unwrap_err();
        assert!(
            matches!(err.kind, FailureKind::Corrupt | FailureKind::NoText),
            "{err:?}"
        );
    }

    #[test]
    fn text_layers_of_garbage_are_told_from_text() {
        assert!(!is_garbage(
            "The Inspector General reviewed the program in 2009."
        ));
        assert!(!is_garbage(
            "Совет Федерации, 2021 год: доклад о вмешательстве."
        ));
        assert!(!is_garbage("short \u{FFFD}\u{FFFD}"), "too short to tell");
        let private: String = (0xE001..0xE020u32)
            .filter_map(char::from_u32)
            .collect::<String>()
            + " Page 3";
        assert!(is_garbage(&private));
        assert!(is_garbage("#$%& *+,- ./:; <=>? @[\\]^ _`{| }~!\" #$%&"));
        // Leaders are not garbage: a table of contents is text.
        assert!(!is_garbage(
            "Summary .............. 3\nFindings ............. 7\nAnnex ________ 12"
        ));
    }
}
