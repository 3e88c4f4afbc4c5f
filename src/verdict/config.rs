//! Verdict thresholds: compiled-in defaults from `config/verdict.toml`,
//! optionally overridden key by key from a user TOML file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::VerdictError;

/// The default configuration, with its comments (`veracity check --help`
/// points here; `docs/verdicts.md` explains each value).
pub const DEFAULT_TOML: &str = include_str!("../../config/verdict.toml");

/// Per-model calibration: for an encoder named here, the keys of its file
/// replace those of `config/verdict.toml` before any `--config` file is
/// applied ([`VerdictConfig::default_for`]). The default file was calibrated
/// on all-MiniLM-L6-v2.
pub const MODEL_TOMLS: &[(&str, &str, &str)] = &[(
    "sentence-transformers/all-mpnet-base-v2",
    "config/verdict.all-mpnet-base-v2.toml",
    include_str!("../../config/verdict.all-mpnet-base-v2.toml"),
)];

/// All thresholds used by stance detection and verdict rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictConfig {
    pub retrieval: RetrievalConfig,
    pub stance: StanceConfig,
    pub verdict: RuleConfig,
}

/// How much evidence is weighed per claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrievalConfig {
    pub top_k: usize,
    pub min_similarity: f32,
}

/// Thresholds that turn one passage into supports / refutes / neutral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StanceConfig {
    pub support_similarity: f32,
    pub refute_similarity: f32,
    pub debunk_similarity: f32,
    pub number_tolerance: f32,
    pub support_needs_numbers: bool,
    /// Who decides the stance of a passage: the word-level rules or the
    /// learned stance head (`models/heads/stance.json`).
    pub method: StanceMethod,
    /// Head: only the this many most similar relevant passages get a stance.
    pub head_top_k: usize,
    /// Head: a passage supports at or above this similarity when the head's
    /// p(supports) reaches `head_support_probability`.
    pub head_support_similarity: f32,
    pub head_support_probability: f32,
    /// Head: a passage refutes when the head's p(refutes) reaches this.
    pub head_refute_probability: f32,
    /// Head: keep the rules' explicit conflicts (a different number, date or
    /// quantity, negation, opposite direction) as refutations at
    /// `refute_similarity`, and never let a conflicting passage support.
    #[serde(default)]
    pub head_rule_conflicts: bool,
}

/// Stance decision method (`[stance] method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StanceMethod {
    /// Similarity thresholds and word-level conflict checks.
    Rules,
    /// The learned stance head over embeddings and the conflict flags.
    Head,
}

/// Thresholds of the claim-level verdict rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub min_origins: usize,
    pub dispute_margin: f32,
}

impl Default for VerdictConfig {
    fn default() -> Self {
        // The compiled-in file is checked by a unit test, so this cannot fail
        // in a released build.
        Self::from_toml_str(DEFAULT_TOML, "config/verdict.toml")
            .expect("the compiled-in config/verdict.toml is valid")
    }
}

impl VerdictConfig {
    /// Parse a complete configuration (every key present).
    pub fn from_toml_str(text: &str, name: &str) -> Result<Self, VerdictError> {
        let cfg: VerdictConfig = toml::from_str(text).map_err(|e| VerdictError::Config {
            path: name.to_string(),
            reason: e.to_string(),
        })?;
        cfg.validate(name)?;
        Ok(cfg)
    }

    /// The defaults with the keys of `text` (a partial TOML file) replacing
    /// theirs. Unknown sections or keys are an error naming the valid ones.
    pub fn with_overrides(text: &str, name: &str) -> Result<Self, VerdictError> {
        let base: toml::Table = toml::from_str(DEFAULT_TOML).map_err(|e| VerdictError::Config {
            path: "config/verdict.toml".into(),
            reason: e.to_string(),
        })?;
        Self::merged(base, &[(text, name)])
    }

    /// The defaults for the encoder named `model`: `config/verdict.toml` with
    /// the model's calibration file ([`MODEL_TOMLS`]) applied, if it has one.
    pub fn default_for(model: &str) -> Result<Self, VerdictError> {
        Self::for_model(model, None)
    }

