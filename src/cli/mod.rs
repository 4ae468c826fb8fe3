//! Command-line interface: clap definitions, global options, terminal decisions, exit codes.
//!
//! Each subcommand lives in its own file with its arguments and a `run` function. `run`
//! returns an [`Outcome`] or a [`Failure`]; [`main`] maps them to exit codes like grep:
//! 0 = results, 1 = no results, 2 = error. Errors are printed as one line,
//! `quarry: <what went wrong> (<what to do>)`, on stderr; a closed stdout (broken pipe) ends the
//! program quietly with 0. Results go to stdout, everything else to stderr.

mod check;
mod eval;
mod export;
mod index;
mod indicators;
mod search;
mod serve;
mod show;
mod similar;
mod stats;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Find and cite the exact passage in a collection of sources.
#[derive(Debug, Parser)]
#[command(
    name = "quarry",
    version,
    about = "Find and cite the exact passage in a collection of sources",
    long_about = "quarry indexes a folder of sources (text, Markdown, HTML, PDF, DOCX, ODT, CSV and \
                  JSON records) into passages that know their document, page, line and heading, \
                  and ranks them with BM25.\n\n\
                  Exit status: 0 when there are results, 1 when there are none, 2 on error.",
    after_help = "Start with: quarry search \"Zhenhua Data\" (indexes ./corpus on first use)"
)]
pub struct Cli {
    /// Index directory [default: $QUARRY_INDEX, else .quarry in the current directory]
    #[arg(long, global = true, value_name = "DIR", env = "QUARRY_INDEX")]
    index: Option<PathBuf>,

    /// When to colour output: auto (on a terminal, unless NO_COLOR is set), always, never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    /// Print no progress, notices or summaries on stderr (errors and skipped files still show)
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the index from folders and files of documents
    Index(index::Args),
    /// Search the index; prints ranked passages with citations
    Search(search::Args),
    /// Passages of other documents most like a given passage
    Similar(similar::Args),
    /// The domains, handles, hashtags, channels... that matching passages name, as a table
    Indicators(indicators::Args),
    /// Show a passage (with neighbours) or a whole document by id
    Show(show::Args),
    /// Show what the index holds and how it was built
    Stats(stats::Args),
    /// Check that the index matches the corpus (exit 1 listing new, changed, removed files)
    Verify(verify::Args),
    /// Run a query suite: expected documents in the top k (exit 1 when it fails)
    Check(check::Args),
    /// Measure ranking quality on a test collection (TREC topics and qrels)
    Eval(eval::Args),
    /// Serve the index over HTTP: a JSON API on loopback (docs/api.md)
    Serve(serve::Args),
    /// Send the passages to an OpenSearch cluster, only what changed (docs/scale.md)
    Export(export::Args),
    /// Internal: extract one file in an isolated worker process (used by `quarry index`)
    #[command(name = "__extract-worker", hide = true)]
    ExtractWorker(WorkerArgs),
}

/// The hidden subcommand that runs one extraction in a worker process.
pub const WORKER_COMMAND: &str = "__extract-worker";

#[derive(Debug, clap::Args)]
struct WorkerArgs {
    #[arg(long)]
    extractor: String,
    #[arg(long)]
    max_bytes: u64,
    #[arg(long)]
    display: String,
    /// The parent's time limit: the worker ends itself a moment after it, wherever the parent
    /// went.
    #[arg(long)]
    timeout_ms: Option<u64>,
    path: PathBuf,
}

/// For tests only: a worker sleeps this many milliseconds before extracting, standing in for a
/// slow file.
const WORKER_TEST_DELAY: &str = "QUARRY_TEST_WORKER_DELAY_MS";

/// The worker subcommand: a watchdog that ends the process after its time limit, then one
/// extraction.
fn run_worker(w: &WorkerArgs) -> Result<Outcome, Failure> {
    if let Some(ms) = w.timeout_ms {
        let limit = std::time::Duration::from_millis(ms.saturating_add(1000));
        std::thread::spawn(move || {
            std::thread::sleep(limit);
            eprintln!("quarry: extraction worker stopped at its time limit");
            std::process::exit(3);
        });
    }
    if let Some(ms) = std::env::var(WORKER_TEST_DELAY)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    with_stdout(|out| {
        let timeout = w.timeout_ms.map(std::time::Duration::from_millis);
        // A container's column mapping comes in the environment (quarry.toml's `[records]`).
        let mapping = std::env::var("QUARRY_WORKER_MAPPING").ok();
        quarry::extract::worker::serve(
            &w.extractor,
            &w.path,
            &w.display,
            w.max_bytes,
            timeout,
            mapping.as_deref(),
            out,
        )
    })
    .map(|()| Outcome::Found)
    .map_err(Failure::Output)
}

