//! Analysis reports: the data model of `veracity analyze` and its renderers
//! (JSON, plain or coloured text, Markdown, self-contained HTML).
//!
//! The JSON form is the serialisation of [`Report`]; its schema is versioned
//! by [`SCHEMA_VERSION`] and documented in `docs/report-schema.md`.

mod html;
mod markdown;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::verdict::{Evidence, VerdictKind};

pub(crate) use html::esc;
pub use html::render_html;
#[cfg(feature = "serve")]
pub(crate) use html::{article_html, CSS};
pub use markdown::render_markdown;
pub use text::render_text;

/// Version of the JSON report schema (bumped on any incompatible change).
pub const SCHEMA_VERSION: u32 = 1;

/// Evidence items shown per claim in text, Markdown and HTML ("+N more" after).
pub const EVIDENCE_SHOWN: usize = 3;

/// The disclaimer every report carries.
pub const DISCLAIMER: &str = "This analysis is automatic: claims, evidence and verdicts come from a language model and the corpora searched, and can be wrong or incomplete. Use it as a starting point for checking, not as a final judgement.";

/// A report over one or more articles.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// "veracity X.Y.Z".
    pub generator: String,
    pub disclaimer: String,
    pub articles: Vec<ArticleReport>,
}

/// The analysis of one article.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleReport {
    /// The file as given on the command line ("-" for standard input).
    pub path: String,
    pub title: Option<String>,
    /// Sentences found in the article text.
    pub sentences: usize,
    /// The propaganda block (`veracity propaganda --json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propaganda: Option<Propaganda>,
    /// Check-worthy claims extracted (= `claims.len()`).
    pub claims_extracted: usize,
    /// Claims per verdict (every verdict name present, zeros included).
    pub verdict_counts: BTreeMap<VerdictKind, usize>,
    pub claims: Vec<ClaimReport>,
}

/// One checked claim.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimReport {
    /// Index of the sentence in the article.
    pub sentence_index: usize,
    /// UTF-8 byte offsets of the claim in the article text.
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Check-worthiness score in [0, 1].
    pub checkworthiness: f32,
    pub verdict: VerdictKind,
    pub confidence: f32,
    pub explanation: String,
    /// All relevant evidence, deciding passages first.
    pub evidence: Vec<Evidence>,
}

/// The propaganda block (schema of `veracity propaganda --json`).
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Propaganda {
    /// Article score, 0–100 (%).
    pub score: f32,
    pub confidence: f32,
    /// low / moderate / high.
    pub risk: String,
    pub summary: String,
    pub techniques: Vec<TechniqueSummary>,
    pub sentences: Vec<PropagandaSentence>,
}

/// One technique across the article.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueSummary {
    pub name: String,
    pub count: usize,
    pub share: f32,
    /// Indices of the sentences carrying it (into `Propaganda::sentences`).
    #[serde(default)]
    pub sentences: Vec<usize>,
}

/// A sentence with the techniques detected in it.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropagandaSentence {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub techniques: Vec<TechniqueScore>,
}

/// A technique detected in a sentence and its score.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniqueScore {
    pub name: String,
    pub score: f32,
}

