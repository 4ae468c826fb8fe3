//! `quarry index [PATH]...`: build or update the index from folders and files of documents.
//!
//! Incremental by default (only new and changed files are extracted; `--rebuild` starts over).
//! Without paths it updates the index from its own sources; `--add`, `--remove` and `--replace`
//! change them (see `quarry::index::sources`).
//! Prints skipped files and warnings on stderr as they happen, a progress line when stderr is a
//! terminal, and a one-line summary at the end. Exits 0 when the index holds documents, 1 when
//! none were found, 2 on error — and, with `--strict`, when any file was skipped.

use super::{Failure, Globals, Outcome};
use quarry::{BuildOptions, BuildSummary, Isolation, QuarryIndex, Reporter};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folders and files to index [default: the index's own sources; corpus/ for a new index].
    /// Paths that would drop files the index holds need --replace
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Add these folders or files to the index's sources
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with_all = ["paths", "remove", "replace"])]
    add: Vec<PathBuf>,

    /// Remove these sources (and their files) from the index
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with_all = ["paths", "replace"])]
    remove: Vec<PathBuf>,

    /// Let PATHs replace the index's sources, dropping the files outside them
    #[arg(long, requires = "paths")]
    replace: bool,

    /// Read the corpus configuration from FILE instead of each folder's quarry.toml (for
    /// folders you cannot write into) [default: the one the index was built with, if any]
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Forget the configuration file the index was built with and read each folder's
    /// quarry.toml again
    #[arg(long, conflicts_with = "config")]
    no_config: bool,

    /// Worker threads, 1 to 256 [default: the number of CPU cores]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,

    /// Indexing memory budget in megabytes (1 to 65536)
    #[arg(long, value_name = "MB", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=65_536))]
    memory: u32,

    /// Skip files larger than this many megabytes (record files excepted; they stream)
    /// [default: max_file_mb in quarry.toml, else 200]
    #[arg(long, value_name = "MB")]
    max_file_size: Option<u64>,

    /// Give up on a PDF or DOCX file whose extraction, or on a page whose OCR, takes longer
    /// than this (1 to 86400)
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    timeout: u64,

    /// Read images and PDF pages without a usable text layer by OCR (Tesseract): auto (where
    /// Tesseract is installed), always (every PDF page too; an error without Tesseract) or
    /// never (images and scans are skipped); kept by the index for later runs, until 'default'
    /// [default: ocr in quarry.toml, else auto]
    #[arg(long, value_name = "MODE", env = "QUARRY_OCR", value_parser = ocr_mode)]
    ocr: Option<Given<quarry::ocr::Mode>>,

    /// OCR languages, Tesseract's codes joined by '+' (eng, rus, chi_sim, ara: each needs its
    /// tesseract-ocr-LANG package); kept by the index for later runs, until 'default'
    /// [default: ocr_lang in quarry.toml, else the folder's declared language, else eng]
    #[arg(long, value_name = "LANGS", env = "QUARRY_OCR_LANG", value_parser = ocr_languages)]
    ocr_lang: Option<Given<String>>,

    /// Memory limit of each PDF/DOCX extraction worker and of each OCR helper, in megabytes
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_EXTRACT_MEMORY_MB)]
    extract_memory: u64,

    /// Write every file's outcome (path, status, change, reason, format, pages, records,
    /// passages) to this JSON file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,

    /// Start from scratch: extract every file again instead of only new and changed ones
    #[arg(long)]
    rebuild: bool,

    /// Exit with status 2 when any file was skipped (the index is still updated)
    #[arg(long)]
    strict: bool,

    /// Also give every passage a sentence-embedding vector, for search --mode semantic|hybrid
    /// (kept up to date by later runs that have the model)
    #[arg(long)]
    embed: bool,

    /// The sentence-embedding model's folder, for --embed [default: $QUARRY_MODEL]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
}

/// Default time limit per PDF/DOCX/ODT file (and per OCR page), in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = quarry::extract::worker::DEFAULT_TIMEOUT_SECS;
/// Default memory limit of an extraction worker, in megabytes.
pub const DEFAULT_EXTRACT_MEMORY_MB: u64 =
    quarry::extract::worker::DEFAULT_MEMORY_BYTES / 1_000_000;

