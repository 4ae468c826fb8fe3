//! Extractors: one per source format, chosen by file extension.
//!
//! Each format lives in its own file and exposes one or more [`Extractor`]s: the format, a name
//! and a version (bumped whenever its output changes, so an index can tell which files to
//! re-extract), the extensions it claims, whether it must run isolated in a worker process, and
//! how it extracts: a whole [`Document`] from a file's bytes, or a stream of record documents
//! (CSV, TSV, JSON Lines, JSON arrays; see [`records`]). Extractors are pure: they never print
//! and never panic on input; a file they cannot read is a [`Failure`] with a kind and a reason,
//! which the indexer reports with the path and skips.
//!
//! Parsers of complex binary formats (PDF, DOCX, ODT) can overflow the stack or allocate without
//! bound on crafted files, which no `catch_unwind` can stop; those extractors are marked
//! `isolate` and run in a worker process with a time and memory limit ([`worker`]).

pub mod archive;
mod decode;
mod docx;
mod epub;
pub mod frontmatter;
mod html;
mod image;
pub mod mail;
mod markdown;
mod odt;
mod pdf;
pub(crate) use pdf::dehyphenate;
pub mod process;
pub mod records;
mod spreadsheet;
mod telegram;
mod text;
mod warc;
pub mod worker;

pub use decode::{decode, decode_text, Decoded};

use crate::document::{Document, Format, Metadata};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// What an extractor returns for one document: the document and any non-fatal warnings.
#[derive(Debug, Serialize, Deserialize)]
pub struct Extracted {
    /// The extracted document.
    pub doc: Document,
    /// Problems that did not stop extraction (e.g. malformed front matter).
    pub warnings: Vec<String>,
    /// Number of pages, for paged formats.
    pub pages: Option<u32>,
    /// What the indexer is to read by OCR ([`crate::ocr::pass`]): scanned pages, an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::ocr::Need>,
}

impl Extracted {
    /// An extracted document without warnings or pages.
    pub fn new(doc: Document) -> Extracted {
        Extracted {
            doc,
            warnings: Vec::new(),
            pages: None,
            ocr: None,
        }
    }
}

/// The class of reason a file was not indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The file could not be opened or read.
    Unreadable,
    /// Larger than the size limit.
    TooLarge,
    /// Binary content where text was expected.
    Binary,
    /// Readable, but no text in it.
    NoText,
    /// A PDF whose pages are images (scanned) with no text layer.
    NoTextLayer,
    /// Encrypted and needs a password.
    Encrypted,
    /// Corrupt, truncated or not of the format its name says.
    Corrupt,
    /// Extraction took longer than the time limit.
    TimedOut,
    /// The extractor crashed or exceeded its memory limit.
    Crashed,
}

impl FailureKind {
    /// A short label, used in summaries: `binary`, `no text layer`, ...
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Unreadable => "unreadable",
            FailureKind::TooLarge => "too large",
            FailureKind::Binary => "binary",
            FailureKind::NoText => "no text",
            FailureKind::NoTextLayer => "no text layer",
            FailureKind::Encrypted => "encrypted",
            FailureKind::Corrupt => "corrupt",
            FailureKind::TimedOut => "timed out",
            FailureKind::Crashed => "crashed",
        }
    }
}

/// Why a file was not indexed: a kind and a one-line, lower-case reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The class of reason.
    pub kind: FailureKind,
    /// The reason, for people.
    pub message: String,
}

