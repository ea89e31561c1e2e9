//! The comparison as an SVG bar chart: requests per server CPU-second (the median of the rounds,
//! with a line from the lowest to the highest round), one bar per row of the table, grouped by
//! worker count and load, one colour per server. Hand-written SVG text: no plotting dependency.

use std::fmt::Write as _;

use super::report::ServerSummary;

/// Height of the plot area in pixels: the largest value (a bar or its highest round) reaches it.
pub const PLOT_HEIGHT: f64 = 320.0;
const TOP: f64 = 50.0;
const LEFT: f64 = 80.0;
const BOTTOM: f64 = 60.0;
const BAR: f64 = 28.0;
const BAR_GAP: f64 = 4.0;
const GROUP_GAP: f64 = 36.0;
const COLOURS: [&str; 6] = [
    "#7f7f7f", "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
];

const TITLE: &str =
    "Requests per server CPU-second (median of the rounds; line: lowest to highest)";

/// A generous width of `text` at font size 12 (sans-serif averages well under 7 px a character).
fn text_width(text: &str) -> f64 {
    7.0 * text.chars().count() as f64
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart of `summaries` (in their order; consecutive rows of the same workers and load
/// form a group). A row without a successful run gets a bar of height 0, labelled `–`.
pub fn svg(summaries: &[ServerSummary]) -> String {
    let mut servers: Vec<&str> = Vec::new();
    for s in summaries {
        if !servers.contains(&s.server.as_str()) {
            servers.push(&s.server);
        }
    }
    let colour = |server: &str| {
        let i = servers.iter().position(|s| *s == server).unwrap_or(0);
        COLOURS[i % COLOURS.len()]
    };
    let top_value = summaries
        .iter()
        .filter_map(|s| s.requests_per_cpu_second.map(|v| v.max.max(v.median)))
        .fold(0.0, f64::max);
    let scale = if top_value > 0.0 {
        PLOT_HEIGHT / top_value
    } else {
        0.0
    };
    // Bars, grouped.
    let mut body = String::new();
    let mut labels = String::new();
    let mut x = LEFT + GROUP_GAP / 2.0;
    let base = TOP + PLOT_HEIGHT;
    let mut i = 0;
    while i < summaries.len() {
        let key = (summaries[i].workers, summaries[i].mode);
        let group: Vec<&ServerSummary> = summaries[i..]
            .iter()
            .take_while(|s| (s.workers, s.mode) == key)
            .collect();
        // The group's slot is as wide as its bars or its longest label, whichever is wider,
        // with the bars centred in it, so that labels of neighbouring groups never overlap.
        let bars = group.len() as f64 * (BAR + BAR_GAP) - BAR_GAP;
        let label = format!("{} worker{}", key.0, if key.0 == 1 { "" } else { "s" });
        let slot = bars.max(text_width(&label).max(text_width(key.1.label())));
        let start = x;
        x += (slot - bars) / 2.0;
        for s in &group {
            let spread = s.requests_per_cpu_second;
            let value = spread.map_or(0.0, |v| v.median);
            let h = value * scale;
            let _ = writeln!(
                body,
                r#"<rect class="bar" x="{x:.2}" y="{:.2}" width="{BAR}" height="{h:.2}" fill="{}" data-server="{}" data-value="{value:.0}"><title>{} workers {}, {}: {value:.0} req/CPU-s</title></rect>"#,
                base - h,
                colour(&s.server),
                esc(&s.server),
                s.workers,
                esc(s.mode.label()),
                esc(&s.server),
            );
            let cx = x + BAR / 2.0;
            if let Some(v) = spread.filter(|v| v.max > v.min) {
                let _ = writeln!(
                    body,
                    r#"<line class="range" x1="{cx:.2}" x2="{cx:.2}" y1="{:.2}" y2="{:.2}" stroke="black"/>"#,
                    base - v.max * scale,
                    base - v.min * scale,
                );
            }
            let text = spread.map_or("–".to_string(), |v| format!("{:.0}k", v.median / 1000.0));
            let above = base - spread.map_or(0.0, |v| v.max.max(v.median)) * scale - 4.0;
            let _ = writeln!(
                body,
                r#"<text x="{cx:.2}" y="{above:.2}" text-anchor="middle" font-size="10">{text}</text>"#
            );
            x += BAR + BAR_GAP;
        }
        let mid = start + slot / 2.0;
        let _ = writeln!(
            labels,
            r#"<text x="{mid:.2}" y="{:.2}" text-anchor="middle" font-size="12">{label}</text>"#,
            base + 18.0,
        );
        let _ = writeln!(
            labels,
            r#"<text x="{mid:.2}" y="{:.2}" text-anchor="middle" font-size="12">{}</text>"#,
            base + 34.0,
            esc(key.1.label())
        );
        x = start + slot + GROUP_GAP;
        i += group.len();
    }
    // The legend's end: a swatch and a name per server, in one line.
    let legend: f64 = servers.iter().map(|s| 24.0 + text_width(s)).sum::<f64>();
    let width = x
        .max(LEFT + text_width(TITLE) * 14.0 / 12.0)
        .max(LEFT + legend)
        + 10.0;
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif">"#
    );
    out.push('\n');
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{width:.0}" height="{height:.0}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="20" font-size="14">{TITLE}</text>"#
    );
    // Legend.
    let mut lx = LEFT;
    for s in &servers {
        let _ = writeln!(
            out,
            r#"<rect x="{lx:.2}" y="30" width="10" height="10" fill="{}"/><text x="{:.2}" y="39" font-size="12">{}</text>"#,
            colour(s),
            lx + 14.0,
            esc(s)
        );
        lx += 24.0 + text_width(s);
    }
    // Axis with five ticks.
    for t in 0..=4 {
        let v = top_value * f64::from(t) / 4.0;
        let y = base - v * scale;
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" x2="{:.2}" y1="{y:.2}" y2="{y:.2}" stroke="#dddddd"/><text x="{:.2}" y="{:.2}" text-anchor="end" font-size="10">{:.0}k</text>"##,
            x - GROUP_GAP / 2.0,
            LEFT - 6.0,
            y + 3.0,
            v / 1000.0
        );
    }
    out += &body;
    out += &labels;
    out += "</svg>\n";
    out
}