    /// [`VerdictConfig::default_for`] with the keys of the override file
    /// `path` applied last.
    pub fn load_for(model: &str, path: &Path) -> Result<Self, VerdictError> {
        let text = std::fs::read_to_string(path).map_err(|e| VerdictError::Config {
            path: path.display().to_string(),
            reason: format!("cannot read it: {e}"),
        })?;
        Self::for_model(model, Some((&text, &path.display().to_string())))
    }

    fn for_model(model: &str, user: Option<(&str, &str)>) -> Result<Self, VerdictError> {
        let base: toml::Table = toml::from_str(DEFAULT_TOML).map_err(|e| VerdictError::Config {
            path: "config/verdict.toml".into(),
            reason: e.to_string(),
        })?;
        let mut layers: Vec<(&str, &str)> = MODEL_TOMLS
            .iter()
            .filter(|(m, _, _)| *m == model)
            .map(|(_, name, text)| (*text, *name))
            .collect();
        layers.extend(user);
        Self::merged(base, &layers)
    }

    /// `base` with each layer's keys replacing its keys, in order.
    fn merged(mut base: toml::Table, layers: &[(&str, &str)]) -> Result<Self, VerdictError> {
        let mut last = "config/verdict.toml";
        for &(text, name) in layers {
            Self::apply(&mut base, text, name)?;
            last = name;
        }
        let err = |reason: String| VerdictError::Config {
            path: last.to_string(),
            reason,
        };
        let merged = toml::to_string(&base).map_err(|e| err(e.to_string()))?;
        Self::from_toml_str(&merged, last)
    }

    /// Replace keys of `base` with those of the partial TOML `text`.
    fn apply(base: &mut toml::Table, text: &str, name: &str) -> Result<(), VerdictError> {
        let err = |reason: String| VerdictError::Config {
            path: name.to_string(),
            reason,
        };
        let over: toml::Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        for (section, value) in over {
            let valid_sections = base.keys().cloned().collect::<Vec<_>>().join(", ");
            let Some(toml::Value::Table(base_sec)) = base.get_mut(&section) else {
                return Err(err(format!(
                    "unknown section [{section}]; valid sections: {valid_sections}"
                )));
            };
            let toml::Value::Table(over_sec) = value else {
                return Err(err(format!(
                    "`{section}` must be a section ([{section}]), not a single value"
                )));
            };
            for (key, v) in over_sec {
                if !base_sec.contains_key(&key) {
                    let valid = base_sec.keys().cloned().collect::<Vec<_>>().join(", ");
                    return Err(err(format!(
                        "unknown key `{key}` in [{section}]; valid keys: {valid}"
                    )));
                }
                base_sec.insert(key, v);
            }
        }
        Ok(())
    }

    /// Read an override file (see [`VerdictConfig::with_overrides`]).
    pub fn load(path: &Path) -> Result<Self, VerdictError> {
        let text = std::fs::read_to_string(path).map_err(|e| VerdictError::Config {
            path: path.display().to_string(),
            reason: format!("cannot read it: {e}"),
        })?;
        Self::with_overrides(&text, &path.display().to_string())
    }

