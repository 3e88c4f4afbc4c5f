//! Wikipedia XML dumps (`pages-articles.xml`, optionally `.bz2`), streamed
//! page by page with quick-xml: never loaded whole. Only main-namespace
//! articles are kept; redirects and disambiguation pages are skipped.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

use quick_xml::events::Event;

use super::{open_or_skip, CountingReader, IngestOptions, Sink};
use crate::corpus::{wikitext, CorpusError, Document};

/// The article URL for a title.
pub fn url_for(title: &str) -> String {
    format!("https://en.wikipedia.org/wiki/{}", title.replace(' ', "_"))
}

/// The most bytes of one page's wikitext that are kept (10 MB, far above the
/// longest real article); the rest of a longer page (a damaged dump, a
/// decompression bomb) is dropped with a warning, so that one page cannot
/// take the memory of the run.
pub const MAX_PAGE_TEXT: usize = 10_000_000;

#[derive(Default)]
struct Page {
    title: String,
    ns: String,
    id: String,
    redirect: bool,
    text: String,
    /// Bytes of text dropped past [`MAX_PAGE_TEXT`].
    dropped: u64,
}

#[derive(PartialEq)]
enum Slot {
    None,
    Title,
    Ns,
    Id,
    Text,
}

/// Stream the pages of a dump into `sink`.
pub fn read(
    path: &Path,
    bz2: bool,
    opts: &IngestOptions,
    sink: &mut dyn Sink,
) -> Result<(), CorpusError> {
    let Some(file) = open_or_skip(path, sink) else {
        return Ok(());
    };
    let (counting, count) = CountingReader::new(file);
    let inner: Box<dyn Read> = if bz2 {
        Box::new(bzip2::read::MultiBzDecoder::new(BufReader::with_capacity(
            1 << 20,
            counting,
        )))
    } else {
        Box::new(counting)
    };
    read_from(
        path,
        BufReader::with_capacity(1 << 20, inner),
        opts,
        sink,
        &|| count.load(Ordering::Relaxed),
    )
}

