//! Japanese identifiers that both the trust layer (seal certificates, JPlist) and the academic
//! model (awarding bodies) check, so the two agree on what is valid.

/// Why a Japanese identifier was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JpIdError(pub &'static str);

/// Checks a 法人番号 (Corporate Number): 13 ASCII digits whose first is the check digit
/// `9 - (Σ Pn·Qn mod 9)`, Pn the n-th digit from the right of the 12-digit base, Qn 1 for odd n
/// and 2 for even n (National Tax Agency specification). Returns the 13 digits.
pub fn check_corporate_number(text: &str) -> Result<[u8; 13], JpIdError> {
    let bytes = text.as_bytes();
    if bytes.len() != 13 || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(JpIdError("a Corporate Number is 13 ASCII digits"));
    }
    let mut digits = [0u8; 13];
    for (d, b) in digits.iter_mut().zip(bytes) {
        *d = b - b'0';
    }
    let sum: u32 = digits[1..]
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    if u32::from(digits[0]) != 9 - sum % 9 {
        return Err(JpIdError("Corporate Number check digit is wrong"));
    }
    Ok(digits)
}

/// Checks the shape of a MEXT 学校コード (school code): 13 characters, a school-type letter
/// A-H (`F` university, `G` junior college, `H` college of technology, …), an establisher digit
/// (1 national, 2 public, 3 private), a two-digit prefecture code 01-47 and nine digits. The
/// check-digit algorithm is not published with the code list, so only the shape is checked.
pub fn check_school_code(text: &str) -> Result<(), JpIdError> {
    let b = text.as_bytes();
    if b.len() != 13 {
        return Err(JpIdError("a school code is 13 characters"));
    }
    if !(b'A'..=b'H').contains(&b[0]) {
        return Err(JpIdError("school type must be A-H"));
    }
    if !(b'1'..=b'3').contains(&b[1]) {
        return Err(JpIdError("establisher must be 1, 2 or 3"));
    }
    if !b[2..].iter().all(u8::is_ascii_digit) {
        return Err(JpIdError("digits expected after the type and establisher"));
    }
    let prefecture = u32::from(b[2] - b'0') * 10 + u32::from(b[3] - b'0');
    if !(1..=47).contains(&prefecture) {
        return Err(JpIdError("prefecture code must be 01-47"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corporate_numbers() {
        // The National Tax Agency's own Corporate Number, as published by the NTA.
        assert!(check_corporate_number("7000012050002").is_ok());
        assert!(check_corporate_number("8000012050002").is_err());
        assert!(check_corporate_number("700001205000").is_err());
        assert!(check_corporate_number("７000012050002").is_err());
    }

    #[test]
    fn school_codes() {
        assert!(check_school_code("F104310000013").is_ok());
        assert!(check_school_code("Z104310000013").is_err());
        assert!(check_school_code("F404310000013").is_err(), "establisher");
        assert!(check_school_code("F199310000013").is_err(), "prefecture");
        assert!(check_school_code("F10431000001").is_err());
    }
}
