//! Surface cues of check-worthy factual sentences.
//!
//! Each cue is a small count or flag; the head standardises them with the
//! training mean and deviation stored in the head file. Positive cues:
//! numbers, percentages, currency, years and dates, quantities and units,
//! capitalised names not at the sentence start, attribution verbs, change
//! verbs, comparatives and superlatives. Negative cues: first- and
//! second-person pronouns, questions, exclamations, opinion and modal words.
//!
//! The cue words are the language's [`ClaimLexicon`]: [`cues`] uses English,
//! [`cues_in`] any [`Language`].

use once_cell::sync::Lazy;
use regex::Regex;

use crate::lang::{ClaimLexicon, Language};

/// Names of the cue features, in vector order.
pub const CUE_NAMES: &[&str] = &[
    "numbers",
    "has_number",
    "percent",
    "currency",
    "year",
    "month_or_day",
    "scale_word",
    "unit",
    "names",
    "attribution",
    "change_verb",
    "comparative",
    "first_person",
    "second_person",
    "question",
    "exclamation",
    "opinion_modal",
    "quote",
    "log_tokens",
    "long_word_ratio",
];

fn re(p: &str) -> Regex {
    Regex::new(p).expect("cue regexes are valid (checked by a unit test for every language)")
}

/// `\b(?:a|b|c)\b`: any of `words` as a whole word.
fn any_word(words: &[&str]) -> String {
    format!(r"\b(?:{})\b", words.join("|"))
}

/// The cue regexes of one language.
struct CueRegexes {
    number_word: Regex,
    percent: Regex,
    currency: Regex,
    month: Regex,
    scale: Regex,
    unit: Regex,
    capitalised: Regex,
    attribution: Regex,
    change: Regex,
    comparative: Regex,
    first_person: Regex,
    second_person: Regex,
    opinion: Regex,
    /// Capitalised words that are not names.
    pronouns: &'static [&'static str],
}

impl CueRegexes {
    fn new(w: &'static ClaimLexicon) -> Self {
        let ci = |words: &[&str]| re(&format!("(?i){}", any_word(words)));
        let joiners: Vec<String> = w.name_joiners.iter().map(|j| format!(r"{j}\s+")).collect();
        CueRegexes {
            number_word: ci(w.number_words),
            percent: re(&format!(
                "(?i)%|{}",
                w.percent_words
                    .iter()
                    .map(|p| format!(r"\b{p}\b"))
                    .collect::<Vec<_>>()
                    .join("|")
            )),
            currency: re(&format!("(?i)[$€£¥]|{}", any_word(w.currency_words))),
            month: re(&format!(
                r"{}|(?i)\b(?:{}) (?:{})\b|{}",
                any_word(w.calendar_words),
                w.relative_time_words.join("|"),
                w.relative_time_units.join("|"),
                any_word(w.time_phrases)
            )),
            scale: ci(w.scale_words),
            unit: ci(w.unit_words),
            capitalised: re(&format!(
                r"\b[A-Z][a-zA-Z'’-]+(?:\s+(?:{})?[A-Z][a-zA-Z'’-]+)*",
                joiners.join("|")
            )),
            attribution: ci(w.attribution_words),
            change: ci(w.change_words),
            comparative: re(&format!(
                "(?i){}|{}",
                any_word(w.comparative_words),
                w.superlative_pattern
            )),
            first_person: re(&format!(
                "{}|(?i){}",
                any_word(w.first_person_singular),
                any_word(w.first_person_plural)
            )),
            second_person: ci(w.second_person),
            opinion: ci(w.opinion_words),
            pronouns: w.capitalised_pronouns,
        }
    }
}

/// Number of digits, with decimal or thousands separators (any language).
static NUMBER: Lazy<Regex> = Lazy::new(|| re(r"\d+(?:[.,]\d+)*"));
/// Years 1800–2099 (and decades: "1990s", "'90s").
static YEAR: Lazy<Regex> = Lazy::new(|| re(r"\b(?:1[89]\d\d|20\d\d)s?\b|'\d\ds\b"));
/// The cue regexes of each language, in [`Language::ALL`] order.
static CUES: Lazy<Vec<CueRegexes>> = Lazy::new(|| {
    Language::ALL
        .iter()
        .map(|l| CueRegexes::new(&l.words().claims))
        .collect()
});

fn count(r: &Regex, s: &str) -> f32 {
    r.find_iter(s).count() as f32
}

