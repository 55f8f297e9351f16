//! The leads' dashboards: each figure on a hand-built programme exactly,
//! or `<5`, in the chart, its data table and the CSV alike; the same
//! differencing attacks as on the reports fail against them; a partner's
//! scorecard in the portal is its own; those who work with cases get 403.

use brug::auth::Role;
use brug::auth::partner_users::PartnerRole;
use chrono::Datelike;

use crate::helpers::spawn_app;
use crate::portal_helpers::portal_user;
use crate::referrals::{ACCRA, KUMASI};
use crate::reports::{Team, programme};
use crate::web_helpers::{Answer, signed_in};

/// The rows of a figure's data table: each row's cells as text (the
/// heading cell first), as a screen reader reads them.
pub(crate) fn table(page: &Answer, figure: &str) -> Vec<Vec<String>> {
    let marker = format!(" id=\"{figure}\"");
    let start = page
        .html
        .find(&marker)
        .unwrap_or_else(|| panic!("no figure {figure} in {}", page.html));
    let end = page.html[start..].find("</table>").expect("table end") + start;
    let figure_html = &page.html[start..end];
    let body = &figure_html[figure_html.find("<tbody>").expect("tbody")..];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split(['<', '>'])
                .collect::<Vec<_>>()
                .windows(2)
                .filter(|w| w[0].starts_with("th") || w[0] == "td")
                .map(|w| w[1].replace("&lt;", "<").replace("&#60;", "<"))
                .collect()
        })
        .collect()
}

/// The cells of the row headed `name`.
pub(crate) fn row<'t>(table: &'t [Vec<String>], name: &str) -> &'t [String] {
    table
        .iter()
        .find(|r| r.first().map(String::as_str) == Some(name))
        .map(|r| &r[1..])
        .unwrap_or_else(|| panic!("no row {name} in {table:?}"))
}

fn this_month() -> String {
    chrono::Utc::now().date_naive().format("%Y-%m").to_string()
}

fn this_quarter() -> String {
    let today = chrono::Utc::now().date_naive();
    format!("{}-Q{}", today.year(), today.month0() / 3 + 1)
}

/// The CSV's value for a figure's item.
fn csv_value(csv: &str, figure: &str, item: &str) -> String {
    let prefix = format!("{figure},{item},");
    csv.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {csv}"))
        .to_owned()
}

