//! PDF text through poppler's `pdftotext -bbox-layout`, when it is installed.
//!
//! The pure-Rust parser loses the words of PDFs whose fonts carry ligature glyphs in a built-in
//! encoding (LaTeX's Computer Modern: `officials` came out as `ffi`), so where poppler's
//! `pdftotext` is on the machine (Debian's `poppler-utils`) it extracts the text and the
//! pure-Rust parser is the fallback. `-bbox-layout` gives pages, blocks (paragraphs in reading
//! order), lines and words with their boxes, streamed as XHTML; a block whose lines are much
//! taller than the document's typical line is a heading. Document information (title, author,
//! creation date) comes from the same output.
//!
//! Pages are read within time limits ([`Limits`]): a page pdftotext is stuck on (a crafted
//! content stream that inflates to gigabytes) is skipped with a warning after the page limit,
//! and the rest of the file is read; at the file's deadline the pages read so far are kept.
//!
//! `QUARRY_PDFTOTEXT` names the program to use, or `none` to use the pure-Rust parser only. The
//! choice is part of the extractor's name in the manifest (`pdf-poppler` or `pdf`), so an index
//! built one way is re-extracted when the other is used.

use super::{Band, RawBlock};
use crate::extract::{Failure, FailureKind};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The environment variable that names `pdftotext` (or `none`).
pub const PROGRAM_VAR: &str = "QUARRY_PDFTOTEXT";

/// The `pdftotext` program to use, if any.
pub fn program() -> Option<&'static Path> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| crate::extract::process::locate(PROGRAM_VAR, "pdftotext"))
        .as_deref()
}

/// What poppler read from a PDF.
#[derive(Debug, Default)]
pub(super) struct Pages {
    /// 1-based page numbers with their blocks, in order (pages without text included, and
    /// pages skipped for time as empty pages).
    pub pages: Vec<(u32, Vec<RawBlock>)>,
    /// Document information.
    pub title: Option<String>,
    pub author: Option<String>,
    pub keywords: Option<String>,
    pub subject: Option<String>,
    pub created: Option<String>,
    /// What was not read and why: pages skipped for time, pages left at the file's deadline.
    pub warnings: Vec<String>,
    /// Whether some pages were not read within the time limits.
    pub incomplete: bool,
    /// The pages skipped for time (pdftotext stalled on them: not for OCR either).
    pub skipped: Vec<u32>,
}

/// Why poppler gave no text.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The PDF needs a password.
    Encrypted,
    /// pdftotext failed (corrupt file, crash): the pure-Rust parser may still read it.
    Failed(String),
}

/// Time limits for one PDF.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// How long pdftotext may go without finishing a page before that page is skipped.
    pub page: Duration,
    /// When to stop reading and keep the pages read so far (the file's own time limit, less
    /// a margin to assemble and send them).
    pub deadline: Option<Instant>,
}

impl Limits {
    /// The default page limit, and the longest: a page of text takes milliseconds.
    pub const PAGE: Duration = Duration::from_secs(10);

    /// Limits within a file's time limit (`started`, `timeout`), when it has one: a page may
    /// take an eighth of it (1 to 10 s), and reading stops at nine tenths of it.
    pub fn within(budget: Option<(Instant, Duration)>) -> Limits {
        match budget {
            None => Limits {
                page: Self::PAGE,
                deadline: None,
            },
            Some((started, timeout)) => Limits {
                page: (timeout / 8).clamp(Duration::from_secs(1), Self::PAGE),
                deadline: Some(started + timeout.mul_f64(0.9)),
            },
        }
    }
}

/// A word of a line, with its box.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    y_min: f32,
    y_max: f32,
}

/// A line being read: its words and vertical extent.
#[derive(Debug, Default)]
struct Line {
    words: Vec<Word>,
    x_min: f32,
    x_max: f32,
    y_min: f32,
    y_max: f32,
    height: f32,
}

impl Line {
    /// Whether `other` stands on the same line of the page (their heights overlap by most of
    /// the smaller one).
    fn level_with(&self, other: &Line) -> bool {
        let overlap = self.y_max.min(other.y_max) - self.y_min.max(other.y_min);
        overlap > 0.6 * self.height.min(other.height)
    }
}

