//! Checking a claim against corpora: retrieve passages with any
//! [`Retriever`], score each sentence of each passage against the claim (the
//! stance thresholds are calibrated on sentence-level evidence), then
//! [`super::assess_with`], with the learned stance head's
//! probabilities when `[stance] method = "head"`.

use crate::corpus::{Hit, Retriever};
use crate::embed::{dot, EncoderHandle};
use crate::lang::Language;
use crate::text::split_sentences_in;

use super::head::{self, StanceHead, StanceHeadFile, TokenMatrix};
use super::{assess_with, Conflicts, Passage, StanceMethod, Verdict, VerdictConfig, VerdictError};

/// Checks claims against one or more retrievers.
pub struct Checker<'a> {
    enc: EncoderHandle<'a>,
    cfg: VerdictConfig,
    /// The compiled-in stance head, with `[stance] method = "head"`.
    head: Option<StanceHead>,
    /// Whether the head reads token-alignment features (then the claim and
    /// every sentence are embedded with their token states).
    alignment: bool,
    /// The language of claims and evidence (sentence splitting, conflict cues).
    lang: Language,
}

impl<'a> Checker<'a> {
    /// A checker; with `[stance] method = "head"` it loads the compiled-in
    /// stance head trained on the encoder's embeddings.
    pub fn new(
        enc: impl Into<EncoderHandle<'a>>,
        cfg: VerdictConfig,
    ) -> Result<Self, VerdictError> {
        let enc = enc.into();
        let mut alignment = false;
        let head = match cfg.stance.method {
            StanceMethod::Rules => None,
            StanceMethod::Head => {
                let f = StanceHeadFile::builtin_for(enc.name())?;
                if f.dims != enc.dims() {
                    return Err(VerdictError::Head(format!(
                        "the built-in stance head was trained on {} ({}-dimensional embeddings), \
                         but the encoder {} gives {}; use `[stance] method = \"rules\"` with this model",
                        f.encoder,
                        f.dims,
                        enc.name(),
                        enc.dims()
                    )));
                }
                alignment = f.alignment;
                Some(f.head)
            }
        };
        Ok(Checker {
            enc,
            cfg,
            head,
            alignment,
            lang: Language::default(),
        })
    }

    /// Read claims and evidence as `lang` (default English).
    pub fn with_language(mut self, lang: Language) -> Self {
        self.lang = lang;
        self
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
                .map_err(VerdictError::Search)?;
            hits.extend(found.into_iter().filter(|h| !skip(h)));
        }
        let tokens = self.alignment && self.head.is_some();
        let (passages, q, vecs, toks) = self.sentences_with_vectors(claim, &hits, tokens)?;
        let conflicts: Vec<Conflicts> = passages
            .iter()
            .map(|p| {
                Conflicts::find_in(claim, &p.text, self.cfg.stance.number_tolerance, self.lang)
            })
            .collect();
        let probs: Option<Vec<[f32; 3]>> = self.head.as_ref().map(|h| {
            vecs.iter()
                .zip(&conflicts)
                .enumerate()
                .map(|(i, (v, c))| {
                    let t = (!toks.is_empty()).then(|| (&toks[0], &toks[i + 1]));
                    h.probs(&head::pair_inputs(&q, v, c, t))
                })
                .collect()
        });
        Ok(assess_with(
            claim,
            &passages,
            &conflicts,
            probs.as_deref(),
            &self.cfg,
        ))
    }

    /// Each sentence of each hit as a candidate passage, with its cosine
    /// similarity to the claim and its offsets in the document.
    pub fn sentences(&self, claim: &str, hits: &[Hit]) -> Result<Vec<Passage>, VerdictError> {
        Ok(self.sentences_with_vectors(claim, hits, false)?.0)
    }

    /// [`Checker::sentences`] with the claim's embedding and each passage's,
    /// and, with `tokens` (the stance head reads them), the content tokens of
    /// the claim and of each passage (in that order; empty otherwise).
    #[allow(clippy::type_complexity)]
    fn sentences_with_vectors(
        &self,
        claim: &str,
        hits: &[Hit],
        tokens: bool,
    ) -> Result<(Vec<Passage>, Vec<f32>, Vec<Vec<f32>>, Vec<TokenMatrix>), VerdictError> {
        let mut cands: Vec<(usize, usize, usize)> = Vec::new(); // hit, start, end (in hit.text)
        for (i, h) in hits.iter().enumerate() {
            let sents = split_sentences_in(&h.text, self.lang);
            if sents.is_empty() && !h.text.trim().is_empty() {
                cands.push((i, 0, h.text.len()));
            }
            cands.extend(sents.iter().map(|s| (i, s.start, s.end)));
        }
        let mut texts: Vec<&str> = vec![claim];
        texts.extend(cands.iter().map(|&(i, s, e)| &hits[i].text[s..e]));
        let (mut vecs, toks) = if tokens {
            let states = self.enc.embed_tokens(&texts)?.ok_or_else(|| {
                VerdictError::Head(format!(
                    "the stance head reads token states, which the encoder {} does not give; \
                     use `[stance] method = \"rules\"`",
                    self.enc.name()
                ))
            })?;
            let toks = states
                .iter()
                .map(|t| TokenMatrix::new(t, self.enc.dims()))
                .collect();
            (states.into_iter().map(|t| t.pooled).collect(), toks)
        } else {
            (self.enc.embed(&texts)?, Vec::new())
        };
        let q = vecs.remove(0);
        let passages = cands
            .iter()
            .zip(&vecs)
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
                    similarity: dot(&q, v),
                    origin: h.origin.clone(),
                }
            })
            .collect();
        Ok((passages, q, vecs, toks))
    }
}
