//! The dashboard page: one HTML document with its stylesheet inline and its
//! charts as inline SVG, so it renders in one request, offline, with no
//! script. Choosing a user is a plain form (`GET ?user=&n=`), so it works the
//! same under the Functions host, where the function key (`code`) is carried
//! along in the form and the links.

use std::fmt::Write;

use super::svg::{self, escape, Mark};
use super::views::*;
use crate::models::metrics::K;
use crate::serving::{JsonText, Source};

const STYLE: &str = include_str!("dashboard.css");
/// Values offered by the N control.
pub const N_CHOICES: [usize; 5] = [5, 10, 20, 50, 100];

/// Everything the page shows.
pub struct PageInput<'a> {
    pub summary: &'a Summary,
    pub ratings: &'a RatingsView,
    pub recommended: &'a RecommendedView,
    pub models: &'a ModelsView,
    pub online: &'a OnlineView,
    /// The chosen user, or why none could be shown.
    pub user: Result<&'a UserView, String>,
    /// The user id as typed, to keep in the picker.
    pub typed_user: String,
    pub n: usize,
    /// The function key the page was opened with, if any.
    pub code: Option<&'a str>,
}

/// `?user=..&n=..` (and the key) for a link to another user.
fn user_link(user: i32, n: usize, code: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("user", &user.to_string());
    query.append_pair("n", &n.to_string());
    if let Some(code) = code {
        query.append_pair("code", code);
    }
    format!("?{}", query.finish())
}

/// `path` with the function key appended when the page was opened with one.
fn with_code(path: &str, code: Option<&str>) -> String {
    match code {
        None => path.to_string(),
        Some(code) => {
            let separator = if path.contains('?') { '&' } else { '?' };
            let key: String = form_urlencoded::byte_serialize(code.as_bytes()).collect();
            format!("{path}{separator}code={key}")
        }
    }
}

/// A table cell's movie: its title with its genres below, and a link to the
/// movies like it (`GET /movies/{id}/similar`, the SimilarMovies function).
fn movie_cell(title: &Option<String>, movie: i32, genres: &[String], code: Option<&str>) -> String {
    let title = match title {
        Some(t) => escape(t),
        None => format!("movie {movie} <span class=\"muted\">(not in the catalogue)</span>"),
    };
    format!(
        r#"<td>{title}<span class="genres">{} · <a class="similar" href="{}">similar</a></span></td>"#,
        escape(&genres.join(", ")),
        escape(&with_code(&format!("/movies/{movie}/similar"), code))
    )
}

