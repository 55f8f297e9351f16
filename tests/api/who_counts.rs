//! The breakdowns by sex and by age band count every group at once (a
//! query per stage): over two years of demo data and several
//! scopes, each group's counts equal the funnel counted for that group
//! alone, the groups add up to the whole, the breakdowns equal those of the
//! funnel judged a group at a time, and the queries stay few: about one
//! per stage, whatever the filters.

use std::sync::{Arc, Mutex};

use brug::db::schema::{referrals, return_cases};
use brug::db::{Db, DbConn};
use brug::reports::funnel::{self, Groups, funnel_of, referral_cells_of, stages};
use brug::reports::group::{Group, Grouping};
use brug::reports::who::{self, Breakdown, StageCounts, who_by};
use brug::reports::{Count, Scope};
use chrono::NaiveDate;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;

use crate::helpers::{TestDatabase, test_database, test_settings};

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// Two years of the demo programme up to 30 June 2026 (seed 7).
fn demo() -> (TestDatabase, Db) {
    let database = test_database();
    let settings = test_settings(&database.url);
    let db = brug::startup::open_db(&settings).expect("open");
    brug::startup::prepare(&settings, &db).expect("migrate and sync partners");
    let model = brug::monitoring::Model::load(None).expect("the shipped model");
    let rules = brug::demo::Rules {
        sla: &settings.sla,
        checklist: &settings.checklist,
        monitoring_months: &settings.monitoring_schedule_months,
        model: &model,
    };
    let options = brug::demo::Options {
        years: 2,
        seed: 7,
        until: date("2026-06-30"),
    };
    brug::demo::store::fill(&db, options, &rules, chrono::Utc::now()).expect("demo data");
    (database, db)
}

fn scope(from: &str, to: &str, country: Option<&str>, partner: Option<&str>) -> Scope {
    Scope {
        from: date(from),
        to: date(to),
        country: country.map(str::to_owned),
        partner_id: partner.map(str::to_owned),
        requested: None,
    }
}

/// The destinations with referrals in the period, busiest first, with
/// their partners, busiest first.
fn destinations(conn: &mut DbConn) -> Vec<(String, String, i64)> {
    referrals::table
        .inner_join(return_cases::table)
        .filter(referrals::sent_at.ge(date("2025-07-01").and_hms_opt(0, 0, 0).expect("time")))
        .group_by((return_cases::destination_country, referrals::partner_id))
        .select((
            return_cases::destination_country,
            referrals::partner_id,
            diesel::dsl::count_star(),
        ))
        .order_by(diesel::dsl::count_star().desc())
        .load(conn)
        .expect("destinations")
}

/// The breakdown as it was before the groups were counted at once: the
/// funnel judged once per group, and under a filter the whole programme's
/// breakdown the same way.
fn reference(conn: &mut DbConn, scope: &Scope, grouping: Grouping) -> Breakdown {
    let total = funnel::shown(conn, scope).expect("funnel");
    let groups = grouping.groups();
    let judged: Vec<Vec<(&'static str, i64, Count)>> = groups
        .iter()
        .map(|g| funnel::judged(conn, scope, Some(*g)).expect("judged"))
        .collect();
    let whole = if scope.wider().is_empty() {
        None
    } else {
        Some(reference(conn, &scope.unfiltered(), grouping))
    };
    let stages = total
        .iter()
        .enumerate()
        .map(|(i, (stage, total))| {
            let values: Vec<i64> = judged.iter().map(|j| j[i].1).collect();
            let also: Vec<bool> = judged.iter().map(|j| j[i].2 == Count::Hidden).collect();
            let whole = whole.as_ref().map(|w| w.stages[i].counts.as_slice());
            StageCounts {
                stage,
                total: *total,
                counts: who::column(&values, &also, *total, whole),
            }
        })
        .collect();
    Breakdown {
        grouping,
        groups,
        stages,
    }
}

/// Counts the queries a connection starts, with their SQL.
#[derive(Clone, Default)]
struct Queries(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Queries {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.lock().expect("lock").push(query.to_string());
        }
    }
}

