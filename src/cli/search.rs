//! `quarry search QUERY...`: ranked passages with citations and highlighted snippets.
//!
//! With no index and a `./corpus/` folder beside it, indexes that folder first (zero set-up).

use super::{with_stdout, Failure, FormatArg, Globals, Outcome};
use quarry::aggregate::{AggregateRequest, Period};
use quarry::date::PartialDate;
use quarry::feedback::Feedback;
use quarry::output::{self, Style};
use quarry::schema::FacetField;
use quarry::search::{Filters, Preference};
use quarry::{BuildOptions, QuarryIndex, SearchRequest};
use std::path::{Path, PathBuf};

const QUERY_HELP: &str = "\
Query syntax (docs/query.md has it all, with examples):
  word word          passages with any of the words, best first (--all: every word required)
  \"exact phrase\"     the words in this order (quote it for the shell: '\"a b\"')
  \"a b\"~5            the words within 5 positions of each other
  surveil*           words starting with surveil      prigozhin~1   words one edit away
  +word  -word       the word is required / excluded (quote a query with -words,
                     e.g. quarry search 'china -twitter', or put it after --)
  a AND b, a OR b, NOT a, (a OR b) AND c, word^2 (counts double)
  title:word  heading:word  text:word        words in one field
  publisher:\"Citizen Lab\" author:X tag:X kind:X lang:ru type:pdf path:\"reports/*.pdf\"
  since:2020 until:2021-06 date:2020-09      filters, like the flags below
Filters (flags or query syntax) combine; date filters exclude undated documents.
At most --per-doc passages (default 3) come from one document; --group doc gives one entry
per document. --count, --facet and --timeline count over everything that matches.
Exit status: 0 when something matched, 1 when nothing did, 2 on error.";

/// Filters shared by `search` and `similar`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FilterArgs {
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

    /// Only sources of this type: pdf, html, markdown, text, docx, odt, epub, email, csv, tsv,
    /// jsonl, json, spreadsheet, telegram, or record (any record format)
    #[arg(long = "type", value_name = "TYPE")]
    source_type: Option<String>,

    /// Only files whose path matches this glob (* and ? within a folder, ** across folders);
    /// it may match the whole path or its end, e.g. '*.pdf' or 'reports/*.md'
    #[arg(long, value_name = "GLOB")]
    path: Option<String>,

    /// Only documents dated in or after this period: 2020, 2020-06 or 2020-06-15 (undated
    /// documents are excluded by any date filter)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    since: Option<PartialDate>,

    /// Only documents dated in or before this period: 2020, 2020-06 or 2020-06-15 (undated
    /// documents are excluded by any date filter)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    until: Option<PartialDate>,

    /// Only documents whose extra field KEY (another front-matter key, a record column such as
    /// region) has VALUE, case ignored; repeat for several
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_extra)]
    extra: Vec<(String, String)>,

    /// Only passages that name this registered domain (a URL, an address or a host name under
    /// it: rrn.world, bbc.co.uk); repeat for several, all required
    #[arg(long, value_name = "DOMAIN")]
    domain: Vec<String>,

    /// Only passages that name this e-mail address
    #[arg(long, value_name = "ADDRESS")]
    email: Vec<String>,

    /// Only passages that name this @handle
    #[arg(long, value_name = "@NAME")]
    handle: Vec<String>,

    /// Only passages that carry this #hashtag (any script)
    #[arg(long, value_name = "#TAG")]
    hashtag: Vec<String>,

    /// Only passages that link this Telegram channel (name or t.me/name)
    #[arg(long, value_name = "NAME")]
    channel: Vec<String>,

    /// Only passages that name this MD5, SHA-1 or SHA-256 hash
    #[arg(long, value_name = "HEX")]
    hash: Vec<String>,

    /// Leave out passages read by OCR whose words' mean confidence is under N (0 to 100;
    /// passages with a text layer always pass)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    min_ocr_confidence: Option<u8>,
}

fn parse_extra(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!(
            "'{s}' is not KEY=VALUE (e.g. --extra region=Texas)"
        )),
    }
}

