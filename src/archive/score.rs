//! `archive score`: the streaming pipeline. A reader thread turns the
//! inputs into articles and failures on a bounded channel; the scoring loop
//! takes a batch, drops what the database already holds unchanged, embeds
//! the batch's sentences in one call, analyses its articles in parallel and
//! writes the batch in one transaction. Memory is bounded by the batch and
//! the channel, not by the archive.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::record::{hex, ArticleRecord, FailureRecord, InputArticle, ResultLine, Stamp};
use super::store::Store;
use super::{cross_reference_dir, dates, ArchiveError};
use crate::corpus::ingest::{self, IngestOptions, Sink};
use crate::corpus::{CorpusError, DocKind, Document, Index, WriterOptions};
use crate::error::{Error, Result};
use crate::text::Article;
use crate::{Analyzer, AnalyzerBuilder};

/// Where results go.
pub enum Output {
    /// A SQLite database (created when absent), resumable.
    Database(PathBuf),
    /// One JSON line per article (and per failure, `{"failure": ...}`), the
    /// records the database would hold; nothing is skipped as already scored.
    Lines(Box<dyn Write + Send>),
}

/// What `archive score` reads and how.
pub struct ScoreOptions {
    /// Input files and folders; `-` is JSONL on standard input.
    pub inputs: Vec<PathBuf>,
    /// Field mapping and defaults of the readers (`index add`'s).
    pub ingest: IngestOptions,
    /// Evidence indexes (also given to the analyzer by [`score`]).
    pub indexes: Vec<PathBuf>,
    /// Index the archive's own articles (beside the database) and use them
    /// as cross-reference evidence for each other.
    pub cross_references: bool,
    /// Articles per batch (one transaction, one embedding call).
    pub batch: usize,
    /// Text of one article kept at most, in bytes; longer texts are cut at
    /// a sentence-free char boundary with a warning.
    pub max_text_bytes: usize,
    /// Score every article again, even those the database holds unchanged.
    pub rescore: bool,
    /// Further settings that change results and that [`score`] cannot see
    /// in the builder (for example the evidence files given to
    /// [`AnalyzerBuilder::documents`]); hashed into every record's
    /// `config_hash`, so that changing them rescores the archive.
    pub settings: Vec<String>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            inputs: Vec::new(),
            ingest: IngestOptions {
                kind: DocKind::News,
                ..IngestOptions::default()
            },
            indexes: Vec::new(),
            cross_references: false,
            batch: 32,
            max_text_bytes: 10 << 20,
            rescore: false,
            settings: Vec::new(),
        }
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScoreSummary {
    /// Articles read from the inputs.
    pub read: u64,
    /// Articles analysed and written.
    pub scored: u64,
    /// Articles the database already held with the same content, model and
    /// configuration.
    pub unchanged: u64,
    /// Of the scored, those that replaced an older or different result.
    pub rescored: u64,
    /// Records that could not be read or analysed (in `failures`).
    pub failed: u64,
    /// Records whose id came again in this run (the first was kept).
    pub duplicates: u64,
    /// Records read with a problem that did not cost them (invalid UTF-8
    /// replaced, a text cut at `max_text_bytes`).
    pub warnings: u64,
    /// Dates given but unreadable (stored as null).
    pub unreadable_dates: u64,
    /// Sentences embedded for the scored articles.
    pub sentences: u64,
    /// Articles added to (or updated in) the cross-reference index.
    pub cross_references_indexed: u64,
    pub seconds: f64,
}

impl std::fmt::Display for ScoreSummary {
    /// The closing summary line of a run.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {} articles: scored {} ({} replacing older results), unchanged {}, duplicates {}, \
             failed {}; {} warnings, {} unreadable dates; {} sentences; {:.1}s ({:.2} articles/s)",
            self.read,
            self.scored,
            self.rescored,
            self.unchanged,
            self.duplicates,
            self.failed,
            self.warnings,
            self.unreadable_dates,
            self.sentences,
            self.seconds,
            self.scored as f64 / self.seconds.max(1e-9),
        )
    }
}

