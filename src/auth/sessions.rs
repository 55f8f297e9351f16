//! Signing in to the web UI: argon2id passwords, sessions and one-time
//! invitations. A session id or invitation token is 256 random bits shown
//! only to its holder and stored as a SHA-256 hash (as API tokens are); a
//! password is stored only as an argon2id PHC string.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::store::{AdminError, normalise_email};
use super::{NoRandomness, Role, Staff, hash_token};
use crate::audit::store::append as audit;
use crate::audit::{Actor, NewEntry};
use crate::db::schema::{staff_invitations, staff_sessions, user_roles, users};
use crate::db::{DbConn, DbError};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const LONGEST: Duration = Duration::hours(12);
/// An invitation link works this long.
pub const INVITATION_VALID: Duration = Duration::hours(72);
/// `last_seen_at` is written at most this often, so that most page views
/// stay reads.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// How many sessions are in use now: not ended, seen within [`IDLE`] and
/// younger than [`LONGEST`] (a count for `/metrics`, nobody named).
pub fn active_count(conn: &mut DbConn, now: DateTime<Utc>) -> Result<i64, DbError> {
    let now = now.naive_utc();
    Ok(staff_sessions::table
        .filter(staff_sessions::ended_at.is_null())
        .filter(staff_sessions::last_seen_at.ge(now - IDLE))
        .filter(staff_sessions::created_at.ge(now - LONGEST))
        .count()
        .get_result(conn)?)
}

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; the
/// people here handle data that can endanger others).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: enough for any passphrase, short enough that
/// hashing it costs nothing extra.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// 32 random bytes, URL-safe: a session id, a CSRF token or an invitation.
pub fn random_secret() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Why a password is not accepted, in words for the person choosing it.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Some(format!(
            "must be at most {MAX_PASSWORD_CHARS} characters long"
        ));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Some("must not be the email address".into());
    }
    None
}

/// The argon2id PHC string of `password` (the crate's defaults: OWASP's
/// m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, AdminError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AdminError::Invalid(format!("cannot hash the password: {e}")))
}

/// Compares against a stored PHC string; a malformed one never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verified when no user matches, so that an unknown address takes as
/// long to refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never valid").unwrap_or_default())
}

/// Sets a user's password (CLI or invitation), ending their sessions.
pub fn set_password(
    conn: &mut DbConn,
    actor: &Actor,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let email = normalise_email(email)?;
    if let Some(problem) = password_problem(password, &email) {
        return Err(AdminError::Invalid(format!("the password {problem}")));
    }
    let (id, disabled): (String, Option<NaiveDateTime>) = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::disabled_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("no user {email}")))?;
    if disabled.is_some() {
        return Err(AdminError::Conflict(format!("{email} is disabled")));
    }
    let hash = hash_password(password)?;
    diesel::update(users::table.find(&id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::password_set_at.eq(Some(now.naive_utc())),
        ))
        .execute(conn)?;
    end_sessions_of(conn, &id, now)?;
    use_up_invitations(conn, &id, now)?;
    audit(
        conn,
        NewEntry::new(actor.clone(), "users.password", "user", &id),
        now,
    )?;
    Ok(())
}

/// Ends every open session of a user (password changed, user disabled).
pub fn end_sessions_of(
    conn: &mut DbConn,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        staff_sessions::table
            .filter(staff_sessions::user_id.eq(user_id))
            .filter(staff_sessions::ended_at.is_null()),
    )
    .set(staff_sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)?)
}

/// A new session: the cookie's value, shown once, and the form token.
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
}

/// What a sign-in attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The user's id.
    Right(String),
    /// Wrong, disabled, or no password; the user's id when the address is
    /// one of a user (for the audit log, never for the page).
    Wrong(Option<String>),
}

/// Checks an email and password. Runs argon2 once whatever the outcome, so
/// that an unknown address takes as long as a wrong password.
pub fn check_password(
    conn: &mut DbConn,
    email: &str,
    password: &str,
) -> Result<PasswordCheck, DbError> {
    let email = email.trim().to_lowercase();
    let found: Option<(String, Option<String>, Option<NaiveDateTime>)> = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::password_hash, users::disabled_at))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((id, Some(hash), None)) => {
            if verify_password(password, &hash) {
                PasswordCheck::Right(id)
            } else {
                PasswordCheck::Wrong(Some(id))
            }
        }
        other => {
            verify_password(password, decoy_hash());
            PasswordCheck::Wrong(other.map(|(id, _, _)| id))
        }
    })
}

/// A failed sign-in to a user's account, in the audit log (`denied`).
pub fn record_failed_sign_in(
    conn: &mut DbConn,
    user_id: &str,
    request_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let entry = NewEntry::new(Actor::system("sign-in"), "session.start", "user", user_id)
        .request(request_id)
        .outcome("denied");
    audit(conn, entry, now).map(|_| ())
}

/// Starts a session for a user whose password was checked, audited as a sign-in.
pub fn start(
    conn: &mut DbConn,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<NewSession, AdminError> {
    let secret = random_secret()?;
    let csrf_token = random_secret()?;
    // The person's sessions that ended or expired are kept no longer (the
    // audit log keeps each sign-in and sign-out): the table stays small.
    let stale = (now - LONGEST).naive_utc();
    diesel::delete(
        staff_sessions::table
            .filter(staff_sessions::user_id.eq(user_id))
            .filter(
                staff_sessions::ended_at
                    .is_not_null()
                    .or(staff_sessions::created_at.lt(stale)),
            ),
    )
    .execute(conn)?;
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::id_hash.eq(hash_token(&secret)),
            staff_sessions::user_id.eq(user_id),
            staff_sessions::csrf_token.eq(&csrf_token),
            staff_sessions::created_at.eq(now.naive_utc()),
            staff_sessions::last_seen_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(Actor::staff(user_id), "session.start", "user", user_id),
        now,
    )?;
    Ok(NewSession { secret, csrf_token })
}

