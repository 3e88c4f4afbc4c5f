//! Rule-based sentence segmentation for news prose.
//!
//! Two passes:
//!
//! 1. **Segments** from line structure. A blank line always ends a segment. A
//!    line that starts with a list or heading marker (`- `, `* `, `+ `, `• `,
//!    `1. `, `2) `, `# `, `> `) starts a new segment, and the marker is left
//!    out of the sentence. A line break after a line with no terminal
//!    punctuation (a headline, a list item without a final period) ends the
//!    segment, unless the line ends with a continuation mark (`,` `;` `:` `-`
//!    `(`) or the next line starts with a lowercase letter (hard-wrapped prose).
//! 2. **Sentences** inside each segment. A boundary is a run of `.` `!` `?` `…`
//!    followed by optional closing quotes or brackets, then whitespace, then a
//!    word that does not start with a lowercase letter. A single `.` after a
//!    known abbreviation does not end a sentence: titles (`Dr.`, `Mr.`, `St.`,
//!    `e.g.`) never do; `No.`/`Jan.`/`p.` never do before a number; company
//!    suffixes, months, dotted acronyms (`U.S.`, `a.m.`) and initials (`J.`)
//!    do only when the next word is a common sentence opener (`The`, `He`, …).
//!    Decimals (`3.9%`, `$4.2`) never split because no whitespace follows the
//!    point.
//!
//! The word lists (abbreviations, openers, continuation words) are the
//! language's [`SegmentLexicon`]; [`split_sentences`] uses English and
//! [`split_sentences_in`] any [`Language`].
//!
//! All offsets are UTF-8 byte offsets into the input; each sentence is trimmed
//! of surrounding whitespace (and a byte-order mark).

use super::Sentence;
use crate::lang::{Language, SegmentLexicon};

fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '‽' | '。' | '！' | '？')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '›' | ')' | ']' | '}' | '」' | '』'
    )
}

fn is_opener_punct(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '“' | '‘' | '«' | '‹' | '(' | '[' | '{' | '¿' | '¡' | '„' | '「' | '『'
    )
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Trim `[start, end)` of whitespace; `None` when nothing is left.
fn trimmed(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start_matches(is_space).len();
    let body = s.trim_matches(is_space);
    if body.is_empty() {
        None
    } else {
        Some((start + lead, start + lead + body.len()))
    }
}

fn push(out: &mut Vec<Sentence>, text: &str, start: usize, end: usize) {
    if let Some((s, e)) = trimmed(text, start, end) {
        // A lone marker or punctuation run is not a sentence.
        if !text[s..e].chars().any(|c| c.is_alphanumeric()) {
            return;
        }
        out.push(Sentence {
            index: out.len(),
            start: s,
            end: e,
            text: text[s..e].to_string(),
        });
    }
}

/// Byte length of a list or heading marker at the start of `line` (which
/// starts at its first non-space character), including the space after it.
fn marker_len(line: &str) -> usize {
    let b = line.as_bytes();
    let space_after = |i: usize| i < b.len() && (b[i] == b' ' || b[i] == b'\t');
    for m in [
        "- ",
        "* ",
        "+ ",
        "> ",
        "\u{2022} ",
        "\u{2013} ",
        "\u{2014} ",
        "\u{25aa} ",
    ] {
        if line.starts_with(m) {
            return m.len();
        }
        let mt = m.replace(' ', "\t");
        if line.starts_with(&mt) {
            return mt.len();
        }
    }
    // Markdown heading: 1 to 6 '#', then a space.
    let hashes = b.iter().take_while(|&&c| c == b'#').count();
    if (1..=6).contains(&hashes) && space_after(hashes) {
        return hashes + 1;
    }
    // Numbered item: 1 to 3 digits, '.' or ')', then a space; or "(1) ".
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if (1..=3).contains(&digits)
        && digits < b.len()
        && (b[digits] == b'.' || b[digits] == b')')
        && space_after(digits + 1)
    {
        return digits + 2;
    }
    if b.first() == Some(&b'(') {
        let d = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if (1..=3).contains(&d) && b.get(1 + d) == Some(&b')') && space_after(2 + d) {
            return d + 3;
        }
    }
    0
}

