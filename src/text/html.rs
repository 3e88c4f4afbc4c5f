//! Main-text extraction from HTML pages, with a small tolerant tag scanner.
//!
//! No DOM is built and nothing is rejected: unclosed tags, stray end tags,
//! unquoted attributes and bare `<` all pass. The scanner walks the tags with
//! a stack of open elements and collects text blocks:
//!
//! - `script`, `style`, `noscript`, `template` contents are skipped raw;
//! - boilerplate subtrees are dropped: `nav`, `header`, `footer`, `aside`,
//!   `form`, `button`, `select`, `dialog`, `svg`, `iframe`, elements with a
//!   navigation-like ARIA role, hidden elements, and elements whose `id` or
//!   `class` names a cookie/consent banner, newsletter box, menu, sidebar,
//!   share bar, ad, breadcrumb, comments or related-links block;
//! - block elements (`p`, `div`, `h1`–`h6`, `li`, `blockquote`, `td`, `br`,
//!   …) end a block; blocks become paragraphs separated by a blank line, so
//!   headings and list items become their own segments for
//!   [`split_sentences`](super::split_sentences);
//! - link-dense blocks (more than half of the text inside `<a>`) are menus and
//!   are dropped;
//! - when the page has an `<article>` or `<main>` (or `role="main"`) holding
//!   enough text, only blocks inside it are kept.
//!
//! Entities (named, decimal, hex) are decoded. The title is the first `<h1>`
//! when the `<title>` contains it (dropping a " | Site name" suffix), else the
//! `<title>`, else the first `<h1>`.

/// The main text of a page and its title.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted {
    pub title: Option<String>,
    /// Paragraphs separated by blank lines.
    pub text: String,
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen",
];

const RAW: &[&str] = &["script", "style", "noscript", "template", "textarea"];

const DROP: &[&str] = &[
    "nav", "header", "footer", "aside", "form", "button", "select", "dialog", "svg", "iframe",
    "canvas", "object", "menu", "head",
];

const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "section",
    "article",
    "main",
    "figure",
    "figcaption",
    "address",
    "hr",
    "br",
    "body",
    "html",
    "caption",
    "details",
    "summary",
];

/// Elements closed implicitly by a new sibling of the same name.
const AUTO_CLOSE: &[&str] = &["p", "li", "dt", "dd", "tr", "td", "th", "option"];
/// Elements that stop the search for an implicitly closed sibling.
const SCOPE: &[&str] = &[
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "section",
    "article",
    "main",
    "body",
    "blockquote",
];

const ROLES_DROP: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
];

/// Substrings of an id/class word that mark boilerplate.
const CLASS_SUBSTR: &[&str] = &[
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "signup",
    "advert",
    "sponsor",
    "sidebar",
    "breadcrumb",
    "social",
    "share-",
    "sharing",
    "popup",
    "modal",
    "navbar",
    "navigation",
    "menu",
    "footer",
    "masthead",
    "paywall",
    "promo",
    "related",
    "comments",
    "skip-link",
    "site-header",
    "banner",
];

/// Whole id/class words that mark boilerplate.
const CLASS_EXACT: &[&str] = &[
    "ad", "ads", "nav", "header", "share", "comment", "skip", "toc",
];

/// Elements on which id/class patterns are not applied (a wrapper class like
/// `has-sidebar` must not drop the whole page).
const NO_CLASS_CHECK: &[&str] = &["html", "body", "main", "article"];

#[derive(Debug)]
enum Tok<'a> {
    Text(&'a str),
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End(String),
}

/// Tolerant tokenizer: yields text runs, start tags and end tags; comments,
/// doctypes and processing instructions are skipped; raw-text elements'
/// contents are skipped.
fn flush<'a>(toks: &mut Vec<Tok<'a>>, html: &'a str, upto: usize, from: usize) {
    if upto > from {
        toks.push(Tok::Text(&html[from..upto]));
    }
}

