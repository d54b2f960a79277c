//! How a credential's JSON becomes rows people can read: labels from the issuer's display data
//! (SD-JWT VC Type Metadata, en/ja) or this crate's table, language maps (`{"en", "ja",
//! "ja-Kana", …}`) shown in the page language first, technical claims left out.

use serde_json::{Map, Value};

use crate::i18n::{Lang, Tr};

/// One readable claim.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub label: String,
    pub value: String,
    /// Other-language forms of the same value (a name's kana reading, its Latin spelling).
    pub alternates: Vec<String>,
    /// Nesting depth, for indentation (0 = top level).
    pub depth: usize,
}

impl ClaimRow {
    /// CSS class of the row's nesting.
    pub fn class(&self) -> &'static str {
        match self.depth {
            0 => "claim",
            1 => "claim nested",
            _ => "claim nested2",
        }
    }
}

/// Claims that are protocol machinery, not something a student reads.
const TECHNICAL: [&str; 22] = [
    "iss",
    "iat",
    "nbf",
    "exp",
    "jti",
    "sub",
    "cnf",
    "status",
    "vct",
    "vct#integrity",
    "_sd",
    "_sd_alg",
    "@context",
    "type",
    "id",
    "credentialStatus",
    "proof",
    "validFrom",
    "validUntil",
    "issuer",
    "alignment",
    "criteria",
];

/// The text of a `{"en": …, "ja": …}` map in `lang` (falling back sensibly), if it is one.
pub fn text_in(map: &Value, lang: Lang) -> Option<String> {
    let obj = map.as_object()?;
    pick(obj, lang).map(|(_, v)| v.to_owned())
}

/// True when every key looks like a language tag and every value is a string.
fn is_lang_map(obj: &Map<String, Value>) -> bool {
    !obj.is_empty()
        && obj.iter().all(|(k, v)| {
            v.is_string()
                && k.len() <= 12
                && k.split('-').next().is_some_and(|p| {
                    (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
                })
        })
}

/// The best entry of a language map for `lang`: the exact language, its script or regional
/// forms, then English (or a Latin transcription for English pages), then the first one.
fn pick(obj: &Map<String, Value>, lang: Lang) -> Option<(&str, &str)> {
    let entries: Vec<(&str, &str)> = obj
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect();
    let code = lang.code();
    let find = |pred: &dyn Fn(&str) -> bool| entries.iter().copied().find(|(k, _)| pred(k));
    find(&|k| k == code)
        .or_else(|| match lang {
            Lang::En => find(&|k| k.ends_with("-Latn")).or_else(|| find(&|k| k.starts_with("en"))),
            Lang::Ja => find(&|k| k.starts_with("ja")).or_else(|| find(&|k| k == "en")),
        })
        .or_else(|| entries.first().copied())
}

/// The label of a leaf key from this crate's table (`claim.<key>`), else the key itself.
fn fallback_label(key: &str, tr: Tr) -> String {
    let k = format!("claim.{key}");
    if Tr::has(&k) {
        tr.t(&k).to_owned()
    } else {
        key.replace('_', " ")
    }
}

/// The label of `path` from display labels keyed by the path's JSON text (`["a","b"]`).
fn display_label(
    labels: Option<&Map<String, Value>>,
    path: &[Value],
    lang: Lang,
) -> Option<String> {
    let key = Value::Array(path.to_vec()).to_string();
    let entry = labels?.get(&key)?;
    text_in(entry, lang)
}

/// Scalar JSON as text.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Rows for `value` at `path`, labelled by `labels` (display data) or the table.
pub fn rows(
    value: &Value,
    labels: Option<&Map<String, Value>>,
    tr: Tr,
    skip_technical: bool,
) -> Vec<ClaimRow> {
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), labels, tr, skip_technical, &mut out);
    out
}

/// Rows for one claim at `path` whose label is already known (consent items).
pub fn claim_rows(label: String, value: &Value, path: &[Value], tr: Tr) -> Vec<ClaimRow> {
    let mut out = Vec::new();
    match value {
        Value::Object(obj) if is_lang_map(obj) => out.push(lang_row(label, obj, tr.lang(), 0)),
        Value::Object(_) | Value::Array(_) => {
            out.push(ClaimRow {
                label,
                value: String::new(),
                alternates: Vec::new(),
                depth: 0,
            });
            let base = path.len();
            let children: Vec<(Value, &Value)> = match value {
                Value::Object(o) => o
                    .iter()
                    .map(|(k, v)| (Value::String(k.clone()), v))
                    .collect(),
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::from(i), v))
                    .collect(),
                _ => Vec::new(),
            };
            let mut p = path.to_vec();
            for (key, v) in children {
                p.push(key);
                let mut inner = Vec::new();
                walk(v, &mut p, None, tr, false, &mut inner);
                p.pop();
                for mut r in inner {
                    r.depth = r.depth.saturating_sub(base) + 1;
                    out.push(r);
                }
            }
        }
        other => out.push(ClaimRow {
            label,
            value: scalar(other),
            alternates: Vec::new(),
            depth: 0,
        }),
    }
    out
}

