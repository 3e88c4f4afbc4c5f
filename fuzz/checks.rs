//! The invariants the fuzz targets check, one function per target. Shared by
//! the targets (fuzz/fuzz_targets/), the replay of the crash fixtures
//! (tests/fuzz_regressions.rs) and the property tests (tests/properties.rs):
//! each function panics on a broken promise.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use veracity::corpus::ingest::{self, IngestOptions, Sink};
use veracity::corpus::{CorpusError, Document};
use veracity::text::{self, Sentence};

/// A target's check: panics when `data` breaks a promise.
pub type Check = fn(&[u8]);

/// The targets by name, as `fuzz/run.sh` and the fixtures' folders name them.
pub const TARGETS: &[(&str, Check)] = &[
    ("html_extract", html_extract),
    ("segment", segment),
    ("wikitext", wikitext),
    ("jsonl", jsonl),
    ("csv", csv),
    ("article", article),
    ("wiki_xml", wiki_xml),
];

/// Records which lines became documents and which were skipped, and checks
/// that every document has an id and text.
#[derive(Default)]
pub struct Lines {
    pub docs: Vec<(u64, Document)>,
    pub skipped: Vec<u64>,
    pub errors: Vec<String>,
}

impl Sink for Lines {
    fn document(&mut self, doc: Document) -> Result<(), CorpusError> {
        self.document_at(doc, 0)
    }
    fn document_at(&mut self, doc: Document, line: u64) -> Result<(), CorpusError> {
        assert!(!doc.id.is_empty(), "a document without an id: {doc:?}");
        assert!(
            !doc.text.trim().is_empty(),
            "a document without text: {doc:?}"
        );
        self.docs.push((line, doc));
        Ok(())
    }
    fn skipped(&mut self, _path: &Path, line: u64, reason: &str) {
        assert!(!reason.is_empty(), "a skip without a reason");
        self.skipped.push(line);
    }
    fn warning(&mut self, _path: &Path, _line: u64, _reason: &str) {}
    fn error(&mut self, _path: &Path, reason: &str) {
        self.errors.push(reason.to_string());
    }
}

impl Lines {
    /// Lines that became a document or a skip, sorted.
    pub fn lines_seen(&self) -> Vec<u64> {
        let mut seen: Vec<u64> = self
            .docs
            .iter()
            .map(|d| d.0)
            .chain(self.skipped.iter().copied())
            .collect();
        seen.sort_unstable();
        seen
    }
}

/// `data` in a temporary file named `name` (the file readers take paths).
pub fn file_with(name: &str, data: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("write the input");
    (dir, path)
}

/// Whether `gap` (text between two sentences) is only what the segmenter
/// leaves out by design: whitespace, punctuation runs and list markers
/// (`1.`, `2)`), never words.
fn only_left_out(gap: &str) -> bool {
    let mut chars = gap.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            // A numbered list marker: digits then `.` or `)`.
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            if !matches!(chars.next(), Some('.' | ')')) {
                return false;
            }
        } else if c.is_alphanumeric() {
            return false;
        }
    }
    true
}

/// The promises of [`Sentence`]: numbered from 0, `text == input[start..end]`
/// on char boundaries, trimmed and with a letter or digit, in order without
/// overlap, and no words lost between them.
pub fn sentences(input: &str, out: &[Sentence]) {
    let mut at = 0;
    for (i, s) in out.iter().enumerate() {
        assert_eq!(s.index, i);
        assert!(
            at <= s.start && s.start < s.end,
            "out of order or empty: {s:?}"
        );
        assert!(input.is_char_boundary(s.start) && input.is_char_boundary(s.end));
        assert_eq!(&input[s.start..s.end], s.text);
        assert_eq!(s.text.trim(), s.text, "not trimmed: {s:?}");
        let gap = &input[at..s.start];
        assert!(only_left_out(gap), "text lost before {s:?}: {gap:?}");
        at = s.end;
    }
    let tail = &input[at..];
    assert!(only_left_out(tail), "text lost at the end: {tail:?}");
}

