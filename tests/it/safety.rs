//! Never destroy what the user did not ask to: foreign and newer index directories, user files
//! inside an index, damaged indexes (a bit flipped in every kind of segment file), read-only
//! indexes, workers outliving a killed build, unreadable folders and files, names that are not
//! UTF-8, and a full disk. Every case checks the user's files afterwards by content hash.

use crate::common::{copy_dir, search_json, Run, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every file under `dir` (relative path) with the xxh3-128 of its content; the lock file (it
/// holds the pid of the last writer) and tantivy's unordered list of managed files as a sorted
/// list instead of bytes.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, u128> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() && entry.file_name() != "quarry.lock" {
            let mut bytes = std::fs::read(entry.path()).unwrap();
            if entry.file_name() == ".managed.json" {
                let mut names: Vec<String> = serde_json::from_slice(&bytes).unwrap();
                names.sort();
                bytes = names.join("\n").into_bytes();
            }
            out.insert(
                entry.path().strip_prefix(dir).unwrap().to_path_buf(),
                xxhash_rust::xxh3::xxh3_128(&bytes),
            );
        }
    }
    out
}

fn bundled_corpus(ws: &Workspace) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        &ws.path("corpus"),
    );
}

fn note(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\npublisher: Test Desk\n---\n\n# {title}\n\n{body}\n")
}

/// Asserts that a run did not panic and, if it failed, said so in one `quarry:` line.
fn no_panic(run: &Run) {
    let err = run.stderr();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{}",
        run.describe()
    );
    assert!(
        matches!(run.code(), 0..=2),
        "exit code {}\n{}",
        run.code(),
        run.describe()
    );
    assert!(
        !err.contains("internal error"),
        "a panic reached the top\n{}",
        run.describe()
    );
    if run.code() == 2 {
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "one line\n{}", run.describe());
        assert!(lines[0].starts_with("quarry: "), "{}", run.describe());
        assert!(!lines[0].contains("IoError {"), "{}", run.describe());
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_quarry_json_without_the_format_marker_is_refused_and_nothing_is_touched() {
    for foreign in [
        r#"{"name":"projX"}"#,
        "not json at all",
        r#"{"format_version":1,"query":"x","hits":[]}"#,
    ] {
        let ws = Workspace::empty();
        ws.write("projX/quarry.json", foreign);
        ws.write("projX/draft.txt", "unsaved work");
        ws.write("projX/corpus/a.md", &note("Alpha", "Alpha posted letters."));
        let before = hashes(&ws.path("projX"));
        for args in [
            &["index", "projX/corpus", "--index", "projX"][..],
            &["index", "--rebuild", "projX/corpus", "--index", "projX"],
        ] {
            let run = ws.run(args).expect(2);
            assert!(
                run.stderr().contains("projX is not a quarry index")
                    && run.stderr().contains("not writing there"),
                "{}",
                run.describe()
            );
            no_panic(&run);
        }
        let run = ws.run(&["--index", "projX", "search", "alpha"]).expect(2);
        assert!(
            run.stderr().contains("is not a quarry index"),
            "{}",
            run.describe()
        );
        assert_eq!(hashes(&ws.path("projX")), before, "for {foreign}");
    }
}

#[test]
fn user_files_inside_an_index_survive_a_schema_change() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/a.md",
        &note("Alpha", "Alpha posted forged letters."),
    );
    ws.write("corpus/b.md", &note("Bravo", "Bravo cloned news websites."));
    ws.run(&["index"]).expect(0);
    ws.write(".quarry/draft.txt", "my notes about the index");
    ws.write(".quarry/notes/todo.md", "check the letters");
    ws.write(".quarry/meta.json.bak", "a backup of mine");
    let mine = |ws: &Workspace| {
        let mut h = hashes(&ws.path(".quarry"));
        h.retain(|p, _| {
            let s = p.to_string_lossy();
            s == "draft.txt" || s.starts_with("notes/") || s == "meta.json.bak"
        });
        h
    };
    let before = mine(&ws);
    assert_eq!(before.len(), 3);

    let old =
        crate::common::edit_index_meta(&ws.path(".quarry"), &[("schema_version", Value::from(1))]);
    let current = old[0].as_u64().unwrap();

    let run = ws.run(&["index"]).expect(0);
    assert!(
        run.stderr()
            .contains(&format!("rebuilding index (schema 1 -> {current})")),
        "{}",
        run.describe()
    );
    assert_eq!(mine(&ws), before);
    assert!(!ws.path(".quarry/.quarry-rebuild").exists());
    assert_eq!(search_json(&ws, &["forged"]).len(), 1);
    ws.run(&["verify"]).expect(0);
    // Only one commit's segments are left: the old index's files went.
    let segments = std::fs::read_dir(ws.path(".quarry"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".term")
        })
        .count();
    let meta: Value =
        serde_json::from_slice(&std::fs::read(ws.path(".quarry/meta.json")).unwrap()).unwrap();
    assert_eq!(segments, meta["segments"].as_array().unwrap().len());
    // A --rebuild keeps them too.
    ws.run(&["index", "--rebuild"]).expect(0);
    assert_eq!(mine(&ws), before);
}

