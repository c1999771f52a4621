//! The ceiling: benches/bench.rules written by hand in Rust, reading and
//! writing CSV with the `csv` crate as outsort does, with the same output
//! columns as `outsort classify -f csv` (input columns, scores, label, reason,
//! outputs).
//!
//! It converts cells as SPEC §3 says for this layout (numbers, bools in all six
//! spellings, enums in any case, defaults for blank cells), so it does the
//! same work per row as outsort and nothing more. A change to bench.rules must
//! be made here too; the benchmark compares the outputs row by row.

use serde::Deserialize;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use crate::generate::COLUMNS;

/// The columns outsort adds, in order: scores, label, reason, outputs.
const ADDED: [&str; 7] = [
    "knowledge",
    "outsourceability",
    "label",
    "reason",
    "monthly_savings",
    "destination",
    "accountable",
];

/// The typed fields of one task, text borrowed from the record.
struct Task<'a> {
    department: &'a str,
    category: &'a str,
    hours: f64,
    hourly_cost: f64,
    /// none, training, certification, degree, advanced.
    skill: u8,
    core: bool,
    /// low, medium, high.
    sensitivity: u8,
    standardized: f64,
    regulated: bool,
    bottleneck: bool,
    languages: f64,
    same_day: bool,
    anonymised: bool,
    owner: Option<&'a str>,
}

const TRAINING: u8 = 1;
const DEGREE: u8 = 3;
const MEDIUM: u8 = 1;
const HIGH: u8 = 2;

#[derive(Clone, Copy, PartialEq)]
enum Label {
    InHouse,
    Kpo,
    Bpo,
}

/// Buffers reused from row to row.
#[derive(Default)]
struct Scratch {
    lower: String,
    reason: String,
    knowledge: String,
    outsourceability: String,
    savings: String,
}

/// The results of one task, written into `scratch` except the borrowed ones.
struct Classified<'a> {
    label: Label,
    destination: &'static str,
    accountable: &'a str,
}

fn classify<'a>(t: &Task<'a>, s: &mut Scratch) -> Classified<'a> {
    s.lower.clear();
    s.lower
        .extend(t.category.chars().flat_map(char::to_lowercase));
    let kpo_service = matches!(
        s.lower.as_str(),
        "market research"
            | "financial analysis"
            | "risk management"
            | "data analytics"
            | "healthcare data"
            | "healthcare research"
            | "legal research"
            | "document review"
            | "content creation"
    );
    let bpo_service = matches!(
        s.lower.as_str(),
        "customer service"
            | "data entry"
            | "invoice processing"
            | "accounts payable"
            | "payroll"
            | "claims processing"
            | "order processing"
            | "it helpdesk"
            | "back office"
            | "transcription"
    );
    let monthly_cost = t.hours * t.hourly_cost;

    let mut k = 10.0;
    let mut o = 50.0;
    k += [0.0, 10.0, 25.0, 35.0, 50.0][usize::from(t.skill)];
    if kpo_service {
        k += 25.0;
        o += 10.0;
    }
    if bpo_service {
        k -= 10.0;
        o += 10.0;
    }
    o += (t.standardized * 20.0).round();
    k -= (t.standardized * 10.0).round();
    if t.core {
        k += 5.0;
        o -= 30.0;
    } else {
        o += 10.0;
    }
    if t.bottleneck {
        o += 15.0;
    }
    if t.hours >= 120.0 && !t.core {
        o += 10.0;
    }
    if monthly_cost >= 5_000.0 {
        o += 10.0;
    }
    if t.hours < 10.0 {
        o -= 20.0;
    }
    if t.sensitivity == MEDIUM {
        o -= 10.0;
    }
    if t.sensitivity == HIGH {
        k += 5.0;
        o -= if t.anonymised { 15.0 } else { 50.0 };
    }
    if t.regulated {
        k += 5.0;
        o -= 5.0;
    }
    if t.languages >= 3.0 {
        k += 10.0;
    }
    if t.same_day && t.skill <= TRAINING {
        o -= 5.0;
    }
    if t.hourly_cost >= 90.0 && t.skill >= DEGREE {
        k += 10.0;
        o -= 5.0;
    }
    let k: f64 = k.clamp(0.0, 100.0);
    let o: f64 = o.clamp(0.0, 100.0);

    s.reason.clear();
    let label = if o < 50.0 {
        s.reason.push_str("outsourceability ");
        number(o, &mut s.reason);
        s.reason.push_str(" is below 50");
        Label::InHouse
    } else if k >= 55.0 {
        s.reason.push_str("knowledge-intensive work (knowledge ");
        number(k, &mut s.reason);
        s.reason.push(')');
        Label::Kpo
    } else if t.standardized >= 0.5 {
        s.reason.push_str("routine work, ");
        number((t.standardized * 100.0).round(), &mut s.reason);
        s.reason.push_str("% by written procedure");
        Label::Bpo
    } else {
        s.reason.push_str("neither routine nor knowledge-intensive");
        Label::InHouse
    };
    let rate = match label {
        Label::Kpo => 0.6,
        Label::Bpo => 0.4,
        Label::InHouse => 1.0,
    };
    let savings = (monthly_cost * (1.0 - rate)).round();
    let destination = if label == Label::InHouse {
        "none"
    } else if t.regulated {
        "Poland"
    } else if t.languages >= 3.0 {
        "Malaysia"
    } else {
        "India"
    };
    s.knowledge.clear();
    number(k, &mut s.knowledge);
    s.outsourceability.clear();
    number(o, &mut s.outsourceability);
    s.savings.clear();
    number(savings, &mut s.savings);
    Classified {
        label,
        destination,
        accountable: t.owner.unwrap_or(t.department),
    }
}

