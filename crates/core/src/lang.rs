//! Language tags and language maps for bilingual (English / Japanese) text.
//!
//! Text values in credentials and pages are maps from a BCP 47 tag to a string, so `ja`,
//! `ja-Latn` and `en` can sit side by side and each reader picks the best match.

use std::collections::BTreeMap;
use std::fmt;

/// A syntactically checked BCP 47 language tag, stored as given (case is preserved) and
/// compared case-insensitively via [`LanguageTag::matches`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Parses a tag: 2-3 letter primary subtag, then subtags of 1-8 alphanumerics.
    pub fn parse(text: &str) -> Result<Self, LangError> {
        let mut parts = text.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        let rest_ok = parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(LangError(text.chars().take(32).collect()))
        }
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag, lower-cased (`ja` for `ja-Latn`).
    pub fn primary(&self) -> String {
        self.0
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    /// Case-insensitive equality.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for LanguageTag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        LanguageTag::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Not a BCP 47 language tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a BCP 47 language tag: {0:?}")]
pub struct LangError(pub String);

/// Text in several languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct LangMap(pub BTreeMap<LanguageTag, String>);

impl LangMap {
    /// A map with one entry.
    pub fn single(tag: &str, text: impl Into<String>) -> Result<Self, LangError> {
        let mut m = BTreeMap::new();
        m.insert(LanguageTag::parse(tag)?, text.into());
        Ok(Self(m))
    }

    /// Adds or replaces an entry.
    pub fn with(mut self, tag: &str, text: impl Into<String>) -> Result<Self, LangError> {
        self.0.insert(LanguageTag::parse(tag)?, text.into());
        Ok(self)
    }

    /// Best text for the wanted language: exact tag, then same primary language (preferring
    /// the bare tag, so `ja` beats `ja-Latn` for a Japanese reader), then English, then any.
    pub fn best(&self, wanted: &str) -> Option<&str> {
        let wanted_primary = wanted.split('-').next().unwrap_or_default();
        self.0
            .iter()
            .find(|(t, _)| t.matches(wanted))
            .or_else(|| self.0.iter().find(|(t, _)| t.matches(wanted_primary)))
            .or_else(|| {
                self.0
                    .iter()
                    .find(|(t, _)| t.primary().eq_ignore_ascii_case(wanted_primary))
            })
            .or_else(|| self.0.iter().find(|(t, _)| t.primary() == "en"))
            .or_else(|| self.0.iter().next())
            .map(|(_, v)| v.as_str())
    }

    /// True when no language is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        assert!(LanguageTag::parse("ja-Latn").is_ok());
        assert!(LanguageTag::parse("en").is_ok());
        assert!(LanguageTag::parse("j").is_err());
        assert!(LanguageTag::parse("ja_JP").is_err());
        assert!(LanguageTag::parse("").is_err());
    }

    #[test]
    fn best_match() {
        let m = LangMap::single("ja-Latn", "Tohoku Daigaku")
            .unwrap()
            .with("ja", "東北大学")
            .unwrap()
            .with("en", "Tohoku University")
            .unwrap();
        assert_eq!(m.best("ja"), Some("東北大学"));
        assert_eq!(m.best("ja-JP"), Some("東北大学"));
        assert_eq!(m.best("ja-Latn"), Some("Tohoku Daigaku"));
        assert_eq!(m.best("de"), Some("Tohoku University"));
    }
}
