//! Loading the List of Trusted Lists and following its pointers.
//!
//! The LOTL's signer must be pinned (its certificates are announced out of band: in the EU in
//! the Official Journal, for the pilot in the configuration). Each pointed-to list is fetched
//! from its `TSLLocation` and verified with the pointer's certificates
//! ([`ListAnchors::LotlPointer`]). A list that cannot be fetched or verified is kept as a
//! [`ListFailure`] with its reason and is never trusted.

use kakehashi_core::UnixTime;
use kakehashi_trust::tsl::uri::MIME_TSL_XML;
use kakehashi_trust::{ListAnchors, TrustError, VerifiedTrustedList, verify_list};

use crate::{FetchError, Fetcher};

/// The media type of TS 119 612 XML lists.
pub const TSL_XML: &str = "application/vnd.etsi.tsl+xml";

/// Why one list is not trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListLoadError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Verify(#[from] TrustError),
}

/// A list that was pointed to but is not trusted, and why.
#[derive(Debug)]
pub struct ListFailure {
    pub territory: Option<String>,
    pub location: String,
    pub error: ListLoadError,
}

/// The verified LOTL, the verified lists it points to, and the failures.
#[derive(Debug)]
pub struct TrustedListSet {
    pub lotl: VerifiedTrustedList,
    pub lists: Vec<VerifiedTrustedList>,
    pub failures: Vec<ListFailure>,
}

/// Loads the LOTL at `lotl_location` (signer pinned to one of `lotl_pins`) and every XML list it
/// points to. Fails only if the LOTL itself cannot be trusted.
pub async fn load(
    fetcher: &Fetcher,
    lotl_location: &str,
    lotl_pins: &[[u8; 32]],
    now: UnixTime,
) -> Result<TrustedListSet, ListLoadError> {
    let lotl_bytes = fetcher.get(lotl_location, TSL_XML).await?;
    let lotl = verify_list(&lotl_bytes.body, ListAnchors::PinnedSha256(lotl_pins), now)?;
    let mut lists = Vec::new();
    let mut failures = Vec::new();
    let pointers: Vec<(Option<String>, String)> = lotl
        .list()
        .scheme
        .pointers
        .iter()
        .filter(|p| p.mime_type.as_deref().is_none_or(|m| m == MIME_TSL_XML))
        .map(|p| (p.territory.clone(), p.location.clone()))
        .collect();
    for (territory, location) in pointers {
        let result = async {
            let fetched = fetcher.get(&location, TSL_XML).await?;
            let anchors = ListAnchors::LotlPointer {
                lotl: &lotl,
                location: &location,
            };
            Ok::<_, ListLoadError>(verify_list(&fetched.body, anchors, now)?)
        }
        .await;
        match result {
            Ok(list) => {
                tracing::info!(
                    territory = list.territory(),
                    seq = list.sequence_number(),
                    "trusted list loaded"
                );
                lists.push(list);
            }
            Err(error) => {
                tracing::warn!(?territory, %location, %error, "trusted list NOT trusted");
                failures.push(ListFailure {
                    territory,
                    location,
                    error,
                });
            }
        }
    }
    Ok(TrustedListSet {
        lotl,
        lists,
        failures,
    })
}
