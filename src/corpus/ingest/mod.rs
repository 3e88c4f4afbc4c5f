//! Readers that turn input files into [`Document`]s: JSONL, CSV with a
//! header, folders of `.txt` / `.md` / `.html` files, and Wikipedia XML dumps
//! (`.xml`, `.xml.bz2`, streamed).
//!
//! Readers never stop at a bad record: they report it to the [`Sink`] as
//! `path:line: reason` and go on. Only I/O failures of the sink (the index)
//! end a run.

pub mod csv;
pub mod folder;
pub mod jsonl;
pub mod wiki;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use super::{CorpusError, DocKind, Document};

/// Field names of JSONL / CSV records.
#[derive(Debug, Clone)]
pub struct FieldMap {
    pub id: String,
    pub title: String,
    pub text: String,
    pub url: String,
    pub source: String,
    pub published: String,
    pub kind: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            id: "id".into(),
            title: "title".into(),
            text: "text".into(),
            url: "url".into(),
            source: "source".into(),
            published: "published".into(),
            kind: "kind".into(),
        }
    }
}

/// How inputs are read.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Kind of documents whose record does not say.
    pub kind: DocKind,
    /// Source name of documents whose record does not say (default: the file
    /// or folder name).
    pub source: Option<String>,
    pub fields: FieldMap,
}

/// Receives what readers produce.
pub trait Sink {
    /// A document read. An error here (the index failed) ends the run.
    fn document(&mut self, doc: Document) -> Result<(), CorpusError>;
    /// A document read from line `line` of the current file (readers that
    /// know the line call this; the default forgets it).
    fn document_at(&mut self, doc: Document, _line: u64) -> Result<(), CorpusError> {
        self.document(doc)
    }
    /// A record skipped: `path:line: reason`.
    fn skipped(&mut self, path: &Path, line: u64, reason: &str);
    /// A problem that did not cost the record (e.g. invalid UTF-8 replaced).
    fn warning(&mut self, path: &Path, line: u64, reason: &str);
    /// Input bytes consumed so far in the current file (for progress).
    fn progress(&mut self, _bytes_in_file: u64) {}
    /// An input that could not be read at all (missing, unreadable, in an
    /// encoding veracity does not read): an error of the run, not a record
    /// skipped. By default it is reported as a skipped record at line 0.
    fn error(&mut self, path: &Path, reason: &str) {
        self.skipped(path, 0, reason);
    }
}

/// A record that was skipped, or read with a problem, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordNote {
    pub path: PathBuf,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RecordNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
    }
}

/// A [`Sink`] that keeps the documents in memory, and every skipped record
/// and warning, for the caller to report.
#[derive(Debug, Default)]
pub struct Collected {
    pub docs: Vec<Document>,
    pub skipped: Vec<RecordNote>,
    pub warnings: Vec<RecordNote>,
}

impl Sink for Collected {
    fn document(&mut self, doc: Document) -> Result<(), CorpusError> {
        self.docs.push(doc);
        Ok(())
    }
    fn skipped(&mut self, path: &Path, line: u64, reason: &str) {
        self.skipped.push(RecordNote {
            path: path.to_path_buf(),
            line,
            reason: reason.to_string(),
        });
    }
    fn warning(&mut self, path: &Path, line: u64, reason: &str) {
        self.warnings.push(RecordNote {
            path: path.to_path_buf(),
            line,
            reason: reason.to_string(),
        });
    }
}

