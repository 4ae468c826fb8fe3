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
use std::sync::OnceLock;

/// The environment variable that names `pdftotext` (or `none`).
pub const PROGRAM_VAR: &str = "QUARRY_PDFTOTEXT";

/// The `pdftotext` program to use, if any.
pub fn program() -> Option<&'static Path> {
    static PROGRAM: OnceLock<Option<PathBuf>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| match std::env::var_os(PROGRAM_VAR) {
            Some(v) if v == "none" || v.is_empty() => None,
            Some(v) => Some(PathBuf::from(v)),
            None => find_in_path("pdftotext"),
        })
        .as_deref()
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// What poppler read from a PDF.
#[derive(Debug, Default)]
pub(super) struct Pages {
    /// 1-based page numbers with their blocks, in order (pages without text included).
    pub pages: Vec<(u32, Vec<RawBlock>)>,
    /// Document information.
    pub title: Option<String>,
    pub author: Option<String>,
    pub keywords: Option<String>,
    pub subject: Option<String>,
    pub created: Option<String>,
}

/// Why poppler gave no text.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The PDF needs a password.
    Encrypted,
    /// pdftotext failed (corrupt file, crash): the pure-Rust parser may still read it.
    Failed(String),
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

/// Extracts `bytes` (a PDF) with `program`.
pub(super) fn extract(program: &Path, bytes: &[u8]) -> Result<Pages, Refusal> {
    let mut cmd = Command::new(program);
    cmd.args(["-bbox-layout", "-enc", "UTF-8", "-q", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        // SAFETY: prctl and getppid are async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                // pdftotext dies with the worker that started it.
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::getppid() as u32 != parent {
                    return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Refusal::Failed(format!("cannot run {}: {e}", program.display())))?;
    let stdin = child.stdin.take();
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        if let Some(mut stdin) = stdin {
            // pdftotext may stop reading early (a corrupt file); that is its answer, not ours.
            let _ = stdin.write_all(&input);
        }
    });
    let stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(s) = stderr {
            let _ = s.take(64 * 1024).read_to_string(&mut text);
        }
        text
    });
    let parsed = match child.stdout.take() {
        Some(out) => parse(BufReader::new(out)),
        None => Err("no output".to_string()),
    };
    let status = child.wait();
    let _ = feeder.join();
    let errors = errors.join().unwrap_or_default();
    let status = status.map_err(|e| Refusal::Failed(e.to_string()))?;
    if !status.success() {
        if errors.contains("Incorrect password") {
            return Err(Refusal::Encrypted);
        }
        let first = errors
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(Refusal::Failed(format!(
            "pdftotext exited with {status}: {first}"
        )));
    }
    parsed.map_err(Refusal::Failed)
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

/// Reads pdftotext's XHTML.
fn parse(input: impl std::io::BufRead) -> Result<Pages, String> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut out = Pages::default();
    // Blocks as lines with their band, to settle headings once all heights are known.
    let mut doc_blocks: Vec<(usize, Band, Vec<Line>)> = Vec::new();
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
                    out.pages.push((out.pages.len() as u32 + 1, Vec::new()));
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
            Event::Empty(e) if e.local_name().into_inner() == "meta" => {
                let (Some(name), Some(content)) = (attr(&e, "name"), attr(&e, "content")) else {
                    continue;
                };
                let slot = match name.as_str() {
                    "Author" => &mut out.author,
                    "Keywords" => &mut out.keywords,
                    "Subject" => &mut out.subject,
                    "CreationDate" => &mut out.created,
                    _ => continue,
                };
                *slot = Some(content);
            }
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
                    let page = out.pages.len().saturating_sub(1);
                    doc_blocks.push((page, band, std::mem::take(&mut block)));
                }
                "title" => {
                    out.title = title.take().filter(|t| !t.trim().is_empty());
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
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
    Ok(out)
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
