//! English word lists and choices (the default [`Language`](super::Language)).
//!
//! Each list is used by one stage, through [`LEXICON`]; see the field docs of
//! [`Lexicon`] for how the stage reads it.

use super::{
    ClaimLexicon, IndexLexicon, Lexicon, PropagandaLexicon, SegmentLexicon, StanceLexicon,
};

/// The English lexicon.
pub static LEXICON: Lexicon = Lexicon {
    segment: SegmentLexicon {
        never_break: NEVER_BREAK,
        before_number: BEFORE_NUMBER,
        maybe_break: MAYBE_BREAK,
        openers: OPENERS,
        continuation_words: CONTINUATION_WORDS,
    },
    stance: StanceLexicon {
        word_pattern: WORD_PATTERN,
        stopwords: STOPWORDS,
        possessive: POSSESSIVE,
        stem_suffixes: STEM_SUFFIXES,
        unit_stem_ending: UNIT_STEM_ENDING,
        scales: SCALES,
        number_words: NUMBER_WORDS,
        range_words: RANGE_WORDS,
        percent_words: PERCENT_WORDS,
        degree_words: DEGREE_WORDS,
        negations: NEGATIONS,
        directions: DIRECTIONS,
        debunk_cues: DEBUNK_CUES,
    },
    claims: ClaimLexicon {
        number_words: CLAIM_NUMBER_WORDS,
        percent_words: CLAIM_PERCENT_WORDS,
        currency_words: CLAIM_CURRENCY_WORDS,
        calendar_words: CLAIM_CALENDAR_WORDS,
        relative_time_words: CLAIM_RELATIVE_TIME_WORDS,
        relative_time_units: CLAIM_RELATIVE_TIME_UNITS,
        time_phrases: CLAIM_TIME_PHRASES,
        scale_words: CLAIM_SCALE_WORDS,
        unit_words: CLAIM_UNIT_WORDS,
        name_joiners: CLAIM_NAME_JOINERS,
        capitalised_pronouns: CLAIM_CAPITALISED_PRONOUNS,
        attribution_words: CLAIM_ATTRIBUTION_WORDS,
        change_words: CLAIM_CHANGE_WORDS,
        comparative_words: CLAIM_COMPARATIVE_WORDS,
        superlative_pattern: CLAIM_SUPERLATIVE_PATTERN,
        first_person_singular: CLAIM_FIRST_PERSON_SINGULAR,
        first_person_plural: CLAIM_FIRST_PERSON_PLURAL,
        second_person: CLAIM_SECOND_PERSON,
        opinion_words: CLAIM_OPINION_WORDS,
    },
    index: IndexLexicon {
        tokenizer: TOKENIZER,
        stemmer: tantivy::tokenizer::Language::English,
    },
    propaganda: PropagandaLexicon {
        word_joiners: WORD_JOINERS,
        superlatives: SUPERLATIVES,
        superlative_suffix: SUPERLATIVE_SUFFIX,
        superlative_exceptions: SUPERLATIVE_EXCEPTIONS,
        intensifiers: INTENSIFIERS,
    },
};

// ---------------------------------------------------------------------------
// Sentence segmentation

/// Titles and forms that are never followed by a sentence break.
pub const NEVER_BREAK: &[&str] = &[
    "mr", "mrs", "ms", "messrs", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "maj",
    "capt", "cpt", "sgt", "cmdr", "adm", "st", "mt", "ft", "rev", "hon", "pres", "supt", "insp",
    "e.g", "i.e", "vs", "cf", "approx", "ca", "viz", "al", "mme", "mlle", "fr",
];

/// Abbreviations that never end a sentence when a number follows.
pub const BEFORE_NUMBER: &[&str] = &[
    "no", "nos", "p", "pp", "vol", "vols", "ch", "chap", "fig", "figs", "art", "sec", "para",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "rt",
    "op", "ed", "ex", "tel", "ext", "est", "ca",
];

/// Abbreviations that end a sentence only before a common sentence opener.
pub const MAYBE_BREAK: &[&str] = &[
    "inc", "corp", "ltd", "co", "llc", "plc", "bros", "jr", "sr", "etc", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed",
    "thu", "thur", "thurs", "fri", "sat", "sun", "dept", "univ", "assn", "bldg", "ave", "blvd",
    "rd", "hwy", "est", "min", "max", "avg", "misc", "govt", "intl", "natl", "ph.d", "m.d",
];

