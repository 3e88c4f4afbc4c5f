//! Property tests (proptest) of the invariants the readers and the segmenter
//! promise, on generated input: news-like fragments mixed with arbitrary
//! Unicode and bytes. They use the library only (no binary, no model).
//!
//! The invariants themselves are those the fuzz targets check
//! (fuzz/checks.rs, which panics on a broken promise; proptest shrinks the
//! panicking input). A failing case is shrunk by proptest and stored under
//! `tests/properties.proptest-regressions`; commit that file with the fix so
//! the case is tried first from then on.

#[path = "../fuzz/checks.rs"]
mod checks;

use proptest::prelude::*;
use veracity::corpus::{DocKind, Document, Index, WriterOptions};

/// Pieces of news prose that exercise the segmenter's rules: abbreviations,
/// initials, decimals, quotes, brackets, ellipses, non-ASCII punctuation.
fn prose_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("The minister said".to_string()),
        Just(" Mr. Smith".to_string()),
        Just(" U.S.".to_string()),
        Just(" 3.5 per cent".to_string()),
        Just(". ".to_string()),
        Just("! ".to_string()),
        Just("? ".to_string()),
        Just("...".to_string()),
        Just("\u{2026}".to_string()),
        Just(" \u{201c}Quoted.\u{201d} ".to_string()),
        Just("\"".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(" \u{2014} ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just(" e.g. ".to_string()),
        Just("Jan. 5".to_string()),
        Just(" caf\u{e9} ".to_string()),
        Just("\u{1f600}".to_string()),
        Just("\u{a0}".to_string()),
        Just("- ".to_string()),
        Just("# Heading".to_string()),
        "[a-zA-Z]{1,12}",
        "[0-9]{1,4}",
        any::<char>().prop_map(String::from),
    ]
}

fn prose() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prose_piece(), 0..60).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

