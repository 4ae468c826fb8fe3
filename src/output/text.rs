//! Human-readable output: ranked hits with citations and highlighted snippets, passages,
//! documents and statistics. Colour only when the caller's [`Style`] says so; all text from
//! documents is sanitised before it reaches a terminal.

use super::{sanitize, Style};
use crate::aggregate::Aggregates;
use crate::highlight::CharRange;
use crate::index::read::{DocumentRecord, PassageRecord};
use crate::search::{Copy, DocumentResults, Hit, SearchResults};
use crate::stats::Stats;
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const MATCH: &str = "\x1b[1;31m";
const PATH: &str = "\x1b[35m";
const DIM: &str = "\x1b[2m";
const HEADING: &str = "\x1b[36m";
const INDICATOR: &str = "\x1b[33m";
const INDICATOR_MARK: &str = "\x1b[4;33m";

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

    /// `text` with `matches` painted as matches and, elsewhere, the indicators it names
    /// (domains, handles, hashtags...) underlined; as [`Painter::marked`] without colour.
    fn marked_with_indicators(&self, text: &str, matches: &[CharRange]) -> String {
        let text = sanitize(text);
        let found = crate::indicators::find(&text);
        if !self.color || found.is_empty() {
            return self.marked(&text, matches);
        }
        // Byte ranges to character ranges.
        let char_at = |byte: usize| text[..byte.min(text.len())].chars().count();
        let indicators: Vec<CharRange> = found
            .iter()
            .filter(|f| text.is_char_boundary(f.start) && text.is_char_boundary(f.end))
            .map(|f| (char_at(f.start), char_at(f.end)))
            .collect();
        let inside = |ranges: &[CharRange], i: usize| ranges.iter().any(|&(s, e)| s <= i && i < e);
        let mut out = String::with_capacity(text.len() + 16 * (matches.len() + indicators.len()));
        let mut state = 0u8;
        for (i, c) in text.chars().enumerate() {
            let now = if inside(matches, i) {
                2
            } else if inside(&indicators, i) {
                1
            } else {
                0
            };
            if now != state {
                if state != 0 {
                    out.push_str(RESET);
                }
                match now {
                    2 => out.push_str(MATCH),
                    1 => out.push_str(INDICATOR_MARK),
                    _ => {}
                }
                state = now;
            }
            out.push(c);
        }
        if state != 0 {
            out.push_str(RESET);
        }
        out
    }
}

/// The citation line of a passage: publisher · date · path:line · p. N, and for text read by
/// OCR its confidence (`OCR 91%`), a reminder to check quotes against the page.
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
    if let Some(confidence) = p.ocr_confidence {
        parts.push(format!("OCR {confidence}%"));
    }
    parts.join(" · ")
}

