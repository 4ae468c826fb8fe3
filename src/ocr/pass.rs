//! The OCR pass over one extracted file: reads the pages its extractor said need it ([`Need`]),
//! through the page cache, one page per indexing thread, and merges what was read into the
//! document.
//!
//! Which pages: in mode `auto` those without a usable text layer (an image: all of it); in
//! `always` every page (the text layer stays where OCR reads nothing); in `never` none. Each
//! PDF page is rendered by `pdftoppm` and read by Tesseract within its own deadline (the
//! per-file `--timeout`) and memory limit (`--extract-memory`): a page that fails costs that
//! page, and is said in the file's warnings. A page read as noise ([`without_noise`]) keeps
//! what it had. Each block OCR made carries the mean confidence of its words
//! ([`crate::document::Block::ocr`]).
//!
//! Pages of one file are read in parallel on the current rayon pool (the indexer's), so one
//! large scanned report keeps every core busy. A thread waiting for its file's pages may take
//! up another file meanwhile (rayon's work stealing): that file's document waits in memory
//! until both are done, which costs a document, not a page image, per nesting.

use super::cache::{Cache, Key};
use super::engine::{self, Limits, Page, Paragraph, DPI};
use super::{without_noise, Mode, Need, Settings, INSTALL_HINT};
use crate::document::TextBuilder;
use crate::extract::{Extracted, Failure, FailureKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How the pass reads pages.
pub struct Job<'a> {
    /// The file on disk (a PDF, or an image).
    pub path: &'a Path,
    /// Whether and in which languages to read.
    pub settings: &'a Settings,
    /// The page cache, if any.
    pub cache: Option<&'a Cache>,
    /// The time limit of each page (rendering and reading it).
    pub timeout: Duration,
    /// The address-space limit of each helper process, in bytes.
    pub memory_bytes: u64,
    /// Called after each page is read, with whether it came from the cache (for progress).
    pub on_page: &'a (dyn Fn(bool) + Sync),
}

/// What the pass did for one file (and, summed, for a build).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Pages whose text in the index was read by OCR.
    pub pages: u32,
    /// Pages Tesseract read in this build.
    pub read: u32,
    /// Pages whose reading was taken from the cache.
    pub cached: u32,
    /// Pages OCR could not read (a helper failed, ran out of time or of memory).
    pub failed: u32,
}

impl Counts {
    /// Adds `other` to these.
    pub fn add(&mut self, other: &Counts) {
        self.pages += other.pages;
        self.read += other.read;
        self.cached += other.cached;
        self.failed += other.failed;
    }
}

/// Below this mean word confidence (0 to 100) a page's text is said to be doubtful.
pub const LOW_CONFIDENCE: f32 = 60.0;

/// What one page (or one image) gave.
struct Read {
    /// The page number asked for (0 for a whole image).
    number: u32,
    result: Result<Vec<Page>, Failure>,
    cached: bool,
}

/// Whether the programs `need` calls for are installed; if not, the hint that says which.
pub fn missing_programs(need: &Need) -> Option<&'static str> {
    if super::program().is_none() {
        return Some(INSTALL_HINT);
    }
    match need {
        Need::Pages { .. } if super::renderer().is_none() => {
            Some("install poppler's pdftoppm, e.g. apt-get install poppler-utils")
        }
        _ => None,
    }
}

