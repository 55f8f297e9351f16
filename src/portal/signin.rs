//! Signing in to the portal: email and password, then a code from an
//! authenticator app (enrolled from a QR code the first time); setting a
//! password from an invitation; signing out. Throttled per address and per
//! account as the staff's sign-in is.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::context::Portal;
use super::guard::SESSION_COOKIE;
use super::page::PortalLayout;
use crate::auth::partner_users as people;
use crate::auth::portal_sessions as sessions;
use crate::auth::throttle::FailedAuthThrottle;
use crate::auth::totp;
use crate::http::AppError;
use crate::web::form::{FORM_COOKIE, FormData};
use crate::web::guard::cookie;
use crate::web::page::{self, Field, Kind};
use crate::web::signin::{form_token, safe_next};

/// Only a portal path is followed after sign-in.
fn portal_next(next: &str) -> String {
    let next = safe_next(next);
    if next.starts_with("/portal") {
        next
    } else {
        "/portal".to_owned()
    }
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    l: PortalLayout,
    email: Field,
    password: Field,
    next: String,
    notice: Option<String>,
    problem: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    /// Sent back after too many wrong codes.
    codes: Option<String>,
}

fn login_page(
    portal: &Portal,
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    next: &str,
    notice: Option<String>,
    problem: Option<String>,
) -> HttpResponse {
    let (token, new) = match form_token(req) {
        Ok(token) => token,
        Err(err) => return portal.fail(err),
    };
    let t = portal.t;
    let mut l = portal.layout(t.t("portal-login-title"), "");
    l.user = None;
    // A session still waiting for its code checks forms with its own token.
    l.csrf = if portal.session.is_some() {
        portal.csrf()
    } else {
        token.clone()
    };
    let body = LoginPage {
        email: Field::new("email", t.t("portal-login-email"), Kind::Email)
            .required()
            .value(email)
            .autocomplete("username"),
        password: Field::new("password", t.t("portal-login-password"), Kind::Password)
            .required()
            .autocomplete("current-password"),
        next: portal_next(next),
        notice,
        problem,
        l,
    };
    let mut res = page::render(status, &body);
    if new && let Err(err) = res.add_cookie(&cookie(FORM_COOKIE, token, portal.insecure_cookies)) {
        tracing::warn!(error = %err, "could not set the form cookie");
    }
    res
}

pub async fn show_login(
    portal: Portal,
    req: HttpRequest,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let next = query.next.as_deref().unwrap_or("/portal");
    if portal.session.as_ref().is_some_and(|s| s.verified) {
        return page::see_other(&portal_next(next));
    }
    let notice = match (&query.signed_out, &query.codes) {
        (_, Some(_)) => Some(portal.t.t("portal-login-codes")),
        (Some(_), None) => Some(portal.t.t("portal-login-signed-out")),
        (None, None) => None,
    };
    login_page(&portal, &req, StatusCode::OK, "", next, notice, None)
}

