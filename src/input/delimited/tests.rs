use super::*;

#[test]
fn plain_lines_split_at_every_delimiter() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let (mut bytes, mut ends) = (Vec::new(), Vec::new());
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = (x % 40) as usize;
        // Delimiters, their neighbours in value, high bytes, letters.
        let alphabet = [b',', b';', b'+', b'-', 0xac, 0x2c | 0x80, b'a', 0, 0x7f];
        let text: Vec<u8> = (0..len)
            .map(|i| alphabet[((x >> (i % 60)) as usize + i) % alphabet.len()])
            .collect();
        for delimiter in [b',', b';', b'\t', 0xac] {
            split_plain(&text, delimiter, &mut bytes, &mut ends);
            assert_eq!(bytes, text);
            let cells: Vec<&[u8]> = raw_cells(&bytes, &ends, true).collect();
            let want: Vec<&[u8]> = text.split(|&b| b == delimiter).collect();
            assert_eq!(cells, want, "{text:?}");
        }
    }
}
use proptest::prelude::*;

/// A row as read: its start line and cells, or the row error's text.
type Row = Result<(u64, Vec<String>), String>;

/// The columns and rows of `bytes`, read `fill` bytes at a time, or the
/// fatal error's text.
fn read_all(
    bytes: &[u8],
    delimiter: Option<u8>,
    fill: usize,
) -> Result<(Vec<String>, Vec<Row>), String> {
    let stream: Stream = Box::new(io::Cursor::new(bytes.to_vec()));
    let mut reader = CsvReader::with_fill_size("t", stream, InputFormat::Csv, delimiter, fill)
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut rec = Record::new();
    loop {
        match reader.read(&mut rec) {
            Ok(true) => rows.push(Ok((
                rec.line(),
                rec.cells.iter().map(str::to_string).collect(),
            ))),
            Ok(false) => break,
            Err(ReadError::Row(e)) => rows.push(Err(e.to_string())),
            Err(ReadError::Fatal(e)) => return Err(e.to_string()),
        }
        // Never more held than the bounds allow.
        assert!(rec.cells.text.capacity() <= MAX_RECORD_BYTES as usize + 1);
        assert!(rec.cells.ends.capacity() <= MAX_RECORD_DELIMITERS as usize + 2);
    }
    Ok((reader.info().columns.clone(), rows))
}

/// The columns and rows of an input, or the fatal error's text.
type Read = Result<(Vec<String>, Vec<Row>), String>;

/// [`read_all`], taking whole rows as chunks wherever the reader can,
/// and reading the others one by one; also how many chunks it took.
fn read_all_chunked(bytes: &[u8], delimiter: Option<u8>, fill: usize) -> (Read, usize) {
    let stream: Stream = Box::new(io::Cursor::new(bytes.to_vec()));
    let mut reader = match CsvReader::with_fill_size("t", stream, InputFormat::Csv, delimiter, fill)
    {
        Ok(r) => r,
        Err(e) => return (Err(e.to_string()), 0),
    };
    let mut rows = Vec::new();
    let mut rec = Record::new();
    let mut spare = Spare::default();
    let mut chunks = 0;
    let row = |result: Result<bool, ReadError>, rec: &Record, rows: &mut Vec<Row>| {
        match result {
            Ok(true) => rows.push(Ok((
                rec.line(),
                rec.cells.iter().map(str::to_string).collect(),
            ))),
            Ok(false) => return Ok(false),
            Err(ReadError::Row(e)) => rows.push(Err(e.to_string())),
            Err(ReadError::Fatal(e)) => return Err(e.to_string()),
        }
        Ok(true)
    };
    loop {
        match reader.take_chunk(&mut spare) {
            Ok(Some(mut chunk)) => {
                chunks += 1;
                loop {
                    let result = chunk.read(&mut rec);
                    match row(result, &rec, &mut rows) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => return (Err(e), chunks),
                    }
                }
                spare = chunk.into_spare();
                continue;
            }
            Ok(None) => {}
            Err(e) => return (Err(e.to_string()), chunks),
        }
        let result = reader.read(&mut rec);
        match row(result, &rec, &mut rows) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return (Err(e), chunks),
        }
    }
    (Ok((reader.info().columns.clone(), rows)), chunks)
}

