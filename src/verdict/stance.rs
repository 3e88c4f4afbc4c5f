//! Stance of one evidence passage towards a claim: `supports`, `refutes` or
//! `neutral`, from the claim–passage similarity plus conflict checks that
//! similarity alone misses (embeddings place "sea ice is growing" right next
//! to "sea ice is shrinking"):
//!
//! - **numbers**: the same kind of quantity (same unit or context words, or
//!   both years) with a different value, and the claim's value nowhere in the
//!   passage;
//! - **negation**: a negation (not, no, never, denied, ...) next to words the
//!   two texts share, on one side only;
//! - **direction**: opposite direction words (rise/fall, increase/decrease,
//!   more/less, warming/cooling, ...) next to words the two texts share;
//! - **debunking**: the passage calls the subject a myth, a hoax, false,
//!   debunked or without evidence, and the claim does not.
//!
//! The words of each check (stopwords, negations, direction families, debunk
//! cues, number and unit words) are the language's [`StanceLexicon`]:
//! [`Conflicts::find`] and [`stance`] use English, [`Conflicts::find_in`] and
//! [`stance_in`] any [`Language`].

use std::collections::HashSet;
use std::fmt;

use once_cell::sync::Lazy;
use regex::Regex;
use serde::{Deserialize, Serialize};

use super::config::StanceConfig;
use crate::lang::{Language, StanceLexicon};

/// What one passage says about a claim.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    Supports,
    Refutes,
    Neutral,
}

impl Stance {
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Supports => "supports",
            Stance::Refutes => "refutes",
            Stance::Neutral => "neutral",
        }
    }
}

impl fmt::Display for Stance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A disagreement between claim and passage found by the text checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Conflict {
    /// The passage gives `passage` where the claim says `claim`.
    Number { claim: String, passage: String },
    /// One side negates what the other asserts.
    Negation { cue: String, in_claim: bool },
    /// Opposite direction words.
    Direction { claim: String, passage: String },
    /// The passage calls the subject a myth, false, debunked, ...
    Debunk { cue: String },
    /// The learned stance head reads the passage as contradicting the claim
    /// (`[stance] method = "head"`) and no text check names a reason.
    Learned { refutes: f32 },
}

impl Conflict {
    /// A short plain-words description ("it gives 12% where the claim says 20%").
    pub fn describe(&self) -> String {
        match self {
            Conflict::Number { claim, passage } => {
                format!("it gives {passage} where the claim says {claim}")
            }
            Conflict::Negation {
                cue,
                in_claim: false,
            } => {
                format!("it negates the claim (\"{cue}\")")
            }
            Conflict::Negation {
                cue,
                in_claim: true,
            } => {
                format!("it asserts what the claim negates (\"{cue}\")")
            }
            Conflict::Direction { claim, passage } => {
                format!("it says \"{passage}\" where the claim says \"{claim}\"")
            }
            Conflict::Debunk { cue } => format!("it calls this \"{cue}\""),
            Conflict::Learned { refutes } => {
                format!("the stance model reads it as contradicting the claim (p = {refutes:.2})")
            }
        }
    }
}

/// The stance of one passage and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StanceResult {
    pub stance: Stance,
    /// The conflict that made it `refutes` (None for supports/neutral).
    pub conflict: Option<Conflict>,
}

/// All conflicts the text checks find between a claim and a passage,
/// regardless of similarity (callers gate them with thresholds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conflicts {
    pub number: Option<Conflict>,
    pub negation: Option<Conflict>,
    pub direction: Option<Conflict>,
    pub debunk: Option<Conflict>,
    /// A number of the claim (as written) that the passage does not state.
    pub unstated_number: Option<String>,
}

impl Conflicts {
    /// Find every kind of conflict between `claim` and `passage`, both in
    /// English.
    pub fn find(claim: &str, passage: &str, number_tolerance: f32) -> Self {
        Self::find_in(claim, passage, number_tolerance, Language::English)
    }

