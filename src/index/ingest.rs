//! Ingesting one source file: extract (in a worker when the format is risky), apply corpus
//! metadata, split into passages, and add tantivy documents.
//!
//! A single-document file adds its passages plus one `doc` record holding the whole text. A
//! record file (CSV, TSV, JSON Lines, JSON) is streamed: each row becomes a document of its own
//! (id from path and row) whose passages are added as the row is read; rows get no `doc`
//! record (their text is their passages).

use super::walk::Source;
use crate::analysis::translit::translit_text;
use crate::analysis::{detect, text_field_for};
use crate::corpus;
use crate::date::PartialDate;
use crate::document::{Document, Metadata};
use crate::extract::{self, records, worker, Extracted, Failure, FailureKind, Method, Part};
use crate::ocr::{self, pass};
use crate::passage::{self, Passage};
use crate::schema::{Fields, REC_DOC, REC_PASSAGE};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tantivy::{DateTime, IndexWriter, TantivyDocument};

/// What the ingestion of one file needs.
pub(crate) struct Context<'a> {
    pub fields: &'a Fields,
    pub writer: &'a IndexWriter,
    pub max_file_bytes: u64,
    pub isolation: Option<&'a worker::Isolation>,
    /// Set when the index writer refused a document: the writer has failed (a full disk, say)
    /// and the build must stop, not report every later file as skipped.
    pub writer_failed: &'a std::sync::atomic::AtomicBool,
    /// What the build's OCR shares across files.
    pub ocr: &'a OcrRun<'a>,
}

/// What a build's OCR shares across files: the command line's settings, the page cache, and
/// what has been said and done so far.
pub(crate) struct OcrRun<'a> {
    /// `--ocr` and `--ocr-lang`.
    pub options: ocr::Options,
    /// The index directory's page cache.
    pub cache: Option<ocr::cache::Cache>,
    /// Where progress and notices go.
    pub reporter: &'a dyn super::build::Reporter,
    /// Pages read by OCR so far (fresh or from the cache), for progress.
    pub pages: AtomicU64,
    /// What OCR did in this build: in all, and per file (by display path), in files indexed
    /// and skipped.
    pub done: std::sync::Mutex<(
        pass::Counts,
        std::collections::HashMap<String, pass::Counts>,
    )>,
    /// Whether the missing OCR programs have been said.
    pub told_missing: AtomicBool,
    /// Declared languages whose Tesseract data is missing, said once each.
    pub told_languages: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl OcrRun<'_> {
    /// Says once that OCR needs programs this machine lacks (`hint` says which).
    fn tell_missing(&self, hint: &str) {
        if !self.told_missing.swap(true, Ordering::Relaxed) {
            self.reporter.notice(&format!(
                "notice: images and scanned pages are not read, as OCR needs programs not installed here ({hint})"
            ));
        }
    }

    /// Says once that files in `language` are read as English.
    fn tell_language(&self, language: &str) {
        let first = self
            .told_languages
            .lock()
            .map(|mut told| told.insert(language.to_string()))
            .unwrap_or(false);
        if first {
            self.reporter.notice(&format!(
                "notice: files declared in language '{language}' are read by OCR as English, as \
                 Tesseract lacks '{language}' ({})",
                ocr::languages::install_hint(&[language.to_string()])
            ));
        }
    }
}

/// The OCR settings of `source` (with its `sidecar`): the command line's, else its corpus's
/// `quarry.toml`, else its declared language; and a declared language Tesseract lacks.
pub(crate) fn ocr_settings(
    source: &Source,
    options: &ocr::Options,
    sidecar: Option<&Metadata>,
) -> (ocr::Settings, Option<String>) {
    let mut meta = Metadata::default();
    source.corpus.apply(&source.rel, sidecar, &mut meta, false);
    ocr::languages::settle(options, &source.corpus.ocr, meta.lang.as_deref())
}

impl Context<'_> {
    /// Adds one tantivy document, noting a failed writer.
    fn add(&self, doc: TantivyDocument) -> Result<(), String> {
        self.writer.add_document(doc).map(|_| ()).map_err(|e| {
            self.writer_failed
                .store(true, std::sync::atomic::Ordering::Relaxed);
            e.to_string()
        })
    }
}

