//! The return case in the staff UI: opening one for a client, and one page
//! to follow it to closure (partner matches, referrals with their
//! timeline, the departure checklist, the departure, the arrival, the
//! reintegration plan, monitoring, the outcome). Every form calls the
//! API's own command, every read the API's own audited query.

mod load;
mod open;
mod show;
mod steps;
mod view;

pub use open::{new_case, open_case};
pub use show::show;
pub use steps::{
    approve_plan, cancel_referral, handle_alert, record_departure, reject_plan, send_referral,
    update_item,
};

use actix_web::http::StatusCode;
use chrono::NaiveDateTime;

use super::form::{FormData, Refused};
use super::i18n::{Lang, Texts};

/// Which form of the case page a refusal belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Send,
    Cancel,
    Reject,
    Depart,
    /// A checklist item's form, by the item's id.
    Item(String),
}

/// A step on the case page that was refused: the page is shown again with
/// the API's sentence at the top and each message beside its field, and
/// keeps what was typed.
#[derive(Debug)]
pub struct Trouble {
    pub status: StatusCode,
    pub refused: Refused,
    pub form: Form,
    pub typed: FormData,
    /// No consent of the client covers the referral: the page says so and
    /// links to recording one.
    pub consent_missing: bool,
}

impl Trouble {
    pub fn new(form: Form, typed: FormData, refused: Refused) -> Self {
        let status = match &refused {
            Refused::Fields { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Refused::Said { status, .. } => *status,
            Refused::Other(err) => actix_web::ResponseError::status_code(err),
        };
        Self {
            status,
            refused,
            form,
            typed,
            consent_missing: false,
        }
    }

    /// The typed form and its refusal, when they belong to `form`.
    pub fn of(&self, form: &Form) -> (Option<&FormData>, Option<&Refused>) {
        if &self.form == form {
            (Some(&self.typed), Some(&self.refused))
        } else {
            (None, None)
        }
    }
}

/// A moment as people read it: the day and the time, in UTC.
pub fn moment(t: &Texts, at: NaiveDateTime) -> String {
    format!(
        "{} {} UTC",
        super::page::date(t, at.date()),
        at.format("%H:%M")
    )
}

/// A number with two decimals, with the language's decimal sign.
pub fn decimal(t: &Texts, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    match t.lang {
        Lang::Nl | Lang::Fr => text.replace('.', ","),
        Lang::En | Lang::Ar => text,
    }
}
