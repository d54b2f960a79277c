//! Graduates: the list (keyset-paginated), one graduate's page, and the form to add one.
//!
//! The form has the same fields as the CSV file and goes through the same parser
//! (`kakehashi_academic::csv_import`), so a graduate typed in and one imported can never be
//! validated differently. A record's id is the CSV idempotency key
//! (`<organisation identifier>/<diploma number>`): one diploma, one record.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_academic::csv_import;
use kakehashi_academic::model::{Diploma, check_date};
use kakehashi_core::LangMap;
use kakehashi_storage::{Graduate, StorageError, Store};
use serde::Deserialize;

use super::actions::{ActionLink, GraduateSummary};
use super::{BASE, Registrar, SignedIn, audit, chrome};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, encode_segment, format_time, render};

/// Graduates per page.
pub const PAGE_SIZE: u32 = 25;

/// One row of the list.
pub struct GraduateRow {
    pub href: String,
    pub name_latn: String,
    pub name_ja: Option<String>,
    pub title: String,
    pub award_date: String,
    pub diploma_number: String,
}

/// The text of a map in exactly this language tag, if present.
fn exact<'a>(map: &'a LangMap, tag: &str) -> Option<&'a str> {
    map.0
        .iter()
        .find(|(t, _)| t.as_str().eq_ignore_ascii_case(tag))
        .map(|(_, v)| v.as_str())
}

fn join_name(family: Option<&str>, given: Option<&str>, sep: &str) -> Option<String> {
    match (family, given) {
        (None, None) => None,
        (f, g) => Some([f, g].into_iter().flatten().collect::<Vec<_>>().join(sep)),
    }
}

/// The diploma of a record: a bare diploma (added here) or the issuer's record, which wraps it
/// in `diploma` (once issuance has touched it, or made by the bulk import command).
fn diploma_of(graduate: &Graduate) -> Option<Diploma> {
    serde_json::from_value(graduate.record.clone())
        .ok()
        .or_else(|| serde_json::from_value(graduate.record.get("diploma")?.clone()).ok())
}

fn graduate_href(id: &str) -> String {
    format!("{BASE}/graduates/{}", encode_segment(id))
}

fn row(graduate: &Graduate, tr: Tr) -> GraduateRow {
    let href = graduate_href(&graduate.id);
    match diploma_of(graduate) {
        Some(d) => {
            let h = &d.holder;
            GraduateRow {
                href,
                name_latn: join_name(
                    h.family_name.best("ja-Latn"),
                    h.given_name.best("ja-Latn"),
                    " ",
                )
                .unwrap_or_default(),
                name_ja: join_name(exact(&h.family_name, "ja"), exact(&h.given_name, "ja"), " "),
                title: d
                    .qualification
                    .title
                    .best(tr.lang().code())
                    .unwrap_or_default()
                    .to_owned(),
                award_date: d.award_date,
                diploma_number: d.diploma_number,
            }
        }
        None => GraduateRow {
            href,
            name_latn: graduate.id.clone(),
            name_ja: None,
            title: String::new(),
            award_date: String::new(),
            diploma_number: String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "registrar/graduates.html")]
struct ListPage {
    chrome: Chrome,
    tr: Tr,
    university: String,
    rows: Vec<GraduateRow>,
    next: Option<String>,
    not_first: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    after: Option<String>,
}

/// `GET /registrar/graduates`.
pub async fn list<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    let prefix = who.university.graduate_prefix();
    let after = q.after.filter(|a| a.starts_with(&prefix));
    let not_first = after.is_some();
    let start = after.unwrap_or_else(|| prefix.clone());
    let mut page = state
        .store
        .graduates(Some(&start), PAGE_SIZE + 1)
        .await?
        .into_iter()
        .take_while(|g| g.id.starts_with(&prefix))
        .collect::<Vec<_>>();
    let more = page.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    page.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next = more
        .then(|| page.last())
        .flatten()
        .map(|g| format!("{BASE}/graduates?after={}", encode_segment(&g.id)));
    let page = ListPage {
        chrome: chrome(&env, &who),
        tr,
        university: who.university.name(tr),
        rows: page.iter().map(|g| row(g, tr)).collect(),
        next,
        not_first,
    };
    Ok(render(&page))
}

/// The form's fields: the CSV columns a registrar types in.
const FORM_FIELDS: [&str; 17] = [
    "family_name_latn",
    "given_name_latn",
    "family_name_ja",
    "given_name_ja",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "award_date",
    "diploma_number",
    "title_en",
    "title_ja",
    "degree",
    "field_en",
    "field_ja",
    "isced_field",
    "eqf_level",
    "credits",
];

const REQUIRED_FIELDS: [&str; 4] = [
    "family_name_latn",
    "given_name_latn",
    "award_date",
    "diploma_number",
];

