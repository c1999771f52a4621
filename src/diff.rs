//! Comparing two versions of a rule set on the same tasks: the label
//! transitions, the tasks that change label with their score movements, and
//! the gates CI applies to them.
//!
//! ```
//! use outsort::diff::{Diff, Gate, Limit};
//! use outsort::value::Value;
//!
//! let before = outsort::load_str("old.rules", r#"
//!     input { id: text  hours: number }
//!     score outsourceability = 50 in 0..100
//!     rule "big" when hours >= 100 { outsourceability += 20 }
//!     label { bpo when outsourceability >= 60  in_house otherwise }
//! "#).expect("valid");
//! let after = outsort::load_str("new.rules", r#"
//!     input { id: text  hours: number }
//!     score outsourceability = 50 in 0..100
//!     rule "big" when hours >= 40 { outsourceability += 20 }
//!     label { bpo when outsourceability >= 60  in_house otherwise }
//! "#).expect("valid");
//!
//! let mut diff = Diff::new(&before, &after);
//! for (id, hours) in [("T1", 120.0), ("T2", 50.0), ("T3", 10.0)] {
//!     let fields = vec![Value::Text(id.into()), Value::Num(hours)];
//!     let mut old = before.new_task();
//!     old.fields = fields.clone();
//!     before.evaluate(&mut old, 0).expect("no arithmetic errors");
//!     let mut new = after.new_task();
//!     new.fields = fields;
//!     after.evaluate(&mut new, 0).expect("no arithmetic errors");
//!     diff.add(&before, &old, &after, &new, 0, "tasks.csv", 2).expect("no error in a reason");
//! }
//! assert_eq!((diff.tasks, diff.changed()), (3, 1));
//! assert_eq!(diff.changes[0].key, "T2");
//! assert_eq!((diff.changes[0].before.as_str(), diff.changes[0].after.as_str()), ("in_house", "bpo"));
//!
//! let gates = [Gate::MaxChanged(Limit::Count(0)), Gate::deny("bpo", "in_house")];
//! let results = diff.check(&gates);
//! assert!(results[0].failed && !results[1].failed);
//! ```

use crate::compile::{Program, Ty};
use crate::eval::Task;
use crate::value::format_number;

/// What a task without a label (a rule set with no `label` block) is called.
pub const NO_LABEL: &str = "(none)";

/// A score of both rule sets, before and after, for one task.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreChange {
    pub name: String,
    pub before: f64,
    pub after: f64,
}

impl ScoreChange {
    pub fn delta(&self) -> f64 {
        self.after - self.before
    }
}

/// A task whose label changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The key, as the after rule set reads it.
    pub key: String,
    /// The first required text field after the key, as tables show it.
    pub name: Option<String>,
    pub file: String,
    pub line: u64,
    pub before: String,
    pub after: String,
    /// The after rule set's reason for the new label.
    pub reason: String,
    pub reason_before: String,
    /// Every score both rule sets declare, in the after rule set's order.
    pub scores: Vec<ScoreChange>,
}