    /// Find every kind of conflict between `claim` and `passage`, both in
    /// `lang`.
    pub fn find_in(claim: &str, passage: &str, number_tolerance: f32, lang: Language) -> Self {
        let c = Analyzed::new(claim, lang);
        let p = Analyzed::new(passage, lang);
        Conflicts {
            unstated_number: unstated_number(&c, &p, number_tolerance),
            number: number_conflict(&c, &p, number_tolerance),
            negation: negation_conflict(&c, &p),
            direction: direction_conflict(&c, &p),
            debunk: debunk_conflict(&c, &p),
        }
    }

    /// The first content conflict (number, negation, direction), if any.
    pub fn content(&self) -> Option<&Conflict> {
        self.number
            .as_ref()
            .or(self.negation.as_ref())
            .or(self.direction.as_ref())
    }
}

/// Decide the stance of a passage with similarity `sim` to the claim, given
/// the conflicts found between them.
pub fn decide(sim: f32, conflicts: &Conflicts, cfg: &StanceConfig) -> StanceResult {
    if sim >= cfg.refute_similarity {
        if let Some(c) = conflicts.content() {
            return StanceResult {
                stance: Stance::Refutes,
                conflict: Some(c.clone()),
            };
        }
    }
    if sim >= cfg.debunk_similarity {
        if let Some(c) = &conflicts.debunk {
            return StanceResult {
                stance: Stance::Refutes,
                conflict: Some(c.clone()),
            };
        }
    }
    // A conflicting passage never supports, even when very similar; nor does
    // one that leaves a number of the claim unconfirmed, when so configured.
    let conflicted = conflicts.content().is_some()
        || conflicts.debunk.is_some()
        || (cfg.support_needs_numbers && conflicts.unstated_number.is_some());
    let stance = if sim >= cfg.support_similarity && !conflicted {
        Stance::Supports
    } else {
        Stance::Neutral
    };
    StanceResult {
        stance,
        conflict: None,
    }
}

/// Stance of `passage` towards `claim` at similarity `sim`, both in English.
pub fn stance(claim: &str, passage: &str, sim: f32, cfg: &StanceConfig) -> StanceResult {
    stance_in(claim, passage, sim, cfg, Language::English)
}

/// Stance of `passage` towards `claim` at similarity `sim`, both in `lang`.
pub fn stance_in(
    claim: &str,
    passage: &str,
    sim: f32,
    cfg: &StanceConfig,
    lang: Language,
) -> StanceResult {
    decide(
        sim,
        &Conflicts::find_in(claim, passage, cfg.number_tolerance, lang),
        cfg,
    )
}

// ---------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone)]
struct Token {
    /// Lower-cased surface form.
    lower: String,
    /// Crude stem used to match words across the two texts.
    stem: String,
    /// Parsed value when the token is a number.
    number: Option<Num>,
}

#[derive(Debug, Clone, Copy)]
struct Num {
    value: f64,
    /// Half a unit of the last written digit (rounding tolerance).
    half_ulp: f64,
}

/// A text split into tokens, with content-word stems.
struct Analyzed {
    tokens: Vec<Token>,
    content: HashSet<String>,
    lower: String,
    /// The words of the text's language.
    lex: &'static StanceLexicon,
}

/// The token regex of one language: numbers (with thousands separators),
/// the language's words, `%` and `°`.
fn token_regex(lex: &StanceLexicon) -> Regex {
    Regex::new(&format!(
        r"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{})|%|°",
        lex.word_pattern
    ))
    .expect("valid token regex (checked by a unit test for every language)")
}

/// The token regex of each language, in [`Language::ALL`] order.
static TOKEN_RES: Lazy<Vec<Regex>> = Lazy::new(|| {
    Language::ALL
        .iter()
        .map(|l| token_regex(&l.words().stance))
        .collect()
});

fn is_stop(lex: &StanceLexicon, w: &str) -> bool {
    lex.stopwords.contains(&w)
}

