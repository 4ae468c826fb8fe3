//! Microbenchmarks of the three hot paths: passage splitting, extraction (Markdown, HTML, text,
//! PDF) and search (query parsing, ranking, snippets, with and without collapsing copies) on
//! the bundled corpus, and collapsing on the passage-QA index when it has been built. Each reports the
//! median of several rounds, and a throughput where one makes sense.
//!
//!     cargo bench --bench micro
//!
//! Whole-program numbers against other tools come from `bash bench/run.sh` (bench/RESULTS.md).

use quarry::extract;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds of `rounds` runs of `f`.
fn time(rounds: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_with(ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("corpus"))
        .expect("corpus/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn bench_extraction() {
    let mut sets: Vec<(&str, Vec<PathBuf>)> = vec![
        ("markdown", files_with("md")),
        ("html", files_with("html")),
        ("text", files_with("txt")),
    ];
    let pdfs: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures/formats"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "pdf")
                        && !p.to_string_lossy().contains("broken")
                        && !p.to_string_lossy().contains("nested")
                })
                .collect()
        })
        .unwrap_or_default();
    sets.push(("pdf (fixtures)", pdfs));
    for (name, files) in sets {
        if files.is_empty() {
            continue;
        }
        let bytes: u64 = files
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let secs = time(9, || {
            for p in &files {
                if let Some(e) = extract::for_path(p) {
                    let _ = std::hint::black_box(extract::extract_file(
                        e,
                        p,
                        &p.to_string_lossy(),
                        u64::MAX,
                    ));
                }
            }
        });
        println!(
            "extract {name:<15} {:>4} files {:>8.1} KB  {:>8.2} ms  {:>7.1} MB/s",
            files.len(),
            bytes as f64 / 1e3,
            secs * 1e3,
            bytes as f64 / 1e6 / secs
        );
    }
}

fn bench_passages() {
    let mut docs = Vec::new();
    for p in files_with("md") {
        let e = extract::for_path(&p).expect("markdown extractor");
        if let Ok(x) = extract::extract_file(e, &p, &p.to_string_lossy(), u64::MAX) {
            docs.push(x.doc);
        }
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let mut passages = 0;
    let secs = time(21, || {
        passages = docs
            .iter()
            .map(|d| quarry::passage::split(&d.text, &d.blocks).len())
            .sum();
    });
    println!(
        "split passages  {:>4} docs {:>8.1} KB  {:>8.2} ms  {:>7.1} MB/s  ({passages} passages)",
        docs.len(),
        bytes as f64 / 1e3,
        secs * 1e3,
        bytes as f64 / 1e6 / secs
    );
}

fn bench_search() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let index_dir = dir.path().join("index");
    let options = quarry::BuildOptions {
        paths: vec![root().join("corpus")],
        threads: 2,
        ..quarry::BuildOptions::default()
    };
    quarry::build(&index_dir, &options, &quarry::Silent).expect("index the corpus");
    let t = Instant::now();
    let index = quarry::QuarryIndex::open(Path::new(&index_dir)).expect("open");
    println!(
        "open index      {:>8.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    for query in [
        "Zhenhua",
        "rapid alert system",
        "\"Internet Research Agency\"",
        "spyware journalists Pegasus Mexico",
        "surveil*",
        "Prigozhn~1",
    ] {
        let request = quarry::SearchRequest::new(query);
        let secs = time(51, || {
            std::hint::black_box(quarry::search(&index, &request).expect("search"));
        });
        let apart = quarry::SearchRequest {
            collapse: None,
            ..request.clone()
        };
        let apart_secs = time(51, || {
            std::hint::black_box(quarry::search(&index, &apart).expect("search"));
        });
        println!(
            "search {query:<36} {:>8.3} ms   (--no-collapse {:.3} ms)",
            secs * 1e3,
            apart_secs * 1e3,
        );
    }
    let request = quarry::SearchRequest::new("disinformation");
    let parsed = quarry::search::prepare(&index, &request).expect("query");
    let secs = time(51, || {
        std::hint::black_box(
            quarry::aggregate(
                &index,
                parsed.query.as_ref(),
                &quarry::AggregateRequest {
                    facets: quarry::schema::FacetField::ALL.to_vec(),
                    timeline: Some(quarry::aggregate::Period::Month),
                },
            )
            .expect("aggregate"),
        );
    });
    println!(
        "facets+timeline disinformation         {:>8.3} ms",
        secs * 1e3
    );
}

