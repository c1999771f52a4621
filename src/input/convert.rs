//! Conversion of cells and JSON values into typed values (SPEC §3 "Types").
//!
//! The functions here return the message part of an error ("is not a
//! number"); the binding adds the file, line, column and value.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::JsonValue;

use crate::value::{FieldType, Value, parse_date};

/// An empty or whitespace-only cell: the field's default applies.
pub fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        // A visible ASCII character first: not blank, without a scan.
        Some(b) if b.is_ascii_graphic() => false,
        _ => text.trim().is_empty(),
    }
}

/// Currency signs a number cell may carry, before or after it.
const CURRENCY: [char; 5] = ['$', '€', '£', '¥', '₹'];

/// Reads a number as a spreadsheet export writes it: a decimal with
/// optional sign and exponent, surrounding spaces ignored, `45%` is 0.45, a
/// currency sign (`$ € £ ¥ ₹`) before or after dropped. The decimal mark is
/// `.`, or `,` when `decimal_comma` (the CSV delimiter is `;`); the other
/// mark groups digits when every group after the first has three
/// (`1,234,567.89`, `1.234,5`). What could be read two ways (`1.234` with a
/// decimal comma) is an error saying so. NaN, infinities and overflow are
/// errors; `-0` is 0.
pub fn parse_number(text: &str, decimal_comma: bool) -> Result<f64, String> {
    if let Some(n) = plain_decimal(text.as_bytes())
        && !(decimal_comma && dotted_groups(text))
    {
        return Ok(n);
    }
    let trimmed = text.trim();
    let (body, scale) = match trimmed.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), 100.0),
        None => (trimmed, 1.0),
    };
    let body = strip_currency(body);
    let body: &str = &body;
    let unsigned = body.trim_start_matches(['+', '-']);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|w| unsigned.eq_ignore_ascii_case(w))
    {
        return Err("is not a finite number".to_string());
    }
    let owned;
    let body = if body.contains(',') || (decimal_comma && dotted_groups(body)) {
        owned = ungroup(body, decimal_comma)?;
        owned.as_str()
    } else {
        body
    };
    if !is_decimal(body) {
        return Err("is not a number".to_string());
    }
    let n: f64 = body.parse().map_err(|_| "is not a number".to_string())?;
    let n = n / scale;
    if !n.is_finite() {
        return Err("is not a finite number".to_string());
    }
    // Adding 0.0 turns -0 into 0.
    Ok(n + 0.0)
}

/// `body` without one currency sign before or after the number (a sign may
/// stand before the currency: `-$5`, or after it: `$-5`).
fn strip_currency(body: &str) -> Cow<'_, str> {
    let (sign, rest) = match body.strip_prefix(['-', '+']) {
        Some(rest) => (&body[..1], rest.trim_start()),
        None => ("", body),
    };
    if let Some(rest) = rest.strip_prefix(CURRENCY) {
        return Cow::Owned(format!("{sign}{}", rest.trim_start()));
    }
    match body.strip_suffix(CURRENCY) {
        Some(rest) => Cow::Owned(rest.trim_end().to_string()),
        None => Cow::Borrowed(body),
    }
}

/// With a decimal comma, whether the points in `body` may group digits:
/// several of them, or one followed by exactly three digits (`1.234`, which
/// [`ungroup`] finds ambiguous). `1.5` has a decimal point.
fn dotted_groups(body: &str) -> bool {
    match body.matches('.').count() {
        0 => false,
        1 => body.split_once('.').is_some_and(|(_, after)| {
            after.len() == 3 && after.bytes().all(|b| b.is_ascii_digit())
        }),
        _ => true,
    }
}

