//! The 14 propaganda techniques of SemEval-2020 Task 11 (PTC v2).

/// Number of techniques.
pub const N_TECHNIQUES: usize = 14;

/// One technique: its display name (used in reports) and its PTC label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Technique {
    /// Name shown in reports, e.g. "Name Calling/Labeling".
    pub name: &'static str,
    /// Label as written in the PTC `*-TC.labels` files, e.g. `Name_Calling,Labeling`.
    pub ptc: &'static str,
}

/// The techniques, in a fixed order (model heads follow this order).
pub const TECHNIQUES: [Technique; N_TECHNIQUES] = [
    Technique {
        name: "Loaded Language",
        ptc: "Loaded_Language",
    },
    Technique {
        name: "Name Calling/Labeling",
        ptc: "Name_Calling,Labeling",
    },
    Technique {
        name: "Repetition",
        ptc: "Repetition",
    },
    Technique {
        name: "Exaggeration/Minimisation",
        ptc: "Exaggeration,Minimisation",
    },
    Technique {
        name: "Doubt",
        ptc: "Doubt",
    },
    Technique {
        name: "Appeal to Fear/Prejudice",
        ptc: "Appeal_to_fear-prejudice",
    },
    Technique {
        name: "Flag-Waving",
        ptc: "Flag-Waving",
    },
    Technique {
        name: "Causal Oversimplification",
        ptc: "Causal_Oversimplification",
    },
    Technique {
        name: "Slogans",
        ptc: "Slogans",
    },
    Technique {
        name: "Appeal to Authority",
        ptc: "Appeal_to_Authority",
    },
    Technique {
        name: "Black-and-White Fallacy",
        ptc: "Black-and-White_Fallacy",
    },
    Technique {
        name: "Thought-terminating Cliché",
        ptc: "Thought-terminating_Cliches",
    },
    Technique {
        name: "Whataboutism/Straw Man/Red Herring",
        ptc: "Whataboutism,Straw_Men,Red_Herring",
    },
    Technique {
        name: "Bandwagon/Reductio ad Hitlerum",
        ptc: "Bandwagon,Reductio_ad_hitlerum",
    },
];

/// Index of the technique with this PTC label.
pub fn from_ptc(label: &str) -> Option<usize> {
    TECHNIQUES.iter().position(|t| t.ptc == label)
}

/// Index of the technique with this display name (case-insensitive).
pub fn from_name(name: &str) -> Option<usize> {
    TECHNIQUES
        .iter()
        .position(|t| t.name.eq_ignore_ascii_case(name))
}

/// Map a SemEval-2021 Task 6 (memes) technique to a PTC technique, where one
/// corresponds. The 2021 taxonomy splits or adds classes; these have no PTC
/// counterpart and map to `None`: Smears, Glittering generalities (Virtue),
/// Obfuscation/Intentional vagueness/Confusion, and the image-only
/// Transfer / Appeal to (strong) emotions.
pub fn from_memes(label: &str) -> Option<usize> {
    let l = label.to_ascii_lowercase();
    let idx = match l.as_str() {
        "loaded language" => 0,
        "name calling/labeling" => 1,
        "repetition" => 2,
        "exaggeration/minimisation" => 3,
        "doubt" => 4,
        "appeal to fear/prejudice" => 5,
        "flag-waving" => 6,
        "causal oversimplification" => 7,
        "slogans" => 8,
        "appeal to authority" => 9,
        "black-and-white fallacy/dictatorship" => 10,
        "thought-terminating cliché" | "thought-terminating cliche" => 11,
        "whataboutism"
        | "misrepresentation of someone's position (straw man)"
        | "presenting irrelevant data (red herring)" => 12,
        "bandwagon" | "reductio ad hitlerum" => 13,
        _ => return None,
    };
    Some(idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for (i, t) in TECHNIQUES.iter().enumerate() {
            assert_eq!(from_ptc(t.ptc), Some(i));
            assert_eq!(from_name(t.name), Some(i));
        }
        assert_eq!(from_ptc("Obfuscation"), None);
        assert_eq!(from_memes("Smears"), None);
        assert_eq!(from_memes("Flag-waving"), Some(6));
        assert_eq!(
            from_memes("Presenting Irrelevant Data (Red Herring)"),
            Some(12)
        );
    }
}