fn tokenize(html: &str) -> Vec<Tok<'_>> {
    let b = html.as_bytes();
    let n = b.len();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    let lower = html.to_ascii_lowercase();
    while i < n {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            flush(&mut toks, html, i, text_start);
            i = match html[i + 4..].find("-->") {
                Some(p) => i + 4 + p + 3,
                None => n,
            };
            text_start = i;
            continue;
        }
        let next = b.get(i + 1).copied().unwrap_or(b' ');
        if next == b'!' || next == b'?' {
            flush(&mut toks, html, i, text_start);
            i = html[i..].find('>').map(|p| i + p + 1).unwrap_or(n);
            text_start = i;
            continue;
        }
        let is_end = next == b'/';
        let name_start = if is_end { i + 2 } else { i + 1 };
        if !b.get(name_start).is_some_and(|c| c.is_ascii_alphabetic()) {
            // A bare '<' in text.
            i += 1;
            continue;
        }
        flush(&mut toks, html, i, text_start);
        let mut j = name_start;
        while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        let name = lower[name_start..j].to_string();
        // Find the closing '>' outside quotes.
        let mut k = j;
        let mut quote = 0u8;
        while k < n {
            let c = b[k];
            if quote != 0 {
                if c == quote {
                    quote = 0;
                }
            } else if c == b'"' || c == b'\'' {
                quote = c;
            } else if c == b'>' {
                break;
            }
            k += 1;
        }
        let inner = &html[j..k.min(n)];
        i = (k + 1).min(n);
        text_start = i;
        if is_end {
            toks.push(Tok::End(name));
            continue;
        }
        let self_closing = inner.trim_end().ends_with('/');
        let attrs = parse_attrs(inner);
        let raw = RAW.contains(&name.as_str()) && !self_closing;
        toks.push(Tok::Start {
            name: name.clone(),
            attrs,
            self_closing,
        });
        if raw {
            let close = format!("</{name}");
            let end = lower[i..].find(&close).map(|p| i + p).unwrap_or(n);
            i = end;
            text_start = end;
        }
    }
    if n > text_start {
        toks.push(Tok::Text(&html[text_start..]));
    }
    toks
}

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        while i < n && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let ns = i;
        while i < n && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if i == ns {
            i += 1;
            continue;
        }
        let name = s[ns..i].to_ascii_lowercase();
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < n && b[i] == b'=' {
            i += 1;
            while i < n && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < n && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                let ve = s[vs..].find(q as char).map(|p| vs + p).unwrap_or(n);
                value = decode_entities(&s[vs..ve]);
                i = (ve + 1).min(n);
            } else {
                let vs = i;
                while i < n && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = decode_entities(&s[vs..i]);
            }
        }
        out.push((name, value));
    }
    out
}

fn named_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => "\u{a0}",
        "ensp" | "emsp" | "thinsp" => " ",
        "ndash" => "–",
        "mdash" => "—",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "hellip" => "…",
        "bull" => "•",
        "middot" => "·",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "para" => "¶",
        "deg" => "°",
        "plusmn" => "±",
        "times" => "×",
        "divide" => "÷",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "permil" => "‰",
        "prime" => "′",
        "Prime" => "″",
        "shy" | "zwj" | "zwnj" => "",
        "iexcl" => "¡",
        "iquest" => "¿",
        "aacute" => "á",
        "eacute" => "é",
        "iacute" => "í",
        "oacute" => "ó",
        "uacute" => "ú",
        "Aacute" => "Á",
        "Eacute" => "É",
        "agrave" => "à",
        "egrave" => "è",
        "ograve" => "ò",
        "acirc" => "â",
        "ecirc" => "ê",
        "ocirc" => "ô",
        "auml" => "ä",
        "euml" => "ë",
        "iuml" => "ï",
        "ouml" => "ö",
        "uuml" => "ü",
        "Auml" => "Ä",
        "Ouml" => "Ö",
        "Uuml" => "Ü",
        "szlig" => "ß",
        "ccedil" => "ç",
        "ntilde" => "ñ",
        "oslash" => "ø",
        "aring" => "å",
        "aelig" => "æ",
        _ => return None,
    })
}

