//! Search features on `tests/fixtures/search/` (see its README for the known dates, publishers
//! and near-duplicates): filters in the query syntax, query operators, grouping, counting,
//! facets, timelines, `similar`, output formats and fields, context, explanations, paging and
//! stable order.

use crate::common::{hits, search_json, Run, Workspace};
use serde_json::Value;

fn fixture() -> Workspace {
    Workspace::indexed_fixture("search")
}

/// The paths of the hits, each copy of a text its own hit (`--no-collapse`: tie-a and tie-b
/// are copies, alpha and beta near-copies).
fn paths(ws: &Workspace, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--no-collapse"];
    all.extend_from_slice(args);
    let mut out: Vec<String> = search_json(ws, &all)
        .iter()
        .map(|h| h["path"].as_str().unwrap().to_string())
        .collect();
    out.dedup();
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn tsv(run: &Run) -> Vec<Vec<String>> {
    run.stdout()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

const ANY: &str = "slogan OR network OR tie OR memo";

#[test]
fn filters_in_the_query_match_the_flags() {
    let ws = fixture();
    let pairs: &[(&[&str], &str)] = &[
        (
            &["--publisher", "alpha institute"],
            "publisher:\"Alpha Institute\"",
        ),
        (&["--author", "Ann Author"], "author:\"ann author\""),
        (&["--tag", "prc"], "tag:prc"),
        (&["--kind", "investigation"], "kind:investigation"),
        (&["--type", "md"], "type:md"),
        (&["--lang", "en"], "lang:English"),
        (&["--since", "2020"], "since:2020"),
        (&["--until", "2020-07"], "until:2020-07"),
        (
            &["--since", "2020-11", "--until", "2020-11"],
            "date:2020-11",
        ),
        (&["--path", "reports/*.md"], "path:\"reports/*.md\""),
        (&["--path", "tie-?.md"], "path:tie-?.md"),
    ];
    for (flags, syntax) in pairs {
        let mut with_flags = flags.to_vec();
        with_flags.push(ANY);
        let by_flags = sorted(paths(&ws, &with_flags));
        let by_syntax = sorted(paths(&ws, &[&format!("{syntax} ({ANY})")]));
        assert!(!by_flags.is_empty(), "{flags:?} matched nothing");
        assert_eq!(by_flags, by_syntax, "{flags:?} vs {syntax}");
    }
    // Known answers.
    assert_eq!(
        sorted(paths(&ws, &["--publisher", "alpha institute", ANY])),
        ["corpus/alpha.md", "corpus/reports/delta.md"]
    );
    assert_eq!(
        sorted(paths(
            &ws,
            &["--since", "2020-07", "--until", "2021-01", ANY]
        )),
        ["corpus/beta.md", "corpus/gamma.md", "corpus/tie-b.md"]
    );
    // Undated documents never pass a date filter.
    assert!(!paths(&ws, &["--until", "2030", ANY]).contains(&"corpus/reports/delta.md".into()));
    assert_eq!(paths(&ws, &["--path", "*.md", "-n", "50", ANY]).len(), 6);
    assert!(paths(&ws, &["--path", "nothing/*.pdf", ANY]).is_empty());
    // A filter narrows without changing scores.
    let all = search_json(&ws, &["--per-doc", "0", "-n", "50", "slogan"]);
    let alpha = search_json(&ws, &["publisher:alpha", "slogan"]);
    for h in &alpha {
        let same = all
            .iter()
            .find(|a| a["passage_id"] == h["passage_id"])
            .unwrap();
        assert_eq!(same["score"], h["score"]);
    }
    // Excluding words still works beside a filter.
    assert_eq!(
        paths(&ws, &["publisher:alpha -harmony"]),
        ["corpus/reports/delta.md"]
    );
    let run = ws.run(&["search", "--path", "[unclosed", "x"]).expect(2);
    assert!(
        run.stderr().contains("not a path pattern"),
        "{}",
        run.describe()
    );
}

#[test]
fn phrases_proximity_prefix_fuzzy_and_all() {
    let ws = fixture();
    // Exact phrase: only the memo names the Rapid Alert System.
    assert_eq!(
        paths(&ws, &["\"rapid alert system\""]),
        ["corpus/reports/delta.md"]
    );
    // An exact phrase ranks above the same words scattered: the memo's passage holds both, so
    // compare against a document with the words only scattered.
    ws.write(
        "corpus/scattered.md",
        "# Scattered\n\nA rapid reply went out; later an alert came; the system held. Words here keep the three apart so that no phrase forms from them in this short file at all, and it has enough words to be a passage of its own.\n",
    );
    ws.run(&["index"]).expect(0);
    let ranked = paths(&ws, &["rapid alert system"]);
    assert_eq!(ranked[0], "corpus/reports/delta.md", "{ranked:?}");
    assert!(ranked.contains(&"corpus/scattered.md".to_string()));
    // Proximity: "harmony ... platforms" are 8 words apart in alpha.
    assert!(paths(&ws, &["\"harmony platforms\"~3"]).is_empty());
    assert_eq!(
        sorted(paths(&ws, &["\"harmony platforms\"~10"])),
        ["corpus/alpha.md", "corpus/beta.md"]
    );
    // Prefix, and fuzzy words one or two edits away.
    assert_eq!(
        sorted(paths(&ws, &["harmo*"])),
        ["corpus/alpha.md", "corpus/beta.md"]
    );
    assert_eq!(
        sorted(paths(&ws, &["hramony~1"])),
        ["corpus/alpha.md", "corpus/beta.md"]
    );
    assert!(paths(&ws, &["hrmny~1"]).is_empty());
    // Words of up to five letters allow one edit at most.
    assert!(paths(&ws, &["hrmny~2"]).is_empty());
    assert!(paths(&ws, &["pltfrm~1"]).is_empty());
    assert_eq!(
        sorted(paths(&ws, &["pltfrm~2"])),
        ["corpus/alpha.md", "corpus/beta.md", "corpus/gamma.md"]
    );
    // Matches of expanded words are highlighted.
    let hit = &search_json(&ws, &["harmo*"])[0];
    let text: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
    let r = &hit["highlights"][0];
    let word: String = text[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize]
        .iter()
        .collect();
    assert_eq!(word.to_lowercase(), "harmony");
    // --all requires every word.
    assert!(paths(&ws, &["harmony", "identical"]).len() >= 3);
    assert!(paths(&ws, &["--all", "harmony", "identical"]).is_empty());
    assert_eq!(
        sorted(paths(&ws, &["--all", "harmony", "night"])),
        ["corpus/alpha.md", "corpus/beta.md"]
    );
}

#[test]
fn grouping_by_document() {
    let ws = fixture();
    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--group",
            "doc",
            "--no-collapse",
            "slogan",
        ])
        .expect(0);
    // (gamma's log lines repeat: collapsed, they would be one passage naming the others)
    let v = run.json();
    assert_eq!(v["format_version"], 1);
    let docs = v["documents"].as_array().unwrap();
    let ids: Vec<&str> = docs.iter().map(|d| d["doc_id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "one entry per document");
    assert_eq!(docs[0]["path"], "corpus/alpha.md");
    let gamma = docs
        .iter()
        .find(|d| d["path"] == "corpus/gamma.md")
        .unwrap();
    assert!(gamma["matches"].as_u64().unwrap() > 3, "{gamma}");
    assert_eq!(
        gamma["passages"].as_array().unwrap().len(),
        3,
        "default --per-doc 3"
    );
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(d["rank"], i + 1);
        assert_eq!(d["score"], d["passages"][0]["score"]);
        assert!(
            d["cite"]
                .as_str()
                .unwrap()
                .contains(d["path"].as_str().unwrap())
                || d["url"].is_string()
        );
    }
    let one = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--group",
            "doc",
            "--per-doc",
            "1",
            "-n",
            "1",
            "--offset",
            "1",
            "--no-collapse",
            "slogan",
        ])
        .expect(0)
        .json();
    assert_eq!(one["documents"][0]["doc_id"], docs[1]["doc_id"]);
    assert_eq!(one["documents"][0]["rank"], 2);
    assert_eq!(one["documents"][0]["passages"].as_array().unwrap().len(), 1);
    // CSV parses back with one row per document.
    let csv_out = ws
        .run(&[
            "search",
            "--format",
            "csv",
            "--group",
            "doc",
            "--no-collapse",
            "slogan",
        ])
        .expect(0)
        .stdout();
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "rank");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), docs.len());
    let col = headers.iter().position(|h| h == "passage_ids").unwrap();
    assert_eq!(
        rows.iter().find(|r| &r[3] == "corpus/gamma.md").unwrap()[col]
            .split("; ")
            .count(),
        3
    );
    // Text output names each document once.
    let text = ws
        .run(&["search", "--group", "doc", "--no-collapse", "slogan"])
        .expect(0)
        .stdout();
    assert_eq!(text.matches("Gamma daily log").count(), 1, "{text}");
    assert!(text.contains("matching passages"), "{text}");
}

