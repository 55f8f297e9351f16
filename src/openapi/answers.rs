//! What each operation answers, as schemas generated (utoipa) from the
//! very types its handler sends; a list's page wraps its element's schema.
//! Every black-box test checks its answers against them (tests/api/contract.rs).

use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::{NamedSchemas, ResponseBody, schema_of};

/// A schema written here (a page, a list), with the schemas it names.
fn wrapper<T: ToSchema>(name: &str, schema: serde_json::Value) -> NamedSchemas {
    let (_, mut schemas) = schema_of::<T>();
    let wrapped: RefOr<Schema> = serde_json::from_value(schema)
        .unwrap_or_else(|_| RefOr::T(Schema::Object(utoipa::openapi::schema::Object::new())));
    schemas.push((name.to_owned(), wrapped));
    (name.to_owned(), schemas)
}

fn element<T: ToSchema>() -> serde_json::Value {
    json!({"$ref": format!("#/components/schemas/{}", T::name())})
}

/// `{"items": [T], "next_cursor": string|null}`.
fn page_of<T: ToSchema>(name: &str) -> NamedSchemas {
    wrapper::<T>(
        name,
        json!({
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": element::<T>()},
                "next_cursor": {"type": ["string", "null"], "description": "Give it as `cursor` for the next page; null on the last."}
            }
        }),
    )
}

/// `{"items": [T]}`: a whole list, not paged.
fn items_of<T: ToSchema>(name: &str) -> NamedSchemas {
    wrapper::<T>(
        name,
        json!({
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {"type": "array", "items": element::<T>()},
                "next_cursor": {"type": "null"}
            }
        }),
    )
}