impl From<crate::propaganda::PropagandaReport> for Propaganda {
    /// The report's copy of the block (the same fields; scores as `f32`).
    fn from(p: crate::propaganda::PropagandaReport) -> Self {
        Propaganda {
            score: p.score as f32,
            confidence: p.confidence as f32,
            risk: p.risk,
            summary: p.summary,
            techniques: p
                .techniques
                .into_iter()
                .map(|t| TechniqueSummary {
                    name: t.name,
                    count: t.count,
                    share: t.share as f32,
                    sentences: t.sentences,
                })
                .collect(),
            sentences: p
                .sentences
                .into_iter()
                .map(|s| PropagandaSentence {
                    index: s.index,
                    start: s.start,
                    end: s.end,
                    text: s.text,
                    techniques: s
                        .techniques
                        .into_iter()
                        .map(|t| TechniqueScore {
                            name: t.name,
                            score: t.score,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl Report {
    /// A report over `articles` with the current schema version.
    pub fn new(articles: Vec<ArticleReport>) -> Self {
        Report {
            schema_version: SCHEMA_VERSION,
            generator: format!("veracity {}", env!("CARGO_PKG_VERSION")),
            disclaimer: DISCLAIMER.to_string(),
            articles,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

impl ArticleReport {
    /// Build an article report, counting verdicts.
    pub fn new(
        path: String,
        title: Option<String>,
        sentences: usize,
        propaganda: Option<Propaganda>,
        claims: Vec<ClaimReport>,
    ) -> Self {
        let mut verdict_counts: BTreeMap<VerdictKind, usize> =
            VerdictKind::ALL.iter().map(|&k| (k, 0)).collect();
        for c in &claims {
            *verdict_counts.entry(c.verdict).or_default() += 1;
        }
        ArticleReport {
            path,
            title,
            sentences,
            propaganda,
            claims_extracted: claims.len(),
            verdict_counts,
            claims,
        }
    }

    /// "corroborated 1, contradicted 2" (non-zero counts only), or "none".
    pub fn counts_line(&self) -> String {
        let parts: Vec<String> = self
            .verdict_counts
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("{} {n}", label(*k)))
            .collect();
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Human label of a verdict ("verified by reference").
pub fn label(k: VerdictKind) -> &'static str {
    match k {
        VerdictKind::Corroborated => "corroborated",
        VerdictKind::VerifiedByReference => "verified by reference",
        VerdictKind::SingleSource => "single source",
        VerdictKind::Contradicted => "contradicted",
        VerdictKind::Disputed => "disputed",
        VerdictKind::InsufficientEvidence => "insufficient evidence",
    }
}

/// Shorten `s` to at most `max` characters on a character boundary, with "…".
pub(crate) fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_string();
    out.push('…');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::verdict::{SourceKind, Stance};

    pub fn sample() -> Report {
        let ev = |stance, kind, url: Option<&str>| Evidence {
            doc_id: "d1".into(),
            title: "Ostra <bridge>".into(),
            source: "encyclopedia".into(),
            kind,
            url: url.map(String::from),
            snippet: "The Ostra bridge opened in 2004 & carries cars.".into(),
            similarity: 0.91,
            stance,
            origin: "o1".into(),
            conflict: None,
        };
        let claim = ClaimReport {
            sentence_index: 1,
            start: 20,
            end: 48,
            text: "The bridge opened in 1998.".into(),
            checkworthiness: 0.9,
            verdict: VerdictKind::Contradicted,
            confidence: 0.8,
            explanation: "Contradicted by encyclopedia: it gives 2004 where the claim says 1998; no passage supports it.".into(),
            evidence: vec![
                ev(Stance::Refutes, SourceKind::Reference, Some("https://enc.example/ostra")),
                ev(Stance::Neutral, SourceKind::News, None),
                ev(Stance::Neutral, SourceKind::News, None),
                ev(Stance::Neutral, SourceKind::News, None),
                ev(Stance::Neutral, SourceKind::News, None),
            ],
        };
        let prop = Propaganda {
            score: 42.0,
            confidence: 0.6,
            risk: "moderate".into(),
            summary: "Moderate risk: some loaded language.".into(),
            techniques: vec![TechniqueSummary {
                name: "Loaded_Language".into(),
                count: 1,
                share: 0.5,
                sentences: vec![],
            }],
            sentences: vec![PropagandaSentence {
                index: 0,
                start: 0,
                end: 19,
                text: "A disgraceful span!".into(),
                techniques: vec![TechniqueScore {
                    name: "Loaded_Language".into(),
                    score: 0.8,
                }],
            }],
        };
        Report::new(vec![ArticleReport::new(
            "a.txt".into(),
            Some("Bridge <news>".into()),
            2,
            Some(prop),
            vec![claim],
        )])
    }

    #[test]
    fn json_has_schema_version_and_counts() {
        let j: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(j["schema_version"], SCHEMA_VERSION);
        let a = &j["articles"][0];
        assert_eq!(a["claims_extracted"], 1);
        assert_eq!(a["verdict_counts"]["contradicted"], 1);
        assert_eq!(a["verdict_counts"]["corroborated"], 0);
        assert_eq!(a["claims"][0]["start"], 20);
        assert_eq!(a["propaganda"]["risk"], "moderate");
    }

    #[test]
    fn absent_propaganda_is_absent_in_json() {
        let mut r = sample();
        r.articles[0].propaganda = None;
        let j: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(j["articles"][0].get("propaganda").is_none());
    }

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("héllo wörld", 6), "héllo…");
        assert_eq!(clip("short", 10), "short");
    }
}