/// A number written with grouping separators or a decimal comma, as
/// `str::parse` reads it: groups joined, the decimal mark a point.
fn ungroup(body: &str, decimal_comma: bool) -> Result<String, String> {
    let (mark, group) = if decimal_comma {
        (',', '.')
    } else {
        ('.', ',')
    };
    if !decimal_comma && body.contains(',') && !body.contains('.') {
        // `1,5`: a decimal comma, unless the comma groups threes.
        let groups_of_three = body.split(',').skip(1).all(|g| g.len() == 3);
        if !groups_of_three && body.matches(',').count() == 1 {
            return Err(
                "is not a number: a decimal comma is read only when the delimiter \
                 is `;` (write 1.5)"
                    .to_string(),
            );
        }
    }
    let mut parts = body.split(mark);
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    if parts.next().is_some() {
        let what = if decimal_comma {
            "decimal comma"
        } else {
            "decimal point"
        };
        return Err(format!("is not a number: more than one {what}"));
    }
    if fraction.is_some_and(|f| f.contains(group)) {
        return Err(format!(
            "is ambiguous: `{group}` after the decimal mark `{mark}`; write the number \
             without grouping, such as 1234{mark}5"
        ));
    }
    let (sign, digits) = match whole.strip_prefix(['-', '+']) {
        Some(rest) => (&whole[..1], rest),
        None => ("", whole),
    };
    let mut joined = String::from(sign);
    if digits.contains(group) {
        let mut groups = digits.split(group);
        let first = groups.next().unwrap_or("");
        let rest: Vec<&str> = groups.collect();
        let digits_only = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
        let threes = rest.iter().all(|g| g.len() == 3 && digits_only(g));
        // A first group of `0` (`0,125`) or with a leading zero does not
        // group thousands: it is a decimal mark meant another way.
        if first.starts_with('0') {
            return Err(format!(
                "is ambiguous: `{digits}` starts with 0, so `{group}` is not grouping \
                 thousands; write it with the decimal mark `{mark}`"
            ));
        }
        if !(digits_only(first) && first.len() <= 3 && threes) {
            return Err(format!(
                "is not a number: `{group}` groups digits in groups of three \
                 (1{group}234{group}567); write the number without it"
            ));
        }
        // `1.234` with a decimal comma: 1234, or a decimal point meant?
        if let [only] = rest.as_slice()
            && decimal_comma
            && fraction.is_none()
        {
            return Err(format!(
                "is ambiguous: with `;` as the delimiter the decimal mark is `,`, so \
                 `{digits}` could be {first}{} or {first}.{}; write it without the `.`, \
                 or with a decimal comma",
                only, only
            ));
        }
        joined.push_str(first);
        for g in rest {
            joined.push_str(g);
        }
    } else {
        joined.push_str(digits);
    }
    if let Some(f) = fraction {
        joined.push('.');
        joined.push_str(f);
    }
    Ok(joined)
}

/// Powers of ten that are exact as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common cell, `digits[.digits]` with at most 15 digits in all, read
/// without the general path: the digits make an integer below 2^53 and the
/// point divides it by an exact power of ten, so the one division is
/// correctly rounded and the result is the one `str::parse` gives. `None`
/// for anything else (signs, spaces, exponents, percentages, commas, more
/// digits), which the general path reads.
fn plain_decimal(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut point: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(i),
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    let decimals = point.map_or(0, |p| b.len() - p - 1);
    let scale = POW10.get(decimals)?;
    // Adding 0.0 as the general path does (no `-0` can come from here).
    Some(mantissa as f64 / scale + 0.0)
}

