//! CSV with a header row (RFC 4180 quoting; quoted fields may span lines).

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::{default_source, lossy, open_or_skip, record_to_document, IngestOptions, Sink};
use crate::corpus::CorpusError;

/// Split one complete CSV record into fields.
pub fn parse_record(rec: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = rec.chars().peekable();
    let mut in_quotes = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => return Err("text after a closing quote".into()),
                    }
                }
            } else {
                cur.push(c);
            }
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
            continue;
        } else if c == '"' && at_start {
            in_quotes = true;
        } else {
            cur.push(c);
        }
        at_start = false;
    }
    if in_quotes {
        return Err("unterminated quoted field".into());
    }
    fields.push(cur);
    Ok(fields)
}

fn quotes_balanced(s: &str) -> bool {
    s.bytes().filter(|&b| b == b'"').count() % 2 == 0
}

/// Read a CSV file with a header; rows with the wrong number of fields or bad
/// quoting are skipped and reported.
pub fn read(path: &Path, opts: &IngestOptions, sink: &mut dyn Sink) -> Result<(), CorpusError> {
    let Some(file) = open_or_skip(path, sink) else {
        return Ok(());
    };
    let src = default_source(path);
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut header: Option<Vec<String>> = None;
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut pos = 0u64;
    let mut rec = String::new();
    let mut rec_line = 0u64;
    loop {
        buf.clear();
        let n = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| CorpusError::io(path, e))?;
        let eof = n == 0;
        if !eof {
            line += 1;
            pos += n as u64;
            let (text, replaced) = lossy(&buf);
            if replaced {
                sink.warning(path, line, "invalid UTF-8 replaced with U+FFFD");
            }
            if rec.is_empty() {
                rec_line = line;
            }
            rec.push_str(&text);
            if !quotes_balanced(&rec) {
                continue; // a quoted field goes on over the next line
            }
        } else if rec.is_empty() {
            break;
        }
        let record = std::mem::take(&mut rec);
        let record = record.trim_end_matches(['\n', '\r']);
        if record.trim().is_empty() {
            if eof {
                break;
            }
            continue;
        }
        match parse_record(record) {
            Err(reason) => {
                if header.is_none() {
                    sink.skipped(
                        path,
                        rec_line,
                        &format!("bad header: {reason}; file skipped"),
                    );
                    return Ok(());
                }
                sink.skipped(path, rec_line, &reason)
            }
            Ok(fields) => match &header {
                None => {
                    let h: Vec<String> = fields
                        .into_iter()
                        .map(|f| f.trim().trim_start_matches('\u{feff}').to_string())
                        .collect();
                    if !h.contains(&opts.fields.text) {
                        sink.skipped(
                            path,
                            rec_line,
                            &format!(
                                "header has no '{}' column (map another with --text-field); file skipped",
                                opts.fields.text
                            ),
                        );
                        return Ok(());
                    }
                    header = Some(h);
                }
                Some(h) => {
                    if fields.len() != h.len() {
                        sink.skipped(
                            path,
                            rec_line,
                            &format!("{} fields, the header has {}", fields.len(), h.len()),
                        );
                    } else {
                        let map: serde_json::Map<String, serde_json::Value> = h
                            .iter()
                            .cloned()
                            .zip(fields.into_iter().map(serde_json::Value::String))
                            .collect();
                        match record_to_document(&map, opts, &src) {
                            Ok(doc) => sink.document(doc)?,
                            Err(reason) => sink.skipped(path, rec_line, &reason),
                        }
                    }
                }
            },
        }
        sink.progress(pos);
        if eof {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_and_commas() {
        assert_eq!(
            parse_record(
                r#"a,"b, c","say ""hi""",,"x
y""#
            )
            .unwrap(),
            vec!["a", "b, c", "say \"hi\"", "", "x\ny"]
        );
        assert!(parse_record(r#""open"#).is_err());
        assert!(parse_record(r#""a"b,c"#).is_err());
    }
}
