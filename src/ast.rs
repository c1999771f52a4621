//! The spanned syntax tree of a rule set, printed as S-expressions.

use std::fmt::{self, Display, Formatter, Write};

/// Identifies one source file of a rule set.
pub type FileId = u32;

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A plain string literal, escapes resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// A string with `{expr}` parts, as in `message` and `because`.
#[derive(Debug, Clone, PartialEq)]
pub struct IStr {
    pub parts: Vec<IPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IPart {
    Text(String),
    Expr(Expr),
}

/// A whole rule set: the declarations of all its files, in merge order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Input(Input),
    Key(Key),
    Let(Named),
    Score(Score),
    Rule(Rule),
    Label(LabelBlock),
    Output(Named),
    Metric(Named),
    Policy(Policy),
    Waiver(Waiver),
    Test(Test),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Input(i) => i.span,
            Item::Key(k) => k.span,
            Item::Let(n) | Item::Output(n) | Item::Metric(n) => n.span,
            Item::Score(s) => s.span,
            Item::Rule(r) => r.span,
            Item::Label(l) => l.span,
            Item::Policy(p) => p.span,
            Item::Waiver(w) => w.span,
            Item::Test(t) => t.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: TypeExpr,
    pub optional: bool,
    pub default: Option<Literal>,
    pub from: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Text,
    Number,
    Bool,
    Date,
    Enum(Vec<Ident>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub field: Ident,
    pub span: Span,
}

/// `let`, `output` and `metric`: a name bound to an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub name: Ident,
    pub start: f64,
    pub range: Option<(f64, f64)>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: Str,
    pub when: Option<Expr>,
    pub actions: Vec<Action>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    Add,
    Sub,
    Set,
}

