//! The partner's capacity answer: per country and need, whether it can take
//! new referrals now (yes, no, or a waitlist of some weeks). The partner
//! states it (`PUT /partner/v1/capacity`, the portal); matching shows it as
//! a reason and ranks by it.

pub mod commands;
pub mod store;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::Service;
use crate::domain::{CountryCode, FieldError, text_enum};

text_enum! {
    /// Can the partner take new referrals now?
    pub enum CapacityAnswer {
        Yes => "yes",
        No => "no",
        /// Yes, after a wait of `waitlist_weeks`.
        Waitlist => "waitlist",
    }
}

/// What is wrong with an item's weeks, if anything.
fn weeks_error(item: &CapacityItemInput) -> Option<&'static str> {
    match (item.answer, item.waitlist_weeks) {
        (CapacityAnswer::Waitlist, None) => Some("is required when the answer is waitlist"),
        (CapacityAnswer::Waitlist, Some(w)) if !(1..=52).contains(&w) => {
            Some("must be between 1 and 52")
        }
        (CapacityAnswer::Yes | CapacityAnswer::No, Some(_)) => {
            Some("must be left out unless the answer is waitlist")
        }
        _ => None,
    }
}

/// One answer, as the partner states it: a country the partner serves,
/// one of its services, weeks for a waitlist only, each country and need
/// once. Every bad item is named in one answer (`items[2].need`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityItemInput {
    /// A country the partner serves (ISO 3166-1 alpha-2).
    pub country: CountryCode,
    /// One of the partner's services.
    pub need: Service,
    pub answer: CapacityAnswer,
    /// Expected weeks of waiting: 1 to 52, required for `waitlist` and left
    /// out otherwise.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 52)]
    pub waitlist_weeks: Option<u32>,
}

/// `PUT /partner/v1/capacity`: the whole set, replacing the one before
/// (an empty list states nothing).
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityInput {
    /// At most one answer per country and need.
    #[validate(length(max = 500))]
    pub items: Vec<CapacityItemInput>,
}

/// One answer as stored and shown back.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CapacityItem {
    pub country: CountryCode,
    pub need: Service,
    pub answer: CapacityAnswer,
    pub waitlist_weeks: Option<u32>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// `GET /partner/v1/capacity`: the calling partner's answers, by country
/// and need.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CapacityView {
    pub items: Vec<CapacityItem>,
}

/// What is wrong with a set, given the partner's own directory entry: each
/// country one it serves, each need one of its services, weeks (1 to 52)
/// for a waitlist only, no (country, need) twice; each bad item named by
/// its place (`items[2].need`).
pub fn directory_errors(
    input: &CapacityInput,
    countries: &[CountryCode],
    services: &[Service],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, item) in input.items.iter().enumerate() {
        if let Some(message) = weeks_error(item) {
            errors.push(FieldError::new(
                format!("items[{i}].waitlist_weeks"),
                message,
            ));
        }
        if !countries.contains(&item.country) {
            let served: Vec<&str> = countries.iter().map(CountryCode::as_str).collect();
            errors.push(FieldError::new(
                format!("items[{i}].country"),
                format!(
                    "is not a country the partner serves ({})",
                    served.join(", ")
                ),
            ));
        }
        if !services.contains(&item.need) {
            let offered: Vec<&str> = services.iter().map(|s| s.as_str()).collect();
            errors.push(FieldError::new(
                format!("items[{i}].need"),
                format!(
                    "is not one of the partner's services ({})",
                    offered.join(", ")
                ),
            ));
        }
        let earlier = input.items[..i]
            .iter()
            .position(|e| e.country == item.country && e.need == item.need);
        if let Some(j) = earlier {
            errors.push(FieldError::new(
                format!("items[{i}].need"),
                format!("repeats the country and need of items[{j}]"),
            ));
        }
    }
    errors
}

/// What a partner's answers say of one return: for its country and needs
/// (every need of the country when it names none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Availability {
    Yes,
    /// The longest wait of the needs asked.
    Waitlist(u32),
    NotStated,
    No,
}

