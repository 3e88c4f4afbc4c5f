//! Labelled check-worthiness data: ClaimBuster and CLEF CheckThat! files, and
//! the fixed held-out split.
//!
//! Formats are recognised by their header row:
//! - ClaimBuster CSV: `sentence_id,screening,label,text`;
//! - CheckThat! 2019 CSV: `line_number,speaker,text,label,file_name` (one
//!   ranking per `file_name`, i.e. per debate);
//! - CheckThat! 2020 task 5 TSV: `text<TAB>label` (the file is one ranking);
//! - CheckThat! 2020 task 1 TSV (tweets): `topic_id … tweet_text … check_worthiness`
//!   (or `claim_worthiness`; one ranking per topic).
//!
//! `.csv` files are parsed with RFC 4180 quoting, `.tsv` files are split on
//! tabs. A malformed row is reported with its file and line, skipped, and
//! counted.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::claims::ClaimsError;

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labeled {
    pub text: String,
    pub label: bool,
    /// The ranking it belongs to (debate file, topic, or the file itself).
    pub group: String,
    /// True for ClaimBuster rows: only they are split into train/val/held-out.
    pub claimbuster: bool,
}

/// A loaded file: its rows and how many malformed rows were skipped.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub path: PathBuf,
    pub rows: Vec<Labeled>,
    pub skipped: usize,
}

/// Parse delimited text into records with the line number each starts on
/// (the `csv` crate; blank lines are skipped, rows may have any number of
/// fields). `quoted`: honour RFC 4180 double quotes (fields may span lines).
pub fn parse_delimited(text: &str, delim: char, quoted: bool) -> Vec<(usize, Vec<String>)> {
    use crate::corpus::ingest::csv::Records;
    let delim = u8::try_from(delim).expect("an ASCII delimiter");
    let bytes = text.as_bytes();
    let mut rdr = Records::new(
        bytes,
        delim,
        quoted,
        bytes.len() as u64,
        bytes.last() == Some(&b'\n'),
    );
    let mut records = Vec::new();
    let mut rec = csv::ByteRecord::new();
    // Reading a `&str` cannot fail: no I/O, and the text is UTF-8.
    while let Ok(Some(span)) = rdr.next(&mut rec) {
        let line = if span.breaks > 0 {
            span.line_in(&bytes[span.from as usize..span.to as usize])
        } else {
            span.line
        };
        let fields = rec.iter().map(|f| String::from_utf8_lossy(f).into_owned());
        records.push((line as usize, fields.collect()));
    }
    records
}

fn col(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| h.trim().eq_ignore_ascii_case(n)))
}

/// Load one labelled file (see the module docs for the formats).
pub fn load(path: &Path) -> Result<Dataset, ClaimsError> {
    let bytes = std::fs::read(path).map_err(|e| ClaimsError::Io {
        path: path.to_path_buf(),
        error: e,
    })?;
    // Binary input is an error; stray invalid bytes are replaced with a warning.
    let text = crate::text::decode_text(&bytes, path).map_err(|e| ClaimsError::Data {
        path: path.to_path_buf(),
        line: 1,
        reason: match e {
            crate::text::TextError::Binary { reason, .. } => {
                format!("{reason}; expected a UTF-8 CSV or TSV file")
            }
            other => other.to_string(),
        },
    })?;
    let tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let records = if tsv {
        parse_delimited(&text, '\t', false)
    } else {
        parse_delimited(&text, ',', true)
    };
    let mut it = records.into_iter();
    let bad = |reason: &str| ClaimsError::Data {
        path: path.to_path_buf(),
        line: 1,
        reason: reason.to_string(),
    };
    let (_, header) = it.next().ok_or_else(|| bad("the file is empty"))?;
    let text_col = col(&header, &["text", "tweet_text", "sentence"])
        .ok_or_else(|| bad("no text column (expected `text` or `tweet_text` in the header)"))?;
    let label_col =
        col(&header, &["label", "check_worthiness", "claim_worthiness"]).ok_or_else(|| {
            bad("no label column (expected `label`, `check_worthiness` or `claim_worthiness`)")
        })?;
    let group_col = col(&header, &["file_name", "topic_id", "debate"]);
    let claimbuster =
        col(&header, &["sentence_id"]).is_some() && col(&header, &["screening"]).is_some();
    let file_group = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (line, rec) in it {
        let need = text_col.max(label_col).max(group_col.unwrap_or(0));
        if rec.len() <= need {
            tracing::warn!(
                "{}:{line}: {} field(s), expected at least {}; row skipped",
                path.display(),
                rec.len(),
                need + 1
            );
            skipped += 1;
            continue;
        }
        let label = match rec[label_col].trim() {
            "1" | "1.0" => true,
            "0" | "0.0" => false,
            other => {
                tracing::warn!(
                    "{}:{line}: label {other:?} is not 0 or 1; row skipped",
                    path.display()
                );
                skipped += 1;
                continue;
            }
        };
        let text = rec[text_col].trim();
        if text.is_empty() {
            tracing::warn!("{}:{line}: empty text; row skipped", path.display());
            skipped += 1;
            continue;
        }
        let group = group_col
            .map(|g| rec[g].trim().to_string())
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| file_group.clone());
        rows.push(Labeled {
            text: text.to_string(),
            label,
            group,
            claimbuster,
        });
    }
    if skipped > 0 {
        tracing::warn!(
            "{}: {skipped} malformed row(s) skipped, {} read",
            path.display(),
            rows.len()
        );
    }
    Ok(Dataset {
        path: path.to_path_buf(),
        rows,
        skipped,
    })
}

