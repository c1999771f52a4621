//! Integration tests of the input layer: readers, binding and conversion.

use std::path::{Path, PathBuf};

use outsort::input::{
    Binding, Encoding, FieldSource, FieldSpec, InputErrorKind, InputFormat, InputOptions,
    InputReader, InputSource, ReadError, Record, RecordData,
};
use outsort::value::{FieldType, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/input")
        .join(name)
}

/// One row as read: its line and cells (CSV) or compact JSON (JSON), or the
/// row error's text.
type Row = Result<(u64, Vec<String>), String>;
/// A table case: what it shows, the input, the delimiter, columns and rows expected.
type LayoutCase = (
    &'static str,
    &'static [u8],
    u8,
    &'static [&'static str],
    Vec<Row>,
);
/// A table case: what it shows, the input, the start lines of its rows.
type LinesCase = (&'static str, &'static str, Vec<Result<u64, String>>);

fn rows_of(mut reader: InputReader) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut rec = Record::new();
    loop {
        match reader.read(&mut rec) {
            Ok(true) => {
                let cells = match rec.data() {
                    RecordData::Csv(r) => r.iter().map(str::to_string).collect(),
                    RecordData::Json(m) => vec![serde_json::to_string(&m.to_map()).unwrap()],
                };
                rows.push(Ok((rec.line(), cells)));
            }
            Ok(false) => break,
            Err(ReadError::Row(e)) => rows.push(Err(e.to_string())),
            Err(ReadError::Fatal(e)) => {
                rows.push(Err(format!("FATAL {e}")));
                break;
            }
        }
    }
    rows
}

fn opts() -> InputOptions {
    InputOptions::default()
}

fn read_bytes(bytes: &[u8], options: &InputOptions) -> (Vec<String>, Vec<Row>) {
    let reader = InputReader::from_bytes("t.csv", bytes.to_vec(), options).unwrap();
    (reader.columns().to_vec(), rows_of(reader))
}

/// The start lines of the rows, or the error text.
fn lines(bytes: &str) -> Vec<Result<u64, String>> {
    read_bytes(bytes.as_bytes(), &opts())
        .1
        .into_iter()
        .map(|r| r.map(|(line, _)| line))
        .collect()
}

fn ok(line: u64, cells: &[&str]) -> Row {
    Ok((line, cells.iter().map(|s| s.to_string()).collect()))
}

#[test]
fn csv_layouts() {
    #[rustfmt::skip]
    let cases: [LayoutCase; 9] = [
        ("bom",           b"\xEF\xBB\xBFid,name\n1,a\n", b',',  &["id", "name"], vec![ok(2, &["1", "a"])]),
        ("semicolon",     b"id;name\n1;a,b\n",         b';',  &["id", "name"], vec![ok(2, &["1", "a,b"])]),
        ("tab",           b"id\tname\n1\ta; b\n",       b'\t', &["id", "name"], vec![ok(2, &["1", "a; b"])]),
        ("pipe",          b"id|name\n1|a\n",           b'|',  &["id", "name"], vec![ok(2, &["1", "a"])]),
        ("one column",    b"id\n1\n",                  b',',  &["id"],         vec![ok(2, &["1"])]),
        ("header only",   b"id,name\n",                b',',  &["id", "name"], vec![]),
        ("header only, no final newline", b"id,name", b',', &["id", "name"], vec![]),
        ("blank header cell", b"id,,x\n1,2,3",        b',',  &["id", "", "x"], vec![ok(2, &["1", "2", "3"])]),
        ("quoted header", b"\"a,b\",c\n1,2\n",         b',',  &["a,b", "c"],   vec![ok(2, &["1", "2"])]),
    ];
    for (what, bytes, delimiter, columns, rows) in cases {
        let reader = InputReader::from_bytes("t.csv", bytes.to_vec(), &opts()).unwrap();
        assert_eq!(reader.info().delimiter, Some(delimiter), "{what}");
        assert_eq!(reader.columns(), columns, "{what}");
        assert_eq!(rows_of(reader), rows, "{what}");
    }
}