/// How one run of pdftotext ended.
#[derive(Debug)]
enum End {
    /// It exited by itself, with this status and the start of what it said on stderr.
    Exited(std::process::ExitStatus, String),
    /// It went longer than the page limit without finishing a page, and was stopped.
    Stalled,
    /// The file's deadline came, and it was stopped.
    OutOfTime,
}

/// Extracts `bytes` (a PDF) with `program`, page by page within `limits`.
///
/// One run of pdftotext reads the whole file in the common case. Its output is watched as it
/// streams: when no page is finished within the page limit, the run is stopped, the pages it
/// finished are kept, and the page it was on is tried alone under the same limit (output is
/// buffered, so the slow page may be a later one). A page that is slow alone is skipped with a
/// warning, and reading resumes after it; so one crafted page (a Flate bomb) costs at most two
/// page limits, never the file. At the deadline the pages read so far are kept.
pub(super) fn extract(program: &Path, bytes: &[u8], limits: &Limits) -> Result<Pages, Refusal> {
    let mut reading = Reading::default();
    let mut skipped: Vec<u32> = Vec::new();
    let mut next = 1u32;
    loop {
        let (end, done) = run(program, bytes, next, None, limits, &mut reading)?;
        let at = next.saturating_add(done);
        match end {
            End::Exited(status, _) if status.success() => break,
            // A run resumed past the last page: the file has ended.
            End::Exited(status, _) if next > 1 && done == 0 && status.code() == Some(99) => break,
            End::Exited(status, errors) if reading.pages.is_empty() && skipped.is_empty() => {
                return Err(refusal(status, &errors));
            }
            End::Exited(status, errors) => {
                reading.warnings.push(format!(
                    "pdftotext stopped at page {at} ({}); the pages before it are indexed",
                    failure_text(status, &errors)
                ));
                reading.incomplete = true;
                break;
            }
            End::OutOfTime => {
                reading.stop_at_deadline(at);
                break;
            }
            End::Stalled => {
                let (alone, done_alone) = run(program, bytes, at, Some(at), limits, &mut reading)?;
                match alone {
                    End::Exited(status, _) if status.success() => {}
                    // The stall came after the last page.
                    End::Exited(status, _) if done_alone == 0 && status.code() == Some(99) => break,
                    End::OutOfTime => {
                        reading.stop_at_deadline(at);
                        break;
                    }
                    End::Stalled | End::Exited(..) => {
                        reading.pages.push((at, Vec::new()));
                        skipped.push(at);
                    }
                }
                next = at.saturating_add(1);
            }
        }
    }
    if !skipped.is_empty() {
        reading.warnings.insert(
            0,
            format!(
                "{} skipped: pdftotext took longer than {} s on {}",
                page_list(&skipped),
                limits.page.as_secs_f32(),
                if skipped.len() == 1 { "it" } else { "each" }
            ),
        );
        reading.incomplete = true;
    }
    let mut pages = reading.finish();
    pages.skipped = skipped;
    Ok(pages)
}

/// `page 7` or `pages 7, 9, 12` (the first ten, then how many more).
fn page_list(pages: &[u32]) -> String {
    let shown: Vec<String> = pages.iter().take(10).map(u32::to_string).collect();
    let more = match pages.len().saturating_sub(10) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let noun = if pages.len() == 1 { "page" } else { "pages" };
    format!("{noun} {}{more}", shown.join(", "))
}

fn failure_text(status: std::process::ExitStatus, errors: &str) -> String {
    let first = errors
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message");
    format!("pdftotext exited with {status}: {first}")
}

fn refusal(status: std::process::ExitStatus, errors: &str) -> Refusal {
    if errors.contains("Incorrect password") {
        Refusal::Encrypted
    } else {
        Refusal::Failed(failure_text(status, errors))
    }
}

