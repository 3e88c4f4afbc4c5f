//! The embedded passage index: tantivy for BM25, a document store for full
//! texts and origin signatures, and optional f16 passage vectors.
//!
//! Each document becomes one document record (`rec = d`: full text, metadata,
//! MinHash signature and LSH band keys) and one record per passage (`rec = p`:
//! title and passage text indexed for BM25 with the stemmer of the index's
//! [`Language`], English by default; byte offsets, metadata, origin). Both carry the document id, so re-adding an id deletes
//! every old record before adding the new ones. The writer commits in batches;
//! a killed run leaves the last commit readable, and re-running the same input
//! replaces what was already there.
//!
//! The language is chosen when the index is created ([`Index::create_in`]) and
//! recorded in `veracity-index.json`; an index written before languages were
//! recorded reads as English.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value,
    STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer};
use tantivy::{doc, IndexReader, ReloadPolicy, TantivyDocument, Term};

use super::dense::{self, DenseStore};
use super::origin::{self, Signature};
use super::passages::{self, PassageConfig};
use super::{CorpusError, DocKind, Document};
use crate::embed::Encoder;
use crate::lang::Language;

const META_FILE: &str = "veracity-index.json";
const FORMAT: u32 = 1;

#[derive(Clone, Copy)]
struct Fields {
    rec: Field,
    doc_id: Field,
    title: Field,
    text: Field,
    body: Field,
    dtitle: Field,
    start: Field,
    end: Field,
    pkey: Field,
    source: Field,
    kind: Field,
    url: Field,
    published: Field,
    origin: Field,
    sig: Field,
    lsh: Field,
}

fn schema(lang: Language) -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexed = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(lang.words().index.tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let f = Fields {
        rec: b.add_text_field("rec", STRING),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        title: b.add_text_field("title", indexed.clone()),
        text: b.add_text_field("text", indexed),
        body: b.add_text_field("body", STORED),
        dtitle: b.add_text_field("dtitle", STORED),
        start: b.add_u64_field("start", STORED),
        end: b.add_u64_field("end", STORED),
        pkey: b.add_u64_field("pkey", NumericOptions::default().set_indexed().set_stored()),
        source: b.add_text_field("source", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        url: b.add_text_field("url", STORED),
        published: b.add_text_field("published", STORED),
        origin: b.add_text_field("origin", STRING | STORED),
        sig: b.add_bytes_field("sig", STORED),
        lsh: b.add_text_field("lsh", STRING),
    };
    (b.build(), f)
}

/// Register the tokenizer of `lang`'s text fields with `index` (simple
/// tokenizer, tokens over 40 bytes removed, lower-cased, stemmed). For English
/// it is the same pipeline as tantivy's built-in `en_stem`.
fn register_tokenizer(index: &tantivy::Index, lang: Language) {
    let words = &lang.words().index;
    index.tokenizers().register(
        words.tokenizer,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(Stemmer::new(words.stemmer))
            .build(),
    );
}

/// A passage as stored in the index.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPassage {
    pub doc_id: String,
    pub title: String,
    pub text: String,
    pub start: usize,
    pub end: usize,
    pub key: u64,
    pub source: String,
    pub kind: DocKind,
    pub url: Option<String>,
    pub published: Option<String>,
    pub origin: String,
}

/// What [`Writer::add`] did with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOutcome {
    /// A document with the same id was there before and was replaced.
    pub replaced: bool,
    /// The origin group the document joined (its own id when it is the first).
    pub origin: String,
    /// Passages indexed.
    pub passages: usize,
}

/// Counts for `veracity index stats`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexStats {
    pub documents: u64,
    pub passages: u64,
    pub origins: u64,
    pub dense_vectors: u64,
    pub dense_model: Option<String>,
    pub sources: BTreeMap<String, u64>,
    pub kinds: BTreeMap<String, u64>,
    pub disk_bytes: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    format: u32,
    max_sentences: usize,
    stride: usize,
    max_bytes: usize,
    /// Language of the indexed text (absent in older indexes: English).
    #[serde(default)]
    language: Language,
}

