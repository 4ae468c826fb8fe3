//! Human-readable output: ranked hits with citations and highlighted snippets, passages,
//! documents and statistics. Colour only when the caller's [`Style`] says so; all text from
//! documents is sanitised before it reaches a terminal.

use super::{sanitize, Style};
use crate::highlight::CharRange;
use crate::index::read::{DocumentRecord, PassageRecord};
use crate::search::SearchResults;
use crate::stats::Stats;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const PATH: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";
const HEADING: &str = "\x1b[36m";

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// `text` with the character ranges painted as matches.
    fn marked(&self, text: &str, ranges: &[CharRange]) -> String {
        let text = sanitize(text);
        if !self.color || ranges.is_empty() {
            return text;
        }
        let mut out = String::with_capacity(text.len() + ranges.len() * 12);
        let mut ranges = ranges.iter().peekable();
        for (i, c) in text.chars().enumerate() {
            if let Some(&&(s, _)) = ranges.peek() {
                if i == s {
                    out.push_str(MATCH);
                }
            }
            out.push(c);
            if let Some(&&(_, e)) = ranges.peek() {
                if i + 1 == e {
                    out.push_str(RESET);
                    ranges.next();
                }
            }
        }
        out
    }
}

/// The citation line of a passage: publisher · date · path:line · p. N.
fn citation(p: &PassageRecord, painter: &Painter) -> String {
    let mut parts = Vec::new();
    if let Some(publisher) = &p.publisher {
        parts.push(sanitize(publisher));
    }
    if let Some(date) = &p.date {
        parts.push(date.clone());
    }
    parts.push(painter.paint(PATH, &format!("{}:{}", sanitize(&p.path), p.line)));
    if let Some(page) = p.page {
        parts.push(format!("p. {page}"));
    }
    if let Some(row) = p.row {
        parts.push(format!("row {row}"));
    }
    parts.join(" · ")
}

/// Writes ranked hits.
pub fn write_hits(out: &mut dyn Write, results: &SearchResults, style: Style) -> io::Result<()> {
    let painter = Painter { color: style.color };
    for hit in &results.hits {
        let p = &hit.passage;
        writeln!(
            out,
            "{} {}  {}",
            painter.paint(BOLD, &format!("{}.", hit.rank)),
            painter.paint(BOLD, &sanitize(&p.title)),
            painter.paint(DIM, &format!("[{:.2}]", hit.score)),
        )?;
        writeln!(out, "   {}", citation(p, &painter))?;
        if let Some(h) = &p.heading {
            writeln!(
                out,
                "   {}",
                painter.paint(HEADING, &format!("§ {}", sanitize(h)))
            )?;
        }
        writeln!(
            out,
            "   {}",
            painter.marked(&hit.snippet, &hit.snippet_highlights)
        )?;
        writeln!(
            out,
            "   {}",
            painter.paint(DIM, &format!("id {}", p.passage_id))
        )?;
        writeln!(out)?;
    }
    Ok(())
}