/// `[+-]digits[.digits][e[+-]digits]`, with digits on at least one side of the point.
fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut dot = false;
    while let Some(&c) = b.get(i) {
        if c.is_ascii_digit() {
            digits += 1;
        } else if c == b'.' && !dot {
            dot = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// `true/false/yes/no/y/n/1/0` in any case, surrounding spaces ignored.
pub fn parse_bool(text: &str) -> Option<bool> {
    // The usual spellings, exactly as written.
    match text {
        "true" | "yes" | "1" | "TRUE" | "True" | "Yes" | "y" => return Some(true),
        "false" | "no" | "0" | "FALSE" | "False" | "No" | "n" => return Some(false),
        _ => {}
    }
    let t = text.trim();
    const TRUE: [&str; 4] = ["true", "yes", "y", "1"];
    const FALSE: [&str; 4] = ["false", "no", "n", "0"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

const BOOL_EXPECTED: &str = "is not a bool (true/false, yes/no, y/n, 1/0)";

/// An enum value as written in a cell, made comparable with declared values:
/// trimmed, lower case, spaces and hyphens read as `_` (`Long-Term` →
/// `long_term`).
pub fn normalize_enum(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// The index of `text` among declared values already passed through
/// [`normalize_enum`].
fn parse_enum(text: &str, normalized: &[String], declared: &[String]) -> Result<u16, String> {
    // Most cells hold a declared value exactly; only the others are normalised.
    if let Some(i) = declared.iter().position(|v| v == text) {
        return u16::try_from(i).map_err(|_| format!("is not one of {}", declared.join(", ")));
    }
    let want = normalize_enum(text);
    normalized
        .iter()
        .position(|v| *v == want)
        .and_then(|i| u16::try_from(i).ok())
        .ok_or_else(|| format!("is not one of {}", declared.join(", ")))
}

fn parse_date_text(text: &str) -> Result<i32, String> {
    parse_date(text.trim()).ok_or_else(|| "is not a date in the form YYYY-MM-DD".to_string())
}

/// A JSON value as text: a string as is, other values as compact JSON, null
/// as `None`.
pub fn json_text(v: &Json) -> Option<Cow<'_, str>> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(Cow::Borrowed(s)),
        Json::Bool(true) => Some(Cow::Borrowed("true")),
        Json::Bool(false) => Some(Cow::Borrowed("false")),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        Json::Array(_) | Json::Object(_) => Some(Cow::Owned(v.to_string())),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Converts a non-blank cell (or a JSON string) to `ty`. `enum_normalized`
/// holds the declared values through [`normalize_enum`] when `ty` is an enum.
pub(crate) fn convert_text<'r>(
    ty: &FieldType,
    enum_normalized: &[String],
    text: Cow<'r, str>,
    decimal_comma: bool,
) -> Result<Value<'r>, String> {
    Ok(match ty {
        FieldType::Text => Value::Text(text),
        FieldType::Number => Value::Num(parse_number(&text, decimal_comma)?),
        FieldType::Bool => Value::Bool(parse_bool(&text).ok_or(BOOL_EXPECTED)?),
        FieldType::Date => Value::Date(parse_date_text(&text)?),
        FieldType::Enum(declared) => Value::Enum(parse_enum(&text, enum_normalized, declared)?),
    })
}

/// Converts a JSON value that is neither null nor a blank string to `ty`.
pub(crate) fn convert_json<'r>(
    ty: &FieldType,
    enum_normalized: &[String],
    v: &'r Json,
) -> Result<Value<'r>, String> {
    match (ty, v) {
        (_, Json::String(s)) => convert_text(ty, enum_normalized, Cow::Borrowed(s), false),
        (FieldType::Text, _) => Ok(Value::Text(json_text(v).unwrap_or_default())),
        (FieldType::Number, Json::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Value::Num(x + 0.0)),
            _ => Err("is not a finite number".to_string()),
        },
        (FieldType::Bool, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldType::Bool, Json::Number(n)) => match n.as_u64() {
            Some(1) => Ok(Value::Bool(true)),
            Some(0) => Ok(Value::Bool(false)),
            _ => Err(BOOL_EXPECTED.to_string()),
        },
        _ => Err(format!("is {}, expected {}", json_kind(v), expected(ty))),
    }
}