impl Queries {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

#[test]
fn every_group_is_counted_at_once_as_the_funnel_counts_it_alone() {
    let (_database, db) = demo();
    let mut conn = db.dedicated().expect("a connection");
    let busiest = destinations(&mut conn);
    let (country, partner) = match busiest.first() {
        Some((country, partner, _)) => (country.clone(), partner.clone()),
        None => panic!("the demo year has referrals"),
    };
    // And the quietest destination and partner together: smaller counts,
    // more of them hidden.
    let (quiet_country, quiet_partner) = match busiest.last() {
        Some((country, partner, _)) => (country.clone(), partner.clone()),
        None => panic!("the demo year has referrals"),
    };
    let (c, p) = (Some(country.as_str()), Some(partner.as_str()));
    let (qc, qp) = (Some(quiet_country.as_str()), Some(quiet_partner.as_str()));
    let scopes = [
        scope("2024-01-01", "2026-06-30", None, None),
        scope("2025-07-01", "2026-06-30", None, None),
        scope("2025-07-01", "2026-06-30", c, None),
        scope("2025-07-01", "2026-06-30", None, p),
        scope("2025-07-01", "2026-06-30", c, p),
        scope("2026-04-01", "2026-06-30", qc, qp),
        scope("2026-06-01", "2026-06-30", None, qp),
        scope("2024-01-01", "2026-06-30", qc, None),
    ];
    let groups: Vec<Group> = Grouping::ALL.iter().flat_map(|g| g.groups()).collect();
    // And two partners in a country where a group's referral stage, shown
    // beside its counts without each filter, is hidden among the other
    // partners' or countries' counts.
    let among: Vec<Scope> = busiest
        .iter()
        .map(|(c, p, _)| scope("2025-07-01", "2026-06-30", Some(c), Some(p)))
        .filter(|scope| {
            let counts = Groups::read(&mut conn, scope).expect("groups");
            let wider: Vec<Groups> = scope
                .wider()
                .iter()
                .map(|w| Groups::read(&mut conn, w).expect("groups"))
                .collect();
            groups.iter().any(|g| {
                let own = stages(&counts.funnel(Some(*g)));
                let beside: Vec<[(&str, i64); 10]> =
                    wider.iter().map(|w| stages(&w.funnel(Some(*g)))).collect();
                let cells = counts.cells(Some(*g));
                funnel::judge(scope, &own, &beside, &cells)
                    != funnel::judge(scope, &own, &beside, &[])
            })
        })
        .take(2)
        .collect();
    assert_eq!(among.len(), 2, "no count hidden among the others alone");
    let (mut shown, mut hidden) = (0, 0);
    for scope in scopes.iter().chain(&among) {
        let at = format!(
            "{:?}",
            (scope.from, scope.to, &scope.country, &scope.partner_id)
        );
        let counts = Groups::read(&mut conn, scope).expect("groups");
        // Every group's stages and referral cells as counted for it alone.
        for group in std::iter::once(None).chain(groups.iter().copied().map(Some)) {
            let alone = funnel_of(&mut conn, scope, group).expect("funnel");
            assert_eq!(
                stages(&counts.funnel(group)),
                stages(&alone),
                "{at} {group:?}"
            );
            let members = group.map(|g| g.members(scope.to));
            let cells = referral_cells_of(&mut conn, scope, members.as_ref()).expect("cells");
            assert_eq!(counts.cells(group), cells, "{at} {group:?}");
            // Judged as the funnel judges it: against the wider scopes and
            // among the other partners and countries.
            let judged = funnel::judged(&mut conn, scope, group).expect("judged");
            assert_eq!(counts.judged(group), judged, "{at} {group:?}");
        }
        // Each stage's groups add up to the stage, in either grouping.
        let all = stages(&counts.funnel(None));
        for grouping in Grouping::ALL {
            let parts: Vec<[(&str, i64); 10]> = grouping
                .groups()
                .into_iter()
                .map(|g| stages(&counts.funnel(Some(g))))
                .collect();
            for (i, (stage, n)) in all.iter().enumerate() {
                let sum: i64 = parts.iter().map(|p| p[i].1).sum();
                assert_eq!(sum, *n, "{at} {grouping:?} {stage}");
            }
        }
        // And what a lead sees equals the breakdowns judged a group at a
        // time.
        let who = who_by(&mut conn, scope, &Grouping::ALL).expect("who");
        let expected: Vec<Breakdown> = Grouping::ALL
            .iter()
            .map(|g| reference(&mut conn, scope, *g))
            .collect();
        assert_eq!(who.breakdowns, expected, "{at}");
        for count in who
            .breakdowns
            .iter()
            .flat_map(|b| &b.stages)
            .flat_map(|s| &s.counts)
        {
            match count {
                Count::Hidden => hidden += 1,
                Count::Shown(n) if *n > 0 => shown += 1,
                Count::Shown(_) => {}
            }
        }
    }
    // The scopes tell something: counts shown and counts hidden.
    assert!(shown > 50 && hidden > 50, "{shown} shown, {hidden} hidden");
}

#[test]
fn the_breakdowns_take_about_a_query_per_stage_whatever_the_filters() {
    let (_database, db) = demo();
    let mut conn = db.dedicated().expect("a connection");
    let (country, partner) = match destinations(&mut conn).first() {
        Some((country, partner, _)) => (country.clone(), partner.clone()),
        None => panic!("the demo year has referrals"),
    };
    let queries = Queries::default();
    conn.set_instrumentation(queries.clone());
    // The two counselling stages in one query, the cases opened in
    // another (each again for the partner's alone), each referral stage in
    // one: the scope and every wider one at once.
    for (scope, expected) in [
        (scope("2025-07-01", "2026-06-30", None, None), 9),
        (scope("2025-07-01", "2026-06-30", Some(&country), None), 9),
        (scope("2025-07-01", "2026-06-30", None, Some(&partner)), 11),
        (
            scope("2025-07-01", "2026-06-30", Some(&country), Some(&partner)),
            11,
        ),
    ] {
        queries.take();
        let who = who_by(&mut conn, &scope, &Grouping::ALL).expect("who");
        let issued = queries.take();
        assert_eq!(issued.len(), expected, "{}", issued.join("\n"));
        // Counted a group at a time, the same answer took a hundred or
        // more.
        let before: Vec<Breakdown> = Grouping::ALL
            .iter()
            .map(|g| reference(&mut conn, &scope, *g))
            .collect();
        let before_queries = queries.take().len();
        assert_eq!(who.breakdowns, before);
        assert!(before_queries >= 100, "{before_queries} before");
    }
}
