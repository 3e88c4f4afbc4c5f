use std::collections::HashSet;

use super::*;

fn assert_unique(name: &str, words: &[&str]) {
    let mut seen = HashSet::new();
    for w in words {
        assert!(seen.insert(*w), "{name}: {w:?} is listed twice");
    }
}

fn assert_lists(name: &str, words: &[&str], lower: bool) {
    assert!(!words.is_empty(), "{name} is empty");
    assert_unique(name, words);
    for w in words {
        assert!(!w.is_empty(), "{name}: empty entry");
        assert_eq!(w.trim(), *w, "{name}: {w:?} has surrounding space");
        if lower {
            assert_eq!(w.to_lowercase(), *w, "{name}: {w:?} must be lower-case");
        }
    }
}

#[test]
fn code_round_trips_and_english_is_the_default() {
    assert_eq!(Language::default(), Language::English);
    for (i, &l) in Language::ALL.iter().enumerate() {
        assert_eq!(l.index(), i);
        assert_eq!(l.as_str().parse::<Language>(), Ok(l));
        assert_eq!(l.to_string().parse::<Language>(), Ok(l));
        assert_eq!(l.name().parse::<Language>(), Ok(l));
    }
    assert_eq!(" EN ".parse::<Language>(), Ok(Language::English));
    assert_eq!("english".parse::<Language>(), Ok(Language::English));
    assert_eq!(
        Language::English.stemmer(),
        tantivy::tokenizer::Language::English
    );
}

#[test]
fn unknown_language_is_a_clear_error() {
    let e = "fr".parse::<Language>().unwrap_err();
    assert_eq!(
        e,
        LanguageError::Unknown {
            code: "fr".into(),
            known: "en (English)".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown language \"fr\": veracity has word lists for en (English)"
    );
    assert!("".parse::<Language>().is_err());
}

#[test]
fn serde_uses_the_code() {
    assert_eq!(serde_json::to_string(&Language::English).unwrap(), "\"en\"");
    assert_eq!(
        serde_json::from_str::<Language>("\"en\"").unwrap(),
        Language::English
    );
    let e = serde_json::from_str::<Language>("\"xx\"").unwrap_err();
    assert!(e.to_string().contains("xx"), "{e}");
}

#[test]
fn segment_lists_are_lower_case_words_without_final_periods() {
    for &l in Language::ALL {
        let w = &l.words().segment;
        for (name, list) in [
            ("never_break", w.never_break),
            ("before_number", w.before_number),
            ("maybe_break", w.maybe_break),
            ("openers", w.openers),
            ("continuation_words", w.continuation_words),
        ] {
            assert_lists(name, list, true);
            for x in list {
                assert!(!x.ends_with('.'), "{name}: {x:?} ends with a period");
                assert!(!x.contains(' '), "{name}: {x:?} is not one word");
            }
        }
        // An abbreviation that never breaks must not also be conditional.
        for x in w.never_break {
            assert!(
                !w.maybe_break.contains(x),
                "{x:?} in never_break and maybe_break"
            );
        }
    }
}

#[test]
fn stance_lists_are_consistent() {
    for &l in Language::ALL {
        let w = &l.words().stance;
        regex::Regex::new(w.word_pattern).expect("word pattern compiles");
        for (name, list) in [
            ("stopwords", w.stopwords),
            ("stem_suffixes", w.stem_suffixes),
            ("range_words", w.range_words),
            ("percent_words", w.percent_words),
            ("degree_words", w.degree_words),
            ("negations", w.negations),
            ("debunk_cues", w.debunk_cues),
        ] {
            assert_lists(name, list, true);
        }
        let scales: Vec<&str> = w.scales.iter().map(|(s, _)| *s).collect();
        let numbers: Vec<&str> = w.number_words.iter().map(|(s, _)| *s).collect();
        assert_lists("scales", &scales, true);
        assert_lists("number_words", &numbers, true);
        assert!(w.scales.iter().all(|(_, f)| *f > 1.0));
        assert!(w.number_words.iter().all(|(_, v)| *v > 0.0));
        // The stemmer tries suffixes in order: a suffix must come before the
        // shorter suffixes it ends with, or it would never be stripped.
        for (i, a) in w.stem_suffixes.iter().enumerate() {
            for b in &w.stem_suffixes[..i] {
                assert!(!a.ends_with(b) || a == b, "{a:?} is shadowed by {b:?}");
            }
        }
        // Direction families: no word in both directions of a pair.
        assert!(!w.directions.is_empty());
        for (up, down) in w.directions {
            assert_lists("directions (up)", up, true);
            assert_lists("directions (down)", down, true);
            for x in *up {
                assert!(!down.contains(x), "{x:?} is in both directions");
            }
        }
        // The first debunk cue found is reported: a phrase comes before the
        // single-word cues it contains.
        for (i, cue) in w.debunk_cues.iter().enumerate() {
            for word in cue.split(' ').filter(|_| cue.contains(' ')) {
                if let Some(j) = w.debunk_cues.iter().position(|c| c == &word) {
                    assert!(i < j, "{cue:?} must come before {word:?}");
                }
            }
        }
    }
}

#[test]
fn claim_cue_lists_compile_as_regex_alternatives() {
    for &l in Language::ALL {
        let w = &l.words().claims;
        for (name, list) in [
            ("number_words", w.number_words),
            ("percent_words", w.percent_words),
            ("currency_words", w.currency_words),
            ("calendar_words", w.calendar_words),
            ("relative_time_words", w.relative_time_words),
            ("relative_time_units", w.relative_time_units),
            ("time_phrases", w.time_phrases),
            ("scale_words", w.scale_words),
            ("unit_words", w.unit_words),
            ("name_joiners", w.name_joiners),
            ("capitalised_pronouns", w.capitalised_pronouns),
            ("attribution_words", w.attribution_words),
            ("change_words", w.change_words),
            ("comparative_words", w.comparative_words),
            ("first_person_singular", w.first_person_singular),
            ("first_person_plural", w.first_person_plural),
            ("second_person", w.second_person),
            ("opinion_words", w.opinion_words),
        ] {
            assert_lists(name, list, false);
            for x in list {
                regex::Regex::new(&format!(r"\b(?:{x})\b"))
                    .unwrap_or_else(|e| panic!("{name}: {x:?} is not a regex: {e}"));
            }
        }
        regex::Regex::new(w.superlative_pattern).expect("superlative pattern compiles");
    }
}

#[test]
fn propaganda_and_index_choices() {
    for &l in Language::ALL {
        let w = &l.words().propaganda;
        assert!(!w.word_joiners.is_empty());
        assert!(w.word_joiners.iter().all(|c| !c.is_alphanumeric()));
        assert!(!w.superlative_suffix.is_empty());
        assert_lists("superlatives", w.superlatives, true);
        assert_lists("superlative_exceptions", w.superlative_exceptions, true);
        assert_lists("intensifiers", w.intensifiers, true);
        assert!(!l.words().index.tokenizer.is_empty());
    }
    assert_eq!(Language::English.words().index.tokenizer, "en_stem");
}