/// How a non-empty line ends, for deciding whether the next line continues it.
fn ends_open(line: &str, lex: &SegmentLexicon) -> LineEnd {
    let t = line.trim_end_matches(is_space).trim_end_matches(is_closer);
    match t.chars().next_back() {
        Some(c) if is_terminal(c) => LineEnd::Terminal,
        Some(',' | ';' | ':' | '-' | '–' | '—' | '(' | '/' | '&') => LineEnd::Continues,
        // A headline does not end on a function word; wrapped prose may.
        _ if t
            .rsplit(is_space)
            .next()
            .is_some_and(|w| lex.continuation_words.contains(&w)) =>
        {
            LineEnd::Continues
        }
        _ => LineEnd::Bare,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Terminal,
    Continues,
    Bare,
}

/// Split into segments (byte ranges) that no sentence crosses.
fn segments(text: &str, lex: &SegmentLexicon) -> Vec<(usize, usize)> {
    let mut segs = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    let mut prev_end = LineEnd::Terminal;
    let mut prev_heading = false;
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = pos;
        pos += raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        let lead = content.len() - content.trim_start_matches(is_space).len();
        let body = &content[lead..];
        if body.trim_matches(is_space).is_empty() {
            if let Some(c) = cur.take() {
                segs.push(c);
            }
            continue;
        }
        let mlen = marker_len(body);
        let body_start = line_start + lead + mlen;
        let line_end = line_start + content.len();
        let first = body[mlen..].trim_start_matches(is_space).chars().next();
        let continues = match cur {
            None => false,
            Some(_) if mlen > 0 || prev_heading => false,
            Some(_) => match prev_end {
                LineEnd::Terminal | LineEnd::Continues => true,
                LineEnd::Bare => first.is_some_and(|c| c.is_lowercase()),
            },
        };
        match (&mut cur, continues) {
            (Some(c), true) => c.1 = line_end,
            (c, _) => {
                if let Some(done) = c.take() {
                    segs.push(done);
                }
                *c = Some((body_start, line_end));
            }
        }
        prev_end = ends_open(&body[mlen..], lex);
        prev_heading = body.starts_with('#') && mlen > 0;
    }
    if let Some(c) = cur {
        segs.push(c);
    }
    segs
}

/// The word that ends just before byte `at` (stripped of opening punctuation).
fn word_before(seg: &str, at: usize) -> &str {
    let head = &seg[..at];
    let start = head
        .char_indices()
        .rev()
        .find(|&(_, c)| is_space(c))
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(0);
    head[start..].trim_start_matches(is_opener_punct)
}

/// The word that starts at byte `at` (stripped of punctuation around it).
fn word_at(seg: &str, at: usize) -> &str {
    let tail = &seg[at..];
    let end = tail.find(is_space).unwrap_or(tail.len());
    tail[..end]
        .trim_start_matches(is_opener_punct)
        .trim_end_matches(|c: char| !c.is_alphanumeric())
}

fn is_initial(word: &str) -> bool {
    let mut cs = word.chars();
    matches!((cs.next(), cs.next()), (Some(c), None) if c.is_alphabetic() && c.is_uppercase())
}

/// `U.S`, `U.K`, `a.m`, `p.m`, `U.N`: short letter groups joined by dots.
fn is_dotted_acronym(word: &str) -> bool {
    word.contains('.')
        && word
            .split('.')
            .all(|p| !p.is_empty() && p.chars().count() <= 2 && p.chars().all(char::is_alphabetic))
}

/// Is a run of terminal punctuation `term`, between `prev` and `next`, a
/// sentence boundary?
fn is_boundary(prev: &str, term: &str, next: &str, lex: &SegmentLexicon) -> bool {
    let Some(first) = next.chars().next() else {
        // Only punctuation follows (e.g. a dash): treat it as a new sentence.
        return true;
    };
    if first.is_lowercase() {
        return false;
    }
    if term != "." {
        // !, ?, ellipses, mixed runs.
        return true;
    }
    let key = prev.to_lowercase();
    if key.is_empty() {
        return true;
    }
    let next_key = next.to_lowercase();
    let opener = lex.openers.contains(&next_key.as_str());
    if lex.never_break.contains(&key.as_str()) {
        return false;
    }
    if first.is_ascii_digit() && lex.before_number.contains(&key.as_str()) {
        return false;
    }
    if lex.maybe_break.contains(&key.as_str()) || is_dotted_acronym(&key) || is_initial(prev) {
        return opener;
    }
    true
}

/// Split one segment `[s, e)` of `text` into sentences.
fn split_segment(text: &str, s: usize, e: usize, lex: &SegmentLexicon, out: &mut Vec<Sentence>) {
    let seg = &text[s..e];
    let chars: Vec<(usize, char)> = seg.char_indices().collect();
    let n = chars.len();
    let off = |k: usize| if k < n { chars[k].0 } else { seg.len() };
    let mut sent_start = 0usize;
    let mut i = 0usize;
    while i < n {
        if !is_terminal(chars[i].1) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && is_terminal(chars[j].1) {
            j += 1;
        }
        let term = &seg[off(i)..off(j)];
        let mut k = j;
        while k < n && is_closer(chars[k].1) {
            k += 1;
        }
        if k >= n {
            break;
        }
        if !is_space(chars[k].1) {
            i = k.max(i + 1);
            continue;
        }
        let mut m = k;
        while m < n && is_space(chars[m].1) {
            m += 1;
        }
        if m >= n {
            break;
        }
        let prev = word_before(seg, off(i));
        let next = word_at(seg, off(m));
        if is_boundary(prev, term, next, lex) {
            push(out, text, s + sent_start, s + off(k));
            sent_start = off(m);
        }
        i = m;
    }
    push(out, text, s + sent_start, e);
}