/// The comparison of two rule sets over the tasks seen so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// The label values of both rule sets: the before set's in its order,
    /// then the after set's new ones, then [`NO_LABEL`].
    labels: Vec<String>,
    before_index: Vec<usize>,
    after_index: Vec<usize>,
    /// Tasks by (before label, after label), indexed like `labels`.
    counts: Vec<Vec<u64>>,
    /// Scores of both rule sets: name, slot before, slot after.
    score_pairs: Vec<(String, usize, usize)>,
    /// The after rule set's name-like field, if any.
    name_field: Option<usize>,
    pub tasks: u64,
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn new(before: &Program, after: &Program) -> Diff {
        let mut labels: Vec<String> = before.label_values().to_vec();
        for l in after.label_values() {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        labels.push(NO_LABEL.to_string());
        let index = |values: &[String]| -> Vec<usize> {
            values
                .iter()
                .map(|v| labels.iter().position(|l| l == v).unwrap_or(0))
                .collect()
        };
        let before_index = index(before.label_values());
        let after_index = index(after.label_values());
        let score_pairs = after
            .scores
            .iter()
            .enumerate()
            .filter_map(|(ai, s)| {
                let bi = before.scores.iter().position(|b| b.name == s.name)?;
                Some((s.name.clone(), bi, ai))
            })
            .collect();
        let name_field = after
            .fields
            .iter()
            .enumerate()
            .find(|(i, f)| *i != after.key as usize && f.ty == Ty::Text && !f.optional)
            .map(|(i, _)| i);
        let n = labels.len();
        Diff {
            labels,
            before_index,
            after_index,
            counts: vec![vec![0; n]; n],
            score_pairs,
            name_field,
            tasks: 0,
            changes: Vec::new(),
        }
    }

    fn slot(&self, index: &[usize], label: Option<u16>) -> usize {
        label
            .and_then(|l| index.get(l as usize).copied())
            .unwrap_or(self.labels.len().saturating_sub(1))
    }

    /// Adds one task as both rule sets evaluated it; `file` and `line` say
    /// where its row starts.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        before: &Program,
        old: &Task<'_>,
        after: &Program,
        new: &Task<'_>,
        today: i32,
        file: &str,
        line: u64,
    ) -> Result<(), crate::eval::TaskError> {
        // An error in either reason is the task's error: it is not counted.
        let side = |which: &str| {
            let which = which.to_string();
            move |e: crate::eval::TaskError| {
                crate::eval::TaskError::new(format!("{} ({which})", e.place), e.error)
            }
        };
        let reason = after
            .reason(new, today)
            .map_err(side("with the --after rules"))?;
        let reason_before = before
            .reason(old, today)
            .map_err(side("with the --before rules"))?;
        self.tasks += 1;
        let from = self.slot(&self.before_index, old.label);
        let to = self.slot(&self.after_index, new.label);
        if let Some(c) = self.counts.get_mut(from).and_then(|r| r.get_mut(to)) {
            *c += 1;
        }
        if from == to {
            return Ok(());
        }
        let label = |i: usize| self.labels.get(i).cloned().unwrap_or_default();
        let scores = self
            .score_pairs
            .iter()
            .filter_map(|(name, bi, ai)| {
                Some(ScoreChange {
                    name: name.clone(),
                    before: *old.scores.get(*bi)?,
                    after: *new.scores.get(*ai)?,
                })
            })
            .collect();
        let name = self
            .name_field
            .and_then(|i| new.fields.get(i))
            .map(|v| after.display(Ty::Text, v));
        self.changes.push(Change {
            key: after.key_text(new),
            name,
            file: file.to_string(),
            line,
            before: label(from),
            after: label(to),
            reason: reason.into_owned(),
            reason_before: reason_before.into_owned(),
            scores,
        });
        Ok(())
    }

    /// The number of tasks whose label changed.
    pub fn changed(&self) -> u64 {
        self.changes.len() as u64
    }

    /// The share of tasks whose label changed, in percent (0 without tasks).
    pub fn changed_percent(&self) -> f64 {
        if self.tasks == 0 {
            0.0
        } else {
            self.changed() as f64 * 100.0 / self.tasks as f64
        }
    }

    /// The labels the matrix shows: every label value of both rule sets, and
    /// [`NO_LABEL`] only when some task had no label.
    pub fn labels(&self) -> Vec<&str> {
        let none = self.labels.len().saturating_sub(1);
        let none_used = self.counts.iter().enumerate().any(|(i, row)| {
            row.iter()
                .enumerate()
                .any(|(j, c)| *c > 0 && (i == none || j == none))
        });
        self.labels
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != none || none_used)
            .map(|(_, l)| l.as_str())
            .collect()
    }

    /// The number of tasks that went from label `from` to label `to`.
    pub fn count(&self, from: &str, to: &str) -> u64 {
        let find = |l: &str| self.labels.iter().position(|x| x == l);
        match (find(from), find(to)) {
            (Some(i), Some(j)) => self
                .counts
                .get(i)
                .and_then(|r| r.get(j))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// The matrix the report shows: one row per before label, one column per
    /// after label, in the order of [`Diff::labels`].
    pub fn matrix(&self) -> Vec<Vec<u64>> {
        let labels = self.labels();
        labels
            .iter()
            .map(|from| labels.iter().map(|to| self.count(from, to)).collect())
            .collect()
    }

    /// Applies the gates, in order.
    pub fn check(&self, gates: &[Gate]) -> Vec<GateResult> {
        gates.iter().map(|g| self.check_one(g)).collect()
    }

    fn check_one(&self, gate: &Gate) -> GateResult {
        let changed = self.changed();
        let tasks = |n: u64| {
            if n == 1 {
                "1 task changes".to_string()
            } else {
                format!("{n} tasks change")
            }
        };
        match gate {
            Gate::AnyChange => GateResult {
                gate: gate.to_string(),
                failed: changed > 0,
                message: if changed > 0 {
                    format!("{} label", tasks(changed))
                } else {
                    "no task changes label".to_string()
                },
            },
            Gate::MaxChanged(Limit::Count(max)) => GateResult {
                gate: gate.to_string(),
                failed: changed > *max,
                message: if changed > *max {
                    format!("{} label, more than the {max} allowed", tasks(changed))
                } else {
                    format!("{} label, within the {max} allowed", tasks(changed))
                },
            },
            Gate::MaxChanged(Limit::Percent(max)) => {
                let pct = self.changed_percent();
                let failed = pct > *max + 1e-9;
                let shown = format_percent(pct);
                GateResult {
                    gate: gate.to_string(),
                    failed,
                    message: format!(
                        "{} label ({shown}), {} the {}% allowed",
                        tasks(changed),
                        if failed { "more than" } else { "within" },
                        format_number(*max)
                    ),
                }
            }
            Gate::DenyTransition { from, to } => {
                let matches = |want: &str, got: &str| want == "*" || want == got;
                let hits: Vec<&Change> = self
                    .changes
                    .iter()
                    .filter(|c| matches(from, &c.before) && matches(to, &c.after))
                    .collect();
                let what = format!(
                    "from {} to {}",
                    if from == "*" { "any label" } else { from },
                    if to == "*" { "another label" } else { to }
                );
                let message = match hits.len() {
                    0 => format!("no task goes {what}"),
                    n => {
                        const SHOWN: usize = 5;
                        let mut keys: Vec<&str> =
                            hits.iter().take(SHOWN).map(|c| c.key.as_str()).collect();
                        if n > SHOWN {
                            keys.push("…");
                        }
                        format!(
                            "{} {what}: {}",
                            if n == 1 {
                                "1 task goes".to_string()
                            } else {
                                format!("{n} tasks go")
                            },
                            keys.join(", ")
                        )
                    }
                };
                GateResult {
                    gate: gate.to_string(),
                    failed: !hits.is_empty(),
                    message,
                }
            }
        }
    }
}

/// A percentage to one decimal, such as `6.7%`.
pub fn format_percent(pct: f64) -> String {
    format!("{}%", format_number((pct * 10.0).round() / 10.0))
}

/// A bound on the number of tasks that may change label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Count(u64),
    Percent(f64),
}