/// An RFC 3339 time as "YYYY-MM-DD HH:MM UTC".
fn when(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn count(n: u64) -> String {
    // thousands separated by a thin space, readable at a glance
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

pub fn render(page: &PageInput) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>movierec dashboard</title><link rel="icon" href="data:,"><style>{STYLE}</style></head><body><header><h1>movierec</h1><p class="muted">figures as of {}{}</p></header><main>"#,
        escape(&when(&page.summary.computed_at)),
        page.summary
            .serving_version
            .map(|v| format!(" · serving model v{v}"))
            .unwrap_or_else(|| " · no model published yet".into())
    );
    counts(&mut html, page.summary);
    picker(&mut html, page);
    user_panels(&mut html, page);
    charts(&mut html, page);
    online(&mut html, page.online);
    html.push_str(r#"</main><footer class="muted">The JSON behind this page:"#);
    let user = page.user.as_ref().map_or(1, |u| u.user);
    for (name, path) in [
        ("summary", "/dashboard/summary".to_string()),
        ("ratings", "/dashboard/ratings".to_string()),
        ("recommended", "/dashboard/recommended".to_string()),
        ("models", "/dashboard/models".to_string()),
        ("online", "/dashboard/online".to_string()),
        (
            "user",
            format!("/dashboard/user{}", user_link(user, page.n, None)),
        ),
    ] {
        let _ = write!(
            html,
            r#" <a href="{}">{name}</a>"#,
            escape(&with_code(&path, page.code))
        );
    }
    html.push_str("</footer></body></html>");
    html
}

fn counts(html: &mut String, s: &Summary) {
    html.push_str(r#"<section class="counts" id="counts">"#);
    for (label, value) in [
        ("users", s.users),
        ("movies", s.movies),
        ("ratings", s.ratings),
        ("dead letters", s.dead_letters),
    ] {
        let _ = write!(
            html,
            r#"<div class="count"><b>{}</b><span>{label}</span></div>"#,
            count(value)
        );
    }
    html.push_str("</section>");
}

fn picker(html: &mut String, page: &PageInput) {
    let _ = write!(
        html,
        r#"<section class="card" id="picker"><form method="get"><label>User id <input type="number" name="user" min="1" inputmode="numeric" required value="{}" list="samples"></label> <label>N <select name="n">"#,
        escape(&page.typed_user)
    );
    let mut choices = N_CHOICES.to_vec();
    if !choices.contains(&page.n) {
        choices.push(page.n);
        choices.sort_unstable();
    }
    for n in choices {
        let selected = if n == page.n { " selected" } else { "" };
        let _ = write!(html, r#"<option value="{n}"{selected}>{n}</option>"#);
    }
    html.push_str("</select></label>");
    if let Some(code) = page.code {
        let _ = write!(
            html,
            r#"<input type="hidden" name="code" value="{}">"#,
            escape(code)
        );
    }
    html.push_str(r#" <button type="submit">Show</button><datalist id="samples">"#);
    for s in &page.summary.sample_users {
        let _ = write!(
            html,
            r#"<option value="{}">{}</option>"#,
            s.user,
            escape(&s.label)
        );
    }
    html.push_str(r#"</datalist></form><p class="samples">Try: "#);
    for s in &page.summary.sample_users {
        let _ = write!(
            html,
            r#"<a class="sample" href="{}">{} <span class="muted">({}, {} ratings)</span></a> "#,
            escape(&user_link(s.user, page.n, page.code)),
            s.user,
            escape(&s.label),
            count(s.ratings)
        );
    }
    html.push_str("</p></section>");
}

fn source_words(source: Source) -> &'static str {
    match source {
        Source::Batch => "batch: the list RecommendAllUsers published",
        Source::Model => {
            "model: computed from the published model (N is longer than the stored list)"
        }
        Source::FoldIn => {
            "fold-in: the user rated after the last batch; solved against the model now"
        }
        Source::Popular => "popular: no ratings to go on, so the most liked movies",
    }
}

fn user_panels(html: &mut String, page: &PageInput) {
    let user = match &page.user {
        Err(message) => {
            let _ = write!(
                html,
                r#"<section class="card error" id="user-error"><p>{}</p></section>"#,
                escape(message)
            );
            return;
        }
        Ok(user) => user,
    };
    html.push_str(r#"<section class="pair">"#);
    // rating history
    let _ = write!(
        html,
        r#"<div class="card" id="history" data-user="{}"><h2>Ratings by user {}</h2><p class="muted">{}</p>"#,
        user.user,
        user.user,
        match user.rated {
            0 => "No ratings stored for this user.".to_string(),
            n if n > user.history.len() => format!(
                "{} ratings, newest {} shown",
                count(n as u64),
                user.history.len()
            ),
            n => format!("{} ratings, newest first", count(n as u64)),
        }
    );
    if !user.history.is_empty() {
        html.push_str(r#"<div class="scroll"><table><thead><tr><th>Movie</th><th class="num">Rating</th><th>Date</th></tr></thead><tbody>"#);
        for r in &user.history {
            let _ = write!(
                html,
                r#"<tr>{}<td class="num">{:.1}</td><td class="date">{}</td></tr>"#,
                movie_cell(&r.title, r.movie_id, &r.genres, page.code),
                r.rating,
                escape(&r.date)
            );
        }
        html.push_str("</tbody></table></div>");
    }
    html.push_str("</div>");
    // recommendations
    let _ = write!(
        html,
        r#"<div class="card" id="recommendations" data-user="{}"><h2>Recommended for user {}</h2>"#,
        user.user, user.user
    );
    match (&user.recommendations, &user.unavailable) {
        (Some(list), _) => {
            let _ = write!(
                html,
                r#"<p class="muted">Source <b class="source" data-source="{}">{}</b> · model v{} · {}</p>"#,
                serde_json::to_value(list.source)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                escape(source_words(list.source)),
                list.model_version,
                escape(&when(&list.generated_at))
            );
            html.push_str(r#"<div class="scroll"><table><thead><tr><th class="num">#</th><th>Movie</th><th class="num" title="the ranking model's score: the list's order">Score</th><th class="num" title="the rating model's prediction of this user's rating">Predicted</th><th title="the movie this user rated 4 or more that it is closest to">Because you rated</th></tr></thead><tbody>"#);
            for (i, item) in list.items.iter().enumerate() {
                let predicted = item
                    .predicted_rating
                    .map(|r| format!("{r:.1}★"))
                    .unwrap_or_else(|| "–".into());
                let because = match &item.because {
                    Some(b) => escape(
                        &b.title
                            .as_ref()
                            .map(JsonText::decode)
                            .unwrap_or_else(|| format!("movie {}", b.movie_id)),
                    ),
                    None => "–".into(),
                };
                let _ = write!(
                    html,
                    r#"<tr><td class="num">{}</td>{}<td class="num">{:.2}</td><td class="num">{}</td><td class="because">{}</td></tr>"#,
                    i + 1,
                    movie_cell(
                        &item.title.as_ref().map(JsonText::decode),
                        item.movie_id,
                        &item.genres.decode::<Vec<String>>(),
                        page.code
                    ),
                    item.score,
                    predicted,
                    because
                );
            }
            html.push_str("</tbody></table></div>");
        }
        (None, why) => {
            let _ = write!(
                html,
                r#"<p>{}</p>"#,
                escape(why.as_deref().unwrap_or("nothing to recommend"))
            );
        }
    }
    html.push_str("</div></section>");
}

fn hbars(html: &mut String, rows: &[(String, String, u64)], unit: &str) {
    let max = rows.iter().map(|r| r.2).max().unwrap_or(1).max(1);
    html.push_str(r#"<ol class="hbars">"#);
    for (name, hint, value) in rows {
        let _ = write!(
            html,
            r#"<li title="{}"><span class="name">{}</span><span class="track"><span class="fill" style="width:{:.1}%"></span></span><span class="value">{} {unit}</span></li>"#,
            escape(hint),
            escape(name),
            *value as f64 * 100.0 / max as f64,
            count(*value)
        );
    }
    html.push_str("</ol>");
}

fn empty(html: &mut String, what: &str) {
    let _ = write!(html, r#"<p class="empty">{}</p>"#, escape(what));
}

fn charts(html: &mut String, page: &PageInput) {
    html.push_str(r#"<section class="charts">"#);

    let per_day = &page.ratings.per_day;
    html.push_str(r#"<div class="card" id="chart-per-day"><h2>Ratings per day</h2>"#);
    if per_day.is_empty() {
        empty(html, "No ratings yet.");
    } else {
        let _ = write!(
            html,
            r#"<p class="muted">The {} days up to the newest rating, by the events' Timestamp (the generator stamps the time it sends).</p>"#,
            per_day.len()
        );
        let marks: Vec<Mark> = per_day
            .iter()
            .map(|d| Mark {
                label: d.date.clone(),
                value: d.ratings as f64,
                title: format!("{}: {} ratings", d.date, d.ratings),
                class: "",
            })
            .collect();
        html.push_str(&svg::columns(
            "ratings per day",
            &marks,
            marks.len().div_ceil(3),
        ));
    }
    html.push_str("</div>");

    html.push_str(r#"<div class="card" id="chart-values"><h2>Rating values</h2>"#);
    if page.ratings.per_value.iter().all(|v| v.ratings == 0) {
        empty(html, "No ratings yet.");
    } else {
        let marks: Vec<Mark> = page
            .ratings
            .per_value
            .iter()
            .map(|v| Mark {
                label: format!("{}", v.rating),
                value: v.ratings as f64,
                title: format!("{} stars: {} ratings", v.rating, v.ratings),
                class: "",
            })
            .collect();
        html.push_str(&svg::columns("rating value distribution", &marks, 1));
    }
    html.push_str("</div>");

    let rec = page.recommended;
    let _ = write!(
        html,
        r#"<div class="card" id="chart-top-movies"><h2>Most recommended movies</h2><p class="muted">In how many of the {} users' published lists{}</p>"#,
        count(rec.users as u64),
        rec.model_version
            .map(|v| format!(" (model v{v})"))
            .unwrap_or_default()
    );
    if rec.top_movies.is_empty() {
        empty(html, "No lists published yet.");
    } else {
        let rows: Vec<(String, String, u64)> = rec
            .top_movies
            .iter()
            .map(|m| {
                (
                    m.title
                        .clone()
                        .unwrap_or_else(|| format!("movie {}", m.movie_id)),
                    m.genres.join(", "),
                    m.users,
                )
            })
            .collect();
        hbars(html, &rows, "users");
    }
    html.push_str("</div>");

    html.push_str(r#"<div class="card" id="chart-top-genres"><h2>Top genres in recommendations</h2><p class="muted">Recommended items of each genre, over every list</p>"#);
    if rec.top_genres.is_empty() {
        empty(html, "No lists published yet.");
    } else {
        let rows: Vec<(String, String, u64)> = rec
            .top_genres
            .iter()
            .map(|g| (g.genre.clone(), g.genre.clone(), g.items))
            .collect();
        hbars(html, &rows, "items");
    }
    html.push_str("</div>");

    models(html, page.models);
    html.push_str("</section>");
}

/// Classes of the timeline's series, in order (a fifth series reuses the first's).
const SERIES_CLASSES: [&str; 4] = ["series-0", "series-1", "series-2", "series-3"];

/// The figure over time, one line per arm (or source), and the offline
/// NDCG@K of the version served then, dashed.
fn online_over_time(html: &mut String, timeline: &TimelineView) {
    if timeline.buckets.len() < 2 {
        return;
    }
    // Labels: the time of day within a day, the date past it.
    let day_or_more = timeline.bucket_minutes >= 24 * 60;
    let labels: Vec<String> = timeline
        .buckets
        .iter()
        .map(|at| {
            let (date, time) = at.split_once('T').unwrap_or((at, ""));
            if day_or_more {
                date.to_string()
            } else {
                time.get(..5).unwrap_or(time).to_string()
            }
        })
        .collect();
    let mut lines: Vec<svg::Line> = timeline
        .series
        .iter()
        .enumerate()
        .map(|(i, series)| svg::Line {
            name: series.name.clone(),
            values: series
                .points
                .iter()
                .map(|p| p.map(|p| p.share.rate))
                .collect(),
            class: SERIES_CLASSES[i % SERIES_CLASSES.len()],
        })
        .collect();
    lines.push(svg::Line {
        name: format!("offline NDCG@{K}"),
        values: timeline.offline_ndcg_at_k.clone(),
        class: "reference",
    });
    let _ = write!(
        html,
        r#"<h3>Over time</h3><p class="muted">By when each movie was first served, in {}-minute buckets (UTC); the dashed line is the offline NDCG@{K} of the newest version served then.</p>"#,
        timeline.bucket_minutes
    );
    html.push_str(&svg::lines(
        "served, then liked, over time",
        &labels,
        &lines,
    ));
}

/// "Served, then liked": one row per model version, list source and arm.
fn online(html: &mut String, online: &OnlineView) {
    html.push_str(r#"<div class="card wide" id="online"><h2>Served, then liked</h2>"#);
    if online.groups.is_empty() {
        empty(
            html,
            "No list served yet (or MOVIEREC_IMPRESSIONS_SAMPLE=0).",
        );
        html.push_str("</div>");
        return;
    }
    let _ = write!(
        html,
        r#"<p class="muted">Of the movies the lists served (each user and movie once per row), the share their user rated 4 or more within {} minutes after it was served, with its 95% interval, beside the version's NDCG@{K} on the retrain's holdout.</p><div class="scroll"><table><thead><tr><th class="num">Version</th><th>Source</th><th>Arm</th><th class="num">served</th><th class="num">liked</th><th class="num">rate</th><th class="num">95% interval</th><th class="num">offline NDCG@{K}</th></tr></thead><tbody>"#,
        online.liked_within_minutes
    );
    for row in &online.groups {
        let f = &row.figure;
        let _ = write!(
            html,
            r#"<tr><td class="num">v{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.2}%</td><td class="num">{:.2}–{:.2}%</td><td class="num">{}</td></tr>"#,
            f.version,
            escape(&f.source),
            escape(if f.arm.is_empty() { "–" } else { &f.arm }),
            count(f.share.served),
            count(f.share.liked),
            100.0 * f.share.rate,
            100.0 * f.share.low,
            100.0 * f.share.high,
            row.offline_ndcg_at_k
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "–".into()),
        );
    }
    html.push_str("</tbody></table></div>");
    online_over_time(html, &online.timeline);
    if let Some(ab) = &online.ab {
        let standing = match &ab.winner {
            Some(arm) => format!("Arm {arm} wins."),
            None => "No arm has won yet.".to_string(),
        };
        let arms: Vec<String> = ab
            .arms
            .iter()
            .map(|a| {
                format!(
                    "{}: {:.2}% ({:.2}–{:.2}%) of {}",
                    a.arm,
                    100.0 * a.share.rate,
                    100.0 * a.share.low,
                    100.0 * a.share.high,
                    count(a.share.served)
                )
            })
            .collect();
        let _ = write!(
            html,
            r#"<p id="ab"><strong>A/B test:</strong> {} {}. <span class="muted">The rule: {}.</span></p>"#,
            escape(&standing),
            escape(&arms.join("; ")),
            escape(ab.rule)
        );
    }
    html.push_str("</div>");
}

fn models(html: &mut String, models: &ModelsView) {
    html.push_str(r#"<div class="card wide" id="chart-models"><h2>Model registry</h2>"#);
    if models.versions.is_empty() {
        empty(html, "No model trained yet.");
        html.push_str("</div>");
        return;
    }
    let _ = write!(
        html,
        r#"<p class="muted">Holdout figures of every trained version: <span class="key promoted">●</span> promoted, <span class="key rejected">●</span> rejected, <span class="key challenger">●</span> an A/B arm's own model. A version is promoted on the NDCG@{K} of its lists as served, against the version serving then (<span class="key">◇</span>, scored on the same holdout) and the most-popular list (dashed).</p><div class="pair">"#
    );
    type Pick = fn(&ModelPoint) -> Option<f64>;
    let ndcg_title =
        format!("lists' NDCG@{K} (higher is better), ◇: serving version, dashed: most popular");
    let charts: [(&str, Pick, Pick, Pick); 2] = [
        (
            &ndcg_title,
            |p| p.ndcg_at_k,
            |p| p.popular_ndcg_at_k,
            |p| p.champion_ndcg_at_k,
        ),
        (
            "rating model RMSE (lower is better)",
            |p| p.rmse,
            |_| None,
            |_| None,
        ),
    ];
    for (name, pick, reference, rival) in charts {
        let shown: Vec<&ModelPoint> = models
            .versions
            .iter()
            .filter(|p| pick(p).is_some())
            .collect();
        let marks: Vec<Mark> = shown
            .iter()
            .map(|p| {
                let value = pick(p).expect("filtered");
                Mark {
                    label: format!("v{}", p.version),
                    value,
                    title: format!("v{} {}: {value:.4}", p.version, p.status.as_str()),
                    class: p.status.as_str(),
                }
            })
            .collect();
        let baseline: Vec<Option<f64>> = shown.iter().map(|p| reference(p)).collect();
        let rivals: Vec<Option<f64>> = shown.iter().map(|p| rival(p)).collect();
        let _ = write!(html, "<div><h3>{}</h3>", escape(name));
        if marks.is_empty() {
            empty(html, "Not measured.");
        } else {
            html.push_str(&svg::dots(name, &marks, &baseline, &rivals));
        }
        html.push_str("</div>");
    }
    let _ = write!(
        html,
        r#"</div><div class="scroll"><table><thead><tr><th class="num">Version</th><th>Trained</th><th>Status</th><th class="num">NDCG@{K}</th><th class="num">serving then</th><th class="num">popular</th><th class="num">P@{K}</th><th class="num">RMSE</th><th>Decision</th></tr></thead><tbody>"#
    );
    for p in models.versions.iter().rev() {
        let figure = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "–".into());
        let _ = write!(
            html,
            r#"<tr><td class="num">v{}{}</td><td class="date">{}</td><td class="{}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            p.version,
            if p.serving { " (serving)" } else { "" },
            escape(&when(&p.created_at)),
            p.status.as_str(),
            p.status.as_str(),
            figure(p.ndcg_at_k),
            figure(p.champion_ndcg_at_k),
            figure(p.popular_ndcg_at_k),
            figure(p.precision_at_k),
            figure(p.rmse),
            escape(&p.decision)
        );
    }
    html.push_str("</tbody></table></div></div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_page(code: Option<&str>, n: usize) -> String {
        let summary = Summary {
            users: 0,
            movies: 0,
            ratings: 0,
            dead_letters: 0,
            serving_version: None,
            sample_users: vec![SampleUser {
                user: 7,
                ratings: 3,
                label: "median".into(),
            }],
            computed_at: "2026-11-26T12:00:00+00:00".into(),
        };
        let ratings = RatingsView {
            per_day: vec![],
            per_value: vec![],
        };
        let recommended = RecommendedView {
            model_version: None,
            users: 0,
            top_movies: vec![],
            top_genres: vec![],
        };
        let models = ModelsView { versions: vec![] };
        let online = OnlineView {
            liked_within_minutes: 60,
            groups: vec![],
            ab: None,
            timeline: TimelineView {
                bucket_minutes: 0,
                buckets: vec![],
                series: vec![],
                offline_ndcg_at_k: vec![],
            },
        };
        render(&PageInput {
            summary: &summary,
            ratings: &ratings,
            recommended: &recommended,
            models: &models,
            online: &online,
            user: Err("user id \"<x>\" is not a positive 32-bit integer".into()),
            typed_user: "<x>".into(),
            n,
            code,
        })
    }

    #[test]
    fn the_function_key_is_carried_into_the_form_and_every_link() {
        let html = empty_page(Some("k+y/="), 10);
        assert!(html.contains(r#"<input type="hidden" name="code" value="k+y/=">"#));
        assert!(
            html.contains("?user=7&amp;n=10&amp;code=k%2By%2F%3D"),
            "{html}"
        );
        assert!(html.contains(r#"href="/dashboard/summary?code=k%2By%2F%3D""#));
        let without = empty_page(None, 10);
        assert!(!without.contains("code="));
    }

    #[test]
    fn typed_input_is_escaped_and_an_unlisted_n_stays_selected() {
        let html = empty_page(None, 7);
        assert!(!html.contains("<x>"));
        assert!(html.contains(r#"value="&lt;x&gt;""#));
        assert!(html.contains(r#"<option value="7" selected>7</option>"#));
        assert!(html.contains("No model trained yet."));
    }
}
