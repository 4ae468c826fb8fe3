//! Test helpers: a temporary workspace, a wrapper around one run of the binary that prints
//! everything on failure, and JSON accessors.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary workspace holding a copy of the fixture corpus at `corpus/`.
pub struct Workspace {
    dir: tempfile::TempDir,
}

/// The result of one run of the binary.
pub struct Run {
    pub cmd: String,
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn describe(&self) -> String {
        format!(
            "command: {}\nexit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmd,
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }
    /// Asserts the exit code and returns self.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\n{}",
            self.describe()
        );
        self
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.describe()))
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Workspace {
    /// An empty workspace.
    pub fn empty() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A workspace with the fixture corpus copied to `corpus/`.
    pub fn with_corpus() -> Workspace {
        let ws = Workspace::empty();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
        copy_dir(&fixtures, &ws.path("corpus"));
        ws
    }

    /// A workspace with `tests/fixtures/NAME` copied to `corpus/` (without its README.md) and
    /// indexed.
    pub fn indexed_fixture(name: &str) -> Workspace {
        let ws = Workspace::empty();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_dir(&fixtures, &ws.path("corpus"));
        let _ = std::fs::remove_file(ws.path("corpus/README.md"));
        ws.run(&["index"]).expect(0);
        ws
    }

    /// A workspace with the fixture corpus, already indexed (without the broken files).
    pub fn indexed() -> Workspace {
        let ws = Workspace::with_corpus();
        std::fs::remove_dir_all(ws.path("corpus/broken")).unwrap();
        ws.run(&["index"]).expect(0);
        ws
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("QUARRY_INDEX")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("the quarry binary runs");
        Run {
            cmd: format!("quarry {}", args.join(" ")),
            out,
        }
    }
}

/// Runs `quarry search --format json ARGS...` and returns the hits: none when it exits 1,
/// a panic with the whole run described when it fails.
pub fn search_json(ws: &Workspace, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["search", "--format", "json"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    if run.code() == 1 {
        return Vec::new();
    }
    hits(&run.expect(0))
}

/// The hits of a `search --format json` run (the `hits` array of its object).
pub fn hits(run: &Run) -> Vec<Value> {
    let v = run.json();
    assert_eq!(v["format_version"], 1, "{}", run.describe());
    v["hits"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no hits array\n{}", run.describe()))
}

/// Sets `fields` in the `quarry.json` of the index in `index_dir` (standing in for an index of
/// another quarry version); returns the old values.
pub fn edit_index_meta(index_dir: &Path, fields: &[(&str, Value)]) -> Vec<Value> {
    let path = index_dir.join("quarry.json");
    let mut meta: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let old = fields
        .iter()
        .map(|(k, v)| std::mem::replace(&mut meta[*k], v.clone()))
        .collect();
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    old
}
