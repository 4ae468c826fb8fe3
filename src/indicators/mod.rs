//! Indicators: the URLs, registered domains, e-mail addresses, @handles, #hashtags, Telegram
//! channels and file hashes a text names, the things investigators pivot on.
//!
//! [`find`] scans a text once, word by word (runs of non-space characters, stripped of the
//! punctuation around them), after undoing the usual defanging of threat reports
//! (`example[.]com`, `hxxps://`, `[@]`, `[:]`). What it finds keeps its byte range in the text
//! as given, for highlighting; [`Indicators`] holds the distinct values of one passage by kind,
//! normalised so that they count together:
//! - `url`: the address as written, its scheme and host in lower case (`http` and `https`);
//! - `domain`: the registered domain (the public suffix and one label before it, by Mozilla's
//!   Public Suffix List through the `psl` crate: `news.bbc.co.uk` → `bbc.co.uk`) of every URL,
//!   address and bare host name; a bare name counts only when its suffix is a known one and is
//!   not a common file extension (`report.zip`, `notes.md`, `script.py` are files);
//! - `email`: the address, in lower case;
//! - `handle`: `@name` (letters, digits and `_`, at least one letter; not in an address);
//! - `hashtag`: `#tag` in any script (`#выборы`, `#新疆棉花`), in lower case, at least one
//!   letter (`#1` is a number);
//! - `channel`: the public username of a `t.me/` (or `telegram.me/`) link, in lower case;
//! - `hash`: 32, 40 or 64 hexadecimal digits alone (MD5, SHA-1, SHA-256), in lower case.
//!
//! Pure and bounded: linear in the text, no allocation beyond the values found.
//!
//! The indexer stores each passage's indicators ([`crate::schema::Fields::indicator`]);
//! searches filter and count by them, and [`list`] tabulates those of a set of passages
//! (`quarry indicators`).

pub mod list;

use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// The kinds of indicator, as users name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A registered domain.
    Domain,
    /// A web address.
    Url,
    /// An e-mail address.
    Email,
    /// A social-media handle.
    Handle,
    /// A hashtag.
    Hashtag,
    /// A Telegram channel.
    Channel,
    /// An MD5, SHA-1 or SHA-256 hash.
    Hash,
}

impl Kind {
    /// Every kind, in the order of their names in help texts.
    pub const ALL: [Kind; 7] = [
        Kind::Domain,
        Kind::Url,
        Kind::Email,
        Kind::Handle,
        Kind::Hashtag,
        Kind::Channel,
        Kind::Hash,
    ];

    /// Its name (`domain`, `hashtag`...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Url => "url",
            Kind::Domain => "domain",
            Kind::Email => "email",
            Kind::Handle => "handle",
            Kind::Hashtag => "hashtag",
            Kind::Channel => "channel",
            Kind::Hash => "hash",
        }
    }

    /// The kind called `name` (plurals accepted).
    pub fn from_name(name: &str) -> Option<Kind> {
        let name = name.trim().to_lowercase();
        let forms = [
            Some(name.as_str()),
            name.strip_suffix('s'),
            name.strip_suffix("es"),
        ];
        for form in forms.into_iter().flatten() {
            if let Some(kind) = Kind::ALL.into_iter().find(|k| k.name() == form) {
                return Some(kind);
            }
        }
        None
    }

    /// Whether passages can be filtered and counted by it (every kind but `url`: nearly
    /// every URL is unique, so they are kept with each passage but not indexed).
    pub fn is_indexed(self) -> bool {
        self != Kind::Url
    }

    /// A value as typed by a user (`#Tag`, `@Name`, `https://www.Example.com/x`, `t.me/name`)
    /// in the form this kind stores, so that a filter finds it; `None` when it cannot be one.
    pub fn normalise(self, value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        match self {
            Kind::Domain => {
                let host = refang(value).0;
                let host = host
                    .split_once("://")
                    .map_or(host.as_ref(), |(_, rest)| rest)
                    .split(['/', '?', '#', ':'])
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                registered(&host)
            }
            Kind::Handle => Some(format!("@{}", value.trim_start_matches('@').to_lowercase())),
            Kind::Hashtag => Some(format!("#{}", value.trim_start_matches('#').to_lowercase())),
            Kind::Channel => {
                let v = value.to_lowercase();
                let v = v
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_start_matches("t.me/")
                    .trim_start_matches("telegram.me/")
                    .trim_start_matches("s/")
                    .trim_start_matches('@');
                Some(v.split(['/', '?']).next().unwrap_or(v).to_string())
            }
            Kind::Url => find(value)
                .into_iter()
                .find(|f| f.kind == Kind::Url)
                .map(|f| f.value),
            Kind::Email | Kind::Hash => Some(refang(value).0.to_lowercase()),
        }
    }
}

