//! The typed plans that evaluate tasks fast (`src/eval/plan.rs`) give the
//! same results as the generic evaluator, errors included: on every shipped
//! rule set, and on random rule sets of every kind of expression, each over
//! random tasks.

use outsort::Program;
use outsort::eval::{Accumulators, Plan, Task};
use outsort::value::Value;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What an expression may read where it stands.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Place {
    /// A `let`: fields only.
    Let,
    /// Rules and label lines: fields, lets and scores.
    Rule,
    /// Outputs and policies: the label too.
    After,
}

struct Gen {
    rng: Rng,
    place: Place,
    /// Inside `{...}` of an interpolated string: no string literals.
    plain: bool,
}

const OPS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];

impl Gen {
    fn num(&mut self, d: u32) -> String {
        if d == 0 || self.rng.below(4) == 0 {
            let mut leaves = vec!["a", "b", "1", "2.5", "0", "120"];
            if self.place >= Place::Rule {
                leaves.extend(["n1", "k", "o"]);
            }
            return self.rng.pick(&leaves).to_string();
        }
        let d = d - 1;
        match self.rng.below(19) {
            0 => format!("(-{})", self.num(d)),
            1 => format!("({} + {})", self.num(d), self.num(d)),
            2 => format!("({} - {})", self.num(d), self.num(d)),
            3 => format!("({} * {})", self.num(d), self.num(d)),
            4 => format!("({} / {})", self.num(d), self.num(d)),
            5 => format!("round({})", self.num(d)),
            6 => format!("floor({})", self.num(d)),
            7 => format!("ceil({})", self.num(d)),
            8 => format!("abs({})", self.num(d)),
            9 => format!("min({}, {})", self.num(d), self.num(d)),
            10 => format!("max({}, {}, {})", self.num(d), self.num(d), self.num(d)),
            11 => format!("clamp({}, {}, {})", self.num(d), self.num(d), self.num(d)),
            12 => format!("len({})", self.text(d)),
            13 => format!("days_until({})", self.date(d)),
            14 => format!(
                "(if {} then {} else {})",
                self.cond(d),
                self.num(d),
                self.num(d)
            ),
            15 => format!("({} ?? {})", self.num(d), self.num(d)),
            16 => format!(
                "(match {} {{ low => {}, medium | high => {} }})",
                self.enumv(d),
                self.num(d),
                self.num(d)
            ),
            17 => format!(
                "(match {} {{ high => {}, _ => {} }})",
                self.enumv(d),
                self.num(d),
                self.num(d)
            ),
            _ => format!("({} * 1000000000000000000000)", self.num(d)),
        }
    }

    fn cond(&mut self, d: u32) -> String {
        if d == 0 || self.rng.below(5) == 0 {
            let mut leaves = vec!["f", "g", "true", "false"];
            if self.place >= Place::Rule {
                leaves.push("b1");
            }
            return self.rng.pick(&leaves).to_string();
        }
        let d = d - 1;
        let op = self.rng.pick(&OPS);
        let mut case = self.rng.below(24);
        if self.plain && [12, 13, 14, 22].contains(&case) {
            case = 3;
        }
        match case {
            0 => format!("(not {})", self.cond(d)),
            1 => format!("({} and {})", self.cond(d), self.cond(d)),
            2 => format!("({} or {})", self.cond(d), self.cond(d)),
            3 | 4 => format!("({} {op} {})", self.num(d), self.num(d)),
            5 => {
                let op = self.rng.pick(&["==", "!="]);
                format!("({} {op} {})", self.text(d), self.text(d))
            }
            6 if self.rng.below(2) == 0 => {
                format!("({} {op} {})", self.enumv(d), self.enumv(d))
            }
            6 => format!(
                "({} {op} {})",
                self.enumv(d),
                self.rng.pick(&["low", "medium", "high"])
            ),
            7 => format!("({} {op} {})", self.date(d), self.date(d)),
            8 => format!("({} == {})", self.cond(d), self.cond(d)),
            9 => format!("({} in [low, high])", self.enumv(d)),
            10 => format!("({} not in [medium])", self.enumv(d)),
            11 => format!("({} in [1, 2.5, 0])", self.num(d)),
            12 => format!("({} in [\"abc\", \"T1\", \"\"])", self.text(d)),
            13 => format!(
                "(lower({}) in [\"abc\", \"äöx\", \"x-123\", \"Abc\", \"A1\"])",
                self.text(d)
            ),
            14 => format!("matches({}, \"^a|[0-9]+\")", self.text(d)),
            15 => format!("contains({}, {})", self.text(d), self.text(d)),
            16 => format!("starts_with({}, {})", self.text(d), self.text(d)),
            17 => format!("ends_with({}, {})", self.text(d), self.text(d)),
            18 => match self.rng.below(5) {
                0 => format!("present({})", self.num(d)),
                1 => format!("present({})", self.text(d)),
                2 => format!("present({})", self.enumv(d)),
                3 => format!("present({})", self.date(d)),
                _ => format!("present({})", self.cond(d)),
            },
            19 => format!(
                "(if {} then {} else {})",
                self.cond(d),
                self.cond(d),
                self.cond(d)
            ),
            20 => format!("({} ?? {})", self.cond(d), self.cond(d)),
            21 => format!(
                "(match {} {{ low => {}, _ => {} }})",
                self.enumv(d),
                self.cond(d),
                self.cond(d)
            ),
            22 => format!("({} in [{}, \"x\"])", self.text(d), self.text(d)),
            _ if self.place == Place::After => {
                format!(
                    "(label {op} {})",
                    self.rng.pick(&["kpo", "bpo", "in_house"])
                )
            }
            _ => format!("({} {op} {})", self.num(d), self.num(d)),
        }
    }

