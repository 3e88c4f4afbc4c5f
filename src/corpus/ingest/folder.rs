//! Folders of `.txt`, `.md` and `.html` files (searched recursively; other
//! files are ignored). HTML is reduced to its main text; a text file's title
//! is its first non-empty line (Markdown `#` marks dropped).

use std::path::{Path, PathBuf};

use super::{lossy, IngestOptions, Sink};
use crate::corpus::{CorpusError, Document};

fn wanted(p: &Path) -> bool {
    matches!(
        p.extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref(),
        Some("txt" | "md" | "markdown" | "html" | "htm")
    )
}

/// The files a folder ingest reads, sorted.
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if wanted(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Title and text of a plain-text or Markdown file.
pub fn text_file(content: &str) -> (String, String) {
    let title = content
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    (title, content.trim().to_string())
}

/// Read every wanted file under `dir`.
pub fn read(dir: &Path, opts: &IngestOptions, sink: &mut dyn Sink) -> Result<(), CorpusError> {
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| super::default_source(dir));
    let files = list_files(dir);
    if files.is_empty() {
        sink.skipped(dir, 0, "no .txt, .md or .html files in this folder");
        return Ok(());
    }
    let mut done = 0u64;
    for path in files {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                sink.skipped(&path, 0, &format!("unreadable: {e}"));
                continue;
            }
        };
        let (content, replaced) = lossy(&bytes);
        if replaced {
            sink.warning(&path, 0, "invalid UTF-8 replaced with U+FFFD");
        }
        let is_html = matches!(
            path.extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .as_deref(),
            Some("html" | "htm")
        );
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (title, text) = if is_html {
            let (title, text) = crate::corpus::textsplit::html_extract(&content);
            (title.unwrap_or_else(|| stem.clone()), text)
        } else {
            text_file(&content)
        };
        if text.trim().is_empty() {
            sink.skipped(&path, 0, "no text");
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let id = format!("{}/{}", source, rel.to_string_lossy().replace('\\', "/"));
        sink.document(Document {
            id,
            title: if title.is_empty() { stem } else { title },
            text,
            url: None,
            source: source.clone(),
            published: None,
            kind: opts.kind,
        })?;
        done += bytes.len() as u64;
        sink.progress(done);
    }
    Ok(())
}
