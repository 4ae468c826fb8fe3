//! Retrieval evaluation (`quarry eval`): topics and relevance judgements in TREC formats, the
//! standard measures, and TREC run files.
//!
//! Topics are TREC topic files (`<top> <num> Number: 1 <title> ... </top>`, with `<desc>` and
//! `<narr>` ignored unless no title is given) or TSV (`id<TAB>query` per line). Qrels are TREC
//! qrels (`qid 0 docid grade` per line; grade 0 is not relevant). A run ranks documents per topic,
//! best first. Measures follow trec_eval's definitions: nDCG@k with the grade as gain and log2
//! discount over the ideal ordering of all judged documents, average precision over all relevant
//! documents, recall@k, and reciprocal rank of the first relevant document.

use crate::error::Result;
use crate::index::QuarryIndex;
use crate::search::{rank, Ranked, SearchRequest};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How many documents are ranked per topic.
pub const DEPTH: usize = 1000;

/// How a ranked document (or passage) is named to match the qrels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocName {
    /// The file name without its extension (`184` for `docs/184.txt`).
    Stem,
    /// quarry's document id.
    DocId,
    /// The path as indexed.
    Path,
    /// A metadata field of the document: `title`, `url`, `publisher`, ... or any other key of
    /// its front matter, sidecar or record mapping (the first value of a list).
    Meta(String),
    /// quarry's passage id: passages are ranked and judged directly.
    Passage,
}

impl DocName {
    /// [`DocName::Passage`] when every id the qrels judge is a quarry passage id
    /// (`<16 hex digits>-<ordinal>`), else [`DocName::Stem`].
    pub fn detect(qrels: &Qrels) -> DocName {
        let passage_like = |id: &str| {
            id.split_once('-').is_some_and(|(doc, ord)| {
                doc.len() == 16
                    && doc.chars().all(|c| c.is_ascii_hexdigit())
                    && !ord.is_empty()
                    && ord.chars().all(|c| c.is_ascii_digit())
            })
        };
        let mut ids = qrels.values().flat_map(|j| j.keys()).peekable();
        if ids.peek().is_some() && ids.all(|id| passage_like(id)) {
            DocName::Passage
        } else {
            DocName::Stem
        }
    }

    /// Parses `stem`, `doc-id`, `path`, `passage` or `meta:FIELD`.
    pub fn parse(s: &str) -> Option<DocName> {
        match s {
            "stem" => Some(DocName::Stem),
            "doc-id" => Some(DocName::DocId),
            "path" => Some(DocName::Path),
            "passage" => Some(DocName::Passage),
            _ => s
                .strip_prefix("meta:")
                .filter(|f| !f.is_empty())
                .map(|f| DocName::Meta(f.to_string())),
        }
    }

    /// The name of a ranked entry, for every way but [`DocName::Meta`] (which needs the
    /// index).
    fn name_without_index(&self, r: &Ranked) -> Option<String> {
        Some(match self {
            DocName::Stem => {
                let file = r.path.rsplit('/').next().unwrap_or(&r.path);
                match file.rsplit_once('.') {
                    Some((stem, _)) if !stem.is_empty() => stem.to_string(),
                    _ => file.to_string(),
                }
            }
            DocName::DocId => r.doc_id.clone(),
            DocName::Path => r.path.clone(),
            DocName::Passage => r.passage_id.clone(),
            DocName::Meta(_) => return None,
        })
    }

    /// The name of a ranked entry; metadata values are looked up once per document.
    fn of(
        &self,
        r: &Ranked,
        index: &QuarryIndex,
        cache: &mut HashMap<String, String>,
    ) -> Result<String> {
        let DocName::Meta(field) = self else {
            return Ok(self.name_without_index(r).unwrap_or_default());
        };
        if let Some(name) = cache.get(&r.doc_id) {
            return Ok(name.clone());
        }
        let name = match index.document(&r.doc_id)? {
            Some(doc) => meta_value(&doc.info.meta, field),
            None => String::new(),
        };
        cache.insert(r.doc_id.clone(), name.clone());
        Ok(name)
    }
}

