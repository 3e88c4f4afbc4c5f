//! `archive report`: trends of a results database per outlet and period,
//! aggregated by [`build`] into an [`ArchiveReport`] and rendered as one
//! self-contained HTML page (charts drawn by `plotters` as inline SVG),
//! Markdown, or JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::store::Store;
use super::ArchiveError;
use crate::report::{clip, esc, label, DISCLAIMER};
use crate::verdict::VerdictKind;

/// How articles are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// One group per outlet (the `source` column).
    Source,
    /// Every article in one group.
    None,
}

/// The length of a trend period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// ISO weeks (`2024-W09`).
    Week,
    /// Calendar months (`2024-03`).
    Month,
    /// Years (`2024`).
    Year,
}

impl Period {
    /// The period a normalised date (`YYYY-MM-DD...`) falls in.
    pub fn of(self, date: &str) -> Option<String> {
        let d = NaiveDate::parse_from_str(date.get(..10)?, "%Y-%m-%d").ok()?;
        Some(match self {
            Period::Week => {
                let w = d.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => format!("{}-{:02}", d.year(), d.month()),
            Period::Year => d.year().to_string(),
        })
    }
}

/// What a report shows.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub by: GroupBy,
    pub per: Period,
    /// Claims listed as most contradicted / most disputed.
    pub top_claims: usize,
    /// Techniques listed per group.
    pub top_techniques: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            by: GroupBy::Source,
            per: Period::Month,
            top_claims: 10,
            top_techniques: 5,
        }
    }
}

/// The propaganda score of one group in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub group: String,
    pub period: String,
    pub articles: u64,
    /// Articles with a propaganda score (of `articles`).
    pub scored: u64,
    pub median: Option<f32>,
    pub q1: Option<f32>,
    pub q3: Option<f32>,
}

/// Claims per verdict in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerdictMix {
    pub group: String,
    pub articles: u64,
    pub claims: u64,
    pub counts: BTreeMap<VerdictKind, u64>,
}

/// A technique's use in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueUse {
    pub technique: String,
    /// Sentences carrying it.
    pub sentences: u64,
    /// Articles with at least one such sentence.
    pub articles: u64,
}

/// The techniques a group uses most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupTechniques {
    pub group: String,
    pub top: Vec<TechniqueUse>,
}

/// A claim listed as most contradicted or disputed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotableClaim {
    pub text: String,
    pub verdict: VerdictKind,
    pub confidence: f32,
    pub explanation: String,
    pub article_id: String,
    pub title: Option<String>,
    pub source: String,
    pub published: Option<String>,
    pub url: Option<String>,
}

/// The trends of an archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveReport {
    pub generator: String,
    pub database: String,
    pub by: GroupBy,
    pub per: Period,
    pub articles: u64,
    /// Articles without a readable date (left out of the trends over time).
    pub undated: u64,
    pub failures: u64,
    pub groups: Vec<String>,
    pub periods: Vec<String>,
    pub propaganda: Vec<TrendPoint>,
    pub verdicts: Vec<VerdictMix>,
    pub techniques: Vec<GroupTechniques>,
    pub most_contradicted: Vec<NotableClaim>,
    pub most_disputed: Vec<NotableClaim>,
}

const ALL: &str = "all articles";

