//! Issuance services for the registrar portal and the `kakehashi registrar import` command:
//! graduate records, approval, and resumable, idempotent bulk offers from a CSV file.

use kakehashi_academic::csv_import::CsvRow;
use kakehashi_academic::model::Diploma;
use kakehashi_core::{UnixTime, b64};
use kakehashi_storage::{ImportJob, IssuerStore, PortalStore, StorageError};
use serde::Serialize;

use crate::IssuerError;
use crate::offers::{Approval, GraduateRecord, OfferIssuer, OfferOptions};
use crate::state::sha256;

/// Stores (or updates) a graduate's diploma, keeping approval and sign-in code of an existing
/// record unless `approval` is given.
pub async fn upsert_graduate<S: PortalStore>(
    store: &S,
    graduate_id: &str,
    diploma: Diploma,
    approval: Option<Approval>,
    now: UnixTime,
) -> Result<(), IssuerError> {
    let record = match store.graduate(graduate_id).await {
        Ok(g) => {
            let mut r = GraduateRecord::from_graduate(&g)?;
            r.diploma = diploma;
            if let Some(a) = approval {
                r.approval = a;
            }
            r
        }
        Err(StorageError::NotFound { .. }) => GraduateRecord {
            diploma,
            approval: approval.unwrap_or_default(),
            sign_in_code_sha256: None,
        },
        Err(e) => return Err(e.into()),
    };
    store
        .upsert_graduate(&record.to_graduate(graduate_id, now))
        .await?;
    Ok(())
}

/// Registrar portal: approves (or puts on hold) a graduate's diploma. Deferred requests are
/// delivered at the wallet's next poll once approved.
pub async fn set_approval<S: PortalStore>(
    store: &S,
    graduate_id: &str,
    approval: Approval,
    now: UnixTime,
) -> Result<(), IssuerError> {
    let mut record = crate::offers::graduate_record(store, graduate_id).await?;
    record.approval = approval;
    store
        .upsert_graduate(&record.to_graduate(graduate_id, now))
        .await?;
    Ok(())
}

/// The offer id a CSV row maps to: stable per idempotency key, so a re-run finds it.
pub fn bulk_offer_id(idempotency_key: &str) -> String {
    format!(
        "imp_{}",
        &b64::encode(sha256(idempotency_key.as_bytes()))[..22]
    )
}

/// Who runs an import and on which file.
#[derive(Debug, Clone)]
pub struct ImportSpec {
    /// SHA-256 of the file: the same file resumes the same job.
    pub file_hash: Vec<u8>,
    /// The registrar (audit).
    pub username: String,
    /// Offer lifetime, seconds.
    pub offer_lifetime: i64,
}

/// The outcome of a bulk run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BulkSummary {
    /// Valid rows in the file.
    pub rows: u32,
    /// Offers created by this run.
    pub issued: u32,
    /// Rows that already had an offer or credential (or were done by an earlier run).
    pub skipped: u32,
}

const ADVANCE_EVERY: u32 = 50;

/// Bulk issuance: for each valid row, stores the graduate and creates a pre-authorized offer
/// (with transaction code, by reference) unless the row's idempotency key already has an
/// issued credential or an offer. Progress is saved in an [`ImportJob`] keyed by the file
/// hash: after a crash the same file resumes where it stopped; rows between the last saved
/// position and the crash are found by their idempotency keys, so nothing is issued twice
/// and no row is lost. `progress(done, total)` is called after each row.
pub async fn bulk_issue<S: IssuerStore + PortalStore>(
    store: &S,
    issuer: &OfferIssuer,
    rows: &[CsvRow],
    spec: &ImportSpec,
    clock: &(dyn Fn() -> UnixTime + Send + Sync),
    mut progress: impl FnMut(u32, u32),
) -> Result<BulkSummary, IssuerError> {
    let total = u32::try_from(rows.len()).map_err(IssuerError::internal)?;
    let mut job = match store.import_job_by_file_hash(&spec.file_hash).await? {
        Some(job) => job,
        None => {
            let job = ImportJob {
                id: format!("job_{}", &b64::encode(&spec.file_hash)[..22]),
                file_hash: spec.file_hash.clone(),
                username: spec.username.clone(),
                rows_total: total,
                rows_done: 0,
                created_at: clock(),
                finished_at: None,
            };
            match store.insert_import_job(&job).await {
                Ok(()) => job,
                Err(StorageError::Conflict { .. }) => store
                    .import_job_by_file_hash(&spec.file_hash)
                    .await?
                    .ok_or(IssuerError::Internal("import job vanished".into()))?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut summary = BulkSummary {
        rows: total,
        ..BulkSummary::default()
    };
    let start = job.rows_done.min(total);
    summary.skipped = start;
    progress(start, total);
    let options = OfferOptions {
        tx_code: true,
        by_reference: true,
        lifetime: spec.offer_lifetime,
    };
    let mut saved = job.rows_done;
    for (i, row) in rows
        .iter()
        .enumerate()
        .skip(usize::try_from(start).unwrap_or(0))
    {
        let done = u32::try_from(i + 1).map_err(IssuerError::internal)?;
        let offer_id = bulk_offer_id(&row.idempotency_key);
        let already = store
            .issued_credential_by_idempotency_key(&row.idempotency_key)
            .await?
            .is_some()
            || match store.credential_offer(&offer_id).await {
                Ok(_) => true,
                Err(StorageError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
        if already {
            summary.skipped += 1;
        } else {
            let now = clock();
            upsert_graduate(store, &row.idempotency_key, row.diploma.clone(), None, now).await?;
            let offer = issuer.new_offer(&offer_id, &row.idempotency_key, &options, now);
            match store.insert_credential_offer(&offer).await {
                Ok(()) => summary.issued += 1,
                // A concurrent importer created it between our check and insert.
                Err(StorageError::Conflict { .. }) => summary.skipped += 1,
                Err(e) => return Err(e.into()),
            }
        }
        if done == total || done - saved >= ADVANCE_EVERY {
            match store
                .advance_import_job(&job.id, saved, done, clock())
                .await
            {
                Ok(j) => {
                    saved = j.rows_done;
                    job = j;
                }
                Err(StorageError::StaleVersion { found, .. }) => {
                    // Another importer moved the job: keep going (idempotency keys protect us)
                    // and save from its position if ours is further.
                    let found = u32::try_from(found).unwrap_or(saved);
                    if found < done
                        && let Ok(j) = store
                            .advance_import_job(&job.id, found, done, clock())
                            .await
                    {
                        job = j;
                    }
                    saved = done.max(found);
                }
                Err(e) => return Err(e.into()),
            }
        }
        progress(done, total);
    }
    Ok(summary)
}