/// One input of the form, with its value and error.
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub required: bool,
    pub kind: &'static str,
    pub error: Option<String>,
    pub autocomplete: &'static str,
    pub hint: Option<&'static str>,
}

impl FormField {
    /// The id of the error message (for `aria-describedby`).
    pub fn error_id(&self) -> String {
        format!("{}-error", self.name)
    }
}

#[derive(Template)]
#[template(path = "registrar/graduate_new.html")]
struct NewPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    university: String,
    holder: Vec<FormField>,
    award: Vec<FormField>,
    credit_system: String,
    error_count: usize,
    general_error: Option<String>,
}

fn form_page(
    env: &PageEnv,
    who: &SignedIn,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<&'static str, String>,
    general_error: Option<String>,
) -> NewPage {
    let tr = env.tr();
    let field = |name: &'static str| {
        let kind = if name.ends_with("_date") {
            "date"
        } else {
            "text"
        };
        FormField {
            name,
            label: tr.t(&format!("field.{name}")),
            value: values.get(name).cloned().unwrap_or_default(),
            required: REQUIRED_FIELDS.contains(&name),
            kind,
            error: errors.get(name).cloned(),
            autocomplete: "off",
            hint: None,
        }
    };
    let (holder, award): (Vec<_>, Vec<_>) = FORM_FIELDS
        .iter()
        .map(|n| field(n))
        .partition(|f| f.name.contains("name") || f.name == "birth_date");
    NewPage {
        chrome: chrome(env, who),
        tr,
        csrf: who.session.csrf_token.clone(),
        university: who.university.name(tr),
        holder,
        award,
        credit_system: values.get("credit_system").cloned().unwrap_or_default(),
        error_count: errors.len() + usize::from(general_error.is_some()),
        general_error,
    }
}

/// `GET /registrar/graduates/new`.
pub async fn new_page<S: Store + Clone + 'static>(
    State(_): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
) -> Response {
    let default_system = if who.university.profile.country == "JP" {
        "JP-tani"
    } else {
        "ECTS"
    };
    let values = BTreeMap::from([("credit_system".to_owned(), default_system.to_owned())]);
    render(&form_page(&env, &who, &values, &BTreeMap::new(), None))
}

/// A CSV field, quoted.
fn quote(value: &str) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("\"{}\"", clean.trim().replace('"', "\"\""))
}

/// The CSV column an academic error names, mapped back to a form field.
fn field_of_column(column: &str) -> Option<&'static str> {
    FORM_FIELDS
        .iter()
        .chain(["credit_system"].iter())
        .find(|f| column == **f || (column.starts_with("qualification.title") && **f == "title_en"))
        .copied()
}

