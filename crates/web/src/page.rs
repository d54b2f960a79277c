//! What a page handler gets and gives: the request's [`PageEnv`] (language, CSP nonce, path),
//! the layout data [`Chrome`], and [`render`] from an askama template to a response.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::WebError;
use crate::i18n::{Lang, Tr};

/// Per-request page environment, put in the request extensions by
/// [`crate::security::page_layer`].
#[derive(Debug, Clone)]
pub struct PageEnv {
    pub lang: Lang,
    /// The CSP nonce of this response: `<script nonce="{{ chrome.nonce }}">`.
    pub nonce: String,
    pub path: String,
    pub query: Option<String>,
}

impl PageEnv {
    /// The translator.
    pub fn tr(&self) -> Tr {
        Tr(self.lang)
    }

    /// This page's address with `lang` replaced, for the language switch.
    pub fn switch_href(&self, lang: Lang) -> String {
        let mut params: Vec<&str> = self
            .query
            .as_deref()
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .collect();
        let pair = format!("lang={}", lang.code());
        params.push(&pair);
        format!("{}?{}", self.path, params.join("&"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageEnv {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<PageEnv>()
            .cloned()
            .ok_or_else(|| WebError::Internal("page router used without crate::site()".into()))
    }
}

/// One entry of the language switch.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// One entry of a portal's navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// i18n key of the label.
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The signed-in user shown in the header, with the CSRF token of the sign-out form.
#[derive(Debug, Clone)]
pub struct UserBox {
    pub display_name: String,
    pub organisation: String,
    pub sign_out_action: String,
    pub csrf: String,
}

/// Everything the base layout (`templates/base.html`) needs. Every page struct has a
/// `chrome: Chrome` and a `tr: Tr` field.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: &'static str,
    pub nonce: String,
    pub stylesheet: &'static str,
    pub switch: Vec<LangLink>,
    pub nav: Vec<NavLink>,
    pub user: Option<UserBox>,
}

impl Chrome {
    /// Layout data for a page without portal navigation.
    pub fn new(env: &PageEnv) -> Self {
        Self {
            lang: env.lang.code(),
            nonce: env.nonce.clone(),
            stylesheet: crate::assets::stylesheet_url(),
            switch: Lang::ALL
                .iter()
                .map(|l| LangLink {
                    code: l.code(),
                    name: l.native_name(),
                    href: env.switch_href(*l),
                    current: *l == env.lang,
                })
                .collect(),
            nav: Vec::new(),
            user: None,
        }
    }

    /// Adds navigation; the entry whose `href` is a prefix of the current path is marked
    /// current (the longest one wins).
    pub fn with_nav(mut self, env: &PageEnv, links: &[(&'static str, &str)]) -> Self {
        let current = links
            .iter()
            .filter(|(_, href)| env.path == *href || env.path.starts_with(&format!("{href}/")))
            .max_by_key(|(_, href)| href.len())
            .map(|(_, href)| *href);
        self.nav = links
            .iter()
            .map(|(label, href)| NavLink {
                label,
                href: (*href).to_owned(),
                current: Some(*href) == current,
            })
            .collect();
        self
    }

    /// Adds the signed-in user.
    pub fn with_user(mut self, user: UserBox) -> Self {
        self.user = Some(user);
        self
    }
}

/// Renders a template as an HTML response (status 200).
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => WebError::Internal(format!("template: {e}")).into_response(),
    }
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Formats a time for people: `2026-11-23 15:20 UTC` style without the zone (column headings
/// say UTC).
pub fn format_time(t: kakehashi_core::UnixTime) -> String {
    let s = t.to_rfc3339();
    // `YYYY-MM-DDTHH:MM:SSZ` -> `YYYY-MM-DD HH:MM`
    s.get(..16).map_or(s.clone(), |p| p.replacen('T', " ", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_keeps_other_parameters() {
        let env = PageEnv {
            lang: Lang::En,
            nonce: String::new(),
            path: "/registrar/graduates".into(),
            query: Some("after=X&lang=en".into()),
        };
        assert_eq!(
            env.switch_href(Lang::Ja),
            "/registrar/graduates?after=X&lang=ja"
        );
    }

    #[test]
    fn segments_and_times() {
        assert_eq!(encode_segment("NTRJP-1/修"), "NTRJP-1%2F%E4%BF%AE");
        assert_eq!(
            format_time(kakehashi_core::UnixTime(1_795_000_000)),
            "2026-11-18 11:06"
        );
    }
}
