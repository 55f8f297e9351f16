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

fn part(name: &str) -> serde_json::Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// What the reports share: a count that may be hidden, a period, a median.
fn report_parts() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "DeclinesByReason",
            json!({
                "description": "Declines of the referrals sent in the period, by their coded reason (FHIR `Task.statusReason`); every code is a key. A decline recorded before the codes counts as `other`. In CSV, the columns `declines_<code>`.",
                "type": "object",
                "required": ["no_capacity", "not_in_area", "not_eligible", "client_unreachable", "security_concern", "other"],
                "additionalProperties": false,
                "properties": {
                    "no_capacity": part("Count"),
                    "not_in_area": part("Count"),
                    "not_eligible": part("Count"),
                    "client_unreachable": part("Count"),
                    "security_concern": part("Count"),
                    "other": part("Count")
                }
            }),
        ),
        (
            "Count",
            json!({
                "description": "A count: a whole number, or \"<5\" when it is 1 to 4 or would give a hidden one away.",
                "oneOf": [{"type": "integer", "minimum": 0}, {"const": "<5"}]
            }),
        ),
        (
            "Period",
            json!({
                "type": "object",
                "required": ["from", "to", "country", "partner_id"],
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                    "country": {"type": ["string", "null"]},
                    "partner_id": {"type": ["string", "null"]},
                    "requested": {
                        "description": "The dates asked for, when they were widened to whole months.",
                        "type": "object",
                        "properties": {"from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"}}
                    }
                }
            }),
        ),
        (
            "Median",
            json!({"description": "null when there are fewer than five values.", "type": ["number", "null"]}),
        ),
    ]
}

/// Operations whose answer has a schema of its own; the others (who the
/// caller is, health, the reports, the document itself) answer a JSON
/// object described in `docs/api.md`.
pub fn response_bodies() -> Vec<ResponseBody> {
    use crate::audit::Entry;
    use crate::auth::assignment::CaseloadMoved;
    use crate::cases::store::CaseAssignment;
    use crate::clients::store::{ClientAssignment, ClientView, HouseholdView};
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
    let mut bodies = vec![
        entry("POST", "/api/v1/clients", schema_of::<ClientView>()),
        entry(
            "GET",
            "/api/v1/clients",
            page_of::<ClientView>("ClientPage"),
        ),
        entry("GET", "/api/v1/clients/{id}", schema_of::<ClientView>()),
        entry(
            "GET",
            "/api/v1/clients/{id}/export",
            schema_of::<crate::rights::export::PersonExport>(),
        ),
        entry(
            "POST",
            "/api/v1/clients/{id}/assign",
            schema_of::<ClientAssignment>(),
        ),
        entry(
            "POST",
            "/api/v1/return-cases/{id}/assign",
            schema_of::<CaseAssignment>(),
        ),
        entry("POST", "/api/v1/assignments", schema_of::<CaseloadMoved>()),
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
        entry("POST", "/partner/v1/referrals/{id}/hold", partner_view()),
        entry("POST", "/partner/v1/referrals/{id}/resume", partner_view()),
        entry(
            "GET",
            "/partner/v1/capacity",
            schema_of::<crate::partners::capacity::CapacityView>(),
        ),
        entry(
            "PUT",
            "/partner/v1/capacity",
            schema_of::<crate::partners::capacity::CapacityView>(),
        ),
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
    ];
    // Answers built as JSON: schemas written in `written_bodies`.
    for (method, path, name, _) in written_bodies() {
        bodies.push(entry(method, path, (name.to_owned(), Vec::new())));
    }
    bodies
}

/// The schemas written here, for the document's components: the reports'
/// shared parts and each answer of [`written_bodies`].
pub fn written_schemas() -> Vec<(String, serde_json::Value)> {
    report_parts()
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .chain(
            written_bodies()
                .into_iter()
                .map(|(_, _, name, schema)| (name.to_owned(), schema)),
        )
        .collect()
}