/// One indicator found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its kind.
    pub kind: Kind,
    /// Its normalised value.
    pub value: String,
    /// Byte range in the text (of what it was found in: the URL for its domain).
    pub start: usize,
    /// See `start`.
    pub end: usize,
}

/// The distinct indicators of a passage, by kind, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Indicators {
    /// Web addresses.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub url: BTreeSet<String>,
    /// Registered domains.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub domain: BTreeSet<String>,
    /// E-mail addresses.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub email: BTreeSet<String>,
    /// Handles.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub handle: BTreeSet<String>,
    /// Hashtags.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub hashtag: BTreeSet<String>,
    /// Telegram channels.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub channel: BTreeSet<String>,
    /// Hashes.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub hash: BTreeSet<String>,
}

impl Indicators {
    /// The indicators of `text`.
    pub fn of(text: &str) -> Indicators {
        let mut out = Indicators::default();
        out.add_text(text);
        out
    }

    /// Adds the indicators of `text`.
    pub fn add_text(&mut self, text: &str) {
        for f in find(text) {
            self.add(f.kind, f.value);
        }
    }

    /// Adds one value.
    pub fn add(&mut self, kind: Kind, value: String) {
        self.of_kind_mut(kind).insert(value);
    }

    /// The values of `kind`.
    pub fn of_kind(&self, kind: Kind) -> &BTreeSet<String> {
        match kind {
            Kind::Url => &self.url,
            Kind::Domain => &self.domain,
            Kind::Email => &self.email,
            Kind::Handle => &self.handle,
            Kind::Hashtag => &self.hashtag,
            Kind::Channel => &self.channel,
            Kind::Hash => &self.hash,
        }
    }

    fn of_kind_mut(&mut self, kind: Kind) -> &mut BTreeSet<String> {
        match kind {
            Kind::Url => &mut self.url,
            Kind::Domain => &mut self.domain,
            Kind::Email => &mut self.email,
            Kind::Handle => &mut self.handle,
            Kind::Hashtag => &mut self.hashtag,
            Kind::Channel => &mut self.channel,
            Kind::Hash => &mut self.hash,
        }
    }

    /// Whether none was found.
    pub fn is_empty(&self) -> bool {
        Kind::ALL.iter().all(|k| self.of_kind(*k).is_empty())
    }
}

