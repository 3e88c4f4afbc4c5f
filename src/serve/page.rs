//! The analysis page (`GET /`, `POST /`) and the archive trends page
//! (`GET /archive`). The page is one HTML form that works without
//! JavaScript: paste text or choose a `.txt` / `.html` file, press Analyze,
//! and the answer is the same page with the report laid out as the HTML
//! report (`veracity analyze --format html`) below the form. Inline CSS,
//! no external assets; one line of script only disables the button while
//! the analysis runs.

use std::fmt::Write;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::api::{self, AppState};
use super::queue::{Done, Work};
use crate::report::{article_html, esc, Report, CSS, DISCLAIMER};

const PAGE_CSS: &str = r#"
form.card textarea{width:100%;min-height:12rem;font:inherit;font-size:.95rem;padding:.6rem;border:1px solid var(--line);border-radius:8px;resize:vertical}
form.card .actions{display:flex;flex-wrap:wrap;gap:.7rem;align-items:center;margin-top:.6rem}
form.card button{font:inherit;font-weight:600;background:var(--one);color:#fff;border:0;border-radius:8px;padding:.55rem 1.4rem;cursor:pointer}
form.card button[disabled]{opacity:.6;cursor:wait}
.error{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
nav{font-size:.85rem;color:var(--muted)}nav a{color:var(--one)}
"#;

/// The page: the form (holding `pasted`), then an error or the report.
fn render(pasted: &str, error: Option<&str>, report: Option<&Report>, archive: bool) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>veracity — analyse an article</title><style>{CSS}{PAGE_CSS}</style></head><body><main>\
<header><h1>Analyse an article</h1><nav>Claims, evidence and verdicts, and a propaganda score, computed on this server. \
<a href=\"/openapi.json\">API</a>{}</nav></header>\
<form class=\"card\" method=\"post\" action=\"/\" enctype=\"multipart/form-data\" \
onsubmit=\"var b=this.querySelector('button');b.disabled=true;b.textContent='Analyzing…'\">\
<label for=\"text\"><strong>Article text</strong> (the first line is read as the headline)</label>\
<textarea id=\"text\" name=\"text\" placeholder=\"Paste the article here\">{}</textarea>\
<div class=\"actions\"><label>or a file <input type=\"file\" name=\"file\" accept=\".txt,.md,.html,.htm,text/plain,text/html\"></label>\
<button type=\"submit\" id=\"analyze\">Analyze</button></div></form>",
        if archive {
            " · <a href=\"/archive\">archive trends</a>"
        } else {
            ""
        },
        esc(pasted)
    );
    if let Some(e) = error {
        let _ = write!(
            o,
            "<div class=\"card error\" role=\"alert\">{}</div>",
            esc(e)
        );
    }
    if let Some(r) = report {
        o.push_str("<section id=\"report\">");
        for a in &r.articles {
            article_html(&mut o, a);
        }
        o.push_str("</section>");
    }
    let _ = writeln!(
        o,
        "<footer>{}<br>veracity {}</footer></main></body></html>",
        esc(DISCLAIMER),
        env!("CARGO_PKG_VERSION")
    );
    o
}

/// `GET /`: the empty form.
pub(crate) async fn form(State(s): State<AppState>) -> Response {
    api::html(
        StatusCode::OK,
        render("", None, None, s.opts.archive_db.is_some()),
    )
}

/// `POST /`: analyse the pasted text or uploaded file, show the report.
pub(crate) async fn submit(
    State(s): State<AppState>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let archive = s.opts.archive_db.is_some();
    let form = match form {
        Ok(f) => f,
        Err(e) => return api::html(e.status(), render("", Some(&e.body_text()), None, archive)),
    };
    let (pasted, article) = match api::read_form(form).await {
        Ok(x) => x,
        Err(p) => {
            let (status, message) = p.parts();
            return api::html(status, render("", Some(message), None, archive));
        }
    };
    match api::run_work(&s, Work::Analyze(article)).await {
        Ok(Done::Report(r)) => api::html(
            StatusCode::OK,
            render(&pasted, None, Some(&Report::new(vec![*r])), archive),
        ),
        Ok(Done::Verdicts(_)) => unreachable!("an article is answered with a report"),
        Err(p) => {
            let (status, message) = p.parts();
            api::html(status, render(&pasted, Some(message), None, archive))
        }
    }
}

/// `GET /archive`: the trends page of `veracity archive report`, read from
/// the live database (it sees the last committed batch of a running score).
pub(crate) async fn archive(State(s): State<AppState>) -> Response {
    let Some(db) = s.opts.archive_db.clone() else {
        return api::html(
            StatusCode::NOT_FOUND,
            render(
                "",
                Some("no archive database: start the server with --db ARCHIVE.sqlite"),
                None,
                false,
            ),
        );
    };
    let task = tokio::task::spawn_blocking(move || {
        let store = crate::archive::Store::open_reader(&db)?;
        let r = crate::archive::report::build(&store, &Default::default())?;
        Ok::<_, crate::archive::ArchiveError>(r.to_html())
    });
    match tokio::time::timeout(api::timeout(&s), task).await {
        Ok(Ok(Ok(page))) => api::html(StatusCode::OK, page),
        Ok(Ok(Err(e))) => api::html(
            StatusCode::INTERNAL_SERVER_ERROR,
            render(
                "",
                Some(&format!("cannot read the archive: {e}")),
                None,
                true,
            ),
        ),
        Ok(Err(e)) => api::html(
            StatusCode::INTERNAL_SERVER_ERROR,
            render(
                "",
                Some(&format!("the archive report failed: {e}")),
                None,
                true,
            ),
        ),
        Err(_) => api::html(
            StatusCode::GATEWAY_TIMEOUT,
            render("", Some("the archive report timed out"), None, true),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn the_page_is_self_contained_and_keeps_the_text() {
        let p = render("a <b> & c", None, None, false);
        assert!(p.contains("<form"));
        assert!(p.contains("a &lt;b&gt; &amp; c</textarea>"));
        assert!(!p.contains("<link"));
        assert!(!p.contains("src=\"http"));
        assert!(!p.contains("/archive\""));
        assert!(p.contains(DISCLAIMER));
    }

    #[test]
    fn the_report_is_shown_below_the_form() {
        let p = render("x", None, Some(&sample()), true);
        let form = p.find("</form>").unwrap();
        let report = p.find("<section id=\"report\">").unwrap();
        assert!(form < report);
        assert!(p.contains("+2 more"));
        assert!(p.contains("href=\"/archive\""));
        let e = render("x", Some("bad <input>"), None, false);
        assert!(e.contains("role=\"alert\">bad &lt;input&gt;</div>"));
    }
}
