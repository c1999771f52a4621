//! Evaluation of compiled programs: one task at a time, then the portfolio's
//! aggregates, metrics and policies from accumulators.

mod explain;
mod plan;
mod portfolio;
mod whatif;

pub use explain::{Explanation, LineTrace, RuleTrace, explain_false};
pub use plan::{MAX_TEXT_BYTES, MAX_VALUE_CHARS, Plan};
pub use portfolio::{Accumulators, Finding, FindingStatus, Portfolio};
pub use whatif::WhatIf;

use plan::{Site, Text};

use crate::ast::Span;
use crate::compile::*;
use crate::value::{Value, format_date, format_number};
use std::borrow::Cow;
use std::fmt;

/// An evaluation error: division by zero or a result that is not a finite
/// number. The caller adds the input line and the declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The state of one task as it is evaluated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Task<'r> {
    pub fields: Vec<Value<'r>>,
    /// Lets and outputs own their values, so their text buffers serve the
    /// next task too.
    pub lets: Vec<Value<'static>>,
    /// Scores after clamping.
    pub scores: Vec<f64>,
    /// Scores before clamping.
    pub unclamped: Vec<f64>,
    pub label: Option<u16>,
    /// Index of the label line that matched.
    pub label_line: Option<usize>,
    pub outputs: Vec<Value<'static>>,
    /// Whether each rule fired.
    pub fired: Vec<bool>,
}

impl Task<'_> {
    /// Empties the task and frees it from the record it borrowed, keeping its
    /// buffers, so one allocation serves every row of an input.
    pub fn recycle(self) -> Task<'static> {
        fn empty(mut v: Vec<Value<'_>>) -> Vec<Value<'static>> {
            v.clear();
            // Collecting an empty vector in place reuses its allocation.
            v.into_iter().map(Value::into_owned).collect()
        }
        Task {
            fields: empty(self.fields),
            lets: self.lets,
            scores: self.scores,
            unclamped: self.unclamped,
            label: None,
            label_line: None,
            outputs: self.outputs,
            fired: self.fired,
        }
    }
}

/// An owned copy of `new`, written into the text buffer of `old` when both
/// are text, so storing a text value does not allocate on every task.
fn reuse(old: Option<Value<'_>>, new: Value<'_>) -> Value<'static> {
    match (old, new) {
        (Some(Value::Text(Cow::Owned(mut buf))), Value::Text(t)) => {
            buf.clear();
            buf.push_str(&t);
            Value::Text(Cow::Owned(buf))
        }
        (_, new) => new.into_owned(),
    }
}

/// What an expression may read: one task, and after all tasks, the
/// aggregates and metrics.
#[derive(Clone, Copy)]
pub struct Env<'s, 'r> {
    pub task: Option<&'s Task<'r>>,
    pub aggs: &'s [Value<'static>],
    pub metrics: &'s [Value<'static>],
    /// The date of the run, in days since 1970-01-01.
    pub today: i32,
}

impl<'s, 'r> Env<'s, 'r> {
    pub fn task(task: &'s Task<'r>, today: i32) -> Self {
        Env {
            task: Some(task),
            aggs: &[],
            metrics: &[],
            today,
        }
    }
}

