//! Passage embeddings stored as f16 beside the tantivy index.
//!
//! One append-only file `dense.f16` in the index folder: magic `VF16`, `u32`
//! dims, `u16` model-name length, the name, then records of `u64` passage key
//! (see [`passage_key`]) and `dims` × f16. A truncated tail record from a
//! killed run is ignored on load (with a warning) and cut off before the next
//! append, so that later records stay aligned. Records of replaced documents stay in the
//! file but no longer resolve to a passage, so they are never returned.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::CorpusError;

const MAGIC: &[u8; 4] = b"VF16";
/// File name of the vector store inside an index folder.
pub const FILE_NAME: &str = "dense.f16";

/// The text embedded for a passage: its document title, then the passage.
pub fn embed_text(title: &str, passage: &str) -> String {
    if title.is_empty() {
        passage.to_string()
    } else {
        format!("{title}. {passage}")
    }
}

/// The key of a passage's vector: the embedding cache key of its embed text,
/// so that vectors cached by a `CachedEncoder` and stored vectors agree.
pub fn passage_key(title: &str, passage: &str) -> u64 {
    crate::embed::cache::text_key(&embed_text(title, passage))
}

/// An f16 vector store keyed by passage.
pub struct DenseStore {
    path: PathBuf,
    model: String,
    dims: usize,
    keys: Vec<u64>,
    index: HashMap<u64, usize>,
    data: Vec<f16>,
    writer: Option<BufWriter<File>>,
    /// Where a torn tail record starts (the length the file is cut to before
    /// appending), when the file ends with one.
    torn: Option<u64>,
}

