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
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
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
        ("/api/v1/search", 400),
        ("/api/v1/passages/0123456789abcdef-99", 404),
        ("/nowhere", 404),
    ] {
        let (status, body) = get(&server, target, &[]);
        assert_eq!(status, want, "{target}: {body}");
        assert!(json(&body)["error"].is_string(), "{target}: {body}");
    }
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
