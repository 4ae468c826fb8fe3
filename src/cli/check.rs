//! `quarry check SUITE.toml`: run a query suite and report which expectations hold.
//!
//! Prints a table (query, expected, rank reached, phrase, result) and a summary; exits 0 when
//! the suite passes, 1 when it does not, 2 on error. See docs/ci.md for the suite format.

use super::{with_stdout, Failure, Globals, Outcome};
use quarry::check::{QueryOutcome, SuiteOutcome};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The suite: a TOML file of [[query]] entries with query, expect, and optional phrase and k
    #[arg(value_name = "SUITE.toml")]
    suite: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,

    /// Show every query, not only those that fail
    #[arg(long)]
    all: bool,

    /// Rank by words (bm25), by meaning (semantic) or both fused (hybrid), as for search; auto:
    /// hybrid when the index has passage vectors and their model is found, else bm25
    #[arg(long, value_enum, default_value_t = super::search::ModeArg::Auto, value_name = "MODE")]
    mode: super::search::ModeArg,

    /// The sentence-embedding model's folder for semantic and hybrid ranking [default:
    /// $QUARRY_MODEL, else the folder the index's vectors were made with]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let suite = quarry::check::load(&args.suite)?;
    let index = super::search::open_or_bootstrap(globals)?;
    let mut base = quarry::SearchRequest::new("");
    super::search::with_mode(
        &mut base,
        args.mode,
        args.model.as_deref(),
        index.dir(),
        globals,
    )?;
    let outcome = quarry::check::run(&index, &suite, &base)?;
    with_stdout(|out| match args.format {
        CheckFormat::Json => quarry::output::write_json(out, &outcome),
        CheckFormat::Text => write_table(out, &outcome, args.all),
    })?;
    globals.notice(&format!(
        "{} of {} queries pass ({:.1}%); the suite needs {:.1}%: {}",
        outcome.passed,
        outcome.total,
        100.0 * outcome.passed as f64 / outcome.total.max(1) as f64,
        100.0 * outcome.pass_ratio,
        if outcome.ok { "passed" } else { "FAILED" }
    ));
    Ok(if outcome.ok {
        Outcome::Found
    } else {
        Outcome::NothingFound
    })
}

fn rank_text(q: &QueryOutcome) -> String {
    q.ranks
        .iter()
        .map(|r| r.map_or_else(|| "-".to_string(), |r| r.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

fn write_table(out: &mut dyn Write, o: &SuiteOutcome, all: bool) -> io::Result<()> {
    let clean = |s: &str| quarry::output::sanitize(s).replace('|', "\\|");
    writeln!(
        out,
        "| query | expected | rank (k) | phrase in passage | result |"
    )?;
    writeln!(out, "|---|---|---|---|---|")?;
    for q in o.queries.iter().filter(|q| all || !q.passed) {
        let phrase = match (&q.phrase, q.phrase_passage) {
            (None, _) => String::new(),
            (Some(_), Some(p)) => p.to_string(),
            (Some(_), None) => "not found".to_string(),
        };
        writeln!(
            out,
            "| {} | {} | {} ({}) | {} | {} |",
            clean(&q.query),
            clean(&q.expected.join(", ")),
            rank_text(q),
            q.k,
            phrase,
            if q.passed { "pass" } else { "FAIL" }
        )?;
    }
    Ok(())
}
