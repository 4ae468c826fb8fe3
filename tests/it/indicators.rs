//! Indicators: domains, URLs, addresses, handles, hashtags, Telegram channels and hashes found
//! in passages (defanged or plain, international, in any script), checked exactly through
//! facets, filters, each hit's JSON and `quarry indicators`.

use crate::common::{hits, Workspace};
use serde_json::Value;

/// Two notes and a CSV of posts, written for these tests (and `serve`'s).
pub(crate) fn corpus() -> Workspace {
    let ws = Workspace::empty();
    ws.write(
        "corpus/clones.md",
        "---\ntitle: Cloned outlets\npublisher: Fixture Lab\ndate: 2023-05-02\n---\n\n\
         The network mirrored spiegel[.]ltd and hxxps://www.bild[.]work/politik/artikel-1, and \
         later https://news.example.co.uk/world. Contact: press@rrn[.]world, or @rrn_world on \
         the platform. It pushed #StopNATO and #выборы and #新疆棉花 and relayed t.me/rybar.\n",
    );
    ws.write(
        "corpus/followup.md",
        "---\ntitle: Follow-up\npublisher: Other Desk\ndate: 2024-01-15\n---\n\n\
         A year on, the clone at spiegel.ltd was still up; a sample hashed \
         44d88612fea8a8f36de82e1278abb02f was shared on https://t.me/s/Readovka67/120 with \
         #выборы again. Reports to tips@example.org.\n",
    );
    ws.write(
        "corpus/posts.csv",
        "id,text,links\n1,Read this report now,https://пример.рф/статья\n2,Nothing here,\n",
    );
    ws.run(&["index"]).expect(0);
    ws
}

