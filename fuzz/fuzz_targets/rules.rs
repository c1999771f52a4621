//! Arbitrary text as a rule set: parse, check, compile, and render the
//! diagnostics in every style; a rule set that loads is linted and its own
//! tests are run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outsort::diag::Style;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    match outsort::load_sources(vec![("fuzz.rules".to_string(), text)]) {
        Ok((program, warnings)) => {
            for style in [Style::Plain, Style::Color, Style::Json] {
                let _ = outsort::diag::render_all(&warnings, &program.sources, style);
            }
            let lints = outsort::lint::lint(&program);
            let _ = outsort::diag::render_all(&lints, &program.sources, Style::Plain);
            let _ = outsort::testing::run_tests(&program, None, 20_000);
        }
        Err(e) => {
            for style in [Style::Plain, Style::Color, Style::Json] {
                let _ = e.render(style);
            }
        }
    }
});
