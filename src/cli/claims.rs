//! `veracity claims`: every sentence of an article with its
//! check-worthiness score and offsets, as a table or JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use veracity::claims::CheckWorthiness;
use veracity::text::{split_lines, split_sentences_in};

use super::GlobalArgs;

#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// Article to read (.txt, .md, .html, .json); `-` reads standard input.
    pub file: PathBuf,
    /// Treat each non-empty input line as one sentence instead of segmenting prose.
    #[arg(long)]
    pub lines: bool,
    /// Print one JSON object (sentences with offsets, scores, is_claim) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Score at or above which a sentence is a claim (default: the head's own threshold).
    #[arg(long, value_name = "X")]
    pub threshold: Option<f32>,
    /// Use this check-worthiness head (JSON) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub head: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct ClaimRow<'a> {
    index: usize,
    start: usize,
    end: usize,
    text: &'a str,
    score: f32,
    is_claim: bool,
}

pub fn run_claims(g: &GlobalArgs, a: &ClaimsArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = a.threshold {
        if !(0.0..=1.0).contains(&t) {
            bail!("--threshold {t} is outside [0, 1]");
        }
    }
    let article = super::read_article_with_text(g, &a.file)?;
    let sentences = if a.lines {
        split_lines(&article.text)
    } else {
        split_sentences_in(&article.text, g.language)
    };
    let cw = match &a.head {
        Some(p) => CheckWorthiness::from_file(p)?,
        None => CheckWorthiness::load_default()?,
    };
    let threshold = a.threshold.unwrap_or(cw.threshold());
    let scores = if sentences.is_empty() {
        Vec::new()
    } else {
        let enc = g.encoder()?;
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        cw.score_in(enc.as_ref(), &texts, g.language)?
    };
    let rows: Vec<ClaimRow> = sentences
        .iter()
        .zip(&scores)
        .map(|(s, &score)| ClaimRow {
            index: s.index,
            start: s.start,
            end: s.end,
            text: &s.text,
            score,
            is_claim: score >= threshold,
        })
        .collect();
    let n_claims = rows.iter().filter(|r| r.is_claim).count();
    let name = article
        .path
        .as_ref()
        .map_or("-".to_string(), |p| p.display().to_string());
    let mut out = std::io::stdout().lock();
    if a.json {
        let v = serde_json::json!({
            "file": name,
            "title": article.title,
            "offsets": if article.path.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("md"))) { "file bytes" } else { "UTF-8 bytes of the extracted text" },
            "mode": if a.lines { "lines" } else { "sentences" },
            "threshold": threshold,
            "sentences": rows,
            "claims": n_claims,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let bold = std::io::stdout().is_terminal();
    writeln!(
        out,
        "{name}{}",
        article
            .title
            .as_ref()
            .map_or(String::new(), |t| format!(": {t}"))
    )?;
    writeln!(
        out,
        "{:>4} {:>7} {:>7} {:>6} {:>5}  sentence",
        "#", "start", "end", "score", "claim"
    )?;
    for r in &rows {
        let text = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mark = if r.is_claim { "yes" } else { "" };
        let (on, off) = if bold && r.is_claim {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("", "")
        };
        writeln!(
            out,
            "{:>4} {:>7} {:>7} {:>6.3} {:>5}  {on}{text}{off}",
            r.index, r.start, r.end, r.score, mark
        )?;
    }
    writeln!(
        out,
        "{} sentence(s), {n_claims} claim(s) at threshold {threshold:.3}",
        rows.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
