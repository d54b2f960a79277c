//! The registrar portal (`kakehashi-web`), in-process over a real store: CSRF, session
//! fixation, SQL injection strings in every free-text field of the graduate form, of a CSV
//! upload and in the username, and `%2e%2e` path traversal on the static route.
//!
//! The SQL cases are generic over the store: the table runs them on SQLite; the crate's test
//! runs them on PostgreSQL too when `KAKEHASHI_TEST_DATABASE_URL` is set.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use kakehashi_core::UnixTime;
use kakehashi_storage::{RegistrarUser, Store};
use kakehashi_storage_sqlite::SqliteStore;
use kakehashi_web::registrar::{RegistrarConfig, RegistrarPortal, University, hash_password};
use kakehashi_web::{Clock, site};

use crate::support::{Context as _, SetupError, send, text};
use crate::{Attack, Outcome, observed};

const USER: &str = "registrar@morinomiyako.example";
/// A username that is itself an injection attempt (the portal must treat it as data).
const EVIL_USER: &str = "x'); DELETE FROM registrar_users; --@evil.example";
const PASSWORD: &str = "correct horse battery staple";
const T0: i64 = 1_795_000_000;
const TARGET: &str = "kakehashi-web registrar portal";

/// Injection strings, one per free-text field of the graduate form.
const FORM_INJECTIONS: [(&str, &str); 11] = [
    ("family_name_latn", "O'BRIEN'); DROP TABLE graduates;--"),
    ("given_name_latn", "' OR '1'='1"),
    (
        "family_name_ja",
        "山田'; DELETE FROM graduates WHERE '1'='1",
    ),
    (
        "given_name_ja",
        "花子\"; UPDATE registrar_users SET disabled=1;--",
    ),
    (
        "family_name_kana",
        "ヤマダ' UNION SELECT password_hash FROM registrar_users--",
    ),
    ("given_name_kana", "ハナコ'||(SELECT sqlite_version())||'"),
    ("diploma_number", "M-1'; DROP TABLE audit_log;--"),
    (
        "title_en",
        "Master'); INSERT INTO graduates VALUES('x','{}',0);--",
    ),
    ("title_ja", "修士(工学)$1; SELECT pg_sleep(5);--"),
    (
        "field_en",
        "Engineering' AND 1=(SELECT COUNT(*) FROM portal_sessions)--",
    ),
    ("field_ja", "工学/**/OR/**/1=1;--"),
];

fn university(registrars: Vec<String>) -> Result<University, SetupError> {
    Ok(University {
        slug: "morinomiyako".into(),
        profile: serde_json::from_value(serde_json::json!({
            "legal_name": {"ja": "国立大学法人杜の都大学", "en": "Morinomiyako National University"},
            "country": "JP",
            "legal_identifier": {"scheme": "JP-CorporateNumber", "value": "9370005009999"}
        }))
        .ctx("awarding body")?,
        registrars,
    })
}

struct Portal<S> {
    router: Router,
    store: S,
}

impl<S: Store + Clone + 'static> Portal<S> {
    async fn new(store: S) -> Result<Self, SetupError> {
        for username in [USER, EVIL_USER] {
            store
                .insert_registrar_user(&RegistrarUser {
                    username: username.into(),
                    password_hash: hash_password(PASSWORD).ctx("hash")?,
                    display_name: format!("{username} display'); DROP TABLE x;--"),
                    disabled: false,
                    created_at: UnixTime(T0),
                })
                .await
                .ctx("user")?;
        }
        let mut config = RegistrarConfig::new(
            vec![university(vec![USER.into(), EVIL_USER.into()])?],
            false,
        );
        config.clock = Clock::from_fn(|| UnixTime(T0));
        let router = site(RegistrarPortal::new(store.clone(), config).router());
        Ok(Self { router, store })
    }

    /// Signs in as `username`, presenting `extra_cookie` too; returns the response.
    async fn sign_in(
        &self,
        username: &str,
        extra_cookie: &str,
    ) -> Result<Response<Body>, SetupError> {
        let page = send(&self.router, get("/registrar/sign-in", "")?).await?;
        let pre = set_cookie(&page, "kakehashi-sign-in").ctx("sign-in cookie")?;
        let csrf = csrf_field(&text(page).await?)?;
        let cookies = if extra_cookie.is_empty() {
            pre
        } else {
            format!("{pre}; {extra_cookie}")
        };
        send(
            &self.router,
            post(
                "/registrar/sign-in",
                &cookies,
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/registrar/graduates"),
                ],
            )?,
        )
        .await
    }

    async fn session(&self, username: &str) -> Result<String, SetupError> {
        let res = self.sign_in(username, "").await?;
        if res.status() != StatusCode::SEE_OTHER {
            return Err(SetupError(format!(
                "sign-in as {username:?}: {}",
                res.status()
            )));
        }
        set_cookie(&res, "kakehashi-registrar").ctx("session cookie")
    }

    async fn csrf_of(&self, path: &str, cookie: &str) -> Result<String, SetupError> {
        csrf_field(&text(send(&self.router, get(path, cookie)?).await?).await?)
    }
}

