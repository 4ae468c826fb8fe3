//! `quarry export --opensearch URL`: sends the index's passages to an OpenSearch cluster (only
//! what changed since the last export), or with `--dry-run --out DIR` writes the mapping and
//! the bulk files for other tools. Progress on stderr when it is a terminal; a one-line summary
//! on stderr; `--format json` prints the summary on stdout (docs/scale.md).

use super::{with_stdout, Failure, Globals, Outcome};
use quarry::opensearch::client::Retry;
use quarry::opensearch::{self, Client, ExportOptions, Progress};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The cluster's address: http://HOST:PORT or https://HOST:PORT (credentials from
    /// QUARRY_OPENSEARCH_USER and QUARRY_OPENSEARCH_PASSWORD, or QUARRY_OPENSEARCH_API_KEY)
    #[arg(long, value_name = "URL", required_unless_present = "dry_run")]
    opensearch: Option<String>,

    /// The OpenSearch index to fill (created with quarry's mapping when missing)
    #[arg(long, value_name = "NAME", default_value = "quarry")]
    index_name: String,

    /// Primary shards of a new index
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    shards: u32,

    /// Replicas of each shard of a new index
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=16))]
    replicas: u32,

    /// Send every file again, after deleting what the index holds, not only what changed
    #[arg(long)]
    full: bool,

    /// Write the mapping and the bulk files (NDJSON) into --out instead of sending them
    #[arg(long, requires = "out")]
    dry_run: bool,

    /// The folder for --dry-run (new or empty)
    #[arg(long, value_name = "DIR", requires = "dry_run")]
    out: Option<PathBuf>,

    /// Passages per bulk request (at most; a request also stops at --batch-mb)
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    batch: u64,

    /// Megabytes per bulk request (at most)
    #[arg(long, value_name = "MB", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=512))]
    batch_mb: u64,

    /// Seconds to wait for each answer of the cluster
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,

    /// Times a request is sent again while the cluster is busy or unreachable (waiting 0.25 s,
    /// then twice as long each time, up to 30 s)
    #[arg(long, value_name = "N", default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=30))]
    retries: u32,

    /// How the summary is printed: a line on stderr, or JSON on stdout
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
}

/// The progress line on stderr.
struct Line {
    show: bool,
    total: Mutex<u64>,
    last: Mutex<Option<Instant>>,
}

impl Progress for Line {
    fn planned(&self, _files: u64, passages: u64) {
        if let Ok(mut t) = self.total.lock() {
            *t = passages;
        }
    }

    fn sent(&self, passages: u64) {
        if !self.show {
            return;
        }
        let total = self.total.lock().map(|t| *t).unwrap_or(0);
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        if last.is_some_and(|t| now - t < Duration::from_millis(100)) && passages < total {
            return;
        }
        *last = Some(now);
        eprint!("\r\x1b[2Kexporting {passages}/{total} passages");
        let _ = std::io::stderr().flush();
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.show && self.last.lock().is_ok_and(|l| l.is_some()) {
            eprint!("\r\x1b[2K");
        }
    }
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let index = globals.open_index()?;
    let client = match (&args.opensearch, args.dry_run) {
        (Some(url), false) => Some(
            Client::new(url, Duration::from_secs(args.timeout))?.with_retry(Retry {
                attempts: args.retries + 1,
                ..Retry::default()
            }),
        ),
        _ => None,
    };
    let options = ExportOptions {
        index_name: args.index_name.clone(),
        shards: args.shards,
        replicas: args.replicas,
        batch_bytes: (args.batch_mb as usize).saturating_mul(1024 * 1024),
        batch_passages: args.batch as usize,
        full: args.full,
        out: if args.dry_run { args.out.clone() } else { None },
    };
    let line = Line {
        show: globals.stderr_tty && !globals.quiet,
        total: Mutex::new(0),
        last: Mutex::new(None),
    };
    let summary = opensearch::export(&index, client.as_ref(), &options, &line)?;
    drop(line);
    match args.format {
        SummaryFormat::Json => with_stdout(|out| quarry::output::write_json(out, &summary))?,
        SummaryFormat::Text if !globals.quiet => {
            let target = match &args.out {
                Some(dir) if args.dry_run => format!("{} (dry run)", dir.display()),
                _ => format!(
                    "{}/{}",
                    client.as_ref().map(Client::base).unwrap_or_default(),
                    summary.index
                ),
            };
            eprintln!(
                "quarry: exported to {target}: {} of {} files sent ({} passages in {} requests), {} unchanged, {} removed{}{} in {:.1} s",
                summary.files_sent,
                summary.files,
                summary.passages_sent,
                summary.bulk_requests,
                summary.files_unchanged,
                summary.files_removed,
                if summary.retried > 0 {
                    format!(", {} retried", summary.retried)
                } else {
                    String::new()
                },
                summary
                    .cluster_passages
                    .map(|n| format!("; the index holds {n} passages"))
                    .unwrap_or_default(),
                summary.seconds
            );
        }
        SummaryFormat::Text => {}
    }
    Ok(Outcome::Found)
}