/// Defanged spellings and what they stand for, longest first where they overlap.
const DEFANGED: [(&str, &str); 12] = [
    ("hxxps", "https"),
    ("hxxp", "http"),
    ("HXXPS", "HTTPS"),
    ("HXXP", "HTTP"),
    ("[://]", "://"),
    ("[:]", ":"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("[@]", "@"),
    ("[at]", "@"),
];

/// `text` with defanging undone, and for each byte of the result the byte of `text` it came
/// from (`None` when nothing was defanged: then the offsets are the same).
fn refang(text: &str) -> (Cow<'_, str>, Option<Vec<usize>>) {
    // Every defanged form has a bracket or "xxp": most texts have neither.
    let maybe = text.contains(['[', '(', '{']) || text.contains("xxp") || text.contains("XXP");
    let defanged = maybe && DEFANGED.iter().any(|(from, _)| text.contains(from));
    if !defanged {
        return (Cow::Borrowed(text), None);
    }
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut i = 0;
    'outer: while i < text.len() {
        let rest = &text[i..];
        for (from, to) in DEFANGED {
            if rest.starts_with(from) {
                for _ in 0..to.len() {
                    map.push(i);
                }
                out.push_str(to);
                i += from.len();
                continue 'outer;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        for _ in 0..c.len_utf8() {
            map.push(i);
        }
        out.push(c);
        i += c.len_utf8();
    }
    map.push(text.len());
    (Cow::Owned(out), Some(map))
}

/// File extensions that are also top-level domains: a bare `name.ext` with one of these is a
/// file, not a site (written with a scheme or `www.`, it is a site).
const FILE_SUFFIXES: [&str; 16] = [
    "zip", "mov", "md", "py", "sh", "rs", "pl", "ps", "cc", "so", "sx", "ai", "gz", "pm", "im",
    "ml",
];

/// The registered domain of `host` (lower case ASCII or Unicode labels), when its suffix is
/// a known public suffix.
fn registered(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if host.len() > 253 || !host.contains('.') {
        return None;
    }
    let labels_ok = host.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !labels_ok {
        return None;
    }
    let domain = psl::domain(host.as_bytes())?;
    if !domain.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(domain.as_bytes())
        .ok()
        .map(str::to_string)
}

/// Characters stripped from the ends of a word before it is read.
fn is_edge(c: char) -> bool {
    !(c.is_alphanumeric() || matches!(c, '@' | '#' | '_' | '/' | '-' | '='))
}

/// Every indicator in `text`, in order (a URL is followed by its domain, a Telegram link by its
/// channel, an address by its domain).
pub fn find(text: &str) -> Vec<Found> {
    let (clean, map) = refang(text);
    let at = |i: usize| {
        map.as_ref()
            .map_or(i, |m| m.get(i).copied().unwrap_or(text.len()))
    };
    let mut out = Vec::new();
    let mut pos = 0;
    for word in clean.split_inclusive(char::is_whitespace) {
        let start = pos;
        pos += word.len();
        let trimmed_start = word.trim_start_matches(is_edge);
        let s = start + (word.len() - trimmed_start.len());
        let core = trimmed_start.trim_end_matches(is_edge);
        if core.is_empty() {
            continue;
        }
        // Only words with a dot, an @ or a # (or of a hash's length) can be one.
        if !core.contains(['.', '@', '#']) && !matches!(core.len(), 32 | 40 | 64) {
            continue;
        }
        let e = s + core.len();
        let mut push = |kind: Kind, value: String| {
            out.push(Found {
                kind,
                value,
                start: at(s),
                end: at(e),
            })
        };
        read_word(core, &mut push);
    }
    out
}

/// Reads one word (punctuation around it stripped) for indicators.
fn read_word(word: &str, push: &mut dyn FnMut(Kind, String)) {
    let lower = word.to_lowercase();
    // Paths keep their case; where lower-casing changed the length (a few letters do), the
    // lower-case form stands in, so that offsets into it hold.
    let word = if lower.len() == word.len() {
        word
    } else {
        lower.as_str()
    };
    let tail = |n: usize| word.get(word.len().saturating_sub(n)..).unwrap_or("");
    // A web address, with a scheme or www.
    let after_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let web = after_scheme.or_else(|| lower.starts_with("www.").then_some(lower.as_str()));
    if let Some(rest) = web {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .split(':')
            .next()
            .unwrap_or("");
        if let Some(domain) = registered(host) {
            let path = tail(rest.len() - authority.len());
            let scheme = if after_scheme.is_some() {
                &lower[..lower.len() - rest.len()]
            } else {
                "http://"
            };
            push(Kind::Url, format!("{scheme}{authority}{path}"));
            push(Kind::Domain, domain.clone());
            telegram(&domain, host, path, push);
        }
        return;
    }
    // t.me/name without a scheme.
    if let Some(path) = lower
        .strip_prefix("t.me/")
        .or_else(|| lower.strip_prefix("telegram.me/"))
    {
        let host = if lower.starts_with("t.me/") {
            "t.me"
        } else {
            "telegram.me"
        };
        push(Kind::Url, format!("https://{host}/{}", tail(path.len())));
        push(Kind::Domain, host.to_string());
        telegram(host, host, &format!("/{path}"), push);
        return;
    }
    if let Some(tag) = word.strip_prefix('#') {
        let tag: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if tag.chars().any(char::is_alphabetic) && tag.chars().count() <= 100 {
            push(Kind::Hashtag, format!("#{}", tag.to_lowercase()));
        }
        return;
    }
    if let Some(name) = word.strip_prefix('@') {
        let name: String = name
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if (2..=32).contains(&name.len()) && name.chars().any(|c| c.is_ascii_alphabetic()) {
            push(Kind::Handle, format!("@{}", name.to_lowercase()));
        }
        return;
    }
    if let Some((local, host)) = lower.split_once('@') {
        let host = host.trim_end_matches('.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
        if local_ok {
            if let Some(domain) = registered(host) {
                push(Kind::Email, format!("{local}@{host}"));
                push(Kind::Domain, domain);
            }
        }
        return;
    }
    if matches!(word.len(), 32 | 40 | 64) && word.chars().all(|c| c.is_ascii_hexdigit()) {
        push(Kind::Hash, lower);
        return;
    }
    // A bare host name, perhaps with a path: rt.com/article, example.co.uk. Not two sentences
    // run together ("results.It"): a capital after a dot in a name that is not all capitals.
    let host = lower.split(['/', '?', '#']).next().unwrap_or("");
    let suffix = host.rsplit('.').next().unwrap_or("");
    let written = word.get(..host.len()).unwrap_or(word);
    let run_together = written.contains(char::is_lowercase)
        && written
            .split('.')
            .skip(1)
            .any(|label| label.chars().next().is_some_and(char::is_uppercase));
    if host.contains('.')
        && !run_together
        && !FILE_SUFFIXES.contains(&suffix)
        && suffix.chars().any(char::is_alphabetic)
    {
        if let Some(domain) = registered(host) {
            if host.len() < lower.len() {
                push(
                    Kind::Url,
                    format!("http://{}{}", host, tail(lower.len() - host.len())),
                );
            }
            push(Kind::Domain, domain);
        }
    }
}

/// The channel of a Telegram link (`/name`, `/s/name`; not `/joinchat/`, `/+invite`).
fn telegram(domain: &str, host: &str, path: &str, push: &mut dyn FnMut(Kind, String)) {
    if !(domain == "t.me" || domain == "telegram.me")
        || !(host == domain || host == format!("www.{domain}"))
    {
        return;
    }
    let mut parts = path.trim_start_matches('/').split(['/', '?', '#']);
    let mut name = parts.next().unwrap_or("");
    if name == "s" {
        name = parts.next().unwrap_or("");
    }
    let valid = (4..=32).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            name.to_lowercase().as_str(),
            "joinchat" | "share" | "addstickers" | "proxy" | "iv"
        );
    if valid {
        push(Kind::Channel, name.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, kind: Kind) -> Vec<String> {
        Indicators::of(text).of_kind(kind).iter().cloned().collect()
    }

    #[test]
    fn urls_and_their_registered_domains_plain_and_defanged() {
        let text = "See https://News.BBC.co.uk/world/123, hxxps://rrn[.]world/fr/x and \
                    www.example.org. Also reuters.com/article and spiegel[.]ltd (a clone).";
        assert_eq!(
            values(text, Kind::Domain),
            vec![
                "bbc.co.uk",
                "example.org",
                "reuters.com",
                "rrn.world",
                "spiegel.ltd"
            ]
        );
        assert_eq!(
            values(text, Kind::Url),
            vec![
                "http://reuters.com/article",
                "http://www.example.org",
                "https://news.bbc.co.uk/world/123",
                "https://rrn.world/fr/x",
            ]
        );
        // Files are not sites; numbers and abbreviations are not either.
        for not in [
            "report.zip",
            "notes.md",
            "run.py",
            "v1.2",
            "e.g.",
            "U.S.",
            "3.14",
            "results.It",
        ] {
            assert!(values(not, Kind::Domain).is_empty(), "{not}");
        }
        // Unknown suffixes are not domains.
        assert!(values("foo.notatld", Kind::Domain).is_empty());
    }

    #[test]
    fn international_domains_and_multi_part_suffixes() {
        assert_eq!(
            values("сайт: https://пример.рф/новости", Kind::Domain),
            vec!["пример.рф"]
        );
        assert_eq!(
            values("mail.gov.uk and a.b.example.co.jp", Kind::Domain),
            vec!["example.co.jp", "mail.gov.uk"]
        );
        assert_eq!(
            Kind::Domain.normalise("https://www.Example.co.uk/x"),
            Some("example.co.uk".into())
        );
    }

    #[test]
    fn handles_beside_addresses_and_hashtags_in_any_script() {
        let text = "Write to press@Example.com or info[@]rrn[.]world; follow @Doppel_Ganger and \
                    @x. Tags: #выборы2024, #新疆棉花#, #MH17 and #1.";
        assert_eq!(
            values(text, Kind::Email),
            vec!["info@rrn.world", "press@example.com"]
        );
        assert_eq!(values(text, Kind::Handle), vec!["@doppel_ganger"]);
        assert_eq!(
            values(text, Kind::Hashtag),
            vec!["#mh17", "#выборы2024", "#新疆棉花"]
        );
        assert_eq!(values(text, Kind::Domain), vec!["example.com", "rrn.world"]);
    }

    #[test]
    fn telegram_channels_and_hashes() {
        let text = "Posted on t.me/rybar and https://t.me/s/Readovka67/123, joined via \
                    t.me/joinchat/AAAA. Sample 44d88612fea8a8f36de82e1278abb02f, \
                    3395856ce81f2b7382dee72602f798b642f14140 and not deadbeef.";
        assert_eq!(values(text, Kind::Channel), vec!["readovka67", "rybar"]);
        assert_eq!(
            values(text, Kind::Hash),
            vec![
                "3395856ce81f2b7382dee72602f798b642f14140",
                "44d88612fea8a8f36de82e1278abb02f"
            ]
        );
        assert_eq!(values(text, Kind::Domain), vec!["t.me"]);
    }

    #[test]
    fn found_ranges_point_into_the_text_as_written() {
        let text = "Mirror at example[.]com now.";
        let found = find(text);
        let domain = found.iter().find(|f| f.kind == Kind::Domain).unwrap();
        assert_eq!(&text[domain.start..domain.end], "example[.]com");
        let text = "«#Выборы» и @Name, https://İ.example.com/Path and İ.com/x.";
        for f in find(text) {
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        }
        assert_eq!(find("").len(), 0);
        assert_eq!(Kind::from_name("Hashtags"), Some(Kind::Hashtag));
        assert_eq!(Kind::from_name("hashes"), Some(Kind::Hash));
        assert_eq!(Kind::from_name("emails"), Some(Kind::Email));
    }
}
