//! Policies, waivers, aggregates and metrics: per-task findings, and the
//! portfolio figures computed from accumulators in the same single pass.

use super::plan::{Site, Text};
use super::{Env, EvalError, Task, TaskError};
use crate::ast::Severity;
use crate::compile::{AggKind, Program};
use crate::value::Value;

/// How a policy whose condition held was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingStatus {
    /// A finding that counts.
    Fired,
    /// Its `unless` condition held: exempt, counted apart from passes.
    Exempted,
    /// A waiver (by index in [`Program::waivers`]) exempts this task.
    Waived(u32),
}

/// A policy whose condition held for a task or for the portfolio.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub policy: u32,
    pub status: FindingStatus,
    /// The policy's message, interpolated; empty when it has none.
    pub message: String,
}

impl Finding {
    /// Whether this finding counts against the run at this severity.
    pub fn counts(&self, program: &Program, severity: Severity) -> bool {
        self.status == FindingStatus::Fired
            && program
                .policies
                .get(self.policy as usize)
                .is_some_and(|p| p.severity == severity)
    }
}

impl Program {
    /// The waiver that exempts the task `key` from `policy` on `today`.
    pub fn waiver_for(&self, policy: u32, key: &str, today: i32) -> Option<u32> {
        self.waivers
            .iter()
            .position(|w| {
                w.policy == policy
                    && w.expires.is_none_or(|e| e >= today)
                    && w.tasks.iter().any(|t| t == key)
            })
            .map(|i| i as u32)
    }

    /// Waivers whose expiry date has passed: each is a deny finding of its own.
    pub fn expired_waivers(&self, today: i32) -> Vec<u32> {
        (0..self.waivers.len() as u32)
            .filter(|&i| {
                self.waivers
                    .get(i as usize)
                    .and_then(|w| w.expires)
                    .is_some_and(|e| e < today)
            })
            .collect()
    }

    /// Checks one policy: `None` when its condition does not hold, else a
    /// finding exempted by `unless`, waived by the waiver `waiver` finds, or fired.
    fn settle(
        &self,
        pi: usize,
        env: Env<'_, '_>,
        waiver: impl FnOnce() -> Option<u32>,
    ) -> Result<Option<Finding>, TaskError> {
        let Some(policy) = self.policies.get(pi) else {
            return Ok(None);
        };
        let place = |e| TaskError::new(format!("policy \"{}\"", policy.name), e);
        if !self
            .holds_at(Site::PolicyWhen(pi), &policy.when, env)
            .map_err(place)?
        {
            return Ok(None);
        }
        let status = match &policy.unless {
            Some(u)
                if self
                    .holds_at(Site::PolicyUnless(pi), u, env)
                    .map_err(place)? =>
            {
                FindingStatus::Exempted
            }
            _ => waiver().map_or(FindingStatus::Fired, FindingStatus::Waived),
        };
        let mut message = String::new();
        if let Some(m) = &policy.message {
            self.interpolate_at(Text::Message(pi), m, env, &mut message)
                .map_err(place)?;
        }
        Ok(Some(Finding {
            policy: pi as u32,
            status,
            message,
        }))
    }

    /// Checks the task-level policies on an evaluated task (SPEC §5 step 7).
    pub fn task_findings(
        &self,
        task: &Task<'_>,
        today: i32,
        out: &mut Vec<Finding>,
    ) -> Result<(), TaskError> {
        let mut key: Option<String> = None;
        for (pi, policy) in self.policies.iter().enumerate() {
            if policy.portfolio {
                continue;
            }
            let finding = self.settle(pi, Env::task(task, today), || {
                let key = key.get_or_insert_with(|| self.key_text(task));
                self.waiver_for(pi as u32, key, today)
            })?;
            out.extend(finding);
        }
        Ok(())
    }

    /// Computes the metrics and checks the portfolio policies from the
    /// accumulated aggregates.
    pub fn portfolio(&self, acc: &Accumulators, today: i32) -> Result<Portfolio, TaskError> {
        let aggs = acc
            .finish(self)
            .map_err(|e| TaskError::new("an aggregate".into(), e))?;
        let mut metrics = vec![Value::Missing; self.metrics.len()];
        for &i in &self.metric_order {
            let Some(m) = self.metrics.get(i as usize) else {
                continue;
            };
            let env = Env {
                task: None,
                aggs: &aggs,
                metrics: &metrics,
                today,
            };
            let v = self
                .eval(&m.node, env)
                .map_err(|e| TaskError::new(format!("metric `{}`", m.name), e))?
                .into_owned();
            if let Some(slot) = metrics.get_mut(i as usize) {
                *slot = v;
            }
        }
        let mut findings = Vec::new();
        for (pi, policy) in self.policies.iter().enumerate() {
            if !policy.portfolio {
                continue;
            }
            let env = Env {
                task: None,
                aggs: &aggs,
                metrics: &metrics,
                today,
            };
            findings.extend(self.settle(pi, env, || None)?);
        }
        Ok(Portfolio {
            aggs,
            metrics,
            findings,
        })
    }
}

