//! The partner portal (`/portal`): for partner organisations without a
//! developer, the same work as `/partner/v1` in a phone browser, on the
//! same commands, rules, audit entries and events, with the staff UI's
//! stack (`crate::web`). People at a partner sign in with a password and a
//! second factor (TOTP); a focal point drafts plans, monitoring reports
//! and closures, a coordinator submits them (four eyes).

pub mod people;
pub mod sessions;
pub mod totp;
