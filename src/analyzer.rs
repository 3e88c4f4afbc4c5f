//! The engine: [`Analyzer`] turns articles into [`ArticleReport`]s (claims,
//! evidence, verdicts, propaganda) and claims into [`Verdict`]s. The command
//! line, and any other front end, builds one with [`Analyzer::builder`] and
//! calls it; nothing of the pipeline lives outside this module.
//!
//! One forward pass per sentence serves every stage: the propaganda heads
//! read the model with an earlier layer beside the sentence embedding, and
//! the sentence embedding inside those vectors ([`LeadingHalf`]) is what
//! check-worthiness, retrieval and stance use, all through one
//! [`CachedEncoder`]. An `Analyzer` is `Send + Sync`: threads (or a server)
//! can share one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::claims::CheckWorthiness;
use crate::corpus::{DocKind, Document, Hit, HybridSearcher, Index, Retriever};
use crate::embed::{
    self, CachedEncoder, Encoder, EncoderHandle, EncoderOptions, LeadingHalf, Readout,
};
use crate::error::{Error, Result};
use crate::lang::Language;
use crate::propaganda::{PropagandaModel, TokenFeatureCache};
use crate::report::{ArticleReport, ClaimReport};
use crate::text::{split_sentences_in, Article, Sentence};
use crate::verdict::check::Checker;
use crate::verdict::{Verdict, VerdictConfig};

/// Vectors the analyzer's own embedding caches keep at most (per model):
/// enough for every sentence of a batch of long articles to be embedded
/// once, bounded for an analyzer that lives as long as a server.
pub const CACHE_VECTORS: usize = 20_000;

type SharedEncoder = Arc<dyn Encoder>;

/// Where the analyzer's embedding model comes from.
enum ModelChoice {
    Load(EncoderOptions),
    Given(Arc<dyn Encoder>),
}

/// Settings for an [`Analyzer`]; see [`Analyzer::builder`].
pub struct AnalyzerBuilder {
    model: ModelChoice,
    stance_model: Option<ModelChoice>,
    indexes: Vec<PathBuf>,
    documents: Vec<Document>,
    retrievers: Vec<Box<dyn Retriever>>,
    verdict: Option<VerdictConfig>,
    verdict_overrides: Option<PathBuf>,
    min_checkworthiness: Option<f32>,
    propaganda: bool,
    language: Language,
}

/// Reports on what the analyzer is doing, for a progress bar. Every method
/// has a no-op default.
pub trait Progress: Sync {
    /// Article `article` (its name) has `claims` check-worthy claims to check.
    fn claims_found(&self, _article: &str, _claims: usize) {}
    /// One more claim of the current article was checked.
    fn claim_checked(&self) {}
    /// The current article is done.
    fn article_done(&self) {}
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {}

impl AnalyzerBuilder {
    /// The embedding model to load (default: [`embed::DEFAULT_MODEL`] on the
    /// automatically chosen device).
    pub fn model(mut self, opts: EncoderOptions) -> Self {
        self.model = ModelChoice::Load(opts);
        self
    }

    /// Use this encoder instead of loading one. With propaganda scoring on
    /// (the default), it must give the propaganda heads' readout
    /// ([`PropagandaModel::readout`]) unless that readout is the plain one.
    pub fn encoder(mut self, enc: Arc<dyn Encoder>) -> Self {
        self.model = ModelChoice::Given(enc);
        self
    }

    /// A second model for the stance step only (the claim against each
    /// evidence sentence); retrieval, check-worthiness and propaganda keep
    /// the main model. Its calibration file, when it has one, sets the
    /// verdict thresholds.
    pub fn stance_model(mut self, opts: EncoderOptions) -> Self {
        self.stance_model = Some(ModelChoice::Load(opts));
        self
    }

    /// [`AnalyzerBuilder::stance_model`] with an encoder already loaded.
    pub fn stance_encoder(mut self, enc: Arc<dyn Encoder>) -> Self {
        self.stance_model = Some(ModelChoice::Given(enc));
        self
    }

    /// Search the index in `dir` (built by `veracity index add`) for
    /// evidence; call again for several.
    pub fn index(mut self, dir: impl Into<PathBuf>) -> Self {
        self.indexes.push(dir.into());
        self
    }

