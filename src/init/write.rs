//! Printing the plan as a rule file: the comments for the reader, the
//! `input` block in columns, the `let`s, scores, rules, label block and
//! test. The formatter lays the result out again.

use super::plan::{LetBody, Plan};
use super::sniff::Kind;
use crate::fmt::WIDTH;
use crate::syntax::lex::quote;

impl Plan {
    pub(super) fn render(&self, expected: &str) -> String {
        let mut out = String::new();
        let rows = if self.rows == 1 {
            "1 row".to_string()
        } else {
            format!("{} rows", self.rows)
        };
        let sampled = if self.more {
            format!("the first {rows}")
        } else {
            rows
        };
        let source = clean_comment(&self.source);
        push_comment(
            &mut out,
            &format!(
                "Starter rules drafted by `outsort init` from {source} ({sampled}). The field types come from those rows; the rules, thresholds and label lines are guesses for you to adjust, and the notes say what to look at."
            ),
        );
        out.push_str("#\n# Then check the rules on the export:\n");
        out.push_str("#     outsort test -r my.rules\n");
        let path = if self.source.starts_with('<') {
            "EXPORT"
        } else {
            source.as_str()
        };
        out.push_str(&format!("#     outsort classify -r my.rules {path}\n\n"));
        if self.fields.iter().any(|f| matches!(f.kind, Kind::Enum(_))) {
            push_comment(
                &mut out,
                "An enum field lists the values seen in the sample, and a value it does not list is a row error: add the other values your data uses, or declare the field `text`.",
            );
            out.push('\n');
        }
        if !self.left_out.is_empty() {
            const LISTED: usize = 40;
            let mut list: Vec<String> = self
                .left_out
                .iter()
                .take(LISTED)
                .map(|c| clean_comment(c))
                .collect();
            if self.left_out.len() > LISTED {
                list.push(format!("and {} more", self.left_out.len() - LISTED));
            }
            push_comment(
                &mut out,
                &format!(
                    "Left out, empty in every sampled row (results still carry them): {}.",
                    list.join(", ")
                ),
            );
        }
        self.render_input(&mut out);
        out.push('\n');
        for c in &self.key_comment {
            out.push_str(&format!("# {c}\n"));
        }
        let key = self.fields.get(self.key).map_or("", |f| f.name.as_str());
        out.push_str(&format!("key {key}\n\n"));
        out.push_str(
            "# Scores start at these values; the rules below add to them, and each is kept\n# within 0..100.\n",
        );
        out.push_str("score knowledge        = 10 in 0..100\n");
        out.push_str("score strategic        = 10 in 0..100\n");
        out.push_str("score outsourceability = 50 in 0..100\n");
        for l in &self.lets {
            out.push('\n');
            for c in &l.comment {
                push_comment(&mut out, c);
            }
            match &l.body {
                LetBody::Expr(e) => out.push_str(&format!("let {} = {e}\n", l.name)),
                LetBody::In(value, items) => {
                    let head = format!("let {} = {value} in ", l.name);
                    let flat = format!("{head}[{}]", items.join(", "));
                    if flat.chars().count() <= WIDTH {
                        out.push_str(&flat);
                        out.push('\n');
                    } else {
                        out.push_str(&format!("{head}[\n"));
                        for item in items {
                            out.push_str(&format!("    {item},\n"));
                        }
                        out.push_str("]\n");
                    }
                }
            }
        }
        if self.no_rules_note {
            out.push('\n');
            push_comment(
                &mut out,
                "No column name suggested a starter rule. Add rules that move the scores, such as:",
            );
            out.push_str("#\n#     rule \"routine work\" when matches(lower(category), \"invoice|payroll\") {\n");
            out.push_str("#         outsourceability += 15\n#     }\n");
        }
        for note in &self.notes {
            out.push('\n');
            let mut lines = note.iter();
            if let Some(first) = lines.next() {
                push_comment(&mut out, first);
            }
            for example in lines {
                out.push_str(&format!("#\n#     {}\n", clean_comment(example)));
            }
        }
        for r in &self.rules {
            out.push('\n');
            for c in &r.comment {
                push_comment(&mut out, c);
            }
            out.push_str(&format!("rule {} when {} {{\n", quote(&r.name), r.when));
            let w = r.actions.iter().map(|a| a.0.len()).max().unwrap_or(0);
            for (target, op, value) in &r.actions {
                out.push_str(&format!("    {target:<w$} {op} {value}\n"));
            }
            out.push_str("}\n");
        }
        out.push('\n');
        out.push_str(
            "# The first line that holds gives the label. Move the thresholds together with\n# the amounts the rules add.\n",
        );
        out.push_str("label {\n");
        if let Some(s) = &self.sensitive {
            label_line(
                &mut out,
                "in_house",
                &format!("when {s}"),
                "sensitive data stays in-house",
            );
        }
        label_line(
            &mut out,
            "in_house",
            "when strategic >= 50",
            "strategic value {strategic}: keep it close",
        );
        label_line(
            &mut out,
            "kpo",
            "when knowledge >= 50 and outsourceability >= 40",
            "specialist knowledge work",
        );
        label_line(
            &mut out,
            "bpo",
            "when outsourceability >= 60",
            "routine work a provider can run",
        );
        label_line(
            &mut out,
            "in_house",
            "otherwise",
            "no strong case for outsourcing yet",
        );
        out.push_str("}\n\n");
        out.push_str(
            "# The first sampled row, with the label the draft gives it: write the label the\n# row should get, then run `outsort test`.\n",
        );
        out.push_str("test \"the first row of the export\" {\n");
        let flat = if self.given.is_empty() {
            "    given {}".to_string()
        } else {
            format!("    given {{ {} }}", self.given.join(", "))
        };
        if flat.chars().count() <= WIDTH {
            out.push_str(&flat);
            out.push('\n');
        } else {
            out.push_str("    given {\n");
            for g in &self.given {
                out.push_str(&format!("        {g},\n"));
            }
            out.push_str("    }\n");
        }
        out.push_str(&format!("    expect label == {expected}\n}}\n"));
        out
    }