/// The message of the last panic, recorded by the hook [`main`] installs instead of printing it.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Options shared by every subcommand, resolved once.
#[derive(Debug)]
pub struct Globals {
    /// The index directory.
    pub index_dir: PathBuf,
    /// Whether it was named (`--index` or `QUARRY_INDEX`) rather than the default: a named
    /// index that does not exist is an error, never built on the fly.
    pub index_named: bool,
    /// Whether stdout gets colour.
    pub color: bool,
    /// Suppress notices.
    pub quiet: bool,
    /// Whether stderr is a terminal (for progress display).
    pub stderr_tty: bool,
    /// The index at `index_dir`, already open (`quarry serve` keeps one open per commit).
    pub opened: Option<std::sync::Arc<quarry::QuarryIndex>>,
}

impl Globals {
    fn resolve(cli: &Cli) -> Globals {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => io::stdout().is_terminal() && !no_color && !dumb,
        };
        Globals {
            index_dir: cli
                .index
                .clone()
                .unwrap_or_else(|| PathBuf::from(".quarry")),
            index_named: cli.index.is_some(),
            color,
            quiet: cli.quiet,
            stderr_tty: io::stderr().is_terminal(),
            opened: None,
        }
    }

    /// The index at `index_dir`: the one already open, or opened now.
    pub fn open_index(&self) -> Result<std::sync::Arc<quarry::QuarryIndex>, Failure> {
        match &self.opened {
            Some(index) => Ok(index.clone()),
            None => Ok(std::sync::Arc::new(quarry::QuarryIndex::open(
                &self.index_dir,
            )?)),
        }
    }

    /// Prints a notice on stderr unless quiet.
    pub fn notice(&self, message: &str) {
        if !self.quiet {
            eprintln!("quarry: {}", quarry::output::sanitize(message));
        }
    }
}

/// How a successful run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// There were results.
    Found,
    /// The run worked but found nothing.
    NothingFound,
}

/// Why a run failed.
#[derive(Debug)]
pub enum Failure {
    /// The library reported an error.
    Quarry(quarry::Error),
    /// Writing the results failed.
    Output(io::Error),
}

impl From<quarry::Error> for Failure {
    fn from(e: quarry::Error) -> Self {
        Failure::Quarry(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Output(e)
    }
}

/// Output formats offered by `search`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable text
    Text,
    /// One JSON object (format_version, query, totals, results)
    Json,
    /// One JSON object per line
    Jsonl,
    /// CSV with a header row
    Csv,
    /// Tab-separated values with a header row (no quoting; tabs and line breaks in values
    /// become spaces)
    Tsv,
    /// One ready-to-paste citation per line
    Cite,
}

impl From<FormatArg> for quarry::output::OutputFormat {
    fn from(f: FormatArg) -> Self {
        use quarry::output::OutputFormat as O;
        match f {
            FormatArg::Text => O::Text,
            FormatArg::Json => O::Json,
            FormatArg::Jsonl => O::Jsonl,
            FormatArg::Csv => O::Csv,
            FormatArg::Tsv => O::Tsv,
            FormatArg::Cite => O::Cite,
        }
    }
}

/// Runs `write` against a buffered, locked stdout and flushes it.
pub fn with_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    // A request of `quarry serve` runs a subcommand with its output captured for the response.
    let captured = CAPTURE.with(|c| c.borrow_mut().take());
    if let Some(mut sink) = captured {
        let result = write(&mut *sink).and_then(|()| sink.flush());
        CAPTURE.with(|c| *c.borrow_mut() = Some(sink));
        return result;
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    write(&mut out)?;
    out.flush()
}

