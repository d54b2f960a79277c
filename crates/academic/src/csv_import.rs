//! Registrar CSV files: decoding (UTF-8 with or without BOM, Shift_JIS as exported by Japanese
//! registrar systems), row validation into [`Diploma`]s with row-level errors, and the
//! idempotency key that makes re-running the same file issue nothing twice.
//!
//! Pure: bytes in, rows out. The issuing loop, its progress bar and the stored idempotency keys
//! live at the edge.

use kakehashi_core::LangMap;
use serde::Serialize;

use crate::AcademicError;
use crate::frameworks::CreditSystem;
use crate::model::{AwardingBody, Credits, Diploma, Holder, Qualification};

/// The text encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CsvEncoding {
    Utf8,
    Utf8Bom,
    ShiftJis,
}

/// The columns, in the header row (order free, names exact; unknown columns are an error so a
/// misspelt column is never silently ignored).
pub const COLUMNS: &[&str] = &[
    "family_name_ja",
    "family_name_kana",
    "family_name_latn",
    "given_name_ja",
    "given_name_kana",
    "given_name_latn",
    "birth_date",
    "degree",
    "title_ja",
    "title_en",
    "field_ja",
    "field_en",
    "isced_field",
    "eqf_level",
    "credits",
    "credit_system",
    "award_date",
    "diploma_number",
    "thesis_title_ja",
    "thesis_title_en",
];

/// Required columns.
const REQUIRED: &[&str] = &[
    "title_ja",
    "award_date",
    "diploma_number",
    "family_name_latn",
    "given_name_latn",
];

/// Hard caps: a registrar file of a large university is tens of thousands of rows.
pub const MAX_BYTES: usize = 64 << 20;
pub const MAX_ROWS: usize = 200_000;

/// One valid row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvRow {
    /// 1-based line number of the record (header is line 1).
    pub line: u64,
    pub diploma: Diploma,
    /// Stable per institution and diploma number: the same diploma is issued at most once.
    pub idempotency_key: String,
}

/// A row that could not be read, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// A parsed file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvImport {
    pub encoding: CsvEncoding,
    pub rows: Vec<CsvRow>,
    pub errors: Vec<RowError>,
}

/// A file-level failure (nothing could be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    #[error("CSV file of {0} bytes exceeds the limit of {MAX_BYTES} bytes")]
    TooLarge(usize),
    #[error("CSV file has more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("CSV file is neither UTF-8 nor Shift_JIS (first bad byte near offset {0})")]
    Encoding(usize),
    #[error("CSV header: {0}")]
    Header(String),
    #[error("CSV syntax: {0}")]
    Syntax(String),
}

/// Decodes the bytes: a UTF-8 BOM means UTF-8; valid UTF-8 is UTF-8; otherwise Shift_JIS
/// (Windows-31J, as Excel in Japan writes it) must decode without errors.
pub fn decode(bytes: &[u8]) -> Result<(String, CsvEncoding), CsvError> {
    if bytes.len() > MAX_BYTES {
        return Err(CsvError::TooLarge(bytes.len()));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), CsvEncoding::Utf8Bom))
            .map_err(|e| CsvError::Encoding(e.valid_up_to() + 3));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), CsvEncoding::Utf8));
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if had_errors {
        let offset = std::str::from_utf8(bytes)
            .err()
            .map_or(0, |e| e.valid_up_to());
        return Err(CsvError::Encoding(offset));
    }
    Ok((text.into_owned(), CsvEncoding::ShiftJis))
}

