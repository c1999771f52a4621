//! The checker: finds every mistake in a rule set before any data is read,
//! and compiles what it checked into a [`Program`].

pub mod expr;

use crate::ast::{self, Item, Named, RuleSet, Span, TypeExpr};
use crate::compile::*;
use crate::diag::{Diagnostic, Sources, did_you_mean};
use crate::value::{FieldType, Value};
use expr::{Cx, Place};
use std::collections::HashMap;
use std::sync::Arc;

/// What a declared name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sym {
    Field(u32),
    Let(u32),
    Score(u32),
    Output(u32),
    Metric(u32),
}

/// Where a computed declaration is in its checking.
#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Todo,
    /// Being checked: meeting it again means a cycle.
    Busy,
    Done(Ty, bool),
}

/// Lets, outputs or metrics: declarations checked on first use, so they may
/// refer to each other in any order.
struct Computeds<'a> {
    decls: Vec<&'a Named>,
    state: Vec<State>,
    nodes: Vec<Option<Node>>,
    order: Vec<u32>,
}

impl<'a> Computeds<'a> {
    fn new(decls: Vec<&'a Named>) -> Self {
        let n = decls.len();
        Computeds {
            decls,
            state: vec![State::Todo; n],
            nodes: vec![None; n],
            order: Vec::new(),
        }
    }

    fn finish(self) -> (Vec<Computed>, Vec<u32>) {
        let items = self
            .decls
            .iter()
            .zip(self.state)
            .zip(self.nodes)
            .map(|((d, st), node)| Computed {
                name: d.name.name.clone(),
                ty: match st {
                    State::Done(ty, _) => ty,
                    _ => Ty::Error,
                },
                node: node.unwrap_or(Node::Const(Value::Missing)),
                span: d.span,
            })
            .collect();
        (items, self.order)
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Let,
    Output,
    Metric,
}

pub(crate) struct Checker<'a> {
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) enums: Vec<EnumDef>,
    pub(crate) fields: Vec<FieldDef>,
    pub(crate) symbols: HashMap<String, Sym>,
    pub(crate) aggregates: Vec<AggDef>,
    pub(crate) label_enum: Option<u16>,
    /// Where each declared name was first declared, for duplicate reports.
    first_names: HashMap<String, Span>,
    /// Findings for `outsort lint` only.
    pub(crate) lints: Vec<Diagnostic>,
    lets: Computeds<'a>,
    outputs: Computeds<'a>,
    metrics: Computeds<'a>,
    /// The regular expressions compiled so far, by pattern: a pattern used
    /// again shares its compiled form, and their number is bounded.
    pub(crate) regexes: HashMap<String, regex::Regex>,
    /// How many more diagnostics may search for a did-you-mean suggestion:
    /// the search compares with every candidate, so it is bounded.
    suggestions: std::cell::Cell<usize>,
    /// The enum types of fields by their values, so fields with the same
    /// values share one.
    enum_types: HashMap<Vec<String>, u16>,
}

/// The most diagnostics of one check that search for a suggestion.
const MAX_SUGGESTIONS: usize = 100;

/// The most values or names listed in one help text.
pub(crate) const MAX_LISTED: usize = 30;

/// Checks a rule set and compiles it. Returns the program when there is no
/// error, and every diagnostic (errors and warnings) sorted by position.
pub fn check(rs: &RuleSet, sources: Arc<Sources>) -> (Option<Program>, Vec<Diagnostic>) {
    let mut lets = Vec::new();
    let mut outputs = Vec::new();
    let mut metrics = Vec::new();
    for item in &rs.items {
        match item {
            Item::Let(n) => lets.push(n),
            Item::Output(n) => outputs.push(n),
            Item::Metric(n) => metrics.push(n),
            _ => {}
        }
    }
    let mut c = Checker {
        diags: Vec::new(),
        enums: Vec::new(),
        fields: Vec::new(),
        symbols: HashMap::new(),
        aggregates: Vec::new(),
        label_enum: None,
        first_names: HashMap::new(),
        lints: Vec::new(),
        lets: Computeds::new(lets),
        outputs: Computeds::new(outputs),
        metrics: Computeds::new(metrics),
        regexes: HashMap::new(),
        suggestions: std::cell::Cell::new(MAX_SUGGESTIONS),
        enum_types: HashMap::new(),
    };
    let program = c.run(rs, sources);
    let mut diags = c.diags;
    crate::diag::sort(&mut diags);
    let ok = !diags.iter().any(Diagnostic::is_error);
    (program.filter(|_| ok), diags)
}

