//! Searching an exported index on the cluster (`quarry search --engine opensearch`): the same
//! requests as the local engine ([`crate::SearchRequest`], [`crate::AggregateRequest`]) give
//! the same result types, so every output format prints them unchanged.
//!
//! Hits are ranked by OpenSearch (BM25 over the same fields, with the whole index's term
//! statistics: `dfs_query_then_fetch`). Highlights come from OpenSearch's
//! highlighter, asked for the whole text with private-use characters as tags, and become
//! character ranges; the snippet is then cut around them as quarry cuts its own
//! ([`crate::highlight::snippet`]). Copies are not collapsed (`also_in` is empty), and there
//! is no feedback, proximity or meaning-based ranking: those are the local engine's.
//! Facets and timelines count passages and documents (distinct `doc_id`s, exact below 40,000
//! per value: OpenSearch's cardinality) with composite aggregations, every value, sorted as
//! quarry sorts them.

use super::client::Client;
use super::query::{translate, Paths};
use crate::aggregate::{
    AggregateRequest, Aggregates, Bucket, Counts, Facet, FacetValue, Period, Timeline,
};
use crate::error::{Error, ErrorKind, Result};
use crate::highlight::CharRange;
use crate::index::read::PassageRecord;
use crate::schema::FacetField;
use crate::search::{DocumentHit, DocumentResults, Hit, SearchRequest, SearchResults};
use serde_json::{json, Value};

/// Opening and closing highlight tags: private-use characters no text carries.
const OPEN: char = '\u{e000}';
const CLOSE: char = '\u{e001}';

/// An exported index on a cluster.
pub struct Remote<'a> {
    /// The cluster.
    pub client: &'a Client,
    /// The index's name.
    pub index: &'a str,
}

impl Paths for Remote<'_> {
    fn paths(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.composite("path", &json!({"match_all": {}}), |key, _| {
            out.push(key.to_string());
        })?;
        Ok(out)
    }
}

impl Remote<'_> {
    fn post(&self, path: &str, body: &Value) -> Result<Value> {
        let mut retried = 0;
        let answer = self.client.json(
            "POST",
            &format!("/{}/{path}", self.index),
            Some(body),
            &mut retried,
        );
        match answer {
            Err(e) if e.message().contains("index_not_found_exception") => Err(Error::new(
                ErrorKind::Cluster,
                format!(
                    "the cluster at {} has no index '{}'",
                    self.client.base(),
                    self.index
                ),
            )
            .with_hint("export one first: quarry export --opensearch URL (or give --index-name)")),
            other => other,
        }
    }

    /// Every value of keyword `field` among the passages `query` matches, with its passage and
    /// document counts.
    fn composite(
        &self,
        field: &str,
        query: &Value,
        mut each: impl FnMut(&str, &Value),
    ) -> Result<()> {
        let mut after: Option<Value> = None;
        loop {
            let mut composite =
                json!({"size": 1000, "sources": [{"v": {"terms": {"field": field}}}]});
            if let Some(a) = &after {
                composite["after"] = a.clone();
            }
            let body = json!({
                "size": 0,
                "query": query,
                "aggs": {"values": {
                    "composite": composite,
                    "aggs": {"documents": {"cardinality": {"field": "doc_id", "precision_threshold": 40000}}}
                }}
            });
            let answer = self.post("_search", &body)?;
            let agg = &answer["aggregations"]["values"];
            let buckets = agg["buckets"].as_array().cloned().unwrap_or_default();
            for b in &buckets {
                if let Some(key) = b["key"]["v"].as_str() {
                    each(key, b);
                }
            }
            match agg.get("after_key") {
                Some(a) if !buckets.is_empty() => after = Some(a.clone()),
                _ => return Ok(()),
            }
        }
    }
}

