//! Composition: the role routers of a node, and the demo data of a first start.
//!
//! | role       | mounted                                   |
//! |------------|-------------------------------------------|
//! | `issuer`   | registrar portal `/registrar/…`; OpenID4VCI issuers `/issuers/{eu,jp}/…` |
//! | `verifier` | OpenID4VP verifiers `/verifiers/{eu,jp}/verifier/…`; verifier portal `/verifier-portal` |
//! | `wallet`   | student web wallet `/wallet/…` (demo student accounts)                  |
//! | `registry` | trust registry pages `/registry`; signed lists `/tsl/{name}.xml`        |
//! | any        | home page `/` listing the mounted portals |
//!
//! Everything is generic over `S: Store + Clone + 'static`; the binary picks the backend.

use kakehashi_academic::csv_import;
use kakehashi_core::UnixTime;
use kakehashi_storage::{AuditEntry, Graduate, HolderAccount, RegistrarUser, StorageError, Store};
use kakehashi_web::home::PortalLink;
use kakehashi_web::registrar::{RegistrarConfig, RegistrarPortal, University, hash_password};
use kakehashi_web::registry::SharedRegistryView;
use kakehashi_web::verifier::{VerifierPortal, VerifierPortalConfig};
use kakehashi_web::wallet::{WalletPortal, WalletPortalConfig};
use kakehashi_web::{Clock, WebError};

use crate::deployment::Deployment;
use crate::{Config, Role};

/// What the pages need besides the store and the configuration.
#[derive(Debug, Clone)]
pub struct PageSetup {
    /// Universities using the registrar portal (from the demo data or, later, configuration).
    pub universities: Vec<University>,
    /// The trust registry's view, filled and replaced by whoever loads the lists.
    pub registry: SharedRegistryView,
    pub clock: Clock,
}

impl PageSetup {
    /// Universities as given, no trusted lists loaded yet, the system clock.
    pub fn new(universities: Vec<University>) -> Self {
        Self {
            universities,
            registry: SharedRegistryView::default(),
            clock: Clock::system(),
        }
    }
}