    fn text(&mut self, d: u32) -> String {
        if d == 0 || self.rng.below(3) == 0 {
            let mut leaves = vec!["t", "u", "\"abc\"", "\"Abc\"", "\"\""];
            if self.plain {
                leaves = vec!["t", "u"];
            }
            if self.place >= Place::Rule {
                leaves.push("t1");
            }
            return self.rng.pick(&leaves).to_string();
        }
        let d = d - 1;
        match self.rng.below(5) {
            0 => format!("lower({})", self.text(d)),
            1 => format!("upper({})", self.text(d)),
            2 => format!(
                "(if {} then {} else {})",
                self.cond(d),
                self.text(d),
                self.text(d)
            ),
            3 => format!("({} ?? {})", self.text(d), self.text(d)),
            _ => format!(
                "(match {} {{ medium => {}, _ => {} }})",
                self.enumv(d),
                self.text(d),
                self.text(d)
            ),
        }
    }

    fn enumv(&mut self, d: u32) -> String {
        if d == 0 || self.rng.below(3) == 0 {
            let mut leaves = vec!["s"];
            if self.place >= Place::Rule {
                leaves.push("s1");
            }
            return self.rng.pick(&leaves).to_string();
        }
        let d = d - 1;
        match self.rng.below(3) {
            0 => format!(
                "(if {} then {} else {})",
                self.cond(d),
                self.enumv(d),
                self.enumv(d)
            ),
            1 => format!("({} ?? {})", self.enumv(d), self.enumv(d)),
            _ => format!(
                "(match {} {{ low => s, medium => {}, _ => {} }})",
                self.enumv(d),
                self.enumv(d),
                self.enumv(d)
            ),
        }
    }

    fn date(&mut self, d: u32) -> String {
        if d == 0 || self.rng.below(3) == 0 {
            let mut leaves = vec!["d", "e", "2024-01-31"];
            if self.place >= Place::Rule {
                leaves.push("d1");
            }
            return self.rng.pick(&leaves).to_string();
        }
        let d = d - 1;
        match self.rng.below(3) {
            0 => format!(
                "(if {} then {} else {})",
                self.cond(d),
                self.date(d),
                self.date(d)
            ),
            1 => format!("({} ?? {})", self.date(d), self.date(d)),
            _ => format!(
                "(match {} {{ high => {}, _ => {} }})",
                self.enumv(d),
                self.date(d),
                self.date(d)
            ),
        }
    }

