//! An embedding cache around any [`Encoder`]: texts already embedded are not
//! embedded again. Optionally persisted to one append-only file, so that
//! evaluation runs and re-ranking reuse vectors across processes.
//!
//! File format (little endian): magic `VEC1`, `u32` dims, `u16` model-name
//! length, the name, then records of `u64` key + `dims` × `f32`. A truncated
//! tail record (a killed run) is cut off on load, before anything is appended,
//! so later records stay aligned.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::{EmbedError, Encoder, EncoderHandle, Result};

const MAGIC: &[u8; 4] = b"VEC1";

/// Stable 64-bit key of a text.
pub fn text_key(text: &str) -> u64 {
    let d = Sha256::digest(text.as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("sha256 has 32 bytes"))
}

/// An [`Encoder`] that remembers what it embedded.
pub struct CachedEncoder<'a> {
    inner: EncoderHandle<'a>,
    map: Mutex<HashMap<u64, Vec<f32>>>,
    /// In-memory entries kept at most (`None`: unbounded); when full, the
    /// map starts afresh, so a long-lived cache stays within its bound.
    capacity: Option<usize>,
    file: Option<Mutex<BufWriter<File>>>,
    path: Option<PathBuf>,
}

impl<'a> CachedEncoder<'a> {
    /// An unbounded in-memory cache (for one command's run).
    pub fn new(inner: impl Into<EncoderHandle<'a>>) -> Self {
        CachedEncoder {
            inner: inner.into(),
            map: Mutex::new(HashMap::new()),
            capacity: None,
            file: None,
            path: None,
        }
    }

    /// An in-memory cache of at most `capacity` vectors (at least one): when
    /// it is full it is emptied before the next vector goes in. For a cache
    /// that lives as long as a server.
    pub fn bounded(inner: impl Into<EncoderHandle<'a>>, capacity: usize) -> Self {
        let mut c = CachedEncoder::new(inner);
        c.capacity = Some(capacity.max(1));
        c
    }

    /// A cache persisted at `path` (created when absent). A file written for a
    /// different model or size is replaced.
    pub fn with_file(inner: impl Into<EncoderHandle<'a>>, path: &Path) -> Result<Self> {
        let inner = inner.into();
        let mut map = HashMap::new();
        let mut valid = false;
        if let Ok(mut f) = File::open(path) {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)
                .map_err(|e| EmbedError::io(path, e))?;
            if let Some((m, complete)) = parse(&buf, &*inner) {
                map = m;
                valid = true;
                if complete < buf.len() {
                    tracing::warn!(
                        "embedding cache {}: dropping a torn record of {} bytes at its end (an interrupted run)",
                        path.display(),
                        buf.len() - complete
                    );
                    OpenOptions::new()
                        .write(true)
                        .open(path)
                        .and_then(|f| f.set_len(complete as u64))
                        .map_err(|e| EmbedError::io(path, e))?;
                }
            } else {
                tracing::warn!(
                    "embedding cache {} is for another model; starting it afresh",
                    path.display()
                );
            }
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
        }
        let file = if valid {
            OpenOptions::new().append(true).open(path)
        } else {
            File::create(path)
        }
        .map_err(|e| EmbedError::io(path, e))?;
        let mut w = BufWriter::new(file);
        if !valid {
            let name = inner.name().as_bytes();
            let io = |e| EmbedError::io(path, e);
            w.write_all(MAGIC).map_err(io)?;
            w.write_all(&(inner.dims() as u32).to_le_bytes())
                .map_err(io)?;
            w.write_all(&(name.len() as u16).to_le_bytes())
                .map_err(io)?;
            w.write_all(name).map_err(io)?;
        }
        Ok(CachedEncoder {
            inner,
            map: Mutex::new(map),
            capacity: None,
            file: Some(Mutex::new(w)),
            path: Some(path.to_path_buf()),
        })
    }

    /// Number of cached vectors.
    pub fn len(&self) -> usize {
        self.map.lock().expect("cache lock").len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Flush the cache file, if any.
    pub fn flush(&self) -> Result<()> {
        if let (Some(f), Some(p)) = (&self.file, &self.path) {
            f.lock()
                .expect("cache lock")
                .flush()
                .map_err(|e| EmbedError::io(p, e))?;
        }
        Ok(())
    }
}

