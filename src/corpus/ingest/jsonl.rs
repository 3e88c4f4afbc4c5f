//! JSON Lines: one JSON object per line, plain or compressed (`.gz`, `.bz2`,
//! `.zst`, streamed), or from standard input (`-`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{default_source, lossy, open_or_skip, record_to_document, IngestOptions, Sink};
use crate::corpus::CorpusError;

/// How a JSONL file is compressed, from its name's last extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Zstd,
}

impl Compression {
    /// The compression `name` ends with (`.gz`, `.bz2`, `.zst`), and the
    /// name without that extension.
    pub fn of(name: &str) -> (Compression, &str) {
        for (ext, c) in [
            (".gz", Compression::Gzip),
            (".bz2", Compression::Bzip2),
            (".zst", Compression::Zstd),
        ] {
            if let Some(stem) = name.strip_suffix(ext) {
                return (c, stem);
            }
        }
        (Compression::None, name)
    }

    /// A reader that decompresses `r` as it is read.
    pub fn reader<'a>(self, r: impl Read + 'a) -> std::io::Result<Box<dyn Read + 'a>> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(r)?),
        })
    }
}

/// Read a JSONL file (decompressed as its name says); blank lines are
/// ignored, bad lines skipped and reported. `-` is standard input.
pub fn read(path: &Path, opts: &IngestOptions, sink: &mut dyn Sink) -> Result<(), CorpusError> {
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return read_from(stdin.lock(), path, "stdin", opts, sink);
    }
    let Some(file) = open_or_skip(path, sink) else {
        return Ok(());
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (compression, _) = Compression::of(&name);
    // Progress counts the compressed bytes read, the size a bar knows.
    let (counted, count) = super::CountingReader::new(file);
    let plain = compression
        .reader(counted)
        .map_err(|e| CorpusError::io(path, e))?;
    let mut progress = ProgressTap {
        sink,
        count,
        compressed: compression != Compression::None,
    };
    read_from(
        BufReader::with_capacity(1 << 20, plain),
        path,
        &default_source(path),
        opts,
        &mut progress,
    )
}

/// Read JSONL records from `r`, naming `path` in what is reported.
pub fn read_from(
    mut r: impl BufRead,
    path: &Path,
    default_src: &str,
    opts: &IngestOptions,
    sink: &mut dyn Sink,
) -> Result<(), CorpusError> {
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut pos = 0u64;
    loop {
        buf.clear();
        let n = match r.read_until(b'\n', &mut buf) {
            Ok(n) => n,
            Err(e) => {
                // A damaged or truncated (compressed) file: what was read is
                // kept, the rest is reported, the run goes on.
                sink.skipped(
                    path,
                    line + 1,
                    &format!("cannot read further, the rest of the file is skipped: {e}"),
                );
                return Ok(());
            }
        };
        if n == 0 {
            break;
        }
        line += 1;
        pos += n as u64;
        let (text, replaced) = lossy(&buf);
        if replaced {
            sink.warning(path, line, "invalid UTF-8 replaced with U+FFFD");
        }
        // A byte order mark left by an editor (plain files drop it on open;
        // here for standard input and compressed files).
        let t = text.trim_start_matches('\u{feff}').trim();
        if t.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(map)) => match record_to_document(&map, opts, default_src)
            {
                Ok(doc) => sink.document_at(doc, line)?,
                Err(reason) => sink.skipped(path, line, &reason),
            },
            Ok(_) => sink.skipped(path, line, "not a JSON object"),
            Err(e) => sink.skipped(path, line, &format!("invalid JSON: {e}")),
        }
        sink.progress(pos);
    }
    Ok(())
}

/// Passes everything on; reports progress in compressed bytes for a
/// compressed file.
struct ProgressTap<'s> {
    sink: &'s mut dyn Sink,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
    compressed: bool,
}

impl Sink for ProgressTap<'_> {
    fn document(&mut self, doc: crate::corpus::Document) -> Result<(), CorpusError> {
        self.sink.document(doc)
    }
    fn document_at(&mut self, doc: crate::corpus::Document, line: u64) -> Result<(), CorpusError> {
        self.sink.document_at(doc, line)
    }
    fn skipped(&mut self, path: &Path, line: u64, reason: &str) {
        self.sink.skipped(path, line, reason)
    }
    fn warning(&mut self, path: &Path, line: u64, reason: &str) {
        self.sink.warning(path, line, reason)
    }
    fn error(&mut self, path: &Path, reason: &str) {
        self.sink.error(path, reason)
    }
    fn progress(&mut self, bytes_in_file: u64) {
        if self.compressed {
            let n = self.count.load(std::sync::atomic::Ordering::Relaxed);
            self.sink.progress(n)
        } else {
            self.sink.progress(bytes_in_file)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::ingest::Collected;
    use std::io::Write;

    fn two_records() -> &'static str {
        "{\"id\":\"a\",\"text\":\"One. Two.\"}\n{\"id\":\"b\",\"text\":\"Three.\"}\n"
    }

    #[test]
    fn compressed_jsonl_is_read_like_plain_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.jsonl.gz");
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(two_records().as_bytes()).unwrap();
        e.finish().unwrap();
        let zst = dir.path().join("a.jsonl.zst");
        std::fs::write(&zst, zstd::encode_all(two_records().as_bytes(), 3).unwrap()).unwrap();
        let bz = dir.path().join("a.jsonl.bz2");
        let mut e = bzip2::write::BzEncoder::new(
            std::fs::File::create(&bz).unwrap(),
            bzip2::Compression::default(),
        );
        e.write_all(two_records().as_bytes()).unwrap();
        e.finish().unwrap();
        for p in [gz, zst, bz] {
            let mut sink = Collected::default();
            read(&p, &IngestOptions::default(), &mut sink).unwrap();
            let ids: Vec<&str> = sink.docs.iter().map(|d| d.id.as_str()).collect();
            assert_eq!(ids, ["a", "b"], "{}", p.display());
            assert!(sink.skipped.is_empty());
            assert_eq!(sink.docs[0].source, "a");
        }
    }

    #[test]
    fn a_byte_order_mark_in_a_compressed_file_does_not_cost_the_first_record() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.jsonl.zst");
        let bytes = format!("\u{feff}{}", two_records());
        std::fs::write(&p, zstd::encode_all(bytes.as_bytes(), 3).unwrap()).unwrap();
        let mut sink = Collected::default();
        read(&p, &IngestOptions::default(), &mut sink).unwrap();
        assert_eq!(sink.docs.len(), 2, "{:?}", sink.skipped);
    }

    #[test]
    fn a_truncated_compressed_file_keeps_the_records_before_the_damage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cut.jsonl.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..2000 {
            writeln!(e, "{{\"id\":\"d{i}\",\"text\":\"Sentence number {i}.\"}}").unwrap();
        }
        let bytes = e.finish().unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        let mut sink = Collected::default();
        read(&p, &IngestOptions::default(), &mut sink).unwrap();
        assert!(!sink.docs.is_empty() && sink.docs.len() < 2000);
        assert_eq!(sink.skipped.len(), 1, "{:?}", sink.skipped);
        assert!(sink.skipped[0].reason.contains("cannot read further"));
    }
}
