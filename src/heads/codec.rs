//! The weights codec of head files: little-endian IEEE half floats, base64
//! (standard alphabet, padded) — half the size of f32, a third of 4-decimal
//! JSON numbers, and as precise for weights of this size (relative error
//! ≤ 2⁻¹¹). Reading also accepts a plain JSON array of numbers (files written
//! before this encoding) and base64 without its padding.
//!
//! Use it as `#[serde(with = "crate::heads::codec::f16_base64")]` on a
//! `Vec<f32>` field.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Decoding: the standard alphabet, padding optional.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Round a value to what f16 storage keeps.
pub fn quantise(x: f32) -> f32 {
    half::f16::from_f32(x).to_f32()
}

/// The stored text of `v`.
pub fn encode(v: &[f32]) -> String {
    let bytes: Vec<u8> = v
        .iter()
        .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
        .collect();
    STANDARD.encode(bytes)
}

/// The values stored in `text`.
pub fn decode(text: &str) -> Result<Vec<f32>, String> {
    let bytes = LENIENT
        .decode(text.as_bytes())
        .map_err(|e| format!("f16 weights: {e}"))?;
    if bytes.len() % 2 != 0 {
        return Err("f16 weights: odd number of bytes".into());
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
        .collect())
}

/// Serde `with` module for a `Vec<f32>` stored by this codec.
pub mod f16_base64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Packed(String),
            Plain(Vec<f32>),
        }
        match Repr::deserialize(d)? {
            Repr::Plain(v) => Ok(v),
            Repr::Packed(text) => super::decode(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct W {
        #[serde(with = "f16_base64")]
        w: Vec<f32>,
    }

    #[test]
    fn round_trips_and_reads_plain_arrays() {
        for n in 0..7 {
            let v: Vec<f32> = (0..n).map(|i| quantise(i as f32 * 0.37 - 1.0)).collect();
            assert_eq!(decode(&encode(&v)).unwrap(), v);
        }
        // Standard base64 with padding: 1.0 is 0x3C00 (bytes 00 3C).
        assert_eq!(encode(&[1.0]), "ADw=");
        assert_eq!(decode("ADw").unwrap(), [1.0], "padding is optional");
        let w = W {
            w: vec![0.5, -1.25, quantise(0.1)],
        };
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.contains("\"w\":\""), "{json}");
        assert_eq!(serde_json::from_str::<W>(&json).unwrap(), w);
        let plain: W = serde_json::from_str(r#"{"w":[0.25,-1.5]}"#).unwrap();
        assert_eq!(plain.w, [0.25, -1.5]);
        let odd = serde_json::from_str::<W>(r#"{"w":"AA=="}"#).unwrap_err();
        assert!(odd.to_string().contains("odd number of bytes"), "{odd}");
        assert!(serde_json::from_str::<W>(r#"{"w":"!!"}"#).is_err());
    }

    /// Every committed head file loads and serialises back to the same text
    /// (weights included, byte for byte).
    #[test]
    fn committed_heads_round_trip() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/heads");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let again = if name.starts_with("checkworthiness") {
                let h = crate::claims::Head::from_json(&text, &name).unwrap();
                serde_json::to_string(&h).unwrap()
            } else if name.starts_with("stance") {
                let h = crate::verdict::head::StanceHeadFile::from_json(&text, &name).unwrap();
                serde_json::to_string(&h).unwrap()
            } else if name.starts_with("propaganda") {
                let m: crate::propaganda::ModelFile = serde_json::from_str(&text).unwrap();
                serde_json::to_string(&m).unwrap()
            } else {
                panic!("unknown head file {name}");
            };
            // The weight strings are the same, and so is the whole file (as
            // JSON: the propaganda lexicon is a hash map, written in any order).
            let value = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
            let strings = |v: &serde_json::Value| {
                let mut out = Vec::new();
                collect_strings(v, &mut out);
                out
            };
            let (a, b) = (value(&again), value(&text));
            assert!(
                !strings(&b).is_empty() || name.starts_with("stance"),
                "{name}"
            );
            assert_eq!(strings(&a), strings(&b), "{name}");
            assert_eq!(a, b, "{name}");
            if !name.starts_with("propaganda") {
                assert_eq!(again.trim_end(), text.trim_end(), "{name}");
            }
            seen += 1;
        }
        assert!(seen >= 4, "{seen} head files");
    }

    fn collect_strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.len() > 64 => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
            _ => {}
        }
    }
}
