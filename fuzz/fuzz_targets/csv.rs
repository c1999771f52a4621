//! Arbitrary bytes as a CSV or TSV input: the first byte picks the format,
//! delimiter and encoding; every row is read, bound to the fixed rule set's
//! fields and converted.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use outsort::input::{Encoding, InputFormat, InputOptions, InputReader};

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, body)) = data.split_first() else {
        return;
    };
    let format = if ctl & 1 == 0 {
        InputFormat::Csv
    } else {
        InputFormat::Tsv
    };
    let delimiter = match (ctl >> 1) & 7 {
        0 => Some(b','),
        1 => Some(b';'),
        2 => Some(b'\t'),
        3 => Some(b'|'),
        _ => None,
    };
    let encoding = if ctl & 0x10 != 0 {
        Encoding::WINDOWS_1252
    } else {
        Encoding::Utf8
    };
    let options = InputOptions {
        format: Some(format),
        delimiter,
        encoding,
        records: None,
        threads: 1,
        files: Default::default(),
    };
    match InputReader::from_bytes("fuzz.csv", body.to_vec(), &options) {
        Ok(reader) => common::drain(reader),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
