//! Arbitrary bytes as a JSON or NDJSON input: the first byte picks the
//! format (or detection) and the records key; every record is read, bound to
//! the fixed rule set's fields and converted.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use outsort::input::{InputFormat, InputOptions, InputReader};

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, body)) = data.split_first() else {
        return;
    };
    let format = match ctl & 3 {
        0 => Some(InputFormat::Json),
        1 => Some(InputFormat::Ndjson),
        _ => None,
    };
    let records = match (ctl >> 2) & 3 {
        1 => Some("records".to_string()),
        2 => Some("data.items".to_string()),
        _ => None,
    };
    let options = InputOptions {
        format,
        delimiter: None,
        encoding: Default::default(),
        records,
        threads: 1,
        files: Default::default(),
    };
    match InputReader::from_bytes("fuzz.json", body.to_vec(), &options) {
        Ok(reader) => common::drain(reader),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