/// Rows taken as chunks are the rows read one by one, with their lines
/// and errors, and chunks are taken where the text allows.
#[test]
fn chunks_read_as_rows_do() {
    let mut text = String::from("id,name,note\n");
    for i in 0..300 {
        match i % 6 {
            0 => text.push_str(&format!("{i},\"a, \"\"quoted\"\" name\",x\n")),
            1 => text.push_str(&format!("{i},\"two\nlines\",\"\"\n")),
            2 => text.push_str(&format!("{i},short\n")),
            3 => text.push_str("\n   \n"),
            _ => text.push_str(&format!("{i},plain {i},y\n")),
        }
    }
    for fill in [7, 64, 300, FILL_BYTES] {
        let want = read_all(text.as_bytes(), Some(b','), fill);
        let (got, chunks) = read_all_chunked(text.as_bytes(), Some(b','), fill);
        assert_eq!(got, want, "fill {fill}");
        assert!(chunks > 0, "fill {fill}: no chunk taken");
    }
    // CRLF line ends are cut as well.
    let crlf = text.replace('\n', "\r\n");
    let want = read_all(crlf.as_bytes(), Some(b','), FILL_BYTES);
    let (got, chunks) = read_all_chunked(crlf.as_bytes(), Some(b','), FILL_BYTES);
    assert_eq!(got, want, "CRLF");
    assert!(chunks > 0, "CRLF: no chunk taken");
    // A lone CR, or a quote inside a cell, and the rows are read one by
    // one, the same.
    for text in [
        "id,n\r1,a\r2,b\r",
        "id,n\n1,a\"b\n2,c\n",
        "id,n\n1,\"a\"b\n2,c\n",
    ] {
        let want = read_all(text.as_bytes(), Some(b','), FILL_BYTES);
        let (got, _) = read_all_chunked(text.as_bytes(), Some(b','), FILL_BYTES);
        assert_eq!(got, want, "{text:?}");
    }
}

fn ok(line: u64, cells: &[&str]) -> Row {
    Ok((line, cells.iter().map(|c| c.to_string()).collect()))
}

/// `at_fill` says when the next row reads more of the input: whenever
/// it says so, the next row does, and it says so about once a fill.
#[test]
fn at_fill_is_where_the_next_row_reads_more() {
    let mut text = String::from("id,name\n");
    for i in 0..400 {
        match i % 5 {
            0 => text.push_str(&format!("{i},\"two\nlines\"\n")),
            1 => text.push_str(&format!("{i},crlf\r\n")),
            _ => text.push_str(&format!("{i},plain {i}\n")),
        }
    }
    for fill in [16, 64, 100, 1000] {
        let (counted, reads) = crate::input::counting::Counted::new(text.clone().into_bytes());
        let stream: Stream = Box::new(counted);
        let mut reader =
            CsvReader::with_fill_size("t", stream, InputFormat::Csv, Some(b','), fill).unwrap();
        let (rows, said) = crate::input::counting::rows_and_fills(
            &reads,
            &mut reader,
            |r| r.at_fill(),
            |r, rec| r.read(rec).unwrap(),
        );
        assert_eq!(rows, 400);
        let fills = text.len() / fill;
        assert!(
            said * 2 >= fills.min(rows) && said <= rows,
            "fill {fill}: at_fill said {said} times over {fills} fills"
        );
    }
}

/// Records and lines come out the same whatever the fill size: records
/// straddle fills, a CRLF is split between two, a CR ends a fill.
#[test]
fn lines_in_any_fill_size() {
    #[rustfmt::skip]
    let cases: [(&str, Vec<Row>); 8] = [
        ("id,n\r\n1,\"a\r\nb\"\r\n2,c\r\n",        vec![ok(2, &["1", "a\r\nb"]), ok(4, &["2", "c"])]),
        ("id,n\r1,a\r\r2,\"b\rc\"\r3,d",             vec![ok(2, &["1", "a"]), ok(4, &["2", "b\rc"]), ok(6, &["3", "d"])]),
        ("\n\r\n\rid,n\n\n1,a\r\n\r\n\r2,b",          vec![ok(6, &["1", "a"]), ok(9, &["2", "b"])]),
        ("id,n\n1,\"a\nb\n",                         vec![ok(2, &["1", "a\nb\n"])]),
        ("id,n\n1,\"a\r",                            vec![ok(2, &["1", "a\r"])]),
        ("\u{FEFF}id,n\n1,a",                         vec![ok(2, &["1", "a"])]),
        ("id,n\n  \r\n1,\"x\"\"y\"\r\n\n",              vec![ok(3, &["1", "x\"y"])]),
        ("id,n\r\n\r\n\r\n1,\"\r\n\r\n,\r\n\"\r\n",          vec![ok(4, &["1", "\r\n\r\n,\r\n"])]),
    ];
    for (text, want) in cases {
        let bytes = text.as_bytes();
        let columns = vec!["id".to_string(), "n".to_string()];
        for fill in (1..=bytes.len() + 1).chain([FILL_BYTES]) {
            for delimiter in [Some(b','), None] {
                assert_eq!(
                    read_all(bytes, delimiter, fill),
                    Ok((columns.clone(), want.clone())),
                    "{text:?} in fills of {fill}"
                );
            }
        }
    }
}