/// What ingesting one file added, for the summary and report.
#[derive(Debug, Default)]
pub(crate) struct Ingested {
    pub passages: u64,
    /// Rows turned into documents (record files only).
    pub records: Option<u64>,
    /// Parts read from a container (messages, attachments, archive members).
    pub parts: Option<u64>,
    pub pages: Option<u32>,
    pub warnings: Vec<String>,
    /// The publisher of the file (of its first row, for records).
    pub publisher: Option<String>,
    /// The kind of the file (of its first row, for records).
    pub kind: Option<String>,
    /// Documents or rows per language.
    pub langs: std::collections::BTreeMap<String, u64>,
    /// Documents or rows per year of their date.
    pub years: std::collections::BTreeMap<String, u64>,
    pub earliest: Option<PartialDate>,
    pub latest: Option<PartialDate>,
    /// Documents or rows without a date.
    pub undated: u64,
}

impl Ingested {
    fn note_lang(&mut self, lang: Option<&str>) {
        *self
            .langs
            .entry(lang.unwrap_or("(unknown)").to_string())
            .or_insert(0) += 1;
    }

    fn note_date(&mut self, date: Option<&str>) {
        match date.and_then(PartialDate::parse) {
            Some(d) => {
                self.earliest = Some(self.earliest.map_or(d, |e| e.min(d)));
                self.latest = Some(self.latest.map_or(d, |l| l.max(d)));
                *self.years.entry(format!("{:04}", d.year)).or_insert(0) += 1;
            }
            None => self.undated += 1,
        }
    }
}

/// The document id of a display path: 16 hex digits of its xxh3 hash.
pub fn doc_id_for(display_path: &str) -> String {
    format!(
        "{:016x}",
        xxhash_rust::xxh3::xxh3_64(display_path.as_bytes())
    )
}

/// The document id of row `row` of a record file.
pub fn record_id_for(display_path: &str, row: u64) -> String {
    doc_id_for(&format!("{display_path}#{row}"))
}

/// Archives and mailboxes inside archives and mailboxes are read this deep (the file itself
/// is depth 0); deeper ones are skipped with a warning.
pub const MAX_CONTAINER_DEPTH: usize = 3;

/// Ingests one file; returns what it added or why it was skipped.
pub(crate) fn ingest(source: &Source, ctx: &Context<'_>) -> Result<Ingested, Failure> {
    let mut ingested = Ingested::default();
    let sidecar = match corpus::sidecar(&source.fs_path) {
        Ok(s) => s,
        Err(e) => {
            ingested.warnings.push(format!("sidecar ignored: {e}"));
            None
        }
    };
    let (ocr_settings, unavailable) = ocr_settings(source, &ctx.ocr.options, sidecar.as_ref());
    let mut run = Ingestion {
        source,
        ctx,
        ocr: ocr_settings,
        unavailable,
        sidecar: sidecar.as_ref(),
        ingested,
        first: true,
        unsupported: Default::default(),
        unpacked: Default::default(),
    };
    run.file(&source.fs_path, &source.display, source.extractor, 0, None)?;
    if !run.unsupported.is_empty() {
        let n: u64 = run.unsupported.values().sum();
        let kinds: Vec<String> = run
            .unsupported
            .iter()
            .map(|(ext, count)| format!("{ext}: {count}"))
            .collect();
        run.ingested.warnings.push(format!(
            "{n} part{} of types quarry does not read skipped ({})",
            if n == 1 { "" } else { "s" },
            kinds.join(", ")
        ));
    }
    Ok(run.ingested)
}

/// What a part of a container passes on to the documents made from it.
struct Inherited {
    meta: Metadata,
    parent: Option<String>,
}

