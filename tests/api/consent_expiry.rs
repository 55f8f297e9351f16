//! Consent over time: a consent with `valid_until` warns the partner that
//! shares under it once, `consent_warning_days` before it ends (and no
//! other partner); at its end the partner's view loses what it covered,
//! exactly as after a withdrawal, the partner hears `consent.expired` once,
//! and the caseworker sees the referral flagged. The worker's job runs
//! under an injected clock.

use brug::audit::{Actor, AuditContext};
use brug::auth::Role;
use brug::referrals::commands::consent_expiry::{ExpiryRound, look};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::referrals::{ACCRA, KUMASI, Stage, ok, send};
use crate::web_helpers::signed_in;

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

/// Noon (UTC) `days` after `day`: the worker's clock.
fn at(day: NaiveDate, days: i64) -> DateTime<Utc> {
    (day + Duration::days(days))
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc()
}

/// A client of the stage's app with a return case, a consent for
/// `partner_id` ending on `valid_until`, and an accepted referral to that
/// partner under it.
async fn sharing(
    stage: &Stage,
    partner_id: &str,
    partner_key: &str,
    given_name: &str,
    valid_until: Option<&str>,
) -> Sharing {
    let app = &stage.app;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let post = |token: String, path: String, body: Value| async move {
        ok(
            send(app, &token, reqwest::Method::POST, &path, Some(body)).await,
            201,
        )
        .await
    };
    let client = post(
        counsellor.clone(),
        "/api/v1/clients".to_owned(),
        json!({"given_name": given_name, "family_name": "Vervaldatum", "date_of_birth": "1987-06-07",
               "country_of_origin": "GH", "languages": ["tw"]}),
    )
    .await;
    let client_id = client["id"].as_str().expect("id").to_owned();
    let talk = post(
        counsellor,
        format!("/api/v1/clients/{client_id}/talks"),
        json!({"held_on": crate::referrals::day(-1), "mode": "phone", "topics": ["return"],
               "intention": "return", "duration_minutes": 30}),
    )
    .await;
    let consent = post(
        stage.caseworker.clone(),
        format!("/api/v1/clients/{client_id}/consents"),
        json!({"purpose": "referral", "data_categories": ["identity", "needs"],
               "partner_id": partner_id, "given_on": crate::referrals::day(0), "method": "written",
               "language": "tw", "valid_until": valid_until}),
    )
    .await;
    let consent_id = consent["id"].as_str().expect("id").to_owned();
    let case = post(
        stage.caseworker.clone(),
        "/api/v1/return-cases".to_owned(),
        json!({"client_id": client_id, "talk_id": talk["id"], "destination_country": "GH",
               "needs": ["housing"], "planned_departure_on": crate::referrals::day(40)}),
    )
    .await;
    let case_id = case["id"].as_str().expect("id").to_owned();
    let referral = post(
        stage.caseworker.clone(),
        format!("/api/v1/return-cases/{case_id}/referrals"),
        json!({"partner_id": partner_id, "consent_id": consent_id}),
    )
    .await;
    let referral_id = referral["id"].as_str().expect("id").to_owned();
    for (step, body) in [
        ("acknowledge", json!({})),
        ("accept", json!({"note": "Welcome."})),
    ] {
        ok(
            stage.partner(partner_key, &referral_id, step, body).await,
            200,
        )
        .await;
    }
    Sharing {
        client_id,
        case_id,
        consent_id,
        referral_id,
    }
}

struct Sharing {
    client_id: String,
    case_id: String,
    consent_id: String,
    referral_id: String,
}

/// The worker's job at `now`, with the default warning days.
async fn look_at(stage: &Stage, now: DateTime<Utc>) -> ExpiryRound {
    let days = stage.app.settings.consent_warning_days;
    stage
        .app
        .write(move |conn, _| Ok(look(conn, days, now)?))
        .await
}

/// The consent events in a partner's feed: (type, data).
async fn consent_events(stage: &Stage, key: &str) -> Vec<(String, Value)> {
    let feed = ok(stage.get(key, "/partner/v1/events?limit=100").await, 200).await;
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("consent."))
        })
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["data"].clone(),
            )
        })
        .collect()
}

/// What the partner reads of its referral on `now`: the same query as
/// `GET /partner/v1/referrals/{id}`, at an injected time.
async fn partner_view_on(
    stage: &Stage,
    partner: &'static str,
    id: &str,
    now: DateTime<Utc>,
) -> Value {
    let id = id.to_owned();
    let view = stage
        .app
        .write(move |conn, _| {
            let by = AuditContext::new(Actor::partner(partner), "partner.referrals.get", None);
            brug::referrals::queries::partner_referral(conn, &by, partner, &id, now)
                .map_err(|e| brug::auth::store::AdminError::Conflict(format!("{e:?}")))
        })
        .await;
    serde_json::to_value(view).expect("json")
}

