//! Static lints of a checked rule set: label lines and rules that can never
//! apply, names declared and never read, scores no rule changes, and other
//! likely slips. Each lint has a name; a comment `# outsort: allow(NAME)` on
//! the line of a declaration or the line above it silences it there.

use crate::compile::{CmpOp, InSet, Node, Piece, Program};
use crate::diag::Diagnostic;
use crate::syntax::lex;
use crate::value::Value;
use std::collections::HashMap;

/// Every lint: its name and what it finds.
pub const LINTS: &[(&str, &str)] = &[
    (
        "unreachable-label-line",
        "a label line that can never be taken: its condition is always false, or implies an earlier line's",
    ),
    (
        "rule-never-fires",
        "a rule whose condition is always false, such as `hours > 10 and hours < 5`",
    ),
    ("unused-field", "a field no expression reads"),
    ("unused-let", "a `let` no expression reads"),
    ("score-never-changed", "a score no rule changes"),
    (
        "start-outside-range",
        "a score whose start value lies outside its range",
    ),
    ("rule-without-action", "a rule that changes nothing"),
    (
        "enum-value-shadows-name",
        "a bare name read as an enum value while a field or other name has the same name",
    ),
];

/// Runs every lint; the findings are warnings, sorted by position, without
/// those silenced by an allow comment.
pub fn lint(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unreachable_label_lines(program, &mut out);
    rules_never_fire(program, &mut out);
    unused_names(program, &mut out);
    scores(program, &mut out);
    out.extend(program.lints.iter().cloned());
    out.retain(|d| !allowed(program, d));
    crate::diag::sort(&mut out);
    out
}

/// Whether an allow comment silences a finding: on the line of its span's
/// start, or on the line above (a `#` in a string starts no comment).
fn allowed(program: &Program, d: &Diagnostic) -> bool {
    let Some(span) = d.span else { return false };
    let Some(file) = program.sources.get(span.file) else {
        return false;
    };
    let (line, _) = file.line_col(span.start as usize);
    // In a comment, after its `#` or any later one.
    let allows = |text: &str| {
        lex::tokens(text)
            .filter(|t| t.kind == lex::Kind::Comment)
            .flat_map(|t| t.text(text).split('#').skip(1))
            .any(|c| {
                let c = c.trim();
                c.strip_prefix("outsort:")
                    .map(str::trim)
                    .and_then(|r| r.strip_prefix("allow("))
                    .and_then(|r| r.split(')').next())
                    .is_some_and(|list| list.split(',').any(|n| n.trim() == d.code))
            })
    };
    allows(file.line_text(line)) || (line > 1 && allows(file.line_text(line - 1)))
}

fn help_of(code: &str) -> String {
    let what = LINTS
        .iter()
        .find(|(n, _)| *n == code)
        .map_or("", |(_, w)| *w);
    format!("{what}; silence it here with `# outsort: allow({code})`")
}

// ------------------------------------------------------------ conditions

/// A variable a condition constrains: a field, let or score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Var {
    Field(u32),
    Let(u32),
    Score(u32),
}

