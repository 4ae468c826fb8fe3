//! The OCR engine: Tesseract over page images, and poppler's `pdftoppm` to make a PDF page
//! into one.
//!
//! Both are separate programs, run as child processes with a deadline (killed at it), a memory
//! limit, and tied to the process that started them (see [`crate::extract::process`]); nothing
//! is linked. Pages are rendered at [`DPI`] as uncompressed greyscale (PGM: eight times faster
//! to make than PNG, and read the same once Tesseract is told the resolution) and handed over
//! through pipes, never temporary files. Tesseract's TSV output gives every word with its
//! confidence and its place in blocks, paragraphs and lines: [`parse_tsv`] turns it into
//! paragraphs of text per page, each with the mean confidence of its words.

use crate::extract::process::{self, Output};
use crate::extract::{Failure, FailureKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The environment variable that names the `tesseract` program (or `none`).
pub const PROGRAM_VAR: &str = "QUARRY_TESSERACT";

/// The resolution pages are rendered at: what OCR engines are tuned for, and what a clean scan
/// is measured at (issue 21 asks for 95% word recall on clean 300 dpi scans).
pub const DPI: u32 = 300;

/// The `tesseract` program to use, if any: `QUARRY_TESSERACT`, else the one on `PATH`.
pub fn program() -> Option<&'static Path> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| process::locate(PROGRAM_VAR, "tesseract"))
        .as_deref()
}

/// The `pdftoppm` program (poppler-utils), if installed.
pub fn renderer() -> Option<&'static Path> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| process::find_in_path("pdftoppm"))
        .as_deref()
}

/// What OCR read on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The 1-based page number within the image (a multi-page TIFF has several).
    pub number: u32,
    /// The paragraphs, in reading order.
    pub paragraphs: Vec<Paragraph>,
    /// The mean confidence of its words, 0 to 100 (`None` when no word was read).
    pub confidence: Option<f32>,
    /// How many words were read.
    pub words: usize,
}

/// A paragraph OCR read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    /// Its text; its lines joined by newlines.
    pub text: String,
    /// The mean confidence of its words, 0 to 100 (`None` when none gave one).
    pub confidence: Option<f32>,
}

/// What a helper program may use: a deadline and an address-space limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// When it is killed.
    pub deadline: Option<Instant>,
    /// Its address-space limit in bytes.
    pub memory_bytes: Option<u64>,
}

/// Reads the text of `image` (PNG, JPEG, TIFF, PGM, or any format Tesseract's Leptonica reads)
/// in `languages` (Tesseract's codes joined by `+`, e.g. `eng+rus`), at `dpi` when the image
/// does not say its resolution (a PGM), within `limits`: an image Tesseract refuses (or runs
/// out of memory on) is [`FailureKind::Corrupt`], one not read in time
/// [`FailureKind::TimedOut`].
pub fn recognize(
    program: &Path,
    image: &[u8],
    languages: &str,
    dpi: Option<u32>,
    limits: &Limits,
) -> Result<Vec<Page>, Failure> {
    let mut cmd = Command::new(program);
    cmd.args(["stdin", "stdout"]);
    if let Some(dpi) = dpi {
        cmd.arg("--dpi").arg(dpi.to_string());
    }
    cmd.args(["-l", languages, "--psm", "3", "tsv"]);
    // One thread per Tesseract: indexing already reads one page per core.
    cmd.env("OMP_THREAD_LIMIT", "1");
    if let Some(bytes) = limits.memory_bytes {
        process::limit_memory(&mut cmd, bytes);
    }
    match process::run(cmd, image, limits.deadline).map_err(not_run)? {
        Output::Exited { status, stdout, .. } if status.success() => {
            Ok(parse_tsv(&String::from_utf8_lossy(&stdout)))
        }
        Output::Exited { stderr, .. } => Err(Failure::new(
            FailureKind::Corrupt,
            format!("tesseract failed: {}", process::first_line(&stderr)),
        )),
        Output::OutOfTime => Err(Failure::new(
            FailureKind::TimedOut,
            "tesseract ran out of time",
        )),
    }
}

/// Renders page `page` (1-based) of the PDF at `pdf` as a greyscale PGM image at `dpi`, within
/// `limits` (failing as [`recognize`] does).
pub fn render_page(
    program: &Path,
    pdf: &Path,
    page: u32,
    dpi: u32,
    limits: &Limits,
) -> Result<Vec<u8>, Failure> {
    let mut cmd = Command::new(program);
    let page = page.to_string();
    cmd.args(["-gray", "-singlefile", "-r"])
        .arg(dpi.to_string())
        .args(["-f", &page, "-l", &page])
        .arg(pdf);
    if let Some(bytes) = limits.memory_bytes {
        process::limit_memory(&mut cmd, bytes);
    }
    match process::run(cmd, b"", limits.deadline).map_err(not_run)? {
        Output::Exited { status, stdout, .. } if status.success() && !stdout.is_empty() => {
            Ok(stdout)
        }
        Output::Exited { stderr, .. } => Err(Failure::new(
            FailureKind::Corrupt,
            format!(
                "pdftoppm could not render page {page}: {}",
                process::first_line(&stderr)
            ),
        )),
        Output::OutOfTime => Err(Failure::new(
            FailureKind::TimedOut,
            format!("pdftoppm ran out of time on page {page}"),
        )),
    }
}

