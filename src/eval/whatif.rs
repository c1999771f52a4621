//! What-if analysis: the single-field changes that would change a task's
//! label, trying enum and bool fields value by value and numeric fields at
//! the thresholds the rule set compares them against.

use super::Task;
use crate::compile::{Node, Program, Ty};
use crate::value::Value;

/// A change of one field that gives the task another label.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    /// Index of the field in [`Program::fields`].
    pub field: usize,
    pub value: Value<'static>,
    /// The label the task would get.
    pub label: u16,
}

/// Numbers each numeric field is compared with, directly, anywhere in the
/// rule set.
fn thresholds(program: &Program) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); program.fields.len()];
    let mut visit = |node: &Node| collect(node, &mut out);
    for l in &program.lets {
        visit(&l.node);
    }
    for r in &program.rules {
        if let Some(w) = &r.when {
            visit(w);
        }
        for a in &r.actions {
            visit(&a.node);
        }
    }
    for l in &program.labels {
        if let Some(w) = &l.when {
            visit(w);
        }
    }
    for t in &mut out {
        t.sort_by(f64::total_cmp);
        t.dedup();
    }
    out
}

fn collect(node: &Node, out: &mut Vec<Vec<f64>>) {
    if let Node::Cmp(_, a, b, _) = node {
        for (x, y) in [(a, b), (b, a)] {
            if let (Node::Field(i), Node::Const(Value::Num(t))) = (x.as_ref(), y.as_ref())
                && let Some(list) = out.get_mut(*i as usize)
            {
                list.push(*t);
            }
        }
    }
    node.children(&mut |c| collect(c, out));
}

/// Candidate values for a field: the other values of an enum or bool, or
/// each threshold and just either side of it.
fn candidates(
    program: &Program,
    field: usize,
    current: &Value<'_>,
    limits: &[f64],
) -> Vec<Value<'static>> {
    let Some(def) = program.fields.get(field) else {
        return Vec::new();
    };
    match def.ty {
        Ty::Enum(e) => {
            let n = program.enums.get(e as usize).map_or(0, |d| d.values.len());
            (0..n as u16)
                .map(Value::Enum)
                .filter(|v| v != current)
                .collect()
        }
        Ty::Bool => match current {
            Value::Bool(b) => vec![Value::Bool(!b)],
            _ => vec![Value::Bool(true), Value::Bool(false)],
        },
        Ty::Number => {
            let mut out = Vec::new();
            for t in limits {
                let step = if t.fract() == 0.0 { 1.0 } else { 0.01 };
                for c in [*t, t - step, t + step] {
                    if !out.contains(&Value::Num(c)) && Value::Num(c) != *current {
                        out.push(Value::Num(c));
                    }
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

impl Program {
    /// The single-field changes that change the label of a task already
    /// evaluated; for numbers, the change nearest the current value for each
    /// label reached.
    pub fn what_if(&self, task: &Task<'_>, today: i32) -> Vec<WhatIf> {
        let Some(label) = task.label else {
            return Vec::new();
        };
        let limits = thresholds(self);
        let base: Vec<Value<'static>> =
            task.fields.iter().map(|v| v.clone().into_owned()).collect();
        let mut out: Vec<WhatIf> = Vec::new();
        for (field, current) in base.iter().enumerate() {
            if field == self.key as usize {
                continue;
            }
            let mut found: Vec<(f64, WhatIf)> = Vec::new();
            let none: &[f64] = &[];
            for value in candidates(
                self,
                field,
                current,
                limits.get(field).map_or(none, Vec::as_slice),
            ) {
                let mut trial = self.new_task();
                trial.fields.clone_from(&base);
                if let Some(slot) = trial.fields.get_mut(field) {
                    *slot = value.clone();
                }
                if self.evaluate(&mut trial, today).is_err() {
                    continue;
                }
                let Some(new) = trial.label.filter(|l| *l != label) else {
                    continue;
                };
                let distance = match (&value, current) {
                    (Value::Num(a), Value::Num(b)) => (a - b).abs(),
                    _ => 0.0,
                };
                match found.iter_mut().find(|(_, w)| w.label == new) {
                    Some((d, w)) if distance < *d => {
                        *d = distance;
                        *w = WhatIf {
                            field,
                            value,
                            label: new,
                        };
                    }
                    Some(_) => {}
                    None => found.push((
                        distance,
                        WhatIf {
                            field,
                            value,
                            label: new,
                        },
                    )),
                }
            }
            out.extend(found.into_iter().map(|(_, w)| w));
        }
        out
    }
}
