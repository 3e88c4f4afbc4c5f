//! Stance and verdicts: what the retrieved evidence says about a claim.
//!
//! Each retrieved passage gets a [`Stance`] towards the claim (see
//! [`stance`]); the claim gets a [`VerdictKind`] from the stances, the source
//! kinds and the number of independent origins, with a confidence in [0, 1]
//! and a one-sentence explanation. The rules and their thresholds
//! ([`VerdictConfig`], `config/verdict.toml`) are documented in
//! `docs/verdicts.md`.
//!
//! Verdict rules, in order:
//! 1. No passage at or above `retrieval.min_similarity` supports or refutes:
//!    `insufficient_evidence`.
//! 2. Both supporting and refuting passages: `disputed`, unless the best
//!    passage of one side beats the best of the other by `verdict.dispute_margin`
//!    in similarity; then that side alone decides (3 or 4).
//! 3. Refuting passages only: `contradicted`.
//! 4. Supporting passages only: `verified_by_reference` when one of them is a
//!    reference-kind source (curated sources outrank counting); otherwise
//!    `corroborated` when they come from at least `verdict.min_origins`
//!    distinct origins (reprints of one wire story share an origin and count
//!    once); otherwise `single_source`.

pub mod check;
pub mod config;
pub mod head;
pub mod stance;

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use config::{StanceMethod, VerdictConfig};
pub use stance::{Conflict, Conflicts, Stance};

/// Errors of the verdict stage.
#[derive(Debug, thiserror::Error)]
pub enum VerdictError {
    #[error(
        "verdict config {path}: {reason}. See config/verdict.toml for the keys and their defaults."
    )]
    Config { path: String, reason: String },
    #[error("embedding failed: {0}")]
    Embed(#[from] crate::embed::EmbedError),
    #[error("evidence search failed")]
    Search(#[source] crate::corpus::CorpusError),
    #[error("stance head: {0}")]
    Head(String),
}

/// The kind of source a passage comes from: the corpus's document kind.
pub use crate::corpus::DocKind as SourceKind;

impl SourceKind {
    /// How the kind reads in an explanation ("one news source").
    fn adjective(self) -> &'static str {
        match self {
            SourceKind::Reference => "reference ",
            SourceKind::News => "news ",
            SourceKind::Other => "",
            SourceKind::CrossReference => "cross-referenced ",
        }
    }
}

/// A retrieved evidence passage and its similarity to the claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub kind: SourceKind,
    pub url: Option<String>,
    /// The passage text.
    pub text: String,
    /// Byte offsets of the passage in its document's text.
    pub start: usize,
    pub end: usize,
    /// Cosine similarity of claim and passage embeddings.
    pub similarity: f32,
    /// Near-duplicate group of the document: reprints share one origin.
    pub origin: String,
}

/// The claim-level verdict.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Corroborated,
    VerifiedByReference,
    SingleSource,
    Contradicted,
    Disputed,
    InsufficientEvidence,
}

impl VerdictKind {
    pub const ALL: [VerdictKind; 6] = [
        VerdictKind::Corroborated,
        VerdictKind::VerifiedByReference,
        VerdictKind::SingleSource,
        VerdictKind::Contradicted,
        VerdictKind::Disputed,
        VerdictKind::InsufficientEvidence,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Corroborated => "corroborated",
            VerdictKind::VerifiedByReference => "verified_by_reference",
            VerdictKind::SingleSource => "single_source",
            VerdictKind::Contradicted => "contradicted",
            VerdictKind::Disputed => "disputed",
            VerdictKind::InsufficientEvidence => "insufficient_evidence",
        }
    }

    /// Whether the verdict says the evidence supports the claim.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            VerdictKind::Corroborated
                | VerdictKind::VerifiedByReference
                | VerdictKind::SingleSource
        )
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of evidence as reported for a claim.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub doc_id: String,
    pub title: String,
    pub source: String,
    pub kind: SourceKind,
    pub url: Option<String>,
    /// The passage text.
    pub snippet: String,
    pub similarity: f32,
    pub stance: Stance,
    pub origin: String,
    /// Why the passage refutes the claim, in plain words (refutes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
}