fn lang_row(label: String, obj: &Map<String, Value>, lang: Lang, depth: usize) -> ClaimRow {
    let main = pick(obj, lang);
    let value = main.map(|(_, v)| v.to_owned()).unwrap_or_default();
    let mut alternates: Vec<String> = obj
        .values()
        .filter_map(Value::as_str)
        .filter(|v| *v != value)
        .map(str::to_owned)
        .collect();
    alternates.dedup();
    ClaimRow {
        label,
        value,
        alternates,
        depth,
    }
}

fn walk(
    value: &Value,
    path: &mut Vec<Value>,
    labels: Option<&Map<String, Value>>,
    tr: Tr,
    skip_technical: bool,
    out: &mut Vec<ClaimRow>,
) {
    let depth = path.len().saturating_sub(1);
    let label = || {
        display_label(labels, path, tr.lang()).unwrap_or_else(|| match path.last() {
            Some(Value::String(k)) => fallback_label(k, tr),
            Some(Value::Number(n)) => format!("#{}", n.as_u64().map_or(0, |i| i + 1)),
            _ => String::new(),
        })
    };
    match value {
        Value::Object(obj) if !path.is_empty() && is_lang_map(obj) => {
            out.push(lang_row(label(), obj, tr.lang(), depth));
        }
        Value::Object(obj) => {
            if !path.is_empty() {
                out.push(ClaimRow {
                    label: label(),
                    value: String::new(),
                    alternates: Vec::new(),
                    depth,
                });
            }
            for (k, v) in obj {
                if skip_technical && TECHNICAL.contains(&k.as_str()) {
                    continue;
                }
                path.push(Value::String(k.clone()));
                walk(v, path, labels, tr, skip_technical, out);
                path.pop();
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            out.push(ClaimRow {
                label: label(),
                value: items.iter().map(scalar).collect::<Vec<_>>().join(", "),
                alternates: Vec::new(),
                depth,
            });
        }
        Value::Array(items) => {
            out.push(ClaimRow {
                label: label(),
                value: String::new(),
                alternates: Vec::new(),
                depth,
            });
            for (i, v) in items.iter().enumerate() {
                path.push(Value::from(i));
                walk(v, path, labels, tr, skip_technical, out);
                path.pop();
            }
        }
        other => out.push(ClaimRow {
            label: label(),
            value: scalar(other),
            alternates: Vec::new(),
            depth,
        }),
    }
}

/// The label of a claims path (JSON array) from this crate's table, by its last key.
pub fn path_label(path: &Value, tr: Tr) -> String {
    let last = path
        .as_array()
        .and_then(|p| p.iter().rev().find_map(Value::as_str));
    last.map_or_else(|| path.to_string(), |k| fallback_label(k, tr))
}

/// The name of a stored credential from its display data, in `lang`.
pub fn credential_name(display: &Value, tr: Tr) -> String {
    text_in(&display["name"], tr.lang())
        .unwrap_or_else(|| tr.t("wallet.credential.unnamed").to_owned())
}

/// The issuer's name from display data, else its identifier.
pub fn issuer_name(display: &Value, issuer: &str, tr: Tr) -> String {
    text_in(&display["issuer_name"], tr.lang()).unwrap_or_else(|| issuer.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn language_maps_follow_the_page() {
        let name = json!({"ja": "山田", "ja-Kana": "ヤマダ", "ja-Latn": "YAMADA"});
        assert_eq!(text_in(&name, Lang::Ja).unwrap(), "山田");
        assert_eq!(text_in(&name, Lang::En).unwrap(), "YAMADA");
        assert_eq!(
            text_in(&json!({"en": "Diploma", "ja": "学位記"}), Lang::Ja).unwrap(),
            "学位記"
        );
        assert_eq!(text_in(&json!("plain"), Lang::En), None);
    }

    #[test]
    fn rows_use_display_labels_then_the_table_and_skip_machinery() {
        let claims = json!({
            "iss": "https://issuer.example", "cnf": {"jwk": {}}, "vct": "urn:x",
            "family_name": "PEETERS",
            "qualification": {"title": {"en": "Master of Laws", "ja": "法学修士"}, "eqf_level": 7},
        });
        let labels = json!({"[\"family_name\"]": {"en": "Family name", "ja": "姓"}});
        let r = rows(&claims, labels.as_object(), Tr(Lang::Ja), true);
        let text: Vec<(String, String, usize)> = r
            .iter()
            .map(|r| (r.label.clone(), r.value.clone(), r.depth))
            .collect();
        assert_eq!(text[0], ("姓".into(), "PEETERS".into(), 0));
        assert_eq!(text[1].0, Tr(Lang::Ja).t("claim.qualification"));
        assert_eq!(
            text[2],
            (Tr(Lang::Ja).t("claim.title").into(), "法学修士".into(), 1)
        );
        assert_eq!(r[2].alternates, ["Master of Laws"]);
        assert_eq!(text[3].1, "7");
        assert_eq!(r.len(), 4, "iss, cnf and vct are not shown: {text:?}");
    }

    #[test]
    fn consent_rows_of_objects_are_nested() {
        let body = json!({"legal_name": {"en": "Morinomiyako National University", "ja": "国立大学法人杜の都大学"}, "country": "JP"});
        let r = claim_rows(
            "Awarding body".into(),
            &body,
            &[json!("awarding_body")],
            Tr(Lang::En),
        );
        assert_eq!(r[0].label, "Awarding body");
        assert_eq!(r[1].value, "Morinomiyako National University");
        assert_eq!(r[1].depth, 1);
        assert_eq!(r[2].value, "JP");
    }
}
