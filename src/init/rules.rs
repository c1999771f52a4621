//! Starter rules: the role a column's name suggests (category, skill, hours,
//! cost, sensitivity, core work, priority), the field that best plays each,
//! and the `let`s and rules drafted for it, with thresholds from the sampled
//! values.

use super::names::{snake, word_match};
use super::plan::{LetBody, Plan, Rule};
use super::sniff::{Field, Kind};
use crate::value::format_number;
use std::collections::HashSet;

/// What a column's name suggests it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Sensitivity,
    Core,
    Priority,
    Hours,
    Cost,
    Skill,
    Category,
}

/// Roles in the order a column is tried against them, with the words that
/// suggest each: `*` ends a prefix, others are whole words. Earlier words
/// make a better match.
const ROLES: [(Role, &[&str]); 7] = [
    (
        Role::Sensitivity,
        &[
            "sensitiv*",
            "confidential*",
            "classif*",
            "privacy",
            "secur*",
            "pii",
            "gdpr",
            "personal",
        ],
    ),
    (Role::Core, &["core", "strategic*", "differentiat*"]),
    (
        Role::Priority,
        &["priorit*", "urgen*", "impact", "severit*", "criticalit*"],
    ),
    (
        Role::Hours,
        &[
            "hours",
            "hour",
            "hrs",
            "effort*",
            "estimat*",
            "spent",
            "time",
            "duration*",
            "minute*",
        ],
    ),
    (
        Role::Cost,
        &[
            "cost*", "rate", "rates", "salary*", "price*", "budget*", "spend", "wage*", "fee",
            "fees",
        ],
    ),
    (
        Role::Skill,
        &[
            "skill*",
            "level",
            "seniority",
            "grade",
            "expertise",
            "qualification*",
            "competenc*",
            "experience",
        ],
    ),
    (
        Role::Category,
        &[
            "category",
            "categories",
            "department*",
            "dept",
            "group",
            "service",
            "type",
            "kind",
            "team",
            "section",
        ],
    ),
];

fn role_fits(role: Role, kind: &Kind) -> bool {
    match role {
        Role::Hours | Role::Cost => *kind == Kind::Number,
        Role::Core => *kind == Kind::Bool,
        Role::Sensitivity => *kind != Kind::Date,
        Role::Priority | Role::Skill => matches!(kind, Kind::Text | Kind::Enum(_) | Kind::Number),
        Role::Category => matches!(kind, Kind::Text | Kind::Enum(_)),
    }
}

/// Words in a value that mark the kinds of work a specialist provider does,
/// and routine work a process outsourcer runs.
const KNOWLEDGE_WORDS: &str = "research|analy|legal|financ|strateg|design|engineer|consult|audit";
const ROUTINE_WORDS: &str =
    "entry|invoice|payroll|support|help|order|claim|archive|process|desk|customer|service";
const SPECIALIST_WORDS: &str = "senior|expert|advanced|specialist|lead|degree|principal";
const SENSITIVE_WORDS: &str = "confidential|restricted|secret|sensitive|high|personal|private";
const URGENT_WORDS: &str = "critical|urgent|high|blocker|emergency";

pub(super) fn has_word(value: &str, words: &str) -> bool {
    words.split('|').any(|w| value.contains(w))
}

/// The nearest-rank quantile of some numbers.
pub(super) fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * q).ceil() as usize).saturating_sub(1);
    v.get(i.min(v.len().saturating_sub(1))).copied()
}

/// A threshold people write: two significant digits.
pub(super) fn nice(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let step = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    let r = (x / step).round() * step;
    // Remove the binary noise of the multiplication.
    format_number(r).parse().unwrap_or(r)
}

