//! The second factor: time-based one-time passwords (RFC 6238: SHA-1, six
//! digits, 30-second steps, one step of drift either way), which every
//! authenticator app reads from the enrolment QR code. A code is accepted
//! once: the step it belongs to is kept, and a code of that step or an
//! earlier one is refused (a code overheard is no use).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use qrcode::QrCode;
use qrcode::render::svg;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::audit::NewEntry;
use crate::audit::store::append as audit;
use crate::auth::NoRandomness;
use crate::db::schema::partner_users;
use crate::db::{DbConn, DbError};

const STEP: u64 = 30;
const DIGITS: u8 = 6;
/// Shown in the authenticator app beside the person's email.
const ISSUER: &str = "Brug";

/// A new secret: 160 random bits (what RFC 4226 recommends), in Base32.
pub fn new_secret() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(Secret::from(bytes).to_base32())
}

fn totp(secret: &str, account: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The code of a moment (tests and the browser tests' authenticator).
pub fn code_at(secret: &str, unix_seconds: u64) -> Option<String> {
    Some(
        totp(secret, "x@example.org")?
            .generate(unix_seconds)
            .to_string(),
    )
}

/// The step a code belongs to, if it is right now (one step of drift
/// either way) and later than `after`.
pub fn matching_step(
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
    after: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "x@example.org")?;
    let current = u64::try_from(now.timestamp()).ok()? / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| after.is_none_or(|last| i64::try_from(*step).is_ok_and(|s| s > last)))
        .find(|step| {
            let expected = totp.generate(step * STEP).to_string();
            bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// The enrolment QR code, an SVG drawn on the server, for the
/// `otpauth://` URL of the person's secret.
pub fn qr_svg(secret: &str, account: &str) -> Option<String> {
    let url = totp(secret, account)?.to_url().ok()?;
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// The person's secret, made now if they have none yet (enrolment starts).
pub fn secret_for_enrolment(conn: &mut DbConn, user_id: &str) -> Result<Option<String>, DbError> {
    let (secret, enrolled): (Option<String>, Option<chrono::NaiveDateTime>) = partner_users::table
        .find(user_id)
        .select((partner_users::totp_secret, partner_users::totp_enrolled_at))
        .first(conn)?;
    if enrolled.is_some() {
        return Ok(None);
    }
    if let Some(secret) = secret {
        return Ok(Some(secret));
    }
    let secret = new_secret().map_err(|e| DbError::Config(e.to_string()))?;
    diesel::update(partner_users::table.find(user_id))
        .set(partner_users::totp_secret.eq(Some(&secret)))
        .execute(conn)?;
    Ok(Some(secret))
}

/// Checks a code against the person's secret; right, it is used up (and
/// enrolment, if it was under way, ends). Audited either way.
pub fn check(
    conn: &mut DbConn,
    user_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let (secret, last, enrolled): (Option<String>, Option<i64>, Option<chrono::NaiveDateTime>) =
        partner_users::table
            .find(user_id)
            .select((
                partner_users::totp_secret,
                partner_users::totp_last_step,
                partner_users::totp_enrolled_at,
            ))
            .first(conn)?;
    let step = secret
        .as_deref()
        .and_then(|secret| matching_step(secret, code, now, last));
    let actor = super::partner_users::actor(user_id);
    let operation = if enrolled.is_some() {
        "partner_users.second_factor"
    } else {
        "partner_users.enrol"
    };
    let Some(step) = step else {
        audit(
            conn,
            NewEntry::new(actor, operation, "partner_user", user_id).outcome("denied"),
            now,
        )?;
        return Ok(false);
    };
    // Only if no one used this step (or a later one) meanwhile: a code is
    // good once, even for two requests at the same moment.
    let used = diesel::update(
        partner_users::table.find(user_id).filter(
            partner_users::totp_last_step
                .is_null()
                .or(partner_users::totp_last_step.lt(step)),
        ),
    )
    .set((
        partner_users::totp_last_step.eq(Some(step)),
        partner_users::totp_enrolled_at.eq(Some(enrolled.unwrap_or(now.naive_utc()))),
    ))
    .execute(conn)?;
    let entry = NewEntry::new(actor, operation, "partner_user", user_id);
    if used != 1 {
        audit(conn, entry.outcome("denied"), now)?;
        return Ok(false);
    }
    audit(conn, entry, now)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits there; the
    /// last six of each here).
    #[test]
    fn codes_follow_rfc_6238() {
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(code_at(&secret, 1_234_567_890).as_deref(), Some("005924"));
        assert_eq!(code_at(&secret, 2_000_000_000).as_deref(), Some("279037"));
    }

    #[test]
    fn a_code_is_good_for_one_step_either_way_and_only_once() {
        let secret = new_secret().expect("secret");
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let step = 1_800_000_000 / 30;
        let code = code_at(&secret, 1_800_000_000).expect("code");
        assert_eq!(matching_step(&secret, &code, now, None), Some(step));
        let earlier = code_at(&secret, 1_800_000_000 - 30).expect("code");
        assert_eq!(matching_step(&secret, &earlier, now, None), Some(step - 1));
        let too_old = code_at(&secret, 1_800_000_000 - 60).expect("code");
        assert_eq!(matching_step(&secret, &too_old, now, None), None);
        assert_eq!(
            matching_step(&secret, &code, now, Some(step)),
            None,
            "a code used once is refused"
        );
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(matching_step(&secret, &spaced, now, None), Some(step));
    }

    #[test]
    fn the_qr_code_is_an_svg_without_inline_style() {
        let secret = new_secret().expect("secret");
        let svg = qr_svg(&secret, "focal@example.org").expect("svg");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(!svg.contains("style="), "the CSP forbids inline style");
    }
}
