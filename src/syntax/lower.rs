//! Lowering of pest pairs to the AST: one function per grammar rule, and
//! pest's Pratt parser for operator precedence.

// A diagnostic is the error of every lowering step; they are built rarely,
// once per broken declaration, so their size does not matter here.
#![allow(clippy::result_large_err)]

use super::{MAX_DEPTH, Rule, lex};
use crate::ast::*;
use crate::diag::Diagnostic;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

type Result<T> = std::result::Result<T, Diagnostic>;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::postfix(Rule::in_list))
        .op(Op::infix(Rule::op_coalesce, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

/// Lowers pairs of one parsed declaration; `offset` is where the parsed text
/// starts in the file.
#[derive(Clone, Copy)]
pub struct Lowerer {
    pub file: FileId,
    pub offset: usize,
    /// The `if` expressions around the one being lowered. Brackets and
    /// prefix operators are bounded before parsing; `if` chains are not, so
    /// their depth is checked on the way down, before lowering (which is
    /// linear in the text of each level) could take quadratic time.
    pub if_depth: u32,
}

/// An expression with the depth of its tree, to enforce [`MAX_DEPTH`].
type Deep = (Expr, u32);

fn internal(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "internal",
        format!("the parser produced an unexpected shape for {what}"),
    )
    .at(span)
    .help("this is a bug in outsort; please report it with the rule file")
}

impl Lowerer {
    /// The span of a pair, without the white space and comments pest
    /// leaves at the end of a rule whose last part is optional.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let len = trimmed_len(pair.as_str());
        Span::new(
            self.file,
            self.offset + s.start(),
            self.offset + s.start() + len,
        )
    }

    fn next<'i>(
        &self,
        pairs: &mut Pairs<'i, Rule>,
        what: &str,
        span: Span,
    ) -> Result<Pair<'i, Rule>> {
        pairs.next().ok_or_else(|| internal(what, span))
    }

    /// Skips keyword pairs, which carry no meaning of their own.
    fn significant<'i>(pairs: Pairs<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
        pairs.filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::kw_input
                    | Rule::kw_key
                    | Rule::kw_let
                    | Rule::kw_score
                    | Rule::kw_rule
                    | Rule::kw_when
                    | Rule::kw_because
                    | Rule::kw_output
                    | Rule::kw_metric
                    | Rule::kw_policy
                    | Rule::kw_unless
                    | Rule::kw_message
                    | Rule::kw_waiver
                    | Rule::kw_tasks
                    | Rule::kw_reason
                    | Rule::kw_owner
                    | Rule::kw_expires
                    | Rule::kw_test
                    | Rule::kw_given
                    | Rule::kw_expect
                    | Rule::kw_today
                    | Rule::kw_enum
                    | Rule::kw_from
                    | Rule::kw_in
                    | Rule::kw_if
                    | Rule::kw_then
                    | Rule::kw_else
                    | Rule::kw_match
                    | Rule::kw_where
                    | Rule::kw_label
                    | Rule::lbrace
                    | Rule::rbrace
                    | Rule::rparen
                    | Rule::rbracket
                    | Rule::assign
                    | Rule::colon
            )
        })
    }

    pub fn item(&self, pair: Pair<'_, Rule>) -> Result<Item> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::input_block => self.input_block(pair).map(Item::Input),
            Rule::key_decl => self.key_decl(pair).map(Item::Key),
            Rule::let_decl => self.named(pair).map(Item::Let),
            Rule::score_decl => self.score_decl(pair).map(Item::Score),
            Rule::rule_decl => self.rule_decl(pair).map(Item::Rule),
            Rule::label_block => self.label_block(pair).map(Item::Label),
            Rule::output_decl => self.named(pair).map(Item::Output),
            Rule::metric_decl => self.named(pair).map(Item::Metric),
            Rule::policy_decl => self.policy_decl(pair).map(Item::Policy),
            Rule::waiver_decl => self.waiver_decl(pair).map(Item::Waiver),
            Rule::test_decl => self.test_decl(pair).map(Item::Test),
            _ => Err(internal("a declaration", span)),
        }
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn input_block(&self, pair: Pair<'_, Rule>) -> Result<Input> {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        for p in Self::significant(pair.into_inner()) {
            fields.push(self.field_decl(p)?);
        }
        Ok(Input { fields, span })
    }

    fn field_decl(&self, pair: Pair<'_, Rule>) -> Result<Field> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.ident(inner.next().ok_or_else(|| internal("a field", span))?);
        let ty_pair = inner.next().ok_or_else(|| internal("a field type", span))?;
        let (ty, optional) = self.field_type(ty_pair)?;
        let mut default = None;
        let mut from = None;
        for p in inner {
            match p.as_rule() {
                Rule::field_default => {
                    let lit = self.next(&mut p.into_inner(), "a default", span)?;
                    default = Some(self.literal(lit)?);
                }
                Rule::field_from => {
                    let s = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("from", span))?;
                    from = Some(self.string(s)?);
                }
                _ => return Err(internal("a field", span)),
            }
        }
        Ok(Field {
            name,
            ty,
            optional,
            default,
            from,
            span,
        })
    }

    fn field_type(&self, pair: Pair<'_, Rule>) -> Result<(TypeExpr, bool)> {
        let span = self.span(&pair);
        let mut ty = None;
        let mut optional = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::base_type => {
                    ty = Some(match p.as_str() {
                        "text" => TypeExpr::Text,
                        "number" => TypeExpr::Number,
                        "bool" => TypeExpr::Bool,
                        _ => TypeExpr::Date,
                    })
                }
                Rule::enum_type => {
                    let values = Self::significant(p.into_inner())
                        .map(|v| self.ident(v))
                        .collect();
                    ty = Some(TypeExpr::Enum(values));
                }
                Rule::optional_mark => optional = true,
                _ => return Err(internal("a type", span)),
            }
        }
        Ok((ty.ok_or_else(|| internal("a type", span))?, optional))
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = self.span(&pair);
        let p = match pair.as_rule() {
            Rule::literal | Rule::pattern => {
                self.next(&mut pair.into_inner(), "a literal", span)?
            }
            _ => pair,
        };
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::date => LitKind::Date(self.date(&p)?),
            Rule::signed_number | Rule::number => LitKind::Number(self.number(&p)?),
            Rule::string => LitKind::Str(self.string(p)?.value),
            Rule::boolean => LitKind::Bool(p.as_str().starts_with('t')),
            Rule::ident => LitKind::Name(p.as_str().to_string()),
            _ => return Err(internal("a literal", span)),
        };
        Ok(Literal { kind, span })
    }

    fn number(&self, pair: &Pair<'_, Rule>) -> Result<f64> {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(if n == 0.0 { 0.0 } else { n }),
            _ => Err(Diagnostic::error(
                "number",
                format!("`{}` is too large a number", pair.as_str()),
            )
            .at(self.span(pair))
            .help("numbers must be finite; the largest is about 1.8e308")),
        }
    }

    fn date(&self, pair: &Pair<'_, Rule>) -> Result<i32> {
        crate::value::parse_date(pair.as_str()).ok_or_else(|| {
            Diagnostic::error("date", format!("`{}` is not a valid date", pair.as_str()))
                .at(self.span(pair))
                .label("no such day")
                .help("dates are written YYYY-MM-DD, with a real month and day")
        })
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Result<Str> {
        let span = self.span(&pair);
        let mut value = String::new();
        if let Some(inner) = pair.into_inner().next() {
            self.unescape(inner.as_str(), self.span(&inner), &mut value)?;
        }
        Ok(Str { value, span })
    }

    /// Appends the value of a string's raw text, which starts at `span`.
    fn unescape(&self, raw: &str, span: Span, out: &mut String) -> Result<()> {
        lex::unescape(raw, out).map_err(|bad| {
            let at = span.start as usize;
            let (start, end) = (at + bad.start, at + bad.end);
            if bad.unicode {
                let hex = raw.get(bad.start + 3..bad.end - 1).unwrap_or("");
                Diagnostic::error("escape", format!("`\\u{{{hex}}}` is not a valid character"))
                    .at(Span::new(self.file, start, end))
                    .help("write a Unicode scalar value in hexadecimal, such as `\\u{e9}` for é")
            } else {
                Diagnostic::error("escape", "unknown escape in a string")
                    .at(Span::new(self.file, start, end))
                    .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}`")
            }
        })
    }

    fn istring(&self, pair: Pair<'_, Rule>) -> Result<IStr> {
        let span = self.span(&pair);
        let mut parts: Vec<IPart> = Vec::new();
        let push_text = |parts: &mut Vec<IPart>, s: &str| {
            if let Some(IPart::Text(t)) = parts.last_mut() {
                t.push_str(s);
            } else {
                parts.push(IPart::Text(s.to_string()));
            }
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::istr_text => {
                    let mut s = String::new();
                    self.unescape(p.as_str(), self.span(&p), &mut s)?;
                    push_text(&mut parts, &s);
                }
                Rule::istr_brace => push_text(&mut parts, &p.as_str()[..1]),
                Rule::istr_expr => {
                    let pspan = self.span(&p);
                    let e = self
                        .expr(self.next(&mut p.into_inner(), "an interpolation", pspan)?)?
                        .0;
                    if let Some(s) = find_string_literal(&e) {
                        return Err(Diagnostic::error(
                            "interpolation",
                            "an interpolated expression may not contain a string literal",
                        )
                        .at(s)
                        .help(
                            "compute the value in a `let` or `output` and interpolate its name",
                        ));
                    }
                    parts.push(IPart::Expr(e));
                }
                _ => return Err(internal("a string", span)),
            }
        }
        Ok(IStr { parts, span })
    }

    fn key_decl(&self, pair: Pair<'_, Rule>) -> Result<Key> {
        let span = self.span(&pair);
        let field = Self::significant(pair.into_inner())
            .next()
            .ok_or_else(|| internal("key", span))?;
        Ok(Key {
            field: self.ident(field),
            span,
        })
    }

    fn named(&self, pair: Pair<'_, Rule>) -> Result<Named> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.ident(inner.next().ok_or_else(|| internal("a name", span))?);
        let expr = self
            .expr(
                inner
                    .next()
                    .ok_or_else(|| internal("an expression", span))?,
            )?
            .0;
        Ok(Named { name, expr, span })
    }

    fn score_decl(&self, pair: Pair<'_, Rule>) -> Result<Score> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.ident(inner.next().ok_or_else(|| internal("a score", span))?);
        let start = self.number(&inner.next().ok_or_else(|| internal("a score", span))?)?;
        let mut range = None;
        if let Some(r) = inner.next() {
            let mut nums = Self::significant(r.into_inner());
            let lo = self.number(&nums.next().ok_or_else(|| internal("a range", span))?)?;
            let hi = self.number(&nums.next().ok_or_else(|| internal("a range", span))?)?;
            range = Some((lo, hi));
        }
        Ok(Score {
            name,
            start,
            range,
            span,
        })
    }

    fn rule_decl(&self, pair: Pair<'_, Rule>) -> Result<crate::ast::Rule> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.string(inner.next().ok_or_else(|| internal("a rule", span))?)?;
        let mut when = None;
        let mut actions = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::rule_when => {
                    let e = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("when", span))?;
                    when = Some(self.expr(e)?.0);
                }
                Rule::action => actions.push(self.action(p)?),
                _ => return Err(internal("a rule", span)),
            }
        }
        Ok(crate::ast::Rule {
            name,
            when,
            actions,
            span,
        })
    }

    fn action(&self, pair: Pair<'_, Rule>) -> Result<Action> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let target = self.ident(self.next(&mut inner, "an action", span)?);
        let op = match self.next(&mut inner, "an action", span)?.as_str() {
            "+=" => AssignOp::Add,
            "-=" => AssignOp::Sub,
            _ => AssignOp::Set,
        };
        let expr = self.expr(self.next(&mut inner, "an action", span)?)?.0;
        Ok(Action {
            target,
            op,
            expr,
            span,
        })
    }

    fn label_block(&self, pair: Pair<'_, Rule>) -> Result<LabelBlock> {
        let span = self.span(&pair);
        let mut lines = Vec::new();
        for p in Self::significant(pair.into_inner()) {
            lines.push(self.label_line(p)?);
        }
        Ok(LabelBlock { lines, span })
    }

    fn label_line(&self, pair: Pair<'_, Rule>) -> Result<LabelLine> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let value = self.ident(self.next(&mut inner, "a label line", span)?);
        let mut when = None;
        let mut because = None;
        for p in inner {
            match p.as_rule() {
                Rule::kw_when | Rule::kw_otherwise => {}
                Rule::expr => when = Some(self.expr(p)?.0),
                Rule::because => {
                    let s = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("because", span))?;
                    because = Some(self.istring(s)?);
                }
                _ => return Err(internal("a label line", span)),
            }
        }
        Ok(LabelLine {
            value,
            when,
            because,
            span,
        })
    }

    fn policy_decl(&self, pair: Pair<'_, Rule>) -> Result<Policy> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.string(inner.next().ok_or_else(|| internal("a policy", span))?)?;
        let severity = match inner.next().map(|p| p.as_str().to_string()).as_deref() {
            Some("deny") => Severity::Deny,
            _ => Severity::Warn,
        };
        let mut when = None;
        let mut unless = None;
        let mut message = None;
        for p in inner {
            match p.as_rule() {
                Rule::expr => when = Some(self.expr(p)?.0),
                Rule::unless => {
                    let e = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("unless", span))?;
                    unless = Some(self.expr(e)?.0);
                }
                Rule::message => {
                    let s = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("message", span))?;
                    message = Some(self.istring(s)?);
                }
                _ => return Err(internal("a policy", span)),
            }
        }
        let when = when.ok_or_else(|| internal("a policy", span))?;
        Ok(Policy {
            name,
            severity,
            when,
            unless,
            message,
            span,
        })
    }

    fn waiver_decl(&self, pair: Pair<'_, Rule>) -> Result<Waiver> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let policy = self.string(inner.next().ok_or_else(|| internal("a waiver", span))?)?;
        let mut w = Waiver {
            policy,
            tasks: Vec::new(),
            reason: None,
            owner: None,
            expires: None,
            repeated: Vec::new(),
            span,
        };
        let mut seen_tasks = false;
        for p in inner {
            let pspan = self.span(&p);
            let rule = p.as_rule();
            let value = Self::significant(p.into_inner());
            match rule {
                Rule::waiver_tasks => {
                    if seen_tasks {
                        w.repeated.push(pspan);
                    }
                    seen_tasks = true;
                    for s in value {
                        w.tasks.push(self.string(s)?);
                    }
                }
                Rule::waiver_reason | Rule::waiver_owner => {
                    let s = self.string(
                        value
                            .into_iter()
                            .next()
                            .ok_or_else(|| internal("a waiver", span))?,
                    )?;
                    let slot = if rule == Rule::waiver_reason {
                        &mut w.reason
                    } else {
                        &mut w.owner
                    };
                    if slot.is_some() {
                        w.repeated.push(pspan);
                    }
                    *slot = Some(s);
                }
                Rule::waiver_expires => {
                    let d = value
                        .into_iter()
                        .next()
                        .ok_or_else(|| internal("a waiver", span))?;
                    if w.expires.is_some() {
                        w.repeated.push(pspan);
                    }
                    w.expires = Some((self.date(&d)?, self.span(&d)));
                }
                _ => return Err(internal("a waiver", span)),
            }
        }
        Ok(w)
    }

    fn test_decl(&self, pair: Pair<'_, Rule>) -> Result<Test> {
        let span = self.span(&pair);
        let mut inner = Self::significant(pair.into_inner());
        let name = self.string(inner.next().ok_or_else(|| internal("a test", span))?)?;
        let mut t = Test {
            name,
            today: None,
            given: None,
            expects: Vec::new(),
            repeated: Vec::new(),
            span,
        };
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::test_today => {
                    let d = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("today", span))?;
                    if t.today.is_some() {
                        t.repeated.push(pspan);
                    }
                    t.today = Some((self.date(&d)?, self.span(&d)));
                }
                Rule::given => {
                    let g = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("given", span))?;
                    let portfolio = g.as_rule() == Rule::record_list;
                    let records = if portfolio {
                        Self::significant(g.into_inner())
                            .map(|r| self.record(r))
                            .collect::<Result<Vec<_>>>()?
                    } else {
                        vec![self.record(g)?]
                    };
                    if t.given.is_some() {
                        t.repeated.push(pspan);
                    }
                    t.given = Some(Given {
                        records,
                        portfolio,
                        span: pspan,
                    });
                }
                Rule::expect => {
                    let e = Self::significant(p.into_inner())
                        .next()
                        .ok_or_else(|| internal("expect", span))?;
                    if e.as_rule() == Rule::expect_policy {
                        let mut parts = e.into_inner();
                        let kind = match self.next(&mut parts, "expect", span)?.as_str() {
                            "denied" => ExpectKind::Denied,
                            "warned" => ExpectKind::Warned,
                            _ => ExpectKind::Passes,
                        };
                        let policy = self.string(self.next(&mut parts, "expect", span)?)?;
                        t.expects.push(Expect::Policy {
                            kind,
                            policy,
                            span: pspan,
                        });
                    } else {
                        t.expects.push(Expect::Cond(self.expr(e)?.0));
                    }
                }
                _ => return Err(internal("a test", span)),
            }
        }
        Ok(t)
    }

    fn record(&self, pair: Pair<'_, Rule>) -> Result<Record> {
        let span = self.span(&pair);
        let mut fields = Vec::new();
        for f in Self::significant(pair.into_inner()) {
            let fspan = self.span(&f);
            let mut parts = Self::significant(f.into_inner());
            let name = self.ident(
                parts
                    .next()
                    .ok_or_else(|| internal("a field value", fspan))?,
            );
            let e = self
                .expr(
                    parts
                        .next()
                        .ok_or_else(|| internal("a field value", fspan))?,
                )?
                .0;
            fields.push((name, e));
        }
        Ok(Record { fields, span })
    }

    // ------------------------------------------------------------ expressions

    fn too_deep(&self, span: Span) -> Diagnostic {
        Diagnostic::error(
            "limit",
            format!("this expression is nested more than {MAX_DEPTH} levels deep"),
        )
        .at(span)
        .help("split it into several `let` declarations")
    }

    fn deep(&self, kind: ExprKind, span: Span, depth: u32) -> Result<Deep> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(span));
        }
        Ok((Expr { kind, span }, depth))
    }

    /// Lowers `expr`, `op_expr` or `if_expr`.
    pub fn expr(&self, pair: Pair<'_, Rule>) -> Result<Deep> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr => {
                let inner = self.next(&mut pair.into_inner(), "an expression", span)?;
                self.expr(inner)
            }
            Rule::if_expr => {
                if self.if_depth >= MAX_DEPTH {
                    return Err(self.too_deep(span));
                }
                let inner = Lowerer {
                    if_depth: self.if_depth + 1,
                    ..*self
                };
                let mut parts = Self::significant(pair.into_inner());
                let mut part = || -> Result<Deep> {
                    inner.expr(parts.next().ok_or_else(|| internal("`if`", span))?)
                };
                let (c, dc) = part()?;
                let (a, da) = part()?;
                let (b, db) = part()?;
                let depth = 1 + dc.max(da).max(db);
                self.deep(
                    ExprKind::If(Box::new(c), Box::new(a), Box::new(b)),
                    span,
                    depth,
                )
            }
            Rule::op_expr => self.op_expr(pair.into_inner()),
            _ => self.primary(pair),
        }
    }

    fn op_expr(&self, pairs: Pairs<'_, Rule>) -> Result<Deep> {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let (rhs, d) = rhs?;
                let span = self.span(&op).to(rhs.span);
                let uop = if op.as_rule() == Rule::op_not {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                self.deep(ExprKind::Unary(uop, Box::new(rhs)), span, d + 1)
            })
            .map_postfix(|lhs, op| {
                let (lhs, d) = lhs?;
                let span = lhs.span.to(self.span(&op));
                let mut inner = op.into_inner();
                let negated = inner.next().is_some_and(|p| p.as_str().starts_with("not"));
                let list_pair = inner.next().ok_or_else(|| internal("`in`", span))?;
                let (list, ld) = self.list_items(list_pair)?;
                self.deep(
                    ExprKind::In {
                        negated,
                        value: Box::new(lhs),
                        list,
                    },
                    span,
                    1 + d.max(ld),
                )
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, dl) = lhs?;
                let (rhs, dr) = rhs?;
                let bop = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_coalesce => BinaryOp::Coalesce,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    _ => BinaryOp::Div,
                };
                let span = lhs.span.to(rhs.span);
                self.deep(
                    ExprKind::Binary(bop, Box::new(lhs), Box::new(rhs)),
                    span,
                    1 + dl.max(dr),
                )
            })
            .parse(pairs)
    }

    fn list_items(&self, pair: Pair<'_, Rule>) -> Result<(Vec<Expr>, u32)> {
        let mut items = Vec::new();
        let mut depth = 0;
        for p in Self::significant(pair.into_inner()) {
            let (e, d) = self.expr(p)?;
            depth = depth.max(d);
            items.push(e);
        }
        Ok((items, depth))
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Deep> {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::number => Ok((
                Expr {
                    kind: ExprKind::Number(self.number(&pair)?),
                    span,
                },
                1,
            )),
            Rule::date => Ok((
                Expr {
                    kind: ExprKind::Date(self.date(&pair)?),
                    span,
                },
                1,
            )),
            Rule::string => Ok((
                Expr {
                    kind: ExprKind::Str(self.string(pair)?.value),
                    span,
                },
                1,
            )),
            Rule::boolean => Ok((
                Expr {
                    kind: ExprKind::Bool(pair.as_str().starts_with('t')),
                    span,
                },
                1,
            )),
            Rule::label_ref => Ok((
                Expr {
                    kind: ExprKind::Label,
                    span,
                },
                1,
            )),
            Rule::name => Ok((
                Expr {
                    kind: ExprKind::Name(pair.as_str().to_string()),
                    span,
                },
                1,
            )),
            Rule::paren => {
                let (inner, d) = self.expr(self.next(&mut pair.into_inner(), "`( )`", span)?)?;
                self.deep(ExprKind::Paren(Box::new(inner)), span, d + 1)
            }
            Rule::list => {
                let (items, d) = self.list_items(pair)?;
                self.deep(ExprKind::List(items), span, d + 1)
            }
            Rule::call => {
                let mut inner = Self::significant(pair.into_inner());
                let func = self.ident(inner.next().ok_or_else(|| internal("a call", span))?);
                let mut args = Vec::new();
                let mut filter = None;
                let mut depth = 0;
                for p in inner {
                    if p.as_rule() == Rule::call_where {
                        let e = Self::significant(p.into_inner())
                            .next()
                            .ok_or_else(|| internal("where", span))?;
                        let (w, d) = self.expr(e)?;
                        depth = depth.max(d);
                        filter = Some(Box::new(w));
                    } else {
                        let (a, d) = self.expr(p)?;
                        depth = depth.max(d);
                        args.push(a);
                    }
                }
                self.deep(ExprKind::Call { func, args, filter }, span, depth + 1)
            }
            Rule::match_expr => {
                let mut inner = Self::significant(pair.into_inner());
                let (scrutinee, mut depth) =
                    self.expr(inner.next().ok_or_else(|| internal("`match`", span))?)?;
                let mut arms = Vec::new();
                for arm in inner {
                    let aspan = self.span(&arm);
                    let mut patterns = Vec::new();
                    let mut expr = None;
                    for p in arm.into_inner() {
                        match p.as_rule() {
                            Rule::pattern => {
                                let pspan = self.span(&p);
                                let lit = self.next(&mut p.into_inner(), "a pattern", pspan)?;
                                if lit.as_rule() == Rule::wildcard {
                                    patterns.push(None);
                                } else {
                                    patterns.push(Some(self.literal(lit)?));
                                }
                            }
                            _ => {
                                let (e, d) = self.expr(p)?;
                                depth = depth.max(d);
                                expr = Some(e);
                            }
                        }
                    }
                    let expr = expr.ok_or_else(|| internal("a match arm", aspan))?;
                    arms.push(MatchArm {
                        patterns,
                        expr,
                        span: aspan,
                    });
                }
                self.deep(
                    ExprKind::Match {
                        scrutinee: Box::new(scrutinee),
                        arms,
                    },
                    span,
                    depth + 1,
                )
            }
            Rule::expr | Rule::op_expr | Rule::if_expr => self.expr(pair),
            _ => Err(internal("an expression", span)),
        }
    }
}

/// The length of `text` without trailing white space and comments.
fn trimmed_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let body = &text[..end];
        let line_start = body.rfind('\n').map_or(0, |i| i + 1);
        let Some(hash) = lex::comment_start(&body[line_start..]) else {
            return end;
        };
        end = body[..line_start + hash].trim_end().len();
    }
}

/// The span of a string literal anywhere in an expression, if any.
fn find_string_literal(e: &Expr) -> Option<Span> {
    match &e.kind {
        ExprKind::Str(_) => Some(e.span),
        ExprKind::Number(_)
        | ExprKind::Bool(_)
        | ExprKind::Date(_)
        | ExprKind::Name(_)
        | ExprKind::Label => None,
        ExprKind::Unary(_, a) | ExprKind::Paren(a) => find_string_literal(a),
        ExprKind::Binary(_, a, b) => find_string_literal(a).or_else(|| find_string_literal(b)),
        ExprKind::In { value, list, .. } => {
            find_string_literal(value).or_else(|| list.iter().find_map(find_string_literal))
        }
        ExprKind::If(c, a, b) => find_string_literal(c)
            .or_else(|| find_string_literal(a))
            .or_else(|| find_string_literal(b)),
        ExprKind::Match { scrutinee, arms } => find_string_literal(scrutinee).or_else(|| {
            arms.iter().find_map(|arm| {
                arm.patterns
                    .iter()
                    .flatten()
                    .find(|l| matches!(l.kind, LitKind::Str(_)))
                    .map(|l| l.span)
                    .or_else(|| find_string_literal(&arm.expr))
            })
        }),
        ExprKind::Call { args, filter, .. } => args
            .iter()
            .find_map(find_string_literal)
            .or_else(|| filter.as_deref().and_then(find_string_literal)),
        ExprKind::List(items) => items.iter().find_map(find_string_literal),
    }
}