impl std::str::FromStr for Limit {
    type Err = String;

    /// `5` tasks, or `5%` / `2.5%` of the tasks.
    fn from_str(s: &str) -> Result<Limit, String> {
        let t = s.trim();
        let bad =
            || format!("`{s}` is neither a number of tasks such as `5` nor a share such as `5%`");
        match t.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if p.is_finite() && (0.0..=100.0).contains(&p) {
                    Ok(Limit::Percent(p))
                } else {
                    Err(format!("`{s}` is not a share from 0% to 100%"))
                }
            }
            None => t.parse().map(Limit::Count).map_err(|_| bad()),
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Count(n) => write!(f, "{n}"),
            Limit::Percent(p) => write!(f, "{}%", format_number(*p)),
        }
    }
}

/// A condition on the comparison that fails a CI run.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// Any task changes label.
    AnyChange,
    /// More tasks than the limit change label.
    MaxChanged(Limit),
    /// A task goes from one label to another; `*` stands for any label.
    DenyTransition { from: String, to: String },
}

impl Gate {
    pub fn deny(from: &str, to: &str) -> Gate {
        Gate::DenyTransition {
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    /// Parses `from:to` as written after `--deny-transition`.
    pub fn parse_transition(s: &str) -> Result<Gate, String> {
        let Some((from, to)) = s.split_once(':') else {
            return Err(format!(
                "`{s}` is not a transition; write FROM:TO, such as `in_house:bpo`"
            ));
        };
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() || to.contains(':') {
            return Err(format!(
                "`{s}` is not a transition; write FROM:TO, such as `in_house:bpo`"
            ));
        }
        Ok(Gate::deny(from, to))
    }

    /// The labels a transition names that neither rule set has, each as a
    /// message with the closest label.
    pub fn unknown_labels(&self, labels: &[String]) -> Vec<String> {
        let Gate::DenyTransition { from, to } = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for l in [from, to] {
            if l == "*" || labels.contains(l) {
                continue;
            }
            let best = labels
                .iter()
                .map(|c| (strsim::jaro_winkler(l, c), c))
                .filter(|(s, _)| *s >= 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c);
            let mut m = format!(
                "{self}: neither rule set has the label `{l}`; the labels are {}",
                labels.join(", ")
            );
            if let Some(b) = best {
                m.push_str(&format!(" (did you mean `{b}`?)"));
            }
            out.push(m);
        }
        out
    }
}

impl std::fmt::Display for Gate {
    /// The gate as given on the command line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gate::AnyChange => f.write_str("--fail-on-change"),
            Gate::MaxChanged(l) => write!(f, "--max-changed {l}"),
            Gate::DenyTransition { from, to } => write!(f, "--deny-transition {from}:{to}"),
        }
    }
}

