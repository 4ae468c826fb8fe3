//! Passage vectors beside the tantivy index: the file `vectors.bin` in the index directory.
//!
//! Layout (version 1, little-endian): the 8 bytes `QVECTORS`; a `u32` length and that many bytes
//! of JSON ([`Header`]: format version, the model's name, hash and dimension, the count, and
//! the folder the model was loaded from, so later runs find it without being told); then
//! per vector its passage id (`u16` length and bytes) and the hash of the text it was made
//! from (`u64`); then the vectors, `count × dim` `f32`s. It is written to a temporary file and
//! renamed, so a crash leaves the previous file. A vector is reused for a passage whose id and
//! text hash are unchanged, and only with the same model: vectors of two models never mix.

use super::ann::{self, Graph};
use super::ModelId;
use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The file name, in the index directory.
pub const FILE: &str = "vectors.bin";
const MAGIC: &[u8; 8] = b"QVECTORS";
/// The version of the layout; a file of another version is rebuilt, never misread.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format_version: u32,
    model: ModelId,
    count: usize,
    /// The model's folder when the vectors were made (absent in files of older quarry builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_dir: Option<String>,
    /// The nearest-neighbour graph's file in the index directory, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    graph: Option<String>,
}

/// What the header of an index's vectors file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The model that made them.
    pub model: ModelId,
    /// How many passages have a vector.
    pub count: usize,
    /// The folder the model was loaded from, if known.
    pub model_dir: Option<std::path::PathBuf>,
    /// The file of the nearest-neighbour graph over them, if they have one ([`super::ann`]).
    pub graph: Option<String>,
}

/// The values of the vectors: made in memory, or read in place from the file.
#[derive(Debug, Clone)]
enum Data {
    Owned(Vec<f32>),
    /// Little-endian `f32`s at `start..` of the mapped file (not aligned: read value by value).
    Mapped {
        map: std::sync::Arc<memmap2::Mmap>,
        start: usize,
    },
}

/// Unit-length passage vectors of one model.
#[derive(Debug, Clone)]
pub struct Vectors {
    model: ModelId,
    ids: Vec<String>,
    hashes: Vec<u64>,
    data: Data,
    /// Passage id to position, made when first needed (searching never needs it).
    by_id: std::sync::OnceLock<HashMap<String, usize>>,
    model_dir: Option<String>,
    /// The graph's file name, and the graph once mapped.
    graph: Option<(String, Option<std::sync::Arc<Graph>>)>,
}

impl Vectors {
    /// An empty set for `model`.
    pub fn new(model: ModelId) -> Vectors {
        Vectors {
            model,
            ids: Vec::new(),
            hashes: Vec::new(),
            data: Data::Owned(Vec::new()),
            by_id: std::sync::OnceLock::new(),
            model_dir: None,
            graph: None,
        }
    }

    /// Remembers the folder the model was loaded from (kept only when it is valid UTF-8).
    pub fn set_model_dir(&mut self, dir: &Path) {
        self.model_dir = dir.to_str().map(str::to_string);
    }

    /// The model the vectors come from.
    pub fn model(&self) -> &ModelId {
        &self.model
    }

    /// How many vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Adds the vector of passage `id`, made from text with hash `text_hash`.
    pub fn push(&mut self, id: &str, text_hash: u64, vector: &[f32]) -> Result<()> {
        if vector.len() != self.model.dim {
            return Err(Error::new(
                ErrorKind::Engine,
                format!(
                    "a vector of {} values for a model of {}",
                    vector.len(),
                    self.model.dim
                ),
            ));
        }
        self.by_id.take();
        self.graph = None;
        if let Data::Mapped { .. } = self.data {
            self.data = Data::Owned(self.values().collect());
        }
        self.ids.push(id.to_string());
        self.hashes.push(text_hash);
        if let Data::Owned(data) = &mut self.data {
            data.extend_from_slice(vector);
        }
        Ok(())
    }

