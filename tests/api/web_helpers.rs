//! A person in the browser, without the browser: sign in through `/login`,
//! keep the cookies, fill each form's CSRF token from the last page.

use std::collections::BTreeMap;

use brug::audit::Actor;
use brug::auth::Role;
use brug::auth::commands as auth_commands;
use brug::auth::sessions;

use crate::helpers::TestApp;

pub const PASSWORD: &str = "a long enough passphrase";

/// What a page answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub html: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> Option<String> {
        hidden(&self.html, "csrf")
    }

    pub fn contains(&self, text: &str) -> bool {
        self.html.contains(text)
    }

    /// The text of the error shown beside field `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let marker = format!("id=\"{name}-error\">");
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find("</p>")? + start;
        Some(self.html[start..end].to_owned())
    }

    /// The value a text field shows.
    pub fn field_value(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" ");
        let at = self.html.find(&marker)?;
        let rest = &self.html[at..];
        let start = rest.find("value=\"")? + 7;
        let end = rest[start..].find('"')? + start;
        Some(rest[start..end].to_owned())
    }
}

pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// A browser-like client: its own cookies, no redirects followed.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    pub last_csrf: Option<String>,
    pub accept_language: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
            last_csrf: None,
            accept_language: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn answer(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all(reqwest::header::SET_COOKIE) {
            let text = value.to_str().expect("cookie text");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            let removed = attributes.contains("Max-Age=0") || value.is_empty();
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let location = headers
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().expect("location").to_owned());
        let html = response.text().await.expect("body");
        let answer = Answer {
            status,
            location,
            html,
            headers,
        };
        if let Some(token) = answer.csrf() {
            self.last_csrf = Some(token);
        }
        answer
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let mut request = self
            .client
            .get(self.app.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header());
        if let Some(lang) = &self.accept_language {
            request = request.header(reqwest::header::ACCEPT_LANGUAGE, lang);
        }
        let response = request.send().await.expect("request sent");
        self.answer(response).await
    }

    /// Posts a form with the CSRF token of the last page shown.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.last_csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly these fields (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let response = self
            .client
            .post(self.app.url(path))
            .header(reqwest::header::COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(serde_urlencoded::to_string(fields).expect("form"))
            .send()
            .await
            .expect("request sent");
        self.answer(response).await
    }

    /// Signs in through the form; panics unless it worked.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200, "{}", page.html);
        let answer = self
            .post(
                "/login",
                &[("email", email), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(answer.status, 303, "sign-in refused: {}", answer.html);
        assert!(self.cookies.contains_key("brug_session"));
    }
}

/// A new staff user with these roles and a password; returns (email, user id).
pub async fn staff_user(app: &TestApp, roles: &[Role], name: &str) -> (String, String) {
    let email = format!("{}@example.org", uuid::Uuid::now_v7().simple());
    let (roles, name_owned, mail) = (roles.to_vec(), name.to_owned(), email.clone());
    app.write(move |conn, now| {
        auth_commands::add_user(conn, &mail, Some(&name_owned), &roles, now)?;
        sessions::set_password(conn, &Actor::cli(), &mail, PASSWORD, now)
    })
    .await;
    let mail = email.clone();
    let id = app
        .write(move |conn, _| {
            use brug::db::schema::users;
            use diesel::prelude::*;
            Ok(users::table
                .filter(users::email.eq(&mail))
                .select(users::id)
                .first::<String>(conn)?)
        })
        .await;
    (email, id)
}

/// A signed-in browser for a new user with these roles.
pub async fn signed_in<'a>(app: &'a TestApp, roles: &[Role], name: &str) -> (Browser<'a>, String) {
    let (email, id) = staff_user(app, roles, name).await;
    let mut browser = Browser::new(app);
    browser.sign_in(&email, PASSWORD).await;
    (browser, id)
}
