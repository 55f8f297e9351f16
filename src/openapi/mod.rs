//! The published contract: an OpenAPI 3.1 document built from the same
//! route table and access policy that the server runs on, so that it cannot
//! miss a route; and a docs page that needs no internet.

mod answers;
mod constraints;
pub mod routes;

pub use answers::response_bodies;

use serde_json::{Map, Value, json};

use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::auth::policy::{Access, find};
use crate::http::RouteSpec;

/// Every route the service answers: method, path, whether it creates, and
/// its query parameters.
type Operation = (String, &'static str, bool, Option<crate::http::QueryDoc>);

fn operations(routes: &[RouteSpec]) -> Vec<Operation> {
    let mut all: Vec<Operation> = routes
        .iter()
        .map(|r| (r.method.as_str().to_lowercase(), r.path, r.creates, r.query))
        .collect();
    all.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    all
}

/// A schema's name and every schema it names (itself included).
pub type NamedSchemas = (String, Vec<(String, RefOr<Schema>)>);

/// An operation whose answer has a schema of its own.
pub struct ResponseBody {
    pub method: &'static str,
    pub path: &'static str,
    pub schema: NamedSchemas,
}

/// The limits validator checks on a body's fields (see `constraints`).
type BodyLimits = fn(&Value, &Map<String, Value>) -> Vec<(Vec<String>, constraints::Limits)>;

/// What a writing operation takes as its body.
pub struct RequestBody {
    pub method: &'static str,
    pub path: &'static str,
    /// The schema's name, whether the body is required, and every schema it
    /// names (itself included); `None` for an operation without a body.
    pub schema: Option<(NamedSchemas, bool)>,
    limits: Option<BodyLimits>,
}

fn body<T>(method: &'static str, path: &'static str, required: bool) -> RequestBody
where
    T: ToSchema + serde::de::DeserializeOwned + validator::Validate,
{
    RequestBody {
        method,
        path,
        schema: Some((schema_of::<T>(), required)),
        limits: Some(constraints::of::<T>),
    }
}

/// A body whose rules are checked on another type once applied (an
/// amendment, checked as the whole talk it makes): `T`'s schema with
/// `L`'s limits.
fn amending<T, L>(method: &'static str, path: &'static str) -> RequestBody
where
    T: ToSchema,
    L: serde::de::DeserializeOwned + validator::Validate,
{
    RequestBody {
        method,
        path,
        schema: Some((schema_of::<T>(), true)),
        limits: Some(constraints::of::<L>),
    }
}

fn no_body(method: &'static str, path: &'static str) -> RequestBody {
    RequestBody {
        method,
        path,
        schema: None,
        limits: None,
    }
}

/// The body of every operation that writes, from the input types the
/// handlers parse (`JsonBody` is required, `OptionalJsonBody` not). A test
/// fails when a writing route is missing here.
pub fn request_bodies() -> Vec<RequestBody> {
    use crate::auth::assignment::Assignee;
    use crate::referrals::plan::{NewPlan, Rejection};
    use crate::referrals::{Arrival, Closure, NewReferral, OptionalNote, Reason};
    vec![
        body::<crate::clients::NewClient>("POST", "/api/v1/clients", true),
        body::<crate::consent::NewConsent>("POST", "/api/v1/clients/{id}/consents", true),
        body::<crate::talks::NewTalk>("POST", "/api/v1/clients/{id}/talks", true),
        body::<crate::referrals::routes::ItemPatch>("PATCH", "/api/v1/checklist-items/{id}", true),
        body::<crate::consent::Withdrawal>("POST", "/api/v1/consents/{id}/withdraw", false),
        body::<crate::clients::NewHousehold>("POST", "/api/v1/households", true),
        body::<Assignee>("POST", "/api/v1/clients/{id}/assign", true),
        body::<Assignee>("POST", "/api/v1/return-cases/{id}/assign", true),
        body::<crate::cases::CaseloadMove>("POST", "/api/v1/assignments", true),
        body::<Reason>("POST", "/api/v1/referrals/{id}/cancel", true),
        no_body("POST", "/api/v1/referrals/{id}/reintegration-plan/approve"),
        body::<Rejection>(
            "POST",
            "/api/v1/referrals/{id}/reintegration-plan/reject",
            true,
        ),
        body::<crate::cases::NewReturnCase>("POST", "/api/v1/return-cases", true),
        body::<crate::cases::Departure>("POST", "/api/v1/return-cases/{id}/departure", true),
        body::<NewReferral>("POST", "/api/v1/return-cases/{id}/referrals", true),
        amending::<crate::talks::TalkAmendment, crate::talks::NewTalk>(
            "PATCH",
            "/api/v1/talks/{id}",
        ),
        body::<crate::webhooks::WebhookInput>("PUT", "/partner/v1/webhook", false),
        no_body("POST", "/partner/v1/webhook/test"),
        body::<OptionalNote>("POST", "/partner/v1/referrals/{id}/acknowledge", false),
        body::<OptionalNote>("POST", "/partner/v1/referrals/{id}/accept", false),
        body::<crate::referrals::vocabulary::Decline>(
            "POST",
            "/partner/v1/referrals/{id}/decline",
            true,
        ),
        body::<crate::referrals::vocabulary::Hold>("POST", "/partner/v1/referrals/{id}/hold", true),
        body::<OptionalNote>("POST", "/partner/v1/referrals/{id}/resume", false),
        body::<crate::partners::capacity::CapacityInput>("PUT", "/partner/v1/capacity", true),
        body::<OptionalNote>(
            "POST",
            "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete",
            false,
        ),
        body::<Arrival>("POST", "/partner/v1/referrals/{id}/arrival", true),
        body::<NewPlan>(
            "POST",
            "/partner/v1/referrals/{id}/reintegration-plan",
            true,
        ),
        body::<crate::monitoring::MonitoringReport>(
            "POST",
            "/partner/v1/referrals/{id}/monitoring",
            true,
        ),
        body::<Closure>("POST", "/partner/v1/referrals/{id}/close", true),
    ]
}

fn schema_of<T: ToSchema>() -> NamedSchemas {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    (T::name().into_owned(), schemas)
}

/// The message a partner's webhook receives (OpenAPI 3.1 `webhooks`).
fn webhooks() -> Value {
    let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": true, "description": description, "schema": {"type": "string"}});
    json!({
        "event": {
            "post": {
                "summary": "An event for the partner, signed after Standard Webhooks",
                "description": "Sent to the URL set with PUT /partner/v1/webhook. Answer 2xx within 10 seconds; anything else is retried under the same webhook-id after BRUG_WEBHOOK_RETRY_SCHEDULE, events of one referral in order. 410 Gone disables the webhook. See partners/INTEGRATION.md for verification.",
                "parameters": [
                    header("webhook-id", "The event's id; the same on every retry."),
                    header("webhook-timestamp", "Seconds since 1970 (UTC) when this attempt was signed."),
                    header("webhook-signature", "v1, and the base64 HMAC-SHA256 of {webhook-id}.{webhook-timestamp}.{body} under the secret's key; for 24 hours after a new secret, a second signature under the old one, separated by a space.")
                ],
                "requestBody": {
                    "required": true,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}
                },
                "responses": {
                    "2XX": {"description": "Received; the event counts as delivered."},
                    "410": {"description": "Stop: the webhook is disabled until it is set again."}
                }
            }
        }
    })
}

