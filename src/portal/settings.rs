//! The partner's settings: the person's own language and emails; the
//! webhook and its secret (as `/partner/v1/webhook`); the API keys; the
//! people of the organisation. A coordinator changes the webhook, keys and
//! people; a secret or link is shown once, on the page that made it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::context::Portal;
use super::once;
use super::page::PortalLayout;
use crate::audit::AuditContext;
use crate::auth::partner_users::{self, PartnerRole, PartnerUser};
use crate::auth::store::{AdminError, TokenSummary};
use crate::domain::{CommandError, Refusal};
use crate::http::AppError;
use crate::web::form::{FormData, Refused};
use crate::web::i18n::Lang;
use crate::web::page::{self, Field, Kind};

#[derive(Template)]
#[template(path = "portal/settings.html")]
struct SettingsPage {
    l: PortalLayout,
    coordinator: bool,
    language: Field,
    notify: Field,
    webhook: Option<crate::webhooks::WebhookView>,
    url: Field,
    keys: Vec<(String, String, String, String)>,
    users: Vec<(String, String, String, String, bool)>,
    capacity: Vec<super::capacity::Row>,
    invite_email: Field,
    invite_role: Field,
    invite_language: Field,
    /// A secret or link, shown this once: what it is and its value.
    shown: Option<(String, String)>,
    done: Option<String>,
    problem: Option<String>,
    key: String,
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

struct Loaded {
    webhook: Option<crate::webhooks::WebhookView>,
    keys: Vec<TokenSummary>,
    users: Vec<PartnerUser>,
}

async fn load(portal: &Portal, partner: String) -> Result<Loaded, AppError> {
    portal
        .state
        .db
        .read(move |conn| {
            let webhook = match crate::webhooks::queries::settings(conn, &partner) {
                Ok(view) => Some(view),
                Err(CommandError::Refused(Refusal::NotFound { .. })) => None,
                Err(err) => return Err(AppError::from(err)),
            };
            let keys = crate::auth::store::list_partner_keys(conn, &partner)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
            let users = partner_users::of_partner(conn, &partner)?;
            Ok(Loaded {
                webhook,
                keys,
                users,
            })
        })
        .await
}

/// The page, with what a form just made (shown once), or a refused form.
async fn settings_page(
    portal: &Portal,
    status: StatusCode,
    shown: Option<(String, String)>,
    posted: Option<(&FormData, Refused)>,
    done: Option<String>,
) -> HttpResponse {
    let session = match portal.session() {
        Ok(s) => s.clone(),
        Err(err) => return portal.fail(err),
    };
    let loaded = match load(portal, session.user.partner_id.clone()).await {
        Ok(loaded) => loaded,
        Err(err) => return portal.fail(err),
    };
    let (served, answers) =
        match super::capacity::load(portal, session.user.partner_id.clone()).await {
            Ok(found) => found,
            Err(err) => return portal.fail(err),
        };
    let t = portal.t;
    let form = posted.as_ref().map(|(f, _)| *f);
    let refused = posted.as_ref().map(|(_, r)| r);
    let langs: Vec<(String, String)> = Lang::PORTAL
        .iter()
        .map(|l| (l.code().to_owned(), l.own_name().to_owned()))
        .collect();
    let roles: Vec<&str> = PartnerRole::ALL.iter().map(|r| r.as_str()).collect();
    let date = |d: chrono::NaiveDateTime| page::date(&t, d.date());
    let capacity =
        super::capacity::rows(&t, &served, &answers, posted.as_ref().map(|(f, r)| (*f, r)));
    let body = SettingsPage {
        capacity,
        coordinator: session.user.role == PartnerRole::Coordinator,
        language: Field::new("language", t.t("portal-settings-language"), Kind::Select)
            .choices(langs.clone())
            .value(session.user.language.clone())
            .from_form(None, None),
        notify: Field::new(
            "notify_by_email",
            t.t("portal-settings-notify"),
            Kind::Check,
        )
        .value(if session.user.notify_by_email {
            "on"
        } else {
            ""
        })
        .hint(t.t("portal-settings-notify-hint")),
        url: Field::new("url", t.t("portal-settings-webhook-url"), Kind::Text)
            .value(
                loaded
                    .webhook
                    .as_ref()
                    .map(|w| w.url.clone())
                    .unwrap_or_default(),
            )
            .hint(t.t("portal-settings-webhook-hint"))
            .from_form(form, refused),
        webhook: loaded.webhook,
        keys: loaded
            .keys
            .iter()
            .map(|k| {
                let state = match (&k.revoked_at, &k.last_used_at) {
                    (Some(at), _) => t.t1("portal-key-revoked", "date", date(*at)),
                    (None, Some(at)) => t.t1("portal-key-used", "date", date(*at)),
                    (None, None) => t.t("portal-key-unused"),
                };
                (k.id.clone(), k.prefix.clone(), date(k.created_at), state)
            })
            .collect(),
        users: loaded
            .users
            .iter()
            .map(|u| {
                let state = if u.disabled {
                    "disabled"
                } else if !u.active {
                    "invited"
                } else if !u.second_factor {
                    "no_second_factor"
                } else {
                    "active"
                };
                (
                    u.id.clone(),
                    u.email.clone(),
                    t.code_label("portal-role", u.role.as_str()),
                    t.code_label("portal-user-state", state),
                    !u.disabled && u.id != session.user.id,
                )
            })
            .collect(),
        invite_email: Field::new("email", t.t("portal-invite-email"), Kind::Email)
            .required()
            .from_form(form, refused),
        invite_role: Field::new("role", t.t("portal-invite-role"), Kind::Select)
            .required()
            .codes(&t, "portal-role", &roles)
            .from_form(form, refused),
        invite_language: Field::new(
            "invite_language",
            t.t("portal-settings-language"),
            Kind::Select,
        )
        .required()
        .choices(langs)
        .value("en")
        .from_form(form, refused),
        shown,
        // Only a notice the portal has words for: nothing typed into a URL.
        done: done
            .map(|d| format!("portal-done-{d}"))
            .filter(|key| t.has(key))
            .map(|key| t.t(&key)),
        problem: refused.and_then(Refused::detail),
        key: once::new_key(),
        l: portal.layout(t.t("portal-settings-title"), "settings"),
    };
    let mut res = page::render(status, &body);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

pub async fn show(portal: Portal, query: web::Query<Done>) -> HttpResponse {
    settings_page(&portal, StatusCode::OK, None, None, query.done.clone()).await
}

fn admin_refusal(err: AdminError, field: &str) -> Refused {
    match err {
        AdminError::Invalid(message) => Refused::Fields {
            detail: message.clone(),
            errors: vec![crate::domain::FieldError::new(field, message)],
        },
        AdminError::Conflict(message) => Refused::Said {
            status: StatusCode::CONFLICT,
            detail: message,
        },
        AdminError::NotFound(_) => Refused::Other(AppError::not_found("user")),
        other => Refused::Other(AppError::Internal(anyhow::anyhow!(other.to_string()))),
    }
}

/// The settings again, with a refused form and why.
pub(super) async fn refused_page(
    portal: &Portal,
    form: &FormData,
    refused: Refused,
) -> HttpResponse {
    refused_form(portal, form, refused).await
}

async fn refused(portal: &Portal, form: &FormData, refused: Refused) -> HttpResponse {
    refused_form(portal, form, refused).await
}

async fn refused_form(portal: &Portal, form: &FormData, refused: Refused) -> HttpResponse {
    match refused {
        Refused::Other(err) => portal.fail(err),
        refused => {
            let status = match &refused {
                Refused::Said { status, .. } => *status,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            settings_page(portal, status, None, Some((form, refused)), None).await
        }
    }
}

pub async fn preferences(portal: Portal, form: FormData) -> HttpResponse {
    let user_id = match portal.session() {
        Ok(s) => s.user.id.clone(),
        Err(err) => return portal.fail(err),
    };
    let language = Lang::parse(form.get("language"))
        .filter(|l| Lang::PORTAL.contains(l))
        .unwrap_or(Lang::En);
    let notify = form.has("notify_by_email");
    let now = Utc::now();
    let saved = portal
        .state
        .db
        .write(move |conn| {
            partner_users::set_preferences(conn, &user_id, language.code(), notify, now)
                .map_err(AppError::from)
        })
        .await;
    match saved {
        Ok(()) => page::see_other(&format!(
            "/portal/settings?done=preferences&lang={}",
            language.code()
        )),
        Err(err) => portal.fail(err),
    }
}

pub async fn set_webhook(portal: Portal, audit: AuditContext, form: FormData) -> HttpResponse {
    let partner = match portal.partner_id() {
        Ok(partner) => partner,
        Err(err) => return portal.fail(err),
    };
    let allow_local = portal.state.settings.webhook_allow_local;
    let preset = portal
        .state
        .db
        .read(move |conn| {
            crate::webhooks::store::preset_url(conn, &partner).map_err(AppError::from)
        })
        .await;
    let preset = match preset {
        Ok(preset) => preset,
        Err(err) => return portal.fail(err),
    };
    let given = Some(form.get("url").to_owned()).filter(|u| !u.is_empty());
    let url = match crate::webhooks::settings::chosen_url(given, preset.as_deref()) {
        Ok(url) => url,
        Err(refusal) => {
            return refused(&portal, &form, Refused::from(CommandError::from(refusal))).await;
        }
    };
    let url = match crate::webhooks::sender::check_url(&url, allow_local).await {
        Ok(url) => url.to_string(),
        Err(message) => {
            let refusal = Refusal::field("url", message);
            return refused(&portal, &form, Refused::from(CommandError::from(refusal))).await;
        }
    };
    let is_preset = preset.is_some();
    let now = Utc::now();
    let set = portal
        .state
        .db
        .write(move |conn| crate::webhooks::commands::set(conn, &audit, &url, is_preset, now))
        .await;
    match set {
        Ok(view) => {
            let secret = view.secret.unwrap_or_default();
            let what = portal.t.t("portal-shown-webhook-secret");
            settings_page(&portal, StatusCode::OK, Some((what, secret)), None, None).await
        }
        Err(err) => refused(&portal, &form, Refused::from(err)).await,
    }
}

pub async fn create_key(portal: Portal, _form: FormData) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let now = Utc::now();
    let made = portal
        .state
        .db
        .write(move |conn| {
            crate::auth::commands::add_partner_key_as(
                conn,
                &partner_users::actor(&user_id),
                &partner,
                now,
            )
            .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))
        })
        .await;
    match made {
        Ok(token) => {
            let what = portal.t.t("portal-shown-key");
            settings_page(
                &portal,
                StatusCode::OK,
                Some((what, token.secret)),
                None,
                None,
            )
            .await
        }
        Err(err) => portal.fail(err),
    }
}

