//! The leads' dashboards in a real browser over a year of demo data: each
//! draws its charts as SVG with a title, opens its data table, and passes
//! axe-core; the scorecard too, for the lead and for the partner in the
//! portal.

use brug::auth::Role;
use brug::auth::partner_users::PartnerRole;
use fantoccini::{Client, Locator};

use crate::counselling::{person, sign_in_by_keyboard, wait_heading};
use crate::harness;
use crate::helpers;
use crate::portal::{ACCRA, enrol};

/// A year of the programme, as `brug demo-data --years 1` makes it.
pub async fn demo_year(app: &helpers::TestApp) {
    let settings = app.settings.clone();
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let model = brug::monitoring::Model::load(None).expect("model");
        let rules = brug::demo::Rules {
            sla: &settings.sla,
            checklist: &settings.checklist,
            monitoring_months: &settings.monitoring_schedule_months,
            model: &model,
        };
        let until = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
        brug::demo::store::fill(
            &db,
            brug::demo::Options {
                years: 1,
                seed: 7,
                until,
            },
            &rules,
            chrono::Utc::now(),
        )
        .expect("demo data");
    })
    .await
    .expect("filled");
}

/// Every chart on the page is an image with a title, drawn, with a data
/// table behind its summary; the tables are opened before axe runs.
async fn check_charts(client: &Client, page: &str, expected: usize) {
    let charts = client
        .find_all(Locator::Css("figure.chart svg[role=\"img\"] > title"))
        .await
        .expect("charts");
    assert_eq!(charts.len(), expected, "{page}: charts with a title");
    for svg in client
        .find_all(Locator::Css("figure.chart svg"))
        .await
        .expect("svgs")
    {
        assert!(svg.is_displayed().await.expect("shown"), "{page}: drawn");
    }
    for summary in client
        .find_all(Locator::Css("figure.chart details > summary"))
        .await
        .expect("summaries")
    {
        summary.click().await.expect("open the data table");
    }
    let tables = client
        .find_all(Locator::Css("figure.chart details[open] table"))
        .await
        .expect("tables");
    assert_eq!(tables.len(), expected, "{page}: a data table per chart");
    harness::assert_accessible(client, page).await;
}

#[tokio::test]
async fn every_dashboard_draws_its_charts_and_passes_axe() {
    let app = helpers::spawn_app_with(|s| s.insecure_cookies = true).await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    demo_year(&app).await;
    let email = person(&app, &[Role::Lead], "Lena Lead").await;
    sign_in_by_keyboard(client, &app, &email).await;

    crate::counselling::click_link(client, "Dashboards").await;
    wait_heading(client, "Dashboards").await;
    check_charts(client, "overzicht", 3).await;
    let scope = harness::text_of(client, "p.scope").await;
    assert!(scope.starts_with("Periode "), "{scope}");

    // A filter refused: the message beside the field, and axe still passes.
    // (A month field takes no letters: the address carries them.)
    harness::goto(client, &app.url("/dashboards?from=soon&country=XX")).await;
    harness::wait_for(client, "#from-error").await;
    harness::wait_for(client, "#country-error").await;
    harness::assert_accessible(client, "overzicht, filter geweigerd").await;

    for (tab, charts) in [
        ("Partners", 2),
        ("Achterstand", 2),
        ("Duurzaamheid", 5),
        ("Wie", 2),
    ] {
        harness::goto(client, &app.url("/dashboards")).await;
        wait_heading(client, "Dashboards").await;
        let xpath = format!(
            "//nav[@class='tabs']//a[normalize-space(.)={}]",
            harness::xpath_literal(tab)
        );
        client
            .find(Locator::XPath(&xpath))
            .await
            .expect("the tab")
            .click()
            .await
            .expect("follow the tab");
        harness::wait_for(client, "nav.tabs a[aria-current=\"page\"]").await;
        let current = harness::text_of(client, "nav.tabs a[aria-current=\"page\"]").await;
        assert_eq!(current, tab);
        check_charts(client, tab, charts).await;
    }
    // From the partners' table to a scorecard.
    harness::goto(client, &app.url("/dashboards/partners")).await;
    let first = client
        .find(Locator::Css("table.figures tbody th a"))
        .await
        .expect("a partner");
    first.click().await.expect("open the scorecard");
    harness::wait_for(client, "#score-facts").await;
    check_charts(client, "scorekaart", 1).await;

    // The partner's own, in the portal.
    let accra = enrol(client, &app, ACCRA, PartnerRole::Coordinator).await;
    let _ = accra;
    crate::portal::follow(client, "Scorecard").await;
    harness::wait_for(client, "#score-facts").await;
    let title = harness::text_of(client, "h1").await;
    assert!(title.starts_with("Scorecard 20"), "{title}");
    check_charts(client, "portal scorecard", 1).await;
}