    fn rule_set(&mut self) -> String {
        let depth = 3;
        self.place = Place::Let;
        let mut s = String::from(
            "input {\n  id: text\n  a: number?\n  b: number?\n  t: text?\n  u: text?\n  \
             s: enum(low, medium, high)?\n  f: bool?\n  g: bool?\n  d: date?\n  e: date?\n}\n",
        );
        s += "score k = 0 in -1000..1000\nscore o = 50 in 0..100\n";
        s += &format!("let n1 = {}\n", self.num(depth));
        s += &format!("let b1 = {}\n", self.cond(depth));
        s += &format!("let t1 = {}\n", self.text(depth));
        s += &format!("let s1 = {}\n", self.enumv(depth));
        s += &format!("let d1 = {}\n", self.date(depth));
        self.place = Place::Rule;
        for r in 0..4 {
            let op = self.rng.pick(&["+=", "-=", "="]);
            s += &format!(
                "rule \"r{r}\" when {} {{ k {op} ({}) ?? 0  o += ({}) ?? 1 }}\n",
                self.cond(depth),
                self.num(depth),
                self.num(depth)
            );
        }
        s += &format!(
            "label {{\n  kpo when {} because \"{{{}}} {{{}}} {{{}}} {{{}}} {{{}}}\"\n  \
             bpo when {}\n  in_house otherwise because \"none\"\n}}\n",
            self.cond(depth),
            self.piece(Self::num),
            self.piece(Self::text),
            self.piece(Self::enumv),
            self.piece(Self::cond),
            self.piece(Self::date),
            self.cond(depth),
        );
        self.place = Place::After;
        s += &format!("output on = ({}) ?? 0\n", self.num(depth));
        s += &format!("output ob = ({}) ?? false\n", self.cond(depth));
        s += &format!("output ot = ({}) ?? \"none\"\n", self.text(depth));
        s += &format!("output os = ({}) ?? low\n", self.enumv(depth));
        s += &format!("output od = ({}) ?? 2020-02-29\n", self.date(depth));
        s += &format!(
            "metric m1 = sum({} where {})\nmetric m2 = count({})\n",
            self.num(depth),
            self.cond(depth),
            self.cond(depth)
        );
        s += &format!(
            "policy \"p\" deny when {} unless {} message \"{{{}}} {{{}}}\"\n",
            self.cond(depth),
            self.cond(depth),
            self.piece(Self::num),
            self.piece(Self::text)
        );
        s
    }

    /// An expression for an interpolated string.
    fn piece(&mut self, f: fn(&mut Self, u32) -> String) -> String {
        self.plain = true;
        let e = f(self, 2);
        self.plain = false;
        e
    }

    /// Random values for the fields of `program`, by type; optional fields
    /// are often missing.
    fn task<'a>(&mut self, program: &Program) -> Task<'a> {
        let mut task = program.new_task();
        task.fields = program
            .fields
            .iter()
            .map(|f| {
                use outsort::value::FieldType as F;
                if f.optional && self.rng.below(4) == 0 {
                    return Value::Missing;
                }
                match &f.field_type {
                    F::Number => {
                        let n = [
                            0.0, 1.0, -3.5, 2.5, 0.5, 120.0, 1e300, -1e300, 7.0, 1e-9, 45.0,
                        ];
                        Value::Num(n[self.rng.below(n.len())])
                    }
                    F::Bool => Value::Bool(self.rng.below(2) == 0),
                    F::Text => {
                        let t = [
                            "", "abc", "Abc", "ÄÖX", "T1", "x-123", "äöx", "a1", "X-123", "ABD",
                        ];
                        Value::Text(t[self.rng.below(t.len())].into())
                    }
                    F::Date => Value::Date(19_000 + self.rng.below(2_000) as i32),
                    F::Enum(values) => Value::Enum(self.rng.below(values.len()) as u16),
                }
            })
            .collect();
        task
    }
}

/// The same program without plans: every expression through the generic
/// evaluator.
fn generic(program: &Program) -> Program {
    let mut p = program.clone();
    p.plan = Plan::default();
    p
}

/// Evaluates `task` with both programs and compares everything a command
/// reads of it.
/// `spare` is a task the planned program evaluated before, recycled as the
/// commands recycle theirs: the values it keeps must not leak into the next.
fn compare(
    planned: &Program,
    generic: &Program,
    task: &Task<'static>,
    today: i32,
    what: &str,
    spare: &mut Task<'static>,
) {
    let mut a = task.clone();
    let mut b = task.clone();
    let ra = planned.evaluate(&mut a, today);
    let rb = generic.evaluate(&mut b, today);
    assert_eq!(ra, rb, "{what}: results differ");
    let mut c = std::mem::take(spare);
    c.fields.clone_from(&task.fields);
    let rc = planned.evaluate(&mut c, today);
    assert_eq!(rc, rb, "{what}: results differ in a reused task");
    if rc.is_ok() {
        assert_eq!(c, b, "{what}: task states differ in a reused task");
    }
    *spare = c.recycle();
    if ra.is_err() {
        return;
    }
    assert_eq!(a, b, "{what}: task states differ");
    let reason = generic.reason(&b, today).map_err(|e| e.to_string());
    assert_eq!(
        planned.reason(&a, today).map_err(|e| e.to_string()),
        reason,
        "{what}: reasons differ"
    );
    let mut written = String::from("x");
    let wrote = planned
        .write_reason(&a, today, &mut written)
        .map_err(|e| e.to_string());
    match reason {
        Ok(r) => {
            assert_eq!(wrote, Ok(()), "{what}");
            assert_eq!(written, format!("x{r}"), "{what}");
        }
        Err(e) => {
            assert_eq!(wrote, Err(e), "{what}");
            assert_eq!(written, "x", "{what}: an error leaves the text as it was");
        }
    }
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    let ta = planned.task_findings(&a, today, &mut fa);
    let tb = generic.task_findings(&b, today, &mut fb);
    assert_eq!(ta, tb, "{what}: policy results differ");
    assert_eq!(fa, fb, "{what}: findings differ");
    let mut acc_a = Accumulators::new(planned);
    let mut acc_b = Accumulators::new(generic);
    assert_eq!(
        acc_a.add(planned, &a, today),
        acc_b.add(generic, &b, today),
        "{what}: aggregates differ"
    );
    assert_eq!(format!("{acc_a:?}"), format!("{acc_b:?}"), "{what}");
}

