//! The typed plan: the fast path of per-task evaluation.
//!
//! [`Program::eval`] is the definition of what an expression means: it walks
//! [`Node`]s, builds [`Value`]s whose text may be owned, and returns errors
//! with messages. Most expressions a rule set evaluates for each task need
//! none of that: they compare numbers and enum values, add constants, test
//! membership in a list. When a program is compiled, each expression a task
//! evaluates (lets, rule conditions and actions, label lines and reasons,
//! outputs, task policies and aggregates) is also translated, where it can
//! be, into a plan of its own type: numbers as `f64` (missing as NaN; values
//! are always finite), conditions as three-valued bytes, enum values as
//! integers, text as `&str` borrowed from the task or the plan. Comparisons
//! with a constant, matches over an enum (a table) and text lists (compared
//! without hashing when short) get nodes of their own.
//!
//! A plan never errs: where [`Program::eval`] may return an error (a division
//! by zero, a result that is not finite, `clamp` with crossed bounds) or would
//! need to allocate (`upper`, `lower` of text with capitals), it marks the
//! evaluation as given up, and the caller evaluates the expression again with
//! [`Program::eval`]. Expressions have no side effects, so the result, error
//! message included, is the generic path's. Everywhere else a plan gives
//! exactly the value [`Program::eval`] gives; `tests/eval.rs` compares the
//! two on every shipped rule set, and on random tasks.

use super::{Env, EvalError, Task};
use crate::compile::*;
use crate::value::{Value, format_date, write_number};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;

/// Three-valued conditions: false, true, missing.
const FALSE: u8 = 0;
const TRUE: u8 = 1;
const UNKNOWN: u8 = 2;
const NO_ENUM: u32 = u32::MAX;
const NO_DATE: i64 = i64::MIN;
/// Text lists up to this size are searched without hashing.
const SMALL_SET: usize = 24;

/// The kinds of values, as far as plans are concerned (enum types are not
/// told apart: the checker already did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Num,
    Bool,
    Text,
    Enum,
    Date,
}

fn kind_of(ty: Ty) -> Option<Kind> {
    match ty {
        Ty::Number => Some(Kind::Num),
        Ty::Bool => Some(Kind::Bool),
        Ty::Text => Some(Kind::Text),
        Ty::Date => Some(Kind::Date),
        Ty::Enum(_) => Some(Kind::Enum),
        Ty::Error => None,
    }
}

/// Comparison operators as masks of the orderings they accept: bit 0 less,
/// bit 1 equal, bit 2 greater.
fn mask(op: CmpOp) -> u8 {
    match op {
        CmpOp::Lt => 0b001,
        CmpOp::Le => 0b011,
        CmpOp::Eq => 0b010,
        CmpOp::Ne => 0b101,
        CmpOp::Gt => 0b100,
        CmpOp::Ge => 0b110,
    }
}

fn accepts<T: PartialOrd>(mask: u8, x: T, y: T) -> u8 {
    let at = u8::from(x > y) * 2 + u8::from(x == y);
    (mask >> at) & 1
}

/// A number as the generic path returns it: `-0` is `0`.
fn norm(n: f64) -> f64 {
    if n == 0.0 { 0.0 } else { n }
}

/// The state of one evaluation: the task, and whether the plan gave up.
pub(crate) struct Cx<'s, 'r> {
    fields: &'s [Value<'r>],
    lets: &'s [Value<'r>],
    outputs: &'s [Value<'r>],
    scores: Scores<'s>,
    label: Option<u16>,
    today: i32,
    slow: Cell<bool>,
}

/// The running scores: read only, or updated by the rules as they run.
#[derive(Clone, Copy)]
enum Scores<'s> {
    Fixed(&'s [f64]),
    Running(&'s [Cell<f64>]),
}

impl<'s, 'r> Cx<'s, 'r> {
    fn new(task: &'s Task<'r>, today: i32) -> Self {
        Cx {
            fields: &task.fields,
            lets: &task.lets,
            outputs: &task.outputs,
            scores: Scores::Fixed(&task.scores),
            label: task.label,
            today,
            slow: Cell::new(false),
        }
    }

    fn give_up(&self) {
        self.slow.set(true);
    }

    fn field(&self, i: u32) -> Option<&'s Value<'r>> {
        self.fields.get(i as usize)
    }
    fn let_(&self, i: u32) -> Option<&'s Value<'r>> {
        self.lets.get(i as usize)
    }
    fn output(&self, i: u32) -> Option<&'s Value<'r>> {
        self.outputs.get(i as usize)
    }
    fn score(&self, i: u32) -> f64 {
        match self.scores {
            Scores::Fixed(s) => s.get(i as usize).copied(),
            Scores::Running(s) => s.get(i as usize).map(Cell::get),
        }
        .unwrap_or(f64::NAN)
    }
}

/// Where a plan leaf reads a value of the task.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Field(u32),
    Let(u32),
    Output(u32),
}

impl Slot {
    fn of(node: &Node) -> Option<Slot> {
        match node {
            Node::Field(i) => Some(Slot::Field(*i)),
            Node::Let(i) => Some(Slot::Let(*i)),
            Node::Output(i) => Some(Slot::Output(*i)),
            _ => None,
        }
    }

    fn get<'s>(self, cx: &Cx<'s, '_>) -> Option<&'s Value<'s>> {
        match self {
            Slot::Field(i) => cx.field(i),
            Slot::Let(i) => cx.let_(i),
            Slot::Output(i) => cx.output(i),
        }
    }
}

/// A plan of any kind.
#[derive(Debug, Clone)]
enum Expr {
    Num(N),
    Bool(B),
    Text(T),
    Enum(E),
    Date(D),
}

/// A `match` over an enum value: the arm of each value, by table.
#[derive(Debug, Clone)]
struct Switch<X> {
    scrutinee: E,
    /// For each enum value, the index of its arm in `arms`, or `None`.
    arm_of: Vec<Option<u32>>,
    arms: Vec<X>,
    default: Option<X>,
}

impl<X> Switch<X> {
    /// The plan of the arm taken, `None` when none is (a missing value).
    fn pick(&self, cx: &Cx<'_, '_>) -> Option<&X> {
        let v = self.scrutinee.eval(cx);
        if v == NO_ENUM {
            return None;
        }
        match self.arm_of.get(v as usize).copied().flatten() {
            Some(a) => self.arms.get(a as usize),
            None => self.default.as_ref(),
        }
    }
}

