//! Explanations as text: the rules tried with what each added, the scores
//! before and after clamping, the label lines tried and why each failed,
//! and the outputs.

use crate::compile::{Program, Ty};
use crate::eval::{Explanation, Task};
use crate::quote::escape;
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
    // Keys, reasons, values and why-nots quote the task's data: each is
    // escaped on its line (see `crate::quote`).
    let key = program.key_text(task);
    let key = escape(&key);
    let label = task.label.map_or("(none)", |l| program.label_name(l));
    let _ = writeln!(out, "{pad}task {key}: {label}");
    if task.label.is_some() {
        // `Program::explain` fails on an error in the reason, so an
        // explanation's task has none.
        let reason = program.reason(task, today).unwrap_or_default();
        let _ = writeln!(out, "{pad}  because {}", escape(&reason));
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
        let quoted = format!("\"{}\"", escape(&rule.name));
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
                .map(|(_, w)| escape(&w.join("; ")).into_owned())
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
                    let _ = writeln!(out, "{pad}               {}", escape(why));
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
            let _ = writeln!(out, "{pad}  {} = {}", o.name, escape(&shown));
        }
    }
    out
}

/// One what-if line: "with standardized = 0.7 (now 0.4) it would be bpo".
pub fn what_if_text(program: &Program, task: &Task<'_>, w: &crate::eval::WhatIf) -> String {
    let Some(field) = program.fields.get(w.field) else {
        return String::new();
    };
    let now = task.fields.get(w.field).map_or_else(String::new, |v| {
        if v.is_missing() {
            "missing".to_string()
        } else {
            program.display(field.ty, v)
        }
    });
    format!(
        "with {} = {} (now {}) it would be {}",
        field.name,
        escape(&program.display(field.ty, &w.value)),
        escape(&now),
        program.label_name(w.label)
    )
}

/// The explanation as JSON, for tools.
pub fn render_json(
    program: &Program,
    task: &Task<'_>,
    e: &Explanation,
    what_if: &[crate::eval::WhatIf],
    today: i32,
) -> serde_json::Value {
    use serde_json::json;
    let num = crate::output::json_number;
    let scores: serde_json::Map<String, serde_json::Value> = program
        .scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let v = task.scores.get(i).copied().unwrap_or(0.0);
            let raw = task.unclamped.get(i).copied().unwrap_or(v);
            (s.name.clone(), json!({"value": num(v), "unclamped": num(raw), "start": num(s.start), "min": num(s.lo), "max": num(s.hi)}))
        })
        .collect();
    let rules: Vec<serde_json::Value> = e
        .rules
        .iter()
        .map(|t| {
            let name = program.rules.get(t.rule).map_or("?", |r| r.name.as_str());
            let deltas: serde_json::Map<String, serde_json::Value> = t
                .deltas
                .iter()
                .map(|(s, d)| {
                    (
                        program
                            .scores
                            .get(*s as usize)
                            .map_or("?", |s| s.name.as_str())
                            .to_string(),
                        num(*d),
                    )
                })
                .collect();
            let why: Vec<String> = e
                .not_fired
                .iter()
                .find(|(r, _)| *r == t.rule)
                .map(|(_, w)| w.clone())
                .unwrap_or_default();
            json!({"rule": name, "fired": t.fired, "deltas": deltas, "why_not": why})
        })
        .collect();
    let lines: Vec<serde_json::Value> = e
        .lines
        .iter()
        .filter_map(|l| {
            let line = program.labels.get(l.line)?;
            Some(json!({
                "label": program.label_name(line.value),
                "condition": if line.when.is_some() { line.text.clone() } else { "otherwise".to_string() },
                "matched": l.matched,
                "why_not": l.why_not,
            }))
        })
        .collect();
    let outputs: serde_json::Map<String, serde_json::Value> = program
        .outputs
        .iter()
        .zip(&task.outputs)
        .map(|(o, v)| {
            let value = match v {
                crate::value::Value::Missing => serde_json::Value::Null,
                crate::value::Value::Num(n) => num(*n),
                crate::value::Value::Bool(b) => json!(b),
                _ => json!(program.display(o.ty, v)),
            };
            (o.name.clone(), value)
        })
        .collect();
    let what: Vec<serde_json::Value> = what_if
        .iter()
        .filter_map(|w| {
            let f = program.fields.get(w.field)?;
            Some(json!({"field": f.name, "value": program.display(f.ty, &w.value), "label": program.label_name(w.label)}))
        })
        .collect();
    json!({
        "key": program.key_text(task),
        "label": task.label.map(|l| program.label_name(l)),
        "reason": program.reason(task, today).unwrap_or_default(),
        "scores": scores,
        "rules": rules,
        "label_lines": lines,
        "outputs": outputs,
        "what_if": what,
    })
}