/// Searches the exported index: hits ranked by the cluster, as [`crate::search`] returns them,
/// at most `request.per_doc` passages per document (the cap is applied in rank order, as
/// quarry applies it; `total` counts every match, before the cap).
pub fn search(remote: &Remote, request: &SearchRequest) -> Result<SearchResults> {
    let query = translate(&request.query, request.all_terms, &request.filters, remote)?;
    let wanted = request.offset.saturating_add(request.limit);
    let mut cap = Cap::new(request.per_doc);
    let mut kept: Vec<Value> = Vec::new();
    let mut after: Option<Value> = None;
    let mut total;
    // Without a cap, one page; with one, a page of twice what is wanted (at least 20: each hit
    // is highlighted, which costs), then pages twice as large until enough passages pass it.
    let mut size = if cap.per_doc.is_some() {
        wanted.saturating_mul(2).clamp(20, 1000)
    } else {
        request.limit
    };
    let mut from = if cap.per_doc.is_some() {
        0
    } else {
        request.offset
    };
    loop {
        let page = raw_page(remote, &query, request, from, size, after.as_ref())?;
        total = page.total;
        let n = page.hits.len();
        for h in page.hits {
            if cap.keep(&h) {
                kept.push(h);
            }
        }
        if cap.per_doc.is_none() || kept.len() >= wanted || n < size {
            break;
        }
        after = page.last;
        from = 0;
        size = (size * 2).min(1000);
    }
    if cap.per_doc.is_some() {
        kept = kept
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .collect();
    }
    let hits = ranked(&kept, request.offset, request)?;
    Ok(results(request, hits, total))
}

/// Every hit of `request` after `request.offset` (with the per-document cap), a page at a time
/// (`search_after`, pages of 100 doubling to 1,000, so past the 10,000 hits `from` reaches),
/// each page handed to `each`; returns how many hits there were.
pub fn each_page(
    remote: &Remote,
    request: &SearchRequest,
    each: &mut dyn FnMut(&SearchResults) -> Result<()>,
) -> Result<usize> {
    let query = translate(&request.query, request.all_terms, &request.filters, remote)?;
    let mut cap = Cap::new(request.per_doc);
    let mut after: Option<Value> = None;
    let mut passed = 0;
    let mut written = 0;
    let mut size = 100;
    loop {
        let page = raw_page(remote, &query, request, 0, size, after.as_ref())?;
        let n = page.hits.len();
        let mut hits = Vec::new();
        for h in &page.hits {
            if !cap.keep(h) {
                continue;
            }
            passed += 1;
            if passed > request.offset {
                hits.push(hit_of(h, passed, request)?);
            }
        }
        written += hits.len();
        if !hits.is_empty() {
            each(&results(request, hits, page.total))?;
        }
        match page.last {
            Some(last) if n == size => after = Some(last),
            _ => return Ok(written),
        }
        size = (size * 2).min(1000);
    }
}

/// At most `per_doc` passages per document, in the order they come.
struct Cap {
    per_doc: Option<usize>,
    seen: std::collections::HashMap<String, usize>,
}

impl Cap {
    fn new(per_doc: Option<usize>) -> Cap {
        Cap {
            per_doc,
            seen: std::collections::HashMap::new(),
        }
    }

    fn keep(&mut self, hit: &Value) -> bool {
        let Some(cap) = self.per_doc else {
            return true;
        };
        let doc = hit["_source"]["doc_id"].as_str().unwrap_or_default();
        let n = self.seen.entry(doc.to_string()).or_insert(0);
        *n += 1;
        *n <= cap
    }
}

/// One page of raw hits, ranked with the whole index's term statistics.
struct RawPage {
    hits: Vec<Value>,
    total: usize,
    /// The sort values of the last hit, for the next page.
    last: Option<Value>,
}