impl FilterArgs {
    pub fn filters(&self) -> Filters {
        Filters {
            publisher: self.publisher.clone(),
            author: self.author.clone(),
            tag: self.tag.clone(),
            kind: self.kind.clone(),
            lang: self.lang.clone(),
            format: self.source_type.clone(),
            path: self.path.clone(),
            since: self.since,
            until: self.until,
            extra: self.extra.clone(),
            not_doc: None,
            min_ocr_confidence: self.min_ocr_confidence,
            indicators: {
                use quarry::indicators::Kind;
                [
                    (Kind::Domain, &self.domain),
                    (Kind::Email, &self.email),
                    (Kind::Handle, &self.handle),
                    (Kind::Hashtag, &self.hashtag),
                    (Kind::Channel, &self.channel),
                    (Kind::Hash, &self.hash),
                ]
                .into_iter()
                .flat_map(|(kind, values)| values.iter().map(move |v| (kind, v.clone())))
                .collect()
            },
        }
    }
}

/// How results are printed, shared by `search` and `similar`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// The most passages (or documents, with --group doc) to show; 0 writes every matching
    /// passage, a page at a time (to export a whole result set as jsonl, csv, tsv or cite)
    #[arg(short = 'n', long, value_name = "N", default_value_t = 10)]
    limit: usize,

    /// Skip the first N results (for paging; ranks continue from N+1)
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,

    /// Output format
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,

    /// Only these fields (JSON) or columns (CSV, TSV), in this order, comma-separated,
    /// e.g. --fields rank,path,page,cite
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    fields: Option<Vec<String>>,

    /// Snippet length in characters
    #[arg(long, value_name = "N", default_value_t = 240)]
    snippet_chars: usize,

    /// Include N neighbouring passages before and after each hit
    #[arg(short = 'C', long, value_name = "N", default_value_t = 0)]
    context: usize,

    /// Show how each hit's score is made up, term by term (BM25 contributions)
    #[arg(long)]
    explain: bool,

    /// At most N passages from any one document (0: no limit)
    #[arg(long, value_name = "N", default_value_t = 3)]
    per_doc: usize,

    /// Show copies of one text (the same passage in a PDF, its HTML and a text file) as one hit
    /// citing the copy of the first of these formats, comma-separated; the rest follow in the
    /// default order pdf,docx,odt,html,markdown,text,csv,tsv,jsonl,json
    #[arg(long, value_name = "FORMATS", value_parser = parse_prefer)]
    prefer: Option<Preference>,

    /// Show every copy of a text as its own hit
    #[arg(long, conflicts_with = "prefer")]
    no_collapse: bool,
}

/// Formats `--prefer` accepts.
fn parse_prefer(s: &str) -> Result<Preference, String> {
    Preference::parse(s).map_err(|e| e.to_string())
}

