//! Checking a claim against corpora: retrieve passages with any
//! [`Retriever`], score each sentence of each passage against the claim (the
//! stance thresholds are calibrated on sentence-level evidence), then
//! [`judge`](super::judge).

use crate::corpus::{Hit, Retriever};
use crate::embed::{dot, Encoder};
use crate::text::split_sentences;

use super::{judge, Passage, Verdict, VerdictConfig, VerdictError};

/// Checks claims against one or more retrievers.
pub struct Checker<'a> {
    enc: &'a dyn Encoder,
    cfg: VerdictConfig,
}

impl<'a> Checker<'a> {
    pub fn new(enc: &'a dyn Encoder, cfg: VerdictConfig) -> Self {
        Checker { enc, cfg }
    }

    pub fn config(&self) -> &VerdictConfig {
        &self.cfg
    }

    /// Retrieve evidence for `claim` from every retriever (hits for which
    /// `skip` is true are dropped, e.g. the claim's own article) and judge it.
    pub fn check(
        &self,
        claim: &str,
        retrievers: &[&dyn Retriever],
        skip: &dyn Fn(&Hit) -> bool,
    ) -> Result<Verdict, VerdictError> {
        let mut hits = Vec::new();
        for r in retrievers {
            let found = r
                .search(claim, self.cfg.retrieval.top_k)
                .map_err(|e| VerdictError::Search(e.to_string()))?;
            hits.extend(found.into_iter().filter(|h| !skip(h)));
        }
        let passages = self.sentences(claim, &hits)?;
        Ok(judge(claim, &passages, &self.cfg))
    }

    /// Each sentence of each hit as a candidate passage, with its cosine
    /// similarity to the claim and its offsets in the document.
    pub fn sentences(&self, claim: &str, hits: &[Hit]) -> Result<Vec<Passage>, VerdictError> {
        let mut cands: Vec<(usize, usize, usize)> = Vec::new(); // hit, start, end (in hit.text)
        for (i, h) in hits.iter().enumerate() {
            let sents = split_sentences(&h.text);
            if sents.is_empty() && !h.text.trim().is_empty() {
                cands.push((i, 0, h.text.len()));
            }
            cands.extend(sents.iter().map(|s| (i, s.start, s.end)));
        }
        let mut texts: Vec<&str> = vec![claim];
        texts.extend(cands.iter().map(|&(i, s, e)| &hits[i].text[s..e]));
        let vecs = self.enc.embed(&texts)?;
        let q = &vecs[0];
        Ok(cands
            .iter()
            .zip(&vecs[1..])
            .map(|(&(i, s, e), v)| {
                let h = &hits[i];
                Passage {
                    doc_id: h.doc_id.clone(),
                    title: h.title.clone(),
                    source: h.source.clone(),
                    kind: h.kind,
                    url: h.url.clone(),
                    text: h.text[s..e].trim().to_string(),
                    start: h.start + s,
                    end: h.start + e,
                    similarity: dot(q, v),
                    origin: h.origin.clone(),
                }
            })
            .collect())
    }
}
