//! `quarry eval --topics FILE --qrels FILE`: ranking quality on a test collection.
//!
//! Prints the mean of each measure and, with `--per-query`, each topic's values; `--format
//! json|csv` gives the same as data; `--run FILE` writes a TREC run for trec_eval. Exits 0, or 2
//! on error.

use super::search::FeedbackArg;
use super::{with_stdout, Failure, Globals, Outcome};
use quarry::eval::{self, DocName, Metric};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Topics: a TREC topic file, or TSV lines `id<TAB>query`
    #[arg(long, value_name = "FILE")]
    topics: PathBuf,

    /// Relevance judgements in TREC qrels format: `qid 0 docid grade`
    #[arg(long, value_name = "FILE")]
    qrels: PathBuf,

    /// Measures, comma-separated: ndcg@K, map, recall@K, p@K, mrr
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "ndcg@10,map,recall@100,mrr", value_parser = parse_metric)]
    metric: Vec<Metric>,

    /// How the qrels name what they judge: stem (file name without extension), doc-id, path,
    /// meta:FIELD (a metadata field such as meta:url), or passage (quarry passage ids; passages
    /// are then ranked, not documents). Default: passage when every judged id is a passage id,
    /// else stem
    #[arg(long, value_name = "HOW", value_parser = parse_id)]
    id: Option<DocName>,

    /// Also write the ranking as a TREC run file (`qid Q0 docid rank score quarry`)
    #[arg(long, value_name = "FILE")]
    run: Option<PathBuf>,

    /// Pseudo-relevance feedback, as for search: auto, always or never
    #[arg(long, value_enum, default_value_t = FeedbackArg::Auto, value_name = "WHEN")]
    feedback: FeedbackArg,

    /// Rank by words (bm25), by meaning (semantic) or both fused (hybrid), as for search; auto:
    /// hybrid when the index has passage vectors and their model is found, else bm25
    #[arg(long, value_enum, default_value_t = super::search::ModeArg::Auto, value_name = "MODE")]
    mode: super::search::ModeArg,

    /// The sentence-embedding model's folder for semantic and hybrid ranking [default:
    /// $QUARRY_MODEL, else the folder the index's vectors were made with]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,

    /// Print every topic's values, not only the means
    #[arg(long)]
    per_query: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    format: EvalFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EvalFormat {
    Text,
    Json,
    Csv,
}

fn parse_id(s: &str) -> Result<DocName, String> {
    DocName::parse(s).ok_or_else(|| {
        format!("unknown id kind '{s}' (use stem, doc-id, path, passage or meta:FIELD)")
    })
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    Metric::parse(s)
        .ok_or_else(|| format!("unknown measure '{s}' (use ndcg@K, map, recall@K, p@K or mrr)"))
}

