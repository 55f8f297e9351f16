//! Smaller privacy rules: nothing caches an answer, and the files that hold
//! personal data or the audit key are for their owner only.

use crate::referrals::Stage;

#[tokio::test]
async fn answers_with_personal_data_may_not_be_cached() {
    let stage = Stage::new().await;
    let referral = stage.accepted_referral().await;
    for (token, path) in [
        (
            stage.caseworker.clone(),
            format!("/api/v1/clients/{}", stage.client_id),
        ),
        (
            stage.caseworker.clone(),
            format!("/api/v1/return-cases/{}", stage.case_id),
        ),
        (
            stage.accra.clone(),
            format!("/partner/v1/referrals/{referral}"),
        ),
    ] {
        let response = stage.get(&token, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_and_the_audit_key_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let stage = Stage::new().await;
    if stage.app.database.is_postgres() {
        return;
    }
    let path = stage
        .app
        .database
        .url
        .strip_prefix("sqlite://")
        .expect("a SQLite URL")
        .to_owned();
    for file in [
        path.clone(),
        format!("{path}-wal"),
        format!("{path}.audit-key"),
    ] {
        let mode = std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[tokio::test]
async fn a_partner_reaching_for_another_partners_referral_is_refused_and_recorded() {
    use crate::referrals::{KUMASI, ok};
    use brug::auth::Role;
    use serde_json::{Value, json};

    let stage = Stage::new().await;
    let referral = ok(
        stage
            .refer(crate::referrals::ACCRA, &stage.consent_id)
            .await,
        201,
    )
    .await;
    let id = referral["id"].as_str().expect("id").to_owned();
    // Kumasi reads and tries to move Accra's referral: "not found", as if
    // it did not exist.
    let read = stage
        .get(&stage.kumasi, &format!("/partner/v1/referrals/{id}"))
        .await;
    assert_eq!(read.status(), 404);
    let step = stage
        .partner(&stage.kumasi, &id, "acknowledge", json!({}))
        .await;
    assert_eq!(step.status(), 404);
    // And nothing moved.
    let theirs = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(theirs["status"], "requested");

    let admin = stage.app.staff_token(&[Role::Admin]).await;
    let log: Value = ok(
        stage
            .get(&admin, &format!("/api/v1/audit?actor={KUMASI}&limit=50"))
            .await,
        200,
    )
    .await;
    let mut refused: Vec<(String, String, String)> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap_or("").to_owned(),
                e["subject_id"].as_str().unwrap_or("").to_owned(),
                e["outcome"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            (
                "partner.referrals.acknowledge".to_owned(),
                id.clone(),
                "refused".to_owned()
            ),
            (
                "partner.referrals.get".to_owned(),
                id.clone(),
                "refused".to_owned()
            ),
        ]
    );
    let (intact, report) = crate::audit::verify(&stage.app.database.url);
    assert!(intact, "{report}");
}

/// A consent for Accra, given today, for `stage`'s client (or another).
async fn consent_for(stage: &Stage, client_id: &str, extra: serde_json::Value) -> String {
    use serde_json::json;
    let mut body = json!({
        "purpose": "referral", "data_categories": ["identity", "needs"],
        "partner_id": crate::referrals::ACCRA, "given_on": crate::referrals::day(0),
        "method": "written", "language": "tw"
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let consent = crate::referrals::ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/clients/{client_id}/consents"),
                body,
            )
            .await,
        201,
    )
    .await;
    consent["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn no_referral_goes_out_under_a_withdrawn_an_expired_or_another_clients_consent() {
    use crate::helpers::{named_fields, problem};
    use crate::referrals::{ACCRA, day, ok};
    use serde_json::json;

    // A case whose only consent is withdrawn.
    let stage = Stage::new().await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/consents/{}/withdraw", stage.consent_id),
                json!({"reason": "The client changed her mind."}),
            )
            .await,
        200,
    )
    .await;
    let withdrawn = problem(stage.refer(ACCRA, &stage.consent_id).await, 409).await;
    assert!(
        withdrawn["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/consent-missing"),
        "{withdrawn}"
    );
    assert!(
        withdrawn["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("the consent is withdrawn"),
        "{withdrawn}"
    );

    // A consent that has run out.
    let expiring = consent_for(&stage, &stage.client_id, json!({"valid_until": day(30)})).await;
    let id = expiring.clone();
    stage
        .app
        .write(move |conn, _| {
            use brug::db::schema::consents::dsl::{consents, valid_until};
            use diesel::prelude::*;
            let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
            Ok(diesel::update(consents.find(&id))
                .set(valid_until.eq(Some(yesterday)))
                .execute(conn)?)
        })
        .await;
    let expired = problem(stage.refer(ACCRA, &expiring).await, 409).await;
    assert!(
        expired["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("the consent is expired"),
        "{expired}"
    );

    // Another client's consent, valid for Accra.
    let other = ok(
        stage
            .post(
                &stage.caseworker,
                "/api/v1/clients",
                json!({
                    "given_name": "Esi", "family_name": "Example", "date_of_birth": "1990-05-06",
                    "country_of_origin": "GH", "languages": ["en"], "location": "Example-Noord"
                }),
            )
            .await,
        201,
    )
    .await;
    let theirs = consent_for(&stage, other["id"].as_str().expect("id"), json!({})).await;
    let foreign = problem(stage.refer(ACCRA, &theirs).await, 422).await;
    assert_eq!(named_fields(&foreign), ["consent_id"]);

    // None of the three sent anything.
    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(case["referrals"], json!([]), "{case}");
}

#[tokio::test]
async fn the_sqlite_settings_that_keep_data_safe_are_in_force() {
    let stage = Stage::new().await;
    if stage.app.database.is_postgres() {
        return;
    }
    let settings = stage
        .app
        .write(|conn, _| {
            use diesel::prelude::*;
            use diesel::sql_types::BigInt;
            #[derive(QueryableByName)]
            struct Number {
                #[diesel(sql_type = BigInt)]
                value: i64,
            }
            #[derive(QueryableByName)]
            struct Text {
                #[diesel(sql_type = diesel::sql_types::Text)]
                value: String,
            }
            let number = |conn: &mut brug::db::DbConn, pragma: &str| {
                diesel::sql_query(format!("SELECT (SELECT * FROM pragma_{pragma}()) AS value"))
                    .get_result::<Number>(conn)
                    .map(|n| n.value)
            };
            let mode = diesel::sql_query("SELECT (SELECT * FROM pragma_journal_mode()) AS value")
                .get_result::<Text>(conn)?
                .value;
            Ok((
                mode,
                number(conn, "foreign_keys")?,
                number(conn, "synchronous")?,
                number(conn, "busy_timeout")?,
            ))
        })
        .await;
    // WAL; foreign keys on; synchronous FULL (2); a busy timeout of 5 s.
    assert_eq!(settings, ("wal".to_owned(), 1, 2, 5000));
}

/// Sets `url` as Accra's webhook; the answer.
async fn set_webhook(app: &crate::helpers::TestApp, key: &str, url: &str) -> reqwest::Response {
    app.client
        .put(app.url("/partner/v1/webhook"))
        .bearer_auth(key)
        .json(&serde_json::json!({"url": url}))
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_webhook_address_check_tells_nothing_of_our_network() {
    use crate::helpers::{named_fields, problem};
    let app = crate::helpers::spawn_app().await;
    let key = app.partner_key(crate::referrals::ACCRA).await;
    // A name that does not resolve, one that resolves to loopback and an
    // internal address get the same answer, so that nobody can map which
    // internal names exist.
    let mut details = Vec::new();
    for host in ["no-such-host.invalid", "localhost.", "10.1.2.3", "[::1]"] {
        let body = problem(
            set_webhook(&app, &key, &format!("https://{host}/hook")).await,
            422,
        )
        .await;
        assert_eq!(named_fields(&body), ["url"]);
        let message = body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .replace(host, "HOST");
        details.push(message);
    }
    assert!(details.iter().all(|d| *d == details[0]), "{details:?}");
    assert_eq!(details[0], "does not lead to a public internet address");
    assert!(!details[0].contains("resolve"), "{details:?}");
}

#[tokio::test]
async fn the_webhook_test_call_is_rate_limited_and_tells_only_a_short_error_class() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let app = crate::helpers::spawn_app_with(|s| s.webhook_allow_local = true).await;
    let key = app.partner_key(crate::referrals::ACCRA).await;
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&failing)
        .await;
    let test_call = || async {
        app.client
            .post(app.url("/partner/v1/webhook/test"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("sent")
    };
    assert_eq!(
        set_webhook(&app, &key, &format!("{}/hook", failing.uri()))
            .await
            .status(),
        200
    );
    let answered: serde_json::Value = test_call().await.json().await.expect("json");
    assert_eq!(answered["delivered"], false);
    assert_eq!(answered["error"], "answered HTTP 500");

    // Nothing listens on port 1: a short class, not the socket's error.
    assert_eq!(
        set_webhook(&app, &key, "http://127.0.0.1:1/hook")
            .await
            .status(),
        200
    );
    let refused: serde_json::Value = test_call().await.json().await.expect("json");
    assert_eq!(refused["delivered"], false);
    assert_eq!(refused["error"], "connection refused");

    // Five a minute; the sixth waits.
    for _ in 0..3 {
        assert_eq!(test_call().await.status(), 200);
    }
    let limited = test_call().await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
