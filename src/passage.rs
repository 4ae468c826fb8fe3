//! Splitting a document into passages: the unit quarry indexes, ranks and cites.
//!
//! A passage is a contiguous range of a document's text of about [`MIN_WORDS`]–[`MAX_WORDS`]
//! words that never crosses a page and never cuts a word. The splitter is pure and
//! deterministic: the same blocks always give the same passages.
//!
//! How it works: each block is cut into units, sentences (Unicode sentence boundaries), and a
//! sentence longer than [`UNIT_MAX_WORDS`] into near-equal runs of whole words. Units are then
//! grouped by dynamic programming, per page, minimising a cost that prefers passages near
//! [`TARGET_WORDS`], breaks between paragraphs over breaks between sentences, breaks between
//! sentences over breaks inside one, and passages that start at a heading. Because no unit
//! exceeds half of [`MAX_WORDS`], a grouping within the bounds always exists; only a page (or a
//! whole document) with fewer than [`MIN_WORDS`] words yields a shorter passage.
//!
//! Invariants (checked by a property test): passages are in text order and do not overlap;
//! together they contain every non-whitespace character of every block; each has at most
//! [`MAX_WORDS`] words, and at least [`MIN_WORDS`] unless its page has fewer.
//!
//! Words are runs of non-whitespace characters, except that each CJK ideograph, kana or hangul
//! syllable counts as a word of its own (those scripts do not separate words with spaces).

use crate::document::Block;

/// The fewest words a passage has, unless its page or document is shorter.
pub const MIN_WORDS: usize = 40;
/// The most words a passage has.
pub const MAX_WORDS: usize = 250;
/// The length the splitter aims for.
pub const TARGET_WORDS: usize = 100;
/// Sentences longer than this are cut into runs of whole words.
pub const UNIT_MAX_WORDS: usize = MAX_WORDS / 2;

const SIZE_SPREAD: f64 = 60.0;
const BREAK_AT_PARAGRAPH: f64 = 0.0;
const BREAK_AT_HEADING: f64 = -1.5;
const BREAK_AT_SENTENCE: f64 = 2.0;
const BREAK_IN_SENTENCE: f64 = 12.0;

/// One passage of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// 0-based position of the passage in its document.
    pub ordinal: u32,
    /// Byte offset of its first character in the document text.
    pub byte_start: usize,
    /// Byte offset just past its last character.
    pub byte_end: usize,
    /// Character (Unicode scalar) offset of its first character in the document text.
    pub start: usize,
    /// Character offset just past its last character.
    pub end: usize,
    /// 1-based line on which it starts (see [`Block::line`]).
    pub line: u32,
    /// 1-based page, for paged formats.
    pub page: Option<u32>,
    /// The nearest heading above (or at) its start.
    pub heading: Option<String>,
    /// Its number of words.
    pub words: usize,
}

#[derive(Debug, Clone, Copy)]
struct Unit {
    start: usize,
    end: usize,
    words: usize,
    /// Cost of starting a passage at this unit.
    break_cost: f64,
    block: usize,
    /// Index of the heading block in effect at this unit.
    heading: Option<usize>,
}

/// Splits a document's text into passages along its blocks.
pub fn split(text: &str, blocks: &[Block]) -> Vec<Passage> {
    let units = units(text, blocks);
    let mut groups: Vec<(usize, usize)> = Vec::new(); // unit index ranges [a, b)
    let mut section_start = 0;
    for i in 1..=units.len() {
        let page_changes =
            i == units.len() || blocks[units[i].block].page != blocks[units[i - 1].block].page;
        if page_changes {
            for (a, b) in group(&units[section_start..i]) {
                groups.push((section_start + a, section_start + b));
            }
            section_start = i;
        }
    }

    let mut chars = CharCounter::new(text);
    // Lines are counted on from the previous passage's start when it began in the same block,
    // so a long paragraph cut into many passages is read once, not once per passage.
    let mut cursor: Option<(usize, usize, u32)> = None; // (block, byte, line)
    groups
        .into_iter()
        .enumerate()
        .map(|(ordinal, (a, b))| {
            let first = units[a];
            let block = &blocks[first.block];
            let byte_start = first.start;
            let byte_end = units[b - 1].end;
            let (from, base) = match cursor {
                Some((bi, at, line)) if bi == first.block && at <= byte_start => (at, line),
                _ => (block.start, block.line),
            };
            let line = base + text[from..byte_start].matches('\n').count() as u32;
            cursor = Some((first.block, byte_start, line));
            Passage {
                ordinal: ordinal as u32,
                byte_start,
                byte_end,
                start: chars.at(byte_start),
                end: chars.at(byte_end),
                line,
                page: block.page,
                heading: first.heading.map(|h| heading_text(text, &blocks[h])),
                words: units[a..b].iter().map(|u| u.words).sum(),
            }
        })
        .collect()
}