/// Decode HTML character references; unknown ones are kept literally.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let semi = after.char_indices().take(33).find(|&(_, c)| c == ';');
        let decoded = semi.and_then(|(q, _)| {
            let name = &after[..q];
            let ch = if let Some(num) = name.strip_prefix('#') {
                let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                    u32::from_str_radix(hex, 16).ok()
                } else {
                    num.parse::<u32>().ok()
                };
                code.map(|c| char::from_u32(c).unwrap_or('\u{fffd}').to_string())
            } else {
                named_entity(name).map(str::to_string)
            };
            ch.map(|c| (c, q + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push_str(&c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Is this element a boilerplate subtree?
fn is_boilerplate(name: &str, attrs: &[(String, String)]) -> bool {
    if DROP.contains(&name) {
        return true;
    }
    if attrs.iter().any(|(k, _)| k == "hidden") || attr(attrs, "aria-hidden") == Some("true") {
        return true;
    }
    if let Some(style) = attr(attrs, "style") {
        let st: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if st.contains("display:none") || st.contains("visibility:hidden") {
            return true;
        }
    }
    if let Some(role) = attr(attrs, "role") {
        if ROLES_DROP.contains(&role.to_ascii_lowercase().as_str()) {
            return true;
        }
    }
    if NO_CLASS_CHECK.contains(&name) {
        return false;
    }
    let words = ["id", "class"]
        .iter()
        .filter_map(|k| attr(attrs, k))
        .flat_map(|v| v.split_whitespace())
        .map(|w| w.to_ascii_lowercase());
    for w in words {
        if CLASS_EXACT.contains(&w.as_str()) || CLASS_SUBSTR.iter().any(|p| w.contains(p)) {
            return true;
        }
        // "ad-slot", "ads_top", "nav-main": a short exact word before a separator.
        if let Some(head) = w.split(['-', '_']).next() {
            if head != w && matches!(head, "ad" | "ads" | "nav" | "share") {
                return true;
            }
        }
    }
    false
}

struct Frame {
    name: String,
    dropped: bool,
    main: bool,
}

struct Block {
    text: String,
    link_chars: usize,
    in_main: bool,
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    drop_depth: usize,
    main_depth: usize,
    link_depth: usize,
    pre_depth: usize,
    buf: String,
    buf_link: usize,
    blocks: Vec<Block>,
    title: Option<String>,
    in_title: bool,
    title_buf: String,
    h1: Option<String>,
    h1_depth: usize,
    h1_buf: String,
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Walker {
    fn flush(&mut self) {
        let text = if self.pre_depth > 0 {
            self.buf.trim_matches('\n').trim_end().to_string()
        } else {
            collapse(&self.buf)
        };
        let link_chars = self.buf_link;
        self.buf.clear();
        self.buf_link = 0;
        if text.chars().any(|c| c.is_alphanumeric()) {
            self.blocks.push(Block {
                link_chars,
                in_main: self.main_depth > 0,
                text,
            });
        }
    }

    fn open(&mut self, name: &str, attrs: &[(String, String)], check_classes: bool) {
        if name == "body" || (BLOCK.contains(&name) && name != "html") {
            // A <head> left open must not swallow the page.
            self.close("head");
        }
        if AUTO_CLOSE.contains(&name) {
            for idx in (0..self.stack.len()).rev() {
                let n = self.stack[idx].name.as_str();
                if n == name {
                    self.close_to(idx);
                    break;
                }
                if SCOPE.contains(&n) {
                    break;
                }
            }
        }
        if BLOCK.contains(&name) {
            self.flush();
        }
        if name == "br" || name == "hr" {
            return;
        }
        if VOID.contains(&name) {
            return;
        }
        let dropped = if check_classes {
            is_boilerplate(name, attrs)
        } else {
            DROP.contains(&name)
        };
        let main = matches!(name, "article" | "main") || attr(attrs, "role") == Some("main");
        if dropped {
            self.drop_depth += 1;
        }
        if main {
            self.main_depth += 1;
        }
        match name {
            "a" => self.link_depth += 1,
            "pre" => self.pre_depth += 1,
            "title" => {
                self.in_title = true;
                self.title_buf.clear();
            }
            "h1" if self.h1.is_none() && self.h1_depth == 0 => {
                self.h1_depth = self.stack.len() + 1;
                self.h1_buf.clear();
            }
            _ => {}
        }
        self.stack.push(Frame {
            name: name.to_string(),
            dropped,
            main,
        });
    }

    /// Pop frames down to and including `idx`.
    fn close_to(&mut self, idx: usize) {
        while self.stack.len() > idx {
            let f = self.stack.pop().expect("stack is longer than idx");
            let name = f.name.as_str();
            if BLOCK.contains(&name) {
                self.flush();
            }
            match name {
                "a" => self.link_depth = self.link_depth.saturating_sub(1),
                "pre" => self.pre_depth = self.pre_depth.saturating_sub(1),
                "title" => {
                    self.in_title = false;
                    let t = collapse(&self.title_buf);
                    if self.title.is_none() && !t.is_empty() {
                        self.title = Some(t);
                    }
                }
                _ => {}
            }
            if self.h1_depth > 0 && self.stack.len() < self.h1_depth {
                self.h1_depth = 0;
                let t = collapse(&self.h1_buf);
                if !t.is_empty() {
                    self.h1 = Some(t);
                }
            }
            if f.dropped {
                self.drop_depth -= 1;
            }
            if f.main {
                self.main_depth -= 1;
            }
        }
    }

    fn close(&mut self, name: &str) {
        if let Some(idx) = self.stack.iter().rposition(|f| f.name == name) {
            self.close_to(idx);
        } else if name == "br" || name == "p" {
            // `</br>` and a stray `</p>` act as breaks in browsers.
            self.flush();
        }
    }

    fn text(&mut self, raw: &str) {
        let t = decode_entities(raw);
        if self.in_title {
            self.title_buf.push_str(&t);
            return;
        }
        if self.h1_depth > 0 {
            self.h1_buf.push_str(&t);
        }
        if self.drop_depth > 0 {
            return;
        }
        if self.link_depth > 0 {
            self.buf_link += t.chars().filter(|c| !c.is_whitespace()).count();
        }
        self.buf.push_str(&t);
    }
}

fn run(html: &str, check_classes: bool) -> (Option<String>, Option<String>, Vec<Block>) {
    let mut w = Walker::default();
    for tok in tokenize(html) {
        match tok {
            Tok::Text(t) => w.text(t),
            Tok::Start {
                name,
                attrs,
                self_closing,
            } => {
                // <head> is dropped, but its <title> must still be read.
                if name == "title" {
                    w.in_title = true;
                    w.title_buf.clear();
                    w.stack.push(Frame {
                        name,
                        dropped: false,
                        main: false,
                    });
                    continue;
                }
                w.open(&name, &attrs, check_classes);
                if self_closing && !VOID.contains(&name.as_str()) {
                    w.close(&name);
                }
            }
            Tok::End(name) => w.close(&name),
        }
    }
    w.close_to(0);
    w.flush();
    if w.h1_depth > 0 {
        let t = collapse(&w.h1_buf);
        if !t.is_empty() {
            w.h1 = Some(t);
        }
    }
    (w.title, w.h1, w.blocks)
}

/// Extract the main text and the title of an HTML page (see the module docs).
pub fn extract(html: &str) -> Extracted {
    let (title, h1, mut blocks) = run(html, true);
    if blocks.is_empty() {
        // The class heuristics dropped everything: fall back to tag rules only.
        blocks = run(html, false).2;
    }
    // Menus: blocks whose text is mostly link text.
    blocks.retain(|b| {
        let chars = b.text.chars().filter(|c| !c.is_whitespace()).count();
        b.link_chars * 2 <= chars
    });
    let main_chars: usize = blocks
        .iter()
        .filter(|b| b.in_main)
        .map(|b| b.text.len())
        .sum();
    if main_chars >= 200 {
        blocks.retain(|b| b.in_main);
    }
    let text = blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let title = match (title, h1) {
        (Some(t), Some(h)) if t.contains(&h) => Some(h),
        (Some(t), _) => Some(t),
        (None, h) => h,
    };
    Extracted { title, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><title>Jobs report beats forecasts | Daily Example</title>
<style>body { color: red; } p > a { x: "<p>not text</p>" }</style>
<script>var s = "<div>Not text either</div>"; if (a < b) {}</script>
</head>
<body class="has-sidebar">
<div id="cookie-banner" class="consent"><p>We use cookies to improve your experience. Accept all cookies?</p><button>Accept</button></div>
<header class="site-header"><a href="/">Daily Example</a><nav><ul><li><a href="/world">World</a></li><li><a href="/business">Business</a></li></ul></nav></header>
<div class="top-links"><a href="/a">Sport</a> | <a href="/b">Weather</a> | <a href="/c">Opinion</a></div>
<main>
<article>
<h1>Jobs report beats forecasts</h1>
<p class="byline">By Jane Doe &middot; 5 April 2024</p>
<p>Unemployment fell to 3.9% in March, the Labor Department said.
Employers added 303,000 jobs &mdash; more than expected.</p>
<p>&ldquo;This is a strong report,&rdquo; said Dr. Ann Lee of Acme&nbsp;Corp. It&#39;s the best since 2019 &amp; wages rose <a href="/wages">0.3%</a>.</p>
<ul><li>Hiring was broad<li>Wages grew</ul>
<div class="share-bar"><a href="#">Share on X</a></div>
<aside><p>Related: Ten things you missed</p></aside>
<form><input type="email" placeholder="Email"><p>Sign up for our newsletter</p></form>
</article>
</main>
<footer><p>&copy; 2024 Daily Example. All rights reserved.</p></footer>
</body></html>"##;

    #[test]
    fn article_page() {
        let e = extract(PAGE);
        assert_eq!(e.title.as_deref(), Some("Jobs report beats forecasts"));
        let paras: Vec<&str> = e.text.split("\n\n").collect();
        assert_eq!(
            paras,
            [
                "Jobs report beats forecasts",
                "By Jane Doe · 5 April 2024",
                "Unemployment fell to 3.9% in March, the Labor Department said. Employers added 303,000 jobs — more than expected.",
                "“This is a strong report,” said Dr. Ann Lee of Acme Corp. It's the best since 2019 & wages rose 0.3%.",
                "Hiring was broad",
                "Wages grew",
            ]
        );
        for bad in [
            "cookies",
            "World",
            "Sport",
            "Share",
            "Related",
            "newsletter",
            "©",
            "not text",
            "Daily Example",
        ] {
            assert!(
                !e.text.contains(bad),
                "boilerplate {bad:?} leaked: {}",
                e.text
            );
        }
    }

    #[test]
    fn no_article_element_uses_link_density() {
        let html = "<body><div><a href=1>Home</a> <a href=2>News</a> <a href=3>Contact</a></div>\
                    <div>The council approved the budget on Monday. It passes <a href=x>next week</a>.</div></body>";
        let e = extract(html);
        assert_eq!(
            e.text,
            "The council approved the budget on Monday. It passes next week."
        );
        assert_eq!(e.title, None);
    }

    #[test]
    fn title_fallbacks() {
        assert_eq!(
            extract("<h1>Only &amp; heading</h1><p>Body.</p>")
                .title
                .as_deref(),
            Some("Only & heading")
        );
        assert_eq!(
            extract("<title>Page title</title><h1>Other heading</h1>")
                .title
                .as_deref(),
            Some("Page title")
        );
        // An <h1> inside a dropped <header> still gives the title.
        assert_eq!(
            extract("<header><h1>Head</h1></header><p>Text.</p>")
                .title
                .as_deref(),
            Some("Head")
        );
    }

    #[test]
    fn tolerant_of_broken_markup() {
        let e = extract("<p>a < b and c > d<p>Unclosed <b>bold <i>both</p></div></span>Tail & more &bogus; &#x1F600; &#8364;5");
        assert_eq!(
            e.text,
            "a < b and c > d\n\nUnclosed bold both\n\nTail & more &bogus; 😀 €5"
        );
        assert_eq!(extract("").text, "");
        assert_eq!(extract("plain text, no tags").text, "plain text, no tags");
        assert_eq!(
            extract("<p>x</p><!-- unterminated comment <p>y</p>").text,
            "x"
        );
        assert_eq!(extract("<script>never closed <p>a</p>").text, "");
    }

    #[test]
    fn br_pre_and_hidden() {
        let e = extract("<p>Line one<br>Line two</p><pre>  keep\n  lines</pre><div hidden>secret</div><div style=\"display: none\">gone</div><p aria-hidden=\"true\">x</p>");
        assert_eq!(e.text, "Line one\n\nLine two\n\n  keep\n  lines");
    }

    #[test]
    fn whole_page_wrapper_classes_do_not_drop_everything() {
        let e = extract("<div class=\"page menu-open\"><p>Real text here.</p></div>");
        assert_eq!(e.text, "Real text here.");
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp;&lt;b&gt; &quot;c&quot; &#65;&#x42; &unknown; & x"),
            "a &<b> \"c\" AB &unknown; & x"
        );
        assert_eq!(decode_entities("&#xFFFFFF;"), "\u{fffd}");
    }
}