/// Operations whose answer has a schema of its own; the others (who the
/// caller is, health, the reports, the document itself) answer a JSON
/// object described in `docs/api.md`.
pub fn response_bodies() -> Vec<ResponseBody> {
    use crate::audit::Entry;
    use crate::clients::store::{ClientView, HouseholdView};
    use crate::consent::store::ConsentView;
    use crate::events::routes::FeedPage;
    use crate::monitoring::Model;
    use crate::monitoring::store::VisitView;
    use crate::partners::matching::PartnerMatch;
    use crate::partners::store::{PartnerDetail, PartnerSummary};
    use crate::referrals::case_view::ReturnCaseView;
    use crate::referrals::store::ReferralView;
    use crate::referrals::store::after_departure::PlanView;
    use crate::referrals::store::checklist::ChecklistItemView;
    use crate::referrals::store::partner_view::{PartnerChecklistItem, PartnerReferralView};
    use crate::talks::store::{TalkVersion, TalkView};
    use crate::webhooks::{WebhookTestResult, WebhookView};
    let entry = |method, path, schema| ResponseBody {
        method,
        path,
        schema,
    };
    let partner_view = schema_of::<PartnerReferralView>;
    let talk_with_history = {
        let (_, mut schemas) = schema_of::<TalkVersion>();
        schemas.extend(schema_of::<TalkView>().1);
        let with: RefOr<Schema> = serde_json::from_value(json!({
            "allOf": [
                element::<TalkView>(),
                {
                    "type": "object",
                    "required": ["history"],
                    "properties": {"history": {"type": "array", "items": element::<TalkVersion>()}}
                }
            ]
        }))
        .unwrap_or_else(|_| RefOr::T(Schema::Object(utoipa::openapi::schema::Object::new())));
        schemas.push(("TalkWithHistory".to_owned(), with));
        ("TalkWithHistory".to_owned(), schemas)
    };
    vec![
        entry("POST", "/api/v1/clients", schema_of::<ClientView>()),
        entry(
            "GET",
            "/api/v1/clients",
            page_of::<ClientView>("ClientPage"),
        ),
        entry("GET", "/api/v1/clients/{id}", schema_of::<ClientView>()),
        entry("POST", "/api/v1/households", schema_of::<HouseholdView>()),
        entry(
            "GET",
            "/api/v1/households/{id}",
            schema_of::<HouseholdView>(),
        ),
        entry(
            "POST",
            "/api/v1/clients/{id}/talks",
            schema_of::<TalkView>(),
        ),
        entry(
            "GET",
            "/api/v1/clients/{id}/talks",
            page_of::<TalkView>("TalkPage"),
        ),
        entry("GET", "/api/v1/talks/{id}", talk_with_history),
        entry("PATCH", "/api/v1/talks/{id}", schema_of::<TalkView>()),
        entry(
            "POST",
            "/api/v1/clients/{id}/consents",
            schema_of::<ConsentView>(),
        ),
        entry(
            "GET",
            "/api/v1/clients/{id}/consents",
            items_of::<ConsentView>("ConsentList"),
        ),
        entry(
            "POST",
            "/api/v1/consents/{id}/withdraw",
            schema_of::<ConsentView>(),
        ),
        entry(
            "POST",
            "/api/v1/return-cases",
            schema_of::<ReturnCaseView>(),
        ),
        entry(
            "GET",
            "/api/v1/return-cases/{id}",
            schema_of::<ReturnCaseView>(),
        ),
        entry(
            "GET",
            "/api/v1/return-cases/{id}/checklist",
            items_of::<ChecklistItemView>("Checklist"),
        ),
        entry(
            "GET",
            "/api/v1/return-cases/{id}/partner-matches",
            items_of::<PartnerMatch>("PartnerMatches"),
        ),
        entry(
            "POST",
            "/api/v1/return-cases/{id}/departure",
            schema_of::<ReferralView>(),
        ),
        entry(
            "POST",
            "/api/v1/return-cases/{id}/referrals",
            schema_of::<ReferralView>(),
        ),
        entry(
            "POST",
            "/api/v1/referrals/{id}/cancel",
            schema_of::<ReferralView>(),
        ),
        entry(
            "POST",
            "/api/v1/referrals/{id}/reintegration-plan/approve",
            schema_of::<PlanView>(),
        ),
        entry(
            "POST",
            "/api/v1/referrals/{id}/reintegration-plan/reject",
            schema_of::<PlanView>(),
        ),
        entry(
            "PATCH",
            "/api/v1/checklist-items/{id}",
            schema_of::<ChecklistItemView>(),
        ),
        entry(
            "GET",
            "/api/v1/partners",
            page_of::<PartnerSummary>("PartnerPage"),
        ),
        entry("GET", "/api/v1/partners/{id}", schema_of::<PartnerDetail>()),
        entry("GET", "/api/v1/audit", page_of::<Entry>("AuditPage")),
        entry(
            "GET",
            "/partner/v1/referrals",
            page_of::<PartnerReferralView>("PartnerReferralPage"),
        ),
        entry("GET", "/partner/v1/referrals/{id}", partner_view()),
        entry(
            "POST",
            "/partner/v1/referrals/{id}/acknowledge",
            partner_view(),
        ),
        entry("POST", "/partner/v1/referrals/{id}/accept", partner_view()),
        entry("POST", "/partner/v1/referrals/{id}/decline", partner_view()),
        entry("POST", "/partner/v1/referrals/{id}/arrival", partner_view()),
        entry(
            "POST",
            "/partner/v1/referrals/{id}/reintegration-plan",
            schema_of::<PlanView>(),
        ),
        entry("POST", "/partner/v1/referrals/{id}/close", partner_view()),
        entry(
            "POST",
            "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete",
            schema_of::<PartnerChecklistItem>(),
        ),
        entry("GET", "/partner/v1/monitoring-model", schema_of::<Model>()),
        entry(
            "POST",
            "/partner/v1/referrals/{id}/monitoring",
            schema_of::<VisitView>(),
        ),
        entry("GET", "/partner/v1/events", schema_of::<FeedPage>()),
        entry("GET", "/partner/v1/webhook", schema_of::<WebhookView>()),
        entry("PUT", "/partner/v1/webhook", schema_of::<WebhookView>()),
        entry(
            "POST",
            "/partner/v1/webhook/test",
            schema_of::<WebhookTestResult>(),
        ),
    ]
}