#[test]
fn line_numbers() {
    #[rustfmt::skip]
    let cases: [LinesCase; 12] = [
        ("LF",                          "id,n\n1,a\n2,b\n",                 vec![Ok(2), Ok(3)]),
        ("CRLF",                        "id,n\r\n1,a\r\n2,b\r\n",           vec![Ok(2), Ok(3)]),
        ("mixed",                       "id,n\r\n1,a\n2,b\r\n3,c",           vec![Ok(2), Ok(3), Ok(4)]),
        ("3-line cell",                 "id,n\n1,\"a\nb\nc\"\n2,d\n",         vec![Ok(2), Ok(5)]),
        ("CRLF in cell",                "id,n\r\n1,\"a\r\nb\"\r\n2,d\r\n",     vec![Ok(2), Ok(4)]),
        ("blank lines",                 "id,n\n\n1,a\n\n\n2,b\n",           vec![Ok(3), Ok(6)]),
        ("blank CRLF lines and spaces", "id,n\r\n\r\n   \r\n1,a\r\n",        vec![Ok(4)]),
        ("blank lines before header",   "\n\nid,n\n1,a\n",                 vec![Ok(4)]),
        ("quote open at the end",       "id,n\n1,\"a\nb\n",                vec![Ok(2)]),
        ("quote open at the end, CR",   "id,n\r1,a\r2,\"b\r",              vec![Ok(2), Ok(3)]),
        ("CR only",                     "id,n\r1,a\r2,\"b\rc\"\r3,d",        vec![Ok(2), Ok(3), Ok(5)]),
        ("CR, LF and CRLF",             "id,n\r1,a\n\r\n2,b\r\r3,c\n",      vec![Ok(2), Ok(4), Ok(6)]),
    ];
    for (what, text, want) in cases {
        assert_eq!(lines(text), want, "{what}");
    }
}

/// Many records with every kind of line break, some inside quoted cells,
/// long enough that breaks fall on the readers' buffer boundaries.
#[test]
fn line_numbers_across_buffer_boundaries() {
    let breaks = ["\n", "\r\n", "\r"];
    let mut seed: u64 = 42;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut text = String::from("id,notes\n");
    let mut line = 2;
    let mut want = Vec::new();
    for i in 0..3000 {
        want.push(Ok(line));
        let pad = "x".repeat(next(300) as usize);
        let inner = next(3);
        let mut cell = pad.clone();
        for _ in 0..inner {
            cell.push_str(breaks[next(3) as usize]);
            cell.push_str(&pad);
        }
        text.push_str(&format!("{i},\"{cell}\""));
        text.push_str(breaks[next(3) as usize]);
        line += 1 + inner;
        if next(10) == 0 {
            text.push_str("\r\n");
            line += 1;
        }
    }
    assert!(text.len() > 300_000);
    assert_eq!(lines(&text), want);
}

#[test]
fn row_errors_do_not_stop_reading() {
    let (_, rows) = read_bytes(
        b"id,name,n\n1,a,1\n2,b\n3,c,3,extra\n4,\"x\ny\",4\n",
        &opts(),
    );
    assert_eq!(
        rows,
        vec![
            ok(2, &["1", "a", "1"]),
            Err("t.csv:3: the row has 2 cells, the header has 3".to_string()),
            Err("t.csv:4: the row has 4 cells, the header has 3".to_string()),
            ok(5, &["4", "x\ny", "4"]),
        ]
    );
}

#[test]
fn invalid_utf8_and_windows_1252() {
    let bytes = b"id,name\n1,ok\n2,Caf\xe9\n3,fine\n";
    let (_, rows) = read_bytes(bytes, &opts());
    assert_eq!(
        rows,
        vec![
            ok(2, &["1", "ok"]),
            Err("t.csv:3: column \"name\": `Caf\\xE9` is not valid UTF-8 (try --encoding windows-1252)".to_string()),
            ok(4, &["3", "fine"]),
        ]
    );
    let cp1252 = InputOptions {
        encoding: Encoding::WINDOWS_1252,
        ..opts()
    };
    let (_, rows) = read_bytes(bytes, &cp1252);
    assert_eq!(rows[1], ok(3, &["2", "Café"]));

    let path = InputSource::Path(fixture("windows1252.csv"));
    let reader = InputReader::open(&path, &cp1252).unwrap();
    assert_eq!(reader.info().delimiter, Some(b';'));
    let rows = rows_of(reader);
    assert_eq!(
        rows,
        vec![
            ok(2, &["1", "Café crème", "12,5"]),
            ok(3, &["2", "\u{201C}Quoted\u{201D} € items", "7"])
        ]
    );

    // A header that is not UTF-8 stops reading, with a hint.
    let err = InputReader::from_bytes("t.csv", b"id,n\xe4me\n".to_vec(), &opts())
        .err()
        .unwrap();
    assert!(
        matches!(err.kind, InputErrorKind::HeaderNotUtf8 { column: 2 }),
        "{err}"
    );
}

#[test]
fn empty_inputs() {
    for bytes in [&b""[..], b"\n\n", b"\xEF\xBB\xBF", b"\r\n"] {
        let err = InputReader::from_bytes("t.csv", bytes.to_vec(), &opts())
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "t.csv: the file is empty: no header",
            "{bytes:?}"
        );
    }
    let json = InputOptions {
        format: Some(InputFormat::Json),
        ..opts()
    };
    let err = InputReader::from_bytes("t.json", b"  ".to_vec(), &json)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "t.json: the file is empty; expected an array of objects"
    );
    let ndjson = InputOptions {
        format: Some(InputFormat::Ndjson),
        ..opts()
    };
    let reader = InputReader::from_bytes("t.ndjson", b"\n".to_vec(), &ndjson).unwrap();
    assert!(reader.columns().is_empty());
    assert!(rows_of(reader).is_empty());
}