/// `POST /registrar/graduates/new`.
pub async fn add<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
    Form(values): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    who.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    let value = |k: &str| values.get(k).map_or("", |v| v.trim());
    let mut errors: BTreeMap<&'static str, String> = BTreeMap::new();
    let tr = env.tr();
    for f in REQUIRED_FIELDS {
        if value(f).is_empty() {
            errors.insert(f, tr.t("form.err.required").to_owned());
        }
    }
    if value("title_en").is_empty() && value("title_ja").is_empty() {
        errors.insert("title_en", tr.t("form.err.title").to_owned());
    }
    for f in ["award_date", "birth_date"] {
        if !value(f).is_empty() && check_date(value(f)).is_err() {
            errors.insert(f, tr.t("form.err.date").to_owned());
        }
    }
    let mut general_error = None;
    let mut parsed = None;
    if errors.is_empty() {
        // One CSV row through the import parser.
        let mut columns: Vec<&str> = FORM_FIELDS.to_vec();
        columns.push("credit_system");
        let credits_given = !value("credits").is_empty();
        let line = columns
            .iter()
            .map(|c| {
                if *c == "credit_system" && !credits_given {
                    quote("")
                } else {
                    quote(value(c))
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        let csv = format!("{}\n{line}\n", columns.join(","));
        match csv_import::parse(csv.as_bytes(), &who.university.profile) {
            Ok(mut import) => match (import.rows.pop(), import.errors.into_iter().next()) {
                (Some(row), None) => parsed = Some(row),
                (_, Some(e)) => {
                    match e.column.as_deref().and_then(field_of_column) {
                        Some(f) => {
                            errors.insert(f, e.message);
                        }
                        None => general_error = Some(e.message),
                    };
                }
                (None, None) => general_error = Some("no row".into()),
            },
            Err(e) => general_error = Some(e.to_string()),
        }
    }
    if let Some(row) = &parsed {
        match state.store.graduate(&row.idempotency_key).await {
            Ok(_) => {
                errors.insert("diploma_number", tr.t("form.err.duplicate").to_owned());
            }
            Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some(row) = parsed.filter(|_| errors.is_empty() && general_error.is_none()) else {
        let mut page = render(&form_page(&env, &who, &values, &errors, general_error));
        *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(page);
    };
    let record = serde_json::to_value(&row.diploma)
        .map_err(|e| WebError::Internal(format!("diploma to JSON: {e}")))?;
    state
        .store
        .upsert_graduate(&Graduate {
            id: row.idempotency_key.clone(),
            record,
            updated_at: state.config.clock.now(),
        })
        .await?;
    audit(
        &state,
        &who.user.username,
        "graduate.add",
        &row.idempotency_key,
        serde_json::json!({
            "university": who.university.slug,
            "diploma_number": row.diploma.diploma_number,
        }),
    )
    .await?;
    Ok(Redirect::to(&format!("{}?added=1", graduate_href(&row.idempotency_key))).into_response())
}

/// A labelled value on the detail page.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
    pub lang: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "registrar/graduate.html")]
struct DetailPage {
    chrome: Chrome,
    tr: Tr,
    heading: String,
    added: bool,
    facts: Vec<Fact>,
    record_id: String,
    updated: String,
    actions: Vec<ActionLink>,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    #[serde(default)]
    added: Option<String>,
}

/// `GET /registrar/graduates/{id}`.
pub async fn detail<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, WebError> {
    let tr = env.tr();
    // Another university's record does not exist for this registrar.
    if !id.starts_with(&who.university.graduate_prefix()) {
        return Err(WebError::NotFound);
    }
    let graduate = state.store.graduate(&id).await?;
    let diploma = diploma_of(&graduate);
    let row = row(&graduate, tr);
    let mut facts = Vec::new();
    let mut fact = |label: &'static str, value: Option<String>, lang: Option<&'static str>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            facts.push(Fact {
                label: tr.t(label),
                value,
                lang,
            });
        }
    };
    if let Some(d) = &diploma {
        let h = &d.holder;
        fact("field.name", Some(row.name_latn.clone()), None);
        fact("field.name_ja", row.name_ja.clone(), Some("ja"));
        fact(
            "field.name_kana",
            join_name(
                exact(&h.family_name, "ja-Kana"),
                exact(&h.given_name, "ja-Kana"),
                " ",
            ),
            Some("ja"),
        );
        fact("field.birth_date", h.birth_date.clone(), None);
        for (label, tag, lang) in [
            ("field.title_en", "en", "en"),
            ("field.title_ja", "ja", "ja"),
        ] {
            fact(
                label,
                exact(&d.qualification.title, tag).map(str::to_owned),
                Some(lang),
            );
        }
        if let Some(f) = &d.qualification.field {
            fact(
                "field.field",
                f.best(tr.lang().code()).map(str::to_owned),
                None,
            );
        }
        fact(
            "field.degree",
            d.qualification.jp_degree.clone(),
            Some("ja"),
        );
        fact(
            "field.eqf_level",
            d.qualification.eqf_level.map(|l| l.to_string()),
            None,
        );
        fact(
            "field.isced_field",
            d.qualification.isced_field.clone(),
            None,
        );
        fact(
            "field.credits",
            d.credits.map(|c| {
                format!(
                    "{} {}",
                    c.amount,
                    c.system.label(tr.lang() == crate::Lang::Ja)
                )
            }),
            None,
        );
        fact("field.award_date", Some(d.award_date.clone()), None);
        fact("field.diploma_number", Some(d.diploma_number.clone()), None);
        fact(
            "field.awarding_body",
            d.awarding_body
                .legal_name
                .best(tr.lang().code())
                .map(str::to_owned),
            None,
        );
        fact(
            "field.legal_identifier",
            Some(
                d.awarding_body
                    .legal_identifier
                    .organization_identifier(&d.awarding_body.country),
            ),
            None,
        );
    }
    let summary = GraduateSummary {
        id: graduate.id.clone(),
        path_segment: encode_segment(&graduate.id),
        university: who.university.slug.clone(),
        diploma_number: diploma
            .as_ref()
            .map(|d| d.diploma_number.clone())
            .unwrap_or_default(),
    };
    let actions = state
        .actions
        .iter()
        .flat_map(|a| a.actions(&summary, tr))
        .collect();
    let heading = if row.name_latn.is_empty() {
        graduate.id.clone()
    } else {
        row.name_latn.clone()
    };
    let page = DetailPage {
        chrome: chrome(&env, &who),
        tr,
        heading,
        added: q.added.is_some(),
        facts,
        record_id: graduate.id,
        updated: format_time(graduate.updated_at),
        actions,
    };
    Ok(render(&page))
}
