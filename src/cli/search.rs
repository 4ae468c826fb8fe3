//! `quarry search QUERY...`: ranked passages with citations and highlighted snippets.
//!
//! With no index and a `./corpus/` folder beside it, indexes that folder first (zero set-up).

use super::{with_stdout, Failure, FormatArg, Globals, Outcome};
use quarry::output::{self, Style};
use quarry::{BuildOptions, QuarryIndex, SearchRequest};
use std::path::{Path, PathBuf};

const QUERY_HELP: &str = "\
Query syntax:
  word word          passages with any of the words, best matches first
  \"exact phrase\"     the words in this order (quote it for the shell: '\"a b\"')
  +word  -word       the word is required / excluded (quote a query with -words,
                     e.g. quarry search 'china -twitter', or put it after --)
  a AND b, a OR b, NOT a, (a OR b) AND c
  field:value        in one field: title, heading, publisher, author, tag, kind, lang,
                     format, path (e.g. publisher:\"Washington Post\", tag:prc)
Exit status: 0 when passages were found, 1 when none were, 2 on error.";

#[derive(Debug, clap::Args)]
#[command(after_help = QUERY_HELP)]
pub struct Args {
    /// The query; several words are joined with spaces
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    query: Vec<String>,

    /// The most passages to show
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    limit: usize,

    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Snippet length in characters
    #[arg(long, value_name = "N", default_value_t = 240)]
    snippet_chars: usize,

    /// Only documents in this language (a code such as en, ru, zh, ar, de; declared or detected)
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
}

/// Opens the index, building it from `./corpus/` first when there is none and that exists.
pub fn open_or_bootstrap(globals: &Globals) -> Result<QuarryIndex, Failure> {
    let dir = &globals.index_dir;
    let corpus = Path::new("corpus");
    if !dir.join(quarry::index::META_FILE).exists() && !dir.exists() && corpus.is_dir() {
        globals.notice(&format!(
            "no index at {}; indexing ./corpus/ first",
            dir.display()
        ));
        let options = BuildOptions {
            paths: vec![PathBuf::from("corpus")],
            isolation: Some(super::index::isolation(120, 2048)?),
            ..BuildOptions::default()
        };
        super::index::build(&options, globals)?;
    }
    Ok(QuarryIndex::open(dir)?)
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let index = open_or_bootstrap(globals)?;
    let request = SearchRequest {
        query: args.query.join(" "),
        limit: args.limit,
        snippet_chars: args.snippet_chars,
        lang: args.lang,
    };
    let results = quarry::search(&index, &request)?;
    let style = Style {
        color: globals.color,
    };
    with_stdout(|out| output::write_hits(out, &results, args.format.into(), style))?;
    if args.format == FormatArg::Text && !results.hits.is_empty() {
        globals.notice(&format!(
            "{} of {} matching passages",
            results.hits.len(),
            results.total
        ));
    }
    Ok(if results.hits.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Found
    })
}