pub fn segment(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    sentences(&input, &text::split_sentences(&input));
    let lines = text::split_lines(&input);
    sentences(&input, &lines);
    let blank = |l: &str| {
        l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .is_empty()
    };
    let non_blank = input.split('\n').filter(|l| !blank(l)).count();
    assert_eq!(lines.len(), non_blank, "one sentence per non-blank line");
}

/// HTML main-text extraction: paragraphs are non-empty, hold a letter or
/// digit and are trimmed (except on a page with `<pre>`, whose text keeps
/// its indentation and blank lines). A title is not blank.
pub fn html_extract(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    let e = text::html::extract(&html);
    let pre = html.to_ascii_lowercase().contains("<pre");
    if !e.text.is_empty() && !pre {
        for para in e.text.split("\n\n") {
            assert!(
                para.chars().any(char::is_alphanumeric),
                "paragraphs of {:?}",
                e.text
            );
            assert_eq!(para.trim(), para, "paragraphs of {:?}", e.text);
        }
    }
    if let Some(t) = &e.title {
        assert!(!t.trim().is_empty(), "a blank title");
    }
}

pub fn wikitext(data: &[u8]) {
    let w = String::from_utf8_lossy(data);
    let _ = veracity::corpus::wikitext::strip(&w);
    let _ = veracity::corpus::wikitext::is_disambiguation("Title", &w);
}

/// The JSONL reader: every non-blank line once, as a document or a skip.
pub fn jsonl(data: &[u8]) {
    let mut sink = Lines::default();
    let path = Path::new("fuzz.jsonl");
    ingest::jsonl::read_from(data, path, "fuzz", &IngestOptions::default(), &mut sink)
        .expect("reading from memory does not fail");
    let non_blank: Vec<u64> = data
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| {
            let t = String::from_utf8_lossy(l);
            !t.trim_start_matches('\u{feff}').trim().is_empty()
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(sink.lines_seen(), non_blank, "each non-blank line once");
}

/// The CSV reader (`data` after an `id,title,text` header): content never
/// fails the read, and no more records come out than there are lines.
pub fn csv(data: &[u8]) {
    let mut body = b"id,title,text\n".to_vec();
    body.extend_from_slice(data);
    let (_dir, path) = file_with("fuzz.csv", &body);
    let mut sink = Lines::default();
    ingest::csv::read(&path, &IngestOptions::default(), &mut sink)
        .expect("content never fails a CSV read");
    assert!(sink.errors.is_empty(), "{:?}", sink.errors);
    let lines = body.split(|&b| b == b'\n').count() as u64;
    let seen = sink.lines_seen();
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "a line read twice: {seen:?}"
    );
    assert!(
        seen.iter().all(|&l| (2..=lines).contains(&l)),
        "a line out of range: {seen:?}"
    );
}

/// An article file of each kind (text, Markdown, HTML, JSON): decoding keeps
/// the file's byte offsets, parsing never panics, its sentences keep their
/// promises.
pub fn article(data: &[u8]) {
    for name in ["a.txt", "a.md", "a.html", "a.json"] {
        let path = Path::new(name);
        if let Ok(text) = text::decode_text(data, path) {
            assert_eq!(text.len(), data.len(), "decoding moved byte offsets");
            if let Ok(a) = text::parse_article(text, path) {
                sentences(&a.text, &text::split_sentences(&a.text));
            }
        }
    }
}

/// The Wikipedia XML reader: malformed XML is an error or a skip, never a
/// panic; what it reads are documents with ids and text.
pub fn wiki_xml(data: &[u8]) {
    let (_dir, path) = file_with("fuzz.xml", data);
    let mut sink = Lines::default();
    let _ = ingest::wiki::read(&path, false, &IngestOptions::default(), &mut sink);
}