/// Words that commonly open a sentence; after an ambiguous abbreviation they
/// signal a boundary.
pub const OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "in",
    "on",
    "at",
    "for",
    "by",
    "with",
    "from",
    "to",
    "of",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "his",
    "her",
    "its",
    "their",
    "our",
    "my",
    "your",
    "however",
    "meanwhile",
    "after",
    "before",
    "when",
    "while",
    "if",
    "as",
    "according",
    "one",
    "some",
    "many",
    "most",
    "other",
    "last",
    "next",
    "then",
    "now",
    "still",
    "also",
    "even",
    "under",
    "over",
    "despite",
    "although",
    "though",
    "since",
    "both",
    "all",
    "no",
    "not",
    "only",
    "what",
    "why",
    "how",
    "who",
    "where",
    "officials",
    "analysts",
    "critics",
    "experts",
    "earlier",
    "later",
    "today",
    "yesterday",
    "tomorrow",
    "during",
    "because",
    "instead",
    "such",
    "each",
    "every",
    "more",
    "mr",
    "mrs",
    "ms",
    "dr",
    "shares",
    "sales",
    "revenue",
    "profit",
];

/// Words after which a line break cannot end a sentence.
pub const CONTINUATION_WORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "with", "by", "and", "or",
    "but", "that", "which", "who", "whose", "as", "than", "into", "onto", "its", "their", "his",
    "her", "our", "is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would",
    "said", "says", "about", "after", "before", "between", "over", "under", "per", "if", "when",
];

// ---------------------------------------------------------------------------
// Stance

/// One word token: ASCII letters with at most one inner apostrophe
/// ("doesn't", "Freedonia's").
pub const WORD_PATTERN: &str = r"[A-Za-z]+(?:'[A-Za-z]+)?";

/// Words that carry no content: never used to match words across the claim
/// and the passage, nor as a number's unit or context.
pub const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "has",
    "have",
    "had",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "which",
    "who",
    "whom",
    "what",
    "than",
    "then",
    "there",
    "their",
    "they",
    "them",
    "he",
    "she",
    "his",
    "her",
    "we",
    "our",
    "you",
    "your",
    "i",
    "my",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "should",
    "shall",
    "do",
    "does",
    "did",
    "about",
    "into",
    "over",
    "under",
    "after",
    "before",
    "since",
    "during",
    "between",
    "per",
    "also",
    "such",
    "so",
    "but",
    "if",
    "because",
    "while",
    "some",
    "any",
    "all",
    "most",
    "other",
    "each",
    "s",
    "said",
    "says",
    "say",
    "according",
    "year",
    "years",
    "percent",
    "cent",
    "million",
    "billion",
    "thousand",
    "trillion",
    "around",
    "approximately",
    "nearly",
    "almost",
    "only",
    "just",
    "up",
    "more",
    "less",
    "new",
    "one",
    "two",
    "three",
];

/// The possessive ending stripped before stemming.
pub const POSSESSIVE: &str = "'s";

/// Suffixes of the crude stemmer, enough to match "warming"/"warmed"/"warms";
/// the first that leaves more than three letters is stripped.
pub const STEM_SUFFIXES: &[&str] = &[
    "ations", "ation", "ingly", "ings", "ing", "edly", "ed", "es", "ly", "s",
];

/// The ending a unit word's stem drops, so that "metre"/"metres" and
/// "vehicle"/"vehicles" share one stem.
pub const UNIT_STEM_ENDING: &str = "e";

/// Scale words after a number, with their factor ("2.5 million").
pub const SCALES: &[(&str, f64)] = &[
    ("thousand", 1e3),
    ("million", 1e6),
    ("billion", 1e9),
    ("trillion", 1e12),
];

/// Numbers written as words, with their value.
pub const NUMBER_WORDS: &[(&str, f64)] = &[
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("twenty", 20.0),
    ("hundred", 100.0),
    ("dozen", 12.0),
];

/// Words joining the two ends of a range: "2 to 4", "between 2 and 4".
pub const RANGE_WORDS: &[&str] = &["to", "and"];

/// Words after a number that make it a percentage ("5 percent", "5 per cent").
pub const PERCENT_WORDS: &[&str] = &["percent", "per"];

/// Words after a number that make it degrees.
pub const DEGREE_WORDS: &[&str] = &["degrees", "degree"];

/// Negation cues: a negation next to words the two texts share, on one side
/// only, is a conflict.
pub const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "neither",
    "nor",
    "cannot",
    "without",
    "nothing",
    "nobody",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "don't",
    "doesn't",
    "didn't",
    "won't",
    "can't",
    "couldn't",
    "hasn't",
    "haven't",
    "hadn't",
    "shouldn't",
    "wouldn't",
    "denied",
    "denies",
    "deny",
    "unlikely",
    "lack",
    "lacks",
    "fails",
    "failed",
];

