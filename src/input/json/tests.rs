use super::lines::*;
use super::*;

/// `at_fill` says when the next line reads more of the input: whenever
/// it says so, the next line does, and it says so about once a fill.
#[test]
fn at_fill_is_where_the_next_line_reads_more() {
    let mut text = String::new();
    for i in 0..300 {
        match i % 7 {
            0 => text.push('\n'),
            1 => text.push_str(&format!("{{\"id\":\"T{i}\"}}\r\n")),
            _ => text.push_str(&format!("{{\"id\":\"T{i}\",\"name\":\"task {i}\"}}\n")),
        }
    }
    for fill in [8, 50, 100, 1000] {
        let (counted, reads) = crate::input::counting::Counted::new(text.clone().into_bytes());
        let mut reader = NdjsonReader {
            info: SourceInfo {
                name: "t".into(),
                format: InputFormat::Ndjson,
                delimiter: None,
                columns: vec!["id".into(), "name".into()],
                header_line: None,
            },
            stream: Tracked {
                inner: Box::new(BufReader::with_capacity(fill, counted)),
                left: 0,
            },
            line: 0,
            buf: Vec::new(),
            done: false,
        };
        let (rows, said) = crate::input::counting::rows_and_fills(
            &reads,
            &mut reader,
            |r| r.at_fill(),
            |r, rec| r.read(rec).unwrap(),
        );
        assert_eq!(rows, 300 - 300 / 7 - 1);
        assert!(!reader.at_fill(), "nothing more to read at the end");
        let fills = text.len() / fill;
        assert!(
            said * 2 >= fills.min(rows) && said <= rows,
            "fill {fill}: at_fill said {said} times over {fills} fills"
        );
    }
}