fn raw_page(
    remote: &Remote,
    query: &Value,
    request: &SearchRequest,
    from: usize,
    size: usize,
    after: Option<&Value>,
) -> Result<RawPage> {
    let mut body = json!({
        "query": query,
        "from": from,
        "size": size,
        "track_total_hits": true,
        "sort": [{"_score": "desc"}, {"passage_id": "asc"}],
        "highlight": highlight()
    });
    if let Some(after) = after {
        body["search_after"] = after.clone();
    }
    if let Some(min) = request.min_score {
        body["min_score"] = json!(min);
    }
    // Term statistics of the whole index, not of each shard, so scores (and so the ranking)
    // do not depend on how passages fell into shards.
    let answer = remote.post("_search?search_type=dfs_query_then_fetch", &body)?;
    let hits = answer["hits"]["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let last = hits.last().map(|h| h["sort"].clone());
    Ok(RawPage {
        hits,
        total: answer["hits"]["total"]["value"].as_u64().unwrap_or(0) as usize,
        last,
    })
}

/// Hits as quarry's, ranked from `offset + 1`.
fn ranked(hits: &[Value], offset: usize, request: &SearchRequest) -> Result<Vec<Hit>> {
    hits.iter()
        .enumerate()
        .map(|(i, h)| hit_of(h, offset + i + 1, request))
        .collect()
}

/// A list of hits of `request`, from this engine.
fn results(request: &SearchRequest, hits: Vec<Hit>, total: usize) -> SearchResults {
    SearchResults {
        query: request.query.clone(),
        hits,
        total,
        offset: request.offset,
        fingerprint: None,
        engine: super::ENGINE,
    }
}

/// One hit of an answer, with its highlights as character ranges and its snippet.
fn hit_of(h: &Value, rank: usize, request: &SearchRequest) -> Result<Hit> {
    let passage = record(&h["_source"])?;
    let mut highlights: Vec<CharRange> = Vec::new();
    if let Some(fields) = h["highlight"].as_object() {
        for fragments in fields.values() {
            for fragment in fragments.as_array().into_iter().flatten() {
                highlights.extend(ranges(fragment.as_str().unwrap_or_default()));
            }
        }
    }
    let highlights = merge(highlights);
    let (snippet, snippet_highlights) =
        crate::highlight::snippet(&passage.text, &highlights, request.snippet_chars);
    Ok(Hit {
        rank,
        score: h["_score"].as_f64().unwrap_or(0.0) as f32,
        cite: crate::cite::passage(&passage),
        passage,
        snippet,
        highlights,
        snippet_highlights,
        context_before: None,
        context_after: None,
        explain: None,
        also_in: Vec::new(),
    })
}

/// The highlighter's settings: the whole text, tagged with private-use characters.
fn highlight() -> Value {
    json!({
        "fields": {"text": {}, "text_*": {}},
        "number_of_fragments": 0,
        "require_field_match": false,
        "pre_tags": [OPEN.to_string()],
        "post_tags": [CLOSE.to_string()]
    })
}

/// Documents ranked by their best passage, each with its best `request.per_doc` passages
/// (`--group doc`), by OpenSearch's field collapsing on `doc_id`.
pub fn search_documents(remote: &Remote, request: &SearchRequest) -> Result<DocumentResults> {
    let query = translate(&request.query, request.all_terms, &request.filters, remote)?;
    let per_doc = request.per_doc.unwrap_or(3).max(1);
    let sort = json!([{"_score": "desc"}, {"passage_id": "asc"}]);
    let mut body = json!({
        "query": query,
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": true,
        "sort": sort,
        "collapse": {"field": "doc_id", "inner_hits": {
            "name": "best", "size": per_doc, "sort": sort, "highlight": highlight()
        }},
        "_source": false
    });
    if let Some(min) = request.min_score {
        body["min_score"] = json!(min);
    }
    let answer = remote.post("_search?search_type=dfs_query_then_fetch", &body)?;
    let total = answer["hits"]["total"]["value"].as_u64().unwrap_or(0) as usize;
    let mut documents = Vec::new();
    for (i, h) in answer["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let inner = &h["inner_hits"]["best"]["hits"];
        let passages = inner["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(j, p)| hit_of(p, j + 1, request))
            .collect::<Result<Vec<Hit>>>()?;
        let matches = inner["total"]["value"].as_u64().unwrap_or(0) as usize;
        documents.extend(DocumentHit::of(request.offset + i + 1, matches, passages));
    }
    Ok(DocumentResults {
        query: request.query.clone(),
        documents,
        total,
        offset: request.offset,
        fingerprint: None,
        engine: super::ENGINE,
    })
}

/// Counts, facets and timelines of what `request` matches, as [`crate::aggregate`] gives them.
pub fn aggregate(
    remote: &Remote,
    search: &SearchRequest,
    request: &AggregateRequest,
) -> Result<Aggregates> {
    let query = translate(&search.query, search.all_terms, &search.filters, remote)?;
    let cardinality = json!({"cardinality": {"field": "doc_id", "precision_threshold": 40000}});
    let answer = remote.post(
        "_search",
        &json!({"size": 0, "track_total_hits": true, "query": query,
                "aggs": {"documents": cardinality}}),
    )?;
    let total = Counts {
        passages: answer["hits"]["total"]["value"].as_u64().unwrap_or(0),
        documents: answer["aggregations"]["documents"]["value"]
            .as_u64()
            .unwrap_or(0),
    };
    let counts = |b: &Value| Counts {
        passages: b["doc_count"].as_u64().unwrap_or(0),
        documents: b["documents"]["value"].as_u64().unwrap_or(0),
    };
    let mut facets = Vec::new();
    for facet in &request.facets {
        let field = match facet {
            FacetField::Publisher => "publisher".to_string(),
            FacetField::Author => "authors".to_string(),
            FacetField::Tag => "tags".to_string(),
            FacetField::Kind => "kind".to_string(),
            FacetField::Lang => "lang".to_string(),
            FacetField::Format => "format".to_string(),
            FacetField::Year => "year".to_string(),
            FacetField::Indicator(kind) => format!("indicators.{}", kind.name()),
            FacetField::Extra(_) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "extra.KEY facets are not offered with --engine opensearch",
                )
                .with_hint("count them on the local index (without --engine)"))
            }
        };
        let mut values = Vec::new();
        remote.composite(&field, &query, |key, b| {
            let c = counts(b);
            values.push(FacetValue {
                value: key.to_string(),
                passages: c.passages,
                documents: c.documents,
            });
        })?;
        values.sort_by(|a, b| {
            b.documents
                .cmp(&a.documents)
                .then_with(|| b.passages.cmp(&a.passages))
                .then_with(|| a.value.cmp(&b.value))
        });
        let missing = remote.post(
            "_search",
            &json!({"size": 0, "track_total_hits": true,
                    "query": {"bool": {"filter": [query], "must_not": [{"exists": {"field": field}}]}},
                    "aggs": {"documents": cardinality}}),
        )?;
        facets.push(Facet {
            field: facet.name().to_string(),
            values,
            missing: Counts {
                passages: missing["hits"]["total"]["value"].as_u64().unwrap_or(0),
                documents: missing["aggregations"]["documents"]["value"]
                    .as_u64()
                    .unwrap_or(0),
            },
        });
    }
    let timeline = match request.timeline {
        None => None,
        Some(by) => {
            let (interval, format) = match by {
                Period::Year => ("year", "yyyy"),
                Period::Month => ("month", "yyyy-MM"),
            };
            let answer = remote.post(
                "_search",
                &json!({"size": 0, "query": query, "aggs": {
                    "periods": {
                        "date_histogram": {"field": "date_from", "calendar_interval": interval,
                                           "format": format, "min_doc_count": 0},
                        "aggs": {"documents": cardinality}
                    },
                    "undated": {"missing": {"field": "date_from"}, "aggs": {"documents": cardinality}}
                }}),
            )?;
            let buckets = answer["aggregations"]["periods"]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let c = counts(b);
                    Bucket {
                        period: b["key_as_string"].as_str().unwrap_or_default().to_string(),
                        passages: c.passages,
                        documents: c.documents,
                    }
                })
                .collect();
            Some(Timeline {
                by,
                buckets,
                undated: counts(&answer["aggregations"]["undated"]),
            })
        }
    };
    Ok(Aggregates {
        total,
        facets,
        timeline,
        engine: super::ENGINE,
    })
}