/// A record over the bounds is parsed to its end without being held,
/// however the fills cut it; the next record's line counts its lines.
#[test]
fn records_over_the_bounds_across_fills() {
    // Over a million delimiters, most of them quoted, on four lines
    // (the last ended by a lone CR).
    let mut many = b"id,n\n1,a\n2,\"".to_vec();
    for _ in 0..3 {
        many.extend(std::iter::repeat_n(b',', 400_000));
        many.extend_from_slice(b"\r\n");
    }
    many.extend_from_slice(b"\"\r3,c\n");
    // Over 32 MiB, the quote closed on the third line.
    let mut large = b"id,n\n1,a\n2,\"".to_vec();
    large.extend(std::iter::repeat_n(b'x', 33 << 20));
    large.extend_from_slice(b"\n\n\"\"\"\n3,c\n");
    let limits = limits();
    for (bytes, skipped) in [
        (&many, "lines 3 to 6 were skipped"),
        (&large, "lines 3 to 5 were skipped"),
    ] {
        for fill in [4099, 65_536, FILL_BYTES] {
            let (_, rows) = read_all(bytes, Some(b','), fill).unwrap();
            assert_eq!(
                rows,
                vec![
                    ok(2, &["1", "a"]),
                    Err(format!("t:3: the row is {limits}; {skipped}")),
                    ok(if bytes == &many { 7 } else { 6 }, &["3", "c"]),
                ],
                "fills of {fill}"
            );
        }
    }
    // A quote left open: the rest of the input goes, and the error says so.
    let mut open = b"id,n\n1,\"a\n".to_vec();
    open.extend(std::iter::repeat_n(b"2,b\r\n".as_slice(), (33 << 20) / 5).flatten());
    let (_, rows) = read_all(&open, Some(b','), 100_003).unwrap();
    assert_eq!(
        rows,
        vec![Err(format!(
            "t:2: the row is {limits}, and a quote opened in it is never closed: the rest \
             of the input was skipped"
        ))]
    );
    // The header over the bounds ends reading.
    let err = read_all(&many[9..], Some(b','), 4099).unwrap_err();
    assert_eq!(
        err,
        format!("t:1: the record starting here is {limits}; is a quote left open?")
    );
}

/// The text of a record can be valid UTF-8 while its cells are not: a
/// delimiter cuts a character in two.
#[test]
fn a_cell_cut_inside_a_character_is_not_utf8() {
    let bytes = b"a,b\nx\xC3,\xA9y\n\"\xC3\",\"\xA9\"\n\xC3\xA9,\"\xE2\x82\xAC,\"\n";
    let (_, rows) = read_all(bytes, Some(b','), FILL_BYTES).unwrap();
    let hint = "is not valid UTF-8 (try --encoding windows-1252)";
    assert_eq!(
        rows,
        vec![
            Err(format!("t:2: column \"a\": `x\\xC3` {hint}")),
            Err(format!("t:3: column \"a\": `\\xC3` {hint}")),
            ok(4, &["é", "€,"]),
        ]
    );
}

/// The line breaks before byte `at`, counted the simple way.
fn line_of(text: &[u8], at: usize) -> u64 {
    let mut line = 1;
    for (i, &b) in text.iter().enumerate().take(at) {
        // A CR followed by an LF is counted at the LF.
        if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
            line += 1;
        }
    }
    line
}