/// An option's value, or `default`: forget the value the index kept, and use quarry.toml's
/// or the built-in default.
#[derive(Debug, Clone)]
pub enum Given<T> {
    /// This value.
    Set(T),
    /// `default`.
    Default,
}

impl<T> Given<T> {
    /// The value to use: this one, none for `default`, else (not given) `stored`.
    fn or_stored(given: Option<Given<T>>, stored: Option<T>) -> Option<T> {
        match given {
            Some(Given::Set(value)) => Some(value),
            Some(Given::Default) => None,
            None => stored,
        }
    }
}

fn ocr_mode(value: &str) -> Result<Given<quarry::ocr::Mode>, String> {
    if value.trim().eq_ignore_ascii_case("default") {
        return Ok(Given::Default);
    }
    quarry::ocr::Mode::parse(value)
        .map(Given::Set)
        .ok_or_else(|| "give auto, always, never or default".to_string())
}

fn ocr_languages(value: &str) -> Result<Given<String>, String> {
    if value.trim().eq_ignore_ascii_case("default") {
        Ok(Given::Default)
    } else if quarry::ocr::valid_languages(value) {
        Ok(Given::Set(value.to_string()))
    } else {
        Err("give Tesseract language codes joined by '+', e.g. eng+rus, or default".to_string())
    }
}

/// How PDF and DOCX extraction runs: this binary's hidden worker subcommand.
pub fn isolation(timeout_secs: u64, memory_mb: u64) -> Result<Isolation, Failure> {
    let program = std::env::current_exe().map_err(|e| {
        quarry::Error::new(
            quarry::ErrorKind::Io,
            format!(
                "cannot find the quarry executable to run extraction workers: {}",
                quarry::error::io_reason(&e)
            ),
        )
    })?;
    Ok(Isolation {
        program,
        args: vec![super::WORKER_COMMAND.into()],
        timeout: Duration::from_secs(timeout_secs.max(1)),
        memory_bytes: memory_mb.max(64).saturating_mul(1_000_000),
    })
}

/// Reports per-file events on stderr.
pub struct StderrReporter {
    progress: bool,
    last: Mutex<Option<Instant>>,
    /// Files done and to do, and pages read by OCR, as last told.
    counts: Mutex<(usize, usize, u64)>,
}

impl StderrReporter {
    pub fn new(globals: &Globals) -> StderrReporter {
        StderrReporter {
            progress: globals.stderr_tty && !globals.quiet,
            last: Mutex::new(None),
            counts: Mutex::new((0, 0, 0)),
        }
    }

    fn clear_progress(&self) {
        if self.progress {
            eprint!("\r\x1b[2K");
        }
    }
}

impl Reporter for StderrReporter {
    fn skipped(&self, path: &str, reason: &str) {
        self.clear_progress();
        eprintln!(
            "quarry: skipped {}: {reason}",
            quarry::output::sanitize(path)
        );
    }

    fn warning(&self, path: &str, message: &str) {
        self.clear_progress();
        eprintln!(
            "quarry: warning: {}: {message}",
            quarry::output::sanitize(path)
        );
    }

    fn notice(&self, message: &str) {
        self.clear_progress();
        eprintln!("quarry: {}", quarry::output::sanitize(message));
    }

    fn progress(&self, done: usize, total: usize) {
        let pages = match self.counts.lock() {
            Ok(mut c) => {
                (c.0, c.1) = (done, total);
                c.2
            }
            Err(_) => return,
        };
        self.draw(done, total, pages);
    }

    fn ocr_progress(&self, pages: u64) {
        let (done, total) = match self.counts.lock() {
            Ok(mut c) => {
                c.2 = c.2.max(pages);
                (c.0, c.1)
            }
            Err(_) => return,
        };
        self.draw(done, total, pages);
    }
}

