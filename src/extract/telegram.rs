//! Telegram Desktop exports (`result.json`): one record per message, streamed.
//!
//! Telegram Desktop's "Export chat history" as JSON writes one object for a channel or chat:
//! its `name`, `type` (`public_channel`, `private_supergroup`...) and `id`, then `messages`, an
//! array that can hold millions of entries. The array is read one message at a time. Every
//! message of type `message` with text or a caption becomes a record (service messages, such
//! as "channel created", are skipped):
//!
//! - `text`: the message's text with its entities flattened (bold, links, mentions run together;
//!   a link whose text differs from its address keeps the address in brackets);
//! - `date`, `author` (the post's signature, else the sender), `id` (also its row: a message is
//!   cited by its id);
//! - `url`: `https://t.me/<username>/<id>` when the channel's public username is known (in the
//!   export, or set as `username` in the file's `[records]` mapping), else the
//!   `https://t.me/c/<channel id>/<id>` link that opens it for members;
//! - `publisher`: the channel's name;
//! - `forwarded_from`, `reply_to_message_id`, `views`, `edited` and the media file's name,
//!   kept in `extra`.
//!
//! A file named `result.json` that is not such an export is read as any JSON records file.

use super::records::{Mapping, Row};
use super::{Failure, FailureKind};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::io::{BufReader, Read, Seek};

/// The chat types Telegram Desktop writes.
const CHAT_TYPES: &[&str] = &[
    "public_channel",
    "private_channel",
    "public_supergroup",
    "private_supergroup",
    "private_group",
    "personal_chat",
    "bot_chat",
    "saved_messages",
];

/// Whether the start of a file looks like a Telegram Desktop export: an object whose first keys
/// name a chat of one of Telegram's types.
pub(super) fn is_export(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('{')
        && text.contains("\"messages\"")
        && CHAT_TYPES.iter().any(|t| {
            text.contains(&format!("\"type\": \"{t}\""))
                || text.contains(&format!("\"type\":\"{t}\""))
        })
}

/// Reads the first bytes of `file` and rewinds it.
pub(super) fn head(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(4096);
    (&mut *file).take(4096).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(head)
}

/// What is known of the chat when its messages are read.
#[derive(Debug, Default)]
struct Chat {
    name: Option<String>,
    kind: Option<String>,
    id: Option<i64>,
    username: Option<String>,
}

/// Streams the messages of an export to `handle` as rows, until it returns false; returns
/// warnings.
pub(super) fn messages(
    file: std::fs::File,
    mapping: &Mapping,
    handle: &mut dyn FnMut(Row) -> bool,
) -> Result<Vec<String>, Failure> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, file));
    let mut state = State {
        chat: Chat {
            username: mapping.username.clone(),
            ..Chat::default()
        },
        handle,
        rows: 0,
        service: 0,
        stopped: false,
    };
    let result = Top(&mut state).deserialize(&mut de);
    let mut warnings = Vec::new();
    match result {
        Ok(()) => {}
        Err(e) if state.rows > 0 => warnings.push(format!(
            "the export breaks off after {} message(s): {e}",
            state.rows
        )),
        Err(e) => {
            return Err(Failure::new(
                FailureKind::Corrupt,
                format!("not a readable Telegram export: {e}"),
            ))
        }
    }
    if state.service > 0 {
        warnings.push(format!(
            "{} service message(s) (joins, pins, title changes) skipped",
            state.service
        ));
    }
    Ok(warnings)
}

struct State<'h> {
    chat: Chat,
    handle: &'h mut dyn FnMut(Row) -> bool,
    rows: u64,
    service: u64,
    stopped: bool,
}

/// The export's top-level object.
struct Top<'s, 'h>(&'s mut State<'h>);

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Telegram export object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "messages" => map.next_value_seed(Messages(&mut *self.0))?,
                "name" => self.0.chat.name = map.next_value::<Option<String>>()?,
                "type" => self.0.chat.kind = map.next_value::<Option<String>>()?,
                "id" => self.0.chat.id = map.next_value::<Option<i64>>()?,
                "username" => {
                    let username = map.next_value::<Option<String>>()?;
                    if self.0.chat.username.is_none() {
                        self.0.chat.username = username;
                    }
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The `messages` array.
struct Messages<'s, 'h>(&'s mut State<'h>);

impl<'de> DeserializeSeed<'de> for Messages<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of messages")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(message) = seq.next_element::<Value>()? {
            if self.0.stopped {
                continue;
            }
            match row(&self.0.chat, &message, self.0.rows + 1) {
                Some(row) => {
                    self.0.rows += 1;
                    if !(self.0.handle)(row) {
                        self.0.stopped = true;
                    }
                }
                None => self.0.service += 1,
            }
        }
        Ok(())
    }
}