/// An on-disk (or temporary) passage index.
pub struct Index {
    dir: PathBuf,
    index: tantivy::Index,
    reader: IndexReader,
    f: Fields,
    cfg: PassageConfig,
    language: Language,
    dense: Option<DenseStore>,
    _tmp: Option<tempfile::TempDir>,
}

/// Options for a [`Writer`].
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Documents between commits (a killed run loses at most this many).
    pub batch_docs: usize,
    /// Indexing threads for tantivy.
    pub threads: usize,
    /// Memory budget of tantivy's writer, in bytes.
    pub memory_bytes: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            batch_docs: 2000,
            threads: 1,
            memory_bytes: 100_000_000,
        }
    }
}

impl Index {
    /// Open the index in `dir`.
    pub fn open(dir: &Path) -> Result<Index, CorpusError> {
        let meta_path = dir.join(META_FILE);
        if !meta_path.exists() {
            return Err(
                lost_settings(dir).unwrap_or_else(|| CorpusError::NoIndex(dir.to_path_buf()))
            );
        }
        let meta: Meta = serde_json::from_slice(
            &std::fs::read(&meta_path).map_err(|e| CorpusError::io(&meta_path, e))?,
        )
        .map_err(|e| CorpusError::store(&meta_path, e))?;
        if meta.format != FORMAT {
            return Err(CorpusError::index(
                dir,
                format!(
                    "index format {} is not the supported {FORMAT}; rebuild it with `veracity index add`",
                    meta.format
                ),
            ));
        }
        let index = tantivy::Index::open_in_dir(dir).map_err(|e| CorpusError::store(dir, e))?;
        let cfg = PassageConfig {
            max_sentences: meta.max_sentences,
            stride: meta.stride,
            max_bytes: meta.max_bytes,
        };
        Self::wrap(dir, index, cfg, meta.language, None)
    }

    /// Create an empty English index in `dir` (which must not hold one).
    pub fn create(dir: &Path, cfg: PassageConfig) -> Result<Index, CorpusError> {
        Self::create_in(dir, cfg, Language::English)
    }

    /// Create an empty index of text in `lang` in `dir` (which must not hold
    /// one); the language is recorded with the index's settings.
    pub fn create_in(dir: &Path, cfg: PassageConfig, lang: Language) -> Result<Index, CorpusError> {
        if dir.join(META_FILE).exists() {
            return Err(CorpusError::index(
                dir,
                "an index already exists here; use Index::open",
            ));
        }
        if let Some(e) = lost_settings(dir) {
            return Err(e);
        }
        std::fs::create_dir_all(dir).map_err(|e| CorpusError::io(dir, e))?;
        let (schema, _) = schema(lang);
        let index =
            tantivy::Index::create_in_dir(dir, schema).map_err(|e| CorpusError::store(dir, e))?;
        let meta = Meta {
            format: FORMAT,
            max_sentences: cfg.max_sentences,
            stride: cfg.stride,
            max_bytes: cfg.max_bytes,
            language: lang,
        };
        let meta_path = dir.join(META_FILE);
        std::fs::write(
            &meta_path,
            serde_json::to_vec_pretty(&meta).expect("meta serialises"),
        )
        .map_err(|e| CorpusError::io(&meta_path, e))?;
        Self::wrap(dir, index, cfg, lang, None)
    }

    /// Open the index in `dir`, creating an English one when there is none.
    pub fn open_or_create(dir: &Path) -> Result<Index, CorpusError> {
        Self::open_or_create_in(dir, Language::English)
    }

    /// Open the index in `dir`, creating one for text in `lang` when there is
    /// none. An existing index of another language is an error (its passages
    /// were stemmed for that language).
    pub fn open_or_create_in(dir: &Path, lang: Language) -> Result<Index, CorpusError> {
        if dir.join(META_FILE).exists() {
            let index = Index::open(dir)?;
            if index.language != lang {
                return Err(CorpusError::index(
                    dir,
                    format!(
                        "this index holds {} text ({}), not {} ({})",
                        index.language.name(),
                        index.language,
                        lang.name(),
                        lang
                    ),
                ));
            }
            Ok(index)
        } else {
            Index::create_in(dir, PassageConfig::default(), lang)
        }
    }