/// Appends a number as outsort prints it: integers without a fraction, others
/// to 10 significant digits without trailing zeros.
fn number(n: f64, out: &mut String) {
    if n == 0.0 {
        out.push('0');
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
    } else {
        let magnitude = n.abs().log10().floor() as i32;
        let decimals = (9 - magnitude).clamp(0, 17) as usize;
        let s = format!("{n:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        out.push_str(if s == "-0" { "0" } else { s });
    }
}

fn label_name(l: Label) -> &'static str {
    match l {
        Label::InHouse => "in_house",
        Label::Kpo => "kpo",
        Label::Bpo => "bpo",
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn num(s: &str, column: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n + 0.0),
        _ => Err(format!("{column}: `{s}` is not a number")),
    }
}

fn boolean(s: &str, column: &str) -> Result<bool, String> {
    let t = s.trim();
    if ["true", "yes", "y", "1"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        Ok(true)
    } else if ["false", "no", "n", "0"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        Ok(false)
    } else {
        Err(format!("{column}: `{s}` is not a bool"))
    }
}

fn enumeration(s: &str, values: &[&str], column: &str) -> Result<u8, String> {
    let t = s.trim();
    values
        .iter()
        .position(|v| t.eq_ignore_ascii_case(v))
        .map(|i| i as u8)
        .ok_or_else(|| format!("{column}: `{s}` is not one of {}", values.join(", ")))
}

const SKILLS: [&str; 5] = ["none", "training", "certification", "degree", "advanced"];
const SENSITIVITIES: [&str; 3] = ["low", "medium", "high"];

/// A bool with a default of false: blank cells take it.
fn flag(s: &str, column: &str) -> Result<bool, String> {
    if blank(s) {
        Ok(false)
    } else {
        boolean(s, column)
    }
}

/// Converts the cells of a CSV row in the layout of [`COLUMNS`].
fn from_cells<'a>(c: &[&'a str; 16]) -> Result<Task<'a>, String> {
    Ok(Task {
        department: c[2],
        category: c[3],
        hours: num(c[4], COLUMNS[4])?,
        hourly_cost: num(c[5], COLUMNS[5])?,
        skill: enumeration(c[6], &SKILLS, COLUMNS[6])?,
        core: boolean(c[7], COLUMNS[7])?,
        sensitivity: if blank(c[8]) {
            0
        } else {
            enumeration(c[8], &SENSITIVITIES, COLUMNS[8])?
        },
        standardized: num(c[9], COLUMNS[9])?,
        regulated: flag(c[10], COLUMNS[10])?,
        bottleneck: flag(c[11], COLUMNS[11])?,
        languages: if blank(c[12]) {
            1.0
        } else {
            num(c[12], COLUMNS[12])?
        },
        same_day: flag(c[13], COLUMNS[13])?,
        anonymised: flag(c[14], COLUMNS[14])?,
        owner: if blank(c[15]) { None } else { Some(c[15]) },
    })
}

fn write_added<W: Write>(
    out: &mut csv::Writer<W>,
    r: &Classified<'_>,
    s: &Scratch,
) -> csv::Result<()> {
    out.write_field(&s.knowledge)?;
    out.write_field(&s.outsourceability)?;
    out.write_field(label_name(r.label))?;
    out.write_field(&s.reason)?;
    out.write_field(&s.savings)?;
    out.write_field(r.destination)?;
    out.write_field(r.accountable)?;
    out.write_record(None::<&[u8]>)
}

fn output(path: &Path) -> io::Result<csv::Writer<BufWriter<File>>> {
    let mut out = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, File::create(path)?));
    out.write_record(COLUMNS.iter().chain(ADDED.iter()))?;
    Ok(out)
}

