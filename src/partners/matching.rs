//! Ranking partners for one return: a pure function, so that the rules can
//! be read and tested on their own. The caseworker sees the score and the
//! reasons, and decides.

use serde::Serialize;

use super::capacity::{Availability, CapacityItem};
use super::{PartnerId, PartnerStatus, Service, ServiceArea, SlaOverrides};
use crate::domain::{CountryCode, LanguageCode, RegionCode};

/// What the matching knows of one partner.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerProfile {
    pub id: PartnerId,
    pub name: String,
    pub status: PartnerStatus,
    pub service_areas: Vec<ServiceArea>,
    pub services: Vec<Service>,
    pub languages: Vec<LanguageCode>,
    pub capacity: u32,
    pub open_referrals: u32,
    pub sla: SlaOverrides,
    /// The partner's capacity answers (those for the request's country
    /// count).
    pub capacity_answers: Vec<CapacityItem>,
}

/// The return to find a partner for.
#[derive(Debug, Clone)]
pub struct MatchRequest {
    pub country: CountryCode,
    pub region: Option<RegionCode>,
    pub needs: Vec<Service>,
    pub languages: Vec<LanguageCode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerMatch {
    pub partner_id: PartnerId,
    pub name: String,
    /// From 0 to 1; higher is a better fit.
    pub score: f64,
    /// Why, in words a caseworker reads: what fits and what does not.
    pub reasons: Vec<String>,
}

// How much each part of the fit weighs; they add up to 1.
const WEIGHT_NEEDS: f64 = 0.45;
const WEIGHT_REGION: f64 = 0.20;
const WEIGHT_LANGUAGE: f64 = 0.20;
const WEIGHT_CAPACITY: f64 = 0.15;

/// Ranks the active partners that serve the destination country, best
/// first: by their capacity answer for the country and needs (yes, then a
/// waitlist, shorter first, then no answer, then no), then by score (ties:
/// more free places, then id). Partners elsewhere, paused or inactive are
/// left out.
pub fn rank(partners: &[PartnerProfile], request: &MatchRequest) -> Vec<PartnerMatch> {
    let mut matches: Vec<(PartnerMatch, Availability, u32)> = partners
        .iter()
        .filter(|p| p.status == PartnerStatus::Active)
        .filter_map(|p| {
            let area = p
                .service_areas
                .iter()
                .find(|a| a.country == request.country)?;
            let availability =
                Availability::of(&p.capacity_answers, &request.country, &request.needs);
            let (mut found, free) = score(p, area, request);
            found.reasons.push(availability.reason());
            Some((found, availability, free))
        })
        .collect();
    matches.sort_by(|(a, answer_a, free_a), (b, answer_b, free_b)| {
        answer_a
            .cmp(answer_b)
            .then(b.score.total_cmp(&a.score))
            .then(free_b.cmp(free_a))
            .then(a.partner_id.cmp(&b.partner_id))
    });
    matches.into_iter().map(|(m, _, _)| m).collect()
}

fn score(
    partner: &PartnerProfile,
    area: &ServiceArea,
    request: &MatchRequest,
) -> (PartnerMatch, u32) {
    let mut reasons = Vec::new();
    let country = request.country.name();

    let region_fit = match &request.region {
        None => {
            reasons.push(format!("works in {country}"));
            1.0
        }
        Some(_) if area.regions.is_empty() => {
            reasons.push(format!("works in all of {country}"));
            1.0
        }
        Some(region) if area.regions.contains(region) => {
            reasons.push(format!("works in {} ({country})", region.name()));
            1.0
        }
        Some(region) => {
            let served: Vec<String> = area.regions.iter().map(RegionCode::name).collect();
            reasons.push(format!(
                "does not work in {}; only in {}",
                region.name(),
                served.join(", ")
            ));
            0.0
        }
    };

    let (covered, missing): (Vec<Service>, Vec<Service>) = request
        .needs
        .iter()
        .partition(|need| partner.services.contains(need));
    let needs_fit = if request.needs.is_empty() {
        1.0
    } else {
        covered.len() as f64 / request.needs.len() as f64
    };
    if !request.needs.is_empty() {
        let mut reason = format!("covers {} of {} needs", covered.len(), request.needs.len());
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            reason.push_str(&format!("; not {}", names.join(", ")));
        }
        reasons.push(reason);
    }

