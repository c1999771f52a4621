//! The HTML report: one self-contained file (no scripts, fonts or network)
//! with headline figures per label, the metrics, a chart of knowledge
//! intensity against outsourceability, the policy findings and every task
//! with its explanation.

use crate::value::format_number;
use std::fmt::Write;
use svg::Document;
use svg::node::element::{Circle, Group, Line, Rectangle, Text, Title};

/// One task as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTask {
    pub key: String,
    pub name: String,
    pub label: String,
    pub reason: String,
    /// Score values, in the order of [`Report::scores`].
    pub scores: Vec<f64>,
    pub weight: f64,
    /// The explanation as text.
    pub explanation: String,
}

/// A policy finding as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFinding {
    pub policy: String,
    pub severity: String,
    pub status: String,
    pub location: String,
    pub message: String,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub title: String,
    /// The inputs and rule files, for the header.
    pub sources: Vec<String>,
    pub date: String,
    /// Label values in the rule set's order.
    pub labels: Vec<String>,
    pub scores: Vec<String>,
    /// The name of the weight (`--weight`), or `None` to count tasks.
    pub weight: Option<String>,
    pub metrics: Vec<(String, String)>,
    pub findings: Vec<ReportFinding>,
    pub tasks: Vec<ReportTask>,
}