/// JSON Lines over the size that is cut into pieces: keys first seen all
/// over it, blank and broken lines, lines that are not objects.
fn big_ndjson(bom: bool) -> Vec<u8> {
    let mut text = Vec::new();
    if bom {
        text.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut i = 0u64;
    while (text.len() as u64) < PIECES_MIN_BYTES * 2 {
        i += 1;
        let extra = if i.is_multiple_of(997) {
            format!(",\"k{i}\":1")
        } else {
            String::new()
        };
        let line = match i % 101 {
            0 => "\n".to_string(),
            1 => format!("{{\"id\":\"T{i}\",\"broken{i}\n"),
            2 => "[1,2]\n".to_string(),
            _ => format!(
                "{{\"id\":\"T{i}\",\"hours\":{}{extra},\"name\":\"task {i}\"}}\n",
                i % 40
            ),
        };
        text.extend_from_slice(line.as_bytes());
    }
    text
}

/// The keys collected on several threads are those of one pass, in the
/// same order, from memory and from a file (whose byte-order mark is
/// dropped).
#[test]
fn keys_in_pieces_as_in_one() {
    let text = big_ndjson(false);
    let memory = Reopen::Memory(Arc::from(text.clone()));
    let want = keys_in_one("t", &memory).unwrap();
    assert!(want.len() > 50, "{want:?}");
    assert_eq!(
        want.get(..3),
        Some(&["id", "hours", "name"].map(String::from)[..])
    );
    assert_eq!(keys_in_pieces(&memory, 1), None);
    for threads in [2, 3, 7] {
        assert_eq!(
            keys_in_pieces(&memory, threads).as_ref(),
            Some(&want),
            "{threads}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.ndjson");
    std::fs::write(&path, big_ndjson(true)).unwrap();
    let opened = Arc::new(File::open(&path).unwrap());
    let file = Reopen::File(Arc::clone(&opened), Encoding::Utf8);
    assert_eq!(keys_in_one("t", &file).unwrap(), want);
    for threads in [2, 3, 7] {
        assert_eq!(
            keys_in_pieces(&file, threads).as_ref(),
            Some(&want),
            "{threads}"
        );
    }
    // Not cut: another encoding, a small input.
    assert_eq!(
        keys_in_pieces(&Reopen::File(opened, Encoding::WINDOWS_1252), 2),
        None
    );
    let small = Reopen::Memory(Arc::from(&b"{\"a\":1}\n"[..]));
    assert_eq!(keys_in_pieces(&small, 2), None);
}

/// Too many distinct keys, in one piece or only once the pieces are
/// joined: the same error, at the same line, as one pass gives.
#[test]
fn keys_in_pieces_fail_as_in_one() {
    // Keys in the first piece only, and spread over every piece.
    for pad in [0, 80] {
        let pad = "x".repeat(pad);
        let mut text = Vec::new();
        let mut line = 0;
        while (text.len() as u64) < PIECES_MIN_BYTES * 2 || line <= MAX_CELLS + 10 {
            line += 1;
            if line <= MAX_CELLS + 10 {
                let key = format!("{{\"key{line}\":1,\"pad\":\"{pad}\"}}\n");
                text.extend_from_slice(key.as_bytes());
            } else {
                text.extend_from_slice(b"{\"id\":\"a task with a long name\"}\n");
            }
        }
        let open = |threads| {
            let memory = Reopen::Memory(Arc::from(text.clone()));
            NdjsonReader::open("t", memory, threads)
                .err()
                .map(|e| e.to_string())
        };
        let one = open(1);
        assert!(one.as_deref().is_some_and(|e| e.contains("t:")), "{one:?}");
        assert_eq!(open(2), one, "pad {pad}");
        assert_eq!(open(3), one, "pad {pad}");
    }
}

fn layout(text: &str, records: Option<&[String]>) -> Result<Layout, String> {
    let mut sc = Scanner::new(text.as_bytes());
    scan_layout(&mut sc, records).map_err(|e| e.into_input("t.json").to_string())
}

#[test]
fn finds_records_and_columns() {
    let l = layout(r#"[{"a":1,"b":{"x":[1,"]"]}},{"c":"}\"{","a":2}]"#, None).unwrap();
    assert!(l.path.is_empty());
    assert_eq!(l.columns, ["a", "b", "c"]);
    let l = layout(r#"{"meta":{"n":2},"tags":["x"],"items":[{"id":1}]}"#, None).unwrap();
    assert_eq!(l.path, ["items"]);
    assert_eq!(l.columns, ["id"]);
    let l = layout(r#"{"items":[]}"#, None).unwrap();
    assert_eq!(l.path, ["items"]);
    let path = ["data".to_string(), "rows".to_string()];
    let l = layout(r#"{"data":{"rows":[{"k\u0041":1}]}}"#, Some(&path)).unwrap();
    assert_eq!(l.columns, ["kA"]);
}

#[test]
fn structure_errors() {
    let cases = [
        (
            "",
            "t.json: the file is empty; expected an array of objects",
        ),
        (
            "[{\"a\":1}",
            "t.json:1: the input ends inside an array (is the file cut short?)",
        ),
        ("[{\"a\":[1}]", "t.json:1: expected `]` but found `}`"),
        (
            "{\"a\":[{\"b\":1}]",
            "t.json:1: the input ends inside an object (is the file cut short?)",
        ),
        (
            "[{\"a\":1},\n{\"a\":",
            "t.json:2: expected a value, found the end of the input",
        ),
        (
            "[{\"a\":1},\n{\"a\":[",
            "t.json:2: an array starting here is not closed",
        ),
        ("[{\"a\":\"x]", "t.json:1: a string is not closed"),
        (
            "[{\"a\":1]]",
            "t.json:1: expected `,` or `}` in an object, found `]`",
        ),
        (
            "{\"a\":1}\n{\"a\":2}",
            "t.json:2: unexpected `{` after the JSON document; for one object per line, use --input-format ndjson",
        ),
        (
            "42",
            "t.json:1: expected an array of objects or an object holding one, found `4`",
        ),
        (
            "{\"a\":1}",
            "t.json: no array of objects found: expected an array of objects, or an object holding one",
        ),
        (
            "{\"a\":[{}],\"b\":[{}]}",
            "t.json: several keys hold arrays of objects: a, b; choose the one holding the tasks with --records KEY",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(layout(text, None).err().as_deref(), Some(want), "{text}");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        layout(&deep, None).err().as_deref(),
        Some("t.json:1: nesting deeper than 128 levels")
    );
    let ok = format!("[{}{}]", "[".repeat(120), "]".repeat(120));
    assert!(layout(&ok, None).is_ok());
}

#[test]
fn detects_json_lines() {
    assert_eq!(
        detect_object_stream(&b"{\"a\":1}\n{\"a\":2}\n"[..]),
        InputFormat::Ndjson
    );
    assert_eq!(
        detect_object_stream(&b"{\"a\":[{\"b\":1}]}\n"[..]),
        InputFormat::Json
    );
}

#[test]
fn bounded_lines() {
    let mut input = &b"abc\nlonger line\nx"[..];
    let mut buf = Vec::new();
    assert_eq!(
        read_line_bounded(&mut input, &mut buf, 5).unwrap(),
        Some(false)
    );
    assert_eq!(buf, b"abc\n");
    assert_eq!(
        read_line_bounded(&mut input, &mut buf, 5).unwrap(),
        Some(true)
    );
    assert_eq!(
        read_line_bounded(&mut input, &mut buf, 5).unwrap(),
        Some(false)
    );
    assert_eq!(buf, b"x");
    assert_eq!(read_line_bounded(&mut input, &mut buf, 5).unwrap(), None);
}
