//! The anchor tree: every declaration, field, action, label line, clause,
//! list item, match arm and record field, and every bracket around them, by
//! the offsets of their first and last tokens. Comments attach to its nodes.

use super::{Fmt, Kind, Token};
use crate::ast::{Expect, Expr, ExprKind, Given, Item, Record, Test};

/// What a comment can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum K {
    /// The file: comments at its end.
    Root,
    // Things printed on lines of their own, with comments above them and at
    // the end of their last line.
    Item,
    Field,
    Action,
    LabelLine,
    Clause,
    Elem,
    Arm,
    RecField,
    // Bracketed things, with comments after the opening bracket and before
    // the closing one.
    Block,
    List,
    Match,
    Record,
    Portfolio,
    Tasks,
}

impl K {
    pub(super) fn is_line(self) -> bool {
        matches!(
            self,
            K::Item
                | K::Field
                | K::Action
                | K::LabelLine
                | K::Clause
                | K::Elem
                | K::Arm
                | K::RecField
        )
    }
}

/// A node of the tree comments are attached to, by byte offsets of its first
/// and last token.
#[derive(Debug, Clone)]
pub(super) struct Anchor {
    pub(super) k: K,
    pub(super) start: usize,
    pub(super) end: usize,
    /// The token after which the body starts: an opening bracket, or a
    /// policy's severity.
    pub(super) open: Option<Token>,
    /// Where the closing bracket starts.
    pub(super) close: Option<usize>,
    pub(super) parent: usize,
}

pub(super) const ROOT: usize = 0;

