//! Explanations as text: the rules tried with what each added, the scores
//! before and after clamping, the label lines tried and why each failed,
//! and the outputs.

use crate::compile::{Program, Ty};
use crate::eval::{Explanation, Task};
use crate::value::format_number;
use std::fmt::Write;

fn signed(n: f64) -> String {
    if n >= 0.0 {
        format!("+{}", format_number(n))
    } else {
        format_number(n)
    }
}

/// Renders the explanation of one task, indented by `indent` spaces.
pub fn render_text(
    program: &Program,
    task: &Task<'_>,
    e: &Explanation,
    today: i32,
    indent: usize,
) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    let key = program.key_text(task);
    let label = task.label.map_or("(none)", |l| program.label_name(l));
    let _ = writeln!(out, "{pad}task {key}: {label}");
    if task.label.is_some() {
        let _ = writeln!(out, "{pad}  because {}", program.reason(task, today));
    }
    let _ = writeln!(out, "{pad}rules");
    let name_w = program
        .rules
        .iter()
        .map(|r| r.name.len() + 2)
        .max()
        .unwrap_or(0);
    for t in &e.rules {
        let Some(rule) = program.rules.get(t.rule) else {
            continue;
        };
        let quoted = format!("\"{}\"", rule.name);
        if t.fired {
            let deltas: Vec<String> = t
                .deltas
                .iter()
                .map(|(s, d)| {
                    let name = program
                        .scores
                        .get(*s as usize)
                        .map_or("?", |s| s.name.as_str());
                    let total = t.totals.get(*s as usize).copied().unwrap_or(0.0);
                    format!("{name} {} = {}", signed(*d), format_number(total))
                })
                .collect();
            let what = if deltas.is_empty() {
                "no change".to_string()
            } else {
                deltas.join(", ")
            };
            let _ = writeln!(out, "{pad}  fired      {quoted:<name_w$}  {what}");
        } else {
            let why = e
                .not_fired
                .iter()
                .find(|(r, _)| *r == t.rule)
                .map(|(_, w)| w.join("; "))
                .unwrap_or_default();
            let _ = writeln!(out, "{pad}  not fired  {quoted:<name_w$}  {why}");
        }
    }
    let _ = writeln!(out, "{pad}scores");
    let score_w = program
        .scores
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0);
    for (i, s) in program.scores.iter().enumerate() {
        let v = task.scores.get(i).copied().unwrap_or(0.0);
        let raw = task.unclamped.get(i).copied().unwrap_or(v);
        let from_start = format!("(start {})", format_number(s.start));
        if (raw - v).abs() > 0.0 {
            let _ = writeln!(
                out,
                "{pad}  {:<score_w$}  {}  {from_start}, {} before clamping to {}..{}",
                s.name,
                format_number(v),
                format_number(raw),
                format_number(s.lo),
                format_number(s.hi)
            );
        } else {
            let _ = writeln!(
                out,
                "{pad}  {:<score_w$}  {}  {from_start}",
                s.name,
                format_number(v)
            );
        }
    }
    if !program.labels.is_empty() {
        let _ = writeln!(out, "{pad}label");
        let value_w = program
            .label_values()
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0);
        for l in &e.lines {
            let Some(line) = program.labels.get(l.line) else {
                continue;
            };
            let name = program.label_name(line.value);
            let cond = if line.when.is_some() {
                format!("when {}", line.text)
            } else {
                "otherwise".to_string()
            };
            if l.matched {
                let _ = writeln!(out, "{pad}  matched    {name:<value_w$}  {cond}");
            } else {
                let _ = writeln!(out, "{pad}  no         {name:<value_w$}  {cond}");
                for why in &l.why_not {
                    let _ = writeln!(out, "{pad}               {why}");
                }
            }
        }
    }
    if !program.outputs.is_empty() {
        let _ = writeln!(out, "{pad}outputs");
        for (o, v) in program.outputs.iter().zip(&task.outputs) {
            let shown = match o.ty {
                Ty::Text => format!("{:?}", program.display(o.ty, v)),
                _ => program.display(o.ty, v),
            };
            let _ = writeln!(out, "{pad}  {} = {shown}", o.name);
        }
    }
    out
}
