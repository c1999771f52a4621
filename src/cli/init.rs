//! `outsort init`: draft a starter rule file from an export's header and a
//! sample of its rows, printed to standard output.

use super::out::{self, errln};
use super::{Exit, InputArgs, InputFormatArg, Ui, parse_delimiter, parse_encoding};
use clap::Args;
use outsort::init::{SAMPLE_ROWS, Sample, draft};
use outsort::input::Encoding;
use outsort::input::{InputReader, InputSource};
use std::io::Write;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The export: a CSV, TSV, JSON or NDJSON file; `-` reads standard input
    #[arg(value_name = "INPUT")]
    input: String,

    /// The input format, when the extension does not say
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormatArg>,

    /// The CSV delimiter (otherwise sniffed among , ; TAB |); `tab` for a tab
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,

    /// The text encoding of the input: any WHATWG label (utf-8, windows-1252,
    /// latin1, utf-16le, shift_jis, …); a byte-order mark decides over it
    #[arg(long, value_name = "LABEL", default_value = "utf-8", value_parser = parse_encoding)]
    encoding: Encoding,

    /// JSON: the key of the array holding the tasks, when the document has several
    #[arg(long, value_name = "KEY")]
    records: Option<String>,
}

pub fn run(ui: &Ui, args: InitArgs) -> Exit {
    let options = InputArgs {
        inputs: Vec::new(),
        input_format: args.input_format,
        delimiter: args.delimiter,
        encoding: args.encoding,
        records: args.records.clone(),
        header_row: None,
        skip_invalid: false,
    }
    .options(ui.files);
    let source = InputSource::from_arg(&args.input);
    let mut reader = match InputReader::open(&source, &options) {
        Ok(r) => r,
        Err(e) => {
            ui.error(&e.to_string());
            return Exit::Error;
        }
    };
    let sample = match Sample::read(&mut reader, &source.name(), SAMPLE_ROWS) {
        Ok(s) => s,
        Err(e) => {
            ui.error(&e.to_string());
            return Exit::Error;
        }
    };
    if sample.skipped > 0 {
        ui.warning(&format!(
            "{} of the first rows could not be read and were left out of the sample; \
             `outsort classify` will name them",
            sample.skipped
        ));
    }
    let text = match draft(&sample) {
        Ok(t) => t,
        Err(e) => {
            ui.error(&format!("{}: {e}", source.name()));
            return Exit::Error;
        }
    };
    if let Err(e) = out::Stdout
        .write_all(text.as_bytes())
        .and_then(|()| out::Stdout.flush())
    {
        out::record_unseen(&e);
        return Exit::Error;
    }
    if out::stderr_is_terminal() && !out::stdout_is_terminal() {
        errln!(
            "drafted from {} rows of {}; review the `#` notes, then run `outsort test -r` on the file",
            sample.rows.len(),
            source.name()
        );
    }
    Exit::Success
}