/// The ingestion of one walked file, and of the files inside it.
struct Ingestion<'a> {
    source: &'a Source,
    ctx: &'a Context<'a>,
    /// How to OCR what the file needs.
    ocr: ocr::Settings,
    /// Its declared language, when Tesseract lacks it (then it is read as English).
    unavailable: Option<String>,
    sidecar: Option<&'a Metadata>,
    ingested: Ingested,
    /// Whether no document has been added yet (the file's publisher and kind are its first's).
    first: bool,
    /// Parts of types quarry does not read, by extension (said in one warning).
    unsupported: std::collections::BTreeMap<String, u64>,
    /// Bytes unpacked from the file, by it and the archives inside it (one budget).
    unpacked: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Ingestion<'_> {
    /// Ingests the file at `fs_path`, shown as `display`, with `extractor`: the walked file
    /// (depth 0, nothing inherited) or a part of it.
    fn file(
        &mut self,
        fs_path: &std::path::Path,
        display: &str,
        extractor: &extract::Extractor,
        depth: usize,
        inherited: Option<&Inherited>,
    ) -> Result<(), Failure> {
        match extractor.method {
            Method::Records => {
                let mapping = self.source.corpus.mapping(&self.source.rel);
                let summary = records::stream(
                    extractor,
                    fs_path,
                    display,
                    &mapping,
                    &mut |extracted: Extracted| self.add(extracted.doc, inherited),
                )?;
                *self.ingested.records.get_or_insert(0) += summary.records;
                self.ingested.warnings.extend(summary.warnings);
            }
            Method::Document(_) => {
                let size = std::fs::metadata(fs_path).map_or(0, |m| m.len());
                let isolate = extractor.isolate.applies(size);
                let extracted = match (isolate, self.ctx.isolation) {
                    (true, Some(iso)) => worker::extract_isolated(
                        iso,
                        extractor,
                        fs_path,
                        display,
                        self.ctx.max_file_bytes,
                    )?,
                    _ => {
                        extract::extract_file(extractor, fs_path, display, self.ctx.max_file_bytes)?
                    }
                };
                let extracted = self.read_by_ocr(extracted, fs_path)?;
                self.ingested.warnings.extend(extracted.warnings);
                if depth == 0 {
                    self.ingested.pages = extracted.pages;
                }
                if extracted.doc.blocks.is_empty() {
                    return Err(Failure::new(FailureKind::NoText, "no text to index"));
                }
                self.add(extracted.doc, inherited).map_err(engine_failure)?;
            }
            Method::Container(read) => {
                let mapping = self.source.corpus.mapping(&self.source.rel);
                let size = std::fs::metadata(fs_path).map_or(0, |m| m.len());
                if let (true, Some(iso)) = (extractor.isolate.applies(size), self.ctx.isolation) {
                    let (docs, summary) = worker::container_isolated(
                        iso,
                        extractor,
                        fs_path,
                        display,
                        self.ctx.max_file_bytes,
                        &mapping,
                    )?;
                    for extracted in docs {
                        self.part(Part::Document(extracted), depth, inherited)
                            .map_err(engine_failure)?;
                    }
                    *self.ingested.parts.get_or_insert(0) += summary.parts;
                    self.ingested.warnings.extend(summary.warnings);
                    return Ok(());
                }
                // The same counter as the containers around it (a shared cell).
                let unpacked = self.unpacked.clone();
                let limits = extract::Limits {
                    max_file_bytes: self.ctx.max_file_bytes,
                    mapping: &mapping,
                    unpacked: &unpacked,
                };
                let summary = read(fs_path, display, &limits, &mut |part| {
                    self.part(part, depth, inherited)
                })?;
                *self.ingested.parts.get_or_insert(0) += summary.parts;
                self.ingested.warnings.extend(summary.warnings);
            }
        }
        Ok(())
    }

    /// Ingests one part of a container at `depth`. A part that cannot be read is a warning; only
    /// a failing index writer stops the file.
    /// `inherited` is what the container itself inherits (an attached message's documents
    /// name the message it was attached to).
    fn part(
        &mut self,
        part: Part,
        depth: usize,
        inherited: Option<&Inherited>,
    ) -> Result<(), String> {
        match part {
            Part::Document(extracted) => {
                self.ingested.warnings.extend(extracted.warnings);
                if extracted.doc.blocks.is_empty() {
                    return Ok(());
                }
                self.add(extracted.doc, inherited)?;
            }
            Part::File(inner) => {
                let shown = inner.display.clone();
                let inherited = Inherited {
                    meta: inner.meta,
                    parent: inner.parent,
                };
                let typed = inner
                    .extension
                    .map(|e| std::path::PathBuf::from(format!("part.{e}")));
                let by = typed.as_deref().unwrap_or(std::path::Path::new(&shown));
                let Some(extractor) = extract::for_path(by) else {
                    let ext = std::path::Path::new(&shown)
                        .extension()
                        .map(|e| e.to_string_lossy().to_ascii_lowercase())
                        .map_or_else(|| "no extension".to_string(), |e| format!(".{e}"));
                    *self.unsupported.entry(ext).or_insert(0) += 1;
                    return Ok(());
                };
                if depth + 1 > MAX_CONTAINER_DEPTH
                    && matches!(extractor.method, Method::Container(_))
                {
                    self.ingested.warnings.push(format!(
                        "{shown} skipped: archives and mailboxes are read {MAX_CONTAINER_DEPTH} levels deep"
                    ));
                    return Ok(());
                }
                // A document read in this process is read from memory.
                let in_process = !extractor.isolate.applies(inner.bytes.len() as u64)
                    || self.ctx.isolation.is_none();
                if in_process {
                    if let Some(result) = extract::extract_bytes(
                        extractor,
                        &inner.bytes,
                        &shown,
                        self.ctx.max_file_bytes,
                    ) {
                        // OCR reads files: a part that needs it goes to a temporary file.
                        let result = match result {
                            Ok(extracted) if extracted.ocr.is_some() => {
                                let temp = temporary(&inner.bytes)?;
                                self.read_by_ocr(extracted, temp.path())
                            }
                            other => other,
                        };
                        drop(inner.bytes);
                        match result {
                            Ok(extracted) if extracted.doc.blocks.is_empty() => self
                                .ingested
                                .warnings
                                .push(format!("{shown} skipped: no text to index")),
                            Ok(extracted) => {
                                self.ingested.warnings.extend(extracted.warnings);
                                self.add(extracted.doc, Some(&inherited))?;
                            }
                            Err(f) => self.ingested.warnings.push(format!("{shown} skipped: {f}")),
                        }
                        return Ok(());
                    }
                }
                // Workers, record streams and containers read files: the part goes to a
                // temporary file, removed when it is done.
                let temp = temporary(&inner.bytes)?;
                drop(inner.bytes);
                match self.file(temp.path(), &shown, extractor, depth + 1, Some(&inherited)) {
                    Ok(()) => {}
                    Err(f) if f.message.starts_with("cannot add to the index") => {
                        return Err(f.message)
                    }
                    Err(f) => self.ingested.warnings.push(format!("{shown} skipped: {f}")),
                }
            }
        }
        Ok(())
    }

    /// Reads by OCR what `x` needs ([`crate::ocr::pass`]), from the file at `fs_path`.
    fn read_by_ocr(
        &mut self,
        mut x: Extracted,
        fs_path: &std::path::Path,
    ) -> Result<Extracted, Failure> {
        let Some(need) = x.ocr.take() else {
            return Ok(x);
        };
        let run = self.ctx.ocr;
        if need.has_work(self.ocr.mode) {
            if let Some(hint) = pass::missing_programs(&need) {
                run.tell_missing(hint);
            } else if let Some(language) = &self.unavailable {
                run.tell_language(language);
            }
        }
        let (timeout, memory_bytes) = self.ctx.isolation.map_or(
            (
                std::time::Duration::from_secs(worker::DEFAULT_TIMEOUT_SECS),
                worker::DEFAULT_MEMORY_BYTES,
            ),
            |iso| (iso.timeout, iso.memory_bytes),
        );
        let on_page = |_cached: bool| {
            let n = run.pages.fetch_add(1, Ordering::Relaxed) + 1;
            run.reporter.ocr_progress(n);
        };
        let job = pass::Job {
            path: fs_path,
            settings: &self.ocr,
            cache: run.cache.as_ref(),
            timeout,
            memory_bytes,
            on_page: &on_page,
        };
        let mut counts = pass::Counts::default();
        let result = pass::apply(x, &need, &job, &mut counts);
        if counts == pass::Counts::default() {
            return result;
        }
        if let Ok(mut done) = run.done.lock() {
            done.0.add(&counts);
            done.1
                .entry(self.source.display.clone())
                .or_default()
                .add(&counts);
        }
        result
    }

    /// Adds one document: corpus metadata, what it inherits, its passages and, unless it is a
    /// record (a row: it has a row number), its document record.
    fn add(&mut self, mut doc: Document, inherited: Option<&Inherited>) -> Result<(), String> {
        let record = doc.row.is_some();
        let ctx = self.ctx;
        if doc.path != self.source.display {
            doc.source = Some(self.source.display.clone());
        }
        if let Some(from) = inherited {
            if doc.meta.date.is_none() || doc.meta.is_guess("date") && from.meta.date.is_some() {
                doc.meta.date.clone_from(&from.meta.date);
            }
            if doc.meta.authors.is_empty() {
                doc.meta.authors.clone_from(&from.meta.authors);
            }
            // A capture's address is where it was found, whatever the page calls itself.
            if from.meta.url.is_some() {
                doc.meta.url.clone_from(&from.meta.url);
            }
            if doc.meta.publisher.is_none() {
                doc.meta.publisher.clone_from(&from.meta.publisher);
            }
            for (k, v) in &from.meta.extra {
                doc.meta.extra.entry(k.clone()).or_insert_with(|| v.clone());
            }
            if let Some(parent) = &from.parent {
                doc.meta
                    .extra
                    .insert("parent".into(), doc_id_for(parent).into());
                doc.meta
                    .extra
                    .insert("parent_path".into(), parent.clone().into());
            }
        }
        self.source
            .corpus
            .apply(&self.source.rel, self.sidecar, &mut doc.meta, record);
        settle_language(&mut doc);
        if self.first {
            self.ingested.publisher.clone_from(&doc.meta.publisher);
            self.ingested.kind.clone_from(&doc.meta.kind);
            self.first = false;
        }
        self.ingested.note_date(doc.meta.date.as_deref());
        self.ingested.note_lang(doc.meta.lang.as_deref());
        let count = match doc.row {
            Some(row) => add_passages(&doc, &record_id_for(&doc.path, row), ctx)?.0,
            None => {
                let id = doc_id_for(&doc.path);
                let (count, end) = add_passages(&doc, &id, ctx)?;
                let tail = doc.text.get(end..).unwrap_or("");
                ctx.add(document_record(&doc, &id, count, tail, ctx.fields))?;
                count
            }
        };
        self.ingested.passages += count as u64;
        Ok(())
    }
}

