//! The departure checklist's template: who owns each preparation task and
//! when it is due. Settings carry it (`checklist`), the referrals area
//! copies it onto each accepted referral.

use serde::{Deserialize, Serialize};

use super::text_enum;

text_enum! {
    pub enum ChecklistOwner {
        Organisation => "organisation",
        Partner => "partner",
        Client => "client",
        Authority => "authority",
    }
}

/// One task of the departure checklist template (configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistTemplateItem {
    pub kind: String,
    pub owner: ChecklistOwner,
    /// Due this many days before the planned departure (negative: after).
    pub days_before_departure: i32,
}

/// The programme's default preparation tasks.
pub fn default_checklist() -> Vec<ChecklistTemplateItem> {
    let item = |kind: &str, owner, days| ChecklistTemplateItem {
        kind: kind.to_owned(),
        owner,
        days_before_departure: days,
    };
    vec![
        item("travel_document", ChecklistOwner::Authority, 21),
        item("flight", ChecklistOwner::Organisation, 14),
        item("medical_fitness_to_fly", ChecklistOwner::Organisation, 10),
        item("reintegration_budget", ChecklistOwner::Organisation, 7),
        item(
            "partner_contact_before_departure",
            ChecklistOwner::Partner,
            7,
        ),
        item("luggage", ChecklistOwner::Client, 2),
        item("airport_pickup", ChecklistOwner::Partner, 0),
        item("first_accommodation", ChecklistOwner::Partner, 0),
    ]
}