impl Failure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn unreadable(err: &std::io::Error) -> Failure {
        Failure::new(FailureKind::Unreadable, crate::error::io_reason(err))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// How an extractor turns a file into documents.
#[derive(Debug, Clone, Copy)]
pub enum Method {
    /// One document from the file's bytes; `path` is the display path to record.
    Document(fn(path: &str, bytes: &[u8]) -> Result<Extracted, Failure>),
    /// One document per record, streamed from the file by [`records::stream`].
    Records,
    /// Many documents and files from one file (a mailbox, an archive), streamed as [`Part`]s.
    Container(Container),
}

/// Reads a container file at `path` (display path `display`) and gives each part to `sink`,
/// in order; a sink error stops it.
pub type Container = fn(
    path: &Path,
    display: &str,
    limits: &Limits<'_>,
    sink: &mut dyn FnMut(Part) -> Result<(), String>,
) -> Result<ContainerSummary, Failure>;

/// The limits a container reader keeps to, and the file's settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    /// The largest file read whole, and the largest part.
    pub max_file_bytes: u64,
    /// The column mapping of the file's rows (spreadsheets), from `[records]` in quarry.toml.
    pub mapping: &'a records::Mapping,
    /// Bytes unpacked so far from the walked file, by it and every archive inside it: one
    /// budget for the whole file, so nesting does not multiply it.
    pub unpacked: &'a std::cell::Cell<u64>,
}

/// One part of a container.
#[derive(Debug)]
pub enum Part {
    /// A document its container's reader extracted itself (a message's text).
    Document(Extracted),
    /// A file inside (an attachment, an archive member), extracted by the extractor of its
    /// name's extension.
    File(Inner),
}

/// A file inside a container.
#[derive(Debug)]
pub struct Inner {
    /// Its display path: the container's, `!/`, and its name inside
    /// (`bundle.zip!/dir/report.pdf`, `box.mbox!/3/memo.docx`).
    pub display: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Metadata it starts from (an attachment's date is its message's).
    pub meta: Metadata,
    /// The display path of the document it belongs to (an attachment's message).
    pub parent: Option<String>,
    /// The extension of its type when its name does not end in one (a captured page's URL).
    pub extension: Option<&'static str>,
}

/// What a container reader found besides its parts.
#[derive(Debug, Default)]
pub struct ContainerSummary {
    /// Parts given to the sink.
    pub parts: u64,
    /// Parts skipped, and other problems, one line each.
    pub warnings: Vec<String>,
}

impl ContainerSummary {
    /// Gives `part` to `sink` and counts it. A sink's error means the index refused a
    /// document, which stops the file.
    pub fn give(
        &mut self,
        sink: &mut dyn FnMut(Part) -> Result<(), String>,
        part: Part,
    ) -> Result<(), Failure> {
        sink(part).map_err(|e| {
            Failure::new(
                FailureKind::Crashed,
                format!("cannot add to the index: {e}"),
            )
        })?;
        self.parts += 1;
        Ok(())
    }
}

impl Inner {
    /// A file inside a container that inherits only `meta` (an archive member, a capture).
    pub fn member(display: String, bytes: Vec<u8>, meta: Metadata) -> Inner {
        Inner {
            display,
            bytes,
            meta,
            parent: None,
            extension: None,
        }
    }
}

/// The display path of `name` inside the container shown as `container`: after `!/` for a
/// file, after `/` for a part of a part (`box.mbox!/3` holds `box.mbox!/3/memo.pdf`).
pub fn inner_path(container: &str, name: &str) -> String {
    if container.contains("!/") {
        format!("{container}/{name}")
    } else {
        format!("{container}!/{name}")
    }
}

/// The names given to the parts of one container, kept apart: a name met again (two members
/// that read the same once made harmless, a member appended twice) gets `~2`, `~3`... before
/// its extension, so that every part has a display path, and a document id, of its own.
#[derive(Debug, Default)]
pub struct Names(std::collections::HashSet<String>);

impl Names {
    /// `name`, or the first free variant of it.
    pub fn unique(&mut self, name: String) -> String {
        if self.0.insert(name.clone()) {
            return name;
        }
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() && !e.contains('/') => (s.to_string(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        (2u64..)
            .map(|n| format!("{stem}~{n}{ext}"))
            .find(|candidate| self.0.insert(candidate.clone()))
            .unwrap_or(name)
    }
}

/// A name from inside a file made harmless as a path: `/`-separated, with no root, no `.` or
/// `..` parts and no control characters (a member named `../../etc/passwd` is shown as
/// `etc/passwd`; nothing is ever written under such a name).
pub fn safe_name(name: &str) -> String {
    let parts: Vec<String> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| p.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        "unnamed".to_string()
    } else {
        parts.join("/")
    }
}

/// A format's extractor.
#[derive(Debug)]
pub struct Extractor {
    /// The format it produces.
    pub format: Format,
    /// Its name, e.g. `markdown`.
    pub name: &'static str,
    /// Its version: changes whenever its output for the same input changes.
    pub version: u32,
    /// File extensions it claims, lower case, without the dot.
    pub extensions: &'static [&'static str],
    /// When to run in a worker process (untrusted parsing that may crash, hang or use much
    /// memory).
    pub isolate: Isolate,
    /// How it extracts.
    pub method: Method,
}

