//! `GET /return-cases/{id}`: the case page, also shown again (with the
//! refusal) when one of its forms was refused.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::Trouble;
use super::load::load;
use super::view::case_page;
use crate::audit::AuditContext;
use crate::http::AppError;
use crate::web::context::Ctx;
use crate::web::page;

pub async fn show(ctx: Ctx, audit: AuditContext, id: web::Path<String>) -> HttpResponse {
    render(&ctx, audit, id.into_inner(), None).await
}

/// The case page; with a refused step, that step's status and message.
pub async fn render(
    ctx: &Ctx,
    audit: AuditContext,
    id: String,
    trouble: Option<Trouble>,
) -> HttpResponse {
    // Showing the case is reading it, whichever form led here.
    let audit = AuditContext {
        operation: "cases.get",
        ..audit
    };
    let after_days = ctx.state.settings.not_departed_after_days;
    let directory = ctx.state.directory.clone();
    let now = Utc::now();
    let loaded = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        load(conn, by, &directory, &id, after_days, now)
    })
    .await;
    let data = match loaded {
        Ok(data) => data,
        Err(err) => return ctx.fail(AppError::from(err)).await,
    };
    let t = ctx.t;
    let title = t.t1(
        "case-title",
        "name",
        format!("{} {}", data.client.given_name, data.client.family_name),
    );
    let mut l = ctx.layout(title, "clients").await;
    l.tab = Some(t.t1("case-title", "name", &data.client.reference));
    let status = trouble.as_ref().map_or(StatusCode::OK, |tr| tr.status);
    // A red flag's question and answer in the page's language, where the
    // model's texts have it (else the model's own English).
    let indicators = ctx
        .state
        .model
        .in_language(&ctx.state.model_texts, t.lang.code());
    let page = case_page(t, l, data, trouble.as_ref(), now.date_naive(), &indicators);
    page::render(status, &page)
}