/// A clause of a test, in the order written.
pub(super) enum TestClause<'t> {
    Today(i32),
    Given(&'t Given),
    Expect(&'t Expect),
}

impl<'a> Fmt<'a> {
    fn add(
        &mut self,
        k: K,
        (start, end): (usize, usize),
        open: Option<Token>,
        parent: usize,
    ) -> usize {
        let close = if k.is_line() {
            None
        } else {
            self.tok_before(end).map(|t| t.start)
        };
        let id = self.anchors.len();
        self.anchors.push(Anchor {
            k,
            start,
            end,
            open,
            close,
            parent,
        });
        self.children.push(Vec::new());
        if let Some(c) = self.children.get_mut(parent) {
            c.push(id);
        }
        id
    }

    pub(super) fn sort_children(&mut self) {
        let anchors = &self.anchors;
        for c in &mut self.children {
            c.sort_by_key(|&i| anchors.get(i).map_or(0, |a| a.start));
        }
    }

    pub(super) fn reg_item(&mut self, item: &Item) {
        let span = self.tight(item.span());
        let it = self.add(K::Item, span, None, ROOT);
        match item {
            Item::Input(input) => {
                let open = self.find(span.0, "{");
                let b = self.add(K::Block, span, open, it);
                for f in &input.fields {
                    let fs = self.tight(f.span);
                    self.add(K::Field, fs, None, b);
                }
            }
            Item::Key(_) | Item::Score(_) => {}
            Item::Let(n) | Item::Output(n) | Item::Metric(n) => self.reg_expr(&n.expr, it),
            Item::Rule(r) => {
                let head_end = r
                    .when
                    .as_ref()
                    .map_or(self.end(r.name.span), |w| self.end(w.span));
                let open = self.find(head_end, "{");
                let b = self.add(K::Block, span, open, it);
                if let Some(w) = &r.when {
                    self.reg_expr(w, b);
                }
                for a in &r.actions {
                    let aspan = self.tight(a.span);
                    let an = self.add(K::Action, aspan, None, b);
                    self.reg_expr(&a.expr, an);
                }
            }
            Item::Label(l) => {
                let open = self.find(span.0, "{");
                let b = self.add(K::Block, span, open, it);
                for ll in &l.lines {
                    let lspan = self.tight(ll.span);
                    let ln = self.add(K::LabelLine, lspan, None, b);
                    if let Some(w) = &ll.when {
                        self.reg_expr(w, ln);
                    }
                }
            }
            Item::Policy(p) => {
                let severity = self.tok_at(self.end(p.name.span));
                let b = self.add(K::Block, span, severity, it);
                // Its lines end with the last clause: no closing bracket.
                if let Some(a) = self.anchors.get_mut(b) {
                    a.close = None;
                }
                let (ws, we) = self.tight(p.when.span);
                let when = self.add(K::Clause, (self.keyword_before(ws), we), None, b);
                self.reg_expr(&p.when, when);
                if let Some(u) = &p.unless {
                    let (us, ue) = self.tight(u.span);
                    let unless = self.add(K::Clause, (self.keyword_before(us), ue), None, b);
                    self.reg_expr(u, unless);
                }
                if let Some(m) = &p.message {
                    let (ms, me) = self.tight(m.span);
                    self.add(K::Clause, (self.keyword_before(ms), me), None, b);
                }
            }
            Item::Waiver(w) => {
                let open = self.find(self.end(w.policy.span), "{");
                let b = self.add(K::Block, span, open, it);
                for (kw, start, end) in self.waiver_clauses(span, open) {
                    let clause = self.add(K::Clause, (start, end), None, b);
                    if kw == "tasks" {
                        let open = self.find(start, "[");
                        let list_start = open.map_or(start, |t| t.start);
                        let list = self.add(K::Tasks, (list_start, end), open, clause);
                        for t in &w.tasks {
                            let ts = self.tight(t.span);
                            if ts.0 > list_start && ts.1 <= end {
                                self.add(K::Elem, ts, None, list);
                            }
                        }
                    }
                }
            }
            Item::Test(t) => {
                let open = self.find(self.end(t.name.span), "{");
                let b = self.add(K::Block, span, open, it);
                for (start, end, clause) in self.test_clauses(t) {
                    let c = self.add(K::Clause, (start, end), None, b);
                    match clause {
                        TestClause::Today(_) | TestClause::Expect(Expect::Policy { .. }) => {}
                        TestClause::Expect(Expect::Cond(e)) => self.reg_expr(e, c),
                        TestClause::Given(g) if g.portfolio => {
                            let open = self.find(start, "[");
                            let p = self.add(
                                K::Portfolio,
                                (open.map_or(start, |t| t.start), end),
                                open,
                                c,
                            );
                            for r in &g.records {
                                let rspan = self.tight(r.span);
                                let el = self.add(K::Elem, rspan, None, p);
                                self.reg_record(r, el);
                            }
                        }
                        TestClause::Given(g) => {
                            for r in &g.records {
                                self.reg_record(r, c);
                            }
                        }
                    }
                }
            }
        }
    }

    fn reg_record(&mut self, r: &Record, parent: usize) {
        let span = self.tight(r.span);
        let open = self.tok_at(span.0);
        let rec = self.add(K::Record, span, open, parent);
        for (name, e) in &r.fields {
            let f = self.add(
                K::RecField,
                (self.start(name.span), self.end(e.span)),
                None,
                rec,
            );
            self.reg_expr(e, f);
        }
    }

    fn reg_list(&mut self, items: &[Expr], open: Option<Token>, end: usize, parent: usize) {
        let start = open.map_or(end, |t| t.start);
        let list = self.add(K::List, (start, end), open, parent);
        for x in items {
            let xspan = self.tight(x.span);
            let el = self.add(K::Elem, xspan, None, list);
            self.reg_expr(x, el);
        }
    }

    fn reg_expr(&mut self, e: &Expr, parent: usize) {
        match &e.kind {
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Name(_)
            | ExprKind::Label => {}
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.reg_expr(x, parent),
            ExprKind::Binary(_, a, b) => {
                self.reg_expr(a, parent);
                self.reg_expr(b, parent);
            }
            ExprKind::In { value, list, .. } => {
                self.reg_expr(value, parent);
                let open = self.find(self.end(value.span), "[");
                self.reg_list(list, open, self.end(e.span), parent);
            }
            ExprKind::If(c, a, b) => {
                self.reg_expr(c, parent);
                self.reg_expr(a, parent);
                self.reg_expr(b, parent);
            }
            ExprKind::Match { scrutinee, arms } => {
                self.reg_expr(scrutinee, parent);
                let open = self.find(self.end(scrutinee.span), "{");
                let end = self.end(e.span);
                let m = self.add(K::Match, (open.map_or(end, |t| t.start), end), open, parent);
                for arm in arms {
                    let aspan = self.tight(arm.span);
                    let a = self.add(K::Arm, aspan, None, m);
                    self.reg_expr(&arm.expr, a);
                }
            }
            ExprKind::Call { args, filter, .. } => {
                for a in args {
                    self.reg_expr(a, parent);
                }
                if let Some(f) = filter {
                    self.reg_expr(f, parent);
                }
            }
            ExprKind::List(items) => {
                let (start, end) = self.tight(e.span);
                self.reg_list(items, self.tok_at(start), end, parent);
            }
        }
    }

    /// The start of the keyword just before a clause's value.
    pub(super) fn keyword_before(&self, pos: usize) -> usize {
        self.tok_before(pos).map_or(pos, |t| t.start)
    }

    /// The clauses of a waiver in the order written: keyword, first and last
    /// offset. Found from the tokens, since the tree does not keep where an
    /// empty `tasks []` is.
    pub(super) fn waiver_clauses(
        &self,
        (_, end): (usize, usize),
        open: Option<Token>,
    ) -> Vec<(&'a str, usize, usize)> {
        let Some(open) = open else { return Vec::new() };
        let close = self.tok_before(end).map_or(end, |t| t.start);
        let first = self.toks.partition_point(|t| t.start < open.end);
        let mut depth = 0usize;
        let mut keywords = Vec::new();
        for t in self.toks.get(first..).unwrap_or(&[]) {
            if t.start >= close {
                break;
            }
            let s = self.tok_text(*t);
            match s {
                "[" | "(" | "{" => depth += 1,
                "]" | ")" | "}" => depth = depth.saturating_sub(1),
                "tasks" | "reason" | "owner" | "expires" if depth == 0 && t.kind == Kind::Word => {
                    keywords.push((s, t.start))
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (i, &(kw, start)) in keywords.iter().enumerate() {
            let next = keywords.get(i + 1).map_or(close, |k| k.1);
            let end = self.tok_before(next).map_or(next, |t| t.end).max(start);
            out.push((kw, start, end));
        }
        out
    }

    pub(super) fn test_clauses<'t>(&self, t: &'t Test) -> Vec<(usize, usize, TestClause<'t>)> {
        let mut out = Vec::new();
        if let Some((d, span)) = t.today {
            let (s, e) = self.tight(span);
            out.push((self.keyword_before(s), e, TestClause::Today(d)));
        }
        if let Some(g) = &t.given {
            let (s, e) = self.tight(g.span);
            out.push((s, e, TestClause::Given(g)));
        }
        for x in &t.expects {
            let (s, e) = match x {
                Expect::Cond(c) => {
                    let (s, e) = self.tight(c.span);
                    (self.keyword_before(s), e)
                }
                Expect::Policy { span, .. } => self.tight(*span),
            };
            out.push((s, e, TestClause::Expect(x)));
        }
        out.sort_by_key(|c| c.0);
        out
    }
}