/// Which part of the fixed split a ClaimBuster sentence falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fold {
    Train,
    Validation,
    HeldOut,
}

/// The split rule, as stored in the head's provenance.
pub const SPLIT_RULE: &str = "ClaimBuster rows: h = first 8 bytes (little endian) of sha256(\"veracity-cw-split/1\\n\" + lowercased, whitespace-collapsed text); h % 10 in {0,1} -> held-out (20%), h % 10 == 2 -> validation (10%, threshold and early stopping), else train. Other data sets go to train, minus any sentence whose normalised text is in the held-out part.";

/// Lowercased, whitespace-collapsed text (the key of the split).
pub fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The fold of a ClaimBuster sentence (see [`SPLIT_RULE`]).
pub fn fold_of(text: &str) -> Fold {
    let mut h = Sha256::new();
    h.update(b"veracity-cw-split/1\n");
    h.update(normalise(text).as_bytes());
    let d = h.finalize();
    let v = u64::from_le_bytes(d[..8].try_into().expect("sha256 has 32 bytes"));
    match v % 10 {
        0 | 1 => Fold::HeldOut,
        2 => Fold::Validation,
        _ => Fold::Train,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let t = "a,b,c\n1,\"x, \"\"quoted\"\"\nline\",3\r\n\n4,,6";
        let r = parse_delimited(t, ',', true);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].0, 2);
        assert_eq!(r[1].1, ["1", "x, \"quoted\"\nline", "3"]);
        assert_eq!(r[2].0, 5);
        assert_eq!(r[2].1, ["4", "", "6"]);
    }

    #[test]
    fn tsv_keeps_quotes() {
        let r = parse_delimited("text\tlabel\nHe said \"no\".\t1\n", '\t', false);
        assert_eq!(r[1].1, ["He said \"no\".", "1"]);
    }

    #[test]
    fn loads_formats_and_skips_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let cb = dir.path().join("cb.csv");
        std::fs::write(
            &cb,
            "sentence_id,screening,label,text\n1,-3,1,\"We lost 700,000 jobs.\"\n2,-3,x,Bad label\n3,-3,0\n4,-3,0,Thank you.\n",
        )
        .unwrap();
        let d = load(&cb).unwrap();
        assert_eq!(d.rows.len(), 2);
        assert_eq!(d.skipped, 2);
        assert!(d.rows[0].claimbuster && d.rows[0].label);
        assert_eq!(d.rows[0].text, "We lost 700,000 jobs.");

        let ct = dir.path().join("ct.csv");
        std::fs::write(
            &ct,
            "line_number,speaker,text,label,file_name\n1,A,Hello.,0,d1.tsv\n2,B,Taxes rose 5%.,1,d2.tsv\n",
        )
        .unwrap();
        let d = load(&ct).unwrap();
        assert_eq!(d.rows[1].group, "d2.tsv");
        assert!(!d.rows[1].claimbuster);

        let tw = dir.path().join("tw.tsv");
        std::fs::write(
            &tw,
            "topic_id\ttweet_id\ttweet_url\ttweet_text\tclaim\tcheck_worthiness\ncovid\t1\tu\tA \"tweet\"\t1\t1\n",
        )
        .unwrap();
        let d = load(&tw).unwrap();
        assert_eq!(d.rows[0].text, "A \"tweet\"");
        assert_eq!(d.rows[0].group, "covid");

        let bin = dir.path().join("bin.csv");
        std::fs::write(&bin, b"text,label\n\x00\x01,1\n").unwrap();
        let e = load(&bin).unwrap_err().to_string();
        assert!(e.contains("bin.csv") && e.contains("binary"), "{e}");

        let no = dir.path().join("no.csv");
        std::fs::write(&no, "a,b\n1,2\n").unwrap();
        let e = load(&no).unwrap_err().to_string();
        assert!(e.contains("no.csv") && e.contains("text column"), "{e}");
    }

    #[test]
    fn split_is_stable_and_roughly_proportional() {
        assert_eq!(fold_of("Some  Sentence."), fold_of("some sentence."));
        let folds: Vec<Fold> = (0..2000).map(|i| fold_of(&format!("s {i}"))).collect();
        let held = folds.iter().filter(|f| **f == Fold::HeldOut).count();
        let val = folds.iter().filter(|f| **f == Fold::Validation).count();
        assert!((340..460).contains(&held), "{held}");
        assert!((140..260).contains(&val), "{val}");
    }
}
