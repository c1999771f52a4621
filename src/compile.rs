//! The compiled program: names resolved to slots, enum values to small
//! integers, regexes built once and constants folded, so evaluating a task
//! touches no strings or maps for names.

use crate::ast::{Severity, Span};
use crate::diag::Sources;
use crate::value::{FieldType, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The type of a value, as the checker infers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    Number,
    Bool,
    Text,
    Date,
    /// An enum, by its index in [`Program::enums`].
    Enum(u16),
    /// The type of an expression that already has an error; matches anything,
    /// so one mistake is reported once.
    Error,
}

/// An enum type: a field's `enum(...)`, or the label values.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// What to call it in messages: the first field declared with it, or `label`.
    pub name: String,
    pub values: Vec<String>,
    /// The index of each value, so looking one up does not scan them all.
    index: HashMap<String, u16>,
}

impl EnumDef {
    /// An enum of these values; a value listed twice keeps its first index,
    /// and values past the 65,535th (an error the checker reports) have none.
    pub fn new(name: impl Into<String>, values: Vec<String>) -> EnumDef {
        let mut index = HashMap::with_capacity(values.len());
        for (i, v) in values.iter().enumerate().take(u16::MAX as usize) {
            index.entry(v.clone()).or_insert(i as u16);
        }
        EnumDef {
            name: name.into(),
            values,
            index,
        }
    }

