//! `quarry similar PASSAGE_ID`: passages of other documents most like a given passage.

use super::search::{open_or_bootstrap, FilterArgs, OutputArgs};
use super::{Failure, Globals, Outcome};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Scores are relative to the passage itself: 1.0 is as similar as the passage is \
                  to itself. Filters and output options are those of quarry search.\n\
                  Exit status: 0 when similar passages were found, 1 when none were, 2 on error."
)]
pub struct Args {
    /// The passage id (from search results: the 'id' line, or passage_id in JSON)
    #[arg(value_name = "PASSAGE_ID")]
    passage_id: String,

    /// Drop passages scoring below this (0 to 1; e.g. 0.3 keeps clear echoes)
    #[arg(long, value_name = "SCORE")]
    min_score: Option<f32>,

    #[command(flatten)]
    filters: FilterArgs,

    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let index = open_or_bootstrap(globals)?;
    let mut request = args
        .output
        .request(args.passage_id.clone(), args.filters.filters());
    request.min_score = args.min_score;
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
