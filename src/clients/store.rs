//! Clients' and households' queries and rows.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{ClientRef, NewClient, NewHousehold, Sex, name_key};
use crate::db::schema::{clients, households};
use crate::db::{DbConn, DbError};
use crate::domain::page::PageRequest;
use crate::domain::{CommandError, CountryCode, LanguageCode, Outcome, join_list, split_list};

/// A client as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: Sex,
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
    /// When the person was erased at their request (`null` until then): the
    /// names, V-number, location and languages are gone, the date of birth
    /// kept only as closely as the reports' age bands need.
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub erased_at: Option<NaiveDateTime>,
}

/// A `clients` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct ClientRow {
    id: String,
    reference: String,
    given_name: String,
    family_name: String,
    date_of_birth: NaiveDate,
    sex: Sex,
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
    erased_at: Option<NaiveDateTime>,
}

/// A `clients` row as written: the names also as search keys.
#[derive(Insertable)]
#[diesel(table_name = clients, treat_none_as_default_value = false)]
pub struct NewClientRow<'a> {
    pub id: &'a str,
    pub reference: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub given_name_key: String,
    pub family_name_key: String,
    pub date_of_birth: NaiveDate,
    pub sex: Sex,
    pub country_of_origin: &'a str,
    pub languages: String,
    pub v_number: Option<&'a str>,
    pub location: Option<&'a str>,
    pub household_id: Option<String>,
    pub counsellor_id: &'a str,
    /// Set by the talks; none when registered.
    pub latest_intention: Option<&'a str>,
    pub latest_intention_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A `households` row as written.
#[derive(Insertable)]
#[diesel(table_name = households, treat_none_as_default_value = false)]
pub struct NewHouseholdRow<'a> {
    pub id: &'a str,
    pub label: Option<&'a str>,
    pub created_by: &'a str,
    pub created_at: NaiveDateTime,
}

impl<'a> NewClientRow<'a> {
    pub fn new(
        id: &'a str,
        reference: &'a str,
        input: &'a NewClient,
        counsellor_id: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id,
            reference,
            given_name: input.given_name.trim(),
            family_name: input.family_name.trim(),
            given_name_key: name_key(&input.given_name),
            family_name_key: name_key(&input.family_name),
            date_of_birth: input.date_of_birth,
            sex: input.sex,
            country_of_origin: input.country_of_origin.as_str(),
            languages: join_list(&input.languages, LanguageCode::as_str),
            v_number: input.v_number.as_ref().map(|v| v.as_str()),
            location: input.location.as_deref().map(str::trim),
            household_id: input.household_id.map(|id| id.to_string()),
            counsellor_id,
            latest_intention: None,
            latest_intention_on: None,
            created_at: now,
            updated_at: now,
        }
    }
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
            sex: row.sex,
            country_of_origin: row.country_of_origin,
            v_number: row.v_number,
            location: row.location,
            household_id: row.household_id,
            counsellor_id: row.counsellor_id,
            latest_intention: row.latest_intention,
            latest_intention_on: row.latest_intention_on,
            created_at: row.created_at,
            updated_at: row.updated_at,
            erased_at: row.erased_at,
        }
    }
}

pub fn household_exists(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    let count: i64 = households::table.find(id).count().get_result(conn)?;
    Ok(count > 0)
}

/// Clients with the same names (as search keys), date of birth and country.
pub fn same_person(conn: &mut DbConn, input: &NewClient) -> Result<Vec<String>, DbError> {
    Ok(clients::table
        .filter(clients::given_name_key.eq(name_key(&input.given_name)))
        .filter(clients::family_name_key.eq(name_key(&input.family_name)))
        .filter(clients::date_of_birth.eq(input.date_of_birth))
        .filter(clients::country_of_origin.eq(input.country_of_origin.as_str()))
        .select(clients::id)
        .order(clients::id.asc())
        .load(conn)?)
}

pub fn insert(conn: &mut DbConn, row: &NewClientRow<'_>) -> Result<(), DbError> {
    diesel::insert_into(clients::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A reference no client has yet.
pub fn unused_reference(conn: &mut DbConn) -> Outcome<ClientRef> {
    for _ in 0..8 {
        let reference = ClientRef::generate()
            .map_err(|e| CommandError::Internal(format!("no randomness: {e}")))?;
        let taken: i64 = clients::table
            .filter(clients::reference.eq(reference.as_str()))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            return Ok(reference);
        }
    }
    Err(CommandError::Internal(
        "no free client reference after 8 tries".to_owned(),
    ))
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<ClientView>, DbError> {
    Ok(clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
        .map(ClientView::from))
}

pub fn exists(conn: &mut DbConn, id: &str) -> Result<bool, DbError> {
    let count: i64 = clients::table.find(id).count().get_result(conn)?;
    Ok(count > 0)
}

/// Who holds a client after a handover: ids only, for the leads who hand
/// clients over see no names.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClientAssignment {
    /// The client.
    pub id: String,
    /// The counsellor who holds the client now.
    pub counsellor_id: String,
    /// Who held it before: the same when it was theirs already.
    pub previous_counsellor_id: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// The counsellor who holds the client, and when its record last changed.
pub fn counsellor_of(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(String, NaiveDateTime)>, DbError> {
    Ok(clients::table
        .find(id)
        .select((clients::counsellor_id, clients::updated_at))
        .first(conn)
        .optional()?)
}

/// Hands the client to `to` if `from` holds it still; whether it moved.
pub fn move_client(
    conn: &mut DbConn,
    id: &str,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let moved = diesel::update(
        clients::table
            .find(id)
            .filter(clients::counsellor_id.eq(from)),
    )
    .set((
        clients::counsellor_id.eq(to),
        clients::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}

/// The clients the counsellor holds, in id order.
pub fn caseload(conn: &mut DbConn, counsellor_id: &str) -> Result<Vec<String>, DbError> {
    Ok(clients::table
        .filter(clients::counsellor_id.eq(counsellor_id))
        .select(clients::id)
        .order(clients::id.asc())
        .load(conn)?)
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
    let mut query = clients::table.select(ClientRow::as_select()).into_boxed();
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
        .load(conn)?
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: String,
    pub label: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    pub members: Vec<ClientView>,
}

/// Makes a household of `members` (each checked to exist by the caller).
pub fn insert_household(
    conn: &mut DbConn,
    id: &str,
    created_by: &str,
    input: &NewHousehold,
    members: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let row = NewHouseholdRow {
        id,
        label: input.label.as_deref().map(str::trim),
        created_by,
        created_at: now.naive_utc(),
    };
    diesel::insert_into(households::table)
        .values(&row)
        .execute(conn)?;
    if !members.is_empty() {
        diesel::update(clients::table.filter(clients::id.eq_any(members)))
            .set((
                clients::household_id.eq(id),
                clients::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
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
        .select(ClientRow::as_select())
        .order(clients::id.asc())
        .load(conn)?
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

/// How a list names clients: reference and name, by id.
pub fn labels(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    let rows: Vec<(String, String, String, String)> = clients::table
        .filter(clients::id.eq_any(ids))
        .select((
            clients::id,
            clients::reference,
            clients::given_name,
            clients::family_name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, reference, given, family)| (id, format!("{reference} · {given} {family}")))
        .collect())
}
