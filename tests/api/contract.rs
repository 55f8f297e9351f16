//! Every answer the black-box tests get is held to the published contract:
//! the test server (`helpers::serve`) shows each one to [`check`], which
//! finds the operation in the OpenAPI document, requires the status to be
//! one it lists, the content type one it lists for that status, and a JSON
//! body to validate against that schema. An answer that does not is turned
//! into a 500 naming what is wrong, so the test that got it fails.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use brug::http::contract::{Answer, Check};
use serde_json::{Value, json};

struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| Contract {
    document: brug::openapi::document(&brug::startup::routes()),
    validators: Mutex::new(HashMap::new()),
});

/// The check the test server runs on every answer.
pub fn check() -> Check {
    Arc::new(|answer: &Answer<'_>| {
        CONTRACT.check(answer).inspect_err(|violation| {
            // Beside the 500, in the failing test's output.
            eprintln!("contract violation: {violation}");
        })
    })
}

/// A JSON pointer's segment, as a URI fragment holds it.
fn escape(segment: &str) -> String {
    segment
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

impl Contract {
    fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let mut cache = self.validators.lock().map_err(|e| e.to_string())?;
        if let Some(found) = cache.get(pointer) {
            return Ok(found.clone());
        }
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": pointer,
            "paths": self.document["paths"],
            "components": self.document["components"],
        });
        let validator =
            Arc::new(jsonschema::draft202012::new(&schema).map_err(|e| format!("{pointer}: {e}"))?);
        cache.insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }

    fn check(&self, answer: &Answer<'_>) -> Result<(), String> {
        // No route (the default 404), a method the route lacks (405), or a
        // test-only route: not part of the contract.
        let Some(pattern) = answer.pattern else {
            return Ok(());
        };
        let method = answer.method.to_lowercase();
        let Some(operation) = self.document["paths"][pattern].get(&method) else {
            return Ok(());
        };
        let status = answer.status.to_string();
        let responses = &operation["responses"];
        let (key, response) = [status.clone(), format!("{}XX", &status[..1])]
            .into_iter()
            .find_map(|key| responses.get(&key).map(|r| (key, r)))
            .ok_or_else(|| {
                format!("{method} {pattern} answered {status}, which the document does not list")
            })?;
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Ok(());
        };
        let content_type = answer
            .content_type
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !content.contains_key(content_type) {
            return Err(format!(
                "{method} {pattern} answered {status} as {content_type:?}; the document says {:?}",
                content.keys().collect::<Vec<_>>()
            ));
        }
        if !content_type.ends_with("json") {
            return Ok(());
        }
        let body: Value = serde_json::from_slice(answer.body)
            .map_err(|e| format!("{method} {pattern} answered {status} with bad JSON: {e}"))?;
        let pointer = format!(
            "#/paths/{}/{method}/responses/{key}/content/{}/schema",
            escape(pattern),
            escape(content_type)
        );
        let validator = self.validator(&pointer)?;
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(3)
            .map(|e| format!("at {}: {e}", e.instance_path))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {pattern} answered {status} not as documented: {}",
                errors.join("; ")
            ))
        }
    }
}

#[test]
fn the_check_refuses_what_the_document_does_not_say() {
    let answer = |status: u16, content_type: &'static str, body: &'static str| Answer {
        method: "POST",
        pattern: Some("/api/v1/clients"),
        status,
        content_type: Some(content_type),
        body: body.as_bytes(),
    };
    let problem =
        r#"{"type": "about:blank", "title": "Conflict", "status": 409, "detail": "A duplicate."}"#;
    assert_eq!(
        CONTRACT.check(&answer(409, "application/problem+json", problem)),
        Ok(())
    );
    // A problem without its detail.
    let bare = r#"{"type": "about:blank", "title": "Conflict", "status": 409}"#;
    let said = CONTRACT
        .check(&answer(409, "application/problem+json", bare))
        .expect_err("detail is required");
    assert!(said.contains("detail"), "{said}");
    // A status the operation does not list.
    let said = CONTRACT
        .check(&answer(418, "application/problem+json", problem))
        .expect_err("418 is not listed");
    assert!(said.contains("418"), "{said}");
    // Another content type than documented.
    let said = CONTRACT
        .check(&answer(409, "text/plain", "A duplicate."))
        .expect_err("text is not listed");
    assert!(said.contains("text/plain"), "{said}");
    // A typed answer that breaks its schema.
    let webhook = Answer {
        method: "GET",
        pattern: Some("/partner/v1/webhook"),
        status: 200,
        content_type: Some("application/json"),
        body: br#"{"url": 5}"#,
    };
    assert!(CONTRACT.check(&webhook).is_err());
}
