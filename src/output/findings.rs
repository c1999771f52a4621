//! Policy findings of `check` in the formats CI systems read: text, JSON,
//! JUnit XML, GitHub workflow commands and SARIF.

use crate::ast::Severity;
use crate::compile::Program;
use crate::quote::escape;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How a finding was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Counts against the run.
    Fired,
    /// The policy's `unless` held.
    Exempted,
    /// A waiver exempted the task.
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fired => "fired",
            Status::Exempted => "exempted",
            Status::Waived => "waived",
        }
    }
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A task: its input file, the line where its row starts, and its key.
    Task {
        file: String,
        line: u64,
        key: String,
    },
    /// The rule set itself (a portfolio policy, an expired waiver): a rule
    /// file and line, when the rule set came from a file.
    Rules { file: Option<String>, line: u64 },
}

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The policy's name, or for an expired waiver, the waived policy's.
    pub policy: String,
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    pub location: Location,
    /// Set for the deny finding an expired waiver is.
    pub expired_waiver: bool,
}

/// Everything `check` found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub tasks: u64,
    pub findings: Vec<Finding>,
    /// Policy names with their severity, in declaration order.
    pub policies: Vec<(String, Severity)>,
    /// Information: rules that never fired, label lines never taken.
    pub never_fired: Vec<String>,
    pub never_taken: Vec<String>,
    /// Warnings about the data and the rule set: repeated keys, waivers
    /// that exempted nothing or name unknown tasks.
    pub warnings: Vec<String>,
    /// Per policy: findings that count, waived, exempted (expired waivers apart).
    tally: BTreeMap<String, (usize, usize, usize)>,
    /// Findings that count, by severity: deny, warn.
    counted: (usize, usize),
}

/// Counts per policy: (fired, waived, exempted).
fn counts(report: &Report) -> &BTreeMap<String, (usize, usize, usize)> {
    &report.tally
}

impl Report {
    /// An empty report over these policies (name, severity).
    pub fn new(policies: Vec<(String, Severity)>) -> Report {
        Report {
            policies,
            ..Report::default()
        }
    }

    /// Counts a finding, and keeps it when the output format needs every
    /// finding at the end (text, JUnit, SARIF); JSON and GitHub output
    /// stream them instead.
    pub fn add(&mut self, f: Finding, keep: bool) {
        if f.status == Status::Fired {
            match f.severity {
                Severity::Deny => self.counted.0 += 1,
                Severity::Warn => self.counted.1 += 1,
            }
        }
        if !f.expired_waiver {
            let e = self.tally.entry(f.policy.clone()).or_default();
            match f.status {
                Status::Fired => e.0 += 1,
                Status::Waived => e.1 += 1,
                Status::Exempted => e.2 += 1,
            }
        }
        if keep {
            self.findings.push(f);
        }
    }

    /// Adds the counts and kept findings of a report over other tasks.
    pub fn merge(&mut self, other: Report) {
        self.tasks += other.tasks;
        self.findings.extend(other.findings);
        for (policy, (f, w, e)) in other.tally {
            let t = self.tally.entry(policy).or_default();
            t.0 += f;
            t.1 += w;
            t.2 += e;
        }
        self.counted.0 += other.counted.0;
        self.counted.1 += other.counted.1;
        self.warnings.extend(other.warnings);
    }

    pub fn fired(&self, severity: Severity) -> usize {
        match severity {
            Severity::Deny => self.counted.0,
            Severity::Warn => self.counted.1,
        }
    }

    fn location_text(loc: &Location) -> String {
        match loc {
            Location::Task { file, line, key } => {
                format!("{}:{line}  {}", escape(file), escape(key))
            }
            Location::Rules {
                file: Some(f),
                line,
            } => format!("{}:{line}  (rule set)", escape(f)),
            Location::Rules { file: None, line } => format!("built-in rules:{line}  (rule set)"),
        }
    }