#[test]
fn size_limits() {
    // A cell over 16 MiB is a row error; the next row is read.
    let mut big = b"id,notes\n1,".to_vec();
    big.extend(std::iter::repeat_n(b'x', 17 << 20));
    big.extend_from_slice(b"\n2,small\n");
    let (_, rows) = read_bytes(&big, &opts());
    assert_eq!(
        rows,
        vec![
            Err("t.csv:2: column \"notes\": the cell is larger than 16 MiB".to_string()),
            ok(3, &["2", "small"])
        ]
    );

    // A quote left open makes one huge record: discarded without being held,
    // to the end of the input, and a row error says so.
    let mut open_quote = b"id,notes\n1,\"never closed\n".to_vec();
    open_quote
        .extend(std::iter::repeat_n(b"2,filler text\n".as_slice(), (33 << 20) / 14).flatten());
    let (_, rows) = read_bytes(&open_quote, &opts());
    assert_eq!(rows.len(), 1);
    let err = rows[0].as_ref().unwrap_err();
    assert_eq!(
        err,
        "t.csv:2: the row is larger than 32 MiB or has more than 1000000 cells, and a quote \
         opened in it is never closed: the rest of the input was skipped"
    );

    // More than 100,000 cells is a row error.
    let mut wide = b"id\n".to_vec();
    wide.extend(std::iter::repeat_n(b',', 100_001));
    wide.extend_from_slice(b"\n2\n");
    let (_, rows) = read_bytes(&wide, &opts());
    assert_eq!(
        rows,
        vec![
            Err("t.csv:2: the row has more than 100000 cells".to_string()),
            ok(3, &["2"])
        ]
    );

    // A million delimiters in one record: the record is discarded, a row
    // error, and the next row is read.
    let mut wider = b"id\n".to_vec();
    wider.extend(std::iter::repeat_n(b',', 1_000_001));
    wider.extend_from_slice(b"\n3\n");
    let (_, rows) = read_bytes(&wider, &opts());
    assert_eq!(
        rows,
        vec![
            Err(
                "t.csv:2: the row is larger than 32 MiB or has more than 1000000 cells; \
                 it was skipped"
                    .to_string()
            ),
            ok(3, &["3"])
        ]
    );
}

/// Reads a one-column CSV with `delimiter` and converts its cell as `ty`.
fn convert_cell(
    delimiter: u8,
    ty: FieldType,
    optional: bool,
    cell: &str,
) -> Result<Value<'static>, String> {
    let bytes = format!("v{}x\n{}{}x\n", delimiter as char, cell, delimiter as char);
    let options = InputOptions {
        delimiter: Some(delimiter),
        ..opts()
    };
    let mut reader = InputReader::from_bytes("t.csv", bytes.into_bytes(), &options).unwrap();
    let spec = FieldSpec {
        name: "v".to_string(),
        from: None,
        ty,
        optional,
        has_default: false,
    };
    let (binding, _) = Binding::new(&[spec], reader.info()).unwrap();
    let mut rec = Record::new();
    assert!(reader.read(&mut rec).unwrap());
    let mut out = Vec::new();
    binding
        .convert(&rec, &[], &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out.remove(0).into_owned())
}

