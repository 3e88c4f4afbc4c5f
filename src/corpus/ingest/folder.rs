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

/// The files a folder ingest reads, sorted (see [`walk`]).
pub fn list_files(dir: &Path) -> Vec<PathBuf> {
    walk(dir).files
}

/// What [`walk`] found under a folder.
#[derive(Debug, Default)]
pub struct Listing {
    /// The wanted regular files, sorted, each once.
    pub files: Vec<PathBuf>,
    /// Entries left out, and why: FIFOs, sockets and device files (reading
    /// one could block forever), entries that cannot be read.
    pub left_out: Vec<(PathBuf, String)>,
}

/// The identity of a file or folder: (device, inode) where the platform has
/// them, else its canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(p: &Path, m: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = p;
        FileId::Inode(m.dev(), m.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        FileId::Path(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
    }
}

/// The wanted files under `dir`, recursively. Symbolic links are followed,
/// but every folder and every file is visited once (a link back to a folder
/// already visited is a loop, not more files); only regular files are read.
pub fn walk(dir: &Path) -> Listing {
    let mut out = Listing::default();
    let mut seen = std::collections::HashSet::new();
    if let Ok(m) = std::fs::metadata(dir) {
        seen.insert(file_id(dir, &m));
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) => {
                out.left_out.push((d, format!("unreadable folder: {e}")));
                continue;
            }
        };
        for e in rd.flatten() {
            let p = e.path();
            // Follows a symbolic link; a dangling one is left out.
            let m = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    if wanted(&p) {
                        out.left_out.push((p, format!("unreadable: {e}")));
                    }
                    continue;
                }
            };
            if m.is_dir() {
                if seen.insert(file_id(&p, &m)) {
                    stack.push(p);
                }
            } else if wanted(&p) {
                if !m.is_file() {
                    out.left_out.push((
                        p,
                        "not a regular file (a FIFO, socket or device); not read".into(),
                    ));
                } else if seen.insert(file_id(&p, &m)) {
                    out.files.push(p);
                }
            }
        }
    }
    out.files.sort();
    out.left_out.sort();
    out
}

/// The content of `path` if it is (still) a regular file: a FIFO put in its
/// place after the walk is never opened.
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a FIFO, socket or device)",
        ));
    }
    std::fs::read(path)
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
    let Listing { files, left_out } = walk(dir);
    for (p, reason) in &left_out {
        sink.warning(p, 0, reason);
    }
    if files.is_empty() {
        sink.skipped(dir, 0, "no .txt, .md or .html files in this folder");
        return Ok(());
    }
    let mut done = 0u64;
    for path in files {
        let bytes = match read_regular(&path) {
            Ok(b) => b,
            Err(e) => {
                sink.error(&path, &format!("unreadable: {e}"));
                continue;
            }
        };
        if let Some(enc) = super::foreign_bom(&bytes) {
            sink.error(&path, &super::encoding_error(enc));
            continue;
        }
        let (content, replaced) = lossy(bytes.strip_prefix(super::UTF8_BOM).unwrap_or(&bytes));
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::corpus::ingest::Collected;

    #[test]
    fn symlinked_folder_loop_is_visited_once() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::create_dir(&f).unwrap();
        std::fs::create_dir(f.join("sub")).unwrap();
        std::fs::write(f.join("a.txt"), "Doc. Two.").unwrap();
        std::fs::write(f.join("sub/c.md"), "# C\nThird.").unwrap();
        // Loops to the folder itself and to its parent, and a second name
        // for a file: two files, each read once.
        for (link, target) in [("l1", "."), ("sub/up", ".."), ("b.txt", "a.txt")] {
            std::os::unix::fs::symlink(target, f.join(link)).unwrap();
        }
        let files = list_files(&f);
        assert_eq!(files.len(), 2, "{files:?}");
        let mut c = Collected::default();
        read(&f, &IngestOptions::default(), &mut c).unwrap();
        assert_eq!(c.docs.len(), 2);
    }

    #[test]
    fn fifo_in_folder_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "Doc. Two.").unwrap();
        let fifo = dir.path().join("p.txt");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let mut c = Collected::default();
        read(dir.path(), &IngestOptions::default(), &mut c).unwrap();
        assert_eq!(c.docs.len(), 1);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert_eq!(c.warnings[0].path, fifo);
        assert!(c.warnings[0].reason.contains("not a regular file"));
        assert_eq!(
            read_regular(&fifo).unwrap_err().kind(),
            std::io::ErrorKind::Other
        );
    }
}
