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

use super::clients::summary;
use super::context::Ctx;
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
    moved: Option<u32>,
) -> HttpResponse {
    let status = match &refused {
        None => StatusCode::OK,
        Some(Refused::Fields { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(Refused::Said { status, .. }) => *status,
        Some(Refused::Other(err)) => {
            return ctx
                .fail(AppError::Internal(anyhow::anyhow!(err.to_string())))
                .await;
        }
    };
    let team = match team(ctx).await {
        Ok(team) => team,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let (client_form, case_form, caseload_form) =
        forms(&t, &team.users, which, form, refused.as_ref());
    let refused_fields = match which {
        "client" => &client_form,
        "case" => &case_form,
        _ => &caseload_form,
    };
    let errors = summary(refused_fields, refused.as_ref());
    let members = team
        .users
        .iter()
        .map(|u| Member {
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
        moved: moved.map(|n| t.count("team-moved", n as usize)),
    };
    page::render(status, &body)
}

#[derive(serde::Deserialize)]
pub struct TeamQuery {
    moved: Option<u32>,
}

pub async fn show(ctx: Ctx, query: web::Query<TeamQuery>) -> HttpResponse {
    render(&ctx, "", None, None, query.moved).await
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
    let to = match chosen_user(&form, "user_id") {
        Ok(to) => to,
        Err(refused) => return render(&ctx, "client", Some(&form), Some(refused), None).await,
    };
    let reference = form.get("reference").to_owned();
    let done = ctx
        .state
        .db
        .write(move |conn| {
            let id = client_by_reference(conn, &reference)?;
            crate::clients::commands::assign(conn, &audit, &id, &to, Utc::now())
        })
        .await;
    match done {
        Ok(_) => page::see_other("/team?moved=1"),
        Err(err) => render(&ctx, "client", Some(&form), Some(Refused::from(err)), None).await,
    }
}

pub async fn assign_case(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    let to = match chosen_user(&form, "user_id") {
        Ok(to) => to,
        Err(refused) => return render(&ctx, "case", Some(&form), Some(refused), None).await,
    };
    let reference = form.get("reference").to_owned();
    let done = ctx
        .state
        .db
        .write(move |conn| {
            let client = client_by_reference(conn, &reference)?;
            let case = crate::cases::store::open_case_of(conn, &client)?
                .ok_or_else(|| Refusal::field("reference", "has no open return case"))?;
            crate::cases::commands::assign(conn, &audit, &case, &to, Utc::now())
        })
        .await;
    match done {
        Ok(_) => page::see_other("/team?moved=1"),
        Err(err) => render(&ctx, "case", Some(&form), Some(Refused::from(err)), None).await,
    }
}

pub async fn move_caseload(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    let input: CaseloadMove = match form.parse(&[
        ("from_user_id", As::Text),
        ("to_user_id", As::Text),
        ("kind", As::Text),
    ]) {
        Ok(input) => input,
        Err(refused) => return render(&ctx, "caseload", Some(&form), Some(refused), None).await,
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
                None,
            )
            .await
        }
    }
}
