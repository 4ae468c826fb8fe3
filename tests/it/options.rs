//! Every option of every subcommand, with hostile values: no panic, no abort, no hang, an exit
//! code of 0, 1 or 2, and an error as one sanitised `quarry: ` line. The options are read from
//! each subcommand's `--help`, so an option added later is covered without touching this file.

use super::common::*;
use std::time::{Duration, Instant};

/// Values for options that take numbers (`<N>`, `<MB>`, `<SECONDS>`, `<SCORE>`): the edges of
/// every integer type, negatives, floats that are not numbers, garbage.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "65536",
    "4294967296",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "NaN",
    "inf",
    "-inf",
    "1e308",
    "0x10",
    "",
];

/// Values for every other option.
const OTHERS: &[&str] = &[
    "",
    "-1",
    "18446744073709551615",
    "ndcg@18446744073709551615,p@0,recall@-1",
    "9999-99-99",
    "*,,,",
    "\u{1b}]52;c;aGk=\u{7}\u{202e}x",
];

const NUMERIC_VALUE_NAMES: &[&str] = &["<N>", "<MB>", "<SECONDS>", "<SCORE>", "<K>"];

/// The options of `quarry SUBCOMMAND` that take a value, with their value names, from its help.
fn options(ws: &Workspace, subcommand: &str) -> Vec<(String, String)> {
    let help = ws.run(&[subcommand, "--help"]).expect(0).stdout();
    help.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix('-')
                .filter(|rest| rest.chars().nth(1) == Some(','))
                .map_or(line, |rest| rest[2..].trim_start());
            let rest = line.strip_prefix("--")?;
            let mut words = rest.split_whitespace();
            let name = words.next()?;
            let value = words.next().filter(|v| v.starts_with('<'))?;
            Some((
                format!("--{name}"),
                value.trim_end_matches("...").to_string(),
            ))
        })
        .collect()
}

#[test]
fn no_option_value_panics_hangs_or_prints_more_than_one_error_line() {
    let ws = Workspace::indexed();
    ws.write(
        "suite.toml",
        "[[query]]\nquery = \"Zhenhua\"\nexpect = \"zhenhua.md\"\n",
    );
    ws.write("topics.tsv", "1\tZhenhua\n");
    ws.write("qrels.txt", "1 0 zhenhua 1\n");
    let hit = search_json(&ws, &["Zhenhua"]);
    let passage = hit[0]["passage_id"].as_str().unwrap().to_string();
    // A separate small corpus for `index`, so each run costs little and the main index stays.
    ws.write(
        "small/note.md",
        "# A note\n\nThe wainwright kept the ledger.\n",
    );
    let commands: Vec<(&str, Vec<&str>)> = vec![
        ("index", vec!["--index", "small-index", "small"]),
        ("search", vec!["Zhenhua"]),
        ("similar", vec![&passage]),
        ("show", vec![&passage]),
        ("stats", vec![]),
        ("verify", vec![]),
        ("check", vec!["suite.toml"]),
        (
            "eval",
            vec!["--topics", "topics.tsv", "--qrels", "qrels.txt"],
        ),
    ];
    let mut runs = 0;
    let mut tried = Vec::new();
    for (subcommand, base) in &commands {
        // Each command works without a hostile value, so the values reach real work.
        let mut args = vec![*subcommand];
        args.extend(base.iter().copied());
        let run = ws.run(&args);
        assert!(matches!(run.code(), 0 | 1), "{}", run.describe());
        let opts = options(&ws, subcommand);
        assert!(
            !opts.is_empty(),
            "no options read from `{subcommand} --help`"
        );
        for (option, value_name) in opts {
            let values = if NUMERIC_VALUE_NAMES.contains(&value_name.as_str()) {
                NUMBERS
            } else {
                OTHERS
            };
            tried.push(format!("{subcommand} {option}"));
            for value in values {
                let mut args = vec![*subcommand, option.as_str(), value];
                args.extend(base.iter().copied());
                if *subcommand == "index" && option == "--index" {
                    // Another index folder than the one named in `base`.
                    args = vec!["index", "small", "--index", value];
                }
                let started = Instant::now();
                let run = ws.run(&args);
                runs += 1;
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "slow\n{}",
                    run.describe()
                );
                check(&run);
            }
        }
    }
    println!(
        "{runs} runs over {} options: {}",
        tried.len(),
        tried.join(", ")
    );
    for must in [
        "search --limit",
        "search --offset",
        "search --min-score",
        "index --timeout",
        "index --threads",
        "index --extract-memory",
        "show --context",
    ] {
        assert!(tried.iter().any(|t| t == must), "{must} was not tried");
    }
}

fn check(run: &Run) {
    let err = run.stderr();
    assert!(
        matches!(run.code(), 0..=2),
        "exit code outside 0-2\n{}",
        run.describe()
    );
    assert!(
        !err.contains("internal error")
            && !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE"),
        "panic\n{}",
        run.describe()
    );
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202e}'),
        "unsanitised\n{}",
        run.describe()
    );
    if run.code() == 2 {
        let lines: Vec<&str> = err.lines().collect();
        assert!(
            lines.iter().all(|l| l.starts_with("quarry: ")),
            "an error line without `quarry: `\n{}",
            run.describe()
        );
        if run.out.stdout.is_empty() && !run.cmd.starts_with("quarry index") {
            assert_eq!(
                lines.len(),
                1,
                "more than one error line\n{}",
                run.describe()
            );
        }
    }
}