    /// Evidence documents, indexed in memory when the analyzer is built
    /// (searched together with the indexes).
    pub fn documents(mut self, docs: impl IntoIterator<Item = Document>) -> Self {
        self.documents.extend(docs);
        self
    }

    /// Any other evidence source, searched after the indexes.
    pub fn retriever(mut self, r: impl Retriever + 'static) -> Self {
        self.retrievers.push(Box::new(r));
        self
    }

    /// The complete verdict configuration (default: `config/verdict.toml`
    /// with the stance model's calibration applied).
    pub fn verdict_config(mut self, cfg: VerdictConfig) -> Self {
        self.verdict = Some(cfg);
        self
    }

    /// A TOML file of threshold overrides, applied after the stance model's
    /// calibration (ignored when [`AnalyzerBuilder::verdict_config`] is set).
    pub fn verdict_overrides(mut self, path: impl Into<PathBuf>) -> Self {
        self.verdict_overrides = Some(path.into());
        self
    }

    /// The check-worthiness score a sentence needs to be checked, in [0, 1]
    /// (default: the model's own threshold).
    pub fn min_checkworthiness(mut self, score: f32) -> Self {
        self.min_checkworthiness = Some(score);
        self
    }

    /// Score propaganda techniques (default: on).
    pub fn propaganda(mut self, on: bool) -> Self {
        self.propaganda = on;
        self
    }

    /// The language of the articles and the evidence (default English):
    /// sentence splitting, the cue words of stance and check-worthiness, the
    /// stemmer of documents indexed on the fly.
    pub fn language(mut self, lang: Language) -> Self {
        self.language = lang;
        self
    }

