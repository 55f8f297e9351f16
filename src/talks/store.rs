//! Talks' queries: record, list newest first, amend keeping the earlier
//! version.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Intention, NewTalk, TalkMode, Topic};
use crate::clients::store as clients;
use crate::db::schema::{talk_versions, talks};
use crate::db::{DbConn, DbError};
use crate::domain::{LanguageCode, join_list, split_list};
use crate::http::{AppError, PageRequest, Problem};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TalkView {
    pub id: String,
    pub client_id: String,
    pub counsellor_id: String,
    pub held_on: NaiveDate,
    pub mode: String,
    pub topics: Vec<String>,
    pub intention: String,
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

#[derive(Queryable)]
struct TalkRow {
    id: String,
    client_id: String,
    counsellor_id: String,
    held_on: NaiveDate,
    mode: String,
    topics: String,
    intention: String,
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
    fn as_input(&self) -> Result<NewTalk, AppError> {
        let corrupt =
            || AppError::Internal(anyhow::anyhow!("talk {} holds an unknown value", self.id));
        Ok(NewTalk {
            held_on: self.held_on,
            mode: TalkMode::parse(&self.mode).ok_or_else(corrupt)?,
            topics: self.topics.iter().filter_map(|t| Topic::parse(t)).collect(),
            intention: Intention::parse(&self.intention).ok_or_else(corrupt)?,
            interpreter_language: self
                .interpreter_language
                .as_deref()
                .and_then(|l| LanguageCode::parse(l).ok()),
            duration_minutes: u32::try_from(self.duration_minutes).unwrap_or(0),
            notes: self.notes.clone(),
            next_talk_on: self.next_talk_on,
        })
    }
}

type TalkColumns = (
    talks::id,
    talks::client_id,
    talks::counsellor_id,
    talks::held_on,
    talks::mode,
    talks::topics,
    talks::intention,
    talks::interpreter_language,
    talks::duration_minutes,
    talks::notes,
    talks::next_talk_on,
    talks::version,
    talks::created_at,
    talks::updated_at,
);

const TALK_COLUMNS: TalkColumns = (
    talks::id,
    talks::client_id,
    talks::counsellor_id,
    talks::held_on,
    talks::mode,
    talks::topics,
    talks::intention,
    talks::interpreter_language,
    talks::duration_minutes,
    talks::notes,
    talks::next_talk_on,
    talks::version,
    talks::created_at,
    talks::updated_at,
);

fn duration(talk: &NewTalk) -> i32 {
    i32::try_from(talk.duration_minutes).unwrap_or(i32::MAX)
}

/// Records a talk for a client and updates the client's latest intention.
pub fn create(
    conn: &mut DbConn,
    client_id: &str,
    counsellor_id: &str,
    talk: &NewTalk,
    now: DateTime<Utc>,
) -> Result<TalkView, AppError> {
    if !clients::exists(conn, client_id)? {
        return Err(AppError::not_found("client"));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let stamp = now.naive_utc();
    diesel::insert_into(talks::table)
        .values((
            talks::id.eq(&id),
            talks::client_id.eq(client_id),
            talks::counsellor_id.eq(counsellor_id),
            talks::held_on.eq(talk.held_on),
            talks::mode.eq(talk.mode.as_str()),
            talks::topics.eq(join_list(&talk.topics, |t| t.as_str())),
            talks::intention.eq(talk.intention.as_str()),
            talks::interpreter_language.eq(talk.interpreter_language.as_ref().map(|l| l.as_str())),
            talks::duration_minutes.eq(duration(talk)),
            talks::notes.eq(talk.notes.as_deref()),
            talks::next_talk_on.eq(talk.next_talk_on),
            talks::version.eq(1),
            talks::created_at.eq(stamp),
            talks::updated_at.eq(stamp),
        ))
        .execute(conn)?;
    clients::refresh_latest_intention(conn, client_id, now)?;
    get(conn, &id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("talk {id} vanished")))
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<TalkView>, DbError> {
    Ok(talks::table
        .find(id)
        .select(TALK_COLUMNS)
        .first::<TalkRow>(conn)
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
) -> Result<Vec<TalkView>, AppError> {
    let mut query = talks::table
        .filter(talks::client_id.eq(client_id.to_owned()))
        .select(TALK_COLUMNS)
        .into_boxed();
    if let Some(after) = &page.after {
        let invalid = || {
            AppError::validation(vec![crate::http::FieldError::new(
                "cursor",
                "is not a cursor this service gave out",
            )])
        };
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
        .load::<TalkRow>(conn)?
        .into_iter()
        .map(TalkView::from)
        .collect())
}

/// An earlier version of a talk, as it was before an amendment.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct TalkVersion {
    pub version: i32,
    pub held_on: NaiveDate,
    pub mode: String,
    #[serde(serialize_with = "as_list")]
    pub topics: String,
    pub intention: String,
    pub interpreter_language: Option<String>,
    pub duration_minutes: i32,
    pub notes: Option<String>,
    pub next_talk_on: Option<NaiveDate>,
    /// Who recorded this version, and when.
    pub recorded_by: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub recorded_at: NaiveDateTime,
}

fn as_list<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(text.split(',').filter(|t| !t.is_empty()))
}

pub fn versions(conn: &mut DbConn, talk_id: &str) -> Result<Vec<TalkVersion>, DbError> {
    Ok(talk_versions::table
        .filter(talk_versions::talk_id.eq(talk_id))
        .order(talk_versions::version.desc())
        .select((
            talk_versions::version,
            talk_versions::held_on,
            talk_versions::mode,
            talk_versions::topics,
            talk_versions::intention,
            talk_versions::interpreter_language,
            talk_versions::duration_minutes,
            talk_versions::notes,
            talk_versions::next_talk_on,
            talk_versions::recorded_by,
            talk_versions::recorded_at,
        ))
        .load(conn)?)
}

/// Amends a talk: only its author may; the version it replaces is kept.
pub fn amend(
    conn: &mut DbConn,
    talk_id: &str,
    author_id: &str,
    change: impl FnOnce(NewTalk) -> Result<NewTalk, AppError>,
    now: DateTime<Utc>,
) -> Result<TalkView, AppError> {
    let current = get(conn, talk_id)?.ok_or_else(|| AppError::not_found("talk"))?;
    if current.counsellor_id != author_id {
        return Err(Problem::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "Only the counsellor who recorded a talk may amend it.",
        )
        .into());
    }
    let talk = change(current.as_input()?)?;
    // Claim the next version first: of two amendments at once, one is a 409.
    let claimed = diesel::update(
        talks::table
            .find(&current.id)
            .filter(talks::version.eq(current.version)),
    )
    .set(talks::version.eq(current.version + 1))
    .execute(conn)?;
    if claimed == 0 {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "changed-meanwhile",
            "Conflict",
            "The talk was amended while this request ran; fetch it and try again.",
        )
        .into());
    }
    diesel::insert_into(talk_versions::table)
        .values((
            talk_versions::talk_id.eq(&current.id),
            talk_versions::version.eq(current.version),
            talk_versions::held_on.eq(current.held_on),
            talk_versions::mode.eq(&current.mode),
            talk_versions::topics.eq(current.topics.join(",")),
            talk_versions::intention.eq(&current.intention),
            talk_versions::interpreter_language.eq(&current.interpreter_language),
            talk_versions::duration_minutes.eq(current.duration_minutes),
            talk_versions::notes.eq(&current.notes),
            talk_versions::next_talk_on.eq(current.next_talk_on),
            talk_versions::recorded_by.eq(&current.counsellor_id),
            talk_versions::recorded_at.eq(current.updated_at),
        ))
        .execute(conn)?;
    diesel::update(talks::table.find(&current.id))
        .set((
            talks::held_on.eq(talk.held_on),
            talks::mode.eq(talk.mode.as_str()),
            talks::topics.eq(join_list(&talk.topics, |t| t.as_str())),
            talks::intention.eq(talk.intention.as_str()),
            talks::interpreter_language.eq(talk.interpreter_language.as_ref().map(|l| l.as_str())),
            talks::duration_minutes.eq(duration(&talk)),
            talks::notes.eq(talk.notes.as_deref()),
            talks::next_talk_on.eq(talk.next_talk_on),
            talks::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    clients::refresh_latest_intention(conn, &current.client_id, now)?;
    get(conn, talk_id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("talk {talk_id} vanished")))
}
