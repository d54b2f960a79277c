//! The extension point for what can be done with a graduate's record.
//!
//! The registrar portal itself only keeps records. Issuing a credential offer (QR code or link),
//! revoking or suspending a credential belong to the issuer module, which implements
//! [`GraduateActions`] and registers it with
//! [`RegistrarPortal::with_actions`](super::RegistrarPortal::with_actions); its handlers live
//! at the links it returns (added with
//! [`RegistrarPortal::with_routes`](super::RegistrarPortal::with_routes)). With nothing
//! registered the page says so instead of showing buttons that do nothing.

use crate::i18n::Tr;

/// What an action provider sees of a graduate.
#[derive(Debug, Clone)]
pub struct GraduateSummary {
    /// Record id (`<organisation identifier>/<diploma number>`).
    pub id: String,
    /// The record's URL path segment (percent-encoded id).
    pub path_segment: String,
    /// The university's slug.
    pub university: String,
    /// The diploma number.
    pub diploma_number: String,
}

/// How an action is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStyle {
    /// The main thing to do (issue).
    Primary,
    /// Ordinary.
    Normal,
    /// Destructive or hard to undo (revoke).
    Danger,
}

/// One action link: a GET to a page of the module that owns the action, which shows its own
/// form (with the CSRF token) or result.
#[derive(Debug, Clone)]
pub struct ActionLink {
    /// Label in the page language.
    pub label: String,
    /// One sentence on what it does, in the page language.
    pub description: String,
    pub href: String,
    pub style: ActionStyle,
}

impl ActionLink {
    /// CSS class of the style.
    pub fn class(&self) -> &'static str {
        match self.style {
            ActionStyle::Primary => "button primary",
            ActionStyle::Normal => "button",
            ActionStyle::Danger => "button danger",
        }
    }
}

/// A provider of actions on a graduate's page.
pub trait GraduateActions: Send + Sync {
    /// The actions available for this graduate now, labelled in `tr`'s language.
    fn actions(&self, graduate: &GraduateSummary, tr: Tr) -> Vec<ActionLink>;
}