#[test]
fn conversions() {
    use FieldType::*;
    let level = || Enum(vec!["short_term".into(), "long_term".into()]);
    // Errors are shown without their `t.csv:2: column "v": ` prefix.
    #[rustfmt::skip]
    let cases: Vec<(u8, FieldType, &str, Result<Value, &str>)> = vec![
        (b',', Number, "45%",        Ok(Value::Num(0.45))),
        (b',', Number, " 1e3 ",      Ok(Value::Num(1000.0))),
        (b',', Number, "-0",         Ok(Value::Num(0.0))),
        (b';', Number, "37,5",       Ok(Value::Num(37.5))),
        (b';', Number, "12,5%",      Ok(Value::Num(0.125))),
        (b',', Number, "\"1,000\"",  Ok(Value::Num(1000.0))),
        (b',', Number, "\"$1,200.50\"", Ok(Value::Num(1200.5))),
        (b';', Number, "1.234,5",    Ok(Value::Num(1234.5))),
        (b';', Number, "1.200,50 €", Ok(Value::Num(1200.5))),
        (b',', Number, "\"1,5\"",    Err("`1,5` is not a number: a decimal comma is read only when the delimiter is `;` (write 1.5)")),
        (b';', Number, "1.234",      Err("`1.234` is ambiguous: with `;` as the delimiter the decimal mark is `,`, so `1.234` could be 1234 or 1.234; write it without the `.`, or with a decimal comma")),
        (b',', Number, "1e400",      Err("`1e400` is not a finite number")),
        (b',', Number, "NaN",        Err("`NaN` is not a finite number")),
        (b',', Number, "ten",        Err("`ten` is not a number")),
        (b',', level(), "Long-Term", Ok(Value::Enum(1))),
        (b',', level(), "short term", Ok(Value::Enum(0))),
        (b',', level(), "mid",       Err("`mid` is not one of short_term, long_term")),
        (b',', Bool, "Yes",          Ok(Value::Bool(true))),
        (b',', Bool, "n",            Ok(Value::Bool(false))),
        (b',', Bool, "0",            Ok(Value::Bool(false))),
        (b',', Bool, "TRUE",         Ok(Value::Bool(true))),
        (b',', Bool, "maybe",        Err("`maybe` is not a bool (true/false, yes/no, y/n, 1/0)")),
        (b',', Date, "2027-06-30",   Ok(Value::Date(20999))),
        (b',', Date, "30/06/2027",   Err("`30/06/2027` is not a date in the form YYYY-MM-DD")),
        (b',', Text, "  as is ",     Ok(Value::Text("  as is ".into()))),
        (b',', Text, "  ",           Err("required value is empty")),
        (b',', Number, "",           Err("required value is empty")),
    ];
    for (delimiter, ty, cell, want) in cases {
        let got = convert_cell(delimiter, ty.clone(), false, cell);
        let want = want.map_err(|m| format!("t.csv:2: column \"v\": {m}"));
        assert_eq!(got, want, "{ty} {cell:?}");
    }
    assert_eq!(convert_cell(b',', Number, true, " "), Ok(Value::Missing));
    let long = "x".repeat(100);
    let err = convert_cell(b',', Number, false, &long).unwrap_err();
    assert_eq!(
        err,
        format!(
            "t.csv:2: column \"v\": `{}…` is not a number",
            "x".repeat(60)
        )
    );
}

fn spec(name: &str, from: Option<&str>, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name: name.to_string(),
        from: from.map(str::to_string),
        ty,
        optional: false,
        has_default: false,
    }
}

#[test]
fn jira_repeated_headers_and_multiline_cells() {
    let reader = InputReader::open(
        &InputSource::Path(fixture("jira_repeated_headers.csv")),
        &opts(),
    )
    .unwrap();
    let info = reader.info().clone();
    assert_eq!(info.delimiter, Some(b','));
    let specs = [
        spec("labels", Some("Labels"), FieldType::Text),
        spec("sprint", None, FieldType::Text),
    ];
    let errors: Vec<String> = Binding::new(&specs, &info)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let name = info.name.clone();
    assert_eq!(
        errors,
        [
            format!(
                "{name}: field \"labels\": column \"Labels\" appears 3 times (columns 6, 7, 8); choose one \
                 with from \"Labels#2\" (the 2nd), or join them all with from \"Labels#*\""
            ),
            format!(
                "{name}: field \"sprint\": column \"Sprint\" appears 2 times (columns 9, 10); choose one \
                 with from \"Sprint#2\" (the 2nd), or join them all with from \"Sprint#*\""
            ),
        ]
    );
    let specs = [
        spec("key", Some("issue key"), FieldType::Text),
        spec("labels", Some("Labels#*"), FieldType::Text),
        spec("second", Some("Labels#2"), FieldType::Text),
        spec("sprint", Some("Sprint#2"), FieldType::Text),
        spec("time", Some("Σ Time Spent"), FieldType::Number),
        spec("description", None, FieldType::Text),
    ];
    let mut specs = specs.to_vec();
    for s in &mut specs[1..] {
        s.optional = true;
    }
    let (binding, _) = Binding::new(&specs, &info).unwrap();
    assert_eq!(
        binding.fields()[1].source,
        FieldSource::Joined(vec![5, 6, 7])
    );
    let mut reader = reader;
    let mut rec = Record::new();
    let mut seen = Vec::new();
    while reader.read(&mut rec).unwrap() {
        let mut out = Vec::new();
        binding.convert(&rec, &[], &mut out).unwrap();
        let shown: Vec<String> = out
            .iter()
            .map(|v| match v {
                Value::Text(t) => t.to_string(),
                Value::Num(n) => n.to_string(),
                Value::Missing => "-".to_string(),
                other => format!("{other:?}"),
            })
            .collect();
        seen.push((rec.line(), shown.join(" | ")));
    }
    assert_eq!(
        seen,
        [
            (2, "FIN-1 | finance, month-end | month-end | - | 3600 | Match invoices to POs.\n\nEscalate mismatches over £500.".to_string()),
            (5, "FIN-2 | research | - | Sprint 2 | - | Scope:\n- competitors\n- pricing".to_string()),
            (8, "FIN-3 | - | - | - | - | -".to_string()),
        ]
    );
}

