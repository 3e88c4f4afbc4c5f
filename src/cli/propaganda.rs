//! `veracity propaganda`: one article's propaganda score, techniques and
//! sentences, as text or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use veracity::propaganda::{PropagandaModel, PropagandaReport};

use super::GlobalArgs;

/// Score one article for propaganda techniques.
#[derive(Debug, Args)]
pub struct PropagandaArgs {
    /// Article to score (.txt, .md, .html, .json); `-` reads standard input.
    pub file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Use this heads file instead of the built-in model (from `veracity train propaganda`).
    #[arg(long, value_name = "FILE")]
    pub heads: Option<PathBuf>,
}

fn load_model(heads: Option<&Path>) -> anyhow::Result<PropagandaModel> {
    Ok(match heads {
        Some(p) => PropagandaModel::load(p)?,
        None => PropagandaModel::load_default()?,
    })
}

pub fn run(g: &GlobalArgs, a: &PropagandaArgs) -> anyhow::Result<ExitCode> {
    let article = super::read_article_with_text(g, &a.file)?;
    let model = load_model(a.heads.as_deref())?;
    let enc = g.encoder_with(model.readout())?;
    let report = model
        .analyze_in(enc.as_ref(), &article.text, g.language)
        .with_context(|| format!("scoring {}", a.file.display()))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report, article.title.as_deref())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Plain-text rendering of a report.
pub fn write_text(
    out: &mut impl Write,
    r: &PropagandaReport,
    title: Option<&str>,
) -> std::io::Result<()> {
    if let Some(t) = title.filter(|t| !t.trim().is_empty()) {
        writeln!(out, "{t}")?;
    }
    writeln!(
        out,
        "Propaganda score: {:.0}%   risk: {}   confidence: {:.2}",
        r.score, r.risk, r.confidence
    )?;
    writeln!(out, "{}", r.summary)?;
    if r.techniques.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Techniques:")?;
    for t in &r.techniques {
        writeln!(
            out,
            "  {} — {} sentence{} ({:.0}%)",
            t.name,
            t.count,
            if t.count == 1 { "" } else { "s" },
            100.0 * t.share
        )?;
        for &i in &t.sentences {
            let s = &r.sentences[i];
            let sc = s
                .techniques
                .iter()
                .find(|x| x.name == t.name)
                .map(|x| x.score)
                .unwrap_or(0.0);
            writeln!(
                out,
                "    [{}] ({:.2}) {}",
                s.index + 1,
                sc,
                clip(&s.text, 160)
            )?;
        }
    }
    Ok(())
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}
