//! Printing the file and its declarations: blank lines and the `=` of
//! grouped one-liners between them, blocks of lines, bracketed sequences, the
//! columns of an `input` block, rules, the label block, policies, waivers and
//! tests.

use super::anchors::{K, TestClause};
use super::comments::{Around, Slots};
use super::doc::{Doc, cat, forces, hard, if_break, nest, render, suffixes, text};
use super::{Fmt, INDENT, Kind, Token, WIDTH};
use crate::ast::{
    Expect, Input, Item, LabelBlock, Named, Policy, Record, Rule, Score, Test, TypeExpr, Waiver,
};
use crate::syntax::lex::quote;
use crate::value::{format_date, format_number};

/// How a bracketed sequence is printed.
pub(super) struct SeqStyle {
    open: &'static str,
    close: &'static str,
    /// A space inside the brackets when flat: `{ a: 1 }`, not `[1]`.
    spaced: bool,
    /// One item per line even when they would fit on one.
    broken: bool,
}

pub(super) const LIST: SeqStyle = SeqStyle {
    open: "[",
    close: "]",
    spaced: false,
    broken: false,
};
pub(super) const BRACES: SeqStyle = SeqStyle {
    open: "{",
    close: "}",
    spaced: true,
    broken: false,
};
const PORTFOLIO: SeqStyle = SeqStyle {
    open: "[",
    close: "]",
    spaced: false,
    broken: true,
};

