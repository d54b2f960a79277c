//! CSV import: upload, row-level errors, idempotent and resumable.
//!
//! The file is parsed with `kakehashi_academic::csv_import` for the registrar's university.
//! Valid rows are written in file order under an [`ImportJob`] keyed by the file's hash: a job
//! interrupted half-way resumes at `rows_done`, the same file uploaded again finds its finished
//! job, and every row's record id is its idempotency key, so no diploma is ever added twice
//! (a row whose record exists is counted as already registered, not overwritten).

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use kakehashi_academic::csv_import::{self, CsvEncoding, RowError};
use kakehashi_storage::{Graduate, ImportJob, StorageError, Store};

use super::{BASE, Registrar, SignedIn, audit, chrome};
use crate::WebError;
use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, render};
use crate::security::{hex, random_token, sha256};

/// The outcome shown after an upload.
pub struct ImportResult {
    pub file_name: String,
    pub encoding: &'static str,
    pub added: usize,
    pub already: usize,
    pub errors: Vec<RowError>,
    pub repeat: bool,
}

#[derive(Template)]
#[template(path = "registrar/import.html")]
struct ImportPage {
    chrome: Chrome,
    tr: Tr,
    csrf: String,
    action: String,
    required_columns: String,
    optional_columns: String,
    result: Option<ImportResult>,
    /// A file-level problem: nothing was imported.
    file_error: Option<String>,
}

const REQUIRED: [&str; 5] = [
    "family_name_latn",
    "given_name_latn",
    "title_ja",
    "award_date",
    "diploma_number",
];

fn import_page(
    env: &PageEnv,
    who: &SignedIn,
    result: Option<ImportResult>,
    file_error: Option<String>,
) -> ImportPage {
    let tr = env.tr();
    ImportPage {
        chrome: chrome(env, who),
        tr,
        csrf: who.session.csrf_token.clone(),
        action: format!("{BASE}/import"),
        required_columns: REQUIRED.join(", "),
        optional_columns: csv_import::COLUMNS
            .iter()
            .filter(|c| !REQUIRED.contains(c))
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        result,
        file_error,
    }
}

/// `GET /registrar/import`.
pub async fn page<S: Store + Clone + 'static>(
    State(_): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
) -> Response {
    render(&import_page(&env, &who, None, None))
}

/// `POST /registrar/import` (multipart: `csrf`, `file`).
pub async fn upload<S: Store + Clone + 'static>(
    State(state): State<Registrar<S>>,
    env: PageEnv,
    who: SignedIn,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(multipart_error)?,
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(multipart_error)?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    who.check_csrf(&csrf)?;
    let tr = env.tr();
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = import_page(&env, &who, None, Some(tr.t("import.no_file").to_owned()));
        return Ok(unprocessable(render(&page)));
    };
    let parsed = match csv_import::parse(&bytes, &who.university.profile) {
        Ok(p) => p,
        Err(e) => {
            let page = import_page(&env, &who, None, Some(e.to_string()));
            return Ok(unprocessable(render(&page)));
        }
    };
    // The job is per university and file.
    let mut keyed = who.university.slug.as_bytes().to_vec();
    keyed.push(0);
    keyed.extend_from_slice(&bytes);
    let file_hash = sha256(&keyed);
    let now = state.config.clock.now();
    let rows_total = u32::try_from(parsed.rows.len()).unwrap_or(u32::MAX);
    let (mut job, repeat) = match state.store.import_job_by_file_hash(&file_hash).await? {
        Some(job) => (job, true),
        None => {
            let job = ImportJob {
                id: random_token(16),
                file_hash: file_hash.clone(),
                username: who.user.username.clone(),
                rows_total,
                rows_done: 0,
                created_at: now,
                finished_at: None,
            };
            match state.store.insert_import_job(&job).await {
                Ok(()) => (job, false),
                // Another upload of the same file won the race: continue its job.
                Err(StorageError::Conflict { .. }) => (
                    state
                        .store
                        .import_job_by_file_hash(&file_hash)
                        .await?
                        .ok_or(WebError::Internal("import job vanished".into()))?,
                    true,
                ),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut added = 0usize;
    let mut already = usize::try_from(job.rows_done).unwrap_or(usize::MAX);
    for (i, row) in parsed
        .rows
        .iter()
        .enumerate()
        .skip(usize::try_from(job.rows_done).unwrap_or(usize::MAX))
    {
        match state.store.graduate(&row.idempotency_key).await {
            Ok(_) => already += 1,
            Err(StorageError::NotFound { .. }) => {
                let record = serde_json::to_value(&row.diploma)
                    .map_err(|e| WebError::Internal(format!("diploma to JSON: {e}")))?;
                state
                    .store
                    .upsert_graduate(&Graduate {
                        id: row.idempotency_key.clone(),
                        record,
                        updated_at: now,
                    })
                    .await?;
                added += 1;
            }
            Err(e) => return Err(e.into()),
        }
        let done = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match state
            .store
            .advance_import_job(&job.id, job.rows_done, done, now)
            .await
        {
            Ok(j) => job = j,
            // Another importer is working on this file; the idempotency keys keep the rows it
            // writes from doubling ours. Stop here and report what this request did.
            Err(StorageError::StaleVersion { .. }) => break,
            Err(e) => return Err(e.into()),
        }
    }
    audit(
        &state,
        &who.user.username,
        "graduate.import",
        &job.id,
        serde_json::json!({
            "university": who.university.slug,
            "file": file_name,
            "file_sha256": hex(&file_hash),
            "added": added,
            "already_registered": already,
            "rows_with_errors": parsed.errors.len(),
        }),
    )
    .await?;
    let result = ImportResult {
        file_name,
        encoding: match parsed.encoding {
            CsvEncoding::Utf8 => "UTF-8",
            CsvEncoding::Utf8Bom => "UTF-8 (BOM)",
            CsvEncoding::ShiftJis => "Shift_JIS",
        },
        added,
        already,
        errors: parsed.errors,
        repeat,
    };
    Ok(render(&import_page(&env, &who, Some(result), None)))
}

fn unprocessable(mut response: Response) -> Response {
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> WebError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        WebError::TooLarge
    } else {
        WebError::BadRequest(e.body_text())
    }
}
