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