#[tokio::test]
async fn the_overview_shows_each_stage_its_conversion_and_the_month() {
    let p = programme().await;
    let (mut lead, _) = signed_in(&p.app, &[Role::Lead], "Lena Lead").await;
    let page = lead.get("/dashboards").await;
    assert_eq!(page.status, 200, "{}", page.html);
    // Six counselled, five want to return, five cases, seven referrals
    // (two re-routed), three accepted, three departed, two arrived.
    let funnel = table(&page, "funnel");
    assert_eq!(row(&funnel, "Cliënten in gesprek"), ["6", "–"]);
    assert_eq!(row(&funnel, "Voornemen tot terugkeer"), ["5", "83.3%"]);
    assert_eq!(row(&funnel, "Terugkeertrajecten geopend"), ["5", "100%"]);
    assert_eq!(row(&funnel, "Doorverwijzingen verstuurd"), ["7", "140%"]);
    assert_eq!(row(&funnel, "Doorverwijzingen aanvaard"), ["<5", "–"]);
    assert_eq!(row(&funnel, "Vertrokken"), ["<5", "–"]);
    assert_eq!(row(&funnel, "Aangekomen"), ["<5", "–"]);
    assert_eq!(row(&funnel, "Afgerond"), ["0", "–"]);
    // The chart draws the hidden ones as text, with a title for readers.
    assert!(page.contains("<title id=\"funnel-title\">Hoe ver mensen komen in de periode</title>"));
    assert!(page.contains("role=\"img\" aria-labelledby=\"funnel-title\""));
    let trend = table(&page, "trend");
    assert_eq!(trend.len(), 12, "twelve months by default: {trend:?}");
    assert_eq!(row(&trend, &this_month()), ["7", "<5"]);
    let durations = table(&page, "durations");
    assert_eq!(
        row(&durations, "Eerste gesprek tot voornemen tot terugkeer"),
        ["0"],
        "five decided at their first talk"
    );
    assert_eq!(
        row(&durations, "Vertrek tot aankomst"),
        ["–"],
        "two: too few"
    );
    // The period in words, for the printed page too.
    assert!(page.contains("Periode "), "{}", page.html);

    let csv = lead.get("/dashboards?format=csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    assert!(csv.html.starts_with("figure,item,value\n"), "{}", csv.html);
    assert_eq!(csv_value(&csv.html, "funnel", "referrals_sent"), "7");
    assert_eq!(csv_value(&csv.html, "funnel", "referrals_accepted"), "<5");
    assert_eq!(
        csv_value(&csv.html, "month_referrals_sent", &this_month()),
        "7"
    );
    assert_eq!(csv_value(&csv.html, "month_departed", &this_month()), "<5");
    assert_eq!(
        csv_value(&csv.html, "median_days", "departure_to_arrival"),
        ""
    );

    // In English on asking.
    let english = lead.get("/dashboards?lang=en").await;
    assert_eq!(
        row(&table(&english, "funnel"), "Referrals sent"),
        ["7", "140%"]
    );
}

#[tokio::test]
async fn wrong_filters_are_named_beside_each_field() {
    let app = spawn_app().await;
    let (mut lead, _) = signed_in(&app, &[Role::Lead], "Lena Lead").await;
    let page = lead
        .get("/dashboards?from=soon&country=XX&partner_id=nobody")
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        page.field_error("from").as_deref(),
        Some("is geen maand (jjjj-mm)")
    );
    assert_eq!(
        page.field_error("country").as_deref(),
        Some("is geen land van een van de partners")
    );
    assert_eq!(
        page.field_error("partner_id").as_deref(),
        Some("is geen partner uit de partnerlijst")
    );
    assert!(!page.contains("<figure"), "no figures for a refused scope");
    let later = lead
        .get("/dashboards/partners?from=2026-05&to=2026-02")
        .await;
    assert_eq!(later.status, 422);
    assert_eq!(
        later.field_error("from").as_deref(),
        Some("mag niet na de tot-datum liggen")
    );
    // What was typed stays in the form.
    assert_eq!(later.field_value("from").as_deref(), Some("2026-05"));
}

