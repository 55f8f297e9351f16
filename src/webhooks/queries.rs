//! Reading a partner's webhook settings and how its deliveries stand (ids
//! and counts only: not audited).

use super::store;
use super::{WebhookView, view};
use crate::db::DbConn;
use crate::domain::{Outcome, Refusal};

pub fn settings(conn: &mut DbConn, partner_id: &str) -> Outcome<WebhookView> {
    let endpoint = store::endpoint(conn, partner_id)?.ok_or(Refusal::not_found("webhook"))?;
    let preset = store::preset_url(conn, partner_id)?.is_some();
    let counts = store::counts(conn, partner_id)?;
    Ok(view(&endpoint, preset, Some(&counts)))
}