/// Reports a run's progress (a progress bar); the defaults do nothing.
pub trait ScoreProgress: Sync {
    /// What the run is doing now, e.g. "indexing cross-references".
    fn phase(&self, _name: &str, _total: Option<u64>) {}
    /// The counts so far (after each batch).
    fn update(&self, _summary: &ScoreSummary) {}
    /// A line for the user (a failure as `path:line: reason`, a warning).
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

enum Item {
    Article(InputArticle),
    Failure(FailureRecord),
    Warning(String),
}

/// Turns what the readers produce into items on the channel.
struct ChannelSink {
    tx: SyncSender<Item>,
    input: String,
}

impl ChannelSink {
    fn send(&self, item: Item) -> std::result::Result<(), CorpusError> {
        self.tx
            .send(item)
            .map_err(|_| CorpusError::Invalid("the scoring loop stopped".into()))
    }
}

impl Sink for ChannelSink {
    fn document(&mut self, doc: Document) -> std::result::Result<(), CorpusError> {
        self.document_at(doc, 0)
    }
    fn document_at(&mut self, doc: Document, line: u64) -> std::result::Result<(), CorpusError> {
        self.send(Item::Article(InputArticle::from_document(
            doc,
            &self.input,
            line,
        )))
    }
    fn skipped(&mut self, path: &Path, line: u64, reason: &str) {
        let _ = self.send(Item::Failure(FailureRecord {
            input: path.display().to_string(),
            line,
            reason: reason.to_string(),
        }));
    }
    fn warning(&mut self, path: &Path, line: u64, reason: &str) {
        let at = if line > 0 {
            format!("{}:{line}", path.display())
        } else {
            path.display().to_string()
        };
        let _ = self.send(Item::Warning(format!("warning: {at}: {reason}")));
    }
}

/// Read every input onto `tx` (run on its own thread).
fn read_inputs(inputs: &[PathBuf], opts: &IngestOptions, tx: SyncSender<Item>) -> Result<()> {
    for p in inputs {
        let mut sink = ChannelSink {
            tx: tx.clone(),
            input: p.display().to_string(),
        };
        if p.as_os_str() != "-" && !p.exists() {
            sink.skipped(p, 0, "no such file or folder");
            continue;
        }
        match ingest::ingest_path(p, opts, &mut sink) {
            Ok(()) => {}
            // The receiver is gone: the run ended (with its own error).
            Err(CorpusError::Invalid(_)) => return Ok(()),
            Err(e) => sink.skipped(p, 0, &e.to_string()),
        }
    }
    Ok(())
}

/// Articles of the inputs, counted cheaply when every input is an
/// uncompressed JSONL file (non-empty lines); otherwise unknown.
fn count_articles(inputs: &[PathBuf]) -> Option<u64> {
    let mut n = 0u64;
    for p in inputs {
        let name = p.to_string_lossy().to_lowercase();
        if !(name.ends_with(".jsonl") || name.ends_with(".ndjson")) || !p.is_file() {
            return None;
        }
        let f = std::fs::File::open(p).ok()?;
        let mut r = std::io::BufReader::with_capacity(1 << 20, f);
        let mut line = Vec::new();
        loop {
            line.clear();
            match std::io::BufRead::read_until(&mut r, b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => n += u64::from(line.iter().any(|b| !b.is_ascii_whitespace())),
                Err(_) => return None,
            }
        }
    }
    Some(n)
}

/// The settings that change results, hashed into every record: on rerun an
/// article is skipped only when its model and this hash are the same.
#[derive(Serialize)]
struct ScoreConfig<'a> {
    veracity: &'static str,
    model: &'a str,
    stance_model: &'a str,
    verdict: &'a crate::verdict::VerdictConfig,
    min_checkworthiness: f32,
    propaganda: bool,
    language: String,
    indexes: Vec<String>,
    cross_references: bool,
    max_text_bytes: usize,
    settings: &'a [String],
}

fn config_hash(analyzer: &Analyzer, opts: &ScoreOptions) -> Result<String> {
    let cfg = ScoreConfig {
        veracity: env!("CARGO_PKG_VERSION"),
        model: analyzer.encoder().name(),
        stance_model: analyzer.stance_encoder().name(),
        verdict: analyzer.verdict_config(),
        min_checkworthiness: analyzer.threshold(),
        propaganda: analyzer.scores_propaganda(),
        language: format!("{:?}", analyzer.language()),
        indexes: opts
            .indexes
            .iter()
            .map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string()
            })
            .collect(),
        cross_references: opts.cross_references,
        max_text_bytes: opts.max_text_bytes,
        settings: &opts.settings,
    };
    let json = serde_json::to_vec(&cfg)?;
    Ok(hex(&Sha256::digest(&json)[..8]))
}