    /// Range checks, so that a typo such as `support_similarity = 7` is caught.
    pub fn validate(&self, name: &str) -> Result<(), VerdictError> {
        let err = |reason: String| {
            Err(VerdictError::Config {
                path: name.to_string(),
                reason,
            })
        };
        let sims = [
            ("retrieval.min_similarity", self.retrieval.min_similarity),
            ("stance.support_similarity", self.stance.support_similarity),
            ("stance.refute_similarity", self.stance.refute_similarity),
            ("stance.debunk_similarity", self.stance.debunk_similarity),
            ("stance.number_tolerance", self.stance.number_tolerance),
            ("verdict.dispute_margin", self.verdict.dispute_margin),
            (
                "stance.head_support_similarity",
                self.stance.head_support_similarity,
            ),
            (
                "stance.head_support_probability",
                self.stance.head_support_probability,
            ),
            (
                "stance.head_refute_probability",
                self.stance.head_refute_probability,
            ),
        ];
        for (k, v) in sims {
            if !(0.0..=1.0).contains(&v) {
                return err(format!("{k} = {v} is outside [0, 1]"));
            }
        }
        if self.retrieval.top_k == 0 {
            return err("retrieval.top_k must be at least 1".into());
        }
        if self.stance.head_top_k == 0 {
            return err("stance.head_top_k must be at least 1".into());
        }
        if self.verdict.min_origins < 2 {
            return err(
                "verdict.min_origins must be at least 2 (one origin is `single_source`)".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_and_is_in_range() {
        let c = VerdictConfig::default();
        assert!(c.stance.support_similarity > c.retrieval.min_similarity);
        assert_eq!(c.verdict.min_origins, 2);
    }

    #[test]
    fn overrides_replace_only_their_keys() {
        let c = VerdictConfig::with_overrides("[stance]\nsupport_similarity = 0.8\n", "x.toml")
            .unwrap();
        assert_eq!(c.stance.support_similarity, 0.8);
        assert_eq!(c.retrieval, VerdictConfig::default().retrieval);
    }

    #[test]
    fn unknown_key_and_section_are_clear_errors() {
        let e = VerdictConfig::with_overrides("[stance]\nsuport_similarity = 0.8\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown key `suport_similarity`"), "{e}");
        assert!(e.contains("support_similarity"), "{e}");
        let e = VerdictConfig::with_overrides("[stances]\n", "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown section [stances]"), "{e}");
    }

    #[test]
    fn method_switch_selects_the_head() {
        assert_eq!(VerdictConfig::default().stance.method, StanceMethod::Rules);
        let c = VerdictConfig::with_overrides("[stance]\nmethod = \"head\"\n", "x.toml").unwrap();
        assert_eq!(c.stance.method, StanceMethod::Head);
        assert!(VerdictConfig::with_overrides("[stance]\nmethod = \"nli\"\n", "x").is_err());
    }

    #[test]
    fn a_model_with_its_own_calibration_gets_it_before_user_overrides() {
        const MINILM: &str = "sentence-transformers/all-MiniLM-L6-v2";
        const MPNET: &str = "sentence-transformers/all-mpnet-base-v2";
        // No calibration file: exactly config/verdict.toml.
        assert_eq!(
            VerdictConfig::default_for(MINILM).unwrap(),
            VerdictConfig::default()
        );
        // all-mpnet-base-v2: its [stance] keys replace the defaults', the rest stays.
        let m = VerdictConfig::default_for(MPNET).unwrap();
        assert_eq!(m.stance.method, StanceMethod::Head);
        assert_ne!(m.stance, VerdictConfig::default().stance);
        assert_eq!(m.retrieval, VerdictConfig::default().retrieval);
        assert_eq!(m.verdict, VerdictConfig::default().verdict);
        // A user file is applied last, over the model's calibration.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("user.toml");
        std::fs::write(
            &p,
            "[stance]
method = \"rules\"
",
        )
        .unwrap();
        let u = VerdictConfig::load_for(MPNET, &p).unwrap();
        assert_eq!(u.stance.method, StanceMethod::Rules);
        assert_eq!(u.stance.head_top_k, m.stance.head_top_k);
        // Errors name the user's file.
        std::fs::write(
            &p,
            "[stance]
head_top_k = 0
",
        )
        .unwrap();
        let e = VerdictConfig::load_for(MPNET, &p).unwrap_err().to_string();
        assert!(e.contains("user.toml") && e.contains("head_top_k"), "{e}");
    }

    #[test]
    fn out_of_range_and_wrong_type_are_errors() {
        assert!(VerdictConfig::with_overrides("[stance]\nsupport_similarity = 7\n", "x").is_err());
        assert!(VerdictConfig::with_overrides("[retrieval]\ntop_k = \"ten\"\n", "x").is_err());
    }
}
