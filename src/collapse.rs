//! Near-duplicate passages: the signature stored with each passage at index time, and the
//! collapsing of copies among ranked candidates at query time.
//!
//! The same text often sits in a collection several times: a report as PDF, as HTML, as an
//! OCR text file and as a CSV of its lines. A passage's [`signature`] is a MinHash of its word
//! pairs after folding case, punctuation, hyphenation at line ends and soft hyphens: 64 minima
//! of 64-bit hashes, of which the low 16 bits are kept (b-bit MinHash; two different minima
//! agree by chance once in 65 536), plus the number of distinct word pairs. Two passages are
//! copies ([`same_text`]) when their estimated Jaccard similarity is at least
//! [`MIN_JACCARD`], or when the smaller one, at least half the size of the other, is estimated
//! to lie at least [`MIN_CONTAINMENT`] within it (the same text cut at other passage
//! boundaries). A short text quoted whole inside a long passage is not a copy of it.
//!
//! [`collapse`] groups ranked candidates into copies, in rank order, and picks the copy to show
//! by a [`Preference`] of formats: the one a researcher would cite (a paged original over HTML,
//! over plain text, over a record row).

use crate::document::{Format, FORMATS};
use crate::error::{Error, ErrorKind, Result};
use std::collections::HashMap;

/// Number of MinHash values in a signature.
pub const HASHES: usize = 64;

/// Stored values of a signature (see [`Signature::values`]).
pub const SIGNATURE_VALUES: usize = (HASHES + 1).div_ceil(3);

/// Estimated Jaccard similarity of word pairs from which two passages are copies.
pub const MIN_JACCARD: f64 = 0.5;

/// Estimated share of the smaller passage's word pairs found in the larger from which two
/// passages are copies.
pub const MIN_CONTAINMENT: f64 = 0.9;

/// Agreeing hash values required before containment is trusted (a few agreements between
/// unrelated passages are chance).
const MIN_AGREEING: usize = 8;

/// Word pairs the smaller passage needs before containment is considered: a line of a few
/// words is inside many passages by chance, and its estimate is noise.
const MIN_CONTAINED_PAIRS: f64 = 16.0;

/// The smaller passage's share of the larger's word pairs from which containment counts. A
/// short text quoted whole inside a long passage is a quotation, not a copy: collapsing it
/// would hide the source behind the text that quotes it.
const MIN_SIZE_RATIO: f64 = 0.5;

/// The words of `text` as the signature sees them: lower case, letters and digits only, a word
/// broken by a hyphen at a line end or by a soft hyphen joined again.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
            continue;
        }
        if c == '\u{ad}' {
            continue;
        }
        if c == '-' && !word.is_empty() {
            // `infor-\nmation`: a hyphen, spaces holding a line break, then a letter.
            let mut ahead = chars.clone();
            let mut newline = false;
            while let Some(&n) = ahead.peek() {
                if !n.is_whitespace() {
                    break;
                }
                newline |= n == '\n';
                ahead.next();
            }
            if newline && ahead.peek().is_some_and(|n| n.is_alphabetic()) {
                chars = ahead;
                continue;
            }
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// FNV-1a, fixed across runs and platforms (signatures are stored in indexes).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The SplitMix64 finaliser: a bijective mixing of 64 bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The signature of a passage's text, or `None` when it has no words.
pub fn signature(text: &str) -> Option<Signature> {
    let hashes: Vec<u64> = words(text).iter().map(|w| fnv(w.as_bytes())).collect();
    let mut shingles: Vec<u64> = match hashes.len() {
        0 => return None,
        1 => hashes,
        _ => hashes
            .windows(2)
            .map(|w| mix(w[0].rotate_left(17) ^ w[1]))
            .collect(),
    };
    shingles.sort_unstable();
    shingles.dedup();
    let mut hashes = [0u16; HASHES];
    for (i, slot) in hashes.iter_mut().enumerate() {
        let seed = mix((i as u64).wrapping_add(0x9e37_79b9_7f4a_7c15));
        let min = shingles
            .iter()
            .map(|s| mix(s ^ seed))
            .min()
            .unwrap_or(u64::MAX);
        *slot = (min & 0xffff) as u16;
    }
    Some(Signature {
        pairs: u16::try_from(shingles.len()).unwrap_or(u16::MAX),
        lanes: packed(&hashes),
    })
}

/// A passage's signature: the number of distinct word pairs and the MinHash values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pairs: u16,
    /// The hashes, four 16-bit lanes per word, so they compare four at a time.
    lanes: [u64; HASHES / 4],
}

