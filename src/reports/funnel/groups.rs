//! The funnel of every group of clients at once, for the breakdowns by sex
//! and by age band. Each stage is counted in one query grouped by the
//! client's sex and age band together, instead of a funnel per group, and
//! by what the funnel's filters ask, so that one read gives each stage in
//! the scope and in every wider scope it is judged against (a filter
//! dropped): the counselling stages and the cases opened by whether in the
//! scope's country (read a second time for its partner alone), the
//! referral stages by partner and destination, which are also the cells
//! they are judged among. [`funnel_of`](super::funnel_of) with a group
//! counts the same, one group and one scope at a time; the tests hold one
//! to the other.
//!
//! Every query reads its period through the period's index, as the funnel
//! does: the client of each row is joined by its key, and whether a talk's
//! client or a case was referred to the partner is looked up per row.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use super::super::group::{AgeBand, Group, band, band_at};
use super::super::scope::{
    Scope, history_with_cases, plans_with_cases, referrals_with_cases, visits_with_cases,
};
use super::super::suppress::Count;
use super::cells::each_referral_stage;
use super::{Cells, Funnel, judge, stages};
use crate::db::schema::{
    clients, monitoring_visits, referral_history, referrals, reintegration_plans, return_cases,
    talks,
};
use crate::db::{DbConn, DbError};
use crate::referrals::ReferralStatus;
use crate::referrals::plan::PlanStatus;

/// The clients a count is of: their sex, and their age band on the
/// period's last day (`None`: a date of birth outside every band).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Of {
    sex: String,
    band: Option<AgeBand>,
}

impl Of {
    fn new(sex: String, band: i32) -> Self {
        Of {
            sex,
            band: band_at(band),
        }
    }

    fn in_group(&self, group: Option<Group>) -> bool {
        group.is_none_or(|g| g.contains(&self.sex, self.band))
    }
}

/// Which talks or cases a count is of: those in the scope's country (of
/// origin for talks, of destination for cases) or not, and those of a
/// client or case referred to the scope's partner or all of them. The
/// counts of all of them and of the partner's overlap: a scope takes one or
/// the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Within {
    country: bool,
    partner: bool,
}

impl Within {
    /// Whether what is so counted is in `scope`: the scope read, or one of
    /// its wider ones (the same filters, some dropped).
    fn covers(self, scope: &Scope) -> bool {
        self.partner == scope.partner_id.is_some() && (scope.country.is_none() || self.country)
    }
}

/// The counselling stages and the cases opened (clients counselled, their
/// return intentions, cases opened) per sex, age band and [`Within`].
#[derive(Debug, Clone, Default)]
struct Early(Vec<(Of, Within, [i64; 3])>);

impl Early {
    fn of(&self, scope: &Scope, group: Option<Group>) -> [i64; 3] {
        let mut sums = [0; 3];
        for (of, within, counts) in &self.0 {
            if of.in_group(group) && within.covers(scope) {
                for (sum, n) in sums.iter_mut().zip(counts) {
                    *sum += n;
                }
            }
        }
        sums
    }
}

/// A referral stage's counts per partner, destination, sex and age band.
type Referred = Vec<((String, String), Of, i64)>;

/// Every stage of the funnel of a scope per group of clients, in the scope
/// and in each wider one, with what its judgment needs ([`judge`]).
#[derive(Debug, Clone)]
pub struct Groups {
    scope: Scope,
    early: Early,
    /// The referral stages in order.
    referred: Vec<Referred>,
}

