//! Names and types of expressions: resolves each name by the place it is read
//! in and the type expected there, reports mistakes, and builds the compiled
//! node.

use super::{Checker, Sym};
use crate::ast::{BinaryOp, Expr, ExprKind, IPart, IStr, LitKind, Literal, Span, UnaryOp};
use crate::compile::{AggDef, AggKind, ArithOp, CmpOp, Func, InSet, Node, Piece, Ty};
use crate::diag::Diagnostic;
use crate::value::Value;
use std::collections::HashSet;

/// The compiled size allowed to one regular expression of `matches`.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Different regular expressions allowed in one rule set, so that a rule
/// file cannot make loading hold gigabytes of compiled regexes.
pub const MAX_REGEXES: usize = 256;

/// Where an expression stands, which decides what it may read (SPEC §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Let,
    Rule,
    LabelLine,
    Output,
    /// A task-level policy, or `expect` in a test of one task.
    Task,
    /// A metric, or a portfolio policy: metrics and aggregates.
    Portfolio,
    /// `expect` in a portfolio test: per-task values, metrics and aggregates.
    PortfolioExpect,
    /// A field default or a `given` value: constants only.
    Constant,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Let => "a `let`",
            Place::Rule => "a rule",
            Place::LabelLine => "a label line",
            Place::Output => "an output",
            Place::Task => "a task-level policy or test",
            Place::Portfolio => "a metric or portfolio policy",
            Place::PortfolioExpect => "a portfolio test",
            Place::Constant => "a constant value",
        }
    }
}

/// The context of one expression being checked.
#[derive(Debug, Clone, Copy)]
pub struct Cx {
    pub place: Place,
    /// Inside an aggregate's argument or `where`: per-task values again.
    pub in_aggregate: bool,
}

impl Cx {
    pub fn new(place: Place) -> Cx {
        Cx {
            place,
            in_aggregate: false,
        }
    }
}

/// A checked expression: its compiled node, type, and whether it may be missing.
#[derive(Debug, Clone)]
pub struct Typed {
    pub node: Node,
    pub ty: Ty,
    pub maybe: bool,
}

impl Typed {
    fn new(node: Node, ty: Ty, maybe: bool) -> Typed {
        Typed { node, ty, maybe }
    }

    fn error() -> Typed {
        Typed::new(Node::Const(Value::Missing), Ty::Error, false)
    }
}

pub const FUNCTIONS: [&str; 16] = [
    "min",
    "max",
    "abs",
    "round",
    "floor",
    "ceil",
    "clamp",
    "lower",
    "upper",
    "len",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "present",
    "days_until",
];
pub const AGGREGATES: [&str; 6] = ["count", "sum", "avg", "min", "max", "share"];

impl<'a> Checker<'a> {
    pub fn ty_name(&self, ty: Ty) -> String {
        match ty {
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::Text => "text".into(),
            Ty::Date => "date".into(),
            Ty::Enum(e) => match self.enums.get(e as usize) {
                Some(def) if def.name == "label" => "label".into(),
                Some(def) => format!("enum `{}`", def.name),
                None => "enum".into(),
            },
            Ty::Error => "unknown".into(),
        }
    }

    fn type_error(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d = Diagnostic::error("type", message).at(span);
        if let Some(h) = help {
            d = d.help(h);
        }
        self.diags.push(d);
    }

    /// Checks that a value has the wanted type; reports it otherwise.
    pub fn expect_ty(&mut self, t: &Typed, want: Ty, span: Span, what: &str) -> bool {
        if t.ty == want || t.ty == Ty::Error || want == Ty::Error {
            return true;
        }
        let got = self.ty_name(t.ty);
        let want_name = self.ty_name(want);
        self.diags.push(
            Diagnostic::error(
                "type",
                format!(
                    "{what} must be {}, but this is {}",
                    article(&want_name),
                    article(&got)
                ),
            )
            .at(span)
            .label(format!("this is {}", article(&got))),
        );
        false
    }

    /// Checks a condition: a bool, possibly missing (which counts as false).
    pub fn condition(&mut self, e: &Expr, cx: Cx) -> Node {
        let t = self.expr(e, cx, Some(Ty::Bool));
        self.expect_ty(&t, Ty::Bool, e.span, "a condition");
        t.node
    }

    /// Checks an expression, given the type the context expects (which
    /// decides what a bare enum value means).
    pub fn expr(&mut self, e: &Expr, cx: Cx, expected: Option<Ty>) -> Typed {
        let t = self.expr_inner(e, cx, expected);
        fold(t)
    }

