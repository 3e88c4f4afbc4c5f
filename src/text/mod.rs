//! Reading articles and splitting them into sentences.
//!
//! - [`read_article`] reads `.txt`, `.md`, `.html`/`.htm` and `.json` files
//!   (or standard input with `-`), detects the title and rejects binary input.
//! - [`split_sentences`] segments news prose into [`Sentence`]s with UTF-8
//!   byte offsets (see [`segment`] for the rules); [`split_sentences_in`]
//!   does so with the word lists of a given [`crate::lang::Language`];
//!   [`split_lines`] takes one sentence per non-empty line.
//! - [`html::extract`] pulls the main text out of an HTML page.
//!
//! Offsets: for `.txt` and `.md` input, [`Article::text`] is the file's own
//! text, byte for byte, so sentence offsets are offsets into the file (the
//! title line stays in the text). For `.html`, offsets refer to the extracted
//! text; for `.json`, to the decoded `text` string.

pub mod html;
pub mod segment;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use segment::{split_lines, split_sentences, split_sentences_in};

/// A sentence and where it sits in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sentence {
    /// Position in the sentence list, from 0.
    pub index: usize,
    /// UTF-8 byte offset of the first byte, into the input string.
    pub start: usize,
    /// UTF-8 byte offset one past the last byte; `text == input[start..end]`.
    pub end: usize,
    pub text: String,
}

/// An article as read from disk or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub title: Option<String>,
    /// The text sentences are split from (see the module docs for offsets).
    pub text: String,
    /// `None` for standard input.
    pub path: Option<PathBuf>,
}

/// Errors from reading an article.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {reason}; veracity reads UTF-8 text articles (.txt, .md, .html, .json)")]
    Binary { path: PathBuf, reason: String },
    #[error("{path}: invalid JSON at line {line}, column {column}: {reason}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
}

/// The kind of input, from the file extension or, for standard input and
/// unknown extensions, from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Markdown,
    Html,
    Json,
}

fn kind_of(path: &Path, text: &str) -> Kind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("txt" | "text") => Kind::Text,
        Some("md" | "markdown") => Kind::Markdown,
        Some("html" | "htm" | "xhtml") => Kind::Html,
        Some("json") => Kind::Json,
        _ => sniff(text),
    }
}

fn sniff(text: &str) -> Kind {
    let head = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let lower: String = head
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with('{') {
        Kind::Json
    } else if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || (lower.starts_with('<')
            && ["<body", "<p>", "<div", "<article", "<head"]
                .iter()
                .any(|t| lower.contains(t)))
    {
        Kind::Html
    } else {
        Kind::Text
    }
}

/// Decode bytes as UTF-8 text: NUL bytes or mostly invalid UTF-8 make it
/// binary (an error); a few invalid bytes are each replaced by U+001A (the
/// one-byte SUBSTITUTE control character, so byte offsets stay those of the
/// file) with a warning.
pub fn decode_text(bytes: &[u8], name: &Path) -> Result<String, TextError> {
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(TextError::Binary {
            path: name.to_path_buf(),
            reason: format!("looks like a binary file (NUL byte at offset {pos})"),
        });
    }
    let mut out = String::with_capacity(bytes.len());
    let mut invalid = 0usize;
    let mut first_bad = None;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        let bad = chunk.invalid();
        if !bad.is_empty() {
            if first_bad.is_none() {
                first_bad = Some(out.len());
            }
            invalid += bad.len();
            out.extend(std::iter::repeat_n('\u{1a}', bad.len()));
        }
    }
    if invalid > 0 {
        if invalid * 10 > bytes.len() {
            return Err(TextError::Binary {
                path: name.to_path_buf(),
                reason: format!(
                    "{invalid} of {} bytes are not valid UTF-8 (binary, or another encoding: convert with e.g. `iconv -f latin1 -t utf-8`)",
                    bytes.len()
                ),
            });
        }
        tracing::warn!(
            "{}: {invalid} byte(s) are not valid UTF-8 (first at byte {}); each was replaced by U+001A so offsets still match the file; convert the file to UTF-8 to keep them",
            name.display(),
            first_bad.unwrap_or(0)
        );
    }
    Ok(out)
}

/// Title of a plain-text article: its first non-empty line.
fn first_line_title(text: &str, markdown: bool) -> Option<String> {
    let line = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .find(|l| !l.is_empty())?;
    let line = if markdown {
        line.trim_start_matches('#').trim()
    } else {
        line
    };
    (!line.is_empty()).then(|| line.to_string())
}