fn json(ws: &Workspace, args: &[&str]) -> Value {
    let run = ws.run(args).expect(0);
    serde_json::from_str(&run.stdout()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_hit_carries_the_indicators_of_its_passage() {
    let ws = corpus();
    let run = ws
        .run(&["search", "--format", "json", "network mirrored"])
        .expect(0);
    let found = &hits(&run)[0]["indicators"];
    assert_eq!(
        strings(&found["domain"]),
        [
            "bild.work",
            "example.co.uk",
            "rrn.world",
            "spiegel.ltd",
            "t.me"
        ]
    );
    assert_eq!(
        strings(&found["url"]),
        [
            "https://news.example.co.uk/world",
            "https://t.me/rybar",
            "https://www.bild.work/politik/artikel-1"
        ]
    );
    assert_eq!(strings(&found["email"]), ["press@rrn.world"]);
    assert_eq!(strings(&found["handle"]), ["@rrn_world"]);
    assert_eq!(
        strings(&found["hashtag"]),
        ["#stopnato", "#выборы", "#新疆棉花"]
    );
    assert_eq!(strings(&found["channel"]), ["rybar"]);
    assert!(found.get("hash").is_none(), "{found}");
    // Text output lists them under the snippet.
    let run = ws
        .run(&["search", "--color", "never", "network mirrored"])
        .expect(0);
    assert!(
        run.stdout().contains(
            "domain bild.work, example.co.uk, rrn.world, spiegel.ltd, t.me · email press@rrn.world · \
             handle @rrn_world · hashtag #stopnato, #выборы, #新疆棉花 · channel rybar"
        ),
        "{}",
        run.describe()
    );
    // A record's other fields count too: an international domain in a links column.
    let run = ws
        .run(&["search", "--format", "json", "read this report"])
        .expect(0);
    assert_eq!(
        strings(&hits(&run)[0]["indicators"]["domain"]),
        ["пример.рф"]
    );
}

#[test]
fn indicators_filter_as_query_fields_and_flags() {
    let ws = corpus();
    let paths = |args: &[&str]| -> Vec<String> {
        let mut args = args.to_vec();
        args.splice(0..0, ["search", "--format", "json", "--no-collapse"]);
        let mut p: Vec<String> = hits(&ws.run(&args).expect(0))
            .iter()
            .map(|h| h["path"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p.dedup();
        p
    };
    // A domain found plain in one note and defanged in the other; a subdomain or URL finds it.
    assert_eq!(
        paths(&["domain:spiegel.ltd"]),
        ["corpus/clones.md", "corpus/followup.md"]
    );
    assert_eq!(
        paths(&["--domain", "https://www.Spiegel.ltd/x", "still"]),
        ["corpus/followup.md"]
    );
    assert_eq!(paths(&["domain:example.co.uk"]), ["corpus/clones.md"]);
    assert_eq!(
        paths(&["hashtag:выборы"]),
        ["corpus/clones.md", "corpus/followup.md"]
    );
    assert_eq!(
        paths(&["--hashtag", "#新疆棉花", "pushed"]),
        ["corpus/clones.md"]
    );
    assert_eq!(paths(&["handle:@RRN_world"]), ["corpus/clones.md"]);
    assert_eq!(paths(&["channel:readovka67"]), ["corpus/followup.md"]);
    assert_eq!(
        paths(&["--channel", "t.me/rybar", "relayed"]),
        ["corpus/clones.md"]
    );
    assert_eq!(paths(&["email:PRESS@rrn.world"]), ["corpus/clones.md"]);
    assert_eq!(
        paths(&["hash:44D88612FEA8A8F36DE82E1278ABB02F"]),
        ["corpus/followup.md"]
    );
    // Nothing named: exit 1; not a domain: exit 2 naming it.
    ws.run(&["search", "domain:absent.org"]).expect(1);
    // URLs are shown, not indexed: a filter on one says how to find it.
    let run = ws.run(&["search", "url:\"https://t.me/rybar\""]).expect(2);
    assert!(run.stderr().contains("domain:"), "{}", run.describe());
    let run = ws.run(&["search", "domain:notadomain"]).expect(2);
    assert!(
        run.stderr().contains("'notadomain' is not a domain"),
        "{}",
        run.describe()
    );
}

#[test]
fn indicators_are_facets_and_a_table() {
    let ws = corpus();
    let out = json(
        &ws,
        &[
            "search",
            "--format",
            "json",
            "--facet",
            "domain,hashtag",
            "domain:spiegel.ltd",
        ],
    );
    let facet = |name: &str| -> Vec<(String, u64)> {
        out["facets"][name]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_string(),
                    v["documents"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        facet("domain"),
        [
            ("spiegel.ltd".to_string(), 2),
            ("t.me".to_string(), 2),
            ("bild.work".to_string(), 1),
            ("example.co.uk".to_string(), 1),
            ("example.org".to_string(), 1),
            ("rrn.world".to_string(), 1),
        ]
    );
    assert_eq!(
        facet("hashtag"),
        [
            ("#выборы".to_string(), 2),
            ("#stopnato".to_string(), 1),
            ("#新疆棉花".to_string(), 1),
        ]
    );
    // quarry indicators: every passage, domains only, with dates and publishers.
    let table = json(&ws, &["indicators", "--kind", "domain", "--format", "json"]);
    let rows = table["indicators"].as_array().unwrap();
    let spiegel = &rows[0];
    assert_eq!(spiegel["kind"], "domain");
    assert_eq!(spiegel["value"], "spiegel.ltd");
    assert_eq!(
        (spiegel["passages"].as_u64(), spiegel["documents"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(spiegel["first"], "2023-05-02");
    assert_eq!(spiegel["last"], "2024-01-15");
    assert_eq!(
        strings(&spiegel["publishers"]),
        ["Fixture Lab", "Other Desk"]
    );
    assert!(rows.iter().all(|r| r["kind"] == "domain"));
    assert_eq!(rows.len(), 7, "{table}");
    // A query and a date narrow it; CSV carries the same columns.
    let run = ws
        .run(&[
            "indicators",
            "--since",
            "2024",
            "--kind",
            "hashtag,channel",
            "--format",
            "csv",
        ])
        .expect(0);
    assert_eq!(
        run.stdout(),
        "kind,value,passages,documents,first,last,publishers\n\
         hashtag,#выборы,1,1,2024-01-15,2024-01-15,Other Desk\n\
         channel,readovka67,1,1,2024-01-15,2024-01-15,Other Desk\n"
    );
    ws.run(&["indicators", "domain:absent.org"]).expect(1);
    ws.run(&["indicators", "--kind", "planet"]).expect(2);
}
