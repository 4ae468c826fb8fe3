//! # quarry
//!
//! Find and cite the exact passage. quarry indexes a folder of sources (text, Markdown, HTML,
//! PDF, DOCX, and CSV/TSV/JSON record datasets) into passages that each know their document,
//! line, page or row, and heading, and ranks them with BM25, so a researcher can find the
//! passage that supports a claim and cite it.
//!
//! The library never parses arguments, prints or exits; the `quarry` binary is a thin layer
//! over it. A complete round trip:
//!
//! ```
//! use quarry::{build, BuildOptions, QuarryIndex, SearchRequest, Silent};
//!
//! # fn main() -> quarry::Result<()> {
//! let corpus = tempfile::tempdir().unwrap();
//! std::fs::write(
//!     corpus.path().join("zhenhua.md"),
//!     "---\ntitle: Zhenhua Data leak\npublisher: Example\n---\n\
//!      A database held records on 2.4 million people.\n",
//! ).unwrap();
//! let index_dir = corpus.path().join(".quarry");
//!
//! let options = BuildOptions { paths: vec![corpus.path().to_path_buf()], threads: 1, ..Default::default() };
//! let summary = build(&index_dir, &options, &Silent)?;
//! assert_eq!(summary.documents, 1);
//!
//! let index = QuarryIndex::open(&index_dir)?;
//! let results = quarry::search(&index, &SearchRequest::new("database"))?;
//! assert_eq!(results.hits[0].passage.title, "Zhenhua Data leak");
//! assert_eq!(results.hits[0].passage.line, 5);
//! # Ok(())
//! # }
//! ```
//!
//! See ARCHITECTURE.md for a map of the modules.

#![warn(missing_docs)]

pub mod aggregate;
pub mod analysis;
pub mod check;
pub mod cite;
pub mod collapse;
pub mod corpus;
pub mod date;
pub mod document;
pub mod embed;
pub mod error;
pub mod eval;
pub mod extract;
pub mod feedback;
pub mod filter;
pub mod highlight;
pub mod index;
pub mod indicators;
pub mod ocr;
pub mod opensearch;
pub mod output;
pub mod passage;
pub mod query;
pub mod schema;
pub mod scoring;
pub mod search;
pub mod similar;
pub mod stats;

pub use aggregate::{aggregate, AggregateRequest, Aggregates};
pub use document::{Block, Document, Format, Metadata};
pub use error::{Error, ErrorKind, Result};
pub use extract::worker::Isolation;
pub use extract::{Failure, FailureKind};
pub use index::build::{build, BuildOptions, BuildSummary, FileReport, Reporter, Silent};
pub use index::read::{DocumentRecord, PassageRecord};
pub use index::{BuildInfo, IndexMeta, QuarryIndex};
pub use search::{search, search_documents, Hit, SearchRequest, SearchResults};
pub use similar::similar;
pub use stats::{stats, Stats};
