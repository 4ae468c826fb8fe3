//! Indexes for CI: incremental updates, the write lock, schema versions, `verify`, `check`,
//! `--strict`, and reproducible results across builds.

use crate::common::{copy_dir, search_json, Workspace};
use serde_json::Value;
use std::path::Path;

fn note(title: &str, body: &str) -> String {
    format!(
        "---\ntitle: {title}\npublisher: Test Desk\ndate: 2022-05-01\n---\n\n# {title}\n\n{body}\n"
    )
}

fn three_notes() -> Workspace {
    let ws = Workspace::empty();
    ws.write(
        "corpus/a.md",
        &note(
            "Alpha",
            "The alpha network posted forged letters about harbours.",
        ),
    );
    ws.write(
        "corpus/b.md",
        &note("Bravo", "The bravo campaign used cloned news websites."),
    );
    ws.write(
        "corpus/c.md",
        &note("Charlie", "Charlie accounts amplified a hashtag overnight."),
    );
    ws
}

fn summary(ws: &Workspace, args: &[&str]) -> String {
    let mut all = vec!["index"];
    all.extend_from_slice(args);
    ws.run(&all).expect(0).stderr()
}

fn paths(hits: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = hits
        .iter()
        .map(|h| h["path"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn index_updates_incrementally() {
    let ws = three_notes();
    let first = summary(&ws, &[]);
    assert!(
        first.contains("added 3, changed 0, removed 0, unchanged 0"),
        "{first}"
    );

    // Nothing changed: nothing is extracted or committed.
    let built_at = ws.run(&["stats", "--format", "json"]).expect(0).json()["built_at"].clone();
    let again = summary(&ws, &[]);
    assert!(
        again.contains("indexed 3 documents") && again.contains("up to date (3 unchanged)"),
        "{again}"
    );
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert_eq!(stats["built_at"], built_at, "no new commit");

    // Change one, add one, remove one.
    ws.write(
        "corpus/a.md",
        &note(
            "Alpha",
            "The alpha network now posted deepfake audio clips.",
        ),
    );
    ws.write(
        "corpus/d.md",
        &note("Delta", "Delta operators rented follower farms in bulk."),
    );
    std::fs::remove_file(ws.path("corpus/c.md")).unwrap();
    let run = ws.run(&["index", "--report", "report.json"]).expect(0);
    assert!(
        run.stderr().contains("indexed 3 documents")
            && run
                .stderr()
                .contains("added 1, changed 1, removed 1, unchanged 1"),
        "{}",
        run.describe()
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("report.json")).unwrap()).unwrap();
    let change_of = |path: &str| {
        report
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["change"].as_str().unwrap().to_string())
    };
    assert_eq!(change_of("corpus/a.md").as_deref(), Some("changed"));
    assert_eq!(change_of("corpus/b.md").as_deref(), Some("unchanged"));
    assert_eq!(change_of("corpus/d.md").as_deref(), Some("added"));
    assert_eq!(change_of("corpus/c.md"), None);
    assert_eq!(paths(&search_json(&ws, &["deepfake"])), ["corpus/a.md"]);
    assert!(
        search_json(&ws, &["forged"]).is_empty(),
        "the old text of a.md is gone"
    );
    assert!(search_json(&ws, &["hashtag"]).is_empty(), "c.md is gone");
    assert_eq!(paths(&search_json(&ws, &["follower"])), ["corpus/d.md"]);
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    assert_eq!(stats["documents"], 3);
    assert_eq!(stats["last_build"]["removed"], 1);
    ws.run(&["verify"]).expect(0);

    // A new modification time with the same content is not a change.
    let content = std::fs::read_to_string(ws.path("corpus/b.md")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    ws.write("corpus/b.md", &content);
    let s = summary(&ws, &[]);
    assert!(s.contains("up to date (3 unchanged)"), "{s}");

    // Metadata from a sidecar is part of a file's configuration.
    ws.write("corpus/b.md.meta.toml", "publisher = \"Sidecar Press\"\n");
    let s = summary(&ws, &[]);
    assert!(s.contains("changed 1"), "{s}");
    assert_eq!(
        paths(&search_json(
            &ws,
            &["--publisher", "sidecar press", "cloned"]
        )),
        ["corpus/b.md"]
    );

    // --rebuild starts over.
    let s = summary(&ws, &["--rebuild"]);
    assert!(
        s.contains("added 3, changed 0, removed 0, unchanged 0"),
        "{s}"
    );
    ws.run(&["verify"]).expect(0);
}

#[test]
fn verify_lists_new_changed_and_removed_files() {
    let ws = three_notes();
    ws.run(&["index"]).expect(0);
    let run = ws.run(&["verify"]).expect(0);
    assert!(
        run.stderr()
            .contains("matches the corpus: 3 files unchanged"),
        "{}",
        run.describe()
    );
    assert_eq!(run.stdout(), "");

    ws.write("corpus/a.md", &note("Alpha", "Different words entirely."));
    ws.write("corpus/e.md", &note("Echo", "A new note."));
    std::fs::remove_file(ws.path("corpus/b.md")).unwrap();
    let run = ws.run(&["verify"]).expect(1);
    let out = run.stdout();
    assert!(out.contains("new      corpus/e.md"), "{out}");
    assert!(out.contains("changed  corpus/a.md"), "{out}");
    assert!(out.contains("removed  corpus/b.md"), "{out}");
    let v = ws
        .run(&["verify", "--format", "json", "corpus"])
        .expect(1)
        .json();
    assert_eq!(v["new"], serde_json::json!(["corpus/e.md"]));
    assert_eq!(v["changed"], serde_json::json!(["corpus/a.md"]));
    assert_eq!(v["removed"], serde_json::json!(["corpus/b.md"]));
    assert_eq!(v["problems"], serde_json::json!([]));
    ws.run(&["index"]).expect(0);
    ws.run(&["verify"]).expect(0);
    // Without an index it is an error.
    let other = Workspace::empty();
    other.run(&["verify"]).expect(2);
}

#[test]
#[cfg(unix)]
fn a_second_writer_fails_at_once_with_the_holders_pid() {
    use std::os::unix::io::AsRawFd;
    let ws = three_notes();
    ws.run(&["index"]).expect(0);
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(ws.path(".quarry/quarry.lock"))
        .unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    std::fs::write(ws.path(".quarry/quarry.lock"), "4242\n").unwrap();
    let started = std::time::Instant::now();
    let run = ws.run(&["index"]).expect(2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "it fails at once"
    );
    assert!(
        run.stderr().trim_end()
            == "quarry: index .quarry is being written by another quarry process (pid 4242) (wait for it to finish; searching works meanwhile)",
        "{}",
        run.describe()
    );
    // Searching works while the index is being written.
    ws.run(&["search", "harbours"]).expect(0);
    drop(lock);
    ws.run(&["index"]).expect(0);
}

#[test]
fn an_index_of_another_schema_version_is_refused_then_rebuilt() {
    let ws = three_notes();
    ws.run(&["index"]).expect(0);
    crate::common::edit_index_meta(
        &ws.path(".quarry"),
        &[
            ("schema_version", Value::from(1)),
            ("quarry_version", Value::from("0.0.1")),
        ],
    );
    let run = ws.run(&["search", "harbours"]).expect(2);
    assert!(
        run.stderr()
            .contains("schema version 1 (built by quarry 0.0.1)")
            && run.stderr().contains("rebuild it with: quarry index"),
        "{}",
        run.describe()
    );
    assert_eq!(run.stderr().lines().count(), 1);
    // quarry index rebuilds it (inside it, then swapped in).
    let s = summary(&ws, &[]);
    assert!(s.contains("added 3"), "{s}");
    ws.run(&["search", "harbours"]).expect(0);
    ws.run(&["verify"]).expect(0);
}

#[test]
fn builds_are_reproducible_across_threads_and_file_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace::empty();
    copy_dir(&root.join("tests/fixtures/search"), &ws.path("corpus"));
    std::fs::remove_file(ws.path("corpus/README.md")).unwrap();
    // The same files created in the opposite order in a second copy.
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/search"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.ends_with("README.md"))
        .collect();
    names.sort();
    names.reverse();
    let other = Workspace::empty();
    for p in &names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        other.write(
            &format!("corpus/{name}"),
            &std::fs::read_to_string(p).unwrap(),
        );
    }
    copy_dir(
        &root.join("tests/fixtures/search/reports"),
        &other.path("corpus/reports"),
    );
    ws.run(&["index", "--threads", "1"]).expect(0);
    other
        .run(&["index", "--threads", "2", "--memory", "60"])
        .expect(0);
    let fp = |w: &Workspace| {
        w.run(&["stats", "--format", "json"]).expect(0).json()["fingerprint"].clone()
    };
    assert!(fp(&ws).is_string());
    assert_eq!(fp(&ws), fp(&other));
    for query in [
        "slogan",
        "harmony through strength",
        "\"tie breaker\"",
        "network OR memo",
    ] {
        let a = ws
            .run(&[
                "search",
                "--format",
                "json",
                "--per-doc",
                "0",
                "-n",
                "50",
                "--explain",
                query,
            ])
            .expect(0)
            .stdout();
        let b = other
            .run(&[
                "search",
                "--format",
                "json",
                "--per-doc",
                "0",
                "-n",
                "50",
                "--explain",
                query,
            ])
            .expect(0)
            .stdout();
        assert!(a == b, "{query}: results differ between the two builds");
    }
    // An index updated incrementally (a file changed, then changed back; one removed, then
    // restored) has the fingerprint of a fresh build and ranks the same passages in the same
    // order; BM25 statistics still count the deleted passages, so scores may differ slightly
    // (see docs/ci.md) until a rebuild.
    let gamma = std::fs::read_to_string(ws.path("corpus/gamma.md")).unwrap();
    ws.write("corpus/gamma.md", &gamma.replace("slogan", "motto"));
    std::fs::rename(ws.path("corpus/beta.md"), ws.path("beta.md")).unwrap();
    ws.run(&["index"]).expect(0);
    ws.write("corpus/gamma.md", &gamma);
    std::fs::rename(ws.path("beta.md"), ws.path("corpus/beta.md")).unwrap();
    let s = summary(&ws, &[]);
    assert!(s.contains("added 1, changed 1"), "{s}");
    assert_eq!(fp(&ws), fp(&other));
    for query in ["slogan", "harmony through strength", "network OR memo"] {
        let hits = |w: &Workspace| search_json(w, &["--per-doc", "0", "-n", "50", query]);
        let (a, b) = (hits(&ws), hits(&other));
        let ids = |v: &[Value]| -> Vec<String> {
            v.iter()
                .map(|h| h["passage_id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&a), ids(&b), "{query} after incremental updates");
        for (x, y) in a.iter().zip(&b) {
            let (x, y) = (x["score"].as_f64().unwrap(), y["score"].as_f64().unwrap());
            assert!((x - y).abs() <= 5e-3 * y.abs(), "{query}: {x} vs {y}");
        }
    }
    // A rebuild gives exactly the fresh build's results again.
    ws.run(&["index", "--rebuild"]).expect(0);
    for query in ["slogan", "network OR memo"] {
        let args = [
            "search",
            "--format",
            "json",
            "--per-doc",
            "0",
            "-n",
            "50",
            query,
        ];
        let (a, b) = (
            ws.run(&args).expect(0).stdout(),
            other.run(&args).expect(0).stdout(),
        );
        assert!(a == b, "{query}: results differ after --rebuild");
    }
    // A rebuild of the same corpus keeps the fingerprint.
    let before = fp(&ws);
    ws.run(&["index", "--rebuild", "--threads", "2"]).expect(0);
    assert_eq!(fp(&ws), before);
}

#[test]
fn check_runs_a_query_suite() {
    let ws = three_notes();
    ws.run(&["index"]).expect(0);
    ws.write(
        "good.toml",
        "[[query]]\nquery = \"forged letters harbours\"\nexpect = \"a.md\"\nphrase = \"forged letters\"\n\n\
         [[query]]\nquery = \"cloned websites\"\nexpect = [\"corpus/b.md\"]\nk = 1\n",
    );
    let run = ws.run(&["check", "good.toml"]).expect(0);
    assert!(
        run.stderr().contains("2 of 2 queries pass"),
        "{}",
        run.describe()
    );
    let all = ws.run(&["check", "--all", "good.toml"]).expect(0).stdout();
    assert!(
        all.contains("| cloned websites | corpus/b.md | 1 (1) |  | pass |"),
        "{all}"
    );

    ws.write(
        "bad.toml",
        "pass_ratio = 0.5\n\n[[query]]\nquery = \"cloned websites\"\nexpect = \"a.md\"\nk = 1\n\n\
         [[query]]\nquery = \"hashtag\"\nexpect = \"c.md\"\nphrase = \"not in the text\"\n",
    );
    let run = ws.run(&["check", "bad.toml"]).expect(1);
    assert!(
        run.stdout()
            .contains("| cloned websites | a.md | - (1) |  | FAIL |"),
        "{}",
        run.describe()
    );
    assert!(run.stdout().contains("not found"), "{}", run.describe());
    let v = ws
        .run(&["check", "--format", "json", "bad.toml"])
        .expect(1)
        .json();
    assert_eq!(v["passed"], 0);
    assert_eq!(v["total"], 2);
    assert_eq!(v["queries"][1]["ranks"], serde_json::json!([1]));
    assert_eq!(v["queries"][1]["phrase_passage"], Value::Null);

    ws.write("broken.toml", "[[query]]\nquery = \"x\"\n");
    let run = ws.run(&["check", "broken.toml"]).expect(2);
    assert!(
        run.stderr().starts_with("quarry: invalid query suite"),
        "{}",
        run.describe()
    );
    ws.run(&["check", "missing.toml"]).expect(2);
}

#[test]
fn strict_fails_when_a_file_was_skipped() {
    let ws = three_notes();
    ws.write("corpus/broken.pdf", "this is not a PDF at all");
    let run = ws.run(&["index", "--strict"]).expect(2);
    assert!(
        run.stderr()
            .contains("1 file was skipped and --strict was given"),
        "{}",
        run.describe()
    );
    // The index was still updated, and without --strict the same corpus is fine.
    ws.run(&["search", "harbours"]).expect(0);
    let run = ws.run(&["index"]).expect(0);
    assert!(run.stderr().contains("skipped 1"), "{}", run.describe());
}