/// Facets `--facet` accepts.
fn parse_facet(s: &str) -> Result<FacetField, String> {
    FacetField::from_name(s).ok_or_else(|| {
        format!(
            "unknown facet '{s}' (facets are {}, and extra.KEY for any other field)",
            FacetField::ALL
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// When pseudo-relevance feedback is used (`--feedback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeedbackArg {
    Auto,
    Always,
    Never,
}

impl From<FeedbackArg> for Feedback {
    fn from(arg: FeedbackArg) -> Feedback {
        match arg {
            FeedbackArg::Auto => Feedback::Auto,
            FeedbackArg::Always => Feedback::Always,
            FeedbackArg::Never => Feedback::Never,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GroupArg {
    /// One entry per document, with its best passages
    Doc,
}

/// How passages are ranked (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// hybrid when the index has passage vectors and their model is found, else bm25
    Auto,
    Bm25,
    Semantic,
    Hybrid,
}

/// The engine that answers a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// quarry's own index (--index)
    Quarry,
    /// An OpenSearch cluster filled by `quarry export --opensearch` (docs/scale.md)
    Opensearch,
}

/// Where `--engine opensearch` searches.
#[derive(Debug, clap::Args)]
pub struct RemoteArgs {
    /// Which engine answers: quarry's own index, or an OpenSearch cluster that `quarry export`
    /// filled; the JSON is the same, with `engine` saying which
    #[arg(long, value_enum, default_value_t = EngineArg::Quarry, value_name = "ENGINE")]
    pub engine: EngineArg,

    /// The cluster for --engine opensearch: http://HOST:PORT or https://HOST:PORT
    /// (credentials from QUARRY_OPENSEARCH_USER and QUARRY_OPENSEARCH_PASSWORD, or
    /// QUARRY_OPENSEARCH_API_KEY)
    #[arg(long, value_name = "URL", env = "QUARRY_OPENSEARCH_URL")]
    pub opensearch: Option<String>,

    /// The cluster's index, for --engine opensearch
    #[arg(long, value_name = "NAME", default_value = "quarry")]
    pub index_name: String,

    /// Seconds to wait for the cluster's answer, for --engine opensearch
    #[arg(long = "cluster-timeout", value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

impl RemoteArgs {
    /// The cluster, when --engine opensearch is asked for.
    pub fn client(&self) -> Result<Option<quarry::opensearch::Client>, Failure> {
        if self.engine != EngineArg::Opensearch {
            return Ok(None);
        }
        let url = self.opensearch.as_deref().ok_or_else(|| {
            quarry::Error::new(
                quarry::ErrorKind::InvalidInput,
                "--engine opensearch needs the cluster's address",
            )
            .with_hint("give --opensearch http://HOST:PORT, or set QUARRY_OPENSEARCH_URL")
        })?;
        Ok(Some(quarry::opensearch::Client::new(
            url,
            std::time::Duration::from_secs(self.timeout),
        )?))
    }
}

/// What `--engine opensearch` does not offer, as a one-line error.
pub fn not_with_opensearch(what: &str) -> Failure {
    Failure::Quarry(
        quarry::Error::new(
            quarry::ErrorKind::InvalidInput,
            format!("{what} is not offered with --engine opensearch"),
        )
        .with_hint("use the local index (without --engine)"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PeriodArg {
    Year,
    Month,
}

#[derive(Debug, clap::Args)]
#[command(after_help = QUERY_HELP)]
pub struct Args {
    /// The query; several words are joined with spaces
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    query: Vec<String>,

    /// Require every word (as if each had a +)
    #[arg(long)]
    all: bool,

    /// Add words from the top documents' passages to the query and rank again (pseudo-relevance
    /// feedback). auto: with --group doc, for plain queries of 5 or more words (stop words not
    /// counted); never for a list of passages
    #[arg(long, value_enum, default_value_t = FeedbackArg::Auto, value_name = "WHEN")]
    feedback: FeedbackArg,

    /// Group hits by document: one entry per document with its best --per-doc passages
    #[arg(long, value_enum, value_name = "doc")]
    group: Option<GroupArg>,

    /// Rank passages by words (bm25), by meaning (semantic: needs vectors from
    /// quarry index --embed and the same model), or both fused (hybrid). auto: hybrid when the
    /// index has vectors and their model is found, else bm25
    #[arg(long, value_enum, default_value_t = ModeArg::Auto, value_name = "MODE",
          conflicts_with_all = ["count", "facet", "timeline"])]
    mode: ModeArg,

    /// The sentence-embedding model's folder for semantic and hybrid ranking [default:
    /// $QUARRY_MODEL, else the folder the index's vectors were made with]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,

    /// Print only the number of matching passages and documents
    #[arg(long, conflicts_with = "group")]
    count: bool,

    /// Count matches by publisher, author, tag, kind, lang, format, year, or an indicator
    /// kind: domain, email, handle, hashtag, channel, hash (repeat or comma-separate for several)
    #[arg(long, value_name = "FIELD", value_parser = parse_facet, value_delimiter = ',', conflicts_with = "group")]
    facet: Vec<FacetField>,

    /// Show matches over time as a bar chart (or as data with --format json/csv)
    #[arg(long, conflicts_with = "group")]
    timeline: bool,

    /// The timeline's periods
    #[arg(long, value_enum, value_name = "PERIOD", default_value_t = PeriodArg::Year, requires = "timeline")]
    by: PeriodArg,

    /// Drop hits scoring below this
    #[arg(long, value_name = "SCORE")]
    min_score: Option<f32>,

    #[command(flatten)]
    filters: FilterArgs,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    remote: RemoteArgs,
}

fn parse_date(s: &str) -> Result<PartialDate, String> {
    PartialDate::parse(s)
        .ok_or_else(|| format!("'{s}' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"))
}

impl OutputArgs {
    /// A request with these output settings.
    pub fn request(&self, query: String, filters: Filters) -> SearchRequest {
        SearchRequest {
            query,
            all_terms: false,
            limit: self.limit,
            offset: self.offset,
            snippet_chars: self.snippet_chars,
            filters,
            per_doc: (self.per_doc > 0).then_some(self.per_doc),
            min_score: None,
            context: self.context,
            explain: self.explain,
            feedback: Feedback::Auto,
            collapse: (!self.no_collapse).then(|| self.prefer.clone().unwrap_or_default()),
            mode: quarry::search::Mode::Bm25,
            embedder: None,
            near: None,
        }
    }

    /// The style, with `--fields` checked.
    pub fn style(&self, globals: &Globals, grouped: bool) -> Result<Style, Failure> {
        if let Some(fields) = &self.fields {
            quarry::output::check_fields(fields, grouped).map_err(|e| {
                Failure::Quarry(
                    quarry::Error::new(quarry::ErrorKind::InvalidInput, e)
                        .with_hint("choose fields from the list, comma-separated"),
                )
            })?;
        }
        Ok(Style {
            color: globals.color,
            fields: self.fields.clone(),
        })
    }

    /// Prints hits and the summary notice; the outcome says whether there were any.
    pub fn print_hits(
        &self,
        results: &quarry::SearchResults,
        globals: &Globals,
        what: &str,
    ) -> Result<Outcome, Failure> {
        let style = self.style(globals, false)?;
        with_stdout(|out| output::write_hits(out, results, self.format.into(), &style))?;
        if self.format == FormatArg::Text && !results.hits.is_empty() {
            globals.notice(&format!(
                "{} of {} {what}",
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
}

/// Opens the index, building the default one (`.quarry`) from `./corpus/` first when there is
/// none and that exists. A named index (`--index`, `QUARRY_INDEX`) is never built here: one
/// that does not exist is an error.
pub fn open_or_bootstrap(globals: &Globals) -> Result<std::sync::Arc<QuarryIndex>, Failure> {
    if let Some(index) = &globals.opened {
        return Ok(index.clone());
    }
    let dir = &globals.index_dir;
    let corpus = Path::new("corpus");
    if !globals.index_named
        && !dir.join(quarry::index::META_FILE).exists()
        && !dir.exists()
        && corpus.is_dir()
    {
        // Said even with --quiet: the answer comes from an index the user did not name.
        eprintln!(
            "quarry: no index at {}; indexing ./corpus/ first",
            dir.display()
        );
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
    globals.open_index()
}

/// Sets the request's ranking mode for the index in `index_dir`, loading the model that
/// semantic and hybrid ranking need. `auto` ranks hybrid when the index has passage vectors
/// and their model is found ([`quarry::embed::availability`]), else by words alone, saying why
/// when the index has vectors that cannot be used.
pub fn with_mode(
    request: &mut SearchRequest,
    mode: ModeArg,
    model: Option<&Path>,
    index_dir: &Path,
    globals: &Globals,
) -> Result<(), Failure> {
    use quarry::embed::Availability;
    use quarry::search::Mode;
    let (mode, embedder) = match mode {
        ModeArg::Bm25 => (Mode::Bm25, None),
        ModeArg::Auto => match quarry::embed::availability(index_dir, model) {
            Availability::NoVectors => (Mode::Bm25, None),
            Availability::Ready(e) => (Mode::Hybrid, Some(e)),
            Availability::Unusable(why) => {
                let hint = why.hint().map_or(String::new(), |h| format!("{h}; "));
                globals.notice(&format!(
                    "notice: ranking by words only: {} ({hint}or --mode bm25 to choose words alone)",
                    why.message()
                ));
                (Mode::Bm25, None)
            }
        },
        explicit => {
            let dir = quarry::embed::model_dir(model, index_dir)?;
            let mode = if explicit == ModeArg::Semantic {
                Mode::Semantic
            } else {
                Mode::Hybrid
            };
            (mode, Some(quarry::embed::BertEmbedder::shared(&dir)?))
        }
    };
    request.mode = mode;
    request.embedder = embedder.map(|e| e as std::sync::Arc<dyn quarry::embed::Embedder>);
    Ok(())
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    if let Some(client) = args.remote.client()? {
        return run_remote(args, &client, globals);
    }
    let index = open_or_bootstrap(globals)?;
    let mut request = args
        .output
        .request(args.query.join(" "), args.filters.filters());
    request.all_terms = args.all;
    request.min_score = args.min_score;
    request.feedback = args.feedback.into();
    // Counts, facets and timelines match by words; only lists are ranked by meaning.
    if !(args.count || !args.facet.is_empty() || args.timeline) {
        with_mode(
            &mut request,
            args.mode,
            args.model.as_deref(),
            index.dir(),
            globals,
        )?;
    }

    if args.count || !args.facet.is_empty() || args.timeline {
        // Feedback only re-ranks; it changes no count.
        request.feedback = Feedback::Never;
        let parsed = quarry::search::prepare(&index, &request)?;
        let aggregates =
            quarry::aggregate(&index, parsed.query.as_ref(), &args.aggregate_request())?;
        return args.print_aggregates(&request.query, index.fingerprint(), &aggregates, globals);
    }

    if args.group == Some(GroupArg::Doc) {
        let results = quarry::search_documents(&index, &request)?;
        return args.output.print_documents(&results, globals);
    }

    if args.output.limit == 0 {
        return every_hit(&index, request, &args.output, globals);
    }
    let results = quarry::search(&index, &request)?;
    args.output
        .print_hits(&results, globals, "matching passages")
}

/// `--engine opensearch`: the same request, answered by the cluster.
fn run_remote(
    args: Args,
    client: &quarry::opensearch::Client,
    globals: &Globals,
) -> Result<Outcome, Failure> {
    if matches!(args.mode, ModeArg::Semantic | ModeArg::Hybrid) {
        return Err(not_with_opensearch(
            "ranking by meaning (--mode semantic or hybrid)",
        ));
    }
    if args.output.context > 0 || args.output.explain {
        return Err(not_with_opensearch("--context and --explain"));
    }
    let remote = quarry::opensearch::search::Remote {
        client,
        index: &args.remote.index_name,
    };
    let mut request = args
        .output
        .request(args.query.join(" "), args.filters.filters());
    request.all_terms = args.all;
    request.min_score = args.min_score;
    if args.count || !args.facet.is_empty() || args.timeline {
        let aggregates =
            quarry::opensearch::search::aggregate(&remote, &request, &args.aggregate_request())?;
        return args.print_aggregates(&request.query, None, &aggregates, globals);
    }
    if args.group == Some(GroupArg::Doc) {
        let results = quarry::opensearch::search::search_documents(&remote, &request)?;
        return args.output.print_documents(&results, globals);
    }
    if args.output.limit == 0 {
        return every_remote_hit(&remote, request, &args.output, globals);
    }
    let results = quarry::opensearch::search::search(&remote, &request)?;
    args.output
        .print_hits(&results, globals, "matching passages")
}

/// `--limit 0` through the cluster: every hit, a page at a time (see
/// [`quarry::opensearch::search::each_page`]), so a result set of any size is written in
/// bounded memory.
fn every_remote_hit(
    remote: &quarry::opensearch::search::Remote,
    mut request: SearchRequest,
    output: &OutputArgs,
    globals: &Globals,
) -> Result<Outcome, Failure> {
    let format: quarry::output::OutputFormat = output.format.into();
    if output.format == FormatArg::Json {
        return Err(every_hit_needs_lines());
    }
    let style = output.style(globals, false)?;
    request.offset = output.offset;
    let mut first = true;
    let mut failed: Option<std::io::Error> = None;
    let pages = quarry::opensearch::search::each_page(remote, &request, &mut |page| {
        if let Err(e) = with_stdout(|out| output::write_hits_page(out, page, format, &style, first))
        {
            failed = Some(e);
            // Stops the paging; the write's own error is reported below.
            return Err(quarry::Error::new(quarry::ErrorKind::Io, "output"));
        }
        first = false;
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    let written = pages?;
    Ok(output.every_hit_written(written, globals))
}

impl Args {
    /// The counts, facets and timeline asked for.
    fn aggregate_request(&self) -> AggregateRequest {
        AggregateRequest {
            facets: self.facet.clone(),
            timeline: self.timeline.then_some(match self.by {
                PeriodArg::Year => Period::Year,
                PeriodArg::Month => Period::Month,
            }),
        }
    }

    /// Prints counts, facets and timelines; exit status 1 when nothing matched.
    fn print_aggregates(
        &self,
        query: &str,
        fingerprint: Option<&str>,
        aggregates: &quarry::Aggregates,
        globals: &Globals,
    ) -> Result<Outcome, Failure> {
        let style = self.output.style(globals, false)?;
        let format = self.output.format.into();
        with_stdout(|out| {
            output::write_aggregates(out, query, fingerprint, aggregates, format, &style)
        })?;
        Ok(if aggregates.total.passages == 0 {
            Outcome::NothingFound
        } else {
            Outcome::Found
        })
    }
}

impl OutputArgs {
    /// Prints documents with their best passages (`--group doc`).
    fn print_documents(
        &self,
        results: &quarry::search::DocumentResults,
        globals: &Globals,
    ) -> Result<Outcome, Failure> {
        let style = self.style(globals, true)?;
        with_stdout(|out| output::write_documents(out, results, self.format.into(), &style))?;
        Ok(if results.documents.is_empty() {
            Outcome::NothingFound
        } else {
            Outcome::Found
        })
    }

    /// After `--limit 0` wrote `written` hits: the count as a notice under text, and the
    /// outcome.
    fn every_hit_written(&self, written: usize, globals: &Globals) -> Outcome {
        if self.format == FormatArg::Text && written > 0 {
            globals.notice(&format!("{written} matching passages"));
        }
        if written == 0 {
            Outcome::NothingFound
        } else {
            Outcome::Found
        }
    }
}

/// The error for `--limit 0 --format json`.
fn every_hit_needs_lines() -> Failure {
    Failure::Quarry(
        quarry::Error::new(
            quarry::ErrorKind::InvalidInput,
            "--limit 0 writes every hit a page at a time, which one JSON document cannot hold",
        )
        .with_hint("use --format jsonl (one hit per line), csv, tsv or cite"),
    )
}

/// Writes every hit of `request` (`--limit 0`), a page at a time, so that a result set of any
/// size is exported in bounded memory: page sizes double from 500 to 8,000, and each page is
/// ranked as `--offset` pages are, so the pages join into one ranking.
fn every_hit(
    index: &QuarryIndex,
    mut request: SearchRequest,
    output: &OutputArgs,
    globals: &Globals,
) -> Result<Outcome, Failure> {
    let format: quarry::output::OutputFormat = output.format.into();
    if output.format == FormatArg::Json {
        return Err(every_hit_needs_lines());
    }
    let style = output.style(globals, false)?;
    let mut page = 500;
    let mut written = 0;
    loop {
        request.limit = page;
        request.offset = output.offset + written;
        let results = quarry::search(index, &request)?;
        let n = results.hits.len();
        with_stdout(|out| output::write_hits_page(out, &results, format, &style, written == 0))?;
        written += n;
        if n < page {
            break;
        }
        page = (page * 2).min(8_000);
    }
    Ok(output.every_hit_written(written, globals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        args: Args,
    }

    fn parse(argv: &[&str]) -> Args {
        let mut all = vec!["quarry"];
        all.extend_from_slice(argv);
        T::try_parse_from(all)
            .unwrap_or_else(|e| panic!("{e}"))
            .args
    }

    fn fails(argv: &[&str]) -> String {
        let mut all = vec!["quarry"];
        all.extend_from_slice(argv);
        T::try_parse_from(all).unwrap_err().to_string()
    }

    #[test]
    fn every_search_flag_parses() {
        let a = parse(&[
            "--publisher",
            "Citizen Lab",
            "--author",
            "Doe",
            "--tag",
            "prc",
            "--kind",
            "report",
            "--type",
            "pdf",
            "--lang",
            "ru",
            "--path",
            "reports/*.pdf",
            "--since",
            "2020",
            "--until",
            "2021-06",
            "--all",
            "--per-doc",
            "2",
            "-n",
            "5",
            "--offset",
            "10",
            "--format",
            "tsv",
            "--fields",
            "rank,path,cite",
            "--snippet-chars",
            "80",
            "--context",
            "1",
            "--explain",
            "--min-score",
            "1.5",
            "zhenhua",
            "data",
        ]);
        assert_eq!(a.query, ["zhenhua", "data"]);
        let f = a.filters.filters();
        assert_eq!(f.publisher.as_deref(), Some("Citizen Lab"));
        assert_eq!(f.author.as_deref(), Some("Doe"));
        assert_eq!(f.tag.as_deref(), Some("prc"));
        assert_eq!(f.kind.as_deref(), Some("report"));
        assert_eq!(f.format.as_deref(), Some("pdf"));
        assert_eq!(f.lang.as_deref(), Some("ru"));
        assert_eq!(f.path.as_deref(), Some("reports/*.pdf"));
        assert_eq!(f.since, PartialDate::parse("2020"));
        assert_eq!(f.until, PartialDate::parse("2021-06"));
        assert!(a.all && a.output.explain);
        assert_eq!(a.min_score, Some(1.5));
        let r = a.output.request("q".into(), f);
        assert_eq!(
            (r.limit, r.offset, r.per_doc, r.context, r.snippet_chars),
            (5, 10, Some(2), 1, 80)
        );
        assert_eq!(a.output.format, FormatArg::Tsv);
        assert_eq!(
            a.output.fields.as_deref(),
            Some(&["rank".to_string(), "path".into(), "cite".into()][..])
        );
    }

    #[test]
    fn grouping_and_aggregation_flags_parse() {
        let a = parse(&["--group", "doc", "x"]);
        assert_eq!(a.group, Some(GroupArg::Doc));
        let a = parse(&["--count", "x"]);
        assert!(a.count);
        let a = parse(&["--facet", "publisher,year", "--facet", "type", "x"]);
        assert_eq!(
            a.facet,
            [FacetField::Publisher, FacetField::Year, FacetField::Format]
        );
        let a = parse(&["--timeline", "--by", "month", "x"]);
        assert!(a.timeline);
        assert_eq!(a.by, PeriodArg::Month);
        for f in ["text", "json", "jsonl", "csv", "tsv", "cite"] {
            parse(&["--format", f, "x"]);
        }
        assert_eq!(parse(&["x"]).output.per_doc, 3);
    }

    #[test]
    fn bad_flag_values_are_usage_errors() {
        assert!(fails(&["--facet", "colour", "x"]).contains("unknown facet 'colour'"));
        assert!(fails(&["--since", "soon", "x"]).contains("is not a date"));
        assert!(fails(&["--by", "month", "x"]).contains("--timeline"));
        assert!(fails(&["--group", "doc", "--count", "x"]).contains("cannot be used with"));
        assert!(fails(&["--format", "xml", "x"]).contains("xml"));
    }
}