/// Writes passages in full (for `quarry show PASSAGE_ID`), marking the one asked for.
pub fn write_passages_text(
    out: &mut dyn Write,
    passages: &[PassageRecord],
    focus: &str,
    style: Style,
) -> io::Result<()> {
    let painter = Painter { color: style.color };
    if let Some(first) = passages.first() {
        writeln!(out, "{}", painter.paint(BOLD, &sanitize(&first.title)))?;
        if let Some(url) = &first.url {
            writeln!(out, "{}", sanitize(url))?;
        }
        writeln!(out)?;
    }
    for p in passages {
        let marker = if p.passage_id == focus { "▶ " } else { "" };
        writeln!(
            out,
            "{}{}  {}",
            marker,
            painter.paint(DIM, &format!("[{}]", p.passage_id)),
            citation(p, &painter)
        )?;
        if let Some(h) = &p.heading {
            writeln!(
                out,
                "{}",
                painter.paint(HEADING, &format!("§ {}", sanitize(h)))
            )?;
        }
        for line in p.text.lines() {
            writeln!(out, "{}", sanitize(line))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Writes a whole document: a header of metadata, then its extracted text.
pub fn write_document_text(
    out: &mut dyn Write,
    doc: &DocumentRecord,
    style: Style,
) -> io::Result<()> {
    let painter = Painter { color: style.color };
    let m = &doc.info.meta;
    writeln!(
        out,
        "{}",
        painter.paint(BOLD, &sanitize(m.title.as_deref().unwrap_or("")))
    )?;
    let mut fields = vec![
        ("path", doc.info.path.clone()),
        ("format", doc.info.format.clone()),
    ];
    let mut add = |name: &'static str, v: &Option<String>| {
        if let Some(v) = v {
            fields.push((name, v.clone()));
        }
    };
    add("publisher", &m.publisher);
    add("date", &m.date);
    add("url", &m.url);
    add("kind", &m.kind);
    add("lang", &m.lang);
    if !m.authors.is_empty() {
        fields.push(("authors", m.authors.join("; ")));
    }
    if !m.tags.is_empty() {
        fields.push(("tags", m.tags.join(", ")));
    }
    fields.push(("passages", doc.info.passages.to_string()));
    for (name, value) in fields {
        writeln!(
            out,
            "{}",
            painter.paint(DIM, &format!("{name}: {}", sanitize(&value)))
        )?;
    }
    writeln!(out)?;
    for line in doc.text.lines() {
        writeln!(out, "{}", sanitize(line))?;
    }
    Ok(())
}

/// Writes index statistics.
pub fn write_stats_text(out: &mut dyn Write, s: &Stats, style: Style) -> io::Result<()> {
    let painter = Painter { color: style.color };
    let label = |name: &str| painter.paint(BOLD, &format!("{name:<12}"));
    writeln!(out, "{}{}", label("index"), sanitize(&s.index))?;
    writeln!(out, "{}{}", label("documents"), s.documents)?;
    if s.records > 0 {
        writeln!(out, "{}{}", label("records"), s.records)?;
    }
    writeln!(out, "{}{}", label("passages"), s.passages)?;
    writeln!(out, "{}{}", label("skipped"), s.skipped)?;
    let dates = match (&s.date_min, &s.date_max) {
        (Some(a), Some(b)) => format!("{a} to {b} ({} undated)", s.undated),
        _ => format!("none ({} undated)", s.undated),
    };
    writeln!(out, "{}{}", label("dates"), dates)?;
    writeln!(out, "{}{}", label("size"), human_bytes(s.size_bytes))?;
    writeln!(
        out,
        "{}{} in {:.2} s by quarry {} (schema {})",
        label("built"),
        s.built_at,
        s.build_seconds,
        s.quarry_version,
        s.schema_version
    )?;
    writeln!(
        out,
        "{}{}",
        label("sources"),
        sanitize(&s.sources.join(" "))
    )?;
    writeln!(out, "{}", label("by format"))?;
    for (k, v) in &s.by_format {
        writeln!(out, "  {v:>8}  {}", sanitize(k))?;
    }
    for (name, counts) in [
        ("by language", &s.by_lang),
        ("by kind", &s.by_kind),
        ("by publisher", &s.by_publisher),
    ] {
        writeln!(out, "{}", label(name))?;
        let mut rows: Vec<_> = counts.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in rows {
            writeln!(out, "  {v:>8}  {}", sanitize(k))?;
        }
    }
    writeln!(out, "{}", label("by year"))?;
    let widest = s.by_year.values().copied().max().unwrap_or(1).max(1);
    for (year, n) in &s.by_year {
        let bar = "█".repeat(((*n as f64 / widest as f64) * 40.0).ceil() as usize);
        writeln!(out, "  {year}  {n:>8}  {}", painter.paint(DIM, &bar))?;
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_wraps_ranges_in_colour() {
        let p = Painter { color: true };
        assert_eq!(p.marked("ab cd", &[(3, 5)]), format!("ab {MATCH}cd{RESET}"));
        let plain = Painter { color: false };
        assert_eq!(plain.marked("ab cd", &[(3, 5)]), "ab cd");
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
    }
}