/// Number plans; NaN is a missing value.
#[derive(Debug, Clone)]
enum N {
    Const(f64),
    Slot(Slot),
    Score(u32),
    Neg(Box<N>),
    Arith(ArithOp, Box<N>, Box<N>),
    /// `x op c`, with `c` a constant.
    ArithConst(ArithOp, Box<N>, f64),
    Round(Box<N>),
    Floor(Box<N>),
    Ceil(Box<N>),
    Abs(Box<N>),
    Min(Vec<N>),
    Max(Vec<N>),
    Clamp(Box<[N; 3]>),
    Len(Box<T>),
    DaysUntil(Box<D>),
    If(Box<B>, Box<N>, Box<N>),
    Coalesce(Box<N>, Box<N>),
    Match(Box<Switch<N>>),
}

/// Condition plans, three-valued: [`FALSE`], [`TRUE`], [`UNKNOWN`].
#[derive(Debug, Clone)]
enum B {
    Const(u8),
    Slot(Slot),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    CmpNum(u8, Box<N>, Box<N>),
    CmpNumConst(u8, Box<N>, f64),
    CmpEnum(u8, Box<E>, Box<E>),
    CmpEnumConst(u8, Box<E>, u32),
    CmpText(u8, Box<T>, Box<T>),
    CmpBool(u8, Box<B>, Box<B>),
    CmpDate(u8, Box<D>, Box<D>),
    InText {
        value: Box<T>,
        /// `lower(value) in [...]`.
        lower: bool,
        members: Box<TextSet>,
        negated: bool,
    },
    InNum(Box<N>, Vec<f64>, bool),
    /// Membership by table, indexed by enum value.
    InEnum(Box<E>, Vec<bool>, bool),
    Matches(Box<T>, Box<regex::Regex>),
    Contains(Box<T>, Box<T>),
    StartsWith(Box<T>, Box<T>),
    EndsWith(Box<T>, Box<T>),
    Present(Box<Expr>),
    If(Box<B>, Box<B>, Box<B>),
    Coalesce(Box<B>, Box<B>),
    Match(Box<Switch<B>>),
}

/// Text plans; `None` is a missing value.
#[derive(Debug, Clone)]
enum T {
    Const(Box<str>),
    Slot(Slot),
    Lower(Box<T>),
    If(Box<B>, Box<T>, Box<T>),
    Coalesce(Box<T>, Box<T>),
    Match(Box<Switch<T>>),
}

/// Enum plans; [`NO_ENUM`] is a missing value.
#[derive(Debug, Clone)]
enum E {
    Const(u32),
    Slot(Slot),
    Label,
    If(Box<B>, Box<E>, Box<E>),
    Coalesce(Box<E>, Box<E>),
    Match(Box<Switch<E>>),
}

/// Date plans, in days since 1970-01-01; [`NO_DATE`] is a missing value.
#[derive(Debug, Clone)]
enum D {
    Const(i32),
    Slot(Slot),
    If(Box<B>, Box<D>, Box<D>),
    Coalesce(Box<D>, Box<D>),
    Match(Box<Switch<D>>),
}

/// The members of a text list.
#[derive(Debug, Clone)]
enum TextSet {
    /// Sorted, with whether each member is ASCII without capitals: the only
    /// members the lower case of an ASCII text can equal.
    Small(Vec<(Box<str>, bool)>),
    Large(HashSet<Box<str>>),
}

impl TextSet {
    fn new(members: &HashSet<Box<str>>) -> TextSet {
        if members.len() <= SMALL_SET {
            let mut v: Vec<Box<str>> = members.iter().cloned().collect();
            v.sort();
            let v = v
                .into_iter()
                .map(|m| {
                    let folded = m.is_ascii() && !m.bytes().any(|b| b.is_ascii_uppercase());
                    (m, folded)
                })
                .collect();
            TextSet::Small(v)
        } else {
            TextSet::Large(members.clone())
        }
    }

    fn contains(&self, t: &str) -> bool {
        match self {
            TextSet::Small(v) => v.iter().any(|(m, _)| m.len() == t.len() && m.as_ref() == t),
            TextSet::Large(s) => s.contains(t),
        }
    }

    /// Whether `lower(t)` is a member.
    fn contains_lower(&self, t: &str) -> bool {
        if !t.is_ascii() {
            return self.contains(&t.to_lowercase());
        }
        match self {
            // The lower case of ASCII text is the same length, and equals a
            // member without capitals exactly when the two agree ignoring
            // ASCII case.
            TextSet::Small(v) => v.iter().any(|(m, folded)| {
                *folded && m.len() == t.len() && m.as_bytes().eq_ignore_ascii_case(t.as_bytes())
            }),
            TextSet::Large(s) => {
                let mut buf = [0u8; 64];
                match buf.get_mut(..t.len()) {
                    Some(dst) => {
                        dst.copy_from_slice(t.as_bytes());
                        dst.make_ascii_lowercase();
                        std::str::from_utf8(dst).is_ok_and(|l| s.contains(l))
                    }
                    None => s.contains(t.to_ascii_lowercase().as_str()),
                }
            }
        }
    }
}

impl N {
    /// Leaves are evaluated where they are read, without a call.
    #[inline(always)]
    fn eval(&self, cx: &Cx<'_, '_>) -> f64 {
        match self {
            N::Const(n) => *n,
            N::Slot(s) => match s.get(cx) {
                Some(Value::Num(n)) => *n,
                _ => f64::NAN,
            },
            N::Score(i) => cx.score(*i),
            _ => self.eval_node(cx),
        }
    }