    /// The index of a value.
    pub fn position(&self, value: &str) -> Option<u16> {
        self.index.get(value).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Round,
    Floor,
    Ceil,
    Clamp,
    Lower,
    Upper,
    Len,
    Contains,
    StartsWith,
    EndsWith,
    Present,
    DaysUntil,
}

/// The members of an `in [...]` list.
#[derive(Debug, Clone)]
pub enum InSet {
    /// Constant text, compared exactly.
    Text(HashSet<Box<str>>),
    /// Constant numbers, enum indexes (as numbers), dates and bools.
    Values(Vec<Value<'static>>),
    /// Members computed per task.
    Exprs(Vec<Node>),
}

/// A piece of an interpolated `message` or `because` string.
#[derive(Debug, Clone)]
pub enum Piece {
    Text(String),
    /// An expression and its type, for printing enum values by name.
    Expr(Node, Ty),
}

/// An expression, compiled.
#[derive(Debug, Clone)]
pub enum Node {
    Const(Value<'static>),
    Field(u32),
    Let(u32),
    Score(u32),
    Output(u32),
    Metric(u32),
    Label,
    /// The value of an aggregate, by its index in [`Program::aggregates`].
    Agg(u32),
    Neg(Box<Node>),
    Not(Box<Node>, Span),
    Arith(ArithOp, Box<Node>, Box<Node>, Span),
    Cmp(CmpOp, Box<Node>, Box<Node>, Span),
    And(Box<Node>, Box<Node>, Span),
    Or(Box<Node>, Box<Node>, Span),
    Coalesce(Box<Node>, Box<Node>),
    In {
        value: Box<Node>,
        set: InSet,
        negated: bool,
        span: Span,
    },
    If(Box<Node>, Box<Node>, Box<Node>),
    Match {
        scrutinee: Box<Node>,
        arms: Vec<(Vec<Value<'static>>, Node)>,
        default: Option<Box<Node>>,
    },
    Call(Func, Vec<Node>, Span),
    Matches(Box<Node>, Box<regex::Regex>, Span),
}

impl Node {
    /// Whether the node is a constant, and which.
    pub fn as_const(&self) -> Option<&Value<'static>> {
        match self {
            Node::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Calls `f` on each direct child.
    pub fn children(&self, f: &mut dyn FnMut(&Node)) {
        match self {
            Node::Const(_)
            | Node::Field(_)
            | Node::Let(_)
            | Node::Score(_)
            | Node::Output(_)
            | Node::Metric(_)
            | Node::Label
            | Node::Agg(_) => {}
            Node::Neg(a) | Node::Not(a, _) | Node::Matches(a, _, _) => f(a),
            Node::Arith(_, a, b, _)
            | Node::Cmp(_, a, b, _)
            | Node::And(a, b, _)
            | Node::Or(a, b, _)
            | Node::Coalesce(a, b) => {
                f(a);
                f(b);
            }
            Node::In { value, set, .. } => {
                f(value);
                if let InSet::Exprs(items) = set {
                    items.iter().for_each(&mut *f);
                }
            }
            Node::If(c, a, b) => {
                f(c);
                f(a);
                f(b);
            }
            Node::Match {
                scrutinee,
                arms,
                default,
            } => {
                f(scrutinee);
                for (_, n) in arms {
                    f(n);
                }
                if let Some(d) = default {
                    f(d);
                }
            }
            Node::Call(_, args, _) => args.iter().for_each(f),
        }
    }
}

/// A field of the task, as declared in `input`.
#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    /// The column named by `from`, if any.
    pub from: Option<String>,
    pub ty: Ty,
    /// The declared type, for readers converting cells.
    pub field_type: FieldType,
    pub optional: bool,
    pub default: Option<Value<'static>>,
    pub span: Span,
}

/// A `let`, `output` or `metric`: a named, typed, compiled expression.
#[derive(Debug, Clone)]
pub struct Computed {
    pub name: String,
    pub ty: Ty,
    pub node: Node,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ScoreDef {
    pub name: String,
    pub start: f64,
    pub lo: f64,
    pub hi: f64,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    Add,
    Sub,
    Set,
}

#[derive(Debug, Clone)]
pub struct CompiledAction {
    pub score: u32,
    pub op: Assign,
    pub node: Node,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub name: String,
    pub when: Option<Node>,
    pub actions: Vec<CompiledAction>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CompiledLabelLine {
    /// Index of the label value in the label enum.
    pub value: u16,
    /// `None` for `otherwise`.
    pub when: Option<Node>,
    pub because: Option<Vec<Piece>>,
    /// The condition as written, used as the reason when there is no `because`.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Share,
}

/// One aggregate call in a metric or portfolio policy, accumulated per task.
#[derive(Debug, Clone)]
pub struct AggDef {
    pub kind: AggKind,
    /// The argument: a number for sum/avg/min/max, a condition for count/share.
    pub arg: Option<Node>,
    pub filter: Option<Node>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    pub name: String,
    pub severity: Severity,
    /// True when it reads metrics or aggregates: checked once per portfolio.
    pub portfolio: bool,
    pub when: Node,
    pub unless: Option<Node>,
    pub message: Option<Vec<Piece>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CompiledWaiver {
    pub policy: u32,
    pub tasks: Vec<String>,
    pub reason: String,
    pub owner: Option<String>,
    /// Days since 1970-01-01; exempts through that day inclusive.
    pub expires: Option<i32>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum CompiledExpect {
    Cond {
        node: Node,
        text: String,
        span: Span,
    },
    Policy {
        kind: crate::ast::ExpectKind,
        policy: u32,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub struct CompiledTest {
    pub name: String,
    pub today: Option<i32>,
    /// Field values of each task given, in field order.
    pub tasks: Vec<Vec<Value<'static>>>,
    pub portfolio: bool,
    pub expects: Vec<CompiledExpect>,
    pub span: Span,
}

/// A checked and compiled rule set, ready to evaluate tasks.
#[derive(Debug, Clone)]
pub struct Program {
    pub sources: Arc<Sources>,
    pub enums: Vec<EnumDef>,
    pub fields: Vec<FieldDef>,
    /// Slot of the key field.
    pub key: u32,
    /// Lets in evaluation (dependency) order; `Node::Let(i)` indexes this vector.
    pub lets: Vec<Computed>,
    pub let_order: Vec<u32>,
    pub scores: Vec<ScoreDef>,
    pub rules: Vec<CompiledRule>,
    /// The label enum, if the rule set has a `label` block.
    pub label_enum: Option<u16>,
    pub labels: Vec<CompiledLabelLine>,
    pub outputs: Vec<Computed>,
    pub output_order: Vec<u32>,
    pub metrics: Vec<Computed>,
    pub metric_order: Vec<u32>,
    pub aggregates: Vec<AggDef>,
    pub policies: Vec<CompiledPolicy>,
    pub waivers: Vec<CompiledWaiver>,
    pub tests: Vec<CompiledTest>,
    /// Findings of the checker that only `outsort lint` reports.
    pub lints: Vec<crate::diag::Diagnostic>,
    /// The typed plans of the per-task expressions (see [`crate::eval::Plan`]).
    pub plan: crate::eval::Plan,
}

impl Program {
    /// The name of a label value.
    pub fn label_name(&self, label: u16) -> &str {
        self.label_enum
            .and_then(|e| self.enums.get(e as usize))
            .and_then(|e| e.values.get(label as usize))
            .map_or("?", String::as_str)
    }

    /// The names of the label values, in the order the label block names them.
    pub fn label_values(&self) -> &[String] {
        self.label_enum
            .and_then(|e| self.enums.get(e as usize))
            .map_or(&[], |e| e.values.as_slice())
    }

    /// The name of a value of an enum type.
    pub fn enum_value_name(&self, ty: u16, index: u16) -> &str {
        self.enums
            .get(ty as usize)
            .and_then(|e| e.values.get(index as usize))
            .map_or("?", String::as_str)
    }

    /// The source text a span covers, with runs of white space folded.
    pub fn source_text(&self, span: Span) -> String {
        self.sources
            .snippet(span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The field that names a task for people: the first required text
    /// field other than the key.
    pub fn name_field(&self) -> Option<usize> {
        self.fields
            .iter()
            .enumerate()
            .find(|(i, f)| *i != self.key as usize && f.ty == Ty::Text && !f.optional)
            .map(|(i, _)| i)
    }
}