fn log1p(x: f32) -> f32 {
    x.ln_1p()
}

/// Capitalised spans that do not start the sentence (names, organisations,
/// places); the pronoun "I" does not count.
fn capitalised_spans(r: &CueRegexes, s: &str) -> f32 {
    let first_word_end = s
        .char_indices()
        .find(|&(i, c)| i > 0 && c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    r.capitalised
        .find_iter(s)
        .filter(|m| m.start() >= first_word_end)
        .filter(|m| !r.pronouns.contains(&m.as_str()))
        .count() as f32
}

/// The cue vector of one English sentence, in [`CUE_NAMES`] order.
pub fn cues(sentence: &str) -> Vec<f32> {
    cues_in(sentence, Language::English)
}

/// The cue vector of one sentence in `lang`, in [`CUE_NAMES`] order.
pub fn cues_in(sentence: &str, lang: Language) -> Vec<f32> {
    let r = &CUES[lang.index()];
    let s = sentence.trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    let n_tokens = words.len() as f32;
    let long_words = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 7)
        .count() as f32;
    let numbers = count(&NUMBER, s) + count(&r.number_word, s);
    let last = s
        .trim_end_matches(['"', '\'', '”', '’', ')'])
        .chars()
        .next_back();
    let v = vec![
        log1p(numbers),
        f32::from(NUMBER.is_match(s)),
        log1p(count(&r.percent, s)),
        log1p(count(&r.currency, s)),
        log1p(count(&YEAR, s)),
        log1p(count(&r.month, s)),
        log1p(count(&r.scale, s)),
        log1p(count(&r.unit, s)),
        log1p(capitalised_spans(r, s)),
        log1p(count(&r.attribution, s)),
        log1p(count(&r.change, s)),
        log1p(count(&r.comparative, s)),
        log1p(count(&r.first_person, s)),
        log1p(count(&r.second_person, s)),
        f32::from(last == Some('?') || s.contains("? ")),
        f32::from(last == Some('!')),
        log1p(count(&r.opinion, s)),
        f32::from(s.contains(['"', '“', '”'])),
        log1p(n_tokens),
        if n_tokens > 0.0 {
            long_words / n_tokens
        } else {
            0.0
        },
    ];
    debug_assert_eq!(v.len(), CUE_NAMES.len());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(s: &str, name: &str) -> f32 {
        let i = CUE_NAMES.iter().position(|n| *n == name).unwrap();
        cues(s)[i]
    }

    #[test]
    fn vector_has_one_value_per_name() {
        assert_eq!(cues("").len(), CUE_NAMES.len());
        assert!(cues("").iter().all(|v| *v == 0.0));
    }

    #[test]
    fn factual_cues_fire() {
        let s = "Unemployment fell to 3.9% in March 2018, the Labor Department said.";
        assert!(cue(s, "has_number") == 1.0);
        assert!(cue(s, "percent") > 0.0);
        assert!(cue(s, "year") > 0.0);
        assert!(cue(s, "month_or_day") > 0.0);
        assert!(cue(s, "attribution") > 0.0);
        assert!(cue(s, "change_verb") > 0.0);
        assert!(cue(s, "names") > 0.0, "Labor Department is a name");
        assert_eq!(cue(s, "question"), 0.0);
        assert_eq!(cue(s, "first_person"), 0.0);
        assert!(cue("It cost $4.2 billion.", "currency") > 0.0);
        assert!(cue("It cost $4.2 billion.", "scale_word") > 0.0);
    }

    #[test]
    fn explicit_english_matches_the_default() {
        for s in [
            "Unemployment fell to 3.9% in March 2018, the Bank of England said.",
            "What do you think we should do?",
        ] {
            assert_eq!(cues_in(s, Language::English), cues(s));
        }
    }

    #[test]
    fn negative_cues_fire() {
        let s = "What do you think we should do?";
        assert_eq!(cue(s, "question"), 1.0);
        assert!(cue(s, "second_person") > 0.0);
        assert!(cue(s, "first_person") > 0.0);
        assert!(cue(s, "opinion_modal") > 0.0);
        assert_eq!(
            cue(s, "names"),
            0.0,
            "sentence-initial capital is not a name"
        );
        assert_eq!(cue("What a wonderful day!", "exclamation"), 1.0);
        assert_eq!(cue("So I said it.", "names"), 0.0);
    }
}
