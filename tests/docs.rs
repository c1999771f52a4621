//! The commands shown in the documentation work as shown.

use std::process::Command;

#[test]
fn every_command_in_the_ci_guide_runs_and_passes() {
    let text = std::fs::read_to_string("docs/ci.md").unwrap();
    let mut in_shell = false;
    let mut ran = 0;
    for line in text.lines() {
        if line.starts_with("```") {
            in_shell = line == "```sh";
            continue;
        }
        if !in_shell || !line.starts_with("outsort ") {
            continue;
        }
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{line}` exited {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 5, "the guide's commands were found ({ran})");
}

#[test]
fn the_readme_quick_start_classifies_the_sample() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("cargo run --release -- classify examples/tasks.csv"));
    assert!(readme.contains("\ncargo test\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args(["classify", "examples/tasks.csv", "-f", "table"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("T001")
            && table.contains("kpo")
            && table.contains("bpo")
            && table.contains("in_house")
    );
}

#[test]
fn the_readme_rule_example_loads_and_its_test_passes() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = readme
        .split("## The rule language in brief")
        .nth(1)
        .unwrap();
    let code = section.split("```\n").nth(1).unwrap();
    let program = outsort::load_str("README.md", code).unwrap_or_else(|e| panic!("{e}"));
    let report = outsort::testing::run_tests(&program, None, 0);
    assert_eq!((report.passed(), report.failed()), (1, 0));
}

/// Every ```rules block of the language reference is a whole rule set that
/// loads and whose tests pass; every ```rules-error block fails to load, with
/// the code its `# error[CODE]` line names. ```rules-fragment blocks are
/// skipped.
#[test]
fn every_rules_block_of_the_language_reference_loads() {
    let text = std::fs::read_to_string("docs/language.md").unwrap();
    // The fence's language, the line it opens on, and the code so far.
    let mut open: Option<(String, usize, String)> = None;
    let (mut loaded, mut refused) = (0, 0);
    for (n, line) in text.lines().enumerate() {
        let Some((kind, start, code)) = &mut open else {
            if let Some(kind) = line.strip_prefix("```") {
                assert!(
                    !kind.starts_with("rules")
                        || ["rules", "rules-error", "rules-fragment"].contains(&kind),
                    "docs/language.md:{}: unknown block kind `{kind}`",
                    n + 1
                );
                open = Some((kind.to_string(), n + 1, String::new()));
            }
            continue;
        };
        if line != "```" {
            code.push_str(line);
            code.push('\n');
            continue;
        }
        let name = format!("docs/language.md (the block at line {start})");
        match kind.as_str() {
            "rules" => {
                let program = outsort::load_str(&name, code).unwrap_or_else(|e| panic!("{e}"));
                let report = outsort::testing::run_tests(&program, None, 0);
                if let Some(o) = report.outcomes.iter().find(|o| !o.passed) {
                    panic!(
                        "{name}: the test \"{}\" failed: {:?}",
                        program.tests[o.test].name, o.failures
                    );
                }
                loaded += 1;
            }
            "rules-error" => {
                let Err(e) = outsort::load_str(&name, code) else {
                    panic!("{name}: the block loads, but is marked `rules-error`");
                };
                if let Some(want) = code
                    .lines()
                    .find_map(|l| l.strip_prefix("# error[")?.strip_suffix(']'))
                {
                    assert!(
                        e.diagnostics.iter().any(|d| d.code == want),
                        "{name}: expected the error `{want}`, got:\n{e}"
                    );
                }
                refused += 1;
            }
            _ => {}
        }
        open = None;
    }
    assert!(open.is_none(), "docs/language.md: a block is not closed");
    assert!(
        loaded >= 15 && refused >= 5,
        "blocks found: {loaded} and {refused}"
    );
}