thread_local! {
    /// Where [`with_stdout`] writes instead of stdout on this thread, when set ([`captured`]).
    static CAPTURE: std::cell::RefCell<Option<Box<dyn Write>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `run` with what it writes through [`with_stdout`] sent to `sink` instead of stdout.
pub fn captured<T>(sink: Box<dyn Write>, run: impl FnOnce() -> T) -> T {
    CAPTURE.with(|c| *c.borrow_mut() = Some(sink));
    let result = run();
    CAPTURE.with(|c| c.borrow_mut().take());
    result
}

/// Runs one parsed subcommand.
fn dispatch(command: Command, globals: &Globals) -> Result<Outcome, Failure> {
    match command {
        Command::Index(args) => index::run(args, globals),
        Command::Search(args) => search::run(args, globals),
        Command::Show(args) => show::run(args, globals),
        Command::Similar(args) => similar::run(args, globals),
        Command::Indicators(args) => indicators::run(args, globals),
        Command::Stats(args) => stats::run(args, globals),
        Command::Verify(args) => verify::run(args, globals),
        Command::Check(args) => check::run(args, globals),
        Command::Eval(args) => eval::run(args, globals),
        Command::Serve(args) => serve::run(args, globals),
        Command::Export(args) => export::run(args, globals),
        Command::ExtractWorker(w) => run_worker(&w),
    }
}

/// Parses arguments, runs the subcommand and returns the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
    let globals = Globals::resolve(&cli);
    // Panics are caught (the library turns those a damaged index causes into errors); the
    // default hook would print Rust's panic text first. Record it instead, and print one line
    // if it reaches the top. QUARRY_BACKTRACE=1 keeps the default for debugging.
    if std::env::var_os("QUARRY_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            let text = match info.location() {
                Some(at) => format!(
                    "{} at {}:{}",
                    panic_text(info.payload()),
                    at.file(),
                    at.line()
                ),
                None => panic_text(info.payload()),
            };
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = Some(text);
            }
        }));
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dispatch(cli.command, &globals)
    }));
    let result = match result {
        Ok(result) => result,
        Err(_) => {
            let text = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_else(|| "unknown cause".to_string());
            eprintln!(
                "quarry: internal error: {} (please report it; QUARRY_BACKTRACE=1 shows more)",
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(Outcome::Found) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            eprintln!(
                "quarry: cannot write output: {}",
                quarry::error::io_reason(&e)
            );
            ExitCode::from(2)
        }
        Err(Failure::Quarry(e)) => {
            // Messages quote queries, ids and paths, which may hold escape sequences.
            eprintln!("quarry: {}", quarry::output::sanitize(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// Help and version go out as clap writes them; an argument error becomes one line on stderr,
/// `quarry: <what> (<tip>; see 'quarry <command> --help')`, exit 2.
fn argument_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
    }
    let names: Vec<String> = {
        use clap::CommandFactory;
        Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect()
    };
    let command = std::env::args()
        .skip(1)
        .find(|a| names.contains(a))
        .map_or_else(|| "quarry".to_string(), |c| format!("quarry {c}"));
    eprintln!(
        "quarry: {}",
        one_line_error(&e.render().to_string(), &command)
    );
    ExitCode::from(2)
}

/// The longest error and tip printed, in characters: they may quote a huge argument.
const MAX_ERROR_CHARS: usize = 300;
const MAX_TIP_CHARS: usize = 150;

/// clap's multi-line error text as one line: the error, then its tips and where to read more,
/// sanitised and shortened.
fn one_line_error(rendered: &str, command: &str) -> String {
    let mut what: Vec<&str> = Vec::new();
    let mut tips: Vec<String> = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more information")
        {
            continue;
        }
        match (line.strip_prefix("error:"), line.strip_prefix("tip:")) {
            (Some(error), _) => what.push(error.trim()),
            (_, Some(tip)) => tips.push(clip(tip.trim(), MAX_TIP_CHARS)),
            _ => what.push(line),
        }
    }
    tips.push(format!("see '{command} --help'"));
    format!(
        "{} ({})",
        clip(&what.join(" "), MAX_ERROR_CHARS),
        tips.join("; ")
    )
}

/// `text` made safe for a terminal and cut to `max` characters.
fn clip(text: &str, max: usize) -> String {
    let text = quarry::output::sanitize(text);
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    quarry::index::damage::panic_message(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn argument_errors_are_one_line() {
        let err = |args: &[&str]| {
            let e = Cli::try_parse_from(args).unwrap_err();
            one_line_error(&e.render().to_string(), "quarry search")
        };
        assert_eq!(
            err(&["quarry", "search", "--fromat", "json", "x"]),
            "unexpected argument '--fromat' found (a similar argument exists: '--format'; \
             see 'quarry search --help')"
        );
        assert_eq!(
            err(&["quarry", "search"]),
            "the following required arguments were not provided: <QUERY>... \
             (see 'quarry search --help')"
        );
        let long = format!("--{}\u{1b}]52;c;x\u{7}", "x".repeat(1000));
        let line = err(&["quarry", "search", &long, "x"]);
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line}");
        assert!(
            line.chars().count() < MAX_ERROR_CHARS + 2 * MAX_TIP_CHARS,
            "{line}"
        );
    }

    #[test]
    fn global_flags_parse_anywhere() {
        let cli = Cli::try_parse_from([
            "quarry", "search", "a", "--index", "x", "--color", "never", "-q",
        ])
        .unwrap();
        assert_eq!(cli.index, Some(PathBuf::from("x")));
        assert_eq!(cli.color, ColorChoice::Never);
        assert!(cli.quiet);
    }
}