#[test]
fn an_index_from_a_newer_quarry_is_refused_not_replaced() {
    let ws = Workspace::empty();
    ws.write(
        "corpus/a.md",
        &note("Alpha", "Alpha posted forged letters."),
    );
    ws.run(&["index"]).expect(0);
    crate::common::edit_index_meta(
        &ws.path(".quarry"),
        &[
            ("schema_version", Value::from(999)),
            ("quarry_version", Value::from("9.0.0")),
        ],
    );
    let before = hashes(&ws.path(".quarry"));
    for args in [
        &["index"][..],
        &["index", "--rebuild"],
        &["search", "alpha"],
    ] {
        let run = ws.run(args).expect(2);
        no_panic(&run);
        assert!(
            run.stderr()
                .contains("was built by a newer quarry (9.0.0, schema version 999)")
                && run.stderr().contains("use quarry 9.0.0 or newer"),
            "{}",
            run.describe()
        );
    }
    assert_eq!(hashes(&ws.path(".quarry")), before);
}

/// Flips one byte of `file` at `offset`.
fn flip(file: &Path, offset: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .unwrap();
    let mut b = [0u8];
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.read_exact(&mut b).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&[b[0] ^ 0xff]).unwrap();
}

fn ranking(ws: &Workspace, query: &str) -> Vec<(String, String)> {
    search_json(ws, &[query])
        .iter()
        .map(|h| {
            (
                h["passage_id"].as_str().unwrap().to_string(),
                format!("{:.4}", h["score"].as_f64().unwrap()),
            )
        })
        .collect()
}

const QUERIES: [&str; 4] = [
    "russia disinformation",
    "Zhenhua",
    "journalists surveillance",
    "\"foreign interference\"",
];

#[test]
fn a_bit_flip_in_any_segment_file_never_panics_is_detected_and_repaired() {
    let ws = Workspace::empty();
    bundled_corpus(&ws);
    ws.run(&["index"]).expect(0);
    let pristine = ws.path("pristine");
    copy_dir(&ws.path(".quarry"), &pristine);
    let expected: Vec<_> = QUERIES.iter().map(|q| ranking(&ws, q)).collect();

    let mut cases = 0;
    for ext in ["idx", "pos", "term", "store", "fast", "fieldnorm"] {
        for fraction in [0.02, 0.3, 0.6, 0.97, 0.995, 1.0] {
            std::fs::remove_dir_all(ws.path(".quarry")).unwrap();
            copy_dir(&pristine, &ws.path(".quarry"));
            let file = segment_file(&ws, ext);
            let len = std::fs::metadata(&file).unwrap().len();
            let offset = ((len as f64 * fraction) as u64).min(len - 1);
            flip(&file, offset);
            let case = format!("{ext} at byte {offset} of {len}");
            damaged_and_repaired(&ws, &case, &expected);
            cases += 1;
        }
        // The format version in the file's footer (outside the checksum).
        std::fs::remove_dir_all(ws.path(".quarry")).unwrap();
        copy_dir(&pristine, &ws.path(".quarry"));
        let file = segment_file(&ws, ext);
        let bytes = std::fs::read(&file).unwrap();
        let key = b"\"index_format_version\":";
        let at = bytes
            .windows(key.len())
            .rposition(|w| w == key)
            .expect("a footer");
        flip(&file, (at + key.len()) as u64);
        damaged_and_repaired(&ws, &format!("{ext} footer version"), &expected);
        cases += 1;
    }
    assert_eq!(cases, 42);
}

