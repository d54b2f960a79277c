/// Why academic data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcademicError {
    /// A Corporate Number (法人番号) is not 13 digits or its check digit is wrong.
    #[error(
        "invalid Corporate Number (法人番号) {0:?}: 13 digits with a valid check digit expected"
    )]
    CorporateNumber(String),
    /// A MEXT school code (学校コード) has the wrong form.
    #[error(
        "invalid MEXT school code (学校コード) {0:?}: a school-type letter A-H and 12 digits expected"
    )]
    SchoolCode(String),
    /// An EQF level outside 1..=8.
    #[error("EQF level {0} is outside 1..=8")]
    EqfLevel(i64),
    /// An ISCED 2011 code that is not a valid tertiary three-digit code.
    #[error("ISCED 2011 code {0} is not a valid level 5-8 programme code")]
    IscedCode(i64),
    /// An ISCED-F field code not in the table.
    #[error("unknown ISCED-F 2013 field code {0:?}")]
    IscedField(String),
    /// Unknown Japanese degree or title.
    #[error("unknown Japanese degree or title {0:?}")]
    UnknownQualification(String),
    /// A credit amount that is negative, not finite or implausibly large.
    #[error("invalid credit amount {0}")]
    Credits(String),
    /// A date that is not `YYYY-MM-DD`.
    #[error("invalid date {0:?}: YYYY-MM-DD expected")]
    Date(String),
    /// A required field is missing or empty.
    #[error("required field {0} is missing or empty")]
    Missing(&'static str),
    /// A country code that is not two upper-case letters.
    #[error("invalid ISO 3166-1 alpha-2 country code {0:?}")]
    Country(String),
    /// A framework table failed validation (a bug in `data/`, caught by the tests).
    #[error("framework table {table}: {problem}")]
    Table {
        table: &'static str,
        problem: String,
    },
}
