//! Row-by-row comparison of outsort's results with the hand-written
//! classifier's: a fast wrong answer is worthless.
//!
//! Cells are compared as text, so numbers are compared as printed.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

fn reader(path: &Path) -> Result<csv::Reader<BufReader<File>>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(csv::Reader::from_reader(BufReader::with_capacity(
        1 << 16,
        file,
    )))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Compares two CSV files: the same header, then the same cells on every row,
/// in the same order. Returns the number of rows compared.
pub fn csv_files(expected: &Path, actual: &Path) -> Result<u64, String> {
    let mut want = reader(expected)?;
    let mut got = reader(actual)?;
    let header = want.byte_headers().map_err(|e| e.to_string())?.clone();
    let got_header = got.byte_headers().map_err(|e| e.to_string())?.clone();
    if header != got_header {
        return Err(format!(
            "the columns differ:\n  expected {:?}\n  outsort  {:?}",
            header.iter().map(text).collect::<Vec<_>>(),
            got_header.iter().map(text).collect::<Vec<_>>()
        ));
    }
    let (mut a, mut b) = (csv::ByteRecord::new(), csv::ByteRecord::new());
    let mut row = 0u64;
    loop {
        let more_a = want.read_byte_record(&mut a).map_err(|e| e.to_string())?;
        let more_b = got.read_byte_record(&mut b).map_err(|e| e.to_string())?;
        match (more_a, more_b) {
            (false, false) => return Ok(row),
            (true, false) => return Err(format!("outsort wrote {row} rows, expected more")),
            (false, true) => {
                return Err(format!("outsort wrote more than the {row} rows expected"));
            }
            (true, true) => {}
        }
        row += 1;
        if a != b {
            let column = (0..a.len().max(b.len()))
                .find(|&i| a.get(i) != b.get(i))
                .unwrap_or(0);
            return Err(format!(
                "row {row} (task `{}`), column `{}`: expected `{}`, outsort wrote `{}`",
                text(a.get(0).unwrap_or_default()),
                text(header.get(column).unwrap_or_default()),
                text(a.get(column).unwrap_or_default()),
                text(b.get(column).unwrap_or_default()),
            ));
        }
    }
}

/// A JSON value as the text a CSV cell would hold.
fn json_cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Compares outsort's NDJSON output with the expected CSV: for each row the
/// key, label, reason, scores, outputs and carried input columns. `scores`
/// and `outputs` name the added columns of each kind.
pub fn ndjson_file(
    expected: &Path,
    actual: &Path,
    scores: &[&str],
    outputs: &[&str],
) -> Result<u64, String> {
    let mut want = reader(expected)?;
    let header: Vec<String> = want
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_string)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no column `{name}` in the expected output"))
    };
    let (label, reason) = (col("label")?, col("reason")?);
    let score_cols = scores
        .iter()
        .map(|s| col(s))
        .collect::<Result<Vec<_>, _>>()?;
    let output_cols = outputs
        .iter()
        .map(|s| col(s))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs = score_cols.iter().copied().min().unwrap_or(header.len());
    let mut lines = BufReader::with_capacity(
        1 << 16,
        File::open(actual).map_err(|e| format!("{}: {e}", actual.display()))?,
    )
    .lines();
    let mut rec = csv::StringRecord::new();
    let mut row = 0u64;
    while want.read_record(&mut rec).map_err(|e| e.to_string())? {
        row += 1;
        let line = match lines.next() {
            Some(l) => l.map_err(|e| e.to_string())?,
            None => return Err(format!("outsort wrote {} rows, expected more", row - 1)),
        };
        let obj: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("row {row}: {e}"))?;
        let mut checks: Vec<(String, String, String)> = vec![
            ("key".into(), rec[0].to_string(), json_cell(obj.get("key"))),
            (
                "label".into(),
                rec[label].to_string(),
                json_cell(obj.get("label")),
            ),
            (
                "reason".into(),
                rec[reason].to_string(),
                json_cell(obj.get("reason")),
            ),
        ];
        for (name, &c) in scores.iter().zip(&score_cols) {
            let got = obj.get("scores").and_then(|s| s.get(*name));
            checks.push((format!("scores.{name}"), rec[c].to_string(), json_cell(got)));
        }
        for (name, &c) in outputs.iter().zip(&output_cols) {
            let got = obj.get("outputs").and_then(|s| s.get(*name));
            checks.push((
                format!("outputs.{name}"),
                rec[c].to_string(),
                json_cell(got),
            ));
        }
        for (c, name) in header.iter().enumerate().take(inputs) {
            let got = obj.get("input").and_then(|s| s.get(name));
            checks.push((format!("input.{name}"), rec[c].to_string(), json_cell(got)));
        }
        if let Some((what, want, got)) = checks.into_iter().find(|(_, w, g)| w != g) {
            return Err(format!(
                "row {row} (task `{}`), `{what}`: expected `{want}`, outsort wrote `{got}`",
                &rec[0]
            ));
        }
    }
    if lines.next().is_some() {
        return Err(format!("outsort wrote more than the {row} rows expected"));
    }
    Ok(row)
}