/// A temporary file holding `bytes` (a part of a container, for a worker, a stream or OCR),
/// removed when dropped.
fn temporary(bytes: &[u8]) -> Result<tempfile::NamedTempFile, String> {
    tempfile::Builder::new()
        .prefix(".quarry-part-")
        .tempfile()
        .and_then(|mut f| {
            use std::io::Write;
            f.write_all(bytes)?;
            f.flush()?;
            Ok(f)
        })
        .map_err(|e| format!("cannot write a temporary file: {e}"))
}

/// The document's language as a code: the declared one normalised (`en-GB` → `en`,
/// `English` → `en`), else detected from its text when detection is confident; and its
/// metadata bounded in size ([`crate::document::Metadata::bound`]).
fn settle_language(doc: &mut Document) {
    let declared = doc.meta.lang.as_deref().and_then(detect::normalise);
    doc.meta.lang = declared.or_else(|| detect::detect(&doc.text));
    // Every document passes here once its metadata is final: bound its size too.
    doc.meta.bound();
}

fn engine_failure(message: String) -> Failure {
    Failure::new(
        FailureKind::Crashed,
        format!("cannot add to the index: {message}"),
    )
}

/// Splits a document and adds its passages; returns how many.
/// Splits a document and adds its passages; returns how many, and where the last one ends.
fn add_passages(doc: &Document, doc_id: &str, ctx: &Context<'_>) -> Result<(usize, usize), String> {
    let passages = passage::split(&doc.text, &doc.blocks);
    let mut previous_end = 0;
    let text_of = |p: &passage::Passage| doc.text.get(p.byte_start..p.byte_end).unwrap_or("");
    for (i, p) in passages.iter().enumerate() {
        let gap = doc.text.get(previous_end..p.byte_start).unwrap_or("");
        let mut record = passage_record(doc, doc_id, p, gap, ctx.fields);
        let before = i.checked_sub(1).and_then(|j| passages.get(j));
        for neighbour in before.into_iter().chain(passages.get(i + 1)) {
            record.add_text(ctx.fields.context, text_of(neighbour));
        }
        ctx.add(record)?;
        previous_end = p.byte_end;
    }
    Ok((passages.len(), previous_end))
}

