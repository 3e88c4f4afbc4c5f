//! `veracity embed`: one text per line in, one embedding per line out.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use veracity::embed::{npy, Pooling, Readout};

use super::GlobalArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmbedFormat {
    /// One JSON object per line: {"text": "...", "embedding": [...]}.
    Jsonl,
    /// A float32 .npy matrix, one row per input line.
    Npy,
}

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Input file, one text per line (UTF-8); standard input when absent or `-`.
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EmbedFormat::Jsonl)]
    pub format: EmbedFormat,
    /// Write here instead of standard output (required for npy on a terminal).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lines embedded per chunk (output is streamed chunk by chunk for jsonl).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub chunk: usize,
    /// Pooling of the last hidden states (vectors are L2-normalised either way).
    #[arg(long, value_enum, default_value_t = Pooling::Mean)]
    pub pooling: Pooling,
    /// Run only the first N transformer layers and pool their output (an
    /// earlier layer's representation; faster). Default: all layers.
    #[arg(long, value_name = "N")]
    pub layers: Option<usize>,
    /// Also pool the output of earlier layer N in the same pass and append it
    /// (twice the dimensions; each half normalised, the whole unit length).
    #[arg(long, value_name = "N")]
    pub with_layer: Option<usize>,
}

/// One output line of the jsonl format (field order as documented).
#[derive(serde::Serialize)]
struct Row<'a> {
    text: &'a str,
    embedding: &'a [f32],
}

pub fn run(g: &GlobalArgs, a: &EmbedArgs) -> anyhow::Result<ExitCode> {
    let (lines, name) = match a.file.as_ref().filter(|p| p.as_os_str() != "-") {
        Some(p) => {
            let f = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            (
                veracity::text::read_lines(f, &p.display().to_string())?,
                p.display().to_string(),
            )
        }
        None => (
            veracity::text::read_lines(io::stdin().lock(), "<stdin>")?,
            "<stdin>".to_string(),
        ),
    };
    let encoder = g.encoder_with(Readout {
        pooling: a.pooling,
        layers: a.layers,
        with_layer: a.with_layer,
    })?;
    let out: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(out);
    let pb = veracity::progress::bar(lines.len() as u64, "embedding", "lines");
    let mut matrix: Vec<f32> = Vec::new();
    for chunk in lines.chunks(a.chunk.max(1)) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let vecs = encoder
            .embed(&refs)
            .with_context(|| format!("embedding {name}"))?;
        match a.format {
            EmbedFormat::Jsonl => {
                for (t, v) in chunk.iter().zip(&vecs) {
                    serde_json::to_writer(
                        &mut out,
                        &Row {
                            text: t,
                            embedding: v,
                        },
                    )?;
                    out.write_all(b"\n")?;
                }
            }
            EmbedFormat::Npy => matrix.extend(vecs.iter().flatten()),
        }
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    if a.format == EmbedFormat::Npy {
        npy::write_f32(&mut out, lines.len(), encoder.dims(), &matrix)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