/// A crude suffix-stripping stem, enough to match "warming"/"warmed"/"warms".
fn stem(lex: &StanceLexicon, w: &str) -> String {
    let w = w.trim_end_matches(lex.possessive);
    for suf in lex.stem_suffixes {
        if w.len() > suf.len() + 3 && w.ends_with(suf) {
            return w[..w.len() - suf.len()].to_string();
        }
    }
    w.to_string()
}

/// A unit word's stem, the same for singular and plural ("metre"/"metres",
/// "vehicle"/"vehicles").
fn unit_stem(lex: &StanceLexicon, w: &str) -> String {
    let s = stem(lex, w);
    s.strip_suffix(lex.unit_stem_ending)
        .map(str::to_string)
        .unwrap_or(s)
}

fn parse_num(s: &str) -> Option<Num> {
    let clean: String = s.chars().filter(|&c| c != ',').collect();
    let value: f64 = clean.parse().ok()?;
    let decimals = clean.split('.').nth(1).map_or(0, str::len);
    Some(Num {
        value,
        half_ulp: 0.5 * 10f64.powi(-(decimals as i32)),
    })
}

impl Analyzed {
    fn new(text: &str, lang: Language) -> Self {
        let lex = &lang.words().stance;
        let tokens: Vec<Token> = TOKEN_RES[lang.index()]
            .find_iter(text)
            .map(|m| {
                let lower = m.as_str().to_lowercase();
                let number = if lower.starts_with(|c: char| c.is_ascii_digit()) {
                    parse_num(&lower)
                } else {
                    None
                };
                Token {
                    stem: stem(lex, &lower),
                    lower,
                    number,
                }
            })
            .collect();
        let content = tokens
            .iter()
            .filter(|t| t.number.is_none() && t.lower.len() > 2 && !is_stop(lex, &t.lower))
            .map(|t| t.stem.clone())
            .collect();
        Analyzed {
            tokens,
            content,
            lower: text.to_lowercase(),
            lex,
        }
    }

    /// Whether a content word shared with `other` lies within `window` tokens
    /// of position `i` (excluding `i` itself).
    fn shared_near(&self, i: usize, window: usize, other: &Analyzed, skip: &HashSet<&str>) -> bool {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(self.tokens.len());
        (lo..hi).any(|j| {
            let t = &self.tokens[j];
            j != i
                && t.number.is_none()
                && t.lower.len() > 2
                && !is_stop(self.lex, &t.lower)
                && !skip.contains(t.lower.as_str())
                && other.content.contains(&t.stem)
        })
    }
}

// ---------------------------------------------------------------------------
// Numbers

/// A number mentioned in a text, with what it counts.
#[derive(Debug, Clone)]
struct Mention {
    lo: f64,
    hi: f64,
    half_ulp: f64,
    /// Unit class: "%", "year", "°", or the stem of the word after it.
    unit: String,
    /// Content-word stems around it.
    context: HashSet<String>,
    /// As written (for explanations).
    surface: String,
}