fn heading_text(text: &str, block: &Block) -> String {
    let words: Vec<&str> = text[block.start..block.end].split_whitespace().collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &joined[..i]),
        None => joined,
    }
}

fn units(text: &str, blocks: &[Block]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut heading = None;
    for (bi, block) in blocks.iter().enumerate() {
        let content = &text[block.start..block.end];
        let (pieces, first_cost) = if block.heading.is_some() {
            heading = Some(bi);
            (vec![(0, content.len())], BREAK_AT_HEADING)
        } else {
            (sentence_spans(content), BREAK_AT_PARAGRAPH)
        };
        let mut first_in_block = true;
        for (s, e) in pieces {
            let piece = &content[s..e];
            let trimmed = piece.trim();
            if trimmed.is_empty() {
                continue;
            }
            let lead = piece.len() - piece.trim_start().len();
            let abs = block.start + s + lead;
            let sentence_cost = if first_in_block {
                first_cost
            } else {
                BREAK_AT_SENTENCE
            };
            first_in_block = false;
            for (k, (cs, ce, words)) in chunk_words(trimmed).into_iter().enumerate() {
                units.push(Unit {
                    start: abs + cs,
                    end: abs + ce,
                    words,
                    break_cost: if k == 0 {
                        sentence_cost
                    } else {
                        BREAK_IN_SENTENCE
                    },
                    block: bi,
                    heading,
                });
            }
        }
    }
    units
}

/// Sentences of `s` as contiguous byte ranges covering it. A sentence ends after `.`, `!`, `?`,
/// `…` (and their Arabic, Devanagari and full-width CJK forms), with any closing quotes or
/// brackets and the spaces after them, unless the next word starts with a lower-case letter
/// (`e.g. the`, `3 p.m. on`). A full-width CJK mark ends a sentence without a space; a Latin one
/// needs whitespace after it (`3.5`, `U.S.` do not end sentences). Line breaks inside a paragraph
/// do not end sentences (hard-wrapped text). This covers what passage boundaries need, at a
/// fraction of the cost of full Unicode sentence segmentation.
fn sentence_spans(s: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let full_width = matches!(c, '。' | '！' | '？');
        if !(full_width || matches!(c, '.' | '!' | '?' | '…' | '؟' | '।')) {
            continue;
        }
        let mut end = i + c.len_utf8();
        // More terminators and closing quotes or brackets belong to this sentence.
        while let Some(&(j, d)) = chars.peek() {
            if matches!(
                d,
                '.' | '!'
                    | '?'
                    | '…'
                    | '。'
                    | '！'
                    | '？'
                    | '"'
                    | '\''
                    | '”'
                    | '’'
                    | ')'
                    | ']'
                    | '»'
                    | '」'
                    | '』'
                    | '）'
            ) {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let mut spaced = false;
        while let Some(&(j, d)) = chars.peek() {
            if d.is_whitespace() {
                spaced = true;
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if !spaced && !full_width {
            continue;
        }
        if let Some(&(_, next)) = chars.peek() {
            if next.is_lowercase() {
                continue;
            }
        }
        if end < bytes.len() {
            spans.push((start, end));
            start = end;
        }
    }
    if start < s.len() || spans.is_empty() {
        spans.push((start, s.len()));
    }
    spans
}

/// True for characters of scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // hiragana, katakana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x3134F) // CJK extensions B–G
}

/// Byte ranges `[start, end)` of the words of `s`.
fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut current: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if let Some(st) = current.take() {
                spans.push((st, i));
            }
        } else if is_cjk(c) {
            if let Some(st) = current.take() {
                spans.push((st, i));
            }
            spans.push((i, i + c.len_utf8()));
        } else if current.is_none() {
            current = Some(i);
        }
    }
    if let Some(st) = current {
        spans.push((st, s.len()));
    }
    spans
}

/// The number of words in `s`.
pub fn count_words(s: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        if c.is_whitespace() {
            in_word = false;
        } else if is_cjk(c) {
            count += 1;
            in_word = false;
        } else if !in_word {
            count += 1;
            in_word = true;
        }
    }
    count
}

/// Cuts trimmed text into near-equal runs of at most [`UNIT_MAX_WORDS`] whole words:
/// `(start, end, words)` byte ranges relative to `s`.
fn chunk_words(s: &str) -> Vec<(usize, usize, usize)> {
    let words = count_words(s);
    if words <= UNIT_MAX_WORDS {
        return vec![(0, s.len(), words.max(1))];
    }
    let spans = word_spans(s);
    let n = spans.len();
    let chunks = n.div_ceil(UNIT_MAX_WORDS);
    (0..chunks)
        .map(|k| {
            let a = k * n / chunks;
            let b = (k + 1) * n / chunks;
            (spans[a].0, spans[b - 1].1, b - a)
        })
        .collect()
}