    /// Findings grouped by policy, then a summary and the data coverage.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut order: Vec<&str> = self.policies.iter().map(|(n, _)| n.as_str()).collect();
        for f in &self.findings {
            if !order.contains(&f.policy.as_str()) {
                order.push(&f.policy);
            }
        }
        for name in &order {
            let fired: Vec<&Finding> = self
                .findings
                .iter()
                .filter(|f| f.policy == *name && f.status == Status::Fired && !f.expired_waiver)
                .collect();
            if fired.is_empty() {
                continue;
            }
            let sev = fired.first().map_or("deny", |f| f.severity.as_str());
            let _ = writeln!(
                out,
                "{sev} \"{}\": {} finding{}",
                escape(name),
                fired.len(),
                if fired.len() == 1 { "" } else { "s" }
            );
            for f in fired {
                let msg = if f.message.is_empty() {
                    String::new()
                } else {
                    format!("  {}", one_line(&f.message))
                };
                let _ = writeln!(out, "  {}{msg}", Self::location_text(&f.location));
            }
            out.push('\n');
        }
        let expired: Vec<&Finding> = self.findings.iter().filter(|f| f.expired_waiver).collect();
        if !expired.is_empty() {
            let _ = writeln!(
                out,
                "deny: {} expired waiver{}",
                expired.len(),
                if expired.len() == 1 { "" } else { "s" }
            );
            for f in expired {
                let _ = writeln!(
                    out,
                    "  {}  of \"{}\": {}",
                    Self::location_text(&f.location),
                    escape(&f.policy),
                    one_line(&f.message)
                );
            }
            out.push('\n');
        }
        let mut others: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.status != Status::Fired)
            .collect();
        others.sort_by_key(|f| f.status.as_str());
        if !others.is_empty() {
            let _ = writeln!(out, "not counted");
            for f in others {
                let _ = writeln!(
                    out,
                    "  {} \"{}\"  {}  {}",
                    f.status.as_str(),
                    escape(&f.policy),
                    Self::location_text(&f.location),
                    one_line(&f.message)
                );
            }
            out.push('\n');
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {}", one_line(w));
        }
        if !self.warnings.is_empty() {
            out.push('\n');
        }
        let counts = counts(self);
        let _ = writeln!(
            out,
            "{} tasks checked against {} polic{}: {} deny, {} warn",
            self.tasks,
            self.policies.len(),
            if self.policies.len() == 1 { "y" } else { "ies" },
            self.fired(Severity::Deny),
            self.fired(Severity::Warn)
        );
        if !self.policies.is_empty() {
            let w = self
                .policies
                .iter()
                .map(|(n, _)| n.len() + 2)
                .max()
                .unwrap_or(8)
                .max(8);
            let _ = writeln!(
                out,
                "  {:<w$}  {:>8}  {:>6}  {:>8}",
                "policy", "findings", "waived", "exempted"
            );
            for (name, sev) in &self.policies {
                let (fired, waived, exempted) =
                    counts.get(name.as_str()).copied().unwrap_or_default();
                let quoted = format!("\"{}\"", escape(name));
                let _ = writeln!(
                    out,
                    "  {quoted:<w$}  {fired:>8}  {waived:>6}  {exempted:>8}  {}",
                    sev.as_str()
                );
            }
            let expired = self.findings.iter().filter(|f| f.expired_waiver).count();
            if expired > 0 {
                let _ = writeln!(
                    out,
                    "  {expired} expired waiver{}",
                    if expired == 1 { "" } else { "s" }
                );
            }
        }
        if !self.never_fired.is_empty() || !self.never_taken.is_empty() {
            let _ = writeln!(out, "\ncoverage on this data (information, not failure):");
            for r in &self.never_fired {
                let _ = writeln!(out, "  rule never fired: {r}");
            }
            for l in &self.never_taken {
                let _ = writeln!(out, "  label line never taken: {l}");
            }
        }
        // Policy names, keys and file names are escaped where they are
        // written, messages made one line; this escapes what is left.
        crate::quote::escape_keep_lines(&out).into_owned()
    }

    /// The start of the JSON document, before the findings.
    pub const JSON_OPEN: &'static str = "{\n  \"findings\": [";

    /// One finding as a line of the JSON document's `findings` array.
    pub fn json_finding(f: &Finding, first: bool) -> String {
        use serde_json::json;
        let mut v = json!({
            "policy": f.policy,
            "severity": f.severity.as_str(),
            "status": f.status.as_str(),
            "message": f.message,
        });
        match &f.location {
            Location::Task { file, line, key } => {
                v["file"] = json!(file);
                v["line"] = json!(line);
                v["key"] = json!(key);
            }
            Location::Rules { file, line } => {
                v["rules_file"] = json!(file);
                v["line"] = json!(line);
            }
        }
        if f.expired_waiver {
            v["expired_waiver"] = json!(true);
        }
        format!(
            "{}\n    {}",
            if first { "" } else { "," },
            serde_json::to_string(&v).unwrap_or_default()
        )
    }

    /// The end of the JSON document: the counts, policies, warnings and coverage.
    pub fn json_close(&self, wrote_findings: bool) -> String {
        use serde_json::json;
        let counts = counts(self);
        let policies: Vec<serde_json::Value> = self
            .policies
            .iter()
            .map(|(n, s)| {
                let (fired, waived, exempted) = counts.get(n.as_str()).copied().unwrap_or_default();
                json!({"policy": n, "severity": s.as_str(), "findings": fired, "waived": waived, "exempted": exempted})
            })
            .collect();
        let field = |v: serde_json::Value| serde_json::to_string(&v).unwrap_or_default();
        let mut out = String::from(if wrote_findings { "\n  ],\n" } else { "],\n" });
        let _ = writeln!(out, "  \"tasks\": {},", self.tasks);
        let _ = writeln!(out, "  \"deny\": {},", self.fired(Severity::Deny));
        let _ = writeln!(out, "  \"warn\": {},", self.fired(Severity::Warn));
        let _ = writeln!(out, "  \"policies\": {},", field(json!(policies)));
        let _ = writeln!(out, "  \"warnings\": {},", field(json!(self.warnings)));
        let _ = writeln!(
            out,
            "  \"coverage\": {}",
            field(
                json!({"rules_never_fired": self.never_fired, "label_lines_never_taken": self.never_taken})
            )
        );
        out.push_str("}\n");
        out
    }

    /// The whole JSON document from the findings kept.
    pub fn json(&self) -> String {
        let mut out = String::from(Self::JSON_OPEN);
        for (i, f) in self.findings.iter().enumerate() {
            out.push_str(&Self::json_finding(f, i == 0));
        }
        out.push_str(&self.json_close(!self.findings.is_empty()));
        out
    }

    /// GitHub Actions workflow commands: each finding an annotation on the
    /// input file's line, so it shows on the changed CSV line of a pull request.
    pub fn github(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&Self::github_line(f));
        }
        out.push_str(&self.github_summary());
        out
    }

    /// A finding as a GitHub workflow command line; empty unless it counts.
    pub fn github_line(f: &Finding) -> String {
        if f.status != Status::Fired {
            return String::new();
        }
        let cmd = if f.severity == Severity::Deny {
            "error"
        } else {
            "warning"
        };
        let (props, key) = match &f.location {
            Location::Task { file, line, key } => (
                format!("file={},line={line}", gh_property(file)),
                format!("{key}: "),
            ),
            Location::Rules {
                file: Some(file),
                line,
            } => (
                format!("file={},line={line}", gh_property(file)),
                String::new(),
            ),
            Location::Rules { file: None, .. } => (String::new(), String::new()),
        };
        let title = if f.expired_waiver {
            format!(
                "title={}",
                gh_property(&format!("expired waiver of \"{}\"", f.policy))
            )
        } else {
            format!("title={}", gh_property(&f.policy))
        };
        let props = if props.is_empty() {
            title
        } else {
            format!("{props},{title}")
        };
        let msg = if f.message.is_empty() {
            format!("policy \"{}\"", f.policy)
        } else {
            f.message.clone()
        };
        format!("::{cmd} {props}::{}\n", gh_data(&format!("{key}{msg}")))
    }

    /// The closing line of the GitHub output.
    pub fn github_summary(&self) -> String {
        format!(
            "outsort check: {} tasks, {} deny, {} warn\n",
            self.tasks,
            self.fired(Severity::Deny),
            self.fired(Severity::Warn)
        )
    }

    /// JUnit XML: a test case per policy, and one per failing task.
    pub fn junit(&self) -> String {
        let mut cases = String::new();
        let mut tests = 0;
        let mut failures = 0;
        for (name, sev) in &self.policies {
            let fired: Vec<&Finding> = self
                .findings
                .iter()
                .filter(|f| f.policy == *name && f.status == Status::Fired && !f.expired_waiver)
                .collect();
            tests += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"outsort.policy\" name=\"{}\"",
                xml(name)
            );
            if fired.is_empty() {
                cases.push_str("/>\n");
            } else {
                failures += 1;
                let _ = writeln!(
                    cases,
                    ">\n      <failure type=\"{}\" message=\"{} finding{}\"/>\n    </testcase>",
                    sev.as_str(),
                    fired.len(),
                    if fired.len() == 1 { "" } else { "s" }
                );
            }
            for f in fired {
                tests += 1;
                failures += 1;
                let (where_, key) = match &f.location {
                    Location::Task { file, line, key } => (format!("{file}:{line}"), key.clone()),
                    Location::Rules { file, line } => (
                        format!("{}:{line}", file.as_deref().unwrap_or("built-in rules")),
                        "portfolio".into(),
                    ),
                };
                let _ = writeln!(
                    cases,
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    xml(name),
                    xml(&key),
                    xml(&where_),
                    sev.as_str(),
                    xml(&f.message),
                    xml(&format!("{where_}: {}", f.message))
                );
            }
        }
        for f in self.findings.iter().filter(|f| f.expired_waiver) {
            tests += 1;
            failures += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"outsort.waiver\" name=\"{}\">\n      <failure type=\"deny\" message=\"{}\"/>\n    </testcase>",
                xml(&f.policy),
                xml(&f.message)
            );
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"outsort check\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"outsort check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }

    /// SARIF 2.1.0: one rule per policy, one result per finding, located at
    /// the input file and line.
    pub fn sarif(&self, program: &Program) -> String {
        use serde_json::json;
        let mut rules: Vec<serde_json::Value> = self
            .policies
            .iter()
            .map(|(n, s)| {
                json!({
                    "id": n,
                    "name": n,
                    "shortDescription": {"text": format!("sourcing policy \"{n}\"")},
                    "defaultConfiguration": {"level": if *s == Severity::Deny { "error" } else { "warning" }},
                })
            })
            .collect();
        if self.findings.iter().any(|f| f.expired_waiver) {
            rules.push(json!({
                "id": EXPIRED_WAIVER,
                "name": EXPIRED_WAIVER,
                "shortDescription": {"text": "a waiver past its expiry date"},
                "defaultConfiguration": {"level": "error"},
            }));
        }
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .filter(|f| f.status == Status::Fired)
            .map(|f| {
                let text = if f.message.is_empty() {
                    format!("policy \"{}\"", f.policy)
                } else {
                    f.message.clone()
                };
                let rule_id = if f.expired_waiver {
                    EXPIRED_WAIVER
                } else {
                    f.policy.as_str()
                };
                let mut r = json!({
                    "ruleId": rule_id,
                    "level": if f.severity == Severity::Deny { "error" } else { "warning" },
                    "message": {"text": crate::quote::escape_keep_lines(&text)},
                });
                let loc = match &f.location {
                    Location::Task { file, line, key } => {
                        r["partialFingerprints"] = json!({"taskKey": key});
                        Some((file.clone(), *line))
                    }
                    Location::Rules {
                        file: Some(file),
                        line,
                    } => Some((file.clone(), *line)),
                    Location::Rules { file: None, .. } => None,
                };
                if let Some((file, line)) = loc {
                    r["locations"] = json!([{
                        "physicalLocation": {
                            "artifactLocation": {"uri": sarif_uri(&file)},
                            "region": {"startLine": line.max(1)},
                        }
                    }]);
                }
                r
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "outsort",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "results": results,
                "properties": {"tasks": self.tasks, "rulesFiles": program.sources.files().iter().map(|f| f.name.clone()).collect::<Vec<_>>()},
            }],
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The SARIF rule id of expired waivers.
const EXPIRED_WAIVER: &str = "expired waiver";

/// A message on one line: line breaks from multi-line cells become spaces.
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A path as a relative URI reference: forward slashes, spaces and other
/// reserved characters percent-encoded.
fn sarif_uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Escapes the message of a GitHub workflow command: `%`, CR and LF
/// percent-encoded as the runner decodes them, other control characters
/// escaped so they cannot drive the log viewer.
fn gh_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::quote::escape(&s).into_owned()
}

/// Escapes a property of a GitHub workflow command.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            // Not allowed in XML 1.0, or unsafe to show: escaped as text.
            c if crate::quote::is_unsafe(c) => {
                out.push_str(&crate::quote::escape(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
}
