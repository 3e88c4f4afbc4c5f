//! The results database: SQLite (bundled) in WAL mode. The schema is in
//! `docs/archive.md`; [`SCHEMA_VERSION`] is stored in `schema_version`.
//!
//! One writer at a time: [`Store::open_writer`] holds an exclusive lock on
//! `<db>.lock` for as long as the store lives, so a second `archive score`
//! on the same database fails at once with a clear message; readers
//! (`archive report`, `archive export`) open it read-only at any time and see
//! the last committed batch. Each batch of articles is one transaction: a
//! killed run leaves whole articles or none.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::record::{ArticleRecord, FailureRecord};
use super::ArchiveError;
use crate::verdict::VerdictKind;

/// Version of the database schema (bumped on any incompatible change).
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    published TEXT,
    published_raw TEXT,
    url TEXT,
    title TEXT,
    sentences INTEGER NOT NULL,
    words INTEGER NOT NULL,
    propaganda_score REAL,
    propaganda_confidence REAL,
    propaganda_risk TEXT,
    claims INTEGER NOT NULL,
    corroborated INTEGER NOT NULL,
    verified_by_reference INTEGER NOT NULL,
    single_source INTEGER NOT NULL,
    contradicted INTEGER NOT NULL,
    disputed INTEGER NOT NULL,
    insufficient_evidence INTEGER NOT NULL,
    model TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    input TEXT NOT NULL,
    line INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS claims (
    article_id TEXT NOT NULL,
    claim_index INTEGER NOT NULL,
    sentence INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    checkworthiness REAL NOT NULL,
    verdict TEXT NOT NULL,
    confidence REAL NOT NULL,
    explanation TEXT NOT NULL,
    PRIMARY KEY (article_id, claim_index)
);
CREATE TABLE IF NOT EXISTS evidence (
    article_id TEXT NOT NULL,
    claim_index INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT,
    stance TEXT NOT NULL,
    similarity REAL NOT NULL,
    origin TEXT NOT NULL,
    snippet TEXT NOT NULL,
    PRIMARY KEY (article_id, claim_index, rank)
);
CREATE TABLE IF NOT EXISTS techniques (
    article_id TEXT NOT NULL,
    sentence INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    technique TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (article_id, sentence, technique)
);
CREATE TABLE IF NOT EXISTS failures (
    input TEXT NOT NULL,
    line INTEGER NOT NULL,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    UNIQUE (input, line, reason)
);
CREATE INDEX IF NOT EXISTS articles_by_source_date ON articles (source, published);
CREATE INDEX IF NOT EXISTS articles_by_date ON articles (published);
CREATE INDEX IF NOT EXISTS claims_by_verdict ON claims (verdict, confidence);
CREATE INDEX IF NOT EXISTS techniques_by_name ON techniques (technique);
"#;

/// The tables `archive export` can write.
pub const TABLES: [&str; 5] = ["articles", "claims", "evidence", "techniques", "failures"];

/// Counts of the database, for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreCounts {
    pub articles: u64,
    pub claims: u64,
    pub evidence: u64,
    pub techniques: u64,
    pub failures: u64,
}

/// How an article stands in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    pub content_hash: String,
    pub model: String,
    pub config_hash: String,
}

/// An open results database.
pub struct Store {
    path: PathBuf,
    conn: Connection,
    _lock: Option<File>,
}

/// An `f32` as the `f64` of its shortest decimal form (0.999, not
/// 0.9990000128746033), for REAL columns.
fn real(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(x as f64)
}

