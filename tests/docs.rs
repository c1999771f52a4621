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