    #[inline(never)]
    fn eval_node(&self, cx: &Cx<'_, '_>) -> f64 {
        match self {
            N::Const(_) | N::Slot(_) | N::Score(_) => self.eval(cx),
            N::Neg(a) => norm(-a.eval(cx)),
            N::Arith(op, a, b) => arith(cx, *op, a.eval(cx), b.eval(cx)),
            N::ArithConst(op, a, c) => arith(cx, *op, a.eval(cx), *c),
            N::Round(a) => norm(a.eval(cx).round()),
            N::Floor(a) => norm(a.eval(cx).floor()),
            N::Ceil(a) => norm(a.eval(cx).ceil()),
            N::Abs(a) => norm(a.eval(cx).abs()),
            N::Min(args) | N::Max(args) => {
                let is_min = matches!(self, N::Min(_));
                let mut acc = if is_min {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                };
                let mut missing = false;
                for a in args {
                    let x = a.eval(cx);
                    missing |= x.is_nan();
                    acc = if is_min { acc.min(x) } else { acc.max(x) };
                }
                if missing { f64::NAN } else { norm(acc) }
            }
            N::Clamp(args) => {
                let [x, lo, hi] = args.as_ref();
                let (x, lo, hi) = (x.eval(cx), lo.eval(cx), hi.eval(cx));
                if x.is_nan() || lo.is_nan() || hi.is_nan() {
                    f64::NAN
                } else if lo > hi {
                    cx.give_up();
                    f64::NAN
                } else {
                    norm(x.clamp(lo, hi))
                }
            }
            N::Len(t) => t
                .eval(cx)
                .map_or(f64::NAN, |t| norm(t.chars().count() as f64)),
            N::DaysUntil(d) => match d.eval(cx) {
                NO_DATE => f64::NAN,
                d => norm(d as f64 - f64::from(cx.today)),
            },
            N::If(c, a, b) => {
                if c.eval(cx) == TRUE {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
            N::Coalesce(a, b) => {
                let x = a.eval(cx);
                if x.is_nan() { b.eval(cx) } else { x }
            }
            N::Match(s) => s.pick(cx).map_or(f64::NAN, |a| a.eval(cx)),
        }
    }
}

fn arith(cx: &Cx<'_, '_>, op: ArithOp, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div if y == 0.0 => {
            cx.give_up();
            return f64::NAN;
        }
        ArithOp::Div => x / y,
    };
    if r.is_finite() {
        norm(r)
    } else {
        cx.give_up();
        f64::NAN
    }
}

impl B {
    /// Leaves, and comparisons of a leaf with a constant, are evaluated
    /// where they are read, without a call.
    #[inline(always)]
    fn eval(&self, cx: &Cx<'_, '_>) -> u8 {
        match self {
            B::Const(b) => *b,
            B::Slot(s) => match s.get(cx) {
                Some(Value::Bool(b)) => u8::from(*b),
                _ => UNKNOWN,
            },
            B::CmpNumConst(m, a, c) => {
                let x = a.eval(cx);
                if x.is_nan() {
                    UNKNOWN
                } else {
                    accepts(*m, x, *c)
                }
            }
            B::CmpEnumConst(m, a, c) => match a.eval(cx) {
                NO_ENUM => UNKNOWN,
                x => accepts(*m, x, *c),
            },
            _ => self.eval_node(cx),
        }
    }

    #[inline(never)]
    fn eval_node(&self, cx: &Cx<'_, '_>) -> u8 {
        match self {
            B::Const(_) | B::Slot(_) | B::CmpNumConst(..) | B::CmpEnumConst(..) => self.eval(cx),
            B::Not(a) => match a.eval(cx) {
                FALSE => TRUE,
                TRUE => FALSE,
                _ => UNKNOWN,
            },
            B::And(a, b) => match a.eval(cx) {
                FALSE => FALSE,
                x => match b.eval(cx) {
                    FALSE => FALSE,
                    TRUE if x == TRUE => TRUE,
                    _ => UNKNOWN,
                },
            },
            B::Or(a, b) => match a.eval(cx) {
                TRUE => TRUE,
                x => match b.eval(cx) {
                    TRUE => TRUE,
                    FALSE if x == FALSE => FALSE,
                    _ => UNKNOWN,
                },
            },
            B::CmpNum(m, a, b) => {
                let (x, y) = (a.eval(cx), b.eval(cx));
                if x.is_nan() || y.is_nan() {
                    UNKNOWN
                } else {
                    accepts(*m, x, y)
                }
            }
            B::CmpEnum(m, a, b) => match (a.eval(cx), b.eval(cx)) {
                (NO_ENUM, _) | (_, NO_ENUM) => UNKNOWN,
                (x, y) => accepts(*m, x, y),
            },
            B::CmpText(m, a, b) => match (a.eval(cx), b.eval(cx)) {
                (Some(x), Some(y)) => accepts(*m, x, y),
                _ => UNKNOWN,
            },
            B::CmpBool(m, a, b) => match (a.eval(cx), b.eval(cx)) {
                (UNKNOWN, _) | (_, UNKNOWN) => UNKNOWN,
                (x, y) => accepts(*m, x, y),
            },
            B::CmpDate(m, a, b) => match (a.eval(cx), b.eval(cx)) {
                (NO_DATE, _) | (_, NO_DATE) => UNKNOWN,
                (x, y) => accepts(*m, x, y),
            },
            B::InText {
                value,
                lower,
                members,
                negated,
            } => {
                let Some(t) = value.eval(cx) else {
                    return UNKNOWN;
                };
                let found = if *lower {
                    members.contains_lower(t)
                } else {
                    members.contains(t)
                };
                u8::from(found != *negated)
            }
            B::InNum(a, members, negated) => {
                let x = a.eval(cx);
                if x.is_nan() {
                    UNKNOWN
                } else {
                    u8::from(members.contains(&x) != *negated)
                }
            }
            B::InEnum(a, table, negated) => match a.eval(cx) {
                NO_ENUM => UNKNOWN,
                x => u8::from(table.get(x as usize).copied().unwrap_or(false) != *negated),
            },
            B::Matches(a, re) => a.eval(cx).map_or(UNKNOWN, |t| u8::from(re.is_match(t))),
            B::Contains(a, b) | B::StartsWith(a, b) | B::EndsWith(a, b) => {
                match (a.eval(cx), b.eval(cx)) {
                    (Some(x), Some(y)) => u8::from(match self {
                        B::Contains(..) => x.contains(y),
                        B::StartsWith(..) => x.starts_with(y),
                        _ => x.ends_with(y),
                    }),
                    _ => UNKNOWN,
                }
            }
            B::Present(e) => u8::from(!e.is_missing(cx)),
            B::If(c, a, b) => {
                if c.eval(cx) == TRUE {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
            B::Coalesce(a, b) => match a.eval(cx) {
                UNKNOWN => b.eval(cx),
                x => x,
            },
            B::Match(s) => s.pick(cx).map_or(UNKNOWN, |a| a.eval(cx)),
        }
    }
}

impl T {
    #[inline(always)]
    fn eval<'s>(&'s self, cx: &Cx<'s, '_>) -> Option<&'s str> {
        match self {
            T::Const(t) => Some(t),
            T::Slot(s) => match s.get(cx) {
                Some(Value::Text(t)) => Some(t.as_ref()),
                _ => None,
            },
            _ => self.eval_node(cx),
        }
    }

    #[inline(never)]
    fn eval_node<'s>(&'s self, cx: &Cx<'s, '_>) -> Option<&'s str> {
        match self {
            T::Const(_) | T::Slot(_) => self.eval(cx),
            T::Lower(a) => {
                let t = a.eval(cx)?;
                if t.chars().any(char::is_uppercase) {
                    cx.give_up();
                    None
                } else {
                    Some(t)
                }
            }
            T::If(c, a, b) => {
                if c.eval(cx) == TRUE {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
            T::Coalesce(a, b) => a.eval(cx).or_else(|| b.eval(cx)),
            T::Match(s) => s.pick(cx)?.eval(cx),
        }
    }
}

impl E {
    #[inline(always)]
    fn eval(&self, cx: &Cx<'_, '_>) -> u32 {
        match self {
            E::Const(v) => *v,
            E::Slot(s) => match s.get(cx) {
                Some(Value::Enum(v)) => u32::from(*v),
                _ => NO_ENUM,
            },
            E::Label => cx.label.map_or(NO_ENUM, u32::from),
            _ => self.eval_node(cx),
        }
    }