/// Answers only some operations give, beyond those every operation of its
/// kind gives.
fn particular_answers(method: &str, path: &str) -> &'static [(u16, &'static str)] {
    match (method, path) {
        ("get", "/partner/v1/webhook") => &[(404, "No webhook is set")],
        ("post", "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete") => {
            &[(403, "The task is not one the partner owns")]
        }
        ("post", "/partner/v1/webhook/test") => &[(
            429,
            "More than 5 test calls a minute; `Retry-After` says when to try again",
        )],
        _ => &[],
    }
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn operation(
    (method, path, creates, query): (&str, &str, bool, Option<crate::http::QueryDoc>),
    bodies: &[RequestBody],
    answers: &[ResponseBody],
) -> Value {
    let rule = find(&method.to_uppercase(), path);
    let mut op = Map::new();
    let name = rule.map(|r| r.operation).unwrap_or("unnamed");
    op.insert("operationId".into(), json!(name));
    let tag = path
        .trim_start_matches('/')
        .split('/')
        .find(|s| !s.starts_with('v') && !s.is_empty() && *s != "api" && *s != "partner");
    op.insert("tags".into(), json!([tag.unwrap_or("operations")]));
    let (security, who) = match rule.map(|r| r.access) {
        Some(Access::Staff(roles)) => (
            json!([{"staff_token": []}]),
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(Access::Partner) => (
            json!([{"partner_key": []}]),
            "a partner key; its own data only".to_owned(),
        ),
        _ => (json!([]), "anyone".to_owned()),
    };
    op.insert("security".into(), security);
    op.insert("summary".into(), json!(name.replace(['.', '_'], " ")));
    op.insert("description".into(), json!(format!("Who: {who}.")));
    let parameters: Vec<Value> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            // Ids are UUIDs, but a partner's is a slug.
            let schema = if path.starts_with("/api/v1/partners/") {
                serde_json::to_value(
                    <crate::partners::PartnerId as utoipa::PartialSchema>::schema(),
                )
                .unwrap_or_else(|_| json!({"type": "string"}))
            } else {
                json!({"type": "string", "format": "uuid"})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    let mut parameters = parameters;
    for parameter in query.map(|doc| doc()).unwrap_or_default() {
        parameters.push(serde_json::to_value(parameter).unwrap_or(Value::Null));
    }
    if method == "post" {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Up to 255 characters. The same key with the same body answers the first success again (`Idempotent-Replayed: true`), its status and Location with the resource rendered as it reads now, or `{\"id\": ...}` where it has no read; nothing is done twice. With another body it is 422; while the first still runs, 409.",
            "schema": {"type": "string", "maxLength": 255}
        }));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), json!(parameters));
    }
    let declared = bodies
        .iter()
        .find(|b| b.path == path && b.method.eq_ignore_ascii_case(method));
    if let Some(((name, _), required)) = declared.and_then(|b| b.schema.as_ref()) {
        op.insert(
            "requestBody".into(),
            json!({
                "required": required,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}
            }),
        );
    }
    let mut responses = Map::new();
    let ok = if creates { "201" } else { "200" };
    let answer = answers
        .iter()
        .find(|a| a.path == path && a.method.eq_ignore_ascii_case(method))
        .map_or_else(
            || json!({"type": "object"}),
            |a| json!({"$ref": format!("#/components/schemas/{}", a.schema.0)}),
        );
    let content = if path == "/api/docs" {
        json!({"text/html": {"schema": {"type": "string"}}})
    } else if path.starts_with("/api/v1/reports/") {
        json!({
            "application/json": {"schema": answer},
            "text/csv": {"schema": {"type": "string", "description": "With `Accept: text/csv`: one row per item, hidden counts as <5."}}
        })
    } else {
        json!({"application/json": {"schema": answer}})
    };
    responses.insert(
        ok.into(),
        json!({"description": "Done", "content": content}),
    );
    for (status, description) in particular_answers(method, path) {
        responses.insert(status.to_string(), problem_response(description));
    }
    if rule.is_some_and(|r| r.access != Access::Public) {
        responses.insert(
            "401".into(),
            problem_response("No token, or not a valid one for this API"),
        );
        responses.insert(
            "429".into(),
            problem_response("Too many failed authentications from this address"),
        );
    }
    if matches!(rule.map(|r| r.access), Some(Access::Staff(_))) {
        responses.insert(
            "403".into(),
            problem_response("The caller's roles do not allow this"),
        );
    }
    if path.contains('{') {
        responses.insert(
            "404".into(),
            problem_response("No such resource, or not one the caller may see"),
        );
    }
    if matches!(method, "post" | "patch" | "put") {
        responses.insert("400".into(), problem_response("Malformed JSON"));
        responses.insert(
            "409".into(),
            problem_response("Not allowed in the current state; lists `allowed_transitions`"),
        );
        responses.insert("413".into(), problem_response("Body over 256 KiB"));
        responses.insert("415".into(), problem_response("Body is not JSON"));
    }
    responses.insert(
        "422".into(),
        problem_response("Invalid input; `errors` names every bad field"),
    );
    responses.insert(
        "500".into(),
        problem_response("Internal error (the cause is logged, never sent)"),
    );
    responses.insert("503".into(), problem_response("Database unavailable"));
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The OpenAPI 3.1 document of these routes (all of them: `startup::routes`).
pub fn document(routes: &[RouteSpec]) -> Value {
    let bodies = request_bodies();
    let answers = response_bodies();
    let mut paths = Map::new();
    for (method, path, creates, query) in operations(routes) {
        let item = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        item[method.as_str()] = operation((&method, path, creates, query), &bodies, &answers);
    }
    let mut document = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Brug",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The coordination service of a return-counselling programme. Staff API under /api/v1 (staff tokens), partner API under /partner/v1 (partner keys). JSON in and out; errors are RFC 9457 problem+json; lists are paginated with limit (default 50, at most 500) and an opaque cursor, answered as {items, next_cursor}."
        },
        "paths": paths,
        "webhooks": webhooks(),
        "components": {
            "securitySchemes": {
                "staff_token": {"type": "http", "scheme": "bearer", "description": "A staff token (brug_st_...) from `brug user add`."},
                "partner_key": {"type": "http", "scheme": "bearer", "description": "A partner key (brug_pk_...) from `brug partner key`."}
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string", "format": "uri"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                        "allowed_transitions": {"type": "array", "items": {"type": "string"}}
                    }
                },
                "FieldError": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
                }
            }
        }
    });
    let schemas = &mut document["components"]["schemas"];
    let (_, message) = schema_of::<crate::events::store::Message>();
    let limited: Vec<(String, BodyLimits)> = bodies
        .iter()
        .filter_map(|b| Some((b.schema.as_ref()?.0.0.clone(), b.limits?)))
        .collect();
    for (name, schema) in bodies
        .into_iter()
        .filter_map(|b| b.schema)
        .flat_map(|((_, schemas), _)| schemas)
        .chain(answers.into_iter().flat_map(|a| a.schema.1))
        .chain(message)
    {
        schemas[name.as_str()] = serde_json::to_value(schema).unwrap_or(Value::Null);
    }
    for (name, schema) in answers::written_schemas() {
        schemas[name.as_str()] = schema;
    }
    // What validator enforces, stated in the request schemas.
    if let Some(all) = schemas.as_object_mut() {
        for (name, limits) in limited {
            let root = all.get(&name).cloned().unwrap_or(Value::Null);
            for (path, found) in limits(&root, all) {
                constraints::apply(all, &name, &path, &found);
            }
        }
    }
    document
}