    /// Every value, vector after vector.
    fn values(&self) -> Box<dyn Iterator<Item = f32> + '_> {
        match &self.data {
            Data::Owned(v) => Box::new(v.iter().copied()),
            Data::Mapped { map, start } => Box::new(
                map[*start..]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            ),
        }
    }

    /// Each vector's dot product with `query` (of the model's length), in order.
    fn dots<'a>(&'a self, query: &'a [f32]) -> Box<dyn Iterator<Item = f32> + 'a> {
        let dim = self.model.dim.max(1);
        match &self.data {
            Data::Owned(v) => Box::new(v.chunks_exact(dim).map(move |v| dot(v, query))),
            Data::Mapped { map, start } => {
                let bytes = &map[*start..];
                // Little-endian and aligned (as files written since the padding are): read in
                // place as f32s, which the compiler vectorises.
                if cfg!(target_endian = "little") {
                    if let Ok(values) = bytemuck::try_cast_slice::<u8, f32>(bytes) {
                        return Box::new(
                            values
                                .chunks_exact(dim)
                                .map(move |v| v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>()),
                        );
                    }
                }
                Box::new(bytes.chunks_exact(dim * 4).map(move |v| {
                    v.chunks_exact(4)
                        .zip(query)
                        .map(|(c, b)| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) * b)
                        .sum::<f32>()
                }))
            }
        }
    }

    /// The vector of passage `id`, if it was made from text with hash `text_hash`.
    pub fn get(&self, id: &str, text_hash: u64) -> Option<Vec<f32>> {
        let &i = self.positions().get(id)?;
        (self.hashes[i] == text_hash).then(|| self.vector(i))
    }

    fn positions(&self) -> &HashMap<String, usize> {
        self.by_id.get_or_init(|| {
            self.ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect()
        })
    }

    /// The vector of passage `id`, whatever text it was made from.
    pub fn vector_of(&self, id: &str) -> Option<Vec<f32>> {
        self.positions().get(id).map(|&i| self.vector(i))
    }

    /// The vector at position `i` (empty when there is none).
    pub fn vector(&self, i: usize) -> Vec<f32> {
        let dim = self.model.dim;
        match &self.data {
            Data::Owned(v) => v.get(i * dim..(i + 1) * dim).unwrap_or_default().to_vec(),
            Data::Mapped { map, start } => map
                .get(start + i * dim * 4..start + (i + 1) * dim * 4)
                .unwrap_or_default()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        }
    }

    /// The `k` passages whose vectors are nearest `query` (highest dot product, which is the
    /// cosine for unit vectors), best first, ties by id: by a scan of every vector, or, where
    /// the vectors have a nearest-neighbour graph ([`ann`]), among the graph's candidates,
    /// scored exactly.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(&str, f32)> {
        let dim = self.model.dim;
        if query.len() != dim || k == 0 {
            return Vec::new();
        }
        let graph = self.graph.as_ref().and_then(|(_, g)| g.as_ref());
        let mut scored: Vec<(f32, usize)> = match graph.and_then(|g| g.candidates(query, k)) {
            Some(positions) => positions
                .into_iter()
                .filter(|&i| i < self.ids.len())
                .map(|i| (dot(&self.vector(i), query), i))
                .collect(),
            None => self.dots(query).enumerate().map(|(i, s)| (s, i)).collect(),
        };
        let order = |a: &(f32, usize), b: &(f32, usize)| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.ids[a.1].cmp(&self.ids[b.1]))
        };
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, order);
            scored.truncate(k);
        }
        scored.sort_by(order);
        scored
            .into_iter()
            .map(|(s, i)| (self.ids[i].as_str(), s))
            .collect()
    }

    /// Whether searches use a nearest-neighbour graph.
    pub fn has_graph(&self) -> bool {
        self.graph.as_ref().is_some_and(|(_, g)| g.is_some())
    }

    /// A hash of what the vectors cover (model, passage ids and text hashes): a graph built
    /// over them is valid while it is unchanged.
    fn key(&self) -> u64 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(self.model.hash.as_bytes());
        for (id, hash) in self.ids.iter().zip(&self.hashes) {
            h.update(id.as_bytes());
            h.update(&[0]);
            h.update(&hash.to_le_bytes());
        }
        h.digest()
    }

    /// Gives the vectors a nearest-neighbour graph in `dir` when there are at least
    /// `min_vectors` of them (reusing the file of one built over the same vectors), or none
    /// below that. Returns whether a graph was built.
    pub fn index_graph(&mut self, dir: &Path, min_vectors: usize, threads: usize) -> Result<bool> {
        if self.len() < min_vectors.max(1) {
            self.graph = None;
            return Ok(false);
        }
        let name = ann::file_name(self.key());
        let path = dir.join(&name);
        let dim = self.model.dim;
        if let Some(graph) = Graph::open(&path, dim, self.len()) {
            self.graph = Some((name, Some(std::sync::Arc::new(graph))));
            return Ok(false);
        }
        let graph = Graph::build(self, threads)?;
        graph.save(&path)?;
        self.graph = Some((name, Some(std::sync::Arc::new(graph))));
        Ok(true)
    }

    /// The model and count of the vectors of the index in `dir`, from the file's header alone;
    /// `None` when it has none or they are unreadable.
    pub fn summary(dir: &Path) -> Option<Summary> {
        use std::io::Read;
        let mut file = std::fs::File::open(dir.join(FILE)).ok()?;
        let mut head = [0u8; 12];
        file.read_exact(&mut head).ok()?;
        if &head[..8] != MAGIC {
            return None;
        }
        let len = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
        let mut json = vec![0u8; len.min(1 << 20)];
        file.read_exact(&mut json).ok()?;
        let header: Header = serde_json::from_slice(&json).ok()?;
        (header.format_version == FORMAT_VERSION).then(|| Summary {
            model: header.model,
            count: header.count,
            model_dir: header.model_dir.map(std::path::PathBuf::from),
            graph: header.graph,
        })
    }

    /// Reads the vectors of the index in `dir`; `None` when it has none.
    pub fn load(dir: &Path) -> Result<Option<Vectors>> {
        let path = dir.join(FILE);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", &path, &e)),
        };
        // SAFETY: quarry never writes a vectors file in place: a new one is written beside it
        // and renamed over it ([`Vectors::save`]), so the mapped file keeps its contents while
        // mapped. Read in place, a search touches the vectors once instead of copying them.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io("read", &path, &e))?;
        let mut vectors = Self::from_map(std::sync::Arc::new(map)).map_err(|why| {
            Error::new(
                ErrorKind::Engine,
                format!(
                    "the passage vectors {} are unreadable: {why}",
                    path.display()
                ),
            )
            .with_hint("make them again with quarry index --embed")
        })?;
        // A graph that cannot be mapped leaves an exact scan.
        if let Some((name, graph)) = &mut vectors.graph {
            if ann::is_graph_file(name) && !name.contains(['/', '\\']) {
                *graph = Graph::open(&dir.join(&*name), vectors.model.dim, vectors.ids.len())
                    .map(std::sync::Arc::new);
            }
        }
        Ok(Some(vectors))
    }

    fn from_map(map: std::sync::Arc<memmap2::Mmap>) -> std::result::Result<Vectors, String> {
        let bytes: &[u8] = &map;
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a quarry vectors file".into());
        }
        let len = r.u32()? as usize;
        let header: Header =
            serde_json::from_slice(r.take(len)?).map_err(|e| format!("bad header: {e}"))?;
        if header.format_version != FORMAT_VERSION {
            return Err(format!(
                "format version {} (this quarry reads {FORMAT_VERSION})",
                header.format_version
            ));
        }
        let dim = header.model.dim;
        let values = header
            .count
            .checked_mul(dim)
            .filter(|n| n.saturating_mul(4) <= bytes.len())
            .ok_or("a count larger than the file")?;
        let mut out = Vectors::new(header.model);
        out.model_dir = header.model_dir;
        out.graph = header.graph.map(|name| (name, None));
        out.ids.reserve(header.count);
        out.hashes.reserve(header.count);
        for _ in 0..header.count {
            let n = r.u16()? as usize;
            let id = std::str::from_utf8(r.take(n)?)
                .map_err(|_| "a passage id that is not UTF-8")?
                .to_string();
            let hash = u64::from_le_bytes(r.take(8)?.try_into().map_err(|_| "short")?);
            out.ids.push(id);
            out.hashes.push(hash);
        }
        let start = r.at;
        r.take(values * 4)?;
        if r.at != bytes.len() {
            return Err("bytes after the last vector".into());
        }
        out.data = Data::Mapped {
            map: map.clone(),
            start,
        };
        Ok(out)
    }

    /// Writes the vectors into the index in `dir`, replacing the file only once it is whole.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE);
        let tmp = dir.join(format!("{FILE}.tmp"));
        let mut header = serde_json::to_vec(&Header {
            format_version: FORMAT_VERSION,
            model: self.model.clone(),
            count: self.ids.len(),
            model_dir: self.model_dir.clone(),
            graph: self.graph.as_ref().map(|(name, _)| name.clone()),
        })
        .map_err(|e| Error::new(ErrorKind::Engine, e.to_string()))?;
        // Spaces after the JSON put the vectors at a multiple of 64 bytes from the start, so a
        // mapped file is scanned as aligned f32s.
        let ids_len: usize = self
            .ids
            .iter()
            .map(|id| 2 + id.len().min(u16::MAX as usize) + 8)
            .sum();
        let at = MAGIC.len() + 4 + header.len() + ids_len;
        header.resize(header.len() + (64 - at % 64) % 64, b' ');
        let write = || -> std::io::Result<()> {
            let file = std::fs::File::create(&tmp)?;
            let mut w = std::io::BufWriter::new(file);
            w.write_all(MAGIC)?;
            w.write_all(&(header.len() as u32).to_le_bytes())?;
            w.write_all(&header)?;
            for (id, hash) in self.ids.iter().zip(&self.hashes) {
                let id = &id.as_bytes()[..id.len().min(u16::MAX as usize)];
                w.write_all(&(id.len() as u16).to_le_bytes())?;
                w.write_all(id)?;
                w.write_all(&hash.to_le_bytes())?;
            }
            match &self.data {
                Data::Owned(v) => {
                    for v in v {
                        w.write_all(&v.to_le_bytes())?;
                    }
                }
                Data::Mapped { map, start } => w.write_all(&map[*start..])?,
            }
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            // Graphs of earlier vectors are no longer named: removed (best effort).
            let keep = self.graph.as_ref().map(|(name, _)| name.as_str());
            if let Ok(entries) = std::fs::read_dir(dir) {
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    let stale = (ann::is_graph_file(&name) && Some(&*name) != keep)
                        || name.ends_with(".usearch.tmp");
                    if stale {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io("write", &path, &e)
        })
    }
}