    /// An index of `docs` in a temporary folder, deleted when the index is
    /// dropped: for cross-references between articles and evaluation corpora.
    /// With an encoder, passage vectors are stored too (dense retrieval).
    pub fn temporary(
        docs: &[Document],
        encoder: Option<&dyn Encoder>,
    ) -> Result<Index, CorpusError> {
        Self::temporary_in(docs, encoder, Language::English)
    }

    /// [`Index::temporary`] for documents in `lang`.
    pub fn temporary_in(
        docs: &[Document],
        encoder: Option<&dyn Encoder>,
        lang: Language,
    ) -> Result<Index, CorpusError> {
        let tmp = tempfile::Builder::new()
            .prefix("veracity-index-")
            .tempdir()
            .map_err(|e| CorpusError::io(std::env::temp_dir(), e))?;
        let mut index = Index::create_in(tmp.path(), PassageConfig::default(), lang)?;
        index._tmp = Some(tmp);
        {
            let mut w = index.writer(WriterOptions::default(), encoder)?;
            for d in docs {
                w.add(d)?;
            }
            w.finish()?;
        }
        Ok(index)
    }

    fn wrap(
        dir: &Path,
        index: tantivy::Index,
        cfg: PassageConfig,
        language: Language,
        tmp: Option<tempfile::TempDir>,
    ) -> Result<Index, CorpusError> {
        register_tokenizer(&index, language);
        let (_, f) = schema(language);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| CorpusError::store(dir, e))?;
        let dense = DenseStore::open(dir)?;
        Ok(Index {
            dir: dir.to_path_buf(),
            index,
            reader,
            f,
            cfg,
            language,
            dense,
            _tmp: tmp,
        })
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The language of the indexed text (its stemmer).
    pub fn language(&self) -> Language {
        self.language
    }

    /// Stored passage vectors, if any were made (`--dense`).
    pub fn dense(&self) -> Option<&DenseStore> {
        self.dense.as_ref()
    }