/// Reads what `need` asks of the file `x` was extracted from, and merges it into `x`'s
/// document; what was done is added to `counts`, whatever the outcome. A file left without
/// text fails: [`FailureKind::NoTextLayer`] for scans OCR did not (or could not) read,
/// [`FailureKind::NoText`] for an image of noise.
pub fn apply(
    mut x: Extracted,
    need: &Need,
    job: &Job,
    counts: &mut Counts,
) -> Result<Extracted, Failure> {
    let page_count = x.pages.unwrap_or(0);
    let mode = job.settings.mode;
    let wanted: Vec<u32> = match (need, mode) {
        (_, Mode::Never) => Vec::new(),
        (Need::Pages { without_text, .. }, Mode::Auto) => without_text.clone(),
        (Need::Pages { all, .. }, Mode::Always) => all.clone(),
        (Need::Image, _) => vec![0],
    };
    let unread = |why: String| -> Failure {
        match need {
            Need::Image => Failure::new(FailureKind::NoTextLayer, format!("an image, {why}")),
            Need::Pages { without_text, .. } => Failure::new(
                FailureKind::NoTextLayer,
                format!(
                    "no text layer in {} page(s) (scanned; {why})",
                    without_text.len()
                ),
            ),
        }
    };
    if wanted.is_empty() && mode != Mode::Never {
        // Every page has a usable text layer.
        return Ok(x);
    }
    let why_not = if mode == Mode::Never {
        Some("OCR is turned off: mode never".to_string())
    } else {
        missing_programs(need).map(|hint| format!("needs OCR: {hint}"))
    };
    if let Some(why) = why_not {
        if x.doc.blocks.is_empty() {
            return Err(unread(why));
        }
        if let Need::Pages { without_text, .. } = need {
            if !without_text.is_empty() && mode != Mode::Never {
                x.warnings.push(format!(
                    "{} page(s) without a text layer not read ({why})",
                    without_text.len()
                ));
            }
        }
        return Ok(x);
    }

    let languages = job.settings.languages.as_str();
    let reads: Vec<Read> = match need {
        Need::Image => vec![read_image(job, languages)],
        Need::Pages { .. } => {
            let file = crate::index::manifest::content_hash(job.path).map_err(|reason| {
                Failure::new(
                    FailureKind::Unreadable,
                    format!("cannot read it again for OCR: {reason}"),
                )
            })?;
            wanted
                .par_iter()
                .map(|&number| read_pdf_page(job, &file, number, languages))
                .collect()
        }
    };

    let mut failed = Vec::new();
    let mut first_failure = None;
    let mut noise = Vec::new();
    let mut low = Vec::new();
    // The paragraphs read per page, with the page's confidence.
    let mut read: BTreeMap<u32, (Vec<Paragraph>, Option<f32>)> = BTreeMap::new();
    for r in reads {
        let pages = match r.result {
            Ok(pages) => pages,
            Err(f) => {
                counts.failed += 1;
                failed.push(if r.number == 0 {
                    f.message.clone()
                } else {
                    format!("{} ({})", r.number, f.message)
                });
                first_failure.get_or_insert(f);
                continue;
            }
        };
        // An image counts its pages; a PDF page is one.
        let n = if r.number == 0 {
            pages.len().max(1) as u32
        } else {
            1
        };
        if r.cached {
            counts.cached += n;
        } else {
            counts.read += n;
        }
        let (kept, noisy) = without_noise(pages);
        for n in noisy {
            noise.push(if r.number == 0 { n } else { r.number });
        }
        for page in kept {
            let number = if r.number == 0 { page.number } else { r.number };
            if let Some(c) = page.confidence.filter(|c| *c < LOW_CONFIDENCE) {
                low.push(format!("{number} ({c:.0})"));
            }
            if !page.paragraphs.is_empty() {
                read.insert(number, (page.paragraphs, page.confidence));
            }
        }
    }
    counts.pages += read.len() as u32;

    if !read.is_empty() {
        merge(&mut x, read);
        if x.doc.meta.title.is_none() {
            crate::extract::title_or_file_name(&mut x.doc.meta, &x.doc.path.clone());
        }
    }
    if let Need::Image = need {
        x.pages = Some(x.pages.unwrap_or(0).max(counts.pages));
    }
    if !failed.is_empty() {
        x.warnings.push(format!(
            "OCR could not read page(s) {} (quarry index --rebuild tries them again)",
            failed.join(", ")
        ));
    }
    if !noise.is_empty() {
        let pages: Vec<String> = noise.iter().map(u32::to_string).collect();
        x.warnings.push(format!(
            "OCR read only noise on page(s) {} (words of confidence under {}): left out",
            pages.join(", "),
            super::NOISE_CONFIDENCE
        ));
    }
    if !low.is_empty() {
        x.warnings.push(format!(
            "OCR read page(s) {} with low confidence: check quotes against the page",
            low.join(", ")
        ));
    }
    if x.doc.blocks.is_empty() {
        return Err(match need {
            Need::Image => match first_failure {
                Some(f) if f.kind == FailureKind::Corrupt => Failure::new(
                    FailureKind::Corrupt,
                    format!("not a readable image ({})", f.message),
                ),
                Some(f) => f,
                None if noise.is_empty() => Failure::new(FailureKind::NoText, "OCR found no text"),
                None => Failure::new(
                    FailureKind::NoText,
                    format!(
                        "OCR found no text, only noise (words of confidence under {})",
                        super::NOISE_CONFIDENCE
                    ),
                ),
            },
            // Every page failed: why, not "no text".
            Need::Pages { .. } if noise.is_empty() && counts.pages == 0 && !failed.is_empty() => {
                let kind = first_failure.map_or(FailureKind::Crashed, |f| f.kind);
                Failure::new(
                    kind,
                    format!(
                        "no text layer in {page_count} page(s), and OCR could not read page(s) {}",
                        failed.join(", ")
                    ),
                )
            }
            Need::Pages { .. } => Failure::new(
                FailureKind::NoTextLayer,
                format!(
                    "no text layer in {page_count} page(s), and OCR read no text on {}",
                    wanted.len()
                ),
            ),
        });
    }
    Ok(x)
}

