//! Setting a password from a portal invitation: the link an administrator
//! or a coordinator made, in the language the person was invited in; then
//! straight on to enrolling the second factor.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::context::Portal;
use super::page::PortalLayout;
use super::signin::start_session;
use crate::auth::partner_users as people;
use crate::http::AppError;
use crate::web::form::{FORM_COOKIE, FormData};
use crate::web::guard::cookie;
use crate::web::page::{self, Field, Kind};
use crate::web::signin::form_token;

#[derive(Template)]
#[template(path = "portal/invite.html")]
struct InvitePage {
    l: PortalLayout,
    email: String,
    password: Field,
    again: Field,
    problem: Option<String>,
}

async fn invite_page(
    portal: &Portal,
    req: &HttpRequest,
    token: &str,
    problem: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let secret = token.to_owned();
    let now = chrono::Utc::now();
    let found = portal
        .state
        .db
        .read(move |conn| people::invitation(conn, &secret, now).map_err(AppError::from))
        .await;
    let user = match found {
        Ok(Some(user)) => user,
        Ok(None) => {
            return super::page::plain(
                portal.t,
                StatusCode::NOT_FOUND,
                "portal-invite-gone-title",
                "portal-invite-gone-body",
            );
        }
        Err(err) => return portal.fail(err),
    };
    let (form_token, new) = match form_token(req) {
        Ok(token) => token,
        Err(err) => return portal.fail(err),
    };
    // The language the person was invited in, unless they chose one here.
    let chosen =
        req.query_string().contains("lang=") || req.cookie(crate::web::i18n::LANG_COOKIE).is_some();
    let t = match crate::web::i18n::Lang::parse(&user.language) {
        Some(lang) if !chosen && crate::web::i18n::Lang::PORTAL.contains(&lang) => {
            crate::web::i18n::Texts::new(lang)
        }
        _ => portal.t,
    };
    let mut l = portal.layout(t.t("portal-invite-title"), "");
    l.t = t;
    l.user = None;
    l.csrf = if portal.session.is_some() {
        portal.csrf()
    } else {
        form_token.clone()
    };
    let body = InvitePage {
        email: user.email,
        password: Field::new("password", t.t("portal-invite-password"), Kind::Password)
            .required()
            .autocomplete("new-password")
            .hint(t.t1(
                "portal-invite-password-hint",
                "min",
                crate::auth::sessions::MIN_PASSWORD_CHARS,
            )),
        again: Field::new("again", t.t("portal-invite-again"), Kind::Password)
            .required()
            .autocomplete("new-password"),
        problem,
        l,
    };
    let mut res = page::render(status, &body);
    if new
        && let Err(err) = res.add_cookie(&cookie(FORM_COOKIE, form_token, portal.insecure_cookies))
    {
        tracing::warn!(error = %err, "could not set the form cookie");
    }
    res
}

pub async fn show_invite(
    portal: Portal,
    req: HttpRequest,
    token: web::Path<String>,
) -> HttpResponse {
    invite_page(&portal, &req, &token, None, StatusCode::OK).await
}

pub async fn submit_invite(
    portal: Portal,
    req: HttpRequest,
    token: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let password = form.pairs_value("password");
    if password != form.pairs_value("again") {
        let problem = portal.t.t("portal-invite-differ");
        return invite_page(
            &portal,
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
    let set = portal
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(people::accept_invitation(conn, &kept, &password, now))
        })
        .await;
    match set {
        // Straight on to enrolling the second factor.
        Ok(Ok(user)) => start_session(&portal, &user.id, "/portal/second-factor").await,
        Ok(Err(crate::auth::store::AdminError::Invalid(_))) => {
            let problem = portal.t.t1(
                "portal-invite-rules",
                "min",
                crate::auth::sessions::MIN_PASSWORD_CHARS,
            );
            invite_page(
                &portal,
                &req,
                &secret,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Err(crate::auth::store::AdminError::NotFound(_))) => super::page::plain(
            portal.t,
            StatusCode::NOT_FOUND,
            "portal-invite-gone-title",
            "portal-invite-gone-body",
        ),
        Ok(Err(other)) => portal.fail(AppError::Internal(anyhow::anyhow!(other.to_string()))),
        Err(err) => portal.fail(err),
    }
}