/// Four 16-bit hashes per word, for comparing four at a time.
fn packed(hashes: &[u16; HASHES]) -> [u64; HASHES / 4] {
    let mut out = [0u64; HASHES / 4];
    for (word, four) in out.iter_mut().zip(hashes.chunks_exact(4)) {
        for (k, h) in four.iter().enumerate() {
            *word |= u64::from(*h) << (16 * k);
        }
    }
    out
}

/// How many of the 16-bit lanes of `a` and `b` are equal.
fn equal_lanes(a: u64, b: u64) -> u32 {
    const LOW: u64 = 0x7fff_7fff_7fff_7fff;
    const HIGH: u64 = 0x8000_8000_8000_8000;
    let x = a ^ b;
    // A lane's top bit ends up set exactly when the lane is not zero.
    let nonzero = (((x & LOW) + LOW) | x) & HIGH;
    4 - nonzero.count_ones()
}

impl Signature {
    /// The signature as the values of a multi-valued fast column (bit-packed, read in constant
    /// time): each value holds its position in bits 48 and up, and three 16-bit slots below;
    /// slots 0 to 63 are the hashes, slot 64 the word-pair count. The position makes the value
    /// order irrelevant.
    pub fn values(&self) -> Vec<u64> {
        let mut slots: Vec<u16> = self
            .lanes
            .iter()
            .flat_map(|w| (0..4).map(move |k| ((w >> (16 * k)) & 0xffff) as u16))
            .collect();
        slots.push(self.pairs);
        slots
            .chunks(3)
            .enumerate()
            .map(|(pos, chunk)| {
                let mut v = (pos as u64) << 48;
                for (k, slot) in chunk.iter().enumerate() {
                    v |= u64::from(*slot) << (16 * k);
                }
                v
            })
            .collect()
    }

    /// Reads a stored signature back; `None` when it is malformed (such a passage is never a
    /// copy).
    pub fn from_values(values: impl Iterator<Item = u64>) -> Option<Signature> {
        let mut slots = [0u16; 3 * SIGNATURE_VALUES];
        let mut seen = [false; SIGNATURE_VALUES];
        for v in values {
            let pos = usize::try_from(v >> 48).ok()?;
            if pos >= SIGNATURE_VALUES || seen[pos] {
                return None;
            }
            seen[pos] = true;
            for k in 0..3 {
                slots[3 * pos + k] = ((v >> (16 * k)) & 0xffff) as u16;
            }
        }
        if !seen.iter().all(|s| *s) {
            return None;
        }
        let mut hashes = [0u16; HASHES];
        hashes.copy_from_slice(&slots[..HASHES]);
        Some(Signature {
            pairs: slots[HASHES],
            lanes: packed(&hashes),
        })
    }
}

/// Whether two signatures are of copies of one text (see the module docs).
pub fn same_text(a: &Signature, b: &Signature) -> bool {
    let agreeing: u32 = a
        .lanes
        .iter()
        .zip(b.lanes.iter())
        .map(|(x, y)| equal_lanes(*x, *y))
        .sum();
    let agreeing = agreeing as usize;
    let jaccard = agreeing as f64 / HASHES as f64;
    if jaccard >= MIN_JACCARD {
        return true;
    }
    if agreeing < MIN_AGREEING {
        return false;
    }
    let na = f64::from(a.pairs);
    let nb = f64::from(b.pairs);
    if na.min(nb) < MIN_CONTAINED_PAIRS || na.min(nb) < MIN_SIZE_RATIO * na.max(nb) {
        return false;
    }
    let shared = jaccard * (na + nb) / (1.0 + jaccard);
    shared / na.min(nb) >= MIN_CONTAINMENT
}

