//! `quarry show ID`: a passage with its neighbours, or a whole document's extracted text.
//!
//! Passage ids look like `3f2a9c1e7b5d4a60-4` (document id, dash, ordinal); document ids are
//! the 16 hex digits alone. Search results print both.

use super::{with_stdout, Failure, Globals, Outcome};
use quarry::output::{self, Style};
use quarry::{Error, ErrorKind, QuarryIndex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ShowFormat {
    Text,
    Json,
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A passage id (DOCID-N) or a document id (DOCID), as search results show them
    #[arg(value_name = "ID")]
    id: String,

    /// Also show N passages before and after the passage
    #[arg(short = 'C', long, value_name = "N", default_value_t = 0)]
    context: u64,

    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    format: ShowFormat,

    #[command(flatten)]
    remote: super::search::RemoteArgs,
}

fn is_doc_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Splits a passage id into document id and ordinal.
fn parse_passage_id(s: &str) -> Option<(&str, u64)> {
    let (doc, ordinal) = s.rsplit_once('-')?;
    if !is_doc_id(doc) {
        return None;
    }
    Some((doc, ordinal.parse().ok()?))
}

fn not_found(what: &str, id: &str, index: &QuarryIndex) -> Failure {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "no {what} with id {id} in the index at {}",
            index.dir().display()
        ),
    )
    .with_hint("ids change when a file is moved or renamed; search again for current ids")
    .into()
}

pub fn run(args: Args, globals: &Globals) -> Result<Outcome, Failure> {
    let id = args.id.trim().to_ascii_lowercase();
    let style = Style {
        color: globals.color,
        fields: None,
    };
    if let Some(client) = args.remote.client()? {
        let Some((doc_id, ordinal)) = parse_passage_id(&id) else {
            return Err(super::search::not_with_opensearch(
                "showing a whole document (give a passage id)",
            ));
        };
        let remote = quarry::opensearch::search::Remote {
            client: &client,
            index: &args.remote.index_name,
        };
        let passages = quarry::opensearch::search::passages_of(
            &remote,
            doc_id,
            ordinal.saturating_sub(args.context),
            ordinal.saturating_add(args.context),
        )?;
        if !passages.iter().any(|p| p.passage_id == id) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "no passage with id {id} in the index '{}' at {}",
                    args.remote.index_name,
                    client.base()
                ),
            )
            .with_hint("ids change when a file is moved or renamed; search again for current ids")
            .into());
        }
        with_stdout(|out| match args.format {
            ShowFormat::Text => output::write_passages_text(out, &passages, &id, &style),
            ShowFormat::Json => output::write_json(out, &passages),
            ShowFormat::Jsonl => output::write_jsonl(out, &passages),
        })?;
        return Ok(Outcome::Found);
    }
    if let Some((doc_id, ordinal)) = parse_passage_id(&id) {
        let index = globals.open_index()?;
        if index.passage(&id)?.is_none() {
            return Err(not_found("passage", &id, &index));
        }
        let passages = index.passages_of(
            doc_id,
            ordinal.saturating_sub(args.context),
            ordinal.saturating_add(args.context),
        )?;
        with_stdout(|out| match args.format {
            ShowFormat::Text => output::write_passages_text(out, &passages, &id, &style),
            ShowFormat::Json => output::write_json(out, &passages),
            ShowFormat::Jsonl => output::write_jsonl(out, &passages),
        })?;
        Ok(Outcome::Found)
    } else if is_doc_id(&id) {
        let index = globals.open_index()?;
        let Some(doc) = index.document(&id)? else {
            return Err(not_found("document", &id, &index));
        };
        with_stdout(|out| match args.format {
            ShowFormat::Text => output::write_document_text(out, &doc, &style),
            ShowFormat::Json | ShowFormat::Jsonl => output::write_json(out, &doc),
        })?;
        Ok(Outcome::Found)
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("'{}' is not a passage or document id", args.id),
        )
        .with_hint("ids look like 3f2a9c1e7b5d4a60-4 (a passage) or 3f2a9c1e7b5d4a60 (a document)")
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_recognised() {
        assert_eq!(
            parse_passage_id("3f2a9c1e7b5d4a60-4"),
            Some(("3f2a9c1e7b5d4a60", 4))
        );
        assert_eq!(parse_passage_id("3f2a9c1e7b5d4a60"), None);
        assert_eq!(parse_passage_id("xyz-4"), None);
        assert!(is_doc_id("3f2a9c1e7b5d4a60"));
        assert!(!is_doc_id("3f2a9c1e7b5d4a6"));
    }
}