/// A metadata field's value as text ("" when absent); the first value of a list.
fn meta_value(meta: &crate::document::Metadata, field: &str) -> String {
    let value = serde_json::to_value(meta).unwrap_or_default();
    let found = value
        .get(field)
        .filter(|v| !v.is_null())
        .or_else(|| meta.extra.get(field));
    let found = match found {
        Some(serde_json::Value::Array(items)) => items.first(),
        other => other,
    };
    match found {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A measure: `ndcg@K`, `map`, `recall@K`, `mrr` (also `p@K`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// nDCG at a cut-off.
    Ndcg(usize),
    /// Mean average precision.
    Map,
    /// Recall at a cut-off.
    Recall(usize),
    /// Precision at a cut-off.
    Precision(usize),
    /// Mean reciprocal rank.
    Mrr,
}

impl Metric {
    /// Parses `ndcg@10`, `map`, `recall@100`, `p@10`, `mrr`.
    pub fn parse(s: &str) -> Option<Metric> {
        let s = s.trim().to_ascii_lowercase();
        let cut = |prefix: &str| -> Option<usize> {
            s.strip_prefix(prefix)?.parse().ok().filter(|&k| k > 0)
        };
        match s.as_str() {
            "map" => Some(Metric::Map),
            "mrr" => Some(Metric::Mrr),
            _ => cut("ndcg@")
                .map(Metric::Ndcg)
                .or_else(|| cut("recall@").map(Metric::Recall))
                .or_else(|| cut("p@").map(Metric::Precision)),
        }
    }

    /// The measure's name.
    pub fn name(self) -> String {
        match self {
            Metric::Ndcg(k) => format!("ndcg@{k}"),
            Metric::Map => "map".to_string(),
            Metric::Recall(k) => format!("recall@{k}"),
            Metric::Precision(k) => format!("p@{k}"),
            Metric::Mrr => "mrr".to_string(),
        }
    }

    fn value(self, ranked: &[String], judged: &HashMap<String, u32>) -> f64 {
        match self {
            Metric::Ndcg(k) => ndcg_at(ranked, judged, k),
            Metric::Map => average_precision(ranked, judged),
            Metric::Recall(k) => recall_at(ranked, judged, k),
            Metric::Precision(k) => {
                ranked
                    .iter()
                    .take(k)
                    .filter(|d| judged.get(*d).is_some_and(|&g| g > 0))
                    .count() as f64
                    / k as f64
            }
            Metric::Mrr => reciprocal_rank(ranked, judged),
        }
    }
}

/// The measures of one topic.
#[derive(Debug, Clone, Serialize)]
pub struct TopicResult {
    /// Topic id.
    pub id: String,
    /// Measure name to value.
    pub values: BTreeMap<String, f64>,
}

/// An evaluation: per-topic values, their means, and the ranking made.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Means over the judged topics, by measure name.
    pub means: BTreeMap<String, f64>,
    /// Topics evaluated (those with at least one relevant document).
    pub topics: usize,
    /// Per topic.
    pub per_topic: Vec<TopicResult>,
    /// The run: per topic, the ranked document names with their scores.
    #[serde(skip)]
    pub run: Vec<(String, Vec<(String, f32)>)>,
}

/// Keeps the words of a query and drops quarry's operators and punctuation, so long natural
/// language topics ("what are the ... ?") are read as plain words.
pub fn plain_words(query: &str) -> String {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !matches!(*w, "AND" | "OR" | "NOT"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs every judged topic against the index (documents rank by their best passage) and
/// computes `metrics`. Each topic is searched as `base` (its feedback, mode and model) with the
/// topic's words as the query.
pub fn evaluate(
    index: &QuarryIndex,
    topics: &[(String, String)],
    qrels: &Qrels,
    metrics: &[Metric],
    names: &DocName,
    base: &SearchRequest,
) -> Result<Report> {
    index.guard(|| {
        let mut cache = HashMap::new();
        let mut per_topic = Vec::new();
        let mut run = Vec::new();
        let empty = HashMap::new();
        for (id, query) in topics {
            let judged = qrels.get(id).unwrap_or(&empty);
            let words = plain_words(query);
            let ranked: Vec<(String, f32)> = if words.is_empty() {
                Vec::new()
            } else {
                let mut request = base.clone();
                request.query = words;
                // Several documents can share a name (records of one file, equal metadata): each
                // name counts once, at its best rank; documents without a name are left out.
                let mut named = Vec::new();
                let mut seen = std::collections::HashSet::new();
                for r in rank(index, &request, DEPTH, *names == DocName::Passage)? {
                    let name = names.of(&r, index, &mut cache)?;
                    if !name.is_empty() && seen.insert(name.clone()) {
                        named.push((name, r.score));
                    }
                }
                named
            };
            let docs: Vec<String> = ranked.iter().map(|(d, _)| d.clone()).collect();
            run.push((id.clone(), ranked));
            if !judged.values().any(|&g| g > 0) {
                continue;
            }
            let values = metrics
                .iter()
                .map(|m| (m.name(), m.value(&docs, judged)))
                .collect();
            per_topic.push(TopicResult {
                id: id.clone(),
                values,
            });
        }
        let mut means = BTreeMap::new();
        for m in metrics {
            let name = m.name();
            let sum: f64 = per_topic.iter().filter_map(|t| t.values.get(&name)).sum();
            means.insert(
                name,
                if per_topic.is_empty() {
                    0.0
                } else {
                    sum / per_topic.len() as f64
                },
            );
        }
        Ok(Report {
            means,
            topics: per_topic.len(),
            per_topic,
            run,
        })
    })
}

/// Relevance grades per topic and document.
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// Parses topics: TREC topic format when the text holds `<top>`, else TSV `id<TAB>query`.
pub fn parse_topics(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    if text.contains("<top>") {
        return parse_trec_topics(text);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, query) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: expected id<TAB>query", i + 1))?;
        if id.trim().is_empty() || query.trim().is_empty() {
            return Err(format!("line {}: empty id or query", i + 1));
        }
        out.push((id.trim().to_string(), query.trim().to_string()));
    }
    Ok(out)
}

fn parse_trec_topics(text: &str) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (i, block) in text.split("<top>").skip(1).enumerate() {
        let block = block.split("</top>").next().unwrap_or(block);
        let field = |tag: &str| -> Option<String> {
            let start = block.find(tag)? + tag.len();
            let rest = &block[start..];
            // A field ends at the next tag (`</num>`, `<title>`, ...).
            let end = rest.find('<').unwrap_or(rest.len());
            let value = rest[..end].trim();
            (!value.is_empty()).then(|| value.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        let num = field("<num>").ok_or_else(|| format!("topic {}: no <num>", i + 1))?;
        let num = num.trim_start_matches("Number:").trim().to_string();
        let query = field("<title>")
            .map(|t| t.trim_start_matches("Topic:").trim().to_string())
            .filter(|t| !t.is_empty())
            .or_else(|| {
                field("<desc>").map(|d| d.trim_start_matches("Description:").trim().to_string())
            })
            .ok_or_else(|| format!("topic {num}: no <title> or <desc>"))?;
        out.push((num, query));
    }
    Ok(out)
}

/// Parses TREC qrels: `qid iteration docid grade` per line.
pub fn parse_qrels(text: &str) -> std::result::Result<Qrels, String> {
    let mut out: Qrels = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        if parts.len() != 4 {
            return Err(format!("line {}: expected 'qid 0 docid grade'", i + 1));
        }
        let grade: i64 = parts[3]
            .parse()
            .map_err(|_| format!("line {}: grade '{}' is not a number", i + 1, parts[3]))?;
        let grade = u32::try_from(grade.max(0))
            .map_err(|_| format!("line {}: grade '{}' is too large", i + 1, parts[3]))?;
        out.entry(parts[0].to_string())
            .or_default()
            .insert(parts[2].to_string(), grade);
    }
    Ok(out)
}

/// nDCG@k of `ranked` document ids against `judged` grades.
pub fn ndcg_at(ranked: &[String], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| f64::from(*judged.get(d).unwrap_or(&0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) / ((i + 2) as f64).log2())
        .sum();
    if idcg == 0.0 {
        0.0
    } else {
        dcg / idcg
    }
}

/// Average precision over all relevant documents.
pub fn average_precision(ranked: &[String], judged: &HashMap<String, u32>) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut hits = 0;
    let mut sum = 0.0;
    for (i, d) in ranked.iter().enumerate() {
        if judged.get(d).is_some_and(|&g| g > 0) {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// Share of the relevant documents found in the top `k`.
pub fn recall_at(ranked: &[String], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked
        .iter()
        .take(k)
        .filter(|d| judged.get(*d).is_some_and(|&g| g > 0))
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document (0 when none is ranked).
pub fn reciprocal_rank(ranked: &[String], judged: &HashMap<String, u32>) -> f64 {
    ranked
        .iter()
        .position(|d| judged.get(d).is_some_and(|&g| g > 0))
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// A TREC run file line: `qid Q0 docid rank score tag`. Whitespace inside an id (a title
/// used as a name) becomes `_`, so the line keeps its six columns.
pub fn run_line(qid: &str, docid: &str, rank: usize, score: f32, tag: &str) -> String {
    let docid: String = docid
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    format!("{qid} Q0 {docid} {rank} {score:.6} {tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    #[test]
    fn measures_match_hand_computed_values() {
        let ranked = docs(&["a", "b", "c", "d"]);
        let j = judged(&[("a", 1), ("c", 1), ("e", 1), ("b", 0)]);
        // AP: relevant at ranks 1 and 3 of 3 relevant: (1/1 + 2/3) / 3.
        assert!((average_precision(&ranked, &j) - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        // nDCG@3: (1 + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4)).
        let expected = (1.0 + 0.5) / (1.0 + 1.0 / 3f64.log2() + 0.5);
        assert!((ndcg_at(&ranked, &j, 3) - expected).abs() < 1e-12);
        assert!((recall_at(&ranked, &j, 2) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(reciprocal_rank(&docs(&["x", "c"]), &j), 0.5);
        assert_eq!(reciprocal_rank(&docs(&["x"]), &j), 0.0);
        assert_eq!(ndcg_at(&ranked, &judged(&[]), 10), 0.0);
    }

    #[test]
    fn metric_names_parse_and_queries_become_plain_words() {
        assert_eq!(Metric::parse("nDCG@10"), Some(Metric::Ndcg(10)));
        assert_eq!(Metric::parse("map"), Some(Metric::Map));
        assert_eq!(Metric::parse("recall@100"), Some(Metric::Recall(100)));
        assert_eq!(Metric::parse("p@5"), Some(Metric::Precision(5)));
        assert_eq!(Metric::parse("ndcg@0"), None);
        assert_eq!(Metric::parse("bleu"), None);
        assert_eq!(
            plain_words("what (are) the AND  \"x\" -y?"),
            "what are the x y"
        );
    }

    #[test]
    fn topics_and_qrels_parse() {
        let trec = "<top>\n<num> Number: 7\n<title> Topic: sonic boom\n\n<desc> Description:\nwhy\n</top>\n\
                    <top>\n<num> 8\n<desc> Description:\nonly a description\n</top>\n";
        assert_eq!(
            parse_topics(trec).unwrap(),
            [
                ("7".to_string(), "sonic boom".to_string()),
                ("8".into(), "only a description".into())
            ]
        );
        assert_eq!(
            parse_topics("1\thello world\n\n2\tsecond\n").unwrap(),
            [
                ("1".to_string(), "hello world".to_string()),
                ("2".into(), "second".into())
            ]
        );
        assert!(parse_topics("no tab here").is_err());
        let q = parse_qrels("1 0 d1 1\n1 0 d2 0\n2 0 d9 2\n").unwrap();
        assert_eq!(q["1"]["d1"], 1);
        assert_eq!(q["2"]["d9"], 2);
        assert!(parse_qrels("1 0 d1").is_err());
        assert!(parse_qrels("1 0 d1 99999999999").is_err());
        assert_eq!(parse_qrels("1 0 d1 -1\n").unwrap()["1"]["d1"], 0);
        assert_eq!(
            parse_topics("<top><num> 9 </num><title>closed tags</title></top>").unwrap(),
            [("9".to_string(), "closed tags".to_string())]
        );
        assert_eq!(
            run_line("1", "A title", 2, 1.0, "quarry"),
            "1 Q0 A_title 2 1.000000 quarry"
        );
        assert_eq!(
            run_line("1", "d1", 1, 2.5, "quarry"),
            "1 Q0 d1 1 2.500000 quarry"
        );
    }

    #[test]
    fn documents_are_named_by_stem_metadata_or_passage_id() {
        assert_eq!(
            DocName::parse("meta:url"),
            Some(DocName::Meta("url".into()))
        );
        assert_eq!(DocName::parse("doc-id"), Some(DocName::DocId));
        assert_eq!(DocName::parse("meta:"), None);
        assert_eq!(DocName::parse("title"), None);
        let passages =
            parse_qrels("1 0 0123456789abcdef-0 1\n2 0 fedcba9876543210-12 0\n").unwrap();
        assert_eq!(DocName::detect(&passages), DocName::Passage);
        let files = parse_qrels("1 0 0123456789abcdef-0 1\n1 0 184 1\n").unwrap();
        assert_eq!(DocName::detect(&files), DocName::Stem);
        let mut meta = crate::document::Metadata {
            url: Some("https://example.org/a".into()),
            authors: vec!["A. Writer".into(), "B. Writer".into()],
            ..Default::default()
        };
        meta.extra.insert("record_id".into(), serde_json::json!(42));
        assert_eq!(meta_value(&meta, "url"), "https://example.org/a");
        assert_eq!(meta_value(&meta, "authors"), "A. Writer");
        assert_eq!(meta_value(&meta, "record_id"), "42");
        assert_eq!(meta_value(&meta, "publisher"), "");
        let r = Ranked {
            doc_id: "d".into(),
            passage_id: "d-3".into(),
            path: "docs/sub/184.txt".into(),
            score: 1.0,
        };
        assert_eq!(
            DocName::Stem.name_without_index(&r),
            Some("184".to_string())
        );
    }
}