fn segment_file(ws: &Workspace, ext: &str) -> PathBuf {
    std::fs::read_dir(ws.path(".quarry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .min()
        .unwrap()
}

/// Reads of a damaged index fail cleanly (or work), `verify` finds the damage, `index` repairs
/// it, and the repaired index ranks as before.
fn damaged_and_repaired(ws: &Workspace, case: &str, expected: &[Vec<(String, String)>]) {
    for q in QUERIES {
        let run = ws.run(&["search", "--format", "json", q]);
        no_panic(&run);
        if run.code() == 2 {
            assert!(
                run.stderr().contains("is damaged"),
                "{case}\n{}",
                run.describe()
            );
        }
    }
    no_panic(&ws.run(&["search", "--group", "doc", "russia"]));
    no_panic(&ws.run(&["search", "--facet", "publisher,year", "russia"]));
    no_panic(&ws.run(&["stats"]));
    let verify = ws.run(&["verify"]);
    no_panic(&verify);
    assert_eq!(
        verify.code(),
        1,
        "{case}: verify detects it\n{}",
        verify.describe()
    );
    assert!(
        verify.stdout().contains("damaged") || verify.stdout().contains("checksum"),
        "{case}\n{}",
        verify.describe()
    );
    let index = ws.run(&["index"]);
    no_panic(&index);
    assert_eq!(index.code(), 0, "{case}\n{}", index.describe());
    assert!(
        index.stderr().contains("is damaged") && index.stderr().contains("rebuilding it"),
        "{case}\n{}",
        index.describe()
    );
    ws.run(&["verify"]).expect(0);
    let now: Vec<_> = QUERIES.iter().map(|q| ranking(ws, q)).collect();
    assert_eq!(now, expected, "{case}: repaired");
}

#[test]
fn a_missing_or_truncated_segment_file_is_reported_and_repaired() {
    let ws = Workspace::empty();
    bundled_corpus(&ws);
    ws.run(&["index"]).expect(0);
    let expected = ranking(&ws, "Zhenhua");
    for (ending, truncate) in [
        (".pos", false),
        (".term", true),
        (".store", true),
        ("meta.json", true),
        (".managed.json", false),
        (".managed.json", true),
    ] {
        let file = std::fs::read_dir(ws.path(".quarry"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.ends_with(ending) && (ending.starts_with('.') || name == ending)
            })
            .unwrap();
        if truncate {
            let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
            f.set_len(f.metadata().unwrap().len() / 2).unwrap();
        } else {
            std::fs::remove_file(&file).unwrap();
        }
        let case = format!(
            "{ending} {}",
            if truncate { "truncated" } else { "removed" }
        );
        let search = ws.run(&["search", "Zhenhua"]);
        no_panic(&search);
        let verify = ws.run(&["verify"]);
        no_panic(&verify);
        if ending == ".managed.json" && !truncate {
            // tantivy's list of its files is bookkeeping: without it the index still reads
            // and every checksum still holds.
            assert_eq!(search.code(), 0, "{case}\n{}", search.describe());
            ws.run(&["index", "--rebuild"]).expect(0);
            continue;
        }
        assert_eq!(search.code(), 2, "{case}\n{}", search.describe());
        assert!(
            search.stderr().contains("is damaged"),
            "{case}\n{}",
            search.describe()
        );
        assert_eq!(verify.code(), 1, "{case}\n{}", verify.describe());
        let index = ws.run(&["index"]).expect(0);
        assert!(
            index.stderr().contains("rebuilding it"),
            "{case}\n{}",
            index.describe()
        );
        assert_eq!(ranking(&ws, "Zhenhua"), expected);
        ws.run(&["verify"]).expect(0);
    }
}

#[cfg(unix)]
fn set_tree_writable(dir: &Path, writable: bool) {
    use std::os::unix::fs::PermissionsExt;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        let mut perms = entry.metadata().unwrap().permissions();
        let mode = perms.mode();
        perms.set_mode(if writable {
            mode | 0o200
        } else {
            mode & !0o222
        });
        std::fs::set_permissions(entry.path(), perms).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_index_is_searchable_by_anyone_who_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::empty();
    bundled_corpus(&ws);
    ws.run(&["index"]).expect(0);
    // Files tantivy writes atomically get ordinary permissions, like quarry.json.
    let mode = |name: &str| {
        std::fs::metadata(ws.path(".quarry").join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("meta.json"), mode("quarry.json"));
    assert_eq!(mode(".managed.json"), mode("quarry.json"));

    set_tree_writable(&ws.path(".quarry"), false);
    let before = hashes(&ws.path(".quarry"));
    let expected = ranking(&ws, "Zhenhua");
    assert!(!expected.is_empty());
    for args in [
        &["search", "Zhenhua"][..],
        &["search", "--group", "doc", "russia"],
        &["search", "--facet", "publisher,year", "russia"],
        &["stats"],
        &["verify"],
        &["show", expected[0].0.as_str()],
    ] {
        ws.run(args).expect(0);
    }
    // A process that cannot write anything there: another user.
    match other_user_binary(&ws) {
        Ok(bin) => {
            let run = run_as_other(&ws, &bin, &["search", "--format", "json", "Zhenhua"]);
            assert_eq!(crate::common::hits(&run.expect(0)).len(), expected.len());
            run_as_other(&ws, &bin, &["verify"]).expect(0);
            run_as_other(&ws, &bin, &["show", expected[0].0.as_str()]).expect(0);
        }
        Err(why) => eprintln!("skipped the run as another user: {why}"),
    }
    assert_eq!(hashes(&ws.path(".quarry")), before, "nothing was written");
    set_tree_writable(&ws.path(".quarry"), true);
}

/// The pids of extraction workers whose command line mentions `marker`.
#[cfg(target_os = "linux")]
fn workers(marker: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        // A zombie has an empty command line: it is gone.
        if cmdline.contains("__extract-worker") && cmdline.contains(marker) {
            pids.push(pid);
        }
    }
    pids
}

#[cfg(target_os = "linux")]
#[test]
fn killing_quarry_index_takes_its_extraction_workers_with_it() {
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/report.pdf");
    for signal in [libc::SIGKILL, libc::SIGTERM] {
        let ws = Workspace::empty();
        let marker = format!("slow-{signal}-{}", std::process::id());
        std::fs::create_dir_all(ws.path("corpus")).unwrap();
        std::fs::copy(&pdf, ws.path(&format!("corpus/{marker}.pdf"))).unwrap();
        let mut cmd = ws.command(&["index"]);
        cmd.env("QUARRY_TEST_WORKER_DELAY_MS", "60000")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut parent = cmd.spawn().unwrap();
        let started = Instant::now();
        while workers(&marker).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no worker started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: kill with a pid this test started.
        assert_eq!(unsafe { libc::kill(parent.id() as i32, signal) }, 0);
        let _ = parent.wait();
        let killed = Instant::now();
        while !workers(&marker).is_empty() {
            assert!(
                killed.elapsed() < Duration::from_secs(1),
                "the worker outlived its parent (signal {signal}): {:?}",
                workers(&marker)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // The interrupted first build left a directory quarry recognises, and the next completes.
        ws.run(&["index"]).expect(0);
    }
}

#[test]
fn a_worker_ends_itself_at_its_time_limit() {
    let ws = Workspace::empty();
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/report.pdf");
    let started = Instant::now();
    let mut cmd = ws.command(&[
        "__extract-worker",
        "--extractor",
        "pdf",
        "--max-bytes",
        "1000000",
        "--display",
        "report.pdf",
        "--timeout-ms",
        "300",
        pdf.to_str().unwrap(),
    ]);
    cmd.env("QUARRY_TEST_WORKER_DELAY_MS", "60000");
    let out = cmd.output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("time limit"));
}

/// The uid tests run quarry as to check permissions when they run as root (root reads
/// everything, so permissions would test nothing).
const OTHER_UID: u32 = 65534;

/// A copy of the binary in the workspace that uid [`OTHER_UID`] can run (the build directory
/// may not be open to it), or why there is none: not root, or the workspace is not open to
/// that user (a `noexec` or private temporary folder).
#[cfg(unix)]
fn other_user_binary(ws: &Workspace) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    if !is_root() {
        return Err("the tests do not run as root".into());
    }
    let bin = ws.path(".bin/quarry");
    if !bin.exists() {
        std::fs::create_dir_all(ws.path(".bin")).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_quarry"), &bin).unwrap();
        for path in [ws.path(""), ws.path(".bin"), bin.clone()] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode | 0o755)).unwrap();
        }
    }
    let probe = std::process::Command::new(&bin)
        .arg("--version")
        .current_dir(ws.path(""))
        .uid(OTHER_UID)
        .gid(OTHER_UID)
        .output();
    match probe {
        Ok(out) if out.status.success() => Ok(bin),
        Ok(out) => Err(format!(
            "uid {OTHER_UID} cannot run quarry in {}: {}",
            ws.path("").display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!(
            "uid {OTHER_UID} cannot run quarry in {}: {e}",
            ws.path("").display()
        )),
    }
}