/// Index the archive's articles into `dir` as cross-references (articles
/// already there unchanged are left alone).
/// Passage vectors are stored (embedded once, with the analyzer's encoder),
/// so that searching them embeds nothing on the fly.
fn index_cross_references(
    dir: &Path,
    opts: &ScoreOptions,
    analyzer: &Analyzer,
    progress: &dyn ScoreProgress,
    summary: &mut ScoreSummary,
) -> Result<u64> {
    let mut index = Index::open_or_create_in(dir, analyzer.language())?;
    let mut ingest = opts.ingest.clone();
    ingest.kind = DocKind::CrossReference;
    let (tx, rx) = sync_channel::<Item>(1024);
    let inputs = opts.inputs.clone();
    let mut read = 0u64;
    let mut changed = 0u64;
    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || read_inputs(&inputs, &ingest, tx));
        let mut writer = index.writer(WriterOptions::default(), Some(analyzer.encoder()))?;
        for item in rx {
            let Item::Article(a) = item else { continue };
            read += 1;
            let mut doc = Document {
                id: a.id,
                title: a.title,
                text: a.text,
                url: a.url,
                source: a.source,
                published: a.published_raw,
                kind: DocKind::CrossReference,
            };
            truncate_text(&mut doc.text, opts.max_text_bytes);
            if writer.is_current(&doc)? {
                continue;
            }
            writer.add(&doc)?;
            changed += 1;
            if changed.is_multiple_of(500) {
                progress.phase(
                    &format!("indexing cross-references ({changed} indexed)"),
                    None,
                );
            }
        }
        writer.finish()?;
        reader.join().expect("the reader thread does not panic")
    })?;
    summary.cross_references_indexed = changed;
    Ok(read)
}

/// Cut `text` to at most `max` bytes at a char boundary; whether it was cut.
fn truncate_text(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

/// Score the articles of `opts.inputs` with the analyzer `builder` makes
/// (the evidence indexes of `opts` and, with cross-references, the
/// archive's own index are added to it) into `output`.
pub fn score(
    builder: AnalyzerBuilder,
    opts: &ScoreOptions,
    mut output: Output,
    progress: &dyn ScoreProgress,
) -> Result<ScoreSummary> {
    let started = Instant::now();
    let mut summary = ScoreSummary::default();
    if opts.inputs.is_empty() {
        return Err(Error::Invalid("no input to score".into()));
    }
    let batch = opts.batch.max(1);
    // The database first: a locked or foreign database fails before any
    // model is loaded.
    let mut store = match &output {
        Output::Database(p) => Some(Store::open_writer(p)?),
        Output::Lines(_) => None,
    };
    let mut builder = builder;
    for d in &opts.indexes {
        builder = builder.index(d);
    }
    let mut analyzer = builder.build()?;
    let mut total = None;
    if opts.cross_references {
        let Some(st) = &store else {
            return Err(Error::Invalid(
                "cross-references need a database (the index of the archive's articles is kept \
                 beside it); give --db FILE"
                    .into(),
            ));
        };
        if opts.inputs.iter().any(|p| p.as_os_str() == "-") {
            return Err(Error::Invalid(
                "cross-references read the inputs twice (index, then score); standard input \
                 cannot be read twice: give files"
                    .into(),
            ));
        }
        let dir = cross_reference_dir(st.path());
        progress.phase("indexing cross-references", None);
        total = Some(index_cross_references(
            &dir,
            opts,
            &analyzer,
            progress,
            &mut summary,
        )?);
        analyzer.add_index(Index::open(&dir)?);
    }
    let stamp = Stamp {
        model: analyzer.encoder().name().to_string(),
        config_hash: config_hash(&analyzer, opts)?,
        scored_at: super::now(),
    };
    if total.is_none() {
        total = count_articles(&opts.inputs);
    }
    progress.phase("scoring", total);

    let (tx, rx) = sync_channel::<Item>(batch * 4);
    let inputs = opts.inputs.clone();
    let ingest = opts.ingest.clone();
    std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || read_inputs(&inputs, &ingest, tx));
        let mut ctx = Run {
            analyzer: &analyzer,
            opts,
            stamp: &stamp,
            progress,
            seen: HashMap::new(),
        };
        let result = ctx.run(rx, &mut store, &mut output, &mut summary, started);
        // On an error the receiver is dropped by now and the reader stops.
        let read = reader.join().expect("the reader thread does not panic");
        result.and(read)
    })?;
    if let Output::Lines(w) = &mut output {
        w.flush()?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    progress.update(&summary);
    Ok(summary)
}

