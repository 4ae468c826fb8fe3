//! Sentence embeddings: semantic and hybrid search beside BM25.
//!
//! A passage's meaning is a unit vector from a small sentence-embedding model ([`bert`], run
//! with candle on the CPU), so a question in other words than the source's can still find it.
//! `quarry index --embed` makes one vector per passage ([`embed_index`]) and keeps them beside
//! the tantivy index ([`store`]), reusing those of unchanged passages; `quarry search --mode
//! semantic|hybrid` ranks by them, alone or fused with BM25 by reciprocal rank ([`fusion`]).
//! Models are never fetched: a sentence-transformers folder is named with `--model` or
//! `QUARRY_MODEL` (docs/ranking.md says where to get one), and its name and hash are kept with
//! the vectors, so vectors of two models never mix.

pub mod ann;
pub mod bert;
pub mod fusion;
pub mod store;

pub use bert::BertEmbedder;
pub use store::Vectors;

use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tantivy::TantivyDocument;

/// The environment variable naming the model folder when `--model` is not given.
pub const MODEL_VAR: &str = "QUARRY_MODEL";

/// Which model made a set of vectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelId {
    /// Its name (its folder's).
    pub name: String,
    /// A hash of its configuration, tokenizer and weights.
    pub hash: String,
    /// The length of its vectors.
    pub dim: usize,
}

/// Turns texts into unit vectors.
pub trait Embedder: Send + Sync + std::fmt::Debug {
    /// The model.
    fn id(&self) -> &ModelId;
    /// One unit vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// The folder the model was loaded from, remembered with the vectors it makes.
    fn source(&self) -> Option<&Path> {
        None
    }
}

/// The model folder `QUARRY_MODEL` names, if it names one.
pub fn model_from_env() -> Option<PathBuf> {
    std::env::var_os(MODEL_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The model folder for the index in `index_dir` ([`model_dir_for`]), or an error saying how
/// to name one.
pub fn model_dir(explicit: Option<&Path>, index_dir: &Path) -> Result<PathBuf> {
    model_dir_for(explicit, index_dir).ok_or_else(|| {
        Error::new(ErrorKind::InvalidInput, "no sentence-embedding model is set").with_hint(
            "give its folder with --model DIR or QUARRY_MODEL; docs/ranking.md says how to install one",
        )
    })
}

/// The model folder for the vectors of the index in `index_dir`: `explicit` (`--model`), else
/// `QUARRY_MODEL`, else the folder they were made with; `None` when none is known.
pub fn model_dir_for(explicit: Option<&Path>, index_dir: &Path) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(model_from_env)
        .or_else(|| Vectors::summary(index_dir).and_then(|s| s.model_dir))
}

/// Whether a search of the index in `index_dir` can rank by meaning as well as by words.
#[derive(Debug)]
pub enum Availability {
    /// The index has no passage vectors: words alone.
    NoVectors,
    /// The model the vectors were made with, loaded.
    Ready(std::sync::Arc<BertEmbedder>),
    /// The index has vectors but their model cannot be used (not found, unreadable, or
    /// another model): why, with what to do.
    Unusable(Error),
}

/// Finds and loads the model of the index's vectors ([`model_dir_for`]) and checks that it is
/// the one they were made with.
pub fn availability(index_dir: &Path, explicit: Option<&Path>) -> Availability {
    let Some(summary) = Vectors::summary(index_dir) else {
        return Availability::NoVectors;
    };
    let Some(dir) = model_dir_for(explicit, index_dir) else {
        return Availability::Unusable(
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the index has passage vectors of the model {}, but no model folder is set",
                    summary.model.name
                ),
            )
            .with_hint("give its folder with --model DIR or QUARRY_MODEL"),
        );
    };
    match BertEmbedder::shared(&dir) {
        Ok(e) if e.id() == &summary.model => Availability::Ready(e),
        Ok(e) => Availability::Unusable(mismatch(&summary.model, e.id())),
        Err(e) => Availability::Unusable(e),
    }
}

/// The error for vectors of model `made` searched with model `given`.
pub fn mismatch(made: &ModelId, given: &ModelId) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!(
            "the index's vectors were made with the model {} ({}), not {} ({})",
            made.name, made.hash, given.name, given.hash
        ),
    )
    .with_hint("search with the same model, or make them again with quarry index --embed")
}

/// How many passages are embedded at once: 8 measured fastest on 2 cores (396 passages: 16 s,
/// against 22 s with 32), and keeps memory near 280 MB.
const BATCH: usize = 8;

/// What [`embed_index`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmbedSummary {
    /// Passages with a vector now.
    pub passages: usize,
    /// Vectors made by this run.
    pub embedded: usize,
    /// Vectors kept from the previous run (same passage, text and model).
    pub reused: usize,
    /// Whether a nearest-neighbour graph was built ([`ann`]).
    pub graph_built: bool,
    /// Whether searches will use one.
    pub graph: bool,
}