/// A helper program that could not be started or waited for.
fn not_run(reason: String) -> Failure {
    Failure::new(FailureKind::Crashed, reason)
}

/// Below this mean word confidence (0 to 100) a page's words are taken for noise (a
/// photograph, speckles) and left out: clean scans read at about 95, random pixels at about 25.
pub const NOISE_CONFIDENCE: f32 = 30.0;

/// A page with fewer words than this of two letters or digits or more is noise, whatever their
/// confidence (dark bars read as "al").
pub const MIN_WORDS: usize = 3;

/// Splits `pages` into those with text and the numbers of those that read as noise (words
/// whose mean confidence is under [`NOISE_CONFIDENCE`], or fewer than [`MIN_WORDS`] words);
/// pages without a word are in neither.
pub fn without_noise(pages: Vec<Page>) -> (Vec<Page>, Vec<u32>) {
    let mut noise = Vec::new();
    let mut kept = Vec::new();
    for page in pages {
        let words = page
            .paragraphs
            .iter()
            .flat_map(|p| p.text.split_whitespace())
            .filter(|w| w.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
            .count();
        match page.confidence {
            Some(c) if c >= NOISE_CONFIDENCE && words >= MIN_WORDS => kept.push(page),
            Some(_) => noise.push(page.number),
            None => {}
        }
    }
    (kept, noise)
}

/// Pages of Tesseract's TSV output: words (level 5 rows) grouped by page, block, paragraph and
/// line, in the order given. Rows that do not parse are passed over; a word of confidence -1
/// (none given) counts as text but not towards the mean.
pub fn parse_tsv(tsv: &str) -> Vec<Page> {
    struct Word<'a> {
        page: u32,
        paragraph: (u32, u32),
        line: u32,
        conf: f32,
        text: &'a str,
    }
    let words = tsv.lines().filter_map(|row| {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            return None;
        }
        let num = |i: usize| cols[i].trim().parse::<u32>().ok();
        let text = cols[11].trim();
        (!text.is_empty()).then_some(())?;
        Some(Word {
            page: num(1)?,
            paragraph: (num(2)?, num(3)?),
            line: num(4)?,
            conf: cols[10].trim().parse::<f32>().unwrap_or(-1.0),
            text,
        })
    });
    /// A running mean of confidences.
    #[derive(Default, Clone, Copy)]
    struct Mean(f32, usize);
    impl Mean {
        fn add(&mut self, conf: f32) {
            if conf >= 0.0 {
                self.0 += conf;
                self.1 += 1;
            }
        }
        fn get(self) -> Option<f32> {
            (self.1 > 0).then(|| self.0 / self.1 as f32)
        }
    }
    let mut pages: Vec<Page> = Vec::new();
    // The mean of the current page and of each of its paragraphs.
    let mut page_mean = Mean::default();
    let mut paragraph_means: Vec<Mean> = Vec::new();
    let finish = |page: &mut Page, mean: Mean, paragraphs: &mut Vec<Mean>| {
        page.confidence = mean.get();
        for (p, m) in page.paragraphs.iter_mut().zip(paragraphs.drain(..)) {
            p.confidence = m.get();
        }
    };
    let mut at: Option<((u32, u32), u32)> = None;
    for w in words {
        if pages.last().is_none_or(|p| p.number != w.page) {
            if let Some(last) = pages.last_mut() {
                finish(last, page_mean, &mut paragraph_means);
            }
            pages.push(Page {
                number: w.page,
                paragraphs: Vec::new(),
                confidence: None,
                words: 0,
            });
            page_mean = Mean::default();
            at = None;
        }
        let Some(page) = pages.last_mut() else {
            continue;
        };
        match (at, page.paragraphs.last_mut(), paragraph_means.last_mut()) {
            (Some((paragraph, line)), Some(text), Some(mean)) if paragraph == w.paragraph => {
                text.text.push(if line == w.line { ' ' } else { '\n' });
                text.text.push_str(w.text);
                mean.add(w.conf);
            }
            _ => {
                page.paragraphs.push(Paragraph {
                    text: w.text.to_string(),
                    confidence: None,
                });
                let mut mean = Mean::default();
                mean.add(w.conf);
                paragraph_means.push(mean);
            }
        }
        at = Some((w.paragraph, w.line));
        page.words += 1;
        page_mean.add(w.conf);
    }
    if let Some(last) = pages.last_mut() {
        finish(last, page_mean, &mut paragraph_means);
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2481\t3508\t-1\t
5\t1\t1\t1\t1\t1\t253\t313\t217\t49\t95.5\tInternal
5\t1\t1\t1\t1\t2\t495\t326\t176\t36\t94.5\tmemo
5\t1\t1\t1\t2\t1\t253\t400\t176\t36\t90\tsecond
5\t1\t1\t1\t2\t2\t253\t400\t176\t36\t-1\tline
5\t1\t2\t1\t1\t1\t253\t500\t176\t36\t80\tNext
5\t1\t2\t1\t1\t2\t253\t500\t176\t36\t80\t 
bad row
5\t2\t1\t1\t1\t1\t253\t313\t217\t49\t60\tpage-two
";

    #[test]
    fn words_become_lines_paragraphs_and_pages_with_their_confidence() {
        let pages = parse_tsv(TSV);
        assert_eq!(pages.len(), 2);
        let texts = |p: &Page| {
            p.paragraphs
                .iter()
                .map(|p| p.text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            texts(&pages[0]),
            vec!["Internal memo\nsecond line".to_string(), "Next".to_string()]
        );
        let first = (95.5 + 94.5 + 90.0) / 3.0;
        assert!((pages[0].paragraphs[0].confidence.unwrap() - first).abs() < 1e-4);
        assert_eq!(pages[0].paragraphs[1].confidence, Some(80.0));
        assert_eq!(pages[0].words, 5);
        // The mean of the words that carry a confidence (-1 does not).
        let mean = (95.5 + 94.5 + 90.0 + 80.0) / 4.0;
        assert!((pages[0].confidence.unwrap() - mean).abs() < 1e-4);
        assert_eq!(pages[1].number, 2);
        assert_eq!(texts(&pages[1]), vec!["page-two".to_string()]);
        assert_eq!(pages[1].paragraphs[0].confidence, Some(60.0));
        assert!(parse_tsv("").is_empty() && parse_tsv("garbage\n\t\t\n").is_empty());
    }

    /// The fixtures of tests/fixtures/scans/ (made by make_scans.py: text we wrote, printed
    /// and rasterised at 300 dpi) read back with at least 95% of their words. Skipped, with a
    /// reason, where Tesseract or pdftoppm is not installed.
    #[test]
    fn clean_scans_read_back_with_their_words() {
        let (Some(tesseract), Some(pdftoppm)) = (program(), renderer()) else {
            eprintln!("skipped: tesseract or pdftoppm is not installed");
            return;
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let words = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        let recall = |expected: &str, got: &[Page]| {
            let mut seen: std::collections::HashMap<String, usize> = Default::default();
            for p in got {
                for w in p.paragraphs.iter().flat_map(|p| words(&p.text)) {
                    *seen.entry(w).or_default() += 1;
                }
            }
            let expected = words(expected);
            let found = expected
                .iter()
                .filter(|w| {
                    seen.get_mut(*w)
                        .filter(|n| **n > 0)
                        .map(|n| *n -= 1)
                        .is_some()
                })
                .count();
            found as f64 / expected.len() as f64
        };
        // An image file.
        let limits = Limits::default();
        let memo = recognize(tesseract, &read("memo.png"), "eng", None, &limits).unwrap();
        let r = recall(&String::from_utf8(read("memo.txt")).unwrap(), &memo);
        assert!(r >= 0.95, "memo.png: word recall {r}");
        assert!(memo[0].confidence.unwrap() > 80.0);
        // Each page of a PDF without a text layer, rendered and read.
        let pdf = dir.join("scanned-letter.pdf");
        let text = String::from_utf8(read("scanned-letter.txt")).unwrap();
        for (i, expected) in text.split('\u{c}').enumerate() {
            let image = render_page(pdftoppm, &pdf, i as u32 + 1, DPI, &limits).unwrap();
            let page = recognize(tesseract, &image, "eng", Some(DPI), &limits).unwrap();
            let r = recall(expected, &page);
            assert!(r >= 0.95, "page {}: word recall {r}", i + 1);
        }
        // Russian, where Tesseract reads it: in its language, and not as English.
        if super::super::languages::missing("rus").is_empty() {
            let image = read("zapiska.png");
            let expected = String::from_utf8(read("zapiska.txt")).unwrap();
            let page = recognize(tesseract, &image, "rus", None, &limits).unwrap();
            let r = recall(&expected, &page);
            assert!(r >= 0.95, "zapiska.png in rus: word recall {r}");
            let page = recognize(tesseract, &image, "eng", None, &limits).unwrap();
            let r = recall(&expected, &page);
            assert!(r < 0.2, "zapiska.png in eng: word recall {r}");
        } else {
            eprintln!("skipped zapiska.png: Tesseract lacks rus");
        }
        // Noise yields next to nothing, and no error.
        let noise = render_page(pdftoppm, &dir.join("noise.pdf"), 1, DPI, &limits).unwrap();
        let pages = recognize(tesseract, &noise, "eng", Some(DPI), &limits).unwrap();
        let words_read: usize = pages.iter().map(|p| p.words).sum();
        assert!(words_read < 20, "{pages:?}");
        // A page beyond the last is an error, not a panic.
        assert!(render_page(pdftoppm, &pdf, 9, DPI, &limits).is_err());
        // So is a helper over its memory limit.
        let tight = Limits {
            deadline: None,
            memory_bytes: Some(20_000_000),
        };
        assert!(recognize(tesseract, &read("memo.png"), "eng", None, &tight).is_err());
    }
}