/// The passages of document `doc_id` with ordinals in `first..=last`, in order.
pub fn passages_of(
    remote: &Remote,
    doc_id: &str,
    first: u64,
    last: u64,
) -> Result<Vec<PassageRecord>> {
    let size = last.saturating_sub(first).saturating_add(1).min(10_000);
    let answer = remote.post(
        "_search",
        &json!({
            "size": size,
            "query": {"bool": {"filter": [
                {"term": {"doc_id": doc_id}},
                {"range": {"ordinal": {"gte": first, "lte": last}}}
            ]}},
            "sort": [{"ordinal": "asc"}]
        }),
    )?;
    answer["hits"]["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| record(&h["_source"]))
        .collect()
}

/// Passages of other documents most like passage `passage_id`, by OpenSearch's
/// `more_like_this` over the passage's text (filters and paging as `request` gives them).
pub fn similar(
    remote: &Remote,
    passage_id: &str,
    request: &SearchRequest,
) -> Result<SearchResults> {
    let Some(source) = passage(remote, passage_id)? else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "no passage with id '{passage_id}' in the index '{}' at {}",
                remote.index,
                remote.client.base()
            ),
        )
        .with_hint("ids change when a file is moved or renamed; search again for current ids"));
    };
    let mut filters = request.filters.clone();
    filters.not_doc = Some(source.doc_id.clone());
    let filter = translate("", false, &filters, remote)?;
    // The language-neutral text, and the passage's own language's field: every passage
    // sharing a word is a candidate (as in quarry), ranked by the shared words' weight.
    let mut fields = vec!["text".to_string()];
    if let Some(field) = source
        .lang
        .as_deref()
        .and_then(super::mapping::language_field)
    {
        fields.push(format!("text_{field}"));
    }
    let like = json!({"more_like_this": {
        "fields": fields,
        "like": [{"_index": remote.index, "_id": passage_id}],
        "min_term_freq": 1,
        "min_doc_freq": 1,
        "max_query_terms": 25,
        "minimum_should_match": "1"
    }});
    // (The filter always holds one clause: other documents only.)
    let query = json!({"bool": {"must": [like], "filter": filter["bool"]["filter"].clone()}});
    let page = raw_page(remote, &query, request, request.offset, request.limit, None)?;
    let hits = ranked(&page.hits, request.offset, request)?;
    let mut results = results(request, hits, page.total);
    results.query = passage_id.to_string();
    Ok(results)
}

