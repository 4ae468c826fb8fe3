//! `quarry serve`: the real server on a free loopback port, asked over plain HTTP/1.1 (a few
//! lines of std networking: no client library). Its JSON is the command line's, byte for byte;
//! errors are JSON with an HTTP status; a `quarry index` run while it serves shows up at the
//! next request; a token is required when set, and to listen beyond loopback.

use super::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

/// A running server, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(ws: &Workspace, extra: &[&str]) -> Server {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = ws
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quarry serve starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("a first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = stderr.read_to_string(&mut sink);
    });
    Server { child, addr }
}

/// GET `target` with extra header lines; returns the status and the body.
fn get(server: &Server, target: &str, headers: &[&str]) -> (u16, String) {
    let (status, _, body) = get_with_head(server, target, headers);
    (status, body)
}

/// GET `target`; returns the status, the response head (lowercase) and the body.
fn get_with_head(server: &Server, target: &str, headers: &[&str]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(&server.addr).expect("connect");
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for h in headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("receive");
    // Split and de-chunk the bytes: a chunk may end inside a character.
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = response.get(split + 4..).unwrap_or(&[]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    (status, head, body)
}

fn dechunk(mut body: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::new();
    while let Some(at) = body.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..at]);
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        let rest = &body[at + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        body = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn the_api_answers_with_the_command_lines_json_and_sees_new_commits() {
    let ws = Workspace::indexed();
    let server = start(&ws, &[]);
    // Search: the same JSON as `quarry search --format json`, byte for byte.
    let (status, body) = get(&server, "/api/v1/search?q=Zhenhua&limit=3", &[]);
    assert_eq!(status, 200, "{body}");
    let cli = ws
        .run(&["search", "--format", "json", "-n", "3", "Zhenhua"])
        .expect(0);
    assert_eq!(body, cli.stdout());
    assert_eq!(json(&body)["hits"][0]["path"], "corpus/zhenhua.md");
    // Options by their long names, filters included; grouped by document.
    let (status, body) = get(
        &server,
        "/api/v1/search?q=data&group=doc&publisher=Fixture%20Gazette",
        &[],
    );
    assert_eq!(status, 200, "{body}");
    assert!(json(&body)["documents"].is_array(), "{body}");
    // An empty form field is an option not given.
    let (status, body) = get(&server, "/api/v1/search?q=Zhenhua&publisher=&limit=", &[]);
    assert_eq!(status, 200, "{body}");
    // A request cannot make the server connect elsewhere.
    for param in [
        "engine=opensearch",
        "opensearch=http%3A%2F%2F10.0.0.1%3A9200",
        "index-name=x",
    ] {
        let (status, body) = get(&server, &format!("/api/v1/search?q=Zhenhua&{param}"), &[]);
        assert_eq!(status, 400, "{param}: {body}");
        assert!(body.contains("unknown parameter"), "{body}");
    }
    // Nothing found is still an answer.
    let (status, body) = get(&server, "/api/v1/search?q=xylophonist", &[]);
    assert_eq!(status, 200);
    assert_eq!(json(&body)["total"], 0);
    // Counts, facets, stats, a passage, its document, similar passages.
    let (status, body) = get(&server, "/api/v1/count?q=data", &[]);
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&server, "/api/v1/facets?q=data&facet=publisher", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(json(&body).to_string().contains("publisher"), "{body}");
    let (status, body) = get(&server, "/api/v1/stats", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["documents"], 4);
    let hit = &search_json(&ws, &["Zhenhua"])[0];
    let passage = hit["passage_id"].as_str().unwrap_or_default();
    let doc = hit["doc_id"].as_str().unwrap_or_default();
    let (status, body) = get(
        &server,
        &format!("/api/v1/passages/{passage}?context=1"),
        &[],
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(passage), "{body}");
    let (status, body) = get(&server, &format!("/api/v1/documents/{doc}"), &[]);
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&server, &format!("/api/v1/similar/{passage}"), &[]);
    assert_eq!(status, 200);
    // CSV export of a result set.
    let (status, body) = get(&server, "/api/v1/search?q=data&format=csv", &[]);
    assert_eq!(status, 200);
    assert!(body.starts_with("rank,"), "{body}");
    // Errors: JSON with a status and the command line's one-line message.
    for (target, want) in [
        ("/api/v1/search?q=%22unclosed", 400),
        ("/api/v1/search?q=x&limit=many", 400),
        ("/api/v1/search?q=x&index=/etc", 400),
        ("/api/v1/search?q=x&model=/etc", 400),
        ("/api/v1/search", 400),
        ("/api/v1/passages/0123456789abcdef-99", 404),
        ("/api/v1/nowhere", 404),
    ] {
        let (status, body) = get(&server, target, &[]);
        assert_eq!(status, want, "{target}: {body}");
        assert!(json(&body)["error"].is_string(), "{target}: {body}");
    }
    // The OpenAPI description lists every endpoint, and each answers as described.
    let (status, body) = get(&server, "/api/v1/openapi.json", &[]);
    assert_eq!(status, 200);
    let spec = json(&body);
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    assert_eq!(paths.len(), 9, "{body}");
    for (path, item) in &paths {
        let mut query: Vec<String> = Vec::new();
        for p in item["get"]["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" && p["required"] == true {
                let value = if p["name"] == "facet" {
                    "publisher"
                } else {
                    "data"
                };
                query.push(format!(
                    "{}={value}",
                    p["name"].as_str().unwrap_or_default()
                ));
            }
        }
        let target = format!(
            "{}?{}",
            path.replace("{passage_id}", passage)
                .replace("{doc_id}", doc),
            query.join("&")
        );
        let (status, body) = get(&server, &target, &[]);
        assert_eq!(status, 200, "{target}: {body}");
    }
    // Outside the API, a missing page is a page.
    let (status, page) = get(&server, "/nowhere", &[]);
    assert_eq!(status, 404);
    assert!(page.contains("no such page"), "{page}");
    // A build in another process shows up at the next request, without a restart.
    ws.write(
        "corpus/new.md",
        "---\ntitle: Late note\n---\n\nThe quokka network posted at dawn.\n",
    );
    ws.run(&["index"]).expect(0);
    let (status, body) = get(&server, "/api/v1/search?q=quokka", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["hits"][0]["path"], "corpus/new.md", "{body}");
}