impl Availability {
    /// The worst answer for the needs asked: one `no` is no, one waitlist
    /// the longest wait; nothing stated is [`Availability::NotStated`].
    pub fn of(answers: &[CapacityItem], country: &CountryCode, needs: &[Service]) -> Self {
        answers
            .iter()
            .filter(|a| &a.country == country)
            .filter(|a| needs.is_empty() || needs.contains(&a.need))
            .map(|a| match a.answer {
                CapacityAnswer::Yes => Availability::Yes,
                CapacityAnswer::No => Availability::No,
                CapacityAnswer::Waitlist => Availability::Waitlist(a.waitlist_weeks.unwrap_or(0)),
            })
            .max_by_key(|a| match a {
                Availability::No => (2, 0),
                Availability::Waitlist(w) => (1, *w),
                _ => (0, 0),
            })
            .unwrap_or(Availability::NotStated)
    }

    /// As a caseworker reads it among a match's reasons.
    pub fn reason(self) -> String {
        match self {
            Availability::Yes => "capacity: yes".to_owned(),
            Availability::Waitlist(1) => "capacity: waitlist, 1 week".to_owned(),
            Availability::Waitlist(w) => format!("capacity: waitlist, {w} weeks"),
            Availability::NotStated => "capacity: not stated".to_owned(),
            Availability::No => "capacity: no".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(need: Service, answer: CapacityAnswer, weeks: Option<u32>) -> CapacityItem {
        CapacityItem {
            country: CountryCode::parse("GH").expect("GH"),
            need,
            answer,
            waitlist_weeks: weeks,
            updated_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn the_worst_answer_for_the_needs_asked_counts() {
        let gh = CountryCode::parse("GH").expect("GH");
        let answers = [
            item(Service::Housing, CapacityAnswer::Yes, None),
            item(Service::Medical, CapacityAnswer::Waitlist, Some(6)),
            item(Service::Income, CapacityAnswer::Waitlist, Some(2)),
            item(Service::Education, CapacityAnswer::No, None),
        ];
        let of = |needs: &[Service]| Availability::of(&answers, &gh, needs);
        assert_eq!(of(&[Service::Housing]), Availability::Yes);
        assert_eq!(
            of(&[Service::Housing, Service::Medical, Service::Income]),
            Availability::Waitlist(6)
        );
        assert_eq!(
            of(&[Service::Housing, Service::Education]),
            Availability::No
        );
        assert_eq!(of(&[Service::FamilyTracing]), Availability::NotStated);
        let ng = CountryCode::parse("NG").expect("NG");
        assert_eq!(
            Availability::of(&answers, &ng, &[Service::Housing]),
            Availability::NotStated
        );
        assert_eq!(
            Availability::Waitlist(6).reason(),
            "capacity: waitlist, 6 weeks"
        );
        let mut order = [
            Availability::No,
            Availability::NotStated,
            Availability::Waitlist(6),
            Availability::Yes,
            Availability::Waitlist(2),
        ];
        order.sort();
        assert_eq!(
            order,
            [
                Availability::Yes,
                Availability::Waitlist(2),
                Availability::Waitlist(6),
                Availability::NotStated,
                Availability::No,
            ]
        );
    }

    #[test]
    fn each_bad_item_is_named_by_its_place() {
        let gh = CountryCode::parse("GH").expect("GH");
        let input = |country: &str, need: Service| CapacityItemInput {
            country: CountryCode::parse(country).expect("country"),
            need,
            answer: CapacityAnswer::Yes,
            waitlist_weeks: None,
        };
        let set = CapacityInput {
            items: vec![
                input("GH", Service::Housing),
                input("NG", Service::Housing),
                input("GH", Service::Medical),
                input("GH", Service::Housing),
            ],
        };
        let errors = directory_errors(&set, &[gh], &[Service::Housing]);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["items[1].country", "items[2].need", "items[3].need"]
        );
    }
}
