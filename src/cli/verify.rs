//! `quarry verify [PATH]...`: does the index match the corpus and its own manifest?
//!
//! Exits 0 when it does, 1 listing new, changed and removed files (and any disagreement between
//! the manifest and the index) when it does not, 2 on error.

use super::{with_stdout, Failure, Globals, Outcome};
use quarry::QuarryIndex;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folders and files of the corpus [default: the paths the index was built from]
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// The size limit the index was built with, if --max-file-size was given to quarry index
    #[arg(long, value_name = "MB")]
    max_file_size: Option<u64>,

    /// Output format
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    format: VerifyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum VerifyFormat {
    Text,
    Json,
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let v = match QuarryIndex::open(&globals.index_dir) {
        Ok(index) => quarry::index::verify::verify(
            &index,
            &args.paths,
            args.max_file_size.map(|mb| mb.saturating_mul(1_000_000)),
        )?,
        // A damaged index is an answer, not an error: it does not match.
        Err(e) if e.kind() == quarry::ErrorKind::DamagedIndex => {
            quarry::index::verify::Verification {
                problems: vec![e.to_string()],
                ..Default::default()
            }
        }
        Err(e) => return Err(e.into()),
    };
    with_stdout(|out| match args.format {
        VerifyFormat::Json => quarry::output::write_json(out, &v),
        VerifyFormat::Text => {
            for (label, files) in [
                ("new", &v.new),
                ("changed", &v.changed),
                ("removed", &v.removed),
            ] {
                for f in files {
                    writeln!(out, "{label:<8} {}", quarry::output::sanitize(f))?;
                }
            }
            for p in &v.problems {
                writeln!(out, "index    {}", quarry::output::sanitize(p))?;
            }
            Ok(())
        }
    })?;
    let fingerprint = v.fingerprint.as_deref().unwrap_or("none");
    if v.ok() {
        globals.notice(&format!(
            "the index matches the corpus: {} files unchanged (fingerprint {fingerprint})",
            v.unchanged
        ));
        Ok(Outcome::Found)
    } else {
        globals.notice(&format!(
            "the index does not match the corpus: {} new, {} changed, {} removed, {} index problems \
             (update it with quarry index)",
            v.new.len(),
            v.changed.len(),
            v.removed.len(),
            v.problems.len()
        ));
        Ok(Outcome::NothingFound)
    }
}