impl StderrReporter {
    /// Draws the progress line (at most ten times a second, and at the end).
    fn draw(&self, done: usize, total: usize, pages: u64) {
        if !self.progress {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        if last.is_some_and(|t| now - t < Duration::from_millis(100)) && done < total {
            return;
        }
        *last = Some(now);
        let ocr = if pages > 0 {
            format!(
                ", {pages} page{} read by OCR",
                if pages == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        eprint!("\r\x1b[2Kindexing {done}/{total} files{ocr}");
        let _ = std::io::stderr().flush();
    }
}

impl Drop for StderrReporter {
    fn drop(&mut self) {
        if self.last.lock().is_ok_and(|l| l.is_some()) {
            self.clear_progress();
        }
    }
}

/// The one-line summary printed after a build.
pub fn summary_line(s: &BuildSummary) -> String {
    let records = if s.record_files > 0 {
        format!(
            "{} record file{} with {} records, ",
            s.record_files,
            if s.record_files == 1 { "" } else { "s" },
            s.records
        )
    } else {
        String::new()
    };
    let parts = if s.container_files > 0 {
        format!(
            "{} file{} holding {} part{}, ",
            s.container_files,
            if s.container_files == 1 { "" } else { "s" },
            s.parts,
            if s.parts == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    let records = format!("{records}{parts}");
    let mut line = format!(
        "indexed {} document{} ({records}{} passages) in {:.2} s; skipped {}",
        s.documents,
        if s.documents == 1 { "" } else { "s" },
        s.passages,
        s.seconds,
        s.skipped
    );
    if !s.skipped_by_reason.is_empty() {
        let reasons: Vec<String> = s
            .skipped_by_reason
            .iter()
            .map(|(reason, n)| format!("{reason} {n}"))
            .collect();
        line.push_str(&format!(" ({})", reasons.join(", ")));
    }
    if s.up_to_date {
        line.push_str(&format!("; up to date ({} unchanged)", s.unchanged));
    } else {
        line.push_str(&format!(
            "; added {}, changed {}, removed {}, unchanged {}",
            s.added, s.changed, s.removed, s.unchanged
        ));
    }
    let ocr = &s.ocr;
    if ocr.read + ocr.cached + ocr.failed > 0 {
        line.push_str(&format!(
            "; OCR: {} page{} read, {} from the cache",
            ocr.read,
            if ocr.read == 1 { "" } else { "s" },
            ocr.cached
        ));
        if ocr.failed > 0 {
            line.push_str(&format!(", {} not readable", ocr.failed));
        }
    }
    let unsupported: u64 = s.unsupported.values().sum();
    if unsupported > 0 {
        let kinds: Vec<String> = s
            .unsupported
            .iter()
            .map(|(ext, n)| format!(".{ext} {n}"))
            .collect();
        line.push_str(&format!(
            "; left alone {unsupported} file{} of unsupported types ({})",
            if unsupported == 1 { "" } else { "s" },
            kinds.join(", ")
        ));
    }
    line
}

/// Builds the index in `globals.index_dir` and reports on stderr.
pub fn build(options: &BuildOptions, globals: &Globals) -> Result<BuildSummary, Failure> {
    let reporter = StderrReporter::new(globals);
    let summary = quarry::build(&globals.index_dir, options, &reporter)?;
    drop(reporter);
    globals.notice(&summary_line(&summary));
    Ok(summary)
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    use quarry::index::sources::{resolve, SourceRequest};
    let request = if !args.add.is_empty() {
        SourceRequest::Add(args.add)
    } else if !args.remove.is_empty() {
        SourceRequest::Remove(args.remove)
    } else {
        SourceRequest::Paths {
            paths: args.paths,
            replace: args.replace,
        }
    };
    let paths = resolve(&globals.index_dir, &request)?;
    let config = if args.no_config {
        None
    } else {
        args.config
            .or_else(|| quarry::index::sources::stored_config(&globals.index_dir))
    };
    let isolation = isolation(args.timeout, args.extract_memory)?;
    let defaults = BuildOptions::default();
    let options = BuildOptions {
        paths,
        threads: args.threads.map_or(defaults.threads, usize::from).max(1),
        memory_mb: usize::try_from(args.memory).unwrap_or(usize::MAX),
        max_file_bytes: args.max_file_size.map(|mb| mb.saturating_mul(1_000_000)),
        isolation: Some(isolation),
        rebuild: args.rebuild,
        config,
        ocr: {
            // What is not given is what the index was built with, so an update reads as the
            // build before it did; `default` forgets it.
            let stored = quarry::index::sources::stored_ocr(&globals.index_dir);
            quarry::ocr::Options {
                mode: Given::or_stored(args.ocr, stored.mode),
                languages: Given::or_stored(args.ocr_lang, stored.languages),
            }
        },
    };
    // The model is loaded first, so that a wrong folder fails before any work. Vectors made
    // earlier are kept up to date with the model they were made with, found where it was then
    // (`--model` and `QUARRY_MODEL` come first); if it is gone the build goes on without it.
    let had_vectors = globals.index_dir.join(quarry::embed::store::FILE).is_file();
    let told = args.model.is_some() || quarry::embed::model_from_env().is_some();
    let mut stale_why = String::from("no model given");
    let embedder = if args.embed || (had_vectors && told) {
        let dir = quarry::embed::model_dir(args.model.as_deref(), &globals.index_dir)?;
        Some(quarry::embed::BertEmbedder::load(&dir)?)
    } else if had_vectors {
        match quarry::embed::model_dir_for(None, &globals.index_dir) {
            Some(dir) => match quarry::embed::BertEmbedder::load(&dir) {
                Ok(e) => Some(e),
                Err(e) => {
                    stale_why = e.message().to_string();
                    None
                }
            },
            None => None,
        }
    } else {
        None
    };
    let summary = build(&options, globals)?;
    match &embedder {
        Some(embedder) => embed(embedder, globals)?,
        // Stale only when this build changed files.
        None if had_vectors && summary.added + summary.changed + summary.removed > 0 => {
            eprintln!(
                "quarry: notice: the passage vectors were not updated ({}; run quarry index --embed --model DIR)",
                quarry::output::sanitize(&stale_why)
            )
        }
        None => {}
    }
    if let Some(path) = &args.report {
        write_report(path, &summary)?;
    }
    if args.strict && summary.skipped > 0 {
        return Err(Failure::Quarry(
            quarry::Error::new(
                quarry::ErrorKind::InvalidInput,
                format!(
                    "{} file{} skipped and --strict was given; the index was updated without {}",
                    summary.skipped,
                    if summary.skipped == 1 {
                        " was"
                    } else {
                        "s were"
                    },
                    if summary.skipped == 1 { "it" } else { "them" }
                ),
            )
            .with_hint("see the reasons above, or in --report FILE"),
        ));
    }
    if summary.documents == 0 {
        eprintln!(
            "quarry: no documents indexed from {} (supported: {})",
            options
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            quarry::extract::supported_extensions()
        );
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Found)
}

/// Gives every passage of the index a vector, with progress on stderr.
fn embed(embedder: &quarry::embed::BertEmbedder, globals: &Globals) -> Result<(), Failure> {
    use quarry::embed::Embedder;
    // The model's temporaries are tens of megabytes each; glibc gives blocks that large their
    // own mappings and returns them at once, so every layer of every batch faulted in fresh,
    // zeroed pages: half the time went to the kernel. Kept in the heap, they are reused (396
    // passages: 22.8 s with 8.7 s of system time before, 16.0 s with 1.5 s after). This
    // process ends soon after, so the memory kept is not missed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: glibc's mallopt is thread-safe and only changes two thresholds.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
    let index = QuarryIndex::open(&globals.index_dir)?;
    let started = Instant::now();
    let show = !globals.quiet && std::io::stderr().is_terminal();
    let summary = quarry::embed::embed_index(&index, embedder, &|done, total| {
        if show {
            eprint!("\rquarry: embedding passages {done}/{total}");
        }
    })?;
    if show {
        eprintln!();
    }
    if !globals.quiet {
        eprintln!(
            "quarry: {} passage vectors from {} ({} new, {} kept{}) in {:.1} s",
            summary.passages,
            embedder.id().name,
            summary.embedded,
            summary.reused,
            match (summary.graph_built, summary.graph) {
                (true, _) => "; nearest-neighbour graph built",
                (false, true) => "; nearest-neighbour graph kept",
                _ => "",
            },
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Writes the per-file report as a JSON array.
fn write_report(path: &std::path::Path, summary: &BuildSummary) -> Result<(), Failure> {
    let json = serde_json::to_vec_pretty(&summary.files)
        .map_err(|e| quarry::Error::engine("cannot serialise the report", e))?;
    std::fs::write(path, json).map_err(|e| quarry::Error::io("write the report to", path, &e))?;
    Ok(())
}