/// The cached vectors and the length of the file's complete part (header and
/// whole records), or `None` when the file is for another model or size.
fn parse(buf: &[u8], inner: &dyn Encoder) -> Option<(HashMap<u64, Vec<f32>>, usize)> {
    if buf.len() < 10 || &buf[..4] != MAGIC {
        return None;
    }
    let dims = u32::from_le_bytes(buf[4..8].try_into().ok()?) as usize;
    let nlen = u16::from_le_bytes(buf[8..10].try_into().ok()?) as usize;
    let name = buf.get(10..10 + nlen)?;
    if dims != inner.dims() || name != inner.name().as_bytes() {
        return None;
    }
    let rec = 8 + 4 * dims;
    let mut map = HashMap::new();
    let body = &buf[10 + nlen..];
    let complete = 10 + nlen + body.len() / rec * rec;
    for chunk in body.chunks_exact(rec) {
        let key = u64::from_le_bytes(chunk[..8].try_into().ok()?);
        let v = chunk[8..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        map.insert(key, v);
    }
    Some((map, complete))
}

impl CachedEncoder<'_> {
    /// Put fresh vectors into the map and append them to the cache file.
    fn store(&self, fresh: impl Iterator<Item = (u64, Vec<f32>)>) -> Result<()> {
        let mut map = self.map.lock().expect("cache lock");
        for (key, v) in fresh {
            if map.contains_key(&key) {
                continue;
            }
            if self.capacity.is_some_and(|c| map.len() >= c) {
                map.clear();
            }
            if let (Some(f), Some(p)) = (&self.file, &self.path) {
                let mut w = f.lock().expect("cache lock");
                let io = |e| EmbedError::io(p, e);
                w.write_all(&key.to_le_bytes()).map_err(io)?;
                for x in &v {
                    w.write_all(&x.to_le_bytes()).map_err(io)?;
                }
            }
            map.insert(key, v);
        }
        Ok(())
    }
}

impl Encoder for CachedEncoder<'_> {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let keys: Vec<u64> = texts.iter().map(|t| text_key(t)).collect();
        // Vectors found in the map now; the rest are embedded once each (a
        // text repeated in the batch too) and filled in from the fresh ones,
        // not re-read from the map, which a bounded cache may have emptied.
        let mut out: Vec<Option<Vec<f32>>> = {
            let map = self.map.lock().expect("cache lock");
            keys.iter().map(|k| map.get(k).cloned()).collect()
        };
        let mut missing: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, k) in keys.iter().enumerate() {
            if out[i].is_none() && seen.insert(*k) {
                missing.push(i);
            }
        }
        if !missing.is_empty() {
            let todo: Vec<&str> = missing.iter().map(|&i| texts[i]).collect();
            let vecs = self.inner.embed(&todo)?;
            let fresh: HashMap<u64, &Vec<f32>> =
                missing.iter().map(|&i| keys[i]).zip(&vecs).collect();
            for (slot, k) in out.iter_mut().zip(&keys) {
                if slot.is_none() {
                    *slot = fresh.get(k).map(|v| (*v).clone());
                }
            }
            self.store(missing.iter().map(|&i| keys[i]).zip(vecs))?;
        }
        Ok(out
            .into_iter()
            .map(|v| v.expect("every text was found or embedded"))
            .collect())
    }

    fn dims(&self) -> usize {
        self.inner.dims()
    }

    fn max_len(&self) -> usize {
        self.inner.max_len()
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn backend(&self) -> &str {
        self.inner.backend()
    }

    fn token_counts(&self, texts: &[&str]) -> Result<Option<Vec<usize>>> {
        self.inner.token_counts(texts)
    }

    fn plain_part(&self) -> Option<(String, bool)> {
        self.inner.plain_part()
    }

    /// Token states are not cached (too large); they come from the inner
    /// encoder, and the embeddings of the same pass go into the cache.
    fn embed_tokens(&self, texts: &[&str]) -> Result<Option<Vec<super::TokenStates>>> {
        let Some(states) = self.inner.embed_tokens(texts)? else {
            return Ok(None);
        };
        let fresh: Vec<(u64, Vec<f32>)> = {
            let map = self.map.lock().expect("cache lock");
            texts
                .iter()
                .zip(&states)
                .map(|(t, s)| (text_key(t), s))
                .filter(|(k, _)| !map.contains_key(k))
                .map(|(k, s)| (k, s.pooled.clone()))
                .collect()
        };
        self.store(fresh.into_iter())?;
        Ok(Some(states))
    }
}

