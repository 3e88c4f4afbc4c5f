//! A brute-force cosine retriever over in-memory passages: exact nearest
//! neighbours by dot product of normalised embeddings. It is the evidence
//! store of `veracity eval verdicts` (a few thousand pooled sentences) and
//! is fine up to some tens of thousands of passages.

use crate::embed::{dot, Encoder};

use crate::verdict::{Passage, VerdictError};

/// Passages with their embeddings, searched exhaustively.
pub struct MemoryIndex {
    passages: Vec<Passage>,
    vectors: Vec<Vec<f32>>,
}

impl MemoryIndex {
    /// Embed `passages` (their `text`) with `enc`, in chunks of `chunk`,
    /// calling `progress(done)` after each chunk.
    pub fn build(
        enc: &dyn Encoder,
        passages: Vec<Passage>,
        chunk: usize,
        mut progress: impl FnMut(usize),
    ) -> Result<Self, VerdictError> {
        let mut vectors = Vec::with_capacity(passages.len());
        for part in passages.chunks(chunk.max(1)) {
            let texts: Vec<&str> = part.iter().map(|p| p.text.as_str()).collect();
            vectors.extend(enc.embed(&texts)?);
            progress(vectors.len());
        }
        Ok(MemoryIndex { passages, vectors })
    }

    /// The `k` passages most similar to the query vector, best first, with
    /// `similarity` set. Ties keep insertion order.
    pub fn search_vec(&self, query: &[f32], k: usize) -> Vec<Passage> {
        let mut scored: Vec<(f32, usize)> = self
            .vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (dot(query, v), i))
            .collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        let cmp = |a: &(f32, usize), b: &(f32, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        scored.select_nth_unstable_by(k - 1, cmp);
        scored.truncate(k);
        scored.sort_by(cmp);
        scored
            .into_iter()
            .map(|(s, i)| {
                let mut p = self.passages[i].clone();
                p.similarity = s;
                p
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::SourceKind;

    use crate::embed::cache::tests::LetterEncoder as Letters;

    fn p(id: &str, text: &str) -> Passage {
        Passage {
            doc_id: id.into(),
            title: id.into(),
            source: "s".into(),
            kind: SourceKind::Reference,
            url: None,
            text: text.into(),
            start: 0,
            end: text.len(),
            similarity: 0.0,
            origin: id.into(),
        }
    }

    #[test]
    fn finds_nearest_first() {
        let idx = MemoryIndex::build(
            &Letters::new(),
            vec![p("x", "zzzz yyyy"), p("a", "aaaa bbbb"), p("b", "aaab")],
            2,
            |_| {},
        )
        .unwrap();
        let q = |t: &str| Letters::new().embed_one(t).unwrap();
        let hits = idx.search_vec(&q("aaaa bbbb"), 2);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].doc_id, "a");
        assert!((hits[0].similarity - 1.0).abs() < 1e-5);
        assert_eq!(hits[1].doc_id, "b");
        assert!(idx.search_vec(&q("q"), 0).is_empty());
        assert_eq!(idx.search_vec(&q("q"), 10).len(), 3);
    }
}
