//! Charts drawn as SVG by the server: column charts (ratings per day, rating
//! values), dot charts (a metric over model versions) and line charts (shares
//! over time, one line a series). They scale to the
//! page's width through `viewBox`; each mark carries a `<title>` with its
//! exact figure, shown on hover. Text is escaped with [`escape`].

use std::fmt::Write;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 180.0;
/// Room for the value axis on the left and the labels below.
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One column or dot.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Written under the axis (when its turn comes, see `label_every`).
    pub label: String,
    pub value: f64,
    /// The hover text.
    pub title: String,
    /// CSS class of the mark (e.g. "promoted" / "rejected").
    pub class: &'static str,
}

fn open(aria: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        escape(aria)
    )
}

/// A short figure for the axis: 1234 → "1.2k".
fn short(value: f64) -> String {
    if value.abs() >= 10_000.0 {
        format!("{:.0}k", value / 1000.0)
    } else if value.abs() >= 1000.0 {
        format!("{:.1}k", value / 1000.0)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn axis_label(svg: &mut String, x: f64, text: &str, anchor: &str) {
    let _ = write!(
        svg,
        r#"<text class="axis" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
        HEIGHT - 6.0,
        escape(text)
    );
}

/// The value axis: a dashed line at the top labelled `top`, the base line labelled `bottom`.
fn frame(svg: &mut String, plot_h: f64, top: &str, bottom: &str) {
    let base = TOP + plot_h;
    let label_x = LEFT - 4.0;
    let _ = write!(
        svg,
        r#"<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH}" y2="{TOP}"/><text class="axis" x="{label_x:.1}" y="{:.1}" text-anchor="end">{}</text><line class="base" x1="{LEFT}" y1="{base:.1}" x2="{WIDTH}" y2="{base:.1}"/><text class="axis" x="{label_x:.1}" y="{base:.1}" text-anchor="end">{}</text>"#,
        TOP + 10.0,
        escape(top),
        escape(bottom)
    );
}

/// Vertical columns from zero; every `label_every`-th label is written, and the last.
pub fn columns(aria: &str, marks: &[Mark], label_every: usize) -> String {
    let mut svg = open(aria);
    let max = marks.iter().map(|m| m.value).fold(0.0, f64::max).max(1.0);
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / marks.len().max(1) as f64;
    let gap = (slot * 0.15).min(4.0);
    frame(&mut svg, plot_h, &short(max), "0");
    let every = label_every.max(1);
    for (i, m) in marks.iter().enumerate() {
        let h = plot_h * (m.value.max(0.0) / max);
        let x = LEFT + i as f64 * slot + gap / 2.0;
        let _ = write!(
            svg,
            r#"<rect class="mark {}" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{}</title></rect>"#,
            m.class,
            TOP + plot_h - h,
            (slot - gap).max(0.5),
            escape(&m.title)
        );
        if i % every == 0 || i + 1 == marks.len() {
            let anchor = if marks.len() > 1 && i + 1 == marks.len() {
                "end"
            } else if i == 0 && marks.len() > 1 {
                "start"
            } else {
                "middle"
            };
            let lx = match anchor {
                "start" => LEFT + i as f64 * slot,
                "end" => LEFT + (i + 1) as f64 * slot,
                _ => LEFT + (i as f64 + 0.5) * slot,
            };
            axis_label(&mut svg, lx, &m.label, anchor);
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Dots joined by a line, on an axis from the smallest to the largest value.
/// `baseline`, one value per mark where known, is drawn as a dashed line on
/// the same axis (a reference each dot should beat); `rivals`, one value per
/// mark where known, as hollow diamonds beside each dot (the serving version
/// each candidate was compared with, on the same holdout).
pub fn dots(
    aria: &str,
    marks: &[Mark],
    baseline: &[Option<f64>],
    rivals: &[Option<f64>],
) -> String {
    let mut svg = open(aria);
    let values = || {
        marks
            .iter()
            .map(|m| m.value)
            .chain(baseline.iter().flatten().copied())
            .chain(rivals.iter().flatten().copied())
    };
    let lo = values().fold(f64::INFINITY, f64::min);
    let hi = values().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if marks.is_empty() {
        (0.0, 1.0)
    } else if hi - lo < 1e-9 {
        (
            lo - 0.05 * lo.abs().max(0.01),
            hi + 0.05 * hi.abs().max(0.01),
        )
    } else {
        let pad = (hi - lo) * 0.1;
        (lo - pad, hi + pad)
    };
    let plot_w = WIDTH - LEFT - 12.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / marks.len().max(1) as f64;
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    let x = |i: usize| LEFT + (i as f64 + 0.5) * slot;
    frame(&mut svg, plot_h, &short(hi), &short(lo));
    if marks.len() > 1 {
        let points: Vec<String> = marks
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x(i), y(m.value)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="line" points="{}"/>"#,
            points.join(" ")
        );
    }
    let reference: Vec<(f64, f64)> = baseline
        .iter()
        .take(marks.len())
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (x(i), y(v))))
        .collect();
    if let (Some(first), Some(last)) = (reference.first(), reference.last()) {
        // A single value is drawn across the whole plot, so that it reads as a level.
        let points: Vec<String> = if reference.len() == 1 {
            vec![
                format!("{:.1},{:.1}", LEFT, first.1),
                format!("{:.1},{:.1}", LEFT + plot_w, first.1),
            ]
        } else {
            reference
                .iter()
                .map(|(px, py)| format!("{px:.1},{py:.1}"))
                .collect()
        };
        let _ = write!(
            svg,
            r#"<polyline class="baseline" points="{}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">most popular</text>"#,
            points.join(" "),
            LEFT + plot_w,
            last.1 - 4.0
        );
    }
    for (i, v) in rivals.iter().take(marks.len()).enumerate() {
        if let Some(v) = v {
            let (cx, cy) = (x(i) + 8.0, y(*v));
            let _ = write!(
                svg,
                r#"<polygon class="rival" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"><title>serving version on the same holdout: {v:.4}</title></polygon>"#,
                cx,
                cy - 5.0,
                cx + 5.0,
                cy,
                cx,
                cy + 5.0,
                cx - 5.0,
                cy
            );
        }
    }
    let every = marks.len().div_ceil(12).max(1);
    for (i, m) in marks.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<circle class="mark {}" cx="{:.1}" cy="{:.1}" r="5"><title>{}</title></circle>"#,
            m.class,
            x(i),
            y(m.value),
            escape(&m.title)
        );
        if i % every == 0 || i + 1 == marks.len() {
            axis_label(&mut svg, x(i), &m.label, "middle");
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One line of [`lines`]: a value per x label where known.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub values: Vec<Option<f64>>,
    /// CSS class of the line and its dots (`series-0`.., `reference`).
    pub class: &'static str,
}

/// Lines over shared x labels, on an axis from 0 to the largest value, each
/// named in a legend; a missing value breaks its line. Values are shares
/// (0 to 1), written as percentages.
pub fn lines(aria: &str, labels: &[String], lines: &[Line]) -> String {
    let mut svg = open(aria);
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten().copied())
        .fold(0.0f64, f64::max)
        .max(0.01)
        * 1.1;
    let plot_w = WIDTH - LEFT - 12.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / labels.len().max(1) as f64;
    let x = |i: usize| LEFT + (i as f64 + 0.5) * slot;
    let y = |v: f64| TOP + plot_h * (1.0 - v / max);
    frame(&mut svg, plot_h, &format!("{:.0}%", 100.0 * max), "0");
    for (n, line) in lines.iter().enumerate() {
        let mut run: Vec<String> = Vec::new();
        let mut runs = Vec::new();
        for (i, v) in line.values.iter().enumerate().take(labels.len()) {
            match v {
                Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(*v))),
                None => runs.push(std::mem::take(&mut run)),
            }
        }
        runs.push(run);
        for run in runs.iter().filter(|r| r.len() > 1) {
            let _ = write!(
                svg,
                r#"<polyline class="series {}" points="{}"/>"#,
                line.class,
                run.join(" ")
            );
        }
        for (i, v) in line.values.iter().enumerate().take(labels.len()) {
            if let Some(v) = v {
                let _ = write!(
                    svg,
                    r#"<circle class="series {}" cx="{:.1}" cy="{:.1}" r="3"><title>{}, {}: {:.2}%</title></circle>"#,
                    line.class,
                    x(i),
                    y(*v),
                    escape(&line.name),
                    escape(&labels[i]),
                    100.0 * v
                );
            }
        }
        let _ = write!(
            svg,
            r#"<text class="axis legend {}" x="{:.1}" y="{:.1}">{}</text>"#,
            line.class,
            LEFT + 8.0 + 130.0 * n as f64,
            TOP + 12.0,
            escape(&line.name)
        );
    }
    let every = labels.len().div_ceil(8).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == labels.len() {
            axis_label(&mut svg, x(i), label, "middle");
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(label: &str, value: f64) -> Mark {
        Mark {
            label: label.into(),
            value,
            title: format!("{label}: {value}"),
            class: "",
        }
    }

    fn heights(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|r| {
                let h = r.split("height=\"").nth(1).unwrap();
                h[..h.find('"').unwrap()].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn columns_are_as_tall_as_their_values() {
        let svg = columns(
            "ratings",
            &[mark("a", 10.0), mark("b", 5.0), mark("c", 0.0)],
            1,
        );
        let h = heights(&svg);
        assert_eq!(h.len(), 3);
        assert!(
            h[0] > 0.0 && (h[1] - h[0] / 2.0).abs() < 0.11 && h[2] == 0.0,
            "{h:?}"
        );
        assert!(svg.contains("<title>b: 5</title>"));
        assert!(
            svg.contains(">10</text>"),
            "the axis shows the largest value"
        );
    }

    #[test]
    fn labels_are_thinned_but_the_last_is_kept() {
        let marks: Vec<Mark> = (0..10).map(|i| mark(&format!("d{i}"), i as f64)).collect();
        let svg = columns("days", &marks, 4);
        let labels: Vec<&str> = ["d0", "d4", "d8", "d9"]
            .into_iter()
            .filter(|l| svg.contains(&format!(">{l}</text>")))
            .collect();
        assert_eq!(labels.len(), 4);
        assert!(!svg.contains(">d5</text>"));
    }

    #[test]
    fn a_missing_value_breaks_a_line_and_every_line_is_named() {
        let labels: Vec<String> = ["10:00", "10:01", "10:02", "10:03"]
            .map(String::from)
            .to_vec();
        let svg = lines(
            "shares",
            &labels,
            &[
                Line {
                    name: "model".into(),
                    values: vec![Some(0.5), Some(0.4), None, Some(0.3)],
                    class: "series-0",
                },
                Line {
                    name: "<popular>".into(),
                    values: vec![Some(0.2); 4],
                    class: "series-1",
                },
            ],
        );
        // model: one segment of two points (the lone last point is a dot only)
        assert_eq!(
            svg.matches(r#"<polyline class="series series-0""#).count(),
            1
        );
        assert_eq!(svg.matches(r#"<circle class="series series-0""#).count(), 3);
        assert_eq!(
            svg.matches(r#"<polyline class="series series-1""#).count(),
            1
        );
        assert!(svg.contains("&lt;popular&gt;</text>"), "{svg}");
        assert!(svg.contains("model, 10:03: 30.00%"), "{svg}");
        // the axis reaches past the largest share
        assert!(svg.contains(">55%</text>"), "{svg}");
    }

    #[test]
    fn dots_span_the_values_and_text_is_escaped() {
        let svg = dots("rmse", &[mark("v1", 0.9), mark("<v2>", 0.8)], &[], &[]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("&lt;v2&gt;"));
        assert!(!svg.contains("<v2>"));
        assert!(!svg.contains("baseline"));
        let single = dots("rmse", &[mark("v1", 0.87)], &[Some(0.5)], &[]);
        assert_eq!(single.matches("<circle").count(), 1);
        assert!(single.contains(r#"class="baseline""#));
        assert!(!single.contains("NaN"));
    }

    #[test]
    fn the_baseline_shares_the_axis_with_the_dots() {
        // the baseline is below every dot: its line must sit lower (larger y) than any dot
        let svg = dots(
            "ndcg",
            &[mark("v1", 0.3), mark("v2", 0.31)],
            &[Some(0.1), Some(0.1)],
            &[None, Some(0.5)],
        );
        // the serving version's figure beside v2 is the highest value: a diamond on top
        let rival = svg.split(r#"class="rival" points=""#).nth(1).unwrap();
        let y_rival: f64 = rival.split([',', ' ']).nth(1).unwrap().parse().unwrap();
        assert_eq!(svg.matches(r#"class="rival""#).count(), 1);
        let line = svg.split(r#"class="baseline" points=""#).nth(1).unwrap();
        let y_base: f64 = line.split([',', ' ']).nth(1).unwrap().parse().unwrap();
        for dot in svg.split(r#"cy=""#).skip(1) {
            let y_dot: f64 = dot.split('"').next().unwrap().parse().unwrap();
            assert!(y_dot < y_base, "{y_dot} vs {y_base}");
            assert!(y_dot > y_rival - 5.0, "{y_dot} vs {y_rival}");
        }
    }
}