/// Which copy of a passage is shown: formats in order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    order: Vec<Format>,
}

/// The formats a researcher would rather cite, best first: paged originals, then documents,
/// web pages, notes, plain text, and record rows last.
pub const DEFAULT_PREFERENCE: [Format; 17] = [
    Format::Pdf,
    Format::Epub,
    Format::Docx,
    Format::Odt,
    Format::Html,
    Format::Markdown,
    Format::Text,
    // Read by OCR: a copy in any other format quotes the words as written.
    Format::Image,
    Format::Email,
    Format::Csv,
    Format::Tsv,
    Format::Jsonl,
    Format::Json,
    Format::Telegram,
    Format::Spreadsheet,
    Format::WebArchive,
    Format::Archive,
];

impl Default for Preference {
    fn default() -> Preference {
        Preference {
            order: DEFAULT_PREFERENCE.to_vec(),
        }
    }
}

impl Preference {
    /// `first` in the order given, then the other formats in the default order.
    pub fn with_first(first: &[Format]) -> Preference {
        let mut order: Vec<Format> = Vec::new();
        for f in first.iter().chain(DEFAULT_PREFERENCE.iter()) {
            if !order.contains(f) {
                order.push(*f);
            }
        }
        Preference { order }
    }

    /// Reads a comma-separated list of format names (`pdf,html`).
    pub fn parse(list: &str) -> Result<Preference> {
        let mut first = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let format = Format::from_name(name).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("unknown format '{name}' in --prefer"),
                )
                .with_hint(format!(
                    "formats are {}",
                    FORMATS.map(Format::name).join(", ")
                ))
            })?;
            first.push(format);
        }
        Ok(Preference::with_first(&first))
    }

    /// The place of a format name in the order (lower is preferred; unknown names last).
    pub fn place(&self, format: &str) -> usize {
        self.order
            .iter()
            .position(|f| f.name() == format)
            .unwrap_or(self.order.len())
    }
}

/// A ranked candidate as collapsing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its signature, if it has one (passages without words have none and are never copies).
    pub signature: Option<&'a Signature>,
    /// Its format's name.
    pub format: &'a str,
    /// Its document, for the cap of shown hits per document.
    pub doc: &'a str,
    /// Whether it may be shown (it scores above the floor); a candidate that may not is only
    /// ever named as a copy.
    pub eligible: bool,
}

/// Copies of one text among the candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The index of the copy to show.
    pub shown: usize,
    /// Every member's index, in rank order (the shown copy included).
    pub members: Vec<usize>,
}

/// Seeds compared one by one before they are looked up by band (below this many, comparing
/// them all is cheaper than hashing).
const BANDED_FROM: usize = 64;

/// The best-ranked member of each group so far, found by comparing a candidate with every
/// seed, or once there are many, with the seeds that share one of its 32 bands of two hashes
/// (copies at an estimated Jaccard of 0.5 share one with a probability above 0.9999; at 0.3,
/// the same text cut at other boundaries, above 0.95).
struct Seeds<'a> {
    seeds: Vec<(&'a Signature, usize)>,
    bands: HashMap<(usize, u32), Vec<usize>>,
}