/// The lock file of a database.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl Store {
    /// Open (or create) the database at `path` for writing, taking its lock.
    pub fn open_writer(path: &Path) -> Result<Store, ArchiveError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| ArchiveError::io(parent, e))?;
        }
        let lock_file = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_file)
            .map_err(|e| ArchiveError::io(&lock_file, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(ArchiveError::Busy {
                    db: path.to_path_buf(),
                    lock: lock_file,
                })
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(ArchiveError::io(&lock_file, e)),
        }
        let conn = Connection::open(path).map_err(|e| ArchiveError::db(path, e))?;
        let store = Store {
            path: path.to_path_buf(),
            conn,
            _lock: Some(lock),
        };
        store.pragmas()?;
        store.create_schema()?;
        Ok(store)
    }

    /// Open an existing database read-only.
    pub fn open_reader(path: &Path) -> Result<Store, ArchiveError> {
        if !path.is_file() {
            return Err(ArchiveError::NoDatabase(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| ArchiveError::db(path, e))?;
        let store = Store {
            path: path.to_path_buf(),
            conn,
            _lock: None,
        };
        store
            .conn
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| store.err(e))?;
        store.check_version()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for queries of the report and exports.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> ArchiveError {
        ArchiveError::db(&self.path, e)
    }

    fn pragmas(&self) -> Result<(), ArchiveError> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| self.err(e))?;
        // WAL: readers see the last committed batch while a run goes on.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("{}: journal mode {mode}, not WAL", self.path.display());
        }
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")
            .map_err(|e| self.err(e))
    }

    fn create_schema(&self) -> Result<(), ArchiveError> {
        let existing: Option<i64> = self
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.not_archive(e))?;
        let has_version: bool = self
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.not_archive(e))?
            > 0;
        if existing.unwrap_or(0) > 0 && !has_version {
            return Err(ArchiveError::NotArchive {
                path: self.path.clone(),
                reason: "it has tables but no schema_version table".into(),
            });
        }
        if has_version {
            return self.check_version();
        }
        self.conn
            .execute_batch(&format!(
                "BEGIN; {SCHEMA} INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION}); COMMIT;"
            ))
            .map_err(|e| self.err(e))
    }

    fn not_archive(&self, e: rusqlite::Error) -> ArchiveError {
        ArchiveError::NotArchive {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    fn check_version(&self) -> Result<(), ArchiveError> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
            .map_err(|e| self.not_archive(e))?;
        match v {
            Some(SCHEMA_VERSION) => Ok(()),
            found => Err(ArchiveError::Schema {
                path: self.path.clone(),
                found,
                expected: SCHEMA_VERSION,
            }),
        }
    }

    /// How `id` was scored, if it was.
    pub fn scored(&self, id: &str) -> Result<Option<Scored>, ArchiveError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT content_hash, model, config_hash FROM articles WHERE id = ?1")
            .map_err(|e| self.err(e))?;
        st.query_row([id], |r| {
            Ok(Scored {
                content_hash: r.get(0)?,
                model: r.get(1)?,
                config_hash: r.get(2)?,
            })
        })
        .optional()
        .map_err(|e| self.err(e))
    }

    /// Write a batch in one transaction: each article replaces what the
    /// database held for its id (claims, evidence, techniques included);
    /// a failure already recorded is not recorded twice.
    pub fn write_batch(
        &mut self,
        records: &[ArticleRecord],
        failures: &[FailureRecord],
    ) -> Result<(), ArchiveError> {
        let path = self.path.clone();
        let err = |e| ArchiveError::db(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut del_claims = tx
                .prepare_cached("DELETE FROM claims WHERE article_id = ?1")
                .map_err(err)?;
            let mut del_evidence = tx
                .prepare_cached("DELETE FROM evidence WHERE article_id = ?1")
                .map_err(err)?;
            let mut del_techniques = tx
                .prepare_cached("DELETE FROM techniques WHERE article_id = ?1")
                .map_err(err)?;
            let mut article = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO articles (id, source, published, published_raw, url, title,
                     sentences, words, propaganda_score, propaganda_confidence, propaganda_risk, claims,
                     corroborated, verified_by_reference, single_source, contradicted, disputed,
                     insufficient_evidence, model, config_hash, content_hash, scored_at, input, line)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                )
                .map_err(err)?;
            let mut claim = tx
                .prepare_cached(
                    "INSERT INTO claims (article_id, claim_index, sentence, start, \"end\", text,
                     checkworthiness, verdict, confidence, explanation)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(err)?;
            let mut evidence = tx
                .prepare_cached(
                    "INSERT INTO evidence (article_id, claim_index, rank, doc_id, title, source, kind,
                     url, stance, similarity, origin, snippet)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(err)?;
            let mut technique = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO techniques (article_id, sentence, start, \"end\", technique, score)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err)?;
            for r in records {
                del_claims.execute([&r.id]).map_err(err)?;
                del_evidence.execute([&r.id]).map_err(err)?;
                del_techniques.execute([&r.id]).map_err(err)?;
                let n = |k: VerdictKind| r.verdict_counts.get(&k).copied().unwrap_or(0) as i64;
                article
                    .execute(params![
                        r.id,
                        r.source,
                        r.published,
                        r.published_raw,
                        r.url,
                        r.title,
                        r.sentences as i64,
                        r.words as i64,
                        r.propaganda_score.map(real),
                        r.propaganda_confidence.map(real),
                        r.propaganda_risk,
                        r.claims_extracted as i64,
                        n(VerdictKind::Corroborated),
                        n(VerdictKind::VerifiedByReference),
                        n(VerdictKind::SingleSource),
                        n(VerdictKind::Contradicted),
                        n(VerdictKind::Disputed),
                        n(VerdictKind::InsufficientEvidence),
                        r.model,
                        r.config_hash,
                        r.content_hash,
                        r.scored_at,
                        r.input,
                        r.line as i64,
                    ])
                    .map_err(err)?;
                for c in &r.claims {
                    claim
                        .execute(params![
                            r.id,
                            c.index as i64,
                            c.sentence as i64,
                            c.start as i64,
                            c.end as i64,
                            c.text,
                            real(c.checkworthiness),
                            c.verdict.as_str(),
                            real(c.confidence),
                            c.explanation,
                        ])
                        .map_err(err)?;
                    for (rank, e) in c.evidence.iter().enumerate() {
                        evidence
                            .execute(params![
                                r.id,
                                c.index as i64,
                                rank as i64,
                                e.doc_id,
                                e.title,
                                e.source,
                                e.kind,
                                e.url,
                                e.stance,
                                real(e.similarity),
                                e.origin,
                                e.snippet,
                            ])
                            .map_err(err)?;
                    }
                }
                for t in &r.techniques {
                    technique
                        .execute(params![
                            r.id,
                            t.sentence as i64,
                            t.start as i64,
                            t.end as i64,
                            t.technique,
                            real(t.score),
                        ])
                        .map_err(err)?;
                }
            }
            let mut failure = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO failures (input, line, reason, first_seen)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            let now = super::now();
            for f in failures {
                failure
                    .execute(params![f.input, f.line as i64, f.reason, now])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Rows per table.
    pub fn counts(&self) -> Result<StoreCounts, ArchiveError> {
        let n = |table: &str| -> Result<u64, ArchiveError> {
            self.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n as u64)
                .map_err(|e| self.err(e))
        };
        Ok(StoreCounts {
            articles: n("articles")?,
            claims: n("claims")?,
            evidence: n("evidence")?,
            techniques: n("techniques")?,
            failures: n("failures")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::record::{ClaimRecord, EvidenceRecord, TechniqueRecord};
    use std::collections::BTreeMap;

    fn record(id: &str, claims: usize) -> ArticleRecord {
        ArticleRecord {
            id: id.into(),
            source: "wire".into(),
            published: Some("2025-01-02".into()),
            published_raw: Some("2 January 2025".into()),
            url: None,
            title: Some("T".into()),
            sentences: 3,
            words: 20,
            propaganda_score: Some(12.5),
            propaganda_confidence: Some(0.7),
            propaganda_risk: Some("low".into()),
            claims_extracted: claims,
            verdict_counts: BTreeMap::from([(VerdictKind::SingleSource, claims)]),
            model: "m".into(),
            config_hash: "c".into(),
            content_hash: format!("h{claims}"),
            scored_at: "2025-01-02T00:00:00.000Z".into(),
            input: "in.jsonl".into(),
            line: 1,
            claims: (0..claims)
                .map(|i| ClaimRecord {
                    index: i,
                    sentence: i,
                    start: 0,
                    end: 4,
                    text: "Text".into(),
                    checkworthiness: 0.9,
                    verdict: VerdictKind::SingleSource,
                    confidence: 0.6,
                    explanation: "One origin.".into(),
                    evidence: vec![EvidenceRecord {
                        doc_id: "d".into(),
                        title: "D".into(),
                        source: "s".into(),
                        kind: "news".into(),
                        url: None,
                        stance: "supports".into(),
                        similarity: 0.8,
                        origin: "d".into(),
                        snippet: "Text.".into(),
                    }],
                })
                .collect(),
            techniques: vec![TechniqueRecord {
                sentence: 0,
                start: 0,
                end: 4,
                technique: "Loaded Language".into(),
                score: 0.9,
            }],
        }
    }

    #[test]
    fn a_second_writer_is_refused_while_readers_may_open_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.sqlite");
        let w = Store::open_writer(&db).unwrap();
        let err = Store::open_writer(&db)
            .err()
            .expect("a second writer is refused");
        assert!(matches!(err, ArchiveError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("another `veracity archive score`"));
        let r = Store::open_reader(&db).unwrap();
        assert_eq!(r.counts().unwrap(), StoreCounts::default());
        drop(w);
        Store::open_writer(&db).expect("the lock is gone with the writer");
    }

    #[test]
    fn an_article_written_again_replaces_its_rows_and_failures_are_kept_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = Store::open_writer(&dir.path().join("a.sqlite")).unwrap();
        let fail = FailureRecord {
            input: "in.jsonl".into(),
            line: 2,
            reason: "invalid JSON".into(),
        };
        st.write_batch(
            &[record("a", 3), record("b", 1)],
            std::slice::from_ref(&fail),
        )
        .unwrap();
        st.write_batch(&[record("a", 2)], std::slice::from_ref(&fail))
            .unwrap();
        let c = st.counts().unwrap();
        assert_eq!(
            c,
            StoreCounts {
                articles: 2,
                claims: 3,
                evidence: 3,
                techniques: 2,
                failures: 1
            }
        );
        let s = st.scored("a").unwrap().unwrap();
        assert_eq!(s.content_hash, "h2");
        assert_eq!(st.scored("zzz").unwrap(), None);
        // Reals are stored as their shortest decimal.
        let conf: f64 = st
            .connection()
            .query_row("SELECT confidence FROM claims LIMIT 1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(conf, 0.6);
    }

    #[test]
    fn a_database_of_something_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("other.sqlite");
        Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER);")
            .unwrap();
        let err = Store::open_writer(&db).err().unwrap();
        assert!(matches!(err, ArchiveError::NotArchive { .. }), "{err}");
        let missing = Store::open_reader(&dir.path().join("none.sqlite"))
            .err()
            .unwrap();
        assert!(matches!(missing, ArchiveError::NoDatabase(_)));
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![7u8; 4096]).unwrap();
        assert!(Store::open_writer(&garbage).is_err());
    }
}
