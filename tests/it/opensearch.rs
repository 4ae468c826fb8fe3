//! `quarry export --opensearch` against real OpenSearch 2.19 nodes, started from the jars on
//! Maven Central by `tests/opensearch/` (one shared single-node cluster, and a two-node cluster
//! for the test that kills a node). Each node exits with this test process: it watches its
//! standard input. Skips, saying so, where `java` or `mvn` is missing.

use super::common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running node; killed when dropped (the shared one lives as long as the process).
struct Node {
    child: Child,
    http: u16,
    _home: tempfile::TempDir,
}

impl Node {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The node's classes and jars (built once per process by `node.sh build`), or why not.
fn built() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !have("java") {
                return Err("java is not installed".into());
            }
            if !have("mvn") {
                return Err("mvn (Maven) is not installed".into());
            }
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opensearch");
            let out = Command::new("bash")
                .arg(dir.join("node.sh"))
                .arg("build")
                .output()
                .map_err(|e| format!("cannot run node.sh: {e}"))?;
            if !out.status.success() {
                // Java and Maven are here: a failed build is a failure, not a skip.
                panic!(
                    "tests/opensearch/node.sh build failed:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(dir)
        })
        .clone()
}

/// Starts a node; `cluster` is `None` for a single-node cluster, or the transport ports of
/// every node and whether this one is data-only.
fn start(name: &str, transport: u16, cluster: Option<(&[u16], bool)>) -> Option<Node> {
    let dir = match built() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("skipped: {why} (needed to start an OpenSearch node)");
            return None;
        }
    };
    let home = tempfile::tempdir().expect("a temporary folder");
    let http = free_port();
    let mut cmd = Command::new("java");
    cmd.args(["-Xms384m", "-Xmx384m", "-XX:+UseSerialGC"])
        .arg(format!("-Dnode.name={name}"))
        .arg(format!("-Dhttp.port={http}"))
        .arg(format!("-Dtransport.port={transport}"))
        .arg(format!("-Dhome={}", home.path().display()))
        .arg("-Dwatch.stdin=true")
        .arg("-Dlog4j2.disable.jmx=true");
    if let Some((ports, data_only)) = cluster {
        let seeds: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        cmd.arg(format!("-Dseed.hosts={}", seeds.join(",")))
            .arg("-Dinitial.managers=node-1");
        if data_only {
            cmd.arg("-Droles=data,ingest");
        }
    }
    cmd.arg("-cp")
        .arg(format!(
            "{0}/target/classes:{0}/target/lib/*",
            dir.display()
        ))
        .arg("quarry.tests.OpenSearchNode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("java starts");
    // Drain the log so the node never blocks on it; keep its last lines for a failure.
    let log = std::sync::Arc::new(Mutex::new(Vec::<String>::new()));
    let stdout = child.stdout.take().expect("stdout");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(mut l) = sink.lock() {
                l.push(line);
                if l.len() > 40 {
                    l.remove(0);
                }
            }
        }
    });
    let node = Node {
        child,
        http,
        _home: home,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if get(&node.url(), "/").is_some() {
            return Some(node);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!(
        "node {name} did not answer on {}:\n{}",
        node.url(),
        log.lock().map(|l| l.join("\n")).unwrap_or_default()
    );
}

/// The single-node cluster the tests share.
fn shared() -> Option<&'static str> {
    static NODE: OnceLock<Option<(Node, String)>> = OnceLock::new();
    NODE.get_or_init(|| {
        let node = start("node-1", free_port(), None)?;
        let url = node.url();
        Some((node, url))
    })
    .as_ref()
    .map(|(_, url)| url.as_str())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// GET, the JSON answer when 2xx.
fn get(base: &str, path: &str) -> Option<Value> {
    let mut r = agent().get(format!("{base}{path}")).call().ok()?;
    if !r.status().is_success() {
        return None;
    }
    let text = r.body_mut().read_to_string().ok()?;
    serde_json::from_str(&text).ok()
}

/// A request with a JSON body; the status and the JSON answer.
fn send(base: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .expect("a request");
    let mut r = agent().run(request).expect("the node answers");
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn count(base: &str, index: &str) -> u64 {
    let _ = send(base, "POST", &format!("/{index}/_refresh"), &json!({}));
    get(base, &format!("/{index}/_count")).expect("a count")["count"]
        .as_u64()
        .expect("a number")
}

/// The bundled corpus, indexed.
fn bundled() -> Workspace {
    let ws = Workspace::empty();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        &ws.path("corpus"),
    );
    ws.run(&["index", "-q"]).expect(0);
    ws
}

fn local_passages(ws: &Workspace) -> u64 {
    ws.run(&["stats", "--format", "json"]).expect(0).json()["passages"]
        .as_u64()
        .expect("a passage count")
}

fn export(ws: &Workspace, url: &str, extra: &[&str]) -> Value {
    let mut args = vec!["export", "--opensearch", url, "--format", "json"];
    args.extend_from_slice(extra);
    ws.run(&args).expect(0).json()
}

#[test]
fn an_export_sends_only_what_changed_and_mirrors_the_local_index() {
    let Some(url) = shared() else { return };
    let ws = bundled();
    let local = local_passages(&ws);
    let first = export(&ws, url, &["--index-name", "incremental"]);
    assert_eq!(first["created"], true, "{first}");
    assert_eq!(first["files_sent"], first["files"], "{first}");
    assert_eq!(first["passages_sent"].as_u64(), Some(local), "{first}");
    assert_eq!(first["cluster_passages"].as_u64(), Some(local), "{first}");
    // Nothing changed: nothing is sent.
    let again = export(&ws, url, &["--index-name", "incremental"]);
    assert_eq!(again["files_sent"], 0, "{again}");
    assert_eq!(again["files_unchanged"], first["files"], "{again}");
    // One note changes (two more passages), one goes: that note is sent, the other removed.
    let note = ws.path("corpus/netzdg-germany-2017.md");
    let mut text = std::fs::read_to_string(&note).unwrap();
    text.push_str("\n\n## A quokka section\n\nQuokkas are marsupials of Rottnest Island.\n\n## Another\n\nThe quokka census counts them each year.\n");
    std::fs::write(&note, text).unwrap();
    std::fs::remove_file(ws.path("corpus/reddit-suspected-ira-accounts-2018.md")).unwrap();
    ws.run(&["index", "-q"]).expect(0);
    let local = local_passages(&ws);
    let after = export(&ws, url, &["--index-name", "incremental"]);
    assert_eq!(after["files_sent"], 1, "{after}");
    assert_eq!(after["files_removed"], 1, "{after}");
    assert_eq!(after["cluster_passages"].as_u64(), Some(local), "{after}");
    // The cluster holds the passage as quarry shows it, under its passage id.
    let hit = &search_json(&ws, &["quokka census"])[0];
    let id = hit["passage_id"].as_str().unwrap();
    let held = get(url, &format!("/incremental/_doc/{id}")).expect("the passage");
    let source = &held["_source"];
    for field in [
        "doc_id",
        "path",
        "title",
        "publisher",
        "date",
        "url",
        "text",
        "line",
    ] {
        assert_eq!(source[field], hit[field], "{field}: {source}");
    }
    assert_eq!(
        source["text_en"], hit["text"],
        "the English field: {source}"
    );
    // A dry run writes the mapping and bulk files that a team can load with its own tools.
    let out = ws.path("export");
    let run = ws.run(&[
        "export",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
        "--batch",
        "100",
    ]);
    run.expect(0);
    let mapping: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("mapping.json")).unwrap()).unwrap();
    assert_eq!(
        mapping["mappings"]["properties"]["text_ru"]["analyzer"],
        "russian"
    );
    let mut lines = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let _: Value = serde_json::from_str(line).expect("JSON lines");
                lines += 1;
            }
        }
    }
    assert_eq!(lines, 2 * local, "an action and a passage each");
    // The folder is not written twice.
    let run = ws.run(&["export", "--dry-run", "--out", out.to_str().unwrap()]);
    assert!(run.expect(2).stderr().contains("already holds an export"));
    // The mapping loads into a real node as it is.
    let (status, body) = send(url, "PUT", "/from-dry-run", &mapping);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn conflicts_and_unreachable_clusters_are_one_line_errors() {
    let ws = bundled();
    // Nothing listens there.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let run = ws.run(&[
        "export",
        "--opensearch",
        &nowhere,
        "--timeout",
        "5",
        "--retries",
        "2",
    ]);
    let err = run.expect(2).stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("quarry: cannot reach the cluster at http://127.0.0.1:"),
        "{err}"
    );
    let run = ws.run(&["export", "--opensearch", "localhost:9200"]);
    assert!(run.expect(2).stderr().contains("is not a cluster address"));
    let Some(url) = shared() else { return };
    // An index of someone else's, under the name asked for.
    let (status, _) = send(
        url,
        "PUT",
        "/theirs",
        &json!({"mappings": {"properties": {"text": {"type": "keyword"}}}}),
    );
    assert_eq!(status, 200);
    let run = ws.run(&["export", "--opensearch", url, "--index-name", "theirs"]);
    let err = run.expect(2).stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("mapping conflict"), "{err}");
    assert!(err.contains("--index-name"), "{err}");
    // One that claims to be ours but types a field otherwise: the cluster's reason is given.
    let dry = ws.path("dry");
    ws.run(&["export", "--dry-run", "--out", dry.to_str().unwrap()])
        .expect(0);
    let mut body: Value =
        serde_json::from_str(&std::fs::read_to_string(dry.join("mapping.json")).unwrap()).unwrap();
    body["mappings"]["properties"]["title"] = json!({"type": "long"});
    let (status, answer) = send(url, "PUT", "/altered", &body);
    assert_eq!(status, 200, "{answer}");
    let run = ws.run(&["export", "--opensearch", url, "--index-name", "altered"]);
    let err = run.expect(2).stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("mapper_parsing_exception"), "{err}");
    assert!(err.contains("--index-name"), "{err}");
    // TLS to a plain HTTP port fails the handshake: one line, not a hang.
    let https = url.replace("http://", "https://");
    let run = ws.run(&[
        "export",
        "--opensearch",
        &https,
        "--retries",
        "0",
        "--timeout",
        "10",
    ]);
    let err = run.expect(2).stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot reach the cluster at https://"),
        "{err}"
    );
    // A certificate authority file that is missing, or holds no certificate.
    let run = ws.run_env(
        &["export", "--opensearch", &https],
        &[("QUARRY_OPENSEARCH_CA", "/nonexistent/ca.pem")],
    );
    assert!(run
        .expect(2)
        .stderr()
        .contains("cannot read /nonexistent/ca.pem"));
    let notes = ws.path("corpus/netzdg-germany-2017.md");
    let run = ws.run_env(
        &["export", "--opensearch", &https],
        &[("QUARRY_OPENSEARCH_CA", notes.to_str().unwrap())],
    );
    assert!(run.expect(2).stderr().contains("holds no PEM certificate"));
    // Bad names are refused before anything is sent.
    let run = ws.run(&["export", "--opensearch", url, "--index-name", "Bad Name"]);
    assert!(run
        .expect(2)
        .stderr()
        .contains("cannot name an OpenSearch index"));
}