fn size_cost(words: usize) -> f64 {
    let d = (words as f64 - TARGET_WORDS as f64) / SIZE_SPREAD;
    d * d
}

/// Groups a page's units into passages: index ranges `[a, b)` of `units`.
fn group(units: &[Unit]) -> Vec<(usize, usize)> {
    let n = units.len();
    if n == 0 {
        return Vec::new();
    }
    let mut prefix = vec![0usize; n + 1];
    for (i, u) in units.iter().enumerate() {
        prefix[i + 1] = prefix[i] + u.words;
    }
    if prefix[n] < MIN_WORDS {
        return vec![(0, n)];
    }
    let mut best = vec![f64::INFINITY; n + 1];
    let mut from = vec![usize::MAX; n + 1];
    best[0] = 0.0;
    for i in 1..=n {
        for j in (0..i).rev() {
            let words = prefix[i] - prefix[j];
            if words > MAX_WORDS {
                break;
            }
            if words < MIN_WORDS || !best[j].is_finite() {
                continue;
            }
            let brk = if j > 0 { units[j].break_cost } else { 0.0 };
            let cost = best[j] + size_cost(words) + brk;
            if cost < best[i] {
                best[i] = cost;
                from[i] = j;
            }
        }
    }
    if !best[n].is_finite() {
        // Unreachable while units are at most MAX_WORDS / 2 words; stay safe regardless.
        return greedy(&prefix);
    }
    let mut out = Vec::new();
    let mut i = n;
    while i > 0 {
        let j = from[i];
        out.push((j, i));
        i = j;
    }
    out.reverse();
    out
}

fn greedy(prefix: &[usize]) -> Vec<(usize, usize)> {
    let n = prefix.len() - 1;
    let mut out = Vec::new();
    let mut a = 0;
    for i in 1..=n {
        if prefix[i] - prefix[a] >= MAX_WORDS.min(MIN_WORDS * 2) || i == n {
            out.push((a, i));
            a = i;
        }
    }
    out
}