/// Aggregate the database of `store`.
pub fn build(store: &Store, opts: &ReportOptions) -> Result<ArchiveReport, ArchiveError> {
    let conn = store.connection();
    let err = |e| store.err(e);
    let group_of = |source: String| match opts.by {
        GroupBy::Source => source,
        GroupBy::None => ALL.to_string(),
    };

    // Scores per (group, period), streamed row by row.
    let mut cells: BTreeMap<(String, String), (u64, Vec<f32>)> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    let (mut articles, mut undated) = (0u64, 0u64);
    {
        let mut st = conn
            .prepare("SELECT source, published, propaganda_score FROM articles")
            .map_err(err)?;
        let mut rows = st.query([]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            articles += 1;
            let group = group_of(r.get::<_, String>(0).map_err(err)?);
            groups.insert(group.clone());
            let published: Option<String> = r.get(1).map_err(err)?;
            let Some(period) = published.as_deref().and_then(|d| opts.per.of(d)) else {
                undated += 1;
                continue;
            };
            let cell = cells.entry((group, period)).or_default();
            cell.0 += 1;
            if let Some(s) = r.get::<_, Option<f64>>(2).map_err(err)? {
                cell.1.push(s as f32);
            }
        }
    }
    let periods: BTreeSet<String> = cells.keys().map(|(_, p)| p.clone()).collect();
    let propaganda = cells
        .into_iter()
        .map(|((group, period), (n, mut scores))| {
            scores.sort_by(f32::total_cmp);
            TrendPoint {
                group,
                period,
                articles: n,
                scored: scores.len() as u64,
                median: quantile(&scores, 0.5),
                q1: quantile(&scores, 0.25),
                q3: quantile(&scores, 0.75),
            }
        })
        .collect();

    let group_sql = match opts.by {
        GroupBy::Source => "a.source",
        GroupBy::None => "'all articles'",
    };
    let mut verdicts = Vec::new();
    {
        let cols: Vec<String> = VerdictKind::ALL
            .iter()
            .map(|k| format!("sum(a.{})", k.as_str()))
            .collect();
        let sql = format!(
            "SELECT {group_sql}, count(*), sum(a.claims), {} FROM articles a GROUP BY 1 ORDER BY 1",
            cols.join(", ")
        );
        let mut st = conn.prepare(&sql).map_err(err)?;
        let mut rows = st.query([]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let mut counts = BTreeMap::new();
            for (i, k) in VerdictKind::ALL.iter().enumerate() {
                counts.insert(*k, r.get::<_, i64>(3 + i).map_err(err)? as u64);
            }
            verdicts.push(VerdictMix {
                group: r.get(0).map_err(err)?,
                articles: r.get::<_, i64>(1).map_err(err)? as u64,
                claims: r.get::<_, i64>(2).map_err(err)? as u64,
                counts,
            });
        }
    }

    let mut per_group: BTreeMap<String, Vec<TechniqueUse>> = BTreeMap::new();
    {
        let sql = format!(
            "SELECT {group_sql}, t.technique, count(*), count(DISTINCT t.article_id)
             FROM techniques t JOIN articles a ON a.id = t.article_id
             GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
        );
        let mut st = conn.prepare(&sql).map_err(err)?;
        let mut rows = st.query([]).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            let top = per_group.entry(r.get(0).map_err(err)?).or_default();
            if top.len() < opts.top_techniques {
                top.push(TechniqueUse {
                    technique: r.get(1).map_err(err)?,
                    sentences: r.get::<_, i64>(2).map_err(err)? as u64,
                    articles: r.get::<_, i64>(3).map_err(err)? as u64,
                });
            }
        }
    }
    let techniques = per_group
        .into_iter()
        .map(|(group, top)| GroupTechniques { group, top })
        .collect();

    let notable = |verdict: VerdictKind| -> Result<Vec<NotableClaim>, ArchiveError> {
        let mut st = conn
            .prepare(
                "SELECT c.text, c.confidence, c.explanation, a.id, a.title, a.source, a.published, a.url
                 FROM claims c JOIN articles a ON a.id = c.article_id
                 WHERE c.verdict = ?1 ORDER BY c.confidence DESC, a.published DESC, a.id LIMIT ?2",
            )
            .map_err(err)?;
        let rows = st
            .query_map(
                rusqlite::params![verdict.as_str(), opts.top_claims as i64],
                |r| {
                    Ok(NotableClaim {
                        text: r.get(0)?,
                        verdict,
                        confidence: r.get::<_, f64>(1)? as f32,
                        explanation: r.get(2)?,
                        article_id: r.get(3)?,
                        title: r.get(4)?,
                        source: r.get(5)?,
                        published: r.get(6)?,
                        url: r.get(7)?,
                    })
                },
            )
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    };
    let failures: i64 = conn
        .query_row("SELECT count(*) FROM failures", [], |r| r.get(0))
        .map_err(err)?;
    Ok(ArchiveReport {
        generator: format!("veracity {}", env!("CARGO_PKG_VERSION")),
        database: store.path().display().to_string(),
        by: opts.by,
        per: opts.per,
        articles,
        undated,
        failures: failures as u64,
        groups: groups.into_iter().collect(),
        periods: periods.into_iter().collect(),
        propaganda,
        verdicts,
        techniques,
        most_contradicted: notable(VerdictKind::Contradicted)?,
        most_disputed: notable(VerdictKind::Disputed)?,
    })
}

