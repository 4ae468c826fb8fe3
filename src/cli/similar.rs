//! `quarry similar PASSAGE_ID`: passages of other documents most like a given passage.

use super::search::{
    not_with_opensearch, open_or_bootstrap, FilterArgs, ModeArg, OutputArgs, RemoteArgs,
};
use super::{Failure, Globals, Outcome};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Scores are relative to the passage itself: 1.0 is as similar as the passage is \
                  to itself (by meaning: the cosine of the two passages' vectors). With --mode \
                  hybrid, scores are reciprocal-rank fusion scores, as in quarry search. \
                  Filters and output options are those of quarry search.\n\
                  Exit status: 0 when similar passages were found, 1 when none were, 2 on error."
)]
pub struct Args {
    /// The passage id (from search results: the 'id' line, or passage_id in JSON)
    #[arg(value_name = "PASSAGE_ID")]
    passage_id: String,

    /// Drop passages scoring below this (0 to 1; e.g. 0.3 keeps clear echoes)
    #[arg(long, value_name = "SCORE")]
    min_score: Option<f32>,

    /// Likeness by shared distinctive words (bm25, the default), by the nearness of the
    /// passages' vectors (semantic: needs vectors from quarry index --embed, not the model), or
    /// both fused (hybrid); auto: hybrid when the index has vectors, else bm25
    #[arg(long, value_enum, default_value_t = ModeArg::Bm25, value_name = "MODE")]
    mode: ModeArg,

    #[command(flatten)]
    filters: FilterArgs,

    #[command(flatten)]
    output: OutputArgs,

    #[command(flatten)]
    remote: RemoteArgs,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    if let Some(client) = args.remote.client()? {
        if matches!(args.mode, ModeArg::Semantic | ModeArg::Hybrid) {
            return Err(not_with_opensearch(
                "similarity by meaning (--mode semantic or hybrid)",
            ));
        }
        let remote = quarry::opensearch::search::Remote {
            client: &client,
            index: &args.remote.index_name,
        };
        let mut request = args
            .output
            .request(args.passage_id.clone(), args.filters.filters());
        request.min_score = args.min_score;
        let results =
            quarry::opensearch::search::similar(&remote, args.passage_id.trim(), &request)?;
        return args
            .output
            .print_hits(&results, globals, "similar passages");
    }
    let index = open_or_bootstrap(globals)?;
    let mut request = args
        .output
        .request(args.passage_id.clone(), args.filters.filters());
    request.min_score = args.min_score;
    let has_vectors = quarry::embed::Vectors::summary(index.dir()).is_some();
    request.mode = match args.mode {
        ModeArg::Bm25 => quarry::search::Mode::Bm25,
        ModeArg::Auto if !has_vectors => quarry::search::Mode::Bm25,
        ModeArg::Semantic => quarry::search::Mode::Semantic,
        ModeArg::Auto | ModeArg::Hybrid => quarry::search::Mode::Hybrid,
    };
    let results = quarry::similar(&index, &args.passage_id, &request)?;
    args.output
        .print_hits(&results, globals, "similar passages")
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

    #[test]
    fn similar_flags_parse() {
        let t = T::try_parse_from([
            "quarry",
            "--min-score",
            "0.4",
            "--publisher",
            "X",
            "--since",
            "2020",
            "-n",
            "3",
            "--format",
            "json",
            "abc-1",
        ])
        .unwrap();
        assert_eq!(t.args.passage_id, "abc-1");
        assert_eq!(t.args.min_score, Some(0.4));
        assert_eq!(t.args.filters.filters().publisher.as_deref(), Some("X"));
        assert_eq!(
            t.args
                .output
                .request(String::new(), Default::default())
                .limit,
            3
        );
    }
}
