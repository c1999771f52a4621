//! Any text and any mark shown by `outsort::quote` (the rendering of file
//! text in diagnostics): nothing panics, no unsafe character comes out raw,
//! the quote of a line stays bounded, and the mark stays inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outsort::quote::{self, MAX_QUOTED};

fuzz_target!(|data: (String, u16, u16)| {
    let (text, start, end) = data;
    let (start, end) = (start as usize, end as usize);

    let escaped = quote::escape(&text);
    assert!(!escaped.chars().any(quote::is_unsafe));
    assert_eq!(quote::escape(&escaped), escaped);

    let value = quote::value(&text, 60);
    assert!(!value.chars().any(quote::is_unsafe));
    // 60 characters of at most 10 bytes escaped, and the ellipsis.
    assert!(value.len() <= 60 * 10 + 3);

    let line = text.lines().next().unwrap_or("");
    let shown = quote::source_line(line, start, end);
    assert!(!shown.text.chars().any(quote::is_unsafe));
    // 200 characters, each at most 10 bytes (`\u{10ffff}`) or a tab's 4, and
    // two ellipses.
    assert!(shown.text.chars().count() <= (MAX_QUOTED + 1) * 10 + 2);
    assert!(shown.width >= 1);
    assert!(shown.before <= shown.text.chars().count());

    let cell = quote::markdown_cell(&text);
    assert!(!cell.chars().any(|c| c == '\n' || quote::is_unsafe(c)));
});