/// The `q` quantile of sorted values (linear interpolation).
fn quantile(sorted: &[f32], q: f32) -> Option<f32> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f32;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let t = pos - lo as f32;
    Some(sorted[lo] * (1.0 - t) + sorted[hi] * t)
}

impl ArchiveReport {
    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises") + "\n"
    }

    fn point(&self, group: &str, period: &str) -> Option<&TrendPoint> {
        self.propaganda
            .iter()
            .find(|p| p.group == group && p.period == period)
    }

    /// The same tables as the HTML page, in Markdown.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "# Archive report\n\n{} articles ({} without a readable date), {} failures recorded; \
             database `{}`.\n",
            self.articles, self.undated, self.failures, self.database
        );
        let _ = writeln!(o, "## Propaganda score per {:?}\n", self.per);
        o.push_str("| group | period | articles | median | interquartile range |\n|---|---|---:|---:|---|\n");
        for p in &self.propaganda {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(&p.group),
                p.period,
                p.articles,
                p.median.map_or("–".into(), |m| format!("{m:.1}")),
                match (p.q1, p.q3) {
                    (Some(a), Some(b)) => format!("{a:.1}–{b:.1}"),
                    _ => "–".into(),
                }
            );
        }
        o.push_str("\n## Verdict mix\n\n| group | articles | claims |");
        for k in VerdictKind::ALL {
            let _ = write!(o, " {} |", label(k));
        }
        o.push_str("\n|---|---:|---:|");
        for _ in VerdictKind::ALL {
            o.push_str("---:|");
        }
        o.push('\n');
        for v in &self.verdicts {
            let _ = write!(o, "| {} | {} | {} |", md(&v.group), v.articles, v.claims);
            for k in VerdictKind::ALL {
                let _ = write!(o, " {} |", v.counts.get(&k).copied().unwrap_or(0));
            }
            o.push('\n');
        }
        o.push_str("\n## Techniques used most\n\n| group | technique | sentences | articles |\n|---|---|---:|---:|\n");
        for g in &self.techniques {
            for t in &g.top {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    md(&g.group),
                    t.technique,
                    t.sentences,
                    t.articles
                );
            }
        }
        for (title, claims) in [
            ("Most contradicted claims", &self.most_contradicted),
            ("Most disputed claims", &self.most_disputed),
        ] {
            let _ = writeln!(
                o,
                "\n## {title}\n\n| claim | confidence | outlet | date | article |\n|---|---:|---|---|---|"
            );
            for c in claims {
                let _ = writeln!(
                    o,
                    "| {} | {:.2} | {} | {} | {} |",
                    md(&clip(&c.text, 200)),
                    c.confidence,
                    md(&c.source),
                    c.published
                        .as_deref()
                        .map_or("–", |d| d.get(..10).unwrap_or(d)),
                    md(c.title.as_deref().unwrap_or(&c.article_id))
                );
            }
        }
        let _ = writeln!(o, "\n_{DISCLAIMER}_");
        o
    }

    /// One self-contained HTML page: inline CSS and SVG charts, no scripts,
    /// no external assets, readable on a phone.
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Archive report — veracity</title><style>{CSS}</style></head><body><main>\
<header><h1>Archive report</h1><p class=\"meta\">{} articles · {} outlets · {} without a readable date · \
{} failures recorded · {}</p></header>",
            self.articles,
            self.groups.len(),
            self.undated,
            self.failures,
            esc(&self.database)
        );
        let _ = write!(
            o,
            "<h2>Propaganda score over time</h2><p class=\"meta\">Median per {} with the \
interquartile band, 0–100 %.</p><figure>{}</figure>",
            period_word(self.per),
            charts::propaganda(self)
        );
        let _ = write!(
            o,
            "<h2>Articles per {}</h2><figure>{}</figure>",
            period_word(self.per),
            charts::articles(self)
        );
        let _ = write!(
            o,
            "<h2>Verdict mix</h2><p class=\"meta\">Share of each outlet's checked claims by verdict.</p>\
<figure>{}</figure>{}",
            charts::verdicts(self),
            verdict_legend()
        );
        o.push_str("<h2>Techniques used most</h2>");
        for g in &self.techniques {
            let _ = write!(
                o,
                "<div class=\"card\"><strong>{}</strong><table><tr><th>technique</th><th>sentences</th><th>articles</th></tr>",
                esc(&g.group)
            );
            for t in &g.top {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.technique),
                    t.sentences,
                    t.articles
                );
            }
            o.push_str("</table></div>");
        }
        if self.techniques.is_empty() {
            o.push_str("<p class=\"meta\">No technique was detected.</p>");
        }
        for (title, claims) in [
            ("Most contradicted claims", &self.most_contradicted),
            ("Most disputed claims", &self.most_disputed),
        ] {
            let _ = write!(o, "<h2>{title}</h2>");
            if claims.is_empty() {
                o.push_str("<p class=\"meta\">None.</p>");
            }
            for c in claims {
                let article = esc(c.title.as_deref().unwrap_or(&c.article_id));
                let article = match &c.url {
                    Some(u) => format!("<a href=\"{}\">{article}</a>", esc(u)),
                    None => article,
                };
                let _ = write!(
                    o,
                    "<div class=\"card claim b-{v}\"><span class=\"badge v-{v}\">{}</span> \
<span class=\"meta\">confidence {:.2}</span><q>{}</q><div class=\"expl\">{}</div>\
<div class=\"src\">{} · {} · {}</div></div>",
                    label(c.verdict),
                    c.confidence,
                    esc(&c.text),
                    esc(&c.explanation),
                    esc(&c.source),
                    esc(c
                        .published
                        .as_deref()
                        .map_or("undated", |d| d.get(..10).unwrap_or(d))),
                    article,
                    v = c.verdict.as_str(),
                );
            }
        }
        let _ = writeln!(
            o,
            "<footer><p class=\"meta\">{}. {}</p></footer></main></body></html>",
            esc(&self.generator),
            esc(DISCLAIMER)
        );
        o
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn period_word(p: Period) -> &'static str {
    match p {
        Period::Week => "week",
        Period::Month => "month",
        Period::Year => "year",
    }
}

