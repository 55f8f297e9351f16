//! The case page's forms: each turns into the API's input, calls the API's
//! command, and goes back to the case page (303), or shows the case page
//! again with the refusal, its status and what was typed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::show::render;
use super::{Form, Trouble};
use crate::audit::AuditContext;
use crate::cases::Departure;
use crate::http::AppError;
use crate::referrals::commands::{self, after_departure, checklist, send};
use crate::referrals::plan::Rejection;
use crate::referrals::routes::ItemPatch;
use crate::referrals::{NewReferral, Reason};
use crate::web::context::Ctx;
use crate::web::form::{As, FormData, Refused};
use crate::web::page;

fn case_url(case_id: &str) -> String {
    format!("/return-cases/{case_id}")
}

/// The case page again, with the refusal; an error page for what is not
/// the form's fault (not found, the database).
async fn refused(
    ctx: &Ctx,
    audit: AuditContext,
    case_id: String,
    form: Form,
    typed: FormData,
    refused: Refused,
) -> HttpResponse {
    match refused {
        Refused::Other(err) => ctx.fail(err).await,
        refused => {
            render(
                ctx,
                audit,
                case_id,
                Some(Trouble::new(form, typed, refused)),
            )
            .await
        }
    }
}

/// Back to the case when the command did it; else its refusal.
async fn done<T>(
    ctx: &Ctx,
    audit: AuditContext,
    case_id: String,
    form: Form,
    typed: FormData,
    result: Result<T, AppError>,
) -> HttpResponse {
    match result {
        Ok(_) => page::see_other(&case_url(&case_id)),
        Err(err) => refused(ctx, audit, case_id, form, typed, Refused::from(err)).await,
    }
}

/// The case a referral belongs to, or "not found".
async fn case_of_referral(ctx: &Ctx, referral_id: &str) -> Result<String, AppError> {
    let id = referral_id.to_owned();
    ctx.state
        .db
        .read(move |conn| {
            Ok::<_, AppError>(
                crate::referrals::store::get_row(conn, &id)?.map(|r| r.return_case_id),
            )
        })
        .await?
        .ok_or_else(|| AppError::not_found("referral"))
}

/// `POST /return-cases/{id}/referrals`: send (or re-route) the case to a
/// partner, under the consent the page chose.
pub async fn send_referral(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let case_id = id.into_inner();
    if form.get("consent_id").is_empty() {
        // The client gave no consent at all: the consent check's answer,
        // without asking it.
        let mut trouble = Trouble::new(
            Form::Send,
            form,
            Refused::Said {
                status: StatusCode::CONFLICT,
                detail: String::new(),
            },
        );
        trouble.consent_missing = true;
        return render(&ctx, audit, case_id, Some(trouble)).await;
    }
    let input =
        match form.parse::<NewReferral>(&[("partner_id", As::Text), ("consent_id", As::Text)]) {
            Ok(input) => input,
            Err(r) => return refused(&ctx, audit, case_id, Form::Send, form, r).await,
        };
    let by = audit.clone();
    let sla = ctx.state.settings.sla.clone();
    let target = case_id.clone();
    let sent = ctx
        .state
        .db
        .write(move |conn| {
            send::send(conn, &by, &target, &input, &sla, Utc::now()).map_err(AppError::from)
        })
        .await;
    match sent {
        Err(AppError::Problem(problem)) if problem.slug == "consent-missing" => {
            let mut trouble =
                Trouble::new(Form::Send, form, Refused::from(AppError::Problem(problem)));
            trouble.consent_missing = true;
            render(&ctx, audit, case_id, Some(trouble)).await
        }
        other => done(&ctx, audit, case_id, Form::Send, form, other).await,
    }
}

/// `POST /referrals/{id}/cancel`, with the reason the API requires.
pub async fn cancel_referral(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let case_id = match case_of_referral(&ctx, &id).await {
        Ok(case_id) => case_id,
        Err(err) => return ctx.fail(err).await,
    };
    let input = match form.parse::<Reason>(&[("reason", As::Text)]) {
        Ok(input) => input,
        Err(r) => return refused(&ctx, audit, case_id, Form::Cancel, form, r).await,
    };
    let by = audit.clone();
    let result = ctx
        .state
        .db
        .write(move |conn| {
            commands::cancel(conn, &by, &id, &input.reason, Utc::now()).map_err(AppError::from)
        })
        .await;
    done(&ctx, audit, case_id, Form::Cancel, form, result).await
}