/// What the reader should give, from the `csv` crate's records: cells,
/// and start lines from where the crate started reading each record.
fn oracle(text: &[u8]) -> Result<(Vec<String>, Vec<Row>), String> {
    let mut csv = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut records = Vec::new();
    let mut record = ::csv::ByteRecord::new();
    while csv.read_byte_record(&mut record).unwrap() {
        let mut start = record.position().unwrap().byte() as usize;
        while matches!(text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let cells: Vec<String> = record
            .iter()
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        records.push((line_of(text, start), cells));
    }
    let mut records = records.into_iter();
    let Some((_, columns)) = records.next() else {
        return Err("t: the file is empty: no header".to_string());
    };
    let mut rows = Vec::new();
    for (line, cells) in records {
        if columns.len() > 1 && cells.len() == 1 && cells[0].trim_ascii().is_empty() {
            continue;
        }
        if cells.len() == columns.len() {
            rows.push(Ok((line, cells)));
        } else {
            let hint = if cells.len() < columns.len() && cells.iter().any(|c| c.contains('\n')) {
                "; a quote in it may never be closed, which joins the lines after it into one cell"
            } else {
                ""
            };
            rows.push(Err(format!(
                "t:{line}: the row has {} cells, the header has {}{hint}",
                cells.len(),
                columns.len()
            )));
        }
    }
    Ok((columns, rows))
}

fn csv_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => Just("a"),
        1 => Just("é"),
        1 => Just("€"),
        4 => Just(","),
        3 => Just("\""),
        3 => Just("\n"),
        2 => Just("\r"),
        2 => Just("\r\n"),
        1 => Just(" "),
    ];
    prop::collection::vec(piece, 0..120).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Cells as the `csv` crate reads them, lines counted from where it
    /// started each record, in any fill size.
    #[test]
    fn same_records_as_the_csv_crate(text in csv_text(), fill in 1usize..16) {
        let want = oracle(text.as_bytes());
        prop_assert_eq!(&read_all(text.as_bytes(), Some(b','), fill), &want, "{:?}", text);
        prop_assert_eq!(&read_all(text.as_bytes(), Some(b','), FILL_BYTES), &want, "{:?}", text);
    }

    /// Rows taken as chunks wherever the reader can are the same.
    #[test]
    fn same_records_taken_as_chunks(text in csv_text(), fill in 1usize..16) {
        // Without CRs too, where chunks can be taken.
        for text in [text.clone(), text.replace('\r', "")] {
            let want = read_all(text.as_bytes(), Some(b','), fill);
            prop_assert_eq!(&read_all_chunked(text.as_bytes(), Some(b','), fill).0, &want, "{:?}", text);
            prop_assert_eq!(&read_all_chunked(text.as_bytes(), Some(b','), FILL_BYTES).0, &want, "{:?}", text);
        }
    }
}

#[test]
fn sniffs_each_delimiter() {
    let cases: [(&str, u8); 9] = [
        ("a,b,c\n1,2,3\n", b','),
        ("a;b;c\n1;2,5;3\n", b';'),
        ("a\tb\tc\n1\t2, 3\t4\n", b'\t'),
        ("a|b|c\n1|2|3\n", b'|'),
        ("single\n1\n2\n", b','),
        ("", b','),
        // commas in the header's quoted names do not count
        ("\"a,x\";\"b,y\";c\n1;2;3\n", b';'),
        // the header has one comma and one semicolon: the rows decide
        ("name;cost, eur\nx;1\ny;2\n", b';'),
        // a quoted cell spanning lines is one record
        ("a,b\n\"x\ny;z;w\",2\n3,4\n", b','),
    ];
    for (text, want) in cases {
        assert_eq!(
            sniff_delimiter(text.as_bytes(), true) as char,
            want as char,
            "{text:?}"
        );
    }
}

/// Line breaks counted over the bytes in one piece, and split at every
/// byte: a CR at the end of a piece waits for the next.
#[test]
fn line_breaks_in_any_pieces() {
    let cases: [(&[u8], u64); 8] = [
        (b"", 0),
        (b"a\nb", 1),
        (b"a\r\nb", 1),
        (b"a\rb", 1),
        (b"a\r", 1),
        (b"\r\r\n\n", 3),
        (b"\n\r", 2),
        (b"x\r\r\r\n\ny\rz", 5),
    ];
    for (bytes, want) in cases {
        let count = |pieces: &[&[u8]]| {
            let mut lines = Lines::default();
            for piece in pieces {
                lines.advance(piece);
            }
            lines.complete + u64::from(lines.pending_cr)
        };
        assert_eq!(count(&[bytes]), want, "{bytes:?}");
        let each: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(count(&each), want, "{bytes:?} byte by byte");
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(count(&[a, b]), want, "{bytes:?} cut at {cut}");
        }
    }
}

#[test]
fn sniffer_ignores_a_cut_last_line() {
    // Only the header is complete: the cut line is not compared.
    assert_eq!(sniff_delimiter(b"a;b\n1;2;3;4", false), b';');
    assert_eq!(count_delimiters(b"a;b\n1;2;3;4", b';', false, 5), vec![1]);
    assert_eq!(
        count_delimiters(b"a;b\r\n1;2;3;4", b';', true, 5),
        vec![1, 3]
    );
}
