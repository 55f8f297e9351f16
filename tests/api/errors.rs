//! Every error is RFC 9457 problem+json with the right status.

use serde_json::json;

use crate::helpers::{named_fields, problem, spawn_app};

fn valid_echo() -> serde_json::Value {
    json!({"held_on": "2026-11-02", "duration_minutes": 45, "topics": ["return"], "country": "GH"})
}

#[tokio::test]
async fn a_valid_body_passes() {
    let app = spawn_app().await;
    let response = app.post_json("/test/echo", &valid_echo()).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["country"], "GH");
}

#[tokio::test]
async fn unknown_route_is_404() {
    let app = spawn_app().await;
    let body = problem(app.get("/api/v1/nothing-here").await, 404).await;
    assert!(
        body["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/not-found")
    );
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app.post_json("/api/v1/partners", &json!({})).await;
    let allow = response
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    problem(response, 405).await;
    assert_eq!(allow.as_deref(), Some("GET"));

    let response = app
        .client
        .delete(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    problem(response, 405).await;
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .post_raw(
            "/test/echo",
            "application/json",
            br#"{"held_on": "2026-11-02","#.to_vec(),
        )
        .await;
    let body = problem(response, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid JSON"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unknown_field_is_422_naming_it() {
    let app = spawn_app().await;
    let mut input = valid_echo();
    input["colour"] = json!("blue");
    let body = problem(app.post_json("/test/echo", &input).await, 422).await;
    assert_eq!(named_fields(&body), ["colour"]);
}

#[tokio::test]
async fn every_bad_field_is_named() {
    let app = spawn_app().await;
    let input = json!({
        "held_on": "not a date",
        "duration_minutes": 45,
        "topics": ["return"],
        "country": "ZZ",
        "mood": "fine",
    });
    let body = problem(app.post_json("/test/echo", &input).await, 422).await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["country", "held_on", "mood"]);
    let country = body["errors"]
        .as_array()
        .and_then(|errors| errors.iter().find(|e| e["field"] == "country"))
        .cloned()
        .unwrap_or_default();
    assert!(
        country["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ISO 3166-1"),
        "{country}"
    );
}

#[tokio::test]
async fn rules_and_missing_fields_are_422() {
    let app = spawn_app().await;
    let mut input = valid_echo();
    input["duration_minutes"] = json!(2);
    input["topics"] = json!([]);
    let body = problem(app.post_json("/test/echo", &input).await, 422).await;
    assert_eq!(named_fields(&body), ["duration_minutes", "topics"]);

    let body = problem(
        app.post_json("/test/echo", &json!({"held_on": "2026-11-02"}))
            .await,
        422,
    )
    .await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        ["country", "duration_minutes", "topics"],
        "every missing field is named at once: {body}"
    );
    for error in body["errors"].as_array().expect("errors") {
        assert_eq!(error["message"], "is required", "{error}");
    }
}

#[tokio::test]
async fn bad_values_broken_rules_and_missing_fields_come_in_one_answer() {
    let app = spawn_app().await;
    let input = json!({
        "held_on": "someday",
        "duration_minutes": 2,
        "topics": ["return"],
    });
    let body = problem(app.post_json("/test/echo", &input).await, 422).await;
    let messages: std::collections::BTreeMap<String, String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        messages.keys().collect::<Vec<_>>(),
        ["country", "duration_minutes", "held_on"],
        "{body}"
    );
    assert_eq!(messages["country"], "is required");
    assert!(!messages["held_on"].contains("required"), "{body}");
    assert!(messages["duration_minutes"].contains('5'), "{body}");
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let app = spawn_app().await;
    let mut input = valid_echo();
    input["notes"] = json!("x".repeat(300 * 1024));
    problem(app.post_json("/test/echo", &input).await, 413).await;

    // Just under the limit is fine.
    input["notes"] = json!("x".repeat(250 * 1024));
    assert_eq!(
        app.post_json("/test/echo", &input).await.status().as_u16(),
        200
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let response = app
        .post_raw("/test/echo", "text/plain", b"hello".to_vec())
        .await;
    problem(response, 415).await;
}

#[tokio::test]
async fn an_internal_error_is_500_without_its_cause() {
    let app = spawn_app().await;
    for path in ["/test/internal-error", "/test/database-error"] {
        let response = app.get(path).await;
        assert!(response.headers().contains_key("x-request-id"));
        let body = problem(response, 500).await;
        let text = body.to_string();
        assert!(!text.contains("hunter2"), "{path} leaks its cause: {text}");
        assert!(
            !text.to_lowercase().contains("sql"),
            "{path} leaks its cause: {text}"
        );
    }
}

#[tokio::test]
async fn unknown_or_bad_query_parameters_are_422() {
    let app = spawn_app().await;
    let body = problem(app.get("/api/v1/partners?contry=GH").await, 422).await;
    assert_eq!(named_fields(&body), ["contry"]);
    let body = problem(app.get("/api/v1/partners?limit=0").await, 422).await;
    assert_eq!(named_fields(&body), ["limit"]);
    let body = problem(app.get("/api/v1/partners?limit=many").await, 422).await;
    assert_eq!(named_fields(&body), ["limit"]);
}
