//! `/`: the portals this node serves.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::i18n::Tr;
use crate::page::{Chrome, PageEnv, render};

/// A portal on the home page.
#[derive(Debug, Clone)]
pub struct PortalLink {
    /// i18n key of the name.
    pub title: &'static str,
    /// i18n key of one sentence on who it is for.
    pub description: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    tr: Tr,
    portals: Vec<PortalLink>,
}

/// `GET /`.
pub fn router(portals: Vec<PortalLink>) -> Router {
    Router::new().route("/", get(page)).with_state(portals)
}

async fn page(State(portals): State<Vec<PortalLink>>, env: PageEnv) -> Response {
    render(&HomePage {
        chrome: Chrome::new(&env),
        tr: env.tr(),
        portals,
    })
}
