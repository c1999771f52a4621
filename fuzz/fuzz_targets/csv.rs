//! Arbitrary bytes as a CSV or TSV input: the first byte picks the format,
//! delimiter and encoding; every row is read, bound to the fixed rule set's
//! fields and converted. Read deferred (split by `Record::prepare`, as on a
//! worker thread), every row is the same.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use outsort::input::{
    Encoding, InputFormat, InputOptions, InputReader, ReadError, Record, RecordData,
};

/// Each row of a reader: its line and cells, or the error's text.
fn rows(mut reader: InputReader, deferred: bool) -> Vec<Result<(u64, Vec<String>), String>> {
    let info = reader.info().clone();
    let mut out = Vec::new();
    let mut rec = Record::new();
    loop {
        let read = if deferred {
            reader.read_deferred(&mut rec).and_then(|more| {
                rec.prepare(&info.name, &info.columns)
                    .map(|()| more)
                    .map_err(ReadError::Row)
            })
        } else {
            reader.read(&mut rec)
        };
        match read {
            Ok(true) => {
                let cells = match rec.data() {
                    RecordData::Csv(cells) => cells.iter().map(str::to_string).collect(),
                    RecordData::Json(_) => panic!("a CSV record reads as JSON"),
                };
                out.push(Ok((rec.line(), cells)));
            }
            Ok(false) => break,
            Err(ReadError::Row(e)) => out.push(Err(e.to_string())),
            Err(ReadError::Fatal(e)) => {
                out.push(Err(e.to_string()));
                break;
            }
        }
        assert!(out.len() < 10_000_000, "the reader does not end");
    }
    out
}

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
        Encoding::Windows1252
    } else {
        Encoding::Utf8
    };
    let options = InputOptions {
        format: Some(format),
        delimiter,
        encoding,
        records: None,
    };
    if let (Ok(eager), Ok(deferred)) = (
        InputReader::from_bytes("fuzz.csv", body.to_vec(), &options),
        InputReader::from_bytes("fuzz.csv", body.to_vec(), &options),
    ) {
        assert_eq!(rows(eager, false), rows(deferred, true));
    }
    match InputReader::from_bytes("fuzz.csv", body.to_vec(), &options) {
        Ok(reader) => common::drain(reader),
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
