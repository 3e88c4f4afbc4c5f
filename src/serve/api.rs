//! The HTTP API: routes, request and response types, errors, and the
//! OpenAPI spec generated from them (`GET /openapi.json`).
//!
//! Every client mistake is answered with a 4xx status and a JSON body
//! [`ApiError`]; a 5xx means the server failed (the analysis returned an
//! error, or panicked: a bug).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::metrics::Metrics;
use super::page;
use super::queue::{Done, Failed, Queue, Work};
use super::ServeOptions;
use crate::corpus::Hit;
use crate::report::Report;
use crate::text::{Article, TextError};
use crate::verdict::Verdict;
use crate::Analyzer;

/// Claims one `/v1/check` request may carry.
pub const MAX_CLAIMS: usize = 100;
/// Hits one `/v1/search` request may ask for.
pub const MAX_HITS: usize = 100;

/// An article to analyse (`POST /v1/analyze` as JSON).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    /// The headline (else the article has no title).
    #[serde(default)]
    pub title: Option<String>,
    /// The article text (plain text; send HTML as a `text/html` body).
    #[schema(pattern = r"\S")]
    pub text: String,
    /// Where the article was published; the report names the article by it.
    #[serde(default)]
    pub url: Option<String>,
    /// The outlet (accepted for a CMS's convenience; the analysis does not use it).
    #[serde(default)]
    pub source: Option<String>,
    /// The publication date (accepted; the analysis does not use it).
    #[serde(default)]
    pub published: Option<String>,
}

/// Claims to check (`POST /v1/check`): `{"claims": ["...", ...]}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Claims, each checked against the evidence (1 to 100, none empty).
    #[schema(min_items = 1, max_items = 100, inline)]
    pub claims: Vec<Claim>,
}

/// One claim: a sentence with at least one non-space character.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(pattern = r"\S")]
pub struct Claim(pub String);

/// A raw article body (`text/plain` or `text/html`): at least one
/// non-space character.
#[derive(Debug, Clone, ToSchema)]
#[schema(pattern = r"\S")]
pub struct ArticleBody(pub String);

/// The verdicts of `POST /v1/check`, one per claim, in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckResponse {
    pub verdicts: Vec<Verdict>,
}

/// `GET /v1/search` parameters.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query (at least one non-space character).
    #[param(pattern = r"\S")]
    pub q: String,
    /// Number of hits (1–100, default 10).
    #[param(minimum = 1, maximum = 100)]
    pub k: Option<usize>,
}

/// The hits of `GET /v1/search`: the indexes' ranking, then each other
/// evidence source's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    pub query: String,
    pub hits: Vec<Hit>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// "ok".
    pub status: String,
    /// "veracity X.Y.Z".
    pub version: String,
    /// The sentence-embedding model.
    pub model: String,
    /// Whether any evidence index or corpus is loaded.
    pub evidence: bool,
    /// Requests waiting for the analyzer.
    pub queue_depth: usize,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// What was wrong, in plain words.
    pub error: String,
}

/// An error response: a status and its message.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl Problem {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Problem {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl Problem {
    /// The status and the message.
    pub(crate) fn parts(&self) -> (StatusCode, &str) {
        (self.status, &self.message)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(ApiError {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "veracity",
        description = "Offline fact-checking of news articles: check-worthy claims, evidence, verdicts and a propaganda score. Every error is a JSON `{\"error\": ...}`.",
        license(name = "Apache-2.0")
    ),
    paths(analyze, check, search, healthz, metrics_text),
    components(schemas(AnalyzeRequest, CheckRequest, CheckResponse, SearchResponse, Health, ApiError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, spec: &mut utoipa::openapi::OpenApi) {
        spec.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// The OpenAPI 3.1 spec of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) analyzer: Arc<Analyzer>,
    pub(crate) queue: Queue,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) opts: Arc<ServeOptions>,
}

/// The router with its state, and the analyzer's worker thread.
pub(crate) fn app(
    analyzer: Arc<Analyzer>,
    opts: ServeOptions,
) -> crate::Result<(Router, std::thread::JoinHandle<()>)> {
    let metrics = Arc::new(Metrics::default());
    let (queue, worker) = Queue::start(
        analyzer.clone(),
        opts.queue,
        opts.max_batch,
        metrics.clone(),
    )?;
    let state = AppState {
        analyzer,
        queue,
        metrics,
        opts: Arc::new(opts),
    };
    let v1 = Router::new()
        .route("/v1/analyze", post(analyze))
        .route("/v1/check", post(check))
        .route("/v1/search", get(search))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    let app = Router::new()
        .merge(v1)
        .route("/", get(page::form).post(page::submit))
        .route("/archive", get(page::archive))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.opts.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %req.method(), uri = %req.uri())
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);
    Ok((app, worker))
}

