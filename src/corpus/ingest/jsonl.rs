//! JSON Lines: one JSON object per line.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{default_source, lossy, open_or_skip, record_to_document, IngestOptions, Sink};
use crate::corpus::CorpusError;

/// Read a JSONL file; blank lines are ignored, bad lines skipped and reported.
pub fn read(path: &Path, opts: &IngestOptions, sink: &mut dyn Sink) -> Result<(), CorpusError> {
    let Some(file) = open_or_skip(path, sink) else {
        return Ok(());
    };
    let src = default_source(path);
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut pos = 0u64;
    loop {
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| CorpusError::io(path, e))?;
        if n == 0 {
            break;
        }
        line += 1;
        pos += n as u64;
        let (text, replaced) = lossy(&buf);
        if replaced {
            sink.warning(path, line, "invalid UTF-8 replaced with U+FFFD");
        }
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(t) {
            Ok(serde_json::Value::Object(map)) => match record_to_document(&map, opts, &src) {
                Ok(doc) => sink.document(doc)?,
                Err(reason) => sink.skipped(path, line, &reason),
            },
            Ok(_) => sink.skipped(path, line, "not a JSON object"),
            Err(e) => sink.skipped(path, line, &format!("invalid JSON: {e}")),
        }
        sink.progress(pos);
    }
    Ok(())
}
