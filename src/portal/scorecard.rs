//! The partner's own scorecard (`/portal/scorecard`): its figures for a
//! quarter, counts from 1 to 4 hidden, from its own referrals alone. The
//! partner is the session's: no other partner's can be asked for.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::context::Portal;
use super::page::PortalLayout;
use crate::http::AppError;
use crate::web::dashboards::scorecard::{self, QuarterQuery, Scorecard};
use crate::web::page;

#[derive(Template)]
#[template(path = "portal/scorecard.html")]
struct ScorecardPage {
    l: PortalLayout,
    base: String,
    s: Scorecard,
}

pub async fn show(portal: Portal, query: web::Query<QuarterQuery>) -> HttpResponse {
    let partner_id = match portal.partner_id() {
        Ok(id) => id,
        Err(err) => return portal.fail(err),
    };
    let Some(quarter) = scorecard::asked(query.quarter(), Utc::now().date_naive()) else {
        return portal.fail(AppError::validation(vec![crate::domain::FieldError::new(
            "quarter",
            "is not a quarter (yyyy-Qn)",
        )]));
    };
    let t = portal.t;
    let s = match scorecard::build_own(&portal.state, &t, &partner_id, quarter).await {
        Ok(s) => s,
        Err(err) => return portal.fail(err),
    };
    let body = ScorecardPage {
        l: portal.layout(
            t.with("score-title", &[("quarter", quarter.to_string())]),
            "scorecard",
        ),
        base: "/portal/scorecard".into(),
        s,
    };
    page::render(StatusCode::OK, &body)
}