/// Whether `title` is only the start of `text` (a record row named by its first words, `…`
/// marking the cut): such a title adds no words to search.
fn names_by_start(title: &str, text: &str) -> bool {
    let title = title.trim_end().trim_end_matches('…');
    let mut words = text.split_whitespace();
    let mut any = false;
    for t in title.split_whitespace() {
        if words.next() != Some(t) {
            return false;
        }
        any = true;
    }
    any
}

fn add_metadata(out: &mut TantivyDocument, doc: &Document, doc_id: &str, f: &Fields) {
    let m = &doc.meta;
    out.add_text(f.doc_id, doc_id);
    out.add_text(f.path, &doc.path);
    out.add_text(f.path_raw, doc.source.as_deref().unwrap_or(&doc.path));
    out.add_text(f.format, doc.format.name());
    out.add_text(f.facets.format, doc.format.name());
    let title = m.title.as_deref().unwrap_or("");
    if doc.format.is_record() && names_by_start(title, &doc.text) {
        out.add_text(f.title_shown, title);
    } else {
        out.add_text(f.title, title);
    }
    for a in &m.authors {
        out.add_text(f.author, a);
        out.add_text(f.facets.author, a);
    }
    if let Some(p) = &m.publisher {
        out.add_text(f.publisher, p);
        out.add_text(f.facets.publisher, p);
    }
    if let Some(d) = &m.date {
        out.add_text(f.date, d);
        if let Some(pd) = PartialDate::parse(d) {
            out.add_date(
                f.date_value,
                DateTime::from_timestamp_secs(pd.first_day_unix() * 86_400),
            );
        }
    }
    if let Some(u) = &m.url {
        out.add_text(f.url, u);
    }
    for t in &m.tags {
        out.add_text(f.tag, t);
        out.add_text(f.facets.tag, t);
    }
    if let Some(k) = &m.kind {
        out.add_text(f.kind, k);
        out.add_text(f.facets.kind, k);
    }
    if let Some(l) = &m.lang {
        out.add_text(f.lang, l);
        out.add_text(f.facets.lang, l);
    }
    if let Some(row) = doc.row {
        out.add_u64(f.row, row);
    }
    if !m.extra.is_empty() {
        out.add_text(
            f.extra,
            serde_json::Value::Object(m.extra.clone()).to_string(),
        );
        // Short values become filter terms and facet values (`extra.region:Texas`).
        // A list of strings gives a term per item; an item holding an address in angle
        // brackets (`Name <a@example.org>`) gives the bare address too, so `to:a@example.org`
        // finds the messages sent to it.
        for (key, value, counted) in extra_values(&m.extra) {
            out.add_text(f.extra_kv, crate::schema::extra_term(key, &value));
            if counted {
                out.add_text(
                    f.facets.extra,
                    format!(
                        "{}{}{value}",
                        key.trim().to_lowercase(),
                        crate::schema::EXTRA_SEP
                    ),
                );
            }
        }
    }
}

