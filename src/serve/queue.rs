//! The request queue in front of the analyzer: requests wait in a bounded
//! channel; one worker thread takes every request waiting (up to the batch
//! size), embeds the sentences of all their articles in one encoder call
//! ([`Analyzer::prepare`]) and then analyses them in parallel, each finding
//! its vectors in the cache. A full queue is refused at once (the handler
//! answers 503), not queued without bound.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};

use super::metrics::Metrics;
use crate::report::ArticleReport;
use crate::text::Article;
use crate::verdict::Verdict;
use crate::Analyzer;

/// What a request asks of the analyzer.
pub(crate) enum Work {
    /// One article, analysed as `Analyzer::analyze` does.
    Analyze(Article),
    /// Claims, each checked as `Analyzer::check` does.
    Check(Vec<String>),
}

/// What the worker answers.
pub(crate) enum Done {
    Report(Box<ArticleReport>),
    Verdicts(Vec<Verdict>),
}

/// Why the worker could not answer.
#[derive(Debug)]
pub(crate) enum Failed {
    /// The analyzer returned an error.
    Analysis(crate::Error),
    /// The analysis panicked (a bug); the server goes on.
    Panic(String),
}

type Reply = oneshot::Sender<Result<Done, Failed>>;

struct Job {
    work: Work,
    reply: Reply,
}

/// The handle requests are submitted through.
#[derive(Clone)]
pub(crate) struct Queue {
    tx: mpsc::Sender<Job>,
    metrics: Arc<Metrics>,
}

/// The queue is full: the caller should retry later.
pub(crate) struct Full;

impl Queue {
    /// Start the worker thread; it ends when every `Queue` handle is dropped
    /// and the jobs already queued are done.
    pub(crate) fn start(
        analyzer: Arc<Analyzer>,
        capacity: usize,
        max_batch: usize,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(Queue, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let m = metrics.clone();
        let worker = std::thread::Builder::new()
            .name("veracity-batcher".into())
            .spawn(move || run(&analyzer, rx, max_batch.max(1), &m))?;
        Ok((Queue { tx, metrics }, worker))
    }

    /// Queue `work`; the receiver gets the answer.
    pub(crate) fn submit(
        &self,
        work: Work,
    ) -> Result<oneshot::Receiver<Result<Done, Failed>>, Full> {
        let (reply, rx) = oneshot::channel();
        // Counted before sending, so the worker's decrement never comes first.
        self.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(Job { work, reply }) {
            Ok(()) => Ok(rx),
            Err(_) => {
                self.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
                Err(Full)
            }
        }
    }
}

fn run(analyzer: &Analyzer, mut rx: mpsc::Receiver<Job>, max_batch: usize, m: &Metrics) {
    while let Some(first) = rx.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        m.queue_depth.fetch_sub(jobs.len(), Ordering::Relaxed);
        // A request that timed out (its receiver is gone) is not worked on.
        jobs.retain(|j| !j.reply.is_closed());
        if jobs.is_empty() {
            continue;
        }
        m.batch(jobs.len());
        let articles: Vec<Article> = jobs
            .iter()
            .filter_map(|j| match &j.work {
                Work::Analyze(a) => Some(a.clone()),
                Work::Check(_) => None,
            })
            .collect();
        if !articles.is_empty() {
            // A failure here only loses the shared batch; each article is
            // embedded again (and fails with its own error) below.
            match catch_unwind(AssertUnwindSafe(|| analyzer.prepare(&articles))) {
                Ok(Ok(n)) => m.sentences_embedded.fetch_add(n as u64, Ordering::Relaxed),
                Ok(Err(e)) => {
                    tracing::warn!("embedding a batch of {} articles: {e}", articles.len());
                    0
                }
                Err(_) => 0,
            };
        }
        jobs.into_par_iter().for_each(|job| {
            let answer = catch_unwind(AssertUnwindSafe(|| work(analyzer, job.work, m)))
                .unwrap_or_else(|p| Err(Failed::Panic(panic_text(&p))));
            // The requester may have gone (timeout, closed connection).
            let _ = job.reply.send(answer);
        });
    }
}

fn work(analyzer: &Analyzer, w: Work, m: &Metrics) -> Result<Done, Failed> {
    match w {
        Work::Analyze(article) => {
            let r = analyzer.analyze(&article).map_err(Failed::Analysis)?;
            m.articles.fetch_add(1, Ordering::Relaxed);
            m.claims_checked
                .fetch_add(r.claims.len() as u64, Ordering::Relaxed);
            Ok(Done::Report(Box::new(r)))
        }
        Work::Check(claims) => {
            let verdicts = claims
                .iter()
                .map(|c| analyzer.check(c))
                .collect::<crate::Result<Vec<_>>>()
                .map_err(Failed::Analysis)?;
            m.claims_checked
                .fetch_add(verdicts.len() as u64, Ordering::Relaxed);
            Ok(Done::Verdicts(verdicts))
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
