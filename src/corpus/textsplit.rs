//! The corpus module's use of the project's text module: sentence spans for
//! passages and main-text extraction for HTML files.

/// Sentence byte spans of `text` in `lang` (from
/// [`crate::text::split_sentences_in`]).
pub fn sentence_spans(text: &str, lang: crate::lang::Language) -> Vec<(usize, usize)> {
    crate::text::split_sentences_in(text, lang)
        .into_iter()
        .map(|s| (s.start, s.end))
        .collect()
}

/// Title and main text of an HTML page, boilerplate dropped (from
/// [`crate::text::html::extract`]).
pub fn html_extract(html: &str) -> (Option<String>, String) {
    let ex = crate::text::html::extract(html);
    (ex.title, ex.text)
}