/// The limits of one page, starting now.
fn limits(job: &Job) -> Limits {
    Limits {
        deadline: Some(Instant::now() + job.timeout),
        memory_bytes: Some(job.memory_bytes),
    }
}

/// Reads an image file (every page of it), through the cache.
fn read_image(job: &Job, languages: &str) -> Read {
    let result = (|| {
        let Some(tesseract) = super::program() else {
            return Err(Failure::new(FailureKind::NoTextLayer, INSTALL_HINT));
        };
        let bytes = std::fs::read(job.path).map_err(|e| {
            Failure::new(
                FailureKind::Unreadable,
                format!("cannot read it: {}", crate::error::io_reason(&e)),
            )
        })?;
        let key = Key::image(&bytes, languages);
        if let Some(pages) = job.cache.and_then(|c| c.get(&key)) {
            return Ok((pages, true));
        }
        let pages = engine::recognize(tesseract, &bytes, languages, None, &limits(job))?;
        if let Some(cache) = job.cache {
            let _ = cache.put(&key, &pages);
        }
        Ok((pages, false))
    })();
    let read = match result {
        Ok((pages, cached)) => Read {
            number: 0,
            result: Ok(pages),
            cached,
        },
        Err(f) => Read {
            number: 0,
            result: Err(f),
            cached: false,
        },
    };
    (job.on_page)(read.cached);
    read
}

/// Reads page `number` of the PDF whose bytes hash to `file`: from the cache by file and page,
/// else rendered, and from the cache by image, else read by Tesseract.
fn read_pdf_page(job: &Job, file: &str, number: u32, languages: &str) -> Read {
    let by_page = Key::pdf_page(file, number, languages);
    let result = (|| {
        if let Some(pages) = job.cache.and_then(|c| c.get(&by_page)) {
            return Ok((pages, true));
        }
        let (Some(tesseract), Some(renderer)) = (super::program(), super::renderer()) else {
            return Err(Failure::new(FailureKind::NoTextLayer, INSTALL_HINT));
        };
        let limits = limits(job);
        let image = engine::render_page(renderer, job.path, number, DPI, &limits)?;
        let by_image = Key::image(&image, languages);
        if let Some(pages) = job.cache.and_then(|c| c.get(&by_image)) {
            if let Some(cache) = job.cache {
                let _ = cache.put(&by_page, &pages);
            }
            return Ok((pages, true));
        }
        let pages = engine::recognize(tesseract, &image, languages, Some(DPI), &limits)?;
        if let Some(cache) = job.cache {
            let _ = cache.put(&by_image, &pages);
            let _ = cache.put(&by_page, &pages);
        }
        Ok((pages, false))
    })();
    let read = match result {
        Ok((pages, cached)) => Read {
            number,
            result: Ok(pages),
            cached,
        },
        Err(f) => Read {
            number,
            result: Err(f),
            cached: false,
        },
    };
    (job.on_page)(read.cached);
    read
}