/// Parses a registrar file for one awarding body. Rows with errors are reported, not issued;
/// duplicate diploma numbers within the file are errors.
pub fn parse(bytes: &[u8], awarding_body: &AwardingBody) -> Result<CsvImport, CsvError> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Header(e.to_string()))?
        .clone();
    let mut index = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !COLUMNS.contains(&h) {
            return Err(CsvError::Header(format!("unknown column {h:?}")));
        }
        if index.insert(h.to_owned(), i).is_some() {
            return Err(CsvError::Header(format!("duplicate column {h:?}")));
        }
    }
    for r in REQUIRED {
        if !index.contains_key(*r) {
            return Err(CsvError::Header(format!("missing required column {r:?}")));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, record) in reader.records().enumerate() {
        if n >= MAX_ROWS {
            return Err(CsvError::TooManyRows);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    column: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| record.get(*i))
                .filter(|v| !v.is_empty())
        };
        match row_to_diploma(&get, awarding_body) {
            Ok(diploma) => {
                if !seen.insert(diploma.diploma_number.clone()) {
                    errors.push(RowError {
                        line,
                        column: Some("diploma_number".into()),
                        message: format!(
                            "diploma number {} appears twice in the file",
                            diploma.diploma_number
                        ),
                    });
                    continue;
                }
                let idempotency_key = idempotency_key(awarding_body, &diploma.diploma_number);
                rows.push(CsvRow {
                    line,
                    diploma,
                    idempotency_key,
                });
            }
            Err((column, message)) => errors.push(RowError {
                line,
                column,
                message,
            }),
        }
    }
    Ok(CsvImport {
        encoding,
        rows,
        errors,
    })
}

/// `<organisation identifier>/<diploma number>`: the same diploma of the same institution.
pub fn idempotency_key(awarding_body: &AwardingBody, diploma_number: &str) -> String {
    format!(
        "{}/{}",
        awarding_body
            .legal_identifier
            .organization_identifier(&awarding_body.country),
        diploma_number
    )
}

type RowResult = Result<Diploma, (Option<String>, String)>;

fn row_to_diploma<'a>(get: &dyn Fn(&str) -> Option<&'a str>, body: &AwardingBody) -> RowResult {
    let col_err = |c: &str, m: String| (Some(c.to_owned()), m);
    let lang_map = |pairs: &[(&str, &str)]| -> Result<LangMap, (Option<String>, String)> {
        let mut m = LangMap::default();
        for (tag, col) in pairs {
            if let Some(v) = get(col) {
                m = m.with(tag, v).map_err(|e| col_err(col, e.to_string()))?;
            }
        }
        Ok(m)
    };
    let family_name = lang_map(&[
        ("ja", "family_name_ja"),
        ("ja-Kana", "family_name_kana"),
        ("ja-Latn", "family_name_latn"),
    ])?;
    let given_name = lang_map(&[
        ("ja", "given_name_ja"),
        ("ja-Kana", "given_name_kana"),
        ("ja-Latn", "given_name_latn"),
    ])?;
    let title = lang_map(&[("ja", "title_ja"), ("en", "title_en")])?;
    let field = lang_map(&[("ja", "field_ja"), ("en", "field_en")])?;
    let thesis = lang_map(&[("ja", "thesis_title_ja"), ("en", "thesis_title_en")])?;
    let eqf_level = get("eqf_level")
        .map(|v| {
            v.parse::<u8>()
                .map_err(|_| col_err("eqf_level", format!("not a level: {v:?}")))
        })
        .transpose()?;
    let credits = match (get("credits"), get("credit_system")) {
        (None, None) => None,
        (Some(a), s) => {
            let amount: f64 = a
                .parse()
                .map_err(|_| col_err("credits", format!("not a number: {a:?}")))?;
            let system = match s.unwrap_or(if body.country == "JP" {
                "JP-tani"
            } else {
                "ECTS"
            }) {
                "ECTS" | "ects" => CreditSystem::Ects,
                "JP-tani" | "単位" | "tani" => CreditSystem::JapaneseTani,
                other => {
                    return Err(col_err(
                        "credit_system",
                        format!("unknown credit system {other:?} (ECTS or JP-tani)"),
                    ));
                }
            };
            Some(Credits { amount, system })
        }
        (None, Some(_)) => {
            return Err(col_err(
                "credits",
                "credit_system given without credits".into(),
            ));
        }
    };
    // Dates are checked here so the error names the column that is wrong.
    for column in ["award_date", "birth_date"] {
        if let Some(v) = get(column) {
            crate::model::check_date(v).map_err(|e| col_err(column, e.to_string()))?;
        }
    }
    let diploma = Diploma {
        holder: Holder {
            family_name,
            given_name,
            birth_date: get("birth_date").map(str::to_owned),
        },
        awarding_body: body.clone(),
        qualification: Qualification {
            title,
            jp_degree: get("degree").map(str::to_owned),
            field: (!field.is_empty()).then_some(field),
            eqf_level,
            isced_level: None,
            isced_field: get("isced_field").map(str::to_owned),
        },
        credits,
        award_date: get("award_date").unwrap_or_default().to_owned(),
        diploma_number: get("diploma_number").unwrap_or_default().to_owned(),
        thesis_title: (!thesis.is_empty()).then_some(thesis),
    };
    diploma
        .validate()
        .map_err(|e| (error_column(&e), e.to_string()))?;
    Ok(diploma)
}