#[cfg(test)]
mod tests {
    use super::super::load::Mode;
    use super::super::stats::Spread;
    use super::*;

    fn row(workers: usize, mode: Mode, server: &str, median: Option<f64>) -> ServerSummary {
        ServerSummary {
            workers,
            mode,
            server: server.into(),
            runs_ok: usize::from(median.is_some()),
            runs_failed: 0,
            requests_per_sec: None,
            requests_per_cpu_second: median.map(|m| Spread {
                median: m,
                min: m * 0.9,
                max: m * 1.1,
            }),
            p99_ms_median: None,
        }
    }

    /// The tags of an XML text, checked to nest: every start tag closed in order, by name.
    fn balanced(xml: &str) -> Result<Vec<String>, String> {
        let mut stack: Vec<String> = Vec::new();
        let mut tags = Vec::new();
        let mut rest = xml;
        while let Some(open) = rest.find('<') {
            let close = rest[open..].find('>').ok_or("a tag is not closed")? + open;
            let tag = &rest[open + 1..close];
            rest = &rest[close + 1..];
            let name = |t: &str| t.split_whitespace().next().unwrap_or("").to_string();
            if let Some(end) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or(format!("</{end}> without a start"))?;
                if top != end {
                    return Err(format!("</{end}> closes <{top}>"));
                }
            } else if tag.ends_with('/') {
                tags.push(name(tag.trim_end_matches('/')));
            } else {
                stack.push(name(tag));
                tags.push(name(tag));
            }
            if stack.is_empty() && !rest.trim().is_empty() {
                return Err("text after the root element".into());
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed: {stack:?}"));
        }
        Ok(tags)
    }

    /// The value of attribute `name` in a tag's text.
    fn attr(tag: &str, name: &str) -> f64 {
        let at = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
    }