/// Read every document of `paths` (files or folders, as [`ingest_path`]
/// reads them) into memory. A path that does not exist is an error; a bad
/// record is skipped and noted.
pub fn collect(paths: &[PathBuf], opts: &IngestOptions) -> Result<Collected, CorpusError> {
    let mut sink = Collected::default();
    for p in paths {
        if !p.exists() && p.as_os_str() != "-" {
            return Err(CorpusError::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
        ingest_path(p, opts, &mut sink)?;
    }
    Ok(sink)
}

/// What a path is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Folder,
    WikiXml,
    WikiXmlBz2,
}

/// The reader for `path`, from its extension (a folder is a folder).
pub fn detect(path: &Path) -> Result<Format, CorpusError> {
    if path.as_os_str() == "-" {
        return Ok(Format::Jsonl);
    }
    if path.is_dir() {
        return Ok(Format::Folder);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (_, plain) = jsonl::Compression::of(&name);
    let is_jsonl =
        |n: &str| n.ends_with(".jsonl") || n.ends_with(".ndjson") || n.ends_with(".json");
    let f = if is_jsonl(plain) {
        Format::Jsonl
    } else if name.ends_with(".csv") {
        Format::Csv
    } else if name.ends_with(".xml.bz2") {
        Format::WikiXmlBz2
    } else if name.ends_with(".xml") {
        Format::WikiXml
    } else {
        return Err(CorpusError::Unsupported {
            path: path.to_path_buf(),
            reason: "expected a folder, .jsonl (also .jsonl.gz, .jsonl.bz2, .jsonl.zst), .csv, .xml or .xml.bz2 (a single .txt/.md/.html file: put it in a folder)".into(),
        });
    };
    Ok(f)
}

/// Total input bytes of `path` (files in a folder summed), for a progress bar.
pub fn input_bytes(path: &Path) -> u64 {
    if path.is_dir() {
        folder::list_files(path)
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

/// Read every document of `path` into `sink`.
pub fn ingest_path(
    path: &Path,
    opts: &IngestOptions,
    sink: &mut dyn Sink,
) -> Result<(), CorpusError> {
    let format = match detect(path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(path, &e.to_string());
            return Ok(());
        }
    };
    match format {
        Format::Jsonl => jsonl::read(path, opts, sink),
        Format::Csv => csv::read(path, opts, sink),
        Format::Folder => folder::read(path, opts, sink),
        Format::WikiXml | Format::WikiXmlBz2 => {
            wiki::read(path, format == Format::WikiXmlBz2, opts, sink)
        }
    }
}

/// The file stem of `path`, the default source name.
pub fn default_source(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    name.split('.').next().unwrap_or(&name).to_string()
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // A list of strings (e.g. pre-split sentences) is joined with spaces.
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(value_text).collect();
            if parts.is_empty() {
                None
            } else {
                Some(parts.join(" "))
            }
        }
        Value::Object(_) => None,
    }
}

/// Map one JSON object (a JSONL record, or a CSV row keyed by its header) to a
/// document; `Err` says why the record is skipped.
pub fn record_to_document(
    rec: &serde_json::Map<String, Value>,
    opts: &IngestOptions,
    default_src: &str,
) -> Result<Document, String> {
    let f = &opts.fields;
    let get = |name: &str| {
        rec.get(name)
            .and_then(value_text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let text = match rec.get(&f.text) {
        None => {
            return Err(format!(
                "no '{}' field (map another with --text-field)",
                f.text
            ))
        }
        // Kept as given (not trimmed): offsets into it mean the record's text.
        Some(v) => value_text(v).unwrap_or_default(),
    };
    if text.trim().is_empty() {
        return Err(format!("empty '{}' field", f.text));
    }
    let title = get(&f.title).unwrap_or_default();
    let url = get(&f.url);
    let id = get(&f.id).or_else(|| url.clone()).unwrap_or_else(|| {
        format!(
            "{:016x}",
            crate::embed::cache::text_key(&format!("{title}\n{text}"))
        )
    });
    let kind = match get(&f.kind) {
        Some(k) => DocKind::parse(&k).ok_or_else(|| {
            format!("unknown kind '{k}' (expected reference, news, other or cross-reference)")
        })?,
        None => opts.kind,
    };
    Ok(Document {
        id,
        title,
        text,
        url,
        source: get(&f.source)
            .or_else(|| opts.source.clone())
            .unwrap_or_else(|| default_src.to_string()),
        published: get(&f.published),
        kind,
    })
}

/// Bytes-as-text with invalid UTF-8 replaced; `true` when something was replaced.
pub fn lossy(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}

/// A reader that counts the bytes read through it.
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    pub fn new(inner: R) -> (Self, Arc<AtomicU64>) {
        let count = Arc::new(AtomicU64::new(0));
        (
            CountingReader {
                inner,
                count: count.clone(),
            },
            count,
        )
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The byte-order mark of UTF-8, which readers drop.
pub const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The encoding named by a UTF-16 or UTF-32 byte-order mark at the start of
/// `head`, if there is one: veracity reads UTF-8 only.
pub fn foreign_bom(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xff\xfe\0\0") {
        Some("UTF-32LE")
    } else if head.starts_with(b"\0\0\xfe\xff") {
        Some("UTF-32BE")
    } else if head.starts_with(b"\xff\xfe") {
        Some("UTF-16LE")
    } else if head.starts_with(b"\xfe\xff") {
        Some("UTF-16BE")
    } else {
        None
    }
}

/// The error for a file in another Unicode encoding than UTF-8.
pub fn encoding_error(encoding: &str) -> String {
    format!("the file is {encoding} (it starts with a byte-order mark); veracity reads UTF-8: convert it, e.g. `iconv -f {encoding} -t UTF-8 FILE > FILE.utf8`")
}

/// Open an input file, positioned after a UTF-8 byte-order mark. A file that
/// cannot be opened, or is UTF-16/UTF-32, is reported to `sink` as an error
/// (the run goes on) and `None` is returned.
pub fn open_or_skip(path: &Path, sink: &mut dyn Sink) -> Option<std::fs::File> {
    use std::io::{Seek, SeekFrom};
    let opened = std::fs::File::open(path).and_then(|mut f| {
        let mut head = Vec::with_capacity(4);
        (&mut f).take(4).read_to_end(&mut head)?;
        if let Some(enc) = foreign_bom(&head) {
            return Ok(Err(encoding_error(enc)));
        }
        let start = if head.starts_with(UTF8_BOM) { 3 } else { 0 };
        f.seek(SeekFrom::Start(start))?;
        Ok(Ok(f))
    });
    match opened {
        Ok(Ok(f)) => Some(f),
        Ok(Err(reason)) => {
            sink.error(path, &reason);
            None
        }
        Err(e) => {
            sink.error(path, &CorpusError::io(path, e).to_string());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_file(name: &str, bytes: &[u8]) -> Collected {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        collect(&[p], &IngestOptions::default()).unwrap()
    }

    #[test]
    fn utf8_bom_does_not_cost_the_first_record() {
        let mut jsonl = UTF8_BOM.to_vec();
        jsonl.extend_from_slice(
            b"{\"id\":\"a\",\"text\":\"First.\"}\n{\"id\":\"b\",\"text\":\"Second.\"}\n",
        );
        let c = collect_file("bom.jsonl", &jsonl);
        assert_eq!(c.docs.len(), 2, "{:?}", c.skipped);
        let mut csv = UTF8_BOM.to_vec();
        csv.extend_from_slice(b"id,text\na,\"First\nline.\"\nb,Second.\n");
        let c = collect_file("bom.csv", &csv);
        assert_eq!(c.docs.len(), 2, "{:?}", c.skipped);
        assert_eq!(c.docs[0].text, "First\nline.");
    }

    #[test]
    fn utf16_input_is_an_error_naming_the_encoding() {
        let text = "{\"id\":\"a\",\"text\":\"First.\"}\n";
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let c = collect_file("wide.jsonl", &utf16);
        assert!(c.docs.is_empty());
        assert_eq!(c.skipped.len(), 1);
        assert!(c.skipped[0].reason.contains("UTF-16LE"), "{}", c.skipped[0]);
        assert!(c.skipped[0].reason.contains("iconv"));
    }
}