    /// A writer that adds documents; with an encoder it stores passage vectors.
    pub fn writer<'a>(
        &'a mut self,
        opts: WriterOptions,
        encoder: Option<&'a dyn Encoder>,
    ) -> Result<Writer<'a>, CorpusError> {
        let w = self
            .index
            .writer_with_num_threads(
                opts.threads.max(1),
                opts.memory_bytes.max(15_000_000 * opts.threads.max(1)),
            )
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => CorpusError::Busy(self.dir.clone()),
                e => CorpusError::store(&self.dir, e),
            })?;
        if let Some(enc) = encoder {
            let store = DenseStore::open_or_create(&self.dir, enc.name(), enc.dims())?;
            self.dense = Some(store);
        }
        Ok(Writer {
            index: self,
            w,
            encoder,
            opts,
            pending_ids: HashSet::new(),
            pending_sigs: Vec::new(),
            pending_bands: HashMap::new(),
            pending_vecs: Vec::new(),
            since_commit: 0,
        })
    }

    fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Run a read of the index. tantivy panics on some damaged files (a
    /// posting list overwritten in place); the panic is contained here and
    /// becomes [`CorpusError::Damaged`], naming the folder, the files whose
    /// checksums fail, and how to rebuild it.
    pub(crate) fn guarded<T>(
        &self,
        read: impl FnOnce() -> Result<T, CorpusError>,
    ) -> Result<T, CorpusError> {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            let bad = catch_unwind(AssertUnwindSafe(|| self.index.validate_checksum()));
            let detail = match bad {
                Ok(Ok(files)) if !files.is_empty() => {
                    let mut names: Vec<String> =
                        files.iter().map(|p| p.display().to_string()).collect();
                    names.sort();
                    format!(
                        "checksum mismatch in {}; reading it failed: {what}",
                        names.join(", ")
                    )
                }
                _ => format!("reading it failed: {what}"),
            };
            Err(CorpusError::Damaged {
                path: self.dir.clone(),
                detail,
            })
        })
    }

    fn rec_query(&self, rec: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(self.f.rec, rec),
            IndexRecordOption::Basic,
        ))
    }

    fn doc_query(&self, id: &str) -> BooleanQuery {
        BooleanQuery::new(vec![
            (Occur::Must, self.rec_query("d")),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.f.doc_id, id),
                    IndexRecordOption::Basic,
                )),
            ),
        ])
    }

    fn count(&self, q: &dyn Query) -> Result<u64, CorpusError> {
        self.guarded(|| self.count_unguarded(q))
    }

    fn count_unguarded(&self, q: &dyn Query) -> Result<u64, CorpusError> {
        self.searcher()
            .search(q, &Count)
            .map(|n| n as u64)
            .map_err(|e| CorpusError::store(&self.dir, e))
    }

    /// Whether a document with this id is in the (committed) index.
    pub fn contains(&self, id: &str) -> Result<bool, CorpusError> {
        Ok(self.count(&self.doc_query(id))? > 0)
    }

    /// Number of documents.
    pub fn num_documents(&self) -> Result<u64, CorpusError> {
        self.count(self.rec_query("d").as_ref())
    }

    /// Number of passages.
    pub fn num_passages(&self) -> Result<u64, CorpusError> {
        self.count(self.rec_query("p").as_ref())
    }

    /// The full document with this id.
    pub fn document(&self, id: &str) -> Result<Option<Document>, CorpusError> {
        self.guarded(|| self.document_unguarded(id))
    }

    fn document_unguarded(&self, id: &str) -> Result<Option<Document>, CorpusError> {
        let s = self.searcher();
        let top = s
            .search(&self.doc_query(id), &TopDocs::with_limit(1))
            .map_err(|e| CorpusError::store(&self.dir, e))?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let d: TantivyDocument = s.doc(*addr).map_err(|e| CorpusError::store(&self.dir, e))?;
        let get = |f: Field| d.get_first(f).and_then(|v| v.as_str()).map(str::to_string);
        Ok(Some(Document {
            id: get(self.f.doc_id).unwrap_or_default(),
            title: get(self.f.dtitle).unwrap_or_default(),
            text: get(self.f.body).unwrap_or_default(),
            url: get(self.f.url),
            source: get(self.f.source).unwrap_or_default(),
            published: get(self.f.published),
            kind: get(self.f.kind)
                .and_then(|k| DocKind::parse(&k))
                .unwrap_or_default(),
        }))
    }

    /// The origin group of a document.
    pub fn origin_of(&self, id: &str) -> Result<Option<String>, CorpusError> {
        self.guarded(|| self.origin_of_unguarded(id))
    }

    fn origin_of_unguarded(&self, id: &str) -> Result<Option<String>, CorpusError> {
        let s = self.searcher();
        let top = s
            .search(&self.doc_query(id), &TopDocs::with_limit(1))
            .map_err(|e| CorpusError::store(&self.dir, e))?;
        let Some((_, addr)) = top.first() else {
            return Ok(None);
        };
        let d: TantivyDocument = s.doc(*addr).map_err(|e| CorpusError::store(&self.dir, e))?;
        Ok(d.get_first(self.f.origin)
            .and_then(|v| v.as_str())
            .map(str::to_string))
    }

    fn passage_from(&self, d: &TantivyDocument) -> StoredPassage {
        let get = |f: Field| d.get_first(f).and_then(|v| v.as_str()).map(str::to_string);
        let num = |f: Field| d.get_first(f).and_then(|v| v.as_u64()).unwrap_or(0);
        StoredPassage {
            doc_id: get(self.f.doc_id).unwrap_or_default(),
            title: get(self.f.title).unwrap_or_default(),
            text: get(self.f.text).unwrap_or_default(),
            start: num(self.f.start) as usize,
            end: num(self.f.end) as usize,
            key: num(self.f.pkey),
            source: get(self.f.source).unwrap_or_default(),
            kind: get(self.f.kind)
                .and_then(|k| DocKind::parse(&k))
                .unwrap_or_default(),
            url: get(self.f.url),
            published: get(self.f.published),
            origin: get(self.f.origin).unwrap_or_default(),
        }
    }

    /// Analysed query terms (stemmed for the index's language, as indexed),
    /// deduplicated.
    pub fn query_terms(&self, query: &str) -> Result<Vec<String>, CorpusError> {
        let mut analyzer = self
            .index
            .tokenizer_for_field(self.f.text)
            .map_err(|e| CorpusError::store(&self.dir, e))?;
        let mut stream = analyzer.token_stream(query);
        let mut terms = Vec::new();
        let mut seen = HashSet::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            if seen.insert(t.clone()) {
                terms.push(t);
            }
        }
        Ok(terms)
    }

    /// The `n` best passages for `query` by BM25 over title and passage text.
    pub fn bm25(&self, query: &str, n: usize) -> Result<Vec<(StoredPassage, f32)>, CorpusError> {
        self.guarded(|| self.bm25_unguarded(query, n))
    }

    fn bm25_unguarded(
        &self,
        query: &str,
        n: usize,
    ) -> Result<Vec<(StoredPassage, f32)>, CorpusError> {
        let terms = self.query_terms(query)?;
        if terms.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in &terms {
            for field in [self.f.title, self.f.text] {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
        }
        let q = BooleanQuery::new(clauses);
        let s = self.searcher();
        let top = s
            .search(&q, &TopDocs::with_limit(n))
            .map_err(|e| CorpusError::Query {
                query: query.to_string(),
                reason: e.to_string(),
            })?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = s.doc(addr).map_err(|e| CorpusError::store(&self.dir, e))?;
            out.push((self.passage_from(&d), score));
        }
        Ok(out)
    }

    /// The passage stored under a vector key (see [`dense::passage_key`]), if
    /// it is still in the index.
    pub fn passage_by_key(&self, key: u64) -> Result<Option<StoredPassage>, CorpusError> {
        self.guarded(|| self.passage_by_key_unguarded(key))
    }

    fn passage_by_key_unguarded(&self, key: u64) -> Result<Option<StoredPassage>, CorpusError> {
        let q = TermQuery::new(
            Term::from_field_u64(self.f.pkey, key),
            IndexRecordOption::Basic,
        );
        let s = self.searcher();
        let top = s
            .search(&q, &TopDocs::with_limit(1))
            .map_err(|e| CorpusError::store(&self.dir, e))?;
        match top.first() {
            Some((_, addr)) => {
                let d: TantivyDocument =
                    s.doc(*addr).map_err(|e| CorpusError::store(&self.dir, e))?;
                Ok(Some(self.passage_from(&d)))
            }
            None => Ok(None),
        }
    }

    /// Documents, passages, origins, sources, kinds and size on disk.
    pub fn stats(&self) -> Result<IndexStats, CorpusError> {
        self.guarded(|| self.stats_unguarded())
    }

    fn stats_unguarded(&self) -> Result<IndexStats, CorpusError> {
        let s = self.searcher();
        let terms_of = |field: Field| -> Result<HashSet<String>, CorpusError> {
            let mut out = HashSet::new();
            for seg in s.segment_readers() {
                let inv = seg
                    .inverted_index(field)
                    .map_err(|e| CorpusError::store(&self.dir, e))?;
                let mut stream = inv
                    .terms()
                    .stream()
                    .map_err(|e| CorpusError::store(&self.dir, e))?;
                while stream.advance() {
                    out.insert(String::from_utf8_lossy(stream.key()).into_owned());
                }
            }
            Ok(out)
        };
        let count_docs_with = |field: Field, value: &str| -> Result<u64, CorpusError> {
            self.count(&BooleanQuery::new(vec![
                (Occur::Must, self.rec_query("d")),
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, value),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]))
        };
        let mut sources = BTreeMap::new();
        for src in terms_of(self.f.source)? {
            let n = count_docs_with(self.f.source, &src)?;
            if n > 0 {
                sources.insert(src, n);
            }
        }
        let mut kinds = BTreeMap::new();
        for k in terms_of(self.f.kind)? {
            let n = count_docs_with(self.f.kind, &k)?;
            if n > 0 {
                kinds.insert(k, n);
            }
        }
        // Distinct origin terms; with deleted records (replaced documents) some
        // terms may belong only to deleted records, so verify them when there
        // are not too many to query one by one.
        let origin_terms = terms_of(self.f.origin)?;
        let has_deletes = s.segment_readers().iter().any(|r| r.num_deleted_docs() > 0);
        let origins = if has_deletes && origin_terms.len() <= 200_000 {
            let mut n = 0u64;
            for o in &origin_terms {
                if count_docs_with(self.f.origin, o)? > 0 {
                    n += 1;
                }
            }
            n
        } else {
            origin_terms.len() as u64
        };
        Ok(IndexStats {
            documents: self.num_documents()?,
            passages: self.num_passages()?,
            origins,
            dense_vectors: self.dense.as_ref().map(|d| d.len() as u64).unwrap_or(0),
            dense_model: self.dense.as_ref().map(|d| d.model().to_string()),
            sources,
            kinds,
            disk_bytes: dir_size(&self.dir),
        })
    }

    fn find_origin_committed(&self, sig: &Signature) -> Result<Option<(String, f32)>, CorpusError> {
        self.guarded(|| self.find_origin_committed_unguarded(sig))
    }

    fn find_origin_committed_unguarded(
        &self,
        sig: &Signature,
    ) -> Result<Option<(String, f32)>, CorpusError> {
        let clauses: Vec<(Occur, Box<dyn Query>)> = sig
            .band_keys()
            .into_iter()
            .map(|k| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.f.lsh, &k),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        let s = self.searcher();
        let top = s
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(20))
            .map_err(|e| CorpusError::store(&self.dir, e))?;
        let mut best: Option<(String, f32)> = None;
        for (_, addr) in top {
            let d: TantivyDocument = s.doc(addr).map_err(|e| CorpusError::store(&self.dir, e))?;
            let Some(other) = d
                .get_first(self.f.sig)
                .and_then(|v| v.as_bytes())
                .and_then(Signature::from_bytes)
            else {
                continue;
            };
            let sim = sig.similarity(&other);
            if let Some(o) = d.get_first(self.f.origin).and_then(|v| v.as_str()) {
                if sim >= origin::SAME_ORIGIN && better(sim, o, best.as_ref()) {
                    best = Some((o.to_string(), sim));
                }
            }
        }
        Ok(best)
    }
}

