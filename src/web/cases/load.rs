//! What the case page shows, read with the API's own audited queries (the
//! case, its client, the client's consents, the partner matches), and the
//! names of the people and partners in its history.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::AuditContext;
use crate::cases::CaseStatus;
use crate::clients::store::ClientView;
use crate::consent::store::ConsentView;
use crate::db::schema::{partners, users};
use crate::db::{DbConn, DbError};
use crate::domain::Outcome;
use crate::partners::directory::Directory;
use crate::partners::matching::PartnerMatch;
use crate::referrals::case_view::{self, ReturnCaseView};

/// Everything the case page needs.
pub struct Loaded {
    pub case: ReturnCaseView,
    pub client: ClientView,
    pub members: Vec<ClientView>,
    /// The client's consents and the partner matches, read only when a
    /// referral can be sent now.
    pub consents: Vec<ConsentView>,
    pub matches: Vec<PartnerMatch>,
    pub names: Names,
}

impl Loaded {
    /// Open, and no referral running: a referral can be sent (or re-routed).
    pub fn can_send(case: &ReturnCaseView) -> bool {
        case.case.status == CaseStatus::Open && !case.referrals.iter().any(|r| r.status.is_open())
    }
}

/// Who is who: staff by user id, partners by partner id.
#[derive(Debug, Default)]
pub struct Names {
    pub staff: HashMap<String, String>,
    pub partners: HashMap<String, String>,
}

impl Names {
    pub fn staff(&self, id: &str) -> String {
        self.staff.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    pub fn partner(&self, id: &str) -> String {
        self.partners
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

/// Reads the case page's data as the API reads each part, recording each
/// read in the audit log.
pub fn load(
    conn: &mut DbConn,
    by: &AuditContext,
    directory: &Directory,
    id: &str,
    not_departed_after_days: u32,
    now: DateTime<Utc>,
) -> Outcome<Loaded> {
    let case = case_view::get(conn, by, id, not_departed_after_days, now)?;
    let client = crate::clients::queries::get(conn, by, &case.case.client_id, now)?;
    let mut members = Vec::new();
    for member in &case.case.household_member_ids {
        members.push(crate::clients::queries::get(conn, by, member, now)?);
    }
    let (consents, matches) = if Loaded::can_send(&case) {
        (
            crate::consent::queries::for_client(conn, by, &client.id, now)?,
            crate::cases::queries::partner_matches(conn, by, directory, id, now)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let names = names(conn, &case)?;
    Ok(Loaded {
        case,
        client,
        members,
        consents,
        matches,
        names,
    })
}

fn names(conn: &mut DbConn, case: &ReturnCaseView) -> Result<Names, DbError> {
    let mut staff = BTreeSet::from([case.case.opened_by.clone(), case.case.caseworker_id.clone()]);
    let mut partner_ids = BTreeSet::new();
    for referral in &case.referrals {
        partner_ids.insert(referral.partner_id.clone());
        for step in &referral.history {
            match step.by_type.as_str() {
                "staff" => staff.insert(step.by.clone()),
                "partner" => partner_ids.insert(step.by.clone()),
                _ => false,
            };
        }
    }
    let staff: Vec<String> = staff.into_iter().collect();
    let partner_ids: Vec<String> = partner_ids.into_iter().collect();
    let people: Vec<(String, Option<String>, String)> = users::table
        .filter(users::id.eq_any(&staff))
        .select((users::id, users::name, users::email))
        .load(conn)?;
    let orgs: Vec<(String, String)> = partners::table
        .filter(partners::id.eq_any(&partner_ids))
        .select((partners::id, partners::name))
        .load(conn)?;
    Ok(Names {
        staff: people
            .into_iter()
            .map(|(id, name, email)| (id, name.unwrap_or(email)))
            .collect(),
        partners: orgs.into_iter().collect(),
    })
}