/// The text a passage's vector is made from: its document's title, its heading and its text.
fn passage_text(title: &str, heading: Option<&str>, text: &str) -> String {
    let mut out = String::with_capacity(title.len() + text.len() + 64);
    for part in [Some(title), heading].into_iter().flatten() {
        if !part.is_empty() && !text.starts_with(part) {
            out.push_str(part);
            out.push_str(". ");
        }
    }
    out.push_str(text);
    out
}

/// Gives every passage of `index` a vector of `embedder`'s model, reusing the index's earlier
/// vectors of unchanged passages, builds their nearest-neighbour graph when there are at least
/// [`ann::MIN_VECTORS`], and saves them. `progress` is told (done, total) after each batch.
pub fn embed_index(
    index: &QuarryIndex,
    embedder: &dyn Embedder,
    progress: &dyn Fn(usize, usize),
) -> Result<EmbedSummary> {
    embed_index_with(index, embedder, ann::MIN_VECTORS, progress)
}

/// [`embed_index`], with a graph from `min_graph` vectors on.
pub fn embed_index_with(
    index: &QuarryIndex,
    embedder: &dyn Embedder,
    min_graph: usize,
    progress: &dyn Fn(usize, usize),
) -> Result<EmbedSummary> {
    let model = embedder.id().clone();
    let old = match Vectors::load(index.dir()) {
        Ok(Some(v)) if v.model() == &model => Some(v),
        // Another model's vectors, or a damaged or older file: made again.
        _ => None,
    };
    let f = index.fields();
    let searcher = index.searcher();
    let mut todo: Vec<(String, u64, String)> = Vec::new();
    let mut out = Vectors::new(model);
    if let Some(dir) = embedder.source() {
        out.set_model_dir(dir);
    }
    let mut summary = EmbedSummary::default();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            let stored: TantivyDocument =
                searcher
                    .doc(tantivy::DocAddress::new(ord as u32, doc))
                    .map_err(|e| Error::engine("cannot read a stored passage", e))?;
            let record = crate::index::read::PassageRecord::from_stored(&stored, f);
            if record.passage_id.is_empty() {
                continue; // a document record
            }
            let text = passage_text(&record.title, record.heading.as_deref(), &record.text);
            let hash = xxhash_rust::xxh3::xxh3_64(text.as_bytes());
            match old.as_ref().and_then(|v| v.get(&record.passage_id, hash)) {
                Some(vector) => {
                    out.push(&record.passage_id, hash, &vector)?;
                    summary.reused += 1;
                }
                None => todo.push((record.passage_id, hash, text)),
            }
        }
    }
    // Texts of like length batch together, so little of a batch is padding.
    todo.sort_by_key(|(_, _, text)| text.len());
    let total = todo.len();
    for (done, batch) in todo.chunks(BATCH).enumerate() {
        let texts: Vec<&str> = batch.iter().map(|(_, _, t)| t.as_str()).collect();
        let vectors = embedder.embed(&texts)?;
        for ((id, hash, _), vector) in batch.iter().zip(&vectors) {
            out.push(id, *hash, vector)?;
        }
        summary.embedded += batch.len();
        progress((done * BATCH + batch.len()).min(total), total);
    }
    summary.passages = out.len();
    summary.graph_built = out.index_graph(index.dir(), min_graph, rayon::current_num_threads())?;
    summary.graph = out.has_graph();
    out.save(index.dir())?;
    Ok(summary)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An embedder for tests: a text's vector counts a few marker words, so nearness is known.
    #[derive(Debug)]
    pub struct Fake {
        pub source: Option<PathBuf>,
        pub id: ModelId,
        pub calls: std::sync::atomic::AtomicUsize,
    }

    /// The marker words, one per dimension.
    pub const WORDS: [&str; 4] = ["money", "ship", "court", "vote"];

    impl Fake {
        pub fn new() -> Fake {
            Fake {
                id: ModelId {
                    name: "fake".into(),
                    hash: "f".into(),
                    dim: WORDS.len(),
                },
                calls: Default::default(),
                source: None,
            }
        }
    }

    impl Embedder for Fake {
        fn id(&self) -> &ModelId {
            &self.id
        }
        fn source(&self) -> Option<&Path> {
            self.source.as_deref()
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.calls
                .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
            Ok(texts
                .iter()
                .map(|t| {
                    let t = t.to_lowercase();
                    let mut v: Vec<f32> = WORDS
                        .iter()
                        .map(|w| t.matches(w).count() as f32 + 0.01)
                        .collect();
                    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    v.iter_mut().for_each(|x| *x /= norm);
                    v
                })
                .collect())
        }
    }

    #[test]
    fn vectors_are_made_once_and_kept_for_unchanged_passages() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::write(
            corpus.join("a.md"),
            "# Ads\n\nWho paid the money for the ads.\n",
        )
        .unwrap();
        std::fs::write(corpus.join("b.md"), "# Ships\n\nThe ship left port.\n").unwrap();
        let index_dir = dir.path().join("index");
        let options = crate::BuildOptions {
            paths: vec![corpus.clone()],
            threads: 1,
            ..crate::BuildOptions::default()
        };
        crate::build(&index_dir, &options, &crate::Silent).unwrap();
        let index = QuarryIndex::open(&index_dir).unwrap();
        let fake = Fake::new();
        let first = embed_index(&index, &fake, &|_, _| {}).unwrap();
        assert_eq!((first.embedded, first.reused), (first.passages, 0));
        assert!(first.passages >= 2);
        let again = embed_index(&index, &fake, &|_, _| {}).unwrap();
        assert_eq!((again.embedded, again.reused), (0, first.passages));
        // One changed file: only its passages are embedded again.
        std::fs::write(corpus.join("b.md"), "# Ships\n\nThe ship and the court.\n").unwrap();
        crate::build(&index_dir, &options, &crate::Silent).unwrap();
        let index = QuarryIndex::open(&index_dir).unwrap();
        let third = embed_index(&index, &fake, &|_, _| {}).unwrap();
        assert_eq!(third.passages, first.passages);
        assert!(third.embedded >= 1 && third.reused >= 1, "{third:?}");
        // Another model's vectors are never reused.
        let mut other = Fake::new();
        other.id.hash = "other".into();
        let fourth = embed_index(&index, &other, &|_, _| {}).unwrap();
        assert_eq!(fourth.reused, 0);
        let vectors = Vectors::load(&index_dir).unwrap().unwrap();
        assert_eq!(vectors.model(), &other.id);
        // The nearest passage to "money" is the one about money.
        let q = other.embed(&["money"]).unwrap();
        let (id, _) = vectors.nearest(&q[0], 1)[0];
        let passage = index.passage(id).unwrap().unwrap();
        assert_eq!(passage.path.rsplit('/').next(), Some("a.md"));
    }

    fn small_index(dir: &Path) -> QuarryIndex {
        let corpus = dir.join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        std::fs::write(
            corpus.join("a.md"),
            "# Ads\n\nWho paid the money for the ads.\n",
        )
        .unwrap();
        std::fs::write(corpus.join("b.md"), "# Ships\n\nThe ship left port.\n").unwrap();
        std::fs::write(
            corpus.join("c.md"),
            "# Courts\n\nThe court heard who paid the vote money.\n",
        )
        .unwrap();
        let index_dir = dir.join("index");
        let options = crate::BuildOptions {
            paths: vec![corpus],
            threads: 1,
            ..crate::BuildOptions::default()
        };
        crate::build(&index_dir, &options, &crate::Silent).unwrap();
        QuarryIndex::open(&index_dir).unwrap()
    }

    #[test]
    fn the_model_folder_is_remembered_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        assert!(matches!(
            availability(index.dir(), None),
            Availability::NoVectors
        ));
        let mut fake = Fake::new();
        fake.source = Some(dir.path().join("no-such-model"));
        embed_index(&index, &fake, &|_, _| {}).unwrap();
        let summary = Vectors::summary(index.dir()).unwrap();
        assert_eq!(summary.model_dir, fake.source);
        // --model comes first; a folder without a model makes the vectors unusable, saying why.
        let given = dir.path().join("given");
        assert_eq!(
            model_dir_for(Some(&given), index.dir()),
            Some(given.clone())
        );
        match availability(index.dir(), Some(&given)) {
            Availability::Unusable(e) => {
                assert!(e.to_string().contains("cannot load the model"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hybrid_search_orders_the_passages_that_match_a_word() {
        use crate::search::{search, search_documents, Mode, SearchRequest};
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        embed_index(&index, &Fake::new(), &|_, _| {}).unwrap();
        let request = |q: &str, mode| {
            let mut r = SearchRequest::new(q);
            r.mode = mode;
            r.embedder = Some(std::sync::Arc::new(Fake::new()));
            r
        };
        // "money" is near both a.md and c.md by meaning; only passages with "paid" match.
        let hits = search(&index, &request("paid", Mode::Hybrid)).unwrap();
        let paths: Vec<&str> = hits.hits.iter().map(|h| h.passage.path.as_str()).collect();
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(paths
            .iter()
            .all(|p| p.ends_with("a.md") || p.ends_with("c.md")));
        assert_eq!(hits.total, 2);
        assert!(hits.hits.iter().all(|h| h.passage.text.contains("paid")));
        // A word no passage has: nothing, though some passage is always nearest by meaning.
        let none = search(&index, &request("zebra", Mode::Hybrid)).unwrap();
        assert!(none.hits.is_empty());
        let near = search(&index, &request("zebra", Mode::Semantic)).unwrap();
        assert!(!near.hits.is_empty());
        // Documents ranked by their best passage of the fused list.
        let docs = search_documents(&index, &request("paid ship", Mode::Hybrid)).unwrap();
        assert_eq!(docs.documents.len(), 3);
    }

    #[test]
    fn a_graph_finds_what_the_scan_finds_and_follows_the_vectors() {
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        let fake = Fake::new();
        let graphs = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| ann::is_graph_file(n))
                .collect();
            v.sort();
            v
        };
        // Below the threshold: no graph.
        let summary = embed_index(&index, &fake, &|_, _| {}).unwrap();
        assert!(!summary.graph && graphs(index.dir()).is_empty());
        let exact = Vectors::load(index.dir()).unwrap().unwrap();
        let q = fake.embed(&["money vote"]).unwrap().remove(0);
        let want: Vec<(String, f32)> = exact
            .nearest(&q, 3)
            .into_iter()
            .map(|(id, s)| (id.to_string(), s))
            .collect();
        // With one: the same answer, scored exactly; a second run keeps the file.
        let built = embed_index_with(&index, &fake, 0, &|_, _| {}).unwrap();
        assert!(built.graph_built && built.graph);
        let first = graphs(index.dir());
        assert_eq!(first.len(), 1);
        let kept = embed_index_with(&index, &fake, 0, &|_, _| {}).unwrap();
        assert!(!kept.graph_built && kept.graph);
        assert_eq!(graphs(index.dir()), first);
        let with_graph = Vectors::load(index.dir()).unwrap().unwrap();
        assert!(with_graph.has_graph());
        let got: Vec<(String, f32)> = with_graph
            .nearest(&q, 3)
            .into_iter()
            .map(|(id, s)| (id.to_string(), s))
            .collect();
        assert_eq!(got, want);
        // Changed passages: a new graph, and the old file is gone.
        std::fs::write(
            dir.path().join("corpus/b.md"),
            "# Ships\n\nThe ship and the court.\n",
        )
        .unwrap();
        let options = crate::BuildOptions {
            paths: vec![dir.path().join("corpus")],
            threads: 1,
            ..crate::BuildOptions::default()
        };
        crate::build(index.dir(), &options, &crate::Silent).unwrap();
        let index = QuarryIndex::open(index.dir()).unwrap();
        assert!(
            embed_index_with(&index, &fake, 0, &|_, _| {})
                .unwrap()
                .graph_built
        );
        let second = graphs(index.dir());
        assert_eq!(second.len(), 1);
        assert_ne!(second, first);
        // A damaged graph file: an exact scan, the same answer, no error.
        std::fs::write(index.dir().join(&second[0]), b"not a graph").unwrap();
        let damaged = Vectors::load(index.dir()).unwrap().unwrap();
        assert!(!damaged.has_graph());
        assert_eq!(damaged.nearest(&q, 1).len(), 1);
    }

    #[test]
    fn similar_passages_by_meaning_need_no_model_and_skip_their_own_document() {
        use crate::search::{Mode, SearchRequest};
        let dir = tempfile::tempdir().unwrap();
        let index = small_index(dir.path());
        let money = crate::search::search(&index, &SearchRequest::new("money ads"))
            .unwrap()
            .hits
            .into_iter()
            .find(|h| h.passage.path.ends_with("a.md"))
            .unwrap()
            .passage
            .passage_id;
        let mut request = SearchRequest::new("");
        request.mode = Mode::Semantic;
        // No vectors yet: an error that says how to make them.
        let e = crate::similar(&index, &money, &request).unwrap_err();
        assert!(e.to_string().contains("no passage vectors"), "{e}");
        embed_index(&index, &Fake::new(), &|_, _| {}).unwrap();
        let near = crate::similar(&index, &money, &request).unwrap();
        assert!(!near.hits.is_empty());
        assert!(near.hits.iter().all(|h| !h.passage.path.ends_with("a.md")));
        // c.md speaks of money too: nearest, by cosine (at most 1, the passage itself).
        assert!(
            near.hits[0].passage.path.ends_with("c.md"),
            "{:?}",
            near.hits
        );
        assert!(near.hits.iter().all(|h| h.score <= 1.0 + 1e-5));
        request.mode = Mode::Hybrid;
        let both = crate::similar(&index, &money, &request).unwrap();
        assert!(both.hits.iter().all(|h| !h.passage.path.ends_with("a.md")));
    }

    #[test]
    fn the_title_and_heading_lead_the_text_once() {
        assert_eq!(
            passage_text("Report", Some("Ads"), "Who paid."),
            "Report. Ads. Who paid."
        );
        assert_eq!(
            passage_text("Report", None, "Report on ads"),
            "Report on ads"
        );
    }
}