/// The portfolio figures after all tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    pub aggs: Vec<Value<'static>>,
    pub metrics: Vec<Value<'static>>,
    pub findings: Vec<Finding>,
}

/// The running state of one aggregate.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Acc {
    /// Tasks that passed the `where` filter.
    tasks: u64,
    /// Tasks whose condition held (count, share).
    hits: u64,
    /// Values summed (sum, avg, min, max); missing ones are skipped.
    values: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            tasks: 0,
            hits: 0,
            values: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

/// Accumulators for every aggregate of a program: fed one task at a time,
/// and mergeable, so chunks of tasks can be accumulated in parallel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Accumulators {
    accs: Vec<Acc>,
    /// Tasks seen, whatever the filters.
    pub tasks: u64,
}

impl Accumulators {
    pub fn new(program: &Program) -> Accumulators {
        Accumulators {
            accs: vec![Acc::default(); program.aggregates.len()],
            tasks: 0,
        }
    }

    /// Adds one evaluated task.
    pub fn add(&mut self, program: &Program, task: &Task<'_>, today: i32) -> Result<(), TaskError> {
        self.tasks += 1;
        let env = Env::task(task, today);
        for (ai, (def, acc)) in program
            .aggregates
            .iter()
            .zip(self.accs.iter_mut())
            .enumerate()
        {
            let place = || "an aggregate".to_string();
            if let Some(f) = &def.filter
                && !program
                    .holds_at(Site::AggFilter(ai), f, env)
                    .map_err(|e| TaskError::new(place(), e))?
            {
                continue;
            }
            acc.tasks += 1;
            match (def.kind, &def.arg) {
                (AggKind::Count | AggKind::Share, None) => acc.hits += 1,
                (AggKind::Count | AggKind::Share, Some(cond)) => {
                    if program
                        .value_at(Site::AggArg(ai), cond, env)
                        .map_err(|e| TaskError::new(place(), e))?
                        == Value::Bool(true)
                    {
                        acc.hits += 1;
                    }
                }
                (_, Some(e)) => {
                    if let Value::Num(n) = program
                        .value_at(Site::AggArg(ai), e, env)
                        .map_err(|e| TaskError::new(place(), e))?
                    {
                        acc.values += 1;
                        acc.sum += n;
                        acc.min = acc.min.min(n);
                        acc.max = acc.max.max(n);
                    }
                }
                (_, None) => {}
            }
        }
        Ok(())
    }

    /// Adds another set of accumulators for the same program.
    pub fn merge(&mut self, other: &Accumulators) {
        self.tasks += other.tasks;
        for (a, b) in self.accs.iter_mut().zip(&other.accs) {
            a.tasks += b.tasks;
            a.hits += b.hits;
            a.values += b.values;
            a.sum += b.sum;
            a.min = a.min.min(b.min);
            a.max = a.max.max(b.max);
        }
    }

    /// The value of each aggregate. Over no tasks, `sum` and `count` are 0
    /// and the others missing.
    pub fn finish(&self, program: &Program) -> Result<Vec<Value<'static>>, EvalError> {
        let mut out = Vec::with_capacity(self.accs.len());
        for (def, acc) in program.aggregates.iter().zip(&self.accs) {
            let v = match def.kind {
                AggKind::Count => Value::Num(acc.hits as f64),
                AggKind::Share if acc.tasks == 0 => Value::Missing,
                AggKind::Share => Value::Num(acc.hits as f64 / acc.tasks as f64),
                AggKind::Sum => Value::Num(acc.sum),
                _ if acc.values == 0 => Value::Missing,
                AggKind::Avg => Value::Num(acc.sum / acc.values as f64),
                AggKind::Min => Value::Num(acc.min),
                AggKind::Max => Value::Num(acc.max),
            };
            if let Value::Num(n) = v
                && !n.is_finite()
            {
                return Err(EvalError {
                    message: format!(
                        "`{}` is too large to be a number",
                        program.source_text(def.span)
                    ),
                    span: def.span,
                });
            }
            out.push(v);
        }
        Ok(out)
    }
}