#[test]
fn random_rule_sets_agree_with_the_generic_evaluator() {
    let mut g = Gen {
        rng: Rng(0x9E37_79B9_7F4A_7C15),
        place: Place::Let,
        plain: false,
    };
    let (mut loaded, mut errors, mut tasks) = (0, 0, 0);
    let (mut planned, mut expressions, mut whole) = (0, 0, 0);
    for i in 0..300 {
        let text = g.rule_set();
        let program = match outsort::load_str("random.rules", &text) {
            Ok(p) => p,
            Err(e) => {
                if std::env::var("PLAN_DEBUG").is_ok() {
                    eprintln!("{text}\n{}", e.render(outsort::diag::Style::Plain));
                }
                continue;
            }
        };
        loaded += 1;
        let (p, t) = program.plan.coverage();
        planned += p;
        expressions += t;
        whole += usize::from(program.plan.whole());
        let plain = generic(&program);
        let mut spare = Task::default();
        for j in 0..60 {
            let task = g.task(&program);
            let mut probe = task.clone();
            errors += usize::from(program.evaluate(&mut probe, 19_500).is_err());
            compare(
                &program,
                &plain,
                &task,
                19_500,
                &format!("set {i}, task {j}:\n{text}"),
                &mut spare,
            );
            tasks += 1;
        }
    }
    // The generator must mostly write valid rule sets, and reach the
    // evaluation errors the plans hand back to the generic evaluator.
    assert!(
        loaded >= 200,
        "only {loaded} of 300 random rule sets loaded"
    );
    assert!(
        planned * 100 >= expressions * 85,
        "only {planned} of {expressions} expressions have plans"
    );
    // Some must be evaluated on plans alone, the path the commands take when
    // they can (a random set of about twenty expressions seldom has a plan
    // for every one; the shipped rule sets below all do).
    assert!(
        whole >= 15,
        "only {whole} of {loaded} rule sets are wholly planned"
    );
    eprintln!(
        "{loaded} rule sets ({whole} wholly planned), {tasks} tasks ({errors} errors), {planned} of {expressions} expressions planned"
    );
    assert!(
        errors > 0 && errors < tasks / 2,
        "{errors} errors in {tasks} tasks"
    );
}

#[test]
fn shipped_rule_sets_agree_with_the_generic_evaluator() {
    let root = env!("CARGO_MANIFEST_DIR");
    let files = [
        "rules/default.rules",
        "rules/examples/jira.rules",
        "rules/examples/servicenow.rules",
        "benches/bench.rules",
        "fuzz/rules/fields.rules",
        "tests/fixtures/check/policies.rules",
        "tests/fixtures/classify/small.rules",
        "tests/cases/parse/ok/spec_example.rules",
    ];
    let mut g = Gen {
        rng: Rng(42),
        place: Place::Let,
        plain: false,
    };
    for file in files {
        let path = format!("{root}/{file}");
        let text = std::fs::read_to_string(&path).unwrap();
        let program = outsort::load_str(file, &text).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let (planned, all) = program.plan.coverage();
        // Real rule sets are evaluated on plans alone; the fuzzing rule set
        // uses what plans leave to the generic evaluator.
        assert_eq!(
            program.plan.whole(),
            !file.starts_with("fuzz/"),
            "{file}: wholly planned"
        );
        // Only expressions that read the portfolio (metrics) are left out.
        assert!(
            planned * 100 >= all * 85,
            "{file}: only {planned} of {all} expressions planned"
        );
        let plain = generic(&program);
        let mut spare = Task::default();
        for j in 0..2_000 {
            let task = g.task(&program);
            compare(
                &program,
                &plain,
                &task,
                20_000,
                &format!("{file}, task {j}"),
                &mut spare,
            );
        }
    }
}