/// The verdict on one claim with its evidence.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub claim: String,
    pub verdict: VerdictKind,
    pub confidence: f32,
    pub explanation: String,
    /// Relevant passages, those that decided the verdict first, then by similarity.
    pub evidence: Vec<Evidence>,
}

/// The claims of a claims file (`veracity check --claims`): JSONL objects
/// with a `"claim"` string when the first non-empty line is a JSON object,
/// otherwise one claim per non-empty line. Malformed and empty records are
/// returned apart, with their line, for the caller to report.
pub fn parse_claims(
    text: &str,
    path: &std::path::Path,
) -> (Vec<String>, Vec<crate::corpus::ingest::RecordNote>) {
    let jsonl = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let mut claims = Vec::new();
    let mut skipped = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !jsonl {
            claims.push(line.to_string());
            continue;
        }
        let claim = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                v.get("claim")
                    .and_then(|c| c.as_str())
                    .map(str::to_string)
                    .ok_or_else(|| "no \"claim\" string field".to_string())
            });
        let reason = match claim {
            Ok(c) if !c.trim().is_empty() => {
                claims.push(c);
                continue;
            }
            Ok(_) => "empty claim".to_string(),
            Err(e) => e,
        };
        skipped.push(crate::corpus::ingest::RecordNote {
            path: path.to_path_buf(),
            line: i as u64 + 1,
            reason,
        });
    }
    (claims, skipped)
}

/// Judge `claim` from retrieved passages: stance per passage, then the
/// verdict rules (module docs).
pub fn judge(claim: &str, passages: &[Passage], cfg: &VerdictConfig) -> Verdict {
    let conflicts: Vec<Conflicts> = passages
        .iter()
        .map(|p| Conflicts::find(claim, &p.text, cfg.stance.number_tolerance))
        .collect();
    assess(claim, passages, &conflicts, cfg)
}

/// [`judge`] with the text conflicts already found (`conflicts[i]` belongs to
/// `passages[i]`), so that calibration can try many thresholds cheaply.
pub fn assess(
    claim: &str,
    passages: &[Passage],
    conflicts: &[Conflicts],
    cfg: &VerdictConfig,
) -> Verdict {
    assess_with(claim, passages, conflicts, None, cfg)
}

