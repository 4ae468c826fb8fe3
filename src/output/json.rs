//! JSON and JSON Lines printers. Field meanings are documented in docs/json.md.
//!
//! `--format json` prints one object: the contract's `format_version`, the query, totals and the
//! results; `--format jsonl` prints one result object per line and nothing else, for streaming.
//! With `--fields`, result objects keep only the fields named, in that order.

use super::FORMAT_VERSION;
use crate::aggregate::Aggregates;
use crate::search::{DocumentResults, SearchResults};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

/// `value` (an object) with only `fields`, in their order.
fn select(value: Value, fields: Option<&[String]>) -> Value {
    match (value, fields) {
        (Value::Object(mut map), Some(fields)) => {
            let mut out = Map::new();
            for f in fields {
                if let Some(v) = map.remove(f) {
                    out.insert(f.clone(), v);
                }
            }
            Value::Object(out)
        }
        (value, _) => value,
    }
}

fn values<T: Serialize>(items: &[T], fields: Option<&[String]>) -> Vec<Value> {
    items
        .iter()
        .map(|i| select(serde_json::to_value(i).unwrap_or_default(), fields))
        .collect()
}

fn write_pretty(out: &mut dyn Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes search results as one object.
pub fn write_hits(
    out: &mut dyn Write,
    results: &SearchResults,
    fields: Option<&[String]>,
) -> io::Result<()> {
    write_pretty(
        out,
        &json!({
            "format_version": FORMAT_VERSION,
            "engine": results.engine,
            "index_fingerprint": results.fingerprint,
            "query": results.query,
            "total": results.total,
            "offset": results.offset,
            "hits": values(&results.hits, fields),
        }),
    )
}

/// Writes grouped results as one object.
pub fn write_documents(
    out: &mut dyn Write,
    results: &DocumentResults,
    fields: Option<&[String]>,
) -> io::Result<()> {
    write_pretty(
        out,
        &json!({
            "format_version": FORMAT_VERSION,
            "engine": results.engine,
            "index_fingerprint": results.fingerprint,
            "query": results.query,
            "total": results.total,
            "offset": results.offset,
            "documents": values(&results.documents, fields),
        }),
    )
}

/// Writes aggregates as one object.
pub fn write_aggregates(
    out: &mut dyn Write,
    query: &str,
    fingerprint: Option<&str>,
    a: &Aggregates,
) -> io::Result<()> {
    let mut v = json!({
        "format_version": FORMAT_VERSION,
        "engine": a.engine,
        "index_fingerprint": fingerprint,
        "query": query,
        "passages": a.total.passages,
        "documents": a.total.documents,
    });
    if !a.facets.is_empty() {
        let facets: Map<String, Value> = a
            .facets
            .iter()
            .map(|f| {
                (
                    f.field.clone(),
                    json!({ "values": f.values, "missing": f.missing }),
                )
            })
            .collect();
        v["facets"] = Value::Object(facets);
    }
    if let Some(t) = &a.timeline {
        v["timeline"] = serde_json::to_value(t).unwrap_or_default();
    }
    write_pretty(out, &v)
}

/// Writes aggregates as JSON Lines: one line of totals (`"type": "total"`), then one per facet
/// value (`"type": "facet"`) and per period (`"type": "period"`).
pub fn write_aggregate_lines(out: &mut dyn Write, a: &Aggregates) -> io::Result<()> {
    let mut line = |v: Value| -> io::Result<()> {
        serde_json::to_writer(&mut *out, &v).map_err(io::Error::from)?;
        out.write_all(b"\n")
    };
    line(json!({"type": "total", "passages": a.total.passages, "documents": a.total.documents}))?;
    for f in &a.facets {
        for v in &f.values {
            line(json!({"type": "facet", "facet": f.field, "value": v.value,
                        "passages": v.passages, "documents": v.documents}))?;
        }
    }
    if let Some(t) = &a.timeline {
        for b in &t.buckets {
            line(json!({"type": "period", "period": b.period,
                        "passages": b.passages, "documents": b.documents}))?;
        }
    }
    Ok(())
}

/// Writes one compact JSON object per line.
pub fn write_lines<T: Serialize>(
    out: &mut dyn Write,
    items: &[T],
    fields: Option<&[String]>,
) -> io::Result<()> {
    for value in values(items, fields) {
        serde_json::to_writer(&mut *out, &value).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