struct Run<'a> {
    analyzer: &'a Analyzer,
    opts: &'a ScoreOptions,
    stamp: &'a Stamp,
    progress: &'a dyn ScoreProgress,
    /// Ids scored in this run (a hash of each) and a hash of their content.
    seen: HashMap<u64, u64>,
}

impl Run<'_> {
    fn run(
        &mut self,
        rx: Receiver<Item>,
        store: &mut Option<Store>,
        output: &mut Output,
        summary: &mut ScoreSummary,
        started: Instant,
    ) -> Result<()> {
        let batch = self.opts.batch.max(1);
        let mut todo: Vec<InputArticle> = Vec::with_capacity(batch);
        let mut failures: Vec<FailureRecord> = Vec::new();
        let mut rx = rx.into_iter();
        loop {
            let item = rx.next();
            let end = item.is_none();
            match item {
                Some(Item::Article(mut a)) => {
                    summary.read += 1;
                    if truncate_text(&mut a.text, self.opts.max_text_bytes) {
                        summary.warnings += 1;
                        self.progress.note(&format!(
                            "warning: {}: the text is longer than {} bytes and was cut there",
                            a.location(),
                            self.opts.max_text_bytes
                        ));
                    }
                    if self.wanted(&a, store.as_ref(), summary)? {
                        todo.push(a);
                    }
                }
                Some(Item::Failure(f)) => {
                    summary.failed += 1;
                    self.progress.note(&f.to_string());
                    failures.push(f);
                }
                Some(Item::Warning(w)) => {
                    summary.warnings += 1;
                    self.progress.note(&w);
                }
                None => {}
            }
            if todo.len() >= batch || (end && (!todo.is_empty() || !failures.is_empty())) {
                let records =
                    self.score_batch(std::mem::take(&mut todo), &mut failures, summary)?;
                match (store.as_mut(), &mut *output) {
                    (Some(st), _) => st.write_batch(&records, &failures)?,
                    (None, Output::Lines(w)) => write_lines(w.as_mut(), &records, &failures)?,
                    (None, Output::Database(_)) => unreachable!("a database output has a store"),
                }
                failures.clear();
                summary.seconds = started.elapsed().as_secs_f64();
                self.progress.update(summary);
            }
            if end {
                return Ok(());
            }
        }
    }

    /// Whether `a` is to be scored: not already in the database unchanged,
    /// not a second record with an id of this run.
    fn wanted(
        &mut self,
        a: &InputArticle,
        store: Option<&Store>,
        summary: &mut ScoreSummary,
    ) -> Result<bool> {
        let id_key = crate::embed::cache::text_key(&a.id);
        let content = a.content_hash();
        let content_key = crate::embed::cache::text_key(&content);
        if let Some(&first) = self.seen.get(&id_key) {
            summary.duplicates += 1;
            if first != content_key {
                self.progress.note(&format!(
                    "warning: {}: id '{}' came before in this run with other content; the first \
                     record was kept",
                    a.location(),
                    a.id
                ));
                summary.warnings += 1;
            }
            return Ok(false);
        }
        self.seen.insert(id_key, content_key);
        if let (Some(st), false) = (store, self.opts.rescore) {
            if let Some(s) = st.scored(&a.id)? {
                if s.content_hash == content
                    && s.model == self.stamp.model
                    && s.config_hash == self.stamp.config_hash
                {
                    summary.unchanged += 1;
                    return Ok(false);
                }
                summary.rescored += 1;
            }
        }
        Ok(true)
    }

    fn score_batch(
        &self,
        todo: Vec<InputArticle>,
        failures: &mut Vec<FailureRecord>,
        summary: &mut ScoreSummary,
    ) -> Result<Vec<ArticleRecord>> {
        if todo.is_empty() {
            return Ok(Vec::new());
        }
        let articles: Vec<Article> = todo
            .iter()
            .map(|a| Article {
                title: (!a.title.is_empty()).then(|| a.title.clone()),
                text: a.text.clone(),
                path: Some(PathBuf::from(format!("{} (id {})", a.location(), a.id))),
            })
            .collect();
        // One embedding call for the sentences of the whole batch; a failure
        // here is retried article by article below, where it is reported.
        match self.analyzer.prepare(&articles) {
            Ok(n) => summary.sentences += n as u64,
            Err(e) => tracing::warn!("embedding a batch failed ({e}); articles go one by one"),
        }
        let reports: Vec<Result<crate::ArticleReport>> = articles
            .par_iter()
            .zip(&todo)
            .map(|(art, a)| self.analyzer.analyze_as(art, &a.id))
            .collect();
        let mut records = Vec::with_capacity(todo.len());
        for (a, r) in todo.iter().zip(reports) {
            match r {
                Ok(report) => {
                    let published = a.published_raw.as_deref().and_then(dates::normalise);
                    if published.is_none() && a.published_raw.is_some() {
                        summary.unreadable_dates += 1;
                    }
                    records.push(ArticleRecord::new(a, report, published, self.stamp));
                    summary.scored += 1;
                }
                Err(e) => {
                    let f = FailureRecord {
                        input: a.input.clone(),
                        line: a.line,
                        reason: format!("article '{}': {}", a.id, crate::error::chain(&e)),
                    };
                    summary.failed += 1;
                    self.progress.note(&f.to_string());
                    failures.push(f);
                }
            }
        }
        Ok(records)
    }
}

