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
