//! The published contract covers every route the server answers.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_names_every_route_and_both_security_schemes() {
    let app = spawn_app().await;
    let response = app.get_as(None, "/api/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    let document: Value = response.json().await.expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    for route in brug::startup::routes() {
        let method = route.method.as_str().to_lowercase();
        let operation = &document["paths"][route.path][&method];
        assert!(
            operation.is_object(),
            "{method} {} is missing from the document",
            route.path
        );
        assert!(operation["responses"]["500"].is_object());
    }
    for scheme in ["staff_token", "partner_key"] {
        assert_eq!(
            document["components"]["securitySchemes"][scheme]["scheme"],
            "bearer"
        );
    }
    let create = &document["paths"]["/api/v1/clients"]["post"];
    assert!(create["responses"]["201"].is_object());
    assert!(create["responses"]["422"]["content"]["application/problem+json"].is_object());
    assert_eq!(create["security"][0]["staff_token"], serde_json::json!([]));
    let partner = &document["paths"]["/partner/v1/referrals/{id}/accept"]["post"];
    assert_eq!(partner["security"][0]["partner_key"], serde_json::json!([]));
    assert!(
        partner["parameters"]
            .to_string()
            .contains("Idempotency-Key")
    );
}

#[tokio::test]
async fn the_docs_page_works_without_the_internet() {
    let app = spawn_app().await;
    let response = app.get_as(None, "/api/docs").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let page = response.text().await.expect("text");
    assert!(!page.contains("<script"), "no scripts to fetch");
    assert!(!page.contains("https://"), "nothing from elsewhere");
    for route in brug::startup::routes() {
        assert!(
            page.contains(route.path),
            "{} is missing from the docs page",
            route.path
        );
    }
}