fn get(path: &str, cookies: &str) -> Result<Request<Body>, SetupError> {
    let mut b = Request::get(path);
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies);
    }
    b.body(Body::empty()).ctx("request")
}

fn post(path: &str, cookies: &str, form: &[(&str, &str)]) -> Result<Request<Body>, SetupError> {
    let encoded = form
        .iter()
        .map(|(k, v)| format!("{k}={}", kakehashi_web::page::encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&");
    Request::post(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(encoded))
        .ctx("request")
}

/// `name=value` of the `Set-Cookie` with that name.
fn set_cookie(res: &Response<Body>, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

fn csrf_field(html: &str) -> Result<String, SetupError> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).ctx("csrf field")? + marker.len();
    let len = html[start..].find('"').ctx("csrf end")?;
    Ok(html[start..start + len].to_owned())
}

fn status(res: &Response<Body>) -> String {
    format!("HTTP {}", res.status().as_u16())
}

pub async fn run() -> Result<Vec<Outcome>, SetupError> {
    let store = SqliteStore::open_in_memory().await.ctx("store")?;
    let p = Portal::new(store).await?;
    let mut out = Vec::new();
    let cookie = p.session(USER).await?;
    let form = [
        ("family_name_latn", "MALLORY"),
        ("given_name_latn", "EVE"),
        ("title_ja", "学士(工学)"),
        ("award_date", "2026-03-25"),
        ("diploma_number", "CSRF-1"),
    ];
    out.push(observed(
        Attack {
            name: "POST without CSRF token",
            threat: "CSRF (OWASP)",
            target: TARGET,
            sent: "signed-in `POST /registrar/graduates/new` without `csrf`",
            expected: "HTTP 403",
        },
        status(&send(&p.router, post("/registrar/graduates/new", &cookie, &form)?).await?),
    ));
    let mut forged = form.to_vec();
    forged.push(("csrf", "forged-token"));
    out.push(observed(
        Attack {
            name: "POST with a wrong CSRF token",
            threat: "CSRF (OWASP)",
            target: TARGET,
            sent: "signed-in `POST /registrar/graduates/new` with `csrf=forged-token`",
            expected: "HTTP 403",
        },
        status(
            &send(
                &p.router,
                post("/registrar/graduates/new", &cookie, &forged)?,
            )
            .await?,
        ),
    ));
    out.push(observed(
        Attack {
            name: "Login CSRF (sign-in without the pre-session)",
            threat: "login CSRF",
            target: TARGET,
            sent: "`POST /registrar/sign-in` with right credentials, no sign-in cookie, `csrf=x`",
            expected: "HTTP 403",
        },
        status(
            &send(
                &p.router,
                post(
                    "/registrar/sign-in",
                    "",
                    &[("username", USER), ("password", PASSWORD), ("csrf", "x")],
                )?,
            )
            .await?,
        ),
    ));

    // Session fixation: a planted session cookie is not adopted.
    let planted = "kakehashi-registrar=planted-by-attacker";
    let res = p.sign_in(USER, planted).await?;
    let fresh = set_cookie(&res, "kakehashi-registrar").unwrap_or_default();
    let planted_works = send(&p.router, get("/registrar/graduates", planted)?).await?;
    out.push(observed(
        Attack {
            name: "Session fixation",
            threat: "session fixation (OWASP)",
            target: TARGET,
            sent: "sign-in carrying `kakehashi-registrar=planted-by-attacker`; then the planted id used",
            expected: "HTTP 303, fresh session id issued; planted id → HTTP 303 to sign-in",
        },
        format!(
            "{}, {} session id issued; planted id → {}{}",
            status(&res),
            if !fresh.is_empty() && fresh != planted {
                "fresh"
            } else {
                "planted"
            },
            status(&planted_works),
            if planted_works
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.starts_with("/registrar/sign-in"))
            {
                " to sign-in"
            } else {
                ""
            }
        ),
    ));

    // A 10 MB upload.
    let boundary = "attack-boundary-big";
    let big = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        "a".repeat(10 << 20)
    );
    let req = Request::post("/registrar/import")
        .header(header::COOKIE, &cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(big))
        .ctx("request")?;
    out.push(observed(
        Attack {
            name: "10 MB CSV upload",
            threat: "resource exhaustion (body size cap)",
            target: "kakehashi-web registrar import",
            sent: "signed-in multipart upload of 10 MiB",
            expected: "HTTP 413",
        },
        status(&send(&p.router, req).await?),
    ));

    out.extend(sql_injection(&p).await?);

    // Path traversal on the static route.
    for (name, path) in [
        (
            "`%2e%2e` in a static asset URL",
            "/static/%2e%2e%2f%2e%2e%2fCargo.toml",
        ),
        (
            "`..` segments in a static asset URL",
            "/static/..%2F..%2F..%2Fetc%2Fpasswd",
        ),
    ] {
        out.push(observed(
            Attack {
                name,
                threat: "path traversal (CWE-22)",
                target: "kakehashi-web `site` static route",
                sent: path,
                expected: "HTTP 404",
            },
            status(&send(&p.router, get(path, "")?).await?),
        ));
    }
    Ok(out)
}

