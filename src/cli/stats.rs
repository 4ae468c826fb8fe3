//! `quarry stats`: what the index holds and how it was built.

use super::{with_stdout, Failure, Globals, Outcome};
use quarry::output::{self, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatsFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    format: StatsFormat,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let index = globals.open_index()?;
    let stats = quarry::stats(&index);
    let style = Style {
        color: globals.color,
        fields: None,
    };
    with_stdout(|out| match args.format {
        StatsFormat::Text => output::write_stats_text(out, &stats, &style),
        StatsFormat::Json => output::write_json(out, &stats),
    })?;
    Ok(Outcome::Found)
}
