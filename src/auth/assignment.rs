//! Handing work to another member of staff: who may take it on (an enabled
//! user with the role the work needs), the bodies that name them, and what
//! moving a whole caseload answers. The commands that hand over a client or
//! a return case are in `clients` and `cases`.

use serde::{Deserialize, Serialize};
use validator::Validate;

use super::Role;
use crate::domain::FieldError;

/// `POST /api/v1/clients/{id}/assign` and `POST /api/v1/return-cases/{id}/assign`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignee {
    /// The counsellor who takes over the client, or the caseworker who
    /// takes over the return case: an enabled user with that role.
    pub user_id: uuid::Uuid,
}

/// What taking work on depends on: whether the user may sign in, and
/// their roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub enabled: bool,
    pub roles: Vec<Role>,
}

/// Whether the user `standing` describes (`None`: there is no such user)
/// may take on work that needs `role`; if not, why, as the message beside
/// the field that named them.
pub fn may_take_on(standing: Option<&Standing>, role: Role) -> Result<(), String> {
    match standing {
        None => Err("is not a user".to_owned()),
        Some(user) if !user.enabled => Err("is a disabled user".to_owned()),
        Some(user) if !user.roles.contains(&role) => Err(format!("is not a {role}")),
        Some(_) => Ok(()),
    }
}

/// The two users of a caseload's move, checked together so that every bad
/// field is named: `from_user_id` must be a user (disabled or not, with any
/// role: a caseload is moved most often from someone who left), and
/// `to_user_id` another user who may take the work on.
pub fn caseload_move_errors(
    from: (&str, bool),
    to: (&str, Option<&Standing>),
    role: Role,
) -> Vec<FieldError> {
    let (from_id, from_exists) = from;
    let (to_id, to_standing) = to;
    let mut errors = Vec::new();
    if !from_exists {
        errors.push(FieldError::new("from_user_id", "is not a user"));
    }
    if from_id == to_id {
        errors.push(FieldError::new("to_user_id", "must not be from_user_id"));
    } else if let Err(message) = may_take_on(to_standing, role) {
        errors.push(FieldError::new("to_user_id", message));
    }
    errors
}

/// What moving a caseload did: how many records moved, and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseloadMoved {
    /// How many records moved (the length of `ids`).
    pub moved: usize,
    /// The clients or return cases moved, in id order.
    pub ids: Vec<String>,
}

impl CaseloadMoved {
    pub fn of(ids: Vec<String>) -> Self {
        Self {
            moved: ids.len(),
            ids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(enabled: bool, roles: &[Role]) -> Standing {
        Standing {
            enabled,
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn only_an_enabled_user_with_the_role_may_take_work_on() {
        let counsellor = user(true, &[Role::Counsellor]);
        assert_eq!(may_take_on(Some(&counsellor), Role::Counsellor), Ok(()));
        assert_eq!(
            may_take_on(Some(&counsellor), Role::Caseworker),
            Err("is not a caseworker".to_owned())
        );
        let both = user(true, &[Role::Caseworker, Role::Lead]);
        assert_eq!(may_take_on(Some(&both), Role::Caseworker), Ok(()));
        assert_eq!(
            may_take_on(Some(&user(false, &[Role::Counsellor])), Role::Counsellor),
            Err("is a disabled user".to_owned())
        );
        assert_eq!(
            may_take_on(None, Role::Counsellor),
            Err("is not a user".to_owned())
        );
    }

    #[test]
    fn a_caseload_move_names_every_bad_user() {
        let counsellor = user(true, &[Role::Counsellor]);
        assert!(
            caseload_move_errors(("a", true), ("b", Some(&counsellor)), Role::Counsellor)
                .is_empty()
        );
        let fields = |errors: Vec<FieldError>| -> Vec<(String, String)> {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        };
        assert_eq!(
            fields(caseload_move_errors(
                ("a", false),
                ("b", None),
                Role::Counsellor
            )),
            [
                ("from_user_id".to_owned(), "is not a user".to_owned()),
                ("to_user_id".to_owned(), "is not a user".to_owned()),
            ]
        );
        assert_eq!(
            fields(caseload_move_errors(
                ("a", true),
                ("a", Some(&counsellor)),
                Role::Counsellor
            )),
            [(
                "to_user_id".to_owned(),
                "must not be from_user_id".to_owned()
            )]
        );
        // A disabled user's caseload can be moved away from them.
        assert!(
            caseload_move_errors(("gone", true), ("b", Some(&counsellor)), Role::Counsellor)
                .is_empty()
        );
    }
}