    fn expr_inner(&mut self, e: &Expr, cx: Cx, expected: Option<Ty>) -> Typed {
        match &e.kind {
            ExprKind::Number(n) => Typed::new(Node::Const(Value::Num(*n)), Ty::Number, false),
            ExprKind::Str(s) => {
                Typed::new(Node::Const(Value::Text(s.clone().into())), Ty::Text, false)
            }
            ExprKind::Bool(b) => Typed::new(Node::Const(Value::Bool(*b)), Ty::Bool, false),
            ExprKind::Date(d) => Typed::new(Node::Const(Value::Date(*d)), Ty::Date, false),
            ExprKind::Name(name) => self.name(name, e.span, cx, expected),
            ExprKind::Label => self.label_ref(e.span, cx),
            ExprKind::Paren(inner) => self.expr_inner(inner, cx, expected),
            ExprKind::Unary(UnaryOp::Not, inner) => {
                let t = self.expr(inner, cx, Some(Ty::Bool));
                self.expect_ty(&t, Ty::Bool, inner.span, "the operand of `not`");
                Typed::new(Node::Not(Box::new(t.node), e.span), Ty::Bool, t.maybe)
            }
            ExprKind::Unary(UnaryOp::Neg, inner) => {
                let t = self.expr(inner, cx, Some(Ty::Number));
                self.expect_ty(&t, Ty::Number, inner.span, "the operand of `-`");
                Typed::new(Node::Neg(Box::new(t.node)), Ty::Number, t.maybe)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span, cx, expected),
            ExprKind::In {
                negated,
                value,
                list,
            } => self.in_list(*negated, value, list, e.span, cx),
            ExprKind::If(c, a, b) => {
                let cond = self.condition(c, cx);
                let (ta, tb) = self.pair(a, b, cx, expected);
                let ty = self.unify(&ta, &tb, b.span, "the two branches of `if`");
                Typed::new(
                    Node::If(Box::new(cond), Box::new(ta.node), Box::new(tb.node)),
                    ty,
                    ta.maybe || tb.maybe,
                )
            }
            ExprKind::Match { scrutinee, arms } => {
                self.match_expr(scrutinee, arms, e.span, cx, expected)
            }
            ExprKind::Call { func, args, filter } => {
                self.call(&func.name, func.span, args, filter.as_deref(), e.span, cx)
            }
            ExprKind::List(_) => {
                self.diags.push(
                    Diagnostic::error("type", "a list can only stand after `in`")
                        .at(e.span)
                        .help("test membership with `value in [\"a\", \"b\"]`"),
                );
                Typed::error()
            }
        }
    }

    /// Checks two operands whose types must agree, letting an enum type on
    /// one side decide what a bare name on the other means.
    fn pair(&mut self, a: &Expr, b: &Expr, cx: Cx, expected: Option<Ty>) -> (Typed, Typed) {
        if expected.is_some_and(|t| matches!(t, Ty::Enum(_))) {
            return (self.expr(a, cx, expected), self.expr(b, cx, expected));
        }
        if self.is_unresolved_name(a) && !self.is_unresolved_name(b) {
            let tb = self.expr(b, cx, expected);
            let hint = if matches!(tb.ty, Ty::Enum(_)) {
                Some(tb.ty)
            } else {
                expected
            };
            let ta = self.expr(a, cx, hint);
            return (ta, tb);
        }
        let ta = self.expr(a, cx, expected);
        let hint = if matches!(ta.ty, Ty::Enum(_)) {
            Some(ta.ty)
        } else {
            expected
        };
        let tb = self.expr(b, cx, hint);
        (ta, tb)
    }

