//! The data categories a consent names, and the one table of what each
//! covers: every client and case field and every checklist kind a partner
//! may be shown. A partner sees a field or a task only while its referral
//! is open and a valid consent names the field's category.

use super::text_enum;

text_enum! {
    pub enum DataCategory {
        Identity => "identity",
        Contact => "contact",
        Family => "family",
        Health => "health",
        Needs => "needs",
        TravelDocuments => "travel_documents",
    }
}

/// A field of a client or its return case that a partner may be shown,
/// as it is named in the partner's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerField {
    GivenName,
    FamilyName,
    DateOfBirth,
    Languages,
    Location,
    DestinationRegion,
    Household,
    Needs,
    PlannedDepartureOn,
    /// A checklist item's due date: it is the planned departure less a
    /// known number of days, so it goes with the planned departure.
    ChecklistDueOn,
}

impl PartnerField {
    pub const ALL: &'static [PartnerField] = &[
        PartnerField::GivenName,
        PartnerField::FamilyName,
        PartnerField::DateOfBirth,
        PartnerField::Languages,
        PartnerField::Location,
        PartnerField::DestinationRegion,
        PartnerField::Household,
        PartnerField::Needs,
        PartnerField::PlannedDepartureOn,
        PartnerField::ChecklistDueOn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PartnerField::GivenName => "given_name",
            PartnerField::FamilyName => "family_name",
            PartnerField::DateOfBirth => "date_of_birth",
            PartnerField::Languages => "languages",
            PartnerField::Location => "location",
            PartnerField::DestinationRegion => "destination_region",
            PartnerField::Household => "household",
            PartnerField::Needs => "needs",
            PartnerField::PlannedDepartureOn => "planned_departure_on",
            PartnerField::ChecklistDueOn => "due_on",
        }
    }

    /// The category a consent must name for a partner to see this field.
    pub fn category(self) -> DataCategory {
        match self {
            PartnerField::GivenName | PartnerField::FamilyName | PartnerField::DateOfBirth => {
                DataCategory::Identity
            }
            // Where the person can be reached or will live.
            PartnerField::Languages | PartnerField::Location | PartnerField::DestinationRegion => {
                DataCategory::Contact
            }
            PartnerField::Household => DataCategory::Family,
            PartnerField::Needs => DataCategory::Needs,
            PartnerField::PlannedDepartureOn | PartnerField::ChecklistDueOn => {
                DataCategory::TravelDocuments
            }
        }
    }
}

/// The category of a departure checklist task, by its kind. A kind not in
/// this table (a task added in the settings) has none and is never shown
/// to a partner.
pub fn checklist_category(kind: &str) -> Option<DataCategory> {
    Some(match kind {
        "travel_document" | "flight" | "luggage" | "airport_pickup" => {
            DataCategory::TravelDocuments
        }
        "medical_fitness_to_fly" => DataCategory::Health,
        "reintegration_budget" | "first_accommodation" => DataCategory::Needs,
        "partner_contact_before_departure" => DataCategory::Contact,
        _ => return None,
    })
}

/// The categories a partner may see now: empty when the consent is not in
/// force or the referral has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shared(Vec<DataCategory>);

impl Shared {
    /// What a consent names, if it is in force and the referral still runs.
    pub fn now(consented: Vec<DataCategory>, consent_in_force: bool, referral_open: bool) -> Self {
        if consent_in_force && referral_open {
            let mut categories = consented;
            categories.sort();
            categories.dedup();
            Self(categories)
        } else {
            Self::default()
        }
    }

    pub fn covers(&self, category: DataCategory) -> bool {
        self.0.contains(&category)
    }

    pub fn field(&self, field: PartnerField) -> bool {
        self.covers(field.category())
    }

    pub fn checklist_kind(&self, kind: &str) -> bool {
        checklist_category(kind).is_some_and(|c| self.covers(c))
    }

    pub fn categories(&self) -> &[DataCategory] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checklist::default_checklist;

    #[test]
    fn every_default_task_has_a_category() {
        for item in default_checklist() {
            assert!(checklist_category(&item.kind).is_some(), "{}", item.kind);
        }
        assert_eq!(checklist_category("visa_interview"), None);
    }

    #[test]
    fn each_category_alone_shows_only_its_own() {
        for &category in DataCategory::ALL {
            let shared = Shared::now(vec![category], true, true);
            for &field in PartnerField::ALL {
                assert_eq!(shared.field(field), field.category() == category);
            }
            assert_eq!(
                shared.checklist_kind("medical_fitness_to_fly"),
                category == DataCategory::Health
            );
        }
    }

    #[test]
    fn nothing_once_consent_lapses_or_the_referral_ends() {
        let all = DataCategory::ALL.to_vec();
        assert!(
            Shared::now(all.clone(), false, true)
                .categories()
                .is_empty()
        );
        assert!(
            Shared::now(all.clone(), true, false)
                .categories()
                .is_empty()
        );
        assert_eq!(Shared::now(all, true, true).categories().len(), 6);
    }
}
