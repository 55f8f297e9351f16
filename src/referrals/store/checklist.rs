//! The departure checklist of an accepted referral: its rows and changes.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::super::{ChecklistOwner, ChecklistStatus, ChecklistTemplateItem};
use crate::audit::Actor;
use crate::db::schema::checklist_items;
use crate::db::{DbConn, DbError};

/// A `checklist_items` row, as read and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = checklist_items)]
pub struct ChecklistItemView {
    pub id: String,
    #[serde(skip)]
    pub referral_id: String,
    #[serde(skip)]
    pub position: i32,
    pub kind: String,
    pub owner: ChecklistOwner,
    pub due_on: NaiveDate,
    pub status: ChecklistStatus,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_by_type: String,
    #[serde(skip)]
    pub updated_by_id: String,
    /// Who wrote the note (`staff`, `partner`, ...); unknown for notes
    /// written before it was kept.
    #[serde(skip)]
    pub note_by_type: Option<String>,
}

/// A `checklist_items` row as written from the template.
#[derive(Insertable)]
#[diesel(table_name = checklist_items, treat_none_as_default_value = false)]
pub struct NewChecklistItem<'a> {
    pub id: String,
    pub referral_id: &'a str,
    pub position: i32,
    pub kind: &'a str,
    pub owner: ChecklistOwner,
    pub due_on: NaiveDate,
    pub status: ChecklistStatus,
    pub updated_at: NaiveDateTime,
    pub updated_by_type: &'a str,
    pub updated_by_id: &'a str,
}

/// Writes the checklist of a referral just accepted, each task due some
/// days before the planned departure.
pub fn create(
    conn: &mut DbConn,
    referral_id: &str,
    planned_departure_on: NaiveDate,
    template: &[ChecklistTemplateItem],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for (position, item) in template.iter().enumerate() {
        let row = NewChecklistItem {
            id: uuid::Uuid::now_v7().to_string(),
            referral_id,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            kind: &item.kind,
            owner: item.owner,
            due_on: planned_departure_on - Duration::days(i64::from(item.days_before_departure)),
            status: ChecklistStatus::Open,
            updated_at: now.naive_utc(),
            updated_by_type: actor.kind,
            updated_by_id: &actor.id,
        };
        diesel::insert_into(checklist_items::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn checklist(conn: &mut DbConn, referral_id: &str) -> Result<Vec<ChecklistItemView>, DbError> {
    Ok(checklist_items::table
        .filter(checklist_items::referral_id.eq(referral_id))
        .order(checklist_items::position.asc())
        .select(ChecklistItemView::as_select())
        .load(conn)?)
}

pub fn item(conn: &mut DbConn, item_id: &str) -> Result<Option<ChecklistItemView>, DbError> {
    Ok(checklist_items::table
        .find(item_id)
        .select(ChecklistItemView::as_select())
        .first(conn)
        .optional()?)
}

/// A change to a checklist item; what is absent stays.
#[derive(Debug, Clone, Default)]
pub struct ItemChange {
    pub status: Option<ChecklistStatus>,
    pub note: Option<Option<String>>,
    pub due_on: Option<NaiveDate>,
    pub owner: Option<ChecklistOwner>,
}

/// The change as written, stamped with who made it.
#[derive(AsChangeset)]
#[diesel(table_name = checklist_items)]
struct ItemUpdate<'a> {
    status: Option<ChecklistStatus>,
    note: Option<Option<&'a str>>,
    due_on: Option<NaiveDate>,
    owner: Option<ChecklistOwner>,
    updated_at: NaiveDateTime,
    updated_by_type: &'a str,
    updated_by_id: &'a str,
    note_by_type: Option<Option<&'a str>>,
}

pub fn update(
    conn: &mut DbConn,
    item_id: &str,
    change: &ItemChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let update = ItemUpdate {
        status: change.status,
        note: change.note.as_ref().map(|note| note.as_deref()),
        due_on: change.due_on,
        owner: change.owner,
        updated_at: now.naive_utc(),
        updated_by_type: actor.kind,
        updated_by_id: &actor.id,
        note_by_type: change
            .note
            .as_ref()
            .map(|note| note.as_ref().map(|_| actor.kind)),
    };
    diesel::update(checklist_items::table.find(item_id))
        .set(&update)
        .execute(conn)?;
    Ok(())
}
