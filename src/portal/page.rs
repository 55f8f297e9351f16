//! The portal's layout: its own header (inbox, settings, the three
//! languages, sign-out), right to left in Arabic, no script at all, and
//! the staff UI's stylesheet and form fields (`crate::web::page`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::web::i18n::{Lang, Texts};
use crate::web::page::render;

#[derive(Debug, Clone)]
pub struct PortalLayout {
    pub t: Texts,
    pub title: String,
    pub user: Option<PortalNav>,
    pub csrf: String,
    /// This page's path, for the language switch.
    pub path: String,
    pub section: &'static str,
}

#[derive(Debug, Clone)]
pub struct PortalNav {
    pub email: String,
    pub partner: String,
    /// The second factor was given: the navigation is offered.
    pub verified: bool,
}

impl PortalLayout {
    pub fn t(&self, key: &str) -> String {
        self.t.t(key)
    }

    pub fn dir(&self) -> &'static str {
        self.t.lang.dir()
    }

    /// The portal's other languages: code, own name, this page in it.
    pub fn other_langs(&self) -> Vec<(&'static str, &'static str, String)> {
        let sep = if self.path.contains('?') { '&' } else { '?' };
        Lang::PORTAL
            .into_iter()
            .filter(|l| *l != self.t.lang)
            .map(|l| {
                (
                    l.code(),
                    l.own_name(),
                    format!("{}{sep}lang={}", self.path, l.code()),
                )
            })
            .collect()
    }

    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

#[derive(Template)]
#[template(path = "portal/message.html")]
struct MessagePage {
    l: PortalLayout,
    message: String,
}

/// A page that only says what happened: a title and a sentence.
pub fn plain(t: Texts, status: StatusCode, title_key: &str, body_key: &str) -> HttpResponse {
    message(
        PortalLayout {
            t,
            title: t.t(title_key),
            user: None,
            csrf: String::new(),
            path: "/portal".into(),
            section: "",
        },
        status,
        t.t(body_key),
    )
}

/// A sentence inside the layout.
pub fn message(l: PortalLayout, status: StatusCode, message: String) -> HttpResponse {
    render(status, &MessagePage { l, message })
}