/// Hybrid against BM25 in a running process (as a server or a library caller searches: model
/// and index loaded once), over the passage-QA questions: the median over questions of each
/// question's median time, and of embedding the question alone. Skipped without the QA
/// index's vectors or a model in `QUARRY_MODEL`.
fn bench_hybrid() {
    let index_dir = root().join("target/bench/qa/index");
    let Ok(index) = quarry::QuarryIndex::open(&index_dir) else {
        println!(
            "hybrid: skipped (no index at target/bench/qa/index; run python3 bench/qa.py --embed)"
        );
        return;
    };
    let model = match quarry::embed::availability(&index_dir, None) {
        quarry::embed::Availability::Ready(m) => m,
        other => {
            println!("hybrid: skipped (no usable vectors and model: {other:?})");
            return;
        }
    };
    let Ok(lines) = std::fs::read_to_string(root().join("bench/qa/questions.jsonl")) else {
        println!("hybrid: skipped (cannot read bench/qa/questions.jsonl)");
        return;
    };
    let queries: Vec<String> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect();
    let (mut words, mut both, mut embed) = (Vec::new(), Vec::new(), Vec::new());
    for q in &queries {
        let mut request = quarry::SearchRequest::new(q.as_str());
        request.per_doc = Some(3);
        let mut hybrid = request.clone();
        hybrid.mode = quarry::search::Mode::Hybrid;
        hybrid.embedder = Some(model.clone());
        // A question that does not parse is skipped.
        if quarry::search(&index, &request).is_err() {
            continue;
        }
        words.push(time(5, || {
            std::hint::black_box(quarry::search(&index, &request).ok());
        }));
        both.push(time(5, || {
            std::hint::black_box(quarry::search(&index, &hybrid).ok());
        }));
        embed.push(time(5, || {
            use quarry::embed::Embedder;
            std::hint::black_box(model.embed(&[q.as_str()]).ok());
        }));
    }
    let (w, b, e) = (median(words), median(both), median(embed));
    println!(
        "hybrid, in process, {} QA questions: BM25 p50 {:.2} ms, hybrid p50 {:.2} ms ({:.1}x; embedding the question {:.2} ms)",
        queries.len(),
        w * 1e3,
        b * 1e3,
        b / w,
        e * 1e3
    );
}

/// Collapsing copies on a collection that has them: the passage-QA index of
/// `../shared/data/docs` and the bundled corpus (built by `python3 bench/qa.py`), all its
/// questions, 10 hits each and at most 3 per document (the command line's defaults), with and
/// without collapsing, in interleaved rounds. Skipped when that index is absent.
fn bench_collapse() {
    let index_dir = root().join("target/bench/qa/index");
    let Ok(index) = quarry::QuarryIndex::open(&index_dir) else {
        println!("collapse: skipped (no index at target/bench/qa/index; run python3 bench/qa.py)");
        return;
    };
    let Ok(lines) = std::fs::read_to_string(root().join("bench/qa/questions.jsonl")) else {
        println!("collapse: skipped (cannot read bench/qa/questions.jsonl)");
        return;
    };
    let queries: Vec<String> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect();
    let run_all = |collapse: bool| {
        for q in &queries {
            let mut request = quarry::SearchRequest::new(q.as_str());
            request.per_doc = Some(3);
            if !collapse {
                request.collapse = None;
            }
            std::hint::black_box(quarry::search(&index, &request).expect("search"));
        }
    };
    run_all(true);
    run_all(false);
    // Interleaved, so drift in the machine's speed falls on both alike.
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let t = Instant::now();
        run_all(true);
        on.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        run_all(false);
        off.push(t.elapsed().as_secs_f64());
    }
    // The median of each round's ratio: a pair of runs shares the machine's state.
    let ratio = median(on.iter().zip(&off).map(|(a, b)| a / b).collect());
    let (on, off) = (median(on), median(off));
    println!(
        "collapse: {} QA questions {:>8.2} ms, --no-collapse {:.2} ms (collapsing costs {:+.1}%, \
         median of paired rounds)",
        queries.len(),
        on * 1e3,
        off * 1e3,
        (ratio - 1.0) * 100.0
    );
}

fn main() {
    bench_extraction();
    bench_passages();
    bench_search();
    bench_collapse();
    bench_hybrid();
}