    /// Load the models, open and build the evidence indexes.
    pub fn build(self) -> Result<Analyzer> {
        let checkworthiness = CheckWorthiness::load_default()?;
        let threshold = match self.min_checkworthiness {
            Some(t) if !(0.0..=1.0).contains(&t) => {
                return Err(Error::Invalid(format!(
                    "the check-worthiness threshold must be in [0, 1], got {t}"
                )))
            }
            Some(t) => t,
            None => checkworthiness.threshold(),
        };
        let propaganda = if self.propaganda {
            Some(PropagandaModel::load_default()?)
        } else {
            None
        };
        let readout = propaganda
            .as_ref()
            .map_or(Readout::default(), |m| m.readout());
        let (plain, prop) = encoders(self.model, readout, propaganda.is_some())?;

        let stance: Option<Arc<dyn Encoder>> = match self.stance_model {
            None => None,
            Some(ModelChoice::Given(e)) => Some(e),
            Some(ModelChoice::Load(o)) => Some(Arc::from(embed::load_encoder(&o)?)),
        }
        .map(|e| Arc::new(CachedEncoder::bounded(e, CACHE_VECTORS)) as Arc<dyn Encoder>);
        let stance_enc = stance.clone().unwrap_or_else(|| plain.clone());
        let verdict = match (self.verdict, &self.verdict_overrides) {
            (Some(cfg), _) => cfg,
            (None, Some(p)) => VerdictConfig::load_for(stance_enc.name(), p)?,
            (None, None) => VerdictConfig::default_for(stance_enc.name())?,
        };
        let checker =
            Checker::new(EncoderHandle::Shared(stance_enc), verdict)?.with_language(self.language);

        let mut indexes = Vec::new();
        for d in &self.indexes {
            indexes.push(Index::open(d)?);
        }
        if !self.documents.is_empty() {
            indexes.push(Index::temporary_in(
                &self.documents,
                Some(plain.as_ref()),
                self.language,
            )?);
        }
        let searcher =
            (!indexes.is_empty()).then(|| HybridSearcher::shared(indexes, Some(plain.clone())));
        let retrievers = self.retrievers;
        Ok(Analyzer {
            plain,
            prop,
            stance,
            checkworthiness,
            threshold,
            propaganda,
            token_features: TokenFeatureCache::bounded(CACHE_VECTORS),
            checker,
            searcher,
            retrievers,
            language: self.language,
        })
    }
}

/// The plain sentence encoder and, with propaganda on, the propaganda
/// heads' encoder, sharing one cached forward pass where the readout allows.
fn encoders(
    model: ModelChoice,
    readout: Readout,
    propaganda: bool,
) -> Result<(SharedEncoder, Option<SharedEncoder>)> {
    let cached = |e: Arc<dyn Encoder>| -> Arc<dyn Encoder> {
        Arc::new(CachedEncoder::bounded(e, CACHE_VECTORS))
    };
    let (inner, opts): (Arc<dyn Encoder>, _) = match model {
        ModelChoice::Given(e) => (e, None),
        ModelChoice::Load(o) if propaganda => {
            (Arc::from(embed::load_encoder_with(&o, readout)?), Some(o))
        }
        ModelChoice::Load(o) => (Arc::from(embed::load_encoder(&o)?), None),
    };
    if !propaganda {
        return Ok((cached(inner), None));
    }
    let prop = cached(inner);
    // The sentence embedding inside the two-layer vectors; a readout
    // without a second layer is the plain embedding itself; any other
    // readout needs a plain encoder of its own.
    if let Some(half) = LeadingHalf::new(EncoderHandle::Shared(prop.clone())) {
        return Ok((Arc::new(half), Some(prop)));
    }
    if readout == Readout::default() {
        return Ok((prop.clone(), Some(prop)));
    }
    match opts {
        Some(o) => Ok((cached(Arc::from(embed::load_encoder(&o)?)), Some(prop))),
        None => Err(Error::Invalid(format!(
            "the propaganda heads read the model out as {readout:?}, which the encoder {} \
             does not give; load it with that readout (embed::load_encoder_with) or turn \
             propaganda scoring off",
            prop.name()
        ))),
    }
}

/// The analysis engine. Build one with [`Analyzer::builder`].
pub struct Analyzer {
    /// The sentence embedding (check-worthiness, retrieval, stance).
    plain: Arc<dyn Encoder>,
    /// The propaganda heads' readout of the same model (`None`: off).
    prop: Option<Arc<dyn Encoder>>,
    /// The stance model's encoder, when it is another model.
    stance: Option<Arc<dyn Encoder>>,
    checkworthiness: CheckWorthiness,
    threshold: f32,
    propaganda: Option<PropagandaModel>,
    /// The propaganda token heads' features of sentences already run
    /// through the encoder (by `prepare` or an earlier article).
    token_features: TokenFeatureCache,
    checker: Checker<'static>,
    /// The indexes, searched together (one ranking over all of them).
    searcher: Option<HybridSearcher<'static>>,
    /// Other evidence sources, searched after the indexes.
    retrievers: Vec<Box<dyn Retriever>>,
    language: Language,
}

impl Analyzer {
    /// Default settings: the default model, no evidence (every claim then
    /// has insufficient evidence), propaganda scoring on.
    pub fn builder() -> AnalyzerBuilder {
        AnalyzerBuilder {
            model: ModelChoice::Load(EncoderOptions::default()),
            stance_model: None,
            indexes: Vec::new(),
            documents: Vec::new(),
            retrievers: Vec::new(),
            verdict: None,
            verdict_overrides: None,
            min_checkworthiness: None,
            propaganda: true,
            language: Language::default(),
        }
    }

    /// The sentence encoder every stage but propaganda uses.
    pub fn encoder(&self) -> &dyn Encoder {
        self.plain.as_ref()
    }

    /// The encoder that decides stance (the stance model, or [`Analyzer::encoder`]).
    pub fn stance_encoder(&self) -> &dyn Encoder {
        self.stance.as_deref().unwrap_or(self.plain.as_ref())
    }

    /// The check-worthiness threshold in use.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The language articles and evidence are read in.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The verdict thresholds in use.
    pub fn verdict_config(&self) -> &VerdictConfig {
        self.checker.config()
    }

    /// Whether any evidence source was given (without one every claim has
    /// insufficient evidence, except against other articles of a batch).
    pub fn has_evidence(&self) -> bool {
        self.searcher.is_some() || !self.retrievers.is_empty()
    }

    /// Search one more index, ranked together with the analyzer's other
    /// indexes (an index built after the analyzer, e.g. with the
    /// analyzer's own encoder for its stored vectors).
    pub fn add_index(&mut self, index: Index) {
        let mut indexes = self
            .searcher
            .take()
            .map(HybridSearcher::into_indexes)
            .unwrap_or_default();
        indexes.push(index);
        self.searcher = Some(HybridSearcher::shared(indexes, Some(self.plain.clone())));
    }