/// A session that is still good, with its user.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub id_hash: String,
    pub staff: Staff,
    pub name: Option<String>,
    pub csrf_token: String,
    /// `last_seen_at` is due an update ([`touch`]).
    pub touch: bool,
}

/// A session with its user, in the order of the select.
#[derive(Queryable)]
struct SessionRow {
    user_id: String,
    csrf_token: String,
    created: NaiveDateTime,
    seen: NaiveDateTime,
    ended: Option<NaiveDateTime>,
    email: String,
    name: Option<String>,
    disabled: Option<NaiveDateTime>,
}

/// The session behind a cookie's value, unless it ended, expired, or its
/// user was disabled.
pub fn find(
    conn: &mut DbConn,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<ActiveSession>, DbError> {
    let id_hash = hash_token(secret);
    let row: Option<SessionRow> = staff_sessions::table
        .inner_join(users::table)
        .filter(staff_sessions::id_hash.eq(&id_hash))
        .select((
            staff_sessions::user_id,
            staff_sessions::csrf_token,
            staff_sessions::created_at,
            staff_sessions::last_seen_at,
            staff_sessions::ended_at,
            users::email,
            users::name,
            users::disabled_at,
        ))
        .first(conn)
        .optional()?;
    let Some(SessionRow {
        user_id,
        csrf_token,
        created,
        seen,
        ended,
        email,
        name,
        disabled,
    }) = row
    else {
        return Ok(None);
    };
    let now = now.naive_utc();
    if ended.is_some() || disabled.is_some() || now - seen > IDLE || now - created > LONGEST {
        return Ok(None);
    }
    let mut roles: Vec<Role> = user_roles::table
        .filter(user_roles::user_id.eq(&user_id))
        .select(user_roles::role)
        .load::<String>(conn)?
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    roles.sort();
    Ok(Some(ActiveSession {
        id_hash,
        staff: Staff {
            user_id,
            email,
            roles,
        },
        name,
        csrf_token,
        touch: now - seen > TOUCH_EVERY,
    }))
}

/// Records that the session was used now.
pub fn touch(conn: &mut DbConn, id_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(id_hash))
        .set(staff_sessions::last_seen_at.eq(now.naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// Signs out: the session ends at once, audited.
pub fn end(conn: &mut DbConn, session: &ActiveSession, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(staff_sessions::table.find(&session.id_hash))
        .set(staff_sessions::ended_at.eq(Some(now.naive_utc())))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(
            Actor::staff(&session.staff.user_id),
            "session.end",
            "user",
            &session.staff.user_id,
        ),
        now,
    )?;
    Ok(())
}

/// A one-time link's token for a user to set their password, valid 72 hours.
pub fn invite(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let secret = random_secret()?;
    use_up_invitations(conn, user_id, now)?;
    diesel::insert_into(staff_invitations::table)
        .values((
            staff_invitations::token_hash.eq(hash_token(&secret)),
            staff_invitations::user_id.eq(user_id),
            staff_invitations::created_at.eq(now.naive_utc()),
            staff_invitations::expires_at.eq((now + INVITATION_VALID).naive_utc()),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(actor.clone(), "users.invite", "user", user_id),
        now,
    )?;
    Ok(secret)
}

/// The email of the user an unused, unexpired invitation is for.
pub fn invitation(
    conn: &mut DbConn,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbError> {
    Ok(staff_invitations::table
        .inner_join(users::table)
        .filter(staff_invitations::token_hash.eq(hash_token(secret)))
        .filter(staff_invitations::used_at.is_null())
        .filter(staff_invitations::expires_at.gt(now.naive_utc()))
        .filter(users::disabled_at.is_null())
        .select(users::email)
        .first(conn)
        .optional()?)
}

/// Sets the password through an invitation, which is then used up.
pub fn accept_invitation(
    conn: &mut DbConn,
    secret: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let email = invitation(conn, secret, now)?.ok_or_else(|| {
        AdminError::NotFound("this invitation is used, expired or unknown".into())
    })?;
    let user_id = super::store::user_id_by_email(conn, &email)?;
    // A password refused leaves the link usable (the caller's transaction
    // commits what happened before an error it returns as a value).
    if let Some(problem) = password_problem(password, &email) {
        return Err(AdminError::Invalid(format!("the password {problem}")));
    }
    // Used up first, once: a second request with the same link finds it
    // used and changes nothing.
    let used = diesel::update(
        staff_invitations::table
            .find(hash_token(secret))
            .filter(staff_invitations::used_at.is_null()),
    )
    .set(staff_invitations::used_at.eq(Some(now.naive_utc())))
    .execute(conn)?;
    if used != 1 {
        return Err(AdminError::NotFound(
            "this invitation is used, expired or unknown".into(),
        ));
    }
    set_password(conn, &Actor::staff(&user_id), &email, password, now)?;
    Ok(())
}

/// Every open invitation of a user is used up: a password was set, or a
/// new link replaces them.
fn use_up_invitations(conn: &mut DbConn, user_id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(
        staff_invitations::table
            .filter(staff_invitations::user_id.eq(user_id))
            .filter(staff_invitations::used_at.is_null()),
    )
    .set(staff_invitations::used_at.eq(Some(now.naive_utc())))
    .execute(conn)?;
    Ok(())
}