fn from_json(text: &str, name: &Path) -> Result<(Option<String>, String), TextError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| TextError::Json {
        path: name.to_path_buf(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    let obj = value.as_object().ok_or_else(|| TextError::Format {
        path: name.to_path_buf(),
        reason: "expected a JSON object with a \"text\" (or \"content\" or \"body\") string field"
            .into(),
    })?;
    let body = ["text", "content", "body"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(|v| v.as_str()))
        .ok_or_else(|| TextError::Format {
            path: name.to_path_buf(),
            reason: "the JSON object has no \"text\", \"content\" or \"body\" string field".into(),
        })?;
    let title = ["title", "headline"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(|v| v.as_str()))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Ok((title, body.to_string()))
}

/// Parse article content already decoded as text; `name` is used for the
/// kind (by extension) and in messages.
pub fn parse_article(text: String, name: &Path) -> Result<Article, TextError> {
    let (title, text) = match kind_of(name, &text) {
        Kind::Text => (first_line_title(&text, false), text),
        Kind::Markdown => (first_line_title(&text, true), text),
        Kind::Html => {
            let e = html::extract(&text);
            (e.title, e.text)
        }
        Kind::Json => from_json(&text, name)?,
    };
    Ok(Article {
        title,
        text,
        path: None,
    })
}

/// Lines of UTF-8 text (a trailing `\r` dropped), naming the first line
/// that is not UTF-8.
pub fn read_lines(reader: impl std::io::Read, name: &str) -> Result<Vec<String>, TextError> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(reader);
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|error| TextError::Io {
                path: name.into(),
                error,
            })?;
        if n == 0 {
            break;
        }
        lineno += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        match std::str::from_utf8(&buf) {
            Ok(s) => lines.push(s.to_string()),
            Err(e) => {
                return Err(TextError::Format {
                    path: format!("{name}:{lineno}").into(),
                    reason: format!(
                        "invalid UTF-8 at byte {} of the line; convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
                        e.valid_up_to() + 1
                    ),
                })
            }
        }
    }
    Ok(lines)
}

/// The most bytes of one article that are read by default (10 MiB, far
/// above any real article): memory and time stay bounded on any input.
pub const MAX_ARTICLE_BYTES: usize = 10 << 20;

/// Read an article from a file, or from standard input when `path` is `-`;
/// at most [`MAX_ARTICLE_BYTES`] of it (see [`read_article_limited`]).
pub fn read_article(path: &Path) -> Result<Article, TextError> {
    read_article_limited(path, MAX_ARTICLE_BYTES)
}