const PALETTE: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Report {
    fn color(&self, label: &str) -> &'static str {
        let i = self
            .labels
            .iter()
            .position(|l| l == label)
            .unwrap_or(self.labels.len());
        PALETTE.get(i % PALETTE.len()).copied().unwrap_or("#666666")
    }

    /// The score shown on an axis: by name if the rule set has it, else by position.
    fn axis(&self, name: &str, fallback: usize) -> Option<usize> {
        self.scores
            .iter()
            .position(|s| s == name)
            .or((fallback < self.scores.len()).then_some(fallback))
    }

    /// The chart as an SVG document: each task a point, coloured by label,
    /// sized by weight, with its name and scores as hover text.
    pub fn chart(&self, ranges: &[(f64, f64)]) -> Document {
        let (w, h, pad) = (760.0, 480.0, 56.0);
        // The plot's right edge; the legend stands beyond it.
        let right = w - 140.0;
        let x_axis = self.axis("knowledge", 0);
        let y_axis = self
            .axis("outsourceability", 1)
            .filter(|y| Some(*y) != x_axis)
            .or(x_axis);
        let bounds = |axis: Option<usize>| -> (f64, f64) {
            let (lo, hi) = axis
                .and_then(|a| ranges.get(a))
                .copied()
                .unwrap_or((0.0, 100.0));
            if lo.is_finite() && hi.is_finite() && hi > lo {
                return (lo, hi);
            }
            let values: Vec<f64> = self
                .tasks
                .iter()
                .filter_map(|t| axis.and_then(|a| t.scores.get(a)).copied())
                .collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi > lo {
                (lo, hi)
            } else {
                (0.0, 100.0)
            }
        };
        let (x_lo, x_hi) = bounds(x_axis);
        let (y_lo, y_hi) = bounds(y_axis);
        let sx = |v: f64| pad + (v - x_lo) / (x_hi - x_lo) * (right - pad);
        let sy = |v: f64| h - pad - (v - y_lo) / (y_hi - y_lo) * (h - 2.0 * pad);
        let max_weight = self.tasks.iter().map(|t| t.weight).fold(0.0, f64::max);
        let mut doc = Document::new()
            .set("viewBox", (0, 0, w, h))
            .set("width", w)
            .set("height", h)
            .set("role", "img")
            .set("aria-label", "knowledge intensity against outsourceability");
        doc = doc.add(
            Rectangle::new()
                .set("x", pad)
                .set("y", pad)
                .set("width", right - pad)
                .set("height", h - 2.0 * pad)
                .set("fill", "#fafafa")
                .set("stroke", "#999"),
        );
        // Quadrant lines at the middle of each range.
        let (mx, my) = (sx((x_lo + x_hi) / 2.0), sy((y_lo + y_hi) / 2.0));
        for (x1, y1, x2, y2) in [(mx, pad, mx, h - pad), (pad, my, right, my)] {
            doc = doc.add(
                Line::new()
                    .set("x1", x1)
                    .set("y1", y1)
                    .set("x2", x2)
                    .set("y2", y2)
                    .set("stroke", "#bbb")
                    .set("stroke-dasharray", "4 4"),
            );
        }
        let corner = |x: f64, y: f64, anchor: &str, text: &str| {
            Text::new(text)
                .set("x", x)
                .set("y", y)
                .set("text-anchor", anchor)
                .set("font-size", 11)
                .set("fill", "#888")
        };
        doc = doc
            .add(corner(
                right - 6.0,
                pad + 16.0,
                "end",
                "knowledge work to outsource (KPO)",
            ))
            .add(corner(
                pad + 6.0,
                pad + 16.0,
                "start",
                "routine work to outsource (BPO)",
            ))
            .add(corner(
                right - 6.0,
                h - pad - 8.0,
                "end",
                "expertise to keep",
            ))
            .add(corner(
                pad + 6.0,
                h - pad - 8.0,
                "start",
                "routine work to keep",
            ));
        let x_name = x_axis
            .and_then(|a| self.scores.get(a))
            .map_or("score", String::as_str);
        let y_name = y_axis
            .and_then(|a| self.scores.get(a))
            .map_or("score", String::as_str);
        doc = doc
            .add(
                Text::new(x_name)
                    .set("x", (pad + right) / 2.0)
                    .set("y", h - 14.0)
                    .set("text-anchor", "middle")
                    .set("font-size", 13),
            )
            .add(
                Text::new(y_name)
                    .set("x", 16)
                    .set("y", h / 2.0)
                    .set("text-anchor", "middle")
                    .set("font-size", 13)
                    .set("transform", format!("rotate(-90 16 {})", h / 2.0)),
            );
        for (v, anchor) in [(x_lo, "start"), (x_hi, "end")] {
            doc = doc.add(
                Text::new(format_number(v))
                    .set("x", sx(v))
                    .set("y", h - pad + 16.0)
                    .set("text-anchor", anchor)
                    .set("font-size", 11),
            );
        }
        for v in [y_lo, y_hi] {
            doc = doc.add(
                Text::new(format_number(v))
                    .set("x", pad - 6.0)
                    .set("y", sy(v) + 4.0)
                    .set("text-anchor", "end")
                    .set("font-size", 11),
            );
        }
        let mut points = Group::new().set("class", "points").set("fill-opacity", 0.7);
        for t in &self.tasks {
            let (Some(x), Some(y)) = (
                x_axis.and_then(|a| t.scores.get(a)),
                y_axis.and_then(|a| t.scores.get(a)),
            ) else {
                continue;
            };
            let r = if max_weight > 0.0 {
                3.0 + 11.0 * (t.weight.max(0.0) / max_weight).sqrt()
            } else {
                5.0
            };
            let scores: Vec<String> = self
                .scores
                .iter()
                .zip(&t.scores)
                .map(|(n, v)| format!("{n} {}", format_number(*v)))
                .collect();
            let hover = format!("{} {}: {}\n{}", t.key, t.name, t.label, scores.join(", "));
            points = points.add(
                Circle::new()
                    .set("cx", sx(*x))
                    .set("cy", sy(*y))
                    .set("r", r)
                    .set("fill", self.color(&t.label))
                    .set("stroke", "#333")
                    .set("stroke-width", 0.5)
                    .set("data-key", t.key.clone())
                    .add(Title::new(hover)),
            );
        }
        doc = doc.add(points);
        let mut legend = Group::new().set("class", "legend");
        for (i, l) in self.labels.iter().enumerate() {
            let y = pad + 8.0 + i as f64 * 18.0;
            legend = legend
                .add(
                    Circle::new()
                        .set("cx", right + 24.0)
                        .set("cy", y)
                        .set("r", 6)
                        .set("fill", self.color(l)),
                )
                .add(
                    Text::new(l.clone())
                        .set("x", right + 36.0)
                        .set("y", y + 4.0)
                        .set("font-size", 13),
                );
        }
        doc.add(legend)
    }

    /// The whole report as one HTML document.
    pub fn html(&self, ranges: &[(f64, f64)]) -> String {
        let mut out = String::new();
        let weight_name = self.weight.as_deref().unwrap_or("tasks");
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p class=\"meta\">{} tasks from {} · {}</p>\n",
            esc(&self.title),
            esc(&self.title),
            self.tasks.len(),
            esc(&self.sources.join(", ")),
            esc(&self.date)
        );
        // Headline figures.
        let total_weight: f64 = self.tasks.iter().map(|t| t.weight).sum();
        out.push_str("<section id=\"headline\"><h2>Labels</h2>\n<div class=\"cards\">\n");
        for l in &self.labels {
            let tasks: Vec<&ReportTask> = self.tasks.iter().filter(|t| t.label == *l).collect();
            let weight: f64 = tasks.iter().map(|t| t.weight).sum();
            let share = if total_weight > 0.0 {
                weight * 100.0 / total_weight
            } else {
                0.0
            };
            let _ = write!(
                out,
                "<div class=\"card\" style=\"border-color:{}\"><div class=\"label\">{}</div><div class=\"big\">{}</div><div>tasks</div>",
                self.color(l),
                esc(l),
                tasks.len()
            );
            if self.weight.is_some() {
                let _ = write!(
                    out,
                    "<div class=\"big\">{}</div><div>{} ({}%)</div>",
                    format_number((weight * 10.0).round() / 10.0),
                    esc(weight_name),
                    format_number((share * 10.0).round() / 10.0)
                );
            }
            out.push_str("</div>\n");
        }
        out.push_str("</div></section>\n");
        if !self.metrics.is_empty() {
            out.push_str("<section id=\"metrics\"><h2>Metrics</h2>\n<table>\n<tr><th>metric</th><th>value</th></tr>\n");
            for (n, v) in &self.metrics {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                    esc(n),
                    esc(v)
                );
            }
            out.push_str("</table></section>\n");
        }
        out.push_str("<section id=\"chart\"><h2>Knowledge intensity and outsourceability</h2>\n");
        let _ = writeln!(
            out,
            "<p class=\"meta\">Each point is a task, sized by {}; hover for its scores.</p>",
            esc(weight_name)
        );
        out.push_str(&self.chart(ranges).to_string());
        out.push_str("\n</section>\n");
        out.push_str("<section id=\"findings\"><h2>Policy findings</h2>\n");
        if self.findings.is_empty() {
            out.push_str("<p>No policy fired.</p>\n");
        } else {
            out.push_str("<table>\n<tr><th>policy</th><th>severity</th><th>status</th><th>where</th><th>message</th></tr>\n");
            for f in &self.findings {
                let _ = writeln!(
                    out,
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&f.status),
                    esc(&f.policy),
                    esc(&f.severity),
                    esc(&f.status),
                    esc(&f.location),
                    esc(&f.message)
                );
            }
            out.push_str("</table>\n");
        }
        out.push_str("</section>\n<section id=\"tasks\"><h2>Tasks</h2>\n<table>\n<tr><th>key</th><th>name</th><th>label</th>");
        for s in &self.scores {
            let _ = write!(out, "<th>{}</th>", esc(s));
        }
        if self.weight.is_some() {
            let _ = write!(out, "<th>{}</th>", esc(weight_name));
        }
        out.push_str("<th>reason and explanation</th></tr>\n");
        for t in &self.tasks {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><span class=\"dot\" style=\"background:{}\"></span>{}</td>",
                esc(&t.key),
                esc(&t.name),
                self.color(&t.label),
                esc(&t.label)
            );
            for v in &t.scores {
                let _ = write!(out, "<td class=\"num\">{}</td>", format_number(*v));
            }
            if self.weight.is_some() {
                let _ = write!(out, "<td class=\"num\">{}</td>", format_number(t.weight));
            }
            let _ = writeln!(
                out,
                "<td><details><summary>{}</summary><pre>{}</pre></details></td></tr>",
                esc(&t.reason),
                esc(&t.explanation)
            );
        }
        out.push_str("</table></section>\n<footer>Made by outsort ");
        out.push_str(env!("CARGO_PKG_VERSION"));
        out.push_str(".</footer>\n</body>\n</html>\n");
        out
    }
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}\
h1{margin-bottom:.2rem}.meta{color:#666}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}\
td.num{text-align:right;font-variant-numeric:tabular-nums}.cards{display:flex;gap:1rem;flex-wrap:wrap}\
.card{border-left:6px solid;padding:.5rem 1rem;background:#f8f8f8;min-width:9rem}.card .label{font-weight:600}\
.card .big{font-size:1.6rem;font-weight:600}.dot{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.3rem}\
details pre{white-space:pre-wrap;font-size:.8rem;background:#f8f8f8;padding:.5rem}tr.fired td:first-child{font-weight:600}\
svg{max-width:100%;height:auto}footer{margin-top:2rem;color:#888;font-size:.8rem}";
