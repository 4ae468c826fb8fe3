//! Handing quarry's passages to an OpenSearch cluster, for collections that outgrow one machine.
//!
//! The extraction, passages, metadata, languages and citations stay quarry's; storage,
//! sharding, replication and concurrency become the cluster's. The files:
//!
//! - [`client`]: HTTP to the cluster (`ureq`, rustls), credentials from the environment,
//!   timeouts, retries with backoff on 429/5xx and lost connections.
//! - [`mapping`]: the index's settings and mapping (one document per passage, keyword fields
//!   for filters and facets, a date range, a text field per language with OpenSearch's
//!   analyser for it), and a passage as the document it holds.
//! - [`export`]: `quarry export --opensearch`: creates the index, sends what changed since the
//!   last export (the cluster itself says what it holds), in bounded `_bulk` batches; or writes
//!   the mapping and the bulk files for other tools (`--dry-run --out DIR`).
//! - [`query`]: quarry's query syntax and filters as OpenSearch query DSL.
//! - [`search`]: `quarry search --engine opensearch`: hits, counts, facets, timelines and
//!   passages from the cluster, as the same result types as the local engine's.

pub mod client;
pub mod export;
pub mod mapping;
pub mod query;
pub mod search;

/// The name of this engine in the `engine` field of results (docs/json.md).
pub const ENGINE: &str = "opensearch";

pub use client::Client;
pub use export::{export, ExportOptions, ExportSummary, Progress};