#[tokio::test]
async fn the_sharing_partner_is_warned_once_and_at_the_end_sees_nothing_and_hears_once() {
    let stage = Stage::new().await;
    let ends = date(&crate::referrals::day(20));
    let Sharing {
        case_id,
        consent_id,
        referral_id: referral,
        ..
    } = sharing(&stage, ACCRA, &stage.accra, "Efua", Some(&ends.to_string())).await;
    // Another partner's referral, under a consent that ends much later.
    sharing(
        &stage,
        KUMASI,
        &stage.kumasi,
        "Kwesi",
        Some(&crate::referrals::day(60)),
    )
    .await;
    // And one under a consent without end.
    sharing(&stage, ACCRA, &stage.accra, "Akosua", None).await;

    // 15 days before: nothing.
    assert_eq!(look_at(&stage, at(ends, -15)).await, ExpiryRound::default());
    assert!(consent_events(&stage, &stage.accra).await.is_empty());

    // 14 days before: one warning, to the partner that shares under it.
    assert_eq!(
        look_at(&stage, at(ends, -14)).await,
        ExpiryRound {
            warned: 1,
            ended: 0
        }
    );
    let heard = consent_events(&stage, &stage.accra).await;
    assert_eq!(
        heard,
        [(
            "consent.expiring".to_owned(),
            json!({"consent_id": consent_id, "referral_id": referral, "valid_until": ends})
        )]
    );
    assert!(consent_events(&stage, &stage.kumasi).await.is_empty());

    // Again the same day, the next day and on its last day: nothing new.
    for day in [-14, -13, -1, 0] {
        assert_eq!(look_at(&stage, at(ends, day)).await, ExpiryRound::default());
    }
    assert_eq!(consent_events(&stage, &stage.accra).await.len(), 1);

    // Up to its last day the partner sees what the consent covers.
    let before = partner_view_on(&stage, ACCRA, &referral, at(ends, 0)).await;
    assert_eq!(before["client"]["given_name"], "Efua");
    assert_eq!(before["client"]["family_name"], "Vervaldatum");
    assert_eq!(before["client"]["needs"], json!(["housing"]));
    assert_eq!(before["shared_categories"], json!(["identity", "needs"]));
    let today = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{referral}"))
            .await,
        200,
    )
    .await;
    assert_eq!(today["client"]["given_name"], "Efua");

    // The day after: sharing has stopped, whether or not the worker ran.
    let after = partner_view_on(&stage, ACCRA, &referral, at(ends, 1)).await;
    assert_eq!(after["status"], "accepted");
    assert_eq!(after["shared_categories"], json!([]));
    assert_eq!(
        after["client"],
        json!({"reference": before["client"]["reference"]}),
        "the reference alone: no name, no date of birth, no needs"
    );
    assert_eq!(after["destination_country"], "GH");

    // The worker tells the partner once, and flags the referral.
    assert_eq!(
        look_at(&stage, at(ends, 1)).await,
        ExpiryRound {
            warned: 0,
            ended: 1
        }
    );
    assert_eq!(look_at(&stage, at(ends, 1)).await, ExpiryRound::default());
    assert_eq!(look_at(&stage, at(ends, 10)).await, ExpiryRound::default());
    let heard = consent_events(&stage, &stage.accra).await;
    let expired: Vec<&Value> = heard
        .iter()
        .filter(|(kind, _)| kind == "consent.expired")
        .map(|(_, data)| data)
        .collect();
    assert_eq!(
        expired,
        [&json!({"consent_id": consent_id, "referral_id": referral})]
    );
    assert!(consent_events(&stage, &stage.kumasi).await.is_empty());

    // The caseworker sees the flag in the API, on the case page and in My work.
    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{case_id}"),
            )
            .await,
        200,
    )
    .await;
    let shown = &case["referrals"][0];
    assert_eq!(shown["id"], referral.as_str());
    assert_eq!(shown["flags"], json!(["consent_expired"]));
    assert!(shown["consent_expired_at"].is_string(), "{shown}");

    let admin = stage.app.staff_token(&[Role::Admin]).await;
    let (mut kees, kees_id) = signed_in(&stage.app, &[Role::Caseworker], "Kees").await;
    ok(
        stage
            .post(
                &admin,
                &format!("/api/v1/return-cases/{case_id}/assign"),
                json!({"user_id": kees_id}),
            )
            .await,
        200,
    )
    .await;
    let page = kees.get(&format!("/return-cases/{case_id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("Toestemming verlopen: de partner ziet niets meer van wat zij dekte"),
        "{}",
        page.html
    );
    let work = kees.get("/").await;
    assert!(
        work.contains("Toestemming verlopen: de partner ziet geen persoonsgegevens meer"),
        "{}",
        work.html
    );
    assert!(work.contains("Efua Vervaldatum"), "{}", work.html);
}

#[tokio::test]
async fn the_worker_warns_on_its_own_and_the_warning_days_are_a_setting() {
    let stage = Stage::new_with(|s| s.consent_warning_days = 5).await;
    let ends = date(&crate::referrals::day(4));
    let soon = sharing(&stage, ACCRA, &stage.accra, "Ama", Some(&ends.to_string())).await;
    let later = sharing(
        &stage,
        ACCRA,
        &stage.accra,
        "Yaw",
        Some(&crate::referrals::day(6)),
    )
    .await;
    let worker = stage.app.start_worker();
    let mut heard = Vec::new();
    for _ in 0..100 {
        heard = consent_events(&stage, &stage.accra).await;
        if !heard.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    worker.stop().await;
    // Within five days, not six.
    let referrals: Vec<&str> = heard
        .iter()
        .map(|(_, data)| data["referral_id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(referrals, [soon.referral_id.as_str()], "{heard:?}");

    // The counsellor's My work counts the same days.
    let (mut cora, cora_id) = signed_in(&stage.app, &[Role::Counsellor], "Cora").await;
    let admin = stage.app.staff_token(&[Role::Admin]).await;
    for client in [&soon.client_id, &later.client_id] {
        ok(
            stage
                .post(
                    &admin,
                    &format!("/api/v1/clients/{client}/assign"),
                    json!({"user_id": cora_id}),
                )
                .await,
            200,
        )
        .await;
    }
    let work = cora.get("/").await;
    assert!(work.contains("Ama Vervaldatum"), "{}", work.html);
    assert!(!work.contains("Yaw Vervaldatum"), "{}", work.html);
}
