//! Adapter to the project's text module (sentence splitting, HTML
//! extraction).
//!
//! INTERIM until branch `text` is merged: a minimal splitter at `. ! ?`
//! followed by whitespace and an uppercase letter or digit, and paragraph
//! breaks; and a tag stripper for HTML. Both are replaced by
//! `crate::text::split_sentences` and `crate::text::html::extract`.

/// Sentence byte spans of `text`.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut start = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if start.is_none() {
            if !c.is_ascii_whitespace() {
                start = Some(i);
            }
            i += 1;
            continue;
        }
        let end_here = if matches!(c, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')') {
                j += 1;
            }
            let ws = j < b.len() && b[j].is_ascii_whitespace();
            let mut k = j;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            if j >= b.len()
                || (ws
                    && k < b.len()
                    && (b[k].is_ascii_uppercase() || b[k].is_ascii_digit() || b[k] == b'"'))
            {
                Some(j)
            } else {
                None
            }
        } else if c == b'\n' && i + 1 < b.len() && b[i + 1] == b'\n' {
            Some(i)
        } else {
            None
        };
        if let Some(e) = end_here {
            let s = start.take().expect("in a sentence");
            let e_trim = s + text[s..e].trim_end().len();
            if e_trim > s {
                out.push((s, e_trim));
            }
            i = e;
            continue;
        }
        i += 1;
    }
    if let Some(s) = start {
        let e = s + text[s..].trim_end().len();
        if e > s {
            out.push((s, e));
        }
    }
    out
}

/// Title and main text of an HTML page.
pub fn html_extract(html: &str) -> (Option<String>, String) {
    let lower = html.to_ascii_lowercase();
    let title = lower.find("<title").and_then(|a| {
        let gt = a + lower[a..].find('>')? + 1;
        let end = gt + lower[gt..].find("</title>")?;
        Some(html[gt..end].trim().to_string())
    });
    let mut text = String::new();
    let mut rest = html;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            text.push_str(&rest[..lt]);
        }
        let tail = &rest[lt..];
        let gt = tail.find('>').map(|g| g + 1).unwrap_or(tail.len());
        let tag = tail[..gt].to_ascii_lowercase();
        if let Some(end) = skip_until {
            if tag.starts_with(end) {
                skip_until = None;
            }
        } else {
            for (open, close) in [
                ("<script", "</script"),
                ("<style", "</style"),
                ("<nav", "</nav"),
                ("<header", "</header"),
                ("<footer", "</footer"),
                ("<title", "</title"),
            ] {
                if tag.starts_with(open) {
                    skip_until = Some(close);
                }
            }
            if tag.starts_with("<p")
                || tag.starts_with("</p")
                || tag.starts_with("<br")
                || tag.starts_with("<h")
            {
                text.push_str("\n\n");
            }
        }
        rest = &tail[gt..];
    }
    if skip_until.is_none() {
        text.push_str(rest);
    }
    let text = text
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    (title, text)
}
