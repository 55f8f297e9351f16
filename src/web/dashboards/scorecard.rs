//! A partner's scorecard for a quarter: its row of the partners report and
//! its referral stages from the funnel, for that quarter and that partner
//! (so suppressed exactly as the lead's reports are). The lead sees every
//! partner's (`/dashboards/partners/{id}`); a partner sees its own in the
//! portal (`/portal/scorecard`), and no other, in its own language.

use std::fmt;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::Figure;
use super::charts::{self, Cell};
use crate::http::AppError;
use crate::referrals::vocabulary::DeclineReason;
use crate::reports::Scope;
use crate::reports::funnel as funnel_report;
use crate::reports::partners as partners_report;
use crate::reports::scope::month_end;
use crate::reports::suppress::Count;
use crate::state::AppState;
use crate::web::context::Ctx;
use crate::web::i18n::Texts;
use crate::web::page::{self, Layout};

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u32,
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.q)
    }
}

impl Quarter {
    /// `2026-Q3`, in the years reports take.
    pub fn parse(text: &str) -> Option<Quarter> {
        let (year, q) = text.trim().split_once("-Q")?;
        let (year, q): (i32, u32) = (year.parse().ok()?, q.parse().ok()?);
        ((2000..=2100).contains(&year) && (1..=4).contains(&q)).then_some(Quarter { year, q })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.q - 1) * 3 + 1, 1).unwrap_or_default()
    }

    pub fn last_day(self) -> NaiveDate {
        month_end(NaiveDate::from_ymd_opt(self.year, self.q * 3, 1).unwrap_or_default())
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
}

pub fn quarter_of(day: NaiveDate) -> Quarter {
    Quarter {
        year: day.year(),
        q: day.month0() / 3 + 1,
    }
}

/// The quarter asked for, or the last whole one; `None` when what was
/// asked is not a quarter.
pub fn asked(text: &str, today: NaiveDate) -> Option<Quarter> {
    if text.trim().is_empty() {
        Some(quarter_of(today).previous())
    } else {
        Quarter::parse(text)
    }
}

/// The figures of a scorecard, each labelled (`score-…` keys, which the
/// portal's languages have too).
pub struct Scorecard {
    pub quarter: Quarter,
    /// The quarters to switch to: this one so far and the four before.
    pub quarters: Vec<(String, bool)>,
    pub facts: Vec<(String, String)>,
    pub figure: Figure,
    pub declines: Vec<(String, String)>,
}

/// The figures a partner's row holds, in the scorecard's order.
pub(super) const FACTS: [&str; 10] = [
    "referrals",
    "accepted",
    "rejected",
    "acceptance_rate",
    "median_hours_to_acknowledge",
    "p90_hours_to_acknowledge",
    "median_hours_to_decide",
    "p90_hours_to_decide",
    "sla_breaches",
    "median_days_to_plan",
];

/// The funnel's stages a partner takes part in (from the referral on).
pub(super) const STAGES: [&str; 7] = [
    "referrals_sent",
    "referrals_accepted",
    "departed",
    "arrived",
    "plans_approved",
    "monitoring_visits_done",
    "closed_completed",
];

pub async fn build(
    state: &AppState,
    t: &Texts,
    partner_id: &str,
    quarter: Quarter,
) -> Result<Scorecard, AppError> {
    let scope = Scope {
        from: quarter.first_day(),
        to: quarter.last_day(),
        country: None,
        partner_id: Some(partner_id.to_owned()),
        requested: None,
    };
    let (row, stages) = state
        .db
        .read(move |conn| {
            let (rows, _) = partners_report::report(conn, &scope)?;
            let stages = funnel_report::shown(conn, &scope)?;
            Ok::<_, AppError>((rows.into_iter().next().unwrap_or_default(), stages))
        })
        .await?;
    Ok(card(t, quarter, &row, &stages, Utc::now().date_naive()))
}

