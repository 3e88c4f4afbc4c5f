//! Plain-text report, optionally coloured with ANSI escapes (for terminals).

use std::fmt::Write;

use super::{clip, label, Report, EVIDENCE_SHOWN};
use crate::verdict::{Stance, VerdictKind};

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn verdict(&self, k: VerdictKind) -> String {
        let code = match k {
            VerdictKind::Corroborated | VerdictKind::VerifiedByReference => "1;32",
            VerdictKind::SingleSource => "1;36",
            VerdictKind::Contradicted => "1;31",
            VerdictKind::Disputed => "1;33",
            VerdictKind::InsufficientEvidence => "1;37",
        };
        self.paint(code, &label(k).to_uppercase())
    }
    fn stance(&self, s: Stance) -> String {
        let code = match s {
            Stance::Supports => "32",
            Stance::Refutes => "31",
            Stance::Neutral => "2",
        };
        self.paint(code, &format!("{:<8}", s.as_str()))
    }
}

/// Render `r` as text; `color` adds ANSI colours.
pub fn render_text(r: &Report, color: bool) -> String {
    let st = Style { on: color };
    let mut o = String::new();
    for (n, a) in r.articles.iter().enumerate() {
        if n > 0 {
            o.push('\n');
        }
        let title = a.title.as_deref().unwrap_or("(untitled)");
        let _ = writeln!(o, "{}", st.bold(title));
        let _ = writeln!(
            o,
            "{}",
            st.dim(&format!("{} · {} sentences", a.path, a.sentences))
        );
        if let Some(p) = &a.propaganda {
            let _ = writeln!(
                o,
                "\nPropaganda: {:.0}% — {} risk (confidence {:.2}). {}",
                p.score, p.risk, p.confidence, p.summary
            );
            for t in p.techniques.iter().filter(|t| t.count > 0) {
                let _ = writeln!(
                    o,
                    "  - {}: {} sentence{} ({:.0}%)",
                    t.name.replace('_', " "),
                    t.count,
                    if t.count == 1 { "" } else { "s" },
                    t.share * 100.0
                );
            }
        }
        let _ = writeln!(
            o,
            "\nClaims checked: {} — {}",
            a.claims_extracted,
            a.counts_line()
        );
        if a.claims.is_empty() {
            let _ = writeln!(
                o,
                "  No check-worthy factual claim was found in this article."
            );
        }
        for (i, c) in a.claims.iter().enumerate() {
            let _ = writeln!(
                o,
                "\n[{}] {}",
                i + 1,
                st.bold(&format!("\"{}\"", c.text.trim()))
            );
            let _ = writeln!(
                o,
                "    {}  confidence {:.2}  {}",
                st.verdict(c.verdict),
                c.confidence,
                st.dim(&format!("bytes {}–{}", c.start, c.end))
            );
            let _ = writeln!(o, "    {}", c.explanation);
            for e in c.evidence.iter().take(EVIDENCE_SHOWN) {
                let _ = writeln!(
                    o,
                    "    - {} {:<15} {} — \"{}\" {}",
                    st.stance(e.stance),
                    e.kind.as_str(),
                    e.source,
                    clip(&e.snippet, 160),
                    st.dim(&format!("(similarity {:.2})", e.similarity))
                );
                if let Some(u) = &e.url {
                    let _ = writeln!(o, "      {}", st.dim(u));
                }
            }
            if c.evidence.len() > EVIDENCE_SHOWN {
                let _ = writeln!(o, "    +{} more", c.evidence.len() - EVIDENCE_SHOWN);
            }
        }
    }
    let _ = writeln!(o, "\n{}", st.dim(&r.disclaimer));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn plain_text_has_no_escapes_and_shows_top_three() {
        let t = render_text(&sample(), false);
        assert!(!t.contains('\x1b'));
        assert!(t.contains("CONTRADICTED"));
        assert!(t.contains("+2 more"));
        assert!(t.contains("Propaganda: 42%"));
        assert!(t.contains("starting point"));
    }

    #[test]
    fn coloured_text_has_escapes() {
        assert!(render_text(&sample(), true).contains("\x1b[1;31m"));
    }
}