/// `POST /referrals/{id}/plan/approve`.
pub async fn approve_plan(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    decide(ctx, audit, id.into_inner(), form, false).await
}

/// `POST /referrals/{id}/plan/reject`: returned with a comment (required).
pub async fn reject_plan(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    decide(ctx, audit, id.into_inner(), form, true).await
}

async fn decide(
    ctx: Ctx,
    audit: AuditContext,
    id: String,
    form: FormData,
    reject: bool,
) -> HttpResponse {
    let case_id = match case_of_referral(&ctx, &id).await {
        Ok(case_id) => case_id,
        Err(err) => return ctx.fail(err).await,
    };
    let comment = if reject {
        match form.parse::<Rejection>(&[("comment", As::Text)]) {
            Ok(input) => Some(input.comment),
            Err(r) => return refused(&ctx, audit, case_id, Form::Reject, form, r).await,
        }
    } else {
        None
    };
    let by = audit.clone();
    let result = ctx
        .state
        .db
        .write(move |conn| {
            after_departure::decide_plan(conn, &by, &id, comment.as_deref(), Utc::now())
                .map_err(AppError::from)
        })
        .await;
    done(&ctx, audit, case_id, Form::Reject, form, result).await
}

/// `POST /sustainability-alerts/{id}/handle`: the caseworker revisited the
/// plan; the alert leaves My work. Back to the case, at the alert. The form
/// carries nothing but its token, which reading it checks.
pub async fn handle_alert(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    _form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let alert_id = id.clone();
    let found = ctx
        .state
        .db
        .read(move |conn| {
            let Some(alert) = crate::monitoring::alerts::store::get(conn, &alert_id)? else {
                return Ok::<_, AppError>(None);
            };
            Ok(crate::referrals::store::get_row(conn, &alert.referral_id)?
                .map(|r| r.return_case_id))
        })
        .await;
    let case_id = match found {
        Ok(Some(case_id)) => case_id,
        Ok(None) => return ctx.fail(AppError::not_found("sustainability alert")).await,
        Err(err) => return ctx.fail(err).await,
    };
    let result = ctx
        .state
        .db
        .write(move |conn| {
            crate::monitoring::alerts::commands::handle(conn, &audit, &id, Utc::now())
                .map_err(AppError::from)
        })
        .await;
    match result {
        Ok(alert) => page::see_other(&format!("{}#alert-{}", case_url(&case_id), alert.id)),
        Err(err) => ctx.fail(err).await,
    }
}

/// `POST /return-cases/{id}/departure`.
pub async fn record_departure(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let case_id = id.into_inner();
    let input = match form.parse::<Departure>(&[("departed_on", As::Text)]) {
        Ok(input) => input,
        Err(r) => return refused(&ctx, audit, case_id, Form::Depart, form, r).await,
    };
    let by = audit.clone();
    let target = case_id.clone();
    let result = ctx
        .state
        .db
        .write(move |conn| {
            commands::record_departure(conn, &by, &target, input.departed_on, Utc::now())
                .map_err(AppError::from)
        })
        .await;
    done(&ctx, audit, case_id, Form::Depart, form, result).await
}

/// `POST /checklist-items/{id}`: the same patch as the API's, from the
/// item's form (its button says which status).
pub async fn update_item(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let item_id = id.clone();
    let found =
        ctx.state
            .db
            .read(move |conn| {
                let Some(item) = crate::referrals::store::checklist::item(conn, &item_id)? else {
                    return Ok::<_, AppError>(None);
                };
                Ok(crate::referrals::store::get_row(conn, &item.referral_id)?
                    .map(|r| r.return_case_id))
            })
            .await;
    let case_id = match found {
        Ok(Some(case_id)) => case_id,
        Ok(None) => return ctx.fail(AppError::not_found("checklist item")).await,
        Err(err) => return ctx.fail(err).await,
    };
    let kind = Form::Item(id.clone());
    let patch = match form.parse::<ItemPatch>(&[("status", As::Text), ("note", As::Text)]) {
        Ok(patch) => patch,
        Err(r) => return refused(&ctx, audit, case_id, kind, form, r).await,
    };
    let change = patch.into_change();
    let by = audit.clone();
    let result = ctx
        .state
        .db
        .write(move |conn| {
            checklist::update_item(conn, &by, &id, &change, Utc::now()).map_err(AppError::from)
        })
        .await;
    done(&ctx, audit, case_id, kind, form, result).await
}