fn error_column(e: &AcademicError) -> Option<String> {
    let c = match e {
        AcademicError::UnknownQualification(_) => "degree",
        AcademicError::EqfLevel(_) => "eqf_level",
        AcademicError::IscedField(_) => "isced_field",
        AcademicError::Credits(_) => "credits",
        AcademicError::Missing(m) => m,
        _ => return None,
    };
    Some(c.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::japanese_master;

    const HEADER: &str = "family_name_ja,family_name_latn,given_name_ja,given_name_latn,birth_date,degree,title_ja,title_en,isced_field,credits,award_date,diploma_number\n";

    fn body() -> AwardingBody {
        japanese_master().awarding_body
    }

    #[test]
    fn utf8_bom_and_shift_jis_read_the_same() {
        let text = format!(
            "{HEADER}山田,YAMADA,花子,HANAKO,2000-04-01,修士,修士(工学),Master of Engineering,0714,30,2026-03-25,M-1\n"
        );
        let plain = parse(text.as_bytes(), &body()).unwrap();
        assert_eq!(plain.encoding, CsvEncoding::Utf8);
        assert_eq!(plain.rows.len(), 1, "{:?}", plain.errors);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        let with_bom = parse(&bom, &body()).unwrap();
        assert_eq!(with_bom.encoding, CsvEncoding::Utf8Bom);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let from_sjis = parse(&sjis, &body()).unwrap();
        assert_eq!(from_sjis.encoding, CsvEncoding::ShiftJis);
        assert_eq!(plain.rows, with_bom.rows);
        assert_eq!(plain.rows, from_sjis.rows);
        assert_eq!(
            plain.rows[0].diploma.holder.family_name.best("ja"),
            Some("山田")
        );
        assert_eq!(plain.rows[0].idempotency_key, "NTRJP-7000012050002/M-1");
    }

    #[test]
    fn row_level_errors_name_line_and_column() {
        let text = format!(
            "{HEADER}山田,YAMADA,花子,HANAKO,2000-04-01,修士,修士(工学),,,30,2026-02-30,M-1\n\
             山田,YAMADA,花子,HANAKO,,修士(魔法),修士(魔法),,,,2026-03-25,M-2\n\
             山田,YAMADA,花子,HANAKO,,修士,修士(工学),,,abc,2026-03-25,M-3\n\
             山田,YAMADA,花子,HANAKO,,修士,修士(工学),,,,2026-03-25,M-4\n\
             山田,YAMADA,花子,HANAKO,,修士,修士(工学),,,,2026-03-25,M-4\n"
        );
        let r = parse(text.as_bytes(), &body()).unwrap();
        assert_eq!(r.rows.len(), 1);
        let summary: Vec<(u64, Option<&str>)> = r
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (2, Some("award_date")),
                (3, Some("degree")),
                (4, Some("credits")),
                (6, Some("diploma_number"))
            ]
        );
    }

    #[test]
    fn file_level_errors() {
        assert!(matches!(
            parse(b"nonsense_column\nx\n", &body()),
            Err(CsvError::Header(_))
        ));
        assert!(matches!(
            parse(b"title_ja\nx\n", &body()),
            Err(CsvError::Header(_))
        ));
        assert!(matches!(
            parse(b"\xff\xfe\xfd", &body()),
            Err(CsvError::Encoding(_))
        ));
        let ragged = format!("{HEADER}a,b\n");
        let r = parse(ragged.as_bytes(), &body()).unwrap();
        assert_eq!(r.errors.len(), 1);
    }
}