/// When an extractor runs in a worker process, under its time and memory limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolate {
    /// Always in the indexing process (simple formats, linear and bounded by the file size).
    Never,
    /// Always in a worker.
    Always,
    /// In a worker for files larger than this many bytes.
    Above(u64),
}

impl Isolate {
    /// Whether a file of `size` bytes runs in a worker.
    pub fn applies(self, size: u64) -> bool {
        match self {
            Isolate::Never => false,
            Isolate::Always => true,
            Isolate::Above(limit) => size > limit,
        }
    }
}

/// Every extractor, in a fixed order.
pub const EXTRACTORS: &[Extractor] = &[
    text::EXTRACTOR,
    markdown::EXTRACTOR,
    html::EXTRACTOR,
    pdf::EXTRACTOR,
    docx::EXTRACTOR,
    odt::EXTRACTOR,
    epub::EXTRACTOR,
    records::CSV,
    records::TSV,
    records::JSONL,
    records::JSON,
    records::TELEGRAM,
    mail::EML,
    mail::MBOX,
    archive::ZIP,
    archive::TAR,
    spreadsheet::SPREADSHEET,
    warc::WARC,
    image::EXTRACTOR,
];

/// The extractor for a path, by its extension (case-insensitive); a `result.json` is a
/// Telegram Desktop export, a `.warc.gz` a web archive.
pub fn for_path(path: &Path) -> Option<&'static Extractor> {
    if path
        .file_name()
        .is_some_and(|n| n.eq_ignore_ascii_case("result.json"))
    {
        return Some(&records::TELEGRAM);
    }
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".warc.gz"))
    {
        return Some(&warc::WARC);
    }
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".tar.gz"))
    {
        return Some(&archive::TAR);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    let found = EXTRACTORS
        .iter()
        .find(|e| e.extensions.contains(&ext.as_str()))?;
    // PDFs go through poppler where it is installed.
    Some(if found.name == pdf::EXTRACTOR.name {
        pdf::preferred()
    } else {
        found
    })
}

/// The extractor with this name.
pub fn by_name(name: &str) -> Option<&'static Extractor> {
    EXTRACTORS
        .iter()
        .chain(std::iter::once(&pdf::POPPLER))
        .find(|e| e.name == name)
}