/// [`assess`] with the learned stance head's probabilities of each passage
/// (`probs[i]` belongs to `passages[i]`). With `[stance] method = "head"`
/// and probabilities given, the head decides each stance
/// ([`head::decide`]) and refutations take precedence over support;
/// otherwise the rules decide.
pub fn assess_with(
    claim: &str,
    passages: &[Passage],
    conflicts: &[Conflicts],
    probs: Option<&[[f32; 3]]>,
    cfg: &VerdictConfig,
) -> Verdict {
    let head_probs = probs.filter(|_| cfg.stance.method == config::StanceMethod::Head);
    // Relevant passages, most similar first, each (document, span) once.
    let mut order: Vec<usize> = (0..passages.len())
        .filter(|&i| passages[i].similarity >= cfg.retrieval.min_similarity)
        .collect();
    order.sort_by(|&a, &b| {
        passages[b]
            .similarity
            .total_cmp(&passages[a].similarity)
            .then(a.cmp(&b))
    });
    let mut seen = HashSet::new();
    order.retain(|&i| seen.insert((&passages[i].doc_id, passages[i].start, passages[i].end)));
    order.truncate(cfg.retrieval.top_k);

    let stances: Vec<stance::StanceResult> = order
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let empty = Conflicts::default();
            let c = conflicts.get(i).unwrap_or(&empty);
            match head_probs.and_then(|p| p.get(i)) {
                Some(&p) => head::decide(rank, passages[i].similarity, p, c, &cfg.stance),
                None => stance::decide(passages[i].similarity, c, &cfg.stance),
            }
        })
        .collect();
    let sup: Vec<usize> = (0..order.len())
        .filter(|&j| stances[j].stance == Stance::Supports)
        .collect();
    let refu: Vec<usize> = (0..order.len())
        .filter(|&j| stances[j].stance == Stance::Refutes)
        .collect();
    let best = |idx: &[usize]| {
        idx.iter()
            .map(|&j| passages[order[j]].similarity)
            .fold(f32::NEG_INFINITY, f32::max)
    };

    // Rule 2: settle conflicts between the sides.
    let (mut use_sup, mut use_ref) = (!sup.is_empty(), !refu.is_empty());
    if use_sup && use_ref && head_probs.is_some() {
        // The head's claim-level rule (as calibrated): refutations win.
        use_sup = false;
    } else if use_sup && use_ref {
        let (bs, br) = (best(&sup), best(&refu));
        if bs - br >= cfg.verdict.dispute_margin {
            use_ref = false;
        } else if br - bs >= cfg.verdict.dispute_margin {
            use_sup = false;
        }
    }

    let p = |j: usize| &passages[order[j]];
    let strength = |sim: f32, thr: f32| ((sim - thr) / (1.0 - thr).max(1e-6)).clamp(0.0, 1.0);
    let s = &cfg.stance;

    let (verdict, confidence, explanation, deciding): (VerdictKind, f32, String, Vec<usize>) =
        match (use_sup, use_ref) {
            (true, true) => {
                let (a, b) = (p(sup[0]), p(refu[0]));
                let why = stances[refu[0]]
                    .conflict
                    .as_ref()
                    .map(|c| format!(": {}", c.describe()))
                    .unwrap_or_default();
                let conf = 0.4
                    + 0.3
                        * strength(a.similarity, s.support_similarity)
                            .min(strength(b.similarity, s.refute_similarity));
                let expl = format!(
                    "The evidence disagrees: {} supports it, but {} contradicts it{why}.",
                    name(a),
                    name(b)
                );
                let mut d = sup.clone();
                d.extend(&refu);
                (VerdictKind::Disputed, conf, expl, d)
            }
            (false, true) => {
                let b = p(refu[0]);
                let origins: BTreeSet<&str> = refu.iter().map(|&j| p(j).origin.as_str()).collect();
                let why = stances[refu[0]]
                    .conflict
                    .as_ref()
                    .map(|c| format!(": {}", c.describe()))
                    .unwrap_or_default();
                let more = match origins.len() {
                    1 => String::new(),
                    n => format!(" (and {} other origin{})", n - 1, plural(n - 1)),
                };
                let conf = 0.5
                    + 0.35 * strength(b.similarity, s.refute_similarity)
                    + if origins.len() > 1 { 0.1 } else { 0.0 };
                let expl = format!(
                    "Contradicted by {}{more}{why}; no passage supports it.",
                    name(b)
                );
                (VerdictKind::Contradicted, conf, expl, refu.clone())
            }
            (true, false) => {
                let origins: BTreeSet<&str> = sup.iter().map(|&j| p(j).origin.as_str()).collect();
                let reference = sup.iter().find(|&&j| p(j).kind == SourceKind::Reference);
                let a = p(sup[0]);
                let st = strength(a.similarity, s.support_similarity);
                if let Some(&r) = reference {
                    let others = origins.len() - 1;
                    let more = if others > 0 {
                        format!(
                            ", and {others} other independent origin{} agree{}",
                            plural(others),
                            if others == 1 { "s" } else { "" }
                        )
                    } else {
                        String::new()
                    };
                    let conf = 0.6
                        + 0.3 * strength(p(r).similarity, s.support_similarity)
                        + if others > 0 { 0.05 } else { 0.0 };
                    let expl = format!("Supported by a reference source, {}{more}.", name(p(r)));
                    (VerdictKind::VerifiedByReference, conf, expl, sup.clone())
                } else if origins.len() >= cfg.verdict.min_origins {
                    let names: Vec<String> = first_per_origin(&sup, &p)
                        .into_iter()
                        .map(|j| p(j).source.clone())
                        .collect();
                    let extra = (origins.len() - cfg.verdict.min_origins).min(2) as f32;
                    let conf = 0.55 + 0.05 * extra + 0.3 * st;
                    let expl = format!(
                        "Supported by {} independent origins ({}).",
                        origins.len(),
                        names.join(", ")
                    );
                    (VerdictKind::Corroborated, conf, expl, sup.clone())
                } else {
                    let sources: BTreeSet<&str> =
                        sup.iter().map(|&j| p(j).source.as_str()).collect();
                    let expl = if sources.len() > 1 {
                        format!(
                            "Supported by {} sources ({}) that carry the same story, one origin; no independent origin corroborates it.",
                            sources.len(),
                            sources.iter().copied().collect::<Vec<_>>().join(", ")
                        )
                    } else {
                        format!(
                            "Supported by one {}source ({}); no independent origin corroborates it.",
                            a.kind.adjective(),
                            a.source
                        )
                    };
                    (
                        VerdictKind::SingleSource,
                        0.35 + 0.3 * st,
                        expl,
                        sup.clone(),
                    )
                }
            }
            (false, false) => {
                let (conf, expl) = match order.first() {
                    None => (
                        0.8,
                        "No passage in the searched corpora is related to this claim.".to_string(),
                    ),
                    Some(&i) => {
                        let q = &passages[i];
                        let gap = ((s.support_similarity - q.similarity) / s.support_similarity)
                            .clamp(0.0, 1.0);
                        (
                            0.4 + 0.4 * gap,
                            format!(
                                "The closest passage ({}, similarity {:.2}) is related but neither supports nor contradicts it.",
                                q.source, q.similarity
                            ),
                        )
                    }
                };
                (VerdictKind::InsufficientEvidence, conf, expl, Vec::new())
            }
        };

    // Evidence: deciding passages first, then the rest, each by similarity.
    let deciding: HashSet<usize> = deciding.into_iter().collect();
    let mut js: Vec<usize> = (0..order.len()).collect();
    js.sort_by_key(|j| !deciding.contains(j));
    let evidence = js
        .into_iter()
        .map(|j| {
            let q = p(j);
            Evidence {
                doc_id: q.doc_id.clone(),
                title: q.title.clone(),
                source: q.source.clone(),
                kind: q.kind,
                url: q.url.clone(),
                snippet: q.text.clone(),
                similarity: q.similarity,
                stance: stances[j].stance,
                origin: q.origin.clone(),
                conflict: stances[j].conflict.as_ref().map(Conflict::describe),
            }
        })
        .collect();
    Verdict {
        claim: claim.to_string(),
        verdict,
        confidence: (confidence.clamp(0.0, 0.95) * 100.0).round() / 100.0,
        explanation,
        evidence,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "example.org (\"Title\")", or just the source when the title says nothing more.
fn name(p: &Passage) -> String {
    if p.title.is_empty() || p.title == p.source {
        p.source.clone()
    } else {
        format!("{} (\"{}\")", p.source, p.title)
    }
}

/// The first (most similar) passage index of each origin, in order.
fn first_per_origin<'a>(idx: &[usize], p: &impl Fn(usize) -> &'a Passage) -> Vec<usize> {
    let mut seen = HashSet::new();
    idx.iter()
        .copied()
        .filter(|&j| seen.insert(p(j).origin.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(
        id: &str,
        source: &str,
        kind: SourceKind,
        origin: &str,
        text: &str,
        sim: f32,
    ) -> Passage {
        Passage {
            doc_id: id.into(),
            title: format!("{id} title"),
            source: source.into(),
            kind,
            url: Some(format!("https://{source}/{id}")),
            text: text.into(),
            start: 0,
            end: text.len(),
            similarity: sim,
            origin: origin.into(),
        }
    }

    const CLAIM: &str = "The Ostra bridge opened in 1998 and carries 40,000 cars a day.";
    const SAME: &str = "The Ostra bridge opened in 1998 and carries about 40,000 cars a day.";

    fn cfg() -> VerdictConfig {
        VerdictConfig::default()
    }

    #[test]
    fn claims_files_are_lines_or_jsonl_and_bad_records_are_noted() {
        let p = std::path::Path::new("c.jsonl");
        let (c, s) = parse_claims("one claim\n\n  two claims  \n", p);
        assert_eq!(c, ["one claim", "two claims"]);
        assert!(s.is_empty());
        let (c, s) = parse_claims(
            "{\"claim\": \"a\"}\n{\"claim\": \" \"}\nnot json\n{\"x\": 1}\n",
            p,
        );
        assert_eq!(c, ["a"]);
        let lines: Vec<u64> = s.iter().map(|n| n.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert_eq!(s[0].reason, "empty claim");
    }

    #[test]
    fn two_independent_news_origins_corroborate() {
        let v = judge(
            CLAIM,
            &[
                passage("a", "a.example", SourceKind::News, "o1", SAME, 0.9),
                passage("b", "b.example", SourceKind::News, "o2", SAME, 0.85),
            ],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::Corroborated, "{v:?}");
        assert!(
            v.explanation.contains("2 independent origins"),
            "{}",
            v.explanation
        );
    }

    #[test]
    fn reprints_of_one_story_are_a_single_source() {
        let v = judge(
            CLAIM,
            &[
                passage("a", "a.example", SourceKind::News, "wire-1", SAME, 0.9),
                passage("b", "b.example", SourceKind::News, "wire-1", SAME, 0.9),
            ],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::SingleSource, "{v:?}");
        assert!(v.explanation.contains("one origin"), "{}", v.explanation);
    }

    #[test]
    fn one_news_source_explanation() {
        let v = judge(
            CLAIM,
            &[passage(
                "a",
                "example.org",
                SourceKind::News,
                "o1",
                SAME,
                0.9,
            )],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::SingleSource);
        assert_eq!(
            v.explanation,
            "Supported by one news source (example.org); no independent origin corroborates it."
        );
    }

    #[test]
    fn reference_support_outranks_origin_count() {
        let v = judge(
            CLAIM,
            &[
                passage("a", "a.example", SourceKind::News, "o1", SAME, 0.9),
                passage("r", "encyclopedia", SourceKind::Reference, "o3", SAME, 0.8),
                passage("b", "b.example", SourceKind::News, "o2", SAME, 0.85),
            ],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::VerifiedByReference, "{v:?}");
        assert!(v.confidence > 0.6 && v.confidence <= 0.95);
    }

    #[test]
    fn number_conflict_contradicts() {
        let v = judge(
            CLAIM,
            &[passage(
                "r",
                "encyclopedia",
                SourceKind::Reference,
                "o1",
                "The Ostra bridge opened in 2004 and carries 40,000 cars a day.",
                0.9,
            )],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::Contradicted, "{v:?}");
        assert_eq!(v.evidence[0].stance, Stance::Refutes);
        assert!(v.explanation.contains("2004"), "{}", v.explanation);
    }

    #[test]
    fn support_and_refutation_of_similar_strength_are_disputed() {
        let v = judge(
            CLAIM,
            &[
                passage("a", "a.example", SourceKind::News, "o1", SAME, 0.88),
                passage(
                    "b",
                    "b.example",
                    SourceKind::News,
                    "o2",
                    "The Ostra bridge opened in 1998 and carries 25,000 cars a day.",
                    0.87,
                ),
            ],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::Disputed, "{v:?}");
    }

    #[test]
    fn a_much_stronger_side_decides() {
        let mut c = cfg();
        c.verdict.dispute_margin = 0.1;
        let v = judge(
            CLAIM,
            &[
                passage("a", "a.example", SourceKind::News, "o1", SAME, 0.95),
                passage(
                    "b",
                    "b.example",
                    SourceKind::News,
                    "o2",
                    "The Ostra bridge opened in 1998 and carries 25,000 cars a day.",
                    0.72,
                ),
            ],
            &c,
        );
        assert_eq!(v.verdict, VerdictKind::SingleSource, "{v:?}");
        // The weaker refutation is still shown with its stance.
        assert!(v.evidence.iter().any(|e| e.stance == Stance::Refutes));
    }

    #[test]
    fn nothing_close_is_insufficient() {
        let v = judge(
            CLAIM,
            &[passage(
                "a",
                "a.example",
                SourceKind::News,
                "o1",
                "Ferries cross the fjord.",
                0.5,
            )],
            &cfg(),
        );
        assert_eq!(v.verdict, VerdictKind::InsufficientEvidence);
        assert!(v.explanation.contains("0.50"), "{}", v.explanation);
        let v = judge(CLAIM, &[], &cfg());
        assert_eq!(v.verdict, VerdictKind::InsufficientEvidence);
        assert!(v.evidence.is_empty());
    }

    #[test]
    fn off_topic_passages_are_dropped_and_duplicates_merged() {
        let mut p = vec![
            passage("a", "a.example", SourceKind::News, "o1", SAME, 0.9),
            passage("a", "a.example", SourceKind::News, "o1", SAME, 0.9),
            passage("z", "z.example", SourceKind::News, "o9", "Unrelated.", 0.1),
        ];
        p[1].similarity = 0.9;
        let v = judge(CLAIM, &p, &cfg());
        assert_eq!(v.evidence.len(), 1);
    }

    #[test]
    fn json_field_names_follow_the_contract() {
        let v = judge(
            CLAIM,
            &[passage(
                "a",
                "example.org",
                SourceKind::News,
                "o1",
                SAME,
                0.9,
            )],
            &cfg(),
        );
        let j = serde_json::to_value(&v).unwrap();
        for k in ["claim", "verdict", "confidence", "explanation", "evidence"] {
            assert!(j.get(k).is_some(), "{k}");
        }
        let e = &j["evidence"][0];
        for k in [
            "doc_id",
            "title",
            "source",
            "kind",
            "url",
            "snippet",
            "similarity",
            "stance",
            "origin",
        ] {
            assert!(e.get(k).is_some(), "{k}");
        }
        assert_eq!(j["verdict"], "single_source");
        assert_eq!(e["stance"], "supports");
        assert_eq!(e["kind"], "news");
    }

    #[test]
    fn head_method_lets_the_head_decide_and_refutations_win() {
        let ps = vec![
            passage("a", "ref.org", SourceKind::Reference, "a", SAME, 0.95),
            passage(
                "b",
                "ref.org",
                SourceKind::Reference,
                "b",
                "Unrelated.",
                0.60,
            ),
        ];
        let cs: Vec<Conflicts> = ps
            .iter()
            .map(|p| Conflicts::find(CLAIM, &p.text, 0.05))
            .collect();
        let probs = [[0.8, 0.1, 0.1], [0.05, 0.9, 0.05]];
        let mut c = cfg();
        c.stance.method = StanceMethod::Rules;
        let rules = assess_with(CLAIM, &ps, &cs, Some(&probs), &c);
        assert_eq!(rules.verdict, VerdictKind::VerifiedByReference);
        c.stance.method = StanceMethod::Head;
        c.stance.head_top_k = 2;
        c.stance.head_refute_probability = 0.5;
        let v = assess_with(CLAIM, &ps, &cs, Some(&probs), &c);
        assert_eq!(v.verdict, VerdictKind::Contradicted, "{v:?}");
        let e = v.evidence.iter().find(|e| e.doc_id == "b").unwrap();
        assert_eq!(e.stance, Stance::Refutes);
        assert!(e.conflict.as_deref().unwrap().contains("0.90"), "{e:?}");
        // Beyond head_top_k the head does not look: only the support counts.
        c.stance.head_top_k = 1;
        c.stance.head_support_similarity = 0.9;
        c.stance.head_support_probability = 0.5;
        let v = assess_with(CLAIM, &ps, &cs, Some(&probs), &c);
        assert_eq!(v.verdict, VerdictKind::VerifiedByReference);
    }
}
