//! Readers of the labelled data sets the evaluations and training recipes
//! use: ClaimBuster and CheckThat! check-worthiness files
//! ([`checkworthiness`]), the PTC propaganda corpus and SemEval-2021 meme
//! texts ([`propaganda`]). (The verdict data sets, Climate-FEVER and SciFact,
//! are read in `eval::verdicts`.) A malformed record is skipped and
//! counted, never lost silently.

pub mod checkworthiness;
pub mod propaganda;