pub async fn submit_login(
    portal: Portal,
    req: HttpRequest,
    throttle: web::Data<FailedAuthThrottle>,
    accounts: web::Data<FailedAuthThrottle<String>>,
    form: FormData,
) -> HttpResponse {
    let email = form.get("email").to_owned();
    let next = form.get("next").to_owned();
    let password = form.pairs_value("password");
    let addr = crate::telemetry::client_ip(&req);
    let account = format!("portal:{}", email.trim().to_lowercase());
    let blocked = addr
        .and_then(|a| throttle.blocked(a))
        .or_else(|| accounts.blocked(account.clone()));
    if let Some(wait) = blocked {
        return throttled(&portal, &req, wait, &email, &next);
    }
    let (check_email, check_password) = (email.clone(), password);
    let found = portal
        .state
        .db
        .read(move |conn| {
            people::check_password(conn, &check_email, &check_password).map_err(AppError::from)
        })
        .await;
    let user = match found {
        Ok(people::PasswordCheck::Right(user)) => user,
        Ok(people::PasswordCheck::Wrong(user)) => {
            if let Some(user_id) = user {
                record_denied(&portal, &req, user_id, "portal.session.start").await;
            }
            let by_address = addr.and_then(|a| throttle.failed(a));
            let by_account = accounts.failed(account);
            if let Some(wait) = by_address.or(by_account) {
                tracing::warn!(addr = ?addr, "failed portal sign-ins throttled");
                return throttled(&portal, &req, wait, &email, &next);
            }
            let problem = portal.t.t("portal-login-failed");
            return login_page(
                &portal,
                &req,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                None,
                Some(problem),
            );
        }
        Err(err) => return portal.fail(err),
    };
    start_session(
        &portal,
        &user.id,
        &format!(
            "/portal/second-factor?next={}",
            urlencode(&portal_next(&next))
        ),
    )
    .await
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A session whose second factor is still due, and to `to`.
pub(super) async fn start_session(portal: &Portal, user_id: &str, to: &str) -> HttpResponse {
    let now = chrono::Utc::now();
    let user_id = user_id.to_owned();
    let started = portal
        .state
        .db
        .write(move |conn| {
            sessions::start(conn, &user_id, now)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
        })
        .await;
    match started {
        Ok(session) => {
            let mut res = page::see_other(to);
            let made = res.add_cookie(&cookie(
                SESSION_COOKIE,
                session.secret,
                portal.insecure_cookies,
            ));
            if let Err(err) = made {
                return portal.fail(AppError::Internal(anyhow::anyhow!(err)));
            }
            res
        }
        Err(err) => portal.fail(err),
    }
}

async fn record_denied(
    portal: &Portal,
    req: &HttpRequest,
    user_id: String,
    operation: &'static str,
) {
    let request_id = crate::http::caller::request_id(req);
    let now = chrono::Utc::now();
    let recorded = portal
        .state
        .db
        .write(move |conn| {
            people::record_denied(conn, &user_id, operation, request_id, now)
                .map_err(AppError::from)
        })
        .await;
    if let Err(err) = recorded {
        tracing::warn!(error = %err, "could not audit a failed portal sign-in");
    }
}

fn throttled(
    portal: &Portal,
    req: &HttpRequest,
    wait: std::time::Duration,
    email: &str,
    next: &str,
) -> HttpResponse {
    let problem = portal.t.number(
        "portal-login-throttled",
        "minutes",
        wait.as_secs().div_ceil(60).max(1),
    );
    let mut res = login_page(
        portal,
        req,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        None,
        Some(problem),
    );
    if let Ok(value) =
        actix_web::http::header::HeaderValue::from_str(&wait.as_secs().max(1).to_string())
    {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    res
}

/// Wrong codes within a session's idle time before the password is asked
/// for again.
const WRONG_CODES: i64 = 5;

/// What a code came to.
enum Code {
    /// With the session's new id, for the cookie.
    Right(String),
    Wrong,
    TooMany,
}

#[derive(Template)]
#[template(path = "portal/second_factor.html")]
struct SecondFactorPage {
    l: PortalLayout,
    /// Enrolment: the QR code (SVG) and the secret for typing in.
    enrol: Option<(String, String)>,
    code: Field,
    next: String,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn second_factor_page(
    portal: &Portal,
    status: StatusCode,
    next: &str,
    problem: Option<String>,
) -> HttpResponse {
    let session = match portal.session() {
        Ok(session) => session.clone(),
        Err(err) => return portal.fail(err),
    };
    if session.verified {
        return page::see_other(&portal_next(next));
    }
    let user_id = session.user.id.clone();
    let secret = portal
        .state
        .db
        .write(move |conn| totp::secret_for_enrolment(conn, &user_id).map_err(AppError::from))
        .await;
    let enrol = match secret {
        Ok(Some(secret)) => match totp::qr_svg(&secret, &session.user.email) {
            Some(svg) => Some((svg, spaced(&secret))),
            None => return portal.fail(AppError::Internal(anyhow::anyhow!("no QR code"))),
        },
        Ok(None) => None,
        Err(err) => return portal.fail(err),
    };
    let t = portal.t;
    let title = if enrol.is_some() {
        t.t("portal-enrol-title")
    } else {
        t.t("portal-code-title")
    };
    let mut code = Field::new("code", t.t("portal-code-label"), Kind::Text)
        .required()
        .autocomplete("one-time-code")
        .hint(t.t("portal-code-hint"));
    code.error = problem;
    let body = SecondFactorPage {
        l: portal.layout(title, ""),
        enrol,
        code,
        next: portal_next(next),
    };
    page::render(status, &body)
}

/// A Base32 secret in groups of four, for typing into an app.
fn spaced(secret: &str) -> String {
    secret
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn show_second_factor(portal: Portal, query: web::Query<NextQuery>) -> HttpResponse {
    let next = query.next.clone().unwrap_or_else(|| "/portal".into());
    second_factor_page(&portal, StatusCode::OK, &next, None).await
}

pub async fn submit_second_factor(
    portal: Portal,
    accounts: web::Data<FailedAuthThrottle<String>>,
    form: FormData,
) -> HttpResponse {
    let next = form.get("next").to_owned();
    let session = match portal.session() {
        Ok(session) => session.clone(),
        Err(err) => return portal.fail(err),
    };
    // Sent again after it worked (a double tap): on to where it led.
    if session.verified {
        return page::see_other(&portal_next(&next));
    }
    let account = format!("portal-code:{}", session.user.id);
    if let Some(wait) = accounts.blocked(account.clone()) {
        let problem = portal.t.number(
            "portal-login-throttled",
            "minutes",
            wait.as_secs().div_ceil(60).max(1),
        );
        return second_factor_page(&portal, StatusCode::TOO_MANY_REQUESTS, &next, Some(problem))
            .await;
    }
    let code = form.get("code").to_owned();
    let (user_id, id_hash) = (session.user.id.clone(), session.id_hash.clone());
    let now = chrono::Utc::now();
    let ending = session.clone();
    let checked = portal
        .state
        .db
        .write(move |conn| {
            if totp::check(conn, &user_id, &code, now)? {
                let renewed = sessions::verify(conn, &id_hash, now)
                    .map_err(|e| crate::db::DbError::Config(e.to_string()))?;
                return Ok::<_, crate::db::DbError>(Code::Right(renewed.secret));
            }
            // Guessing codes with a known password: after a few wrong ones
            // the password is asked for again (itself throttled).
            let since = now - crate::auth::sessions::IDLE;
            // (This one's audit entry is written with the transaction: the
            // count holds the earlier ones.)
            if people::code_failures_since(conn, &user_id, since)? + 1 >= WRONG_CODES {
                sessions::end(conn, &ending, now)?;
                return Ok(Code::TooMany);
            }
            Ok(Code::Wrong)
        })
        .await
        .map_err(AppError::from);
    match checked {
        Ok(Code::Right(secret)) => {
            let mut res = page::see_other(&portal_next(&next));
            let made = res.add_cookie(&cookie(SESSION_COOKIE, secret, portal.insecure_cookies));
            if let Err(err) = made {
                return portal.fail(AppError::Internal(anyhow::anyhow!(err)));
            }
            res
        }
        Ok(Code::TooMany) => {
            accounts.failed(account);
            let mut res = page::see_other("/portal/login?codes=1");
            let mut gone = cookie(SESSION_COOKIE, String::new(), portal.insecure_cookies);
            gone.make_removal();
            if let Err(err) = res.add_cookie(&gone) {
                tracing::warn!(error = %err, "could not clear the portal session cookie");
            }
            res
        }
        Ok(Code::Wrong) => {
            accounts.failed(account);
            let problem = portal.t.t("portal-code-wrong");
            second_factor_page(
                &portal,
                StatusCode::UNPROCESSABLE_ENTITY,
                &next,
                Some(problem),
            )
            .await
        }
        Err(err) => portal.fail(err),
    }
}

pub async fn logout(portal: Portal, _form: FormData) -> HttpResponse {
    if let Some(session) = portal.session.clone() {
        let now = chrono::Utc::now();
        let ended = portal
            .state
            .db
            .write(move |conn| sessions::end(conn, &session, now).map_err(AppError::from))
            .await;
        if let Err(err) = ended {
            return portal.fail(err);
        }
    }
    let mut res = page::see_other("/portal/login?signed_out=1");
    let mut gone = cookie(SESSION_COOKIE, String::new(), portal.insecure_cookies);
    gone.make_removal();
    if let Err(err) = res.add_cookie(&gone) {
        tracing::warn!(error = %err, "could not clear the portal session cookie");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_portal_path_is_followed() {
        assert_eq!(portal_next("/portal/referrals/x"), "/portal/referrals/x");
        assert_eq!(portal_next("/clients"), "/portal");
        assert_eq!(portal_next("//evil.example/portal"), "/portal");
        assert_eq!(spaced("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
