//! Integration tests: the real `quarry` binary on tiny real fixtures (tests/fixtures/), one
//! test binary with a module per area. Each test works in a fresh temporary directory; on
//! failure the command, its exit code, stdout and stderr are printed.

mod ci;
mod cli;
mod collapse;
mod common;
mod containers;
mod eval;
mod formats;
mod golden;
mod hostile;
mod hostile_inputs;
mod indicators;
mod languages;
mod ocr;
mod opensearch;
mod options;
mod safety;
mod search;
mod semantic;
mod serve;
mod shared_data;
