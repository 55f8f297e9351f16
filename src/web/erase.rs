//! Wissen / Erase: an administrator erases a person at their request,
//! after a page that says what will go and asks why. The form calls the
//! same command as `brug client erase`.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::cases::moment;
use super::context::{Ctx, FormSpec};
use super::form::{As, FormData, Refused};
use super::page::{self, Field, Kind};
use crate::audit::AuditContext;
use crate::http::AppError;
use crate::rights::{ErasureRequest, commands};

async fn render(
    ctx: &Ctx,
    id: String,
    form: Option<&FormData>,
    refused: Option<Refused>,
) -> HttpResponse {
    let wanted = id.clone();
    let found = ctx
        .state
        .db
        .read(move |conn| crate::rights::store::reference_of(conn, &wanted).map_err(AppError::from))
        .await;
    let (reference, erased_at) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return ctx.fail(AppError::not_found("client")).await,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let mut intro = t.t("erase-intro");
    if let Some(at) = erased_at {
        intro = format!(
            "{} {}",
            t.t1("erase-already", "when", moment(&t, at)),
            intro
        );
    }
    let spec = FormSpec {
        title: t.t1("erase-title", "reference", reference),
        action: format!("/clients/{id}/erase"),
        intro: Some(intro),
        back: Some((format!("/clients/{id}/export"), t.t("erase-back"))),
        hidden: Vec::new(),
        submit: t.t("erase-confirm"),
    };
    ctx.form_page(spec, refused, |r| {
        vec![
            Field::new("reason", t.t("erase-reason"), Kind::TextArea)
                .required()
                .hint(t.t("erase-reason-hint"))
                .from_form(form, r),
        ]
    })
    .await
}

/// `GET /clients/{id}/erase`: what erasing does, and the reason asked.
pub async fn confirm(ctx: Ctx, id: web::Path<String>) -> HttpResponse {
    render(&ctx, id.into_inner(), None, None).await
}

/// `POST /clients/{id}/erase`: erases the person, then shows what is left.
pub async fn erase(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let request: ErasureRequest = match form.parse(&[("reason", As::Text)]) {
        Ok(request) => request,
        Err(refused) => return render(&ctx, id, Some(&form), Some(refused)).await,
    };
    let client = id.clone();
    let done = ctx
        .state
        .db
        .write(move |conn| commands::erase(conn, &audit, &client, &request, Utc::now()))
        .await;
    match done {
        Ok(erased) => page::see_other(&format!("/clients/{}/export?erased=1", erased.client_id)),
        Err(err) => render(&ctx, id, Some(&form), Some(Refused::from(err))).await,
    }
}
