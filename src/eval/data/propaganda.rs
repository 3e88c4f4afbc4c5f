//! Loaders for the labelled data used to train and evaluate the propaganda
//! model: the PTC layout of SemEval-2020 Task 11 (articles with one sentence
//! per line and character-offset technique spans) and the SemEval-2021 Task 6
//! meme texts. Nothing here is used at inference time.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::propaganda::techniques::{self, N_TECHNIQUES};
use crate::propaganda::PropagandaError;
pub use crate::propaganda::SentenceSpan;

/// One sentence (line) of a PTC article with its gold labels.
#[derive(Debug, Clone)]
pub struct GoldSentence {
    /// The line's text, trimmed.
    pub text: String,
    /// Character offsets of the trimmed line in the article (as in the label file).
    pub char_start: usize,
    pub char_end: usize,
    /// `labels[t]` is true when a gold span of technique `t` overlaps the line.
    pub labels: [bool; N_TECHNIQUES],
    /// The gold spans overlapping the line, clipped to it: (start, end,
    /// technique), character offsets into `text`.
    pub spans: Vec<SentenceSpan>,
}

impl GoldSentence {
    /// True when any technique span overlaps the line.
    pub fn is_propaganda(&self) -> bool {
        self.labels.iter().any(|&b| b)
    }
}

/// A PTC article split into its lines.
#[derive(Debug, Clone)]
pub struct GoldArticle {
    pub id: String,
    pub sentences: Vec<GoldSentence>,
}

impl GoldArticle {
    /// Share of sentences with at least one technique (0 for an empty article).
    pub fn gold_share(&self) -> f64 {
        if self.sentences.is_empty() {
            return 0.0;
        }
        let pos = self.sentences.iter().filter(|s| s.is_propaganda()).count();
        pos as f64 / self.sentences.len() as f64
    }
}

