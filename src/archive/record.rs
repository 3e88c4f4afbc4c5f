//! What the archive holds per article: the record `archive score` writes to
//! the database, and, with `--db -`, as one JSON line to standard output
//! (`archive import` reads those lines back).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::corpus::Document;
use crate::report::ArticleReport;
use crate::verdict::VerdictKind;

/// An article read from the archive's input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputArticle {
    pub id: String,
    pub title: String,
    /// The record's text as given (claim offsets index into it).
    pub text: String,
    pub url: Option<String>,
    pub source: String,
    /// The publication date as the record gives it.
    pub published_raw: Option<String>,
    /// The input file (`-` for standard input).
    pub input: String,
    /// Line of the record in its input (0 when the reader does not know it).
    pub line: u64,
}

impl InputArticle {
    /// An article from a document the ingest readers produced.
    pub fn from_document(doc: Document, input: &str, line: u64) -> Self {
        InputArticle {
            id: doc.id,
            title: doc.title,
            text: doc.text,
            url: doc.url,
            source: doc.source,
            published_raw: doc.published,
            input: input.to_string(),
            line,
        }
    }

    /// A hash of everything that, changed, makes the article another one:
    /// title, text, source, date and URL.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.title.as_str(),
            self.text.as_str(),
            self.source.as_str(),
            self.published_raw.as_deref().unwrap_or(""),
            self.url.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        hex(&h.finalize()[..16])
    }

    /// `input:line` (or the input alone), for messages.
    pub fn location(&self) -> String {
        if self.line > 0 {
            format!("{}:{}", self.input, self.line)
        } else {
            self.input.clone()
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One scored article, with its claims, their evidence and its techniques.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRecord {
    pub id: String,
    pub source: String,
    /// Normalised publication date (`YYYY-MM-DD`, or RFC 3339 in UTC when
    /// the record gives a time); `None` when absent or unreadable.
    pub published: Option<String>,
    /// The date as the record gave it.
    pub published_raw: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub sentences: usize,
    pub words: usize,
    pub propaganda_score: Option<f32>,
    pub propaganda_confidence: Option<f32>,
    pub propaganda_risk: Option<String>,
    pub claims_extracted: usize,
    /// Claims per verdict, every verdict present.
    pub verdict_counts: BTreeMap<VerdictKind, usize>,
    /// The embedding model that scored it.
    pub model: String,
    /// A hash of every setting that changes results (see `archive::ScoreConfig`).
    pub config_hash: String,
    /// [`InputArticle::content_hash`].
    pub content_hash: String,
    /// When it was scored (RFC 3339, UTC).
    pub scored_at: String,
    /// The input file it came from and its line there.
    pub input: String,
    pub line: u64,
    pub claims: Vec<ClaimRecord>,
    pub techniques: Vec<TechniqueRecord>,
}

/// One checked claim of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// Its position among the article's claims (0-based).
    pub index: usize,
    /// The sentence it is, among the article's sentences.
    pub sentence: usize,
    /// UTF-8 byte offsets into the record's `text` field as given.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub checkworthiness: f32,
    pub verdict: VerdictKind,
    pub confidence: f32,
    pub explanation: String,
    pub evidence: Vec<EvidenceRecord>,
}

/// One evidence passage of a claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub kind: String,
    pub url: Option<String>,
    pub stance: String,
    pub similarity: f32,
    pub origin: String,
    pub snippet: String,
}

/// A propaganda technique found in a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueRecord {
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
    pub technique: String,
    pub score: f32,
}

/// A record that could not be read or scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureRecord {
    pub input: String,
    /// 0 when the failure is not tied to a line.
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for FailureRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.input, self.line, self.reason)
        } else {
            write!(f, "{}: {}", self.input, self.reason)
        }
    }
}

/// One line of `archive score --db -`: an article or a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResultLine {
    Failure { failure: FailureRecord },
    Article(Box<ArticleRecord>),
}