    #[inline(never)]
    fn eval_node(&self, cx: &Cx<'_, '_>) -> u32 {
        match self {
            E::Const(_) | E::Slot(_) | E::Label => self.eval(cx),
            E::If(c, a, b) => {
                if c.eval(cx) == TRUE {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
            E::Coalesce(a, b) => match a.eval(cx) {
                NO_ENUM => b.eval(cx),
                x => x,
            },
            E::Match(s) => s.pick(cx).map_or(NO_ENUM, |a| a.eval(cx)),
        }
    }
}

impl D {
    fn eval(&self, cx: &Cx<'_, '_>) -> i64 {
        match self {
            D::Const(d) => i64::from(*d),
            D::Slot(s) => match s.get(cx) {
                Some(Value::Date(d)) => i64::from(*d),
                _ => NO_DATE,
            },
            D::If(c, a, b) => {
                if c.eval(cx) == TRUE {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
            D::Coalesce(a, b) => match a.eval(cx) {
                NO_DATE => b.eval(cx),
                x => x,
            },
            D::Match(s) => s.pick(cx).map_or(NO_DATE, |a| a.eval(cx)),
        }
    }
}

impl Expr {
    /// The value as a let or output keeps it: owned, text written into the
    /// buffer of `old`, the slot's previous value.
    fn store(&self, cx: &Cx<'_, '_>, old: Value<'static>) -> Value<'static> {
        match self {
            Expr::Text(t) => match t.eval(cx) {
                Some(text) => {
                    let mut buf = match old {
                        Value::Text(Cow::Owned(buf)) => buf,
                        _ => String::new(),
                    };
                    buf.clear();
                    buf.push_str(text);
                    Value::Text(Cow::Owned(buf))
                }
                None => Value::Missing,
            },
            _ => self.value(cx).into_owned(),
        }
    }

    fn is_missing(&self, cx: &Cx<'_, '_>) -> bool {
        match self {
            Expr::Num(n) => n.eval(cx).is_nan(),
            Expr::Bool(b) => b.eval(cx) == UNKNOWN,
            Expr::Text(t) => t.eval(cx).is_none(),
            Expr::Enum(e) => e.eval(cx) == NO_ENUM,
            Expr::Date(d) => d.eval(cx) == NO_DATE,
        }
    }

    fn value<'s>(&'s self, cx: &Cx<'s, '_>) -> Value<'s> {
        match self {
            Expr::Num(n) => match n.eval(cx) {
                x if x.is_nan() => Value::Missing,
                x => Value::Num(x),
            },
            Expr::Bool(b) => match b.eval(cx) {
                UNKNOWN => Value::Missing,
                x => Value::Bool(x == TRUE),
            },
            Expr::Text(t) => t
                .eval(cx)
                .map_or(Value::Missing, |t| Value::Text(Cow::Borrowed(t))),
            Expr::Enum(e) => match u16::try_from(e.eval(cx)) {
                Ok(v) => Value::Enum(v),
                Err(_) => Value::Missing,
            },
            Expr::Date(d) => match i32::try_from(d.eval(cx)) {
                Ok(v) => Value::Date(v),
                Err(_) => Value::Missing,
            },
        }
    }
}

/// Evaluates the lets or the outputs (`slots` picks which) in `order` on
/// their plans, each into its own slot; `false` when one has no plan or its
/// plan gives up.
fn store_planned<'r>(
    task: &mut Task<'r>,
    today: i32,
    order: &[u32],
    plans: &[Option<Expr>],
    slots: for<'t> fn(&'t mut Task<'r>) -> &'t mut Vec<Value<'static>>,
) -> bool {
    for &i in order {
        let (Some(Some(plan)), Some(slot)) =
            (plans.get(i as usize), slots(task).get_mut(i as usize))
        else {
            return false;
        };
        // A let or output never reads itself, so its slot can be emptied
        // first.
        let old = std::mem::replace(slot, Value::Missing);
        let cx = Cx::new(task, today);
        let v = plan.store(&cx, old);
        if cx.slow.get() {
            return false;
        }
        if let Some(slot) = slots(task).get_mut(i as usize) {
            *slot = v;
        }
    }
    true
}

/// The plans of the expressions of one interpolated string, in order (`None`
/// for an expression without a plan).
type Pieces = Vec<Option<Expr>>;

/// The plans of a program's per-task expressions, parallel to its
/// declarations; `None` where an expression has no plan.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    lets: Vec<Option<Expr>>,
    rule_when: Vec<Option<B>>,
    actions: Vec<Vec<Option<N>>>,
    label_when: Vec<Option<B>>,
    reasons: Vec<Pieces>,
    outputs: Vec<Option<Expr>>,
    policy_when: Vec<Option<B>>,
    policy_unless: Vec<Option<B>>,
    messages: Vec<Pieces>,
    agg_filter: Vec<Option<B>>,
    agg_arg: Vec<Option<Expr>>,
    /// Every rule's condition and actions, when all have plans; empty
    /// otherwise (or without rules).
    rules: Vec<RulePlan>,
    /// Every rule's condition and actions have plans.
    rules_planned: bool,
    /// Every let, rule, label condition and output has a plan: a task can be
    /// evaluated on plans alone ([`Program::evaluate_planned`]).
    task_planned: bool,
    /// Expressions with a plan, of all the per-task expressions.
    planned: usize,
    expressions: usize,
}

impl Plan {
    /// Plans every per-task expression of `program`.
    pub fn build(program: &Program) -> Plan {
        let p = Planner { program };
        let counts = Cell::new((0, 0));
        let count = |planned: bool| {
            let (p, t) = counts.get();
            counts.set((p + usize::from(planned), t + 1));
        };
        let any = |n: &Node| {
            let plan = p.any(n);
            count(plan.is_some());
            plan
        };
        let cond = |n: &Node| {
            let plan = p.bool(n);
            count(plan.is_some());
            plan
        };
        let num = |n: &Node| {
            let plan = p.num(n);
            count(plan.is_some());
            plan
        };
        let opt_b = |n: &Option<Node>| n.as_ref().and_then(cond);
        let pieces = |ps: &Option<Vec<Piece>>| -> Pieces {
            ps.iter()
                .flatten()
                .filter_map(|piece| match piece {
                    Piece::Text(_) => None,
                    Piece::Expr(n, _) => Some(any(n)),
                })
                .collect()
        };
        let mut plan = Plan {
            lets: program.lets.iter().map(|c| any(&c.node)).collect(),
            rule_when: program.rules.iter().map(|r| opt_b(&r.when)).collect(),
            actions: program
                .rules
                .iter()
                .map(|r| r.actions.iter().map(|a| num(&a.node)).collect())
                .collect(),
            label_when: program.labels.iter().map(|l| opt_b(&l.when)).collect(),
            reasons: program.labels.iter().map(|l| pieces(&l.because)).collect(),
            outputs: program.outputs.iter().map(|c| any(&c.node)).collect(),
            policy_when: program.policies.iter().map(|x| cond(&x.when)).collect(),
            policy_unless: program.policies.iter().map(|x| opt_b(&x.unless)).collect(),
            messages: program
                .policies
                .iter()
                .map(|x| pieces(&x.message))
                .collect(),
            agg_filter: program
                .aggregates
                .iter()
                .map(|a| opt_b(&a.filter))
                .collect(),
            agg_arg: program
                .aggregates
                .iter()
                .map(|a| a.arg.as_ref().and_then(any))
                .collect(),
            rules: Vec::new(),
            rules_planned: false,
            task_planned: false,
            planned: 0,
            expressions: 0,
        };
        plan.rules_planned = program.rules.iter().enumerate().all(|(ri, rule)| {
            let when = rule.when.is_none() || plan.rule_when.get(ri).is_some_and(Option::is_some);
            let actions = plan
                .actions
                .get(ri)
                .is_some_and(|a| a.len() == rule.actions.len() && a.iter().all(Option::is_some));
            when && actions
        });
        plan.task_planned = plan.rules_planned
            && plan.lets.iter().all(Option::is_some)
            && plan.outputs.iter().all(Option::is_some)
            && program
                .labels
                .iter()
                .zip(&plan.label_when)
                .all(|(line, when)| line.when.is_none() || when.is_some());
        if plan.rules_planned {
            plan.rules = program
                .rules
                .iter()
                .zip(plan.rule_when.iter().zip(&plan.actions))
                .map(|(rule, (when, actions))| RulePlan {
                    when: when.clone().unwrap_or(B::Const(TRUE)),
                    actions: rule
                        .actions
                        .iter()
                        .zip(actions)
                        .filter_map(|(a, n)| Some((a.score, a.op, n.clone()?)))
                        .collect(),
                })
                .collect();
        }
        (plan.planned, plan.expressions) = counts.get();
        plan
    }
}

impl Plan {
    /// How many per-task expressions have a plan, and how many there are.
    pub fn coverage(&self) -> (usize, usize) {
        (self.planned, self.expressions)
    }