#[tokio::test]
async fn the_dashboards_are_for_leads_only() {
    let app = spawn_app().await;
    let paths = [
        "/dashboards".to_owned(),
        "/dashboards/partners".to_owned(),
        format!("/dashboards/partners/{ACCRA}"),
        "/dashboards/overdue".to_owned(),
        "/dashboards/sustainability".to_owned(),
        "/dashboards/who".to_owned(),
    ];
    for roles in [[Role::Counsellor], [Role::Caseworker]] {
        let (mut browser, _) = signed_in(&app, &roles, "Someone").await;
        for path in &paths {
            let page = browser.get(path).await;
            assert_eq!(page.status, 403, "{roles:?} {path}");
            assert!(!page.contains("<figure"), "{path}");
        }
        let home = browser.get("/").await;
        assert!(
            !home.contains("href=\"/dashboards\""),
            "no link for {roles:?}"
        );
    }
    let (mut lead, _) = signed_in(&app, &[Role::Lead], "Lena Lead").await;
    for path in &paths {
        assert_eq!(lead.get(path).await.status, 200, "{path}");
    }
    assert!(lead.get("/").await.contains("href=\"/dashboards\""));
    assert_eq!(
        lead.get("/dashboards/partners/no-such-partner")
            .await
            .status,
        404
    );
    assert_eq!(
        lead.get(&format!("/dashboards/partners/{ACCRA}?quarter=2026-Q7"))
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn the_partners_dashboard_is_the_partners_report_row_for_row() {
    let p = programme().await;
    let (mut lead, _) = signed_in(&p.app, &[Role::Lead], "Lena Lead").await;
    let api = p
        .app
        .get_as_csv(Some(&p.lead), "/api/v1/reports/partners")
        .await;
    let dashboard = lead.get("/dashboards/partners?format=csv").await;
    assert_eq!(dashboard.status, 200);
    assert_eq!(dashboard.html, api, "the same cells hidden, the same order");
    assert!(api.contains("p90_hours_to_acknowledge"), "{api}");
    let page = lead.get("/dashboards/partners?sort=referrals").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("aria-sort=\"descending\""));
    // Accra's five and Kumasi's two: both hidden, as in the report.
    let declines = table(&page, "declines");
    assert_eq!(row(&declines, "Andere reden"), ["<5"]);
    assert_eq!(row(&declines, "Geen capaciteit"), ["0"]);
    assert!(page.contains(&format!("href=\"/dashboards/partners/{ACCRA}?quarter=")));
}

#[tokio::test]
async fn a_partner_sees_its_own_scorecard_from_its_own_figures_only() {
    let p = programme().await;
    let quarter = this_quarter();
    let (mut lead, _) = signed_in(&p.app, &[Role::Lead], "Lena Lead").await;
    let staff = lead
        .get(&format!(
            "/dashboards/partners/{ACCRA}?quarter={quarter}&lang=en"
        ))
        .await;
    assert_eq!(staff.status, 200, "{}", staff.html);
    let stages = table(&staff, "scorecard");
    // Accra's five of seven: hidden, as 7 − 5 would give Kumasi's two.
    assert_eq!(row(&stages, "Referrals received"), ["<5"]);
    assert_eq!(row(&stages, "Accepted"), ["<5"]);
    assert_eq!(row(&stages, "Completed"), ["0"]);

    let mut accra = portal_user(&p.app, ACCRA, PartnerRole::FocalPoint).await;
    let own = accra
        .browser
        .get(&format!("/portal/scorecard?quarter={quarter}"))
        .await;
    assert_eq!(own.status, 200, "{}", own.html);
    // Accra's own figures: its five referrals shown. Hidden as the lead's
    // view must hide them, they would tell Accra the others had 1 to 4.
    let mine = table(&own, "scorecard");
    assert_eq!(row(&mine, "Referrals received"), ["5"]);
    assert_eq!(row(&mine, "Accepted"), ["<5"]);
    assert_eq!(row(&mine, "Completed"), ["0"]);
    // Asking for another partner's changes nothing: it is the session's.
    let other = accra
        .browser
        .get(&format!(
            "/portal/scorecard?quarter={quarter}&partner_id={KUMASI}"
        ))
        .await;
    assert_eq!(table(&other, "scorecard"), mine);

    let mut kumasi = portal_user(&p.app, KUMASI, PartnerRole::FocalPoint).await;
    let theirs = kumasi.browser.get("/portal/scorecard").await;
    assert_eq!(theirs.status, 200);
    let last = kumasi
        .browser
        .get(&format!("/portal/scorecard?quarter={quarter}"))
        .await;
    let table = table(&last, "scorecard");
    assert_eq!(row(&table, "Referrals received"), ["<5"]);
    assert_eq!(row(&table, "Accepted"), ["0"], "Kumasi accepted none");
}

#[tokio::test]
async fn a_filtered_dashboard_cannot_be_subtracted_from_the_unfiltered_one() {
    // Seven referrals: five to Accra, two to Kumasi.
    let team = Team::new().await;
    for i in 0..7 {
        let partner = if i < 5 { ACCRA } else { KUMASI };
        team.referred(i, partner, "GH").await;
    }
    let (mut lead, _) = signed_in(&team.app, &[Role::Lead], "Lena Lead").await;
    let month = this_month();
    let all = lead.get("/dashboards?format=csv").await.html;
    assert_eq!(csv_value(&all, "funnel", "referrals_sent"), "7");
    assert_eq!(csv_value(&all, "month_referrals_sent", &month), "7");
    let accra = lead
        .get(&format!("/dashboards?format=csv&partner_id={ACCRA}"))
        .await
        .html;
    assert_eq!(
        csv_value(&accra, "month_referrals_sent", &month),
        "<5",
        "7 minus Accra's 5 would give Kumasi's 2"
    );
    assert_eq!(csv_value(&accra, "funnel", "referrals_sent"), "<5");
    let page = lead.get(&format!("/dashboards?partner_id={ACCRA}")).await;
    assert_eq!(row(&table(&page, "trend"), &month), ["<5", "0"]);
    let ghana = lead.get("/dashboards?format=csv&country=GH").await.html;
    assert_eq!(csv_value(&ghana, "month_referrals_sent", &month), "7");
}

#[tokio::test]
async fn partners_asked_one_at_a_time_on_the_dashboard_do_not_add_up() {
    // Twelve referrals: five to Accra, five to Kumasi, two to Tunis.
    let team = Team::new().await;
    for i in 0..12 {
        let (partner, country) = match i {
            0..5 => (ACCRA, "GH"),
            5..10 => (KUMASI, "GH"),
            _ => ("tunis-new-horizon", "TN"),
        };
        team.referred(i, partner, country).await;
    }
    let (mut lead, _) = signed_in(&team.app, &[Role::Lead], "Lena Lead").await;
    let month = this_month();
    let mut months = Vec::new();
    let mut funnels = Vec::new();
    for partner in [ACCRA, KUMASI, "tunis-new-horizon"] {
        let csv = lead
            .get(&format!("/dashboards?format=csv&partner_id={partner}"))
            .await
            .html;
        months.push(csv_value(&csv, "month_referrals_sent", &month));
        funnels.push(csv_value(&csv, "funnel", "referrals_sent"));
    }
    assert_eq!(
        months,
        ["<5", "5", "<5"],
        "12 - 5 - 5 would give Tunis's 2: a second partner is hidden"
    );
    assert_eq!(funnels, months);
    for country in ["GH", "TN"] {
        let csv = lead
            .get(&format!("/dashboards?format=csv&country={country}"))
            .await
            .html;
        assert_eq!(
            csv_value(&csv, "month_referrals_sent", &month),
            "<5",
            "{country}"
        );
    }
}

#[tokio::test]
async fn the_overdue_and_sustainability_dashboards_draw_their_tables() {
    let p = programme().await;
    let (mut lead, _) = signed_in(&p.app, &[Role::Lead], "Lena Lead").await;
    let overdue = lead.get("/dashboards/overdue").await;
    assert_eq!(overdue.status, 200, "{}", overdue.html);
    assert!(
        overdue.contains("<title id=\"overdue-partners-title\">Achterstand per partner</title>")
    );
    assert!(overdue.contains("Wat vandaag te laat is"));
    let csv = lead.get("/dashboards/overdue?format=csv").await;
    assert!(csv.html.starts_with(
        "group_by,group,acknowledge_overdue,decision_overdue,not_departed,monitoring_missed,total\n"
    ));
    let sustainability = lead.get("/dashboards/sustainability").await;
    assert_eq!(sustainability.status, 200);
    assert!(sustainability.contains("Scores volgens model "));
    for grouping in ["months_since_arrival", "country", "partner_id"] {
        assert!(
            sustainability.contains(&format!("id=\"sustainability-{grouping}\"")),
            "{grouping}"
        );
    }
}

#[tokio::test]
async fn a_plan_counts_in_the_funnel_once_approved() {
    use crate::referrals::{Stage, day, ok};
    use serde_json::json;
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let departed = stage
        .post(
            &stage.caseworker,
            &format!("/api/v1/return-cases/{}/departure", stage.case_id),
            json!({"departed_on": day(0)}),
        )
        .await;
    ok(departed, 200).await;
    ok(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true}),
            )
            .await,
        200,
    )
    .await;
    ok(
        stage
            .partner(
                &stage.accra,
                &id,
                "reintegration-plan",
                json!({"items": [{"need": "housing", "support": "Rent", "amount": 500, "currency": "GHS"}]}),
            )
            .await,
        200,
    )
    .await;
    let lead = stage.app.staff_token(&[Role::Lead]).await;
    let funnel = ok(
        stage
            .app
            .get_as(Some(&lead), "/api/v1/reports/funnel")
            .await,
        200,
    )
    .await;
    assert_eq!(funnel["plans_approved"], 0, "submitted, not approved");
    let (mut browser, _) = signed_in(&stage.app, &[Role::Lead], "Lena Lead").await;
    let before = table(&browser.get("/dashboards").await, "funnel");
    assert_eq!(row(&before, "Plannen goedgekeurd"), ["0", "–"]);
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/reintegration-plan/approve"),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    let funnel = ok(
        stage
            .app
            .get_as(Some(&lead), "/api/v1/reports/funnel")
            .await,
        200,
    )
    .await;
    assert_eq!(funnel["plans_approved"], "<5");
    let after = table(&browser.get("/dashboards").await, "funnel");
    assert_eq!(row(&after, "Plannen goedgekeurd"), ["<5", "–"]);
}