impl AssignOp {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignOp::Add => "+=",
            AssignOp::Sub => "-=",
            AssignOp::Set => "=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub target: Ident,
    pub op: AssignOp,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelBlock {
    pub lines: Vec<LabelLine>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelLine {
    pub value: Ident,
    /// `None` for the `otherwise` line.
    pub when: Option<Expr>,
    pub because: Option<IStr>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Deny,
    Warn,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Deny => "deny",
            Severity::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: Str,
    pub severity: Severity,
    pub when: Expr,
    pub unless: Option<Expr>,
    pub message: Option<IStr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Waiver {
    pub policy: Str,
    pub tasks: Vec<Str>,
    pub reason: Option<Str>,
    pub owner: Option<Str>,
    /// Days since 1970-01-01, with the span of the date.
    pub expires: Option<(i32, Span)>,
    /// Clauses written twice, for the checker to report.
    pub repeated: Vec<Span>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub name: Str,
    pub today: Option<(i32, Span)>,
    pub given: Option<Given>,
    pub expects: Vec<Expect>,
    /// Clauses written twice (two `given`, two `today`), for the checker.
    pub repeated: Vec<Span>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Given {
    /// One record for a task test, several for a portfolio test.
    pub records: Vec<Record>,
    pub portfolio: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: Vec<(Ident, Expr)>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectKind {
    Denied,
    Warned,
    Passes,
}

impl ExpectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectKind::Denied => "denied",
            ExpectKind::Warned => "warned",
            ExpectKind::Passes => "passes",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Cond(Expr),
    Policy {
        kind: ExpectKind,
        policy: Str,
        span: Span,
    },
}

/// A literal: a field default, or a `match` pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub kind: LitKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LitKind {
    Number(f64),
    Str(String),
    Bool(bool),
    Date(i32),
    /// A bare name: an enum value.
    Name(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// Binding strength, higher binds tighter (SPEC §4).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => 4,
            BinaryOp::Coalesce => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div => 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Str(String),
    Bool(bool),
    Date(i32),
    /// A bare name: field, let, score, output, metric or enum value.
    Name(String),
    /// The task's label.
    Label,
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    In {
        negated: bool,
        value: Box<Expr>,
        list: Vec<Expr>,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    Call {
        func: Ident,
        args: Vec<Expr>,
        filter: Option<Box<Expr>>,
    },
    /// A list outside `in`: always an error, reported by the checker.
    List(Vec<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatchArm {
    /// The alternatives; `None` is the wildcard `_`.
    pub patterns: Vec<Option<Literal>>,
    pub expr: Expr,
    pub span: Span,
}

// ---------------------------------------------------------------- S-expressions

fn quote(s: &str) -> String {
    format!("{s:?}")
}

fn num(n: f64) -> String {
    crate::value::format_number(n)
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LitKind::Number(n) => f.write_str(&num(*n)),
            LitKind::Str(s) => f.write_str(&quote(s)),
            LitKind::Bool(b) => write!(f, "{b}"),
            LitKind::Date(d) => f.write_str(&crate::value::format_date(*d)),
            LitKind::Name(n) => f.write_str(n),
        }
    }
}

impl Display for IStr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("(str")?;
        for part in &self.parts {
            match part {
                IPart::Text(t) => write!(f, " {}", quote(t))?,
                IPart::Expr(e) => write!(f, " {e}")?,
            }
        }
        f.write_char(')')
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => f.write_str(&num(*n)),
            ExprKind::Str(s) => f.write_str(&quote(s)),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Date(d) => f.write_str(&crate::value::format_date(*d)),
            ExprKind::Name(n) => f.write_str(n),
            ExprKind::Label => f.write_str("label"),
            ExprKind::Unary(UnaryOp::Not, e) => write!(f, "(not {e})"),
            ExprKind::Unary(UnaryOp::Neg, e) => write!(f, "(- {e})"),
            ExprKind::Binary(op, a, b) => write!(f, "({} {a} {b})", op.as_str()),
            ExprKind::In {
                negated,
                value,
                list,
            } => {
                write!(f, "({} {value} [", if *negated { "not-in" } else { "in" })?;
                for (i, e) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("])")
            }
            ExprKind::If(c, a, b) => write!(f, "(if {c} {a} {b})"),
            ExprKind::Match { scrutinee, arms } => {
                write!(f, "(match {scrutinee}")?;
                for arm in arms {
                    f.write_str(" ((")?;
                    for (i, p) in arm.patterns.iter().enumerate() {
                        if i > 0 {
                            f.write_char(' ')?;
                        }
                        match p {
                            Some(l) => write!(f, "{l}")?,
                            None => f.write_char('_')?,
                        }
                    }
                    write!(f, ") {})", arm.expr)?;
                }
                f.write_char(')')
            }
            ExprKind::Call { func, args, filter } => {
                write!(f, "(call {}", func.name)?;
                for a in args {
                    write!(f, " {a}")?;
                }
                if let Some(w) = filter {
                    write!(f, " (where {w})")?;
                }
                f.write_char(')')
            }
            ExprKind::List(items) => {
                f.write_str("[")?;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            ExprKind::Paren(e) => write!(f, "(paren {e})"),
        }
    }
}

impl Display for TypeExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Text => f.write_str("text"),
            TypeExpr::Number => f.write_str("number"),
            TypeExpr::Bool => f.write_str("bool"),
            TypeExpr::Date => f.write_str("date"),
            TypeExpr::Enum(values) => {
                f.write_str("(enum")?;
                for v in values {
                    write!(f, " {}", v.name)?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for Item {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Item::Input(input) => {
                f.write_str("(input")?;
                for field in &input.fields {
                    write!(f, "\n  (field {} {}", field.name.name, field.ty)?;
                    if field.optional {
                        f.write_str(" optional")?;
                    }
                    if let Some(d) = &field.default {
                        write!(f, " (default {d})")?;
                    }
                    if let Some(from) = &field.from {
                        write!(f, " (from {})", quote(&from.value))?;
                    }
                    f.write_char(')')?;
                }
                f.write_char(')')
            }
            Item::Key(k) => write!(f, "(key {})", k.field.name),
            Item::Let(n) => write!(f, "(let {} {})", n.name.name, n.expr),
            Item::Output(n) => write!(f, "(output {} {})", n.name.name, n.expr),
            Item::Metric(n) => write!(f, "(metric {} {})", n.name.name, n.expr),
            Item::Score(s) => {
                write!(f, "(score {} {}", s.name.name, num(s.start))?;
                if let Some((lo, hi)) = s.range {
                    write!(f, " (range {} {})", num(lo), num(hi))?;
                }
                f.write_char(')')
            }
            Item::Rule(r) => {
                write!(f, "(rule {}", quote(&r.name.value))?;
                if let Some(w) = &r.when {
                    write!(f, " (when {w})")?;
                }
                for a in &r.actions {
                    write!(f, "\n  ({} {} {})", a.op.as_str(), a.target.name, a.expr)?;
                }
                f.write_char(')')
            }
            Item::Label(l) => {
                f.write_str("(label")?;
                for line in &l.lines {
                    write!(f, "\n  ({}", line.value.name)?;
                    match &line.when {
                        Some(w) => write!(f, " (when {w})")?,
                        None => f.write_str(" otherwise")?,
                    }
                    if let Some(b) = &line.because {
                        write!(f, " (because {b})")?;
                    }
                    f.write_char(')')?;
                }
                f.write_char(')')
            }
            Item::Policy(p) => {
                write!(
                    f,
                    "(policy {} {} (when {})",
                    quote(&p.name.value),
                    p.severity.as_str(),
                    p.when
                )?;
                if let Some(u) = &p.unless {
                    write!(f, " (unless {u})")?;
                }
                if let Some(m) = &p.message {
                    write!(f, " (message {m})")?;
                }
                f.write_char(')')
            }
            Item::Waiver(w) => {
                write!(f, "(waiver {} (tasks", quote(&w.policy.value))?;
                for t in &w.tasks {
                    write!(f, " {}", quote(&t.value))?;
                }
                f.write_char(')')?;
                if let Some(r) = &w.reason {
                    write!(f, " (reason {})", quote(&r.value))?;
                }
                if let Some(o) = &w.owner {
                    write!(f, " (owner {})", quote(&o.value))?;
                }
                if let Some((d, _)) = w.expires {
                    write!(f, " (expires {})", crate::value::format_date(d))?;
                }
                f.write_char(')')
            }
            Item::Test(t) => {
                write!(f, "(test {}", quote(&t.name.value))?;
                if let Some((d, _)) = t.today {
                    write!(f, "\n  (today {})", crate::value::format_date(d))?;
                }
                if let Some(g) = &t.given {
                    f.write_str(if g.portfolio {
                        "\n  (given-all"
                    } else {
                        "\n  (given"
                    })?;
                    for r in &g.records {
                        f.write_str(" {")?;
                        for (i, (name, e)) in r.fields.iter().enumerate() {
                            if i > 0 {
                                f.write_char(' ')?;
                            }
                            write!(f, "{}: {e}", name.name)?;
                        }
                        f.write_char('}')?;
                    }
                    f.write_char(')')?;
                }
                for e in &t.expects {
                    match e {
                        Expect::Cond(c) => write!(f, "\n  (expect {c})")?,
                        Expect::Policy { kind, policy, .. } => {
                            write!(f, "\n  (expect-{} {})", kind.as_str(), quote(&policy.value))?
                        }
                    }
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for RuleSet {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        Ok(())
    }
}
