//! The report of `diff`: the label transition matrix and the tasks that
//! change label, as text, JSON or Markdown (a pull-request comment).

use crate::diff::{Change, Diff, GateResult, format_percent};
use crate::output::json_number;
use crate::quote::{escape, markdown_cell as md};
use crate::value::format_number;
use std::fmt::Write;

/// The first line: how many tasks change label.
fn headline(diff: &Diff) -> String {
    match diff.changed() {
        0 => format!(
            "no task changes label ({} {})",
            diff.tasks,
            if diff.tasks == 1 { "task" } else { "tasks" }
        ),
        n => format!(
            "{n} of {} {} change{} label ({})",
            diff.tasks,
            if diff.tasks == 1 { "task" } else { "tasks" },
            if n == 1 { "s" } else { "" },
            format_percent(diff.changed_percent())
        ),
    }
}

/// A score movement such as `outsourceability -10 (55 → 45)`.
fn score_text(c: &crate::diff::ScoreChange) -> String {
    let d = c.delta();
    let sign = if d > 0.0 { "+" } else { "" };
    format!(
        "{} {sign}{} ({} → {})",
        c.name,
        format_number(d),
        format_number(c.before),
        format_number(c.after)
    )
}

/// The scores that moved, or `unchanged`.
fn scores_text(change: &Change) -> String {
    let moved: Vec<String> = change
        .scores
        .iter()
        .filter(|s| s.delta() != 0.0)
        .map(score_text)
        .collect();
    if moved.is_empty() {
        "unchanged".to_string()
    } else {
        moved.join(", ")
    }
}

fn task_title(change: &Change) -> String {
    match &change.name {
        Some(n) if !n.is_empty() => format!("{} ({n})", change.key),
        _ => change.key.clone(),
    }
}

/// The matrix as rows of cells, a corner cell and label headers first.
fn matrix_cells(diff: &Diff) -> Vec<Vec<String>> {
    let labels = diff.labels();
    let mut rows = vec![
        std::iter::once("before \\ after".to_string())
            .chain(labels.iter().map(|l| l.to_string()))
            .collect::<Vec<_>>(),
    ];
    for (label, counts) in labels.iter().zip(diff.matrix()) {
        let mut row = vec![label.to_string()];
        row.extend(counts.iter().map(u64::to_string));
        rows.push(row);
    }
    rows
}

/// Plain text for a terminal or a CI log.
pub fn text(diff: &Diff, gates: &[GateResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", headline(diff));
    let rows = matrix_cells(diff);
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|j| {
            rows.iter()
                .filter_map(|r| r.get(j))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let mut line = String::new();
        for (j, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if j == 0 {
                let _ = write!(line, "{cell:<w$}");
            } else {
                let _ = write!(line, "  {cell:>w$}");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for change in &diff.changes {
        let _ = writeln!(
            out,
            "\n{}: {} → {}",
            escape(&task_title(change)),
            change.before,
            change.after
        );
        let _ = writeln!(out, "    reason: {}", escape(&change.reason));
        let _ = writeln!(out, "    scores: {}", scores_text(change));
    }
    if !gates.is_empty() {
        out.push('\n');
        for g in gates {
            let _ = writeln!(
                out,
                "{}: {} ({})",
                if g.failed {
                    "gate failed"
                } else {
                    "gate passed"
                },
                g.message,
                g.gate
            );
        }
    }
    out
}

/// How many changed tasks a Markdown report lists: a pull-request comment
/// has a size limit.
pub const MARKDOWN_TASKS: usize = 200;

/// Markdown to paste as a pull-request comment.
pub fn markdown(diff: &Diff, gates: &[GateResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### outsort diff: {}\n", headline(diff));
    let rows = matrix_cells(diff);
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let c = md(c);
                match (i, j) {
                    (0, _) => c,
                    (_, 0) => format!("**{c}**"),
                    // Tasks that moved stand out from those that stayed.
                    _ if i != j && c != "0" => format!("**{c}**"),
                    _ => c,
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if i == 0 {
            let _ = writeln!(out, "|---|{}", "---:|".repeat(row.len().saturating_sub(1)));
        }
    }
    if !diff.changes.is_empty() {
        let _ = writeln!(
            out,
            "\n| task | before | after | reason | score changes |\n|---|---|---|---|---|"
        );
        for change in diff.changes.iter().take(MARKDOWN_TASKS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&task_title(change)),
                md(&change.before),
                md(&change.after),
                md(&change.reason),
                md(&scores_text(change))
            );
        }
        if diff.changes.len() > MARKDOWN_TASKS {
            let _ = writeln!(
                out,
                "\n… and {} more; `-f json` lists them all.",
                diff.changes.len() - MARKDOWN_TASKS
            );
        }
    }
    if !gates.is_empty() {
        out.push('\n');
        for g in gates {
            let _ = writeln!(
                out,
                "- {} {} (`{}`)",
                if g.failed { "❌" } else { "✅" },
                md(&g.message),
                g.gate
            );
        }
    }
    out
}

/// JSON: `{"tasks", "changed", "labels", "matrix", "changes", "gates"}`;
/// `matrix[i][j]` counts the tasks that went from `labels[i]` to `labels[j]`.
pub fn json(diff: &Diff, gates: &[GateResult]) -> String {
    use serde_json::{Value as J, json};
    let changes: Vec<J> = diff
        .changes
        .iter()
        .map(|c| {
            let scores: Vec<J> = c
                .scores
                .iter()
                .map(|s| {
                    json!({
                        "score": s.name,
                        "before": json_number(s.before),
                        "after": json_number(s.after),
                        "delta": json_number(s.delta()),
                    })
                })
                .collect();
            let mut obj = serde_json::Map::new();
            obj.insert("key".into(), J::String(c.key.clone()));
            if let Some(n) = &c.name {
                obj.insert("name".into(), J::String(n.clone()));
            }
            obj.insert("file".into(), J::String(c.file.clone()));
            obj.insert("line".into(), json!(c.line));
            obj.insert("before".into(), J::String(c.before.clone()));
            obj.insert("after".into(), J::String(c.after.clone()));
            obj.insert("reason".into(), J::String(c.reason.clone()));
            obj.insert("reason_before".into(), J::String(c.reason_before.clone()));
            obj.insert("scores".into(), J::Array(scores));
            J::Object(obj)
        })
        .collect();
    let gates: Vec<J> = gates
        .iter()
        .map(|g| json!({ "gate": g.gate, "passed": !g.failed, "message": g.message }))
        .collect();
    let report = json!({
        "tasks": diff.tasks,
        "changed": diff.changed(),
        "labels": diff.labels(),
        "matrix": diff.matrix(),
        "changes": changes,
        "gates": gates,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}