fn passage_record(
    doc: &Document,
    doc_id: &str,
    p: &Passage,
    gap: &str,
    f: &Fields,
) -> TantivyDocument {
    let mut out = TantivyDocument::default();
    out.add_text(f.rec, REC_PASSAGE);
    if !gap.is_empty() {
        out.add_text(f.gap, gap);
    }
    out.add_text(f.passage_id, format!("{doc_id}-{}", p.ordinal));
    out.add_u64(f.ordinal, u64::from(p.ordinal));
    add_metadata(&mut out, doc, doc_id, f);
    if let Some(h) = &p.heading {
        out.add_text(f.heading, h);
    }
    let text = &doc.text[p.byte_start..p.byte_end];
    out.add_text(f.text[text_field_for(doc.meta.lang.as_deref())], text);
    let names = translit_text(text);
    if !names.is_empty() {
        out.add_text(f.translit, names);
    }
    if let Some(signature) = crate::collapse::signature(text) {
        for value in signature.values() {
            out.add_u64(f.signature, value);
        }
    }
    if let Some(page) = p.page {
        out.add_u64(f.page, u64::from(page));
    }
    if let Some(confidence) = ocr_confidence(doc, p) {
        out.add_u64(f.ocr_confidence, u64::from(confidence));
    }
    // Indicators: those of the passage's text and, for a record row, of its other fields.
    let mut found = crate::indicators::Indicators::of(text);
    if doc.row.is_some() {
        for value in doc.meta.extra.values() {
            match value {
                serde_json::Value::String(v) => found.add_text(v),
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .for_each(|v| found.add_text(v)),
                _ => {}
            }
        }
    }
    for kind in crate::indicators::Kind::ALL {
        for value in found.of_kind(kind) {
            if kind == crate::indicators::Kind::Url {
                out.add_text(f.indicator_url, value);
            } else {
                out.add_text(f.indicator, crate::schema::indicator_term(kind, value));
            }
        }
    }
    out.add_u64(f.line, u64::from(p.line));
    out.add_u64(f.start, p.start as u64);
    out.add_u64(f.end, p.end as u64);
    out
}

