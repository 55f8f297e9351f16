//! Clients' and households' queries.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{ClientRef, NewClient, NewHousehold, name_key};
use crate::db::schema::{clients, households};
use crate::db::{DbConn, DbError};
use crate::domain::{CountryCode, LanguageCode, join_list, split_list};
use crate::http::{AppError, FieldError, PageRequest, Problem};

/// A client as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientView {
    pub id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub country_of_origin: String,
    pub languages: Vec<String>,
    pub v_number: Option<String>,
    pub location: Option<String>,
    pub household_id: Option<String>,
    pub counsellor_id: String,
    /// The intention stated in the latest talk (by date); null until a talk records one.
    pub latest_intention: Option<String>,
    pub latest_intention_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

type ClientColumns = (
    clients::id,
    clients::reference,
    clients::given_name,
    clients::family_name,
    clients::date_of_birth,
    clients::country_of_origin,
    clients::languages,
    clients::v_number,
    clients::location,
    clients::household_id,
    clients::counsellor_id,
    clients::latest_intention,
    clients::latest_intention_on,
    clients::created_at,
    clients::updated_at,
);

const CLIENT_COLUMNS: ClientColumns = (
    clients::id,
    clients::reference,
    clients::given_name,
    clients::family_name,
    clients::date_of_birth,
    clients::country_of_origin,
    clients::languages,
    clients::v_number,
    clients::location,
    clients::household_id,
    clients::counsellor_id,
    clients::latest_intention,
    clients::latest_intention_on,
    clients::created_at,
    clients::updated_at,
);

#[derive(Queryable)]
struct ClientRow {
    id: String,
    reference: String,
    given_name: String,
    family_name: String,
    date_of_birth: NaiveDate,
    country_of_origin: String,
    languages: String,
    v_number: Option<String>,
    location: Option<String>,
    household_id: Option<String>,
    counsellor_id: String,
    latest_intention: Option<String>,
    latest_intention_on: Option<NaiveDate>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<ClientRow> for ClientView {
    fn from(row: ClientRow) -> Self {
        Self {
            languages: split_list(&row.languages, |s| Some(s.to_owned())),
            id: row.id,
            reference: row.reference,
            given_name: row.given_name,
            family_name: row.family_name,
            date_of_birth: row.date_of_birth,
            country_of_origin: row.country_of_origin,
            v_number: row.v_number,
            location: row.location,
            household_id: row.household_id,
            counsellor_id: row.counsellor_id,
            latest_intention: row.latest_intention,
            latest_intention_on: row.latest_intention_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

fn household_exists(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    let count: i64 = households::table.find(id).count().get_result(conn)?;
    Ok(count > 0)
}

/// Registers a client. Someone with the same names, date of birth and
/// country is a possible duplicate: 409 listing them, unless confirmed.
pub fn create(
    conn: &mut DbConn,
    counsellor_id: &str,
    input: &NewClient,
    now: DateTime<Utc>,
) -> Result<ClientView, AppError> {
    let household_id = input.household_id.map(|id| id.to_string());
    if let Some(household) = &household_id
        && !household_exists(conn, household)?
    {
        return Err(AppError::validation(vec![FieldError::new(
            "household_id",
            "is not a household",
        )]));
    }
    let given_key = name_key(&input.given_name);
    let family_key = name_key(&input.family_name);
    let existing: Vec<String> = clients::table
        .filter(clients::given_name_key.eq(&given_key))
        .filter(clients::family_name_key.eq(&family_key))
        .filter(clients::date_of_birth.eq(input.date_of_birth))
        .filter(clients::country_of_origin.eq(input.country_of_origin.as_str()))
        .select(clients::id)
        .order(clients::id.asc())
        .load(conn)?;
    if !existing.is_empty() && !input.confirm_not_duplicate {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "possible_duplicate",
            "Possible Duplicate",
            "A client with the same names, date of birth and country of origin exists. \
             Check the existing ids; if this is someone else, send again with \
             `confirm_not_duplicate: true`.",
        )
        .with_extension("code", "possible_duplicate")
        .with_extension("existing_ids", existing)
        .into());
    }
    let reference = unused_reference(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    let stamp = now.naive_utc();
    diesel::insert_into(clients::table)
        .values((
            clients::id.eq(&id),
            clients::reference.eq(reference.as_str()),
            clients::given_name.eq(input.given_name.trim()),
            clients::family_name.eq(input.family_name.trim()),
            clients::given_name_key.eq(&given_key),
            clients::family_name_key.eq(&family_key),
            clients::date_of_birth.eq(input.date_of_birth),
            clients::country_of_origin.eq(input.country_of_origin.as_str()),
            clients::languages.eq(join_list(&input.languages, LanguageCode::as_str)),
            clients::v_number.eq(input.v_number.as_ref().map(|v| v.as_str())),
            clients::location.eq(input.location.as_deref().map(str::trim)),
            clients::household_id.eq(&household_id),
            clients::counsellor_id.eq(counsellor_id),
            clients::created_at.eq(stamp),
            clients::updated_at.eq(stamp),
        ))
        .execute(conn)?;
    get(conn, &id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("client {id} vanished")))
}

fn unused_reference(conn: &mut DbConn) -> Result<ClientRef, AppError> {
    for _ in 0..8 {
        let reference = ClientRef::generate()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
        let taken: i64 = clients::table
            .filter(clients::reference.eq(reference.as_str()))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return Ok(reference);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free client reference after 8 tries"
    )))
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<ClientView>, DbError> {
    Ok(clients::table
        .find(id)
        .select(CLIENT_COLUMNS)
        .first::<ClientRow>(conn)
        .optional()?
        .map(ClientView::from))
}

pub fn exists(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    let count: i64 = clients::table.find(id).count().get_result(conn)?;
    Ok(count > 0)
}

#[derive(Debug, Default, Clone)]
pub struct ClientFilter {
    /// A reference (`TO-7K3M9`), or the start of a given or family name.
    pub q: Option<String>,
    pub country: Option<CountryCode>,
    /// Only this counsellor's caseload.
    pub counsellor_id: Option<String>,
}

/// `%` and `_` in a search are letters, not wildcards.
fn like_prefix(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("{escaped}%")
}

pub fn search(
    conn: &mut DbConn,
    filter: &ClientFilter,
    page: &PageRequest,
) -> Result<Vec<ClientView>, DbError> {
    let mut query = clients::table.select(CLIENT_COLUMNS).into_boxed();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if let Some(reference) = ClientRef::parse(q) {
            query = query.filter(clients::reference.eq(reference.as_str().to_owned()));
        } else {
            let prefix = like_prefix(&name_key(q));
            query = query.filter(
                clients::given_name_key
                    .like(prefix.clone())
                    .escape('\\')
                    .or(clients::family_name_key.like(prefix).escape('\\')),
            );
        }
    }
    if let Some(country) = &filter.country {
        query = query.filter(clients::country_of_origin.eq(country.as_str().to_owned()));
    }
    if let Some(counsellor) = &filter.counsellor_id {
        query = query.filter(clients::counsellor_id.eq(counsellor.clone()));
    }
    if let Some(after) = &page.after {
        query = query.filter(clients::id.gt(after.clone()));
    }
    Ok(query
        .order(clients::id.asc())
        .limit(page.fetch())
        .load::<ClientRow>(conn)?
        .into_iter()
        .map(ClientView::from)
        .collect())
}

