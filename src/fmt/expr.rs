//! Printing expressions and literals: numbers as written, strings
//! re-escaped, interpolated strings on one line, lists and `match` laid out
//! flat or one item per line, `and`/`or` and `if` chains broken before every
//! operator or `else`.

use super::Fmt;
use super::anchors::K;
use super::doc::{Doc, cat, group, if_break, line, nest, render, text};
use super::layout::{BRACES, LIST};
use crate::ast::{BinaryOp, Expr, ExprKind, IPart, IStr, LitKind, Literal, Span, UnaryOp};
use crate::syntax::lex::{escape, quote};
use crate::value::{format_date, format_number};

impl<'a> Fmt<'a> {
    /// A literal: numbers as written, strings re-escaped.
    pub(super) fn literal(&self, l: &Literal) -> String {
        match &l.kind {
            LitKind::Number(n) => self.number(l.span, *n),
            LitKind::Str(s) => quote(s),
            LitKind::Bool(b) => b.to_string(),
            LitKind::Date(d) => format_date(*d),
            LitKind::Name(n) => n.clone(),
        }
    }

    /// A number as written. Number spans are exact (the grammar's number rules
    /// are atomic), also inside interpolated strings.
    fn number(&self, span: Span, n: f64) -> String {
        let written = self.slice(span.start as usize, span.end as usize);
        let plausible = written.bytes().any(|b| b.is_ascii_digit())
            && written
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-' | b'+'));
        if plausible {
            written.to_string()
        } else {
            format_number(n)
        }
    }

    /// An interpolated string, its expressions always on one line.
    pub(super) fn istr(&mut self, s: &IStr) -> String {
        let mut out = String::from("\"");
        for part in &s.parts {
            match part {
                IPart::Text(t) => out.push_str(&escape(t, true)),
                IPart::Expr(e) => {
                    out.push('{');
                    let quiet = std::mem::replace(&mut self.quiet, true);
                    let doc = self.expr(e);
                    self.quiet = quiet;
                    out.push_str(&render(&doc, usize::MAX >> 2));
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Doc {
        match &e.kind {
            ExprKind::Number(n) => text(self.number(e.span, *n)),
            ExprKind::Str(s) => text(quote(s)),
            ExprKind::Bool(b) => text(b.to_string()),
            ExprKind::Date(d) => text(format_date(*d)),
            ExprKind::Name(n) => text(n.clone()),
            ExprKind::Label => text("label"),
            ExprKind::Unary(UnaryOp::Not, x) => cat(vec![text("not "), self.expr(x)]),
            ExprKind::Unary(UnaryOp::Neg, x) => cat(vec![text("-"), self.expr(x)]),
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), _, _) => self.chain(*op, e),
            ExprKind::Binary(op, a, b) => cat(vec![
                self.expr(a),
                text(format!(" {} ", op.as_str())),
                self.expr(b),
            ]),
            ExprKind::In {
                negated,
                value,
                list,
            } => {
                let v = self.expr(value);
                let open = self.find(self.end(value.span), "[").map_or(0, |t| t.start);
                let l = self.list(list, open);
                cat(vec![v, text(if *negated { " not in " } else { " in " }), l])
            }
            ExprKind::If(..) => self.if_chain(e),
            ExprKind::Match { scrutinee, arms } => {
                let head = cat(vec![text("match "), self.expr(scrutinee), text(" ")]);
                let open = self
                    .find(self.end(scrutinee.span), "{")
                    .map_or(0, |t| t.start);
                let patterns: Vec<String> = arms
                    .iter()
                    .map(|arm| {
                        let ps: Vec<String> = arm
                            .patterns
                            .iter()
                            .map(|p| p.as_ref().map_or("_".to_string(), |l| self.literal(l)))
                            .collect();
                        ps.join(" | ")
                    })
                    .collect();
                let pattern_w = patterns
                    .iter()
                    .map(|p| p.chars().count())
                    .max()
                    .unwrap_or(0);
                let mut items = Vec::new();
                for (arm, pattern) in arms.iter().zip(patterns) {
                    let around = self.around(K::Arm, self.start(arm.span));
                    let pad = " ".repeat(pattern_w - pattern.chars().count());
                    let body = cat(vec![
                        text(pattern),
                        if_break(text(pad), Doc::Nil),
                        text(" => "),
                        self.expr(&arm.expr),
                    ]);
                    let blank = around.first_blank();
                    items.push((around.wrap(body), blank));
                }
                cat(vec![head, self.seq(K::Match, open, items, &BRACES)])
            }
            ExprKind::Call { func, args, filter } => {
                let mut out = vec![text(format!("{}(", func.name))];
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(text(", "));
                    }
                    out.push(self.expr(a));
                }
                if let Some(f) = filter {
                    out.push(text(if args.is_empty() { "where " } else { " where " }));
                    out.push(self.expr(f));
                }
                out.push(text(")"));
                cat(out)
            }
            ExprKind::List(items) => {
                let open = self.start(e.span);
                self.list(items, open)
            }
            ExprKind::Paren(x) => cat(vec![text("("), self.expr(x), text(")")]),
        }
    }

    fn list(&mut self, items: &[Expr], open: usize) -> Doc {
        let mut docs = Vec::new();
        for x in items {
            let around = self.around(K::Elem, self.start(x.span));
            let doc = self.expr(x);
            let blank = around.first_blank();
            docs.push((around.wrap(doc), blank));
        }
        self.seq(K::List, open, docs, &LIST)
    }

    /// `a or b or c`: on one line, or broken before every operator.
    fn chain(&mut self, op: BinaryOp, e: &Expr) -> Doc {
        let mut operands = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(o, a, b) = &cur.kind
            && *o == op
        {
            operands.push(b.as_ref());
            cur = a;
        }
        operands.push(cur);
        operands.reverse();
        let mut iter = operands.into_iter();
        let first = iter.next().map_or(Doc::Nil, |x| self.expr(x));
        let mut rest = Vec::new();
        for x in iter {
            rest.push(line());
            rest.push(text(format!("{} ", op.as_str())));
            rest.push(self.expr(x));
        }
        group(cat(vec![first, nest(cat(rest))]))
    }

    /// `if a then b else if c then d else e`: on one line, or broken before
    /// every `else`.
    fn if_chain(&mut self, e: &Expr) -> Doc {
        let mut out = Vec::new();
        let mut rest = Vec::new();
        let mut cur = e;
        let mut first = true;
        loop {
            match &cur.kind {
                ExprKind::If(c, a, b) => {
                    let part = cat(vec![
                        text(if first { "if " } else { "else if " }),
                        self.expr(c),
                        text(" then "),
                        self.expr(a),
                    ]);
                    if first {
                        out.push(part);
                    } else {
                        rest.push(line());
                        rest.push(part);
                    }
                    first = false;
                    cur = b;
                }
                _ => {
                    rest.push(line());
                    rest.push(text("else "));
                    rest.push(self.expr(cur));
                    break;
                }
            }
        }
        out.push(nest(cat(rest)));
        group(cat(out))
    }
}
