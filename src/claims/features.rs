//! Surface cues of check-worthy factual sentences.
//!
//! Each cue is a small count or flag; the head standardises them with the
//! training mean and deviation stored in the head file. Positive cues:
//! numbers, percentages, currency, years and dates, quantities and units,
//! capitalised names not at the sentence start, attribution verbs, change
//! verbs, comparatives and superlatives. Negative cues: first- and
//! second-person pronouns, questions, exclamations, opinion and modal words.

use once_cell::sync::Lazy;
use regex::Regex;

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
    Regex::new(p).expect("cue regexes are valid")
}

static NUMBER: Lazy<Regex> = Lazy::new(|| re(r"\d+(?:[.,]\d+)*"));
static NUMBER_WORD: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|half|twice|double|triple)\b",
    )
});
static PERCENT: Lazy<Regex> = Lazy::new(|| re(r"(?i)%|\bper ?cent\b|\bpercentage\b"));
static CURRENCY: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)[$€£¥]|\b(?:dollars?|euros?|pounds sterling|yen|usd|eur|gbp|budget|tax(?:es)?|deficit|debt|spending|spend|cost)\b",
    )
});
static YEAR: Lazy<Regex> = Lazy::new(|| re(r"\b(?:1[89]\d\d|20\d\d)s?\b|'\d\ds\b"));
static MONTH: Lazy<Regex> = Lazy::new(|| {
    re(
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|(?i)\b(?:last|this|next) (?:year|month|week|decade|century)\b|\b(?:years? ago|since)\b",
    )
});
static SCALE: Lazy<Regex> =
    Lazy::new(|| re(r"(?i)\b(?:thousands?|millions?|billions?|trillions?|hundreds?|bn|mn)\b"));
static UNIT: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:km|kilomet(?:er|re)s?|miles?|kg|kilograms?|tons?|tonnes?|degrees?|acres?|gallons?|barrels?|met(?:er|re)s?|feet|foot|pounds|hours?|days?|weeks?|months?|years?|jobs|people|workers|troops|soldiers|students|children|families|percent|points?|votes?|times)\b",
    )
});
static CAPITALISED: Lazy<Regex> =
    Lazy::new(|| re(r"\b[A-Z][a-zA-Z'’-]+(?:\s+(?:of\s+|the\s+)?[A-Z][a-zA-Z'’-]+)*"));
static ATTRIBUTION: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:said|says|according to|reported|reports|announced|told|stated|claimed|claims|estimated|estimates|showed|shows|found|revealed|confirmed|data|survey|study|poll|statistics|census|report)\b",
    )
});
static CHANGE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:increased?|increases|decreased?|decreases|rose|risen|rising|fell|fallen|falling|grew|grown|growing|dropped|declined?|cut|cuts|raised?|doubled|tripled|tripled|halved|lost|gained|added|created|voted|passed|signed|spent|paid|killed|died|won|elected|invested|reduced)\b",
    )
});
static COMPARATIVE: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:more|less|fewer|most|least|than|higher|lower|larger|smaller|bigger|greater|largest|biggest|highest|lowest|smallest|greatest|best|worst|record|only|every|never|first|last|all)\b|\b\w{3,}est\b",
    )
});
static FIRST_PERSON: Lazy<Regex> = Lazy::new(|| {
    re(
        r"\b(?:I|I'm|I've|I'll|I'd|me|my|mine|myself)\b|(?i)\b(?:we|we're|we've|we'll|us|our|ours)\b",
    )
});
static SECOND_PERSON: Lazy<Regex> = Lazy::new(|| re(r"(?i)\b(?:you|you're|you've|your|yours)\b"));
static OPINION: Lazy<Regex> = Lazy::new(|| {
    re(
        r"(?i)\b(?:think|believe|feel|hope|want|wish|should|must|ought|going to|gonna|will|would|could|might|may|maybe|perhaps|let's|let me|thank|thanks|great|wonderful|terrible|wrong|right|agree|disagree|love|hate)\b",
    )
});

fn count(r: &Regex, s: &str) -> f32 {
    r.find_iter(s).count() as f32
}

fn log1p(x: f32) -> f32 {
    x.ln_1p()
}

/// Capitalised spans that do not start the sentence (names, organisations,
/// places); the pronoun "I" does not count.
fn capitalised_spans(s: &str) -> f32 {
    let first_word_end = s
        .char_indices()
        .find(|&(i, c)| i > 0 && c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    CAPITALISED
        .find_iter(s)
        .filter(|m| m.start() >= first_word_end)
        .filter(|m| !matches!(m.as_str(), "I" | "I'm" | "I've" | "I'll" | "I'd"))
        .count() as f32
}

/// The cue vector of one sentence, in [`CUE_NAMES`] order.
pub fn cues(sentence: &str) -> Vec<f32> {
    let s = sentence.trim();
    let words: Vec<&str> = s.split_whitespace().collect();
    let n_tokens = words.len() as f32;
    let long_words = words
        .iter()
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 7)
        .count() as f32;
    let numbers = count(&NUMBER, s) + count(&NUMBER_WORD, s);
    let last = s
        .trim_end_matches(['"', '\'', '”', '’', ')'])
        .chars()
        .next_back();
    let v = vec![
        log1p(numbers),
        f32::from(NUMBER.is_match(s)),
        log1p(count(&PERCENT, s)),
        log1p(count(&CURRENCY, s)),
        log1p(count(&YEAR, s)),
        log1p(count(&MONTH, s)),
        log1p(count(&SCALE, s)),
        log1p(count(&UNIT, s)),
        log1p(capitalised_spans(s)),
        log1p(count(&ATTRIBUTION, s)),
        log1p(count(&CHANGE, s)),
        log1p(count(&COMPARATIVE, s)),
        log1p(count(&FIRST_PERSON, s)),
        log1p(count(&SECOND_PERSON, s)),
        f32::from(last == Some('?') || s.contains("? ")),
        f32::from(last == Some('!')),
        log1p(count(&OPINION, s)),
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
