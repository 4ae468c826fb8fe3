//! JSON and JSON Lines printers. Field meanings are documented in docs/json.md.

use serde::Serialize;
use std::io::{self, Write};

/// Writes `values` as one pretty-printed JSON array.
pub fn write_array<T: Serialize>(out: &mut dyn Write, values: &[T]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, values).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes one compact JSON object per line.
pub fn write_lines<T: Serialize>(out: &mut dyn Write, values: &[T]) -> io::Result<()> {
    for value in values {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