fn invalid(path: &std::path::Path, e: String) -> Failure {
    Failure::Quarry(
        quarry::Error::new(
            quarry::ErrorKind::InvalidInput,
            format!("invalid {}: {e}", path.display()),
        )
        .with_hint("see docs/ranking.md for the topic and qrels formats"),
    )
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let read = |p: &PathBuf, flag: &str| {
        std::fs::read_to_string(p).map_err(|e| {
            Failure::Quarry(
                quarry::Error::io("read", p, &e).with_hint(format!("check the {flag} path")),
            )
        })
    };
    let topics = eval::parse_topics(&read(&args.topics, "--topics")?)
        .map_err(|e| invalid(&args.topics, e))?;
    let qrels =
        eval::parse_qrels(&read(&args.qrels, "--qrels")?).map_err(|e| invalid(&args.qrels, e))?;
    let judged = topics
        .iter()
        .any(|(id, _)| qrels.get(id).is_some_and(|j| j.values().any(|&g| g > 0)));
    if !judged {
        return Err(Failure::Quarry(
            quarry::Error::new(
                quarry::ErrorKind::InvalidInput,
                format!(
                    "no topic of {} has a relevant document in {}",
                    args.topics.display(),
                    args.qrels.display()
                ),
            )
            .with_hint("check that the topic ids of both files match"),
        ));
    }
    let index = super::search::open_or_bootstrap(globals)?;
    let names = args.id.clone().unwrap_or_else(|| DocName::detect(&qrels));
    let mut base = quarry::SearchRequest::new("");
    base.feedback = args.feedback.into();
    super::search::with_mode(
        &mut base,
        args.mode,
        args.model.as_deref(),
        index.dir(),
        globals,
    )?;
    let report = eval::evaluate(&index, &topics, &qrels, &args.metric, &names, &base)?;
    let matched = report
        .per_topic
        .iter()
        .any(|t| t.values.values().any(|&v| v > 0.0));
    if !matched && !globals.quiet {
        eprintln!(
            "quarry: no ranked document matched a judged id (check --id: stem, path, doc-id, meta:FIELD or passage)"
        );
    }
    if let Some(path) = &args.run {
        let mut lines = String::new();
        for (qid, ranked) in &report.run {
            for (i, (doc, score)) in ranked.iter().enumerate() {
                lines.push_str(&eval::run_line(qid, doc, i + 1, *score, "quarry"));
                lines.push('\n');
            }
        }
        std::fs::write(path, lines)
            .map_err(|e| Failure::Quarry(quarry::Error::io("write", path, &e)))?;
    }
    let names: Vec<String> = args.metric.iter().map(|m| m.name()).collect();
    with_stdout(|out| match args.format {
        EvalFormat::Json => quarry::output::write_json(out, &report),
        EvalFormat::Csv => {
            writeln!(out, "topic,{}", names.join(","))?;
            let row = |values: &std::collections::BTreeMap<String, f64>| {
                names
                    .iter()
                    .map(|n| format!("{:.4}", values.get(n).copied().unwrap_or(0.0)))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            for t in &report.per_topic {
                writeln!(out, "{},{}", t.id, row(&t.values))?;
            }
            writeln!(out, "all,{}", row(&report.means))
        }
        EvalFormat::Text => {
            if args.per_query {
                for t in &report.per_topic {
                    let cells: Vec<String> = names
                        .iter()
                        .map(|n| format!("{n} {:.4}", t.values.get(n).copied().unwrap_or(0.0)))
                        .collect();
                    writeln!(out, "{:<8} {}", t.id, cells.join("  "))?;
                }
            }
            for n in &names {
                writeln!(
                    out,
                    "{n:<12} {:.4}",
                    report.means.get(n).copied().unwrap_or(0.0)
                )?;
            }
            writeln!(out, "{:<12} {}", "topics", report.topics)
        }
    })?;
    Ok(Outcome::Found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        use clap::Parser;
        let mut argv = vec!["eval", "--topics", "t.tsv", "--qrels", "q.txt"];
        argv.extend_from_slice(extra);
        Wrapper::try_parse_from(argv).map(|w| w.args)
    }

    #[test]
    fn flags_parse_and_bad_values_are_refused() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.id, None);
        assert_eq!(
            args.metric,
            [
                Metric::Ndcg(10),
                Metric::Map,
                Metric::Recall(100),
                Metric::Mrr
            ]
        );
        assert_eq!(args.feedback, FeedbackArg::Auto);
        let args = parse(&[
            "--id",
            "meta:url",
            "--metric",
            "p@5,ndcg@20",
            "--feedback",
            "never",
            "--format",
            "csv",
            "--run",
            "r.txt",
            "--per-query",
        ])
        .unwrap();
        assert_eq!(args.id, Some(DocName::Meta("url".into())));
        assert_eq!(args.metric, [Metric::Precision(5), Metric::Ndcg(20)]);
        assert_eq!(args.feedback, FeedbackArg::Never);
        assert_eq!(args.format, EvalFormat::Csv);
        assert!(args.per_query && args.run.is_some());
        for bad in [
            &["--metric", "ndcg@0"][..],
            &["--id", "name"],
            &["--feedback", "sometimes"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        use clap::Parser;
        assert!(Wrapper::try_parse_from(["eval", "--topics", "t.tsv"]).is_err());
    }
}