impl Plan {
    /// The field that best plays each role, by name and type.
    fn roles(&self) -> Vec<(Role, usize)> {
        let mut best: Vec<(Role, (usize, usize, usize))> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i == self.key {
                continue;
            }
            let words = snake(&f.header);
            // A status is where the work is, not what it is.
            if word_match(&words, &["status", "state"]).is_some() {
                continue;
            }
            let Some((role, rank)) = ROLES
                .iter()
                .find_map(|(role, stems)| word_match(&words, stems).map(|r| (*role, r)))
            else {
                continue;
            };
            if !role_fits(role, &f.kind) {
                continue;
            }
            let score = (rank, f.position, i);
            match best.iter_mut().find(|(r, _)| *r == role) {
                Some((_, s)) if score < *s => *s = score,
                Some(_) => {}
                None => best.push((role, score)),
            }
        }
        let mut out: Vec<(Role, usize)> = ROLES
            .iter()
            .filter_map(|(role, _)| {
                best.iter()
                    .find(|(r, _)| r == role)
                    .map(|(_, (_, _, i))| (*role, *i))
            })
            .collect();
        // Rules come in the order a reader meets the questions: what kind of
        // work, how skilled, how big, how costly, how sensitive, how core,
        // how urgent.
        let order = [
            Role::Category,
            Role::Skill,
            Role::Hours,
            Role::Cost,
            Role::Sensitivity,
            Role::Core,
            Role::Priority,
        ];
        out.sort_by_key(|(r, _)| order.iter().position(|o| o == r));
        out
    }

    pub(super) fn starter_rules(&mut self, decimal_comma: bool, used: &mut HashSet<String>) {
        let roles = self.roles();
        for (role, i) in roles {
            let Some(f) = self.field(i).cloned() else {
                continue;
            };
            match role {
                Role::Category => self.category_rules(&f, used),
                Role::Skill => self.skill_rule(&f, decimal_comma, used),
                Role::Hours => self.hours_rules(&f, decimal_comma, used),
                Role::Cost => self.cost_rule(&f, decimal_comma),
                Role::Sensitivity => self.sensitivity_rule(&f, decimal_comma, used),
                Role::Core => self.rules.push(Rule {
                    comment: vec![
                        "Core work is what the company competes on: it stays close.".into(),
                    ],
                    name: "core activity".into(),
                    when: f.name.clone(),
                    actions: vec![
                        ("strategic", "+=", "45".into()),
                        ("outsourceability", "-=", "20".into()),
                    ],
                }),
                Role::Priority => self.priority_rule(&f, decimal_comma, used),
            }
        }
        self.no_rules_note = self.rules.is_empty();
    }

    fn category_rules(&mut self, f: &Field, used: &mut HashSet<String>) {
        let values_note = match &f.kind {
            Kind::Enum(values) => format!(" `{}` has the values {}.", f.name, values.join(", ")),
            _ => String::new(),
        };
        let mut any = false;
        if let Some(body) = self.matching(f, KNOWLEDGE_WORDS) {
            let what = match body {
                LetBody::In(..) => "list",
                LetBody::Expr(_) => "pattern",
            };
            let line = format!("Kinds of work a specialist provider does: adjust the {what}.");
            let name = self.add_let(used, "knowledge_work", &[&line], body);
            self.rules.push(Rule {
                comment: vec![format!(
                    "Knowledge work by `{}`: worth a specialist (KPO) provider.",
                    f.name
                )],
                name: "knowledge work".into(),
                when: name,
                actions: vec![("knowledge", "+=", "40".into())],
            });
            any = true;
        }
        if let Some(body) = self.matching(f, ROUTINE_WORDS) {
            let what = match body {
                LetBody::In(..) => "list",
                LetBody::Expr(_) => "pattern",
            };
            let line =
                format!("Routine kinds of work a process outsourcer runs: adjust the {what}.");
            let name = self.add_let(used, "routine_work", &[&line], body);
            self.rules.push(Rule {
                comment: vec![format!(
                    "Routine work by `{}`: what a BPO provider runs.",
                    f.name
                )],
                name: "routine work".into(),
                when: name,
                actions: vec![
                    ("knowledge", "-=", "5".into()),
                    ("outsourceability", "+=", "15".into()),
                ],
            });
            any = true;
        }
        if !any {
            self.notes.push(vec![
                format!(
                    "`{}` names the kind of work.{values_note} No value suggested knowledge or routine work: add a rule for the kinds a provider could run, such as",
                    f.name
                ),
                format!(
                    "rule \"routine work\" when {} {{ outsourceability += 15 }}",
                    match &f.kind {
                        Kind::Enum(values) => format!(
                            "{} in [{}]",
                            f.name,
                            values.first().map_or("", String::as_str)
                        ),
                        _ => format!("matches(lower({}), \"invoice|payroll\")", f.name),
                    }
                ),
            ]);
        }
    }

    fn skill_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let (when, comment) = match &f.kind {
            Kind::Enum(values) => {
                let Some(v) =
                    values.get(values.len().div_ceil(2).min(values.len().saturating_sub(1)))
                else {
                    return;
                };
                (
                    format!("{} >= {v}", f.name),
                    vec![
                        "Specialist skills make knowledge work. `>=` follows the order of the values"
                            .to_string(),
                        "in `input`: list them from least to most skilled.".to_string(),
                    ],
                )
            }
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
                    return;
                };
                (
                    format!("{} >= {}", f.name, format_number(nice(q))),
                    vec![format!(
                        "Specialist skills make knowledge work; {} is about the top quarter of the sample.",
                        format_number(nice(q))
                    )],
                )
            }
            _ => {
                let Some(body) = self.matching(f, SPECIALIST_WORDS) else {
                    return;
                };
                let name = self.add_let(
                    used,
                    "specialist",
                    &["Skill levels that call for a specialist: adjust the pattern."],
                    body,
                );
                (
                    name,
                    vec!["Specialist skills make knowledge work.".to_string()],
                )
            }
        };
        self.rules.push(Rule {
            comment,
            name: "specialist skills".into(),
            when,
            actions: vec![("knowledge", "+=", "40".into())],
        });
    }

    fn hours_rules(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let values = f.numbers(decimal_comma);
        let words = snake(&f.header);
        let per = |w: &[&str]| word_match(&words, w).is_some();
        let looks_like_seconds = !values.is_empty()
            && values.iter().all(|v| v.fract() == 0.0 && v % 60.0 == 0.0)
            && values.iter().any(|v| *v >= 3600.0);
        let (divisor, note) = if per(&["hours", "hour", "hrs"]) {
            (1.0, None)
        } else if per(&["minute*", "mins", "min"]) {
            (60.0, Some(format!("`{}` counts minutes.", f.name)))
        } else if per(&["second*", "secs", "sec"]) || looks_like_seconds {
            (
                3600.0,
                Some(format!(
                    "`{}` looks like seconds, as Jira counts time: 28800 is 8 hours.",
                    f.name
                )),
            )
        } else {
            (1.0, None)
        };
        let hours: Vec<f64> = values.iter().map(|v| v / divisor).collect();
        let subject = match note {
            Some(note) => {
                let comment = format!("Effort in hours. {note}");
                self.add_let(
                    used,
                    "hours",
                    &[&comment],
                    LetBody::Expr(format!("{} / {}", f.name, format_number(divisor))),
                )
            }
            None => f.name.clone(),
        };
        let (Some(high), Some(low)) = (quantile(&hours, 0.75), quantile(&hours, 0.25)) else {
            return;
        };
        let (high, low) = (nice(high), nice(low));
        self.rules.push(Rule {
            comment: vec![
                format!(
                    "Large volumes gain most from a provider: {} is about the top quarter",
                    format_number(high)
                ),
                "of the sample. Adjust the threshold to your own sense of large.".into(),
            ],
            name: "large volume".into(),
            when: format!("{subject} >= {}", format_number(high)),
            actions: vec![("outsourceability", "+=", "15".into())],
        });
        if low < high {
            self.rules.push(Rule {
                comment: vec![
                    format!(
                        "Small tasks cost more to hand over than they save: {} is about the",
                        format_number(low)
                    ),
                    "bottom quarter of the sample.".into(),
                ],
                name: "too small to hand over".into(),
                when: format!("{subject} < {}", format_number(low)),
                actions: vec![("outsourceability", "-=", "15".into())],
            });
        }
    }

    fn cost_rule(&mut self, f: &Field, decimal_comma: bool) {
        let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
            return;
        };
        let q = format_number(nice(q));
        self.rules.push(Rule {
            comment: vec![
                format!(
                    "Costly work leaves room for savings after a provider's fees: {q} is about"
                ),
                format!("the top quarter of `{}` in the sample.", f.name),
            ],
            name: "high in-house cost".into(),
            when: format!("{} >= {q}", f.name),
            actions: vec![("outsourceability", "+=", "10".into())],
        });
    }

    fn sensitivity_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let body = match &f.kind {
            Kind::Bool => LetBody::Expr(f.name.clone()),
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
                    return;
                };
                LetBody::Expr(format!("{} >= {}", f.name, format_number(nice(q))))
            }
            _ => match self.matching(f, SENSITIVE_WORDS) {
                Some(b) => b,
                None => return,
            },
        };
        let comment = match body {
            LetBody::In(..) => "Values of `{}` that mark sensitive data: adjust the list.",
            LetBody::Expr(_) if f.kind == Kind::Bool => "Whether the task handles sensitive data.",
            LetBody::Expr(_) => "Values of `{}` that mark sensitive data: adjust the condition.",
        }
        .replace("{}", &f.name);
        let name = self.add_let(used, "sensitive_data", &[&comment], body);
        self.rules.push(Rule {
            comment: vec![
                "Sensitive data leaves the company only under a data processing agreement,".into(),
                "and the label block keeps it in-house.".into(),
            ],
            name: "sensitive data".into(),
            when: name.clone(),
            actions: vec![
                ("strategic", "+=", "10".into()),
                ("outsourceability", "-=", "30".into()),
            ],
        });
        self.sensitive = Some(name);
    }

    fn priority_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let (body, comment) = match &f.kind {
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.25) else {
                    return;
                };
                (
                    LetBody::Expr(format!("{} <= {}", f.name, format_number(nice(q)))),
                    format!(
                        "Urgent work, assuming 1 is the most urgent `{}`: flip the comparison if not.",
                        f.name
                    ),
                )
            }
            _ => match self.matching(f, URGENT_WORDS) {
                Some(b @ LetBody::In(..)) => (
                    b,
                    format!(
                        "Values of `{}` that mark urgent work: adjust the list.",
                        f.name
                    ),
                ),
                Some(b) => (
                    b,
                    format!(
                        "Values of `{}` that mark urgent work: adjust the pattern.",
                        f.name
                    ),
                ),
                None => return,
            },
        };
        let name = self.add_let(used, "urgent", &[&comment], body);
        self.rules.push(Rule {
            comment: vec!["Urgent work needs a short loop with the people who own it.".into()],
            name: "urgent work".into(),
            when: name,
            actions: vec![
                ("strategic", "+=", "20".into()),
                ("outsourceability", "-=", "10".into()),
            ],
        });
    }
}
