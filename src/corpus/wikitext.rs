//! Wikitext to plain text: templates, references, tables, files, categories
//! and comments dropped; links reduced to their text; bold/italic marks,
//! headings and list markers removed; trailing sections (References, See
//! also, External links, ...) cut off.

/// Whether raw wikitext marks a disambiguation page.
pub fn is_disambiguation(title: &str, wikitext: &str) -> bool {
    if title.ends_with("(disambiguation)") {
        return true;
    }
    let lower = wikitext.to_lowercase();
    [
        "{{disambiguation",
        "{{disambig",
        "{{dab",
        "{{hndis",
        "{{geodis",
        "{{set index",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

const END_SECTIONS: &[&str] = &[
    "references",
    "see also",
    "external links",
    "notes",
    "further reading",
    "bibliography",
    "sources",
    "footnotes",
];

/// Remove `open ... close` spans, nested, e.g. templates `{{ }}`.
fn drop_nested(s: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        if s[i..].starts_with(open) {
            depth += 1;
            i += open.len();
        } else if depth > 0 && s[i..].starts_with(close) {
            depth -= 1;
            i += close.len();
        } else {
            let ch = s[i..].chars().next().expect("in bounds");
            if depth == 0 {
                out.push(ch);
            }
            i += ch.len_utf8();
        }
    }
    out
}

/// Remove `<tag ...>...</tag>` (and self-closing `<tag .../>`) elements.
fn drop_element(s: &str, tag: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(off) = lower[i..].find(&open) {
        let start = i + off;
        // Only a real tag: next char ends the name.
        let after = lower[start + open.len()..].chars().next();
        if !matches!(after, Some(' ' | '>' | '/' | '\t' | '\n')) {
            out.push_str(&s[i..start + open.len()]);
            i = start + open.len();
            continue;
        }
        out.push_str(&s[i..start]);
        let Some(gt) = lower[start..].find('>') else {
            i = s.len();
            break;
        };
        let tag_end = start + gt + 1;
        if lower[..tag_end].ends_with("/>") {
            i = tag_end;
            continue;
        }
        match lower[tag_end..].find(&close) {
            Some(c) => i = tag_end + c + close.len(),
            None => i = s.len(),
        }
    }
    if i < s.len() {
        out.push_str(&s[i..]);
    }
    out
}

/// Drop remaining HTML-like tags but keep their content.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tail = &rest[lt..];
        let is_tag = tail[1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match (is_tag, tail.find('>')) {
            (true, Some(gt)) => rest = &tail[gt + 1..],
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Links: `[[File:..]]`/`[[Category:..]]` dropped, `[[a|b]]` → b, `[[a]]` → a,
/// `[url label]` → label.
fn links(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if let Some(after_open) = rest.strip_prefix("[[") {
            // find the matching ]] with nesting
            let mut depth = 0usize;
            let mut j = 0;
            let rb = rest.as_bytes();
            let mut end = None;
            while j + 1 < rb.len() {
                if &rb[j..j + 2] == b"[[" {
                    depth += 1;
                    j += 2;
                } else if &rb[j..j + 2] == b"]]" {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        end = Some(j);
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            let Some(end) = end else {
                out.push_str(after_open);
                break;
            };
            let inner = &rest[2..end - 2];
            let target = inner.split('|').next().unwrap_or("").trim();
            let ns = target.split(':').next().unwrap_or("").trim().to_lowercase();
            let dropped = target.contains(':')
                && matches!(
                    ns.as_str(),
                    "file"
                        | "image"
                        | "category"
                        | "media"
                        | "wikipedia"
                        | "wp"
                        | "template"
                        | "help"
                        | "portal"
                );
            if !dropped {
                let label = match inner.rfind('|') {
                    Some(p) if !inner.contains("[[") => &inner[p + 1..],
                    _ => target.trim_start_matches(':'),
                };
                out.push_str(&links(label));
            }
            i += end;
        } else if rest.starts_with('[')
            && (rest[1..].starts_with("http://")
                || rest[1..].starts_with("https://")
                || rest[1..].starts_with("//"))
        {
            match rest.find(']') {
                Some(close) => {
                    let inner = &rest[1..close];
                    if let Some(sp) = inner.find(' ') {
                        out.push_str(inner[sp + 1..].trim());
                    }
                    i += close + 1;
                }
                None => {
                    out.push('[');
                    i += 1;
                }
            }
        } else {
            let ch = rest.chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&ndash;", "–")
        .replace("&mdash;", "—")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// Convert wikitext to plain text: paragraphs separated by blank lines.
pub fn strip(wikitext: &str) -> String {
    let s = drop_nested(wikitext, "<!--", "-->");
    let mut s = s;
    for tag in [
        "ref",
        "gallery",
        "math",
        "timeline",
        "score",
        "syntaxhighlight",
        "source",
        "imagemap",
        "references",
    ] {
        s = drop_element(&s, tag);
    }
    let s = drop_nested(&s, "{{", "}}");
    let s = drop_nested(&s, "{|", "|}");
    let s = links(&s);
    let s = strip_tags(&s);
    let s = entities(&s);
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in s.lines() {
        let t = line.trim();
        if t.starts_with('=') && t.ends_with('=') && t.len() > 2 {
            let heading = t.trim_matches('=').trim().to_lowercase();
            if END_SECTIONS.contains(&heading.as_str()) {
                break;
            }
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let t = t.trim_start_matches(['*', '#', ':', ';']).trim();
        let t = t.replace("'''", "").replace("''", "");
        let t = t.replace("__TOC__", "").replace("__NOTOC__", "");
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() || t.starts_with('|') || t.starts_with('!') {
            if !cur.is_empty() {
                paras.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&t);
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    paras.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_markup() {
        let w = "{{Infobox city|name=X|pop={{nowrap|5}}}}\n'''Testville''' is a [[town]] in [[Far County|the county]].<ref>{{cite web|url=x}}</ref> It has a [[File:Map.png|thumb|A [[map]]]] river.<ref name=\"a\"/>\n\n{| class=\"wikitable\"\n|-\n| cell || 5\n|}\n== History ==\nFounded in 1850 by [https://example.org settlers].<!-- hidden -->\n[[Category:Towns]]\n== References ==\n* A book";
        let t = strip(w);
        assert_eq!(
            t,
            "Testville is a town in the county. It has a river.\n\nFounded in 1850 by settlers."
        );
    }

    #[test]
    fn detects_disambiguation() {
        assert!(is_disambiguation("Mercury (disambiguation)", ""));
        assert!(is_disambiguation(
            "Mercury",
            "'''Mercury''' may mean:\n{{Disambiguation}}"
        ));
        assert!(!is_disambiguation("Mercury", "Mercury is a planet."));
    }
}