fn mentions(a: &Analyzed) -> Vec<Mention> {
    let lex = a.lex;
    let toks = &a.tokens;
    let mut out: Vec<Mention> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let num = toks[i].number.or_else(|| {
            lex.number_words
                .iter()
                .find(|(w, _)| *w == toks[i].lower)
                .map(|&(_, v)| Num {
                    value: v,
                    half_ulp: 0.5,
                })
        });
        let Some(n) = num else {
            i += 1;
            continue;
        };
        let start = i;
        let mut value = n.value;
        let mut half = n.half_ulp;
        let mut j = i + 1;
        if let Some(&(_, s)) = toks
            .get(j)
            .and_then(|t| lex.scales.iter().find(|(w, _)| *w == t.lower))
        {
            value *= s;
            half *= s;
            j += 1;
        }
        // A range: "2 to 4", "2-4" (the hyphen is not a token), "between 2 and 4".
        let mut hi = value;
        if let (Some(conn), Some(next)) = (toks.get(j), toks.get(j + 1)) {
            if let (true, Some(m)) = (lex.range_words.contains(&conn.lower.as_str()), next.number) {
                let mut v = m.value;
                let mut k = j + 2;
                if let Some(&(_, s)) = toks
                    .get(k)
                    .and_then(|t| lex.scales.iter().find(|(w, _)| *w == t.lower))
                {
                    v *= s;
                    k += 1;
                }
                if v >= value {
                    hi = v;
                    j = k;
                }
            }
        }
        let unit = match toks.get(j).map(|t| t.lower.as_str()) {
            Some(w) if w == "%" || lex.percent_words.contains(&w) => "%".to_string(),
            Some(w) if w == "°" || lex.degree_words.contains(&w) => "°".to_string(),
            Some(w) if !is_stop(lex, w) && toks[j].number.is_none() && w.len() > 1 => {
                unit_stem(lex, w)
            }
            _ => {
                let is_year = toks[i].number.is_some()
                    && n.half_ulp == 0.5
                    && (1000.0..=2100.0).contains(&value)
                    && value == hi;
                if is_year {
                    "year".to_string()
                } else {
                    String::new()
                }
            }
        };
        let lo_ctx = start.saturating_sub(4);
        let hi_ctx = (j + 5).min(toks.len());
        let context = (lo_ctx..hi_ctx)
            .filter(|&k| k < start || k >= j)
            .map(|k| &toks[k])
            .filter(|t| t.number.is_none() && t.lower.len() > 2 && !is_stop(lex, &t.lower))
            .map(|t| t.stem.clone())
            .collect();
        let end = (j + usize::from(!unit.is_empty() && unit != "year")).min(toks.len());
        let surface = toks[start..end]
            .iter()
            .map(|t| t.lower.as_str())
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" %", "%");
        out.push(Mention {
            lo: value,
            hi,
            half_ulp: half,
            unit,
            context,
            surface,
        });
        i = j.max(i + 1);
    }
    out
}

fn same_value(a: &Mention, b: &Mention, tol: f32) -> bool {
    // Years compare exactly; other quantities with a relative tolerance.
    let rel = if a.unit == "year" || b.unit == "year" {
        0.0
    } else {
        tol as f64
    };
    let slack = |x: f64, y: f64| (rel * x.abs().max(y.abs())).max(a.half_ulp.max(b.half_ulp));
    // Overlapping ranges (with slack) are compatible.
    a.lo <= b.hi + slack(a.lo, b.hi) && b.lo <= a.hi + slack(b.lo, a.hi)
}

/// Whether two mentions count the same kind of thing.
fn aligned(c: &Mention, p: &Mention) -> bool {
    if c.unit.is_empty() && p.unit.is_empty() {
        // Bare numbers: need two shared context words.
        return c.context.intersection(&p.context).count() >= 2;
    }
    if c.unit != p.unit {
        return false;
    }
    // Years and units: need one shared context word (same subject).
    c.context.intersection(&p.context).next().is_some()
}

/// Whether mention `m` of the claim is stated (same value, compatible unit) in `pm`.
fn stated(m: &Mention, pm: &[Mention], tol: f32) -> bool {
    pm.iter().any(|q| {
        (q.unit == m.unit || q.unit.is_empty() || m.unit.is_empty()) && same_value(m, q, tol)
    })
}

/// The first number of the claim that the passage does not state.
fn unstated_number(c: &Analyzed, p: &Analyzed, tol: f32) -> Option<String> {
    let cm = mentions(c);
    if cm.is_empty() {
        return None;
    }
    let pm = mentions(p);
    cm.iter()
        .find(|m| !stated(m, &pm, tol))
        .map(|m| m.surface.clone())
}

fn number_conflict(c: &Analyzed, p: &Analyzed, tol: f32) -> Option<Conflict> {
    let cm = mentions(c);
    if cm.is_empty() {
        return None;
    }
    let pm = mentions(p);
    for m in &cm {
        let same_kind: Vec<&Mention> = pm.iter().filter(|q| aligned(m, q)).collect();
        if same_kind.is_empty() {
            continue;
        }
        // The claim's value anywhere in the passage (same unit class) settles it.
        let confirmed = pm.iter().any(|q| {
            (q.unit == m.unit || q.unit.is_empty() || m.unit.is_empty()) && same_value(m, q, tol)
        });
        if confirmed {
            continue;
        }
        let q = same_kind[0];
        return Some(Conflict::Number {
            claim: m.surface.clone(),
            passage: q.surface.clone(),
        });
    }
    None
}