/// Rebuilds `x`'s document with the pages in `read` taken from OCR (their paragraphs, line
/// ends rejoined, each a block carrying its confidence) and every other page as it was.
fn merge(x: &mut Extracted, read: BTreeMap<u32, (Vec<Paragraph>, Option<f32>)>) {
    let doc = &x.doc;
    let mut pages: Vec<u32> = doc.blocks.iter().filter_map(|b| b.page).collect();
    pages.extend(read.keys());
    pages.sort_unstable();
    pages.dedup();
    let mut out = TextBuilder::new();
    for page in pages {
        match read.get(&page) {
            Some((paragraphs, page_confidence)) => {
                for p in paragraphs {
                    let text = crate::extract::dehyphenate(&p.text);
                    let confidence = p.confidence.or(*page_confidence).unwrap_or(0.0);
                    let line = out.next_text_line();
                    out.push_read(&text, line, Some(page), confidence);
                }
            }
            None => {
                for b in doc.blocks.iter().filter(|b| b.page == Some(page)) {
                    let line = out.next_text_line();
                    let text = doc.text.get(b.start..b.end).unwrap_or("");
                    out.push(text, line, Some(page), b.heading);
                }
            }
        }
    }
    for b in doc.blocks.iter().filter(|b| b.page.is_none()) {
        let line = out.next_text_line();
        out.push(
            doc.text.get(b.start..b.end).unwrap_or(""),
            line,
            None,
            b.heading,
        );
    }
    let (text, blocks) = out.finish();
    x.doc.text = text;
    x.doc.blocks = blocks;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Document, Format};

    fn paragraph(text: &str, confidence: f32) -> Paragraph {
        Paragraph {
            text: text.to_string(),
            confidence: Some(confidence),
        }
    }

    #[test]
    fn pages_read_take_the_place_of_their_pages_and_the_rest_stay() {
        let mut b = TextBuilder::new();
        b.push("Page one has text.", 1, Some(1), Some(1));
        b.push("Garbage ■■■ on two.", 3, Some(2), None);
        b.push("Page three too.", 5, Some(3), None);
        let mut x = Extracted::new(Document::new("a.pdf", Format::Pdf, b.finish()));
        let mut read = BTreeMap::new();
        read.insert(
            2,
            (
                vec![
                    paragraph("A scanned para-\ngraph.", 91.4),
                    paragraph("More.", 60.0),
                ],
                Some(80.0),
            ),
        );
        read.insert(4, (vec![paragraph("A fourth page.", 88.0)], None));
        merge(&mut x, read);
        type Row<'a> = (&'a str, Option<u32>, Option<u8>, Option<u8>);
        let texts: Vec<Row> = x
            .doc
            .blocks
            .iter()
            .map(|b| (&x.doc.text[b.start..b.end], b.page, b.heading, b.ocr))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("Page one has text.", Some(1), Some(1), None),
                ("A scanned paragraph.", Some(2), None, Some(91)),
                ("More.", Some(2), None, Some(60)),
                ("Page three too.", Some(3), None, None),
                ("A fourth page.", Some(4), None, Some(88)),
            ]
        );
    }

    #[test]
    fn without_ocr_a_scan_fails_and_a_file_with_text_keeps_it() {
        let job_settings = Settings {
            mode: Mode::Never,
            languages: "eng".into(),
        };
        let job = Job {
            path: Path::new("/nonexistent.pdf"),
            settings: &job_settings,
            cache: None,
            timeout: Duration::from_secs(5),
            memory_bytes: 1 << 30,
            on_page: &|_| {},
        };
        let need = Need::Pages {
            all: vec![1, 2, 3],
            without_text: vec![1, 2],
        };
        let mut empty = Extracted::new(Document::new(
            "a.pdf",
            Format::Pdf,
            TextBuilder::new().finish(),
        ));
        empty.pages = Some(2);
        let mut counts = Counts::default();
        let err = apply(empty, &need, &job, &mut counts).unwrap_err();
        assert_eq!(err.kind, FailureKind::NoTextLayer);
        assert!(err.message.contains("2 page(s)"), "{}", err.message);
        let mut b = TextBuilder::new();
        b.push("Some text.", 1, Some(3), None);
        let x = Extracted::new(Document::new("a.pdf", Format::Pdf, b.finish()));
        let x = apply(x, &need, &job, &mut counts).unwrap();
        assert_eq!(counts, Counts::default());
        assert_eq!(x.doc.text, "Some text.");
    }
}