/// Pairs of opposite direction families (stems / word forms).
pub const DIRECTIONS: &[(&[&str], &[&str])] = &[
    (
        &[
            "rise",
            "rising",
            "rose",
            "risen",
            "rises",
            "increase",
            "increasing",
            "increased",
            "increases",
            "grow",
            "growing",
            "grew",
            "grown",
            "grows",
            "growth",
            "gain",
            "gains",
            "gained",
            "gaining",
            "climb",
            "climbing",
            "climbed",
            "surge",
            "surged",
            "soar",
            "soared",
            "expand",
            "expanding",
            "expanded",
            "higher",
            "more",
            "greater",
            "larger",
            "up",
        ],
        &[
            "fall",
            "falling",
            "fell",
            "fallen",
            "falls",
            "decrease",
            "decreasing",
            "decreased",
            "decreases",
            "decline",
            "declining",
            "declined",
            "declines",
            "drop",
            "dropping",
            "dropped",
            "drops",
            "shrink",
            "shrinking",
            "shrank",
            "shrunk",
            "loss",
            "losses",
            "lose",
            "losing",
            "lost",
            "plunge",
            "plunged",
            "contract",
            "contracted",
            "lower",
            "less",
            "fewer",
            "smaller",
            "down",
            "reduce",
            "reduced",
            "reducing",
            "reduction",
        ],
    ),
    (
        &[
            "warming", "warmer", "warm", "warmed", "warms", "heating", "hotter",
        ],
        &["cooling", "cooler", "cool", "cooled", "cools", "colder"],
    ),
    (
        &[
            "accelerating",
            "accelerate",
            "accelerated",
            "accelerates",
            "acceleration",
            "faster",
            "speeding",
        ],
        &[
            "slowing",
            "slow",
            "slowed",
            "slows",
            "slower",
            "decelerating",
            "decelerated",
            "deceleration",
            "stalled",
            "paused",
            "pause",
            "hiatus",
        ],
    ),
];

/// Cues of a passage that calls its subject a myth, a hoax, false, debunked
/// or without evidence. The first cue found is reported, so longer phrases
/// come before the words they contain.
pub const DEBUNK_CUES: &[&str] = &[
    "no evidence",
    "little evidence",
    "no scientific evidence",
    "not supported by",
    "is a myth",
    "myth",
    "hoax",
    "debunked",
    "false",
    "falsely",
    "untrue",
    "unfounded",
    "misconception",
    "disproven",
    "disproved",
    "refuted",
    "discredited",
    "conspiracy theory",
    "misleading",
    "erroneous",
    "incorrect",
    "wrongly",
];

// ---------------------------------------------------------------------------
// Check-worthiness cues: alternatives of whole-word regexes (see
// `ClaimLexicon`), so an entry may hold regex syntax.

/// Numbers written as words.
pub const CLAIM_NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "hundred", "dozen", "half", "twice", "double", "triple",
];

/// Words of percentages.
pub const CLAIM_PERCENT_WORDS: &[&str] = &["per ?cent", "percentage"];

/// Money words: currencies and public-finance terms.
pub const CLAIM_CURRENCY_WORDS: &[&str] = &[
    "dollars?",
    "euros?",
    "pounds sterling",
    "yen",
    "usd",
    "eur",
    "gbp",
    "budget",
    "tax(?:es)?",
    "deficit",
    "debt",
    "spending",
    "spend",
    "cost",
];

/// Month and weekday names and abbreviations (case-sensitive).
pub const CLAIM_CALENDAR_WORDS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sept?",
    "Oct",
    "Nov",
    "Dec",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Words before a period of time in a relative date ("last year").
pub const CLAIM_RELATIVE_TIME_WORDS: &[&str] = &["last", "this", "next"];

/// Periods of time in a relative date.
pub const CLAIM_RELATIVE_TIME_UNITS: &[&str] = &["year", "month", "week", "decade", "century"];

/// Other date phrases.
pub const CLAIM_TIME_PHRASES: &[&str] = &["years? ago", "since"];

/// Scale words.
pub const CLAIM_SCALE_WORDS: &[&str] = &[
    "thousands?",
    "millions?",
    "billions?",
    "trillions?",
    "hundreds?",
    "bn",
    "mn",
];

/// Units and counted things.
pub const CLAIM_UNIT_WORDS: &[&str] = &[
    "km",
    "kilomet(?:er|re)s?",
    "miles?",
    "kg",
    "kilograms?",
    "tons?",
    "tonnes?",
    "degrees?",
    "acres?",
    "gallons?",
    "barrels?",
    "met(?:er|re)s?",
    "feet",
    "foot",
    "pounds",
    "hours?",
    "days?",
    "weeks?",
    "months?",
    "years?",
    "jobs",
    "people",
    "workers",
    "troops",
    "soldiers",
    "students",
    "children",
    "families",
    "percent",
    "points?",
    "votes?",
    "times",
];