impl<'a> Seeds<'a> {
    fn new() -> Seeds<'a> {
        Seeds {
            seeds: Vec::new(),
            bands: HashMap::new(),
        }
    }

    fn band_keys(sig: &Signature) -> impl Iterator<Item = (usize, u32)> + '_ {
        sig.lanes
            .iter()
            .flat_map(|w| [(*w & 0xffff_ffff) as u32, (*w >> 32) as u32])
            .enumerate()
    }

    fn add(&mut self, sig: &'a Signature, group: usize) {
        let at = self.seeds.len();
        self.seeds.push((sig, group));
        if at >= BANDED_FROM {
            for key in Self::band_keys(sig) {
                self.bands.entry(key).or_default().push(at);
            }
        }
    }

    /// The group of the first seed that `sig` is a copy of.
    fn home(&self, sig: &Signature) -> Option<usize> {
        let early = self.seeds.len().min(BANDED_FROM);
        if let Some((_, g)) = self.seeds[..early]
            .iter()
            .find(|(seed, _)| same_text(sig, seed))
        {
            return Some(*g);
        }
        if self.bands.is_empty() {
            return None;
        }
        let mut later: Vec<usize> = Self::band_keys(sig)
            .filter_map(|key| self.bands.get(&key))
            .flatten()
            .copied()
            .collect();
        later.sort_unstable();
        later.dedup();
        later
            .into_iter()
            .find(|&i| same_text(sig, self.seeds[i].0))
            .map(|i| self.seeds[i].1)
    }
}