/// Count every answered request by route and status, with its latency.
async fn count(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let start = Instant::now();
    let r = next.run(req).await;
    s.metrics
        .request(&route, r.status().as_u16(), start.elapsed());
    r
}

/// `/v1/*` with `--api-key`: `Authorization: Bearer <key>` or 401.
async fn require_key(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(key) = &s.opts.api_key {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| same(g.trim().as_bytes(), key.as_bytes())) {
            let mut r = Problem::new(
                StatusCode::UNAUTHORIZED,
                "missing or wrong API key: send `Authorization: Bearer <key>`",
            )
            .into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(req).await
}

/// Byte strings compared in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such route; see /openapi.json for the API",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this route; see /openapi.json",
    )
}

/// The request's `Content-Type` ("" when absent or not text).
fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// A JSON body that did not parse (400) or had the wrong shape (422).
fn json_problem(e: serde_json::Error, expected: &str) -> Problem {
    let status = if e.is_data() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::BAD_REQUEST
    };
    Problem::new(
        status,
        format!("invalid JSON body: {e}; expected {expected}"),
    )
}

/// A body that could not be read: too large (413) or broken (400).
fn body_problem(r: BytesRejection) -> Problem {
    let status = r.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            status,
            "the request body is larger than the server accepts (--max-body-bytes)",
        )
    } else {
        Problem::new(
            status,
            format!("cannot read the request body: {}", r.body_text()),
        )
    }
}

/// An article from a request body of the given content type.
pub(crate) fn article_from_body(content_type: &str, body: &[u8]) -> Result<Article, Problem> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let name = match mime.as_str() {
        "application/json" => {
            let req: AnalyzeRequest = serde_json::from_slice(body).map_err(|e| {
                json_problem(
                    e,
                    "{\"text\": ..., \"title\"?, \"url\"?, \"source\"?, \"published\"?}",
                )
            })?;
            let article = Article {
                title: req
                    .title
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty()),
                text: req.text,
                path: req.url.filter(|u| !u.trim().is_empty()).map(Into::into),
            };
            return nonempty(article);
        }
        "text/html" | "application/xhtml+xml" => "request.html",
        "text/plain" | "text/markdown" | "" => "request.txt",
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                "content type {other} is not read; send application/json, text/plain or text/html"
            ),
            ))
        }
    };
    article_from_bytes(name, body)
}

/// An article from uploaded bytes named `name` (the extension picks the
/// reader, as for `veracity analyze FILE`).
pub(crate) fn article_from_bytes(name: &str, bytes: &[u8]) -> Result<Article, Problem> {
    let path = Path::new(name);
    let text = crate::text::decode_text(bytes, path).map_err(text_problem)?;
    let article = crate::text::parse_article(text, path).map_err(text_problem)?;
    nonempty(article)
}

fn nonempty(a: Article) -> Result<Article, Problem> {
    if a.text.trim().is_empty() {
        Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the article is empty; nothing to analyze",
        ))
    } else {
        Ok(a)
    }
}

fn text_problem(e: TextError) -> Problem {
    match e {
        TextError::Binary { reason, .. } => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("the body {reason}; veracity reads UTF-8 text and HTML"),
        ),
        other => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, other.to_string()),
    }
}

/// Queue `work` and wait for its answer (503 when the queue is full, 504
/// after the timeout).
pub(crate) async fn run_work(s: &AppState, work: Work) -> Result<Done, Problem> {
    let rx = s.queue.submit(work).map_err(|_| Problem {
        status: StatusCode::SERVICE_UNAVAILABLE,
        message: format!(
            "the server is busy ({} requests waiting); retry later",
            s.opts.queue
        ),
        retry_after: Some(1),
    })?;
    match tokio::time::timeout(s.opts.timeout, rx).await {
        Err(_) => Err(Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!(
                "the analysis took longer than {} s (--timeout)",
                s.opts.timeout.as_secs_f32()
            ),
        )),
        Ok(Err(_)) => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )),
        Ok(Ok(Ok(done))) => Ok(done),
        Ok(Ok(Err(Failed::Analysis(e)))) => Err(analysis_problem(e)),
        Ok(Ok(Err(Failed::Panic(p)))) => {
            tracing::error!("the analysis panicked: {p}");
            Err(Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the analysis failed (a bug; please report it): {p}"),
            ))
        }
    }
}