// ---------------------------------------------------------------------------
// Negation

/// Negation cues in `a` with a word shared with `b` within their scope.
fn scoped_negations(a: &Analyzed, b: &Analyzed) -> Vec<String> {
    a.tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| a.lex.negations.contains(&t.lower.as_str()))
        .filter(|(i, _)| {
            // Scope: the few words after the cue (and one before, for "X did not").
            let hi = (i + 6).min(a.tokens.len());
            (i.saturating_sub(2)..hi).any(|j| {
                let t = &a.tokens[j];
                j != *i
                    && t.number.is_none()
                    && t.lower.len() > 2
                    && !is_stop(a.lex, &t.lower)
                    && !a.lex.negations.contains(&t.lower.as_str())
                    && b.content.contains(&t.stem)
            })
        })
        .map(|(_, t)| t.lower.clone())
        .collect()
}

fn negation_conflict(c: &Analyzed, p: &Analyzed) -> Option<Conflict> {
    let in_c = scoped_negations(c, p);
    let in_p = scoped_negations(p, c);
    let any_c = c
        .tokens
        .iter()
        .any(|t| c.lex.negations.contains(&t.lower.as_str()));
    let any_p = p
        .tokens
        .iter()
        .any(|t| p.lex.negations.contains(&t.lower.as_str()));
    match (in_c.first(), in_p.first()) {
        (None, Some(cue)) if !any_c => Some(Conflict::Negation {
            cue: cue.clone(),
            in_claim: false,
        }),
        (Some(cue), None) if !any_p => Some(Conflict::Negation {
            cue: cue.clone(),
            in_claim: true,
        }),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Direction

/// Direction words of family `fam` in `a` with a word shared with `b` nearby.
fn anchored<'t>(a: &'t Analyzed, b: &Analyzed, fam: &[&str]) -> Option<&'t str> {
    let skip: HashSet<&str> = a
        .lex
        .directions
        .iter()
        .flat_map(|(x, y)| x.iter().chain(y.iter()).copied())
        .collect();
    a.tokens
        .iter()
        .enumerate()
        .find(|(i, t)| fam.contains(&t.lower.as_str()) && a.shared_near(*i, 5, b, &skip))
        .map(|(_, t)| t.lower.as_str())
}

fn has_any(a: &Analyzed, fam: &[&str]) -> bool {
    a.tokens.iter().any(|t| fam.contains(&t.lower.as_str()))
}

