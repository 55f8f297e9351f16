//! Signing in and out, and setting a password from an invitation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::context::Ctx;
use super::form::{FORM_COOKIE, FormData};
use super::guard::{SESSION_COOKIE, cookie};
use super::page::{self, Field, Kind, Layout};
use crate::auth::sessions;
use crate::auth::throttle::FailedAuthThrottle;
use crate::http::AppError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    email: Field,
    password: Field,
    next: String,
    /// Why the last attempt failed, in words.
    problem: Option<String>,
}

/// Only a path on this site, never another host (`//evil`, `/\evil`).
/// Browsers drop tabs and newlines from a URL and read `\\` as `/`, so
/// `/\t/evil` would become `//evil`: any of them, anywhere, is refused.
pub(crate) fn safe_next(next: &str) -> String {
    let mut chars = next.chars();
    let ok = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if ok { next.to_owned() } else { "/".to_owned() }
}

/// The token of forms shown before sign-in: kept in a cookie and sent back
/// in the form (double submit).
pub(crate) fn form_token(req: &HttpRequest) -> Result<(String, bool), AppError> {
    match req.cookie(FORM_COOKIE) {
        Some(c) if c.value().len() >= 32 => Ok((c.value().to_owned(), false)),
        _ => Ok((
            sessions::random_secret().map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            true,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_path_on_this_site_is_followed_after_sign_in() {
        assert_eq!(safe_next("/clients?all=1"), "/clients?all=1");
        assert_eq!(safe_next("/return-cases/01a2"), "/return-cases/01a2");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/x\\y",
            "https://evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}

async fn login_page(
    ctx: &Ctx,
    req: &HttpRequest,
    status: StatusCode,
    email: &str,
    next: &str,
    problem: Option<String>,
) -> HttpResponse {
    let (token, new) = match form_token(req) {
        Ok(token) => token,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let mut l = ctx.layout(t.t("login-title"), "").await;
    l.user = None;
    l.csrf = token.clone();
    let page = LoginPage {
        email: Field::new("email", t.t("login-email"), Kind::Email)
            .required()
            .value(email)
            .autocomplete("username"),
        password: Field::new("password", t.t("login-password"), Kind::Password)
            .required()
            .autocomplete("current-password"),
        next: safe_next(next),
        problem,
        l,
    };
    let mut res = page::render(status, &page);
    if new && let Err(err) = res.add_cookie(&cookie(FORM_COOKIE, token, ctx.insecure_cookies)) {
        tracing::warn!(error = %err, "could not set the form cookie");
    }
    res
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn show_login(ctx: Ctx, req: HttpRequest, query: web::Query<NextQuery>) -> HttpResponse {
    if ctx.session.is_some() {
        return page::see_other(&safe_next(query.next.as_deref().unwrap_or("/")));
    }
    login_page(
        &ctx,
        &req,
        StatusCode::OK,
        "",
        query.next.as_deref().unwrap_or("/"),
        None,
    )
    .await
}

pub async fn submit_login(
    ctx: Ctx,
    req: HttpRequest,
    throttle: web::Data<FailedAuthThrottle>,
    accounts: web::Data<FailedAuthThrottle<String>>,
    form: FormData,
) -> HttpResponse {
    let email = form.get("email").to_owned();
    let next = form.get("next").to_owned();
    let password = form.pairs_value("password");
    let addr = crate::telemetry::client_ip(&req);
    let account = email.trim().to_lowercase();
    let blocked = addr
        .and_then(|a| throttle.blocked(a))
        .or_else(|| accounts.blocked(account.clone()));
    if let Some(wait) = blocked {
        return throttled(&ctx, &req, wait, &email, &next).await;
    }
    let (check_email, check_password) = (email.clone(), password.clone());
    let found = ctx
        .state
        .db
        .read(move |conn| {
            sessions::check_password(conn, &check_email, &check_password).map_err(AppError::from)
        })
        .await;
    let user_id = match found {
        Ok(sessions::PasswordCheck::Right(user_id)) => user_id,
        Ok(sessions::PasswordCheck::Wrong(user)) => {
            // A guess at a real account is in its audit trail.
            if let Some(user_id) = user {
                let request_id = crate::http::caller::request_id(&req);
                let now = chrono::Utc::now();
                let recorded = ctx
                    .state
                    .db
                    .write(move |conn| {
                        sessions::record_failed_sign_in(conn, &user_id, request_id, now)
                            .map_err(AppError::from)
                    })
                    .await;
                if let Err(err) = recorded {
                    tracing::warn!(error = %err, "could not audit a failed sign-in");
                }
            }
            let by_address = addr.and_then(|a| throttle.failed(a));
            let by_account = accounts.failed(account);
            if let Some(wait) = by_address.or(by_account) {
                tracing::warn!(addr = ?addr, "failed sign-ins throttled");
                return throttled(&ctx, &req, wait, &email, &next).await;
            }
            let problem = ctx.t.t("login-failed");
            return login_page(
                &ctx,
                &req,
                StatusCode::UNAUTHORIZED,
                &email,
                &next,
                Some(problem),
            )
            .await;
        }
        Err(err) => return ctx.fail(err).await,
    };
    let now = chrono::Utc::now();
    let started = ctx
        .state
        .db
        .write(move |conn| {
            sessions::start(conn, &user_id, now)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
        })
        .await;
    match started {
        Ok(session) => {
            let mut res = page::see_other(&safe_next(&next));
            let made = res.add_cookie(&cookie(
                SESSION_COOKIE,
                session.secret,
                ctx.insecure_cookies,
            ));
            if let Err(err) = made {
                return ctx.fail(AppError::Internal(anyhow::anyhow!(err))).await;
            }
            res
        }
        Err(err) => ctx.fail(err).await,
    }
}

/// 429 with the wait in words and in `Retry-After`.
async fn throttled(
    ctx: &Ctx,
    req: &HttpRequest,
    wait: std::time::Duration,
    email: &str,
    next: &str,
) -> HttpResponse {
    let problem = ctx.t.number(
        "login-throttled",
        "minutes",
        wait.as_secs().div_ceil(60).max(1),
    );
    let mut res = login_page(
        ctx,
        req,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        Some(problem),
    )
    .await;
    if let Ok(value) =
        actix_web::http::header::HeaderValue::from_str(&wait.as_secs().max(1).to_string())
    {
        res.headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    res
}

pub async fn logout(ctx: Ctx, _form: FormData) -> HttpResponse {
    if let Some(session) = ctx.session.clone() {
        let now = chrono::Utc::now();
        let ended = ctx
            .state
            .db
            .write(move |conn| sessions::end(conn, &session, now).map_err(AppError::from))
            .await;
        if let Err(err) = ended {
            return ctx.fail(err).await;
        }
    }
    let mut res = page::see_other("/login?signed_out=1");
    let mut gone = cookie(SESSION_COOKIE, String::new(), ctx.insecure_cookies);
    gone.make_removal();
    if let Err(err) = res.add_cookie(&gone) {
        tracing::warn!(error = %err, "could not clear the session cookie");
    }
    res
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    l: Layout,
    email: String,
    password: Field,
    again: Field,
    problem: Option<String>,
}

async fn invite_page(
    ctx: &Ctx,
    req: &HttpRequest,
    token: &str,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let secret = token.to_owned();
    let now = chrono::Utc::now();
    let email = ctx
        .state
        .db
        .read(move |conn| sessions::invitation(conn, &secret, now).map_err(AppError::from))
        .await;
    let email = match email {
        Ok(Some(email)) => email,
        Ok(None) => {
            return page::plain(
                ctx.t,
                StatusCode::NOT_FOUND,
                "invite-gone-title",
                "invite-gone-body",
            );
        }
        Err(err) => return ctx.fail(err).await,
    };
    let (form_token, new) = match form_token(req) {
        Ok(token) => token,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let mut l = ctx.layout(t.t("invite-title"), "").await;
    l.user = None;
    // Signed in (someone opens a colleague's link on their own browser):
    // the form is checked against the session's token, so it carries it.
    l.csrf = if ctx.session.is_some() {
        ctx.csrf()
    } else {
        form_token.clone()
    };
    let page = InvitePage {
        email,
        password: Field::new("password", t.t("invite-password"), Kind::Password)
            .required()
            .autocomplete("new-password")
            .hint(t.t("invite-password-hint")),
        again: Field::new("again", t.t("invite-again"), Kind::Password)
            .required()
            .autocomplete("new-password"),
        problem,
        l,
    };
    let mut res = page::render(status, &page);
    if new && let Err(err) = res.add_cookie(&cookie(FORM_COOKIE, form_token, ctx.insecure_cookies))
    {
        tracing::warn!(error = %err, "could not set the form cookie");
    }
    res
}

pub async fn show_invite(ctx: Ctx, req: HttpRequest, token: web::Path<String>) -> HttpResponse {
    invite_page(&ctx, &req, &token, None, StatusCode::OK).await
}

pub async fn submit_invite(
    ctx: Ctx,
    req: HttpRequest,
    token: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let password = form.pairs_value("password");
    if password != form.pairs_value("again") {
        let problem = ctx.t.t("invite-differ");
        return invite_page(
            &ctx,
            &req,
            &token,
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let secret = token.into_inner();
    let now = chrono::Utc::now();
    let kept = secret.clone();
    let set = ctx
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(sessions::accept_invitation(conn, &kept, &password, now))
        })
        .await;
    match set {
        Ok(Ok(())) => page::see_other("/login?password_set=1"),
        Ok(Err(crate::auth::store::AdminError::Invalid(_))) => {
            let problem = ctx
                .t
                .t1("invite-rules", "min", sessions::MIN_PASSWORD_CHARS);
            invite_page(
                &ctx,
                &req,
                &secret,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Err(crate::auth::store::AdminError::NotFound(_))) => page::plain(
            ctx.t,
            StatusCode::NOT_FOUND,
            "invite-gone-title",
            "invite-gone-body",
        ),
        Ok(Err(other)) => {
            ctx.fail(AppError::Internal(anyhow::anyhow!(other.to_string())))
                .await
        }
        Err(err) => ctx.fail(err).await,
    }
}