/// Records a talk's intention as the client's latest when the talk is the
/// latest by date (ties: the later recorded).
pub fn refresh_latest_intention(
    conn: &mut DbConn,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    use crate::db::schema::talks;
    let latest: Option<(String, NaiveDate)> = talks::table
        .filter(talks::client_id.eq(client_id))
        .order((
            talks::held_on.desc(),
            talks::created_at.desc(),
            talks::id.desc(),
        ))
        .select((talks::intention, talks::held_on))
        .first(conn)
        .optional()?;
    let (intention, on) = match latest {
        Some((intention, on)) => (Some(intention), Some(on)),
        None => (None, None),
    };
    diesel::update(clients::table.find(client_id))
        .set((
            clients::latest_intention.eq(intention),
            clients::latest_intention_on.eq(on),
            clients::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct HouseholdView {
    pub id: String,
    pub label: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    pub members: Vec<ClientView>,
}

pub fn create_household(
    conn: &mut DbConn,
    created_by: &str,
    input: &NewHousehold,
    now: DateTime<Utc>,
) -> Result<HouseholdView, AppError> {
    let members: Vec<String> = input.member_ids.iter().map(ToString::to_string).collect();
    let mut errors = Vec::new();
    for (i, member) in members.iter().enumerate() {
        if !exists(conn, member)? {
            errors.push(FieldError::new(
                format!("member_ids[{i}]"),
                "is not a client",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(households::table)
        .values((
            households::id.eq(&id),
            households::label.eq(input.label.as_deref().map(str::trim)),
            households::created_by.eq(created_by),
            households::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if !members.is_empty() {
        diesel::update(clients::table.filter(clients::id.eq_any(&members)))
            .set((
                clients::household_id.eq(&id),
                clients::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    get_household(conn, &id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("household {id} vanished")))
}

pub fn get_household(conn: &mut DbConn, id: &str) -> Result<Option<HouseholdView>, DbError> {
    let Some((id, label, created_at)) = households::table
        .find(id)
        .select((households::id, households::label, households::created_at))
        .first::<(String, Option<String>, NaiveDateTime)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let members = clients::table
        .filter(clients::household_id.eq(&id))
        .select(CLIENT_COLUMNS)
        .order(clients::id.asc())
        .load::<ClientRow>(conn)?
        .into_iter()
        .map(ClientView::from)
        .collect();
    Ok(Some(HouseholdView {
        id,
        label,
        created_at,
        members,
    }))
}
