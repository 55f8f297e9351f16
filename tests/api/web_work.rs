//! My work: every kind of item the issue names appears for the person it
//! waits for, with why and when, and goes when the work is done.

use brug::auth::Role;
use brug::db::schema::{checklist_items, consents, monitoring_visits, referrals, return_cases};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::web_helpers::{Browser, signed_in};

const ACCRA: &str = "accra-reintegration-network";

fn day(offset: i64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Duration::days(offset)
}

/// A client of the GH programme who chose return, with consent (`consent`
/// is the body's categories and scope) and a return case held by
/// `caseworker`; answers (client id, consent, case id).
async fn return_case(app: &TestApp, caseworker: &str, consent: Value) -> (String, Value, String) {
    let admin = app.staff_token(&[Role::Admin]).await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let client = app
        .post_ok(
            &counsellor,
            "/api/v1/clients",
            json!({"given_name": "Abena", "family_name": "Voorbeeld", "date_of_birth": "1988-02-03",
                   "country_of_origin": "GH", "languages": ["tw"]}),
        )
        .await;
    let client_id = client["id"].as_str().expect("id").to_owned();
    app.post_ok(
        &counsellor,
        &format!("/api/v1/clients/{client_id}/talks"),
        json!({"held_on": day(-1).to_string(), "mode": "phone", "topics": ["return"],
               "intention": "return", "duration_minutes": 30}),
    )
    .await;
    let consent = app
        .post_ok(
            &app.token,
            &format!("/api/v1/clients/{client_id}/consents"),
            consent,
        )
        .await;
    let case = app
        .post_ok(
            &app.token,
            "/api/v1/return-cases",
            json!({"client_id": client_id, "destination_country": "GH", "needs": ["housing"],
                   "planned_departure_on": day(40).to_string()}),
        )
        .await;
    let case_id = case["id"].as_str().expect("id").to_owned();
    app.post_ok(
        &admin,
        &format!("/api/v1/return-cases/{case_id}/assign"),
        json!({"user_id": caseworker}),
    )
    .await;
    (client_id, consent, case_id)
}

/// The rows of My work: (why, client, overdue).
async fn work(browser: &mut Browser<'_>) -> Vec<String> {
    let page = browser.get("/").await;
    assert_eq!(page.status, 200);
    page.html
        .split("<tr")
        .skip(2)
        .map(|row| {
            let text: String = row
                .split('<')
                .filter_map(|part| part.split_once('>').map(|(_, t)| t.trim()))
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" | ");
            text
        })
        .collect()
}

fn has(rows: &[String], why: &str) -> bool {
    rows.iter()
        .any(|r| r.starts_with(why) && r.contains("Abena Voorbeeld"))
}