/// One run of pdftotext over pages `first` to `last` (or the end), adding the pages it
/// finishes to `reading`; returns how it ended and how many pages it finished.
fn run(
    program: &Path,
    bytes: &[u8],
    first: u32,
    last: Option<u32>,
    limits: &Limits,
    reading: &mut Reading,
) -> Result<(End, u32), Refusal> {
    let mut cmd = Command::new(program);
    cmd.args(["-bbox-layout", "-enc", "UTF-8", "-q", "-f"])
        .arg(first.to_string());
    if let Some(last) = last {
        cmd.arg("-l").arg(last.to_string());
    }
    cmd.args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // pdftotext dies with the worker that started it.
    crate::extract::process::dies_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| Refusal::Failed(format!("cannot run {}: {e}", program.display())))?;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let child = Mutex::new(child);
    let done = AtomicU32::new(0);
    let finished = AtomicBool::new(false);
    let stopped: Mutex<Option<End>> = Mutex::new(None);
    let (status, errors) = std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(mut stdin) = stdin {
                // pdftotext may stop reading early (a corrupt file); that is its answer.
                let _ = stdin.write_all(bytes);
            }
        });
        let errors = s.spawn(|| {
            let mut text = String::new();
            if let Some(e) = stderr {
                let _ = e.take(64 * 1024).read_to_string(&mut text);
            }
            text
        });
        // The watchdog: stops the run when a page takes too long or the deadline comes.
        s.spawn(|| {
            let (mut seen, mut since) = (0, Instant::now());
            while !finished.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(10));
                let now = Instant::now();
                let d = done.load(Ordering::Acquire);
                if d != seen {
                    (seen, since) = (d, now);
                }
                let end = if limits.deadline.is_some_and(|t| now >= t) {
                    End::OutOfTime
                } else if now.duration_since(since) > limits.page {
                    End::Stalled
                } else {
                    continue;
                };
                if let Ok(mut slot) = stopped.lock() {
                    *slot = Some(end);
                }
                if let Ok(mut c) = child.lock() {
                    let _ = c.kill();
                }
                break;
            }
        });
        if let Some(out) = stdout {
            // A stopped run's output ends mid-page: what it finished is kept, the rest is not.
            let _ = reading.read_run(BufReader::new(out), first, &done);
        }
        let status = loop {
            let polled = match child.lock() {
                Ok(mut c) => c.try_wait(),
                Err(_) => Err(std::io::Error::other("lost pdftotext")),
            };
            match polled {
                Ok(Some(status)) => break Ok(status),
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => break Err(e),
            }
        };
        finished.store(true, Ordering::Release);
        (status, errors.join().unwrap_or_default())
    });
    let status = status.map_err(|e| Refusal::Failed(e.to_string()))?;
    let done = done.into_inner();
    let stopped = stopped.into_inner().ok().flatten();
    Ok((stopped.unwrap_or(End::Exited(status, errors)), done))
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name).ok().flatten().and_then(|a| {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()
            .map(|v| v.into_owned())
    })
}

