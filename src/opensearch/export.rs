//! `quarry export --opensearch URL`: the local index's passages into an OpenSearch index.
//!
//! What the cluster holds is asked of the cluster, not remembered here: every passage carries
//! `source_path` (the file of the manifest it came from) and `source_version` (a hash of that
//! file's content, extractor and settings), and a composite aggregation lists the pairs with
//! their passage counts. A file is sent when the cluster lacks its version or holds a different
//! number of its passages (an export cut short); a file the manifest no longer has, or an older
//! version of one being sent, is deleted first (`_delete_by_query` on its path). So an export
//! after a change sends only the changed files, an interrupted export finishes on the next run,
//! and two machines exporting the same index to one cluster agree.
//!
//! Passages are read one at a time from the local index and sent in `_bulk` requests of bounded
//! size; items the cluster turns away for being busy (429) or not yet ready (5xx: a shard
//! moving after a node left) are sent again with backoff, and any other refused item (a
//! mapping conflict) stops the export with the cluster's reason. With `out`, nothing is sent:
//! the mapping and the bulk files are written for other tools.

use super::client::{retryable_status, Client};
use super::mapping::{self, MAPPING_VERSION};
use crate::error::{Error, ErrorKind, Result};
use crate::index::manifest::Entry;
use crate::index::QuarryIndex;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// What to export, and where.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The OpenSearch index's name.
    pub index_name: String,
    /// Primary shards of a new index.
    pub shards: u32,
    /// Replicas of each shard of a new index.
    pub replicas: u32,
    /// A bulk request is sent once it holds this many bytes...
    pub batch_bytes: usize,
    /// ... or this many passages.
    pub batch_passages: usize,
    /// Send every file, whatever the cluster holds.
    pub full: bool,
    /// Write the mapping and bulk files into this folder instead of sending them.
    pub out: Option<PathBuf>,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            index_name: "quarry".into(),
            shards: 1,
            replicas: 1,
            batch_bytes: 8 * 1024 * 1024,
            batch_passages: 2000,
            full: false,
            out: None,
        }
    }
}

/// What an export did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    /// The OpenSearch index.
    pub index: String,
    /// Whether the index was created by this export.
    pub created: bool,
    /// Files of the local index that have passages.
    pub files: u64,
    /// Files sent (new or changed).
    pub files_sent: u64,
    /// Files the cluster already held as they are.
    pub files_unchanged: u64,
    /// Files deleted from the cluster (gone from the local index).
    pub files_removed: u64,
    /// Passages sent.
    pub passages_sent: u64,
    /// Bulk requests made (or bulk files written).
    pub bulk_requests: u64,
    /// Requests and items sent again after the cluster was busy or unreachable.
    pub retried: u64,
    /// Passages the cluster holds for this index after the export (`None` for a dry run).
    pub cluster_passages: Option<u64>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// For a dry run, the files written.
    pub written: Vec<String>,
}