fn direction_conflict(c: &Analyzed, p: &Analyzed) -> Option<Conflict> {
    for (up, down) in c.lex.directions {
        for (x, y) in [(up, down), (down, up)] {
            if let (Some(cw), Some(pw)) = (anchored(c, p, x), anchored(p, c, y)) {
                // Both directions in the passage (e.g. "rose, then fell") or
                // in the claim: no clear opposition.
                if !has_any(p, x) && !has_any(c, y) {
                    return Some(Conflict::Direction {
                        claim: cw.to_string(),
                        passage: pw.to_string(),
                    });
                }
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Debunking cues

fn debunk_conflict(c: &Analyzed, p: &Analyzed) -> Option<Conflict> {
    let has = |a: &Analyzed, cue: &str| {
        if cue.contains(' ') {
            a.lower.contains(cue)
        } else {
            a.tokens.iter().any(|t| t.lower == cue)
        }
    };
    p.lex
        .debunk_cues
        .iter()
        .find(|cue| has(p, cue) && !has(c, cue))
        .map(|cue| Conflict::Debunk {
            cue: cue.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> StanceConfig {
        StanceConfig {
            support_similarity: 0.7,
            refute_similarity: 0.6,
            debunk_similarity: 0.55,
            number_tolerance: 0.05,
            support_needs_numbers: true,
            method: super::super::config::StanceMethod::Rules,
            head_top_k: 3,
            head_support_similarity: 0.65,
            head_support_probability: 0.2,
            head_refute_probability: 0.5,
            head_rule_conflicts: false,
        }
    }

    fn find(c: &str, p: &str) -> Conflicts {
        Conflicts::find(c, p, 0.05)
    }

    #[test]
    fn different_percentage_for_same_subject_conflicts() {
        let f = find(
            "Unemployment in Freedonia fell to 4% in 2023.",
            "Freedonia's unemployment rate was 7.5% in 2023.",
        );
        match f.number {
            Some(Conflict::Number { claim, passage }) => {
                assert_eq!(claim, "4%");
                assert_eq!(passage, "7.5%");
            }
            other => panic!("expected a number conflict, got {other:?}"),
        }
    }

    #[test]
    fn same_number_written_differently_does_not_conflict() {
        assert!(find(
            "The bridge cost 2.5 million dollars.",
            "Building the bridge cost 2,500,000 dollars in total."
        )
        .number
        .is_none());
        // Rounding: "about 1 degree" agrees with 0.8 degrees.
        assert!(find(
            "The planet warmed by about 1 degree since 1880.",
            "Global temperature has risen by 0.8 degrees since 1880."
        )
        .number
        .is_none());
        // A value inside a stated range agrees.
        assert!(find(
            "Sea level will rise 30 cm by 2100.",
            "Projections give a rise of 20 to 60 cm by 2100."
        )
        .number
        .is_none());
    }

    #[test]
    fn singular_and_plural_units_match() {
        assert!(
            find("The span is 620 metres long.", "It has a 620 metre span.")
                .unstated_number
                .is_none()
        );
        assert!(find(
            "The bridge carries 35,000 vehicles.",
            "Each day 35,000 vehicle trips cross the bridge."
        )
        .unstated_number
        .is_none());
    }

    #[test]
    fn different_year_for_same_event_conflicts() {
        let f = find(
            "The Halden dam was completed in 1962.",
            "Construction of the Halden dam was completed in 1958.",
        );
        assert!(matches!(f.number, Some(Conflict::Number { .. })), "{f:?}");
    }

    #[test]
    fn different_quantity_with_unit_conflicts_but_unrelated_numbers_do_not() {
        let f = find(
            "The lake holds 40 species of fish.",
            "Biologists have recorded 12 species of fish in the lake.",
        );
        assert!(matches!(f.number, Some(Conflict::Number { .. })), "{f:?}");
        // Different units: not the same quantity.
        assert!(find(
            "The lake holds 40 species of fish.",
            "The lake is 12 km long and home to many fish species."
        )
        .number
        .is_none());
    }

    #[test]
    fn negation_mismatch_conflicts() {
        let f = find(
            "Vaccines cause autism.",
            "Vaccines do not cause autism, as many studies have shown.",
        );
        assert!(
            matches!(
                f.negation,
                Some(Conflict::Negation {
                    in_claim: false,
                    ..
                })
            ),
            "{f:?}"
        );
        let f = find(
            "The minister never signed the treaty.",
            "The minister signed the treaty in March.",
        );
        assert!(
            matches!(f.negation, Some(Conflict::Negation { in_claim: true, .. })),
            "{f:?}"
        );
        // Both negated: agreement.
        assert!(find(
            "The drug does not reduce mortality.",
            "Trials found the drug did not reduce mortality."
        )
        .negation
        .is_none());
        // A negation about something else: no conflict.
        assert!(find(
            "The council approved the budget.",
            "The council approved the budget; the mayor was not present at the vote on parking."
        )
        .negation
        .is_none());
    }

    #[test]
    fn debunking_cue_conflicts() {
        let f = find(
            "There is evidence that the moon landing was staged.",
            "Claims that the moon landing was staged are a conspiracy theory with no evidence.",
        );
        assert!(matches!(f.debunk, Some(Conflict::Debunk { .. })), "{f:?}");
    }

    #[test]
    fn opposite_direction_words_conflict() {
        for (c, p) in [
            (
                "Arctic sea ice is increasing.",
                "Arctic sea ice has been declining for decades.",
            ),
            (
                "Global temperatures are rising.",
                "Global temperatures are falling.",
            ),
            ("The planet is cooling.", "The planet is warming rapidly."),
            (
                "Sea level rise is accelerating.",
                "Sea level rise is slowing.",
            ),
            (
                "Exports were higher this year.",
                "Exports were lower this year.",
            ),
        ] {
            let f = find(c, p);
            assert!(
                matches!(f.direction, Some(Conflict::Direction { .. })),
                "{c} / {p}: {f:?}"
            );
        }
        // Same direction, or opposite words about different things: no conflict.
        assert!(find(
            "Global temperatures are rising.",
            "Global temperatures keep rising."
        )
        .direction
        .is_none());
        assert!(find(
            "Wheat prices are rising.",
            "Wheat prices are rising while rainfall is falling."
        )
        .direction
        .is_none());
    }

    #[test]
    fn stance_combines_similarity_and_conflicts() {
        let c = cfg();
        let s = stance(
            "Global temperatures are rising.",
            "Global temperatures keep rising.",
            0.9,
            &c,
        );
        assert_eq!(s.stance, Stance::Supports);
        let s = stance(
            "Global temperatures are rising.",
            "Global temperatures are falling.",
            0.9,
            &c,
        );
        assert_eq!(s.stance, Stance::Refutes);
        assert!(s.conflict.is_some());
        // Low similarity: about something else, whatever the words.
        let s = stance(
            "Global temperatures are rising.",
            "Global temperatures are falling.",
            0.3,
            &c,
        );
        assert_eq!(s.stance, Stance::Neutral);
        // Similar but below the support threshold and no conflict: neutral.
        let s = stance(
            "Global temperatures are rising.",
            "Temperatures vary a lot.",
            0.65,
            &c,
        );
        assert_eq!(s.stance, Stance::Neutral);
    }

    #[test]
    fn a_claim_number_the_passage_does_not_state_blocks_support() {
        let mut c = cfg();
        let claim = "The observatory was founded in 1921.";
        let generic = "The observatory is a research institute on Mount Kessel.";
        assert_eq!(
            Conflicts::find(claim, generic, 0.05)
                .unstated_number
                .as_deref(),
            Some("1921")
        );
        assert_eq!(stance(claim, generic, 0.8, &c).stance, Stance::Neutral);
        c.support_needs_numbers = false;
        assert_eq!(stance(claim, generic, 0.8, &c).stance, Stance::Supports);
        let stated = "Founded in 1921, the observatory sits on Mount Kessel.";
        assert!(Conflicts::find(claim, stated, 0.05)
            .unstated_number
            .is_none());
    }

    #[test]
    fn token_regexes_compile_for_every_language() {
        for l in Language::ALL {
            let re = token_regex(&l.words().stance);
            assert!(re.is_match("12,000"));
        }
        let toks: Vec<&str> = TOKEN_RES[Language::English.index()]
            .find_iter("It doesn't rise 2,500.5% or 3°.")
            .map(|m| m.as_str())
            .collect();
        assert_eq!(
            toks,
            ["It", "doesn't", "rise", "2,500.5", "%", "or", "3", "°"]
        );
    }

    #[test]
    fn explicit_english_matches_the_default() {
        let (c, p) = (
            "Vaccines cause autism.",
            "Vaccines do not cause autism; the claim is a myth.",
        );
        let f = Conflicts::find_in(c, p, 0.05, Language::English);
        assert_eq!(f, find(c, p));
        assert!(f.negation.is_some() && f.debunk.is_some(), "{f:?}");
        assert_eq!(
            stance_in(c, p, 0.9, &cfg(), Language::English),
            stance(c, p, 0.9, &cfg())
        );
    }

    #[test]
    fn conflict_descriptions_are_plain_words() {
        let d = Conflict::Number {
            claim: "20%".into(),
            passage: "12%".into(),
        }
        .describe();
        assert_eq!(d, "it gives 12% where the claim says 20%");
    }
}
