//! Markdown report.

use std::fmt::Write;

use super::{clip, label, Report, EVIDENCE_SHOWN};

/// Escape characters that Markdown would interpret in running text.
fn md(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// Render `r` as Markdown.
pub fn render_markdown(r: &Report) -> String {
    let mut o = String::new();
    for a in &r.articles {
        let _ = writeln!(o, "# {}\n", md(a.title.as_deref().unwrap_or("(untitled)")));
        let _ = writeln!(o, "_{} · {} sentences_\n", md(&a.path), a.sentences);
        if let Some(p) = &a.propaganda {
            let _ = writeln!(o, "## Propaganda\n");
            let _ = writeln!(
                o,
                "**{:.0}%** — {} risk (confidence {:.2}). {}\n",
                p.score,
                md(&p.risk),
                p.confidence,
                md(&p.summary)
            );
            let used: Vec<_> = p.techniques.iter().filter(|t| t.count > 0).collect();
            if !used.is_empty() {
                let _ = writeln!(o, "| technique | sentences | share |\n|---|---|---|");
                for t in used {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {:.0}% |",
                        md(&t.name.replace('_', " ")),
                        t.count,
                        t.share * 100.0
                    );
                }
                o.push('\n');
            }
        }
        let _ = writeln!(o, "## Claims\n");
        let _ = writeln!(
            o,
            "{} claims checked: {}.\n",
            a.claims_extracted,
            a.counts_line()
        );
        if a.claims.is_empty() {
            let _ = writeln!(
                o,
                "No check-worthy factual claim was found in this article.\n"
            );
        }
        for (i, c) in a.claims.iter().enumerate() {
            let _ = writeln!(o, "### {}. {}\n", i + 1, md(c.text.trim()));
            let _ = writeln!(
                o,
                "**{}** (confidence {:.2}; bytes {}–{}). {}\n",
                label(c.verdict),
                c.confidence,
                c.start,
                c.end,
                md(&c.explanation)
            );
            for e in c.evidence.iter().take(EVIDENCE_SHOWN) {
                let src = match &e.url {
                    Some(u) => format!("[{}](<{}>)", md(&e.source), u.replace('>', "%3E")),
                    None => md(&e.source),
                };
                let _ = writeln!(
                    o,
                    "- *{}* · {} · {} — “{}” (similarity {:.2})",
                    e.stance,
                    e.kind,
                    src,
                    md(&clip(&e.snippet, 240)),
                    e.similarity
                );
            }
            if c.evidence.len() > EVIDENCE_SHOWN {
                let _ = writeln!(o, "- +{} more", c.evidence.len() - EVIDENCE_SHOWN);
            }
            o.push('\n');
        }
    }
    let _ = writeln!(o, "---\n\n_{}_", md(&r.disclaimer));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn markdown_has_sections_and_escapes() {
        let m = render_markdown(&sample());
        assert!(m.starts_with("# Bridge \\<news\\>"));
        assert!(m.contains("## Claims"));
        assert!(m.contains("**contradicted**"));
        assert!(m.contains("[encyclopedia](<https://enc.example/ostra>)"));
        assert!(m.contains("- +2 more"));
        assert!(m.contains("## Propaganda"));
    }
}