#[test]
fn missing_columns() {
    let info = InputReader::from_bytes(
        "t.csv",
        b"Task ID,Hours per Month,Skill Level\n".to_vec(),
        &opts(),
    )
    .unwrap()
    .info()
    .clone();
    let mut specs = vec![
        spec("id", Some("task_id"), FieldType::Text),
        spec("hours", None, FieldType::Number),
        spec("hours_per_month", None, FieldType::Number),
        spec("skil_level", None, FieldType::Text),
        spec("owner", None, FieldType::Text),
    ];
    specs[4].optional = true;
    let errors: Vec<String> = Binding::new(&specs, &info)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let columns = "the input has columns: Task ID, Hours per Month, Skill Level";
    assert_eq!(
        errors,
        [
            format!(
                "t.csv: field \"hours\": no column \"hours\"; did you mean \"Hours per Month\"?; {columns}"
            ),
            format!(
                "t.csv: field \"skil_level\": no column \"skil_level\"; did you mean \"Skill Level\"?; {columns}"
            ),
        ]
    );
    let (binding, warnings) = Binding::new(
        &[specs[0].clone(), specs[2].clone(), specs[4].clone()],
        &info,
    )
    .unwrap();
    assert_eq!(binding.fields()[1].source, FieldSource::Column(1));
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        "t.csv: field \"owner\": no column \"owner\"; the field is missing on every row"
    );
}

#[test]
fn corpus_quirks() {
    // ServiceNow: everything quoted, a thousands separator inside quotes
    // (which reads: the groups have three digits).
    let path = InputSource::Path(fixture("servicenow_all_quoted.csv"));
    let reader = InputReader::open(&path, &opts()).unwrap();
    let info = reader.info().clone();
    assert_eq!(info.columns[..2], ["number", "short_description"]);
    let rows = rows_of(reader);
    assert_eq!(rows[0].as_ref().unwrap().1[4], "5,510,746");
    let specs = [
        spec("revenue", Some("u_revenue"), FieldType::Number),
        spec("state", None, FieldType::Text),
    ];
    let (binding, _) = Binding::new(&specs, &info).unwrap();
    let mut reader = InputReader::open(&path, &opts()).unwrap();
    let mut rec = Record::new();
    reader.read(&mut rec).unwrap();
    // Grouping in threes reads as a number.
    let mut out = Vec::new();
    binding.convert(&rec, &[], &mut out).unwrap();
    assert_eq!(out[0], outsort::value::Value::Num(5_510_746.0));

    // Excel re-save: BOM, CRLF, no final newline, empty cells.
    let reader =
        InputReader::open(&InputSource::Path(fixture("excel_bom_crlf.csv")), &opts()).unwrap();
    assert_eq!(
        reader.columns(),
        ["PK", "Task ID", "Task Title", "Task Type", "Date"]
    );
    let rows = rows_of(reader);
    assert_eq!(
        rows,
        vec![
            ok(
                2,
                &[
                    "1",
                    "8823",
                    "Direct or coordinate activities",
                    "Core",
                    "Aug-23"
                ]
            ),
            ok(3, &["2", "8824", "Prepare budgets, reports", "", "Aug-23"]),
            ok(
                4,
                &["3", "8825", "Confer with staff", "Supplemental", "Jul-24"]
            ),
        ]
    );

    // Asana: BOM, quoted IDs kept as text, multi-line notes, no final newline.
    let reader =
        InputReader::open(&InputSource::Path(fixture("asana_quoted_ids.csv")), &opts()).unwrap();
    assert_eq!(reader.columns()[0], "Task ID");
    let rows = rows_of(reader);
    assert_eq!(rows.len(), 2);
    let (line, cells) = rows[1].as_ref().unwrap();
    assert_eq!(
        (*line, cells[0].as_str(), cells[4].as_str()),
        (5, "1212777918659210", "2025-02-01")
    );
    assert_eq!(
        rows[0].as_ref().unwrap().1[6],
        "Agenda:\n1. goals\n2. owners"
    );
}