/// A message as a row, or `None` for a service message.
fn row(chat: &Chat, message: &Value, number: u64) -> Option<Row> {
    if message.get("type").and_then(Value::as_str) != Some("message") {
        return None;
    }
    let mut fields: Vec<(String, Value)> = Vec::new();
    let id = message.get("id").and_then(Value::as_i64);
    let text = flatten(message.get("text"));
    fields.push(("text".into(), Value::String(text)));
    for key in ["date", "id"] {
        if let Some(v) = message.get(key) {
            fields.push((key.into(), v.clone()));
        }
    }
    let author = message
        .get("author")
        .and_then(Value::as_str)
        .or_else(|| message.get("from").and_then(Value::as_str));
    if let Some(a) = author {
        fields.push(("author".into(), Value::String(a.to_string())));
    }
    if let Some(id) = id {
        let url = match (&chat.username, chat.id) {
            (Some(user), _) => Some(format!(
                "https://t.me/{}/{id}",
                user.trim_start_matches('@')
            )),
            (None, Some(chat_id))
                if chat
                    .kind
                    .as_deref()
                    .is_some_and(|k| k.contains("channel") || k.contains("supergroup")) =>
            {
                Some(format!("https://t.me/c/{chat_id}/{id}"))
            }
            _ => None,
        };
        if let Some(url) = url {
            fields.push(("url".into(), Value::String(url)));
        }
    }
    if let Some(name) = &chat.name {
        fields.push(("publisher".into(), Value::String(name.clone())));
    }
    for key in ["forwarded_from", "reply_to_message_id", "views", "edited"] {
        if let Some(v) = message.get(key).filter(|v| !v.is_null()) {
            fields.push((key.into(), v.clone()));
        }
    }
    if let Some(media) = ["file", "photo", "media_type"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
    {
        fields.push(("media".into(), Value::String(media.to_string())));
    }
    // A message is cited by its id, which its t.me link carries too.
    Some(Row {
        fields,
        row: id
            .and_then(|i| u64::try_from(i).ok())
            .filter(|i| *i > 0)
            .unwrap_or(number),
        line: 1,
    })
}

/// A message's text: a string, or a list of strings and entities (`{"type": "bold", "text":
/// ...}`; links keep their address when their text differs from it).
fn flatten(text: Option<&Value>) -> String {
    match text {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut out = String::new();
            for part in parts {
                match part {
                    Value::String(s) => out.push_str(s),
                    Value::Object(o) => {
                        let t = o.get("text").and_then(Value::as_str).unwrap_or("");
                        out.push_str(t);
                        if let Some(href) = o.get("href").and_then(Value::as_str) {
                            if href != t {
                                out.push_str(&format!(" [{href}]"));
                            }
                        }
                    }
                    _ => {}
                }
            }
            out
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_flatten_and_links_keep_their_address() {
        let text = serde_json::json!([
            "Read ",
            {"type": "bold", "text": "this"},
            " at ",
            {"type": "text_link", "text": "the site", "href": "https://example.org/a"},
            " or ",
            {"type": "link", "text": "https://example.org/b"}
        ]);
        assert_eq!(
            flatten(Some(&text)),
            "Read this at the site [https://example.org/a] or https://example.org/b"
        );
    }

    #[test]
    fn an_export_is_told_by_its_head() {
        assert!(is_export(
            b"{\n \"name\": \"Fixture Channel\",\n \"type\": \"public_channel\",\n \"id\": 1,\n \"messages\": ["
        ));
        assert!(!is_export(b"[{\"text\": \"a\"}]"));
        assert!(!is_export(b"{\"type\": \"report\", \"messages\": []}"));
    }
}
