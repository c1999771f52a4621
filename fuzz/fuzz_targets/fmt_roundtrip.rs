//! Formatting never changes meaning: for arbitrary text that parses, the
//! formatted text parses to the same declarations (spans aside), formatting
//! it again changes nothing, and no comment is lost.
#![no_main]

use libfuzzer_sys::fuzz_target;

fn declarations(text: &str) -> Option<String> {
    let (items, diags) = outsort::syntax::parse_file(0, text);
    diags.is_empty().then(|| items.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(formatted) = outsort::fmt::format_source(text) else { return };
    let before = declarations(text);
    let after = declarations(&formatted);
    assert_eq!(before, after, "formatting changed the declarations");
    let again = outsort::fmt::format_source(&formatted).expect("formatted text formats again");
    assert_eq!(again, formatted, "formatting is not idempotent");
});
