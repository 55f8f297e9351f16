//! Why an operation was refused, in the programme's terms and without HTTP:
//! commands and stores return a [`Refusal`] (or a database error, together a
//! [`CommandError`]); the API turns it into problem+json and the pages into a
//! message beside the field, each in one place.

use serde_json::{Map, Value};

/// One bad field of an input, named by its path: `held_on`,
/// `household.members[2]`, or a query parameter's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The kinds of conflict a command can meet, each with its stable name (the
/// last part of its problem's `type`) and title: [`Conflict::TABLE`] is the
/// one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The state changed under the request (a constraint caught it).
    StateChanged,
    /// Another request changed the same record first; fetch and try again.
    ChangedMeanwhile,
    /// A client with the same names, date of birth and country exists.
    PossibleDuplicate,
    /// No valid consent covers the referral.
    ConsentMissing,
    /// The case has an open referral already.
    ReferralOpen,
    /// The client has an open return case already.
    OpenCaseExists,
    /// A departure needs an accepted referral.
    NoAcceptedReferral,
    /// Monitoring needs a confirmed arrival.
    NotArrived,
    /// The monitoring visit was reported already.
    VisitReported,
    /// The partner has no webhook to test.
    WebhookNotSet,
    /// The return case is closed.
    CaseClosed,
    /// The partner takes no new referrals.
    PartnerNotActive,
    /// The referral is closed, and its checklist with it.
    ReferralClosed,
    /// The arrival was confirmed already.
    ArrivedAlready,
    /// Four eyes: what a person drafted is submitted by another.
    FourEyes,
    /// The draft was submitted or discarded already.
    DraftDecided,
}

impl Conflict {
    /// `(kind, slug, title)`.
    pub const TABLE: &'static [(Conflict, &'static str, &'static str)] = &[
        (Conflict::StateChanged, "conflict", "Conflict"),
        (Conflict::ChangedMeanwhile, "changed-meanwhile", "Conflict"),
        (
            Conflict::PossibleDuplicate,
            "possible_duplicate",
            "Possible Duplicate",
        ),
        (Conflict::ConsentMissing, "consent-missing", "Conflict"),
        (Conflict::ReferralOpen, "referral-open", "Conflict"),
        (Conflict::OpenCaseExists, "open-case-exists", "Conflict"),
        (
            Conflict::NoAcceptedReferral,
            "no-accepted-referral",
            "Conflict",
        ),
        (Conflict::NotArrived, "not-arrived", "Conflict"),
        (Conflict::VisitReported, "visit-reported", "Conflict"),
        (Conflict::WebhookNotSet, "webhook-not-set", "No Webhook"),
        (Conflict::CaseClosed, "case-closed", "Conflict"),
        (Conflict::PartnerNotActive, "partner-not-active", "Conflict"),
        (Conflict::ReferralClosed, "referral-closed", "Conflict"),
        (Conflict::ArrivedAlready, "arrived-already", "Conflict"),
        (Conflict::FourEyes, "four-eyes", "Conflict"),
        (Conflict::DraftDecided, "draft-decided", "Conflict"),
    ];

    fn row(self) -> (&'static str, &'static str) {
        Self::TABLE
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map(|(_, slug, title)| (*slug, *title))
            .unwrap_or(("conflict", "Conflict"))
    }

    pub fn slug(self) -> &'static str {
        self.row().0
    }

    pub fn title(self) -> &'static str {
        self.row().1
    }
}

/// Why a caller who may see a thing may still not do this to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Only the author may change it (a talk's counsellor).
    NotTheAuthor,
    /// A checklist task someone else owns.
    NotYourTask,
}

impl Denial {
    pub fn slug(self) -> &'static str {
        match self {
            Denial::NotTheAuthor => "forbidden",
            Denial::NotYourTask => "not-your-task",
        }
    }
}

/// Why a command said no. Each door renders it its own way, from this alone.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// No such thing, or not one the caller may see (never tells which).
    NotFound { what: &'static str },
    /// The step is not allowed in the current state; lists what is.
    NotAllowedNow {
        /// What is being moved: `referral`, `consent`, `reintegration plan`.
        what: &'static str,
        /// Its current state.
        current: String,
        /// The step that was asked for.
        step: String,
        /// The steps allowed from the current state.
        allowed: Vec<String>,
        /// Why, when the state alone does not say it.
        detail: Option<String>,
    },
    /// The request contradicts what is stored; `extensions` carry what the
    /// caller needs to resolve it (e.g. `existing_ids`).
    Conflict {
        kind: Conflict,
        detail: String,
        extensions: Map<String, Value>,
    },
    /// Input that parsed but breaks a rule; every bad field named.
    Invalid(Vec<FieldError>),
    /// The caller may see the thing but not do this to it.
    Forbidden { denial: Denial, detail: String },
}

