//! `archive export`: one table of the database as JSON lines or CSV,
//! streamed row by row (the database is read, never loaded whole).

use std::io::Write;

use rusqlite::types::ValueRef;
use serde_json::Value;

use super::store::{Store, TABLES};
use super::ArchiveError;

/// Formats `archive export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ExportFormat {
    /// One JSON object per row.
    Jsonl,
    /// CSV with a header row (RFC 4180 quoting).
    Csv,
}

fn json_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            b,
        )),
    }
}

fn csv_field(v: ValueRef<'_>) -> String {
    match json_value(v) {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Write every row of `table` to `out`; returns the number of rows.
pub fn export(
    store: &Store,
    table: &str,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, ArchiveError> {
    if !TABLES.contains(&table) {
        return Err(ArchiveError::Invalid(format!(
            "no table '{table}'; the tables are {}",
            TABLES.join(", ")
        )));
    }
    let err = |e| store.err(e);
    let io = |e: std::io::Error| ArchiveError::io(std::path::Path::new("the output"), e);
    let conn = store.connection();
    let mut st = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
        .map_err(err)?;
    let columns: Vec<String> = st.column_names().iter().map(|c| c.to_string()).collect();
    let mut rows = st.query([]).map_err(err)?;
    let mut n = 0u64;
    match format {
        ExportFormat::Jsonl => {
            // Objects written by hand to keep the table's column order.
            let keys: Vec<String> = columns
                .iter()
                .map(|c| Value::String(c.clone()).to_string())
                .collect();
            let mut line = String::new();
            while let Some(r) = rows.next().map_err(err)? {
                line.clear();
                line.push('{');
                for (i, key) in keys.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(key);
                    line.push(':');
                    line.push_str(&json_value(r.get_ref(i).map_err(err)?).to_string());
                }
                line.push_str("}\n");
                out.write_all(line.as_bytes()).map_err(io)?;
                n += 1;
            }
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(&columns).map_err(|e| io(e.into()))?;
            while let Some(r) = rows.next().map_err(err)? {
                let fields: Vec<String> = (0..columns.len())
                    .map(|i| r.get_ref(i).map(csv_field))
                    .collect::<Result<_, _>>()
                    .map_err(err)?;
                w.write_record(&fields).map_err(|e| io(e.into()))?;
                n += 1;
            }
            w.flush().map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(n)
}
