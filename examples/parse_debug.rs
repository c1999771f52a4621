fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    match outsort::load_paths(&paths) {
        Ok((p, warns)) => {
            println!("ok: {} fields, {} rules, {} tests, {} warnings", p.fields.len(), p.rules.len(), p.tests.len(), warns.len());
            let r = outsort::testing::run_tests(&p, None, 20000);
            for o in &r.outcomes {
                println!("{} {}: {:?}", if o.passed {"ok"} else {"FAILED"}, p.tests[o.test].name, o.failures);
            }
            println!("{} passed, {} failed; coverage {:.0}%", r.passed(), r.failed(), r.coverage.percent());
        }
        Err(e) => print!("{}", e.render(outsort::diag::Style::Plain)),
    }
}