pub async fn revoke_key(portal: Portal, id: web::Path<String>, _form: FormData) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let key_id = id.into_inner();
    let now = Utc::now();
    let revoked = portal
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(crate::auth::commands::revoke_partner_key(
                conn,
                &partner_users::actor(&user_id),
                &partner,
                &key_id,
                now,
            ))
        })
        .await;
    match revoked {
        Ok(Ok(())) => page::see_other("/portal/settings?done=revoked"),
        Ok(Err(AdminError::NotFound(_))) => portal.fail(AppError::not_found("key")),
        Ok(Err(other)) => portal.fail(AppError::Internal(anyhow::anyhow!(other.to_string()))),
        Err(err) => portal.fail(err),
    }
}

pub async fn invite(portal: Portal, form: FormData) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let Some(role) = PartnerRole::parse(form.get("role")) else {
        let refusal = Refusal::field("role", format!("must be one of {}", PartnerRole::list()));
        return refused(&portal, &form, Refused::from(CommandError::from(refusal))).await;
    };
    let language = Lang::parse(form.get("invite_language"))
        .filter(|l| Lang::PORTAL.contains(l))
        .unwrap_or(Lang::En);
    let email = form.get("email").to_owned();
    let now = Utc::now();
    let added = portal
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(partner_users::add(
                conn,
                &partner_users::actor(&user_id),
                &partner,
                &email,
                role,
                language.code(),
                now,
            ))
        })
        .await;
    match added {
        Ok(Ok((_, token))) => {
            let base = portal
                .state
                .settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", portal.state.settings.addr));
            let link = format!("{}/portal/invite/{token}", base.trim_end_matches('/'));
            let what = portal.t.t("portal-shown-invitation");
            settings_page(&portal, StatusCode::OK, Some((what, link)), None, None).await
        }
        Ok(Err(err)) => refused(&portal, &form, admin_refusal(err, "email")).await,
        Err(err) => portal.fail(err),
    }
}

pub async fn disable(portal: Portal, id: web::Path<String>, _form: FormData) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let target = id.into_inner();
    if target == user_id {
        return portal.fail(AppError::not_found("user"));
    }
    let now = Utc::now();
    let disabled = portal
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(partner_users::disable(
                conn,
                &partner_users::actor(&user_id),
                &partner,
                &target,
                now,
            ))
        })
        .await;
    match disabled {
        Ok(Ok(())) => page::see_other("/portal/settings?done=disabled"),
        Ok(Err(AdminError::NotFound(_))) => portal.fail(AppError::not_found("user")),
        Ok(Err(other)) => portal.fail(AppError::Internal(anyhow::anyhow!(other.to_string()))),
        Err(err) => portal.fail(err),
    }
}
