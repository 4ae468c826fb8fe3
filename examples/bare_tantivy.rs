//! The lower bound for `bench/run.sh`: the benchmark's queries run in-process against a quarry
//! index, once with bare tantivy (query parser over the text field, `TopDocs` of 10, no stored
//! fields, no snippets) and once with `quarry::search` (top 10 with snippets, highlights,
//! citations). Prints one JSON object with per-query median times in microseconds, so quarry's
//! own overhead over tantivy is visible.
//!
//!     cargo run --release --example bare_tantivy -- INDEX_DIR QUERIES_FILE [ROUNDS]

use std::time::Instant;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(queries)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bare_tantivy INDEX_DIR QUERIES_FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args
        .get(3)
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
        .max(1);
    let queries: Vec<String> = std::fs::read_to_string(queries)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();

    let index = quarry::QuarryIndex::open(std::path::Path::new(dir))?;
    let tantivy_index = index.tantivy();
    let searcher = index.searcher();
    let parser = QueryParser::for_index(tantivy_index, vec![index.fields().text[0]]);

    let mut bare = Vec::new();
    let mut full = Vec::new();
    for q in &queries {
        let parsed = parser.parse_query(q)?;
        let mut times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let top = searcher.search(&parsed, &TopDocs::with_limit(10).order_by_score())?;
            std::hint::black_box(top);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        bare.push(median(times));
        let mut times = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            let hits = quarry::search(&index, &quarry::SearchRequest::new(q.clone()))?;
            std::hint::black_box(hits);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        full.push(median(times));
    }
    println!(
        "{}",
        serde_json::json!({ "queries": queries, "bare_us": bare, "quarry_us": full })
    );
    Ok(())
}
