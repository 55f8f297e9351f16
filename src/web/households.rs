//! Huishouden / Household: the people who return together. A counsellor or
//! caseworker forms one from a client's page, naming the others by their
//! reference, with the API's command (a client joins the new household).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use diesel::prelude::*;

use super::context::Ctx;
use super::form::{FormData, Refused};
use super::page::{self, Field, Kind};
use crate::audit::AuditContext;
use crate::clients::{ClientRef, NewHousehold, commands};
use crate::db::schema::clients;
use crate::domain::{CommandError, FieldError, Refusal};

async fn render(
    ctx: &Ctx,
    client_id: String,
    form: Option<&FormData>,
    refused: Option<Refused>,
) -> HttpResponse {
    let id = client_id.clone();
    let name = ctx
        .state
        .db
        .read(move |conn| {
            clients::table
                .find(&id)
                .select((
                    clients::reference,
                    clients::given_name,
                    clients::family_name,
                ))
                .first::<(String, String, String)>(conn)
                .optional()
                .map_err(crate::http::AppError::from)
        })
        .await;
    let name = match name {
        Ok(Some((reference, given, family))) => format!("{given} {family} ({reference})"),
        Ok(None) => return ctx.fail(crate::http::AppError::not_found("client")).await,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let spec = super::context::FormSpec {
        title: t.t("household-title"),
        action: format!("/clients/{client_id}/household"),
        intro: Some(t.t1("household-intro", "name", name)),
        back: Some((format!("/clients/{client_id}"), t.t("back-to-client"))),
        hidden: Vec::new(),
        submit: t.t("household-submit"),
    };
    ctx.form_page(spec, refused, |r| {
        vec![
            Field::new("members", t.t("household-members"), Kind::Text)
                .required()
                .hint(t.t("household-members-hint")),
            Field::new("label", t.t("household-label"), Kind::Text)
                .hint(t.t("household-label-hint")),
        ]
        .into_iter()
        .map(|f| f.from_form(form, r))
        .collect()
    })
    .await
}

pub async fn new_form(ctx: Ctx, id: web::Path<String>) -> HttpResponse {
    render(&ctx, id.into_inner(), None, None).await
}

/// `POST /clients/{id}/household`: this client and the ones named, in a new
/// household.
pub async fn create(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let client_id = id.into_inner();
    let named: Vec<String> = form
        .get("members")
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if named.is_empty() {
        let refused = Refused::Fields {
            detail: String::new(),
            errors: vec![FieldError::new("members", "is required")],
        };
        return render(&ctx, client_id, Some(&form), Some(refused)).await;
    }
    let label = Some(form.get("label").to_owned()).filter(|l| !l.is_empty());
    let this = client_id.clone();
    let made = ctx
        .state
        .db
        .write(move |conn| {
            let mut member_ids = vec![parse_id(&this)?];
            for reference in &named {
                let found = ClientRef::parse(reference)
                    .map(|r| {
                        clients::table
                            .filter(clients::reference.eq(r.as_str().to_owned()))
                            .select(clients::id)
                            .first::<String>(conn)
                            .optional()
                    })
                    .transpose()?
                    .flatten();
                let Some(id) = found else {
                    return Err(Refusal::field(
                        "members",
                        format!("`{reference}` is not the reference of any client"),
                    )
                    .into());
                };
                if id == this {
                    return Err(Refusal::field("members", "must not include the client").into());
                }
                member_ids.push(parse_id(&id)?);
            }
            let input = NewHousehold { label, member_ids };
            commands::create_household(conn, &audit, &input, Utc::now())
        })
        .await;
    match made {
        Ok(_) => page::see_other(&format!("/clients/{client_id}#household")),
        Err(err) => render(&ctx, client_id, Some(&form), Some(Refused::from(err))).await,
    }
}

fn parse_id(id: &str) -> Result<uuid::Uuid, CommandError> {
    uuid::Uuid::parse_str(id).map_err(|_| Refusal::not_found("client").into())
}