    /// The `input` block, laid out as the formatter does: names, types,
    /// defaults and `from` each in an aligned column, trailing comments
    /// aligned.
    fn render_input(&self, out: &mut String) {
        let rows: Vec<[String; 4]> = self
            .fields
            .iter()
            .map(|f| {
                let mut ty = f.kind.written();
                if f.optional {
                    ty.push('?');
                }
                [
                    format!("{}:", f.name),
                    ty,
                    f.default
                        .as_ref()
                        .map_or(String::new(), |d| format!("= {d}")),
                    f.from
                        .as_ref()
                        .map_or(String::new(), |s| format!("from {}", quote(s))),
                ]
            })
            .collect();
        // One space between cells; the formatter aligns the columns.
        let codes: Vec<String> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|c| !c.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let comments: Vec<Option<String>> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == self.key {
                    Some("# the key".to_string())
                } else {
                    f.comment.as_ref().map(|c| format!("# {c}"))
                }
            })
            .collect();
        out.push_str("input {\n");
        for (code, comment) in codes.iter().zip(&comments) {
            out.push_str("    ");
            out.push_str(code);
            if let Some(c) = comment {
                out.push_str("  ");
                out.push_str(c);
            }
            out.push('\n');
        }
        out.push_str("}\n");
    }
}

/// A label line, `because` on the next line when the whole does not fit.
fn label_line(out: &mut String, value: &str, condition: &str, because: &str) {
    let head = format!("    {value:<8} {condition}");
    let because = format!("because {}", quote(because));
    if head.chars().count() + 1 + because.chars().count() <= WIDTH {
        out.push_str(&format!("{head} {because}\n"));
    } else {
        out.push_str(&format!("{head}\n{}{because}\n", " ".repeat(4 + 8 + 1)));
    }
}

/// Text made safe for a comment: one line, no control characters.
pub(super) fn clean_comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A comment, wrapped at 80 columns.
fn push_comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in clean_comment(text).split_whitespace() {
        if line.len() > 1 && line.chars().count() + 1 + word.chars().count() > 80 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}