/// The passage with this id, if the index holds it.
pub fn passage(remote: &Remote, passage_id: &str) -> Result<Option<PassageRecord>> {
    let answer = remote.post(
        "_search",
        &json!({"size": 1, "query": {"term": {"passage_id": passage_id}}}),
    )?;
    match answer["hits"]["hits"].get(0) {
        Some(h) => record(&h["_source"]).map(Some),
        None => Ok(None),
    }
}

/// A passage as the index holds it.
fn record(source: &Value) -> Result<PassageRecord> {
    let s = |k: &str| source[k].as_str().map(str::to_string);
    let u = |k: &str| source[k].as_u64();
    let list = |k: &str| -> Vec<String> {
        source[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let indicators = serde_json::from_value(source["indicators"].clone()).unwrap_or_default();
    let passage_id = s("passage_id").ok_or_else(|| {
        Error::new(
            ErrorKind::Cluster,
            "the cluster's index holds a document that is no passage of quarry's",
        )
        .with_hint("give --index-name of an index made by quarry export")
    })?;
    Ok(PassageRecord {
        doc_id: s("doc_id").unwrap_or_default(),
        passage_id,
        ordinal: u("ordinal").unwrap_or(0),
        path: s("path").unwrap_or_default(),
        format: s("format").unwrap_or_default(),
        title: s("title").unwrap_or_default(),
        publisher: s("publisher"),
        authors: list("authors"),
        date: s("date"),
        url: s("url"),
        tags: list("tags"),
        kind: s("kind"),
        lang: s("lang"),
        page: u("page"),
        ocr: source["ocr"].as_bool().unwrap_or(false),
        ocr_confidence: u("ocr_confidence"),
        row: u("row"),
        line: u("line").unwrap_or(0),
        start: u("start").unwrap_or(0),
        end: u("end").unwrap_or(0),
        heading: s("heading"),
        text: s("text").unwrap_or_default(),
        extra: source["extra"].as_object().cloned().unwrap_or_default(),
        indicators,
        gap: String::new(),
    })
}

/// The character ranges of the tagged parts of a highlighted text.
fn ranges(tagged: &str) -> Vec<CharRange> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut open = None;
    for c in tagged.chars() {
        match c {
            OPEN => open = Some(at),
            CLOSE => {
                if let Some(start) = open.take() {
                    out.push((start, at));
                }
            }
            _ => at += 1,
        }
    }
    out
}

/// Sorted, overlapping ranges joined.
fn merge(mut ranges: Vec<CharRange>) -> Vec<CharRange> {
    ranges.sort_unstable();
    let mut out: Vec<CharRange> = Vec::new();
    for (s, e) in ranges {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_character_ranges() {
        let t = format!("Пригожин and {OPEN}Prigozhin{CLOSE}'s {OPEN}Wagner{CLOSE}");
        assert_eq!(ranges(&t), vec![(13, 22), (25, 31)]);
        assert_eq!(
            merge(vec![(5, 9), (0, 3), (2, 4), (9, 9)]),
            vec![(0, 4), (5, 9)]
        );
    }
}
