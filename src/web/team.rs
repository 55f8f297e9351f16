//! Team (leads and administrators): who holds which caseload, and handing
//! a client, a return case or a whole caseload to a colleague, with the
//! same commands as the API (one audit entry per record moved, a caseload
//! in one transaction). Clients are named by their reference only: leads
//! see no names.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::context::Ctx;
use super::form::summary;
use super::form::{As, FormData, Refused};
use super::i18n::Texts;
use super::page::{self, Field, Kind, Layout};
use crate::audit::AuditContext;
use crate::auth::Role;
use crate::auth::store::UserSummary;
use crate::cases::{CaseStatus, Caseload, CaseloadMove};
use crate::clients::ClientRef;
use crate::db::schema::{clients, return_cases};
use crate::domain::{CommandError, Refusal};
use crate::http::AppError;

pub struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub clients: i64,
    pub cases: i64,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    l: Layout,
    members: Vec<Member>,
    client_form: Vec<Field>,
    case_form: Vec<Field>,
    caseload_form: Vec<Field>,
    /// Which form was refused, and why.
    refused_form: &'static str,
    problem: Option<String>,
    errors: Vec<(String, String)>,
    moved: Option<String>,
    /// Administrators invite and disable colleagues.
    admin: bool,
    me: String,
    invite_form: Vec<Field>,
    /// The one-time link just made: shown once, never in a URL.
    invited: Option<(String, String)>,
}

/// What a form just did, for the page to say.
#[derive(Default)]
pub struct Done {
    moved: Option<u32>,
    invited: Option<(String, String)>,
}

struct Team {
    users: Vec<UserSummary>,
    clients: HashMap<String, i64>,
    cases: HashMap<String, i64>,
}

async fn team(ctx: &Ctx) -> Result<Team, AppError> {
    ctx.state
        .db
        .read(|conn| {
            let users = crate::auth::store::list_users(conn)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
            let clients: HashMap<String, i64> = clients::table
                .group_by(clients::counsellor_id)
                .select((clients::counsellor_id, count_star()))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .collect();
            let cases: HashMap<String, i64> = return_cases::table
                .filter(return_cases::status.eq(CaseStatus::Open.as_str()))
                .group_by(return_cases::caseworker_id)
                .select((return_cases::caseworker_id, count_star()))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .collect();
            Ok(Team {
                users,
                clients,
                cases,
            })
        })
        .await
}

fn label(u: &UserSummary) -> String {
    match &u.name {
        Some(name) => format!("{name} ({})", u.email),
        None => u.email.clone(),
    }
}

fn people(users: &[UserSummary], role: Option<Role>) -> Vec<(String, String)> {
    users
        .iter()
        .filter(|u| role.is_none_or(|r| u.roles.contains(&r) && u.disabled_at.is_none()))
        .map(|u| (u.id.clone(), label(u)))
        .collect()
}

fn forms(
    t: &Texts,
    users: &[UserSummary],
    which: &str,
    form: Option<&FormData>,
    refused: Option<&Refused>,
) -> (Vec<Field>, Vec<Field>, Vec<Field>) {
    let (f_client, r_client) = if which == "client" {
        (form, refused)
    } else {
        (None, None)
    };
    let (f_case, r_case) = if which == "case" {
        (form, refused)
    } else {
        (None, None)
    };
    let (f_load, r_load) = if which == "caseload" {
        (form, refused)
    } else {
        (None, None)
    };
    let client = vec![
        Field::new("reference", t.t("team-reference"), Kind::Text)
            .required()
            .hint(t.t("team-reference-hint")),
        Field::new("user_id", t.t("team-to-counsellor"), Kind::Select)
            .required()
            .choices(people(users, Some(Role::Counsellor))),
    ];
    let case = vec![
        Field::new("reference", t.t("team-reference"), Kind::Text)
            .required()
            .hint(t.t("team-case-reference-hint")),
        Field::new("user_id", t.t("team-to-caseworker"), Kind::Select)
            .required()
            .choices(people(users, Some(Role::Caseworker))),
    ];
    let caseload = vec![
        Field::new("kind", t.t("team-kind"), Kind::Radios)
            .required()
            .codes(t, "caseload", &["clients", "return_cases"]),
        Field::new("from_user_id", t.t("team-from"), Kind::Select)
            .required()
            .choices(people(users, None)),
        Field::new("to_user_id", t.t("team-to"), Kind::Select)
            .required()
            .choices(
                people(users, None)
                    .into_iter()
                    .filter(|(id, _)| users.iter().any(|u| &u.id == id && u.disabled_at.is_none()))
                    .collect(),
            ),
    ];
    let fill = |fields: Vec<Field>, form, refused| {
        fields
            .into_iter()
            .map(|f| f.from_form(form, refused))
            .collect::<Vec<_>>()
    };
    (
        fill(client, f_client, r_client),
        fill(case, f_case, r_case),
        fill(caseload, f_load, r_load),
    )
}