/// Like [`convert_json`], for a value of a [`JsonObject`](super::JsonObject).
pub(crate) fn convert_json_value<'r>(
    ty: &FieldType,
    enum_normalized: &[String],
    v: JsonValue<'r>,
) -> Result<Value<'r>, String> {
    match (ty, v) {
        (_, JsonValue::String(s)) => convert_text(ty, enum_normalized, Cow::Borrowed(s), false),
        (FieldType::Text, _) => Ok(Value::Text(v.text().unwrap_or_default())),
        (FieldType::Number, JsonValue::Number(_)) => match v.as_f64() {
            Some(x) if x.is_finite() => Ok(Value::Num(x + 0.0)),
            _ => Err("is not a finite number".to_string()),
        },
        (FieldType::Bool, JsonValue::Bool(b)) => Ok(Value::Bool(b)),
        // What `serde_json::Number::as_u64` makes 1 or 0.
        (FieldType::Bool, JsonValue::Number("1")) => Ok(Value::Bool(true)),
        (FieldType::Bool, JsonValue::Number("0")) => Ok(Value::Bool(false)),
        (FieldType::Bool, JsonValue::Number(_)) => Err(BOOL_EXPECTED.to_string()),
        _ => Err(format!("is {}, expected {}", v.kind(), expected(ty))),
    }
}