/// Converts increasing byte offsets to character offsets in one pass.
struct CharCounter<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharCounter<'a> {
    fn new(text: &'a str) -> Self {
        CharCounter {
            text,
            byte: 0,
            chars: 0,
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.chars = 0;
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(s: &str) -> Vec<&str> {
        let spans = sentence_spans(s);
        // Contiguous and covering.
        assert_eq!(spans.first().map(|p| p.0), Some(0));
        assert_eq!(spans.last().map(|p| p.1), Some(s.len()));
        assert!(spans.windows(2).all(|w| w[0].1 == w[1].0));
        spans.iter().map(|&(a, b)| &s[a..b]).collect()
    }

    #[test]
    fn sentences_end_at_terminators_followed_by_space() {
        assert_eq!(
            sentences("It grew. Then \"it fell.\" Why? e.g. the 3.5 U.S. figure. 好。对"),
            [
                "It grew. ",
                "Then \"it fell.\" ",
                "Why? e.g. the 3.5 U.S. figure. ",
                "好。",
                "对"
            ]
        );
        assert_eq!(
            sentences("a wrapped\nline. Next"),
            ["a wrapped\nline. ", "Next"]
        );
        assert_eq!(sentences(""), [""]);
        assert_eq!(sentences("No end"), ["No end"]);
        assert_eq!(sentences("End. "), ["End. "]);
    }
    use crate::document::TextBuilder;
    use proptest::prelude::*;

    fn doc(blocks: &[(&str, Option<u8>, Option<u32>)]) -> (String, Vec<Block>) {
        let mut b = TextBuilder::new();
        for (i, (t, h, p)) in blocks.iter().enumerate() {
            b.push(t, i as u32 * 2 + 1, *p, *h);
        }
        b.finish()
    }

    fn sentence(n: usize, word: &str) -> String {
        let mut s = vec![word; n].join(" ");
        s.push('.');
        s
    }

    #[test]
    fn lines_of_passages_in_one_long_block_count_every_line_break() {
        // One block of 600 lines: cut into many passages, each starting on its own line.
        let body: Vec<String> = (0..600).map(|i| sentence(12, &format!("w{i}"))).collect();
        let (text, blocks) = doc(&[(&body.join("\n"), None, None)]);
        let passages = split(&text, &blocks);
        assert!(passages.len() > 10, "{}", passages.len());
        for p in &passages {
            let expected = 1 + text[..p.byte_start].matches('\n').count() as u32;
            assert_eq!(p.line, expected, "passage {}", p.ordinal);
        }
    }

    #[test]
    fn short_document_is_one_passage() {
        let (text, blocks) = doc(&[("Just a few words here.", None, None)]);
        let p = split(&text, &blocks);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].words, 5);
        assert_eq!((p[0].start, p[0].end), (0, text.chars().count()));
    }

    #[test]
    fn paragraphs_are_preferred_breaks() {
        let para1 = format!("{} {}", sentence(50, "alpha"), sentence(40, "beta"));
        let para2 = format!("{} {}", sentence(45, "gamma"), sentence(45, "delta"));
        let (text, blocks) = doc(&[(&para1, None, None), (&para2, None, None)]);
        let p = split(&text, &blocks);
        assert_eq!(p.len(), 2);
        assert_eq!(&text[p[0].byte_start..p[0].byte_end], para1);
        assert_eq!(&text[p[1].byte_start..p[1].byte_end], para2);
        assert_eq!(p[1].line, 3);
    }

    #[test]
    fn long_sentences_are_cut_between_words() {
        let long = sentence(600, "word");
        let (text, blocks) = doc(&[(&long, None, None)]);
        let p = split(&text, &blocks);
        assert!(p.len() >= 3);
        for passage in &p {
            assert!(passage.words <= MAX_WORDS && passage.words >= MIN_WORDS);
            let t = &text[passage.byte_start..passage.byte_end];
            assert!(t.starts_with("word") && (t.ends_with("word") || t.ends_with("word.")));
        }
    }

    #[test]
    fn headings_are_attached_and_pages_are_hard_breaks() {
        let body = sentence(60, "text");
        let (text, blocks) = doc(&[
            ("Findings", Some(2), Some(1)),
            (&body, None, Some(1)),
            (&body, None, Some(2)),
            ("Short tail on page two.", None, Some(2)),
        ]);
        let p = split(&text, &blocks);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].heading.as_deref(), Some("Findings"));
        assert_eq!(p[0].page, Some(1));
        assert!(text[p[0].byte_start..].starts_with("Findings"));
        assert_eq!(p[1].page, Some(2));
        assert_eq!(p[1].heading.as_deref(), Some("Findings"));
    }

    #[test]
    fn cjk_text_counts_characters_as_words() {
        let zh = "新疆维吾尔自治区".repeat(60); // 480 characters, no spaces, no sentence ends
        let (text, blocks) = doc(&[(&zh, None, None)]);
        let p = split(&text, &blocks);
        assert!(p.len() >= 2);
        assert!(p
            .iter()
            .all(|x| x.words <= MAX_WORDS && x.words >= MIN_WORDS));
        assert_eq!(p.iter().map(|x| x.end - x.start).sum::<usize>(), 480);
    }

    #[test]
    fn char_offsets_count_characters_not_bytes() {
        let (text, blocks) = doc(&[
            ("Ünïcödé first.", None, None),
            ("Пропаганда second.", None, None),
        ]);
        let p = split(&text, &blocks);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].end, text.chars().count());
    }

    fn non_ws(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Passages respect the size bounds, stay in order without overlap, and together
        /// hold every non-whitespace character of the document exactly once.
        #[test]
        fn passages_cover_the_text_within_bounds(
            paras in prop::collection::vec(
                (prop::collection::vec("[a-zA-Zé]{1,9}|[.!?]|新疆|\\.\\s", 0..400), any::<bool>(), 0u32..3),
                1..12,
            )
        ) {
            let mut b = TextBuilder::new();
            let mut page = 1;
            for (i, (words, is_heading, next_page)) in paras.iter().enumerate() {
                page += next_page.min(&1);
                let mut t = words.join(" ");
                if *is_heading {
                    t.truncate(t.char_indices().nth(80).map_or(t.len(), |(i, _)| i));
                }
                b.push(&t, i as u32 + 1, Some(page), is_heading.then_some(2));
            }
            let (text, blocks) = b.finish();
            let passages = split(&text, &blocks);

            let mut joined = String::new();
            let mut last_end = 0;
            for p in &passages {
                prop_assert!(p.byte_start >= last_end);
                prop_assert!(p.byte_start < p.byte_end);
                last_end = p.byte_end;
                let t = &text[p.byte_start..p.byte_end];
                prop_assert_eq!(t.trim(), t);
                prop_assert_eq!(count_words(t), p.words);
                prop_assert!(p.words <= MAX_WORDS, "{} words", p.words);
                if p.words < MIN_WORDS {
                    let page_words: usize = blocks.iter()
                        .filter(|bl| bl.page == p.page)
                        .map(|bl| count_words(&text[bl.start..bl.end]))
                        .sum();
                    prop_assert!(page_words < MIN_WORDS, "short passage on a page of {} words", page_words);
                }
                prop_assert_eq!(text[..p.byte_start].chars().count(), p.start);
                prop_assert_eq!(text[..p.byte_end].chars().count(), p.end);
                joined.push_str(t);
            }
            prop_assert_eq!(non_ws(&joined), non_ws(&text));
        }
    }
}
