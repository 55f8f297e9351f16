//! Talks' queries and rows: record, list newest first, amend keeping the
//! earlier version.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{Intention, NewTalk, TalkMode, Topic};
use crate::db::schema::{talk_versions, talks};
use crate::db::{DbConn, DbError};
use crate::domain::page::PageRequest;
use crate::domain::{CommandError, LanguageCode, Refusal, join_list, split_list};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TalkView {
    pub id: String,
    pub client_id: String,
    pub counsellor_id: String,
    pub held_on: NaiveDate,
    pub mode: TalkMode,
    pub topics: Vec<String>,
    pub intention: Intention,
    pub interpreter_language: Option<String>,
    pub duration_minutes: i32,
    pub notes: Option<String>,
    pub next_talk_on: Option<NaiveDate>,
    /// 1 for a talk never amended.
    pub version: i32,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// A `talks` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = talks)]
struct TalkRow {
    id: String,
    client_id: String,
    counsellor_id: String,
    held_on: NaiveDate,
    mode: TalkMode,
    topics: String,
    intention: Intention,
    interpreter_language: Option<String>,
    duration_minutes: i32,
    notes: Option<String>,
    next_talk_on: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<TalkRow> for TalkView {
    fn from(row: TalkRow) -> Self {
        Self {
            topics: split_list(&row.topics, |s| Some(s.to_owned())),
            id: row.id,
            client_id: row.client_id,
            counsellor_id: row.counsellor_id,
            held_on: row.held_on,
            mode: row.mode,
            intention: row.intention,
            interpreter_language: row.interpreter_language,
            duration_minutes: row.duration_minutes,
            notes: row.notes,
            next_talk_on: row.next_talk_on,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl TalkView {
    /// The talk's content as input, to apply an amendment to.
    pub fn as_input(&self) -> NewTalk {
        NewTalk {
            held_on: self.held_on,
            mode: self.mode,
            topics: self.topics.iter().filter_map(|t| Topic::parse(t)).collect(),
            intention: self.intention,
            interpreter_language: self
                .interpreter_language
                .as_deref()
                .and_then(|l| LanguageCode::parse(l).ok()),
            duration_minutes: u32::try_from(self.duration_minutes).unwrap_or(0),
            notes: self.notes.clone(),
            next_talk_on: self.next_talk_on,
        }
    }
}

/// A talk's content as written: inside a new `talks` row ([`NewTalkRow`])
/// or as an amendment changes it.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = talks, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct TalkContent<'a> {
    pub held_on: NaiveDate,
    pub mode: TalkMode,
    pub topics: String,
    pub intention: Intention,
    pub interpreter_language: Option<&'a str>,
    pub duration_minutes: i32,
    pub notes: Option<&'a str>,
    pub next_talk_on: Option<NaiveDate>,
}

impl<'a> TalkContent<'a> {
    pub fn of(talk: &'a NewTalk) -> Self {
        Self {
            held_on: talk.held_on,
            mode: talk.mode,
            topics: join_list(&talk.topics, |t| t.as_str()),
            intention: talk.intention,
            interpreter_language: talk.interpreter_language.as_ref().map(|l| l.as_str()),
            duration_minutes: i32::try_from(talk.duration_minutes).unwrap_or(i32::MAX),
            notes: talk.notes.as_deref(),
            next_talk_on: talk.next_talk_on,
        }
    }
}

/// A new `talks` row: who, whose, when, and its content.
#[derive(Insertable)]
#[diesel(table_name = talks)]
pub struct NewTalkRow<'a> {
    pub id: &'a str,
    pub client_id: &'a str,
    pub counsellor_id: &'a str,
    #[diesel(embed)]
    pub content: TalkContent<'a>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl<'a> NewTalkRow<'a> {
    pub fn new(
        id: &'a str,
        client_id: &'a str,
        counsellor_id: &'a str,
        talk: &'a NewTalk,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id,
            client_id,
            counsellor_id,
            content: TalkContent::of(talk),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &NewTalkRow<'_>) -> Result<(), DbError> {
    diesel::insert_into(talks::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<TalkView>, DbError> {
    Ok(talks::table
        .find(id)
        .select(TalkRow::as_select())
        .first(conn)
        .optional()?
        .map(TalkView::from))
}

/// The sort key of a talk in a newest-first list.
pub fn cursor_key(talk: &TalkView) -> String {
    format!("{}|{}", talk.held_on, talk.id)
}

/// A client's talks, newest first (by date, then by when recorded).
pub fn list(
    conn: &mut DbConn,
    client_id: &str,
    page: &PageRequest,
) -> Result<Vec<TalkView>, CommandError> {
    let mut query = talks::table
        .filter(talks::client_id.eq(client_id.to_owned()))
        .select(TalkRow::as_select())
        .into_boxed();
    if let Some(after) = &page.after {
        let invalid = || Refusal::field("cursor", "is not a cursor this service gave out");
        let (date, id) = after.split_once('|').ok_or_else(invalid)?;
        let date: NaiveDate = date.parse().map_err(|_| invalid())?;
        query = query.filter(
            talks::held_on
                .lt(date)
                .or(talks::held_on.eq(date).and(talks::id.lt(id.to_owned()))),
        );
    }
    Ok(query
        .order((talks::held_on.desc(), talks::id.desc()))
        .limit(page.fetch())
        .load(conn)?
        .into_iter()
        .map(TalkView::from)
        .collect())
}

/// Every talk of a client, newest first (for the person's export).
pub fn all_of_client(conn: &mut DbConn, client_id: &str) -> Result<Vec<TalkView>, DbError> {
    Ok(talks::table
        .filter(talks::client_id.eq(client_id))
        .select(TalkRow::as_select())
        .order((talks::held_on.desc(), talks::id.desc()))
        .load(conn)?
        .into_iter()
        .map(TalkView::from)
        .collect())
}

/// An earlier version of a talk, as it was before an amendment.
#[derive(
    Debug, Clone, PartialEq, Serialize, Queryable, Selectable, Insertable, utoipa::ToSchema,
)]
#[diesel(table_name = talk_versions, treat_none_as_default_value = false)]
pub struct TalkVersion {
    #[serde(skip)]
    pub talk_id: String,
    pub version: i32,
    pub held_on: NaiveDate,
    pub mode: TalkMode,
    #[serde(serialize_with = "as_list")]
    #[schema(value_type = Vec<crate::talks::Topic>)]
    pub topics: String,
    pub intention: Intention,
    pub interpreter_language: Option<String>,
    pub duration_minutes: i32,
    pub notes: Option<String>,
    pub next_talk_on: Option<NaiveDate>,
    /// Who recorded this version, and when.
    pub recorded_by: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub recorded_at: NaiveDateTime,
}

impl TalkVersion {
    /// The version a talk is now, kept before it is amended.
    pub fn of(talk: &TalkView) -> Self {
        Self {
            talk_id: talk.id.clone(),
            version: talk.version,
            held_on: talk.held_on,
            mode: talk.mode,
            topics: talk.topics.join(","),
            intention: talk.intention,
            interpreter_language: talk.interpreter_language.clone(),
            duration_minutes: talk.duration_minutes,
            notes: talk.notes.clone(),
            next_talk_on: talk.next_talk_on,
            recorded_by: talk.counsellor_id.clone(),
            recorded_at: talk.updated_at,
        }
    }
}

fn as_list<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(text.split(',').filter(|t| !t.is_empty()))
}

pub fn versions(conn: &mut DbConn, talk_id: &str) -> Result<Vec<TalkVersion>, DbError> {
    Ok(talk_versions::table
        .filter(talk_versions::talk_id.eq(talk_id))
        .order(talk_versions::version.desc())
        .select(TalkVersion::as_select())
        .load(conn)?)
}

/// Takes the next version number of a talk, if it is still at `version`:
/// of two amendments at once, one finds it taken.
pub fn claim_version(conn: &mut DbConn, talk_id: &str, version: i32) -> Result<bool, DbError> {
    let claimed = diesel::update(
        talks::table
            .find(talk_id)
            .filter(talks::version.eq(version)),
    )
    .set(talks::version.eq(version + 1))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Keeps `earlier` and writes the amended content.
pub fn replace(
    conn: &mut DbConn,
    earlier: &TalkVersion,
    content: &TalkContent<'_>,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(talk_versions::table)
        .values(earlier)
        .execute(conn)?;
    diesel::update(talks::table.find(&earlier.talk_id))
        .set((content, talks::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}