impl<'a> Fmt<'a> {
    /// The whole file.
    pub(super) fn file(&mut self, items: &[Item]) -> String {
        struct Printed {
            around: Around,
            body: String,
            group: Option<&'static str>,
            name_at: usize,
        }
        let mut printed = Vec::new();
        for item in items {
            let start = self.start(item.span());
            let mut around = self.around(K::Item, start);
            let trailing = std::mem::take(&mut around.trailing);
            let doc = cat(vec![self.item(item), suffixes(trailing)]);
            let body = render(&doc, WIDTH);
            let (group, name_at) = match item {
                Item::Key(_) => (Some("key"), 0),
                Item::Let(n) => (Some("let"), 4 + n.name.name.len()),
                Item::Score(s) => (Some("score"), 6 + s.name.name.len()),
                Item::Output(n) => (Some("output"), 7 + n.name.name.len()),
                Item::Metric(n) => (Some("metric"), 7 + n.name.name.len()),
                _ => (None, 0),
            };
            let group = group.filter(|_| !body.contains('\n'));
            printed.push(Printed {
                around,
                body,
                group,
                name_at,
            });
        }
        // Blank lines between items, and the `=` of grouped one-liners lined up.
        let mut blank = vec![false; printed.len()];
        for i in 1..printed.len() {
            if let (Some(a), Some(b)) = (printed.get(i - 1), printed.get(i)) {
                let grouped = a.group.is_some() && a.group == b.group;
                if let Some(x) = blank.get_mut(i) {
                    *x = !grouped || b.around.first_blank();
                }
            }
        }
        let mut i = 0;
        while i < printed.len() {
            let kind = printed.get(i).and_then(|p| p.group);
            let mut j = i + 1;
            while j < printed.len()
                && kind.is_some_and(|k| k != "key")
                && printed.get(j).and_then(|p| p.group) == kind
                && !blank.get(j).copied().unwrap_or(true)
            {
                j += 1;
            }
            if j - i > 1 {
                let run = printed.get_mut(i..j).unwrap_or(&mut []);
                let widest = run.iter().map(|p| p.name_at).max().unwrap_or(0);
                for p in run {
                    if p.body.is_char_boundary(p.name_at) {
                        p.body
                            .insert_str(p.name_at, &" ".repeat(widest - p.name_at));
                    }
                }
            }
            i = j;
        }
        let mut out = String::new();
        for (i, p) in printed.into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
                if blank.get(i).copied().unwrap_or(true) {
                    out.push('\n');
                }
            }
            for (k, (c, b)) in p.around.above.iter().enumerate() {
                if k > 0 && *b {
                    out.push('\n');
                }
                out.push_str(c);
                out.push('\n');
            }
            if !p.around.above.is_empty() && p.around.blank {
                out.push('\n');
            }
            out.push_str(&p.body);
        }
        let mut end = self.take(K::Root, 0).dangling;
        // Comments no anchor took (which would be a bug in the attaching)
        // are kept at the end rather than lost.
        let mut stray: Vec<Slots> = self.slots.drain().map(|(_, s)| s).collect();
        stray.sort_by_key(|s| s.first);
        for s in stray {
            let all = s
                .leading
                .into_iter()
                .map(|c| c.0)
                .chain(s.hoisted)
                .chain(s.trailing)
                .chain(s.open);
            end.extend(
                all.chain(s.dangling.into_iter().map(|c| c.0))
                    .map(|c| (c, false)),
            );
        }
        for (c, b) in end {
            if !out.is_empty() {
                out.push('\n');
                if b {
                    out.push('\n');
                }
            }
            out.push_str(&c);
        }
        let mut clean: String = out
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n");
        let trimmed_len = clean.trim_end().len();
        clean.truncate(trimmed_len);
        if !clean.is_empty() {
            clean.push('\n');
        }
        clean
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Input(i) => self.input(i),
            Item::Key(k) => text(format!("key {}", k.field.name)),
            Item::Let(n) => self.named("let", n),
            Item::Score(s) => text(self.score(s)),
            Item::Rule(r) => self.rule(r),
            Item::Label(l) => self.label(l),
            Item::Output(n) => self.named("output", n),
            Item::Metric(n) => self.named("metric", n),
            Item::Policy(p) => self.policy(p),
            Item::Waiver(w) => self.waiver(w),
            Item::Test(t) => self.test(t),
        }
    }

    /// A block of lines between braces (or, with no `close`, the indented
    /// lines under a heading), one child per line.
    fn block(
        &mut self,
        head: Doc,
        start: usize,
        children: Vec<(Doc, bool)>,
        close: Option<&str>,
    ) -> Doc {
        let slots = self.take(K::Block, start);
        if children.is_empty() && slots.open.is_empty() && slots.dangling.is_empty() {
            return cat(vec![head, text(close.unwrap_or(""))]);
        }
        let mut inner = Vec::new();
        let mut first = true;
        for (doc, blank) in children {
            inner.push(hard(blank && !first));
            inner.push(doc);
            first = false;
        }
        for (c, blank) in slots.dangling {
            inner.push(hard(blank && !first));
            inner.push(Doc::Comment(c));
            first = false;
        }
        let mut out = vec![head, suffixes(slots.open), nest(cat(inner))];
        if let Some(close) = close {
            out.push(hard(false));
            out.push(text(close));
        }
        cat(out)
    }

    /// A bracketed sequence that is laid out flat when it fits, else one
    /// item per line with a trailing comma.
    pub(super) fn seq(
        &mut self,
        k: K,
        start: usize,
        items: Vec<(Doc, bool)>,
        style: &SeqStyle,
    ) -> Doc {
        let slots = self.take(k, start);
        if items.is_empty() && slots.open.is_empty() && slots.dangling.is_empty() {
            return text(format!("{}{}", style.open, style.close));
        }
        let edge = if style.spaced { " " } else { "" };
        let has_items = !items.is_empty();
        let mut inner = Vec::new();
        // With only a comment after the opening bracket, the closing one
        // follows on the next line.
        if has_items || !slots.dangling.is_empty() {
            inner.push(Doc::Break {
                flat: edge,
                blank: false,
            });
        }
        for (i, (doc, blank)) in items.into_iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Break { flat: " ", blank });
            }
            inner.push(doc);
        }
        if has_items {
            inner.push(if_break(text(","), Doc::Nil));
        }
        for (i, (c, blank)) in slots.dangling.into_iter().enumerate() {
            if i > 0 || has_items {
                inner.push(hard(blank));
            }
            inner.push(Doc::Comment(c));
        }
        let doc = cat(vec![
            text(style.open),
            suffixes(slots.open),
            nest(cat(inner)),
            Doc::Break {
                flat: edge,
                blank: false,
            },
            text(style.close),
        ]);
        let forced = style.broken || forces(&doc);
        Doc::Group(Box::new(doc), forced)
    }

    fn input(&mut self, input: &Input) -> Doc {
        let start = self.start(input.span);
        struct Row {
            around: Around,
            cells: [String; 4],
        }
        let mut rows = Vec::new();
        for f in &input.fields {
            let fstart = self.start(f.span);
            let around = self.around(K::Field, fstart);
            let mut ty = match &f.ty {
                TypeExpr::Text => "text".to_string(),
                TypeExpr::Number => "number".to_string(),
                TypeExpr::Bool => "bool".to_string(),
                TypeExpr::Date => "date".to_string(),
                TypeExpr::Enum(values) => {
                    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
                    format!("enum({})", names.join(", "))
                }
            };
            if f.optional {
                ty.push('?');
            }
            let default = f
                .default
                .as_ref()
                .map_or(String::new(), |d| format!("= {}", self.literal(d)));
            let from = f
                .from
                .as_ref()
                .map_or(String::new(), |s| format!("from {}", quote(&s.value)));
            rows.push(Row {
                around,
                cells: [format!("{}:", f.name.name), ty, default, from],
            });
        }
        let cells: Vec<[String; 4]> = rows.iter().map(|r| r.cells.clone()).collect();
        let codes = align(&cells);
        let comment_col = rows
            .iter()
            .zip(&codes)
            .filter(|(r, _)| !r.around.trailing.is_empty())
            .map(|(_, c)| c.chars().count())
            .filter(|&w| w <= CODE_CAP)
            .max()
            .map_or(0, |w| w + 2);
        let mut children = Vec::new();
        for (mut row, mut code) in rows.into_iter().zip(codes) {
            let trailing = std::mem::take(&mut row.around.trailing);
            if !trailing.is_empty() {
                let pad = comment_col.saturating_sub(code.chars().count()).max(2);
                code.push_str(&" ".repeat(pad));
                code.push_str(&trailing.join(" "));
            }
            let blank = row.around.first_blank();
            children.push((row.around.wrap(text(code)), blank));
        }
        self.block(text("input {"), start, children, Some("}"))
    }

    fn named(&mut self, keyword: &str, n: &Named) -> Doc {
        cat(vec![
            text(format!("{keyword} {} = ", n.name.name)),
            self.expr(&n.expr),
        ])
    }

    /// `score name = start in lo..hi`, numbers as written.
    fn score(&self, s: &Score) -> String {
        let (start, end) = self.tight(s.span);
        let first = self.toks.partition_point(|t| t.start < start);
        let toks: Vec<Token> = self
            .toks
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|t| t.end <= end)
            .copied()
            .collect();
        let mut pieces: Vec<String> = Vec::new();
        let mut after_assign = false;
        let mut sign: Option<Token> = None;
        for t in toks {
            let txt = self.tok_text(t);
            if !after_assign {
                after_assign = txt == "=";
                continue;
            }
            match (txt, sign) {
                ("-" | "+", _) => sign = Some(t),
                (_, Some(sg)) if t.kind == Kind::Number && sg.end == t.start => {
                    pieces.push(self.slice(sg.start, t.end).to_string());
                    sign = None;
                }
                _ => {
                    if let Some(sg) = sign.take() {
                        pieces.push(self.tok_text(sg).to_string());
                    }
                    pieces.push(txt.to_string());
                }
            }
        }
        let name = &s.name.name;
        match pieces.as_slice() {
            [start] => format!("score {name} = {start}"),
            [start, kw_in, lo, dots, hi] if kw_in == "in" && dots == ".." => {
                format!("score {name} = {start} in {lo}..{hi}")
            }
            _ => {
                let mut out = format!("score {name} = {}", format_number(s.start));
                if let Some((lo, hi)) = s.range {
                    out.push_str(&format!(" in {}..{}", format_number(lo), format_number(hi)));
                }
                out
            }
        }
    }

    fn rule(&mut self, r: &Rule) -> Doc {
        let start = self.start(r.span);
        let mut head = vec![text(format!("rule {}", quote(&r.name.value)))];
        if let Some(w) = &r.when {
            head.push(text(" when "));
            // Continuation lines of the condition go deeper than the actions.
            head.push(nest(self.expr(w)));
        }
        head.push(text(" {"));
        let target_w = r
            .actions
            .iter()
            .map(|a| a.target.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut children = Vec::new();
        for a in &r.actions {
            let around = self.around(K::Action, self.start(a.span));
            let target = &a.target.name;
            let pad = " ".repeat(target_w - target.chars().count());
            let body = cat(vec![
                text(format!("{target}{pad} {} ", a.op.as_str())),
                self.expr(&a.expr),
            ]);
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        self.block(cat(head), start, children, Some("}"))
    }

    /// The label block. `because` goes on the line of its condition, or,
    /// as soon as one line of the block would pass the width with it, on the
    /// next line under `when` for every line of the block.
    fn label(&mut self, l: &LabelBlock) -> Doc {
        let start = self.start(l.span);
        let value_w = l
            .lines
            .iter()
            .map(|x| x.value.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut lines = Vec::new();
        for ll in &l.lines {
            let around = self.around(K::LabelLine, self.start(ll.span));
            let value = &ll.value.name;
            let mut head = vec![text(format!(
                "{value}{}",
                " ".repeat(value_w - value.chars().count())
            ))];
            match &ll.when {
                Some(w) => {
                    head.push(text(" when "));
                    head.push(self.expr(w));
                }
                None => head.push(text(" otherwise")),
            }
            let because = ll
                .because
                .as_ref()
                .map(|b| format!("because {}", self.istr(b)));
            lines.push((around, cat(head), because));
        }
        let too_long = lines.iter().any(|(_, head, because)| {
            because.as_ref().is_some_and(|b| {
                let head_w = render(head, WIDTH)
                    .lines()
                    .map(|l| l.chars().count())
                    .max()
                    .unwrap_or(0);
                INDENT + head_w + 1 + b.chars().count() > WIDTH
            })
        });
        let mut children = Vec::new();
        for (around, head, because) in lines {
            let body = match because {
                Some(b) if too_long => cat(vec![
                    head,
                    Doc::Nest(value_w + 1, Box::new(cat(vec![hard(false), text(b)]))),
                ]),
                Some(b) => cat(vec![head, text(format!(" {b}"))]),
                None => head,
            };
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        self.block(text("label {"), start, children, Some("}"))
    }

    fn policy(&mut self, p: &Policy) -> Doc {
        let start = self.start(p.span);
        let head = text(format!(
            "policy {} {}",
            quote(&p.name.value),
            p.severity.as_str()
        ));
        let mut clauses = Vec::new();
        let ws = self.start(p.when.span);
        let around = self.around(K::Clause, self.keyword_before(ws));
        let when = cat(vec![text("when "), self.expr(&p.when)]);
        clauses.push((around.wrap(when), false));
        if let Some(u) = &p.unless {
            let around = self.around(K::Clause, self.keyword_before(self.start(u.span)));
            let unless = cat(vec![text("unless "), self.expr(u)]);
            clauses.push((around.wrap(unless), false));
        }
        if let Some(m) = &p.message {
            let around = self.around(K::Clause, self.keyword_before(self.start(m.span)));
            let message = text(format!("message {}", self.istr(m)));
            clauses.push((around.wrap(message), false));
        }
        self.block(head, start, clauses, None)
    }

    fn waiver(&mut self, w: &Waiver) -> Doc {
        let span = self.tight(w.span);
        let open = self.find(self.end(w.policy.span), "{");
        let clauses = self.waiver_clauses(span, open);
        let kw_w = clauses.iter().map(|c| c.0.len()).max().unwrap_or(0);
        let mut children = Vec::new();
        for (kw, start, end) in clauses {
            let around = self.around(K::Clause, start);
            let value = match kw {
                "tasks" => {
                    let list_start = self.find(start, "[").map_or(start, |t| t.start);
                    let mut items = Vec::new();
                    for t in &w.tasks {
                        let (ts, te) = self.tight(t.span);
                        if ts > list_start && te <= end {
                            let around = self.around(K::Elem, ts);
                            let blank = around.first_blank();
                            items.push((around.wrap(text(quote(&t.value))), blank));
                        }
                    }
                    self.seq(K::Tasks, list_start, items, &LIST)
                }
                "reason" => text(w.reason.as_ref().map_or(String::new(), |s| quote(&s.value))),
                "owner" => text(w.owner.as_ref().map_or(String::new(), |s| quote(&s.value))),
                _ => text(w.expires.map_or(String::new(), |(d, _)| format_date(d))),
            };
            let body = cat(vec![text(format!("{kw:<kw_w$} ")), value]);
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        let head = text(format!("waiver {} {{", quote(&w.policy.value)));
        self.block(head, span.0, children, Some("}"))
    }

    fn test(&mut self, t: &Test) -> Doc {
        let start = self.start(t.span);
        let mut children = Vec::new();
        for (cstart, _, clause) in self.test_clauses(t) {
            let around = self.around(K::Clause, cstart);
            let body = match clause {
                TestClause::Today(d) => text(format!("today {}", format_date(d))),
                TestClause::Given(g) => {
                    let value = if g.portfolio {
                        let open = self.find(cstart, "[").map_or(cstart, |t| t.start);
                        let mut records = Vec::new();
                        for r in &g.records {
                            let around = self.around(K::Elem, self.start(r.span));
                            let doc = self.record(r);
                            let blank = around.first_blank();
                            records.push((around.wrap(doc), blank));
                        }
                        self.seq(K::Portfolio, open, records, &PORTFOLIO)
                    } else {
                        let records: Vec<Doc> = g.records.iter().map(|r| self.record(r)).collect();
                        cat(records)
                    };
                    cat(vec![text("given "), value])
                }
                TestClause::Expect(Expect::Cond(c)) => cat(vec![text("expect "), self.expr(c)]),
                TestClause::Expect(Expect::Policy { kind, policy, .. }) => {
                    text(format!("expect {} {}", kind.as_str(), quote(&policy.value)))
                }
            };
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        let head = text(format!("test {} {{", quote(&t.name.value)));
        self.block(head, start, children, Some("}"))
    }

    fn record(&mut self, r: &Record) -> Doc {
        let start = self.start(r.span);
        let mut fields = Vec::new();
        for (name, e) in &r.fields {
            let around = self.around(K::RecField, self.start(name.span));
            let body = cat(vec![text(format!("{}: ", name.name)), self.expr(e)]);
            let blank = around.first_blank();
            fields.push((around.wrap(body), blank));
        }
        self.seq(K::Record, start, fields, &BRACES)
    }
}

/// Cells of an `input` row wider than this do not widen their column, so one
/// long `enum(...)` does not push every other field's default far right.
const CELL_CAP: usize = 20;
/// Likewise for the code before a trailing comment in an `input` block.
const CODE_CAP: usize = 64;

/// Lays out the rows of an `input` block (name, type, default, from) in
/// columns: each cell padded to the widest of its column among the rows that
/// have something after it and are aligned so far. A wider cell, or any cell
/// after it on its row, is followed by one space only.
fn align(rows: &[[String; 4]]) -> Vec<String> {
    let later =
        |r: &[String; 4], j: usize| r.get(j + 1..).unwrap_or(&[]).iter().any(|c| !c.is_empty());
    let cell_w = |r: &[String; 4], j: usize| r.get(j).map_or(0, |c| c.chars().count());
    let mut codes = vec![String::new(); rows.len()];
    let mut aligned = vec![true; rows.len()];
    let mut done = vec![false; rows.len()];
    for j in 0..4 {
        let w = rows
            .iter()
            .zip(&aligned)
            .filter(|(r, a)| **a && later(r, j))
            .map(|(r, _)| cell_w(r, j))
            .filter(|&w| j == 0 || w <= CELL_CAP)
            .max()
            .unwrap_or(0);
        for (i, row) in rows.iter().enumerate() {
            let (Some(code), Some(ok), Some(fin)) =
                (codes.get_mut(i), aligned.get_mut(i), done.get_mut(i))
            else {
                continue;
            };
            if *fin {
                continue;
            }
            let cell = row.get(j).map_or("", String::as_str);
            if !later(row, j) {
                code.push_str(cell);
                *fin = true;
                continue;
            }
            if cell.is_empty() && (w == 0 || !*ok) {
                continue;
            }
            code.push_str(cell);
            let cw = cell.chars().count();
            if *ok && cw <= w {
                code.push_str(&" ".repeat(w - cw + 1));
            } else {
                *ok = false;
                code.push(' ');
            }
        }
    }
    codes
}