    let shared: Vec<&LanguageCode> = partner
        .languages
        .iter()
        .filter(|l| request.languages.iter().any(|c| c.same_language(l)))
        .collect();
    let language_fit = if request.languages.is_empty() {
        1.0
    } else if shared.is_empty() {
        reasons.push("speaks none of the client's languages".to_owned());
        0.0
    } else {
        let names: Vec<&str> = shared.iter().map(|l| l.name()).collect();
        reasons.push(format!("speaks {}", names.join(", ")));
        1.0
    };

    let free = partner.capacity.saturating_sub(partner.open_referrals);
    let capacity_fit = if partner.capacity == 0 {
        0.0
    } else {
        f64::from(free) / f64::from(partner.capacity)
    };
    if free == 0 {
        reasons.push("has no free places now".to_owned());
    } else {
        reasons.push(format!("{free} of {} places free", partner.capacity));
    }

    let score = WEIGHT_NEEDS * needs_fit
        + WEIGHT_REGION * region_fit
        + WEIGHT_LANGUAGE * language_fit
        + WEIGHT_CAPACITY * capacity_fit;
    (
        PartnerMatch {
            partner_id: partner.id.clone(),
            name: partner.name.clone(),
            score: (score * 1000.0).round() / 1000.0,
            reasons,
        },
        free,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::capacity::CapacityAnswer;

    fn code<T: std::str::FromStr<Err = String>>(s: &str) -> T {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn partner(
        id: &str,
        regions: &[&str],
        services: &[Service],
        languages: &[&str],
    ) -> PartnerProfile {
        PartnerProfile {
            id: PartnerId::parse(id).expect("valid id"),
            name: id.to_owned(),
            status: PartnerStatus::Active,
            service_areas: vec![ServiceArea {
                country: code("GH"),
                regions: regions.iter().map(|r| code(r)).collect(),
            }],
            services: services.to_vec(),
            languages: languages.iter().map(|l| code(l)).collect(),
            capacity: 10,
            open_referrals: 0,
            sla: SlaOverrides::default(),
            capacity_answers: Vec::new(),
        }
    }

    fn answer(need: Service, answer: CapacityAnswer, weeks: Option<u32>) -> CapacityItem {
        CapacityItem {
            country: code("GH"),
            need,
            answer,
            waitlist_weeks: weeks,
            updated_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn the_capacity_answer_ranks_before_the_fit_and_shows_as_a_reason() {
        let fit = |id: &str| partner(id, &[], &[Service::Housing, Service::Medical], &["en"]);
        let answering = |id: &str, answers: Vec<CapacityItem>| PartnerProfile {
            capacity_answers: answers,
            ..fit(id)
        };
        use CapacityAnswer::{No, Waitlist, Yes};
        let silent = fit("silent");
        let full = answering("full", vec![answer(Service::Housing, No, None)]);
        let later = answering(
            "later",
            vec![
                answer(Service::Housing, Yes, None),
                answer(Service::Medical, Waitlist, Some(6)),
            ],
        );
        let soon = answering("soon", vec![answer(Service::Medical, Waitlist, Some(2))]);
        let ready = PartnerProfile {
            // A weaker fit (no shared language) that can take it now.
            languages: vec![code("fr")],
            ..answering(
                "ready",
                vec![
                    answer(Service::Housing, Yes, None),
                    answer(Service::Medical, Yes, None),
                ],
            )
        };
        let ranked = rank(&[silent, full, later, soon, ready], &request());
        let order: Vec<&str> = ranked.iter().map(|m| m.partner_id.as_str()).collect();
        assert_eq!(order, ["ready", "soon", "later", "silent", "full"]);
        let last_reason = |i: usize| ranked[i].reasons.last().cloned().unwrap_or_default();
        assert_eq!(last_reason(0), "capacity: yes");
        assert_eq!(last_reason(1), "capacity: waitlist, 2 weeks");
        assert_eq!(last_reason(2), "capacity: waitlist, 6 weeks");
        assert_eq!(last_reason(3), "capacity: not stated");
        assert_eq!(last_reason(4), "capacity: no");
    }

    fn request() -> MatchRequest {
        MatchRequest {
            country: code("GH"),
            region: Some(code("GH-AA")),
            needs: vec![Service::Housing, Service::Medical],
            languages: vec![code("tw")],
        }
    }

    #[test]
    fn the_best_fit_comes_first_with_its_reasons() {
        let best = partner(
            "accra-full",
            &["GH-AA"],
            &[Service::Housing, Service::Medical],
            &["twi"],
        );
        let half = partner("accra-half", &[], &[Service::Housing], &["en"]);
        let elsewhere = partner(
            "kumasi-only",
            &["GH-AH"],
            &[Service::Housing, Service::Medical],
            &["tw"],
        );
        let ranked = rank(&[half, elsewhere, best], &request());
        let order: Vec<&str> = ranked.iter().map(|m| m.partner_id.as_str()).collect();
        assert_eq!(order, ["accra-full", "kumasi-only", "accra-half"]);
        assert_eq!(ranked[0].score, 1.0);
        assert!(
            ranked[0].reasons.contains(&"speaks Twi".to_owned()),
            "{:?}",
            ranked[0].reasons
        );
        assert!(
            ranked[1].reasons[0].starts_with("does not work in Greater Accra"),
            "{:?}",
            ranked[1].reasons
        );
        assert!(
            ranked[2]
                .reasons
                .contains(&"covers 1 of 2 needs; not medical".to_owned())
        );
        assert!(
            ranked[2]
                .reasons
                .contains(&"speaks none of the client's languages".to_owned())
        );
    }

    #[test]
    fn partners_elsewhere_paused_or_full_are_handled() {
        let mut paused = partner("paused", &[], &[Service::Housing], &["tw"]);
        paused.status = PartnerStatus::Paused;
        let mut abroad = partner("abroad", &[], &[Service::Housing], &["tw"]);
        abroad.service_areas[0].country = code("TG");
        let mut full = partner("full", &[], &[Service::Housing, Service::Medical], &["tw"]);
        full.open_referrals = 10;
        let roomy = partner("roomy", &[], &[Service::Housing, Service::Medical], &["tw"]);
        let ranked = rank(&[paused, abroad, full, roomy], &request());
        let order: Vec<&str> = ranked.iter().map(|m| m.partner_id.as_str()).collect();
        assert_eq!(order, ["roomy", "full"]);
        assert!(
            ranked[1]
                .reasons
                .contains(&"has no free places now".to_owned())
        );
        assert!(ranked[1].score < ranked[0].score);
    }

    #[test]
    fn ties_go_to_free_places_then_id() {
        let mut a = partner(
            "b-partner",
            &[],
            &[Service::Housing, Service::Medical],
            &["tw"],
        );
        let mut b = partner(
            "a-partner",
            &[],
            &[Service::Housing, Service::Medical],
            &["tw"],
        );
        a.capacity = 20;
        a.open_referrals = 10;
        b.capacity = 20;
        b.open_referrals = 10;
        let ranked = rank(&[a.clone(), b], &request());
        assert_eq!(
            ranked[0].partner_id.as_str(),
            "a-partner",
            "same score and room: by id"
        );
        let mut roomier = a;
        roomier.capacity = 40;
        roomier.open_referrals = 20;
        roomier.id = PartnerId::parse("z-partner").expect("valid id");
        let mut tight = partner(
            "a-partner",
            &[],
            &[Service::Housing, Service::Medical],
            &["tw"],
        );
        tight.capacity = 2;
        tight.open_referrals = 1;
        let ranked = rank(&[tight, roomier], &request());
        assert_eq!(
            ranked[0].partner_id.as_str(),
            "z-partner",
            "same score: more free places first"
        );
    }
}
