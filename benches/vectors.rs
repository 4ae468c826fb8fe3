//! Nearest neighbours at scale: when does scanning every passage vector cost too much, and what
//! does the HNSW graph (src/embed/ann.rs) give instead? For each size it reports the median time
//! of a search for the 400 nearest (what semantic and hybrid search ask for) by exact scan and
//! by the graph, the graph's build time and file size, and its recall@100 against the exact
//! scan.
//!
//!     cargo bench --bench vectors                  # 10,000 to 300,000 vectors
//!     QUARRY_BENCH_SIZES=1000000 cargo bench --bench vectors
//!
//! The vectors are the passage-QA index's real ones (target/bench/qa/index/vectors.bin, made by
//! `python3 bench/qa.py --embed`) when present, else random unit vectors (the hardest case for
//! a graph: no clusters); larger sizes repeat them with small random changes (each value moved
//! by up to ±0.02, then scaled back to unit length), so the clusters of real text remain.

use quarry::embed::store::Vectors;
use quarry::embed::ModelId;
use std::path::PathBuf;
use std::time::Instant;

/// A small deterministic generator (xorshift64*), so runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn base() -> (Vec<Vec<f32>>, &'static str) {
    let qa = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/qa/index");
    if let Ok(Some(v)) = Vectors::load(&qa) {
        let all: Vec<Vec<f32>> = (0..v.len()).map(|i| v.vector(i)).collect();
        return (all, "the passage-QA index's vectors");
    }
    let mut rng = Rng(7);
    let all = (0..20_000)
        .map(|_| unit((0..384).map(|_| rng.next()).collect()))
        .collect();
    (all, "random unit vectors")
}

fn main() {
    let sizes: Vec<usize> = std::env::var("QUARRY_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 300_000]);
    let (base, source) = base();
    let dim = base[0].len();
    println!(
        "vectors: {dim} dimensions, from {source} ({} of them)",
        base.len()
    );
    println!("| vectors | exact scan, 400 nearest | graph build (2 threads) | graph file | graph search, 400 nearest | recall@100 of the graph |");
    println!("|---|---|---|---|---|---|");
    let model = ModelId {
        name: "bench".into(),
        hash: "bench".into(),
        dim,
    };
    let mut rng = Rng(11);
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut vectors = Vectors::new(model.clone());
        for i in 0..n {
            let b = &base[i % base.len()];
            let v = if i < base.len() {
                b.clone()
            } else {
                unit(b.iter().map(|x| x + 0.02 * rng.next()).collect())
            };
            vectors
                .push(&format!("p{i}-0"), i as u64, &v)
                .expect("a vector of the right length");
        }
        vectors.save(dir.path()).expect("saved");
        drop(vectors);
        let queries: Vec<Vec<f32>> = (0..30)
            .map(|q| {
                let b = &base[(q * 7919) % base.len()];
                unit(b.iter().map(|x| x + 0.05 * rng.next()).collect())
            })
            .collect();
        // Exact: the mapped file, as a search reads it.
        let exact = Vectors::load(dir.path()).expect("loaded").expect("present");
        let truth: Vec<Vec<String>> = queries
            .iter()
            .map(|q| {
                exact
                    .nearest(q, 100)
                    .into_iter()
                    .map(|(id, _)| id.to_string())
                    .collect()
            })
            .collect();
        let scan = median(
            queries
                .iter()
                .map(|q| {
                    let t = Instant::now();
                    std::hint::black_box(exact.nearest(q, 400));
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        // The graph.
        let mut with_graph = exact.clone();
        let t = Instant::now();
        with_graph
            .index_graph(dir.path(), 0, 2)
            .expect("graph built");
        let build = t.elapsed().as_secs_f64();
        with_graph.save(dir.path()).expect("saved");
        let size: u64 = std::fs::read_dir(dir.path())
            .expect("listed")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".usearch"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        let graph = Vectors::load(dir.path()).expect("loaded").expect("present");
        assert!(graph.has_graph(), "the graph is used");
        let mut found = 0usize;
        let searched = median(
            queries
                .iter()
                .zip(&truth)
                .map(|(q, truth)| {
                    let t = Instant::now();
                    let near = graph.nearest(q, 400);
                    let took = t.elapsed().as_secs_f64();
                    let got: std::collections::HashSet<&str> =
                        near.iter().take(100).map(|(id, _)| *id).collect();
                    found += truth.iter().filter(|id| got.contains(id.as_str())).count();
                    took
                })
                .collect(),
        );
        println!(
            "| {n} | {:.1} ms | {:.1} s | {:.0} MB | {:.2} ms | {:.3} |",
            scan * 1e3,
            build,
            size as f64 / 1e6,
            searched * 1e3,
            found as f64 / (100 * queries.len()) as f64
        );
    }
}