/// The indicators a passage names, on one line (`domain rrn.world, spiegel.ltd · hashtag
/// #выборы`), URLs left out (their domains stand for them); `None` when there are none.
fn indicator_line(found: &crate::indicators::Indicators) -> Option<String> {
    use crate::indicators::Kind;
    let parts: Vec<String> = Kind::ALL
        .into_iter()
        .filter(|k| *k != Kind::Url)
        .filter_map(|kind| {
            let values = found.of_kind(kind);
            (!values.is_empty()).then(|| {
                let shown: Vec<String> = values.iter().take(8).map(|v| sanitize(v)).collect();
                let more = values.len().saturating_sub(8);
                let more = if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                };
                format!("{} {}{more}", kind.name(), shown.join(", "))
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Writes ranked hits.
pub fn write_hits(out: &mut dyn Write, results: &SearchResults, style: &Style) -> io::Result<()> {
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
        writeln!(out, "   {}", citation(&hit.passage, &painter))?;
        write_hit_body(out, hit, &painter, "   ")?;
        writeln!(out)?;
    }
    Ok(())
}

/// The lines of a hit below its citation: heading, context, snippet, explanation, id.
fn write_hit_body(
    out: &mut dyn Write,
    hit: &Hit,
    painter: &Painter,
    indent: &str,
) -> io::Result<()> {
    let p = &hit.passage;
    if let Some(h) = &p.heading {
        writeln!(
            out,
            "{indent}{}",
            painter.paint(HEADING, &format!("§ {}", sanitize(h)))
        )?;
    }
    for c in hit.context_before.iter().flatten() {
        writeln!(out, "{indent}{}", painter.paint(DIM, &one_line(&c.text)))?;
    }
    if hit.context_before.is_some() || hit.context_after.is_some() {
        // With context, the whole passage, so it reads on from its neighbours.
        writeln!(
            out,
            "{indent}{}",
            painter.marked(&one_line_keep(&p.text), &hit.highlights)
        )?;
    } else {
        writeln!(
            out,
            "{indent}{}",
            painter.marked_with_indicators(&hit.snippet, &hit.snippet_highlights)
        )?;
    }
    for c in hit.context_after.iter().flatten() {
        writeln!(out, "{indent}{}", painter.paint(DIM, &one_line(&c.text)))?;
    }
    if let Some(line) = indicator_line(&p.indicators) {
        writeln!(out, "{indent}{}", painter.paint(INDICATOR, &line))?;
    }
    if let Some(e) = &hit.explain {
        let mut parts: Vec<String> = e
            .terms
            .iter()
            .map(|t| format!("{}:{} {:.2}", t.field, sanitize(&t.term), t.score))
            .collect();
        if e.other.abs() >= 0.005 {
            parts.push(format!("proximity/other {:.2}", e.other));
        }
        let mut sum = parts.join(" + ");
        if e.length_factor < 0.995 {
            sum = format!("({sum}) × {:.2} for a short passage", e.length_factor);
        }
        if let Some(r) = &e.ranks {
            let rank = |r: Option<usize>| r.map_or("-".to_string(), |n| n.to_string());
            let words = if sum.is_empty() {
                "no word".to_string()
            } else {
                sum
            };
            sum = format!(
                "rank {} by words ({words}), rank {} by meaning (cosine {})",
                rank(r.bm25),
                rank(r.semantic),
                r.cosine.map_or("-".to_string(), |c| format!("{c:.3}"))
            );
        }
        writeln!(
            out,
            "{indent}{}",
            painter.paint(DIM, &format!("score {:.2} = {sum}", e.score))
        )?;
    }
    if !hit.also_in.is_empty() {
        let places: Vec<String> = hit.also_in.iter().map(place).collect();
        writeln!(
            out,
            "{indent}{}",
            painter.paint(DIM, &format!("also in {}", places.join("; ")))
        )?;
    }
    writeln!(
        out,
        "{indent}{}",
        painter.paint(DIM, &format!("id {}", p.passage_id))
    )
}

/// Where a copy is: `path:line`, and its page or row.
fn place(c: &Copy) -> String {
    let mut s = format!("{}:{}", sanitize(&c.path), c.line);
    if let Some(page) = c.page {
        s.push_str(&format!(" p. {page}"));
    }
    if let Some(row) = c.row {
        s.push_str(&format!(" row {row}"));
    }
    s
}

/// Text on one line: whitespace runs become one space.
fn one_line(s: &str) -> String {
    sanitize(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Like [`one_line`], but keeping character positions (each whitespace character becomes a
/// space), so highlight ranges still apply.
fn one_line_keep(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

/// Writes documents with their best passages (`--group doc`).
pub fn write_documents(
    out: &mut dyn Write,
    results: &DocumentResults,
    style: &Style,
) -> io::Result<()> {
    let painter = Painter { color: style.color };
    for d in &results.documents {
        let mut about = Vec::new();
        if let Some(p) = &d.publisher {
            about.push(sanitize(p));
        }
        if let Some(date) = &d.date {
            about.push(date.clone());
        }
        about.push(painter.paint(PATH, &sanitize(&d.path)));
        if let Some(row) = d.row {
            about.push(format!("row {row}"));
        }
        writeln!(
            out,
            "{} {}  {}",
            painter.paint(BOLD, &format!("{}.", d.rank)),
            painter.paint(BOLD, &sanitize(&d.title)),
            painter.paint(
                DIM,
                &format!(
                    "[{:.2}] {} matching passage{}",
                    d.score,
                    d.matches,
                    if d.matches == 1 { "" } else { "s" }
                )
            ),
        )?;
        writeln!(out, "   {}", about.join(" · "))?;
        for hit in &d.passages {
            // The document's line says who and when; each passage says where.
            let p = &hit.passage;
            let mut place = vec![painter.paint(PATH, &format!("line {}", p.line))];
            if let Some(page) = p.page {
                place.push(format!("p. {page}"));
            }
            writeln!(out)?;
            writeln!(out, "     {}", place.join(" · "))?;
            write_hit_body(out, hit, &painter, "     ")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Writes counts, facets and a timeline as tables and a bar chart.
pub fn write_aggregates(out: &mut dyn Write, a: &Aggregates, style: &Style) -> io::Result<()> {
    let painter = Painter { color: style.color };
    writeln!(
        out,
        "{} matching passages in {} documents",
        painter.paint(BOLD, &a.total.passages.to_string()),
        painter.paint(BOLD, &a.total.documents.to_string())
    )?;
    for f in &a.facets {
        writeln!(out)?;
        let width = f
            .values
            .iter()
            .map(|v| v.value.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(8, 48);
        writeln!(
            out,
            "{}",
            painter.paint(
                BOLD,
                &format!("{:<width$}  {:>9}  {:>9}", f.field, "documents", "passages")
            )
        )?;
        for v in &f.values {
            let name: String = sanitize(&v.value).chars().take(width).collect();
            writeln!(out, "{name:<width$}  {:>9}  {:>9}", v.documents, v.passages)?;
        }
        if f.missing.passages > 0 {
            writeln!(
                out,
                "{}",
                painter.paint(
                    DIM,
                    &format!(
                        "{:<width$}  {:>9}  {:>9}",
                        "(none)", f.missing.documents, f.missing.passages
                    )
                )
            )?;
        }
    }
    if let Some(t) = &a.timeline {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            painter.paint(BOLD, "matches over time (bar: documents)")
        )?;
        let widest = t
            .buckets
            .iter()
            .map(|b| b.documents)
            .max()
            .unwrap_or(0)
            .max(1);
        for b in &t.buckets {
            let len = ((b.documents as f64 / widest as f64) * 40.0).ceil() as usize;
            writeln!(
                out,
                "{:<7}  {:<40}  {:>5} docs  {:>6} passages",
                b.period,
                "█".repeat(len),
                b.documents,
                b.passages
            )?;
        }
        if t.undated.passages > 0 {
            writeln!(
                out,
                "{}",
                painter.paint(
                    DIM,
                    &format!(
                        "undated: {} documents, {} passages",
                        t.undated.documents, t.undated.passages
                    )
                )
            )?;
        }
    }
    Ok(())
}

/// Writes passages in full (for `quarry show PASSAGE_ID`), marking the one asked for.
pub fn write_passages_text(
    out: &mut dyn Write,
    passages: &[PassageRecord],
    focus: &str,
    style: &Style,
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
    style: &Style,
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
pub fn write_stats_text(out: &mut dyn Write, s: &Stats, style: &Style) -> io::Result<()> {
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
    writeln!(
        out,
        "{}{} (last build: added {}, changed {}, removed {}, unchanged {})",
        label("fingerprint"),
        s.fingerprint.as_deref().unwrap_or("none"),
        s.last_build.added,
        s.last_build.changed,
        s.last_build.removed,
        s.last_build.unchanged
    )?;
    let ocr = &s.ocr;
    if ocr.pages > 0 || ocr.cache_entries > 0 {
        let last = &ocr.last_build;
        writeln!(
            out,
            "{}{} pages read by OCR (last build: {} read, {} from the cache, {} not readable); \
             page cache {} entries, {}",
            label("ocr"),
            ocr.pages,
            last.read,
            last.cached,
            last.failed,
            ocr.cache_entries,
            human_bytes(ocr.cache_bytes)
        )?;
    }
    if let Some(v) = &s.vectors {
        writeln!(
            out,
            "{}{} passages, model {} ({}, {} dimensions){}",
            label("vectors"),
            v.passages,
            sanitize(&v.model),
            v.model_hash,
            v.dimensions,
            if v.graph {
                ", nearest-neighbour graph"
            } else {
                ""
            }
        )?;
    }
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

    #[test]
    fn indicators_are_underlined_in_coloured_snippets_only() {
        let painter = Painter { color: true };
        let text = "Mirror spiegel[.]ltd and #выборы now";
        let out = painter.marked_with_indicators(text, &[(0, 6)]);
        assert_eq!(
            out,
            format!(
                "{MATCH}Mirror{RESET} {INDICATOR_MARK}spiegel[.]ltd{RESET} and \
                 {INDICATOR_MARK}#выборы{RESET} now"
            )
        );
        let plain = Painter { color: false };
        assert_eq!(plain.marked_with_indicators(text, &[(0, 6)]), text);
    }
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