/// Answers built as JSON rather than from a type: method, path, schema
/// name and schema.
type Written = (&'static str, &'static str, &'static str, serde_json::Value);

fn written_bodies() -> Vec<Written> {
    vec![
        (
            "GET",
            "/healthz",
            "Up",
            json!({
                "type": "object", "required": ["status"], "properties": {"status": {"const": "up"}}
            }),
        ),
        (
            "GET",
            "/readyz",
            "Ready",
            json!({
                "type": "object", "required": ["status", "database", "migrations"],
                "properties": {
                    "status": {"const": "ready"},
                    "database": {"enum": ["sqlite", "postgres"]},
                    "migrations": {"const": "current"}
                }
            }),
        ),
        (
            "GET",
            "/api/v1/me",
            "StaffMe",
            json!({
                "type": "object", "required": ["id", "email", "roles"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "email": {"type": "string"},
                    "roles": {"type": "array", "items": {"enum": ["counsellor", "caseworker", "lead", "admin"]}}
                }
            }),
        ),
        (
            "GET",
            "/partner/v1/me",
            "PartnerMe",
            json!({
                "type": "object", "required": ["partner_id", "key_id", "name", "status", "countries"],
                "properties": {
                    "partner_id": {"type": "string"},
                    "key_id": {"type": "string"},
                    "name": {"type": "string"},
                    "status": {"enum": ["active", "paused", "inactive"]},
                    "countries": {"type": "array", "items": {"type": "string"}}
                }
            }),
        ),
        (
            "GET",
            "/api/v1/reports/funnel",
            "Funnel",
            // The funnel; with `by`, the funnel by sex or age band.
            json!({"oneOf": [
                {
                    "type": "object",
                    "required": [
                        "clients_counselled", "intention_return", "cases_opened", "referrals_sent",
                        "referrals_accepted", "departed", "arrived", "plans_approved", "monitoring_visits_done",
                        "closed_completed", "median_days", "period"
                    ],
                    "properties": {
                        "clients_counselled": part("Count"), "intention_return": part("Count"),
                        "cases_opened": part("Count"), "referrals_sent": part("Count"),
                        "referrals_accepted": part("Count"), "departed": part("Count"),
                        "arrived": part("Count"), "plans_approved": part("Count"),
                        "monitoring_visits_done": part("Count"),
                        "closed_completed": part("Count"),
                        "median_days": {"type": "object", "additionalProperties": part("Median")},
                        "period": part("Period")
                    }
                },
                {
                    "type": "object",
                    "required": ["by", "groups", "items", "period"],
                    "properties": {
                        "by": {"enum": ["sex", "age_band"]},
                        "groups": {"type": "array", "items": {"type": "string"}},
                        "items": {"type": "array", "items": {
                            "type": "object",
                            "required": ["stage", "total", "counts"],
                            "properties": {
                                "stage": {"type": "string"},
                                "total": part("Count"),
                                "counts": {"type": "object", "additionalProperties": part("Count")}
                            }
                        }},
                        "period": part("Period")
                    }
                }
            ]}),
        ),
        (
            "GET",
            "/api/v1/reports/partners",
            "PartnersReport",
            json!({
                "type": "object", "required": ["items", "period"],
                "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": [
                            "partner_id", "referrals", "accepted", "rejected", "acceptance_rate",
                            "median_hours_to_acknowledge", "median_hours_to_decide", "sla_breaches",
                            "monitoring_done", "monitoring_due", "declines_by_reason",
                            "p90_hours_to_acknowledge", "p90_hours_to_decide", "median_days_to_plan"
                        ],
                        "properties": {
                            "partner_id": {"type": "string"},
                            "referrals": part("Count"), "accepted": part("Count"), "rejected": part("Count"),
                            "acceptance_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                            "median_hours_to_acknowledge": part("Median"),
                            "median_hours_to_decide": part("Median"),
                            "sla_breaches": part("Count"),
                            "monitoring_done": part("Count"), "monitoring_due": part("Count"),
                            "declines_by_reason": part("DeclinesByReason"),
                            "p90_hours_to_acknowledge": {
                                "type": ["number", "null"],
                                "description": "The 90th percentile (nearest rank), of ten answers or more; else null."
                            },
                            "p90_hours_to_decide": {
                                "type": ["number", "null"],
                                "description": "The 90th percentile (nearest rank), of ten answers or more; else null."
                            },
                            "median_days_to_plan": part("Median")
                        }
                    }},
                    "totals": {
                        "type": "object",
                        "properties": {"declines_by_reason": part("DeclinesByReason")},
                        "additionalProperties": part("Count")
                    },
                    "period": part("Period")
                }
            }),
        ),
        (
            "GET",
            "/api/v1/reports/overdue",
            "OverdueReport",
            json!({
                "type": "object", "required": ["items", "counts", "next_cursor"],
                "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["kind", "referral_id", "partner_id", "due_on", "days_overdue"],
                        "properties": {
                            "kind": {"type": "string"},
                            "referral_id": {"type": "string", "format": "uuid"},
                            "partner_id": {"type": "string"},
                            "visit_id": {"type": ["string", "null"]},
                            "due_on": {"type": "string", "format": "date"},
                            "days_overdue": {"type": "integer"}
                        }
                    }},
                    "counts": {"type": "object", "additionalProperties": part("Count")},
                    "next_cursor": {"type": "null"}
                }
            }),
        ),
        (
            "GET",
            "/api/v1/reports/sustainability",
            "SustainabilityReport",
            json!({
                "type": "object", "required": ["items", "period"],
                "properties": {
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["group_by", "group", "visits", "economic", "social", "psychosocial", "overall", "overall_distribution", "alerts"],
                        "properties": {
                            "group_by": {"enum": ["country", "partner_id", "months_since_arrival"]},
                            "group": {"type": "string"},
                            "visits": part("Count"),
                            "economic": {"type": ["number", "null"]},
                            "social": {"type": ["number", "null"]},
                            "psychosocial": {"type": ["number", "null"]},
                            "overall": {"type": ["number", "null"]},
                            "overall_distribution": {
                                "description": "Visits by band of the overall score; null for a hidden group.",
                                "type": ["object", "null"],
                                "additionalProperties": part("Count")
                            },
                            "alerts": {
                                "description": "Sustainability alerts raised by the group's visits in the period (event sustainability.alert), hidden by the returnees behind them like every count.",
                                "allOf": [part("Count")]
                            }
                        }
                    }},
                    "period": part("Period")
                }
            }),
        ),
        (
            "GET",
            "/api/v1/reports/amif",
            "AmifReport",
            json!({
                "type": "object", "required": ["year", "items"],
                "properties": {
                    "year": {"type": "integer"},
                    "items": {"type": "array", "items": {
                        "type": "object",
                        "required": ["indicator", "label", "value"],
                        "properties": {
                            "indicator": {"type": "string"},
                            "label": {"type": "string"},
                            "value": part("Count")
                        }
                    }}
                }
            }),
        ),
    ]
}