impl<'a> Checker<'a> {
    /// Whether a diagnostic may still search for a suggestion.
    pub(crate) fn may_suggest(&self) -> bool {
        self.suggestions.get() > 0
    }

    /// The closest candidate to `name`, within the budget of searches.
    pub(crate) fn suggest<'c>(
        &self,
        name: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        let left = self.suggestions.get();
        if left == 0 {
            return None;
        }
        self.suggestions.set(left - 1);
        did_you_mean(name, candidates)
    }

    fn run(&mut self, rs: &'a RuleSet, sources: Arc<Sources>) -> Option<Program> {
        self.declare_fields(rs);
        let key = self.key(rs);
        let scores = self.declare_scores(rs);
        self.declare_computed();
        self.declare_labels(rs);

        for i in 0..self.lets.decls.len() {
            self.resolve_let(i as u32, None);
        }
        let rules = self.rules(rs, &scores);
        let labels = self.label_lines(rs, &sources);
        for i in 0..self.outputs.decls.len() {
            self.resolve_output(i as u32, None);
        }
        for i in 0..self.metrics.decls.len() {
            self.resolve_metric(i as u32, None);
        }
        let policies = self.policies(rs);
        let waivers = self.waivers(rs, &policies);
        let tests = self.tests(rs, &policies, &sources);

        let (lets, let_order) =
            std::mem::replace(&mut self.lets, Computeds::new(Vec::new())).finish();
        let (outputs, output_order) =
            std::mem::replace(&mut self.outputs, Computeds::new(Vec::new())).finish();
        let (metrics, metric_order) =
            std::mem::replace(&mut self.metrics, Computeds::new(Vec::new())).finish();
        let mut program = Program {
            sources,
            enums: std::mem::take(&mut self.enums),
            fields: std::mem::take(&mut self.fields),
            key: key?,
            lets,
            let_order,
            scores,
            rules,
            label_enum: self.label_enum,
            labels,
            outputs,
            output_order,
            metrics,
            metric_order,
            aggregates: std::mem::take(&mut self.aggregates),
            policies,
            waivers,
            tests,
            lints: std::mem::take(&mut self.lints),
            plan: Default::default(),
        };
        program.plan = crate::eval::Plan::build(&program);
        Some(program)
    }

    /// Declares a name; a second declaration of it is an error.
    fn declare(&mut self, ident: &ast::Ident, sym: Sym, first: &mut HashMap<String, Span>) {
        if let Some(prev) = first.get(&ident.name) {
            self.diags.push(
                Diagnostic::error("duplicate", format!("`{}` is declared twice", ident.name))
                    .at(ident.span)
                    .label("declared again here")
                    .note(*prev, "first declared here")
                    .help("each field, let, score, output and metric needs its own name"),
            );
            return;
        }
        first.insert(ident.name.clone(), ident.span);
        self.symbols.insert(ident.name.clone(), sym);
    }

    fn enum_type(&mut self, name: &str, values: &[ast::Ident]) -> u16 {
        let names: Vec<String> = values.iter().map(|v| v.name.clone()).collect();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for v in values {
            if let Some(prev) = seen.get(v.name.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate",
                        format!("the value `{}` is listed twice", v.name),
                    )
                    .at(v.span)
                    .note(*prev, "first listed here"),
                );
            }
            seen.insert(&v.name, v.span);
        }
        if names.len() > u16::MAX as usize {
            self.diags.push(
                Diagnostic::error("limit", "an enum may have at most 65535 values")
                    .at(values[0].span),
            );
        }
        // Two enum fields with the same values in the same order share a type.
        if let Some(&i) = self.enum_types.get(&names) {
            return i;
        }
        self.new_enum(name, names, values.first().map(|v| v.span))
    }

    /// Adds an enum type; past 65,535 types, a `limit` error.
    fn new_enum(&mut self, name: &str, values: Vec<String>, at: Option<Span>) -> u16 {
        if self.enums.len() >= u16::MAX as usize {
            if self.enums.len() == u16::MAX as usize {
                let mut d = Diagnostic::error(
                    "limit",
                    "a rule set may have at most 65535 different enum types",
                );
                if let Some(span) = at {
                    d = d.at(span);
                }
                self.diags.push(d);
                // Reported once: later types share the last index.
                self.enums.push(EnumDef::new(name, Vec::new()));
            }
            return u16::MAX;
        }
        if name != "label" {
            self.enum_types
                .insert(values.clone(), self.enums.len() as u16);
        }
        self.enums.push(EnumDef::new(name, values));
        (self.enums.len() - 1) as u16
    }

    fn declare_fields(&mut self, rs: &RuleSet) {
        let mut first = HashMap::new();
        let mut input_span: Option<Span> = None;
        for item in &rs.items {
            let Item::Input(input) = item else { continue };
            if let Some(prev) = input_span {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate",
                        "a rule set has one `input` block, and this is a second",
                    )
                    .at(Span {
                        end: input.span.start + 5,
                        ..input.span
                    })
                    .note(prev, "the first `input` block")
                    .help("move these fields into the first `input` block"),
                );
                continue;
            }
            input_span = Some(input.span);
            for f in &input.fields {
                let (ty, field_type) = match &f.ty {
                    TypeExpr::Text => (Ty::Text, FieldType::Text),
                    TypeExpr::Number => (Ty::Number, FieldType::Number),
                    TypeExpr::Bool => (Ty::Bool, FieldType::Bool),
                    TypeExpr::Date => (Ty::Date, FieldType::Date),
                    TypeExpr::Enum(values) => {
                        let e = self.enum_type(&f.name.name, values);
                        (
                            Ty::Enum(e),
                            FieldType::Enum(values.iter().map(|v| v.name.clone()).collect()),
                        )
                    }
                };
                let default = f
                    .default
                    .as_ref()
                    .and_then(|lit| self.literal(lit, ty, "the default"));
                let slot = self.fields.len() as u32;
                self.declare(&f.name, Sym::Field(slot), &mut first);
                self.fields.push(FieldDef {
                    name: f.name.name.clone(),
                    from: f.from.as_ref().map(|s| s.value.clone()),
                    ty,
                    field_type,
                    optional: f.optional,
                    default,
                    span: f.span,
                });
            }
        }
        if input_span.is_none() {
            self.diags.push(
                Diagnostic::error("no-input", "the rule set has no `input` block")
                    .help("declare the task's fields, such as `input { id: text  hours: number }`"),
            );
        }
        self.first_names = first;
    }

    fn key(&mut self, rs: &RuleSet) -> Option<u32> {
        let mut key: Option<(u32, Span)> = None;
        for item in &rs.items {
            let Item::Key(k) = item else { continue };
            if let Some((_, prev)) = key {
                self.diags.push(
                    Diagnostic::error("duplicate", "the key is declared twice")
                        .at(k.span)
                        .note(prev, "first declared here"),
                );
                continue;
            }
            match self.symbols.get(&k.field.name) {
                Some(Sym::Field(i)) => {
                    let f = &self.fields[*i as usize];
                    if f.optional {
                        self.diags.push(
                            Diagnostic::error(
                                "key",
                                format!("the key field `{}` may be missing", f.name),
                            )
                            .at(k.field.span)
                            .help("every task needs a key: declare the field without `?`"),
                        );
                    }
                    key = Some((*i, k.span));
                }
                _ => {
                    let names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
                    let mut d = Diagnostic::error(
                        "unknown-name",
                        format!("the key `{}` is not a field", k.field.name),
                    )
                    .at(k.field.span);
                    if let Some(best) = self.suggest(&k.field.name, names.iter().copied()) {
                        d = d.help(format!("did you mean `{best}`?"));
                    } else {
                        d = d.help(format!(
                            "the fields are {}",
                            crate::diag::list_capped(&names, MAX_LISTED)
                        ));
                    }
                    self.diags.push(d);
                    key = Some((0, k.span));
                }
            }
        }
        match key {
            Some((i, _)) => Some(i),
            None => {
                let first = self.fields.first()?;
                if first.optional {
                    self.diags.push(
                        Diagnostic::error(
                            "key",
                            format!(
                                "the first field `{}` is the key, but it may be missing",
                                first.name
                            ),
                        )
                        .at(first.span)
                        .help("declare another field as the key with `key field`, or drop the `?`"),
                    );
                }
                Some(0)
            }
        }
    }

    fn declare_scores(&mut self, rs: &RuleSet) -> Vec<ScoreDef> {
        let mut first = std::mem::take(&mut self.first_names);
        let mut scores = Vec::new();
        for item in &rs.items {
            let Item::Score(s) = item else { continue };
            let (lo, hi) = s.range.unwrap_or((f64::MIN, f64::MAX));
            if lo > hi {
                self.diags.push(
                    Diagnostic::error(
                        "range",
                        format!("the range {lo}..{hi} of `{}` is empty", s.name.name),
                    )
                    .at(s.span)
                    .help("write the lower bound first, such as `in 0..100`"),
                );
            }
            self.declare(&s.name, Sym::Score(scores.len() as u32), &mut first);
            scores.push(ScoreDef {
                name: s.name.name.clone(),
                start: s.start,
                lo,
                hi,
                span: s.span,
            });
        }
        self.first_names = first;
        scores
    }

    fn declare_computed(&mut self) {
        let mut first = std::mem::take(&mut self.first_names);
        type Group<'n> = (Vec<&'n Named>, fn(u32) -> Sym);
        let groups: [Group<'a>; 3] = [
            (self.lets.decls.clone(), Sym::Let),
            (self.outputs.decls.clone(), Sym::Output),
            (self.metrics.decls.clone(), Sym::Metric),
        ];
        for (decls, make) in groups {
            for (i, n) in decls.iter().enumerate() {
                if n.name.name == "label" {
                    continue;
                }
                self.declare(&n.name, make(i as u32), &mut first);
            }
        }
        self.first_names = first;
    }

    fn declare_labels(&mut self, rs: &RuleSet) {
        let mut values: Vec<String> = Vec::new();
        let mut blocks = 0;
        for item in &rs.items {
            let Item::Label(block) = item else { continue };
            blocks += 1;
            if blocks > 1 {
                self.diags.push(
                    Diagnostic::error("duplicate", "a rule set has one `label` block, and this is a second")
                        .at(Span { end: block.span.start + 5, ..block.span })
                        .help("merge the lines into the first `label` block; its first matching line wins"),
                );
                continue;
            }
            let mut seen = std::collections::HashSet::new();
            for line in &block.lines {
                if seen.insert(line.value.name.as_str()) {
                    if values.len() == u16::MAX as usize {
                        self.diags.push(
                            Diagnostic::error(
                                "limit",
                                "a `label` block may name at most 65535 different labels",
                            )
                            .at(line.value.span)
                            .help(
                                "group tasks under fewer labels, and tell them apart with outputs",
                            ),
                        );
                    }
                    values.push(line.value.name.clone());
                }
            }
        }
        if blocks > 0 {
            self.label_enum = Some(self.new_enum("label", values, None));
        }
    }

    fn resolve(&mut self, kind: Kind, i: u32, used_at: Option<Span>) -> Option<(Ty, bool)> {
        let set = match kind {
            Kind::Let => &mut self.lets,
            Kind::Output => &mut self.outputs,
            Kind::Metric => &mut self.metrics,
        };
        let decl = *set.decls.get(i as usize)?;
        match set.state.get(i as usize).copied()? {
            State::Done(ty, maybe) => Some((ty, maybe)),
            State::Busy => {
                let mut d = Diagnostic::error("cycle", format!("`{}` depends on itself", decl.name.name))
                    .at(decl.name.span)
                    .help("lets, outputs and metrics may refer to each other in any order, but not in a circle");
                if let Some(u) = used_at {
                    d = d.note(u, "read here");
                }
                self.diags.push(d);
                set.state[i as usize] = State::Done(Ty::Error, false);
                None
            }
            State::Todo => {
                set.state[i as usize] = State::Busy;
                let place = match kind {
                    Kind::Let => Place::Let,
                    Kind::Output => Place::Output,
                    Kind::Metric => Place::Portfolio,
                };
                let t = self.expr(&decl.expr, Cx::new(place), None);
                if matches!(kind, Kind::Output) && t.maybe {
                    self.diags.push(
                        Diagnostic::error(
                            "maybe-missing",
                            format!("the output `{}` may be missing", decl.name.name),
                        )
                        .at(decl.expr.span)
                        .label("this can be missing for some tasks")
                        .help("supply a fallback with `??`, such as `owner ?? \"unassigned\"`"),
                    );
                }
                let set = match kind {
                    Kind::Let => &mut self.lets,
                    Kind::Output => &mut self.outputs,
                    Kind::Metric => &mut self.metrics,
                };
                // A cycle found inside already settled the state.
                if set.state[i as usize] == State::Busy {
                    set.state[i as usize] = State::Done(t.ty, t.maybe);
                }
                set.nodes[i as usize] = Some(t.node);
                set.order.push(i);
                match set.state[i as usize] {
                    State::Done(ty, maybe) => Some((ty, maybe)),
                    _ => None,
                }
            }
        }
    }

    pub(crate) fn resolve_let(
        &mut self,
        i: u32,
        used_at: impl Into<Option<Span>>,
    ) -> Option<(Ty, bool)> {
        self.resolve(Kind::Let, i, used_at.into())
    }

    pub(crate) fn resolve_output(
        &mut self,
        i: u32,
        used_at: impl Into<Option<Span>>,
    ) -> Option<(Ty, bool)> {
        self.resolve(Kind::Output, i, used_at.into())
    }

    pub(crate) fn resolve_metric(
        &mut self,
        i: u32,
        used_at: impl Into<Option<Span>>,
    ) -> Option<(Ty, bool)> {
        self.resolve(Kind::Metric, i, used_at.into())
    }

    fn rules(&mut self, rs: &RuleSet, scores: &[ScoreDef]) -> Vec<CompiledRule> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for item in &rs.items {
            let Item::Rule(r) = item else { continue };
            if let Some(prev) = names.get(r.name.value.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate",
                        format!("two rules are named \"{}\"", r.name.value),
                    )
                    .at(r.name.span)
                    .note(*prev, "the first rule of that name")
                    .help("rule names appear in explanations and reports, so each must be unique"),
                );
            }
            names.insert(&r.name.value, r.name.span);
            let when = r
                .when
                .as_ref()
                .map(|w| self.condition(w, Cx::new(Place::Rule)));
            let mut actions = Vec::new();
            for a in &r.actions {
                let target = match self.symbols.get(&a.target.name) {
                    Some(Sym::Score(i)) => Some(*i),
                    other => {
                        let what = match other {
                            Some(Sym::Field(_)) => "a field",
                            Some(Sym::Let(_)) => "a let",
                            Some(Sym::Output(_)) => "an output",
                            Some(Sym::Metric(_)) => "a metric",
                            _ => "not declared",
                        };
                        let msg = if other.is_some() {
                            format!(
                                "a rule can only change scores, and `{}` is {what}",
                                a.target.name
                            )
                        } else {
                            format!("unknown score `{}`", a.target.name)
                        };
                        let mut d = Diagnostic::error("not-a-score", msg).at(a.target.span);
                        if let Some(best) =
                            self.suggest(&a.target.name, scores.iter().map(|s| s.name.as_str()))
                        {
                            d = d.help(format!("did you mean the score `{best}`?"));
                        } else if other.is_none() {
                            d = d.help(format!(
                                "declare it first, such as `score {} = 0 in 0..100`",
                                a.target.name
                            ));
                        }
                        self.diags.push(d);
                        None
                    }
                };
                let t = self.expr(&a.expr, Cx::new(Place::Rule), Some(Ty::Number));
                if t.ty != Ty::Number && t.ty != Ty::Error {
                    let got = expr::article(&self.ty_name(t.ty));
                    self.diags.push(
                        Diagnostic::error(
                            "type",
                            format!("a score changes by a number, but this is {got}"),
                        )
                        .at(a.expr.span)
                        .label(format!("this is {got}")),
                    );
                } else if t.maybe {
                    self.diags.push(
                        Diagnostic::error(
                            "maybe-missing",
                            "this action may be missing for some tasks",
                        )
                        .at(a.expr.span)
                        .label("can be missing")
                        .help("supply a fallback with `??`, such as `rating ?? 0`"),
                    );
                }
                if let Some(score) = target {
                    let op = match a.op {
                        ast::AssignOp::Add => Assign::Add,
                        ast::AssignOp::Sub => Assign::Sub,
                        ast::AssignOp::Set => Assign::Set,
                    };
                    actions.push(CompiledAction {
                        score,
                        op,
                        node: t.node,
                        span: a.span,
                    });
                }
            }
            out.push(CompiledRule {
                name: r.name.value.clone(),
                when,
                actions,
                span: r.span,
            });
        }
        out
    }

    fn label_lines(&mut self, rs: &RuleSet, sources: &Sources) -> Vec<CompiledLabelLine> {
        let Some(block) = rs.items.iter().find_map(|i| match i {
            Item::Label(b) => Some(b),
            _ => None,
        }) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut otherwise: Option<Span> = None;
        for line in &block.lines {
            if let Some(o) = otherwise {
                self.diags.push(
                    Diagnostic::error(
                        "label-order",
                        "this label line comes after `otherwise` and can never be taken",
                    )
                    .at(line.span)
                    .note(o, "`otherwise` matches every task that reaches it")
                    .help("move `otherwise` to the end of the block"),
                );
            }
            let value = self
                .label_enum
                .and_then(|e| self.enums.get(e as usize))
                .and_then(|e| e.position(&line.value.name))
                .unwrap_or(0);
            let when = line
                .when
                .as_ref()
                .map(|w| self.condition(w, Cx::new(Place::LabelLine)));
            if line.when.is_none() && otherwise.is_none() {
                otherwise = Some(line.span);
            }
            let because = line
                .because
                .as_ref()
                .map(|b| self.istring(b, Cx::new(Place::LabelLine)));
            let text = match &line.when {
                Some(w) => sources
                    .snippet(w.span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                None => "otherwise".to_string(),
            };
            out.push(CompiledLabelLine {
                value,
                when,
                because,
                text,
                span: line.span,
            });
        }
        if otherwise.is_none() {
            let end = Span {
                start: block.span.end.saturating_sub(1),
                ..block.span
            };
            self.diags.push(
                Diagnostic::error("label-otherwise", "the `label` block has no `otherwise` line")
                    .at(end)
                    .label("add the last line here")
                    .help("end the block with a line such as `in_house otherwise`, so every task gets a label"),
            );
        }
        out
    }

    /// Whether an expression reads a metric or an aggregate.
    fn reads_portfolio(&self, e: &ast::Expr) -> bool {
        use ast::ExprKind as K;
        match &e.kind {
            K::Name(n) => matches!(self.symbols.get(n), Some(Sym::Metric(_))),
            K::Call { func, args, filter } => {
                let agg = expr::AGGREGATES.contains(&func.name.as_str())
                    && (!matches!(func.name.as_str(), "min" | "max")
                        || args.len() <= 1
                        || filter.is_some());
                agg || args.iter().any(|a| self.reads_portfolio(a))
            }
            K::Number(_) | K::Str(_) | K::Bool(_) | K::Date(_) | K::Label => false,
            K::Unary(_, a) | K::Paren(a) => self.reads_portfolio(a),
            K::Binary(_, a, b) => self.reads_portfolio(a) || self.reads_portfolio(b),
            K::In { value, list, .. } => {
                self.reads_portfolio(value) || list.iter().any(|x| self.reads_portfolio(x))
            }
            K::If(c, a, b) => {
                self.reads_portfolio(c) || self.reads_portfolio(a) || self.reads_portfolio(b)
            }
            K::Match { scrutinee, arms } => {
                self.reads_portfolio(scrutinee)
                    || arms.iter().any(|a| self.reads_portfolio(&a.expr))
            }
            K::List(items) => items.iter().any(|x| self.reads_portfolio(x)),
        }
    }

    fn istr_reads_portfolio(&self, s: &ast::IStr) -> bool {
        s.parts
            .iter()
            .any(|p| matches!(p, ast::IPart::Expr(e) if self.reads_portfolio(e)))
    }

    fn policies(&mut self, rs: &RuleSet) -> Vec<CompiledPolicy> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for item in &rs.items {
            let Item::Policy(p) = item else { continue };
            if let Some(prev) = names.get(p.name.value.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate",
                        format!("two policies are named \"{}\"", p.name.value),
                    )
                    .at(p.name.span)
                    .note(*prev, "the first policy of that name"),
                );
            }
            names.insert(&p.name.value, p.name.span);
            let portfolio = self.reads_portfolio(&p.when)
                || p.unless.as_ref().is_some_and(|u| self.reads_portfolio(u))
                || p.message
                    .as_ref()
                    .is_some_and(|m| self.istr_reads_portfolio(m));
            let place = if portfolio {
                Place::Portfolio
            } else {
                Place::Task
            };
            let when = self.condition(&p.when, Cx::new(place));
            let unless = p.unless.as_ref().map(|u| self.condition(u, Cx::new(place)));
            let message = p.message.as_ref().map(|m| self.istring(m, Cx::new(place)));
            out.push(CompiledPolicy {
                name: p.name.value.clone(),
                severity: p.severity,
                portfolio,
                when,
                unless,
                message,
                span: p.span,
            });
        }
        out
    }

    fn find_policy(&mut self, policies: &[CompiledPolicy], name: &ast::Str) -> Option<u32> {
        if let Some(i) = policies.iter().position(|p| p.name == name.value) {
            return Some(i as u32);
        }
        let mut d = Diagnostic::error(
            "unknown-policy",
            format!("no policy is named \"{}\"", name.value),
        )
        .at(name.span);
        if let Some(best) = self.suggest(&name.value, policies.iter().map(|p| p.name.as_str())) {
            d = d.help(format!("did you mean \"{best}\"?"));
        } else if policies.is_empty() {
            d = d.help("the rule set declares no policy");
        } else {
            let all = policies.iter().map(|p| format!("\"{}\"", p.name));
            d = d.help(format!(
                "the policies are {}",
                crate::diag::list_capped(all, MAX_LISTED)
            ));
        }
        self.diags.push(d);
        None
    }

    fn waivers(&mut self, rs: &RuleSet, policies: &[CompiledPolicy]) -> Vec<CompiledWaiver> {
        let mut out = Vec::new();
        for item in &rs.items {
            let Item::Waiver(w) = item else { continue };
            for span in &w.repeated {
                self.diags.push(
                    Diagnostic::error("duplicate", "this waiver clause is written twice")
                        .at(*span)
                        .help("write each of `tasks`, `reason`, `owner` and `expires` once"),
                );
            }
            let policy = self.find_policy(policies, &w.policy);
            if let Some(p) = policy.and_then(|i| policies.get(i as usize))
                && p.portfolio
            {
                self.diags.push(
                    Diagnostic::error(
                        "waiver-portfolio",
                        format!(
                            "\"{}\" checks the whole portfolio, so no task can be waived from it",
                            p.name
                        ),
                    )
                    .at(w.policy.span)
                    .note(p.span, "this policy reads metrics or aggregates")
                    .help("waivers exempt named tasks from task-level policies"),
                );
            }
            let Some(reason) = &w.reason else {
                self.diags.push(
                    Diagnostic::error("waiver-reason", "a waiver needs a `reason`")
                        .at(w.span)
                        .help("say why the exemption is acceptable: `reason \"provider holds ISO 27001\"`"),
                );
                continue;
            };
            if reason.value.trim().is_empty() {
                self.diags.push(
                    Diagnostic::error("waiver-reason", "the waiver's reason is empty")
                        .at(reason.span),
                );
            }
            if w.tasks.is_empty() {
                self.diags.push(
                    Diagnostic::warning(
                        "waiver-tasks",
                        "this waiver names no task, so it exempts nothing",
                    )
                    .at(w.span)
                    .help("list the keys of the tasks it exempts: `tasks [\"T012\"]`"),
                );
            }
            if let Some(policy) = policy {
                out.push(CompiledWaiver {
                    policy,
                    tasks: w.tasks.iter().map(|t| t.value.clone()).collect(),
                    reason: reason.value.clone(),
                    owner: w.owner.as_ref().map(|o| o.value.clone()),
                    expires: w.expires.map(|(d, _)| d),
                    span: w.span,
                });
            }
        }
        out
    }

    fn tests(
        &mut self,
        rs: &RuleSet,
        policies: &[CompiledPolicy],
        sources: &Sources,
    ) -> Vec<CompiledTest> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, Span> = HashMap::new();
        for item in &rs.items {
            let Item::Test(t) = item else { continue };
            if let Some(prev) = names.get(t.name.value.as_str()) {
                self.diags.push(
                    Diagnostic::error(
                        "duplicate",
                        format!("two tests are named \"{}\"", t.name.value),
                    )
                    .at(t.name.span)
                    .note(*prev, "the first test of that name"),
                );
            }
            names.insert(&t.name.value, t.name.span);
            for span in &t.repeated {
                self.diags.push(
                    Diagnostic::error("duplicate", "this test clause is written twice")
                        .at(*span)
                        .help("a test has one `given` and at most one `today`"),
                );
            }
            let Some(given) = &t.given else {
                self.diags.push(
                    Diagnostic::error(
                        "test-given",
                        format!("the test \"{}\" has no `given` task", t.name.value),
                    )
                    .at(t.name.span)
                    .help("describe the task: `given { hours: 10, skill: degree }`"),
                );
                continue;
            };
            let tasks: Vec<Vec<Value<'static>>> =
                given.records.iter().map(|r| self.given_record(r)).collect();
            let place = if given.portfolio {
                Place::PortfolioExpect
            } else {
                Place::Task
            };
            let mut expects = Vec::new();
            for e in &t.expects {
                match e {
                    ast::Expect::Cond(c) => {
                        let node = self.condition(c, Cx::new(place));
                        let text = sources
                            .snippet(c.span)
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ");
                        expects.push(CompiledExpect::Cond {
                            node,
                            text,
                            span: c.span,
                        });
                    }
                    ast::Expect::Policy { kind, policy, span } => {
                        if let Some(p) = self.find_policy(policies, policy) {
                            expects.push(CompiledExpect::Policy {
                                kind: *kind,
                                policy: p,
                                span: *span,
                            });
                        }
                    }
                }
            }
            if t.expects.is_empty() {
                self.diags.push(
                    Diagnostic::error(
                        "test-expect",
                        format!("the test \"{}\" expects nothing", t.name.value),
                    )
                    .at(t.name.span)
                    .help("add at least one `expect`, such as `expect label == kpo`"),
                );
            }
            out.push(CompiledTest {
                name: t.name.value.clone(),
                today: t.today.map(|(d, _)| d),
                tasks,
                portfolio: given.portfolio,
                expects,
                span: t.span,
            });
        }
        out
    }

    /// The field values of one `given` task: written values, then defaults.
    fn given_record(&mut self, r: &ast::Record) -> Vec<Value<'static>> {
        let mut values: Vec<Option<Value<'static>>> = vec![None; self.fields.len()];
        for (name, e) in &r.fields {
            let Some(Sym::Field(i)) = self.symbols.get(&name.name).copied() else {
                let names = self.fields.iter().map(|f| f.name.as_str());
                let mut d =
                    Diagnostic::error("unknown-name", format!("`{}` is not a field", name.name))
                        .at(name.span);
                if let Some(best) = self.suggest(&name.name, names) {
                    d = d.help(format!("did you mean `{best}`?"));
                }
                self.diags.push(d);
                continue;
            };
            let ty = self.fields[i as usize].ty;
            let t = self.expr(e, Cx::new(Place::Constant), Some(ty));
            if !self.expect_ty(&t, ty, e.span, &format!("`{}`", name.name)) {
                continue;
            }
            match t.node {
                Node::Const(v) => values[i as usize] = Some(v),
                _ => {
                    if t.ty != Ty::Error {
                        self.diags.push(
                            Diagnostic::error("not-constant", format!("the value of `{}` must be a constant", name.name))
                                .at(e.span)
                                .help("a test gives literal values, such as `hours: 40` or `skill: degree`"),
                        );
                    }
                }
            }
        }
        let mut missing = Vec::new();
        let out = values
            .into_iter()
            .zip(&self.fields)
            .map(|(v, f)| match v {
                Some(v) => v,
                None => match (&f.default, f.optional) {
                    (Some(d), _) => d.clone(),
                    (None, true) => Value::Missing,
                    (None, false) => {
                        missing.push(format!("`{}`", f.name));
                        Value::Missing
                    }
                },
            })
            .collect();
        if !missing.is_empty() {
            let plural = missing.len() > 1;
            self.diags.push(
                Diagnostic::error(
                    "test-given",
                    format!(
                        "this task lacks the required field{} {}",
                        if plural { "s" } else { "" },
                        missing.join(", ")
                    ),
                )
                .at(r.span)
                .help("give a value for each field that has no default and is not optional (`?`)"),
            );
        }
        out
    }
}