/// Progress of an export, for a front end to show.
pub trait Progress: Sync {
    /// The files to send are known.
    fn planned(&self, _files_to_send: u64, _passages_to_send: u64) {}
    /// Passages were sent (a running total).
    fn sent(&self, _passages: u64) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// The version of a file as the cluster records it: a hash of what makes its passages.
pub fn source_version(entry: &Entry) -> String {
    let key = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        crate::schema::SCHEMA_VERSION,
        MAPPING_VERSION,
        entry.hash,
        entry.extractor,
        entry.extractor_version,
        entry.config
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

/// Exports `index` to the cluster of `client` (or, with `options.out`, to files).
pub fn export(
    index: &QuarryIndex,
    client: Option<&Client>,
    options: &ExportOptions,
    progress: &dyn Progress,
) -> Result<ExportSummary> {
    let started = Instant::now();
    check_name(&options.index_name)?;
    let manifest = index.manifest()?.ok_or_else(|| {
        Error::new(
            ErrorKind::IncompatibleIndex,
            "this index has no manifest (it was built by an older quarry)",
        )
        .with_hint(format!(
            "rebuild it: {}",
            crate::index::rebuild_command_for(index.dir(), index.meta())
        ))
    })?;
    let wanted: BTreeMap<&str, (&Entry, String)> = manifest
        .files
        .iter()
        .filter(|e| e.indexed && e.passages > 0)
        .map(|e| (e.path.as_str(), (e, source_version(e))))
        .collect();
    let mut summary = ExportSummary {
        index: options.index_name.clone(),
        files: wanted.len() as u64,
        ..ExportSummary::default()
    };
    let mut sink = match (&options.out, client) {
        (Some(dir), _) => Sink::Files(Files::create(dir, options)?),
        (None, Some(client)) => Sink::Cluster(client),
        (None, None) => {
            return Err(Error::new(ErrorKind::InvalidInput, "nothing to export to")
                .with_hint("give --opensearch URL, or --dry-run --out DIR"))
        }
    };
    // What the cluster holds, and so what to send and delete.
    let (to_send, to_delete): (Vec<&str>, Vec<String>) = match &sink {
        Sink::Files(_) => (wanted.keys().copied().collect(), Vec::new()),
        Sink::Cluster(client) => {
            summary.created = prepare_index(client, options, &mut summary.retried)?;
            let held = if options.full {
                BTreeMap::new()
            } else {
                held_files(client, &options.index_name, &mut summary.retried)?
            };
            let mut send = Vec::new();
            let mut delete = Vec::new();
            for (path, (entry, version)) in &wanted {
                match held.get(*path) {
                    Some(versions)
                        if versions.len() == 1
                            && versions.get(version) == Some(&entry.passages) =>
                    {
                        summary.files_unchanged += 1;
                    }
                    Some(_) => {
                        delete.push(path.to_string());
                        send.push(*path);
                    }
                    None => send.push(*path),
                }
            }
            if options.full {
                // Whatever the index holds goes: it is rebuilt from the local index.
                delete_all(client, &options.index_name, &mut summary.retried)?;
            }
            for path in held.keys() {
                if !wanted.contains_key(path.as_str()) {
                    delete.push(path.clone());
                    summary.files_removed += 1;
                }
            }
            (send, delete)
        }
    };
    if let Sink::Cluster(client) = &sink {
        for chunk in to_delete.chunks(500) {
            delete_files(client, &options.index_name, chunk, &mut summary.retried)?;
        }
    }
    let passages: u64 = to_send.iter().map(|p| wanted[*p].0.passages).sum();
    progress.planned(to_send.len() as u64, passages);
    let mut batch = Batch::default();
    for path in &to_send {
        let (_, version) = &wanted[*path];
        index.for_each_passage_of_file(path, |passage| {
            let action =
                json!({"index": {"_index": options.index_name, "_id": passage.passage_id}});
            let doc = mapping::document(&passage, path, version);
            batch.push(&action, &doc);
            if batch.bytes.len() >= options.batch_bytes || batch.count >= options.batch_passages {
                sink.flush(&mut batch, &mut summary, progress)?;
            }
            Ok(())
        })?;
        summary.files_sent += 1;
    }
    sink.flush(&mut batch, &mut summary, progress)?;
    match &mut sink {
        Sink::Cluster(client) => {
            client.json(
                "POST",
                &format!("/{}/_refresh", options.index_name),
                None,
                &mut summary.retried,
            )?;
            let count = client.json(
                "GET",
                &format!("/{}/_count", options.index_name),
                None,
                &mut summary.retried,
            )?;
            summary.cluster_passages = count["count"].as_u64();
        }
        Sink::Files(files) => {
            summary.written = files.written.clone();
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// OpenSearch's rules for index names, checked before anything is sent.
fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 255
        || name.starts_with(['-', '_', '+', '.'])
        || name != name.to_lowercase()
        || name.chars().any(|c| {
            matches!(
                c,
                '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
            )
        });
    if bad {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "'{}' cannot name an OpenSearch index",
                crate::error::quote_input(name)
            ),
        )
        .with_hint("use lower case letters, digits, '-' and '_', not first"));
    }
    Ok(())
}

/// Creates the index when it does not exist (true), or checks that it is one of ours.
fn prepare_index(client: &Client, options: &ExportOptions, retried: &mut u64) -> Result<bool> {
    let path = format!("/{}", options.index_name);
    let answer = client.send("GET", &format!("{path}/_mapping"), None, retried)?;
    match answer.status {
        200 => {
            let mapping = answer.json();
            let meta = mapping
                .as_object()
                .and_then(|m| m.values().next())
                .map(|m| m["mappings"]["_meta"]["quarry_mapping"].clone())
                .unwrap_or(Value::Null);
            if meta.as_u64() != Some(u64::from(MAPPING_VERSION)) {
                return Err(Error::new(
                    ErrorKind::Cluster,
                    format!(
                        "mapping conflict: the index '{}' on {} was not made by this version of quarry export (its mapping differs)",
                        options.index_name,
                        client.base()
                    ),
                )
                .with_hint("export to another --index-name, or delete that index first"));
            }
            Ok(false)
        }
        404 => {
            let body = mapping::index_body(options.shards, options.replicas);
            let answer = client.send(
                "PUT",
                &path,
                Some(("application/json", body.to_string().as_bytes())),
                retried,
            )?;
            match answer.status {
                200..=299 => {}
                // Another export created it meanwhile.
                400 if answer.body.contains("resource_already_exists_exception") => {}
                _ => return Err(client.refused("PUT", &path, &answer)),
            }
            // Wait until the primaries can take writes.
            client.json(
                "GET",
                &format!(
                    "/_cluster/health/{}?wait_for_status=yellow&timeout=60s",
                    options.index_name
                ),
                None,
                retried,
            )?;
            Ok(true)
        }
        _ => Err(client.refused("GET", &format!("{path}/_mapping"), &answer)),
    }
}

/// Every (file, version) pair the index holds, with its passage count.
fn held_files(
    client: &Client,
    index: &str,
    retried: &mut u64,
) -> Result<BTreeMap<String, BTreeMap<String, u64>>> {
    client.json("POST", &format!("/{index}/_refresh"), None, retried)?;
    let mut held: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut after: Option<Value> = None;
    loop {
        let mut composite = json!({
            "size": 1000,
            "sources": [
                {"path": {"terms": {"field": "source_path"}}},
                {"version": {"terms": {"field": "source_version"}}}
            ]
        });
        if let Some(a) = &after {
            composite["after"] = a.clone();
        }
        let body = json!({"size": 0, "aggs": {"files": {"composite": composite}}});
        let answer = client.json("POST", &format!("/{index}/_search"), Some(&body), retried)?;
        let agg = &answer["aggregations"]["files"];
        let buckets = agg["buckets"].as_array().cloned().unwrap_or_default();
        for b in &buckets {
            if let (Some(path), Some(version), Some(n)) = (
                b["key"]["path"].as_str(),
                b["key"]["version"].as_str(),
                b["doc_count"].as_u64(),
            ) {
                held.entry(path.to_string())
                    .or_default()
                    .insert(version.to_string(), n);
            }
        }
        match agg.get("after_key") {
            Some(a) if !buckets.is_empty() => after = Some(a.clone()),
            _ => break,
        }
    }
    Ok(held)
}

/// Deletes every passage of these files.
fn delete_files(client: &Client, index: &str, paths: &[String], retried: &mut u64) -> Result<()> {
    let body = json!({"query": {"terms": {"source_path": paths}}});
    delete_by_query(client, index, &body, retried)
}

/// Deletes every passage of the index (`--full`).
fn delete_all(client: &Client, index: &str, retried: &mut u64) -> Result<()> {
    delete_by_query(client, index, &json!({"query": {"match_all": {}}}), retried)
}

fn delete_by_query(client: &Client, index: &str, body: &Value, retried: &mut u64) -> Result<()> {
    let path = format!("/{index}/_delete_by_query?refresh=true&conflicts=proceed");
    let answer = client.json("POST", &path, Some(body), retried)?;
    if let Some(failure) = answer["failures"].as_array().and_then(|f| f.first()) {
        return Err(Error::new(
            ErrorKind::Cluster,
            format!(
                "the cluster could not delete older passages: {}",
                failure["cause"]["reason"]
                    .as_str()
                    .unwrap_or("unknown reason")
            ),
        )
        .with_hint("run the export again once the cluster is healthy"));
    }
    Ok(())
}

/// Bulk lines waiting to be sent.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    count: usize,
}