#[test]
fn a_node_killed_during_a_two_node_export_loses_no_passage() {
    let ports = [free_port(), free_port()];
    let Some(manager) = start("node-1", ports[0], Some((&ports, false))) else {
        return;
    };
    let mut data = start("node-2", ports[1], Some((&ports, true))).expect("node-2 starts");
    let url = manager.url();
    // Both nodes in one cluster.
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&url, "/_cluster/health").map(|h| h["number_of_nodes"].clone()) != Some(json!(2)) {
        assert!(
            Instant::now() < deadline,
            "the nodes did not form one cluster"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let ws = bundled();
    let local = local_passages(&ws);
    // A first export makes the index (2 shards, 1 replica) and shows it spread over both.
    let first = export(
        &ws,
        &url,
        &["--index-name", "spread", "--shards", "2", "--replicas", "1"],
    );
    assert_eq!(first["cluster_passages"].as_u64(), Some(local), "{first}");
    let health = get(
        &url,
        "/_cluster/health/spread?wait_for_status=green&timeout=60s",
    )
    .expect("health");
    assert_eq!(health["status"], "green", "{health}");
    assert_eq!(health["active_shards"], 4, "{health}");
    // Into a new index, in small batches, through node-2, which is killed once sending has
    // begun: the export says it cannot reach the cluster (after 3 retries) and stops.
    let child = ws
        .command(&[
            "export",
            "--opensearch",
            &data.url(),
            "--index-name",
            "spread-again",
            "--shards",
            "2",
            "--replicas",
            "1",
            "--batch",
            "1",
            "--retries",
            "3",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quarry starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let at_kill = loop {
        let sent =
            get(&url, "/spread-again/_count").map_or(0, |c| c["count"].as_u64().unwrap_or(0));
        if sent >= 20 {
            break sent;
        }
        assert!(Instant::now() < deadline, "the export sent nothing");
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = data.child.kill();
    let _ = data.child.wait();
    let out = child.wait_with_output().expect("quarry ends");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach the cluster"), "{stderr}");
    assert!(
        at_kill < local,
        "node-2 was killed before the end ({at_kill} of {local})"
    );
    // Through the node left, the export sends what is missing, and only that.
    let retry = export(&ws, &url, &["--index-name", "spread-again"]);
    println!("the export after node-2 was killed: {retry}");
    assert_eq!(retry["cluster_passages"].as_u64(), Some(local), "{retry}");
    assert!(
        retry["files_unchanged"].as_u64() > Some(0),
        "what arrived is kept: {retry}"
    );
    assert_eq!(count(&url, "spread-again"), local, "no passage lost");
    drop(data);
}

/// The JSON of a search without the fields that name the engine and the index.
fn answer(ws: &Workspace, engine: Option<&str>, args: &[&str]) -> Value {
    let mut all = vec!["search", "--format", "json"];
    if let Some(url) = engine {
        all.extend([
            "--engine",
            "opensearch",
            "--opensearch",
            url,
            "--index-name",
            "both",
        ]);
    }
    all.extend_from_slice(args);
    let run = ws.run(&all);
    let mut v = if run.code() == 1 {
        run.json()
    } else {
        run.expect(0).json()
    };
    let engine_name = v["engine"].clone();
    assert_eq!(
        engine_name,
        if engine.is_some() {
            "opensearch"
        } else {
            "quarry"
        },
        "{v}"
    );
    if let Some(map) = v.as_object_mut() {
        map.remove("engine");
        map.remove("index_fingerprint");
    }
    v
}

#[test]
fn the_same_queries_through_both_engines() {
    let Some(url) = shared() else { return };
    let ws = bundled();
    export(&ws, url, &["--index-name", "both"]);
    // 30 queries of the golden suite, typed as people type them: the same best document.
    let suite: toml::Value = toml::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/queries.toml"),
        )
        .unwrap(),
    )
    .unwrap();
    let queries: Vec<String> = suite["query"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["query"].as_str().map(String::from))
        .take(30)
        .collect();
    assert_eq!(queries.len(), 30);
    let mut same = 0;
    for q in &queries {
        let local = answer(&ws, None, &["-n", "1", q]);
        let remote = answer(&ws, Some(url), &["-n", "1", q]);
        let (l, r) = (&local["hits"][0]["path"], &remote["hits"][0]["path"]);
        println!("{} {q}: {l} / {r}", if l == r { "same" } else { "DIFF" });
        same += usize::from(l == r);
    }
    println!("the same best document for {same} of 30 queries");
    assert!(same >= 27, "the same best document for only {same} of 30");
    // Filters, counts, facets and timelines: identical (for filters alone, and for words both
    // engines analyse alike; docs/scale.md says where word matches can differ).
    for args in [
        vec!["--count", "type:html"],
        vec!["--count", "lang:ru"],
        vec!["--count", "path:*.html"],
        vec!["--count", "publisher:\"citizen lab\""],
        vec!["--count", "--tag", "pegasus", "kind:report"],
        vec![
            "--count",
            "--since",
            "2020",
            "--until",
            "2021-06",
            "kind:report",
        ],
        vec!["--count", "domain:news.ru"],
        vec!["--count", "disinformation"],
        vec![
            "--facet",
            "publisher,author,tag,kind,lang,format,year",
            "disinformation",
        ],
        vec!["--facet", "hashtag", "type:csv"],
        vec!["--timeline", "spyware"],
        vec![
            "--timeline",
            "--by",
            "month",
            "--kind",
            "report",
            "type:markdown",
        ],
    ] {
        let local = answer(&ws, None, &args);
        let remote = answer(&ws, Some(url), &args);
        assert_eq!(local, remote, "{args:?}");
    }
    // A hit: the same passage, citation and highlighted words.
    let local = answer(&ws, None, &["-n", "1", "\"rapid alert system\""]);
    let remote = answer(&ws, Some(url), &["-n", "1", "\"rapid alert system\""]);
    let (l, r) = (&local["hits"][0], &remote["hits"][0]);
    for field in [
        "passage_id",
        "path",
        "line",
        "title",
        "publisher",
        "date",
        "url",
        "cite",
        "text",
        "highlights",
        "snippet",
    ] {
        assert_eq!(l[field], r[field], "{field}");
    }
    assert_eq!(local["total"], remote["total"]);
    // The passage with its neighbours: the same JSON; passages like it: the same best one.
    let id = l["passage_id"].as_str().unwrap();
    let remote_args = [
        "--engine",
        "opensearch",
        "--opensearch",
        url,
        "--index-name",
        "both",
    ];
    let mut show = vec!["show", "--format", "json", "-C", "1", id];
    let local = ws.run(&show).expect(0).stdout();
    show.extend(remote_args);
    assert_eq!(ws.run(&show).expect(0).stdout(), local);
    let mut like = vec!["similar", "--format", "json", "-n", "1", id];
    let local = ws.run(&like).expect(0).json();
    like.extend(remote_args);
    let remote = ws.run(&like).expect(0).json();
    assert_eq!(remote["engine"], "opensearch");
    assert_eq!(local["hits"][0]["path"], remote["hits"][0]["path"]);
    let doc = l["doc_id"].as_str().unwrap();
    let mut show_doc = vec!["show", doc];
    show_doc.extend(remote_args);
    assert!(ws
        .run(&show_doc)
        .expect(2)
        .stderr()
        .contains("give a passage id"));
    // What it cannot do, and a cluster without the index, are one-line errors.
    let run = ws.run(&["search", "--engine", "opensearch", "pegasus"]);
    assert!(run
        .expect(2)
        .stderr()
        .contains("needs the cluster's address"));
    let run = ws.run(&[
        "search",
        "--engine",
        "opensearch",
        "--opensearch",
        url,
        "--index-name",
        "absent",
        "pegasus",
    ]);
    let err = run.expect(2).stderr();
    assert!(err.contains("has no index 'absent'"), "{err}");
    let run = ws.run(&[
        "search",
        "--engine",
        "opensearch",
        "--opensearch",
        url,
        "--mode",
        "semantic",
        "pegasus",
    ]);
    assert!(run
        .expect(2)
        .stderr()
        .contains("not offered with --engine opensearch"));
    // Grouped by document: the same best document, its matching passages and its best one.
    let grouped = ["--group", "doc", "-n", "3", "\"rapid alert system\""];
    let local = answer(&ws, None, &grouped);
    let remote = answer(&ws, Some(url), &grouped);
    let (l, r) = (&local["documents"][0], &remote["documents"][0]);
    for field in ["doc_id", "path", "title", "cite", "matches"] {
        assert_eq!(l[field], r[field], "{field}");
    }
    assert_eq!(
        l["passages"][0]["passage_id"],
        r["passages"][0]["passage_id"]
    );
    // Every hit, a page at a time: the same passages as the local index gives.
    let every = |engine: &[&str]| -> Vec<String> {
        let mut args = vec![
            "search",
            "--limit",
            "0",
            "--format",
            "jsonl",
            "--no-collapse",
        ];
        args.extend_from_slice(engine);
        args.push("type:markdown OR type:html OR type:text");
        let out = ws.run(&args).expect(0).stdout();
        let mut ids: Vec<String> = out
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["passage_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        ids.sort();
        ids
    };
    let local_ids = every(&[]);
    assert!(
        local_ids.len() > 150,
        "more than one page: {}",
        local_ids.len()
    );
    assert_eq!(every(&remote_args), local_ids);
}