/// A loaded corpus plus the records that were skipped, with reasons.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub articles: Vec<GoldArticle>,
    /// Human-readable "file:line: reason" for each skipped record.
    pub skipped: Vec<String>,
    /// Number of labelled spans used.
    pub spans: usize,
    /// Files read, for provenance (path, sha256 hex).
    pub files: Vec<(PathBuf, String)>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(path: &Path) -> Result<Vec<u8>, PropagandaError> {
    fs::read(path).map_err(|e| PropagandaError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Split an article into trimmed non-empty lines with character offsets.
fn lines_with_char_offsets(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut char_pos = 0usize;
    for line in text.split('\n') {
        let n_chars = line.chars().count();
        let lead = line.chars().take_while(|c| c.is_whitespace()).count();
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let len = trimmed.chars().count();
            out.push((char_pos + lead, char_pos + lead + len, trimmed.to_string()));
        }
        char_pos += n_chars + 1;
    }
    out
}

/// Load a PTC folder: `train-articles/article<ID>.txt` and a technique label
/// file (`train-task2-TC.labels`, or the first `*-TC.labels` found).
pub fn load_ptc(dir: &Path) -> Result<Corpus, PropagandaError> {
    let art_dir = dir.join("train-articles");
    if !art_dir.is_dir() {
        return Err(PropagandaError::Data(format!(
            "{} has no train-articles/ folder; pass the PTC folder (with train-articles/ and train-task2-TC.labels)",
            dir.display()
        )));
    }
    let labels_path = {
        let p = dir.join("train-task2-TC.labels");
        if p.is_file() {
            p
        } else {
            let mut found = None;
            for e in fs::read_dir(dir).map_err(|e| PropagandaError::Io {
                path: dir.to_path_buf(),
                source: e,
            })? {
                let e = e.map_err(|e| PropagandaError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })?;
                if e.file_name().to_string_lossy().ends_with("-TC.labels") {
                    found = Some(e.path());
                    break;
                }
            }
            found.ok_or_else(|| {
                PropagandaError::Data(format!(
                    "{} has no *-TC.labels technique label file",
                    dir.display()
                ))
            })?
        }
    };
    let mut corpus = Corpus::default();
    let mut paths: Vec<PathBuf> = fs::read_dir(&art_dir)
        .map_err(|e| PropagandaError::Io {
            path: art_dir.clone(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    // article id → (index in corpus.articles, length in characters)
    let mut by_id: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut hasher_input = Vec::new();
    for p in &paths {
        let stem = p.file_stem().map(|s| s.to_string_lossy().to_string());
        let Some(id) = stem.as_deref().and_then(|s| s.strip_prefix("article")) else {
            corpus
                .skipped
                .push(format!("{}: file name is not article<ID>.txt", p.display()));
            continue;
        };
        let bytes = read(p)?;
        hasher_input.extend_from_slice(&bytes);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                corpus.skipped.push(format!(
                    "{}: invalid UTF-8 at byte {}",
                    p.display(),
                    e.utf8_error().valid_up_to()
                ));
                continue;
            }
        };
        let lines = lines_with_char_offsets(&text);
        let n_chars = text.chars().count();
        corpus.articles.push(GoldArticle {
            id: id.to_string(),
            sentences: lines
                .iter()
                .map(|(s, e, t)| GoldSentence {
                    text: t.clone(),
                    char_start: *s,
                    char_end: *e,
                    labels: [false; N_TECHNIQUES],
                    spans: Vec::new(),
                })
                .collect(),
        });
        by_id.insert(id.to_string(), (corpus.articles.len() - 1, n_chars));
    }
    corpus
        .files
        .push((art_dir.join("*.txt"), sha256_hex(&hasher_input)));
    let bytes = read(&labels_path)?;
    corpus.files.push((labels_path.clone(), sha256_hex(&bytes)));
    let labels = String::from_utf8_lossy(&bytes);
    for (i, line) in labels.lines().enumerate() {
        let lineno = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |reason: &str| format!("{}:{lineno}: {reason}", labels_path.display());
        if f.len() != 4 {
            corpus.skipped.push(bad(&format!(
                "expected 4 tab-separated fields, found {}",
                f.len()
            )));
            continue;
        }
        let Some(t) = techniques::from_ptc(f[1].trim()) else {
            corpus
                .skipped
                .push(bad(&format!("unknown technique '{}'", f[1])));
            continue;
        };
        let (Ok(s), Ok(e)) = (f[2].trim().parse::<usize>(), f[3].trim().parse::<usize>()) else {
            corpus.skipped.push(bad("start/end are not integers"));
            continue;
        };
        let Some(&(ai, n_chars)) = by_id.get(f[0].trim()) else {
            corpus
                .skipped
                .push(bad(&format!("no article file for id {}", f[0])));
            continue;
        };
        if s >= e || e > n_chars {
            corpus.skipped.push(bad(&format!(
                "span {s}..{e} is empty or beyond the article's {n_chars} characters"
            )));
            continue;
        }
        corpus.spans += 1;
        for sent in corpus.articles[ai].sentences.iter_mut() {
            if sent.char_start < e && s < sent.char_end {
                sent.labels[t] = true;
                sent.spans.push((
                    s.max(sent.char_start) - sent.char_start,
                    e.min(sent.char_end) - sent.char_start,
                    t,
                ));
            }
        }
    }
    Ok(corpus)
}

/// One meme text with its techniques mapped to PTC (unmapped labels kept apart).
#[derive(Debug, Clone)]
pub struct MemeText {
    pub id: String,
    pub text: String,
    /// Mapped PTC techniques present in the text.
    pub labels: [bool; N_TECHNIQUES],
    /// Number of labels with no PTC counterpart (e.g. Smears).
    pub unmapped: usize,
}

/// Load SemEval-2021 Task 6 task-1 files (`*_task1.json` JSON arrays of
/// `{id, labels, text}`). `path` may be one file or the folder (then every
/// `*task1.json` in it is read).
pub fn load_memes(path: &Path) -> Result<Corpus2, PropagandaError> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = fs::read_dir(path)
            .map_err(|e| PropagandaError::Io {
                path: path.to_path_buf(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with("task1.json"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(PropagandaError::Data(format!(
            "no *task1.json files in {}",
            path.display()
        )));
    }
    let mut out = Corpus2::default();
    for f in files {
        let bytes = read(&f)?;
        out.files.push((f.clone(), sha256_hex(&bytes)));
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            PropagandaError::Data(format!(
                "{}:{}: not valid JSON ({e}); expected an array of {{id, labels, text}}",
                f.display(),
                e.line()
            ))
        })?;
        let Some(arr) = v.as_array() else {
            return Err(PropagandaError::Data(format!(
                "{}: expected a JSON array of {{id, labels, text}}",
                f.display()
            )));
        };
        for (i, rec) in arr.iter().enumerate() {
            let id = rec
                .get("id")
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| x.to_string())
                })
                .unwrap_or_default();
            let (Some(text), Some(labels)) = (
                rec.get("text").and_then(|x| x.as_str()),
                rec.get("labels").and_then(|x| x.as_array()),
            ) else {
                out.skipped.push(format!(
                    "{}: record {i} (id '{id}'): missing text or labels",
                    f.display()
                ));
                continue;
            };
            let mut m = MemeText {
                id,
                text: text.to_string(),
                labels: [false; N_TECHNIQUES],
                unmapped: 0,
            };
            for l in labels {
                match l.as_str().and_then(techniques::from_memes) {
                    Some(t) => m.labels[t] = true,
                    None => m.unmapped += 1,
                }
            }
            out.texts.push(m);
        }
    }
    Ok(out)
}