fn expected(ty: &FieldType) -> String {
    match ty {
        FieldType::Text => "text".to_string(),
        FieldType::Number => "a number".to_string(),
        FieldType::Bool => "a bool".to_string(),
        FieldType::Date => "a date (YYYY-MM-DD) in a string".to_string(),
        FieldType::Enum(values) => format!("one of {} in a string", values.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_read_exactly_as_the_standard_parser() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut checked = 0;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (x % 17) as usize;
            let text: String = (0..len)
                .map(|i| {
                    let d = (x >> (i * 3)) % 11;
                    if d == 10 {
                        '.'
                    } else {
                        char::from(b'0' + d as u8)
                    }
                })
                .collect();
            let fast = plain_decimal(text.as_bytes());
            let slow: Option<f64> = if is_decimal(&text) {
                text.parse().ok()
            } else {
                None
            };
            if let Some(f) = fast {
                checked += 1;
                assert_eq!(Some(f.to_bits()), slow.map(f64::to_bits), "{text}");
            }
        }
        assert!(checked > 50_000, "{checked}");
        for (text, want) in [
            ("0.1", 0.1),
            ("123456789012345", 123456789012345.0),
            (".5", 0.5),
        ] {
            assert_eq!(plain_decimal(text.as_bytes()), Some(want), "{text}");
        }
        for text in [
            "",
            ".",
            "1.2.3",
            "-1",
            " 1",
            "1e3",
            "1234567890123456",
            "45%",
        ] {
            assert_eq!(plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn numbers() {
        let ok: [(&str, bool, f64); 34] = [
            ("42", false, 42.0),
            (" -3.5 ", false, -3.5),
            ("+7", false, 7.0),
            ("45%", false, 0.45),
            ("12.5 %", false, 0.125),
            ("1e3", false, 1000.0),
            ("2.5E-1", false, 0.25),
            (".5", false, 0.5),
            ("5.", false, 5.0),
            ("-0", false, 0.0),
            ("37,5", true, 37.5),
            ("37.5", true, 37.5),
            ("-1,25%", true, -0.0125),
            ("1e308", false, 1e308),
            ("007", false, 7.0),
            ("0.000", false, 0.0),
            // Currency signs, before or after, with or without a space.
            ("$12", false, 12.0),
            ("$1,200.50", false, 1200.5),
            ("-$5", false, -5.0),
            ("$ -5", false, -5.0),
            ("12 €", false, 12.0),
            ("1.200,50 €", true, 1200.5),
            ("€1.200,50", true, 1200.5),
            ("£3", false, 3.0),
            ("¥1,000", false, 1000.0),
            ("₹ 2,50", true, 2.5),
            // Grouping in threes.
            ("1,000", false, 1000.0),
            ("1,000.5", false, 1000.5),
            ("12,345,678", false, 12345678.0),
            ("1.234,5", true, 1234.5),
            ("1.234.567", true, 1234567.0),
            ("1.5", true, 1.5),
            ("-1,234%", false, -12.34),
            ("1.2345", true, 1.2345),
        ];
        for (text, comma, want) in ok {
            let got = parse_number(text, comma).unwrap();
            assert!((got - want).abs() < 1e-9, "{text}: {got}");
            assert!(got != 0.0 || got.is_sign_positive(), "{text} gives -0");
        }
        let bad: [(&str, bool, &str); 24] = [
            ("1,00", false, "decimal comma"),
            ("1,000,00", false, "groups of three"),
            ("1,5", false, "decimal comma"),
            ("0,125", false, "starts with 0"),
            ("0,299.64", false, "starts with 0"),
            ("000,121.", false, "starts with 0"),
            ("0.129,", true, "starts with 0"),
            ("1,234,5", true, "more than one decimal comma"),
            ("1.234", true, "ambiguous"),
            ("1.23.456", true, "groups of three"),
            ("1,234.5", true, "ambiguous"),
            ("1e400", false, "finite"),
            ("-1e400", false, "finite"),
            ("NaN", false, "finite"),
            ("-inf", false, "finite"),
            ("Infinity", false, "finite"),
            ("abc", false, "is not a number"),
            ("1_000", false, "is not a number"),
            ("%", false, "is not a number"),
            ("1e", false, "is not a number"),
            ("$", false, "is not a number"),
            ("$12$", false, "is not a number"),
            ("1,000e3", false, "is not a number"),
            ("--5", false, "is not a number"),
        ];
        for (text, comma, want) in bad {
            let err = parse_number(text, comma).unwrap_err();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn bools() {
        for t in ["true", "TRUE", "Yes", "y", "1", " Y "] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "False", "NO", "n", "0"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in ["", "2", "oui", "t", "truee"] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
    }

    #[test]
    fn enums() {
        let declared: Vec<String> = ["short_term", "long_term", "Other"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let norm: Vec<String> = declared.iter().map(|s| normalize_enum(s)).collect();
        let cases = [
            ("Long-Term", 1),
            ("long term", 1),
            (" SHORT_TERM ", 0),
            ("other", 2),
            ("OTHER", 2),
        ];
        for (text, want) in cases {
            assert_eq!(parse_enum(text, &norm, &declared), Ok(want), "{text}");
        }
        assert_eq!(
            parse_enum("mid", &norm, &declared),
            Err("is not one of short_term, long_term, Other".to_string())
        );
    }

    #[test]
    fn json_values() {
        let ty = FieldType::Number;
        assert_eq!(
            convert_json(&ty, &[], &serde_json::json!(40)),
            Ok(Value::Num(40.0))
        );
        assert_eq!(
            convert_json(&ty, &[], &serde_json::json!("45%")),
            Ok(Value::Num(0.45))
        );
        assert_eq!(
            convert_json(&ty, &[], &serde_json::json!(true)),
            Err("is a bool, expected a number".to_string())
        );
        assert_eq!(
            convert_json(&ty, &[], &serde_json::json!("1,5"))
                .map_err(|e| e.contains("decimal comma")),
            Err(true)
        );
        let text = FieldType::Text;
        assert_eq!(
            convert_json(&text, &[], &serde_json::json!(1.5)),
            Ok(Value::Text("1.5".into()))
        );
        assert_eq!(
            convert_json(&text, &[], &serde_json::json!([1, "a"])),
            Ok(Value::Text("[1,\"a\"]".into()))
        );
        assert_eq!(
            convert_json(&text, &[], &serde_json::json!({"a": null})),
            Ok(Value::Text("{\"a\":null}".into()))
        );
        assert_eq!(
            convert_json(&FieldType::Bool, &[], &serde_json::json!(1)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            convert_json(&FieldType::Bool, &[], &serde_json::json!("no")),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            convert_json(&FieldType::Date, &[], &serde_json::json!("2027-06-30")),
            Ok(Value::Date(20999))
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date_text(" 2024-02-29 "), Ok(19782));
        for bad in ["2023-02-29", "29/02/2024", "2024-2-1", "2024-01-01T10:00"] {
            assert!(parse_date_text(bad).is_err(), "{bad}");
        }
    }
}