#[test]
fn json_inputs() {
    let json = InputOptions {
        format: Some(InputFormat::Json),
        ..opts()
    };
    let read = |text: &str, options: &InputOptions| -> Result<(Vec<String>, Vec<Row>), String> {
        let reader = InputReader::from_bytes("t.json", text.as_bytes().to_vec(), options)
            .map_err(|e| e.to_string())?;
        Ok((reader.columns().to_vec(), rows_of(reader)))
    };
    let array = "[\n  {\"id\": \"T1\", \"hours\": 4},\n  {\n    \"id\": \"T2\",\n    \"owner\": {\"name\": \"Ana\"}\n  },\n  7,\n  {\"id\": \"T3\", \"hours\": 01}\n]\n";
    let (columns, rows) = read(array, &json).unwrap();
    assert_eq!(columns, ["id", "hours", "owner"]);
    assert_eq!(
        rows,
        vec![
            Ok((2, vec![r#"{"hours":4,"id":"T1"}"#.to_string()])),
            Ok((3, vec![r#"{"id":"T2","owner":{"name":"Ana"}}"#.to_string()])),
            Err("t.json:7: the record is a number, not an object".to_string()),
            Err("t.json:8: invalid JSON: invalid number".to_string()),
        ]
    );
    // Detected from the content when no format is given.
    assert_eq!(read(array, &opts()).unwrap().0, ["id", "hours", "owner"]);

    let wrapper =
        "{\"count\": 2, \"tags\": [\"a\"], \"tasks\": [{\"id\": 1}, {\"id\": 2, \"x\": null}]}";
    let (columns, rows) = read(wrapper, &json).unwrap();
    assert_eq!(
        (columns, rows.len()),
        (vec!["id".to_string(), "x".to_string()], 2)
    );

    let deep = format!("[{{\"a\": {}{}}}]", "[".repeat(130), "]".repeat(130));
    assert_eq!(
        read(&deep, &json).unwrap_err(),
        "t.json:1: nesting deeper than 128 levels"
    );

    let nested = InputOptions {
        records: Some("data.rows".to_string()),
        ..json.clone()
    };
    let (columns, _) = read(
        "{\"data\": {\"rows\": [{\"k\": 1}]}, \"other\": [{\"z\": 1}]}",
        &nested,
    )
    .unwrap();
    assert_eq!(columns, ["k"]);
    let err = read("{\"data\": [{\"k\": 1}]}", &nested).unwrap_err();
    assert_eq!(
        err,
        "t.json: no array of objects at \"data.rows\"; the top-level keys are: data"
    );
}

#[test]
fn trello_like_export() {
    let path = InputSource::Path(fixture("trello_like.json"));
    let err = InputReader::open(&path, &opts()).err().unwrap();
    assert!(
        matches!(&err.kind, InputErrorKind::AmbiguousRecords(keys) if keys == &["actions", "cards", "lists"])
    );
    assert!(err.to_string().ends_with(
        "several keys hold arrays of objects: actions, cards, lists; choose the one holding the tasks with --records KEY"
    ));

    let cards = InputOptions {
        records: Some("cards".to_string()),
        ..opts()
    };
    let mut reader = InputReader::open(&path, &cards).unwrap();
    assert_eq!(
        reader.columns(),
        ["id", "name", "closed", "idList", "badges", "due"]
    );
    let specs = [
        spec("name", None, FieldType::Text),
        spec("votes", Some("badges.votes"), FieldType::Number),
        spec("due", Some("badges.due"), FieldType::Date),
        spec("closed", None, FieldType::Bool),
        spec("list", Some("IDLIST"), FieldType::Text),
    ];
    let mut specs = specs.to_vec();
    specs[2].optional = true;
    let (binding, _) = Binding::new(&specs, reader.info()).unwrap();
    let mut rec = Record::new();
    let mut got = Vec::new();
    while reader.read(&mut rec).unwrap() {
        let mut out = Vec::new();
        binding.convert(&rec, &[], &mut out).unwrap();
        got.push((
            rec.line(),
            out.into_iter().map(Value::into_owned).collect::<Vec<_>>(),
        ));
    }
    assert_eq!(
        got,
        [
            (
                14,
                vec![
                    Value::Text("Invoice run".into()),
                    Value::Num(2.0),
                    Value::Missing,
                    Value::Bool(false),
                    Value::Text("l1".into())
                ]
            ),
            (
                24,
                vec![
                    Value::Text("Market scan".into()),
                    Value::Num(0.0),
                    Value::Missing,
                    Value::Bool(true),
                    Value::Text("l2".into())
                ]
            ),
        ]
    );
}

#[test]
fn ndjson_inputs() {
    let path = InputSource::Path(fixture("tasks.ndjson"));
    let reader = InputReader::open(&path, &opts()).unwrap();
    assert_eq!(reader.info().format, InputFormat::Ndjson);
    assert_eq!(reader.columns(), ["id", "hours", "core", "owner"]);
    let name = reader.info().name.clone();
    let rows = rows_of(reader);
    assert_eq!(
        rows,
        vec![
            Ok((1, vec![r#"{"core":true,"hours":40,"id":"T1"}"#.to_string()])),
            Ok((
                3,
                vec![
                    r#"{"core":"no","hours":"12.5","id":"T2","owner":{"name":"Ana"}}"#.to_string()
                ]
            )),
            Err(format!("{name}:4: the record is an array, not an object")),
            Err(format!("{name}:5: invalid JSON: trailing comma")),
            Ok((6, vec![r#"{"hours":100.0,"id":"T5"}"#.to_string()])),
        ]
    );
    // Detected from the content on a stream.
    let bytes = std::fs::read(fixture("tasks.ndjson")).unwrap();
    let reader = InputReader::from_bytes("<stdin>", bytes, &opts()).unwrap();
    assert_eq!(reader.info().format, InputFormat::Ndjson);
}

#[test]
fn formats_from_paths() {
    assert_eq!(
        InputFormat::from_path(Path::new("a.TXT")),
        Some(InputFormat::Csv)
    );
    assert_eq!(
        InputFormat::from_path(Path::new("a.jsonl")),
        Some(InputFormat::Ndjson)
    );
    assert_eq!(
        InputFormat::from_path(Path::new("a.tsv")),
        Some(InputFormat::Tsv)
    );
    assert_eq!(InputFormat::from_path(Path::new("a")), None);
    let err = InputReader::open(&InputSource::Path("book.xlsx".into()), &opts())
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "book.xlsx: spreadsheet workbooks are not read: export the sheet as CSV"
    );
    let err = InputReader::open(&InputSource::Path("/nonexistent/t.csv".into()), &opts())
        .err()
        .unwrap();
    assert!(matches!(err.kind, InputErrorKind::Io(_)));
    assert_eq!(InputSource::from_arg("-").name(), "<stdin>");
}

#[test]
fn csv_spectrum() {
    for sample in csv_spectrum::spectrum() {
        let reader = InputReader::from_bytes(sample.name, sample.csv.to_vec(), &opts()).unwrap();
        let columns = reader.columns().to_vec();
        let rows = rows_of(reader);
        if sample.name == "location_coordinates" {
            // The suite's expectation is known to be wrong; reading must still succeed.
            assert_eq!(rows.len(), 1, "{}", sample.name);
            assert!(rows[0].is_ok());
            continue;
        }
        let expected: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_slice(sample.json).unwrap();
        let got: Vec<serde_json::Map<String, serde_json::Value>> = rows
            .into_iter()
            .map(|row| {
                let (_, cells) = row.unwrap();
                columns
                    .iter()
                    .cloned()
                    .zip(cells.into_iter().map(serde_json::Value::String))
                    .collect()
            })
            .collect();
        assert_eq!(got, expected, "{}", sample.name);
    }
}

/// Reads every CSV, TSV and JSON file of the shared corpus, when it is
/// present (it is not part of the repository): no panic, no fatal error on
/// exports, row counts as SOURCES.md gives them, and start lines as Python's
/// csv module finds them (their sum, and the last one).
#[test]
fn shared_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        return;
    }
    let expected: [(&str, usize, u64, u64); 6] = [
        (
            "tasks/esco_v1_0_occupations_en.csv",
            2942,
            49_635_932,
            33_346,
        ),
        ("tasks/onet_26_3_task_statements.csv", 19_259, 0, 19_260),
        (
            "tasks/onet_29x_task_statements_excel_resaved.csv",
            18_796,
            176_673_002,
            18_797,
        ),
        (
            "exports/jira/jira_cloud_crlf_records_sanchari.csv",
            60,
            5678,
            128,
        ),
        (
            "exports/jira/jira_cloud_bom_crlf_ishaanbhugra.csv",
            51,
            1440,
            61,
        ),
        (
            "exports/monday/monday_board_q4_2025_items_sheet.csv",
            402,
            81_405,
            403,
        ),
    ];
    let mut files = Vec::new();
    for dir in ["exports", "csv-suite", "tasks"] {
        collect(&root.join(dir), &mut files);
    }
    let mut problems = Vec::new();
    for path in &files {
        let short = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        let reader = match InputReader::open(&InputSource::Path(path.clone()), &opts()) {
            Ok(reader) => reader,
            Err(e) => {
                let tolerated = !short.starts_with("exports")
                    || matches!(e.kind, InputErrorKind::AmbiguousRecords(_));
                if !tolerated {
                    problems.push(e.to_string());
                }
                eprintln!("{short}: error: {e}");
                continue;
            }
        };
        let columns = reader.columns().len();
        let rows = rows_of(reader);
        let starts: Vec<u64> = rows
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(line, _)| *line))
            .collect();
        let errors = rows.len() - starts.len();
        eprintln!(
            "{short}: {columns} columns, {} rows, {errors} errors",
            starts.len()
        );
        if let Some(Err(e)) = rows
            .iter()
            .find(|r| r.as_ref().is_err_and(|e| e.starts_with("FATAL")))
        {
            problems.push(e.clone());
        }
        if starts.windows(2).any(|w| w[0] >= w[1]) {
            problems.push(format!("{short}: start lines do not increase"));
        }
        if let Some(&(_, n, sum, last)) = expected.iter().find(|(name, ..)| *name == short) {
            let got_sum = if sum == 0 { 0 } else { starts.iter().sum() };
            let got = (starts.len(), got_sum, starts.last().copied().unwrap_or(0));
            if got != (n, sum, last) {
                problems.push(format!(
                    "{short}: rows, sum of lines, last line {got:?}, expected {:?}",
                    (n, sum, last)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("csv" | "json" | "tsv" | "txt")
        ) {
            out.push(path);
        }
    }
}

mod arbitrary_bytes {
    use super::*;
    use proptest::prelude::*;

    /// Bytes that matter to the readers, and a few that do not.
    const ALPHABET: &[u8] = b",;\t|\"\r\n{}[]:\\ a1-e.%\xff\xe9";

    fn check(bytes: Vec<u8>, options: &InputOptions) -> Result<(), TestCaseError> {
        let Ok(reader) = InputReader::from_bytes("t", bytes, options) else {
            return Ok(());
        };
        let binding = Binding::new(
            &[FieldSpec {
                name: "a".into(),
                from: None,
                ty: FieldType::Number,
                optional: true,
                has_default: false,
            }],
            reader.info(),
        );
        let mut last = 0;
        for row in reader {
            match row {
                Ok(rec) => {
                    prop_assert!(rec.line() > last, "line {} after {}", rec.line(), last);
                    last = rec.line();
                    if let Ok((b, _)) = &binding {
                        let _ = b.convert(&rec, &[], &mut Vec::new());
                    }
                }
                Err(ReadError::Row(e)) => {
                    prop_assert!(e.line >= 1);
                    last = last.max(e.line);
                }
                Err(ReadError::Fatal(_)) => {}
            }
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn readers_never_panic(
            bytes in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..300),
            format in proptest::sample::select(vec![None, Some(InputFormat::Csv), Some(InputFormat::Json), Some(InputFormat::Ndjson)]),
            cp1252 in any::<bool>(),
        ) {
            let encoding = if cp1252 { Encoding::WINDOWS_1252 } else { Encoding::Utf8 };
            check(bytes, &InputOptions { format, encoding, ..InputOptions::default() })?;
        }
    }
}

#[test]
fn utf16_with_a_byte_order_mark_is_read_whatever_the_encoding_given() {
    // Excel's "Unicode Text": UTF-16LE with a mark, tabs, CRLF, a quoted
    // cell holding a tab.
    for encoding in [Encoding::Utf8, Encoding::WINDOWS_1252] {
        let options = InputOptions { encoding, ..opts() };
        let source = InputSource::Path(fixture("excel_unicode_text.txt"));
        let reader = InputReader::open(&source, &options).unwrap();
        assert_eq!(reader.columns(), ["id", "name", "hours"]);
        let rows = rows_of(reader);
        assert_eq!(
            rows,
            vec![
                Ok((2, vec!["T1".into(), "Rechnungsprüfung".into(), "12".into()])),
                Ok((3, vec!["T2".into(), "請求書の照合".into(), "7.5".into()])),
                Ok((4, vec!["T3".into(), "Note with\ttab".into(), "3".into()])),
            ]
        );
    }
    let source = InputSource::Path(fixture("utf16be_bom.csv"));
    let rows = rows_of(InputReader::open(&source, &opts()).unwrap());
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1],
        Ok((3, vec!["T2".into(), "請求書の照合".into(), "7.5".into()]))
    );
}

#[test]
fn any_whatwg_label_names_an_encoding() {
    let shift_jis = Encoding::for_label("Shift_JIS").unwrap();
    assert_eq!(shift_jis.name(), "Shift_JIS");
    let options = InputOptions {
        encoding: shift_jis,
        ..opts()
    };
    let source = InputSource::Path(fixture("shift_jis.csv"));
    let rows = rows_of(InputReader::open(&source, &options).unwrap());
    assert_eq!(
        rows[0],
        Ok((2, vec!["T1".into(), "経費精算".into(), "12".into()]))
    );
    assert_eq!(
        Encoding::for_label("latin1").unwrap(),
        Encoding::WINDOWS_1252
    );
    assert_eq!(Encoding::for_label("utf8").unwrap(), Encoding::Utf8);
    assert!(
        Encoding::for_label("klingon")
            .unwrap_err()
            .contains("not an encoding label")
    );
    assert!(Encoding::for_label("iso-2022-kr").is_err());
}

#[test]
fn text_that_is_not_in_the_encoding_stops_the_input_at_its_line() {
    let mut bytes = vec![0xFF, 0xFE];
    let mut text = String::from("id,name\n");
    for i in 0..20_000 {
        text.push_str(&format!("T{i},ok\n"));
    }
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes.extend(0xDC00u16.to_le_bytes()); // a lone low surrogate
    bytes.extend("x,y\n".encode_utf16().flat_map(u16::to_le_bytes));
    let reader = InputReader::from_bytes("t.csv", bytes, &opts()).unwrap();
    let rows = rows_of(reader);
    // Every row before the bad bytes is read, then the error names the line.
    assert_eq!(rows.len(), 20_001);
    assert_eq!(
        rows.last(),
        Some(&Err(
            "FATAL t.csv: cannot read: line 20002: bytes that are not UTF-16LE text; \
                   the byte-order mark says UTF-16LE: the file is damaged, or was cut"
                .to_string()
        ))
    );
}