/// The composed routers and the portals to announce.
pub struct Composed {
    pub router: axum::Router,
    /// `(name, path)` of each portal, for the start-up message.
    pub portals: Vec<(&'static str, String)>,
}

/// The routers of the roles `config` names, wrapped with the pages' security layer.
pub fn role_routers<S: Store + Clone + 'static>(
    store: S,
    config: &Config,
    setup: PageSetup,
    deployment: Option<&Deployment<S>>,
) -> Composed {
    let secure_cookies = config.public_url.starts_with("https://");
    let mut pages = axum::Router::new();
    let mut links = Vec::new();
    let mut portals = Vec::new();
    if config.roles.contains(&Role::Issuer) {
        let mut registrar = RegistrarConfig::new(setup.universities.clone(), secure_cookies);
        registrar.clock = setup.clock.clone();
        let mut portal = RegistrarPortal::new(store.clone(), registrar);
        if let Some(d) = deployment {
            // Each university's registrars issue with that university's issuer.
            portal = portal.with_issuers(
                d.issuers
                    .iter()
                    .map(|i| (i.university.to_owned(), i.state.clone()))
                    .collect(),
            );
        }
        pages = pages.merge(portal.router());
        links.push(PortalLink {
            title: "home.registrar",
            description: "home.registrar.desc",
            href: "/registrar/graduates".into(),
        });
        portals.push(("registrar portal", "/registrar/sign-in".to_owned()));
    }
    if config.roles.contains(&Role::Registry) {
        pages = pages.merge(kakehashi_web::registry::router(
            setup.registry.clone(),
            setup.clock.clone(),
        ));
        links.push(PortalLink {
            title: "nav.registry",
            description: "home.registry.desc",
            href: kakehashi_web::registry::BASE.into(),
        });
        portals.push(("trust registry", kakehashi_web::registry::BASE.to_owned()));
    }
    if let Some(d) = deployment {
        let wallet_here = config.roles.contains(&Role::Wallet);
        if config.roles.contains(&Role::Verifier) {
            let mut desk = VerifierPortalConfig::new(secure_cookies);
            if !wallet_here {
                desk.wallet_present_url = None;
            }
            let verifiers = d
                .verifiers
                .iter()
                .map(|v| {
                    let (id, en, ja) =
                        (v.id.to_owned(), v.name_en.to_owned(), v.name_ja.to_owned());
                    (id, en, ja, v.state.clone())
                })
                .collect();
            pages = pages.merge(VerifierPortal::new(verifiers, desk).router());
            links.push(PortalLink {
                title: "home.verifier",
                description: "home.verifier.desc",
                href: kakehashi_web::verifier::BASE.into(),
            });
            portals.push(("verifier portal", kakehashi_web::verifier::BASE.to_owned()));
        }
        if wallet_here {
            let wallet = WalletPortal::new(
                store.clone(),
                d.wallet.clone(),
                WalletPortalConfig::new(secure_cookies),
            );
            pages = pages.merge(wallet.router());
            links.push(PortalLink {
                title: "home.wallet",
                description: "home.wallet.desc",
                href: "/wallet/credentials".into(),
            });
            portals.push(("student wallet", "/wallet/sign-in".to_owned()));
        }
    }
    pages = pages.merge(kakehashi_web::home::router(links));
    portals.insert(0, ("home", "/".to_owned()));
    let mut protocols = axum::Router::new();
    if let Some(d) = deployment {
        if config.roles.contains(&Role::Issuer) {
            for issuer in &d.issuers {
                let path = kakehashi_http_issuer::issuer_path(&issuer.state);
                protocols = protocols
                    .nest(&path, kakehashi_http_issuer::router(issuer.state.clone()))
                    .merge(kakehashi_http_issuer::well_known_router(
                        issuer.state.clone(),
                    ));
                portals.push((
                    if issuer.id == "eu" {
                        "EU issuer"
                    } else {
                        "JP issuer"
                    },
                    format!("{path}/.well-known/openid-credential-issuer"),
                ));
            }
        }
        if config.roles.contains(&Role::Verifier) {
            for verifier in &d.verifiers {
                protocols = protocols.nest(
                    &format!("/verifiers/{}", verifier.id),
                    kakehashi_http_verifier::router(verifier.state.clone()),
                );
            }
        }
        if config.roles.contains(&Role::Registry) {
            protocols = protocols.merge(crate::deployment::list_router(d.world.clone()));
            portals.push(("EU LOTL", "/tsl/eu-lotl.xml".to_owned()));
        }
    }
    Composed {
        router: kakehashi_web::site(pages).merge(protocols),
        portals,
    }
}

/// The two fictional universities of the pilot and their registrar accounts: the same
/// organisations (names, VAT / Corporate Number) as the seal certificates of the test PKI, so
/// what their registrars issue verifies against the trusted lists.
pub fn demo_universities() -> Result<Vec<University>, WebError> {
    use kakehashi_http_issuer::Profile;
    use kakehashi_http_issuer::demo::awarding_body;
    Ok(vec![
        University {
            slug: crate::deployment::EU_SLUG.into(),
            profile: awarding_body(Profile::Eu),
            registrars: vec!["registrar@brabant-leuven.example".into()],
        },
        University {
            slug: crate::deployment::JP_SLUG.into(),
            profile: awarding_body(Profile::Jp),
            registrars: vec!["registrar@morinomiyako.example".into()],
        },
    ])
}