    /// A bare name that is not a declared name (so likely an enum value).
    fn is_unresolved_name(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(n) => !self.symbols.contains_key(n.as_str()),
            ExprKind::Paren(inner) => self.is_unresolved_name(inner),
            _ => false,
        }
    }

    fn unify(&mut self, a: &Typed, b: &Typed, span: Span, what: &str) -> Ty {
        if a.ty == Ty::Error {
            return b.ty;
        }
        if b.ty == Ty::Error || a.ty == b.ty {
            return a.ty;
        }
        let (na, nb) = (self.ty_name(a.ty), self.ty_name(b.ty));
        self.type_error(
            span,
            format!("{what} have different types: {na} and {nb}"),
            None,
        );
        Ty::Error
    }

    fn label_ref(&mut self, span: Span, cx: Cx) -> Typed {
        let Some(label_ty) = self.label_enum else {
            self.diags.push(
                Diagnostic::error(
                    "unknown-name",
                    "`label` is read, but the rule set has no `label` block",
                )
                .at(span)
                .help("add a `label { ... }` block that names the labels"),
            );
            return Typed::error();
        };
        let allowed = cx.in_aggregate
            || matches!(
                cx.place,
                Place::Output | Place::Task | Place::PortfolioExpect
            );
        if !allowed {
            self.visibility_error(
                "`label`",
                span,
                cx,
                "the label is decided after rules and label lines run",
            );
            return Typed::error();
        }
        Typed::new(Node::Label, Ty::Enum(label_ty), false)
    }

    fn visibility_error(&mut self, what: &str, span: Span, cx: Cx, why: &str) {
        let place = if cx.in_aggregate {
            "an aggregate"
        } else {
            cx.place.describe()
        };
        self.diags.push(
            Diagnostic::error("not-visible", format!("{what} cannot be read in {place}"))
                .at(span)
                .label("not available here")
                .help(why.to_string()),
        );
    }

    fn name(&mut self, name: &str, span: Span, cx: Cx, expected: Option<Ty>) -> Typed {
        // Where an enum is expected, one of its values wins over any field.
        if let Some(Ty::Enum(e)) = expected
            && let Some(idx) = self.enums.get(e as usize).and_then(|d| d.position(name))
        {
            if let Some(sym) = self.symbols.get(name) {
                let what = match sym {
                    Sym::Field(_) => "a field",
                    Sym::Let(_) => "a let",
                    Sym::Score(_) => "a score",
                    Sym::Output(_) => "an output",
                    Sym::Metric(_) => "a metric",
                };
                let ename = self
                    .enums
                    .get(e as usize)
                    .map(|d| d.name.clone())
                    .unwrap_or_default();
                self.lints.push(
                    Diagnostic::warning(
                        "enum-value-shadows-name",
                        format!("`{name}` here is the value of `{ename}`, not {what} of the same name"),
                    )
                    .at(span)
                    .help(format!("where an enum is expected, its values win; rename {what} `{name}` to avoid the confusion")),
                );
            }
            return Typed::new(Node::Const(Value::Enum(idx)), Ty::Enum(e), false);
        }
        let Some(sym) = self.symbols.get(name).copied() else {
            self.unknown_name(name, span, expected);
            return Typed::error();
        };
        let per_task = cx.in_aggregate || !matches!(cx.place, Place::Portfolio | Place::Constant);
        match sym {
            Sym::Field(i) => {
                if !per_task {
                    self.per_task_in_portfolio(name, span, cx);
                    return Typed::error();
                }
                let f = &self.fields[i as usize];
                let maybe = f.optional && f.default.is_none();
                Typed::new(Node::Field(i), f.ty, maybe)
            }
            Sym::Let(i) => {
                if !per_task {
                    self.per_task_in_portfolio(name, span, cx);
                    return Typed::error();
                }
                match self.resolve_let(i, span) {
                    Some((ty, maybe)) => Typed::new(Node::Let(i), ty, maybe),
                    None => Typed::error(),
                }
            }
            Sym::Score(i) => {
                if !per_task {
                    self.per_task_in_portfolio(name, span, cx);
                    return Typed::error();
                }
                if cx.place == Place::Let && !cx.in_aggregate {
                    self.visibility_error(
                        &format!("the score `{name}`"),
                        span,
                        cx,
                        "lets are computed before any rule runs; read the score in a rule, label line or output",
                    );
                    return Typed::error();
                }
                Typed::new(Node::Score(i), Ty::Number, false)
            }
            Sym::Output(i) => {
                if !per_task {
                    self.per_task_in_portfolio(name, span, cx);
                    return Typed::error();
                }
                if matches!(cx.place, Place::Let | Place::Rule | Place::LabelLine)
                    && !cx.in_aggregate
                {
                    self.visibility_error(
                        &format!("the output `{name}`"),
                        span,
                        cx,
                        "outputs are computed after labelling; compute the value in a `let` to use it here",
                    );
                    return Typed::error();
                }
                match self.resolve_output(i, span) {
                    Some((ty, maybe)) => Typed::new(Node::Output(i), ty, maybe),
                    None => Typed::error(),
                }
            }
            Sym::Metric(i) => {
                let allowed = !cx.in_aggregate
                    && matches!(cx.place, Place::Portfolio | Place::PortfolioExpect);
                if !allowed {
                    self.visibility_error(
                        &format!("the metric `{name}`"),
                        span,
                        cx,
                        "metrics are computed over all tasks; read them in another metric, a portfolio policy or a portfolio test",
                    );
                    return Typed::error();
                }
                match self.resolve_metric(i, span) {
                    Some((ty, maybe)) => Typed::new(Node::Metric(i), ty, maybe),
                    None => Typed::error(),
                }
            }
        }
    }

    fn per_task_in_portfolio(&mut self, name: &str, span: Span, cx: Cx) {
        let d = if cx.place == Place::Constant {
            Diagnostic::error("not-constant", format!("`{name}` is not a constant"))
                .at(span)
                .help("write a literal value here: a number, string, date, `true`, `false` or an enum value")
        } else {
            Diagnostic::error(
                "portfolio-mix",
                format!("`{name}` is a per-task value, read outside an aggregate in {}", cx.place.describe()),
            )
            .at(span)
            .label("which task's value?")
            .help(format!(
                "wrap it in an aggregate such as `sum({name})` or `avg({name})`, or move the check into a task-level policy"
            ))
        };
        self.diags.push(d);
    }

    fn unknown_name(&mut self, name: &str, span: Span, expected: Option<Ty>) {
        // A known enum value used where no enum is expected.
        let owners: Vec<String> = self
            .enums
            .iter()
            .filter(|e| e.position(name).is_some())
            .map(|e| e.name.clone())
            .collect();
        if let Some(owner) = owners.first() {
            let help = if owner == "label" {
                format!("compare it with the label: `label == {name}`")
            } else {
                format!("compare it with a field of that enum, such as `{owner} == {name}`")
            };
            let msg = match expected {
                Some(ty) if ty != Ty::Error => {
                    let want = self.ty_name(ty);
                    format!(
                        "`{name}` is a value of enum `{owner}`, but {} is expected here",
                        article(&want)
                    )
                }
                _ => format!(
                    "`{name}` is a value of enum `{owner}`, not a name that can be read here"
                ),
            };
            self.diags
                .push(Diagnostic::error("type", msg).at(span).help(help));
            return;
        }
        // The suggestion search is bounded: past the first diagnostics that
        // search, the candidates are not even gathered.
        let mut candidates: Vec<&str> = Vec::new();
        if self.may_suggest() {
            candidates.extend(self.symbols.keys().map(String::as_str));
            if let Some(Ty::Enum(e)) = expected
                && let Some(def) = self.enums.get(e as usize)
            {
                candidates.extend(def.values.iter().map(String::as_str));
            }
            candidates.sort_unstable();
        }
        let mut d = Diagnostic::error("unknown-name", format!("unknown name `{name}`")).at(span);
        if let Some(Ty::Enum(e)) = expected {
            let ename = self
                .enums
                .get(e as usize)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            d = d.label(format!("not a field, let, score or value of `{ename}`"));
        } else {
            d = d.label("not a field, let, score, output or metric");
        }
        let best = if candidates.is_empty() {
            None
        } else {
            self.suggest(name, candidates.iter().copied())
        };
        if let Some(best) = best {
            d = d.help(format!("did you mean `{best}`?"));
        } else if let Some(Ty::Enum(e)) = expected
            && let Some(def) = self.enums.get(e as usize)
        {
            d = d.help(format!(
                "the values of `{}` are {}",
                def.name,
                crate::diag::list_capped(&def.values, super::MAX_LISTED)
            ));
        }
        self.diags.push(d);
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        cx: Cx,
        expected: Option<Ty>,
    ) -> Typed {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let ta = self.expr(a, cx, Some(Ty::Bool));
                self.expect_ty(
                    &ta,
                    Ty::Bool,
                    a.span,
                    &format!("each side of `{}`", op.as_str()),
                );
                let tb = self.expr(b, cx, Some(Ty::Bool));
                self.expect_ty(
                    &tb,
                    Ty::Bool,
                    b.span,
                    &format!("each side of `{}`", op.as_str()),
                );
                let maybe = ta.maybe || tb.maybe;
                let node = if op == BinaryOp::And {
                    Node::And(Box::new(ta.node), Box::new(tb.node), span)
                } else {
                    Node::Or(Box::new(ta.node), Box::new(tb.node), span)
                };
                Typed::new(node, Ty::Bool, maybe)
            }
            BinaryOp::Coalesce => {
                let (ta, tb) = self.pair(a, b, cx, expected);
                let ty = self.unify(&ta, &tb, span, "the two sides of `??`");
                Typed::new(
                    Node::Coalesce(Box::new(ta.node), Box::new(tb.node)),
                    ty,
                    ta.maybe && tb.maybe,
                )
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let ta = self.expr(a, cx, Some(Ty::Number));
                let tb = self.expr(b, cx, Some(Ty::Number));
                let sym = op.as_str();
                for (t, e) in [(&ta, a), (&tb, b)] {
                    if t.ty != Ty::Number && t.ty != Ty::Error {
                        let got = self.ty_name(t.ty);
                        let help = if t.ty == Ty::Text && op == BinaryOp::Add {
                            Some("text is joined by interpolation in a message, such as \"{a} {b}\"; `+` adds numbers".to_string())
                        } else if t.ty == Ty::Date {
                            Some(
                                "use `days_until(date)` to turn a date into a number of days"
                                    .to_string(),
                            )
                        } else {
                            None
                        };
                        self.type_error(
                            e.span,
                            format!("`{sym}` needs numbers on both sides, but this is {got}"),
                            help,
                        );
                    }
                }
                let aop = match op {
                    BinaryOp::Add => ArithOp::Add,
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                Typed::new(
                    Node::Arith(aop, Box::new(ta.node), Box::new(tb.node), span),
                    Ty::Number,
                    ta.maybe || tb.maybe,
                )
            }
            _ => {
                let chained =
                    self.check_not_chained(a, op.as_str()) | self.check_not_chained(b, op.as_str());
                let (mut ta, tb) = self.pair(a, b, cx, None);
                if chained {
                    ta.ty = Ty::Error;
                }
                let cop = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                if ta.ty != Ty::Error && tb.ty != Ty::Error {
                    if ta.ty != tb.ty {
                        let (na, nb) = (self.ty_name(ta.ty), self.ty_name(tb.ty));
                        let help = match (ta.ty, tb.ty) {
                            (Ty::Enum(_), Ty::Enum(_)) => {
                                Some("values of two different enums cannot be compared".to_string())
                            }
                            (Ty::Number, Ty::Text) | (Ty::Text, Ty::Number) => Some(
                                "declare the field as `number` to compare it with numbers"
                                    .to_string(),
                            ),
                            _ => None,
                        };
                        self.type_error(span, format!("cannot compare {na} with {nb}"), help);
                    } else if matches!(ta.ty, Ty::Text | Ty::Bool)
                        && !matches!(cop, CmpOp::Eq | CmpOp::Ne)
                    {
                        let n = self.ty_name(ta.ty);
                        self.type_error(
                            span,
                            format!("`{}` does not order {n} values", op.as_str()),
                            Some("only `==` and `!=` compare text and bools".to_string()),
                        );
                    }
                }
                Typed::new(
                    Node::Cmp(cop, Box::new(ta.node), Box::new(tb.node), span),
                    Ty::Bool,
                    ta.maybe || tb.maybe,
                )
            }
        }
    }

    /// `1 < x < 5` is an error: comparisons do not chain (SPEC §4).
    fn check_not_chained(&mut self, operand: &Expr, op: &str) -> bool {
        let inner = match &operand.kind {
            ExprKind::Binary(inner, _, _) if inner.is_comparison() => inner.as_str(),
            ExprKind::In { .. } => "in",
            _ => return false,
        };
        self.diags.push(
            Diagnostic::error("chained-comparison", "comparisons cannot be chained")
                .at(operand.span)
                .label(format!("this `{inner}` comparison is itself compared with `{op}`"))
                .help("join two comparisons with `and`, such as `1 < x and x < 5`, or add parentheses if you mean to compare a truth value"),
        );
        true
    }

    fn in_list(&mut self, negated: bool, value: &Expr, list: &[Expr], span: Span, cx: Cx) -> Typed {
        let _ = self.check_not_chained(value, "in");
        let mut tv = self.expr(value, cx, None);
        if tv.ty == Ty::Error && self.is_unresolved_name(value) {
            return Typed::error();
        }
        // `degree in [skill, ...]` is unusual; the list takes the value's type.
        let want = tv.ty;
        let mut items = Vec::new();
        let mut maybe = tv.maybe;
        for item in list {
            let t = self.expr(item, cx, Some(want));
            if want != Ty::Error && t.ty != Ty::Error && t.ty != want {
                let (w, g) = (self.ty_name(want), self.ty_name(t.ty));
                self.type_error(
                    item.span,
                    format!("the list holds {g}, but the value tested is {w}"),
                    None,
                );
            }
            maybe |= t.maybe;
            items.push(t.node);
        }
        let set = if items.iter().all(|n| n.as_const().is_some()) {
            let consts: Vec<Value<'static>> = items
                .into_iter()
                .filter_map(|n| n.as_const().cloned())
                .collect();
            if want == Ty::Text {
                let set: HashSet<Box<str>> = consts
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Text(t) => Some(t.into_owned().into_boxed_str()),
                        _ => None,
                    })
                    .collect();
                InSet::Text(set)
            } else {
                InSet::Values(consts)
            }
        } else {
            InSet::Exprs(items)
        };
        tv.maybe = maybe;
        Typed::new(
            Node::In {
                value: Box::new(tv.node),
                set,
                negated,
                span,
            },
            Ty::Bool,
            tv.maybe,
        )
    }

    /// A literal pattern or default, resolved against a type.
    pub fn literal(&mut self, lit: &Literal, ty: Ty, what: &str) -> Option<Value<'static>> {
        let (value, got) = match &lit.kind {
            LitKind::Number(n) => (Value::Num(*n), Ty::Number),
            LitKind::Str(s) => (Value::Text(s.clone().into()), Ty::Text),
            LitKind::Bool(b) => (Value::Bool(*b), Ty::Bool),
            LitKind::Date(d) => (Value::Date(*d), Ty::Date),
            LitKind::Name(n) => {
                if let Ty::Enum(e) = ty {
                    let def = self.enums.get(e as usize)?;
                    if let Some(i) = def.position(n) {
                        return Some(Value::Enum(i));
                    }
                    let mut d = Diagnostic::error(
                        "unknown-name",
                        format!("`{n}` is not a value of `{}`", def.name),
                    )
                    .at(lit.span)
                    .label(format!(
                        "not one of {}",
                        crate::diag::list_capped(&def.values, super::MAX_LISTED)
                    ));
                    if let Some(best) = self.suggest(n, def.values.iter().map(String::as_str)) {
                        d = d.help(format!("did you mean `{best}`?"));
                    }
                    self.diags.push(d);
                    return None;
                }
                let want = self.ty_name(ty);
                self.type_error(
                    lit.span,
                    format!(
                        "{what} must be {}, but `{n}` is a bare name",
                        article(&want)
                    ),
                    Some(
                        "bare names stand for enum values; quote text as \"like this\"".to_string(),
                    ),
                );
                return None;
            }
        };
        if got != ty && ty != Ty::Error {
            let (w, g) = (self.ty_name(ty), self.ty_name(got));
            self.type_error(
                lit.span,
                format!("{what} must be {}, but this is {g}", article(&w)),
                None,
            );
            return None;
        }
        Some(value)
    }

    fn match_expr(
        &mut self,
        scrutinee: &Expr,
        arms: &[crate::ast::MatchArm],
        span: Span,
        cx: Cx,
        expected: Option<Ty>,
    ) -> Typed {
        let ts = self.expr(scrutinee, cx, None);
        let mut compiled = Vec::new();
        let mut default = None;
        let mut covered: HashSet<u16> = HashSet::new();
        let mut result_ty: Option<Ty> = expected.filter(|t| *t != Ty::Error);
        let mut maybe = ts.maybe;
        let mut first_ty: Option<Ty> = None;
        for arm in arms {
            let mut values = Vec::new();
            let mut wildcard = false;
            for p in &arm.patterns {
                match p {
                    None => wildcard = true,
                    Some(lit) => {
                        if let Some(v) = self.literal(lit, ts.ty, "a match pattern") {
                            match v {
                                Value::Enum(i) => {
                                    covered.insert(i);
                                }
                                Value::Bool(b) => {
                                    covered.insert(u16::from(b));
                                }
                                _ => {}
                            }
                            values.push(v);
                        }
                    }
                }
            }
            let hint = result_ty.or(first_ty.filter(|t| matches!(t, Ty::Enum(_))));
            let t = self.expr(&arm.expr, cx, hint);
            match first_ty {
                None => first_ty = Some(t.ty),
                Some(ft) if ft != Ty::Error && t.ty != Ty::Error && ft != t.ty => {
                    let (a, b) = (self.ty_name(ft), self.ty_name(t.ty));
                    self.type_error(
                        arm.expr.span,
                        format!("the arms of `match` have different types: {a} and {b}"),
                        None,
                    );
                }
                _ => {}
            }
            if result_ty.is_none() && t.ty != Ty::Error {
                result_ty = Some(t.ty);
            }
            maybe |= t.maybe;
            if wildcard {
                if default.is_none() {
                    default = Some(Box::new(t.node.clone()));
                }
                if !values.is_empty() {
                    compiled.push((values, t.node));
                }
            } else {
                compiled.push((values, t.node));
            }
        }
        if default.is_none() {
            let exhaustive = match ts.ty {
                Ty::Enum(e) => {
                    let total = self.enums.get(e as usize).map_or(0, |d| d.values.len());
                    covered.len() >= total
                }
                Ty::Bool => covered.len() >= 2,
                Ty::Error => true,
                _ => false,
            };
            if !exhaustive {
                let missing = match ts.ty {
                    Ty::Enum(e) => self
                        .enums
                        .get(e as usize)
                        .map(|d| {
                            d.values
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| !covered.contains(&(*i as u16)))
                                .map(|(_, v)| format!("`{v}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let msg = if missing.is_empty() {
                    format!("this `match` over {} has no `_` arm", self.ty_name(ts.ty))
                } else {
                    format!("this `match` does not cover {missing}")
                };
                self.diags.push(
                    Diagnostic::error("non-exhaustive", msg)
                        .at(span)
                        .help("add an arm for each missing value, or a last arm `_ => ...`"),
                );
            }
        }
        let ty = first_ty.unwrap_or(Ty::Error);
        Typed::new(
            Node::Match {
                scrutinee: Box::new(ts.node),
                arms: compiled,
                default,
            },
            ty,
            maybe,
        )
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        cx: Cx,
    ) -> Typed {
        let portfolio_place =
            matches!(cx.place, Place::Portfolio | Place::PortfolioExpect) && !cx.in_aggregate;
        let is_agg_name = AGGREGATES.contains(&name);
        // `min` and `max` with one argument are aggregates; with more, functions.
        let aggregate =
            is_agg_name && (!matches!(name, "min" | "max") || args.len() <= 1 || filter.is_some());
        if aggregate {
            if !portfolio_place {
                let why = if cx.in_aggregate {
                    "aggregates cannot be nested"
                } else {
                    "aggregates are computed over all tasks; use them in a `metric` or a policy that checks the portfolio"
                };
                self.diags.push(
                    Diagnostic::error(
                        "aggregate-outside-portfolio",
                        format!(
                            "the aggregate `{name}` cannot be used in {}",
                            if cx.in_aggregate {
                                "an aggregate".to_string()
                            } else {
                                cx.place.describe().to_string()
                            }
                        ),
                    )
                    .at(span)
                    .help(why),
                );
                return Typed::error();
            }
            return self.aggregate(name, args, filter, span, cx);
        }
        if let Some(f) = filter {
            self.diags.push(
                Diagnostic::error(
                    "syntax",
                    format!("`where` only goes with aggregates, not `{name}`"),
                )
                .at(f.span)
                .help("the aggregates are count, sum, avg, min, max and share"),
            );
        }
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "abs" => Func::Abs,
            "round" => Func::Round,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "clamp" => Func::Clamp,
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "len" => Func::Len,
            "contains" => Func::Contains,
            "starts_with" => Func::StartsWith,
            "ends_with" => Func::EndsWith,
            "present" => Func::Present,
            "days_until" => Func::DaysUntil,
            "matches" => return self.matches_call(args, span, cx),
            _ => {
                let mut all: Vec<&str> = FUNCTIONS.to_vec();
                all.extend(["count", "sum", "avg", "share"]);
                let mut d =
                    Diagnostic::error("unknown-function", format!("unknown function `{name}`"))
                        .at(name_span);
                if let Some(best) = self.suggest(name, all.iter().copied()) {
                    d = d.help(format!("did you mean `{best}`?"));
                } else {
                    d = d.help(format!("the functions are {}", FUNCTIONS.join(", ")));
                }
                self.diags.push(d);
                for a in args {
                    self.expr(a, cx, None);
                }
                return Typed::error();
            }
        };
        let (params, ret): (&[Ty], Ty) = match func {
            Func::Min | Func::Max => (&[], Ty::Number),
            Func::Abs | Func::Round | Func::Floor | Func::Ceil => (&[Ty::Number], Ty::Number),
            Func::Clamp => (&[Ty::Number, Ty::Number, Ty::Number], Ty::Number),
            Func::Lower | Func::Upper => (&[Ty::Text], Ty::Text),
            Func::Len => (&[Ty::Text], Ty::Number),
            Func::Contains | Func::StartsWith | Func::EndsWith => (&[Ty::Text, Ty::Text], Ty::Bool),
            Func::Present => (&[Ty::Error], Ty::Bool),
            Func::DaysUntil => (&[Ty::Date], Ty::Number),
        };
        let variadic = matches!(func, Func::Min | Func::Max);
        if variadic && args.len() < 2 {
            self.diags.push(
                Diagnostic::error("arguments", format!("`{name}` takes two or more numbers"))
                    .at(span)
                    .help(format!(
                        "`{name}(a, b)` gives the {} of its arguments",
                        if name == "min" { "smallest" } else { "largest" }
                    )),
            );
        } else if !variadic && args.len() != params.len() {
            let n = params.len();
            self.diags.push(
                Diagnostic::error(
                    "arguments",
                    format!(
                        "`{name}` takes {n} argument{}, but {} {} given",
                        if n == 1 { "" } else { "s" },
                        args.len(),
                        if args.len() == 1 { "was" } else { "were" }
                    ),
                )
                .at(span),
            );
        }
        let mut nodes = Vec::new();
        let mut maybe = false;
        for (i, a) in args.iter().enumerate() {
            let want = if variadic {
                Ty::Number
            } else {
                params.get(i).copied().unwrap_or(Ty::Error)
            };
            let t = self.expr(a, cx, if want == Ty::Error { None } else { Some(want) });
            if want != Ty::Error {
                self.expect_ty(&t, want, a.span, &format!("argument {} of `{name}`", i + 1));
            }
            maybe |= t.maybe;
            nodes.push(t.node);
        }
        if func == Func::Present {
            maybe = false;
        }
        Typed::new(Node::Call(func, nodes, span), ret, maybe)
    }

    fn matches_call(&mut self, args: &[Expr], span: Span, cx: Cx) -> Typed {
        let [text, pattern] = args else {
            self.diags.push(
                Diagnostic::error(
                    "arguments",
                    "`matches` takes two arguments: a text and a regular expression",
                )
                .at(span)
                .help("for example `matches(name, \"(?i)invoice|payment\")`"),
            );
            return Typed::error();
        };
        let t = self.expr(text, cx, Some(Ty::Text));
        self.expect_ty(&t, Ty::Text, text.span, "argument 1 of `matches`");
        let ExprKind::Str(re) = &pattern.kind else {
            self.diags.push(
                Diagnostic::error(
                    "arguments",
                    "the regular expression of `matches` must be a string literal",
                )
                .at(pattern.span)
                .help("it is compiled once, when the rule set is loaded"),
            );
            return Typed::error();
        };
        if let Some(r) = self.regexes.get(re.as_str()) {
            return Typed::new(
                Node::Matches(Box::new(t.node), Box::new(r.clone()), span),
                Ty::Bool,
                t.maybe,
            );
        }
        if self.regexes.len() >= MAX_REGEXES {
            self.diags.push(
                Diagnostic::error(
                    "limit",
                    format!(
                        "more than {MAX_REGEXES} different regular expressions in the rule set"
                    ),
                )
                .at(pattern.span)
                .help("each may take up to 1 MiB compiled; combine patterns with `|`"),
            );
            return Typed::error();
        }
        match regex::RegexBuilder::new(re)
            .size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(64)
            .build()
        {
            Ok(r) => {
                self.regexes.insert(re.to_string(), r.clone());
                Typed::new(
                    Node::Matches(Box::new(t.node), Box::new(r), span),
                    Ty::Bool,
                    t.maybe,
                )
            }
            Err(err) => {
                let detail = err.to_string();
                let last = detail
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                self.diags.push(
                    Diagnostic::error("regex", "invalid regular expression")
                        .at(pattern.span)
                        .label(last)
                        .help("the syntax is Rust's regex crate: https://docs.rs/regex/#syntax"),
                );
                Typed::error()
            }
        }
    }

    fn aggregate(
        &mut self,
        name: &str,
        args: &[Expr],
        filter: Option<&Expr>,
        span: Span,
        cx: Cx,
    ) -> Typed {
        let inner = Cx {
            place: cx.place,
            in_aggregate: true,
        };
        let kind = match name {
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "avg" => AggKind::Avg,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            _ => AggKind::Share,
        };
        let arg = match (kind, args) {
            (AggKind::Count, []) => None,
            (AggKind::Count | AggKind::Share, [cond]) => Some(self.condition(cond, inner)),
            (AggKind::Sum | AggKind::Avg | AggKind::Min | AggKind::Max, [e]) => {
                let t = self.expr(e, inner, Some(Ty::Number));
                self.expect_ty(&t, Ty::Number, e.span, &format!("the argument of `{name}`"));
                Some(t.node)
            }
            _ => {
                let shape = match kind {
                    AggKind::Count => "`count()` or `count(condition)`",
                    AggKind::Share => "`share(condition)`",
                    _ => "one number, such as `sum(hours)`",
                };
                self.diags.push(
                    Diagnostic::error("arguments", format!("`{name}` takes {shape}")).at(span),
                );
                return Typed::error();
            }
        };
        let filter = filter.map(|f| self.condition(f, inner));
        let idx = self.aggregates.len() as u32;
        self.aggregates.push(AggDef {
            kind,
            arg,
            filter,
            span,
        });
        let maybe = !matches!(kind, AggKind::Count | AggKind::Sum);
        Typed::new(Node::Agg(idx), Ty::Number, maybe)
    }

    /// Checks an interpolated string; each `{expr}` may be of any type, and a
    /// missing value prints as `missing`.
    pub fn istring(&mut self, s: &IStr, cx: Cx) -> Vec<Piece> {
        s.parts
            .iter()
            .map(|p| match p {
                IPart::Text(t) => Piece::Text(t.clone()),
                IPart::Expr(e) => {
                    let t = self.expr(e, cx, None);
                    Piece::Expr(t.node, t.ty)
                }
            })
            .collect()
    }
}

pub(crate) fn article(noun: &str) -> String {
    if noun == "text" || noun == "unknown" {
        return noun.to_string();
    }
    let first = noun.chars().next().unwrap_or('x');
    if "aeiou".contains(first) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// Folds operations on constants into constants, when that cannot fail.
fn fold(t: Typed) -> Typed {
    let Typed { node, ty, maybe } = t;
    let node = match node {
        Node::Neg(inner) => match *inner {
            Node::Const(Value::Num(n)) => Node::Const(Value::Num(if n == 0.0 { 0.0 } else { -n })),
            other => Node::Neg(Box::new(other)),
        },
        Node::Not(inner, span) => match *inner {
            Node::Const(Value::Bool(b)) => Node::Const(Value::Bool(!b)),
            other => Node::Not(Box::new(other), span),
        },
        Node::Arith(op, a, b, span) => match (a.as_const(), b.as_const()) {
            (Some(Value::Num(x)), Some(Value::Num(y))) => {
                let r = match op {
                    ArithOp::Add => x + y,
                    ArithOp::Sub => x - y,
                    ArithOp::Mul => x * y,
                    ArithOp::Div if *y != 0.0 => x / y,
                    ArithOp::Div => f64::NAN,
                };
                if r.is_finite() {
                    Node::Const(Value::Num(r))
                } else {
                    Node::Arith(op, a, b, span)
                }
            }
            _ => Node::Arith(op, a, b, span),
        },
        other => other,
    };
    Typed { node, ty, maybe }
}
