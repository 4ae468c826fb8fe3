//! A BERT sentence-embedding model (e.g. all-MiniLM-L6-v2) run on the CPU with candle, from a
//! sentence-transformers folder: `config.json`, `tokenizer.json` and `model.safetensors`.
//! Vectors are the mean of the last layer over the text's tokens, scaled to unit length, as
//! sentence-transformers computes them for these models.

use super::{Embedder, ModelId};
use crate::error::{Error, ErrorKind, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

/// The most tokens of a text that count (the models' training length; the rest is cut).
pub const MAX_TOKENS: usize = 256;

/// A loaded model.
pub struct BertEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    id: ModelId,
    dir: std::path::PathBuf,
}

fn model_error(dir: &Path, what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("cannot load the model in {}: {what}", dir.display()),
    )
    .with_hint("give a sentence-transformers folder with config.json, tokenizer.json and model.safetensors; see docs/ranking.md")
}

/// Models loaded in this process, by folder, with what identified their weights file then.
type Loaded = Vec<(
    std::path::PathBuf,
    (u64, Option<std::time::SystemTime>),
    std::sync::Arc<BertEmbedder>,
)>;
static LOADED: std::sync::Mutex<Loaded> = std::sync::Mutex::new(Vec::new());

impl BertEmbedder {
    /// The model in `dir`, loaded once per process (and again if its weights file changes):
    /// a server answers many searches with one copy.
    pub fn shared(dir: &Path) -> Result<std::sync::Arc<BertEmbedder>> {
        let weights = dir.join("model.safetensors");
        let key = std::fs::metadata(&weights)
            .map(|m| (m.len(), m.modified().ok()))
            .map_err(|e| {
                model_error(
                    dir,
                    format!("model.safetensors: {}", crate::error::io_reason(&e)),
                )
            })?;
        let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, model)) = loaded.iter().find(|(d, k, _)| d == dir && *k == key) {
            return Ok(model.clone());
        }
        let model = std::sync::Arc::new(BertEmbedder::load(dir)?);
        loaded.retain(|(d, _, _)| d != dir);
        loaded.push((dir.to_path_buf(), key, model.clone()));
        Ok(model)
    }

    /// Loads the model in `dir`.
    pub fn load(dir: &Path) -> Result<BertEmbedder> {
        let read = |name: &str| {
            std::fs::read(dir.join(name))
                .map_err(|e| model_error(dir, format!("{name}: {}", crate::error::io_reason(&e))))
        };
        let config_bytes = read("config.json")?;
        let tokenizer_bytes = read("tokenizer.json")?;
        let weights_path = dir.join("model.safetensors");
        let weights_file = std::fs::File::open(&weights_path).map_err(|e| {
            model_error(
                dir,
                format!("model.safetensors: {}", crate::error::io_reason(&e)),
            )
        })?;
        // SAFETY: the map is read while the weights are copied into the model below and
        // dropped at the end of this function; the model folder is not written by quarry, and
        // a file cut short under it would end the process with SIGBUS, as for tantivy's own
        // memory-mapped files. Mapping instead of reading spares a 90 MB copy per search.
        let weights = unsafe { memmap2::Mmap::map(&weights_file) }.map_err(|e| {
            model_error(
                dir,
                format!("model.safetensors: {}", crate::error::io_reason(&e)),
            )
        })?;
        let config: Config = serde_json::from_slice(&config_bytes)
            .map_err(|e| model_error(dir, format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| model_error(dir, format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| model_error(dir, format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        let hash = {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            h.update(&config_bytes);
            h.update(&tokenizer_bytes);
            h.update(&weights);
            format!("{:016x}", h.digest())
        };
        let vb = VarBuilder::from_slice_safetensors(&weights, DType::F32, &Device::Cpu)
            .map_err(|e| model_error(dir, format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| model_error(dir, format!("model.safetensors: {e}")))?;
        let name = model_name(dir);
        Ok(BertEmbedder {
            model,
            tokenizer,
            id: ModelId {
                name,
                hash,
                dim: config.hidden_size,
            },
            dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
        })
    }

    fn run(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| e.to_string())?;
        let n = encodings.len();
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        if n == 0 || len == 0 {
            return Ok(vec![vec![0.0; self.id.dim]; n]);
        }
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let device = Device::Cpu;
        let e = |e: candle_core::Error| e.to_string();
        let ids = Tensor::from_vec(ids, (n, len), &device).map_err(e)?;
        let mask = Tensor::from_vec(mask, (n, len), &device).map_err(e)?;
        let types = ids.zeros_like().map_err(e)?;
        let out = self.model.forward(&ids, &types, Some(&mask)).map_err(e)?;
        // Mean over the text's tokens (padding excluded), then unit length.
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(e)?
            .unsqueeze(2)
            .map_err(e)?;
        let sum = out.broadcast_mul(&mask).map_err(e)?.sum(1).map_err(e)?;
        let count = mask.sum(1).map_err(e)?.clamp(1e-9, f64::MAX).map_err(e)?;
        let mean = sum.broadcast_div(&count).map_err(e)?;
        let norm = mean
            .sqr()
            .map_err(e)?
            .sum_keepdim(1)
            .map_err(e)?
            .sqrt()
            .map_err(e)?
            .clamp(1e-12, f64::MAX)
            .map_err(e)?;
        mean.broadcast_div(&norm)
            .map_err(e)?
            .to_vec2::<f32>()
            .map_err(e)
    }
}

/// A model's name: its folder's, or the folder above when that is called `model` (as the
/// packaged copies are).
fn model_name(dir: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match name(dir) {
        Some(n) if n == "model" => dir.parent().and_then(name).unwrap_or(n),
        Some(n) => n,
        None => dir.display().to_string(),
    }
}

impl std::fmt::Debug for BertEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertEmbedder")
            .field("id", &self.id)
            .finish()
    }
}

impl Embedder for BertEmbedder {
    fn id(&self) -> &ModelId {
        &self.id
    }

    fn source(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.run(texts).map_err(|why| {
            Error::new(
                ErrorKind::Engine,
                format!("the model {} failed: {why}", self.id.name),
            )
        })
    }
}
