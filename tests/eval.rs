//! Evaluation of expressions, rules, clamping, labels and explanations:
//! one line per case.

use outsort::Program;
use outsort::eval::Task;
use outsort::value::{Value, parse_date};

const INPUT: &str = "
input {
    id: text
    a: number?
    b: number?
    t: text?
    s: enum(low, medium, high)?
    f: bool?
    g: bool?
    d: date?
}
";

/// Field values as `name=value` pairs; absent fields are missing.
fn task<'a>(program: &Program, values: &str) -> Task<'a> {
    let mut task = program.new_task();
    task.fields = vec![Value::Missing; program.fields.len()];
    task.fields[0] = Value::Text("T1".into());
    for pair in values.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, raw) = pair.split_once('=').unwrap();
        let slot = program.fields.iter().position(|f| f.name == name).unwrap();
        task.fields[slot] = match name {
            "a" | "b" => Value::Num(raw.parse().unwrap()),
            "t" => Value::Text(raw.to_string().into()),
            "s" => Value::Enum(
                ["low", "medium", "high"]
                    .iter()
                    .position(|v| *v == raw)
                    .unwrap() as u16,
            ),
            "f" | "g" => Value::Bool(raw == "true"),
            "d" => Value::Date(parse_date(raw).unwrap()),
            _ => unreachable!(),
        };
    }
    task
}

