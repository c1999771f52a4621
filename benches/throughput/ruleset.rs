//! A large generated rule set for the load benchmark: the fields of
//! benches/bench.rules and N varied rules, deterministic.

use std::fmt::Write;

const CATEGORIES: [&str; 12] = [
    "market research",
    "financial analysis",
    "data analytics",
    "legal research",
    "document review",
    "customer service",
    "data entry",
    "invoice processing",
    "payroll",
    "order processing",
    "it helpdesk",
    "back office",
];
const SKILLS: [&str; 5] = ["none", "training", "certification", "degree", "advanced"];
const SENSITIVITIES: [&str; 3] = ["low", "medium", "high"];
const SCORES: [&str; 3] = ["knowledge", "strategic", "outsourceability"];
const DEPARTMENTS: [&str; 6] = ["finance", "legal", "marketing", "sales", "hr", "it"];

/// The rule set's text: the input block, lets and scores of bench.rules, then
/// `rules` rules cycling through eight shapes with varied constants, a label
/// block, outputs and policies.
pub fn generate(rules: usize) -> String {
    let mut s = String::with_capacity(rules * 160 + 4096);
    s.push_str(
        r#"input {
    id:            text
    name:          text
    department:    text
    category:      text
    hours:         number                  from "hours_per_month"
    hourly_cost:   number
    skill:         enum(none, training, certification, degree, advanced)
    core:          bool
    sensitivity:   enum(low, medium, high) = low   from "data_sensitivity"
    standardized:  number
    regulated:     bool = false
    bottleneck:    bool = false
    languages:     number = 1
    same_day:      bool = false
    anonymised:    bool = false
    owner:         text?
}

key id

let category_lc = lower(category)
let monthly_cost = hours * hourly_cost

score knowledge        = 10 in 0..100
score strategic        = 10 in 0..100
score outsourceability = 50 in 0..100

"#,
    );
    for i in 0..rules {
        let n = i * 7919 + 13;
        let score = SCORES[n % 3];
        let other = SCORES[(n / 3 + 1) % 3];
        let amount = 1 + n % 17;
        let _ = match i % 8 {
            0 => writeln!(
                s,
                "rule \"r{i}: skill and volume\" when skill >= {} and hours > {} {{\n    {score} += {amount}\n}}",
                SKILLS[n % 5],
                10 * (n % 25)
            ),
            1 => writeln!(
                s,
                "rule \"r{i}: category\" when category_lc in [\"{}\", \"{}\", \"{}\"] {{\n    {score} += {amount}\n    {other} -= {}\n}}",
                CATEGORIES[n % 12],
                CATEGORIES[(n / 12) % 12],
                CATEGORIES[(n / 144) % 12],
                1 + n % 5
            ),
            2 => writeln!(
                s,
                "rule \"r{i}: cost\" when hours * hourly_cost >= {} and not core {{\n    {score} += {amount}\n}}",
                500 * (n % 40)
            ),
            3 => writeln!(
                s,
                "rule \"r{i}: sensitivity\" when sensitivity == {} or regulated {{\n    {score} -= {amount}\n}}",
                SENSITIVITIES[n % 3]
            ),
            4 => writeln!(
                s,
                "rule \"r{i}: skill points\" {{\n    {score} += match skill {{\n        none => 0,\n        training => {},\n        certification | degree => {},\n        _ => {},\n    }}\n}}",
                n % 3,
                n % 5,
                n % 7
            ),
            5 => writeln!(
                s,
                "rule \"r{i}: procedure\" when standardized >= 0.{} {{\n    {score} += round(standardized * {amount})\n}}",
                n % 10
            ),
            6 => writeln!(
                s,
                "rule \"r{i}: pressure\" when (bottleneck or same_day) and languages >= {} {{\n    {score} += if anonymised then {amount} else {}\n}}",
                1 + n % 4,
                n % 3
            ),
            _ => writeln!(
                s,
                "rule \"r{i}: ownership\" when present(owner) and contains(lower(department), \"{}\") {{\n    {score} -= min({amount}, monthly_cost / 1000)\n}}",
                DEPARTMENTS[n % 6]
            ),
        };
    }
    s.push_str(
        r#"
label {
    in_house when strategic >= 60 because "strategic value {strategic}"
    in_house when outsourceability < 50 because "outsourceability {outsourceability} is below 50"
    kpo      when knowledge >= 55 because "knowledge {knowledge}"
    bpo      when standardized >= 0.5
    in_house otherwise
}

output monthly_savings = round(monthly_cost * (1 - match label { kpo => 0.6, bpo => 0.4, in_house => 1 }))
output destination = if label == in_house then "none" else if regulated then "Poland" else "India"
output accountable = owner ?? department

policy "core activities stay in-house" deny
    when core and label != in_house
    message "{name} is a core activity of {department} but is labelled {label}"
"#,
    );
    s
}