/// One JSONL line: a good record, records missing their text or with the
/// wrong types, other JSON, broken JSON, invalid UTF-8, blank lines.
fn jsonl_line() -> impl Strategy<Value = Vec<u8>> {
    let text = "[a-zA-Z .,\u{e9}\u{201c}\u{201d}]{1,40}";
    prop_oneof![
        4 => (text, "[a-z0-9]{0,6}").prop_map(|(t, id)| {
            serde_json::json!({"id": id, "title": "T", "text": t}).to_string().into_bytes()
        }),
        1 => Just(br#"{"id": "x"}"#.to_vec()),
        1 => Just(br#"{"text": 17}"#.to_vec()),
        1 => Just(br#"{"text": "   "}"#.to_vec()),
        1 => Just(b"[1, 2, 3]".to_vec()),
        1 => Just(b"\"a string\"".to_vec()),
        1 => Just(b"{\"text\": \"unterminated".to_vec()),
        1 => Just(b"{\"text\": \"bad \xff\xfe bytes\"}".to_vec()),
        1 => Just(b"   ".to_vec()),
        1 => Just(b"\xef\xbb\xbf{\"text\": \"after a BOM\"}".to_vec()),
        1 => prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..30),
    ]
}

/// One CSV data row of `id,title,text`: good rows, quoted fields with
/// commas and doubled quotes, stray quotes, rows with too few or too many
/// fields.
fn csv_row() -> impl Strategy<Value = String> {
    let word = "[a-zA-Z]{1,10}";
    prop_oneof![
        4 => (word, word, word).prop_map(|(a, b, c)| format!("{a},{b},{c} text")),
        2 => (word, word).prop_map(|(a, b)| format!("{a},\"{b}, quoted\",\"with \"\"quotes\"\" inside\"")),
        1 => (word, word).prop_map(|(a, b)| format!("{a},TV,The screen is 55\" wide {b}.")),
        1 => (word, word).prop_map(|(a, b)| format!("{a},\"{b} opens and never closes,x")),
        1 => (word, word).prop_map(|(a, b)| format!("{a},{b}")),
        1 => (word, word).prop_map(|(a, b)| format!("{a},{b},c,d")),
    ]
}

fn doc(id: &str, text: &str) -> Document {
    Document {
        id: id.to_string(),
        title: format!("Title {id}"),
        text: text.to_string(),
        url: None,
        source: "prop".into(),
        published: None,
        kind: DocKind::Reference,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sentence_offsets_slice_the_input_in_order_and_cover_it(input in prose()) {
        // split_sentences and split_lines, one sentence per non-blank line.
        checks::segment(input.as_bytes());
    }

    #[test]
    fn html_extraction_never_panics_and_gives_clean_paragraphs(
        parts in prop::collection::vec(prop_oneof![
            Just("<div>".to_string()), Just("</div>".to_string()), Just("<p>".to_string()),
            Just("</p>".to_string()), Just("<article>".to_string()), Just("<nav>".to_string()),
            Just("</nav>".to_string()), Just("<a href=x>".to_string()), Just("</a>".to_string()),
            Just("<script>var x = '</div>';".to_string()), Just("</script>".to_string()),
            Just("<!-- comment".to_string()), Just("-->".to_string()), Just("<br/>".to_string()),
            Just("<h1>".to_string()), Just("<title>".to_string()), Just("</title>".to_string()),
            Just("&amp;".to_string()), Just("&#x41;".to_string()), Just("&#99999999;".to_string()),
            Just("&#0;".to_string()), Just("&bogus;".to_string()), Just("&".to_string()),
            Just("<".to_string()), Just(">".to_string()),
            Just("<div class=\"cookie-banner\">".to_string()),
            Just("<![CDATA[x]]>".to_string()), Just("<p hidden>".to_string()),
            prose_piece(),
        ], 0..80).prop_map(|v| v.concat())
    ) {
        checks::html_extract(parts.as_bytes());
    }

    #[test]
    fn html_extraction_of_arbitrary_text_never_panics(input in any::<String>()) {
        checks::html_extract(input.as_bytes());
    }

    #[test]
    fn wikitext_stripping_never_panics(
        parts in prop::collection::vec(prop_oneof![
            Just("{{".to_string()), Just("}}".to_string()), Just("[[".to_string()),
            Just("]]".to_string()), Just("|".to_string()), Just("<ref>".to_string()),
            Just("</ref>".to_string()), Just("<ref name=a/>".to_string()), Just("'''".to_string()),
            Just("''".to_string()), Just("== H ==".to_string()), Just("{|".to_string()),
            Just("|}".to_string()), Just("[http://x y]".to_string()), Just("<!--".to_string()),
            Just("&nbsp;".to_string()), Just("[[File:a.jpg|thumb|x]]".to_string()),
            Just("\n".to_string()), prose_piece(),
        ], 0..80).prop_map(|v| v.concat())
    ) {
        checks::wikitext(parts.as_bytes());
    }

    #[test]
    fn article_files_of_every_kind_decode_and_parse(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            prose().prop_map(String::into_bytes),
        ]
    ) {
        checks::article(&bytes);
    }

    #[test]
    fn jsonl_every_non_blank_line_is_a_document_or_a_skip(
        lines in prop::collection::vec(jsonl_line(), 0..40),
        crlf in any::<bool>(),
    ) {
        let sep: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        checks::jsonl(&lines.join(sep));
    }

    #[test]
    fn csv_every_row_is_a_document_or_a_skip(rows in prop::collection::vec(csv_row(), 0..40)) {
        // Each generated row is one line: every line once, as a document or
        // a skip (checks::csv checks only "at most once" for arbitrary bytes).
        let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
        checks::csv(body.as_bytes());
        let (_dir, path) = checks::file_with("p.csv", format!("id,title,text\n{body}").as_bytes());
        let mut sink = checks::Lines::default();
        veracity::corpus::ingest::csv::read(&path, &Default::default(), &mut sink).unwrap();
        let want: Vec<u64> = (2..rows.len() as u64 + 2).collect();
        prop_assert_eq!(sink.lines_seen(), want, "each row once:\n{}", body);
    }

    #[test]
    fn wiki_dumps_never_panic(
        parts in prop::collection::vec(prop_oneof![
            Just("<mediawiki>".to_string()), Just("</mediawiki>".to_string()),
            Just("<page>".to_string()), Just("</page>".to_string()),
            Just("<title>T</title>".to_string()), Just("<ns>0</ns>".to_string()),
            Just("<id>7</id>".to_string()), Just("<text>".to_string()), Just("</text>".to_string()),
            Just("<revision>".to_string()), Just("&amp;".to_string()), Just("&bad;".to_string()),
            Just("<".to_string()), prose_piece(),
        ], 0..60).prop_map(|v| v.concat())
    ) {
        checks::wiki_xml(parts.as_bytes());
    }
}

proptest! {
    // Each case builds a small tantivy index on disk.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn index_added_replaced_unchanged_are_the_documents_read(
        docs in prop::collection::vec(("[a-e]", "[a-z]{2,8}( [a-z]{2,8}){0,12}\\."), 1..30),
        batch in 1usize..8,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::open_or_create(&dir.path().join("idx")).unwrap();
        let (mut added, mut replaced, mut unchanged) = (0usize, 0usize, 0usize);
        {
            let opts = WriterOptions { batch_docs: batch, threads: 1, ..WriterOptions::default() };
            let mut w = index.writer(opts, None).unwrap();
            for (id, t) in &docs {
                let d = doc(id, t);
                if w.is_current(&d).unwrap() {
                    unchanged += 1;
                    continue;
                }
                let out = w.add(&d).unwrap();
                if out.replaced { replaced += 1 } else { added += 1 }
            }
            w.finish().unwrap();
        }
        let ids: std::collections::BTreeSet<&String> = docs.iter().map(|d| &d.0).collect();
        prop_assert_eq!(added + replaced + unchanged, docs.len());
        prop_assert_eq!(added, ids.len());
        let index = Index::open(&dir.path().join("idx")).unwrap();
        prop_assert_eq!(index.num_documents().unwrap(), ids.len() as u64);
        // The last version of each id is the one stored.
        for id in ids {
            let last = &docs.iter().rev().find(|d| &d.0 == id).unwrap().1;
            prop_assert_eq!(&index.document(id).unwrap().unwrap().text, last);
        }
    }

    /// An `index add` interrupted after `cut` documents were committed and
    /// run again over the whole input (what is there unchanged is left as it
    /// is) ends with the index a clean run makes: the same documents in the
    /// same origin groups (near-duplicate grouping is order-dependent; a
    /// rerun that re-added committed documents grouped some differently).
    #[test]
    fn an_interrupted_add_run_again_equals_a_clean_run(
        picks in prop::collection::vec(
            (0usize..2, prop::collection::vec((0usize..17, "[a-z]{3,8}"), 0..6)),
            2..40,
        ),
        cut_at in 0.0f64..1.0,
    ) {
        const BASE: [&str; 4] = [
            "The regional council approved a new budget for schools and hospitals on Monday after a long debate about taxes",
            "Heavy rain flooded roads across the northern valley and forced hundreds of families to leave their homes overnight",
            "The central bank kept interest rates unchanged and said inflation would fall slowly over the next two years",
            "Scientists reported that the glacier lost more ice this summer than in any year since measurements began",
        ];
        let docs: Vec<Document> = picks
            .iter()
            .enumerate()
            .map(|(i, (b, edits))| {
                // The base sentence with a few words replaced: copies, near
                // copies and chains of them (a ~ b, b ~ c, a !~ c).
                let mut words: Vec<String> = BASE[*b].split(' ').map(String::from).collect();
                for (at, w) in edits {
                    words[*at] = w.clone();
                }
                doc(&format!("d{i}"), &format!("{}.", words.join(" ")))
            })
            .collect();
        let cut = ((docs.len() as f64) * cut_at) as usize;
        let run = |dir: &std::path::Path, docs: &[Document]| {
            let mut index = Index::open_or_create(dir).unwrap();
            let opts = WriterOptions { batch_docs: 3, threads: 1, ..WriterOptions::default() };
            let mut w = index.writer(opts, None).unwrap();
            for d in docs {
                if !w.is_current(d).unwrap() {
                    w.add(d).unwrap();
                }
            }
            w.finish().unwrap();
        };
        let tmp = tempfile::tempdir().unwrap();
        let (clean, rerun) = (tmp.path().join("clean"), tmp.path().join("rerun"));
        run(&clean, &docs);
        run(&rerun, &docs[..cut]);
        run(&rerun, &docs);
        let (a, b) = (Index::open(&clean).unwrap(), Index::open(&rerun).unwrap());
        prop_assert_eq!(a.num_documents().unwrap(), b.num_documents().unwrap());
        prop_assert_eq!(a.stats().unwrap().origins, b.stats().unwrap().origins);
        for d in &docs {
            prop_assert_eq!(a.origin_of(&d.id).unwrap(), b.origin_of(&d.id).unwrap(), "{}", d.id);
        }
    }
}