fn analysis_problem(e: crate::Error) -> Problem {
    let text = crate::error::chain(&e);
    match e {
        crate::Error::Invalid(_) | crate::Error::Text(_) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, text)
        }
        _ => {
            tracing::error!("analysis failed: {text}");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, text)
        }
    }
}

/// Analyse one article: claims, evidence, verdicts and propaganda.
#[utoipa::path(
    post,
    path = "/v1/analyze",
    request_body(
        description = "The article: JSON, or the raw text (`text/plain`) or page (`text/html`).",
        content(
            (AnalyzeRequest = "application/json"),
            (ArticleBody = "text/plain"),
            (ArticleBody = "text/html"),
        )
    ),
    responses(
        (status = 200, description = "The report (schema v1, one article), as `veracity analyze --format json` writes it.", body = Report),
        (status = 400, description = "Malformed JSON or body.", body = ApiError),
        (status = 401, description = "Missing or wrong API key (with --api-key).", body = ApiError),
        (status = 413, description = "Body too large.", body = ApiError),
        (status = 415, description = "Unsupported content type, or a binary body.", body = ApiError),
        (status = 422, description = "Empty text, or JSON of the wrong shape.", body = ApiError),
        (status = 503, description = "Queue full (see Retry-After).", body = ApiError),
        (status = 504, description = "Timed out.", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn analyze(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Report>, Problem> {
    let body = body.map_err(body_problem)?;
    let ct = content_type(&headers);
    let article = article_from_body(ct, &body)?;
    match run_work(&s, Work::Analyze(article)).await? {
        Done::Report(r) => Ok(Json(Report::new(vec![*r]))),
        Done::Verdicts(_) => unreachable!("an article is answered with a report"),
    }
}

/// Check claims against the evidence: one verdict per claim.
#[utoipa::path(
    post,
    path = "/v1/check",
    request_body(content((CheckRequest = "application/json"))),
    responses(
        (status = 200, description = "One verdict per claim, in order.", body = CheckResponse),
        (status = 400, description = "Malformed JSON.", body = ApiError),
        (status = 401, description = "Missing or wrong API key (with --api-key).", body = ApiError),
        (status = 413, description = "Body too large.", body = ApiError),
        (status = 415, description = "Not JSON.", body = ApiError),
        (status = 422, description = "No claim, an empty claim, or more than 100.", body = ApiError),
        (status = 503, description = "Queue full (see Retry-After).", body = ApiError),
        (status = 504, description = "Timed out.", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn check(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CheckResponse>, Problem> {
    let body = body.map_err(body_problem)?;
    let ct = content_type(&headers);
    if !ct
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the claims as application/json: {\"claims\": [...]}",
        ));
    }
    let req: CheckRequest =
        serde_json::from_slice(&body).map_err(|e| json_problem(e, "{\"claims\": [\"...\"]}"))?;
    let claims: Vec<String> = req.claims.iter().map(|c| c.0.trim().to_string()).collect();
    if claims.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no claim given: send {\"claims\": [\"...\"]}",
        ));
    }
    if let Some(i) = claims.iter().position(|c| c.is_empty()) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("claim {} is empty", i + 1),
        ));
    }
    if claims.len() > MAX_CLAIMS {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} claims; at most {MAX_CLAIMS} per request", claims.len()),
        ));
    }
    match run_work(&s, Work::Check(claims)).await? {
        Done::Verdicts(verdicts) => Ok(Json(CheckResponse { verdicts })),
        Done::Report(_) => unreachable!("claims are answered with verdicts"),
    }
}

/// Search the evidence as the claim check does.
#[utoipa::path(
    get,
    path = "/v1/search",
    params(SearchParams),
    responses(
        (status = 200, description = "The hits, best first.", body = SearchResponse),
        (status = 400, description = "Missing or malformed parameters.", body = ApiError),
        (status = 401, description = "Missing or wrong API key (with --api-key).", body = ApiError),
        (status = 422, description = "Empty query, or k out of range.", body = ApiError),
        (status = 504, description = "Timed out.", body = ApiError),
    ),
    security((), ("bearer" = []))
)]
async fn search(
    State(s): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, Problem> {
    let Query(p) = params.map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            format!("{}; expected ?q=QUERY&k=N", e.body_text()),
        )
    })?;
    let k = p.k.unwrap_or(10);
    if !(1..=MAX_HITS).contains(&k) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("k must be between 1 and {MAX_HITS}"),
        ));
    }
    let q = p.q.trim().to_string();
    if q.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the query is empty",
        ));
    }
    let analyzer = s.analyzer.clone();
    let query = q.clone();
    let task = tokio::task::spawn_blocking(move || analyzer.search(&query, k));
    match tokio::time::timeout(s.opts.timeout, task).await {
        Err(_) => Err(Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "the search timed out",
        )),
        Ok(Err(join)) => Err(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the search failed (a bug; please report it): {join}"),
        )),
        Ok(Ok(Err(e))) => Err(analysis_problem(e)),
        Ok(Ok(Ok(hits))) => Ok(Json(SearchResponse { query: q, hits })),
    }
}

