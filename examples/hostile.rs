//! Measures `quarry index` on every hostile input (tests/it/hostile_inputs.rs) at the sizes of
//! the hostile-input report: wall time, peak RSS (the indexer and its largest worker) and what
//! the build reported for the hostile file. Prints a Markdown table for bench/RESULTS-hostile.md.
//!
//!     cargo build --release && cargo run --release --example hostile -- [--scale test|full] [CASE...]
//!
//! Each case is generated in a temporary folder, indexed with a 120 s limit and removed.

#[path = "../tests/it/hostile_inputs.rs"]
mod inputs;

use std::process::Command;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut scale = inputs::Scale::Full;
    let mut names: Vec<String> = Vec::new();
    let argv: Vec<String> = std::env::args().collect();
    // Child mode: generate one case, so that the measuring process stays small (a child
    // inherits its parent's peak RSS in the kernel's count).
    if argv.get(1).map(String::as_str) == Some("--generate") && argv.len() == 5 {
        let scale = if argv[4] == "test" {
            inputs::Scale::Test
        } else {
            inputs::Scale::Full
        };
        inputs::make(std::path::Path::new(&argv[3]), &argv[2], scale)?;
        return Ok(());
    }
    let mut args = argv.into_iter().skip(1);
    while let Some(a) = args.next() {
        if a == "--scale" {
            scale = match args.next().as_deref() {
                Some("test") => inputs::Scale::Test,
                _ => inputs::Scale::Full,
            };
        } else {
            names.push(a);
        }
    }
    if names.is_empty() {
        names = inputs::NAMES.iter().map(|s| s.to_string()).collect();
    }
    let exe = std::env::current_exe()?;
    let quarry = exe
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("quarry"))
        .ok_or("cannot find target/release/quarry")?;
    println!("| case | seconds | peak RSS MB | exit | hostile file reported as |");
    println!("|---|---|---|---|---|");
    for name in &names {
        let root = tempfile_dir()?;
        let status = Command::new(&exe)
            .arg("--generate")
            .arg(name)
            .arg(&root)
            .arg(if scale == inputs::Scale::Test {
                "test"
            } else {
                "full"
            })
            .status()?;
        if !status.success() {
            return Err(format!("generating {name} failed").into());
        }
        // Describes the case again without writing it: make() on an existing folder is cheap
        // for the description, but writes; so read the description from a dry copy instead.
        let case = inputs::describe(&root, name, scale)?;
        let mut cmd = Command::new(&quarry);
        cmd.arg("index")
            .arg(&case.dir)
            .arg("--index")
            .arg(root.join("index"))
            .args(&case.args);
        let m = inputs::measure(cmd, Duration::from_secs(120))?;
        let report: Vec<&str> = m
            .stderr
            .lines()
            .filter(|l| !l.contains("note.md") && !l.trim().is_empty())
            .take(3)
            .collect();
        println!(
            "| {} | {:.2}{} | {:.0} | {} | {} |",
            case.name,
            m.seconds,
            if m.timed_out { " (killed)" } else { "" },
            m.peak_mb,
            m.code,
            report
                .join(" / ")
                .replace('|', "\\|")
                .chars()
                .take(300)
                .collect::<String>()
        );
        std::fs::remove_dir_all(&root)?;
    }
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let base = std::env::var_os("TMPDIR").map_or_else(std::env::temp_dir, Into::into);
    for i in 0..1000u32 {
        let p = base.join(format!("quarry-hostile-{}-{i}", std::process::id()));
        if std::fs::create_dir(&p).is_ok() {
            return Ok(p);
        }
    }
    Err(std::io::Error::other("no temporary folder"))
}
