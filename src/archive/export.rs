//! `archive export`: one table of the database as JSON lines, CSV or
//! Parquet, streamed (the database is read, never loaded whole; Parquet is
//! written a row group of [`PARQUET_ROW_GROUP`] rows at a time).

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

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
    /// Apache Parquet (Snappy-compressed columns; SQLite's INTEGER, REAL and
    /// TEXT columns as INT64, DOUBLE and UTF-8 strings, NOT NULL columns
    /// required, the others optional), for Spark, pandas, DuckDB and Arrow.
    Parquet,
}

/// Rows per Parquet row group: what is held in memory while exporting.
pub const PARQUET_ROW_GROUP: usize = 65_536;

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
    out: &mut (dyn Write + Send),
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
        ExportFormat::Parquet => {
            drop(rows);
            drop(st);
            n = write_parquet(store, table, &mut *out)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(n)
}

/// A column's values of one row group, with definition levels (1: a value,
/// 0: null) for an optional column.
enum Column {
    Int(Vec<i64>),
    Real(Vec<f64>),
    Bytes(Vec<ByteArray>),
}

struct ColumnSpec {
    name: String,
    kind: Physical,
    required: bool,
}

/// The table's columns as SQLite declares them (`PRAGMA table_info`).
fn column_specs(store: &Store, table: &str) -> Result<Vec<ColumnSpec>, ArchiveError> {
    let conn = store.connection();
    let mut st = conn
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(|e| store.err(e))?;
    let specs = st
        .query_map([], |r| {
            let decl: String = r.get("type")?;
            let kind = match decl.to_ascii_uppercase().as_str() {
                "INTEGER" => Physical::INT64,
                "REAL" => Physical::DOUBLE,
                _ => Physical::BYTE_ARRAY,
            };
            Ok(ColumnSpec {
                name: r.get("name")?,
                kind,
                required: r.get::<_, i64>("notnull")? != 0,
            })
        })
        .map_err(|e| store.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.err(e))?;
    Ok(specs)
}

fn parquet_schema(specs: &[ColumnSpec]) -> Result<Type, ArchiveError> {
    let fields = specs
        .iter()
        .map(|c| {
            let mut b =
                Type::primitive_type_builder(&c.name, c.kind).with_repetition(if c.required {
                    Repetition::REQUIRED
                } else {
                    Repetition::OPTIONAL
                });
            if c.kind == Physical::BYTE_ARRAY {
                b = b.with_logical_type(Some(LogicalType::String));
            }
            b.build().map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Type::group_type_builder("schema")
        .with_fields(fields)
        .build()?)
}

fn write_parquet(
    store: &Store,
    table: &str,
    out: &mut (dyn Write + Send),
) -> Result<u64, ArchiveError> {
    let specs = column_specs(store, table)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("veracity {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut w = SerializedFileWriter::new(out, Arc::new(parquet_schema(&specs)?), Arc::new(props))?;
    let conn = store.connection();
    let err = |e| store.err(e);
    let mut st = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
        .map_err(err)?;
    let mut rows = st.query([]).map_err(err)?;
    let fresh = || -> Vec<(Column, Vec<i16>)> {
        specs
            .iter()
            .map(|c| {
                let col = match c.kind {
                    Physical::INT64 => Column::Int(Vec::new()),
                    Physical::DOUBLE => Column::Real(Vec::new()),
                    _ => Column::Bytes(Vec::new()),
                };
                (col, Vec::new())
            })
            .collect()
    };
    let mut cols = fresh();
    let (mut n, mut in_group) = (0u64, 0usize);
    while let Some(r) = rows.next().map_err(err)? {
        n += 1;
        for (i, ((col, defs), spec)) in cols.iter_mut().zip(&specs).enumerate() {
            let v = r.get_ref(i).map_err(err)?;
            if v == ValueRef::Null {
                defs.push(0);
                continue;
            }
            defs.push(1);
            // SQLite's types are per value: convert to the declared one.
            match (col, v) {
                (Column::Int(c), ValueRef::Integer(x)) => c.push(x),
                (Column::Int(c), ValueRef::Real(x)) if x.fract() == 0.0 => c.push(x as i64),
                (Column::Real(c), ValueRef::Real(x)) => c.push(x),
                (Column::Real(c), ValueRef::Integer(x)) => c.push(x as f64),
                (Column::Bytes(c), ValueRef::Text(t) | ValueRef::Blob(t)) => {
                    c.push(ByteArray::from(t.to_vec()))
                }
                (Column::Bytes(c), other) => c.push(ByteArray::from(csv_field(other).into_bytes())),
                (_, other) => {
                    return Err(ArchiveError::Invalid(format!(
                        "{table} row {n}, column {}: {other:?} is not a {:?}",
                        spec.name, spec.kind
                    )))
                }
            }
        }
        in_group += 1;
        if in_group == PARQUET_ROW_GROUP {
            write_row_group(&mut w, std::mem::replace(&mut cols, fresh()), &specs)?;
            in_group = 0;
        }
    }
    if in_group > 0 || n == 0 {
        write_row_group(&mut w, cols, &specs)?;
    }
    w.close()?;
    Ok(n)
}

fn write_row_group<W: Write + Send>(
    w: &mut SerializedFileWriter<W>,
    cols: Vec<(Column, Vec<i16>)>,
    specs: &[ColumnSpec],
) -> Result<(), ArchiveError> {
    let mut rg = w.next_row_group()?;
    for ((col, defs), spec) in cols.into_iter().zip(specs) {
        let Some(mut cw) = rg.next_column()? else {
            return Err(ArchiveError::Invalid(
                "the Parquet schema has fewer columns than the table".into(),
            ));
        };
        let defs = (!spec.required).then_some(defs.as_slice());
        match (cw.untyped(), col) {
            (ColumnWriter::Int64ColumnWriter(c), Column::Int(v)) => {
                c.write_batch(&v, defs, None)?;
            }
            (ColumnWriter::DoubleColumnWriter(c), Column::Real(v)) => {
                c.write_batch(&v, defs, None)?;
            }
            (ColumnWriter::ByteArrayColumnWriter(c), Column::Bytes(v)) => {
                c.write_batch(&v, defs, None)?;
            }
            _ => {
                return Err(ArchiveError::Invalid(format!(
                    "column {}: its Parquet writer does not match its type",
                    spec.name
                )))
            }
        }
        cw.close()?;
    }
    rg.close()?;
    Ok(())
}