/// The partner's own scorecard, for its portal: from its own figures
/// alone (counts from 1 to 4 hidden), never hidden for the sake of another
/// partner, whose counts the partner could then work out from its own.
pub async fn build_own(
    state: &AppState,
    t: &Texts,
    partner_id: &str,
    quarter: Quarter,
) -> Result<Scorecard, AppError> {
    let scope = Scope {
        from: quarter.first_day(),
        to: quarter.last_day(),
        country: None,
        partner_id: Some(partner_id.to_owned()),
        requested: None,
    };
    let id = partner_id.to_owned();
    let (row, stages) = state
        .db
        .read(move |conn| {
            let figures = partners_report::partners(conn, &scope)?;
            let own = figures.get(&id).cloned().unwrap_or_default();
            let funnel = funnel_report::funnel(conn, &scope)?;
            let stages: Vec<(&'static str, Count)> = funnel_report::stages(&funnel)
                .iter()
                .map(|(stage, n)| (*stage, Count::of(*n)))
                .collect();
            Ok::<_, AppError>((partners_report::own_row(&id, &own), stages))
        })
        .await?;
    Ok(card(t, quarter, &row, &stages, Utc::now().date_naive()))
}

/// The scorecard from the partner's row and its funnel: pure.
pub fn card(
    t: &Texts,
    quarter: Quarter,
    row: &Map<String, Value>,
    stages: &[(&'static str, Count)],
    today: NaiveDate,
) -> Scorecard {
    let mut facts: Vec<(String, String)> = FACTS
        .iter()
        .map(|name| {
            let value = if *name == "acceptance_rate" {
                super::partners::rate_text(row.get(*name))
            } else {
                super::cell(row.get(*name))
            };
            (t.t(&super::key("score", name)), value)
        })
        .collect();
    facts.push((
        t.t("score-monitoring"),
        format!(
            "{} / {}",
            super::cell(row.get("monitoring_done")),
            super::cell(row.get("monitoring_due"))
        ),
    ));
    let bars: Vec<(String, Cell)> = STAGES
        .iter()
        .map(|stage| {
            let cell = stages
                .iter()
                .find(|(s, _)| s == stage)
                .map_or(Cell::Missing, |(_, c)| Cell::count(*c));
            (t.t(&super::key("score-stage", stage)), cell)
        })
        .collect();
    let figure = Figure {
        chart: charts::bars("scorecard", &t.t("score-stages-title"), &bars, None),
        head: vec![t.t("score-stage"), t.t("score-count")],
        rows: bars
            .iter()
            .map(|(n, c)| vec![n.clone(), c.text()])
            .collect(),
    };
    let declines = DeclineReason::ALL
        .iter()
        .map(|code| {
            (
                t.t(&super::key("score-decline", code.as_str())),
                super::cell(row.get(&format!("declines_{code}"))),
            )
        })
        .collect();
    let mut quarters = Vec::new();
    let mut q = quarter_of(today);
    for _ in 0..5 {
        quarters.push((q.to_string(), q == quarter));
        q = q.previous();
    }
    Scorecard {
        quarter,
        quarters,
        facts,
        figure,
        declines,
    }
}

#[derive(Template)]
#[template(path = "dashboards/scorecard.html")]
struct ScorecardPage {
    l: Layout,
    name: String,
    base: String,
    s: Scorecard,
}

#[derive(serde::Deserialize)]
pub struct QuarterQuery {
    #[serde(default)]
    quarter: String,
}

impl QuarterQuery {
    pub fn quarter(&self) -> &str {
        &self.quarter
    }
}

/// `GET /dashboards/partners/{id}`: the lead's view of one partner.
pub async fn show(
    ctx: Ctx,
    id: web::Path<String>,
    query: web::Query<QuarterQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let directory = match ctx.state.db.read(super::directory).await {
        Ok(d) => d,
        Err(err) => return ctx.fail(err).await,
    };
    let Some((_, name)) = directory.partners.iter().find(|(p, _)| *p == id).cloned() else {
        return ctx.fail(AppError::not_found("partner")).await;
    };
    let t = ctx.t;
    let Some(quarter) = asked(&query.quarter, Utc::now().date_naive()) else {
        return ctx
            .fail(AppError::validation(vec![crate::domain::FieldError::new(
                "quarter",
                "is not a quarter (yyyy-Qn)",
            )]))
            .await;
    };
    let s = match build(&ctx.state, &t, &id, quarter).await {
        Ok(s) => s,
        Err(err) => return ctx.fail(err).await,
    };
    let body = ScorecardPage {
        l: ctx
            .layout(
                t.with("score-title", &[("quarter", quarter.to_string())]),
                "dashboards",
            )
            .await,
        name,
        base: format!("/dashboards/partners/{id}"),
        s,
    };
    page::render(actix_web::http::StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_are_read_and_bounded() {
        let q = Quarter::parse("2026-Q3").expect("a quarter");
        assert_eq!(q.first_day().to_string(), "2026-07-01");
        assert_eq!(q.last_day().to_string(), "2026-09-30");
        assert_eq!(
            Quarter::parse("2026-Q1")
                .map(Quarter::previous)
                .map(|q| q.to_string()),
            Some("2025-Q4".into())
        );
        assert_eq!(Quarter::parse("2026-Q5"), None);
        assert_eq!(Quarter::parse("2026-3"), None);
        let today: NaiveDate = "2026-12-07".parse().expect("date");
        assert_eq!(
            asked("", today).map(|q| q.to_string()),
            Some("2026-Q3".into())
        );
        assert_eq!(quarter_of(today).to_string(), "2026-Q4");
    }
}