    /// Whether a task is evaluated on plans alone: every let, rule, label
    /// condition and output has a plan.
    pub fn whole(&self) -> bool {
        self.task_planned
    }
}

/// A rule whose condition and actions all have plans.
#[derive(Debug, Clone)]
struct RulePlan {
    when: B,
    /// Each action's score, operator and value.
    actions: Box<[(u32, Assign, N)]>,
}

/// Which plan of a program an expression has.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Site {
    Let(usize),
    Output(usize),
    RuleWhen(usize),
    LabelWhen(usize),
    PolicyWhen(usize),
    PolicyUnless(usize),
    AggFilter(usize),
    AggArg(usize),
}

impl Plan {
    fn expr(&self, site: Site) -> Option<&Expr> {
        match site {
            Site::Let(i) => self.lets.get(i)?.as_ref(),
            Site::Output(i) => self.outputs.get(i)?.as_ref(),
            Site::AggArg(i) => self.agg_arg.get(i)?.as_ref(),
            _ => None,
        }
    }

    fn cond(&self, site: Site) -> Option<&B> {
        match site {
            Site::RuleWhen(i) => self.rule_when.get(i)?.as_ref(),
            Site::LabelWhen(i) => self.label_when.get(i)?.as_ref(),
            Site::PolicyWhen(i) => self.policy_when.get(i)?.as_ref(),
            Site::PolicyUnless(i) => self.policy_unless.get(i)?.as_ref(),
            Site::AggFilter(i) => self.agg_filter.get(i)?.as_ref(),
            _ => None,
        }
    }

    fn action(&self, rule: usize, action: usize) -> Option<&N> {
        self.actions.get(rule)?.get(action)?.as_ref()
    }
}

/// The most characters one interpolated value contributes to a text; a
/// longer value is cut there and ends with `…`.
pub const MAX_VALUE_CHARS: usize = 200;

/// The most bytes of one interpolated text (a reason or a message), its
/// closing `…` included when it is cut.
pub const MAX_TEXT_BYTES: usize = 4096;

/// Cuts the text that started at `start` in `out` to [`MAX_TEXT_BYTES`], on
/// a character boundary, ending it with `…`; `true` when it was cut.
pub(crate) fn cut_text(out: &mut String, start: usize) -> bool {
    if out.len() - start <= MAX_TEXT_BYTES {
        return false;
    }
    let mut end = start + MAX_TEXT_BYTES - '…'.len_utf8();
    while !out.is_char_boundary(end) {
        end -= 1;
    }
    out.truncate(end);
    out.push('…');
    true
}

/// Which interpolated string of a program.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Text {
    Reason(usize),
    Message(usize),
}

impl Program {
    /// Runs every rule on the plans, as the generic loop of
    /// [`Program::evaluate_traced`] does: sets `task.fired` and moves the
    /// running scores in `task.scores`, which hold the scores' start values.
    /// `false` when a rule has no plan, a plan gives up or a score stops
    /// being finite: the caller then starts the rules again on the generic
    /// path, which reports errors.
    pub(crate) fn run_planned_rules(&self, task: &mut Task<'_>, today: i32) -> bool {
        if !self.plan.rules_planned {
            return false;
        }
        let Task {
            fields,
            lets,
            outputs,
            scores,
            fired,
            label,
            ..
        } = task;
        let running = Cell::from_mut(scores.as_mut_slice()).as_slice_of_cells();
        let cx = Cx {
            fields,
            lets,
            outputs,
            scores: Scores::Running(running),
            label: *label,
            today,
            slow: Cell::new(false),
        };
        for (rule, f) in self.plan.rules.iter().zip(fired.iter_mut()) {
            let on = rule.when.eval(&cx) == TRUE;
            *f = on;
            if !on {
                continue;
            }
            for (score, op, n) in &rule.actions {
                let v = n.eval(&cx);
                // A missing value moves nothing, as on the generic path.
                if v.is_nan() {
                    continue;
                }
                let Some(score) = running.get(*score as usize) else {
                    continue;
                };
                let before = score.get();
                let after = match op {
                    Assign::Add => before + v,
                    Assign::Sub => before - v,
                    Assign::Set => v,
                };
                if !after.is_finite() {
                    return false;
                }
                score.set(after);
            }
            if cx.slow.get() {
                return false;
            }
        }
        !cx.slow.get()
    }