/// Runs quarry as uid [`OTHER_UID`] from `bin` (see [`other_user_binary`]).
#[cfg(unix)]
fn run_as_other(ws: &Workspace, bin: &Path, args: &[&str]) -> Run {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(bin);
    cmd.args(args)
        .current_dir(ws.path(""))
        .env_remove("QUARRY_INDEX")
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .uid(OTHER_UID)
        .gid(OTHER_UID);
    Run {
        cmd: format!("quarry {} (as uid {OTHER_UID})", args.join(" ")),
        out: cmd.output().unwrap(),
    }
}

/// Runs quarry as the user that permissions apply to: uid [`OTHER_UID`] when the tests run as
/// root, else the current user.
#[cfg(unix)]
fn run_as_user(ws: &Workspace, bin: Option<&Path>, args: &[&str]) -> Run {
    match bin {
        Some(bin) => run_as_other(ws, bin, args),
        None => ws.run(args),
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_or_file_is_reported_counts_for_strict_and_is_not_removed() {
    use std::os::unix::fs::PermissionsExt;
    let ws = Workspace::empty();
    ws.write(
        "corpus/a.md",
        &note("Alpha", "Alpha posted forged letters."),
    );
    ws.write("corpus/b.md", &note("Bravo", "Bravo cloned news websites."));
    ws.write(
        "corpus/private/c.md",
        &note("Charlie", "Charlie amplified a hashtag."),
    );
    // Root reads everything: as root, the commands run as another user.
    let bin = match other_user_binary(&ws) {
        Ok(bin) => {
            for entry in walkdir::WalkDir::new(ws.path("")) {
                let entry = entry.unwrap();
                std::os::unix::fs::chown(entry.path(), Some(OTHER_UID), Some(OTHER_UID)).unwrap();
            }
            Some(bin)
        }
        Err(_) if !is_root() => None,
        Err(why) => {
            eprintln!("skipped: {why}, and as root permissions cannot be tested");
            return;
        }
    };
    let bin = bin.as_deref();
    let search = |ws: &Workspace, q: &str| {
        let run = run_as_user(ws, bin, &["search", "--format", "json", q]);
        if run.code() == 1 {
            0
        } else {
            crate::common::hits(&run.expect(0)).len()
        }
    };
    run_as_user(&ws, bin, &["index"]).expect(0);
    assert_eq!(search(&ws, "hashtag"), 1);
    let set_mode = |rel: &str, mode: u32| {
        std::fs::set_permissions(ws.path(rel), std::fs::Permissions::from_mode(mode)).unwrap()
    };

    set_mode("corpus/private", 0o000);
    let run = run_as_user(&ws, bin, &["index", "--strict"]).expect(2);
    let err = run.stderr();
    assert!(
        err.contains("skipped corpus/private: cannot read this folder: permission denied")
            && err.contains("keeps the 1 file"),
        "{}",
        run.describe()
    );
    assert!(err.contains("--strict"), "{}", run.describe());
    assert_eq!(search(&ws, "hashtag"), 1, "kept, not removed");
    let verify = run_as_user(&ws, bin, &["verify"]).expect(1);
    assert!(
        verify.stdout().contains("corpus/private"),
        "{}",
        verify.describe()
    );

    set_mode("corpus/a.md", 0o000);
    let run = run_as_user(&ws, bin, &["index", "--strict"]).expect(2);
    assert!(
        run.stderr()
            .contains("skipped corpus/a.md: cannot read: permission denied"),
        "{}",
        run.describe()
    );
    assert_eq!(search(&ws, "forged"), 1, "kept, not removed");

    set_mode("corpus/private", 0o755);
    set_mode("corpus/a.md", 0o644);
    // The whole corpus folder, given as `corpus/` (the default): nothing is removed.
    set_mode("corpus", 0o000);
    let run = run_as_user(&ws, bin, &["index", "--strict", "corpus/"]).expect(2);
    assert!(
        run.stderr().contains("keeps the 3 files"),
        "{}",
        run.describe()
    );
    set_mode("corpus", 0o755);
    assert_eq!(search(&ws, "hashtag"), 1, "kept, not removed");
    assert_eq!(search(&ws, "forged"), 1, "kept, not removed");
    run_as_user(&ws, bin, &["index", "--strict"]).expect(0);
    run_as_user(&ws, bin, &["verify"]).expect(0);
    assert_eq!(search(&ws, "hashtag"), 1);
}

#[cfg(unix)]
#[test]
fn names_that_differ_only_in_invalid_bytes_stay_distinct() {
    use std::os::unix::ffi::OsStrExt;
    let ws = Workspace::empty();
    std::fs::create_dir_all(ws.path("corpus")).unwrap();
    for (name, body) in [
        (&b"r\xff.md"[..], "Alpha posted forged letters."),
        (b"r\xfe.md", "Bravo posted forged websites."),
    ] {
        std::fs::write(
            ws.path("corpus").join(std::ffi::OsStr::from_bytes(name)),
            note("Report", body),
        )
        .unwrap();
    }
    let run = ws.run(&["index"]).expect(0);
    assert!(
        run.stderr().contains("indexed 2 documents"),
        "{}",
        run.describe()
    );
    let hits = search_json(&ws, &["forged"]);
    let mut paths: Vec<&str> = hits.iter().map(|h| h["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(paths, ["corpus/r\\xFE.md", "corpus/r\\xFF.md"]);
    ws.run(&["verify"]).expect(0);
    ws.run(&["index"]).expect(0);
    assert!(ws.run(&["index"]).stderr().contains("up to date"));
}

/// A small tmpfs mounted at a path, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

fn used_bytes(dir: &Path) -> u64 {
    hashes(dir)
        .keys()
        .map(|p| std::fs::metadata(dir.join(p)).unwrap().len())
        .sum()
}

#[test]
fn a_full_disk_stops_the_build_at_once_and_keeps_the_previous_index() {
    let ws = Workspace::empty();
    let Some(_mount) = Mount::tmpfs(&ws.path("idx"), "1500k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and mount rights)");
        return;
    };
    bundled_corpus(&ws);
    ws.run(&["--index", "idx", "index", "corpus"]).expect(0);
    let before = hashes(&ws.path("idx"));
    let used = used_bytes(&ws.path("idx"));
    let expected: Vec<_> = QUERIES
        .iter()
        .map(|q| {
            let run = ws.run(&["--index", "idx", "search", "--format", "json", q]);
            run.stdout()
        })
        .collect();
    // Copies of the notes (not of the corpus configuration): more than the disk holds.
    for i in 0..6 {
        let copy = ws.path(&format!("corpus/copy{i}"));
        std::fs::create_dir_all(&copy).unwrap();
        for entry in
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let run = ws.run(&["--index", "idx", "index", "corpus"]).expect(2);
    let err = run.stderr();
    assert!(
        err.contains("no space left on device") && err.contains("free some space"),
        "{}",
        run.describe()
    );
    assert!(
        err.lines().count() <= 2 && !err.contains("index writer was killed"),
        "one line naming the cause, not one per file\n{}",
        run.describe()
    );
    assert_eq!(
        hashes(&ws.path("idx")),
        before,
        "the previous index, intact"
    );
    // The same files (above); the disk space of the partial segments is free again (tantivy's
    // list of managed files may be rewritten a byte shorter or longer).
    assert!(
        used_bytes(&ws.path("idx")).abs_diff(used) < 1024,
        "partial segments removed"
    );
    for (q, want) in QUERIES.iter().zip(&expected) {
        let run = ws.run(&["--index", "idx", "search", "--format", "json", q]);
        assert_eq!(&run.stdout(), want, "{q}");
    }
    let verify = ws.run(&["--index", "idx", "verify", "corpus"]).expect(1);
    assert!(verify.stdout().contains("new "), "{}", verify.describe());
}

#[test]
fn a_full_disk_on_a_first_build_or_a_rebuild_leaves_no_partial_segments() {
    let ws = Workspace::empty();
    let Some(_mount) = Mount::tmpfs(&ws.path("idx"), "300k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and mount rights)");
        return;
    };
    bundled_corpus(&ws);
    let segments = |ws: &Workspace| {
        std::fs::read_dir(ws.path("idx"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.len() > 33 && name.as_bytes()[32] == b'.'
            })
            .count()
    };
    // A first build that does not fit.
    let run = ws.run(&["--index", "idx", "index", "corpus"]).expect(2);
    assert!(
        run.stderr().contains("no space left on device") && run.stderr().lines().count() <= 2,
        "{}",
        run.describe()
    );
    assert_eq!(segments(&ws), 0, "no partial segments");
    ws.write("small/a.md", &note("Alpha", "Alpha posted forged letters."));
    ws.run(&["--index", "idx", "index", "small"]).expect(0);
    let before = hashes(&ws.path("idx"));

    // A rebuild (after a schema change) that does not fit: the old index stays as it was.
    crate::common::edit_index_meta(&ws.path("idx"), &[("schema_version", Value::from(1))]);
    let before_rebuild = hashes(&ws.path("idx"));
    let run = ws
        .run(&["--index", "idx", "index", "--add", "corpus"])
        .expect(2);
    assert!(
        run.stderr().contains("no space left on device"),
        "{}",
        run.describe()
    );
    assert_eq!(hashes(&ws.path("idx")), before_rebuild);
    assert!(!ws.path("idx/.quarry-rebuild").exists());
    assert_ne!(before, before_rebuild);
}

/// A workspace with `./corpus/` (which a careless default would index) and two other folders.
fn three_folders() -> Workspace {
    let ws = Workspace::empty();
    for (path, title, body) in [
        ("corpus/sample.md", "Sample", "A sample campaign note."),
        (
            "real/a.md",
            "Alpha",
            "The Alpha campaign posted forged letters.",
        ),
        (
            "real/b.md",
            "Bravo",
            "The Bravo campaign cloned news websites.",
        ),
        (
            "extra/c.md",
            "Charlie",
            "The Charlie campaign amplified a hashtag.",
        ),
    ] {
        ws.write(path, &note(title, body));
    }
    ws
}

fn titles(ws: &Workspace, index: &str) -> Vec<String> {
    let run = ws.run(&[
        "--index", index, "search", "--format", "json", "-n", "50", "campaign",
    ]);
    let mut t: Vec<String> = crate::common::hits(&run.expect(0))
        .iter()
        .map(|h| h["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t.dedup();
    t
}

#[test]
fn index_without_paths_updates_the_index_from_its_own_sources() {
    let ws = three_folders();
    ws.run(&["--index", "idx", "index", "real"]).expect(0);
    // Run where ./corpus exists: the index keeps its own sources.
    let run = ws.run(&["--index", "idx", "index"]).expect(0);
    assert!(run.stderr().contains("up to date"), "{}", run.describe());
    ws.write(
        "real/d.md",
        &note("Delta", "The Delta campaign added a note."),
    );
    let run = ws.run(&["--index", "idx", "index"]).expect(0);
    assert!(
        run.stderr().contains("added 1, changed 0, removed 0"),
        "{}",
        run.describe()
    );
    assert_eq!(titles(&ws, "idx"), ["Alpha", "Bravo", "Delta"]);
    ws.run(&["--index", "idx", "verify"]).expect(0);
}

#[test]
fn other_paths_cannot_drop_indexed_files_without_replace() {
    let ws = three_folders();
    ws.run(&["--index", "idx", "index", "real"]).expect(0);
    let before = hashes(&ws.path("idx"));
    let run = ws.run(&["--index", "idx", "index", "extra"]).expect(2);
    assert!(
        run.stderr()
            .contains("is built from real; indexing extra instead would drop 2 of its files")
            && run.stderr().contains("--add extra")
            && run.stderr().contains("--replace"),
        "{}",
        run.describe()
    );
    assert_eq!(hashes(&ws.path("idx")), before, "the index is intact");

    // Paths that cover the sources drop nothing.
    ws.run(&["--index", "idx", "index", "real", "extra"])
        .expect(0);
    assert_eq!(titles(&ws, "idx"), ["Alpha", "Bravo", "Charlie"]);
    let run = ws
        .run(&["--index", "idx", "index", "--remove", "extra"])
        .expect(0);
    assert!(run.stderr().contains("removed 1"), "{}", run.describe());
    assert_eq!(titles(&ws, "idx"), ["Alpha", "Bravo"]);
    let run = ws
        .run(&["--index", "idx", "index", "--add", "extra/"])
        .expect(0);
    assert!(run.stderr().contains("added 1"), "{}", run.describe());
    assert_eq!(titles(&ws, "idx"), ["Alpha", "Bravo", "Charlie"]);
    let stats = ws
        .run(&["--index", "idx", "stats", "--format", "json"])
        .expect(0);
    assert_eq!(
        stats.json()["sources"],
        serde_json::json!(["real", "extra/"])
    );
    let run = ws
        .run(&["--index", "idx", "index", "--remove", "nope"])
        .expect(2);
    assert!(
        run.stderr().contains("is not a source"),
        "{}",
        run.describe()
    );

    // Replacing is allowed when asked for.
    let run = ws
        .run(&["--index", "idx", "index", "--replace", "extra"])
        .expect(0);
    assert!(run.stderr().contains("removed 2"), "{}", run.describe());
    assert_eq!(titles(&ws, "idx"), ["Charlie"]);
}

#[test]
fn a_named_index_that_does_not_exist_is_an_error_not_a_new_index() {
    let ws = three_folders();
    for args in [
        &["-q", "--index", "typo", "search", "alpha"][..],
        &["--index", "typo", "similar", "0123456789abcdef-0"],
        &["--index", "typo", "show", "0123456789abcdef"],
        &["--index", "typo", "stats"],
    ] {
        let run = ws.run(args).expect(2);
        assert!(
            run.stderr().contains("no index at typo"),
            "{}",
            run.describe()
        );
    }
    let run = ws.run_env(&["-q", "search", "sample"], &[("QUARRY_INDEX", "typo2")]);
    run.expect(2);
    assert!(!ws.path("typo").exists() && !ws.path("typo2").exists());
    assert!(!ws.path(".quarry").exists(), "no index was built");
    // The zero-set-up default builds the sample index, and says so even with -q.
    let run = ws.run(&["-q", "search", "sample"]).expect(0);
    assert!(
        run.stderr()
            .contains("no index at .quarry; indexing ./corpus/ first"),
        "{}",
        run.describe()
    );
}

#[test]
fn the_rebuild_hint_works_on_an_index_this_quarry_cannot_open() {
    // `quarry index corpus/` names the index's own sources: never refused, even when the
    // index (of an older schema) cannot be opened to count what other paths would drop.
    let ws = three_folders();
    ws.run(&["index", "corpus/"]).expect(0);
    crate::common::edit_index_meta(&ws.path(".quarry"), &[("schema_version", Value::from(1))]);
    let run = ws.run(&["index", "corpus/"]).expect(0);
    assert!(
        run.stderr().contains("rebuilding index"),
        "{}",
        run.describe()
    );
}

#[test]
fn relative_sources_are_not_read_from_another_folder() {
    let ws = three_folders();
    ws.run(&["--index", "idx", "index", "real"]).expect(0);
    let before = hashes(&ws.path("idx"));
    // From inside real/, "real" means something else (or nothing): refused, not re-indexed.
    let index = ws.path("idx");
    let mut cmd = ws.command(&["--index", index.to_str().unwrap(), "index"]);
    cmd.current_dir(ws.path("real"));
    let run = Run {
        cmd: "quarry --index IDX index (in real/)".into(),
        out: cmd.output().unwrap(),
    };
    let run = run.expect(2);
    assert!(
        run.stderr().contains("was built in") && run.stderr().contains("--replace"),
        "{}",
        run.describe()
    );
    assert_eq!(hashes(&ws.path("idx")), before);
}