impl Groups {
    /// Reads the funnel of `scope` and of each wider scope by sex and age
    /// band (ages on the period's last day): a query per stage, the two
    /// counselling stages in one, and the first three stages again for the
    /// scope's partner: 9 queries, 11 with a partner.
    pub fn read(conn: &mut DbConn, scope: &Scope) -> Result<Groups, DbError> {
        Ok(Groups {
            scope: scope.clone(),
            early: early(conn, scope)?,
            referred: referred(conn, scope)?,
        })
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The same counts for the scope without its filters, judged as its
    /// own.
    pub fn unfiltered(&self) -> Groups {
        Groups {
            scope: self.scope.unfiltered(),
            ..self.clone()
        }
    }

    /// The funnel of the group's clients (all without one), as
    /// [`funnel_of`](super::funnel_of) counts it.
    pub fn funnel(&self, group: Option<Group>) -> Funnel {
        self.funnel_in(&self.scope, group)
    }

    /// The funnel in `scope`: the scope read, or one of its wider ones.
    fn funnel_in(&self, scope: &Scope, group: Option<Group>) -> Funnel {
        let [clients_counselled, intention_return, cases_opened] = self.early.of(scope, group);
        let [
            referrals_sent,
            referrals_accepted,
            departed,
            arrived,
            plans_approved,
            monitoring_visits_done,
            closed_completed,
        ] = [0, 1, 2, 3, 4, 5, 6].map(|i| {
            self.referred.get(i).map_or(0, |rows| {
                rows.iter()
                    .filter(|((p, c), of, _)| scope.covers(p, c) && of.in_group(group))
                    .map(|(_, _, n)| n)
                    .sum()
            })
        });
        Funnel {
            clients_counselled,
            intention_return,
            cases_opened,
            referrals_sent,
            referrals_accepted,
            departed,
            arrived,
            plans_approved,
            monitoring_visits_done,
            closed_completed,
        }
    }

    /// The referral stages of the group's clients per partner and
    /// destination, as [`referral_cells_of`](super::referral_cells_of)
    /// counts them.
    pub fn cells(&self, group: Option<Group>) -> Vec<Cells> {
        self.referred
            .iter()
            .map(|rows| {
                let mut cells = Cells::new();
                for (key, of, n) in rows {
                    if of.in_group(group) {
                        *cells.entry(key.clone()).or_default() += n;
                    }
                }
                cells
            })
            .collect()
    }

    /// Each stage of the group's funnel (all clients' without one) with its
    /// count as [`judged`](super::judged) judges it.
    pub fn judged(&self, group: Option<Group>) -> Vec<(&'static str, i64, Count)> {
        let own = stages(&self.funnel(group));
        let wider: Vec<[(&'static str, i64); 10]> = self
            .scope
            .wider()
            .iter()
            .map(|scope| stages(&self.funnel_in(scope, group)))
            .collect();
        let cells = if wider.is_empty() {
            Vec::new()
        } else {
            self.cells(group)
        };
        judge(&self.scope, &own, &wider, &cells)
    }
}

/// The counselling stages and the cases opened in the period, per sex, age
/// band and whether in the scope's country: two queries, and two more of
/// the partner's alone when the scope names one. A client is in one group
/// and one country, so that the distinct clients of each add up.
fn early(conn: &mut DbConn, scope: &Scope) -> Result<Early, DbError> {
    let mut rows = early_of(conn, scope, None)?;
    if let Some(partner) = &scope.partner_id {
        rows.extend(early_of(conn, scope, Some(partner))?);
    }
    Ok(Early(rows))
}

/// [`early`] of the talks and cases of the partner (all without one). The
/// partner is a filter, not a flag like the country: PostgreSQL would plan
/// its lookup per row as costly enough to compile the query first, which
/// takes longer than the query.
fn early_of(
    conn: &mut DbConn,
    scope: &Scope,
    partner: Option<&String>,
) -> Result<Vec<(Of, Within, [i64; 3])>, DbError> {
    let on = scope.to;
    let country = scope.country.clone().unwrap_or_default();
    let mut talked = talks::table
        .inner_join(clients::table)
        .filter(talks::held_on.ge(scope.from))
        .filter(talks::held_on.le(scope.to))
        .group_by(sql::<Integer>("1, 2, 3"))
        .select((
            sql::<Text>("clients.sex"),
            band!(on),
            sql::<Bool>("clients.country_of_origin = ").bind::<Text, _>(country.clone()),
            sql::<BigInt>("COUNT(DISTINCT talks.client_id)"),
            sql::<BigInt>(
                "COUNT(DISTINCT CASE WHEN talks.intention = 'return' THEN talks.client_id END)",
            ),
        ))
        .into_boxed();
    let mut cases = return_cases::table
        .inner_join(clients::table.on(clients::id.eq(return_cases::client_id)))
        .filter(return_cases::opened_at.ge(scope.start()))
        .filter(return_cases::opened_at.lt(scope.end()))
        .group_by(sql::<Integer>("1, 2, 3"))
        .select((
            sql::<Text>("clients.sex"),
            band!(on),
            sql::<Bool>("return_cases.destination_country = ").bind::<Text, _>(country),
            sql::<BigInt>("COUNT(*)"),
        ))
        .into_boxed();
    if let Some(partner) = partner {
        talked = talked.filter(referred_to!(partner));
        cases = cases.filter(case_referred_to!(partner));
    }
    let talked: Vec<(String, i32, bool, i64, i64)> = talked.load(conn)?;
    let cases: Vec<(String, i32, bool, i64)> = cases.load(conn)?;
    let partner = partner.is_some();
    let mut rows: Vec<(Of, Within, [i64; 3])> = talked
        .into_iter()
        .map(|(sex, band, country, counselled, intention)| {
            let within = Within { country, partner };
            (Of::new(sex, band), within, [counselled, intention, 0])
        })
        .collect();
    rows.extend(cases.into_iter().map(|(sex, band, country, opened)| {
        let within = Within { country, partner };
        (Of::new(sex, band), within, [0, 0, opened])
    }));
    Ok(rows)
}

/// Counts of the referral stage over `$joined` (joined to the return case)
/// that match `$filter`, per partner, destination, sex and age band.
macro_rules! referred_by {
    ($conn:expr, $on:expr, $joined:expr, $filter:expr) => {{
        let rows: Vec<(String, String, String, i32, i64)> = $joined
            .inner_join(clients::table.on(clients::id.eq(return_cases::client_id)))
            .filter($filter)
            .group_by(sql::<Integer>("1, 2, 3, 4"))
            .select((
                sql::<Text>("referrals.partner_id"),
                sql::<Text>("return_cases.destination_country"),
                sql::<Text>("clients.sex"),
                band!($on),
                sql::<BigInt>("COUNT(*)"),
            ))
            .load($conn)?;
        rows.into_iter()
            .map(|(partner, country, sex, band, n)| ((partner, country), Of::new(sex, band), n))
            .collect::<Referred>()
    }};
}

/// The referral stages in the period (whatever the scope's filters: they
/// are applied after), in the order of the funnel's stages.
fn referred(conn: &mut DbConn, scope: &Scope) -> Result<Vec<Referred>, DbError> {
    let on = scope.to;
    Ok(each_referral_stage!(referred_by, conn, on, scope))
}