impl Drop for CachedEncoder<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!("could not flush the embedding cache: {e}");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A deterministic test encoder: letter-frequency vectors, normalised.
    /// Shared by the unit tests of every module that needs an encoder.
    pub struct LetterEncoder {
        pub calls: AtomicUsize,
    }

    impl LetterEncoder {
        pub fn new() -> Self {
            LetterEncoder {
                calls: AtomicUsize::new(0),
            }
        }
    }

    impl Encoder for LetterEncoder {
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.calls.fetch_add(texts.len(), Ordering::SeqCst);
            Ok(texts
                .iter()
                .map(|t| {
                    let mut v = [0.0f32; 26];
                    for c in t.chars().filter(|c| c.is_ascii_alphabetic()) {
                        v[(c.to_ascii_lowercase() as u8 - b'a') as usize] += 1.0;
                    }
                    crate::embed::scale_to_length(&mut v, 1.0);
                    v.to_vec()
                })
                .collect())
        }
        fn dims(&self) -> usize {
            26
        }
        fn max_len(&self) -> usize {
            512
        }
        fn name(&self) -> &str {
            "test/letters"
        }
    }

    #[test]
    fn cache_embeds_each_text_once_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.vec");
        let inner = LetterEncoder {
            calls: AtomicUsize::new(0),
        };
        {
            let c = CachedEncoder::with_file(&inner, &path).unwrap();
            let a = c.embed(&["abc", "xyz", "abc"]).unwrap();
            assert_eq!(a[0], a[2]);
            assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
            c.embed(&["xyz"]).unwrap();
            assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        }
        let c = CachedEncoder::with_file(&inner, &path).unwrap();
        assert_eq!(c.len(), 2);
        let v = c.embed(&["abc"]).unwrap();
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn a_torn_tail_is_cut_so_later_records_stay_aligned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.vec");
        let inner = LetterEncoder::new();
        CachedEncoder::with_file(&inner, &path)
            .unwrap()
            .embed(&["first text"])
            .unwrap();
        // An interrupted run: a key and part of a vector, no more.
        let torn = [7u8; 8 + 4 * 10];
        OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&torn)
            .unwrap();
        CachedEncoder::with_file(&inner, &path)
            .unwrap()
            .embed(&["second text", "third text"])
            .unwrap();
        let c = CachedEncoder::with_file(&inner, &path).unwrap();
        assert_eq!(c.len(), 3);
        let calls = inner.calls.load(Ordering::SeqCst);
        let got = c
            .embed(&["first text", "second text", "third text"])
            .unwrap();
        assert_eq!(
            inner.calls.load(Ordering::SeqCst),
            calls,
            "all three cached"
        );
        assert_eq!(
            got,
            inner
                .embed(&["first text", "second text", "third text"])
                .unwrap()
        );
    }

    #[test]
    fn a_bounded_cache_stays_within_its_bound_and_still_answers() {
        let inner = LetterEncoder::new();
        let c = CachedEncoder::bounded(&inner, 2);
        let texts = ["one", "two", "three", "one", "four", "four"];
        let got = c.embed(&texts).unwrap();
        assert!(c.len() <= 2, "{} entries cached", c.len());
        assert_eq!(got, inner.embed(&texts).unwrap());
        assert_eq!(got[4], got[5]);
    }
}
