//! CSV printer for search hits: one row per hit, a fixed header, lists joined with `; `.

use crate::search::Hit;
use std::io::{self, Write};

/// The CSV columns, in order.
pub const COLUMNS: &[&str] = &[
    "rank",
    "score",
    "passage_id",
    "doc_id",
    "path",
    "page",
    "row",
    "line",
    "start",
    "end",
    "title",
    "publisher",
    "authors",
    "date",
    "url",
    "tags",
    "kind",
    "lang",
    "heading",
    "snippet",
    "text",
];

/// Writes hits as CSV with a header row.
pub fn write_hits(out: &mut dyn Write, hits: &[Hit]) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(COLUMNS).map_err(into_io)?;
    for h in hits {
        let p = &h.passage;
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        w.write_record([
            h.rank.to_string(),
            h.score.to_string(),
            p.passage_id.clone(),
            p.doc_id.clone(),
            p.path.clone(),
            p.page.map(|n| n.to_string()).unwrap_or_default(),
            p.row.map(|n| n.to_string()).unwrap_or_default(),
            p.line.to_string(),
            p.start.to_string(),
            p.end.to_string(),
            p.title.clone(),
            opt(&p.publisher),
            p.authors.join("; "),
            opt(&p.date),
            opt(&p.url),
            p.tags.join("; "),
            opt(&p.kind),
            opt(&p.lang),
            opt(&p.heading),
            h.snippet.clone(),
            p.text.clone(),
        ])
        .map_err(into_io)?;
    }
    w.flush()
}

fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}