/// Demo graduates as registrar CSV files (the same format the import page takes).
fn demo_csv(slug: &str) -> &'static str {
    match slug {
        "brabant-leuven" => {
            "family_name_latn,given_name_latn,birth_date,title_en,title_ja,field_en,field_ja,isced_field,eqf_level,credits,credit_system,award_date,diploma_number\n\
             PEETERS,Lotte,2001-05-14,Master of Science in Engineering: Computer Science,工学修士(コンピュータサイエンス),Computer Science,コンピュータサイエンス,061,7,120,ECTS,2026-07-03,BL-2026-00417\n\
             JANSSENS,Ruben,2000-11-02,Bachelor of Arts in History,文学士(歴史学),History,歴史学,022,6,180,ECTS,2025-06-27,BL-2025-01988\n\
             DUBOIS,Amélie,1999-03-21,Master of Laws,法学修士,Law,法学,042,7,120,ECTS,2026-02-06,BL-2026-00052\n"
        }
        _ => {
            "family_name_ja,family_name_kana,family_name_latn,given_name_ja,given_name_kana,given_name_latn,birth_date,degree,title_ja,title_en,field_ja,field_en,isced_field,credits,award_date,diploma_number\n\
             山田,ヤマダ,YAMADA,花子,ハナコ,HANAKO,2000-04-01,修士,修士(工学),Master of Engineering,工学,Engineering,071,30,2026-03-25,修第1234号\n\
             佐藤,サトウ,SATO,健太,ケンタ,KENTA,2003-09-12,学士,学士(文学),Bachelor of Arts,文学,Literature,023,124,2026-03-25,学第5678号\n\
             鈴木,スズキ,SUZUKI,美咲,ミサキ,MISAKI,1996-01-30,博士,博士(理学),Doctor of Science,理学,Science,053,,2025-09-25,博第0042号\n"
        }
    }
}

/// The demo registrars' names (fictional).
fn demo_display_name(username: &str) -> String {
    if username.contains("morinomiyako") {
        "佐々木 恵 (SASAKI Megumi)".into()
    } else {
        "Sophie Claes".into()
    }
}

/// What [`ensure_demo_data`] did. `Debug` hides the password.
#[derive(Default)]
pub struct DemoOutcome {
    /// Accounts created now: `(username, university name)`.
    pub created_accounts: Vec<(String, String)>,
    /// The password of the created accounts, when it was generated (show it once).
    pub generated_password: Option<String>,
    /// Graduates created now.
    pub created_graduates: usize,
    /// Web-wallet student accounts created now: `(username, name)`.
    pub created_students: Vec<(String, String)>,
}

impl std::fmt::Debug for DemoOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoOutcome")
            .field("created_accounts", &self.created_accounts)
            .field(
                "generated_password",
                &self.generated_password.as_ref().map(|_| "<redacted>"),
            )
            .field("created_graduates", &self.created_graduates)
            .field("created_students", &self.created_students)
            .finish()
    }
}

