//! Highlighting matched terms and choosing a snippet, in characters.
//!
//! Passage text is analysed with the same analyzer as at index time, so a highlighted token is
//! exactly a token that matched (stemmed forms included). Ranges are character (Unicode scalar)
//! offsets, as in the JSON output, so scripts in any language can slice the text with them.

use crate::analysis::{self, text_field_for, TEXT_FIELDS};
use std::collections::HashSet;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// A half-open character range `[start, end)`.
pub type CharRange = (usize, usize);

/// Byte ranges of the tokens of `text` whose form under `analyzer` is in `terms`.
fn matching(
    mut analyzer: TextAnalyzer,
    text: &str,
    terms: &HashSet<String>,
    out: &mut Vec<(usize, usize)>,
) {
    if terms.is_empty() {
        return;
    }
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        if terms.contains(&token.text) {
            out.push((token.offset_from, token.offset_to));
        }
    }
}

/// Character ranges of the matched words of a passage's `text`, in order: tokens whose form
/// under the analyzer of the passage's text field (chosen by its language `lang`) is in that
/// field's `text_terms`, and names whose cross-script key is in `translit_terms`.
pub fn highlight_ranges(
    text: &str,
    lang: Option<&str>,
    text_terms: &[HashSet<String>],
    translit_terms: &HashSet<String>,
) -> Vec<CharRange> {
    let field = text_field_for(lang);
    let mut byte_ranges = Vec::new();
    if let Some(terms) = text_terms.get(field) {
        matching(
            analysis::text_analyzer(&TEXT_FIELDS[field]),
            text,
            terms,
            &mut byte_ranges,
        );
    }
    matching(
        analysis::translit_analyzer(),
        text,
        translit_terms,
        &mut byte_ranges,
    );
    byte_ranges.sort_unstable();
    byte_ranges.dedup();
    // Merge overlapping ranges (CJK bigrams overlap by one character).
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(byte_ranges.len());
    for (from, to) in byte_ranges {
        match merged.last_mut() {
            Some(last) if from < last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    let byte_ranges = merged;
    // Convert byte offsets (increasing) to character offsets in one pass.
    let mut out = Vec::with_capacity(byte_ranges.len());
    let mut chars = 0;
    let mut byte = 0;
    for (from, to) in byte_ranges {
        if from < byte {
            continue;
        }
        chars += text[byte..from].chars().count();
        let start = chars;
        chars += text[from..to].chars().count();
        byte = to;
        out.push((start, chars));
    }
    out
}

/// A snippet of at most about `max_chars` characters of `text`, around the densest cluster of
/// highlights, cut at word boundaries, with `…` where text was cut, line breaks shown as
/// spaces; and the highlights that fall in it, as character ranges of the snippet.
pub fn snippet(text: &str, highlights: &[CharRange], max_chars: usize) -> (String, Vec<CharRange>) {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let max_chars = max_chars.max(20);
    let (mut start, mut end) = if n <= max_chars {
        (0, n)
    } else {
        let best = best_window_start(&chars, highlights, max_chars);
        let lead = if best == 0 { 0 } else { max_chars / 5 };
        let s = best.saturating_sub(lead).min(n - max_chars);
        (s, s + max_chars)
    };
    if start > 0 {
        // Move forward to the start of a word.
        while start < end && !chars[start - 1].is_whitespace() {
            start += 1;
        }
        while start < end && chars[start].is_whitespace() {
            start += 1;
        }
    }
    if end < n {
        // Move back to the end of a word.
        let floor = start + max_chars / 2;
        let mut e = end;
        while e > floor && !chars[e].is_whitespace() {
            e -= 1;
        }
        if e > floor {
            end = e;
        }
        while end > start && chars[end - 1].is_whitespace() {
            end -= 1;
        }
    }
    // Render the window with runs of whitespace shown as one space; `position[i]` is where
    // character `start + i` lands in the snippet.
    let mut out = String::new();
    let mut len = 0;
    if start > 0 {
        out.push('…');
        len += 1;
    }
    let mut position = Vec::with_capacity(end - start + 1);
    let mut last_space = false;
    for &c in &chars[start..end] {
        position.push(len);
        let space = c.is_whitespace() || c.is_control();
        if space && last_space {
            continue;
        }
        out.push(if space { ' ' } else { c });
        len += 1;
        last_space = space;
    }
    position.push(len);
    if end < n {
        out.push('…');
    }
    let ranges = highlights
        .iter()
        .filter(|&&(s, e)| s >= start && e <= end)
        .map(|&(s, e)| (position[s - start], position[e - start]))
        .collect();
    (out, ranges)
}

/// The highlight start at which a window of `width` characters holds the most distinct
/// highlighted words (then the most highlights); the earliest such, or 0.
fn best_window_start(chars: &[char], highlights: &[CharRange], width: usize) -> usize {
    let mut best = (0usize, 0usize, 0usize); // (distinct, count, start)
    for (i, &(s, _)) in highlights.iter().enumerate() {
        let inside: Vec<&CharRange> = highlights[i..]
            .iter()
            .take_while(|&&(_, e)| e <= s + width)
            .collect();
        let distinct = inside
            .iter()
            .map(|&&(a, b)| {
                chars[a..b]
                    .iter()
                    .flat_map(|c| c.to_lowercase())
                    .collect::<String>()
            })
            .collect::<HashSet<_>>()
            .len();
        let key = (distinct, inside.len());
        if key > (best.0, best.1) {
            best = (key.0, key.1, s);
        }
    }
    best.2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str]) -> HashSet<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn ranges(text: &str, words: &[&str]) -> Vec<CharRange> {
        highlight_ranges(text, None, &[terms(words)], &HashSet::new())
    }

    #[test]
    fn highlights_stemmed_matches_in_characters() {
        let text = "Ünïcode: journalists were monitored; a journalist objected.";
        let found = ranges(text, &["journalist", "monitor"]);
        let got: Vec<String> = found
            .iter()
            .map(|&(s, e)| text.chars().skip(s).take(e - s).collect())
            .collect();
        assert_eq!(got, ["journalists", "monitored", "journalist"]);
    }

    #[test]
    fn cjk_bigram_matches_merge_and_names_highlight_across_scripts() {
        let text = "新疆维吾尔自治区的报道提到Пригожина.";
        let found = ranges(text, &["新疆", "疆维"]);
        assert_eq!(found, vec![(0, 3)]);
        let key = analysis::translit::key(
            "prigozhin",
            &frostem::Stemmer::new(frostem::Algorithm::Russian),
        )
        .unwrap();
        let found = highlight_ranges(text, Some("zh"), &[HashSet::new()], &terms(&[&key]));
        let word: String = text
            .chars()
            .skip(found[0].0)
            .take(found[0].1 - found[0].0)
            .collect();
        assert_eq!(word, "Пригожина");
    }

    #[test]
    fn short_text_is_its_own_snippet() {
        let (s, r) = snippet("one two\n\nthree", &[(4, 7), (9, 14)], 100);
        assert_eq!(s, "one two three");
        assert_eq!(r, vec![(4, 7), (8, 13)]);
    }

    #[test]
    fn long_text_is_cut_around_the_matches_at_word_boundaries() {
        let text = format!(
            "{} target words here {}",
            "lead ".repeat(100),
            "tail ".repeat(100)
        );
        let found = ranges(&text, &["target"]);
        let (s, r) = snippet(&text, &found, 60);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.chars().count() <= 62);
        let (a, b) = r[0];
        let hit: String = s.chars().skip(a).take(b - a).collect();
        assert_eq!(hit, "target");
        assert!(!s.contains("lea…") && !s.contains("…ead"));
    }
}
