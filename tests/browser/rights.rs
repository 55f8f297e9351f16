//! A person's rights in the browser: the export page a counsellor opens
//! from the client's page, and the administrator's erasure with its
//! confirmation, refused once, then done; axe-core on every page.

use brug::auth::Role;
use fantoccini::Client;
use serde_json::json;

use crate::counselling::{click_link, person, sign_in_by_keyboard, wait_heading};
use crate::harness;
use crate::helpers;

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

#[tokio::test]
async fn the_export_and_the_erasure_pass_axe() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let made = app
        .post_ok(
            &counsellor,
            "/api/v1/clients",
            json!({"given_name": "Testa", "family_name": "Voorbeeld", "date_of_birth": "1990-02-03",
                   "country_of_origin": "GH", "languages": ["tw"], "v_number": "1234509876"}),
        )
        .await;
    let id = made["id"].as_str().expect("id").to_owned();
    let talk = app
        .post_ok(
            &counsellor,
            &format!("/api/v1/clients/{id}/talks"),
            json!({"held_on": day(-3), "mode": "phone", "topics": ["return"], "intention": "return",
                   "duration_minutes": 30, "notes": "Eerste versie."}),
        )
        .await;
    let talk_id = talk["id"].as_str().expect("id");
    let amended = app
        .client
        .patch(app.url(&format!("/api/v1/talks/{talk_id}")))
        .bearer_auth(&counsellor)
        .json(&json!({"notes": "Tweede versie."}))
        .send()
        .await
        .expect("sent");
    assert_eq!(amended.status().as_u16(), 200);
    let consent = app
        .post_ok(
            &app.token,
            &format!("/api/v1/clients/{id}/consents"),
            json!({"purpose": "referral", "data_categories": ["identity", "needs"],
                   "partner_id": "accra-reintegration-network", "given_on": day(0),
                   "method": "written", "language": "tw"}),
        )
        .await;
    let case = app
        .post_ok(
            &app.token,
            "/api/v1/return-cases",
            json!({"client_id": id, "destination_country": "GH", "needs": ["housing"],
                   "planned_departure_on": day(30)}),
        )
        .await;
    let referral = app
        .post_ok(
            &app.token,
            &format!(
                "/api/v1/return-cases/{}/referrals",
                case["id"].as_str().expect("id")
            ),
            json!({"partner_id": "accra-reintegration-network", "consent_id": consent["id"]}),
        )
        .await;
    let key = app.partner_key("accra-reintegration-network").await;
    let seen = app
        .get_as(
            Some(&key),
            &format!(
                "/partner/v1/referrals/{}",
                referral["id"].as_str().expect("id")
            ),
        )
        .await;
    assert_eq!(seen.status().as_u16(), 200);

    // A counsellor opens it from the client's page.
    let cora = person(&app, &[Role::Counsellor], "Cora Consulent").await;
    sign_in_by_keyboard(client, &app, &cora).await;
    harness::goto(client, &app.url(&format!("/clients/{id}"))).await;
    wait_heading(client, "Testa Voorbeeld").await;
    click_link(client, "Alles wat Brug bewaart (inzage)").await;
    wait_heading(client, "Alles wat Brug bewaart over").await;
    harness::wait_for(client, "#disclosures").await;
    harness::assert_accessible(client, "inzage").await;
    harness::goto(client, &app.url(&format!("/clients/{id}/export?lang=en"))).await;
    wait_heading(client, "Everything Brug holds about").await;
    harness::assert_accessible(client, "export, in English").await;
    harness::goto(client, &app.url(&format!("/clients/{id}?lang=nl"))).await;
    wait_heading(client, "Testa Voorbeeld").await;
    harness::click_button(client, "Afmelden").await;
    wait_heading(client, "Aanmelden").await;

    // An administrator erases, after the confirmation.
    let ada = person(&app, &[Role::Admin], "Ada Beheerder").await;
    sign_in_by_keyboard(client, &app, &ada).await;
    harness::goto(client, &app.url(&format!("/clients/{id}/export"))).await;
    wait_heading(client, "Alles wat Brug bewaart over").await;
    click_link(client, "Deze persoon wissen").await;
    harness::wait_for(client, "#f-reason").await;
    harness::assert_accessible(client, "wissen bevestigen").await;
    harness::click_button(client, "Ja, wis deze persoon nu").await;
    harness::wait_for(client, "#reason-error").await;
    harness::assert_accessible(client, "wissen, geweigerd").await;
    harness::fill_by_name(client, "reason", "Verzoek van de persoon").await;
    harness::click_button(client, "Ja, wis deze persoon nu").await;
    harness::wait_for(client, "p.notice[role=status]").await;
    assert!(
        !client.source().await.expect("source").contains("Testa"),
        "the name is gone"
    );
    harness::assert_accessible(client, "inzage na wissen").await;
}
