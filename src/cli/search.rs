//! `quarry search QUERY...`: ranked passages with citations and highlighted snippets.
//!
//! With no index and a `./corpus/` folder beside it, indexes that folder first (zero set-up).

use super::{with_stdout, Failure, FormatArg, Globals, Outcome};
use quarry::date::PartialDate;
use quarry::output::{self, Style};
use quarry::search::Filters;
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
Filters (--publisher, --author, --tag, --kind, --type, --lang, --since, --until) combine;
date filters exclude undated documents. At most --per-doc passages (default 3) come from one
document.
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

    /// Only documents from this publisher (its words, in order; case and accents ignored)
    #[arg(long, value_name = "NAME")]
    publisher: Option<String>,

    /// Only documents by this author
    #[arg(long, value_name = "NAME")]
    author: Option<String>,

    /// Only documents with this tag
    #[arg(long, value_name = "TAG")]
    tag: Option<String>,

    /// Only documents of this kind (report, investigation, platform-disclosure, policy, law...)
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,

    /// Only sources of this type: pdf, html, markdown, text, docx, odt, csv, tsv, jsonl, json,
    /// or record (any record format)
    #[arg(long = "type", value_name = "TYPE")]
    source_type: Option<String>,

    /// Only documents dated in or after this period: 2020, 2020-06 or 2020-06-15 (undated
    /// documents are excluded by any date filter)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<PartialDate>,

    /// Only documents dated in or before this period: 2020, 2020-06 or 2020-06-15 (undated
    /// documents are excluded by any date filter)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    until: Option<PartialDate>,

    /// At most N passages from any one document (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 3)]
    per_doc: usize,

    /// Skip the first N hits (for paging)
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
}

fn parse_date(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("'{s}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"))
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
            isolation: Some(super::index::isolation(
                super::index::DEFAULT_TIMEOUT_SECS,
                super::index::DEFAULT_EXTRACT_MEMORY_MB,
            )?),
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
        filters: Filters {
            publisher: args.publisher,
            author: args.author,
            tag: args.tag,
            kind: args.kind,
            format: args.source_type,
            since: args.since,
            until: args.until,
        },
        per_doc: (args.per_doc > 0).then_some(args.per_doc),
        offset: args.offset,
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