fn write_lines(
    w: &mut dyn Write,
    records: &[ArticleRecord],
    failures: &[FailureRecord],
) -> Result<()> {
    for r in records {
        serde_json::to_writer(&mut *w, r)?;
        w.write_all(b"\n")?;
    }
    for f in failures {
        serde_json::to_writer(&mut *w, &ResultLine::Failure { failure: f.clone() })?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Read result lines of `archive score --db -` (JSONL files, `-` for
/// standard input) into the database at `db`, in batches of `batch`
/// records. A record replaces the one with its id; a malformed line is
/// recorded as a failure. Returns (records imported, failures recorded).
pub fn import(
    db: &Path,
    inputs: &[PathBuf],
    batch: usize,
    progress: &dyn ScoreProgress,
) -> Result<(u64, u64)> {
    let mut store = Store::open_writer(db)?;
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let (mut imported, mut failed) = (0u64, 0u64);
    for p in inputs {
        let reader: Box<dyn std::io::BufRead> = if p.as_os_str() == "-" {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            let f = std::fs::File::open(p).map_err(|e| ArchiveError::io(p, e))?;
            let name = p.to_string_lossy().to_lowercase();
            let (c, _) = ingest::jsonl::Compression::of(&name);
            Box::new(std::io::BufReader::new(
                c.reader(f).map_err(|e| ArchiveError::io(p, e))?,
            ))
        };
        for (i, line) in std::io::BufRead::lines(reader).enumerate() {
            let line = line.map_err(|e| ArchiveError::io(p, e))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<ResultLine>(&line) {
                Ok(ResultLine::Article(r)) => records.push(*r),
                Ok(ResultLine::Failure { failure }) => failures.push(failure),
                Err(e) => {
                    let f = FailureRecord {
                        input: p.display().to_string(),
                        line: i as u64 + 1,
                        reason: format!("not a result line of `archive score --db -`: {e}"),
                    };
                    progress.note(&f.to_string());
                    failures.push(f);
                }
            }
            if records.len() + failures.len() >= batch.max(1) {
                imported += records.len() as u64;
                failed += failures.len() as u64;
                store.write_batch(&records, &failures)?;
                records.clear();
                failures.clear();
            }
        }
    }
    imported += records.len() as u64;
    failed += failures.len() as u64;
    store.write_batch(&records, &failures)?;
    Ok((imported, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_on_a_char_boundary() {
        let mut s = "é".repeat(10);
        assert!(truncate_text(&mut s, 5));
        assert_eq!(s, "éé");
        let mut t = "short".to_string();
        assert!(!truncate_text(&mut t, 5));
    }

    #[test]
    fn articles_of_plain_jsonl_inputs_are_counted_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.jsonl");
        std::fs::write(
            &a,
            "{\"text\":\"x\"}\n\n{\"text\":\"y\"}\n  \n{\"text\":\"z\"}",
        )
        .unwrap();
        assert_eq!(count_articles(std::slice::from_ref(&a)), Some(3));
        let csv = dir.path().join("b.csv");
        std::fs::write(&csv, "text\nx\n").unwrap();
        assert_eq!(count_articles(&[a, csv]), None);
    }
}