#[test]
fn a_token_guards_every_request_and_other_addresses_need_one() {
    let ws = Workspace::indexed();
    let server = start(&ws, &["--token", "s3cret"]);
    let (status, body) = get(&server, "/api/v1/stats", &[]);
    assert_eq!(status, 401, "{body}");
    let (status, _) = get(&server, "/api/v1/stats", &["Authorization: Bearer wrong"]);
    assert_eq!(status, 401);
    let (status, _) = get(&server, "/api/v1/stats", &["Authorization: Bearer s3cret"]);
    assert_eq!(status, 200);
    let (status, _) = get(&server, "/api/v1/stats?token=s3cret", &[]);
    assert_eq!(status, 200);
    drop(server);
    // Beyond loopback without a token: refused before listening.
    let run = ws.run(&["serve", "--bind", "0.0.0.0:0"]).expect(2);
    assert!(run.stderr().contains("--token"), "{}", run.describe());
    // No index: an error, and none is built.
    let empty = Workspace::with_corpus();
    let run = empty.run(&["serve", "--bind", "127.0.0.1:0"]).expect(2);
    assert!(!empty.path(".quarry").exists(), "{}", run.describe());
}

#[test]
fn the_pages_search_filter_and_show_passages_with_everything_escaped() {
    let ws = Workspace::with_corpus();
    std::fs::remove_dir_all(ws.path("corpus/broken")).unwrap();
    // A hostile note: markup in its title and text, a script URL as its source.
    ws.write(
        "corpus/hostile.md",
        "---\ntitle: \"<script>alert(1)</script> quokka\"\nurl: \"javascript:alert(2)\"\npublisher: Quokka Desk\n---\n\nThe quokka <img src=x onerror=alert(3)> network.\n",
    );
    ws.run(&["index"]).expect(0);
    let server = start(&ws, &[]);
    // The front page: a search box and what the index holds.
    let (status, page) = get(&server, "/", &[]);
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"q\"") && page.contains("5 documents"),
        "{page}"
    );
    // Results: highlighted, escaped, with facets that filter when followed.
    let (status, page) = get(&server, "/?q=quokka", &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<mark>quokka</mark>"), "{page}");
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)"), "{page}");
    let (status, page) = get(&server, "/?q=data", &[]);
    assert_eq!(status, 200);
    let facet = page
        .split("href=\"")
        .map(|s| {
            s.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
                .replace("&#x2f;", "/")
        })
        .find(|h| h.contains("publisher="))
        .unwrap_or_else(|| panic!("no publisher facet link in {page}"));
    let (status, filtered) = get(&server, &facet, &[]);
    assert_eq!(status, 200, "{facet}");
    assert!(
        filtered.contains("✕"),
        "the active filter shows, removable: {filtered}"
    );
    // The passage view: citation, metadata, no script link.
    let hit = &search_json(&ws, &["quokka"])[0];
    let passage = hit["passage_id"].as_str().unwrap_or_default();
    let doc = hit["doc_id"].as_str().unwrap_or_default();
    let (status, page) = get(&server, &format!("/passage/{passage}"), &[]);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Copy citation") && page.contains("Quokka Desk"),
        "{page}"
    );
    assert!(
        !page.to_ascii_lowercase().contains("href=\"javascript"),
        "{page}"
    );
    let (status, page) = get(&server, &format!("/document/{doc}"), &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("network."), "{page}");
    // Errors are pages too, with the status.
    let (status, page) = get(&server, "/?q=%22unclosed", &[]);
    assert_eq!(status, 400);
    assert!(page.contains("unclosed quote"), "{page}");
    let (status, _) = get(&server, "/passage/0123456789abcdef-9", &[]);
    assert_eq!(status, 404);
    // The stylesheet and script are served from the binary; no page runs inline script.
    let (status, css) = get(&server, "/static/style.css", &[]);
    assert_eq!(status, 200);
    assert!(css.contains("mark"));
    let (status, script) = get(&server, "/static/app.js", &[]);
    assert_eq!(status, 200);
    assert!(script.contains("clipboard"));
    let (_, head, page) = get_with_head(&server, "/?q=Zhenhua", &[]);
    assert!(
        head.contains("content-security-policy: default-src 'none'; script-src 'self'"),
        "{head}"
    );
    assert!(
        !page.contains("onclick") && !page.contains("<script>"),
        "{page}"
    );
}

