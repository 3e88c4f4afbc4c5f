//! The provenance object a head file stores: the command that made it, the
//! version, the data files (with their sha256) and whatever else the head
//! reports (split, seed, options, metrics). Keys come out sorted, as
//! `serde_json` writes every object of a head file.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use super::HeadsError;

/// The sha256 of a file, hex (the one hash of the crate: model files are
/// checked with the same function).
pub fn sha256_file(path: &Path) -> Result<String, HeadsError> {
    Ok(crate::embed::models::sha256_file(path)?)
}

/// One data file in a provenance's `data` list.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile(Map<String, Value>);

impl DataFile {
    /// `{"file": <file name>, "sha256": <of its bytes>}`.
    pub fn file(path: &Path) -> Result<Self, HeadsError> {
        let name = path.file_name().map(|f| f.to_string_lossy().into_owned());
        let mut m = Map::new();
        m.insert("file".into(), serde_json::json!(name));
        m.insert("sha256".into(), Value::String(sha256_file(path)?));
        Ok(DataFile(m))
    }

    /// `{"path": <path>, "sha256": <hash>}` for a hash computed elsewhere
    /// (e.g. over a set of files).
    pub fn path(path: &Path, sha256: &str) -> Self {
        let mut m = Map::new();
        m.insert("path".into(), Value::String(path.display().to_string()));
        m.insert("sha256".into(), Value::String(sha256.to_string()));
        DataFile(m)
    }

    /// Another field of the entry (e.g. rows read).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Result<Self, HeadsError> {
        self.0.insert(key.into(), serde_json::to_value(value)?);
        Ok(self)
    }
}

/// A provenance object under construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance(Map<String, Value>);

impl Provenance {
    /// `{"command": ..., "data": [...]}`.
    pub fn new(command: &str, data: Vec<DataFile>) -> Self {
        let mut m = Map::new();
        m.insert("command".into(), Value::String(command.to_string()));
        m.insert(
            "data".into(),
            Value::Array(data.into_iter().map(|d| Value::Object(d.0)).collect()),
        );
        Provenance(m)
    }

    /// Adds `veracity_version`: this crate's version.
    pub fn versioned(mut self) -> Self {
        self.0.insert(
            "veracity_version".into(),
            Value::String(env!("CARGO_PKG_VERSION").to_string()),
        );
        self
    }

    /// Another field (split, seed, options, metrics, ...).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Result<Self, HeadsError> {
        self.0.insert(key.into(), serde_json::to_value(value)?);
        Ok(self)
    }

    /// The JSON object.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed check-worthiness head's provenance, rebuilt from its
    /// own values, is the same object.
    #[test]
    fn rebuilds_a_committed_provenance() {
        let head: Value =
            serde_json::from_str(include_str!("../../models/heads/checkworthiness.json")).unwrap();
        let p = &head["provenance"];
        let d = &p["data"][0];
        let mut entry = DataFile(Map::new());
        for k in ["file", "sha256"] {
            entry.0.insert(k.into(), d[k].clone());
        }
        let entry = entry
            .with("rows", &d["rows"])
            .unwrap()
            .with("skipped", &d["skipped"])
            .unwrap();
        let mut built = Provenance::new(p["command"].as_str().unwrap(), vec![entry]).versioned();
        for (k, v) in p.as_object().unwrap() {
            if !["command", "data", "veracity_version"].contains(&k.as_str()) {
                built = built.with(k, v).unwrap();
            }
        }
        assert_eq!(&built.into_value(), p);
        assert_eq!(
            serde_json::to_string(&head["provenance"]).unwrap(),
            serde_json::to_string(p).unwrap()
        );
    }

    #[test]
    fn hashes_data_files() {
        let dir = std::env::temp_dir().join(format!("veracity-prov-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("x.txt");
        std::fs::write(&f, b"abc").unwrap();
        let e = DataFile::file(&f).unwrap();
        assert_eq!(e.0["file"], "x.txt");
        assert_eq!(
            e.0["sha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let v = Provenance::new("veracity train x", vec![DataFile::path(&f, "00")]).into_value();
        assert_eq!(v["data"][0]["sha256"], "00");
        assert!(DataFile::file(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
