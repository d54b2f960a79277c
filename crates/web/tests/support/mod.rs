//! A minimal browser for in-process page tests: a cookie jar, GET and form POST through
//! `oneshot`, and helpers to read hidden fields out of the HTML.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use kakehashi_core::form;
use tower::ServiceExt as _;

/// One browser: its own cookies.
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
}

/// A response as the test reads it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, app: &Router, request: Request<Body>) -> Page {
        let response = app.clone().oneshot(request).await.unwrap();
        for v in response.headers().get_all(header::SET_COOKIE) {
            let text = v.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if text.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap()
            .to_vec();
        Page {
            status,
            location,
            content_type,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&mut self, app: &Router, uri: &str) -> Page {
        let request = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(app, request).await
    }

    pub async fn post(&mut self, app: &Router, uri: &str, fields: &[(&str, &str)]) -> Page {
        let request = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form::encode(fields)))
            .unwrap();
        self.send(app, request).await
    }
}

/// The `value` of the first `<input … name="{name}" value="…">` in `html`.
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// The `action` of the first form whose action starts with `prefix`.
pub fn form_action(html: &str, prefix: &str) -> String {
    let marker = format!("action=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no form {prefix}"))
        + 8;
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// The `href` of the first link whose address starts with `prefix`.
pub fn link(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no link {prefix}"))
        + 6;
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

/// Undoes askama's HTML escaping.
pub fn unescape(text: &str) -> String {
    text.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#61;", "=")
        .replace("&#x3d;", "=")
        .replace("&#47;", "/")
        .replace("&#x2f;", "/")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Signs in at `base` (`/wallet` or another portal with the same form).
pub async fn sign_in(
    browser: &mut Browser,
    app: &Router,
    base: &str,
    user: &str,
    password: &str,
) -> Page {
    let page = browser.get(app, &format!("{base}/sign-in")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = field(&page.body, "csrf");
    browser
        .post(
            app,
            &format!("{base}/sign-in"),
            &[
                ("username", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", ""),
            ],
        )
        .await
}