fn slot<'s>(values: &'s [Value<'_>], i: u32) -> Value<'s> {
    values
        .get(i as usize)
        .map_or(Value::Missing, Value::reborrow)
}

fn is_true(v: &Value<'_>) -> bool {
    matches!(v, Value::Bool(true))
}

impl Program {
    /// Evaluates an expression.
    pub fn eval<'s>(&self, node: &'s Node, env: Env<'s, '_>) -> Result<Value<'s>, EvalError> {
        Ok(match node {
            Node::Const(v) => v.reborrow(),
            Node::Field(i) => env.task.map_or(Value::Missing, |t| slot(&t.fields, *i)),
            Node::Let(i) => env.task.map_or(Value::Missing, |t| slot(&t.lets, *i)),
            Node::Output(i) => env.task.map_or(Value::Missing, |t| slot(&t.outputs, *i)),
            Node::Score(i) => env
                .task
                .and_then(|t| t.scores.get(*i as usize))
                .map_or(Value::Missing, |s| Value::Num(*s)),
            Node::Label => match env.task.and_then(|t| t.label) {
                Some(l) => Value::Enum(l),
                None => Value::Missing,
            },
            Node::Metric(i) => slot(env.metrics, *i),
            Node::Agg(i) => slot(env.aggs, *i),
            Node::Neg(a) => match self.eval(a, env)? {
                Value::Num(n) => Value::Num(if n == 0.0 { 0.0 } else { -n }),
                _ => Value::Missing,
            },
            Node::Not(a, _) => match self.eval(a, env)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            Node::And(a, b, _) => match self.eval(a, env)? {
                Value::Bool(false) => Value::Bool(false),
                left => match (left, self.eval(b, env)?) {
                    (_, Value::Bool(false)) => Value::Bool(false),
                    (Value::Bool(true), Value::Bool(true)) => Value::Bool(true),
                    _ => Value::Missing,
                },
            },
            Node::Or(a, b, _) => match self.eval(a, env)? {
                Value::Bool(true) => Value::Bool(true),
                left => match (left, self.eval(b, env)?) {
                    (_, Value::Bool(true)) => Value::Bool(true),
                    (Value::Bool(false), Value::Bool(false)) => Value::Bool(false),
                    _ => Value::Missing,
                },
            },
            Node::Coalesce(a, b) => match self.eval(a, env)? {
                Value::Missing => self.eval(b, env)?,
                v => v,
            },
            Node::Arith(op, a, b, span) => {
                let (x, y) = match (self.eval(a, env)?, self.eval(b, env)?) {
                    (Value::Num(x), Value::Num(y)) => (x, y),
                    _ => return Ok(Value::Missing),
                };
                let r = match op {
                    ArithOp::Add => x + y,
                    ArithOp::Sub => x - y,
                    ArithOp::Mul => x * y,
                    ArithOp::Div => {
                        if y == 0.0 {
                            return Err(self.arith_error("division by zero", a, b, *span, env));
                        }
                        x / y
                    }
                };
                if !r.is_finite() {
                    return Err(self.arith_error(
                        "the result is too large to be a number",
                        a,
                        b,
                        *span,
                        env,
                    ));
                }
                Value::Num(if r == 0.0 { 0.0 } else { r })
            }
            Node::Cmp(op, a, b, _) => {
                let (x, y) = (self.eval(a, env)?, self.eval(b, env)?);
                match compare(&x, &y) {
                    Some(ord) => Value::Bool(match op {
                        CmpOp::Eq => ord.is_eq(),
                        CmpOp::Ne => !ord.is_eq(),
                        CmpOp::Lt => ord.is_lt(),
                        CmpOp::Le => ord.is_le(),
                        CmpOp::Gt => ord.is_gt(),
                        CmpOp::Ge => ord.is_ge(),
                    }),
                    None => Value::Missing,
                }
            }
            Node::In {
                value,
                set,
                negated,
                ..
            } => {
                // `lower(x) in [...]` over short ASCII text: lower-case on
                // the stack instead of allocating a string per task.
                if let (Node::Call(Func::Lower, args, _), InSet::Text(members)) =
                    (value.as_ref(), set)
                    && let [arg] = args.as_slice()
                {
                    let v = self.eval(arg, env)?;
                    let Value::Text(t) = &v else {
                        return Ok(Value::Missing);
                    };
                    let mut buf = [0u8; 64];
                    if t.is_ascii()
                        && let Some(dst) = buf.get_mut(..t.len())
                    {
                        dst.copy_from_slice(t.as_bytes());
                        dst.make_ascii_lowercase();
                        if let Ok(lowered) = std::str::from_utf8(dst) {
                            return Ok(Value::Bool(members.contains(lowered) != *negated));
                        }
                    }
                    return Ok(Value::Bool(
                        members.contains(t.to_lowercase().as_str()) != *negated,
                    ));
                }
                let v = self.eval(value, env)?;
                if v.is_missing() {
                    return Ok(Value::Missing);
                }
                let found = match set {
                    InSet::Text(members) => match &v {
                        Value::Text(t) => members.contains(t.as_ref()),
                        _ => false,
                    },
                    InSet::Values(members) => members
                        .iter()
                        .any(|m| compare(m, &v).is_some_and(|o| o.is_eq())),
                    InSet::Exprs(items) => {
                        let mut found = false;
                        let mut unknown = false;
                        for item in items {
                            match compare(&self.eval(item, env)?, &v) {
                                Some(o) if o.is_eq() => {
                                    found = true;
                                    break;
                                }
                                None => unknown = true,
                                _ => {}
                            }
                        }
                        if !found && unknown {
                            return Ok(Value::Missing);
                        }
                        found
                    }
                };
                Value::Bool(found != *negated)
            }
            Node::If(c, a, b) => {
                if is_true(&self.eval(c, env)?) {
                    self.eval(a, env)?
                } else {
                    self.eval(b, env)?
                }
            }
            Node::Match {
                scrutinee,
                arms,
                default,
            } => {
                let v = self.eval(scrutinee, env)?;
                if v.is_missing() {
                    return Ok(Value::Missing);
                }
                for (patterns, result) in arms {
                    if patterns
                        .iter()
                        .any(|p| compare(p, &v).is_some_and(|o| o.is_eq()))
                    {
                        return self.eval(result, env);
                    }
                }
                match default {
                    Some(d) => self.eval(d, env)?,
                    None => Value::Missing,
                }
            }
            Node::Call(func, args, span) => self.call(*func, args, *span, env)?,
            Node::Matches(a, re, _) => match self.eval(a, env)? {
                Value::Text(t) => Value::Bool(re.is_match(&t)),
                _ => Value::Missing,
            },
        })
    }

    fn arith_error(
        &self,
        what: &str,
        a: &Node,
        b: &Node,
        span: Span,
        env: Env<'_, '_>,
    ) -> EvalError {
        let operand = |n: &Node| -> String {
            match n {
                Node::Const(_) => String::new(),
                _ => self
                    .eval(n, env)
                    .map(|v| self.display_untyped(&v))
                    .unwrap_or_default(),
            }
        };
        let (va, vb) = (operand(a), operand(b));
        let mut message = format!("{what} in `{}`", self.source_text(span));
        let mut values = Vec::new();
        if !va.is_empty() {
            values.push(format!("left = {va}"));
        }
        if !vb.is_empty() {
            values.push(format!("right = {vb}"));
        }
        if !values.is_empty() {
            message.push_str(&format!(" ({})", values.join(", ")));
        }
        EvalError { message, span }
    }

    fn call<'s>(
        &self,
        func: Func,
        args: &'s [Node],
        span: Span,
        env: Env<'s, '_>,
    ) -> Result<Value<'s>, EvalError> {
        // Arguments live on the stack for the functions of up to three.
        let mut inline: [Value<'s>; 3] = [Value::Missing, Value::Missing, Value::Missing];
        if args.len() > inline.len() {
            let mut heap: Vec<Value<'s>> = args
                .iter()
                .map(|a| self.eval(a, env))
                .collect::<Result<_, _>>()?;
            return self.call_on(func, &mut heap, span, env);
        }
        for (slot, a) in inline.iter_mut().zip(args) {
            *slot = self.eval(a, env)?;
        }
        self.call_on(
            func,
            inline.get_mut(..args.len()).unwrap_or_default(),
            span,
            env,
        )
    }

    fn call_on<'s>(
        &self,
        func: Func,
        vals: &mut [Value<'s>],
        span: Span,
        env: Env<'s, '_>,
    ) -> Result<Value<'s>, EvalError> {
        if func == Func::Present {
            return Ok(Value::Bool(vals.first().is_some_and(|v| !v.is_missing())));
        }
        if vals.iter().any(Value::is_missing) {
            return Ok(Value::Missing);
        }
        let num = |i: usize| match vals.get(i) {
            Some(Value::Num(n)) => *n,
            _ => 0.0,
        };
        let text = |i: usize| match vals.get(i) {
            Some(Value::Text(t)) => t.as_ref(),
            _ => "",
        };
        let v = match func {
            Func::Min => Value::Num((0..vals.len()).map(num).fold(f64::INFINITY, f64::min)),
            Func::Max => Value::Num((0..vals.len()).map(num).fold(f64::NEG_INFINITY, f64::max)),
            Func::Abs => Value::Num(num(0).abs()),
            Func::Round => Value::Num(num(0).round()),
            Func::Floor => Value::Num(num(0).floor()),
            Func::Ceil => Value::Num(num(0).ceil()),
            Func::Clamp => {
                let (x, lo, hi) = (num(0), num(1), num(2));
                if lo > hi {
                    return Err(EvalError {
                        message: format!(
                            "`{}`: the lower bound {} is above the upper bound {}",
                            self.source_text(span),
                            format_number(lo),
                            format_number(hi)
                        ),
                        span,
                    });
                }
                Value::Num(x.clamp(lo, hi))
            }
            Func::Lower => match vals
                .first_mut()
                .map(|v| std::mem::replace(v, Value::Missing))
            {
                // Text with no capital letter is its own lower case.
                Some(Value::Text(t)) if !t.chars().any(char::is_uppercase) => Value::Text(t),
                Some(Value::Text(t)) => Value::Text(Cow::Owned(t.to_lowercase())),
                _ => Value::Missing,
            },
            Func::Upper => Value::Text(Cow::Owned(text(0).to_uppercase())),
            Func::Len => Value::Num(text(0).chars().count() as f64),
            Func::Contains => Value::Bool(text(0).contains(text(1))),
            Func::StartsWith => Value::Bool(text(0).starts_with(text(1))),
            Func::EndsWith => Value::Bool(text(0).ends_with(text(1))),
            Func::DaysUntil => match vals.first() {
                Some(Value::Date(d)) => Value::Num(f64::from(*d) - f64::from(env.today)),
                _ => Value::Missing,
            },
            Func::Present => Value::Bool(true),
        };
        Ok(match v {
            // Matches -0 too, which prints as 0.
            Value::Num(0.0) => Value::Num(0.0),
            v => v,
        })
    }

    /// Prints a value whose type is not known (in messages): text quoted.
    pub fn display_untyped(&self, v: &Value<'_>) -> String {
        match v {
            Value::Missing => "missing".into(),
            Value::Num(n) => format_number(*n),
            Value::Bool(b) => b.to_string(),
            Value::Text(t) => format!("{t:?}"),
            Value::Enum(i) => format!("#{i}"),
            Value::Date(d) => format_date(*d),
        }
    }

    /// Prints a value of a known type as a person reads it: enum values by
    /// name, numbers without noise, missing as the empty string.
    pub fn display(&self, ty: Ty, v: &Value<'_>) -> String {
        match (v, ty) {
            (Value::Missing, _) => String::new(),
            (Value::Num(n), _) => format_number(*n),
            (Value::Bool(b), _) => b.to_string(),
            (Value::Text(t), _) => t.to_string(),
            (Value::Enum(i), Ty::Enum(e)) => self.enum_value_name(e, *i).to_string(),
            (Value::Enum(i), _) => i.to_string(),
            (Value::Date(d), _) => format_date(*d),
        }
    }

    /// Renders an interpolated string; a missing value prints as `missing`.
    /// Each value is cut at [`plan::MAX_VALUE_CHARS`] characters and the
    /// text at [`plan::MAX_TEXT_BYTES`] bytes, each cut marked with `…`;
    /// every value is evaluated, so an error past a cut is still an error.
    pub fn interpolate(&self, pieces: &[Piece], env: Env<'_, '_>) -> Result<String, EvalError> {
        let mut out = String::new();
        let mut full = false;
        for p in pieces {
            match p {
                Piece::Text(t) => {
                    if !full {
                        out.push_str(t);
                        full = plan::cut_text(&mut out, 0);
                    }
                }
                Piece::Expr(node, ty) => {
                    let v = self.eval(node, env)?;
                    if !full {
                        full = self.put_value(*ty, &v, &mut out, 0);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Tests a condition: missing counts as false.
    pub fn holds(&self, node: &Node, env: Env<'_, '_>) -> Result<bool, EvalError> {
        Ok(is_true(&self.eval(node, env)?))
    }

    /// A fresh task state with room for this program's values.
    pub fn new_task<'r>(&self) -> Task<'r> {
        Task {
            fields: Vec::with_capacity(self.fields.len()),
            lets: vec![Value::Missing; self.lets.len()],
            scores: vec![0.0; self.scores.len()],
            unclamped: vec![0.0; self.scores.len()],
            label: None,
            label_line: None,
            outputs: vec![Value::Missing; self.outputs.len()],
            fired: vec![false; self.rules.len()],
        }
    }

    /// Evaluates one task whose `fields` are filled: lets, rules, clamping,
    /// label, outputs (SPEC §5 steps 2 to 6). Errors name the declaration.
    pub fn evaluate(&self, task: &mut Task<'_>, today: i32) -> Result<(), TaskError> {
        self.evaluate_traced(task, today, None)
    }

    /// Like [`Program::evaluate`], recording each rule's contributions when
    /// `trace` is given.
    pub fn evaluate_traced(
        &self,
        task: &mut Task<'_>,
        today: i32,
        mut trace: Option<&mut Vec<RuleTrace>>,
    ) -> Result<(), TaskError> {
        if trace.is_none() && self.evaluate_planned(task, today) {
            return Ok(());
        }
        task.lets.resize(self.lets.len(), Value::Missing);
        task.outputs.resize(self.outputs.len(), Value::Missing);
        for &i in &self.let_order {
            let Some(decl) = self.lets.get(i as usize) else {
                continue;
            };
            // A let never reads itself, so its slot can be emptied first.
            let old = task
                .lets
                .get_mut(i as usize)
                .map(|s| std::mem::replace(s, Value::Missing));
            let v = self
                .value_at(Site::Let(i as usize), &decl.node, Env::task(task, today))
                .map_err(|e| TaskError::new(format!("let `{}`", decl.name), e))?;
            let v = reuse(old, v);
            if let Some(slot) = task.lets.get_mut(i as usize) {
                *slot = v;
            }
        }
        // Rules see the running totals in `scores`; clamping comes after.
        task.scores.clear();
        task.scores.extend(self.scores.iter().map(|s| s.start));
        task.fired.clear();
        task.fired.resize(self.rules.len(), false);
        let planned = trace.is_none() && self.run_planned_rules(task, today);
        if !planned {
            // From the start again, on the generic path.
            task.scores.clear();
            task.scores.extend(self.scores.iter().map(|s| s.start));
            task.fired.clear();
            task.fired.resize(self.rules.len(), false);
        }
        let generic = if planned { &[][..] } else { &self.rules[..] };
        for (ri, rule) in generic.iter().enumerate() {
            let fired = match &rule.when {
                Some(w) => self
                    .holds_at(Site::RuleWhen(ri), w, Env::task(task, today))
                    .map_err(|e| TaskError::new(format!("rule \"{}\"", rule.name), e))?,
                None => true,
            };
            if let Some(f) = task.fired.get_mut(ri) {
                *f = fired;
            }
            let tracing = trace.is_some();
            let mut deltas = Vec::new();
            if fired {
                for (ai, action) in rule.actions.iter().enumerate() {
                    let v = self
                        .action_value(ri, ai, &action.node, Env::task(task, today))
                        .map_err(|e| TaskError::new(format!("rule \"{}\"", rule.name), e))?;
                    let Some(n) = v else { continue };
                    let Some(score) = task.scores.get_mut(action.score as usize) else {
                        continue;
                    };
                    let before = *score;
                    *score = match action.op {
                        Assign::Add => before + n,
                        Assign::Sub => before - n,
                        Assign::Set => n,
                    };
                    if !score.is_finite() {
                        return Err(TaskError::new(
                            format!("rule \"{}\"", rule.name),
                            EvalError {
                                message: format!(
                                    "the score `{}` is no longer a finite number",
                                    self.scores
                                        .get(action.score as usize)
                                        .map_or("?", |s| s.name.as_str())
                                ),
                                span: action.span,
                            },
                        ));
                    }
                    if tracing {
                        deltas.push((action.score, *score - before));
                    }
                }
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(RuleTrace {
                    rule: ri,
                    fired,
                    deltas,
                    totals: task.scores.clone(),
                });
            }
        }
        task.unclamped.clone_from(&task.scores);
        for (v, s) in task.scores.iter_mut().zip(&self.scores) {
            *v = v.clamp(s.lo, s.hi);
        }
        task.label = None;
        task.label_line = None;
        for (li, line) in self.labels.iter().enumerate() {
            let matched = match &line.when {
                Some(w) => self
                    .holds_at(Site::LabelWhen(li), w, Env::task(task, today))
                    .map_err(|e| TaskError::new("the label block".into(), e))?,
                None => true,
            };
            if matched {
                task.label = Some(line.value);
                task.label_line = Some(li);
                break;
            }
        }
        for &i in &self.output_order {
            let Some(decl) = self.outputs.get(i as usize) else {
                continue;
            };
            let old = task
                .outputs
                .get_mut(i as usize)
                .map(|s| std::mem::replace(s, Value::Missing));
            let v = self
                .value_at(Site::Output(i as usize), &decl.node, Env::task(task, today))
                .map_err(|e| TaskError::new(format!("output `{}`", decl.name), e))?;
            let v = reuse(old, v);
            if let Some(slot) = task.outputs.get_mut(i as usize) {
                *slot = v;
            }
        }
        Ok(())
    }

    /// Where a `because` text is, for the error of evaluating it.
    fn reason_place(&self, line: &crate::compile::CompiledLabelLine) -> String {
        format!("the `because` of label `{}`", self.label_name(line.value))
    }

    /// The reason for a task's label: the `because` text of the line that
    /// matched, or its condition as written. An error evaluating the
    /// `because` text is the task's error.
    pub fn reason(&self, task: &Task<'_>, today: i32) -> Result<Cow<'_, str>, TaskError> {
        let Some((li, line)) = task
            .label_line
            .and_then(|i| self.labels.get(i).map(|l| (i, l)))
        else {
            return Ok(Cow::Borrowed(""));
        };
        Ok(match (&line.because, &line.when) {
            (Some(pieces), _) => match pieces.as_slice() {
                [Piece::Text(t)] => Cow::Borrowed(t.as_str()),
                _ => {
                    let mut out = String::new();
                    self.interpolate_at(Text::Reason(li), pieces, Env::task(task, today), &mut out)
                        .map_err(|e| TaskError::new(self.reason_place(line), e))?;
                    Cow::Owned(out)
                }
            },
            (None, Some(_)) => Cow::Borrowed(line.text.as_str()),
            (None, None) => Cow::Borrowed("no other label line matched"),
        })
    }

    /// Appends the reason of the task's label to `out`, as
    /// [`Program::reason`] gives it, without allocating when `out` has room.
    /// On an error `out` is left as it was.
    pub fn write_reason(
        &self,
        task: &Task<'_>,
        today: i32,
        out: &mut String,
    ) -> Result<(), TaskError> {
        let Some((li, line)) = task
            .label_line
            .and_then(|i| self.labels.get(i).map(|l| (i, l)))
        else {
            return Ok(());
        };
        match (&line.because, &line.when) {
            (Some(pieces), _) => self
                .interpolate_at(Text::Reason(li), pieces, Env::task(task, today), out)
                .map_err(|e| TaskError::new(self.reason_place(line), e))?,
            (None, Some(_)) => out.push_str(&line.text),
            (None, None) => out.push_str("no other label line matched"),
        }
        Ok(())
    }

    /// The key of a task as text.
    pub fn key_text(&self, task: &Task<'_>) -> String {
        let ty = self
            .fields
            .get(self.key as usize)
            .map_or(Ty::Text, |f| f.ty);
        task.fields
            .get(self.key as usize)
            .map(|v| self.display(ty, v))
            .unwrap_or_default()
    }
}

/// A failure evaluating one task, naming the declaration where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskError {
    /// Such as `rule "skill level"` or `output \`savings\``.
    pub place: String,
    pub error: EvalError,
}

impl TaskError {
    pub fn new(place: String, error: EvalError) -> TaskError {
        TaskError { place, error }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in {}: {}", self.place, self.error.message)
    }
}

/// Orders two values of the same type; `None` when either is missing or
/// they are of different kinds.
pub fn compare(a: &Value<'_>, b: &Value<'_>) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Text(x), Value::Text(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Enum(x), Value::Enum(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        _ => None,
    }
}