/// [`read_article`] reading at most `max_bytes` of the input: the rest is
/// neither read nor kept, with a warning (the cut falls on a character
/// boundary).
pub fn read_article_limited(path: &Path, max_bytes: usize) -> Result<Article, TextError> {
    let stdin = path.as_os_str() == "-";
    let name = if stdin { Path::new("<stdin>") } else { path };
    let io = |e| TextError::Io {
        path: name.to_path_buf(),
        error: e,
    };
    let mut bytes = Vec::new();
    let limit = max_bytes as u64 + 1;
    if stdin {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    }
    .map_err(io)?;
    if bytes.len() > max_bytes {
        let mut cut = max_bytes;
        // Back to the start of a UTF-8 character (at most 3 bytes).
        while cut > 0 && cut + 4 > max_bytes && (bytes[cut] & 0xC0) == 0x80 {
            cut -= 1;
        }
        bytes.truncate(cut);
        tracing::warn!(
            "{}: longer than {max_bytes} bytes; only the first {cut} are read (--max-text-bytes)",
            name.display()
        );
    }
    let text = decode_text(&bytes, name)?;
    let mut article = parse_article(text, name)?;
    article.path = (!stdin).then(|| path.to_path_buf());
    Ok(article)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_over_the_limit_is_cut_on_a_character_boundary() {
        // Issue 16: a whole 5 MB article was read and analysed (600 s,
        // 5.7 GB); now at most the limit is read.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("long.txt");
        std::fs::write(&p, "Caf\u{e9} ".repeat(1000)).unwrap();
        for max in [10usize, 11, 12, 4000] {
            let a = read_article_limited(&p, max).unwrap();
            assert!(
                a.text.len() <= max && a.text.len() + 3 >= max,
                "{max}: {}",
                a.text.len()
            );
            assert!(!a.text.contains('\u{1a}'), "a character was split at {max}");
        }
        let whole = read_article_limited(&p, 6000).unwrap();
        assert_eq!(whole.text.len(), 6000);
    }
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    #[test]
    fn txt_keeps_file_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let body = "\n  Jobs Report\n\nUnemployment fell to 3.9% in March. Café prices rose.\n";
        let p = write(&dir, "a.txt", body.as_bytes());
        let a = read_article(&p).unwrap();
        assert_eq!(a.title.as_deref(), Some("Jobs Report"));
        assert_eq!(a.text, body);
        assert_eq!(a.path.as_deref(), Some(p.as_path()));
        let ss = split_sentences(&a.text);
        let bytes = std::fs::read(&p).unwrap();
        for s in &ss {
            assert_eq!(&bytes[s.start..s.end], s.text.as_bytes());
        }
        assert_eq!(ss.len(), 3);
    }

    #[test]
    fn markdown_title() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "a.MD", b"## The Headline\nBody text.");
        let a = read_article(&p).unwrap();
        assert_eq!(a.title.as_deref(), Some("The Headline"));
        assert_eq!(a.text, "## The Headline\nBody text.");
    }

    #[test]
    fn html_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "a.htm",
            b"<title>T</title><nav><a href=x>Home</a></nav><p>Body &amp; soul.</p>",
        );
        let a = read_article(&p).unwrap();
        assert_eq!(a.title.as_deref(), Some("T"));
        assert_eq!(a.text, "Body & soul.");

        let p = write(
            &dir,
            "a.json",
            br#"{"title": " J ", "content": "Text here."}"#,
        );
        let a = read_article(&p).unwrap();
        assert_eq!(
            (a.title.as_deref(), a.text.as_str()),
            (Some("J"), "Text here.")
        );

        let p = write(&dir, "b.json", br#"{"body": "B."}"#);
        assert_eq!(read_article(&p).unwrap().title, None);

        let p = write(&dir, "c.json", br#"{"title": "x"}"#);
        let e = read_article(&p).unwrap_err().to_string();
        assert!(e.contains("c.json") && e.contains("\"text\""), "{e}");

        let p = write(&dir, "d.json", b"{\"text\": \n oops}");
        let e = read_article(&p).unwrap_err();
        assert!(matches!(e, TextError::Json { line: 2, .. }), "{e}");
        let p = write(&dir, "e.json", b"[1, 2]");
        assert!(read_article(&p).is_err());
    }

    #[test]
    fn unknown_extension_is_sniffed() {
        assert_eq!(sniff("  <!DOCTYPE html><p>x"), Kind::Html);
        assert_eq!(sniff("{\"text\": \"x\"}"), Kind::Json);
        assert_eq!(sniff("Plain <b> text"), Kind::Text);
        let a = parse_article("<html><p>Hi.</p></html>".into(), Path::new("x.page")).unwrap();
        assert_eq!(a.text, "Hi.");
    }

    #[test]
    fn binary_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "img.txt", b"GIF89a\x00\x01\x02");
        let e = read_article(&p).unwrap_err().to_string();
        assert!(e.contains("img.txt") && e.contains("binary"), "{e}");
        let junk: Vec<u8> = (0..200u32).map(|i| 0x80 + (i % 100) as u8).collect();
        let p = write(&dir, "junk.md", &junk);
        let e = read_article(&p).unwrap_err().to_string();
        assert!(
            e.contains("junk.md") && e.contains("not valid UTF-8"),
            "{e}"
        );
        let e = read_article(&dir.path().join("missing.txt"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.txt"), "{e}");
    }

    #[test]
    fn a_few_invalid_bytes_keep_offsets() {
        let mut bytes = b"Prices in Caf".to_vec();
        bytes.push(0xe9); // Latin-1 e-acute
        bytes.extend_from_slice(b" rose. Then they fell sharply again this week.");
        let t = decode_text(&bytes, Path::new("x.txt")).unwrap();
        assert_eq!(t.len(), bytes.len());
        assert_eq!(t.as_bytes()[13], 0x1a);
        let ss = split_sentences(&t);
        assert_eq!(ss.len(), 2);
        assert_eq!(&bytes[ss[1].start..ss[1].end], ss[1].text.as_bytes());
    }

    #[test]
    fn empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "empty.txt", b"");
        let a = read_article(&p).unwrap();
        assert_eq!(a.title, None);
        assert!(split_sentences(&a.text).is_empty());
    }
}