impl Refusal {
    pub fn not_found(what: &'static str) -> Self {
        Refusal::NotFound { what }
    }

    /// The one way to say "this step is not allowed now".
    pub fn not_allowed_now<S: ToString>(
        what: &'static str,
        current: impl ToString,
        step: impl ToString,
        allowed: impl IntoIterator<Item = S>,
    ) -> Self {
        Refusal::NotAllowedNow {
            what,
            current: current.to_string(),
            step: step.to_string(),
            allowed: allowed.into_iter().map(|s| s.to_string()).collect(),
            detail: None,
        }
    }

    /// Adds a reason to a [`Refusal::NotAllowedNow`]; other kinds are kept.
    pub fn because(self, why: impl Into<String>) -> Self {
        match self {
            Refusal::NotAllowedNow {
                what,
                current,
                step,
                allowed,
                ..
            } => Refusal::NotAllowedNow {
                what,
                current,
                step,
                allowed,
                detail: Some(why.into()),
            },
            other => other,
        }
    }

    pub fn conflict(kind: Conflict, detail: impl Into<String>) -> Self {
        Refusal::Conflict {
            kind,
            detail: detail.into(),
            extensions: Map::new(),
        }
    }

    /// Adds a member to a [`Refusal::Conflict`]; other kinds are kept.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Refusal::Conflict { extensions, .. } = &mut self {
            extensions.insert(key.to_owned(), value.into());
        }
        self
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Refusal::Invalid(errors)
    }

    /// One bad field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn forbidden(denial: Denial, detail: impl Into<String>) -> Self {
        Refusal::Forbidden {
            denial,
            detail: detail.into(),
        }
    }

    /// The sentence a person reads.
    pub fn detail(&self) -> String {
        match self {
            Refusal::NotFound { what } => format!("No such {what}, or not one you may see."),
            Refusal::NotAllowedNow {
                what,
                current,
                step,
                detail,
                ..
            } => detail
                .clone()
                .unwrap_or_else(|| format!("A {what} that is {current} cannot {step} now.")),
            Refusal::Conflict { detail, .. } | Refusal::Forbidden { detail, .. } => detail.clone(),
            Refusal::Invalid(errors) => match errors.as_slice() {
                [one] => format!("`{}` {}", one.field, one.message),
                many => format!("{} fields are not valid.", many.len()),
            },
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail())
    }
}

/// What a command or an audited query can fail with: a refusal to show the
/// caller, or the database.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("refused: {0}")]
    Refused(Refusal),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// Something that cannot happen did (a row written a moment ago is
    /// gone, the system has no randomness): logged, never shown.
    #[error("{0}")]
    Internal(String),
}

impl From<Refusal> for CommandError {
    fn from(refusal: Refusal) -> Self {
        CommandError::Refused(refusal)
    }
}

impl From<diesel::result::Error> for CommandError {
    fn from(err: diesel::result::Error) -> Self {
        CommandError::Db(err.into())
    }
}

/// The result of a command or an audited query.
pub type Outcome<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_allowed_now_names_the_state_and_the_step() {
        let refusal = Refusal::not_allowed_now("referral", "accepted", "acknowledge", ["cancel"]);
        assert_eq!(
            refusal.detail(),
            "A referral that is accepted cannot acknowledge now."
        );
        let why = Refusal::not_allowed_now("referral", "accepted", "close", Vec::<&str>::new())
            .because("The referral is accepted: this is for a referral after departure.");
        assert_eq!(
            why.detail(),
            "The referral is accepted: this is for a referral after departure."
        );
    }

    #[test]
    fn every_conflict_kind_has_one_row_and_its_own_slug() {
        let slugs: Vec<&str> = Conflict::TABLE.iter().map(|(_, slug, _)| *slug).collect();
        let mut unique = slugs.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), slugs.len(), "{slugs:?}");
        assert_eq!(Conflict::PossibleDuplicate.slug(), "possible_duplicate");
        assert_eq!(Conflict::WebhookNotSet.title(), "No Webhook");
        assert_eq!(Conflict::ReferralOpen.slug(), "referral-open");
    }
}
