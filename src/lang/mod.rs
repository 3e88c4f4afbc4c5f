//! The language seam: every word list and language choice the pipeline uses.
//!
//! Five stages read words of the article's language: sentence segmentation
//! (abbreviations, sentence openers), stance (stopwords, negations, direction
//! and debunking cues, number words), check-worthiness cues, the BM25 index's
//! stemmer, and the propaganda lexical cues. They read them through a
//! [`Language`] from its [`Lexicon`] ([`Language::words`]), so that the logic
//! files hold logic only and a language is one more module beside [`en`].
//!
//! Only English has word lists today; it is the default everywhere, and the
//! functions that take no language use it.
//!
//! ```
//! use veracity::lang::Language;
//!
//! let lang: Language = "en".parse().unwrap();
//! assert_eq!(lang, Language::English);
//! assert_eq!(lang.as_str(), "en");
//! assert!(lang.words().segment.never_break.contains(&"dr"));
//! assert!("xx".parse::<Language>().is_err());
//! ```

pub mod en;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language veracity has word lists for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Language {
    /// English (`en`), the default.
    #[default]
    #[serde(rename = "en")]
    English,
}

/// Errors from naming a language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageError {
    #[error("unknown language {code:?}: veracity has word lists for {known}")]
    Unknown { code: String, known: String },
}

impl Language {
    /// Every language, in a fixed order (see [`Language::index`]).
    pub const ALL: &'static [Language] = &[Language::English];

    /// The ISO 639-1 code, e.g. `"en"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "en",
        }
    }

    /// The English name of the language, e.g. `"English"`.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
        }
    }

    /// Position in [`Language::ALL`], for per-language caches.
    pub fn index(self) -> usize {
        match self {
            Language::English => 0,
        }
    }

    /// The language's word lists and choices.
    pub fn words(self) -> &'static Lexicon {
        match self {
            Language::English => &en::LEXICON,
        }
    }

    /// The stemmer of the BM25 index's text fields.
    pub fn stemmer(self) -> tantivy::tokenizer::Language {
        self.words().index.stemmer
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = LanguageError;

    /// Parse an ISO 639-1 code (`en`) or an English name (`English`),
    /// ignoring case and surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim();
        Language::ALL
            .iter()
            .copied()
            .find(|l| key.eq_ignore_ascii_case(l.as_str()) || key.eq_ignore_ascii_case(l.name()))
            .ok_or_else(|| LanguageError::Unknown {
                code: s.to_string(),
                known: Language::ALL
                    .iter()
                    .map(|l| format!("{} ({})", l.as_str(), l.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// All word lists and choices of one language, by stage.
#[derive(Debug)]
pub struct Lexicon {
    pub segment: SegmentLexicon,
    pub stance: StanceLexicon,
    pub claims: ClaimLexicon,
    pub index: IndexLexicon,
    pub propaganda: PropagandaLexicon,
}

/// Sentence segmentation ([`crate::text::segment`]). Every word is lower-case
/// and without its final period; segmentation compares lower-cased words.
#[derive(Debug)]
pub struct SegmentLexicon {
    /// Titles and forms that are never followed by a sentence break.
    pub never_break: &'static [&'static str],
    /// Abbreviations that never end a sentence when a number follows.
    pub before_number: &'static [&'static str],
    /// Abbreviations that end a sentence only before a common sentence opener.
    pub maybe_break: &'static [&'static str],
    /// Words that commonly open a sentence; after an ambiguous abbreviation
    /// they signal a boundary.
    pub openers: &'static [&'static str],
    /// Words after which a line break cannot end a sentence.
    pub continuation_words: &'static [&'static str],
}

