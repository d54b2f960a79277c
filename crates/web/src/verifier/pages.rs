//! The pages: choose a verifier and a template, the waiting request (QR code, same-device
//! link), the result with the trust explanation and the recognition report, the PDF.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_academic::report::Lang as ReportLang;
use kakehashi_core::{b64, form};
use kakehashi_http_verifier::{
    CreateSession, Flow, VerifierError, has_report, new_session, render_report_pdf,
};
use kakehashi_storage::{SessionStatus, StorageError, Store, VerifierSession};
use serde::Deserialize;
use serde_json::Value;

use super::{BASE, Desk, Portal};
use crate::WebError;
use crate::i18n::{Lang, Tr};
use crate::page::{Chrome, PageEnv, format_time, render};
use crate::registrar::set_cookie;
use crate::security::{constant_time_eq, cookie, random_token};
use crate::wallet::view::{ClaimRow, rows};

/// The portal's navigation.
const NAV: [(&str, &str); 1] = [("verifier.nav.new", BASE)];

fn desk_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-kakehashi-desk"
    } else {
        "kakehashi-desk"
    }
}

/// The cookie holding one session's result token (`vps_…` ids are cookie-name safe).
fn result_cookie_name(secure: bool, session_id: &str) -> String {
    if secure {
        format!("__Host-kakehashi-result-{session_id}")
    } else {
        format!("kakehashi-result-{session_id}")
    }
}

/// One template to choose.
pub struct TemplateChoice {
    pub id: String,
    pub title: String,
}

/// One verifier with its templates.
pub struct DeskChoice {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub templates: Vec<TemplateChoice>,
}

#[derive(Template)]
#[template(path = "verifier/index.html")]
struct IndexPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    desks: Vec<DeskChoice>,
    error: Option<&'static str>,
}

fn choices<S>(portal: &Portal<S>, tr: Tr) -> Vec<DeskChoice> {
    portal
        .desks
        .iter()
        .map(|d| DeskChoice {
            id: d.id.clone(),
            name: d.name(tr).to_owned(),
            client_id: d.state.client_id.to_string(),
            templates: d
                .state
                .templates
                .iter()
                .map(|t| TemplateChoice {
                    id: t.id.clone(),
                    title: match tr.lang() {
                        Lang::Ja => t.title_ja.clone(),
                        Lang::En => t.title_en.clone(),
                    },
                })
                .collect(),
        })
        .collect()
}

/// `GET /verifier-portal`: which verifier asks, and for what.
pub async fn index<S: Store + Clone + 'static>(
    State(portal): State<Portal<S>>,
    env: PageEnv,
    headers: HeaderMap,
) -> Response {
    let secure = portal.config.secure_cookies;
    let existing = cookie(&headers, desk_cookie_name(secure)).map(str::to_owned);
    let csrf = existing.clone().unwrap_or_else(|| random_token(24));
    let tr = env.tr();
    let mut response = render(&IndexPage {
        chrome: Chrome::new(&env).with_nav(&env, &NAV),
        tr,
        csrf: csrf.clone(),
        desks: choices(&portal, tr),
        error: None,
    });
    if existing.is_none() {
        set_cookie(
            response.headers_mut(),
            desk_cookie_name(secure),
            &csrf,
            8 * 3600,
            secure,
        );
    }
    response
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    choice: String,
}

/// `POST /verifier-portal/sessions`: creates the request and keeps its result token in a
/// cookie of this browser only.
pub async fn create<S: Store + Clone + 'static>(
    State(portal): State<Portal<S>>,
    env: PageEnv,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    let secure = portal.config.secure_cookies;
    let expected = cookie(&headers, desk_cookie_name(secure)).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    let tr = env.tr();
    // `choice` is `<desk>/<template>`: one radio group across verifiers.
    let found = form
        .choice
        .split_once('/')
        .and_then(|(d, t)| Some((portal.desk(d)?, t)));
    let Some((desk, template)) = found else {
        let mut r = render(&IndexPage {
            chrome: Chrome::new(&env).with_nav(&env, &NAV),
            tr,
            csrf: form.csrf,
            desks: choices(&portal, tr),
            error: Some("verifier.choose.missing"),
        });
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    };
    let created = new_session(
        &desk.state,
        CreateSession {
            template: template.to_owned(),
            flow: Flow::CrossDevice,
            response_mode: None,
        },
    )
    .await
    .map_err(|e| match e {
        VerifierError::UnknownTemplate(_) => WebError::BadRequest("unknown template".into()),
        other => WebError::Internal(format!("verifier session: {other}")),
    })?;
    let id = created["session_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let token = created["result_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if id.is_empty() || token.is_empty() {
        return Err(WebError::Internal(
            "verifier session without id or token".into(),
        ));
    }
    tracing::info!(desk = %desk.id, template, session = %id, "verifier portal request created");
    let mut response = Redirect::to(&format!("{BASE}/{}/sessions/{id}", desk.id)).into_response();
    set_cookie(
        response.headers_mut(),
        &result_cookie_name(secure, &id),
        &token,
        desk.state.config.session_lifetime.max(60),
        secure,
    );
    Ok(response)
}