/// Every extension quarry reads, for messages.
pub fn supported_extensions() -> String {
    EXTRACTORS
        .iter()
        .flat_map(|e| e.extensions.iter().take(2))
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Entry points for the fuzz targets in `fuzz/` into parsers that are otherwise private.
#[doc(hidden)]
pub mod fuzzing {
    /// Reads `bytes` as the XHTML that `pdftotext -bbox-layout` writes; returns its pages.
    pub fn pdftotext_xhtml(bytes: &[u8]) -> usize {
        super::pdf::pages_in_pdftotext_xhtml(bytes)
    }
}

/// Opens a file as a stream of its bytes, decompressed when it is gzip (multi-member, as
/// `.warc.gz` and `.tar.gz` are), with its size on disk.
pub(crate) fn open_maybe_gzip(path: &Path) -> Result<(Box<dyn Read>, u64), Failure> {
    let mut file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut magic = [0u8; 2];
    let gz = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    std::io::Seek::rewind(&mut file).map_err(|e| Failure::unreadable(&e))?;
    let file = std::io::BufReader::new(file);
    Ok(if gz {
        (Box::new(flate2::read::MultiGzDecoder::new(file)), size)
    } else {
        (Box::new(file), size)
    })
}

/// Reads a whole file, refusing files larger than `max_bytes` without reading them.
pub fn read_capped(path: &Path, max_bytes: u64) -> Result<Vec<u8>, Failure> {
    let file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
    let len = file.metadata().map_err(|e| Failure::unreadable(&e))?.len();
    if len > max_bytes {
        return Err(too_large(len, max_bytes));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::unreadable(&e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(bytes.len() as u64, max_bytes));
    }
    Ok(bytes)
}

/// A file (or part) of `len` bytes over the size limit of `max_bytes`.
pub(crate) fn too_large(len: u64, max_bytes: u64) -> Failure {
    Failure::new(
        FailureKind::TooLarge,
        format!(
            "file too large ({:.1} MB; the limit is {} MB, set with --max-file-size)",
            len as f64 / 1e6,
            max_bytes / 1_000_000
        ),
    )
}

/// The warning for a part of a container (`shown`) over the size limit of `max_bytes`.
pub(crate) fn part_too_large(shown: &str, max_bytes: u64) -> String {
    format!(
        "{shown} skipped: larger than the file size limit ({} MB)",
        max_bytes / 1_000_000
    )
}

/// Reads and extracts one single-document file in this process. `display` is the path recorded
/// in the document.
pub fn extract_file(
    extractor: &Extractor,
    path: &Path,
    display: &str,
    max_bytes: u64,
) -> Result<Extracted, Failure> {
    let Method::Document(extract) = extractor.method else {
        return Err(Failure::new(
            FailureKind::Corrupt,
            "record files are streamed, not extracted whole",
        ));
    };
    // Refused on their first bytes and size before they are read whole (a 2 GB sparse file
    // costs 8 KB, not 2 GB).
    let head = if expects_text(extractor) {
        let file = std::fs::File::open(path).map_err(|e| Failure::unreadable(&e))?;
        let mut head = Vec::with_capacity(decode::HEAD_BYTES);
        file.take(decode::HEAD_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| Failure::unreadable(&e))?;
        head
    } else {
        Vec::new()
    };
    let len = std::fs::metadata(path).map_or(0, |m| m.len());
    refuse_early(extractor, &head, len)?;
    let bytes = read_capped(path, max_bytes)?;
    extract(display, &bytes)
}

/// Extracts one single-document part held in memory (an attachment, a member, a capture) in
/// this process, with the checks [`extract_file`] makes; `None` when its extractor does not
/// take a whole document.
pub fn extract_bytes(
    extractor: &Extractor,
    bytes: &[u8],
    display: &str,
    max_bytes: u64,
) -> Option<Result<Extracted, Failure>> {
    let Method::Document(extract) = extractor.method else {
        return None;
    };
    let len = bytes.len() as u64;
    let checked = if len > max_bytes {
        Err(too_large(len, max_bytes))
    } else {
        refuse_early(
            extractor,
            &bytes[..bytes.len().min(decode::HEAD_BYTES)],
            len,
        )
    };
    Some(checked.and_then(|()| extract(display, bytes)))
}

/// Whether the extractor reads text, whose files are refused when their first bytes are
/// binary.
fn expects_text(extractor: &Extractor) -> bool {
    matches!(
        extractor.format,
        Format::Text | Format::Markdown | Format::Html
    )
}

/// The checks made before a document is read whole, from its first bytes (`head`, read only
/// for text formats) and its size: binary where text is expected, an HTML page over its cap.
fn refuse_early(extractor: &Extractor, head: &[u8], len: u64) -> Result<(), Failure> {
    if expects_text(extractor) && decode::is_binary_head(head) {
        return Err(decode::binary());
    }
    if extractor.format == Format::Html && len > html::MAX_PAGE_BYTES as u64 {
        return Err(html::too_large(len));
    }
    Ok(())
}

/// A title derived from a file name when the document declares none: the file stem with
/// `-` and `_` turned into spaces.
/// Gives `meta` the title made from the file name when it has none, marked as a guess (a
/// folder default's title replaces it).
pub(crate) fn title_or_file_name(meta: &mut Metadata, path: &str) {
    if meta.title.is_none() {
        meta.title = Some(title_from_path(path));
        meta.guess("title");
    }
}

pub(crate) fn title_from_path(path: &str) -> String {
    let stem = Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(path);
    stem.replace(['-', '_'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unlimited_size_cap_reads_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "whole").unwrap();
        assert_eq!(read_capped(&path, u64::MAX).unwrap(), b"whole");
        assert!(read_capped(&path, 3).is_err());
    }

    #[test]
    fn extractors_are_chosen_by_extension() {
        let format = |p: &str| for_path(Path::new(p)).map(|e| e.format);
        assert_eq!(format("a/b.MD"), Some(Format::Markdown));
        assert_eq!(format("b.markdown"), Some(Format::Markdown));
        assert_eq!(format("b.htm"), Some(Format::Html));
        assert_eq!(format("b.txt"), Some(Format::Text));
        assert_eq!(format("b.pdf"), Some(Format::Pdf));
        assert_eq!(format("b.docx"), Some(Format::Docx));
        assert_eq!(format("b.odt"), Some(Format::Odt));
        assert_eq!(format("b.csv"), Some(Format::Csv));
        assert_eq!(format("b.tsv"), Some(Format::Tsv));
        assert_eq!(format("b.jsonl"), Some(Format::Jsonl));
        assert_eq!(format("b.ndjson"), Some(Format::Jsonl));
        assert_eq!(format("b.json"), Some(Format::Json));
        assert_eq!(format("b.exe"), None);
        assert_eq!(format("Makefile"), None);
    }

    #[test]
    fn names_and_extensions_are_unique() {
        let mut names = std::collections::HashSet::new();
        let mut exts = std::collections::HashSet::new();
        for e in EXTRACTORS {
            assert!(names.insert(e.name));
            for x in e.extensions {
                assert!(exts.insert(*x), "{x} claimed twice");
            }
        }
    }

    /// The container fixtures (tests/fixtures/containers/), cut short and with bytes flipped
    /// at seeded places, read by their extractors in this process: each is read or refused,
    /// never a panic. (Workbooks, read in a worker, are left to the worker's limits.)
    #[test]
    fn damaged_containers_are_read_or_refused_never_a_panic() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/containers");
        let files = [
            "leak.mbox",
            "tip.eml",
            "release.zip",
            "court.tar.gz",
            "crawl.warc",
            "crawl-gz/crawl.warc.gz",
            "estuary.epub",
            "telegram/result.json",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for name in files {
            let original = std::fs::read(root.join(name)).unwrap();
            let Some(extractor) = for_path(Path::new(name)) else {
                panic!("no extractor for {name}")
            };
            for round in 0..200 {
                let mut bytes = original.clone();
                if round % 2 == 0 {
                    bytes.truncate((next() % (original.len() as u64 + 1)) as usize);
                }
                for _ in 0..(1 + next() % 8) {
                    if !bytes.is_empty() {
                        let at = (next() % bytes.len() as u64) as usize;
                        bytes[at] = (next() & 0xff) as u8;
                    }
                }
                let path = dir.path().join(format!("damaged-{round}"));
                std::fs::write(&path, &bytes).unwrap();
                let outcome = std::panic::catch_unwind(|| {
                    let mapping = records::Mapping::default();
                    let unpacked = std::cell::Cell::new(0);
                    let limits = Limits {
                        max_file_bytes: 10_000_000,
                        mapping: &mapping,
                        unpacked: &unpacked,
                    };
                    match extractor.method {
                        Method::Container(read) => {
                            let _ = read(&path, name, &limits, &mut |_| Ok(()));
                        }
                        Method::Document(_) => {
                            let _ = extract_file(extractor, &path, name, 10_000_000);
                        }
                        Method::Records => {
                            let _ =
                                records::stream(extractor, &path, name, &mapping, &mut |_| Ok(()));
                        }
                    }
                });
                assert!(outcome.is_ok(), "{name}, round {round}: a panic");
            }
        }
    }

    #[test]
    fn titles_from_paths() {
        assert_eq!(
            title_from_path("corpus/zhenhua-data_leak.md"),
            "zhenhua data leak"
        );
    }
}