    /// Evaluates a task on plans alone, as [`Program::evaluate_traced`] does
    /// without a trace: lets, rules, clamping, the label and outputs. `false`
    /// when the program is not wholly planned or a plan gives up; the caller
    /// then evaluates the task again on the generic path, which sets every
    /// part of it anew.
    pub(crate) fn evaluate_planned(&self, task: &mut Task<'_>, today: i32) -> bool {
        if !self.plan.task_planned {
            return false;
        }
        task.lets.resize(self.lets.len(), Value::Missing);
        task.outputs.resize(self.outputs.len(), Value::Missing);
        if !store_planned(task, today, &self.let_order, &self.plan.lets, |t| {
            &mut t.lets
        }) {
            return false;
        }
        task.scores.clear();
        task.scores.extend(self.scores.iter().map(|s| s.start));
        task.fired.clear();
        task.fired.resize(self.rules.len(), false);
        if !self.run_planned_rules(task, today) {
            return false;
        }
        task.unclamped.clone_from(&task.scores);
        for (v, s) in task.scores.iter_mut().zip(&self.scores) {
            *v = v.clamp(s.lo, s.hi);
        }
        task.label = None;
        task.label_line = None;
        let mut matched = None;
        {
            let cx = Cx::new(task, today);
            for (li, (line, when)) in self.labels.iter().zip(&self.plan.label_when).enumerate() {
                let holds = match when {
                    Some(w) => w.eval(&cx) == TRUE,
                    None => line.when.is_none(),
                };
                if holds {
                    matched = Some((li, line.value));
                    break;
                }
            }
            if cx.slow.get() {
                return false;
            }
        }
        if let Some((li, value)) = matched {
            task.label = Some(value);
            task.label_line = Some(li);
        }
        store_planned(task, today, &self.output_order, &self.plan.outputs, |t| {
            &mut t.outputs
        })
    }