/// Settings a record was scored under (the same for the whole run).
#[derive(Debug, Clone)]
pub struct Stamp {
    pub model: String,
    pub config_hash: String,
    pub scored_at: String,
}

impl ArticleRecord {
    /// The record of `article` from its report.
    pub fn new(
        article: &InputArticle,
        report: ArticleReport,
        published: Option<String>,
        stamp: &Stamp,
    ) -> Self {
        let (score, confidence, risk, techniques) = match report.propaganda {
            Some(p) => {
                let techniques = p
                    .sentences
                    .iter()
                    .flat_map(|s| {
                        s.techniques.iter().map(move |t| TechniqueRecord {
                            sentence: s.index,
                            start: s.start,
                            end: s.end,
                            technique: t.name.clone(),
                            score: t.score,
                        })
                    })
                    .collect();
                (Some(p.score), Some(p.confidence), Some(p.risk), techniques)
            }
            None => (None, None, None, Vec::new()),
        };
        let claims = report
            .claims
            .into_iter()
            .enumerate()
            .map(|(i, c)| ClaimRecord {
                index: i,
                sentence: c.sentence_index,
                start: c.start,
                end: c.end,
                text: c.text,
                checkworthiness: c.checkworthiness,
                verdict: c.verdict,
                confidence: c.confidence,
                explanation: c.explanation,
                evidence: c
                    .evidence
                    .into_iter()
                    .map(|e| EvidenceRecord {
                        doc_id: e.doc_id,
                        title: e.title,
                        source: e.source,
                        kind: e.kind.as_str().to_string(),
                        url: e.url,
                        stance: e.stance.as_str().to_string(),
                        similarity: e.similarity,
                        origin: e.origin,
                        snippet: e.snippet,
                    })
                    .collect(),
            })
            .collect();
        ArticleRecord {
            id: article.id.clone(),
            source: article.source.clone(),
            published,
            published_raw: article.published_raw.clone(),
            url: article.url.clone(),
            title: (!article.title.is_empty()).then(|| article.title.clone()),
            sentences: report.sentences,
            words: article.text.split_whitespace().count(),
            propaganda_score: score,
            propaganda_confidence: confidence,
            propaganda_risk: risk,
            claims_extracted: report.claims_extracted,
            verdict_counts: report.verdict_counts,
            model: stamp.model.clone(),
            config_hash: stamp.config_hash.clone(),
            content_hash: article.content_hash(),
            scored_at: stamp.scored_at.clone(),
            input: article.input.clone(),
            line: article.line,
            claims,
            techniques,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article() -> InputArticle {
        InputArticle {
            id: "a1".into(),
            title: "T".into(),
            text: "Body.".into(),
            url: None,
            source: "wire".into(),
            published_raw: Some("2024-01-02".into()),
            input: "in.jsonl".into(),
            line: 3,
        }
    }

    #[test]
    fn the_content_hash_changes_with_any_field_that_makes_another_article() {
        let a = article();
        let h = a.content_hash();
        assert_eq!(h.len(), 32);
        assert_eq!(h, article().content_hash());
        for changed in [
            InputArticle {
                text: "Body!".into(),
                ..article()
            },
            InputArticle {
                title: "U".into(),
                ..article()
            },
            InputArticle {
                source: "other".into(),
                ..article()
            },
            InputArticle {
                published_raw: None,
                ..article()
            },
        ] {
            assert_ne!(changed.content_hash(), h);
        }
        // Where it was read from is not content.
        let moved = InputArticle {
            input: "elsewhere.jsonl".into(),
            line: 9,
            ..article()
        };
        assert_eq!(moved.content_hash(), h);
    }

    #[test]
    fn a_result_line_is_an_article_or_a_failure() {
        let f: ResultLine =
            serde_json::from_str(r#"{"failure":{"input":"x","line":2,"reason":"bad"}}"#).unwrap();
        assert!(matches!(f, ResultLine::Failure { .. }));
        assert_eq!(article().location(), "in.jsonl:3");
    }
}