impl Batch {
    fn push(&mut self, action: &Value, doc: &Value) {
        // Serialising a Value cannot fail.
        let _ = serde_json::to_writer(&mut self.bytes, action);
        self.bytes.push(b'\n');
        let _ = serde_json::to_writer(&mut self.bytes, doc);
        self.bytes.push(b'\n');
        self.count += 1;
    }
}

/// Where batches go.
enum Sink<'a> {
    Cluster(&'a Client),
    Files(Files),
}

impl Sink<'_> {
    fn flush(
        &mut self,
        batch: &mut Batch,
        summary: &mut ExportSummary,
        progress: &dyn Progress,
    ) -> Result<()> {
        if batch.count == 0 {
            return Ok(());
        }
        match self {
            Sink::Cluster(client) => send_bulk(client, &batch.bytes, summary)?,
            Sink::Files(files) => files.write_bulk(&batch.bytes)?,
        }
        summary.bulk_requests += 1;
        summary.passages_sent += batch.count as u64;
        progress.sent(summary.passages_sent);
        *batch = Batch::default();
        Ok(())
    }
}

/// Sends one bulk body; items turned away for being busy are sent again, with backoff, until
/// all are in or the retries run out.
fn send_bulk(client: &Client, body: &[u8], summary: &mut ExportSummary) -> Result<()> {
    let retry = client.retry();
    let mut pending: Vec<u8> = body.to_vec();
    let mut attempt = 1;
    loop {
        let answer = client.send(
            "POST",
            "/_bulk",
            Some(("application/x-ndjson", &pending)),
            &mut summary.retried,
        )?;
        if !(200..300).contains(&answer.status) {
            return Err(client.refused("POST", "/_bulk", &answer));
        }
        let v = answer.json();
        if v["errors"] != Value::Bool(true) {
            return Ok(());
        }
        // Which items failed, and why.
        let lines: Vec<&[u8]> = pending.split(|&b| b == b'\n').collect();
        let mut again: Vec<u8> = Vec::new();
        let mut again_count = 0u64;
        for (i, item) in v["items"].as_array().into_iter().flatten().enumerate() {
            let result = &item["index"];
            let status = result["status"].as_u64().unwrap_or(0) as u16;
            if (200..300).contains(&status) {
                continue;
            }
            if retryable_status(status) {
                for line in lines.iter().skip(2 * i).take(2) {
                    again.extend_from_slice(line);
                    again.push(b'\n');
                }
                again_count += 1;
                continue;
            }
            let reason = &result["error"];
            let mut message = format!(
                "the cluster refused passage {}: {}: {}",
                result["_id"].as_str().unwrap_or("?"),
                reason["type"].as_str().unwrap_or("error"),
                reason["reason"].as_str().unwrap_or("no reason given")
            );
            if let Some(cause) = reason["caused_by"]["reason"].as_str() {
                message.push_str(&format!(" ({cause})"));
            }
            let hint = if reason["type"]
                .as_str()
                .is_some_and(|t| t.contains("mapper") || t.contains("illegal_argument"))
            {
                "the index's mapping conflicts with quarry's: export to another --index-name, or delete that index first"
            } else {
                "see the cluster's log for more"
            };
            return Err(Error::new(ErrorKind::Cluster, message).with_hint(hint));
        }
        if again_count == 0 {
            return Ok(());
        }
        if attempt >= retry.attempts {
            return Err(Error::new(
                ErrorKind::Cluster,
                format!(
                    "the cluster kept turning away {again_count} passages after {attempt} tries"
                ),
            )
            .with_hint(
                "run the export again once the cluster is healthy: it sends what is missing",
            ));
        }
        std::thread::sleep(retry.wait(attempt));
        attempt += 1;
        summary.retried += again_count;
        pending = again;
    }
}