/// The session of `id` at `desk`, if this browser created it (its result cookie holds the
/// session's token). Anyone else gets "not found", the same as for a session that does not
/// exist.
async fn owned_session<'a, S: Store + Clone + 'static>(
    portal: &'a Portal<S>,
    desk: &str,
    id: &str,
    headers: &HeaderMap,
) -> Result<(&'a Desk<S>, VerifierSession), WebError> {
    let desk = portal.desk(desk).ok_or(WebError::NotFound)?;
    let presented = cookie(
        headers,
        &result_cookie_name(portal.config.secure_cookies, id),
    )
    .unwrap_or_default();
    let expected = desk.state.result_token(id);
    if presented.is_empty() || !constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(WebError::NotFound);
    }
    match desk.state.store.verifier_session(id).await {
        Ok(record) => Ok((desk, record)),
        Err(StorageError::NotFound { .. }) => Err(WebError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "verifier/waiting.html")]
struct WaitingPage {
    chrome: Chrome,
    tr: Tr,
    desk_name: String,
    template_title: String,
    qr_data_uri: String,
    request_link: String,
    wallet_link: Option<String>,
    fetched: bool,
    expired: bool,
    expires: String,
    refresh: u32,
    here: String,
}

/// One credential's outcome.
pub struct CredentialResult {
    pub verified: bool,
    pub issuer: String,
    pub issued_at: String,
    /// Trust facts (label, value), when the issuer was trusted.
    pub trust: Vec<(String, String)>,
    /// Why it failed (the check and the reason).
    pub failed_check: Option<String>,
    pub failure: Option<String>,
    pub claims: Vec<ClaimRow>,
    pub report: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "verifier/result.html")]
struct ResultPage {
    chrome: Chrome,
    tr: Tr,
    desk_name: String,
    template_title: String,
    verified: bool,
    declined: bool,
    error: Option<String>,
    verified_at: String,
    credentials: Vec<CredentialResult>,
    pdf_href: Option<String>,
}

fn template_title<S>(desk: &Desk<S>, record: &VerifierSession, tr: Tr) -> String {
    let id = record.dcql_query["template"].as_str().unwrap_or_default();
    desk.state
        .templates
        .iter()
        .find(|t| t.id == id)
        .map_or_else(
            || id.to_owned(),
            |t| match tr.lang() {
                Lang::Ja => t.title_ja.clone(),
                Lang::En => t.title_en.clone(),
            },
        )
}

/// The `openid4vp://` link of a session (what its QR code encodes).
fn request_link<S>(desk: &Desk<S>, record: &VerifierSession) -> String {
    let request_uri = record.request_uri.clone().unwrap_or_default();
    format!(
        "openid4vp://?{}",
        form::encode(&[
            ("client_id", &*desk.state.client_id),
            ("request_uri", &request_uri)
        ])
    )
}

fn qr_data_uri(text: &str) -> Result<String, WebError> {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| WebError::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        b64::encode_std(svg)
    ))
}

fn trust_class_key(class: &str) -> String {
    format!("trust.class.{class}")
}