/// The dot product of two vectors, summed in eight lanes so that the compiler can use SIMD
/// (a single running sum of floats must be added in order, one value at a time).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("the file ends early")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| "short")?,
        ))
    }
    fn u16(&mut self) -> std::result::Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().map_err(|_| "short")?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> ModelId {
        ModelId {
            name: "fake".into(),
            hash: "0123".into(),
            dim: 3,
        }
    }

    #[test]
    fn vectors_round_trip_and_are_reused_only_for_the_same_text() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Vectors::load(dir.path()).unwrap().is_none());
        let mut v = Vectors::new(model());
        v.push("a-0", 7, &[1.0, 0.0, 0.0]).unwrap();
        v.push("b-0", 8, &[0.0, 1.0, 0.0]).unwrap();
        v.push("b-1", 9, &[0.6, 0.8, 0.0]).unwrap();
        assert!(v.push("c-0", 1, &[1.0]).is_err());
        v.save(dir.path()).unwrap();
        let back = Vectors::load(dir.path()).unwrap().unwrap();
        let summary = Vectors::summary(dir.path()).unwrap();
        assert_eq!((summary.model, summary.count), (model(), 3));
        assert_eq!(summary.model_dir, None);
        assert_eq!(back.model(), &model());
        assert_eq!(back.len(), 3);
        assert_eq!(back.get("b-1", 9), Some(vec![0.6, 0.8, 0.0]));
        assert_eq!(back.get("b-1", 10), None, "changed text");
        assert_eq!(back.get("z-0", 9), None);
        let near: Vec<&str> = back
            .nearest(&[0.0, 1.0, 0.0], 2)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(near, ["b-0", "b-1"]);
    }

    #[test]
    fn a_damaged_file_is_an_error_that_says_how_to_mend_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = Vectors::new(model());
        v.push("a-0", 7, &[1.0, 0.0, 0.0]).unwrap();
        v.save(dir.path()).unwrap();
        let path = dir.path().join(FILE);
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 5, 12, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            let e = Vectors::load(dir.path()).unwrap_err().to_string();
            assert!(e.contains("quarry index --embed"), "{e}");
        }
    }
}