    /// The value of the expression at `site`: its plan, or [`Program::eval`]
    /// where it has none or gives up.
    pub(crate) fn value_at<'s>(
        &'s self,
        site: Site,
        node: &'s Node,
        env: Env<'s, '_>,
    ) -> Result<Value<'s>, EvalError> {
        if let (Some(task), Some(plan)) = (env.task, self.plan.expr(site)) {
            let cx = Cx::new(task, env.today);
            let v = plan.value(&cx);
            if !cx.slow.get() {
                return Ok(v);
            }
        }
        self.eval(node, env)
    }

    /// Whether the condition at `site` holds (missing counts as false).
    pub(crate) fn holds_at(
        &self,
        site: Site,
        node: &Node,
        env: Env<'_, '_>,
    ) -> Result<bool, EvalError> {
        if let (Some(task), Some(plan)) = (env.task, self.plan.cond(site)) {
            let cx = Cx::new(task, env.today);
            let v = plan.eval(&cx);
            if !cx.slow.get() {
                return Ok(v == TRUE);
            }
        }
        self.holds(node, env)
    }

    /// The number an action adds, subtracts or sets; `None` when missing.
    pub(crate) fn action_value(
        &self,
        rule: usize,
        action: usize,
        node: &Node,
        env: Env<'_, '_>,
    ) -> Result<Option<f64>, EvalError> {
        if let (Some(task), Some(plan)) = (env.task, self.plan.action(rule, action)) {
            let cx = Cx::new(task, env.today);
            let v = plan.eval(&cx);
            if !cx.slow.get() {
                return Ok((!v.is_nan()).then_some(v));
            }
        }
        Ok(match self.eval(node, env)? {
            Value::Num(n) => Some(n),
            _ => None,
        })
    }

    /// Appends an interpolated string to `out`; a missing value prints as
    /// `missing`.
    pub(crate) fn interpolate_at(
        &self,
        text: Text,
        pieces: &[Piece],
        env: Env<'_, '_>,
        out: &mut String,
    ) -> Result<(), EvalError> {
        let plans = match text {
            Text::Reason(i) => self.plan.reasons.get(i),
            Text::Message(i) => self.plan.messages.get(i),
        };
        let start = out.len();
        // Whether the text reached its limit: later values are still
        // evaluated, so their errors count, but no longer written.
        let mut full = false;
        let mut k = 0;
        for p in pieces {
            match p {
                Piece::Text(t) => {
                    if !full {
                        out.push_str(t);
                        full = cut_text(out, start);
                    }
                }
                Piece::Expr(node, ty) => {
                    let plan = plans.and_then(|ps| ps.get(k)).and_then(Option::as_ref);
                    k += 1;
                    if let (Some(task), Some(plan)) = (env.task, plan) {
                        let cx = Cx::new(task, env.today);
                        let v = plan.value(&cx);
                        if !cx.slow.get() {
                            if !full {
                                full = self.put_value(*ty, &v, out, start);
                            }
                            continue;
                        }
                    }
                    match self.eval(node, env) {
                        Ok(v) => {
                            if !full {
                                full = self.put_value(*ty, &v, out, start);
                            }
                        }
                        Err(e) => {
                            out.truncate(start);
                            return Err(e);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Appends one interpolated value, cut at [`MAX_VALUE_CHARS`], to a text
    /// that started at `start`; `true` when the whole text reached
    /// [`MAX_TEXT_BYTES`] and was cut.
    pub(crate) fn put_value(&self, ty: Ty, v: &Value<'_>, out: &mut String, start: usize) -> bool {
        let at = out.len();
        match v {
            // A long cell is never copied whole.
            Value::Text(t) => match t.char_indices().nth(MAX_VALUE_CHARS) {
                Some((cut, _)) => {
                    out.push_str(&t[..cut]);
                    out.push('…');
                }
                None => out.push_str(t),
            },
            _ => {
                self.display_into(ty, v, out);
                if let Some((cut, _)) = out[at..].char_indices().nth(MAX_VALUE_CHARS) {
                    out.truncate(at + cut);
                    out.push('…');
                }
            }
        }
        cut_text(out, start)
    }

    /// Appends a value as [`Program::interpolate`] prints it.
    fn display_into(&self, ty: Ty, v: &Value<'_>, out: &mut String) {
        match (v, ty) {
            (Value::Missing, _) => out.push_str("missing"),
            (Value::Num(n), _) => write_number(out, *n),
            (Value::Bool(b), _) => out.push_str(if *b { "true" } else { "false" }),
            (Value::Text(t), _) => out.push_str(t),
            (Value::Enum(i), Ty::Enum(e)) => out.push_str(self.enum_value_name(e, *i)),
            (Value::Enum(i), _) => {
                use std::fmt::Write;
                let _ = write!(out, "{i}");
            }
            (Value::Date(d), _) => out.push_str(&format_date(*d)),
        }
    }
}

/// Translates nodes into plans.
struct Planner<'p> {
    program: &'p Program,
}

impl Planner<'_> {
    fn slot_kind(&self, node: &Node) -> Option<Kind> {
        let p = self.program;
        match node {
            Node::Field(i) => kind_of(p.fields.get(*i as usize)?.ty),
            Node::Let(i) => kind_of(p.lets.get(*i as usize)?.ty),
            Node::Output(i) => kind_of(p.outputs.get(*i as usize)?.ty),
            _ => None,
        }
    }

    /// The kind of value a node gives, when a plan can tell.
    fn kind(&self, node: &Node) -> Option<Kind> {
        match node {
            Node::Const(v) => match v {
                Value::Missing => None,
                Value::Num(_) => Some(Kind::Num),
                Value::Bool(_) => Some(Kind::Bool),
                Value::Text(_) => Some(Kind::Text),
                Value::Enum(_) => Some(Kind::Enum),
                Value::Date(_) => Some(Kind::Date),
            },
            Node::Field(_) | Node::Let(_) | Node::Output(_) => self.slot_kind(node),
            Node::Score(_) | Node::Neg(_) | Node::Arith(..) => Some(Kind::Num),
            Node::Label => Some(Kind::Enum),
            Node::Metric(_) | Node::Agg(_) => None,
            Node::Not(..) | Node::And(..) | Node::Or(..) | Node::Cmp(..) | Node::In { .. } => {
                Some(Kind::Bool)
            }
            Node::Matches(..) => Some(Kind::Bool),
            Node::Coalesce(a, b) | Node::If(_, a, b) => self.kind(a).or_else(|| self.kind(b)),
            Node::Match { arms, default, .. } => arms
                .iter()
                .find_map(|(_, n)| self.kind(n))
                .or_else(|| default.as_deref().and_then(|d| self.kind(d))),
            Node::Call(f, _, _) => Some(match f {
                Func::Min
                | Func::Max
                | Func::Abs
                | Func::Round
                | Func::Floor
                | Func::Ceil
                | Func::Clamp
                | Func::Len
                | Func::DaysUntil => Kind::Num,
                Func::Lower | Func::Upper => Kind::Text,
                Func::Contains | Func::StartsWith | Func::EndsWith | Func::Present => Kind::Bool,
            }),
        }
    }

    /// A plan of whatever kind the node is.
    fn any(&self, node: &Node) -> Option<Expr> {
        Some(match self.kind(node)? {
            Kind::Num => Expr::Num(self.num(node)?),
            Kind::Bool => Expr::Bool(self.bool(node)?),
            Kind::Text => Expr::Text(self.text(node)?),
            Kind::Enum => Expr::Enum(self.enum_(node)?),
            Kind::Date => Expr::Date(self.date(node)?),
        })
    }

    /// The kind of `node` is `kind`, or the node is the missing constant.
    fn is(&self, node: &Node, kind: Kind) -> bool {
        matches!(node, Node::Const(Value::Missing)) || self.kind(node) == Some(kind)
    }

    fn switch<X>(
        &self,
        node: &Node,
        each: impl Fn(&Self, &Node) -> Option<X>,
    ) -> Option<Box<Switch<X>>> {
        let Node::Match {
            scrutinee,
            arms,
            default,
        } = node
        else {
            return None;
        };
        if self.kind(scrutinee) != Some(Kind::Enum) {
            return None;
        }
        let mut arm_of: Vec<Option<u32>> = Vec::new();
        let mut plans = Vec::with_capacity(arms.len());
        for (ai, (patterns, result)) in arms.iter().enumerate() {
            for p in patterns {
                let Value::Enum(v) = p else { return None };
                let v = usize::from(*v);
                if arm_of.len() <= v {
                    arm_of.resize(v + 1, None);
                }
                if let Some(slot @ None) = arm_of.get_mut(v) {
                    *slot = Some(u32::try_from(ai).ok()?);
                }
            }
            plans.push(each(self, result)?);
        }
        let default = match default {
            Some(d) => Some(each(self, d)?),
            None => None,
        };
        Some(Box::new(Switch {
            scrutinee: self.enum_(scrutinee)?,
            arm_of,
            arms: plans,
            default,
        }))
    }

    fn num(&self, node: &Node) -> Option<N> {
        if !self.is(node, Kind::Num) {
            return None;
        }
        let b = |n: &Node| self.num(n).map(Box::new);
        Some(match node {
            Node::Const(Value::Num(n)) => N::Const(*n),
            Node::Const(Value::Missing) => N::Const(f64::NAN),
            Node::Field(_) | Node::Let(_) | Node::Output(_) => N::Slot(Slot::of(node)?),
            Node::Score(i) => N::Score(*i),
            Node::Neg(a) => N::Neg(b(a)?),
            Node::Arith(op, x, y, _) => match y.as_const() {
                Some(Value::Num(c)) => N::ArithConst(*op, b(x)?, *c),
                _ => N::Arith(*op, b(x)?, b(y)?),
            },
            Node::Call(f, args, _) => {
                let one = || match args.as_slice() {
                    [a] => b(a),
                    _ => None,
                };
                match f {
                    Func::Round => N::Round(one()?),
                    Func::Floor => N::Floor(one()?),
                    Func::Ceil => N::Ceil(one()?),
                    Func::Abs => N::Abs(one()?),
                    Func::Min | Func::Max => {
                        if args.is_empty() {
                            return None;
                        }
                        let all = args
                            .iter()
                            .map(|a| self.num(a))
                            .collect::<Option<Vec<_>>>()?;
                        if *f == Func::Min {
                            N::Min(all)
                        } else {
                            N::Max(all)
                        }
                    }
                    Func::Clamp => match args.as_slice() {
                        [x, lo, hi] => {
                            N::Clamp(Box::new([self.num(x)?, self.num(lo)?, self.num(hi)?]))
                        }
                        _ => return None,
                    },
                    Func::Len => match args.as_slice() {
                        [a] => N::Len(Box::new(self.text(a)?)),
                        _ => return None,
                    },
                    Func::DaysUntil => match args.as_slice() {
                        [a] => N::DaysUntil(Box::new(self.date(a)?)),
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            Node::If(c, x, y) => N::If(Box::new(self.bool(c)?), b(x)?, b(y)?),
            Node::Coalesce(x, y) => N::Coalesce(b(x)?, b(y)?),
            Node::Match { .. } => N::Match(self.switch(node, Self::num)?),
            _ => return None,
        })
    }

    fn bool(&self, node: &Node) -> Option<B> {
        if !self.is(node, Kind::Bool) {
            return None;
        }
        let b = |n: &Node| self.bool(n).map(Box::new);
        Some(match node {
            Node::Const(Value::Bool(v)) => B::Const(u8::from(*v)),
            Node::Const(Value::Missing) => B::Const(UNKNOWN),
            Node::Field(_) | Node::Let(_) | Node::Output(_) => B::Slot(Slot::of(node)?),
            Node::Not(a, _) => B::Not(b(a)?),
            Node::And(x, y, _) => B::And(b(x)?, b(y)?),
            Node::Or(x, y, _) => B::Or(b(x)?, b(y)?),
            Node::Cmp(op, x, y, _) => self.cmp(mask(*op), x, y)?,
            Node::In {
                value,
                set,
                negated,
                ..
            } => self.membership(value, set, *negated)?,
            Node::Matches(a, re, _) => B::Matches(Box::new(self.text(a)?), re.clone()),
            Node::Call(f, args, _) => match (f, args.as_slice()) {
                (Func::Contains, [x, y]) => {
                    B::Contains(Box::new(self.text(x)?), Box::new(self.text(y)?))
                }
                (Func::StartsWith, [x, y]) => {
                    B::StartsWith(Box::new(self.text(x)?), Box::new(self.text(y)?))
                }
                (Func::EndsWith, [x, y]) => {
                    B::EndsWith(Box::new(self.text(x)?), Box::new(self.text(y)?))
                }
                (Func::Present, [x]) => B::Present(Box::new(self.any(x)?)),
                _ => return None,
            },
            Node::If(c, x, y) => B::If(b(c)?, b(x)?, b(y)?),
            Node::Coalesce(x, y) => B::Coalesce(b(x)?, b(y)?),
            Node::Match { .. } => B::Match(self.switch(node, Self::bool)?),
            _ => return None,
        })
    }

    fn cmp(&self, m: u8, x: &Node, y: &Node) -> Option<B> {
        let kind = self.kind(x).or_else(|| self.kind(y))?;
        if !self.is(x, kind) || !self.is(y, kind) {
            return None;
        }
        Some(match kind {
            Kind::Num => match y.as_const() {
                Some(Value::Num(c)) => B::CmpNumConst(m, Box::new(self.num(x)?), *c),
                _ => B::CmpNum(m, Box::new(self.num(x)?), Box::new(self.num(y)?)),
            },
            Kind::Enum => match y.as_const() {
                Some(Value::Enum(c)) => B::CmpEnumConst(m, Box::new(self.enum_(x)?), u32::from(*c)),
                _ => B::CmpEnum(m, Box::new(self.enum_(x)?), Box::new(self.enum_(y)?)),
            },
            Kind::Text => B::CmpText(m, Box::new(self.text(x)?), Box::new(self.text(y)?)),
            Kind::Bool => B::CmpBool(m, Box::new(self.bool(x)?), Box::new(self.bool(y)?)),
            Kind::Date => B::CmpDate(m, Box::new(self.date(x)?), Box::new(self.date(y)?)),
        })
    }

    fn membership(&self, value: &Node, set: &InSet, negated: bool) -> Option<B> {
        match set {
            InSet::Text(members) => {
                let (value, lower) = match value {
                    Node::Call(Func::Lower, args, _) => match args.as_slice() {
                        [a] => (a, true),
                        _ => return None,
                    },
                    v => (v, false),
                };
                if !self.is(value, Kind::Text) {
                    return None;
                }
                Some(B::InText {
                    value: Box::new(self.text(value)?),
                    lower,
                    members: Box::new(TextSet::new(members)),
                    negated,
                })
            }
            InSet::Values(members) => match self.kind(value)? {
                Kind::Num => {
                    let nums = members
                        .iter()
                        .map(|m| match m {
                            Value::Num(n) => Some(*n),
                            _ => None,
                        })
                        .collect::<Option<Vec<f64>>>()?;
                    Some(B::InNum(Box::new(self.num(value)?), nums, negated))
                }
                Kind::Enum => {
                    let mut table = Vec::new();
                    for m in members {
                        let Value::Enum(v) = m else { return None };
                        let v = usize::from(*v);
                        if table.len() <= v {
                            table.resize(v + 1, false);
                        }
                        if let Some(slot) = table.get_mut(v) {
                            *slot = true;
                        }
                    }
                    Some(B::InEnum(Box::new(self.enum_(value)?), table, negated))
                }
                _ => None,
            },
            InSet::Exprs(_) => None,
        }
    }

    fn text(&self, node: &Node) -> Option<T> {
        if !self.is(node, Kind::Text) {
            return None;
        }
        let b = |n: &Node| self.text(n).map(Box::new);
        Some(match node {
            Node::Const(Value::Text(t)) => T::Const(t.as_ref().into()),
            Node::Field(_) | Node::Let(_) | Node::Output(_) => T::Slot(Slot::of(node)?),
            Node::Call(Func::Lower, args, _) => match args.as_slice() {
                [a] => T::Lower(b(a)?),
                _ => return None,
            },
            Node::If(c, x, y) => T::If(Box::new(self.bool(c)?), b(x)?, b(y)?),
            Node::Coalesce(x, y) => T::Coalesce(b(x)?, b(y)?),
            Node::Match { .. } => T::Match(self.switch(node, Self::text)?),
            _ => return None,
        })
    }

    fn enum_(&self, node: &Node) -> Option<E> {
        if !self.is(node, Kind::Enum) {
            return None;
        }
        let b = |n: &Node| self.enum_(n).map(Box::new);
        Some(match node {
            Node::Const(Value::Enum(v)) => E::Const(u32::from(*v)),
            Node::Const(Value::Missing) => E::Const(NO_ENUM),
            Node::Field(_) | Node::Let(_) | Node::Output(_) => E::Slot(Slot::of(node)?),
            Node::Label => E::Label,
            Node::If(c, x, y) => E::If(Box::new(self.bool(c)?), b(x)?, b(y)?),
            Node::Coalesce(x, y) => E::Coalesce(b(x)?, b(y)?),
            Node::Match { .. } => E::Match(self.switch(node, Self::enum_)?),
            _ => return None,
        })
    }

    fn date(&self, node: &Node) -> Option<D> {
        if !self.is(node, Kind::Date) {
            return None;
        }
        let b = |n: &Node| self.date(n).map(Box::new);
        Some(match node {
            Node::Const(Value::Date(d)) => D::Const(*d),
            Node::Field(_) | Node::Let(_) | Node::Output(_) => D::Slot(Slot::of(node)?),
            Node::If(c, x, y) => D::If(Box::new(self.bool(c)?), b(x)?, b(y)?),
            Node::Coalesce(x, y) => D::Coalesce(b(x)?, b(y)?),
            Node::Match { .. } => D::Match(self.switch(node, Self::date)?),
            _ => return None,
        })
    }
}