/// What a conjunction of comparisons allows a variable to be.
#[derive(Debug, Clone, PartialEq)]
enum Allowed {
    /// Numbers (and dates) within bounds; each bound with whether it is included.
    Range {
        lo: f64,
        lo_in: bool,
        hi: f64,
        hi_in: bool,
    },
    /// Enum indexes, bools (0, 1) or exact texts.
    Set(Vec<Value<'static>>),
    /// Everything but these values.
    NotSet(Vec<Value<'static>>),
}

impl Allowed {
    fn everything_range() -> Allowed {
        Allowed::Range {
            lo: f64::NEG_INFINITY,
            lo_in: false,
            hi: f64::INFINITY,
            hi_in: false,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Allowed::Range {
                lo,
                lo_in,
                hi,
                hi_in,
            } => lo > hi || (lo == hi && !(*lo_in && *hi_in)),
            Allowed::Set(v) => v.is_empty(),
            Allowed::NotSet(_) => false,
        }
    }

    /// The intersection, or `None` when the two kinds do not combine.
    fn and(&self, other: &Allowed) -> Option<Allowed> {
        Some(match (self, other) {
            (
                Allowed::Range {
                    lo: a,
                    lo_in: ai,
                    hi: b,
                    hi_in: bi,
                },
                Allowed::Range {
                    lo: c,
                    lo_in: ci,
                    hi: d,
                    hi_in: di,
                },
            ) => {
                let (lo, lo_in) = if a > c || (a == c && !ai) {
                    (*a, *ai)
                } else {
                    (*c, *ci)
                };
                let (hi, hi_in) = if b < d || (b == d && !bi) {
                    (*b, *bi)
                } else {
                    (*d, *di)
                };
                Allowed::Range {
                    lo,
                    lo_in,
                    hi,
                    hi_in,
                }
            }
            (Allowed::Set(a), Allowed::Set(b)) => {
                Allowed::Set(a.iter().filter(|x| b.contains(x)).cloned().collect())
            }
            (Allowed::Set(a), Allowed::NotSet(b)) | (Allowed::NotSet(b), Allowed::Set(a)) => {
                Allowed::Set(a.iter().filter(|x| !b.contains(x)).cloned().collect())
            }
            (Allowed::NotSet(a), Allowed::NotSet(b)) => {
                Allowed::NotSet(a.iter().chain(b).cloned().collect())
            }
            (Allowed::Set(a), Allowed::Range { .. }) | (Allowed::Range { .. }, Allowed::Set(a)) => {
                let range = if matches!(self, Allowed::Range { .. }) {
                    self
                } else {
                    other
                };
                Allowed::Set(a.iter().filter(|v| in_range(range, v)).cloned().collect())
            }
            _ => return None,
        })
    }

    /// Whether everything `self` allows, `other` allows too.
    fn within(&self, other: &Allowed) -> bool {
        match (self, other) {
            (
                Allowed::Range {
                    lo: a,
                    lo_in: ai,
                    hi: b,
                    hi_in: bi,
                },
                Allowed::Range {
                    lo: c,
                    lo_in: ci,
                    hi: d,
                    hi_in: di,
                },
            ) => {
                let lo_ok = a > c || (a == c && (*ci || !ai));
                let hi_ok = b < d || (b == d && (*di || !bi));
                lo_ok && hi_ok
            }
            (Allowed::Set(a), Allowed::Set(b)) => a.iter().all(|x| b.contains(x)),
            (Allowed::Set(a), Allowed::NotSet(b)) => a.iter().all(|x| !b.contains(x)),
            (Allowed::NotSet(a), Allowed::NotSet(b)) => b.iter().all(|x| a.contains(x)),
            (Allowed::Set(a), Allowed::Range { .. }) => a.iter().all(|v| in_range(other, v)),
            _ => false,
        }
    }
}

fn in_range(range: &Allowed, v: &Value<'_>) -> bool {
    let x = match v {
        Value::Num(n) => *n,
        Value::Enum(i) => f64::from(*i),
        Value::Date(d) => f64::from(*d),
        _ => return false,
    };
    match range {
        Allowed::Range {
            lo,
            lo_in,
            hi,
            hi_in,
        } => (x > *lo || (x == *lo && *lo_in)) && (x < *hi || (x == *hi && *hi_in)),
        _ => false,
    }
}

/// A condition as a disjunction of conjunctions of constraints; `None`
/// where it holds something this analysis does not model.
type Dnf = Vec<HashMap<Var, Allowed>>;

fn var_of(node: &Node) -> Option<Var> {
    match node {
        Node::Field(i) => Some(Var::Field(*i)),
        Node::Let(i) => Some(Var::Let(*i)),
        Node::Score(i) => Some(Var::Score(*i)),
        _ => None,
    }
}

fn atom(op: CmpOp, value: &Value<'static>) -> Option<Allowed> {
    let ordered = |x: f64| -> Allowed {
        let inf = f64::INFINITY;
        match op {
            CmpOp::Lt => Allowed::Range {
                lo: -inf,
                lo_in: false,
                hi: x,
                hi_in: false,
            },
            CmpOp::Le => Allowed::Range {
                lo: -inf,
                lo_in: false,
                hi: x,
                hi_in: true,
            },
            CmpOp::Gt => Allowed::Range {
                lo: x,
                lo_in: false,
                hi: inf,
                hi_in: false,
            },
            CmpOp::Ge => Allowed::Range {
                lo: x,
                lo_in: true,
                hi: inf,
                hi_in: false,
            },
            CmpOp::Eq => Allowed::Range {
                lo: x,
                lo_in: true,
                hi: x,
                hi_in: true,
            },
            CmpOp::Ne => Allowed::everything_range(),
        }
    };
    match value {
        Value::Num(x) if op != CmpOp::Ne => Some(ordered(*x)),
        Value::Date(d) if op != CmpOp::Ne => Some(ordered(f64::from(*d))),
        // Enums compare by index: a range over indexes.
        Value::Enum(i) if op != CmpOp::Ne => Some(ordered(f64::from(*i))),
        Value::Enum(_) | Value::Text(_) | Value::Bool(_) => match op {
            CmpOp::Eq => Some(Allowed::Set(vec![value.clone()])),
            CmpOp::Ne => Some(Allowed::NotSet(vec![value.clone()])),
            _ => None,
        },
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// Enum values as a set become a range over indexes when compared with a
/// range, so normalise enum sets to index numbers.
fn normalise(a: Allowed) -> Allowed {
    match a {
        Allowed::Set(v) if v.iter().all(|x| matches!(x, Value::Enum(_))) => Allowed::Set(
            v.into_iter()
                .map(|x| {
                    if let Value::Enum(i) = x {
                        Value::Num(f64::from(i))
                    } else {
                        x
                    }
                })
                .collect(),
        ),
        Allowed::NotSet(v) if v.iter().all(|x| matches!(x, Value::Enum(_))) => Allowed::NotSet(
            v.into_iter()
                .map(|x| {
                    if let Value::Enum(i) = x {
                        Value::Num(f64::from(i))
                    } else {
                        x
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

fn dnf(node: &Node, depth: u32) -> Option<Dnf> {
    if depth > 32 {
        return None;
    }
    match node {
        Node::Const(Value::Bool(true)) => Some(vec![HashMap::new()]),
        Node::Const(Value::Bool(false)) => Some(Vec::new()),
        Node::Field(_) | Node::Let(_) => {
            let v = var_of(node)?;
            Some(vec![HashMap::from([(
                v,
                Allowed::Set(vec![Value::Bool(true)]),
            )])])
        }
        Node::Not(inner, _) => {
            let v = var_of(inner)?;
            Some(vec![HashMap::from([(
                v,
                Allowed::Set(vec![Value::Bool(false)]),
            )])])
        }
        Node::Cmp(op, a, b, _) => {
            let (var, op, value) = match (var_of(a), b.as_const(), var_of(b), a.as_const()) {
                (Some(v), Some(c), _, _) => (v, *op, c),
                (_, _, Some(v), Some(c)) => (v, flip(*op), c),
                _ => return None,
            };
            let allowed = normalise(atom(op, value)?);
            Some(vec![HashMap::from([(var, allowed)])])
        }
        Node::In {
            value,
            set: InSet::Values(members),
            negated,
            ..
        } => {
            let var = var_of(value)?;
            let members = members.clone();
            let allowed = if *negated {
                Allowed::NotSet(members)
            } else {
                Allowed::Set(members)
            };
            Some(vec![HashMap::from([(var, normalise(allowed))])])
        }
        Node::In {
            value,
            set: InSet::Text(members),
            negated,
            ..
        } => {
            let var = var_of(value)?;
            let members: Vec<Value<'static>> = members
                .iter()
                .map(|m| Value::Text(m.to_string().into()))
                .collect();
            Some(vec![HashMap::from([(
                var,
                if *negated {
                    Allowed::NotSet(members)
                } else {
                    Allowed::Set(members)
                },
            )])])
        }
        Node::And(a, b, _) => {
            let (da, db) = (dnf(a, depth + 1)?, dnf(b, depth + 1)?);
            if da.len() * db.len() > 64 {
                return None;
            }
            let mut out = Vec::new();
            for x in &da {
                for y in &db {
                    let mut conj = x.clone();
                    let mut ok = true;
                    for (var, allowed) in y {
                        let merged = match conj.get(var) {
                            Some(existing) => existing.and(allowed),
                            None => Some(allowed.clone()),
                        };
                        match merged {
                            Some(m) => {
                                conj.insert(*var, m);
                            }
                            None => ok = false,
                        }
                    }
                    if !ok {
                        return None;
                    }
                    out.push(conj);
                }
            }
            Some(out)
        }
        Node::Or(a, b, _) => {
            let mut out = dnf(a, depth + 1)?;
            out.extend(dnf(b, depth + 1)?);
            (out.len() <= 64).then_some(out)
        }
        _ => None,
    }
}

/// Drops conjunctions that can never hold.
fn satisfiable(d: &Dnf) -> Vec<&HashMap<Var, Allowed>> {
    d.iter()
        .filter(|c| !c.values().any(Allowed::is_empty))
        .collect()
}

/// Whether every task satisfying `b` satisfies `a`.
fn implies(b: &Dnf, a: &Dnf) -> bool {
    let bs = satisfiable(b);
    !bs.is_empty()
        && bs.iter().all(|bc| {
            a.iter().any(|ac| {
                ac.iter()
                    .all(|(var, allowed)| bc.get(var).is_some_and(|have| have.within(allowed)))
            })
        })
}

/// The most earlier label lines one line is compared with.
const MAX_COMPARED: usize = 256;

/// The variables a conjunction constrains, sorted.
fn vars_of(conj: &HashMap<Var, Allowed>) -> Vec<Var> {
    let mut v: Vec<Var> = conj.keys().copied().collect();
    v.sort_unstable();
    v
}

/// Earlier label lines indexed by the variables of each of their
/// conjunctions: a line can only imply an earlier one some conjunction of
/// which constrains no variable the line's conjunction leaves free.
#[derive(Default)]
struct Earlier {
    lines: Vec<(usize, Dnf)>,
    /// Variable sets, each with the positions in `lines` that have a
    /// conjunction over exactly those variables, in order.
    by_vars: HashMap<Vec<Var>, Vec<usize>>,
}

impl Earlier {
    fn push(&mut self, line: usize, d: Dnf) {
        let at = self.lines.len();
        for conj in &d {
            let list = self.by_vars.entry(vars_of(conj)).or_default();
            if list.last() != Some(&at) {
                list.push(at);
            }
        }
        self.lines.push((line, d));
    }

    /// The first earlier line `d` implies, among the first [`MAX_COMPARED`]
    /// that could be.
    fn implied_by(&self, d: &Dnf) -> Option<usize> {
        let first = satisfiable(d).into_iter().next()?;
        let vars = vars_of(first);
        let mut candidates: Vec<usize> = Vec::new();
        let mut take = |list: &Vec<usize>| {
            candidates.extend(list.iter().take(MAX_COMPARED).copied());
        };
        if vars.len() <= 8 {
            // Every subset of the variables, as a key.
            for mask in 0u32..(1 << vars.len()) {
                let key: Vec<Var> = (0..vars.len())
                    .filter(|b| mask & (1 << b) != 0)
                    .map(|b| vars[b])
                    .collect();
                if let Some(list) = self.by_vars.get(&key) {
                    take(list);
                }
            }
        } else {
            for (key, list) in &self.by_vars {
                if key.iter().all(|v| vars.binary_search(v).is_ok()) {
                    take(list);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .take(MAX_COMPARED)
            .find(|&k| implies(d, &self.lines[k].1))
            .map(|k| self.lines[k].0)
    }
}

/// Label lines that can never be taken, up to the first line without a
/// condition. A line is compared with at most [`MAX_COMPARED`] earlier lines
/// that constrain the same variables or fewer, so a block of tens of
/// thousands of lines is checked in near-linear time; blocks that size are
/// written by programs, and ordinary ones are compared in full.
fn unreachable_label_lines(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut earlier = Earlier::default();
    for (i, line) in program.labels.iter().enumerate() {
        let Some(when) = &line.when else { break };
        let Some(d) = dnf(when, 0) else { continue };
        let code = "unreachable-label-line";
        if satisfiable(&d).is_empty() {
            out.push(
                Diagnostic::warning(code, format!("the label line `{} when {}` can never be taken: its condition is always false", program.label_name(line.value), line.text))
                    .at(line.span)
                    .help(help_of(code)),
            );
        } else if let Some(j) = earlier.implied_by(&d) {
            let prev = &program.labels[j];
            out.push(
                Diagnostic::warning(
                    code,
                    format!(
                        "the label line `{} when {}` can never be taken",
                        program.label_name(line.value),
                        line.text
                    ),
                )
                .at(line.span)
                .label("every task it matches is matched by an earlier line")
                .note(prev.span, "this earlier line takes them first")
                .help(help_of(code)),
            );
        }
        earlier.push(i, d);
    }
}

fn rules_never_fire(program: &Program, out: &mut Vec<Diagnostic>) {
    for rule in &program.rules {
        let code = "rule-never-fires";
        if let Some(when) = &rule.when
            && let Some(d) = dnf(when, 0)
            && satisfiable(&d).is_empty()
        {
            out.push(
                Diagnostic::warning(
                    code,
                    format!(
                        "the rule \"{}\" can never fire: its condition is always false",
                        rule.name
                    ),
                )
                .at(rule.span)
                .help(help_of(code)),
            );
        }
        if rule.actions.is_empty() {
            let code = "rule-without-action";
            out.push(
                Diagnostic::warning(code, format!("the rule \"{}\" has no action", rule.name))
                    .at(rule.span)
                    .help(help_of(code)),
            );
        }
    }
}

/// Calls `f` on every compiled expression of the program.
fn each_node(program: &Program, f: &mut dyn FnMut(&Node)) {
    let pieces = |p: &Option<Vec<Piece>>, f: &mut dyn FnMut(&Node)| {
        for piece in p.iter().flatten() {
            if let Piece::Expr(n, _) = piece {
                f(n);
            }
        }
    };
    for c in program
        .lets
        .iter()
        .chain(&program.outputs)
        .chain(&program.metrics)
    {
        f(&c.node);
    }
    for r in &program.rules {
        if let Some(w) = &r.when {
            f(w);
        }
        for a in &r.actions {
            f(&a.node);
        }
    }
    for l in &program.labels {
        if let Some(w) = &l.when {
            f(w);
        }
        pieces(&l.because, f);
    }
    for a in &program.aggregates {
        if let Some(n) = &a.arg {
            f(n);
        }
        if let Some(n) = &a.filter {
            f(n);
        }
    }
    for p in &program.policies {
        f(&p.when);
        if let Some(u) = &p.unless {
            f(u);
        }
        pieces(&p.message, f);
    }
    for t in &program.tests {
        for e in &t.expects {
            if let crate::compile::CompiledExpect::Cond { node, .. } = e {
                f(node);
            }
        }
    }
}

fn unused_names(program: &Program, out: &mut Vec<Diagnostic>) {
    let mut fields = vec![false; program.fields.len()];
    let mut lets = vec![false; program.lets.len()];
    fn walk(node: &Node, fields: &mut [bool], lets: &mut [bool]) {
        match node {
            Node::Field(i) => {
                if let Some(u) = fields.get_mut(*i as usize) {
                    *u = true;
                }
            }
            Node::Let(i) => {
                if let Some(u) = lets.get_mut(*i as usize) {
                    *u = true;
                }
            }
            _ => {}
        }
        node.children(&mut |c| walk(c, fields, lets));
    }
    each_node(program, &mut |n| walk(n, &mut fields, &mut lets));
    if let Some(k) = fields.get_mut(program.key as usize) {
        *k = true;
    }
    for (f, used) in program.fields.iter().zip(&fields) {
        if !used {
            let code = "unused-field";
            out.push(
                Diagnostic::warning(code, format!("the field `{}` is never read", f.name))
                    .at(f.span)
                    .help(help_of(code)),
            );
        }
    }
    for (l, used) in program.lets.iter().zip(&lets) {
        if !used {
            let code = "unused-let";
            out.push(
                Diagnostic::warning(code, format!("the let `{}` is never read", l.name))
                    .at(l.span)
                    .help(help_of(code)),
            );
        }
    }
}

fn scores(program: &Program, out: &mut Vec<Diagnostic>) {
    for (i, s) in program.scores.iter().enumerate() {
        let changed = program
            .rules
            .iter()
            .any(|r| r.actions.iter().any(|a| a.score as usize == i));
        if !changed {
            let code = "score-never-changed";
            out.push(
                Diagnostic::warning(code, format!("no rule changes the score `{}`", s.name))
                    .at(s.span)
                    .help(help_of(code)),
            );
        }
        if s.start < s.lo || s.start > s.hi {
            let code = "start-outside-range";
            out.push(
                Diagnostic::warning(
                    code,
                    format!(
                        "the score `{}` starts at {}, outside its range {}..{}",
                        s.name,
                        crate::value::format_number(s.start),
                        crate::value::format_number(s.lo),
                        crate::value::format_number(s.hi)
                    ),
                )
                .at(s.span)
                .help(help_of(code)),
            );
        }
    }
}
