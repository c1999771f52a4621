//! Explanations: which rules fired and what each added, which label line
//! matched, and for every condition that failed, the part that was false
//! with the values involved.

use super::{Env, Task, TaskError};
use crate::compile::{Node, Program, Ty};
use crate::value::Value;

/// One rule's part in a task's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace {
    /// Index in [`Program::rules`].
    pub rule: usize,
    pub fired: bool,
    /// The change to each score, in action order: (score index, delta).
    pub deltas: Vec<(u32, f64)>,
    /// The running (unclamped) total of every score after this rule.
    pub totals: Vec<f64>,
}

/// One label line tried.
#[derive(Debug, Clone, PartialEq)]
pub struct LineTrace {
    /// Index in [`Program::labels`].
    pub line: usize,
    pub matched: bool,
    /// For a line that did not match: the parts of its condition that were
    /// false or missing, with the values involved.
    pub why_not: Vec<String>,
}

/// The full account of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub rules: Vec<RuleTrace>,
    /// For each rule that did not fire, the parts of its condition that were
    /// false, with the values as they stood when the rule was tried.
    pub not_fired: Vec<(usize, Vec<String>)>,
    pub lines: Vec<LineTrace>,
}

impl Program {
    /// Evaluates a task and explains its result.
    pub fn explain(&self, task: &mut Task<'_>, today: i32) -> Result<Explanation, TaskError> {
        let mut rules = Vec::new();
        self.evaluate_traced(task, today, Some(&mut rules))?;
        // An explanation shows the reason: an error in it is the task's.
        self.reason(task, today)?;
        let mut not_fired = Vec::new();
        let mut view = task.clone();
        let mut totals: Vec<f64> = self.scores.iter().map(|s| s.start).collect();
        for t in &rules {
            if !t.fired
                && let Some(when) = self.rules.get(t.rule).and_then(|r| r.when.as_ref())
            {
                view.scores.clone_from(&totals);
                not_fired.push((t.rule, explain_false(self, when, Env::task(&view, today))));
            }
            totals.clone_from(&t.totals);
        }
        let mut lines = Vec::new();
        for (li, line) in self.labels.iter().enumerate() {
            let matched = task.label_line == Some(li);
            let why_not = match (&line.when, matched) {
                (Some(w), false) => explain_false(self, w, Env::task(task, today)),
                _ => Vec::new(),
            };
            lines.push(LineTrace {
                line: li,
                matched,
                why_not,
            });
            if matched {
                break;
            }
        }
        Ok(Explanation {
            rules,
            not_fired,
            lines,
        })
    }
}

/// The parts of a condition that made it false or missing, each with the
/// values it read: "`hours >= 80` is false (hours = 40)".
pub fn explain_false(program: &Program, node: &Node, env: Env<'_, '_>) -> Vec<String> {
    let value = program.eval(node, env).unwrap_or(Value::Missing);
    if matches!(value, Value::Bool(true)) {
        return Vec::new();
    }
    match node {
        Node::And(a, b, _) => {
            let left = program.eval(a, env).unwrap_or(Value::Missing);
            let mut out = Vec::new();
            if !matches!(left, Value::Bool(true)) {
                out.extend(explain_false(program, a, env));
                if matches!(left, Value::Bool(false)) {
                    return out;
                }
            }
            out.extend(explain_false(program, b, env));
            out
        }
        Node::Or(a, b, _) => {
            let mut out = explain_false(program, a, env);
            out.extend(explain_false(program, b, env));
            out
        }
        _ => vec![describe_leaf(program, node, &value, env)],
    }
}

fn describe_leaf(program: &Program, node: &Node, value: &Value<'_>, env: Env<'_, '_>) -> String {
    let text = node_text(program, node);
    let state = if value.is_missing() {
        "is missing"
    } else {
        "is false"
    };
    let mut reads = Vec::new();
    collect_reads(program, node, env, &mut reads);
    reads.retain(|r| !r.starts_with(&format!("{text} =")));
    if reads.is_empty() {
        format!("`{text}` {state}")
    } else {
        format!("`{text}` {state} ({})", reads.join(", "))
    }
}

/// The source text of a node, or the name it reads.
pub fn node_text(program: &Program, node: &Node) -> String {
    match node {
        Node::Cmp(_, _, _, span)
        | Node::In { span, .. }
        | Node::Not(_, span)
        | Node::And(_, _, span)
        | Node::Or(_, _, span)
        | Node::Arith(_, _, _, span)
        | Node::Call(_, _, span)
        | Node::Matches(_, _, span) => program.source_text(*span),
        Node::Field(i) => program
            .fields
            .get(*i as usize)
            .map_or("?", |f| f.name.as_str())
            .to_string(),
        Node::Let(i) => program
            .lets
            .get(*i as usize)
            .map_or("?", |f| f.name.as_str())
            .to_string(),
        Node::Output(i) => program
            .outputs
            .get(*i as usize)
            .map_or("?", |f| f.name.as_str())
            .to_string(),
        Node::Metric(i) => program
            .metrics
            .get(*i as usize)
            .map_or("?", |f| f.name.as_str())
            .to_string(),
        Node::Score(i) => program
            .scores
            .get(*i as usize)
            .map_or("?", |f| f.name.as_str())
            .to_string(),
        Node::Label => "label".to_string(),
        Node::Agg(i) => program
            .aggregates
            .get(*i as usize)
            .map_or("?".to_string(), |a| program.source_text(a.span)),
        Node::Const(v) => program.display_untyped(v),
        _ => "the condition".to_string(),
    }
}

/// `name = value` for each named value a node reads, once each.
fn collect_reads(program: &Program, node: &Node, env: Env<'_, '_>, out: &mut Vec<String>) {
    let entry = match node {
        Node::Field(i) => program
            .fields
            .get(*i as usize)
            .map(|f| (f.name.as_str(), f.ty)),
        Node::Let(i) => program
            .lets
            .get(*i as usize)
            .map(|f| (f.name.as_str(), f.ty)),
        Node::Output(i) => program
            .outputs
            .get(*i as usize)
            .map(|f| (f.name.as_str(), f.ty)),
        Node::Metric(i) => program
            .metrics
            .get(*i as usize)
            .map(|f| (f.name.as_str(), f.ty)),
        Node::Score(i) => program
            .scores
            .get(*i as usize)
            .map(|s| (s.name.as_str(), Ty::Number)),
        Node::Label => program.label_enum.map(|e| ("label", Ty::Enum(e))),
        _ => None,
    };
    if let Some((name, ty)) = entry {
        let v = program.eval(node, env).unwrap_or(Value::Missing);
        let shown = match (&v, ty) {
            (Value::Missing, _) => "missing".to_string(),
            (Value::Text(t), _) => format!("{:?}", t.as_ref()),
            _ => program.display(ty, &v),
        };
        let item = format!("{name} = {shown}");
        if !out.contains(&item) {
            out.push(item);
        }
        return;
    }
    node.children(&mut |child| collect_reads(program, child, env, out));
}