/// SQL injection through the portal on `p`'s store: the injection username signs in, adds a
/// graduate with an injection string in every free-text field, uploads a CSV row of them;
/// every string must be read back verbatim from the store and nothing else may change.
async fn sql_injection<S: Store + Clone + 'static>(
    p: &Portal<S>,
) -> Result<Vec<Outcome>, SetupError> {
    let mut out = Vec::new();
    let cookie = p.session(EVIL_USER).await?;
    let user = p.store.registrar_user(EVIL_USER).await.ctx("read user")?;
    let other = p.store.registrar_user(USER).await.ctx("read other user")?;
    out.push(observed(
        Attack {
            name: "SQL injection in the username",
            threat: "SQL injection (CWE-89)",
            target: "kakehashi-web sign-in → store",
            sent: "sign-in as `x'); DELETE FROM registrar_users; --@evil.example`",
            expected: "signed in; username and display name read back verbatim; other users intact",
        },
        format!(
            "signed in; username and display name read back {}; other users {}",
            if user.username == EVIL_USER && user.display_name.starts_with(EVIL_USER) {
                "verbatim"
            } else {
                "altered"
            },
            if other.username == USER && !other.disabled {
                "intact"
            } else {
                "changed"
            }
        ),
    ));

    let before = p.store.graduates(None, 1000).await.ctx("graduates")?.len();
    let csrf = p.csrf_of("/registrar/graduates/new", &cookie).await?;
    let mut form: Vec<(&str, &str)> = FORM_INJECTIONS.to_vec();
    form.extend([
        ("award_date", "2026-03-25"),
        ("degree", "修士"),
        ("csrf", &csrf),
    ]);
    let res = send(&p.router, post("/registrar/graduates/new", &cookie, &form)?).await?;
    let added = status(&res);
    let stored = p.store.graduates(None, 1000).await.ctx("graduates")?;
    let earlier = stored
        .iter()
        .find(|g| g.record.to_string().contains("O'BRIEN"))
        .map(|g| g.record.clone());
    let record = earlier.as_ref().map(|r| r.to_string()).unwrap_or_default();
    let verbatim = FORM_INJECTIONS
        .iter()
        .filter(|(_, v)| record.contains(&serde_json::Value::from(*v).to_string()))
        .count();
    out.push(observed(
        Attack {
            name: "SQL injection in every graduate form field",
            threat: "SQL injection (CWE-89)",
            target: "kakehashi-web graduate form → store",
            sent: "11 free-text fields (names ×6, diploma number, titles ×2, fields of study ×2) of `'); DROP TABLE …;--` style strings",
            expected: "HTTP 303; 11/11 strings read back verbatim; graduates 0 → 1",
        },
        format!(
            "{added}; {verbatim}/{} strings read back verbatim; graduates {before} → {}",
            FORM_INJECTIONS.len(),
            stored.len()
        ),
    ));

    // The same strings as a CSV upload (names and titles; another diploma number).
    let csrf = p.csrf_of("/registrar/import", &cookie).await?;
    let csv_strings = [
        "ROBERT'); DROP TABLE graduates;--",
        "' OR 1=1 --",
        "佐藤\"; DELETE FROM portal_sessions;--",
        "一郎' OR ''='",
        "Engineer'); TRUNCATE graduates;--",
        "工学修士\\'; DROP SCHEMA public CASCADE;--",
        "Bridges'; COPY graduates TO '/tmp/x';--",
        "橋梁'); ALTER TABLE graduates DROP COLUMN record;--",
        "Civil' || (SELECT version()) || '",
        "土木'; SELECT pg_read_file('/etc/passwd');--",
    ];
    let quoted: Vec<String> = csv_strings
        .iter()
        .map(|v| format!("\"{}\"", v.replace('"', "\"\"")))
        .collect();
    let csv = format!(
        "family_name_latn,given_name_latn,family_name_ja,given_name_ja,title_en,title_ja,\
         thesis_title_en,thesis_title_ja,field_en,field_ja,degree,award_date,diploma_number\n\
         {},修士,2026-03-25,\"CSV-1'--\"\n",
        quoted.join(",")
    );
    let boundary = "attack-boundary-7d1f";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let req = Request::post("/registrar/import")
        .header(header::COOKIE, &cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .ctx("request")?;
    let res = send(&p.router, req).await?;
    let uploaded = status(&res);
    let after = p.store.graduates(None, 1000).await.ctx("graduates")?;
    let all: String = after.iter().map(|g| g.record.to_string()).collect();
    let verbatim = csv_strings
        .iter()
        .filter(|v| all.contains(&serde_json::Value::from(**v).to_string()))
        .count();
    let first_kept = earlier.is_some_and(|e| after.iter().any(|g| g.record == e));
    out.push(observed(
        Attack {
            name: "SQL injection in a CSV row (file name `../../etc/passwd`)",
            threat: "SQL injection (CWE-89), path traversal in an upload name",
            target: "kakehashi-web CSV import → store",
            sent: "multipart upload named `../../etc/passwd`, one row of injection strings in 10 text columns",
            expected: "HTTP 200; 10/10 strings read back verbatim; graduates 1 → 2, earlier record unchanged",
        },
        format!(
            "{uploaded}; {verbatim}/{} strings read back verbatim; graduates {} → {}, earlier record {}",
            csv_strings.len(),
            stored.len(),
            after.len(),
            if first_kept { "unchanged" } else { "changed" }
        ),
    ));
    Ok(out)
}

/// The SQL injection cases on PostgreSQL (`url`), in a fresh schema dropped afterwards.
pub async fn sql_injection_on_postgres(url: &str) -> Result<Vec<Outcome>, SetupError> {
    use kakehashi_storage_postgres::{PoolSettings, PostgresStore};
    let mut random = [0u8; 8];
    aws_lc_rs::rand::fill(&mut random).ctx("random")?;
    let schema = format!("attacks_{}", u64::from_le_bytes(random));
    let store = PostgresStore::connect_with(url, PoolSettings::default().schema(&schema))
        .await
        .ctx("connect")?;
    let result = async {
        let p = Portal::new(store.clone()).await?;
        sql_injection(&p).await
    }
    .await;
    store.danger_drop_schema(&schema).await.ctx("drop schema")?;
    store.close().await;
    result
}