fn number(e: &quick_xml::events::BytesStart<'_>, name: &str) -> f32 {
    attr(e, name).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// A page as read: its number and its blocks (their band and lines).
type ReadPage = (u32, Vec<(Band, Vec<Line>)>);

/// What the runs of pdftotext over one PDF have read: complete pages only.
#[derive(Debug, Default)]
struct Reading {
    /// Finished pages, in order.
    pages: Vec<ReadPage>,
    title: Option<String>,
    author: Option<String>,
    keywords: Option<String>,
    subject: Option<String>,
    created: Option<String>,
    warnings: Vec<String>,
    incomplete: bool,
}

impl Reading {
    fn stop_at_deadline(&mut self, page: u32) {
        self.warnings.push(format!(
            "pages from {page} on were not read: the file's time limit ran out (raise it with --timeout)"
        ));
        self.incomplete = true;
    }

    /// Reads one run's XHTML, whose first page is `first`; each finished page is added and
    /// counted in `done`. A page cut off by the end of the output is dropped.
    fn read_run(
        &mut self,
        input: impl std::io::BufRead,
        first: u32,
        done: &AtomicU32,
    ) -> Result<(), String> {
        let mut reader = Reader::from_reader(input);
        let mut buf = Vec::new();
        let mut page: Option<ReadPage> = None;
        let mut next_number = first;
        let mut block: Vec<Line> = Vec::new();
        let mut page_height = 0.0f32;
        let mut band = Band::Body;
        let mut line: Option<Line> = None;
        let mut word: Option<String> = None;
        let mut word_box = (0.0f32, 0.0f32);
        let mut title: Option<String> = None;
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| format!("unreadable pdftotext output: {e}"))?;
            match event {
                Event::Start(e) => match e.local_name().into_inner() {
                    "page" => {
                        page = Some((next_number, Vec::new()));
                        next_number = next_number.saturating_add(1);
                        page_height = number(&e, "height");
                    }
                    "block" => {
                        block.clear();
                        band = band_of(number(&e, "yMin"), number(&e, "yMax"), page_height);
                    }
                    "line" => {
                        let (y_min, y_max) = (number(&e, "yMin"), number(&e, "yMax"));
                        line = Some(Line {
                            words: Vec::new(),
                            x_min: number(&e, "xMin"),
                            x_max: number(&e, "xMax"),
                            y_min,
                            y_max,
                            height: y_max - y_min,
                        })
                    }
                    "word" => {
                        word = Some(String::new());
                        word_box = (number(&e, "yMin"), number(&e, "yMax"));
                    }
                    "title" => title = Some(String::new()),
                    _ => {}
                },
                Event::Empty(e) => match e.local_name().into_inner() {
                    "meta" => {
                        let (Some(name), Some(content)) = (attr(&e, "name"), attr(&e, "content"))
                        else {
                            continue;
                        };
                        let slot = match name.as_str() {
                            "Author" => &mut self.author,
                            "Keywords" => &mut self.keywords,
                            "Subject" => &mut self.subject,
                            "CreationDate" => &mut self.created,
                            _ => continue,
                        };
                        slot.get_or_insert(content);
                    }
                    "page" => {
                        self.pages.push((next_number, Vec::new()));
                        next_number = next_number.saturating_add(1);
                        done.fetch_add(1, Ordering::AcqRel);
                    }
                    _ => {}
                },
                Event::Text(t) => {
                    let text = t.xml10_content();
                    if let Some(w) = word.as_mut() {
                        w.push_str(&text);
                    } else if let Some(s) = title.as_mut() {
                        s.push_str(&text);
                    }
                }
                Event::GeneralRef(r) => {
                    let c = if r.is_char_ref() {
                        r.resolve_char_ref().ok().flatten()
                    } else {
                        crate::extract::docx::named_entity(&r)
                    };
                    if let (Some(c), Some(w)) = (c, word.as_mut()) {
                        w.push(c);
                    } else if let (Some(c), Some(s)) = (c, title.as_mut()) {
                        s.push(c);
                    }
                }
                Event::End(e) => match e.local_name().into_inner() {
                    "word" => {
                        if let (Some(text), Some(l)) = (word.take(), line.as_mut()) {
                            if !text.is_empty() {
                                l.words.push(Word {
                                    text,
                                    y_min: word_box.0,
                                    y_max: word_box.1,
                                });
                            }
                        }
                    }
                    "line" => {
                        if let Some(mut l) = line.take().filter(|l| !l.words.is_empty()) {
                            mark_footnote_markers(&mut l.words);
                            block.push(l);
                        }
                    }
                    "block" if !block.is_empty() => {
                        if let Some((_, blocks)) = page.as_mut() {
                            blocks.push((band, std::mem::take(&mut block)));
                        }
                    }
                    "page" => {
                        if let Some(p) = page.take() {
                            self.pages.push(p);
                            done.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                    "title" => {
                        let t = title.take().filter(|t| !t.trim().is_empty());
                        if self.title.is_none() {
                            self.title = t;
                        }
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(())
    }

    /// The pages as blocks: lines set level joined, footnote numbers attached, headings found
    /// from the line heights of the whole document.
    fn finish(self) -> Pages {
        let mut out = Pages {
            pages: Vec::with_capacity(self.pages.len()),
            title: self.title,
            author: self.author,
            keywords: self.keywords,
            subject: self.subject,
            created: self.created,
            warnings: self.warnings,
            incomplete: self.incomplete,
            skipped: Vec::new(),
        };
        let mut doc_blocks: Vec<(usize, Band, Vec<Line>)> = Vec::new();
        for (i, (number, blocks)) in self.pages.into_iter().enumerate() {
            out.pages.push((number, Vec::new()));
            doc_blocks.extend(blocks.into_iter().map(|(band, lines)| (i, band, lines)));
        }
        let mut doc_blocks = merge_level_lines(doc_blocks);
        let body = typical_height(&doc_blocks);
        attach_footnote_numbers(&mut doc_blocks, body);
        for (page, band, lines) in doc_blocks {
            let heading = heading_level(&lines, body);
            // The lines of a paragraph run on; a word hyphenated at a line end is rejoined later.
            let text = lines
                .iter()
                .flat_map(|l| l.words.iter().map(|w| w.text.as_str()))
                .collect::<Vec<_>>()
                .join(" ");
            if let Some((_, blocks)) = out.pages.get_mut(page) {
                blocks.push(RawBlock {
                    text,
                    heading,
                    band,
                });
            }
        }
        out
    }
}

/// Reads pdftotext's XHTML of a whole file.
pub(super) fn parse(input: impl std::io::BufRead) -> Result<Pages, String> {
    let mut reading = Reading::default();
    reading.read_run(input, 1, &AtomicU32::new(0))?;
    Ok(reading.finish())
}

/// Marks footnote markers: a number of one to four digits set small and raised against the
/// other words of its line becomes `[N]`, joined to the word before it (`$100,000.[56]`), so a
/// quote never runs a footnote number into the sentence (`$100,000. 56 During`) and the number
/// can still be searched.
fn mark_footnote_markers(words: &mut Vec<Word>) {
    if words.len() < 2 {
        return;
    }
    let mut heights: Vec<f32> = words.iter().map(|w| w.y_max - w.y_min).collect();
    heights.sort_by(f32::total_cmp);
    let body = heights[heights.len() / 2];
    let baseline = words
        .iter()
        .filter(|w| w.y_max - w.y_min >= 0.85 * body)
        .map(|w| w.y_max)
        .fold(f32::MIN, f32::max);
    if body <= 0.0 || baseline == f32::MIN {
        return;
    }
    let is_marker = |w: &Word| {
        let h = w.y_max - w.y_min;
        (1..=4).contains(&w.text.len())
            && w.text.bytes().all(|b| b.is_ascii_digit())
            && h < 0.85 * body
            && w.y_max < baseline - 0.15 * body
    };
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    for w in words.drain(..) {
        if is_marker(&w) {
            let marker = format!("[{}]", w.text);
            match out.last_mut() {
                Some(prev) => prev.text.push_str(&marker),
                None => out.push(Word { text: marker, ..w }),
            }
        } else {
            out.push(w);
        }
    }
    *words = out;
}

/// Joins blocks of one line that stand level with each other: poppler splits a line at wide
/// gaps (a section number and its title, `1` and `Findings of the review`), which would make
/// two headings of one.
fn merge_level_lines(blocks: Vec<(usize, Band, Vec<Line>)>) -> Vec<(usize, Band, Vec<Line>)> {
    let mut out: Vec<(usize, Band, Vec<Line>)> = Vec::with_capacity(blocks.len());
    for (page, band, mut lines) in blocks {
        if let Some((last_page, _, last)) = out.last_mut() {
            if *last_page == page
                && last.len() == 1
                && lines.len() == 1
                && last[0].level_with(&lines[0])
            {
                let next = lines.remove(0);
                let l = &mut last[0];
                l.words.extend(next.words);
                l.x_min = l.x_min.min(next.x_min);
                l.x_max = l.x_max.max(next.x_max);
                l.y_min = l.y_min.min(next.y_min);
                l.y_max = l.y_max.max(next.y_max);
                l.height = l.height.max(next.height);
                continue;
            }
        }
        out.push((page, band, lines));
    }
    out
}

/// Gives footnotes their numbers back: poppler sets a footnote's number (`1`, `571`) apart
/// from its text, as a line of its own or a block of numbers alone, which would read as orphan
/// numbers (`571 572 573`) and leave the notes unnumbered. A number alone on its line, set
/// smaller than a text line on the same page that stands level with it just to its right,
/// becomes `[N]` at the start of that line, as a raised marker in the text does; one set smaller
/// than the body text with no such line (its note's text is redacted) becomes `[N]` alone.
/// Other numbers (page numbers, a table's column, a table of contents' page numbers) stay.
fn attach_footnote_numbers(blocks: &mut Vec<(usize, Band, Vec<Line>)>, body: f32) {
    let is_number = |l: &Line| {
        l.words.len() == 1
            && (1..=4).contains(&l.words[0].text.len())
            && l.words[0].text.bytes().all(|b| b.is_ascii_digit())
    };
    let gap = if body > 0.0 { 3.0 * body } else { 30.0 };
    // (number's block, line) -> (text's block, line), found before anything moves.
    let mut pairs: Vec<((usize, usize), (usize, usize))> = Vec::new();
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    while start < blocks.len() {
        let page = blocks[start].0;
        let end = start + blocks[start..].iter().take_while(|b| b.0 == page).count();
        let lines = || (start..end).flat_map(|b| (0..blocks[b].2.len()).map(move |l| (b, l)));
        for (nb, nl) in lines().filter(|&(b, l)| is_number(&blocks[b].2[l])) {
            let number = &blocks[nb].2[nl];
            let target = lines()
                .filter(|&(b, l)| {
                    let line = &blocks[b].2[l];
                    let overlap = number.y_max.min(line.y_max) - number.y_min.max(line.y_min);
                    !is_number(line)
                        && number.height < 0.9 * line.height
                        && overlap > 0.3 * number.height
                        && line.x_min >= number.x_max - 1.0
                        && line.x_min - number.x_max < gap
                })
                .min_by(|&(b1, l1), &(b2, l2)| {
                    blocks[b1].2[l1].x_min.total_cmp(&blocks[b2].2[l2].x_min)
                });
            match target {
                Some(t) if !pairs.iter().any(|(_, used)| *used == t) => pairs.push(((nb, nl), t)),
                // Set small with no text beside it: the number of a note whose text is not in
                // the text layer (redacted, an image), marked as such.
                _ if body > 0.0 && number.height < 0.85 * body => marks.push((nb, nl)),
                _ => {}
            }
        }
        start = end;
    }
    for (b, l) in marks {
        let word = &mut blocks[b].2[l].words[0];
        word.text = format!("[{}]", word.text);
    }
    for &((nb, nl), (tb, tl)) in &pairs {
        let word = &blocks[nb].2[nl].words[0];
        let marker = Word {
            text: format!("[{}]", word.text),
            ..word.clone()
        };
        blocks[tb].2[tl].words.insert(0, marker);
    }
    // Remove the numbers, last first so the positions stay right.
    let mut numbers: Vec<(usize, usize)> = pairs.iter().map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    for (b, l) in numbers.into_iter().rev() {
        blocks[b].2.remove(l);
    }
    blocks.retain(|b| !b.2.is_empty());
}

/// The top and bottom tenth of a page, where running headers and footers start or end.
const EDGE_BAND: f32 = 0.1;

fn band_of(y_min: f32, y_max: f32, page_height: f32) -> Band {
    if page_height <= 0.0 {
        Band::Unknown
    } else if y_min <= page_height * EDGE_BAND {
        Band::Top
    } else if y_max >= page_height * (1.0 - EDGE_BAND) {
        Band::Bottom
    } else {
        Band::Body
    }
}

/// The line height most words of the document are set in.
fn typical_height(blocks: &[(usize, Band, Vec<Line>)]) -> f32 {
    let mut heights: Vec<(f32, usize)> = blocks
        .iter()
        .flat_map(|(_, _, lines)| lines.iter().map(|l| (l.height, l.words.len())))
        .filter(|(h, _)| *h > 0.0)
        .collect();
    heights.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: usize = heights.iter().map(|(_, n)| n).sum();
    let mut seen = 0;
    for (h, n) in &heights {
        seen += n;
        if seen * 2 >= total {
            return *h;
        }
    }
    0.0
}

/// A short block set clearly larger than the body text is a heading: level 1 from 1.6 times
/// the body's line height, 2 from 1.35, 3 from 1.15.
fn heading_level(lines: &[Line], body: f32) -> Option<u8> {
    if body <= 0.0 || lines.len() > 3 {
        return None;
    }
    let words: usize = lines.iter().map(|l| l.words.len()).sum();
    if words > 20 {
        return None;
    }
    let height = lines.iter().map(|l| l.height).fold(0.0, f32::max);
    let ratio = height / body;
    match ratio {
        r if r >= 1.6 => Some(1),
        r if r >= 1.35 => Some(2),
        r if r >= 1.15 => Some(3),
        _ => None,
    }
}

/// A refusal as the failure of a file (when the pure-Rust parser is not tried).
pub(super) fn encrypted() -> Failure {
    Failure::new(
        FailureKind::Encrypted,
        "encrypted PDF (needs a password; decrypt it first, e.g. with qpdf --decrypt)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml">
<head>
<title>A &amp; B report</title>
<meta name="Author" content="Analyst"/>
<meta name="CreationDate" content="2019-06-23T09:04:16-04"/>
</head>
<body><doc>
<page width="612" height="792"><flow>
<block yMin="20" yMax="40"><line yMin="20" yMax="40"><word>Findings</word></line></block>
<block yMin="100" yMax="122">
<line yMin="100" yMax="110"><word>The</word><word>o&#xFB03;cials</word><word>made</word></line>
<line yMin="112" yMax="122"><word>an</word><word>e&#xFB00;ort.</word></line>
</block>
</flow></page>
<page width="612" height="792"></page>
</doc></body></html>"#;

    #[test]
    fn pages_blocks_headings_and_information_are_read() {
        let pages = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(pages.title.as_deref(), Some("A & B report"));
        assert_eq!(pages.author.as_deref(), Some("Analyst"));
        assert_eq!(pages.created.as_deref(), Some("2019-06-23T09:04:16-04"));
        assert_eq!(pages.pages.len(), 2);
        let (number, blocks) = &pages.pages[0];
        assert_eq!(*number, 1);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].text, "Findings");
        assert_eq!(blocks[0].heading, Some(1));
        assert_eq!(blocks[1].text, "The o\u{FB03}cials made an e\u{FB00}ort.");
        assert_eq!(blocks[1].heading, None);
        assert_eq!((blocks[0].band, blocks[1].band), (Band::Top, Band::Body));
        assert!(pages.pages[1].1.is_empty());
    }

    #[test]
    fn raised_small_numbers_are_footnote_markers() {
        let w = |text: &str, y_min: f32, y_max: f32| Word {
            text: text.into(),
            y_min,
            y_max,
        };
        let mut words = vec![
            w("approximately", 347.2, 357.8),
            w("$100,000.", 347.2, 357.8),
            w("56", 345.6, 352.7),
            w("During", 347.2, 357.8),
            w("2016", 347.2, 357.8),
        ];
        mark_footnote_markers(&mut words);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["approximately", "$100,000.[56]", "During", "2016"]);
    }

    #[test]
    fn footnote_numbers_set_apart_rejoin_their_notes() {
        let line = |words: &[&str], x_min: f32, x_max: f32, y_min: f32, y_max: f32| Line {
            words: words
                .iter()
                .map(|t| Word {
                    text: t.to_string(),
                    y_min,
                    y_max,
                })
                .collect(),
            x_min,
            x_max,
            y_min,
            y_max,
            height: y_max - y_min,
        };
        let mut blocks = vec![
            (
                0,
                Band::Body,
                vec![line(&["Body", "text."], 90.0, 520.0, 100.0, 112.0)],
            ),
            (
                0,
                Band::Body,
                vec![
                    line(&["571"], 95.0, 107.0, 600.0, 606.0),
                    line(&["572"], 95.0, 107.0, 630.0, 636.0),
                ],
            ),
            (
                0,
                Band::Body,
                vec![
                    line(&["First", "note."], 108.0, 500.0, 601.0, 611.0),
                    line(&["runs", "on."], 90.0, 300.0, 613.0, 623.0),
                    // A number as a line of the note's own block.
                    line(&["573"], 95.0, 107.0, 660.0, 666.0),
                    line(&["Third."], 108.0, 300.0, 661.0, 671.0),
                    // A table row: the number is as tall as its label, so it stays.
                    line(&["Total"], 90.0, 130.0, 680.0, 692.0),
                    line(&["12"], 140.0, 150.0, 680.0, 692.0),
                ],
            ),
            (
                0,
                Band::Body,
                vec![line(&["Second."], 108.0, 300.0, 631.0, 641.0)],
            ),
            // A small number with no text: its note is redacted.
            (
                0,
                Band::Body,
                vec![line(&["574"], 95.0, 107.0, 700.0, 706.0)],
            ),
            // A page number with nothing level beside it stays.
            (
                0,
                Band::Bottom,
                vec![line(&["14"], 300.0, 312.0, 730.0, 742.0)],
            ),
        ];
        attach_footnote_numbers(&mut blocks, 12.0);
        let texts: Vec<String> = blocks
            .iter()
            .map(|(_, _, lines)| {
                let words: Vec<&str> = lines
                    .iter()
                    .flat_map(|l| l.words.iter().map(|w| w.text.as_str()))
                    .collect();
                words.join(" ")
            })
            .collect();
        assert_eq!(
            texts,
            [
                "Body text.",
                "[571] First note. runs on. [573] Third. Total 12",
                "[572] Second.",
                "[574]",
                "14"
            ]
        );
    }

    #[test]
    fn garbage_output_never_panics() {
        for garbage in [
            &b"<doc><page><block><line><word>x</wor"[..],
            b"\xff\xfe<<<",
            b"<word>outside a line</word></line></block>",
            b"",
        ] {
            let _ = parse(garbage);
        }
    }
}