/// The OCR confidence of passage `p` of `doc`: the mean confidence of the words of its blocks
/// read by OCR (each block's mean weighted by its words), when it has any.
fn ocr_confidence(doc: &Document, p: &Passage) -> Option<u8> {
    let first = doc.blocks.partition_point(|b| b.end <= p.byte_start);
    let (mut sum, mut words) = (0u64, 0u64);
    for b in doc.blocks[first..]
        .iter()
        .take_while(|b| b.start < p.byte_end)
    {
        let Some(confidence) = b.ocr else { continue };
        let n = doc
            .text
            .get(b.start.max(p.byte_start)..b.end.min(p.byte_end))
            .map_or(0, |t| t.split_whitespace().count() as u64)
            .max(1);
        sum += u64::from(confidence) * n;
        words += n;
    }
    (words > 0).then(|| ((sum + words / 2) / words) as u8)
}

/// The stored description of a whole document, kept in its `doc` record as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// Display path.
    pub path: String,
    /// Source format name.
    pub format: String,
    /// For a row of a record file: its 1-based row.
    #[serde(default)]
    pub row: Option<u64>,
    /// Metadata.
    pub meta: Metadata,
    /// Number of passages.
    pub passages: u64,
    /// Number of characters of extracted text.
    pub chars: u64,
}

fn document_record(
    doc: &Document,
    doc_id: &str,
    passages: usize,
    tail: &str,
    f: &Fields,
) -> TantivyDocument {
    let info = DocumentInfo {
        path: doc.path.clone(),
        format: doc.format.name().to_string(),
        row: doc.row,
        meta: doc.meta.clone(),
        passages: passages as u64,
        chars: doc.text.chars().count() as u64,
    };
    let mut out = TantivyDocument::default();
    out.add_text(f.rec, REC_DOC);
    out.add_text(f.doc_id, doc_id);
    out.add_text(f.path_raw, doc.source.as_deref().unwrap_or(&doc.path));
    if !tail.is_empty() {
        out.add_text(f.doc_tail, tail);
    }
    out.add_text(
        f.doc_meta,
        serde_json::to_string(&info).unwrap_or_else(|_| "{}".to_string()),
    );
    out
}

/// The short values of other metadata (`extra`) that become filter terms, each with its key
/// and whether it is also a facet value: a string, number or boolean; a list's strings one by
/// one; and for an item holding an address in angle brackets (`Name <a@example.org>`), the
/// bare address too (a filter term only), so `to:a@example.org` finds the messages sent to it.
/// Values longer than [`crate::schema::MAX_EXTRA_VALUE`] characters are descriptions, left out.
pub(crate) fn extra_values(
    extra: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(&str, String, bool)> {
    let mut out = Vec::new();
    for (key, value) in extra {
        let values: Vec<String> = match value {
            serde_json::Value::String(s) => vec![s.trim().to_string()],
            serde_json::Value::Number(n) => vec![n.to_string()],
            serde_json::Value::Bool(b) => vec![b.to_string()],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(|s| s.trim().to_string())
                .collect(),
            _ => continue,
        };
        for value in values {
            if value.is_empty() || value.chars().count() > crate::schema::MAX_EXTRA_VALUE {
                continue;
            }
            if let Some(address) = value
                .rsplit_once('<')
                .and_then(|(_, a)| a.strip_suffix('>'))
                .filter(|a| a.contains('@'))
            {
                out.push((key.as_str(), address.to_string(), false));
            }
            out.push((key.as_str(), value, true));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_made_of_the_texts_first_words_names_by_start() {
        let text = "Lighthouse photo shared again today by forty accounts";
        assert!(names_by_start("Lighthouse photo shared…", text));
        assert!(names_by_start(text, text));
        assert!(!names_by_start("Lighthouse photos…", text));
        assert!(!names_by_start("Harbour log", text));
        assert!(!names_by_start("", text));
    }

    #[test]
    fn doc_ids_are_stable_and_distinct() {
        assert_eq!(doc_id_for("corpus/a.md"), doc_id_for("corpus/a.md"));
        assert_ne!(doc_id_for("corpus/a.md"), doc_id_for("corpus/b.md"));
        assert_eq!(doc_id_for("x").len(), 16);
        assert_ne!(record_id_for("d.csv", 1), record_id_for("d.csv", 2));
    }
}
