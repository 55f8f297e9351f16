//! A person at a partner in the portal, without a browser: invited as
//! `brug partner user add` does, sets a password through the link, enrols
//! the second factor from the QR page, and signs in with codes an
//! authenticator app would show.

use brug::audit::Actor;
use brug::auth::partner_users::{self, PartnerRole};
use brug::auth::totp;

use crate::helpers::TestApp;
use crate::web_helpers::{Answer, Browser, PASSWORD};

/// A person at a partner, signed in: their browser, email and TOTP secret.
pub struct PortalUser<'a> {
    pub browser: Browser<'a>,
    pub email: String,
    pub id: String,
    pub secret: String,
}

/// The code an authenticator app shows `steps` 30-second steps from now.
pub fn code(secret: &str, steps: i64) -> String {
    let at = chrono::Utc::now().timestamp() + steps * 30;
    totp::code_at(secret, u64::try_from(at).expect("time")).expect("code")
}

/// The secret behind the enrolment page's QR code.
pub fn secret_of(page: &Answer) -> String {
    let marker = "class=\"secret\">";
    let start = page.html.find(marker).expect("the secret is shown") + marker.len();
    let end = page.html[start..].find('<').expect("end") + start;
    page.html[start..end].replace(' ', "")
}

/// Invites a person (as the CLI does) and returns the invitation token.
pub async fn invite(
    app: &TestApp,
    partner: &str,
    role: PartnerRole,
    language: &str,
) -> (String, String) {
    let email = format!("{}@partner.example.org", uuid::Uuid::now_v7().simple());
    let (partner, mail, language) = (partner.to_owned(), email.clone(), language.to_owned());
    let (_, token) = app
        .write(move |conn, now| {
            partner_users::add(conn, &Actor::cli(), &partner, &mail, role, &language, now)
        })
        .await;
    (email, token)
}

/// A new person at `partner`, through the invitation link and enrolment,
/// signed in.
pub async fn portal_user<'a>(app: &'a TestApp, partner: &str, role: PartnerRole) -> PortalUser<'a> {
    let (email, token) = invite(app, partner, role, "en").await;
    let mut browser = Browser::new(app);
    let page = browser.get(&format!("/portal/invite/{token}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let set = browser
        .post(
            &format!("/portal/invite/{token}"),
            &[("password", PASSWORD), ("again", PASSWORD)],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.html);
    assert_eq!(set.location.as_deref(), Some("/portal/second-factor"));
    let enrol = browser.get("/portal/second-factor").await;
    assert_eq!(enrol.status, 200, "{}", enrol.html);
    let secret = secret_of(&enrol);
    let done = browser
        .post(
            "/portal/second-factor",
            &[("code", &code(&secret, 0)), ("next", "/portal")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let mail = email.clone();
    let id = app
        .write(move |conn, _| {
            Ok(partner_users::by_email(conn, &mail)?
                .expect("the person")
                .id)
        })
        .await;
    PortalUser {
        browser,
        email,
        id,
        secret,
    }
}

/// Posts a portal form as the page drew it: its token and a fresh
/// idempotency key (or the one given).
pub async fn submit(browser: &mut Browser<'_>, path: &str, fields: &[(&str, &str)]) -> Answer {
    let key = uuid::Uuid::new_v4().to_string();
    let mut all: Vec<(&str, &str)> = vec![("idempotency_key", key.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// The `data-field` names a portal page shows, in order.
pub fn shown_fields(html: &str) -> Vec<String> {
    html.match_indices("data-field=\"")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"').expect("end")].to_owned()
        })
        .collect()
}
