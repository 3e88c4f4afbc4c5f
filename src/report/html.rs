//! One self-contained HTML page: inline CSS, no scripts, no external assets,
//! laid out for a phone first. Propaganda technique sentences are highlighted
//! in the article text; claims are underlined in their verdict's colour.

use std::fmt::Write;

use super::{clip, label, ArticleReport, Report, EVIDENCE_SHOWN};
use crate::verdict::Evidence;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// The report's style sheet (also the `veracity serve` page's).
pub(crate) const CSS: &str = r#"
:root{--fg:#1d232a;--muted:#5f6b76;--bg:#f6f7f9;--card:#fff;--line:#dde2e7;
--ok:#1f7a3f;--ok-bg:#e3f4e8;--one:#0b6e85;--one-bg:#e0f2f6;--bad:#b3261e;--bad-bg:#fbe5e3;
--mix:#8a5a00;--mix-bg:#fdf1d6;--none:#56606b;--none-bg:#eceff2;--hl:#fff0a8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;line-height:1.25;margin:.2rem 0 .3rem}
h2{font-size:1.1rem;margin:1.6rem 0 .6rem}
.meta{color:var(--muted);font-size:.85rem;margin:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.9rem 1rem;margin:.8rem 0}
.counts{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0 0;padding:0;list-style:none}
.badge{display:inline-block;border-radius:999px;padding:.15rem .6rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.v-corroborated,.v-verified_by_reference{color:var(--ok);background:var(--ok-bg)}
.v-single_source{color:var(--one);background:var(--one-bg)}
.v-contradicted{color:var(--bad);background:var(--bad-bg)}
.v-disputed{color:var(--mix);background:var(--mix-bg)}
.v-insufficient_evidence{color:var(--none);background:var(--none-bg)}
.claim{border-left:5px solid var(--line)}
.claim.b-corroborated,.claim.b-verified_by_reference{border-left-color:var(--ok)}
.claim.b-single_source{border-left-color:var(--one)}
.claim.b-contradicted{border-left-color:var(--bad)}
.claim.b-disputed{border-left-color:var(--mix)}
.claim.b-insufficient_evidence{border-left-color:var(--none)}
.claim q{display:block;font-weight:600;quotes:"\201C" "\201D";margin:.3rem 0}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;font-size:.85rem;color:var(--muted)}
.bar{flex:0 0 5rem;height:.45rem;background:var(--line);border-radius:4px;overflow:hidden}
.bar i{display:block;height:100%;background:var(--fg)}
.expl{margin:.4rem 0}
ul.ev{list-style:none;margin:.4rem 0 0;padding:0}
ul.ev li{border-top:1px solid var(--line);padding:.5rem 0;font-size:.9rem}
.st{font-weight:700;text-transform:uppercase;font-size:.72rem;letter-spacing:.03em}
.st-supports{color:var(--ok)}.st-refutes{color:var(--bad)}.st-neutral{color:var(--muted)}
.src{color:var(--muted);font-size:.8rem}
.src a{color:var(--one)}
.conflict{color:var(--bad);font-size:.82rem}
details summary{cursor:pointer;color:var(--one);font-size:.88rem;padding:.3rem 0}
.gauge{height:.7rem;background:var(--line);border-radius:6px;overflow:hidden;margin:.4rem 0}
.gauge i{display:block;height:100%;background:linear-gradient(90deg,#f0b400,#b3261e)}
.tech{display:flex;flex-wrap:wrap;gap:.35rem;padding:0;margin:.5rem 0 0;list-style:none}
.tech li{background:var(--hl);border-radius:6px;padding:.1rem .5rem;font-size:.8rem}
.article p{margin:0;line-height:1.7}
mark{background:var(--hl);border-radius:3px;padding:0 .1rem}
mark small{font-size:.68rem;color:var(--mix);font-weight:600}
.cl{text-decoration:underline;text-decoration-thickness:2px;text-underline-offset:3px}
.cl-corroborated,.cl-verified_by_reference{text-decoration-color:var(--ok)}
.cl-single_source{text-decoration-color:var(--one)}
.cl-contradicted{text-decoration-color:var(--bad)}
.cl-disputed{text-decoration-color:var(--mix)}
.cl-insufficient_evidence{text-decoration-color:var(--none)}
footer{color:var(--muted);font-size:.82rem;border-top:1px solid var(--line);margin-top:2rem;padding-top:.8rem}
@media (min-width:40rem){h1{font-size:1.8rem}main{padding:2rem}}
"#;

fn evidence_item(o: &mut String, e: &Evidence) {
    let src = match e.url.as_deref() {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
            format!(
                "<a href=\"{}\" rel=\"noopener\">{}</a>",
                esc(u),
                esc(&e.source)
            )
        }
        Some(u) => format!("{} · {}", esc(&e.source), esc(u)),
        None => esc(&e.source),
    };
    let _ = write!(
        o,
        "<li><span class=\"st st-{st}\">{st}</span> <span class=\"src\">{kind} · {src} · “{title}” · similarity {sim:.2}</span><br>{snip}",
        st = e.stance.as_str(),
        kind = esc(e.kind.as_str()),
        title = esc(&e.title),
        sim = e.similarity,
        snip = esc(&clip(&e.snippet, 320)),
    );
    if let Some(c) = &e.conflict {
        let _ = write!(o, "<br><span class=\"conflict\">{}</span>", esc(c));
    }
    o.push_str("</li>");
}

fn article_text(o: &mut String, a: &ArticleReport) {
    let Some(p) = &a.propaganda else { return };
    if p.sentences.is_empty() {
        return;
    }
    o.push_str("<h2>Article text</h2><div class=\"card article\"><p>");
    for s in &p.sentences {
        let claim = a.claims.iter().find(|c| c.start < s.end && s.start < c.end);
        let mut inner = esc(&s.text);
        if let Some(c) = claim {
            inner = format!(
                "<span class=\"cl cl-{v}\" title=\"claim: {l}\">{inner}</span>",
                v = c.verdict.as_str(),
                l = label(c.verdict)
            );
        }
        if s.techniques.is_empty() {
            let _ = write!(o, "{inner} ");
        } else {
            let names: Vec<String> = s
                .techniques
                .iter()
                .map(|t| t.name.replace('_', " "))
                .collect();
            let _ = write!(
                o,
                "<mark title=\"{t}\">{inner} <small>[{t}]</small></mark> ",
                t = esc(&names.join(", "))
            );
        }
    }
    o.push_str("</p></div>");
}

/// One article's part of the page: header, verdict counts, propaganda,
/// claim cards with their evidence, the article text with highlights.
pub(crate) fn article_html(o: &mut String, a: &ArticleReport) {
    let _ = write!(
        o,
        "<header><h1>{}</h1><p class=\"meta\">{} · {} sentences · {} claims checked</p></header>",
        esc(a.title.as_deref().unwrap_or("(untitled)")),
        esc(&a.path),
        a.sentences,
        a.claims_extracted
    );
    o.push_str("<ul class=\"counts\">");
    for (k, n) in a.verdict_counts.iter().filter(|(_, &n)| n > 0) {
        let _ = write!(
            o,
            "<li class=\"badge v-{}\">{} · {n}</li>",
            k.as_str(),
            label(*k)
        );
    }
    o.push_str("</ul>");
    if let Some(p) = &a.propaganda {
        let _ = write!(
            o,
            "<h2>Propaganda</h2><div class=\"card\"><div class=\"row\"><strong>{:.0}%</strong> {} risk · confidence {:.2}</div>\
<div class=\"gauge\"><i style=\"width:{:.0}%\"></i></div><div>{}</div>",
            p.score,
            esc(&p.risk),
            p.confidence,
            p.score.clamp(0.0, 100.0),
            esc(&p.summary)
        );
        let used: Vec<_> = p.techniques.iter().filter(|t| t.count > 0).collect();
        if !used.is_empty() {
            o.push_str("<ul class=\"tech\">");
            for t in used {
                let _ = write!(
                    o,
                    "<li>{} · {}</li>",
                    esc(&t.name.replace('_', " ")),
                    t.count
                );
            }
            o.push_str("</ul>");
        }
        o.push_str("</div>");
    }
    o.push_str("<h2>Claims</h2>");
    if a.claims.is_empty() {
        o.push_str(
            "<div class=\"card\">No check-worthy factual claim was found in this article.</div>",
        );
    }
    for c in &a.claims {
        let v = c.verdict.as_str();
        let _ = write!(
            o,
            "<article class=\"card claim b-{v}\"><div class=\"row\"><span class=\"badge v-{v}\">{l}</span>\
<span class=\"bar\" title=\"confidence\"><i style=\"width:{w:.0}%\"></i></span>confidence {c:.2}</div>\
<q>{t}</q><p class=\"expl\">{e}</p><p class=\"meta\">bytes {s}–{en} · check-worthiness {cw:.2}</p>",
            l = label(c.verdict),
            w = c.confidence * 100.0,
            c = c.confidence,
            t = esc(c.text.trim()),
            e = esc(&c.explanation),
            s = c.start,
            en = c.end,
            cw = c.checkworthiness,
        );
        if !c.evidence.is_empty() {
            o.push_str("<ul class=\"ev\">");
            for e in c.evidence.iter().take(EVIDENCE_SHOWN) {
                evidence_item(o, e);
            }
            o.push_str("</ul>");
            if c.evidence.len() > EVIDENCE_SHOWN {
                let _ = write!(
                    o,
                    "<details><summary>+{} more</summary><ul class=\"ev\">",
                    c.evidence.len() - EVIDENCE_SHOWN
                );
                for e in &c.evidence[EVIDENCE_SHOWN..] {
                    evidence_item(o, e);
                }
                o.push_str("</ul></details>");
            }
        }
        o.push_str("</article>");
    }
    article_text(o, a);
}

/// Render `r` as one self-contained HTML page.
pub fn render_html(r: &Report) -> String {
    let mut o = String::new();
    let page_title = r
        .articles
        .first()
        .and_then(|a| a.title.clone())
        .unwrap_or_else(|| "veracity report".into());
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{} — veracity</title><style>{CSS}</style></head><body><main>",
        esc(&page_title)
    );
    for a in &r.articles {
        article_html(&mut o, a);
    }
    let _ = writeln!(
        o,
        "<footer>{}<br>{}</footer></main></body></html>",
        esc(&r.disclaimer),
        esc(&r.generator)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn html_is_self_contained_and_escaped() {
        let h = render_html(&sample());
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("name=\"viewport\""));
        assert!(!h.contains("<script"));
        assert!(!h.contains("<link"));
        assert!(!h.contains("src=\"http"));
        assert!(h.contains("Bridge &lt;news&gt;"));
        assert!(h.contains("2004 &amp; carries"));
        // Only evidence links point outside, never an asset.
        assert!(h.contains("href=\"https://enc.example/ostra\""));
        assert!(h.contains("+2 more"));
        assert!(h.contains("<mark title=\"Loaded Language\">"));
    }
}
