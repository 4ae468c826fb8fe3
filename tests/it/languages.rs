//! Multilingual search on fixtures written in Russian, Ukrainian, Chinese, Arabic, German and
//! English (tests/fixtures/languages/): language detection, stemming of inflected forms, Chinese
//! words inside unsegmented text, names across scripts, the `--lang` filter.

use super::common::*;
use serde_json::Value;
use std::path::Path;

fn indexed() -> Workspace {
    let ws = Workspace::empty();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/languages");
    copy_dir(&fixtures, &ws.path("corpus"));
    ws.run(&["index", "-q"]).expect(0);
    ws
}

fn search(ws: &Workspace, args: &[&str]) -> Vec<Value> {
    search_json(ws, args)
}

fn paths(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| {
            h["path"]
                .as_str()
                .unwrap()
                .trim_start_matches("corpus/")
                .to_string()
        })
        .collect()
}

#[test]
fn languages_are_detected_and_shown() {
    let ws = indexed();
    for (file, lang) in [
        ("ru-troll-factory.md", "ru"),
        ("uk-media-monitoring.md", "uk"),
        ("zh-xinjiang-campaign.md", "zh"),
        ("ar-fake-news.md", "ar"),
        ("de-state-media.md", "de"),
        ("en-report-quoting-russian.md", "en"),
    ] {
        let stem = file.trim_end_matches(".md");
        let hit = &search(&ws, &[&format!("path:\"{stem}\"")])[0];
        assert_eq!(hit["lang"], lang, "{file}");
    }
    let stats = ws.run(&["stats", "--format", "json"]).expect(0).json();
    for lang in ["ru", "uk", "zh", "ar", "de", "en"] {
        assert_eq!(stats["by_lang"][lang], 1, "{stats}");
    }
}

#[test]
fn inflected_russian_and_german_queries_match_their_forms() {
    let ws = indexed();
    // The note says «пропаганды» and «выборов»; the query uses other forms.
    assert_eq!(
        paths(&search(&ws, &["пропаганда"]))[0],
        "ru-troll-factory.md"
    );
    assert!(paths(&search(&ws, &["выборы"])).contains(&"ru-troll-factory.md".to_string()));
    // A Russian quote inside an English report is stemmed as Russian too.
    assert!(paths(&search(&ws, &["западные", "СМИ"]))
        .contains(&"en-report-quoting-russian.md".to_string()));
    // German: «Zeitungen», «Desinformationskampagnen», «verbreiteten».
    assert_eq!(paths(&search(&ws, &["Zeitung"]))[0], "de-state-media.md");
    assert_eq!(
        paths(&search(&ws, &["Desinformationskampagne"]))[0],
        "de-state-media.md"
    );
    assert_eq!(paths(&search(&ws, &["verbreiten"]))[0], "de-state-media.md");
    // Arabic: «الانتخابات» (the elections) found from «انتخاب» (election), «الحسابات» (the
    // accounts) from «الحساب» (the account).
    assert_eq!(paths(&search(&ws, &["انتخاب"]))[0], "ar-fake-news.md");
    assert_eq!(paths(&search(&ws, &["الحساب"]))[0], "ar-fake-news.md");
}

#[test]
fn chinese_words_match_inside_unsegmented_text() {
    let ws = indexed();
    let hits = search(&ws, &["新疆"]);
    assert_eq!(paths(&hits)[0], "zh-xinjiang-campaign.md");
    let text: Vec<char> = hits[0]["text"].as_str().unwrap().chars().collect();
    let (s, e) = (
        hits[0]["highlights"][0][0].as_u64().unwrap() as usize,
        hits[0]["highlights"][0][1].as_u64().unwrap() as usize,
    );
    assert_eq!(text[s..e].iter().collect::<String>(), "新疆");
    assert_eq!(
        paths(&search(&ws, &["\"维吾尔自治区\""]))[0],
        "zh-xinjiang-campaign.md"
    );
    assert_eq!(
        paths(&search(&ws, &["协调行动"]))[0],
        "zh-xinjiang-campaign.md"
    );
    assert!(search(&ws, &["\"新疆报告\""]).is_empty());
}

#[test]
fn names_match_across_scripts_both_ways() {
    let ws = indexed();
    // Latin spelling finds the Cyrillic (inflected) form, and the reverse.
    assert!(paths(&search(&ws, &["Prigozhin"])).contains(&"ru-troll-factory.md".to_string()));
    assert!(
        paths(&search(&ws, &["Пригожин"])).contains(&"en-report-quoting-russian.md".to_string())
    );
    assert!(paths(&search(&ws, &["Navalny"])).contains(&"ru-troll-factory.md".to_string()));
    assert!(
        paths(&search(&ws, &["Навальный"])).contains(&"en-report-quoting-russian.md".to_string())
    );
    // The Cyrillic match is highlighted.
    let hit = search(&ws, &["--lang", "ru", "Prigozhin"])[0].clone();
    let text: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
    let words: Vec<String> = hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            text[r[0].as_u64().unwrap() as usize..r[1].as_u64().unwrap() as usize]
                .iter()
                .collect()
        })
        .collect();
    assert!(words.contains(&"Пригожина".to_string()), "{words:?}");
}

#[test]
fn the_lang_filter_keeps_one_language() {
    let ws = indexed();
    let all = search(&ws, &["Prigozhin"]);
    assert!(all.len() >= 2);
    let ru = search(&ws, &["--lang", "ru", "Prigozhin"]);
    assert_eq!(paths(&ru), ["ru-troll-factory.md"]);
    assert!(search(&ws, &["--lang", "Russian", "Prigozhin"]).len() == 1);
    let run = ws
        .run(&["search", "--lang", "klingon-ish", "Prigozhin"])
        .expect(2);
    assert!(run.stderr().contains("unknown language"));
}