    /// Search the evidence sources as the claim check does: the `k` best
    /// passages of the indexes (one ranking over all of them), then the `k`
    /// best of each other retriever. Empty without evidence sources.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<Hit>> {
        let mut hits = Vec::new();
        if let Some(s) = &self.searcher {
            hits.extend(s.search(query, k)?);
        }
        for r in &self.retrievers {
            hits.extend(r.search(query, k)?);
        }
        Ok(hits)
    }

    /// Check one claim against the evidence sources.
    pub fn check(&self, claim: &str) -> Result<Verdict> {
        self.check_in(claim, &[], &|_| false)
    }

    fn check_in(
        &self,
        claim: &str,
        extra: &[&dyn Retriever],
        skip: &dyn Fn(&Hit) -> bool,
    ) -> Result<Verdict> {
        let mut all: Vec<&dyn Retriever> = self
            .searcher
            .iter()
            .map(|s| s as &dyn Retriever)
            .chain(self.retrievers.iter().map(|r| r.as_ref()))
            .collect();
        all.extend_from_slice(extra);
        Ok(self.checker.check(claim, &all, skip)?)
    }

    /// Analyse one article.
    pub fn analyze(&self, article: &Article) -> Result<ArticleReport> {
        Ok(self
            .analyze_batch_with(std::slice::from_ref(article), &Quiet)?
            .remove(0))
    }

    /// Analyse an article that is itself document `doc_id` of an evidence
    /// index as a cross-reference (an archive scored against an index of its
    /// own articles): that document's passages are never its evidence.
    pub fn analyze_as(&self, article: &Article, doc_id: &str) -> Result<ArticleReport> {
        let skip = |h: &Hit| h.kind == DocKind::CrossReference && h.doc_id == doc_id;
        self.article(&article_name(article), article, &[], &skip, &Quiet)
    }

    /// Embed every sentence of `articles` in one call to the encoder, so
    /// that analysing them next finds their vectors in the analyzer's cache:
    /// the sentences of many articles batched together, each embedded once.
    /// Returns the number of sentences. Batches larger than
    /// [`CACHE_VECTORS`] sentences gain nothing.
    pub fn prepare(&self, articles: &[Article]) -> Result<usize> {
        let sentences: Vec<Sentence> = articles
            .iter()
            .flat_map(|a| split_sentences_in(&a.text, self.language))
            .collect();
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        self.prepare_texts(&texts)?;
        Ok(texts.len())
    }

    /// One encoder pass over `texts` that serves every stage: with
    /// propaganda scoring on, the token states give the propaganda token
    /// features (remembered) and the sentence embeddings (in the encoders'
    /// cache, which check-worthiness and retrieval read).
    fn prepare_texts(&self, texts: &[&str]) -> Result<()> {
        if texts.is_empty() {
            return Ok(());
        }
        match (&self.propaganda, &self.prop) {
            (Some(model), Some(enc)) => {
                model.prepare(enc.as_ref(), texts, &self.token_features)?;
            }
            _ => {
                self.plain.embed(texts)?;
            }
        }
        Ok(())
    }

    /// Whether propaganda techniques are scored.
    pub fn scores_propaganda(&self) -> bool {
        self.propaganda.is_some()
    }

    /// Analyse several articles, each also evidence for the others (kind
    /// cross-reference; an article never cites itself). One report per
    /// article, in order.
    pub fn analyze_batch(&self, articles: &[Article]) -> Result<Vec<ArticleReport>> {
        self.analyze_batch_with(articles, &Quiet)
    }