/// Groups `items` (in rank order) into copies, giving the first `most` groups. Groups come in
/// the order of their best-ranked member; a candidate joins the first group whose best-ranked
/// member it is a copy of (never by a chain of partial overlaps, which would join unrelated
/// texts), and otherwise starts a group when it is eligible. The shown copy is the eligible
/// member of the most preferred format, among equals the best ranked, and within the cap of
/// `per_doc` shown hits per document: a group whose eligible members all come from documents
/// that already show `per_doc` hits is left out. The same input always gives the same groups;
/// the cost is linear in the candidates (seeds are found by band once there are many).
pub fn collapse(
    items: &[Item<'_>],
    preference: &Preference,
    most: usize,
    per_doc: Option<usize>,
) -> Vec<Group> {
    // Groups beyond `most` are needed only when the cap leaves some out; make more until
    // enough are left or no candidate is left to start one.
    let mut limit = most;
    loop {
        let (groups, complete) = group(items, limit);
        let kept = choose(items, groups, preference, per_doc, most);
        if kept.len() >= most || complete {
            return kept;
        }
        limit = limit.saturating_mul(2).max(most.saturating_add(1));
    }
}

/// The first `limit` groups of copies in rank order, and whether no candidate was left unable to
/// start a group.
fn group(items: &[Item<'_>], limit: usize) -> (Vec<Group>, bool) {
    let mut groups: Vec<Group> = Vec::new();
    let mut seeds = Seeds::new();
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        if let Some(g) = item.signature.and_then(|sig| seeds.home(sig)) {
            groups[g].members.push(i);
            continue;
        }
        if !item.eligible {
            continue;
        }
        if groups.len() >= limit {
            complete = false;
            continue;
        }
        if let Some(sig) = item.signature {
            seeds.add(sig, groups.len());
        }
        groups.push(Group {
            shown: i,
            members: vec![i],
        });
    }
    (groups, complete)
}

/// Picks each group's shown copy within the cap per document, keeping the first `most`.
fn choose(
    items: &[Item<'_>],
    groups: Vec<Group>,
    preference: &Preference,
    per_doc: Option<usize>,
    most: usize,
) -> Vec<Group> {
    let mut shown_per_doc: HashMap<&str, usize> = HashMap::new();
    let mut kept = Vec::new();
    for mut g in groups {
        if kept.len() >= most {
            break;
        }
        if g.members.len() == 1 {
            // Its one member started it, so it is eligible.
            let doc = items[g.shown].doc;
            let shown = shown_per_doc.entry(doc).or_insert(0);
            if per_doc.is_none_or(|cap| *shown < cap.max(1)) {
                *shown += 1;
                kept.push(g);
            }
            continue;
        }
        let mut order: Vec<usize> = g
            .members
            .iter()
            .copied()
            .filter(|&m| items[m].eligible)
            .collect();
        order.sort_by_key(|&m| (preference.place(items[m].format), m));
        let room = |m: &usize| {
            per_doc.is_none_or(|cap| {
                shown_per_doc.get(items[*m].doc).copied().unwrap_or(0) < cap.max(1)
            })
        };
        let Some(shown) = order.iter().copied().find(room) else {
            continue;
        };
        *shown_per_doc.entry(items[shown].doc).or_insert(0) += 1;
        g.shown = shown;
        kept.push(g);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "The Internet Research Agency purchased approximately 3,500 \
        advertisements on Facebook between 2015 and 2017, spending about one hundred thousand \
        dollars, and its accounts reached tens of millions of users in the United States.";

    fn sig(text: &str) -> Signature {
        signature(text).expect("words")
    }

    #[test]
    fn words_fold_case_punctuation_and_line_end_hyphens() {
        assert_eq!(
            words("The infor-\n  mation, (re)TOLD; soft\u{ad}ware e-mail"),
            ["the", "information", "re", "told", "software", "e", "mail"]
        );
        assert!(signature(" -- ... ").is_none());
    }

    #[test]
    fn the_same_text_in_other_layouts_is_a_copy() {
        let reflowed = REPORT
            .replace(", ", ",\n")
            .replace("advertisements", "advertise-\nments");
        assert!(same_text(&sig(REPORT), &sig(&reflowed)));
        assert!(same_text(&sig(REPORT), &sig(&REPORT.to_uppercase())));
        let values = sig(REPORT).values();
        assert_eq!(values.len(), SIGNATURE_VALUES);
        assert_eq!(
            Signature::from_values(values.iter().rev().copied()),
            Some(sig(REPORT))
        );
    }

    #[test]
    fn equal_lanes_counts_equal_16_bit_lanes() {
        assert_eq!(equal_lanes(0, 0), 4);
        assert_eq!(equal_lanes(0x0001_0000_ffff_8000, 0x0001_0000_ffff_8000), 4);
        assert_eq!(equal_lanes(0x0001_0000_ffff_8000, 0x0001_0001_fffe_0000), 1);
        assert_eq!(equal_lanes(u64::MAX, 0), 0);
        assert_eq!(equal_lanes(0x8000_0000_0000_0000, 0), 3);
    }

    #[test]
    fn a_passage_inside_a_longer_copy_is_a_copy() {
        let longer = format!(
            "{REPORT} The company later said that the accounts were removed once found, and \
             that it had shared what it found with the committee."
        );
        assert!(same_text(&sig(REPORT), &sig(&longer)));
    }

    #[test]
    fn a_short_text_quoted_inside_a_long_passage_is_not_a_copy() {
        let quoting = format!(
            "The notes describe each file in turn. The first is a transcript of a radio \
             programme about shipping; the second is a list of ferry timetables for the \
             winter months with their changes; the third reads, in full: {REPORT} The fourth \
             is a table of account names with the dates each was created and suspended, and \
             the fifth a set of screenshots that the desk could not date."
        );
        assert!(!same_text(&sig(REPORT), &sig(&quoting)));
    }

    #[test]
    fn different_passages_on_one_topic_are_not_copies() {
        let other = "Facebook said the Internet Research Agency spent about one hundred \
            thousand dollars on advertisements; researchers found that most of them never \
            mentioned the election and many ran after it.";
        assert!(!same_text(&sig(REPORT), &sig(other)));
        assert!(!same_text(&sig("Page 3"), &sig("Page 4")));
        assert!(Signature::from_values([1u64, 2, 3].into_iter()).is_none());
    }

    #[test]
    fn collapsing_shows_the_preferred_copy_and_keeps_rank_order() {
        let a = sig(REPORT);
        let b = sig("Something else entirely, about ports and shipping schedules in winter.");
        let items = [
            Item {
                signature: Some(&a),
                format: "text",
                doc: "d",
                eligible: true,
            },
            Item {
                signature: Some(&b),
                format: "pdf",
                doc: "d",
                eligible: true,
            },
            Item {
                signature: Some(&a),
                format: "pdf",
                doc: "d",
                eligible: true,
            },
            Item {
                signature: None,
                format: "csv",
                doc: "d",
                eligible: true,
            },
            Item {
                signature: Some(&a),
                format: "html",
                doc: "d",
                eligible: true,
            },
        ];
        let groups = collapse(&items, &Preference::default(), 10, None);
        assert_eq!(
            groups,
            [
                Group {
                    shown: 2,
                    members: vec![0, 2, 4]
                },
                Group {
                    shown: 1,
                    members: vec![1]
                },
                Group {
                    shown: 3,
                    members: vec![3]
                },
            ]
        );
        let html_first = Preference::parse("html").expect("known");
        assert_eq!(collapse(&items, &html_first, 10, None)[0].shown, 4);
        // Only the first groups are made, but copies still join them.
        assert_eq!(
            collapse(&items, &Preference::default(), 1, None),
            [Group {
                shown: 2,
                members: vec![0, 2, 4]
            }]
        );
        // A copy below the score floor is only named.
        let mut floor = items;
        floor[2].eligible = false;
        let groups = collapse(&floor, &Preference::default(), 10, None);
        assert_eq!(groups[0].shown, 4);
        assert_eq!(groups[0].members, [0, 2, 4]);
        floor[0].eligible = false;
        let groups = collapse(&floor, &Preference::default(), 10, None);
        assert_eq!(
            groups[0].members,
            [1],
            "a group starts at an eligible member"
        );
        // The cap per document counts shown hits: the third group has no room left.
        let groups = collapse(&items, &Preference::default(), 10, Some(2));
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].members, [0, 2, 4]);
        assert_eq!(groups[1].members, [1]);
    }

    #[test]
    fn the_cap_counts_the_shown_copys_document() {
        // Three passages of a report, each in its PDF and its text copy; two per document.
        let texts = [
            REPORT.to_string(),
            "Ferry timetables for the winter months changed twice, and the harbour office \
             published neither change until the week after it took effect in every port."
                .to_string(),
            "The page that started the rumour renamed itself twice and deleted its first \
             posts, but archived copies show the same photograph and caption on each."
                .to_string(),
        ];
        let sigs: Vec<Signature> = texts.iter().map(|t| sig(t)).collect();
        let mut items = Vec::new();
        for s in &sigs {
            for (format, doc) in [("text", "T"), ("pdf", "P")] {
                items.push(Item {
                    signature: Some(s),
                    format,
                    doc,
                    eligible: true,
                });
            }
        }
        let groups = collapse(&items, &Preference::default(), 10, Some(2));
        assert_eq!(groups.len(), 3);
        let shown: Vec<&str> = groups.iter().map(|g| items[g.shown].doc).collect();
        assert_eq!(
            shown,
            ["P", "P", "T"],
            "the PDF shows two, then the text copy"
        );
        assert_eq!(groups[2].members, [4, 5]);
        // With one per document, the third text has no room left and is left out.
        let groups = collapse(&items, &Preference::default(), 10, Some(1));
        assert_eq!(groups.len(), 2);
    }

    #[test]
    fn copies_are_found_among_many_seeds() {
        let texts: Vec<String> = (0..150)
            .map(|i| {
                format!(
                    "note {i} records the harbour {i} and ferry {} schedule {i} today",
                    i * 7
                )
            })
            .collect();
        let mut sigs: Vec<Signature> = texts.iter().map(|t| sig(t)).collect();
        sigs.push(sig(&texts[120]));
        let items: Vec<Item<'_>> = sigs
            .iter()
            .map(|s| Item {
                signature: Some(s),
                format: "text",
                doc: "d",
                eligible: true,
            })
            .collect();
        let groups = collapse(&items, &Preference::default(), 1000, None);
        assert_eq!(groups.len(), 150);
        assert_eq!(groups[120].members, [120, 150]);
        assert!(Preference::parse("pdf,tiff").is_err());
    }
}