/// Split English news prose into sentences with byte offsets (see the
/// module docs); [`split_sentences_in`] with [`Language::English`].
pub fn split_sentences(text: &str) -> Vec<Sentence> {
    split_sentences_in(text, Language::English)
}

/// Split news prose in `lang` into sentences with byte offsets, with that
/// language's abbreviations and sentence openers.
pub fn split_sentences_in(text: &str, lang: Language) -> Vec<Sentence> {
    let lex = &lang.words().segment;
    let mut out = Vec::new();
    for (s, e) in segments(text, lex) {
        split_segment(text, s, e, lex, &mut out);
    }
    out
}

/// One sentence per non-empty line (trimmed), with byte offsets.
pub fn split_lines(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        if let Some((s, e)) = trimmed(text, start, start + content.len()) {
            out.push(Sentence {
                index: out.len(),
                start: s,
                end: e,
                text: text[s..e].to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        let ss = split_sentences(t);
        for (i, s) in ss.iter().enumerate() {
            assert_eq!(s.index, i);
            assert_eq!(&t[s.start..s.end], s.text, "offsets must slice the input");
            assert_eq!(s.text.trim(), s.text);
        }
        ss.into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn plain_sentences() {
        assert_eq!(
            texts("The cat sat. The dog ran! Did it? Yes."),
            ["The cat sat.", "The dog ran!", "Did it?", "Yes."]
        );
    }

    #[test]
    fn abbreviations_do_not_split() {
        let t = "The U.S. economy grew, Dr. Smith said. Mr. and Mrs. Jones of Acme Inc. agreed with Prof. Lee on Jan. 5 and Feb. 12. It is on St. Mark's Square, e.g. near No. 10.";
        assert_eq!(
            texts(t),
            [
                "The U.S. economy grew, Dr. Smith said.",
                "Mr. and Mrs. Jones of Acme Inc. agreed with Prof. Lee on Jan. 5 and Feb. 12.",
                "It is on St. Mark's Square, e.g. near No. 10."
            ]
        );
    }

    #[test]
    fn abbreviation_at_sentence_end_splits_before_opener() {
        assert_eq!(
            texts("He moved to the U.S. The next year he left. Shares of Apple Inc. The company said so. She works for Acme Corp. She is happy."),
            [
                "He moved to the U.S.",
                "The next year he left.",
                "Shares of Apple Inc.",
                "The company said so.",
                "She works for Acme Corp.",
                "She is happy."
            ]
        );
        // i.e., etc. followed by lowercase or a name stay together.
        assert_eq!(
            texts("Fruit, i.e. apples, pears, etc. were sold. The U.K. Parliament voted."),
            [
                "Fruit, i.e. apples, pears, etc. were sold.",
                "The U.K. Parliament voted."
            ]
        );
    }

    #[test]
    fn initials() {
        assert_eq!(
            texts("The book by J. K. Rowling sold well. George W. Bush spoke."),
            [
                "The book by J. K. Rowling sold well.",
                "George W. Bush spoke."
            ]
        );
    }

    #[test]
    fn decimals_and_currency() {
        assert_eq!(
            texts("Revenue rose to $4.2 billion. Unemployment fell to 3.9% in March. It cost €1.50 each."),
            [
                "Revenue rose to $4.2 billion.",
                "Unemployment fell to 3.9% in March.",
                "It cost €1.50 each."
            ]
        );
        assert_eq!(
            texts("Version 2.0.1 shipped on 12.03.2024. Good."),
            ["Version 2.0.1 shipped on 12.03.2024.", "Good."]
        );
    }

    #[test]
    fn quotations() {
        assert_eq!(
            texts("\"We will win.\" He said it twice."),
            ["\"We will win.\"", "He said it twice."]
        );
        assert_eq!(
            texts("“Is it over?” she asked. “No,” he said. ‘Fine.’ Then silence."),
            [
                "“Is it over?” she asked.",
                "“No,” he said.",
                "‘Fine.’",
                "Then silence."
            ]
        );
        assert_eq!(
            texts("He said \"stop.\" \"Why?\" she replied."),
            ["He said \"stop.\"", "\"Why?\" she replied."]
        );
        assert_eq!(
            texts("The plan (announced Monday.) Was it new?"),
            ["The plan (announced Monday.)", "Was it new?"]
        );
    }

    #[test]
    fn ellipses() {
        assert_eq!(
            texts("Well... maybe not. I waited… Nothing happened. And then...."),
            [
                "Well... maybe not.",
                "I waited…",
                "Nothing happened.",
                "And then...."
            ]
        );
    }

    #[test]
    fn headlines_and_lists_without_periods() {
        let t = "Jobs Report Beats Forecasts\nBy Jane Doe\n\nThe economy added jobs. Wages rose.\nKey points:\n- Unemployment at 3.9%\n- Wages up 0.3%\n* Hiring broad\n1. First item\n2) Second item\n• Third item\nFinal line";
        assert_eq!(
            texts(t),
            [
                "Jobs Report Beats Forecasts",
                "By Jane Doe",
                "The economy added jobs.",
                "Wages rose.",
                "Key points:",
                "Unemployment at 3.9%",
                "Wages up 0.3%",
                "Hiring broad",
                "First item",
                "Second item",
                "Third item",
                "Final line"
            ]
        );
    }

    #[test]
    fn markdown_headings() {
        assert_eq!(
            texts("# Big News\n## Part two\nText here. More text."),
            ["Big News", "Part two", "Text here.", "More text."]
        );
    }

    #[test]
    fn wrapped_prose_continues() {
        let t = "The ministry said on Tuesday that\nthe new rules would apply from\nJanuary, officials added. Next one.";
        assert_eq!(
            texts(t),
            [
                "The ministry said on Tuesday that\nthe new rules would apply from\nJanuary, officials added.",
                "Next one."
            ]
        );
        // A sentence broken after a comma continues even before a capital.
        assert_eq!(
            texts("In Paris,\nPresident Macron spoke."),
            ["In Paris,\nPresident Macron spoke."]
        );
    }

    #[test]
    fn blank_lines_always_split() {
        assert_eq!(
            texts("Ends with Dr.\n\nSmith is here."),
            ["Ends with Dr.", "Smith is here."]
        );
    }

    #[test]
    fn multibyte_offsets() {
        let t = "  Zoë’s café raised €3.5 million. Naïve? 東京は晴れ。 Déjà vu!  ";
        let ss = split_sentences(t);
        let got: Vec<&str> = ss.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            got,
            [
                "Zoë’s café raised €3.5 million.",
                "Naïve?",
                "東京は晴れ。",
                "Déjà vu!"
            ]
        );
        assert_eq!(ss[0].start, 2);
        assert_eq!(&t[ss[1].start..ss[1].end], "Naïve?");
        assert_eq!(&t[ss[2].start..ss[2].end], "東京は晴れ。");
        assert_eq!(ss[3].end, t.len() - 2);
    }

    #[test]
    fn crlf_bom_and_empty() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences(" \n\n\t ").is_empty());
        assert!(split_sentences("- \n* \n...").is_empty());
        let t = "\u{feff}Title line\r\nFirst sentence. Second one.\r\n";
        assert_eq!(texts(t), ["Title line", "First sentence.", "Second one."]);
    }

    #[test]
    fn questions_and_exclamations_before_lowercase() {
        assert_eq!(
            texts("\"Really?\" asked the man. Wow! that was odd."),
            ["\"Really?\" asked the man.", "Wow! that was odd."]
        );
    }

    #[test]
    fn numbers_at_sentence_start() {
        assert_eq!(
            texts("Sales fell in 2019. 2020 was worse. See No. 5 above."),
            ["Sales fell in 2019.", "2020 was worse.", "See No. 5 above."]
        );
    }

    #[test]
    fn times_parentheses_and_hyphenated_acronyms() {
        assert_eq!(
            texts("He arrived at 5 p.m. The meeting began. (He declined to comment.) U.S.-based firms said \"we will win\". Done."),
            [
                "He arrived at 5 p.m.",
                "The meeting began.",
                "(He declined to comment.)",
                "U.S.-based firms said \"we will win\".",
                "Done."
            ]
        );
    }

    #[test]
    fn explicit_english_is_the_default() {
        let t = "Dr. Smith met Mr. Jones at 5 p.m. The talks ended. See No. 5.";
        assert_eq!(split_sentences_in(t, Language::English), split_sentences(t));
        assert_eq!(split_sentences(t).len(), 3);
    }

    #[test]
    fn lines() {
        let t = "first line\n\n  second  \r\nthird";
        let ls = split_lines(t);
        let got: Vec<&str> = ls.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(got, ["first line", "second", "third"]);
        for s in &ls {
            assert_eq!(&t[s.start..s.end], s.text);
        }
        assert_eq!(ls[2].index, 2);
        assert!(split_lines("").is_empty());
    }
}