/// The search page in a real browser (Chromium, headless): the DOM it builds holds the hits.
/// Skips, saying so, where Chromium is not installed (`.ci/run` installs it).
#[test]
fn a_real_browser_renders_the_search_page() {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    else {
        println!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let ws = Workspace::indexed();
    let server = start(&ws, &[]);
    let profile = ws.path("browser-profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("http://{}/?q=Zhenhua", server.addr),
        ])
        .output()
        .expect("the browser runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<mark>Zhenhua</mark>") && dom.contains("group by document"),
        "{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A whole result set is exported as it is found (a chunked response, pages of hits joined
/// into one ranking): the same hits, in the same order, as one long list from the command line.
#[test]
fn exports_stream_every_hit_in_one_ranking() {
    let ws = Workspace::empty();
    // 300 notes of 5 paragraphs (two passages each): 600 passages that match, more than the
    // first page of 500.
    // Words drawn pseudo-randomly, so that no two paragraphs are copies of one text.
    const WORDS: [&str; 24] = [
        "relay",
        "channel",
        "moderators",
        "removed",
        "accounts",
        "network",
        "posted",
        "ministry",
        "campaign",
        "forwarded",
        "review",
        "budget",
        "editors",
        "mirror",
        "archive",
        "leaked",
        "vendor",
        "domain",
        "proxy",
        "audience",
        "broadcast",
        "translated",
        "subsidy",
        "outlet",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for n in 0..300 {
        let paragraphs: Vec<String> = (0..5)
            .map(|_| {
                let words: Vec<String> = (0..40)
                    .map(|i| {
                        let r = next();
                        if i == 0 {
                            "walrus".to_string()
                        } else {
                            format!("{}{}", WORDS[(r % 24) as usize], r % 97)
                        }
                    })
                    .collect();
                words.join(" ")
            })
            .collect();
        ws.write(
            &format!("corpus/note-{n:03}.md"),
            &format!("---\ntitle: Note {n}\n---\n\n{}\n", paragraphs.join("\n\n")),
        );
    }
    ws.run(&["index"]).expect(0);
    let server = start(&ws, &[]);
    let long = ws
        .run(&[
            "search",
            "walrus",
            "--per-doc",
            "0",
            "-n",
            "5000",
            "--format",
            "json",
        ])
        .expect(0);
    let expected: Vec<String> = long.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["passage_id"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() > 500, "{}", expected.len());
    let (status, head, body) = get_with_head(
        &server,
        "/api/v1/search?q=walrus&limit=0&per-doc=0&format=jsonl",
        &[],
    );
    assert_eq!(status, 200, "{body}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let lines: Vec<Value> = body.lines().map(json).collect();
    let ids: Vec<&str> = lines
        .iter()
        .map(|h| h["passage_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);
    let ranks: Vec<u64> = lines.iter().map(|h| h["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, (1..=expected.len() as u64).collect::<Vec<_>>());
    // CSV: one header, then a row per hit.
    let (status, _, body) = get_with_head(
        &server,
        "/api/v1/search?q=walrus&limit=0&per-doc=0&format=csv",
        &[],
    );
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = header.iter().position(|h| h == "passage_id").unwrap();
    let rows: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    assert_eq!(rows, expected);
    // The command line writes the same, a page at a time.
    let cli = ws
        .run(&[
            "search",
            "walrus",
            "--per-doc",
            "0",
            "--limit",
            "0",
            "--format",
            "jsonl",
        ])
        .expect(0);
    assert_eq!(cli.stdout(), body_of_jsonl(&lines));
    // Whole-set JSON cannot be written in pages: a 400 before anything is sent.
    let (status, body) = get(&server, "/api/v1/search?q=walrus&limit=0", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(json(&body)["hint"].as_str().unwrap().contains("jsonl"));
    // A query error in an export is an error, not an empty stream.
    let (status, _) = get(&server, "/api/v1/search?q=%22open&limit=0&format=csv", &[]);
    assert_eq!(status, 400);
    // An HTTP/1.0 client cannot take chunks: refused, not buffered whole in the server.
    let mut stream = TcpStream::connect(&server.addr).expect("connect");
    stream
        .write_all(b"GET /api/v1/search?q=walrus&limit=0&format=csv HTTP/1.0\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("receive");
    assert!(answer.starts_with("HTTP/1.0 400"), "{answer}");
    // A list answered whole is bounded; more is an export.
    let (status, body) = get(&server, "/api/v1/search?q=walrus&limit=20000", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(json(&body)["hint"].as_str().unwrap().contains("limit=0"));
    // Nothing found: an empty body.
    let (status, body) = get(
        &server,
        "/api/v1/search?q=xylophonist&limit=0&format=jsonl",
        &[],
    );
    assert_eq!((status, body.as_str()), (200, ""));
}

fn body_of_jsonl(lines: &[Value]) -> String {
    lines.iter().map(|v| format!("{v}\n")).collect()
}

/// The pages as a researcher uses them, in a real headless Chromium driven by playwright-core
/// (tests/browser/pages.mjs): type a query, click a facet, filter by date, open a passage, copy
/// its citation, at a laptop's and a phone's width, with a hostile document in the index.
/// Screenshots go to target/tmp/screenshots/. Skips, saying why, without Node.js, the npm
/// package (`npm ci --prefix tests/browser`, which `.ci/run` does) or Chromium.
#[test]
fn a_real_browser_searches_filters_opens_and_copies() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/browser/pages.mjs");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let skip = if !node_ok {
        Some("no Node.js on this machine")
    } else if !root
        .join("tests/browser/node_modules/playwright-core")
        .is_dir()
    {
        Some("playwright-core is not installed (npm ci --prefix tests/browser)")
    } else if !std::path::Path::new(&chromium).exists() {
        Some("no Chromium at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM)")
    } else {
        None
    };
    if let Some(why) = skip {
        println!("skipped: {why}");
        return;
    }
    let ws = Workspace::with_corpus();
    std::fs::remove_dir_all(ws.path("corpus/broken")).unwrap();
    ws.write(
        "corpus/hostile.md",
        "---\ntitle: \"<script>alert(1)</script> quokka\"\nurl: \"javascript:alert(2)\"\npublisher: Quokka Desk\ndate: 2020-01-02\n---\n\nThe quokka <img src=x onerror=alert(3)> network.\n",
    );
    ws.write(
        "corpus/survey.md",
        "---\ntitle: Quokka survey\npublisher: Field Notes\ndate: 2018-05-01\n---\n\nA quokka census counted the data of two islands.\n",
    );
    ws.run(&["index"]).expect(0);
    let server = start(&ws, &[]);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let out = std::process::Command::new("node")
        .arg(&script)
        .arg(format!("http://{}", server.addr))
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    for shot in ["home", "search", "facet", "passage", "search-phone"] {
        let png = shots.join(format!("{shot}.png"));
        let bytes = std::fs::read(&png).unwrap_or_default();
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "{} is not a PNG",
            png.display()
        );
    }
}

#[test]
fn passages_read_by_ocr_show_their_confidence_in_the_api_and_the_pages() {
    let tesseract = std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tesseract {
        eprintln!("skipped: tesseract is not installed");
        return;
    }
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans/memo.png"),
        ws.path("corpus/memo.png"),
    )
    .unwrap();
    ws.write("corpus/note.txt", "A note beside the memo.\n");
    ws.run(&["index"]).expect(0);
    let server = start(&ws, &[]);
    let (status, body) = get(
        &server,
        "/api/v1/search?q=flooded%20bridge&min-ocr-confidence=50",
        &[],
    );
    assert_eq!(status, 200, "{body}");
    let cli = ws
        .run(&[
            "search",
            "--format",
            "json",
            "--min-ocr-confidence",
            "50",
            "flooded bridge",
        ])
        .expect(0);
    assert_eq!(body, cli.stdout());
    let hit = &json(&body)["hits"][0];
    assert_eq!(hit["ocr"], true, "{hit}");
    assert!(hit["ocr_confidence"].as_u64().unwrap() >= 50, "{hit}");
    let (status, page) = get(&server, "/search?q=flooded%20bridge", &[]);
    assert_eq!(status, 200);
    assert!(page.contains("OCR "), "{page}");
    let target = format!("/passage/{}", hit["passage_id"].as_str().unwrap());
    let (status, page) = get(&server, &target, &[]);
    assert_eq!(status, 200);
    assert!(page.contains("Read by OCR"), "{page}");
}

/// Indicators through the server: the API's search filters, facets and table are the command
/// line's, byte for byte; the search page lists indicator facets and each hit's indicators as
/// links that narrow the search to the passages naming them (URLs show, but link to nothing).
#[test]
fn indicators_pivot_through_the_api_and_the_pages() {
    let ws = crate::indicators::corpus();
    let server = start(&ws, &[]);
    for (target, args) in [
        (
            "/api/v1/search?q=clone&domain=spiegel.ltd",
            vec![
                "search",
                "--format",
                "json",
                "--domain",
                "spiegel.ltd",
                "clone",
            ],
        ),
        (
            "/api/v1/facets?q=spiegel&facet=domain,hashtag",
            vec![
                "search",
                "--format",
                "json",
                "--facet",
                "domain,hashtag",
                "spiegel",
            ],
        ),
        (
            "/api/v1/indicators?kind=domain",
            vec!["indicators", "--format", "json", "--kind", "domain"],
        ),
        (
            "/api/v1/indicators?q=pushed&format=csv",
            vec!["indicators", "--format", "csv", "pushed"],
        ),
    ] {
        let (status, body) = get(&server, target, &[]);
        assert_eq!(status, 200, "{target}: {body}");
        assert_eq!(body, ws.run(&args).expect(0).stdout(), "{target}");
    }
    let (status, body) = get(&server, "/api/v1/search?q=clone&url=x", &[]);
    assert_eq!(status, 400, "URLs are not a filter: {body}");
    // The page: indicator facets beside the hits, indicators under each hit.
    let (status, page) = get(&server, "/?q=spiegel", &[]);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<h2>domain</h2>"), "{page}");
    assert!(page.contains("<h2>hashtag</h2>"), "{page}");
    assert!(page.contains("2 matching passages"), "{page}");
    let links: Vec<(String, String)> = page
        .split("<span class=\"indicator\"")
        .skip(1)
        .map(|s| {
            let s = s.split("</span>").next().unwrap_or_default();
            let href = s
                .split("href=\"")
                .nth(1)
                .and_then(|h| h.split('"').next())
                .unwrap_or_default()
                .replace("&amp;", "&")
                .replace("&#x2f;", "/");
            // The text inside the span, without its tags.
            let inner = s.split_once('>').map_or("", |(_, rest)| rest);
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            (text, href)
        })
        .collect();
    let link = |value: &str| {
        links
            .iter()
            .find(|(t, _)| t == value)
            .map(|(_, h)| h.clone())
            .unwrap_or_else(|| panic!("no indicator {value} in {links:?}"))
    };
    assert_eq!(
        link("https:&#x2f;&#x2f;t.me&#x2f;rybar"),
        "",
        "a URL links nowhere"
    );
    // Pivot on an address only the follow-up names: one passage left, the filter removable.
    let pivot = link("tips@example.org");
    assert!(pivot.contains("email=tips%40example.org"), "{pivot}");
    let (status, narrowed) = get(&server, &pivot, &[]);
    assert_eq!(status, 200, "{pivot}");
    assert!(narrowed.contains("1 matching passages"), "{narrowed}");
    assert!(narrowed.contains("Follow-up") && !narrowed.contains("Cloned outlets"));
    assert!(narrowed.contains("email: tips@example.org ✕"), "{narrowed}");
}
