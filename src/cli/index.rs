//! `quarry index [PATH]...`: build the index from folders and files of documents.
//!
//! Prints skipped files and warnings on stderr as they happen, a progress line when stderr is a
//! terminal, and a one-line summary at the end. Exits 0 when documents were indexed, 1 when
//! none were found, 2 on error.

use super::{Failure, Globals, Outcome};
use quarry::{BuildOptions, BuildSummary, Reporter};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folders and files to index
    #[arg(value_name = "PATH", default_value = "corpus/")]
    paths: Vec<PathBuf>,

    /// Worker threads [default: the number of CPU cores]
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Indexing memory budget in megabytes
    #[arg(long, value_name = "MB", default_value_t = 256)]
    memory: usize,

    /// Skip files larger than this many megabytes
    #[arg(long, value_name = "MB", default_value_t = 200)]
    max_file_size: u64,
}

/// Reports per-file events on stderr.
pub struct StderrReporter {
    progress: bool,
    last: Mutex<Option<Instant>>,
}

impl StderrReporter {
    pub fn new(globals: &Globals) -> StderrReporter {
        StderrReporter {
            progress: globals.stderr_tty && !globals.quiet,
            last: Mutex::new(None),
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

    fn progress(&self, done: usize, total: usize) {
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
        eprint!("\r\x1b[2Kindexing {done}/{total} files");
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
    let mut line = format!(
        "indexed {} document{} ({} passages) in {:.2} s; skipped {}",
        s.documents,
        if s.documents == 1 { "" } else { "s" },
        s.passages,
        s.seconds,
        s.skipped
    );
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
    let defaults = BuildOptions::default();
    let options = BuildOptions {
        paths: args.paths,
        threads: args.threads.unwrap_or(defaults.threads).max(1),
        memory_mb: args.memory,
        max_file_bytes: args.max_file_size.saturating_mul(1_000_000),
    };
    let summary = build(&options, globals)?;
    if summary.documents == 0 {
        eprintln!(
            "quarry: no documents indexed from {} (supported: .txt, .md, .markdown, .html, .htm)",
            options
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(Outcome::NothingFound);
    }
    Ok(Outcome::Found)
}
