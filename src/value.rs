//! Runtime values of the rule language and the types they belong to.

use std::borrow::Cow;
use std::fmt;

/// A value of a field, let, score or output for one task.
///
/// Text borrows from the input record where it can, so reading a row does not
/// allocate for text fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// No value: an empty optional cell, an absent JSON value, or the result of
    /// an operation on a missing operand.
    Missing,
    /// A finite number.
    Num(f64),
    Bool(bool),
    Text(Cow<'a, str>),
    /// An enum value, as its index in the enum's declared values.
    Enum(u16),
    /// A date, as days since 1970-01-01.
    Date(i32),
}

impl<'a> Value<'a> {
    /// A copy that borrows from `self` instead of owning its text.
    pub fn reborrow(&self) -> Value<'_> {
        match self {
            Value::Missing => Value::Missing,
            Value::Num(n) => Value::Num(*n),
            Value::Bool(b) => Value::Bool(*b),
            Value::Text(t) => Value::Text(Cow::Borrowed(t.as_ref())),
            Value::Enum(i) => Value::Enum(*i),
            Value::Date(d) => Value::Date(*d),
        }
    }

    /// The same value with owned text, free of the input record's lifetime.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Missing => Value::Missing,
            Value::Num(n) => Value::Num(n),
            Value::Bool(b) => Value::Bool(b),
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Enum(i) => Value::Enum(i),
            Value::Date(d) => Value::Date(d),
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

/// The type of a field as declared in an `input` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    Bool,
    Date,
    /// An enum with its values in declared order (as written in the rule file).
    Enum(Vec<String>),
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Text => f.write_str("text"),
            FieldType::Number => f.write_str("number"),
            FieldType::Bool => f.write_str("bool"),
            FieldType::Date => f.write_str("date"),
            FieldType::Enum(values) => write!(f, "enum({})", values.join(", ")),
        }
    }
}

/// Formats a number the way people write it: `40`, not `40.0`; `0.45`, not
/// `0.45000000000000001`. Values are rounded to 15 significant digits, which
/// hides the binary floating-point noise of arithmetic such as `0.1 + 0.2`,
/// and printed in the shortest form: positional from `1e-7` up to `1e21`,
/// else with an exponent (`7e-200`, `1.5e26`), never rounded to `0`.
pub fn format_number(n: f64) -> String {
    let mut s = String::new();
    write_number(&mut s, n);
    s
}

/// Appends a number to `out` as [`format_number`] prints it, without
/// allocating when `out` has room.
pub fn write_number(out: &mut String, n: f64) {
    use std::fmt::Write;
    if n == 0.0 {
        out.push('0');
        return;
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        write_integer(out, n as i64);
        return;
    }
    if !n.is_finite() {
        let _ = write!(out, "{n}");
        return;
    }
    let start = out.len();
    // `d.dddddddddddddde±x`: 15 significant digits, correctly rounded.
    let _ = write!(out, "{:.14e}", n.abs());
    let mut digits = [0u8; 15];
    let mut count = 0;
    let mut exponent: i32 = 0;
    if let Some((mantissa, exp)) = out.get(start..).and_then(|s| s.split_once('e')) {
        for b in mantissa.bytes().filter(u8::is_ascii_digit) {
            if let Some(d) = digits.get_mut(count) {
                *d = b;
                count += 1;
            }
        }
        exponent = exp.parse().unwrap_or(0);
    }
    out.truncate(start);
    while count > 1 && digits.get(count - 1) == Some(&b'0') {
        count -= 1;
    }
    let digits = digits.get(..count).unwrap_or_default();
    if n < 0.0 {
        out.push('-');
    }
    let push = |out: &mut String, ds: &[u8]| ds.iter().for_each(|&d| out.push(char::from(d)));
    if (-7..21).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            (1..-exponent).for_each(|_| out.push('0'));
            push(out, digits);
        } else {
            let whole = exponent as usize + 1;
            push(out, digits.get(..whole.min(count)).unwrap_or_default());
            (count..whole).for_each(|_| out.push('0'));
            if let Some(fraction) = digits.get(whole..).filter(|f| !f.is_empty()) {
                out.push('.');
                push(out, fraction);
            }
        }
    } else {
        push(out, digits.get(..1).unwrap_or_default());
        if let Some(fraction) = digits.get(1..).filter(|f| !f.is_empty()) {
            out.push('.');
            push(out, fraction);
        }
        let _ = write!(out, "e{exponent}");
    }
}

/// Appends an integer in decimal, as `{}` formats it.
fn write_integer(out: &mut String, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || at == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for &d in digits.get(at..).unwrap_or_default() {
        out.push(char::from(d));
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, or `None` when the
/// month or day is out of range.
pub fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i32> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The (year, month, day) of a count of days since 1970-01-01.
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD` exactly (four, two and two digits) into days since
/// 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    days_from_civil(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// Formats days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_without_noise() {
        let cases = [
            (40.0, "40"),
            (0.45, "0.45"),
            (0.1 + 0.2, "0.3"),
            (-3.5, "-3.5"),
            (1e-7, "0.0000001"),
            (123456.789, "123456.789"),
            (-0.0, "0"),
            (2.0 / 3.0, "0.666666666666667"),
            (1.0 / 3.0, "0.333333333333333"),
            (7e-200, "7e-200"),
            (-1.5e-8, "-1.5e-8"),
            (0.000123456789123, "0.000123456789123"),
            (1e26, "1e26"),
            (1.5e21, "1.5e21"),
            (123456789012345678.0, "123456789012346000"),
            (1e15 + 0.5, "1000000000000000"),
            (34.0 * 160.0 * 0.6, "3264"),
            (99.99999999999999, "100"),
            (f64::MIN_POSITIVE, "2.2250738585072e-308"),
        ];
        for (n, want) in cases {
            assert_eq!(format_number(n), want, "{n}");
        }
        for i in [
            1i64,
            -1,
            9,
            10,
            -10,
            99,
            100,
            12345,
            -987654321,
            999_999_999_999_999,
        ] {
            assert_eq!(format_number(i as f64), i.to_string(), "{i}");
        }
    }

    #[test]
    fn dates_round_trip() {
        for s in [
            "1970-01-01",
            "2000-02-29",
            "2027-06-30",
            "1899-12-31",
            "2400-02-29",
        ] {
            let d = parse_date(s).unwrap();
            assert_eq!(format_date(d), s);
        }
        assert_eq!(parse_date("1970-01-02"), Some(1));
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "2023/01/01",
            "20230101xx",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