fn read_from<R: BufRead>(
    path: &Path,
    r: R,
    opts: &IngestOptions,
    sink: &mut dyn Sink,
    pos: &dyn Fn() -> u64,
) -> Result<(), CorpusError> {
    let source = opts.source.clone().unwrap_or_else(|| "wikipedia".into());
    let mut reader = quick_xml::Reader::from_reader(r);
    let mut buf = Vec::new();
    let mut page: Option<Page> = None;
    let mut slot = Slot::None;
    // Depth inside <page>, so that <revision><id> does not overwrite the page id.
    let mut depth = 0usize;
    let mut pages = 0u64;
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position();
                sink.skipped(
                    path,
                    0,
                    &format!(
                        "XML error at byte {at} (page {}): {e}; rest of the file skipped",
                        pages + 1
                    ),
                );
                return Ok(());
            }
        };
        match ev {
            Event::Start(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"page" => {
                        page = Some(Page::default());
                        depth = 0;
                    }
                    _ if page.is_some() => {
                        depth += 1;
                        slot = match name.as_ref() {
                            b"title" if depth == 1 => Slot::Title,
                            b"ns" if depth == 1 => Slot::Ns,
                            b"id" if depth == 1 => Slot::Id,
                            b"text" => Slot::Text,
                            _ => Slot::None,
                        };
                    }
                    _ => {}
                }
            }
            Event::Empty(e) if e.local_name().as_ref() == b"redirect" => {
                if let Some(p) = page.as_mut() {
                    p.redirect = true;
                }
            }
            Event::Text(t) => {
                if let Some(p) = page.as_mut() {
                    let s = page_text(&t, path, pages, sink);
                    push(p, &slot, &s);
                }
            }
            Event::CData(t) => {
                if let Some(p) = page.as_mut() {
                    let s = page_text(&t, path, pages, sink);
                    push(p, &slot, &s);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(p) = page.as_mut() {
                    let s = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            let name = page_text(&r, path, pages, sink);
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .map(str::to_string)
                                .unwrap_or_else(|| format!("&{name};"))
                        }
                    };
                    push(p, &slot, &s);
                }
            }
            Event::End(e) => {
                if e.local_name().as_ref() == b"page" {
                    if let Some(p) = page.take() {
                        pages += 1;
                        if p.dropped > 0 {
                            sink.warning(
                                path,
                                0,
                                &format!(
                                    "page {pages} ({}): text longer than {MAX_PAGE_TEXT} bytes; the last {} bytes dropped",
                                    p.title.trim(),
                                    p.dropped
                                ),
                            );
                        }
                        if let Some(doc) = to_document(p, &source, opts) {
                            sink.document(doc)?;
                        }
                        sink.progress(pos());
                    }
                } else if page.is_some() {
                    depth = depth.saturating_sub(1);
                    slot = Slot::None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// The text of an event; invalid UTF-8 is replaced with U+FFFD and reported
/// (the page is kept, as JSONL keeps such a line).
fn page_text(bytes: &[u8], path: &Path, pages: u64, sink: &mut dyn Sink) -> String {
    let (s, replaced) = super::lossy(bytes);
    if replaced {
        sink.warning(
            path,
            0,
            &format!("page {}: invalid UTF-8 replaced with U+FFFD", pages + 1),
        );
    }
    s
}

fn push(p: &mut Page, slot: &Slot, s: &str) {
    match slot {
        Slot::Title => p.title.push_str(s),
        Slot::Ns => p.ns.push_str(s),
        Slot::Id => p.id.push_str(s),
        Slot::Text => {
            let room = MAX_PAGE_TEXT.saturating_sub(p.text.len());
            if s.len() <= room {
                p.text.push_str(s);
            } else {
                let mut cut = room;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                p.text.push_str(&s[..cut]);
                p.dropped += (s.len() - cut) as u64;
            }
        }
        Slot::None => {}
    }
}

fn to_document(p: Page, source: &str, opts: &IngestOptions) -> Option<Document> {
    let title = p.title.trim().to_string();
    if p.redirect || p.ns.trim() != "0" && !p.ns.trim().is_empty() {
        return None;
    }
    if p.text.trim_start().to_lowercase().starts_with("#redirect") {
        return None;
    }
    if wikitext::is_disambiguation(&title, &p.text) {
        return None;
    }
    let text = wikitext::strip(&p.text);
    if text.trim().is_empty() || title.is_empty() {
        return None;
    }
    Some(Document {
        id: format!("{source}:{}", title.replace(' ', "_")),
        url: Some(url_for(&title)),
        title,
        text,
        source: source.to_string(),
        published: None,
        kind: opts.kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<Document>, Vec<String>);
    impl Sink for Collect {
        fn document(&mut self, doc: Document) -> Result<(), CorpusError> {
            self.0.push(doc);
            Ok(())
        }
        fn skipped(&mut self, _: &Path, _: u64, reason: &str) {
            self.1.push(reason.to_string());
        }
        fn warning(&mut self, _: &Path, _: u64, reason: &str) {
            self.1.push(format!("warning: {reason}"));
        }
    }

    #[test]
    fn page_text_is_capped_with_a_warning() {
        let long = "Word é. ".repeat(MAX_PAGE_TEXT / 9 + 1000);
        let xml = format!("<mediawiki><page><title>Long Page</title><ns>0</ns><id>1</id><revision><text>{long}</text></revision></page><page><title>Short</title><ns>0</ns><id>2</id><revision><text>Short text.</text></revision></page></mediawiki>");
        let c = read_xml(xml.as_bytes());
        assert_eq!(c.0.len(), 2);
        assert!(c.0[0].text.len() <= MAX_PAGE_TEXT);
        assert!(c.0[0].text.len() > MAX_PAGE_TEXT / 2);
        assert_eq!(c.1.len(), 1, "{:?}", c.1);
        assert!(
            c.1[0].contains("page 1 (Long Page): text longer than"),
            "{:?}",
            c.1
        );
    }

    #[test]
    fn invalid_utf8_in_a_page_is_replaced_and_the_rest_kept() {
        let mut xml = b"<mediawiki><page><title>Bad \xff Town</title><ns>0</ns><id>1</id><revision><text>Text with \xfe\xff bytes.</text></revision></page>".to_vec();
        xml.extend_from_slice(b"<page><title>Good Town</title><ns>0</ns><id>2</id><revision><text>Fine text.</text></revision></page></mediawiki>");
        let c = read_xml(&xml);
        let titles: Vec<&str> = c.0.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(titles, ["Bad \u{fffd} Town", "Good Town"]);
        assert!(c.0[0].text.contains("Text with \u{fffd}"));
        assert!(
            !c.1.is_empty() && c.1.iter().all(|r| r.contains("page 1: invalid UTF-8")),
            "{:?}",
            c.1
        );
    }

    /// The documents of a dump, and what was skipped or warned about.
    fn read_xml(xml: &[u8]) -> Collect {
        let mut c = Collect(Vec::new(), Vec::new());
        read_from(
            Path::new("t.xml"),
            xml,
            &IngestOptions::default(),
            &mut c,
            &|| 0,
        )
        .unwrap();
        c
    }

    #[test]
    fn keeps_articles_skips_redirects_and_disambiguation() {
        let xml = r#"<mediawiki><siteinfo><sitename>W</sitename></siteinfo>
<page><title>Alpha Town</title><ns>0</ns><id>1</id><revision><id>99</id><text xml:space="preserve">'''Alpha Town''' is a [[town]] &amp; port.{{cn}}</text></revision></page>
<page><title>Alpha</title><ns>0</ns><id>2</id><redirect title="Alpha Town" /><revision><id>98</id><text>#REDIRECT [[Alpha Town]]</text></revision></page>
<page><title>Beta (disambiguation)</title><ns>0</ns><id>3</id><revision><text>Beta may mean</text></revision></page>
<page><title>Talk:Alpha Town</title><ns>1</ns><id>4</id><revision><text>chat</text></revision></page>
</mediawiki>"#;
        let c = read_xml(xml.as_bytes());
        assert_eq!(c.0.len(), 1, "{:?}", c.0);
        assert_eq!(c.0[0].title, "Alpha Town");
        assert_eq!(c.0[0].text, "Alpha Town is a town & port.");
        assert_eq!(
            c.0[0].url.as_deref(),
            Some("https://en.wikipedia.org/wiki/Alpha_Town")
        );
        assert!(c.1.is_empty(), "{:?}", c.1);
    }
}