fn verdict_legend() -> String {
    let mut o = String::from("<ul class=\"counts\">");
    for k in VerdictKind::ALL {
        let _ = write!(
            o,
            "<li class=\"badge\" style=\"background:{};color:#fff\">{}</li>",
            charts::verdict_colour(k).to_hex(),
            label(k)
        );
    }
    o.push_str("</ul>");
    o
}

const CSS: &str = r#"
:root{--fg:#1d232a;--muted:#5f6b76;--bg:#f6f7f9;--card:#fff;--line:#dde2e7;
--ok:#1f7a3f;--ok-bg:#e3f4e8;--one:#0b6e85;--one-bg:#e0f2f6;--bad:#b3261e;--bad-bg:#fbe5e3;
--mix:#8a5a00;--mix-bg:#fdf1d6;--none:#56606b;--none-bg:#eceff2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
main{max-width:52rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.2rem 0 .3rem}
h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
.meta{color:var(--muted);font-size:.85rem;margin:0}
figure{margin:.6rem 0;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.5rem;overflow-x:auto}
figure svg{width:100%;height:auto;display:block}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:.8rem 1rem;margin:.7rem 0}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin-top:.3rem}
th,td{text-align:left;padding:.25rem .4rem;border-top:1px solid var(--line)}
td:not(:first-child),th:not(:first-child){text-align:right}
.counts{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0 0;padding:0;list-style:none}
.badge{display:inline-block;border-radius:999px;padding:.15rem .6rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.v-contradicted{color:var(--bad);background:var(--bad-bg)}
.v-disputed{color:var(--mix);background:var(--mix-bg)}
.claim{border-left:5px solid var(--line)}
.claim.b-contradicted{border-left-color:var(--bad)}
.claim.b-disputed{border-left-color:var(--mix)}
.claim q{display:block;font-weight:600;margin:.3rem 0}
.expl{margin:.3rem 0}
.src{color:var(--muted);font-size:.8rem}
.src a{color:var(--one)}
footer{margin-top:2rem}
"#;

mod charts {
    //! The report's charts, drawn by `plotters` into SVG strings.

    use plotters::coord::types::RangedCoordf64;
    use plotters::prelude::*;

    use super::ArchiveReport;
    use crate::verdict::VerdictKind;

    const SIZE: (u32, u32) = (820, 360);

    /// Colours of the groups' series (Tableau 10).
    const PALETTE: [RGBColor; 10] = [
        RGBColor(0x4e, 0x79, 0xa7),
        RGBColor(0xf2, 0x8e, 0x2b),
        RGBColor(0xe1, 0x57, 0x59),
        RGBColor(0x76, 0xb7, 0xb2),
        RGBColor(0x59, 0xa1, 0x4f),
        RGBColor(0xed, 0xc9, 0x48),
        RGBColor(0xb0, 0x7a, 0xa1),
        RGBColor(0xff, 0x9d, 0xa7),
        RGBColor(0x9c, 0x75, 0x5f),
        RGBColor(0xba, 0xb0, 0xac),
    ];

    pub trait Hex {
        fn to_hex(&self) -> String;
    }

    impl Hex for RGBColor {
        fn to_hex(&self) -> String {
            format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
        }
    }

    pub fn verdict_colour(k: VerdictKind) -> RGBColor {
        match k {
            VerdictKind::Corroborated => RGBColor(0x1f, 0x7a, 0x3f),
            VerdictKind::VerifiedByReference => RGBColor(0x5c, 0xa8, 0x6e),
            VerdictKind::SingleSource => RGBColor(0x0b, 0x6e, 0x85),
            VerdictKind::Contradicted => RGBColor(0xb3, 0x26, 0x1e),
            VerdictKind::Disputed => RGBColor(0xc8, 0x8a, 0x00),
            VerdictKind::InsufficientEvidence => RGBColor(0x9a, 0xa3, 0xab),
        }
    }

    fn colour(i: usize) -> RGBColor {
        PALETTE[i % PALETTE.len()]
    }

    /// A chart that could not be drawn says why instead.
    fn drawn(svg: String, result: Result<(), String>) -> String {
        match result {
            Ok(()) => svg,
            Err(e) => format!(
                "<p class=\"meta\">(chart not drawn: {})</p>",
                super::esc(&e)
            ),
        }
    }

    fn label_of(periods: &[String], x: f64) -> String {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        periods.get(i as usize).cloned().unwrap_or_default()
    }

    type Chart<'a, 'b> =
        ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
    type Drawn = Result<(), Box<dyn std::error::Error>>;

    /// A chart over the report's periods (x) with one series per group,
    /// drawn by `series(chart, group, colour)`, and a legend.
    fn over_time(
        r: &ArchiveReport,
        height: u32,
        y_max: f64,
        y_desc: &str,
        legend: SeriesLabelPosition,
        mut series: impl FnMut(&mut Chart<'_, '_>, &str, RGBColor) -> Drawn,
    ) -> String {
        let mut svg = String::new();
        let result = (|| -> Drawn {
            let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let n = r.periods.len().max(1);
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(44)
                .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..y_max)?;
            chart
                .configure_mesh()
                .x_labels(n.min(12))
                .x_label_formatter(&|x| label_of(&r.periods, *x))
                .y_desc(y_desc)
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (gi, g) in r.groups.iter().enumerate() {
                series(&mut chart, g, colour(gi))?;
            }
            if !r.groups.is_empty() {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.2))
                    .position(legend)
                    .draw()?;
            }
            root.present()?;
            Ok(())
        })();
        drawn(svg, result.map_err(|e| e.to_string()))
    }

    /// A group's line, with its legend entry.
    fn line(chart: &mut Chart<'_, '_>, group: &str, c: RGBColor, pts: Vec<(f64, f64)>) -> Drawn {
        chart
            .draw_series(LineSeries::new(pts, c.stroke_width(2)))?
            .label(group)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
        Ok(())
    }

    /// Median propaganda score per period and group, with the
    /// interquartile band.
    pub fn propaganda(r: &ArchiveReport) -> String {
        over_time(
            r,
            SIZE.1,
            100.0,
            "propaganda score (%)",
            SeriesLabelPosition::UpperRight,
            |chart, g, c| {
                let pts: Vec<(f64, &super::TrendPoint)> = r
                    .periods
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| r.point(g, p).map(|t| (i as f64, t)))
                    .filter(|(_, t)| t.median.is_some())
                    .collect();
                if pts.is_empty() {
                    return Ok(());
                }
                let upper = pts.iter().map(|(x, t)| (*x, t.q3.unwrap_or(0.0) as f64));
                let lower = pts
                    .iter()
                    .rev()
                    .map(|(x, t)| (*x, t.q1.unwrap_or(0.0) as f64));
                let band: Vec<(f64, f64)> = upper.chain(lower).collect();
                chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
                let median: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|(x, t)| (*x, t.median.unwrap_or(0.0) as f64))
                    .collect();
                chart.draw_series(median.iter().map(|p| Circle::new(*p, 3, c.filled())))?;
                line(chart, g, c, median)
            },
        )
    }

    /// Articles per period and group, as lines.
    pub fn articles(r: &ArchiveReport) -> String {
        let max = r.propaganda.iter().map(|p| p.articles).max().unwrap_or(1) as f64;
        over_time(
            r,
            280,
            (max * 1.1).max(1.0),
            "articles",
            SeriesLabelPosition::UpperLeft,
            |chart, g, c| {
                let pts = r
                    .periods
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (i as f64, r.point(g, p).map_or(0, |t| t.articles) as f64))
                    .collect();
                line(chart, g, c, pts)
            },
        )
    }

    /// One stacked bar per group: the share of its claims per verdict.
    pub fn verdicts(r: &ArchiveReport) -> String {
        let mut svg = String::new();
        let rows = r.verdicts.len().max(1);
        let height = (60 + 34 * rows as u32).min(2000);
        let result = (|| -> Result<(), Box<dyn std::error::Error>> {
            let root = SVGBackend::with_string(&mut svg, (SIZE.0, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let names: Vec<String> = r.verdicts.iter().map(|v| v.group.clone()).collect();
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(150)
                .build_cartesian_2d(0f64..100f64, -0.5f64..(rows as f64 - 0.5))?;
            chart
                .configure_mesh()
                .y_labels(rows)
                .y_label_formatter(&|y| label_of(&names, *y))
                .x_desc("share of claims (%)")
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (i, v) in r.verdicts.iter().enumerate() {
                let y = i as f64;
                let mut left = 0.0;
                for k in VerdictKind::ALL {
                    let n = v.counts.get(&k).copied().unwrap_or(0) as f64;
                    if v.claims == 0 || n == 0.0 {
                        continue;
                    }
                    let w = 100.0 * n / v.claims as f64;
                    chart.draw_series(std::iter::once(Rectangle::new(
                        [(left, y - 0.35), (left + w, y + 0.35)],
                        verdict_colour(k).filled(),
                    )))?;
                    left += w;
                }
            }
            root.present()?;
            Ok(())
        })();
        drawn(svg, result.map_err(|e| e.to_string()))
    }
}

use charts::Hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_of_dates_and_timestamps() {
        assert_eq!(Period::Month.of("2024-03-05").as_deref(), Some("2024-03"));
        assert_eq!(
            Period::Week.of("2024-03-05T10:00:00Z").as_deref(),
            Some("2024-W10")
        );
        // 2021-01-01 is in ISO week 53 of 2020.
        assert_eq!(Period::Week.of("2021-01-01").as_deref(), Some("2020-W53"));
        assert_eq!(Period::Year.of("1999-12-31").as_deref(), Some("1999"));
        assert_eq!(Period::Month.of("garbage"), None);
    }

    #[test]
    fn quantiles_interpolate_between_values() {
        let v = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile(&v, 0.5), Some(25.0));
        assert_eq!(quantile(&v, 0.25), Some(17.5));
        assert_eq!(quantile(&[7.0], 0.75), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