/// Whether a candidate origin (`sim`, `origin`) beats the best so far: the
/// more similar, and between equally similar ones the smaller id, so that the
/// choice does not depend on the order the candidates come in.
fn better(sim: f32, origin: &str, best: Option<&(String, f32)>) -> bool {
    best.is_none_or(|(o, s)| sim > *s || (sim == *s && origin < o.as_str()))
}

/// The error for a folder that holds tantivy's files but not
/// `veracity-index.json` (deleted by hand?): neither opened nor overwritten.
fn lost_settings(dir: &Path) -> Option<CorpusError> {
    dir.join("meta.json").exists().then(|| {
        CorpusError::index(
            dir,
            format!(
                "the folder holds index files but not {META_FILE}, the index's settings; \
                 restore that file (from a backup, or a copy from another index made with the same \
                 settings), or move the folder away and rebuild it with `veracity index add`"
            ),
        )
    })
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

/// Adds documents to an [`Index`], committing in batches.
pub struct Writer<'a> {
    index: &'a mut Index,
    w: tantivy::IndexWriter,
    encoder: Option<&'a dyn Encoder>,
    opts: WriterOptions,
    pending_ids: HashSet<String>,
    pending_sigs: Vec<(String, Signature)>,
    pending_bands: HashMap<String, Vec<usize>>,
    pending_vecs: Vec<(u64, String)>,
    since_commit: usize,
}

