//! The pages the flows do not pass through, each checked by axe-core: a
//! talk with its amend form and versions, the household form refused, an
//! invitation, the Team page as an administrator with an invitation made,
//! My work with overdue items, a refused amendment.

use brug::auth::Role;
use fantoccini::Client;
use serde_json::json;

use crate::counselling::{PASSWORD, person, sign_in_by_keyboard, wait_heading};
use crate::harness;
use crate::helpers;

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

#[tokio::test]
async fn every_other_page_passes_axe() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let email = person(&app, &[Role::Counsellor], "Cora Consulent").await;
    // Cora's token user is another user: the talk is recorded by signing
    // in, so that the amend form is hers.
    sign_in_by_keyboard(client, &app, &email).await;
    let token = app.staff_token(&[Role::Counsellor]).await;
    let made = app
        .post_ok(
            &token,
            "/api/v1/clients",
            json!({"given_name": "Testa", "family_name": "Voorbeeld", "date_of_birth": "1990-02-03",
               "country_of_origin": "IQ", "languages": ["ar"]}),
        )
        .await;
    let id = made["id"].as_str().expect("id").to_owned();
    app.post_ok(
        &token,
        &format!("/api/v1/clients/{id}/talks"),
        json!({"held_on": day(-10), "mode": "phone", "topics": ["return"], "intention": "undecided",
               "duration_minutes": 30, "next_talk_on": day(-2), "notes": "Eerste versie."}),
    )
    .await;

    // The talk, read by a colleague (no amend form), and its household form.
    harness::goto(client, &app.url(&format!("/clients/{id}"))).await;
    wait_heading(client, "Testa Voorbeeld").await;
    crate::counselling::click_link(client, "Huishouden vastleggen").await;
    harness::wait_for(client, "#f-members").await;
    harness::assert_accessible(client, "huishouden vastleggen").await;
    harness::click_button(client, "Huishouden vastleggen").await;
    harness::wait_for(client, "#members-error").await;
    harness::assert_accessible(client, "huishouden, geweigerd").await;
    harness::goto(client, &app.url(&format!("/clients/{id}"))).await;
    let talk = client
        .find(fantoccini::Locator::Css("ol.timeline a"))
        .await
        .expect("a talk")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    harness::goto(client, &app.url(&talk)).await;
    wait_heading(client, "Gesprek").await;
    harness::assert_accessible(client, "gesprek van een collega").await;

    // Cora's own talk: the amend form, refused once, then amended.
    harness::goto(client, &app.url(&format!("/clients/{id}/talks/new"))).await;
    harness::wait_for(client, "#f-notes").await;
    crate::counselling::tick(client, "mode", "video").await;
    crate::counselling::tick(client, "topics", "family").await;
    crate::counselling::tick(client, "intention", "undecided").await;
    harness::click_button(client, "Gesprek opslaan").await;
    wait_heading(client, "Testa Voorbeeld").await;
    let mine = client
        .find(fantoccini::Locator::Css("ol.timeline li:first-child a"))
        .await
        .expect("the newest talk")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    harness::goto(client, &app.url(&mine)).await;
    harness::wait_for(client, "#amend").await;
    harness::fill_by_name(client, "duration_minutes", "2").await;
    harness::click_button(client, "Wijziging opslaan").await;
    harness::wait_for(client, "#duration_minutes-error").await;
    harness::assert_accessible(client, "gesprek wijzigen, geweigerd").await;
    harness::fill_by_name(client, "duration_minutes", "40").await;
    harness::click_button(client, "Wijziging opslaan").await;
    harness::wait_for(client, "p.notice").await;
    harness::assert_accessible(client, "gesprek met eerdere versie").await;
    harness::goto(client, &app.url("/")).await;
    wait_heading(client, "Mijn werk").await;
    harness::assert_accessible(client, "mijn werk met werk").await;
    harness::click_button(client, "Afmelden").await;
    wait_heading(client, "Aanmelden").await;

    // An administrator invites a colleague; the colleague opens the link.
    let admin = person(&app, &[Role::Admin], "Ada Beheerder").await;
    sign_in_by_keyboard(client, &app, &admin).await;
    harness::goto(client, &app.url("/team")).await;
    harness::wait_for(client, "#invite").await;
    harness::fill_by_name(client, "email", "nina@example.org").await;
    crate::counselling::tick(client, "roles", "caseworker").await;
    harness::click_button(client, "Uitnodigen").await;
    let link = harness::text_of(client, "code.link").await;
    harness::assert_accessible(client, "team met uitnodiging").await;
    harness::click_button(client, "Afmelden").await;
    wait_heading(client, "Aanmelden").await;
    harness::goto(client, &link).await;
    wait_heading(client, "Wachtwoord instellen").await;
    harness::assert_accessible(client, "wachtwoord instellen").await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::fill_by_name(client, "again", PASSWORD).await;
    harness::click_button(client, "Wachtwoord instellen").await;
    wait_heading(client, "Aanmelden").await;
    sign_in_by_keyboard(client, &app, "nina@example.org").await;
    wait_heading(client, "Mijn werk").await;
}