async fn render(
    ctx: &Ctx,
    which: &'static str,
    form: Option<&FormData>,
    refused: Option<Refused>,
    done: Done,
) -> HttpResponse {
    let (status, refused) = match super::form::shown(refused) {
        Ok(shown) => shown,
        Err(err) => return ctx.fail(err).await,
    };
    let team = match team(ctx).await {
        Ok(team) => team,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let (client_form, case_form, caseload_form) =
        forms(&t, &team.users, which, form, refused.as_ref());
    let (f_invite, r_invite) = if which == "user" {
        (form, refused.as_ref())
    } else {
        (None, None)
    };
    let invite_form: Vec<Field> = vec![
        Field::new("email", t.t("login-email"), Kind::Email).required(),
        Field::new("name", t.t("team-name"), Kind::Text),
        Field::new("roles", t.t("team-roles"), Kind::Checkboxes)
            .required()
            .codes(&t, "role", &["counsellor", "caseworker", "lead", "admin"]),
    ]
    .into_iter()
    .map(|f| f.from_form(f_invite, r_invite))
    .collect();
    let refused_fields = match which {
        "client" => &client_form,
        "case" => &case_form,
        "user" => &invite_form,
        _ => &caseload_form,
    };
    let errors = summary(refused_fields, refused.as_ref());
    let members = team
        .users
        .iter()
        .map(|u| Member {
            id: u.id.clone(),
            name: u.name.clone().unwrap_or_default(),
            email: u.email.clone(),
            roles: u
                .roles
                .iter()
                .map(|r| t.code_label("role", r.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            clients: team.clients.get(&u.id).copied().unwrap_or(0),
            cases: team.cases.get(&u.id).copied().unwrap_or(0),
            disabled: u.disabled_at.is_some(),
        })
        .collect();
    let body = TeamPage {
        l: ctx.layout(t.t("team-title"), "team").await,
        members,
        client_form,
        case_form,
        caseload_form,
        refused_form: if refused.is_some() { which } else { "" },
        problem: refused.as_ref().and_then(Refused::detail),
        errors,
        moved: done.moved.map(|n| t.count("team-moved", n as usize)),
        admin: ctx.staff().is_ok_and(|s| s.has_any(&[Role::Admin])),
        me: ctx.staff().map(|s| s.user_id.clone()).unwrap_or_default(),
        invite_form,
        invited: done.invited,
    };
    page::render(status, &body)
}

#[derive(serde::Deserialize)]
pub struct TeamQuery {
    moved: Option<u32>,
}

pub async fn show(ctx: Ctx, query: web::Query<TeamQuery>) -> HttpResponse {
    let done = Done {
        moved: query.moved,
        ..Done::default()
    };
    render(&ctx, "", None, None, done).await
}

/// The client behind a reference, or the field error a person reads.
fn client_by_reference(
    conn: &mut crate::db::DbConn,
    reference: &str,
) -> Result<String, CommandError> {
    let Some(reference) = ClientRef::parse(reference) else {
        return Err(Refusal::field(
            "reference",
            "is not a client reference (TO- and five letters or digits)",
        )
        .into());
    };
    clients::table
        .filter(clients::reference.eq(reference.as_str()))
        .select(clients::id)
        .first::<String>(conn)
        .optional()?
        .ok_or_else(|| Refusal::field("reference", "is not the reference of any client").into())
}

fn chosen_user(form: &FormData, name: &str) -> Result<String, Refused> {
    let value = form.get(name);
    if value.is_empty() {
        return Err(Refused::Fields {
            detail: format!("`{name}` is required"),
            errors: vec![crate::domain::FieldError::new(name, "is required")],
        });
    }
    Ok(value.to_owned())
}

pub async fn assign_client(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    hand_over(ctx, form, "client", move |conn, client, to| {
        crate::clients::commands::assign(conn, &audit, &client, to, Utc::now()).map(|_| ())
    })
    .await
}

pub async fn assign_case(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    hand_over(ctx, form, "case", move |conn, client, to| {
        let case = crate::cases::store::open_case_of(conn, &client)?
            .ok_or_else(|| Refusal::field("reference", "has no open return case"))?;
        crate::cases::commands::assign(conn, &audit, &case, to, Utc::now()).map(|_| ())
    })
    .await
}

/// A client (`which` = `client`) or their open case (`case`), named by the
/// client's reference, handed to the colleague chosen: `assign` does it
/// with the client's id and the colleague's.
async fn hand_over(
    ctx: Ctx,
    form: FormData,
    which: &'static str,
    assign: impl FnOnce(&mut crate::db::DbConn, String, &str) -> Result<(), CommandError>
    + Send
    + 'static,
) -> HttpResponse {
    let to = match chosen_user(&form, "user_id") {
        Ok(to) => to,
        Err(refused) => {
            return render(&ctx, which, Some(&form), Some(refused), Done::default()).await;
        }
    };
    let reference = form.get("reference").to_owned();
    let done = ctx
        .state
        .db
        .write(move |conn| {
            let client = client_by_reference(conn, &reference)?;
            assign(conn, client, &to)
        })
        .await;
    match done {
        Ok(()) => page::see_other("/team?moved=1"),
        Err(err) => {
            render(
                &ctx,
                which,
                Some(&form),
                Some(Refused::from(err)),
                Done::default(),
            )
            .await
        }
    }
}

pub async fn move_caseload(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    let input: CaseloadMove = match form.parse(&[
        ("from_user_id", As::Text),
        ("to_user_id", As::Text),
        ("kind", As::Text),
    ]) {
        Ok(input) => input,
        Err(refused) => {
            return render(
                &ctx,
                "caseload",
                Some(&form),
                Some(refused),
                Done::default(),
            )
            .await;
        }
    };
    let (from, to) = (input.from_user_id.to_string(), input.to_user_id.to_string());
    let done = ctx
        .state
        .db
        .write(move |conn| match input.kind {
            Caseload::Clients => {
                crate::clients::commands::move_caseload(conn, &audit, &from, &to, Utc::now())
            }
            Caseload::ReturnCases => {
                crate::cases::commands::move_caseload(conn, &audit, &from, &to, Utc::now())
            }
        })
        .await;
    match done {
        Ok(moved) => page::see_other(&format!("/team?moved={}", moved.moved)),
        Err(err) => {
            render(
                &ctx,
                "caseload",
                Some(&form),
                Some(Refused::from(err)),
                Done::default(),
            )
            .await
        }
    }
}

/// `POST /team/users` (administrators): a colleague with roles and a
/// one-time link to set their password, shown on the page once (Brug sends
/// no email: the administrator hands it over).
pub async fn invite(
    ctx: Ctx,
    req: actix_web::HttpRequest,
    audit: AuditContext,
    form: FormData,
) -> HttpResponse {
    let email = form.get("email").to_owned();
    let name = Some(form.get("name").to_owned()).filter(|n| !n.is_empty());
    let roles: Vec<Role> = form
        .all("roles")
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(crate::domain::FieldError::new("email", "is required"));
    }
    if roles.is_empty() {
        errors.push(crate::domain::FieldError::new("roles", "is required"));
    }
    if !errors.is_empty() {
        let refused = Refused::Fields {
            detail: String::new(),
            errors,
        };
        return render(&ctx, "user", Some(&form), Some(refused), Done::default()).await;
    }
    let actor = audit.actor.clone();
    let (mail, who) = (email.clone(), name.clone());
    let made = ctx
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(crate::auth::commands::invite_user_by(
                conn,
                &actor,
                &mail,
                who.as_deref(),
                &roles,
                Utc::now(),
            ))
        })
        .await;
    let refused = |message: String| Refused::Fields {
        detail: String::new(),
        errors: vec![crate::domain::FieldError::new("email", message)],
    };
    match made {
        Ok(Ok(secret)) => {
            let base = ctx.state.settings.public_url.clone().unwrap_or_else(|| {
                let info = req.connection_info();
                format!("{}://{}", info.scheme(), info.host())
            });
            let link = format!("{}/invite/{secret}", base.trim_end_matches('/'));
            let done = Done {
                invited: Some((email, link)),
                ..Done::default()
            };
            render(&ctx, "", None, None, done).await
        }
        Ok(Err(crate::auth::store::AdminError::Conflict(_))) => {
            let refused = refused("is a colleague already".into());
            render(&ctx, "user", Some(&form), Some(refused), Done::default()).await
        }
        Ok(Err(crate::auth::store::AdminError::Invalid(message))) => {
            render(
                &ctx,
                "user",
                Some(&form),
                Some(refused(message)),
                Done::default(),
            )
            .await
        }
        Ok(Err(other)) => {
            ctx.fail(AppError::Internal(anyhow::anyhow!(other.to_string())))
                .await
        }
        Err(err) => ctx.fail(err).await,
    }
}

/// `POST /team/users/{id}/disable` (administrators): their tokens and
/// sessions stop at once; their caseload stays theirs until handed over.
pub async fn disable(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    _form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    if ctx.staff().is_ok_and(|s| s.user_id == id) {
        let refused = Refused::Said {
            status: StatusCode::CONFLICT,
            detail: ctx.t.t("team-disable-self"),
        };
        return render(&ctx, "disable", None, Some(refused), Done::default()).await;
    }
    let actor = audit.actor.clone();
    let done = ctx
        .state
        .db
        .write(move |conn| {
            Ok::<_, AppError>(crate::auth::commands::disable_user_by(
                conn,
                &actor,
                &id,
                Utc::now(),
            ))
        })
        .await;
    match done {
        Ok(Ok(())) => page::see_other("/team"),
        Ok(Err(crate::auth::store::AdminError::NotFound(_))) => {
            ctx.fail(AppError::not_found("user")).await
        }
        Ok(Err(other)) => {
            let refused = Refused::Said {
                status: StatusCode::CONFLICT,
                detail: other.to_string(),
            };
            render(&ctx, "disable", None, Some(refused), Done::default()).await
        }
        Err(err) => ctx.fail(err).await,
    }
}