#[test]
fn counts_facets_and_timelines() {
    let ws = fixture();
    let all = search_json(
        &ws,
        &["--per-doc", "0", "-n", "100", "--no-collapse", "slogan"],
    );
    let docs = sorted(
        all.iter()
            .map(|h| h["doc_id"].as_str().unwrap().to_string())
            .collect(),
    );
    let v = ws
        .run(&["search", "--count", "--format", "json", "slogan"])
        .expect(0)
        .json();
    assert_eq!(v["passages"], all.len());
    assert_eq!(v["documents"], docs.len());
    let text = ws.run(&["search", "--count", "slogan"]).expect(0).stdout();
    assert!(
        text.contains(&format!(
            "{} matching passages in {} documents",
            all.len(),
            docs.len()
        )),
        "{text}"
    );
    ws.run(&["search", "--count", "xylophone"]).expect(1);

    // Facets count passages and documents per value; documents without one are "missing".
    let v = ws
        .run(&[
            "search",
            "--facet",
            "publisher,year",
            "--facet",
            "tag",
            "--format",
            "json",
            ANY,
        ])
        .expect(0)
        .json();
    let publishers = &v["facets"]["publisher"]["values"];
    let alpha = publishers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["value"] == "Alpha Institute")
        .unwrap();
    assert_eq!(alpha["documents"], 2);
    assert_eq!(
        v["facets"]["publisher"]["missing"]["documents"], 2,
        "the tie files"
    );
    assert_eq!(
        publishers[0]["value"], "Alpha Institute",
        "most documents first"
    );
    let years: Vec<(&str, u64)> = v["facets"]["year"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| {
            (
                y["value"].as_str().unwrap(),
                y["documents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        years.contains(&("2020", 2))
            && years.contains(&("2021", 2))
            && years.contains(&("2019", 1)),
        "{years:?}"
    );
    assert_eq!(
        v["facets"]["year"]["missing"]["documents"], 1,
        "delta is undated"
    );
    let tags = &v["facets"]["tag"]["values"];
    assert!(tags
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["value"] == "prc" && t["documents"] == 1));

    // Timelines list every period, empty ones included, and count undated matches apart.
    let v = ws
        .run(&["search", "--timeline", "--format", "json", ANY])
        .expect(0)
        .json();
    let t = &v["timeline"];
    assert_eq!(t["by"], "year");
    let periods: Vec<(&str, u64)> = t["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["period"].as_str().unwrap(),
                b["documents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(periods, [("2019", 1), ("2020", 2), ("2021", 2)]);
    assert_eq!(t["undated"]["documents"], 1);
    let v = ws
        .run(&[
            "search",
            "--timeline",
            "--by",
            "month",
            "--format",
            "json",
            "--since",
            "2020-06",
            ANY,
        ])
        .expect(0)
        .json();
    let months: Vec<&str> = v["timeline"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["period"].as_str().unwrap())
        .collect();
    assert_eq!(months.first(), Some(&"2020-07"));
    assert_eq!(months.last(), Some(&"2021-03"));
    assert_eq!(months.len(), 9, "{months:?}");
    // The same as CSV, parsed back; and as a bar chart.
    let out = ws
        .run(&["search", "--timeline", "--format", "csv", ANY])
        .expect(0)
        .stdout();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["kind", "facet", "value", "passages", "documents"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows
        .iter()
        .any(|r| &r[0] == "period" && &r[2] == "2020" && &r[4] == "2"));
    assert!(rows.iter().any(|r| &r[0] == "undated" && &r[4] == "1"));
    let chart = ws.run(&["search", "--timeline", ANY]).expect(0).stdout();
    assert!(chart.contains("2020") && chart.contains('█'), "{chart}");
    // The other facets.
    let v = ws
        .run(&[
            "search",
            "--facet",
            "author,kind,lang,type",
            "--format",
            "json",
            ANY,
        ])
        .expect(0)
        .json();
    let values = |facet: &str| -> Vec<(String, u64)> {
        v["facets"][facet]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["value"].as_str().unwrap().to_string(),
                    x["documents"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(values("author"), [("Ann Author".to_string(), 1)]);
    assert!(values("kind").contains(&("investigation".to_string(), 1)));
    assert_eq!(values("lang"), [("en".to_string(), 6)]);
    assert_eq!(values("format"), [("markdown".to_string(), 6)]);
    let run = ws.run(&["search", "--facet", "colour", "x"]).expect(2);
    assert!(run.stderr().contains("unknown facet"), "{}", run.describe());
}

#[test]
fn similar_follows_a_talking_point_into_other_documents() {
    let ws = fixture();
    let source = &search_json(&ws, &["harmony", "alpha"])[0];
    assert_eq!(source["path"], "corpus/alpha.md");
    let id = source["passage_id"].as_str().unwrap();
    let run = ws.run(&["similar", "--format", "json", id]).expect(0);
    let similar = hits(&run);
    assert_eq!(
        similar[0]["path"], "corpus/beta.md",
        "the reworded near-duplicate first"
    );
    assert!(
        similar.iter().all(|h| h["doc_id"] != source["doc_id"]),
        "never its own document"
    );
    let top = similar[0]["score"].as_f64().unwrap();
    assert!(top > 0.5 && top <= 1.01, "relative score {top}");
    assert!(!similar[0]["highlights"].as_array().unwrap().is_empty());
    // --min-score keeps only strong matches; filters apply.
    let strong = hits(
        &ws.run(&["similar", "--format", "json", "--min-score", "0.9", id])
            .expect(0),
    );
    assert!(strong.iter().all(|h| h["score"].as_f64().unwrap() >= 0.9));
    assert!(strong.len() < similar.len());
    ws.run(&["similar", "--min-score", "1.5", id]).expect(1);
    let filtered = hits(
        &ws.run(&["similar", "--format", "json", "--publisher", "gamma", id])
            .expect(0),
    );
    assert!(filtered.iter().all(|h| h["path"] == "corpus/gamma.md"));
    let run = ws.run(&["similar", "0000000000000000-9"]).expect(2);
    assert!(
        run.stderr().starts_with("quarry: no passage with id"),
        "{}",
        run.describe()
    );
}

#[test]
fn output_fields_formats_context_explain_and_cite() {
    let ws = fixture();
    // --fields picks and orders JSON keys and CSV/TSV columns.
    let h = &search_json(&ws, &["--fields", "cite,rank,page", "harmony"])[0];
    let keys: Vec<&String> = h.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["cite", "rank", "page"]);
    let rows = tsv(&ws
        .run(&[
            "search",
            "--format",
            "tsv",
            "--fields",
            "rank,path,title,snippet",
            "slogan",
        ])
        .expect(0));
    assert_eq!(rows[0], ["rank", "path", "title", "snippet"]);
    assert!(
        rows[1..].iter().all(|r| r.len() == 4),
        "no tabs or newlines leak into cells"
    );
    assert_eq!(rows[1][1], "corpus/alpha.md");
    let run = ws
        .run(&["search", "--fields", "rank,colour", "x"])
        .expect(2);
    assert!(
        run.stderr().contains("unknown field 'colour'"),
        "{}",
        run.describe()
    );
    // The default TSV and CSV carry the same columns, and CSV parses back.
    let tsv_rows = tsv(&ws.run(&["search", "--format", "tsv", "slogan"]).expect(0));
    let csv_out = ws
        .run(&["search", "--format", "csv", "slogan"])
        .expect(0)
        .stdout();
    let mut reader = csv::Reader::from_reader(csv_out.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, tsv_rows[0]);
    assert_eq!(
        header[header.len() - 4..],
        ["cite", "also_in", "ocr", "ocr_confidence"].map(String::from)
    );
    assert_eq!(reader.records().count(), tsv_rows.len() - 1);

    // --snippet-chars bounds the snippet (plus the ellipses that mark cuts).
    for h in search_json(&ws, &["--snippet-chars", "60", "slogan"]) {
        let n = h["snippet"].as_str().unwrap().chars().count();
        assert!(n <= 62, "{n}: {}", h["snippet"]);
    }
    // cite: ready to paste, and --format cite prints one per hit.
    let hit = &search_json(&ws, &["harmony"])[0];
    assert_eq!(
        hit["cite"],
        "Ann Author, \"Alpha report on a slogan network\", Alpha Institute, 2019-03-10, § Alpha report. https://example.org/alpha"
    );
    let cites = ws
        .run(&[
            "search",
            "--format",
            "cite",
            "--per-doc",
            "1",
            "--no-collapse",
            "harmony",
        ])
        .expect(0)
        .stdout();
    assert_eq!(cites.lines().next(), hit["cite"].as_str());
    assert_eq!(cites.lines().count(), 2);

    // --context gives neighbouring passages in document order.
    let gamma = search_json(
        &ws,
        &["--context", "1", "--per-doc", "0", "-n", "50", "slogan"],
    );
    let mid = gamma
        .iter()
        .find(|h| h["path"] == "corpus/gamma.md" && h["ordinal"].as_u64().unwrap() > 0)
        .unwrap();
    let ord = mid["ordinal"].as_u64().unwrap();
    assert_eq!(mid["context_before"][0]["ordinal"], ord - 1);
    let after = mid["context_after"].as_array().unwrap();
    assert!(after.len() <= 1);
    if let Some(a) = after.first() {
        assert_eq!(a["ordinal"], ord + 1);
    }
    assert!(search_json(&ws, &["slogan"])[0]
        .get("context_before")
        .is_none());

    // --explain: term contributions that add up to the score (no proximity bonus for one word).
    let e = &search_json(&ws, &["--explain", "harmony"])[0];
    let terms = e["explain"]["terms"].as_array().unwrap();
    assert!(
        terms
            .iter()
            .any(|t| t["term"] == "harmoni" && t["field"] == "text"),
        "{e}"
    );
    let sum: f64 = terms.iter().map(|t| t["score"].as_f64().unwrap()).sum();
    assert!(
        (sum - e["score"].as_f64().unwrap()).abs() < 1e-3,
        "{sum} vs {}",
        e["score"]
    );
    let text = ws
        .run(&["search", "--explain", "-n", "1", "harmony"])
        .expect(0)
        .stdout();
    assert!(
        text.contains("score ") && text.contains("text:harmoni"),
        "{text}"
    );
}

#[test]
fn paging_neither_skips_nor_repeats_and_ties_break_by_path() {
    let ws = fixture();
    for per_doc in ["0", "2"] {
        let full: Vec<Value> = search_json(&ws, &["--per-doc", per_doc, "-n", "100", ANY]);
        assert!(full.len() >= 5, "{}", full.len());
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = search_json(
                &ws,
                &[
                    "--per-doc",
                    per_doc,
                    "-n",
                    "3",
                    "--offset",
                    &offset.to_string(),
                    ANY,
                ],
            );
            if page.is_empty() {
                break;
            }
            for (i, h) in page.iter().enumerate() {
                assert_eq!(h["rank"], offset + i + 1);
            }
            offset += page.len();
            paged.extend(page);
        }
        let ids = |v: &[Value]| -> Vec<String> {
            v.iter()
                .map(|h| h["passage_id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&paged), ids(&full), "--per-doc {per_doc}");
    }
    // Identical scores are ordered by path, on every run.
    let ties = paths(&ws, &["\"tie breaker\""]);
    assert_eq!(ties, ["corpus/tie-a.md", "corpus/tie-b.md"]);
    // Collapsed, the copy with the first path is shown and names the other.
    let tie = search_json(&ws, &["\"tie breaker\""]);
    assert_eq!(tie.len(), 1);
    assert_eq!(tie[0]["path"], "corpus/tie-a.md");
    assert_eq!(tie[0]["also_in"][0]["path"], "corpus/tie-b.md");
    let once = ws
        .run(&["search", "--format", "json", "-n", "50", ANY])
        .expect(0)
        .stdout();
    ws.run(&["index"]).expect(0);
    let again = ws
        .run(&["search", "--format", "json", "-n", "50", ANY])
        .expect(0)
        .stdout();
    assert_eq!(once, again);
}

#[test]
fn stop_words_repeated_words_and_feedback_in_ranking() {
    let ws = fixture();
    // The best hit's text and the terms that scored in it.
    let terms = |args: &[&str]| -> (String, Vec<String>) {
        let mut all = vec!["--explain", "-n", "1"];
        all.extend_from_slice(args);
        let hit = search_json(&ws, &all)[0].clone();
        let terms = hit["explain"]["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["term"].as_str().unwrap().to_string())
            .collect();
        (hit["text"].as_str().unwrap().to_lowercase(), terms)
    };
    // A question's stop words do not score, but the phrase query still matches them, and a
    // query of stop words alone still searches for them.
    let (text, asked) = terms(&["--feedback", "never", "what is the rapid alert system?"]);
    assert!(text.contains(" the ") && text.contains(" what "), "{text}");
    assert!(asked.iter().all(|t| t != "the" && t != "what"), "{asked:?}");
    assert!(asked.iter().any(|t| t == "rapid"), "{asked:?}");
    assert_eq!(
        paths(&ws, &["what is the rapid alert system?"])[0],
        "corpus/reports/delta.md"
    );
    assert!(!search_json(&ws, &["\"the rapid alert system\""]).is_empty());
    assert!(terms(&["the"]).1.iter().any(|t| t == "the"));

    // A word typed twice counts twice.
    let score = |args: &[&str]| -> f64 {
        let mut all = vec!["-n", "1", "--feedback", "never"];
        all.extend_from_slice(args);
        search_json(&ws, &all)[0]["score"].as_f64().unwrap()
    };
    let once = score(&["harmony"]);
    let twice = score(&["harmony harmony"]);
    assert!((twice - 2.0 * once).abs() < 1e-3 * once, "{once} {twice}");

    // Feedback re-ranks a long query but never changes which passages match.
    let long = "slogan harmony strength networks spread";
    let all_hits = |feedback: &str| -> (Vec<String>, Vec<f64>) {
        let hits = search_json(
            &ws,
            &["-n", "1000", "--per-doc", "0", "--feedback", feedback, long],
        );
        let mut ids: Vec<String> = hits
            .iter()
            .map(|h| h["passage_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        (
            ids,
            hits.iter().map(|h| h["score"].as_f64().unwrap()).collect(),
        )
    };
    let (with, with_scores) = all_hits("always");
    let (without, without_scores) = all_hits("never");
    assert_eq!(with, without);
    assert_ne!(with_scores, without_scores, "feedback did not apply");
    // By default a list of passages is ranked without it; documents (--group doc) with it.
    assert_eq!(all_hits("auto").1, without_scores);
    let documents = |feedback: &str| {
        ws.run(&[
            "search",
            "--format",
            "json",
            "--group",
            "doc",
            "--feedback",
            feedback,
            long,
        ])
        .expect(0)
        .json()["documents"]
            .clone()
    };
    assert_eq!(documents("auto"), documents("always"));
    let total = |feedback: &str| {
        ws.run(&["search", "--format", "json", "--feedback", feedback, long])
            .expect(0)
            .json()["total"]
            .clone()
    };
    assert_eq!(total("always"), total("never"));
    // Short queries are left alone by default.
    assert_eq!(
        search_json(&ws, &["harmony strength"]),
        search_json(&ws, &["--feedback", "never", "harmony strength"])
    );
}

#[test]
fn a_query_of_stop_words_alone_searches_them_in_every_language() {
    // English notes beside German and French ones: "the" is an English stop word but no German
    // or French one; alone, it must still find the English passages.
    let ws = Workspace::empty();
    ws.write(
        "corpus/en.md",
        "---\ntitle: English note\nlang: en\n---\n\nThe campaign used the same accounts as the year before.\n",
    );
    ws.write(
        "corpus/en2.md",
        "---\ntitle: Second note\nlang: en\n---\n\nNetworks amplified the hashtag overnight.\n",
    );
    ws.write(
        "corpus/de.md",
        "---\ntitle: Deutsche Notiz\nlang: de\n---\n\nDie Kampagne nutzte dieselben Konten wie im Vorjahr.\n",
    );
    ws.write(
        "corpus/fr.md",
        "---\ntitle: Note française\nlang: fr\n---\n\nLa campagne a utilisé les mêmes comptes que l'année précédente.\n",
    );
    // Records in German and Russian beside them.
    ws.write(
        "corpus/posts.csv",
        "text,lang\nDie Wahl war nicht frei,de\nВыборы прошли под давлением,ru\nThe vote was not free,en\n",
    );
    ws.run(&["index"]).expect(0);
    let total = |q: &str| {
        ws.run(&["search", "--format", "json", q]).json()["total"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(total("the"), 3, "both English notes and the English post");
    assert_eq!(total("the"), total("text:the"));
    assert_eq!(
        sorted(paths(&ws, &["the"])),
        ["corpus/en.md", "corpus/en2.md", "corpus/posts.csv"]
    );
    // A Russian stop word alone, in the Russian post.
    assert_eq!(paths(&ws, &["под"]), ["corpus/posts.csv"]);
    // With another word, "the" still does not score in English.
    assert_eq!(paths(&ws, &["the hashtag"])[0], "corpus/en2.md");
    // A German stop word alone is searched too.
    assert_eq!(
        sorted(paths(&ws, &["die"])),
        ["corpus/de.md", "corpus/posts.csv"]
    );
}

#[test]
fn extra_fields_filter_and_count() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/ads.csv",
        "ad_text,region,post_type,spend_usd\n\
         Join the rally downtown,Texas,image,120\n\
         The rally moves to the river,texas,video,80\n\
         Rally for the candidate,Ohio,image,NA\n\
         A quiet week,Ohio,text,5\n",
    );
    ws.run(&["index"]).expect(0);
    let total = |args: &[&str]| -> u64 {
        let mut all = vec!["search", "--format", "json"];
        all.extend_from_slice(args);
        ws.run(&all).json()["total"].as_u64().unwrap_or(0)
    };
    assert_eq!(total(&["rally"]), 3);
    assert_eq!(total(&["extra.region:Texas rally"]), 2, "case ignored");
    assert_eq!(total(&["--extra", "region=ohio", "rally"]), 1);
    assert_eq!(total(&["extra.post_type:image AND extra.region:ohio"]), 1);
    assert_eq!(total(&["rally -extra.region:texas"]), 1);
    // A filter never scores: the same order with or without it.
    let plain = sorted(paths(&ws, &["rally"]));
    assert_eq!(plain, ["corpus/ads.csv"]);

    let run = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--facet",
            "extra.region,extra.spend_usd",
            "rally",
        ])
        .expect(0);
    let json = run.json();
    let facets = &json["facets"];
    let region = &facets["extra.region"];
    let values: Vec<(String, u64)> = region["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["value"].as_str().unwrap().to_string(),
                v["documents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        values,
        [
            ("Ohio".to_string(), 1),
            ("Texas".to_string(), 1),
            ("texas".to_string(), 1)
        ]
    );
    // NA is no value: one rally ad has no spend.
    assert_eq!(facets["extra.spend_usd"]["missing"]["documents"], 1);
    let run = ws.run(&["search", "--facet", "extra.", "x"]).expect(2);
    assert!(run.stderr().contains("unknown facet"), "{}", run.describe());
}

#[test]
fn a_short_row_does_not_outrank_a_full_passage_holding_every_query_word() {
    // Six 150-word notes and a harbour log that names the lighthouse keeper once, beside
    // thirteen five-word rows, one of which mentions the lighthouse. Without the length floor
    // the row's five words win (docs/ranking.md, "Tiny passages").
    let ws = Workspace::empty();
    let filler = "harbour ferry council report season winter storm road bridge market school \
                  clinic river station port ship crew cargo weather tide boat dock pier town \
                  village coast beach cliff north south east west morning evening night week";
    let words: Vec<&str> = filler.split_whitespace().collect();
    let text = |n: usize, start: usize| -> Vec<String> {
        (0..n)
            .map(|i| words[(start + i * 7) % words.len()].to_string())
            .collect()
    };
    for i in 0..6 {
        ws.write(
            &format!("corpus/note{i}.md"),
            &format!("# Note {i}\n\n{}.\n", text(150, i).join(" ")),
        );
    }
    let mut log = text(148, 11);
    log.insert(40, "lighthouse".into());
    log.insert(100, "keeper".into());
    ws.write(
        "corpus/log.md",
        &format!("# Harbour log\n\n{}.\n", log.join(" ")),
    );
    let mut rows = String::from("id,text\n");
    for i in 0..12 {
        rows.push_str(&format!("{i},{}\n", text(5, 3 * i).join(" ")));
    }
    rows.push_str("99,Lighthouse photo shared again today\n");
    ws.write("corpus/rows.csv", &rows);
    ws.run(&["index"]).expect(0);
    let found = search_json(&ws, &["lighthouse keeper"]);
    assert_eq!(found[0]["path"], "corpus/log.md", "{found:#?}");
    assert_eq!(found[1]["path"], "corpus/rows.csv");
    // The row's title is the start of its text: it is shown, and does not score twice.
    assert_eq!(found[1]["title"], "Lighthouse photo shared again today");
    let explained = search_json(&ws, &["--explain", "lighthouse keeper"]);
    let row = &explained[1]["explain"];
    assert!(
        row["terms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["field"] != "title"),
        "{row}"
    );
    let factor = row["length_factor"].as_f64().unwrap();
    assert!(factor < 1.0, "{row}");
    assert_eq!(explained[0]["explain"]["length_factor"], 1.0);
}

#[test]
fn words_of_neighbouring_passages_rerank_but_never_add_hits() {
    // Two notes hold the same answer passage (copies, so shown apart with --no-collapse); in
    // one, the passage before names the workshop the question asks about.
    let ws = Workspace::empty();
    let filler = |topic: &str| -> String {
        (0..9)
            .map(|i| format!("The {topic} note records item {i} of the season in plain words."))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let answer = "Of all the countermeasures reviewed, fifty-three were judged largely \
                  unproblematic by the reviewers after a long discussion of each of them.";
    ws.write(
        "corpus/workshop.md",
        &format!(
            "# Review\n\n{} The blue workshop met for two days.\n\n{answer} {}\n",
            filler("harbour"),
            filler("ferry")
        ),
    );
    ws.write(
        "corpus/other.md",
        &format!(
            "# Review\n\n{} The town council met for two days.\n\n{answer} {}\n",
            filler("harbour"),
            filler("ferry")
        ),
    );
    ws.run(&["index"]).expect(0);
    let found = search_json(
        &ws,
        &[
            "--per-doc",
            "0",
            "--no-collapse",
            "blue workshop countermeasures",
        ],
    );
    let answers: Vec<&Value> = found
        .iter()
        .filter(|h| h["text"].as_str().unwrap().contains("fifty-three"))
        .collect();
    assert_eq!(answers.len(), 2, "{found:#?}");
    assert_eq!(answers[0]["path"], "corpus/workshop.md", "{found:#?}");
    assert!(answers[0]["score"].as_f64() > answers[1]["score"].as_f64());
    let explained = search_json(
        &ws,
        &[
            "--explain",
            "--no-collapse",
            "--per-doc",
            "0",
            "blue workshop countermeasures",
        ],
    );
    let terms = explained
        .iter()
        .find(|h| {
            h["path"] == "corpus/workshop.md" && h["text"].as_str().unwrap().contains("fifty-three")
        })
        .map(|h| h["explain"]["terms"].clone())
        .unwrap();
    assert!(
        terms
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["field"] == "context" && t["term"] == "workshop"),
        "{terms}"
    );
    // A word the query excludes earns nothing around a passage: only plain queries use context.
    let excluded = search_json(
        &ws,
        &[
            "--explain",
            "--no-collapse",
            "--per-doc",
            "0",
            "countermeasures -workshop",
        ],
    );
    assert_eq!(excluded.len(), 2, "{excluded:#?}");
    for h in &excluded {
        let terms = h["explain"]["terms"].as_array().unwrap();
        assert!(terms.iter().all(|t| t["field"] != "context"), "{terms:?}");
    }
    // A word found only around a passage never makes it a hit.
    let blue = search_json(&ws, &["--per-doc", "0", "blue"]);
    assert!(
        blue.iter()
            .all(|h| h["text"].as_str().unwrap().contains("blue")),
        "{blue:#?}"
    );
    let count = ws
        .run(&["search", "--count", "--format", "json", "blue"])
        .expect(0)
        .json();
    assert_eq!(count["passages"], blue.len());
}

#[test]
fn hashes_and_long_words_are_found() {
    // A SHA-256 from a threat report, a German compound and a long Russian word: all over the
    // 40 bytes that were once the limit of a token.
    let ws = Workspace::empty();
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let german = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz";
    let russian = "человеконенавистничество";
    ws.write(
        "corpus/iocs.md",
        &format!("# Indicators\n\nThe loader's hash was {sha}.\n"),
    );
    ws.write(
        "corpus/de.md",
        &format!("---\nlang: de\n---\n\n# Gesetz\n\nDas {german} wurde 2013 aufgehoben.\n"),
    );
    ws.write(
        "corpus/ru.md",
        &format!("# Заметка\n\nВ статье говорится о {russian} в сетях.\n"),
    );
    ws.run(&["index"]).expect(0);
    for (word, path) in [
        (sha, "corpus/iocs.md"),
        (german, "corpus/de.md"),
        (russian, "corpus/ru.md"),
    ] {
        let found = search_json(&ws, &[word]);
        assert_eq!(found.len(), 1, "{word}: {found:#?}");
        assert_eq!(found[0]["path"], path);
    }
}

/// A query of plain words scores every match by its words alone, then re-scores the best
/// `RERANK_DEPTH` (100) by the whole query (proximity, context, length floor); a filter makes
/// every match scored by the whole query. On the bundled corpus, where these words match far
/// more than 200 passages, both give the same first pages, scores and totals.
#[test]
fn reranking_the_words_best_passages_gives_the_page_of_scoring_every_match() {
    let ws = Workspace::empty();
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    crate::common::copy_dir(&corpus, &ws.path("corpus"));
    ws.run(&["index"]).expect(0);
    for q in [
        "state media accounts campaign",
        "influence network platform report",
        "campaign accounts platform report",
        "state report",
    ] {
        let page = |extra: &[&str]| -> (Vec<(String, f64)>, u64) {
            let mut args = vec!["search", "--format", "json", "--limit", "20", q];
            args.extend_from_slice(extra);
            let v = ws.run(&args).expect(0).json();
            let hits = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h["passage_id"].as_str().unwrap().to_string(),
                        h["score"].as_f64().unwrap(),
                    )
                })
                .collect();
            (hits, v["total"].as_u64().unwrap())
        };
        let (reranked, total) = page(&[]);
        let (scored, all) = page(&["--path", "**"]);
        assert!(total > 200, "{q}: only {total} matches, nothing to re-rank");
        assert_eq!(total, all, "{q}");
        assert_eq!(reranked, scored, "{q}");
    }
}