    /// [`Analyzer::analyze_batch`], reporting progress.
    pub fn analyze_batch_with(
        &self,
        articles: &[Article],
        progress: &dyn Progress,
    ) -> Result<Vec<ArticleReport>> {
        let names: Vec<String> = articles.iter().map(article_name).collect();
        let cross = if articles.len() > 1 {
            let docs: Vec<Document> = articles
                .iter()
                .zip(&names)
                .enumerate()
                .map(|(i, (art, name))| Document {
                    id: cross_id(i),
                    title: art.title.clone().unwrap_or_else(|| name.clone()),
                    text: art.text.clone(),
                    url: None,
                    source: name.clone(),
                    published: None,
                    kind: DocKind::CrossReference,
                })
                .collect();
            let index = Index::temporary_in(&docs, Some(self.plain.as_ref()), self.language)?;
            Some(HybridSearcher::new(vec![index], Some(self.plain.as_ref())))
        } else {
            None
        };
        let extra: Vec<&dyn Retriever> = cross.iter().map(|c| c as &dyn Retriever).collect();
        articles
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (art, name))| {
                let own = cross_id(i);
                let skip = |h: &Hit| h.kind == DocKind::CrossReference && h.doc_id == own;
                let r = self.article(name, art, &extra, &skip, progress);
                progress.article_done();
                r
            })
            .collect()
    }

    fn article(
        &self,
        name: &str,
        art: &Article,
        extra: &[&dyn Retriever],
        skip: &dyn Fn(&Hit) -> bool,
        progress: &dyn Progress,
    ) -> Result<ArticleReport> {
        // One encoder pass for the whole article (nothing to do after
        // `prepare`): the propaganda heads' sentences include the title line.
        let all = split_sentences_in(&art.text, self.language);
        let all_texts: Vec<&str> = all.iter().map(|s| s.text.as_str()).collect();
        self.prepare_texts(&all_texts)
            .map_err(|e| Error::in_article(name, "embedding the sentences", e))?;
        let sentences = without_title(art, all);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let scores = if texts.is_empty() {
            Vec::new()
        } else {
            self.checkworthiness
                .score_in(self.plain.as_ref(), &texts, self.language)
                .map_err(|e| Error::in_article(name, "scoring check-worthiness", e))?
        };
        let picked: Vec<usize> = (0..sentences.len())
            .filter(|&j| scores[j] >= self.threshold)
            .collect();
        progress.claims_found(name, picked.len());
        let mut claims = Vec::new();
        for j in picked {
            let s = &sentences[j];
            let v = self
                .check_in(s.text.trim(), extra, skip)
                .map_err(|e| Error::in_article(name, "checking a claim", e))?;
            claims.push(ClaimReport {
                sentence_index: s.index,
                start: s.start,
                end: s.end,
                text: s.text.clone(),
                checkworthiness: (scores[j] * 1000.0).round() / 1000.0,
                verdict: v.verdict,
                confidence: v.confidence,
                explanation: v.explanation,
                evidence: v.evidence,
            });
            progress.claim_checked();
        }
        let propaganda = match (&self.propaganda, &self.prop) {
            (Some(model), Some(enc)) => Some(
                model
                    .analyze_cached_in(enc.as_ref(), &art.text, self.language, &self.token_features)
                    .map_err(|e| Error::in_article(name, "scoring propaganda techniques", e))?
                    .into(),
            ),
            _ => None,
        };
        Ok(ArticleReport::new(
            name.to_string(),
            art.title.clone(),
            sentences.len(),
            propaganda,
            claims,
        ))
    }
}

/// How an article is named in its report: its path, or `-` (standard input
/// or text given directly).
pub fn article_name(a: &Article) -> String {
    a.path
        .as_deref()
        .map_or_else(|| "-".to_string(), |p: &Path| p.display().to_string())
}

fn cross_id(i: usize) -> String {
    format!("article-{}", i + 1)
}

/// `s`, the article's sentences, without the title line (plain-text titles are the
/// first line of the text itself).
fn without_title(a: &Article, mut s: Vec<Sentence>) -> Vec<Sentence> {
    if let (Some(t), Some(first)) = (&a.title, s.first()) {
        if first.text.trim().trim_start_matches('#').trim() == t.trim() {
            s.remove(0);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn an_analyzer_can_be_shared_between_threads() {
        assert_send_sync::<Analyzer>();
    }

    #[test]
    fn the_title_line_is_not_a_sentence_of_the_body() {
        let a = Article {
            title: Some("Big news".into()),
            text: "Big news\n\nThe mayor resigned on Monday. Nobody knows why.".into(),
            path: None,
        };
        let s: Vec<String> = without_title(&a, split_sentences_in(&a.text, Language::English))
            .into_iter()
            .map(|s| s.text)
            .collect();
        assert_eq!(s, ["The mayor resigned on Monday.", "Nobody knows why."]);
        assert_eq!(article_name(&a), "-");
    }
}