/// The files of a dry run.
struct Files {
    dir: PathBuf,
    written: Vec<String>,
    next: u32,
}

impl Files {
    fn create(dir: &std::path::Path, options: &ExportOptions) -> Result<Files> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, &e))?;
        let taken: BTreeSet<String> = std::fs::read_dir(dir)
            .map_err(|e| Error::io("read", dir, &e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n == "mapping.json" || n.starts_with("bulk-"))
            .collect();
        if !taken.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} already holds an export ({})",
                    dir.display(),
                    taken.iter().next().map(String::as_str).unwrap_or_default()
                ),
            )
            .with_hint("give an empty or new folder: nothing is overwritten"));
        }
        let mut files = Files {
            dir: dir.to_path_buf(),
            written: Vec::new(),
            next: 1,
        };
        let body = mapping::index_body(options.shards, options.replicas);
        let text = serde_json::to_string_pretty(&body).unwrap_or_default();
        files.write("mapping.json", text.as_bytes())?;
        Ok(files)
    }

    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.dir.join(name);
        let mut file = std::fs::File::create(&path).map_err(|e| Error::io("create", &path, &e))?;
        file.write_all(bytes)
            .map_err(|e| Error::io("write", &path, &e))?;
        self.written.push(path.display().to_string());
        Ok(())
    }

    fn write_bulk(&mut self, bytes: &[u8]) -> Result<()> {
        let name = format!("bulk-{:05}.ndjson", self.next);
        self.next += 1;
        self.write(&name, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// A stand-in cluster on loopback: answers each request with the next of `answers`
    /// (status, body), and keeps the bodies it was sent.
    fn fake(answers: Vec<(u16, String)>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        std::thread::spawn(move || {
            for (status, body) in answers {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut request = vec![0; length];
                let _ = reader.read_exact(&mut request);
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).into_owned());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = std::io::Write::write_all(reader.get_mut(), reply.as_bytes());
            }
        });
        (url, seen)
    }

    fn two_passages() -> Vec<u8> {
        let mut batch = Batch::default();
        for id in ["a", "b"] {
            batch.push(
                &json!({"index": {"_index": "q", "_id": id}}),
                &json!({"text": id}),
            );
        }
        batch.bytes
    }

    fn client(url: &str) -> Client {
        Client::new(url, std::time::Duration::from_secs(5))
            .unwrap()
            .with_retry(crate::opensearch::client::Retry {
                attempts: 3,
                first_wait: std::time::Duration::from_millis(1),
            })
    }

    #[test]
    fn items_turned_away_as_busy_are_sent_again_alone() {
        let (url, seen) = fake(vec![
            (503, r#"{"error":"unavailable"}"#.into()),
            (
                200,
                r#"{"errors":true,"items":[{"index":{"_id":"a","status":201}},{"index":{"_id":"b","status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}}]}"#.into(),
            ),
            (200, r#"{"errors":false,"items":[{"index":{"_id":"b","status":201}}]}"#.into()),
        ]);
        let mut summary = ExportSummary::default();
        send_bulk(&client(&url), &two_passages(), &mut summary).unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], seen[1], "the whole request again after a 503");
        assert_eq!(
            seen[2],
            "{\"index\":{\"_index\":\"q\",\"_id\":\"b\"}}\n{\"text\":\"b\"}\n"
        );
        assert_eq!(summary.retried, 2, "one request, one item");
    }

    #[test]
    fn a_refused_item_stops_the_export_with_the_clusters_reason() {
        let (url, _) = fake(vec![(
            200,
            r#"{"errors":true,"items":[{"index":{"_id":"a","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [title] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"a\""}}}},{"index":{"_id":"b","status":201}}]}"#.into(),
        )]);
        let mut summary = ExportSummary::default();
        let err = send_bulk(&client(&url), &two_passages(), &mut summary).unwrap_err();
        assert!(
            err.message()
                .contains("passage a: mapper_parsing_exception"),
            "{err}"
        );
        assert!(err.message().contains("For input string"), "{err}");
        assert!(err.hint().unwrap_or_default().contains("--index-name"));
    }

    #[test]
    fn items_still_busy_after_the_last_try_are_an_error_saying_what_to_do() {
        let busy = r#"{"errors":true,"items":[{"index":{"_id":"a","status":429}},{"index":{"_id":"b","status":201}}]}"#;
        let (url, _) = fake(vec![(200, busy.into()); 3]);
        let mut summary = ExportSummary::default();
        let err = send_bulk(&client(&url), &two_passages(), &mut summary).unwrap_err();
        assert!(
            err.message()
                .contains("kept turning away 1 passages after 3 tries"),
            "{err}"
        );
        assert!(err
            .hint()
            .unwrap_or_default()
            .contains("run the export again"));
    }

    #[test]
    fn index_names_follow_opensearch_rules() {
        assert!(check_name("quarry").is_ok());
        assert!(check_name("quarry-2024_v1").is_ok());
        for bad in ["", "Quarry", "_x", "-x", "a b", "a/b", "a*", "a,b", "a:b"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