impl DenseStore {
    /// Open the store in `dir` if it exists.
    pub fn open(dir: &Path) -> Result<Option<DenseStore>, CorpusError> {
        let path = dir.join(FILE_NAME);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CorpusError::io(&path, e)),
        };
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)
            .map_err(|e| CorpusError::io(&path, e))?;
        let bad = || {
            CorpusError::index(&path, "not a veracity dense vector file; delete it and re-run `veracity index add --dense`")
        };
        if buf.len() < 10 || &buf[..4] != MAGIC {
            return Err(bad());
        }
        let dims = u32::from_le_bytes(buf[4..8].try_into().expect("4 bytes")) as usize;
        let nlen = u16::from_le_bytes(buf[8..10].try_into().expect("2 bytes")) as usize;
        let model = String::from_utf8_lossy(buf.get(10..10 + nlen).ok_or_else(bad)?).into_owned();
        let rec = 8 + 2 * dims;
        let body = &buf[10 + nlen..];
        let n = body.len() / rec;
        let torn = (body.len() % rec != 0).then(|| {
            let keep = (10 + nlen + n * rec) as u64;
            tracing::warn!(
                "{}: the last record is incomplete ({} of {rec} bytes; a killed run?); it is ignored and cut off at the next append",
                path.display(),
                body.len() % rec
            );
            keep
        });
        let mut store = DenseStore {
            path,
            model,
            dims,
            keys: Vec::with_capacity(n),
            index: HashMap::with_capacity(n),
            data: Vec::with_capacity(n * dims),
            writer: None,
            torn,
        };
        for chunk in body.chunks_exact(rec) {
            let key = u64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
            let v: Vec<f16> = chunk[8..]
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]))
                .collect();
            store.insert_mem(key, &v);
        }
        Ok(Some(store))
    }

    /// Open the store in `dir`, creating it for `model` / `dims` when absent.
    pub fn open_or_create(dir: &Path, model: &str, dims: usize) -> Result<DenseStore, CorpusError> {
        if let Some(s) = DenseStore::open(dir)? {
            s.check_model(model, dims)?;
            return Ok(s);
        }
        let path = dir.join(FILE_NAME);
        let f = File::create(&path).map_err(|e| CorpusError::io(&path, e))?;
        let mut w = BufWriter::new(f);
        let io = |e| CorpusError::io(&path, e);
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&(dims as u32).to_le_bytes()).map_err(io)?;
        w.write_all(&(model.len() as u16).to_le_bytes())
            .map_err(io)?;
        w.write_all(model.as_bytes()).map_err(io)?;
        w.flush().map_err(io)?;
        Ok(DenseStore {
            path: path.clone(),
            model: model.to_string(),
            dims,
            keys: Vec::new(),
            index: HashMap::new(),
            data: Vec::new(),
            writer: Some(w),
            torn: None,
        })
    }

    /// Fail unless the vectors were made by `model` with `dims` dimensions.
    pub fn check_model(&self, model: &str, dims: usize) -> Result<(), CorpusError> {
        if self.model != model || self.dims != dims {
            return Err(CorpusError::DenseModel {
                path: self.path.clone(),
                found: self.model.clone(),
                found_dims: self.dims,
                expected: model.to_string(),
                expected_dims: dims,
            });
        }
        Ok(())
    }

    fn insert_mem(&mut self, key: u64, v: &[f16]) {
        if let Some(&i) = self.index.get(&key) {
            self.data[i * self.dims..(i + 1) * self.dims].copy_from_slice(v);
        } else {
            self.index.insert(key, self.keys.len());
            self.keys.push(key);
            self.data.extend_from_slice(v);
        }
    }

    /// Whether a vector is stored for `key`.
    pub fn contains(&self, key: u64) -> bool {
        self.index.contains_key(&key)
    }

    /// Number of stored vectors (replaced passages included).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no vector is stored.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The stored vector for `key`, as f32.
    pub fn get(&self, key: u64) -> Option<Vec<f32>> {
        let &i = self.index.get(&key)?;
        let mut out = vec![0f32; self.dims];
        self.data[i * self.dims..(i + 1) * self.dims].convert_to_f32_slice(&mut out);
        Some(out)
    }

    /// Append a vector (stored as f16) for `key`.
    pub fn put(&mut self, key: u64, v: &[f32]) -> Result<(), CorpusError> {
        if v.len() != self.dims {
            return Err(CorpusError::Invalid(format!(
                "vector of {} dims for a store of {}",
                v.len(),
                self.dims
            )));
        }
        if self.contains(key) {
            return Ok(());
        }
        let h: Vec<f16> = v.iter().map(|&x| f16::from_f32(x)).collect();
        if self.writer.is_none() {
            let f = OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(|e| CorpusError::io(&self.path, e))?;
            if let Some(keep) = self.torn.take() {
                // Appending after a torn record would shift every new one.
                f.set_len(keep)
                    .map_err(|e| CorpusError::io(&self.path, e))?;
            }
            self.writer = Some(BufWriter::new(f));
        }
        let w = self.writer.as_mut().expect("writer just set");
        let path = &self.path;
        let io = |e| CorpusError::io(path, e);
        w.write_all(&key.to_le_bytes()).map_err(io)?;
        for x in &h {
            w.write_all(&x.to_le_bytes()).map_err(io)?;
        }
        self.insert_mem(key, &h);
        Ok(())
    }

    /// Flush appended vectors to disk.
    pub fn flush(&mut self) -> Result<(), CorpusError> {
        if let Some(w) = self.writer.as_mut() {
            w.flush().map_err(|e| CorpusError::io(&self.path, e))?;
        }
        Ok(())
    }

    /// The `n` stored vectors with the highest dot product with `query`
    /// (a flat scan), as `(key, score)`, best first.
    pub fn top(&self, query: &[f32], n: usize) -> Vec<(u64, f32)> {
        if query.len() != self.dims || n == 0 {
            return Vec::new();
        }
        let mut buf = vec![0f32; self.dims];
        let mut scored: Vec<(u64, f32)> = Vec::with_capacity(self.keys.len());
        for (i, &key) in self.keys.iter().enumerate() {
            self.data[i * self.dims..(i + 1) * self.dims].convert_to_f32_slice(&mut buf);
            scored.push((key, crate::embed::dot(&buf, query)));
        }
        let n = n.min(scored.len());
        if n < scored.len() {
            scored.select_nth_unstable_by(n, |a, b| b.1.total_cmp(&a.1));
            scored.truncate(n);
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
    }

    /// The model that made the vectors.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Bytes on disk.
    pub fn disk_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for DenseStore {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_roundtrip_and_top() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = DenseStore::open_or_create(dir.path(), "m", 2).unwrap();
            s.put(1, &[1.0, 0.0]).unwrap();
            s.put(2, &[0.0, 1.0]).unwrap();
            s.put(3, &[0.6, 0.8]).unwrap();
            assert!(s.put(4, &[1.0]).is_err());
        }
        let s = DenseStore::open(dir.path()).unwrap().unwrap();
        assert_eq!(s.len(), 3);
        let top = s.top(&[1.0, 0.0], 2);
        assert_eq!(top[0].0, 1);
        assert_eq!(top[1].0, 3);
        assert!((s.get(3).unwrap()[1] - 0.8).abs() < 1e-3);
        assert!(s.check_model("other", 2).is_err());
    }

    #[test]
    fn torn_tail_record_is_cut_so_appends_stay_aligned() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = DenseStore::open_or_create(dir.path(), "m", 2).unwrap();
            s.put(1, &[1.0, 0.0]).unwrap();
            s.put(2, &[0.0, 1.0]).unwrap();
        }
        let path = dir.path().join(FILE_NAME);
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 5).unwrap();
        drop(f);
        {
            let mut s = DenseStore::open(dir.path()).unwrap().unwrap();
            assert_eq!(s.len(), 1);
            s.put(3, &[0.6, 0.8]).unwrap();
        }
        let s = DenseStore::open(dir.path()).unwrap().unwrap();
        assert_eq!(s.len(), 2);
        assert!(s.torn.is_none());
        assert!((s.get(3).unwrap()[1] - 0.8).abs() < 1e-3);
        assert!((s.get(1).unwrap()[0] - 1.0).abs() < 1e-3);
        assert!(s.get(2).is_none());
    }
}
