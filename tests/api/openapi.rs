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
    // Every success answers a schema of its own (the document excepted).
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let schema = &response["content"]["application/json"]["schema"];
                if status.starts_with('2') && path != "/api/openapi.json" && !schema.is_null() {
                    assert_ne!(
                        schema,
                        &serde_json::json!({"type": "object"}),
                        "{method} {path} {status} has no schema of its own"
                    );
                }
            }
        }
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

/// The document as the server serves it.
async fn served_document(app: &crate::helpers::TestApp) -> Value {
    let response = app.get_as(None, "/api/openapi.json").await;
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("json")
}

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    ("$ref", Some(target)) => out.push(target.to_owned()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_writing_route_documents_its_body_with_a_real_schema() {
    let bodies = brug::openapi::request_bodies();
    for route in brug::startup::routes() {
        if route.method == actix_web::http::Method::GET {
            continue;
        }
        assert!(
            bodies
                .iter()
                .any(|b| b.method == route.method.as_str() && b.path == route.path),
            "{} {} does not say what body it takes (brug::openapi::request_bodies)",
            route.method,
            route.path
        );
    }
    for body in &bodies {
        assert!(
            brug::startup::routes()
                .iter()
                .any(|r| r.method.as_str() == body.method && r.path == body.path),
            "{} {} is documented but not a route",
            body.method,
            body.path
        );
    }

    let app = spawn_app().await;
    let document = served_document(&app).await;
    let mut all = Vec::new();
    refs(&document, &mut all);
    for target in &all {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} points outside the schemas"));
        assert!(
            document["components"]["schemas"][name].is_object(),
            "{target} is not defined"
        );
    }
    let schemas = &document["components"]["schemas"];
    let client = &schemas["NewClient"];
    for field in [
        "given_name",
        "family_name",
        "date_of_birth",
        "country_of_origin",
    ] {
        assert!(
            client["required"].to_string().contains(field),
            "NewClient requires {field}: {client}"
        );
    }
    assert_eq!(schemas["CountryCode"]["pattern"], "^[A-Z]{2}$");
    assert!(schemas["Intention"]["enum"].to_string().contains("return"));
    let decline = &document["paths"]["/partner/v1/referrals/{id}/decline"]["post"];
    assert_eq!(decline["requestBody"]["required"], true);
    assert_eq!(
        decline["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Decline"
    );
    let test = &document["paths"]["/partner/v1/webhook/test"]["post"];
    assert!(test["requestBody"].is_null(), "the test call takes no body");
    let webhook = &document["paths"]["/partner/v1/webhook"]["put"];
    assert_eq!(webhook["requestBody"]["required"], false);
}

#[tokio::test]
async fn the_partner_delivery_surface_has_real_schemas() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let schema_of = |path: &str, method: &str| {
        document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(
        schema_of("/partner/v1/events", "get"),
        "#/components/schemas/FeedPage"
    );
    assert_eq!(
        schema_of("/partner/v1/webhook", "put"),
        "#/components/schemas/WebhookView"
    );
    let schemas = &document["components"]["schemas"];
    assert!(schemas["FeedItem"]["properties"]["cursor"].is_object());
    assert!(schemas["WebhookView"]["properties"]["secret"].is_object());
    let webhook = &document["webhooks"]["event"]["post"];
    assert_eq!(
        webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Message"
    );
    assert!(
        webhook["parameters"]
            .to_string()
            .contains("webhook-signature")
    );
    assert!(schemas["Message"]["properties"]["type"].is_object());
}

/// A value a declared query parameter takes, from its schema.
fn sample(schema: &Value) -> String {
    if let Some(first) = schema["enum"].get(0).and_then(Value::as_str) {
        return first.to_owned();
    }
    if let Some(example) = schema["examples"].get(0).and_then(Value::as_str) {
        return example.to_owned();
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (_, Some("date")) => "2026-01-01".to_owned(),
        (Some("integer"), _) => schema["minimum"].as_i64().unwrap_or(1).to_string(),
        (Some("boolean"), _) => "true".to_owned(),
        _ => "x".to_owned(),
    }
}

/// Every operation takes exactly the query parameters the document
/// declares: an undeclared one is 422, and the answer names what it takes
/// (the handler's own list), which must be the declared list; each
/// declared one, with a value of its schema, is taken.
#[tokio::test]
async fn every_operation_takes_exactly_the_query_parameters_it_declares() {
    use brug::auth::Role;
    use std::collections::BTreeSet;

    let app = spawn_app().await;
    let staff = app.staff_token(&Role::ALL).await;
    let partner = app.partner_key("accra-reintegration-network").await;
    let document = served_document(&app).await;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let declared: Vec<&Value> = operation["parameters"]
                .as_array()
                .map(|all| all.iter().filter(|p| p["in"] == "query").collect())
                .unwrap_or_default();
            let names: BTreeSet<String> = declared
                .iter()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            let token = if operation["security"][0]["staff_token"].is_array() {
                Some(staff.as_str())
            } else if operation["security"][0]["partner_key"].is_array() {
                Some(partner.as_str())
            } else {
                None
            };
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{item_id}", "00000000-0000-0000-0000-000000000000");
            let call = |query: String| {
                let url = app.url(&format!("{concrete}?{query}"));
                let method =
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let mut request = app.client.request(method.clone(), url);
                if method != reqwest::Method::GET {
                    request = request.json(&serde_json::json!({}));
                }
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                request.send()
            };
            let response = call("zz_unknown=1".into()).await.expect("sent");
            let where_ = format!("{method} {path}");
            assert_eq!(response.status().as_u16(), 422, "{where_}");
            let problem: Value = response.json().await.expect("problem");
            assert_eq!(
                problem["errors"][0]["field"], "zz_unknown",
                "{where_}: {problem}"
            );
            let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
            let takes: BTreeSet<String> = message
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            assert_eq!(takes, names, "{where_}: it takes {message:?}");
            if names.is_empty() {
                assert!(
                    message.ends_with("this operation takes none"),
                    "{where_}: {message}"
                );
            }
            for parameter in declared {
                let name = parameter["name"].as_str().expect("a name");
                let value = sample(&parameter["schema"]);
                let response = call(format!("{name}={value}")).await.expect("sent");
                let text = response.text().await.expect("text");
                assert!(
                    !text.contains("is not a known query parameter"),
                    "{where_}: {name}={value} was refused: {text}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 25, "only {checked} declared parameters tried");
}

/// The request schemas state the limits the server enforces (read off the
/// validation rules, not written twice); these are the ones `docs/api.md`
/// names, and each is checked against the server's answer at the bound.
#[tokio::test]
async fn request_schemas_carry_the_limits_the_server_enforces() {
    let app = spawn_app().await;
    let document = served_document(&app).await;
    let schemas = &document["components"]["schemas"];
    let property = |schema: &str, field: &str| schemas[schema]["properties"][field].clone();
    // "duration_minutes (5–480)"
    assert_eq!(property("NewTalk", "duration_minutes")["minimum"], 5);
    assert_eq!(property("NewTalk", "duration_minutes")["maximum"], 480);
    // "topics (non-empty ...)", "languages (non-empty)", "data_categories (non-empty ...)"
    assert_eq!(property("NewTalk", "topics")["minItems"], 1);
    assert_eq!(property("NewClient", "languages")["minItems"], 1);
    assert_eq!(property("NewConsent", "data_categories")["minItems"], 1);
    // "`comment` required on reject", and a reason for a decline or cancel.
    assert!(property("Rejection", "comment")["minLength"].as_u64() >= Some(1));
    assert!(property("Reason", "reason")["minLength"].as_u64() >= Some(1));
    // A plan has items, each with support and an amount not below 0.
    assert_eq!(property("NewPlan", "items")["minItems"], 1);
    assert_eq!(property("PlanItem", "support")["minLength"], 1);
    assert_eq!(property("PlanItem", "amount")["minimum"], 0.0);

    // At the bounds the document gives, the server agrees.
    let client = app
        .post_json(
            "/api/v1/clients",
            &serde_json::json!({
                "given_name": "Grens", "family_name": "Example", "date_of_birth": "1990-01-01",
                "country_of_origin": "GH", "languages": ["en"]
            }),
        )
        .await;
    assert_eq!(client.status().as_u16(), 201);
    let client: Value = client.json().await.expect("json");
    let counsellor = app.staff_token(&[brug::auth::Role::Counsellor]).await;
    let path = format!(
        "/api/v1/clients/{}/talks",
        client["id"].as_str().expect("id")
    );
    let limits = property("NewTalk", "duration_minutes");
    let (low, high) = (
        limits["minimum"].as_i64().expect("min"),
        limits["maximum"].as_i64().expect("max"),
    );
    for (minutes, accepted) in [
        (low - 1, false),
        (low, true),
        (high, true),
        (high + 1, false),
    ] {
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&counsellor)
            .json(&serde_json::json!({
                "held_on": "2026-01-05", "mode": "phone", "topics": ["return"],
                "intention": "undecided", "duration_minutes": minutes
            }))
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status().as_u16() == 201,
            accepted,
            "{minutes} minutes: {}",
            response.text().await.unwrap_or_default()
        );
    }
}