    /// Group labels lie apart by at least their own widths, and everything inside the picture
    /// (the chart's title included), with groups of two bars under labels wider than them.
    #[test]
    fn labels_do_not_overlap_and_fit_the_picture() {
        let mut rows = Vec::new();
        for workers in [1, 2] {
            for mode in Mode::ALL {
                rows.push(row(workers, mode, "nginx", Some(100_000.0)));
                rows.push(row(workers, mode, "neurlang", Some(110_000.0)));
            }
        }
        let svg = svg(&rows);
        let width = attr(svg.lines().next().unwrap(), "width");
        assert!(width >= LEFT + text_width(TITLE) * 14.0 / 12.0, "{svg}");
        let labels: Vec<(f64, &str)> = svg
            .lines()
            .filter(|l| l.starts_with("<text") && l.contains(r#"font-size="12">"#))
            .filter(|l| l.contains("(wrk)") || l.contains("(ab)"))
            .map(|l| {
                (
                    attr(l, "x"),
                    &l[l.find('>').unwrap() + 1..l.rfind('<').unwrap()],
                )
            })
            .collect();
        assert_eq!(labels.len(), 4, "{svg}");
        for pair in labels.windows(2) {
            let ((x0, t0), (x1, t1)) = (pair[0], pair[1]);
            let need = (text_width(t0) + text_width(t1)) / 2.0;
            assert!(x1 - x0 >= need, "{t0:?} at {x0} and {t1:?} at {x1}\n{svg}");
        }
        let (last_x, last) = labels[3];
        assert!(last_x + text_width(last) / 2.0 <= width, "{svg}");
        // Many servers with long names: the legend still fits.
        let long: Vec<ServerSummary> = (0..6)
            .map(|i| {
                row(
                    1,
                    Mode::KeepAlive,
                    &format!("a-rather-long-server-name-{i}"),
                    None,
                )
            })
            .collect();
        let picture = super::svg(&long);
        let width = attr(picture.lines().next().unwrap(), "width");
        let entries: Vec<&str> = picture
            .lines()
            .filter(|l| l.starts_with(r#"<rect x="#) && l.contains("<text"))
            .collect();
        assert_eq!(entries.len(), 6, "{picture}");
        let legend_end = entries
            .iter()
            .map(|l| {
                attr(&l[l.find("<text").unwrap()..], "x")
                    + text_width("a-rather-long-server-name-0")
            })
            .fold(0.0, f64::max);
        assert!(
            legend_end <= width,
            "legend to {legend_end}, picture {width}\n{svg}"
        );
    }

    #[test]
    fn well_formed_one_bar_per_row_and_heights_proportional_to_values() {
        let rows = [
            row(1, Mode::KeepAlive, "nginx", Some(100_000.0)),
            row(1, Mode::KeepAlive, "neurlang", Some(125_000.0)),
            row(1, Mode::KeepAlive, "ceiling-epoll", Some(50_000.0)),
            row(2, Mode::ConnectionPerRequest, "nginx", Some(20_000.0)),
            row(2, Mode::ConnectionPerRequest, "a<b&c", None),
        ];
        let svg = svg(&rows);
        let tags = balanced(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(tags[0], "svg");
        let bars: Vec<&str> = svg
            .lines()
            .filter(|l| l.starts_with(r#"<rect class="bar""#))
            .collect();
        assert_eq!(bars.len(), rows.len(), "{svg}");
        // The highest round of the largest row reaches the top of the plot.
        let per_value = PLOT_HEIGHT / (125_000.0 * 1.1);
        for (bar, row) in bars.iter().zip(&rows) {
            let value = row.requests_per_cpu_second.map_or(0.0, |s| s.median);
            assert_eq!(attr(bar, "data-value"), value);
            let h = attr(bar, "height");
            assert!((h - value * per_value).abs() < 0.01, "{bar}");
            // Bars stand on the same base line.
            assert!(
                (attr(bar, "y") + h - (TOP + PLOT_HEIGHT)).abs() < 0.01,
                "{bar}"
            );
        }
        assert!(svg.contains("a&lt;b&amp;c"), "{svg}");
        assert!(!svg.contains("a<b"), "{svg}");
    }

    #[test]
    fn an_empty_comparison_is_still_an_svg() {
        let svg = svg(&[]);
        assert_eq!(balanced(&svg).unwrap()[0], "svg");
    }

    #[test]
    fn the_checker_rejects_unbalanced_xml() {
        assert!(balanced("<svg><rect></svg>").is_err());
        assert!(balanced("<svg><rect/>").is_err());
        assert!(balanced("<svg></svg><svg></svg>").is_err());
        assert!(balanced("<svg><rect/></svg>").is_ok());
    }
}