/// Evaluates `expr` as a let and prints its value (`missing` when missing,
/// `error: ...` when evaluation fails).
fn eval(expr: &str, values: &str) -> String {
    let src = format!("{INPUT}let x = {expr}\n");
    let program = outsort::load_str("t.rules", &src).unwrap_or_else(|e| panic!("{expr}: {e}"));
    let mut t = task(&program, values);
    let today = parse_date("2027-01-01").unwrap();
    match program.evaluate(&mut t, today) {
        Ok(()) => {
            let ty = program.lets[0].ty;
            match &t.lets[0] {
                Value::Missing => "missing".to_string(),
                v => program.display(ty, v),
            }
        }
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn arithmetic() {
    let cases = [
        ("a + b", "a=1;b=2", "3"),
        ("a - b * 2", "a=10;b=3", "4"),
        ("(a - b) * 2", "a=10;b=3", "14"),
        ("-a / 4", "a=10", "-2.5"),
        ("a * 0.1 + 0.2", "a=1", "0.3"),
        ("1_000 + a", "a=1", "1001"),
        ("a + b", "a=1", "missing"),
        ("-a", "", "missing"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn division_by_zero_and_overflow_are_errors_naming_the_operands() {
    assert_eq!(
        eval("a / b", "a=3;b=0"),
        "error: in let `x`: division by zero in `a / b` (left = 3, right = 0)"
    );
    assert_eq!(
        eval("a * b", "a=1e200;b=1e200"),
        "error: in let `x`: the result is too large to be a number in `a * b` (left = 1e200, right = 1e200)"
            .replace("1e200", &outsort::value::format_number(1e200))
    );
}

#[test]
fn three_valued_logic() {
    let cases = [
        ("f and g", "f=true;g=true", "true"),
        ("f and g", "f=false", "false"),
        ("g and f", "f=false", "false"),
        ("f and g", "f=true", "missing"),
        ("f or g", "f=true", "true"),
        ("g or f", "f=true", "true"),
        ("f or g", "f=false", "missing"),
        ("f or g", "", "missing"),
        ("not f", "f=true", "false"),
        ("not f", "", "missing"),
        ("not f and g", "f=false;g=true", "true"),
        ("f or g and false", "f=true", "true"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn and_and_or_stop_early() {
    // `b != 0 and a / b > 2` never divides by zero.
    assert_eq!(eval("b != 0 and a / b > 2", "a=3;b=0"), "false");
    assert_eq!(eval("b == 0 or a / b > 2", "a=3;b=0"), "true");
    assert_eq!(eval("if b == 0 then 0 else a / b", "a=3;b=0"), "0");
}

#[test]
fn missing_values_and_fallbacks() {
    let cases = [
        ("a ?? 5", "", "5"),
        ("a ?? 5", "a=2", "2"),
        ("a ?? b ?? 7", "b=3", "3"),
        ("present(a)", "", "false"),
        ("present(a)", "a=0", "true"),
        ("a > 1", "", "missing"),
        ("a ?? 0 >= 3", "", "false"),
        ("t == \"x\"", "", "missing"),
        ("lower(t)", "", "missing"),
        ("if f then 1 else 2", "", "2"),
        ("match s { low => 1, _ => 2 }", "", "missing"),
        ("a in [1, 2]", "", "missing"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn comparisons() {
    let cases = [
        ("a == 2", "a=2", "true"),
        ("a != 2", "a=2", "false"),
        ("a < 2", "a=1", "true"),
        ("a <= 2", "a=2", "true"),
        ("a > 2", "a=2", "false"),
        ("a >= 2", "a=2", "true"),
        ("t == \"Finance\"", "t=finance", "false"),
        ("lower(t) == \"finance\"", "t=Finance", "true"),
        ("s >= medium", "s=high", "true"),
        ("s >= medium", "s=low", "false"),
        ("medium <= s", "s=medium", "true"),
        ("s == high", "s=high", "true"),
        ("d < 2027-06-30", "d=2027-01-01", "true"),
        ("d == 2027-01-01", "d=2027-01-01", "true"),
        ("f == true", "f=true", "true"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn membership() {
    let cases = [
        ("t in [\"x\", \"y\"]", "t=y", "true"),
        ("t in [\"x\", \"y\"]", "t=Y", "false"),
        ("t not in [\"x\", \"y\"]", "t=z", "true"),
        ("s in [low, high]", "s=high", "true"),
        ("s in [low, high]", "s=medium", "false"),
        ("a in [1, 2.5]", "a=2.5", "true"),
        ("a not in [1, 2]", "a=3", "true"),
        ("a in [b, 4]", "a=3;b=3", "true"),
        ("a in [b, 4]", "a=3", "missing"),
        ("a in [b, 3]", "a=3", "true"),
        (
            "lower(t) in [\"invoice processing\"]",
            "t=Invoice Processing",
            "true",
        ),
        (
            "lower(t) not in [\"invoice processing\"]",
            "t=Invoice Processing",
            "false",
        ),
        ("lower(t) in [\"école\"]", "t=ÉCOLE", "true"),
        ("lower(t) in [\"x\"]", "", "missing"),
        (
            "lower(t) in [\"a very long category name that is longer than sixty-four bytes in all\"]",
            "t=A Very Long Category Name That Is Longer Than Sixty-Four Bytes In All",
            "true",
        ),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn if_and_match() {
    let cases = [
        ("if a > 1 then \"big\" else \"small\"", "a=2", "big"),
        ("if a > 1 then \"big\" else \"small\"", "a=0", "small"),
        ("if s == high then low else s", "s=high", "low"),
        ("if s == high then low else s", "s=medium", "medium"),
        ("match s { low => 1, medium | high => 2 }", "s=high", "2"),
        ("match s { low => 1, _ => 9 }", "s=medium", "9"),
        ("match t { \"a\" => 1, _ => 0 }", "t=a", "1"),
        (
            "match a { 1 => \"one\", 2 | 3 => \"few\", _ => \"many\" }",
            "a=3",
            "few",
        ),
        ("match f { true => 1, false => 0 }", "f=false", "0"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

#[test]
fn functions() {
    let cases = [
        ("min(a, b, 3)", "a=5;b=4", "3"),
        ("max(a, b)", "a=5;b=4", "5"),
        ("abs(a)", "a=-2", "2"),
        ("round(a)", "a=2.5", "3"),
        ("round(a)", "a=-2.5", "-3"),
        ("round(a)", "a=2.4", "2"),
        ("floor(a)", "a=-1.5", "-2"),
        ("ceil(a)", "a=1.2", "2"),
        ("clamp(a, 0, 10)", "a=12", "10"),
        ("clamp(a, 0, 10)", "a=-1", "0"),
        ("lower(t)", "t=ÀB", "àb"),
        ("upper(t)", "t=ab", "AB"),
        ("len(t)", "t=héllo", "5"),
        ("contains(t, \"voice\")", "t=invoice", "true"),
        ("starts_with(t, \"in\")", "t=invoice", "true"),
        ("ends_with(t, \"in\")", "t=invoice", "false"),
        ("matches(t, \"(?i)^INV-[0-9]+$\")", "t=inv-42", "true"),
        ("matches(t, \"pay\")", "t=repayment", "true"),
        ("days_until(d)", "d=2027-01-31", "30"),
        ("days_until(d)", "d=2026-12-31", "-1"),
        ("min(a, b)", "a=1", "missing"),
    ];
    for (expr, values, want) in cases {
        assert_eq!(eval(expr, values), want, "{expr} with {values}");
    }
}

const SCORED: &str = "
input { id: text  hours: number  core: bool  skill: enum(none, degree) }
score k = 10 in 0..100
score s = 0 in -5..5
rule \"degree\" when skill == degree { k += 60  s += 3 }
rule \"big\" when hours > 100 { k += 50 }
rule \"reads the running total\" when k > 60 { s += 10 }
rule \"core\" when core { s = -20 }
label {
    top  when k >= 100 because \"k is {k}\"
    mid  when k >= 50
    core when s < 0
    low  otherwise
}
output doubled = k * 2
";

fn scored(hours: f64, core: bool, degree: bool) -> (Program, Task<'static>) {
    let program = outsort::load_str("scored.rules", SCORED).unwrap();
    let mut t = program.new_task();
    t.fields = vec![
        Value::Text("T1".into()),
        Value::Num(hours),
        Value::Bool(core),
        Value::Enum(u16::from(degree)),
    ];
    program.evaluate(&mut t, 0).unwrap();
    (program, t)
}

#[test]
fn rules_apply_in_order_then_scores_clamp_once() {
    let (program, t) = scored(200.0, false, true);
    // 10 + 60 + 50 = 120 before clamping; the third rule saw k = 120 > 60.
    assert_eq!(t.unclamped, vec![120.0, 13.0]);
    assert_eq!(t.scores, vec![100.0, 5.0]);
    assert_eq!(program.label_name(t.label.unwrap()), "top");
    assert_eq!(program.reason(&t, 0).expect("no error"), "k is 100");
    // Outputs read clamped scores.
    assert_eq!(t.outputs[0], Value::Num(200.0));
}

#[test]
fn set_action_replaces_the_running_total() {
    let (_, t) = scored(1.0, true, false);
    assert_eq!(t.unclamped, vec![10.0, -20.0]);
    assert_eq!(t.scores, vec![10.0, -5.0]);
}

#[test]
fn first_matching_label_line_wins() {
    let cases = [
        (200.0, false, true, "top"),
        (1.0, false, true, "mid"),
        (200.0, true, false, "mid"),
        (1.0, true, false, "core"),
        (1.0, false, false, "low"),
    ];
    for (hours, core, degree, want) in cases {
        let (program, t) = scored(hours, core, degree);
        assert_eq!(
            program.label_name(t.label.unwrap()),
            want,
            "{hours} {core} {degree}"
        );
    }
    // Without `because`, the reason is the condition as written.
    let (program, t) = scored(1.0, false, true);
    assert_eq!(program.reason(&t, 0).expect("no error"), "k >= 50");
}

#[test]
fn explanation_names_rules_deltas_and_failed_conditions() {
    let (program, mut t) = scored(1.0, true, false);
    let e = program.explain(&mut t, 0).unwrap();
    let fired: Vec<(&str, bool)> = e
        .rules
        .iter()
        .map(|r| (program.rules[r.rule].name.as_str(), r.fired))
        .collect();
    assert_eq!(
        fired,
        vec![
            ("degree", false),
            ("big", false),
            ("reads the running total", false),
            ("core", true)
        ]
    );
    assert_eq!(e.rules[3].deltas, vec![(1, -20.0)]);
    let why: Vec<&Vec<String>> = e.not_fired.iter().map(|(_, w)| w).collect();
    assert_eq!(
        why[0],
        &vec!["`skill == degree` is false (skill = none)".to_string()]
    );
    assert_eq!(
        why[1],
        &vec!["`hours > 100` is false (hours = 1)".to_string()]
    );
    assert_eq!(why[2], &vec!["`k > 60` is false (k = 10)".to_string()]);
    // Label lines above the one that matched, each with why it failed.
    assert_eq!(e.lines.len(), 3);
    assert_eq!(
        e.lines[0].why_not,
        vec!["`k >= 100` is false (k = 10)".to_string()]
    );
    assert_eq!(
        e.lines[1].why_not,
        vec!["`k >= 50` is false (k = 10)".to_string()]
    );
    assert!(e.lines[2].matched);
}

#[test]
fn explanation_of_compound_conditions_names_only_the_false_parts() {
    let src = format!(
        "{INPUT}score k = 0\nlabel {{\n    x when a > 1 and (f or g) and s == high\n    y otherwise\n}}\n"
    );
    let program = outsort::load_str("c.rules", &src).unwrap();
    let mut t = task(&program, "a=5;f=false;g=false;s=high");
    let e = program.explain(&mut t, 0).unwrap();
    assert_eq!(
        e.lines[0].why_not,
        vec!["`f` is false".to_string(), "`g` is false".to_string()]
    );
    let mut t = task(&program, "a=0;s=low");
    let e = program.explain(&mut t, 0).unwrap();
    assert_eq!(
        e.lines[0].why_not,
        vec!["`a > 1` is false (a = 0)".to_string()]
    );
    let mut t = task(&program, "a=5;f=true");
    let e = program.explain(&mut t, 0).unwrap();
    assert_eq!(
        e.lines[0].why_not,
        vec!["`s == high` is missing (s = missing)".to_string()]
    );
}

#[test]
fn the_spec_example_behaves_as_described() {
    let text = std::fs::read_to_string("tests/cases/parse/ok/spec_example.rules").unwrap();
    let program = outsort::load_str("spec_example.rules", &text).unwrap();
    let report = outsort::testing::run_tests(&program, None, 0);
    assert_eq!((report.passed(), report.failed()), (1, 0));
    // legal research by a graduate: knowledge 10 + 40 + 25 = 75, outsourceability 50.
    let t = &program.tests[0];
    let mut task = program.new_task();
    task.fields = t.tasks[0].clone();
    program.evaluate(&mut task, 0).unwrap();
    assert_eq!(task.scores, vec![75.0, 20.0, 50.0]);
    assert_eq!(program.label_name(task.label.unwrap()), "kpo");
    assert_eq!(
        program.display(program.outputs[0].ty, &task.outputs[0]),
        "project-based"
    );
}

#[test]
fn a_failing_test_fails_with_the_values_involved() {
    let src = format!(
        "{SCORED}\ntest \"wrong on purpose\" {{\n    given {{ id: \"x\", hours: 1, core: false, skill: none }}\n    expect label == top\n}}\n"
    );
    let program = outsort::load_str("f.rules", &src).unwrap();
    let report = outsort::testing::run_tests(&program, None, 0);
    assert_eq!((report.passed(), report.failed()), (0, 1));
    assert_eq!(
        report.outcomes[0].failures,
        vec!["expected `label == top`, but `label == top` is false (label = low)"]
    );
}
