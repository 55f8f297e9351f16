//! The Team page: leads hand clients, return cases and whole caseloads to
//! colleagues, with the API's commands and audit, without seeing names.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::spawn_app;
use crate::web_helpers::{signed_in, staff_user};

/// A client registered through the API by this counsellor's token.
async fn client_of(app: &TestApp, counsellor_token: &str, given: &str) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/v1/clients"))
        .bearer_auth(counsellor_token)
        .json(&json!({
            "given_name": given,
            "family_name": "Voorbeeld",
            "date_of_birth": "1991-04-05",
            "country_of_origin": "IQ",
            "languages": ["ar"]
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    (
        body["id"].as_str().expect("id").to_owned(),
        body["reference"].as_str().expect("reference").to_owned(),
    )
}

async fn mine(app: &TestApp, token: &str) -> Vec<String> {
    let body: Value = app
        .get_as(Some(token), "/api/v1/clients?mine=true")
        .await
        .json()
        .await
        .expect("json");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_lead_hands_one_client_and_then_a_whole_caseload_to_a_colleague() {
    let app = spawn_app().await;
    let old_token = app.staff_token(&[Role::Counsellor]).await;
    let (_, new_id) = staff_user(&app, &[Role::Counsellor], "Nora Nieuw").await;
    let (first, first_ref) = client_of(&app, &old_token, "Eerste").await;
    let (second, _) = client_of(&app, &old_token, "Tweede").await;
    let (third, _) = client_of(&app, &old_token, "Derde").await;
    let (mut lead, lead_id) = signed_in(&app, &[Role::Lead], "Lea Lead").await;

    let page = lead.get("/team").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Nora Nieuw"));
    // Leads see caseload sizes, never the clients' names.
    assert!(
        !page.contains("Eerste") && !page.contains("Voorbeeld"),
        "a name leaked"
    );

    let refused = lead
        .post(
            "/team/clients",
            &[("reference", "TO-AAAAA"), ("user_id", &new_id)],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.field_error("reference").as_deref(),
        Some("is van geen enkele cliënt de referentie")
    );
    assert_eq!(
        refused.field_value("reference").as_deref(),
        Some("TO-AAAAA")
    );

    let moved = lead
        .post(
            "/team/clients",
            &[("reference", &first_ref), ("user_id", &new_id)],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    assert!(
        lead.get("/team?moved=1")
            .await
            .contains("Eén dossier is overgedragen.")
    );
    assert_eq!(mine(&app, &old_token).await.len(), 2);

    // The rest of the old counsellor's caseload, in one go.
    let me: Value = app
        .get_as(Some(&old_token), "/api/v1/me")
        .await
        .json()
        .await
        .expect("json");
    let old_id = me["id"]
        .as_str()
        .or(me["user_id"].as_str())
        .expect("id")
        .to_owned();
    lead.get("/team").await;
    let all = lead
        .post(
            "/team/caseloads",
            &[
                ("kind", "clients"),
                ("from_user_id", &old_id),
                ("to_user_id", &new_id),
            ],
        )
        .await;
    assert_eq!(all.location.as_deref(), Some("/team?moved=2"));
    assert!(mine(&app, &old_token).await.is_empty());
    let admin = app.staff_token(&[Role::Admin]).await;
    let audit: Value = app
        .get_as(Some(&admin), &format!("/api/v1/audit?actor={lead_id}"))
        .await
        .json()
        .await
        .expect("json");
    let mut subjects: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["operation"] == "clients.assign" || e["operation"] == "assignments.move")
        .map(|e| {
            (
                e["operation"].as_str().expect("op").to_owned(),
                e["subject_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    subjects.sort();
    let mut expected = vec![
        ("assignments.move".to_owned(), second.clone()),
        ("assignments.move".to_owned(), third.clone()),
        ("clients.assign".to_owned(), first.clone()),
    ];
    expected.sort();
    assert_eq!(subjects, expected);
}

#[tokio::test]
async fn a_caseload_move_with_nobody_chosen_names_the_fields_and_moves_nothing() {
    let app = spawn_app().await;
    let token = app.staff_token(&[Role::Counsellor]).await;
    client_of(&app, &token, "Blijft").await;
    let (mut lead, _) = signed_in(&app, &[Role::Admin], "Ada Admin").await;
    lead.get("/team").await;
    let refused = lead
        .post(
            "/team/caseloads",
            &[
                ("kind", "clients"),
                ("from_user_id", ""),
                ("to_user_id", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.field_error("from_user_id").is_some(),
        "{}",
        refused.html
    );
    assert!(refused.field_error("to_user_id").is_some());
    assert_eq!(mine(&app, &token).await.len(), 1);
}

#[tokio::test]
async fn counsellors_and_caseworkers_cannot_open_the_team_page() {
    let app = spawn_app().await;
    for role in [Role::Counsellor, Role::Caseworker] {
        let (mut browser, _) = signed_in(&app, &[role], "Iemand").await;
        let home = browser.get("/").await;
        assert!(!home.contains("href=\"/team\""), "{role:?} is offered Team");
        let page = browser.get("/team").await;
        assert_eq!(page.status, 403, "{role:?}");
        assert!(page.contains("Geen toegang"));
        let post = browser
            .post(
                "/team/caseloads",
                &[
                    ("kind", "clients"),
                    ("from_user_id", "x"),
                    ("to_user_id", "y"),
                ],
            )
            .await;
        assert_eq!(post.status, 403);
    }
}

#[tokio::test]
async fn an_administrator_invites_a_colleague_who_then_signs_in_and_disables_another() {
    let app = spawn_app().await;
    let (mut admin, admin_id) = signed_in(&app, &[Role::Admin], "Ada Admin").await;
    let page = admin.get("/team").await;
    assert!(page.contains("Collega uitnodigen"));
    let refused = admin
        .post(
            "/team/users",
            &[("email", "geen-adres"), ("roles", "counsellor")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.field_error("email").as_deref(),
        Some("is geen e-mailadres")
    );
    let no_role = admin
        .post("/team/users", &[("email", "nina@example.org")])
        .await;
    assert_eq!(
        no_role.field_error("roles").as_deref(),
        Some("is verplicht")
    );

    let invited = admin
        .post(
            "/team/users",
            &[
                ("email", "nina@example.org"),
                ("name", "Nina Nieuw"),
                ("roles", "counsellor"),
                ("roles", "caseworker"),
            ],
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.html);
    assert!(invited.contains("Uitnodiging voor nina@example.org"));
    let start = invited
        .html
        .find("<code class=\"link\">")
        .expect("the link")
        + 19;
    let link = &invited.html[start..start + invited.html[start..].find('<').expect("end")];
    let path = &link[link.find("/invite/").expect("path")..];
    let mut nina = crate::web_helpers::Browser::new(&app);
    nina.get(path).await;
    let set = nina
        .post(
            path,
            &[
                ("password", crate::web_helpers::PASSWORD),
                ("again", crate::web_helpers::PASSWORD),
            ],
        )
        .await;
    assert_eq!(set.status, 303);
    nina.sign_in("nina@example.org", crate::web_helpers::PASSWORD)
        .await;
    assert!(nina.get("/clients").await.contains("Cliënten"));
    let again = admin
        .post(
            "/team/users",
            &[("email", "nina@example.org"), ("roles", "lead")],
        )
        .await;
    assert_eq!(
        again.field_error("email").as_deref(),
        Some("is al een collega")
    );

    // Disabled from the page: Nina is signed out at once.
    let nina_id: String = app
        .write(|conn, _| {
            use brug::db::schema::users;
            use diesel::prelude::*;
            Ok(users::table
                .filter(users::email.eq("nina@example.org"))
                .select(users::id)
                .first(conn)?)
        })
        .await;
    admin.get("/team").await;
    let disabled = admin
        .post(&format!("/team/users/{nina_id}/disable"), &[])
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.html);
    assert_eq!(nina.get("/").await.location.as_deref(), Some("/login"));
    assert!(admin.get("/team").await.contains("uitgeschakeld"));
    let own = admin
        .post(&format!("/team/users/{admin_id}/disable"), &[])
        .await;
    assert_eq!(own.status, 409);
    assert!(own.contains("U kunt uzelf niet uitschakelen."));

    // Both recorded under the administrator.
    let audit: Value = app
        .get_as(
            Some(&app.staff_token(&[Role::Admin]).await),
            &format!("/api/v1/audit?actor={admin_id}"),
        )
        .await
        .json()
        .await
        .expect("json");
    let operations: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["operation"].as_str())
        .collect();
    for operation in ["users.add", "users.invite", "users.disable"] {
        assert!(
            operations.contains(&operation),
            "{operation} missing: {operations:?}"
        );
    }
}

#[tokio::test]
async fn a_lead_sees_the_team_but_manages_no_users() {
    let app = spawn_app().await;
    let (mut lead, _) = signed_in(&app, &[Role::Lead], "Lea").await;
    let page = lead.get("/team").await;
    assert!(!page.contains("Collega uitnodigen") && !page.contains("Uitschakelen"));
    let refused = lead
        .post(
            "/team/users",
            &[("email", "x@example.org"), ("roles", "admin")],
        )
        .await;
    assert_eq!(refused.status, 403);
}
