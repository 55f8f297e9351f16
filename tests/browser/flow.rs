//! The whole pipeline in the browser, as the issue tells it: a counsellor
//! registers a client, records two talks (the intention turns to return)
//! and consent, and signs out; a caseworker opens the return case, picks
//! the first match and sends the referral; the partner acknowledges and
//! accepts through the partner API; the caseworker sees it in the timeline,
//! completes the checklist, records departure; the partner confirms arrival
//! and submits a plan; the caseworker approves it. By keyboard and mouse,
//! with axe-core on every page.

use brug::auth::Role;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::counselling::{click_link, person, set_date, sign_in_by_keyboard, tick, wait_heading};
use crate::harness;
use crate::helpers;

const ACCRA: &str = "accra-reintegration-network";

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// Waits until the page's main text holds `text` (after a form's redirect).
async fn wait_text(client: &Client, text: &str) {
    let xpath = format!(
        "//main[contains(normalize-space(.), {})]",
        harness::xpath_literal(text)
    );
    if let Err(e) = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
    {
        let main = harness::text_of(client, "main").await;
        panic!("no {text:?} on the page: {e}\n{main}");
    }
}

async fn buttons(client: &Client, text: &str) -> usize {
    let xpath = format!(
        "//button[normalize-space(.)={}]",
        harness::xpath_literal(text)
    );
    client
        .find_all(Locator::XPath(&xpath))
        .await
        .map(|found| found.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_client_goes_from_the_first_talk_to_an_approved_plan_in_the_browser() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;

    // The counsellor.
    let counsellor = person(&app, &[Role::Counsellor], "Cora Consulent").await;
    sign_in_by_keyboard(client, &app, &counsellor).await;
    click_link(client, "Cliënten").await;
    click_link(client, "Cliënt registreren").await;
    harness::wait_for(client, "#f-given_name").await;
    harness::fill_by_name(client, "given_name", "Abena").await;
    harness::fill_by_name(client, "family_name", "Voorbeeld").await;
    set_date(client, "date_of_birth", "1988-02-03").await;
    harness::wait_for(client, "#f-sex")
        .await
        .select_by_value("female")
        .await
        .expect("choose the sex");
    harness::fill_by_name(client, "country_of_origin", "GH").await;
    harness::fill_by_name(client, "languages", "tw, en").await;
    harness::click_button(client, "Registreren").await;
    wait_heading(client, "Abena Voorbeeld").await;
    let client_page = harness::current_url(client).await;
    for intention in ["undecided", "return"] {
        click_link(client, "Gesprek vastleggen").await;
        harness::wait_for(client, "#f-notes").await;
        tick(client, "mode", "in_person").await;
        tick(client, "topics", "return").await;
        tick(client, "intention", intention).await;
        harness::click_button(client, "Gesprek opslaan").await;
        wait_heading(client, "Abena Voorbeeld").await;
    }
    assert!(
        harness::text_of(client, "dl.facts")
            .await
            .contains("Terugkeer")
    );
    click_link(client, "Toestemming vastleggen").await;
    harness::wait_for(client, "#f-partner_id").await;
    for category in ["identity", "contact", "needs", "travel_documents"] {
        tick(client, "data_categories", category).await;
    }
    harness::wait_for(client, "#f-partner_id")
        .await
        .select_by_value(ACCRA)
        .await
        .expect("choose the partner");
    tick(client, "method", "written").await;
    harness::fill_by_name(client, "language", "tw").await;
    harness::click_button(client, "Toestemming opslaan").await;
    wait_heading(client, "Bewijs van toestemming").await;
    harness::click_button(client, "Afmelden").await;
    wait_heading(client, "Aanmelden").await;

    // The caseworker.
    let caseworker = person(&app, &[Role::Caseworker], "Sanne Trajectbegeleider").await;
    sign_in_by_keyboard(client, &app, &caseworker).await;
    harness::goto(client, client_page.as_str()).await;
    wait_heading(client, "Abena Voorbeeld").await;
    click_link(client, "Terugkeertraject openen").await;
    harness::wait_for(client, "#f-planned_departure_on").await;
    harness::assert_accessible(client, "terugkeertraject openen").await;
    harness::fill_by_name(client, "destination_country", "GH").await;
    tick(client, "needs", "housing").await;
    set_date(client, "planned_departure_on", &day(40)).await;
    harness::click_button(client, "Terugkeertraject openen").await;
    wait_heading(client, "Terugkeertraject").await;
    harness::assert_accessible(client, "terugkeertraject met partners").await;
    let case_page = harness::current_url(client).await;

    // The first match is the partner the person consented to.
    let first = client
        .find(Locator::XPath(
            "//form[contains(@action, '/referrals')]//button",
        ))
        .await
        .expect("a match to send to");
    assert_eq!(
        first.text().await.expect("text"),
        "Verwijzing versturen naar Accra Reintegration Network"
    );
    first.click().await.expect("send");
    // The referral's heading with its status ("Nog geen verwijzing
    // verstuurd" would match a plain "verstuurd" before the page changed).
    wait_text(client, "Accra Reintegration Network: verstuurd").await;
    harness::assert_accessible(client, "verwijzing verstuurd").await;
    let case_id = case_page
        .path()
        .trim_start_matches("/return-cases/")
        .to_owned();

    // The partner, through its API.
    let key = app.partner_key(ACCRA).await;
    let listed: Value = app
        .client
        .get(app.url("/partner/v1/referrals"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let referral = listed["items"][0]["id"]
        .as_str()
        .expect("the referral")
        .to_owned();
    for step in ["acknowledge", "accept"] {
        app.post_ok(
            &key,
            &format!("/partner/v1/referrals/{referral}/{step}"),
            json!({}),
        )
        .await;
    }

    harness::goto(client, case_page.as_str()).await;
    wait_text(client, "geaccepteerd").await;
    let timeline = harness::text_of(client, "main").await;
    assert!(
        timeline.contains("ontvangst bevestigd")
            && timeline.contains("Accra Reintegration Network")
    );
    harness::assert_accessible(client, "verwijzing geaccepteerd, met checklist").await;
    let open = buttons(client, "Gedaan").await;
    assert!(open > 0, "the organisation's checklist tasks have forms");
    for left in (0..open).rev() {
        let button = client
            .find(Locator::XPath("//button[normalize-space(.)='Gedaan']"))
            .await
            .expect("a task to complete");
        button.click().await.expect("done");
        // Back on the case page, one form fewer.
        for _ in 0..50 {
            if buttons(client, "Gedaan").await == left {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(buttons(client, "Gedaan").await, left);
    }
    set_date(client, "departed_on", &day(0)).await;
    harness::click_button(client, "Vertrek vastleggen").await;
    // Not the form's label "Vertrokken op": the referral's new status.
    wait_text(client, "Accra Reintegration Network: vertrokken").await;

    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{referral}/arrival"),
        json!({"arrived_on": day(0), "received": true}),
    )
    .await;
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{referral}/reintegration-plan"),
        json!({"items": [
            {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "GHS"}
        ]}),
    )
    .await;
    harness::goto(client, case_page.as_str()).await;
    wait_text(client, "ingediend, wacht op uw besluit").await;
    harness::assert_accessible(client, "plan ter goedkeuring").await;
    harness::click_button(client, "Plan goedkeuren").await;
    wait_text(client, "Re-integratieplan").await;
    for _ in 0..50 {
        if buttons(client, "Plan goedkeuren").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        buttons(client, "Plan goedkeuren").await,
        0,
        "approved: no button left"
    );
    wait_text(client, "goedgekeurd").await;

    // The same case through the API: what the caseworker did in the page.
    let token = app.staff_token(&[Role::Caseworker]).await;
    let case: Value = app
        .get_as(Some(&token), &format!("/api/v1/return-cases/{case_id}"))
        .await
        .json()
        .await
        .expect("json");
    let text = case.to_string();
    assert!(text.contains("\"approved\""), "{text}");
    assert!(text.contains(&day(0)), "the departure date: {text}");
}