impl Writer<'_> {
    /// The committed document with this id ([`Index::document`]), to tell
    /// whether adding a document again would change anything.
    pub fn stored(&self, id: &str) -> Result<Option<Document>, CorpusError> {
        self.index.document(id)
    }

    /// Whether `doc` is in the index exactly as given (title, text, URL,
    /// source, date, kind) and, for a writer that stores vectors, with the
    /// vector of every passage: adding it again would change nothing, so a
    /// rerun of an interrupted `index add` leaves what it committed as it
    /// is and ends with the index a clean run makes.
    pub fn is_current(&self, doc: &Document) -> Result<bool, CorpusError> {
        if self.pending_ids.contains(&doc.id) || self.stored(&doc.id)?.as_ref() != Some(doc) {
            return Ok(false);
        }
        if self.encoder.is_none() {
            return Ok(true);
        }
        let Some(store) = self.index.dense.as_ref() else {
            return Ok(false);
        };
        let spans = passages::passages(&doc.text, &self.index.cfg, self.index.language());
        Ok(spans
            .iter()
            .all(|sp| store.contains(dense::passage_key(&doc.title, &doc.text[sp.start..sp.end]))))
    }

    /// Add (or replace) one document. Returns whether it replaced one and
    /// which origin it joined.
    pub fn add(&mut self, doc: &Document) -> Result<AddOutcome, CorpusError> {
        if doc.id.is_empty() {
            return Err(CorpusError::Invalid("document without an id".into()));
        }
        let f = self.index.f;
        let replaced = self.pending_ids.contains(&doc.id) || self.index.contains(&doc.id)?;
        self.w.delete_term(Term::from_field_text(f.doc_id, &doc.id));

        let sig = origin::signature(&doc.text);
        let origin = match &sig {
            Some(sig) => self.find_origin(sig)?.unwrap_or_else(|| doc.id.clone()),
            None => doc.id.clone(),
        };

        let kind = doc.kind.as_str();
        self.add_doc_record(doc, &origin, sig.as_ref())?;

        let spans = passages::passages(&doc.text, &self.index.cfg, self.index.language());
        for sp in &spans {
            let ptext = &doc.text[sp.start..sp.end];
            let key = dense::passage_key(&doc.title, ptext);
            let mut p = doc!(
                f.rec => "p",
                f.doc_id => doc.id.as_str(),
                f.title => doc.title.as_str(),
                f.text => ptext,
                f.start => sp.start as u64,
                f.end => sp.end as u64,
                f.pkey => key,
                f.source => doc.source.as_str(),
                f.kind => kind,
                f.origin => origin.as_str(),
            );
            if let Some(u) = &doc.url {
                p.add_text(f.url, u);
            }
            if let Some(pb) = &doc.published {
                p.add_text(f.published, pb);
            }
            self.w
                .add_document(p)
                .map_err(|e| CorpusError::store(&self.index.dir, e))?;
            if self.encoder.is_some() && !self.index.dense.as_ref().is_some_and(|d| d.contains(key))
            {
                self.pending_vecs
                    .push((key, dense::embed_text(&doc.title, ptext)));
            }
        }

        self.pending_ids.insert(doc.id.clone());
        if let Some(sig) = sig {
            let i = self.pending_sigs.len();
            for k in sig.band_keys() {
                self.pending_bands.entry(k).or_default().push(i);
            }
            self.pending_sigs.push((origin.clone(), sig));
        }
        if self.pending_vecs.len() >= 512 {
            self.embed_pending()?;
        }
        self.since_commit += 1;
        if self.since_commit >= self.opts.batch_docs.max(1) {
            self.commit()?;
        }
        Ok(AddOutcome {
            replaced,
            origin,
            passages: spans.len(),
        })
    }

    fn add_doc_record(
        &mut self,
        doc: &Document,
        origin: &str,
        sig: Option<&Signature>,
    ) -> Result<(), CorpusError> {
        let f = self.index.f;
        // The title is stored (not indexed) on the document record, so that
        // BM25 matches passages alone.
        let mut d = doc!(
            f.rec => "d",
            f.doc_id => doc.id.as_str(),
            f.body => doc.text.as_str(),
            f.source => doc.source.as_str(),
            f.kind => doc.kind.as_str(),
            f.origin => origin,
        );
        d.add_text(f.dtitle, &doc.title);
        if let Some(u) = &doc.url {
            d.add_text(f.url, u);
        }
        if let Some(p) = &doc.published {
            d.add_text(f.published, p);
        }
        if let Some(sig) = sig {
            d.add_bytes(f.sig, &sig.to_bytes());
            for k in sig.band_keys() {
                d.add_text(f.lsh, &k);
            }
        }
        self.w
            .add_document(d)
            .map_err(|e| CorpusError::store(&self.index.dir, e))?;
        Ok(())
    }

    fn find_origin(&self, sig: &Signature) -> Result<Option<String>, CorpusError> {
        let mut best = self.index.find_origin_committed(sig)?;
        let mut seen = HashSet::new();
        for k in sig.band_keys() {
            if let Some(ids) = self.pending_bands.get(&k) {
                for &i in ids {
                    if !seen.insert(i) {
                        continue;
                    }
                    let (o, other) = &self.pending_sigs[i];
                    let sim = sig.similarity(other);
                    if sim >= origin::SAME_ORIGIN && better(sim, o, best.as_ref()) {
                        best = Some((o.clone(), sim));
                    }
                }
            }
        }
        Ok(best.map(|b| b.0))
    }

    fn embed_pending(&mut self) -> Result<(), CorpusError> {
        let (Some(enc), Some(store)) = (self.encoder, self.index.dense.as_mut()) else {
            self.pending_vecs.clear();
            return Ok(());
        };
        if self.pending_vecs.is_empty() {
            return Ok(());
        }
        let texts: Vec<&str> = self.pending_vecs.iter().map(|(_, t)| t.as_str()).collect();
        let vecs = enc.embed(&texts)?;
        for ((key, _), v) in self.pending_vecs.iter().zip(&vecs) {
            store.put(*key, v)?;
        }
        store.flush()?;
        self.pending_vecs.clear();
        Ok(())
    }

    /// Make everything added so far durable and searchable.
    pub fn commit(&mut self) -> Result<(), CorpusError> {
        self.embed_pending()?;
        self.w
            .commit()
            .map_err(|e| CorpusError::store(&self.index.dir, e))?;
        self.index
            .reader
            .reload()
            .map_err(|e| CorpusError::store(&self.index.dir, e))?;
        self.pending_ids.clear();
        self.pending_sigs.clear();
        self.pending_bands.clear();
        self.since_commit = 0;
        Ok(())
    }

    /// Commit and wait for background merges.
    pub fn finish(mut self) -> Result<(), CorpusError> {
        self.commit()?;
        let dir = self.index.dir.clone();
        self.w
            .wait_merging_threads()
            .map_err(|e| CorpusError::store(&dir, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            title: String::new(),
            text: text.into(),
            url: None,
            source: "test".into(),
            published: None,
            kind: DocKind::default(),
        }
    }

    fn add(index: &mut Index, d: &Document) {
        let mut w = index.writer(WriterOptions::default(), None).unwrap();
        w.add(d).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn the_language_is_recorded_and_stems_terms() {
        let dir = tempfile::tempdir().unwrap();
        let mut index =
            Index::create_in(dir.path(), PassageConfig::default(), Language::English).unwrap();
        assert_eq!(index.language(), Language::English);
        add(
            &mut index,
            &doc("a", "The glaciers warmed and melted quickly."),
        );
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(META_FILE)).unwrap()).unwrap();
        assert_eq!(meta["language"], "en");
        let index = Index::open(dir.path()).unwrap();
        assert_eq!(index.language(), Language::English);
        assert_eq!(
            index.query_terms("Warming glaciers").unwrap(),
            ["warm", "glacier"]
        );
        assert_eq!(index.bm25("warming", 5).unwrap().len(), 1);
        let index = Index::open_or_create_in(dir.path(), Language::English).unwrap();
        assert_eq!(index.num_documents().unwrap(), 1);
    }

    #[test]
    fn an_index_without_a_recorded_language_reads_as_english() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::create(dir.path(), PassageConfig::default()).unwrap();
        add(&mut index, &doc("a", "Sea ice is shrinking."));
        drop(index);
        // The settings file as written before languages were recorded.
        let path = dir.path().join(META_FILE);
        let mut meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        meta.as_object_mut().unwrap().remove("language");
        std::fs::write(&path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
        let index = Index::open(dir.path()).unwrap();
        assert_eq!(index.language(), Language::English);
        assert_eq!(index.bm25("shrinks", 5).unwrap().len(), 1);
        // An unknown language code is an error naming the file.
        meta["language"] = "xx".into();
        std::fs::write(&path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
        let e = Index::open(dir.path()).err().unwrap();
        let mut chain = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            chain.push_str(&format!(": {c}"));
            cause = c.source();
        }
        assert!(chain.contains(META_FILE) && chain.contains("xx"), "{chain}");
    }

    #[test]
    fn temporary_indexes_take_a_language() {
        let index = Index::temporary_in(
            &[doc("a", "Rainfall declined sharply.")],
            None,
            Language::English,
        )
        .unwrap();
        assert_eq!(index.language(), Language::English);
        assert_eq!(index.bm25("declining rainfall", 5).unwrap().len(), 1);
    }
}
