//! Main-text extraction from HTML pages.
//!
//! The page is tokenised by html5ever's tokenizer (the WHATWG tokenizing
//! rules: character references, attributes, comments, raw-text elements, bare
//! `<`), and the tokens are walked with a stack of open elements, without
//! building a DOM: nothing is rejected (unclosed tags, stray end tags), and
//! time is linear in the page, however deep its nesting. The walk collects
//! text blocks:
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
//! The title is the first `<h1>`
//! when the `<title>` contains it (dropping a " | Site name" suffix), else the
//! `<title>`, else the first `<h1>`.

/// The main text of a page and its title.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted {
    pub title: Option<String>,
    /// Paragraphs separated by blank lines.
    pub text: String,
}

use std::cell::RefCell;
use std::collections::HashMap;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

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
    /// How many elements of each name are on `stack`: closing a name that is
    /// not open costs nothing (no scan of a deep stack).
    open_count: HashMap<String, usize>,
    /// Inside a raw-text element (`script`, `style`, …) whose content is
    /// skipped: its name.
    skipping: Option<String>,
    check_classes: bool,
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

    fn is_open(&self, name: &str) -> bool {
        self.open_count.get(name).is_some_and(|&n| n > 0)
    }

    fn push(&mut self, frame: Frame) {
        *self.open_count.entry(frame.name.clone()).or_default() += 1;
        self.stack.push(frame);
    }

    fn open(&mut self, name: &str, attrs: &[(String, String)]) {
        let check_classes = self.check_classes;
        if name == "body" || (BLOCK.contains(&name) && name != "html") {
            // A <head> left open must not swallow the page.
            self.close("head");
        }
        if AUTO_CLOSE.contains(&name) && self.is_open(name) {
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
        self.push(Frame {
            name: name.to_string(),
            dropped,
            main,
        });
    }

    /// Pop frames down to and including `idx`.
    fn close_to(&mut self, idx: usize) {
        while self.stack.len() > idx {
            let f = self.stack.pop().expect("stack is longer than idx");
            if let Some(n) = self.open_count.get_mut(&f.name) {
                *n -= 1;
            }
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
        if !self.is_open(name) {
            if name == "br" || name == "p" {
                // `</br>` and a stray `</p>` act as breaks in browsers.
                self.flush();
            }
        } else if let Some(idx) = self.stack.iter().rposition(|f| f.name == name) {
            self.close_to(idx);
        } else if name == "br" || name == "p" {
            // `</br>` and a stray `</p>` act as breaks in browsers.
            self.flush();
        }
    }

    /// Decoded text (html5ever has resolved the character references).
    fn text(&mut self, t: &str) {
        if self.skipping.is_some() {
            return;
        }
        if self.in_title {
            self.title_buf.push_str(t);
            return;
        }
        if self.h1_depth > 0 {
            self.h1_buf.push_str(t);
        }
        if self.drop_depth > 0 {
            return;
        }
        if self.link_depth > 0 {
            self.buf_link += t.chars().filter(|c| !c.is_whitespace()).count();
        }
        self.buf.push_str(t);
    }

    /// A start or end tag; says how the tokenizer reads what follows (the
    /// content of `script`, `style`, `title`, … is not markup).
    fn tag(&mut self, tag: Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        if tag.kind == TagKind::EndTag {
            if self.skipping.as_deref() == Some(name) {
                self.skipping = None;
            }
            self.close(name);
            return TokenSinkResult::Continue;
        }
        // <head> is dropped, but its <title> must still be read.
        if name == "title" {
            self.in_title = true;
            self.title_buf.clear();
            self.push(Frame {
                name: name.to_string(),
                dropped: false,
                main: false,
            });
            if tag.self_closing {
                self.close(name);
                return TokenSinkResult::Continue;
            }
            return TokenSinkResult::RawData(RawKind::Rcdata);
        }
        let attrs: Vec<(String, String)> = tag
            .attrs
            .iter()
            .map(|a| (a.name.local.to_string(), a.value.to_string()))
            .collect();
        self.open(name, &attrs);
        if tag.self_closing {
            if !VOID.contains(&name) {
                self.close(name);
            }
            return TokenSinkResult::Continue;
        }
        let raw = match name {
            "script" => RawKind::ScriptData,
            _ if RAW.contains(&name) => RawKind::Rawtext,
            _ => return TokenSinkResult::Continue,
        };
        self.skipping = Some(name.to_string());
        TokenSinkResult::RawData(raw)
    }
}

/// Hands html5ever's tokens to the walker (the tokenizer's sink interface
/// takes `&self`).
struct Feed(RefCell<Walker>);

impl TokenSink for Feed {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut w = self.0.borrow_mut();
        match token {
            Token::CharacterTokens(t) => w.text(&t),
            Token::TagToken(tag) => return w.tag(tag),
            // Comments, doctypes, NUL characters, parse errors, the end.
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

fn run(html: &str, check_classes: bool) -> (Option<String>, Option<String>, Vec<Block>) {
    let walker = Walker {
        check_classes,
        ..Walker::default()
    };
    let tok = Tokenizer::new(Feed(RefCell::new(walker)), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(html));
    // The sink never asks to run a script: the result is always `Done`.
    let _ = tok.feed(&input);
    tok.end();
    let mut w = tok.sink.0.into_inner();
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
    fn character_references_are_decoded_by_the_tokenizer() {
        let e = extract("<p>a &amp;&lt;b&gt; &quot;c&quot; &#65;&#x42; &unknown; & x &eacute;&hellip; &#xFFFFFF; &nbsp</p><p title=\"&amp;\">b</p>");
        assert_eq!(
            e.text,
            "a &<b> \"c\" AB &unknown; & x \u{e9}\u{2026} \u{fffd}\n\nb"
        );
    }

    #[test]
    fn bare_angle_brackets_are_text() {
        assert_eq!(
            extract("<p>if a < b and c > d</p>").text,
            "if a < b and c > d"
        );
    }

    #[test]
    fn deeply_nested_divs_take_linear_time() {
        // Issue 16: 50k / 100k nested divs took 1.15 / 4.2 s (every block
        // element scanned the whole stack of open elements). 200k levels
        // would take minutes that way; linear, well under a second.
        for depth in [1_000usize, 200_000] {
            let html = format!(
                "{}<p>Deep text.</p>{}",
                "<div>".repeat(depth),
                "</div>".repeat(depth)
            );
            let t = std::time::Instant::now();
            assert_eq!(extract(&html).text, "Deep text.");
            assert!(
                t.elapsed().as_secs() < 10,
                "{depth} levels took {:?}",
                t.elapsed()
            );
        }
        // Unclosed, too.
        let html = format!("{}<p>Deep text.", "<div><span>".repeat(100_000));
        assert_eq!(extract(&html).text, "Deep text.");
    }
}