/// Stance conflict checks ([`crate::verdict::stance`]). Words are lower-case
/// token forms, compared with lower-cased tokens.
#[derive(Debug)]
pub struct StanceLexicon {
    /// Regex of one word token (numbers and `%`/`°` are matched apart).
    pub word_pattern: &'static str,
    /// Words that carry no content: never used to match the two texts.
    pub stopwords: &'static [&'static str],
    /// A possessive ending stripped before stemming.
    pub possessive: &'static str,
    /// Suffixes the crude stemmer strips, the first that fits winning.
    pub stem_suffixes: &'static [&'static str],
    /// A final ending that a unit word's stem drops, so singular and plural
    /// units match.
    pub unit_stem_ending: &'static str,
    /// Scale words after a number, with their factor.
    pub scales: &'static [(&'static str, f64)],
    /// Numbers written as words, with their value.
    pub number_words: &'static [(&'static str, f64)],
    /// Words joining the two ends of a range ("2 to 4").
    pub range_words: &'static [&'static str],
    /// Words after a number that make it a percentage.
    pub percent_words: &'static [&'static str],
    /// Words after a number that make it a temperature or angle.
    pub degree_words: &'static [&'static str],
    /// Negation cues.
    pub negations: &'static [&'static str],
    /// Pairs of opposite direction families (word forms), checked in order.
    pub directions: &'static [(&'static [&'static str], &'static [&'static str])],
    /// Cues of a passage that calls its subject false, checked in order;
    /// cues with a space match as phrases, the others as whole tokens.
    pub debunk_cues: &'static [&'static str],
}

/// Check-worthiness cues ([`crate::claims::features`]). Each entry is one
/// alternative of a whole-word regex (so it may hold regex syntax, e.g.
/// `dollars?`); lists marked case-insensitive are matched ignoring case.
#[derive(Debug)]
pub struct ClaimLexicon {
    /// Numbers written as words (case-insensitive).
    pub number_words: &'static [&'static str],
    /// Words of percentages (case-insensitive).
    pub percent_words: &'static [&'static str],
    /// Money words (case-insensitive); currency signs count too.
    pub currency_words: &'static [&'static str],
    /// Month and weekday names and abbreviations (case-sensitive).
    pub calendar_words: &'static [&'static str],
    /// Words before a period of time in a relative date (case-insensitive).
    pub relative_time_words: &'static [&'static str],
    /// Periods of time in a relative date (case-insensitive).
    pub relative_time_units: &'static [&'static str],
    /// Other date phrases (case-insensitive).
    pub time_phrases: &'static [&'static str],
    /// Scale words (case-insensitive).
    pub scale_words: &'static [&'static str],
    /// Units and counted things (case-insensitive).
    pub unit_words: &'static [&'static str],
    /// Lower-case words that may join the capitalised words of one name
    /// ("Bank of England").
    pub name_joiners: &'static [&'static str],
    /// Capitalised words that are pronouns, not names.
    pub capitalised_pronouns: &'static [&'static str],
    /// Attribution verbs and sources (case-insensitive).
    pub attribution_words: &'static [&'static str],
    /// Change verbs (case-insensitive).
    pub change_words: &'static [&'static str],
    /// Comparatives and superlatives (case-insensitive).
    pub comparative_words: &'static [&'static str],
    /// A regex of a superlative by its ending.
    pub superlative_pattern: &'static str,
    /// First-person singular forms (case-sensitive).
    pub first_person_singular: &'static [&'static str],
    /// First-person plural forms (case-insensitive).
    pub first_person_plural: &'static [&'static str],
    /// Second-person forms (case-insensitive).
    pub second_person: &'static [&'static str],
    /// Opinion and modal words (case-insensitive).
    pub opinion_words: &'static [&'static str],
}

/// The BM25 index ([`crate::corpus::index`]).
#[derive(Debug)]
pub struct IndexLexicon {
    /// Name of the tantivy tokenizer of the indexed text fields (stored in
    /// the index schema).
    pub tokenizer: &'static str,
    /// Stemmer of that tokenizer.
    pub stemmer: tantivy::tokenizer::Language,
}

/// Propaganda lexical cues ([`crate::propaganda::features`]). Words are
/// lower-case.
#[derive(Debug)]
pub struct PropagandaLexicon {
    /// Characters that join letters into one word (an apostrophe); trimmed
    /// from both ends of a word.
    pub word_joiners: &'static [char],
    /// Superlative words.
    pub superlatives: &'static [&'static str],
    /// The ending of other superlatives (in words longer than 5 bytes).
    pub superlative_suffix: &'static str,
    /// Endings of words that end like a superlative but are not one.
    pub superlative_exceptions: &'static [&'static str],
    /// Intensifiers and absolutes.
    pub intensifiers: &'static [&'static str],
}

#[cfg(test)]
mod tests;