fn credential_result(c: &Value, tr: Tr) -> CredentialResult {
    let lang = tr.lang().code();
    let trust = &c["trust"];
    let mut facts = Vec::new();
    if trust["trusted"].as_bool() == Some(true) {
        let class = trust["class"].as_str().unwrap_or_default();
        let key = trust_class_key(class);
        facts.push((
            tr.t("verifier.trust.class").to_owned(),
            if Tr::has(&key) {
                tr.t(&key).to_owned()
            } else {
                class.to_owned()
            },
        ));
        let recognition = match trust["recognition"].as_str() {
            Some("legal") => tr.t("verifier.trust.legal"),
            _ => tr.t("verifier.trust.pilot"),
        };
        facts.push((
            tr.t("verifier.trust.recognition").to_owned(),
            recognition.to_owned(),
        ));
        // The description names the territory, the sequence number and the anchoring LOTL.
        facts.push((
            tr.t("verifier.trust.list").to_owned(),
            trust["list"]["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
        facts.push((
            tr.t("verifier.trust.provider").to_owned(),
            trust["provider"].as_str().unwrap_or_default().to_owned(),
        ));
        facts.push((
            tr.t("verifier.trust.service").to_owned(),
            format!(
                "{} ({})",
                trust["service"]["name"].as_str().unwrap_or_default(),
                trust["service"]["status"].as_str().unwrap_or_default()
            ),
        ));
        facts.push((
            tr.t("verifier.trust.rule").to_owned(),
            format!(
                "{} — {}",
                trust["rule"].as_str().unwrap_or_default(),
                trust["basis"].as_str().unwrap_or_default()
            ),
        ));
        if let Some(org) = trust["organization_identifier"].as_str() {
            facts.push((
                tr.t("verifier.trust.organisation").to_owned(),
                org.to_owned(),
            ));
        }
    }
    let report = c["report"]["sections"][lang]
        .as_array()
        .map(|sections| {
            sections
                .iter()
                .map(|s| {
                    (
                        s["heading"].as_str().unwrap_or_default().to_owned(),
                        s["lines"]
                            .as_array()
                            .map(|l| {
                                l.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let disclosed = &c["disclosed_claims"];
    let shown = disclosed.get("credentialSubject").unwrap_or(disclosed);
    CredentialResult {
        verified: c["verified"].as_bool() == Some(true),
        issuer: c["issuer"].as_str().unwrap_or_default().to_owned(),
        issued_at: c["issued_at"].as_str().unwrap_or_default().to_owned(),
        trust: facts,
        failed_check: c["check"].as_str().map(str::to_owned),
        failure: c["error"].as_str().map(str::to_owned),
        claims: if shown.is_object() {
            rows(shown, None, tr, true)
        } else {
            Vec::new()
        },
        report,
    }
}

/// `GET /verifier-portal/{desk}/sessions/{id}`: the waiting request, or its result.
pub async fn session<S: Store + Clone + 'static>(
    State(portal): State<Portal<S>>,
    env: PageEnv,
    headers: HeaderMap,
    Path((desk_id, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (desk, record) = owned_session(&portal, &desk_id, &id, &headers).await?;
    let tr = env.tr();
    let chrome = Chrome::new(&env).with_nav(&env, &NAV);
    let title = template_title(desk, &record, tr);
    let finished = matches!(
        record.status,
        SessionStatus::Verified | SessionStatus::Failed
    );
    let Some(result) = record.result.as_ref().filter(|_| finished) else {
        let link = request_link(desk, &record);
        let expired = desk.state.now() >= record.expires_at;
        let wallet_link = portal.config.wallet_present_url.as_ref().map(|w| {
            let query = link.split_once('?').map_or("", |(_, q)| q);
            format!("{w}?{query}")
        });
        return Ok(render(&WaitingPage {
            chrome,
            tr,
            desk_name: desk.name(tr).to_owned(),
            template_title: title,
            qr_data_uri: qr_data_uri(&link)?,
            request_link: link,
            wallet_link,
            fetched: record.status != SessionStatus::Created,
            expired,
            expires: format_time(record.expires_at),
            refresh: if expired {
                0
            } else {
                portal.config.refresh_seconds
            },
            here: format!("{BASE}/{}/sessions/{id}", desk.id),
        }));
    };
    let verified = record.status == SessionStatus::Verified;
    let error_code = result["error"]["error"].as_str();
    let credentials: Vec<CredentialResult> = result["credentials"]
        .as_array()
        .map(|l| l.iter().map(|c| credential_result(c, tr)).collect())
        .unwrap_or_default();
    // The PDF is rendered on download from the stored report, with the node's font.
    let has_pdf = has_report(result) && desk.state.report_font().await.is_some();
    Ok(render(&ResultPage {
        chrome,
        tr,
        desk_name: desk.name(tr).to_owned(),
        template_title: title,
        verified,
        declined: error_code == Some("access_denied"),
        error: if verified {
            None
        } else {
            result["error"]["error_description"]
                .as_str()
                .or(error_code)
                .map(str::to_owned)
        },
        verified_at: result["verified_at"]
            .as_str()
            .unwrap_or_default()
            .replace('T', " "),
        credentials,
        pdf_href: has_pdf.then(|| {
            format!(
                "{BASE}/{}/sessions/{id}/report.pdf?lang={}",
                desk.id,
                tr.lang().code()
            )
        }),
    }))
}

#[derive(Deserialize)]
pub struct PdfQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /verifier-portal/{desk}/sessions/{id}/report.pdf?lang=en|ja`: the recognition report
/// rendered now from the stored result, for this browser only.
pub async fn report_pdf<S: Store + Clone + 'static>(
    State(portal): State<Portal<S>>,
    headers: HeaderMap,
    Path((desk_id, id)): Path<(String, String)>,
    Query(q): Query<PdfQuery>,
) -> Result<Response, WebError> {
    let (desk, record) = owned_session(&portal, &desk_id, &id, &headers).await?;
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or_default();
    let result = record.result.as_ref().ok_or(WebError::NotFound)?;
    let report_lang = match lang {
        Lang::Ja => ReportLang::Ja,
        Lang::En => ReportLang::En,
    };
    let bytes = render_report_pdf(&desk.state, result, report_lang)
        .await
        .map_err(|e| match e {
            VerifierError::NoPdf(_) => WebError::NotFound,
            other => WebError::Internal(format!("PDF report: {other}")),
        })?;
    let lang = lang.code();
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"kakehashi-report-{lang}.pdf\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_cookies_are_per_session() {
        assert_eq!(
            result_cookie_name(true, "vps_abc-_1"),
            "__Host-kakehashi-result-vps_abc-_1"
        );
        assert_eq!(result_cookie_name(false, "vps_x"), "kakehashi-result-vps_x");
    }

    #[test]
    fn qr_codes_are_data_uris() {
        let uri = qr_data_uri("openid4vp://?client_id=x").unwrap();
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
        let svg = b64::decode_std(uri.trim_start_matches("data:image/svg+xml;base64,")).unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }
}