/// Classifies a CSV inventory into `output`; returns the number of tasks.
pub fn csv_to_csv(input: &Path, output_path: &Path) -> Result<u64, String> {
    let mut rdr = csv::Reader::from_reader(BufReader::with_capacity(
        1 << 16,
        File::open(input).map_err(|e| e.to_string())?,
    ));
    let header = rdr.byte_headers().map_err(|e| e.to_string())?;
    if header.iter().ne(COLUMNS.iter().map(|c| c.as_bytes())) {
        return Err("the inventory is not in the layout of examples/tasks.csv".into());
    }
    let mut out = output(output_path).map_err(|e| e.to_string())?;
    let mut rec = csv::ByteRecord::new();
    let mut s = Scratch::default();
    let mut n = 0u64;
    while rdr.read_byte_record(&mut rec).map_err(|e| e.to_string())? {
        let mut cells = [""; 16];
        if rec.len() != cells.len() {
            return Err(format!("row {}: {} cells", n + 1, rec.len()));
        }
        for (cell, bytes) in cells.iter_mut().zip(rec.iter()) {
            *cell = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        }
        let task = from_cells(&cells).map_err(|e| format!("row {}: {e}", n + 1))?;
        let r = classify(&task, &mut s);
        for cell in cells {
            out.write_field(cell).map_err(|e| e.to_string())?;
        }
        write_added(&mut out, &r, &s).map_err(|e| e.to_string())?;
        n += 1;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(n)
}

/// One NDJSON task as serde reads it.
#[derive(Deserialize)]
struct JsonTask<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    department: Cow<'a, str>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    hours_per_month: f64,
    hourly_cost: f64,
    #[serde(borrow)]
    skill: Cow<'a, str>,
    core: bool,
    #[serde(borrow)]
    data_sensitivity: Option<Cow<'a, str>>,
    standardized: f64,
    regulated: Option<bool>,
    bottleneck: Option<bool>,
    languages: Option<f64>,
    same_day: Option<bool>,
    anonymised: Option<bool>,
    #[serde(borrow)]
    owner: Option<Cow<'a, str>>,
}

/// Classifies an NDJSON inventory into CSV at `output`, carrying the input
/// values as outsort does (numbers and bools as their JSON text, null as an
/// empty cell); returns the number of tasks.
pub fn ndjson_to_csv(input: &Path, output_path: &Path) -> Result<u64, String> {
    let mut rdr = BufReader::with_capacity(1 << 16, File::open(input).map_err(|e| e.to_string())?);
    let mut out = output(output_path).map_err(|e| e.to_string())?;
    let mut line = Vec::new();
    let mut s = Scratch::default();
    let mut text = String::new();
    let mut n = 0u64;
    loop {
        line.clear();
        if rdr
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?
            == 0
        {
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let j: JsonTask<'_> =
            serde_json::from_slice(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let sensitivity = match j.data_sensitivity.as_deref() {
            Some(v) if !blank(v) => enumeration(v, &SENSITIVITIES, COLUMNS[8])?,
            _ => 0,
        };
        let task = Task {
            department: &j.department,
            category: &j.category,
            hours: j.hours_per_month,
            hourly_cost: j.hourly_cost,
            skill: enumeration(&j.skill, &SKILLS, COLUMNS[6])?,
            core: j.core,
            sensitivity,
            standardized: j.standardized,
            regulated: j.regulated.unwrap_or(false),
            bottleneck: j.bottleneck.unwrap_or(false),
            languages: j.languages.unwrap_or(1.0),
            same_day: j.same_day.unwrap_or(false),
            anonymised: j.anonymised.unwrap_or(false),
            owner: j.owner.as_deref().filter(|o| !blank(o)),
        };
        let r = classify(&task, &mut s);
        let w = |out: &mut csv::Writer<_>, v: &str| out.write_field(v).map_err(|e| e.to_string());
        w(&mut out, &j.id)?;
        w(&mut out, &j.name)?;
        w(&mut out, &j.department)?;
        w(&mut out, &j.category)?;
        for v in [j.hours_per_month, j.hourly_cost] {
            text.clear();
            let _ = write!(text, "{v}");
            w(&mut out, &text)?;
        }
        w(&mut out, &j.skill)?;
        w(&mut out, bool_text(Some(j.core)))?;
        w(&mut out, j.data_sensitivity.as_deref().unwrap_or(""))?;
        text.clear();
        let _ = write!(text, "{}", j.standardized);
        w(&mut out, &text)?;
        w(&mut out, bool_text(j.regulated))?;
        w(&mut out, bool_text(j.bottleneck))?;
        text.clear();
        if let Some(l) = j.languages {
            let _ = write!(text, "{l}");
        }
        w(&mut out, &text)?;
        w(&mut out, bool_text(j.same_day))?;
        w(&mut out, bool_text(j.anonymised))?;
        w(&mut out, j.owner.as_deref().unwrap_or(""))?;
        write_added(&mut out, &r, &s).map_err(|e| e.to_string())?;
        n += 1;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(n)
}

fn bool_text(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    }
}