/// Liveness and what is loaded.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
async fn healthz(State(s): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: format!("veracity {}", env!("CARGO_PKG_VERSION")),
        model: s.analyzer.encoder().name().to_string(),
        evidence: s.analyzer.has_evidence(),
        queue_depth: s
            .metrics
            .queue_depth
            .load(std::sync::atomic::Ordering::Relaxed),
    })
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "Prometheus text format 0.0.4.", body = String, content_type = "text/plain"))
)]
async fn metrics_text(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}

/// The page's HTML response with the right type.
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    (status, Html(body)).into_response()
}

/// Read the page form: the pasted text, or the uploaded file.
pub(crate) async fn read_form(mut form: Multipart) -> Result<(String, Article), Problem> {
    let mut pasted = String::new();
    let mut upload: Option<(String, Bytes)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(Problem::new(e.status(), e.body_text())),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field
            .bytes()
            .await
            .map_err(|e| Problem::new(e.status(), e.body_text()))?;
        match name.as_str() {
            "text" => pasted = String::from_utf8_lossy(&data).into_owned(),
            "file" if !data.is_empty() => {
                upload = Some((file_name.unwrap_or_else(|| "upload.txt".into()), data))
            }
            _ => {}
        }
    }
    let article = match &upload {
        Some((name, data)) => article_from_bytes(&upload_name(name), data)?,
        None => {
            let text = pasted.replace("\r\n", "\n");
            article_from_bytes("pasted.txt", text.as_bytes())?
        }
    };
    Ok((pasted, article))
}

/// An uploaded file's name as the reader sees it: `.html` / `.htm` /
/// `.md` / `.json` keep their reader, anything else is read as text.
fn upload_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" | "htm" | "md" | "markdown" | "json" => format!("upload.{ext}"),
        _ => "upload.txt".into(),
    }
}

/// Time out long page work as the API does.
pub(crate) fn timeout(s: &AppState) -> Duration {
    s.opts.timeout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_by_content_type() {
        let a = article_from_body(
            "application/json; charset=utf-8",
            br#"{"title":" T ","text":"Body.","url":"https://x.example/a"}"#,
        )
        .unwrap();
        assert_eq!(a.title.as_deref(), Some("T"));
        assert_eq!(a.text, "Body.");
        assert_eq!(a.path.unwrap().to_str(), Some("https://x.example/a"));
        let h = article_from_body(
            "text/html",
            b"<html><head><title>Page</title></head><body><p>One sentence here.</p></body></html>",
        )
        .unwrap();
        assert!(h.text.contains("One sentence here."));
        let t = article_from_body("", b"Headline\n\nText.").unwrap();
        assert_eq!(t.title.as_deref(), Some("Headline"));
    }

    #[test]
    fn client_mistakes_are_4xx() {
        let status = |ct: &str, b: &[u8]| article_from_body(ct, b).unwrap_err().status;
        assert_eq!(status("application/json", b"{"), StatusCode::BAD_REQUEST);
        assert_eq!(
            status("application/json", br#"{"txt":"x"}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status("application/json", br#"{"text":"  "}"#),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(status("text/plain", b""), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            status("text/plain", b"\x00\x01binary"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            status("image/png", b"x"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[test]
    fn keys_compare_whole() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"", b"x"));
    }

    #[test]
    fn uploads_keep_their_reader() {
        assert_eq!(upload_name("Story.HTML"), "upload.html");
        assert_eq!(upload_name("notes"), "upload.txt");
        assert_eq!(upload_name("a.exe"), "upload.txt");
    }

    #[test]
    fn the_spec_names_every_route() {
        let spec = serde_json::to_value(openapi()).unwrap();
        for p in [
            "/v1/analyze",
            "/v1/check",
            "/v1/search",
            "/healthz",
            "/metrics",
        ] {
            assert!(spec["paths"].get(p).is_some(), "{p} missing");
        }
        assert!(spec["components"]["schemas"].get("Report").is_some());
        assert!(spec["components"]["securitySchemes"]
            .get("bearer")
            .is_some());
    }
}