/// Lower-case words that may join the capitalised words of one name
/// ("Bank of England", "Prince of the Netherlands").
pub const CLAIM_NAME_JOINERS: &[&str] = &["of", "the"];

/// Capitalised words that are pronouns, not names.
pub const CLAIM_CAPITALISED_PRONOUNS: &[&str] = &["I", "I'm", "I've", "I'll", "I'd"];

/// Attribution verbs and sources.
pub const CLAIM_ATTRIBUTION_WORDS: &[&str] = &[
    "said",
    "says",
    "according to",
    "reported",
    "reports",
    "announced",
    "told",
    "stated",
    "claimed",
    "claims",
    "estimated",
    "estimates",
    "showed",
    "shows",
    "found",
    "revealed",
    "confirmed",
    "data",
    "survey",
    "study",
    "poll",
    "statistics",
    "census",
    "report",
];

/// Change verbs.
pub const CLAIM_CHANGE_WORDS: &[&str] = &[
    "increased?",
    "increases",
    "decreased?",
    "decreases",
    "rose",
    "risen",
    "rising",
    "fell",
    "fallen",
    "falling",
    "grew",
    "grown",
    "growing",
    "dropped",
    "declined?",
    "cut",
    "cuts",
    "raised?",
    "doubled",
    "tripled",
    "halved",
    "lost",
    "gained",
    "added",
    "created",
    "voted",
    "passed",
    "signed",
    "spent",
    "paid",
    "killed",
    "died",
    "won",
    "elected",
    "invested",
    "reduced",
];

/// Comparatives, superlatives and absolutes.
pub const CLAIM_COMPARATIVE_WORDS: &[&str] = &[
    "more", "less", "fewer", "most", "least", "than", "higher", "lower", "larger", "smaller",
    "bigger", "greater", "largest", "biggest", "highest", "lowest", "smallest", "greatest", "best",
    "worst", "record", "only", "every", "never", "first", "last", "all",
];

/// First-person singular forms (case-sensitive: "I", not "i").
pub const CLAIM_FIRST_PERSON_SINGULAR: &[&str] = &[
    "I", "I'm", "I've", "I'll", "I'd", "me", "my", "mine", "myself",
];

/// First-person plural forms.
pub const CLAIM_FIRST_PERSON_PLURAL: &[&str] =
    &["we", "we're", "we've", "we'll", "us", "our", "ours"];

/// Second-person forms.
pub const CLAIM_SECOND_PERSON: &[&str] = &["you", "you're", "you've", "your", "yours"];

/// Opinion, modal and conversational words.
pub const CLAIM_OPINION_WORDS: &[&str] = &[
    "think",
    "believe",
    "feel",
    "hope",
    "want",
    "wish",
    "should",
    "must",
    "ought",
    "going to",
    "gonna",
    "will",
    "would",
    "could",
    "might",
    "may",
    "maybe",
    "perhaps",
    "let's",
    "let me",
    "thank",
    "thanks",
    "great",
    "wonderful",
    "terrible",
    "wrong",
    "right",
    "agree",
    "disagree",
    "love",
    "hate",
];

/// A superlative by its ending: a word of at least three characters before
/// "est".
pub const CLAIM_SUPERLATIVE_PATTERN: &str = r"\b\w{3,}est\b";

// ---------------------------------------------------------------------------
// Index

/// The tantivy tokenizer of the indexed text fields: tantivy's built-in
/// `en_stem` (simple tokenizer, long tokens removed, lower-cased, English
/// Snowball stemmer).
pub const TOKENIZER: &str = "en_stem";

// ---------------------------------------------------------------------------
// Propaganda lexical cues

/// Characters that join letters into one word ("won't"); trimmed from the
/// ends of a word ("'traitors'").
pub const WORD_JOINERS: &[char] = &['\''];

/// Superlatives counted whatever their ending.
pub const SUPERLATIVES: &[&str] = &["most", "least", "best", "worst"];

/// The ending of other superlatives ("greatest").
pub const SUPERLATIVE_SUFFIX: &str = "est";

/// Endings of words that end in "est" but are not superlatives.
pub const SUPERLATIVE_EXCEPTIONS: &[&str] = &["interest"];

/// Intensifiers and absolutes counted by the `intensifiers` lexical cue.
pub const INTENSIFIERS: &[&str] = &[
    "very",
    "extremely",
    "totally",
    "absolutely",
    "completely",
    "utterly",
    "truly",
    "incredibly",
    "entirely",
    "massive",
    "huge",
    "enormous",
    "terrible",
    "horrible",
    "disgusting",
    "outrageous",
    "shocking",
    "evil",
    "never",
    "always",
    "everyone",
    "nobody",
    "all",
];
