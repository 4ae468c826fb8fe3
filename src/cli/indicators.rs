//! `quarry indicators [QUERY]`: the indicators (domains, addresses, handles, hashtags,
//! Telegram channels, hashes) that the passages a query and filters match name, as a table:
//! passages, documents, first and last date, publishers. Without a query, every passage.
//!
//! `--kind` chooses kinds of indicator here, so the other filters are written in the query as
//! `search` reads them (`publisher:"..." kind:report type:pdf domain:rrn.world`); `--since`
//! and `--until` are flags too.

use super::{with_stdout, Failure, FormatArg, Globals, Outcome};
use quarry::date::PartialDate;
use quarry::filter::Filters;
use quarry::indicators::{list, Kind};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words and filters, as `quarry search` takes them (publisher:"...", kind:report,
    /// domain:rrn.world...) [default: every passage]
    #[arg(value_name = "QUERY")]
    query: Vec<String>,

    /// Only passages of documents dated in or after this period: 2020, 2020-06 or 2020-06-15
    #[arg(long, value_name = "DATE", value_parser = date)]
    since: Option<PartialDate>,

    /// Only passages of documents dated in or before this period
    #[arg(long, value_name = "DATE", value_parser = date)]
    until: Option<PartialDate>,

    /// Only these kinds: domain, email, handle, hashtag, channel, hash (repeat or
    /// comma-separate) [default: all]
    #[arg(long, value_name = "KIND", value_delimiter = ',', value_parser = kind)]
    kind: Vec<Kind>,

    /// At most N rows, the most documents first (0: all)
    #[arg(short = 'n', long, value_name = "N", default_value_t = 50)]
    limit: usize,

    /// Output format (cite prints text)
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
}

fn date(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("'{s}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"))
}

fn kind(value: &str) -> Result<Kind, String> {
    Kind::from_name(value)
        .filter(|k| k.is_indexed())
        .ok_or_else(|| "give domain, email, handle, hashtag, channel or hash".to_string())
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let index = globals.open_index()?;
    let text = args.query.join(" ");
    let filters = Filters {
        since: args.since,
        until: args.until,
        ..Filters::default()
    };
    let query: Box<dyn Query> = if text.trim().is_empty() {
        // Every passage that passes the filters.
        let fields = index.fields();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(TermQuery::new(
                tantivy::Term::from_field_text(fields.rec, quarry::schema::REC_PASSAGE),
                tantivy::schema::IndexRecordOption::Basic,
            )),
        )];
        for q in filters.queries(&index)? {
            clauses.push((Occur::Must, q));
        }
        Box::new(BooleanQuery::new(clauses))
    } else {
        let mut request = quarry::SearchRequest::new(text.clone());
        request.filters = filters;
        // Feedback only re-ranks; it changes no match.
        request.feedback = quarry::feedback::Feedback::Never;
        quarry::search::prepare(&index, &request)?.query
    };
    let rows = list::list(
        &index,
        query.as_ref(),
        &list::Request {
            kinds: args.kind,
            limit: args.limit,
        },
    )?;
    with_stdout(|out| {
        quarry::output::write_indicators(out, &text, index.fingerprint(), &rows, args.format.into())
    })?;
    Ok(if rows.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Found
    })
}