/// Creates the registrar accounts and demo graduates that do not exist yet. Idempotent: a
/// restart creates nothing and changes no password. The password is `password` (from
/// `KAKEHASHI_DEMO_PASSWORD`) or, if absent, generated and returned so the caller can show it
/// once; it is never logged.
pub async fn ensure_demo_data<S: Store>(
    store: &S,
    universities: &[University],
    password: Option<&str>,
    now: UnixTime,
) -> Result<DemoOutcome, WebError> {
    let mut outcome = DemoOutcome::default();
    let mut chosen: Option<String> = password.map(str::to_owned);
    for university in universities {
        let name = university
            .profile
            .legal_name
            .best("en")
            .unwrap_or_default()
            .to_owned();
        for username in &university.registrars {
            match store.registrar_user(username).await {
                Ok(_) => continue,
                Err(StorageError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let password = match &chosen {
                Some(p) => p.clone(),
                None => {
                    let p = kakehashi_web::security::random_token(12);
                    outcome.generated_password = Some(p.clone());
                    chosen = Some(p.clone());
                    p
                }
            };
            let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| WebError::Internal(e.to_string()))??;
            match store
                .insert_registrar_user(&RegistrarUser {
                    username: username.clone(),
                    password_hash,
                    display_name: demo_display_name(username),
                    disabled: false,
                    created_at: now,
                })
                .await
            {
                // Another node of the same database created it first.
                Ok(()) | Err(StorageError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            outcome
                .created_accounts
                .push((username.clone(), name.clone()));
        }
        let import = csv_import::parse(demo_csv(&university.slug).as_bytes(), &university.profile)
            .map_err(|e| WebError::Internal(format!("demo CSV: {e}")))?;
        if let Some(e) = import.errors.first() {
            return Err(WebError::Internal(format!(
                "demo CSV line {}: {}",
                e.line, e.message
            )));
        }
        for row in import.rows {
            match store.graduate(&row.idempotency_key).await {
                Ok(_) => continue,
                Err(StorageError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            let record = serde_json::to_value(&row.diploma)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            store
                .upsert_graduate(&Graduate {
                    id: row.idempotency_key.clone(),
                    record,
                    updated_at: now,
                })
                .await?;
            store
                .append_audit(&AuditEntry {
                    sequence: 0,
                    at: now,
                    actor: "system:demo-data".into(),
                    action: "graduate.add".into(),
                    target: row.idempotency_key,
                    details: serde_json::json!({
                        "university": university.slug,
                        "diploma_number": row.diploma.diploma_number,
                    }),
                })
                .await?;
            outcome.created_graduates += 1;
        }
    }
    // The two demo graduates' web-wallet accounts, with the same password as the registrars.
    for (username, holder_id, display_name) in DEMO_STUDENTS {
        match store.holder_account(username).await {
            Ok(_) => continue,
            Err(StorageError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let password = match &chosen {
            Some(p) => p.clone(),
            None => {
                let p = kakehashi_web::security::random_token(12);
                outcome.generated_password = Some(p.clone());
                chosen = Some(p.clone());
                p
            }
        };
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))??;
        match store
            .insert_holder_account(&HolderAccount {
                username: (*username).to_owned(),
                holder_id: (*holder_id).to_owned(),
                password_hash,
                display_name: (*display_name).to_owned(),
                disabled: false,
                created_at: now,
            })
            .await
        {
            Ok(()) | Err(StorageError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        outcome
            .created_students
            .push(((*username).to_owned(), (*display_name).to_owned()));
    }
    Ok(outcome)
}

/// The demo students' wallet accounts: `(username, holder id, name)` (fictional; the
/// graduates of the demo CSV files).
const DEMO_STUDENTS: [(&str, &str, &str); 2] = [
    (
        "hanako.yamada@student.example",
        "hanako.yamada",
        "山田 花子 (YAMADA Hanako)",
    ),
    (
        "lotte.peeters@student.example",
        "lotte.peeters",
        "Lotte Peeters",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_universities_are_valid() {
        let u = demo_universities().unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(
            u[1].profile
                .legal_identifier
                .organization_identifier(&u[1].profile.country),
            "NTRJP-7123456789012"
        );
        for university in &u {
            let import =
                csv_import::parse(demo_csv(&university.slug).as_bytes(), &university.profile)
                    .unwrap();
            assert!(import.errors.is_empty(), "{:?}", import.errors);
            assert_eq!(import.rows.len(), 3);
        }
    }

    #[tokio::test]
    async fn demo_data_is_created_once_and_keeps_its_password() {
        use kakehashi_storage::{HolderAccountStore as _, PortalStore as _};
        let store = kakehashi_storage_sqlite::SqliteStore::open_in_memory()
            .await
            .unwrap();
        let universities = demo_universities().unwrap();
        let now = UnixTime(1_795_000_000);
        let first = ensure_demo_data(&store, &universities, None, now)
            .await
            .unwrap();
        assert_eq!(first.created_accounts.len(), 2);
        assert_eq!(first.created_graduates, 6);
        assert_eq!(first.created_students.len(), 2);
        let password = first.generated_password.clone().unwrap();
        let hash = store
            .registrar_user("registrar@morinomiyako.example")
            .await
            .unwrap()
            .password_hash;
        let second = ensure_demo_data(&store, &universities, Some("other"), now)
            .await
            .unwrap();
        assert!(second.created_accounts.is_empty() && second.generated_password.is_none());
        assert_eq!(second.created_graduates, 0);
        assert!(second.created_students.is_empty());
        let student = store
            .holder_account("hanako.yamada@student.example")
            .await
            .unwrap();
        assert_eq!(student.holder_id, "hanako.yamada");
        let after = store
            .registrar_user("registrar@morinomiyako.example")
            .await
            .unwrap()
            .password_hash;
        assert_eq!(hash, after, "a restart never changes the password");
        assert!(password.len() >= 16);
        assert!(
            !format!("{first:?}").contains(&password),
            "no password in Debug"
        );
    }

    #[test]
    fn belgian_vat_check_digits() {
        let n: u64 = 9_991_234;
        assert_eq!(97 - n % 97, 57);
    }
}