/// Loaded meme texts plus skipped records and file hashes.
#[derive(Debug, Clone, Default)]
pub struct Corpus2 {
    pub texts: Vec<MemeText>,
    pub skipped: Vec<String>,
    pub files: Vec<(PathBuf, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptc_layout_maps_character_spans_to_lines() {
        let dir = tempfile::tempdir().unwrap();
        let arts = dir.path().join("train-articles");
        fs::create_dir(&arts).unwrap();
        // "é" is 2 bytes but 1 character: offsets must be characters.
        let text = "Títle here\n\nFirst line is calm.\nSecond line is a disgrace!\n";
        fs::write(arts.join("article1.txt"), text).unwrap();
        let start = text.find("disgrace").unwrap() - 1; // byte → char: one 2-byte char before
        let labels = format!(
            "1\tLoaded_Language\t{start}\t{}\n1\tBogus\t0\t3\n1\tDoubt\t5\n",
            start + 8
        );
        fs::write(dir.path().join("train-task2-TC.labels"), labels).unwrap();
        let c = load_ptc(dir.path()).unwrap();
        assert_eq!(c.articles.len(), 1);
        let a = &c.articles[0];
        assert_eq!(a.sentences.len(), 3);
        assert_eq!(a.sentences[2].text, "Second line is a disgrace!");
        assert!(a.sentences[2].labels[0]);
        // The span, clipped to its line, in characters of the line.
        let (ss, se, st) = a.sentences[2].spans[0];
        assert_eq!((st, &a.sentences[2].text[ss..se]), (0, "disgrace"));
        assert!(!a.sentences[1].is_propaganda());
        assert_eq!(c.spans, 1);
        assert_eq!(c.skipped.len(), 2, "{:?}", c.skipped);
        assert!((a.gold_share() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn memes_map_labels() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x_task1.json");
        fs::write(
            &p,
            r#"[{"id":"1","labels":["Smears","Flag-waving"],"text":"WE LOVE OUR COUNTRY"},{"id":"2"}]"#,
        )
        .unwrap();
        let c = load_memes(dir.path()).unwrap();
        assert_eq!(c.texts.len(), 1);
        assert!(c.texts[0].labels[6]);
        assert_eq!(c.texts[0].unmapped, 1);
        assert_eq!(c.skipped.len(), 1);
    }
}