#[tokio::test]
async fn every_kind_of_work_waits_for_its_person_and_goes_when_done() {
    let app = spawn_app().await;
    let admin = app.staff_token(&[Role::Admin]).await;
    let (mut cora, cora_id) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let (mut kees, kees_id) = signed_in(&app, &[Role::Caseworker], "Kees").await;
    let (client_id, consent, case_id) = return_case(
        &app,
        &kees_id,
        json!({"purpose": "referral", "data_categories": ["identity", "needs", "travel_documents"],
               "partner_id": ACCRA, "given_on": day(0).to_string(), "method": "written",
               "language": "tw", "valid_until": day(10).to_string()}),
    )
    .await;
    app.post_ok(
        &admin,
        &format!("/api/v1/clients/{client_id}/assign"),
        json!({"user_id": cora_id}),
    )
    .await;
    // The counsellor's: a consent that ends within 14 days; nothing yet
    // for the caseworker (no referral sent).
    let rows = work(&mut cora).await;
    assert!(has(&rows, "Toestemming verloopt"), "{rows:?}");
    assert!(work(&mut kees).await.is_empty());

    let referral = app
        .post_ok(
            &app.token,
            &format!("/api/v1/return-cases/{case_id}/referrals"),
            json!({"partner_id": ACCRA, "consent_id": consent["id"]}),
        )
        .await;
    let referral_id = referral["id"].as_str().expect("id").to_owned();
    // The partner is late to acknowledge.
    let (late, r) = (day(-3), referral_id.clone());
    app.write(move |conn, _| {
        Ok(diesel::update(referrals::table.find(&r))
            .set(referrals::acknowledge_due_on.eq(late))
            .execute(conn)?)
    })
    .await;
    let rows = work(&mut kees).await;
    assert!(
        has(&rows, "Partner heeft verwijzing niet bevestigd"),
        "{rows:?}"
    );
    assert!(rows.iter().any(|r| r.contains("te laat")), "{rows:?}");

    let key = app.partner_key(ACCRA).await;
    for step in ["acknowledge", "accept"] {
        app.post_ok(
            &key,
            &format!("/partner/v1/referrals/{referral_id}/{step}"),
            json!({}),
        )
        .await;
    }
    // The planned departure long past, an organisation's task due.
    let (long_ago, c, r) = (day(-40), case_id.clone(), referral_id.clone());
    app.write(move |conn, _| {
        diesel::update(return_cases::table.find(&c))
            .set(return_cases::planned_departure_on.eq(long_ago))
            .execute(conn)?;
        Ok(diesel::update(
            checklist_items::table
                .filter(checklist_items::referral_id.eq(&r))
                .filter(checklist_items::owner.eq("organisation")),
        )
        .set(checklist_items::due_on.eq(day(-1)))
        .execute(conn)?)
    })
    .await;
    let rows = work(&mut kees).await;
    assert!(
        !has(&rows, "Partner heeft verwijzing niet bevestigd"),
        "acknowledged: {rows:?}"
    );
    assert!(has(&rows, "Niet vertrokken na gepland vertrek"), "{rows:?}");
    assert!(has(&rows, "Vertrektaak van de organisatie"), "{rows:?}");

    app.post_ok(
        &app.token,
        &format!("/api/v1/return-cases/{case_id}/departure"),
        json!({"departed_on": day(0).to_string()}),
    )
    .await;
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{referral_id}/arrival"),
        json!({"arrived_on": day(0).to_string(), "received": true}),
    )
    .await;
    app.post_ok(&key,
        &format!("/partner/v1/referrals/{referral_id}/reintegration-plan"),
        json!({"items": [{"need": "housing", "support": "Rent", "amount": 500, "currency": "GHS"}]}),
    )
    .await;
    let r = referral_id.clone();
    app.write(move |conn, _| {
        Ok(
            diesel::update(monitoring_visits::table.filter(monitoring_visits::referral_id.eq(&r)))
                .set(monitoring_visits::due_on.eq(day(-30)))
                .execute(conn)?,
        )
    })
    .await;
    let rows = work(&mut kees).await;
    assert!(
        !has(&rows, "Niet vertrokken na gepland vertrek"),
        "departed: {rows:?}"
    );
    assert!(
        has(&rows, "Re-integratieplan wacht op goedkeuring"),
        "{rows:?}"
    );
    assert!(has(&rows, "Monitoringbezoek gemist"), "{rows:?}");
    // Approved: it no longer waits.
    app.post_ok(
        &app.token,
        &format!("/api/v1/referrals/{referral_id}/reintegration-plan/approve"),
        json!({}),
    )
    .await;
    assert!(!has(
        &work(&mut kees).await,
        "Re-integratieplan wacht op goedkeuring"
    ));

    // A consent withdrawn no longer expires.
    let consent_id = consent["id"].as_str().expect("id").to_owned();
    app.write(move |conn, now| {
        Ok(diesel::update(consents::table.find(&consent_id))
            .set(consents::withdrawn_at.eq(Some(now.naive_utc())))
            .execute(conn)?)
    })
    .await;
    assert!(!has(&work(&mut cora).await, "Toestemming verloopt"));
}

#[tokio::test]
async fn a_declined_referral_waits_until_it_is_sent_elsewhere() {
    let app = spawn_app().await;
    let (mut kees, kees_id) = signed_in(&app, &[Role::Caseworker], "Kees").await;
    let (_, consent, case_id) = return_case(
        &app,
        &kees_id,
        json!({"purpose": "referral", "data_categories": ["identity", "needs"], "country": "GH",
               "given_on": day(0).to_string(), "method": "written", "language": "tw"}),
    )
    .await;
    let first = app
        .post_ok(
            &app.token,
            &format!("/api/v1/return-cases/{case_id}/referrals"),
            json!({"partner_id": ACCRA, "consent_id": consent["id"]}),
        )
        .await;
    let key = app.partner_key(ACCRA).await;
    let first_id = first["id"].as_str().expect("id");
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{first_id}/acknowledge"),
        json!({}),
    )
    .await;
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{first_id}/decline"),
        json!({"reason": "No places in the coming months."}),
    )
    .await;
    let rows = work(&mut kees).await;
    assert!(
        has(&rows, "Verwijzing afgewezen, nog niet elders verstuurd"),
        "{rows:?}"
    );
    app.post_ok(
        &app.token,
        &format!("/api/v1/return-cases/{case_id}/referrals"),
        json!({"partner_id": "kumasi-homecoming-initiative", "consent_id": consent["id"]}),
    )
    .await;
    assert!(!has(
        &work(&mut kees).await,
        "Verwijzing afgewezen, nog niet elders verstuurd"
    ));
}