/// The outcome of one gate.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    /// The gate as given on the command line.
    pub gate: String,
    pub failed: bool,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let cases: [(&str, Result<Limit, ()>); 7] = [
            ("5", Ok(Limit::Count(5))),
            ("0", Ok(Limit::Count(0))),
            ("5%", Ok(Limit::Percent(5.0))),
            (" 2.5 %", Ok(Limit::Percent(2.5))),
            ("101%", Err(())),
            ("-1", Err(())),
            ("five", Err(())),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Limit>().map_err(|_| ()), want, "{text}");
        }
    }

    #[test]
    fn transitions() {
        assert_eq!(
            Gate::parse_transition("in_house:bpo"),
            Ok(Gate::deny("in_house", "bpo"))
        );
        assert_eq!(Gate::parse_transition("*:bpo"), Ok(Gate::deny("*", "bpo")));
        for bad in ["in_house", ":bpo", "a:b:c", "kpo:"] {
            assert!(Gate::parse_transition(bad).is_err(), "{bad}");
        }
        let labels: Vec<String> = ["kpo", "bpo", "in_house"].map(String::from).to_vec();
        assert!(
            Gate::deny("in_house", "*")
                .unknown_labels(&labels)
                .is_empty()
        );
        assert_eq!(
            Gate::deny("in_hose", "bpo").unknown_labels(&labels),
            [
                "--deny-transition in_hose:bpo: neither rule set has the label `in_hose`; \
              the labels are kpo, bpo, in_house (did you mean `in_house`?)"
            ]
        );
    }
}
