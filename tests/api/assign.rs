//! Handing work on, as leads and administrators do: one client to another
//! counsellor, one return case to another caseworker, or a user's whole
//! caseload at once. Only an enabled user with the right role takes work
//! on; each record handed on is one audit entry; a caseload moves whole or
//! not at all.

use std::collections::BTreeSet;

use brug::auth::Role;
use brug::auth::commands as auth_commands;
use brug::auth::store::AdminError;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, named_fields, problem, spawn_app};
use crate::referrals::{Stage, day, ok, send};

/// A member of staff: their token, id and email.
struct Person {
    token: String,
    id: String,
    email: String,
}

async fn person(app: &TestApp, role: Role) -> Person {
    person_with(app, app.staff_token(&[role]).await).await
}

async fn person_with(app: &TestApp, token: String) -> Person {
    let me = ok(app.get_as(Some(&token), "/api/v1/me").await, 200).await;
    Person {
        id: me["id"].as_str().expect("an id").to_owned(),
        email: me["email"].as_str().expect("an email").to_owned(),
        token,
    }
}

async fn disable(app: &TestApp, who: &Person) {
    let email = who.email.clone();
    app.write(move |conn, now| auth_commands::disable_user(conn, &email, now))
        .await;
}

async fn post(app: &TestApp, who: &Person, path: &str, body: Value) -> reqwest::Response {
    send(app, &who.token, Method::POST, path, Some(body)).await
}

async fn get(app: &TestApp, who: &Person, path: &str) -> Value {
    ok(send(app, &who.token, Method::GET, path, None).await, 200).await
}

/// A client registered by `by`, who then holds it.
async fn register(app: &TestApp, by: &Person, given_name: &str) -> String {
    let body = json!({
        "given_name": given_name, "family_name": "Example", "date_of_birth": "1991-04-05",
        "country_of_origin": "GH", "languages": ["en"]
    });
    let client = ok(post(app, by, "/api/v1/clients", body).await, 201).await;
    client["id"].as_str().expect("an id").to_owned()
}

/// A return case opened by the caseworker `by` (for a client of their own),
/// who then holds it.
async fn open_case(app: &TestApp, by: &Person, given_name: &str) -> String {
    let client = register(app, by, given_name).await;
    let body = json!({
        "client_id": client, "destination_country": "GH", "needs": ["housing"],
        "planned_departure_on": day(30)
    });
    let case = ok(post(app, by, "/api/v1/return-cases", body).await, 201).await;
    case["id"].as_str().expect("an id").to_owned()
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

/// The clients `who` finds under "mine".
async fn caseload(app: &TestApp, who: &Person) -> BTreeSet<String> {
    ids(&get(app, who, "/api/v1/clients?mine=true&limit=500").await)
}

async fn caseworker_of(app: &TestApp, reader: &Person, case: &str) -> String {
    let case = get(app, reader, &format!("/api/v1/return-cases/{case}")).await;
    case["caseworker_id"]
        .as_str()
        .expect("a caseworker")
        .to_owned()
}

/// The audit entries of `actor` for `operation`, read by an administrator.
async fn audited(app: &TestApp, admin: &Person, actor: &Person, operation: &str) -> Vec<Value> {
    let page = get(
        app,
        admin,
        &format!("/api/v1/audit?actor={}&limit=500", actor.id),
    )
    .await;
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|entry| entry["operation"] == operation)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_lead_hands_a_client_to_another_counsellor_and_it_moves_between_their_caseloads() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let admin = person(&app, Role::Admin).await;
    let amina = person(&app, Role::Counsellor).await;
    let bram = person(&app, Role::Counsellor).await;
    let handed = register(&app, &amina, "Kofi").await;
    let kept = register(&app, &amina, "Esi").await;

    let path = format!("/api/v1/clients/{handed}/assign");
    let answer = ok(
        post(&app, &lead, &path, json!({"user_id": bram.id})).await,
        200,
    )
    .await;
    assert_eq!(answer["id"], handed.as_str());
    assert_eq!(answer["counsellor_id"], bram.id.as_str());
    assert_eq!(answer["previous_counsellor_id"], amina.id.as_str());
    assert!(
        answer.get("given_name").is_none() && answer.get("family_name").is_none(),
        "a lead sees no names: {answer}"
    );

    assert_eq!(caseload(&app, &bram).await, set(&[&handed]));
    assert_eq!(caseload(&app, &amina).await, set(&[&kept]));
    let client = get(&app, &bram, &format!("/api/v1/clients/{handed}")).await;
    assert_eq!(client["counsellor_id"], bram.id.as_str());
    assert_eq!(
        client["given_name"], "Kofi",
        "the record itself is unchanged"
    );

    // To the counsellor who holds it already: nothing changes, yet it is
    // an act on the record like any other, and recorded.
    let again = ok(
        post(&app, &lead, &path, json!({"user_id": bram.id})).await,
        200,
    )
    .await;
    assert_eq!(again["counsellor_id"], bram.id.as_str());
    assert_eq!(again["previous_counsellor_id"], bram.id.as_str());
    assert_eq!(caseload(&app, &bram).await, set(&[&handed]));

    // An administrator may hand it back.
    let back = ok(
        post(&app, &admin, &path, json!({"user_id": amina.id})).await,
        200,
    )
    .await;
    assert_eq!(back["counsellor_id"], amina.id.as_str());
    assert_eq!(caseload(&app, &amina).await, set(&[&handed, &kept]));
    assert!(caseload(&app, &bram).await.is_empty());

    let entries = audited(&app, &admin, &lead, "clients.assign").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry["subject_type"], "client", "{entry}");
        assert_eq!(entry["subject_id"], handed.as_str(), "{entry}");
        assert_eq!(entry["outcome"], "ok", "{entry}");
    }
    assert_eq!(
        audited(&app, &admin, &admin, "clients.assign").await.len(),
        1
    );
}

#[tokio::test]
async fn a_lead_hands_a_return_case_to_another_caseworker_noted_in_its_history() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let admin = person(&app, Role::Admin).await;
    let xander = person(&app, Role::Caseworker).await;
    let yara = person(&app, Role::Caseworker).await;
    let case = open_case(&app, &xander, "Yaw").await;
    assert_eq!(caseworker_of(&app, &xander, &case).await, xander.id);

    let path = format!("/api/v1/return-cases/{case}/assign");
    let answer = ok(
        post(&app, &lead, &path, json!({"user_id": yara.id})).await,
        200,
    )
    .await;
    assert_eq!(answer["id"], case.as_str());
    assert_eq!(answer["status"], "open");
    assert_eq!(answer["caseworker_id"], yara.id.as_str());
    assert_eq!(answer["previous_caseworker_id"], xander.id.as_str());

    let view = get(&app, &yara, &format!("/api/v1/return-cases/{case}")).await;
    assert_eq!(view["caseworker_id"], yara.id.as_str());
    assert_eq!(view["opened_by"], xander.id.as_str(), "who opened it stays");
    let history = view["history"].as_array().expect("history");
    let last = history.last().expect("an entry");
    assert_eq!(last["change"], "reassigned", "{history:?}");
    assert_eq!(last["detail"], yara.id.as_str());
    assert_eq!(last["actor_id"], lead.id.as_str());

    // The same caseworker again: 200, and nothing new in the history.
    ok(
        post(&app, &lead, &path, json!({"user_id": yara.id})).await,
        200,
    )
    .await;
    let view = get(&app, &yara, &format!("/api/v1/return-cases/{case}")).await;
    assert_eq!(
        view["history"].as_array().expect("history").len(),
        history.len()
    );

    let entries = audited(&app, &admin, &lead, "cases.assign").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry["subject_type"], "return_case", "{entry}");
        assert_eq!(entry["subject_id"], case.as_str(), "{entry}");
    }
}

#[tokio::test]
async fn work_goes_only_to_an_enabled_user_with_the_role_it_needs() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let amina = person(&app, Role::Counsellor).await;
    let xander = person(&app, Role::Caseworker).await;
    let gone = person(&app, Role::Counsellor).await;
    disable(&app, &gone).await;
    let client = register(&app, &amina, "Kwame").await;
    let case = open_case(&app, &xander, "Akua").await;
    let client_path = format!("/api/v1/clients/{client}/assign");
    let case_path = format!("/api/v1/return-cases/{case}/assign");

    let nobody = uuid::Uuid::now_v7().to_string();
    for (path, user, message) in [
        (&client_path, &xander.id, "is not a counsellor"),
        (&client_path, &lead.id, "is not a counsellor"),
        (&client_path, &gone.id, "is a disabled user"),
        (&client_path, &nobody, "is not a user"),
        (&case_path, &amina.id, "is not a caseworker"),
        (&case_path, &nobody, "is not a user"),
    ] {
        let body = problem(post(&app, &lead, path, json!({"user_id": user})).await, 422).await;
        assert_eq!(named_fields(&body), ["user_id"], "{path} to {user}: {body}");
        assert_eq!(body["errors"][0]["message"], message, "{path}: {body}");
    }
    for bad in [json!({"user_id": "someone"}), json!({})] {
        let body = problem(post(&app, &lead, &client_path, bad).await, 422).await;
        assert_eq!(named_fields(&body), ["user_id"], "{body}");
    }

    // Nothing moved.
    assert_eq!(caseload(&app, &amina).await, set(&[&client]));
    assert_eq!(caseworker_of(&app, &xander, &case).await, xander.id);

    // No such client or case: 404, whoever was named.
    let unknown = uuid::Uuid::now_v7();
    for path in [
        format!("/api/v1/clients/{unknown}/assign"),
        format!("/api/v1/return-cases/{unknown}/assign"),
    ] {
        problem(
            post(&app, &lead, &path, json!({"user_id": amina.id})).await,
            404,
        )
        .await;
    }
    // Nor may a caseworker hand their own case to a colleague.
    let yara = person(&app, Role::Caseworker).await;
    problem(
        post(&app, &xander, &case_path, json!({"user_id": yara.id})).await,
        403,
    )
    .await;
    assert_eq!(caseworker_of(&app, &xander, &case).await, xander.id);
}

#[tokio::test]
async fn a_counsellors_whole_caseload_moves_and_nobody_elses_each_client_recorded() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let admin = person(&app, Role::Admin).await;
    let amina = person(&app, Role::Counsellor).await;
    let bram = person(&app, Role::Counsellor).await;
    let chloe = person(&app, Role::Counsellor).await;
    let mut hers = Vec::new();
    for name in ["Ama", "Kojo", "Efua"] {
        hers.push(register(&app, &amina, name).await);
    }
    let chloes = register(&app, &chloe, "Kweku").await;
    let brams = register(&app, &bram, "Adwoa").await;
    // Amina leaves: her caseload moves even though she can no longer sign in.
    disable(&app, &amina).await;

    let body = json!({"from_user_id": amina.id, "to_user_id": bram.id, "kind": "clients"});
    let moved = ok(post(&app, &lead, "/api/v1/assignments", body).await, 200).await;
    let mut expected = hers.clone();
    expected.sort();
    assert_eq!(moved["moved"], 3);
    assert_eq!(moved["ids"], json!(expected));

    let mut bram_holds: Vec<&String> = hers.iter().collect();
    bram_holds.push(&brams);
    assert_eq!(caseload(&app, &bram).await, set(&bram_holds));
    assert_eq!(caseload(&app, &chloe).await, set(&[&chloes]));

    let entries = audited(&app, &admin, &lead, "assignments.move").await;
    assert_eq!(entries.len(), 3, "one entry per client: {entries:?}");
    let subjects: BTreeSet<String> = entries
        .iter()
        .inspect(|e| {
            assert_eq!(e["subject_type"], "client", "{e}");
            assert_eq!(e["outcome"], "ok", "{e}");
            assert_eq!(e["request_id"], entries[0]["request_id"], "one request");
        })
        .map(|e| e["subject_id"].as_str().expect("a subject").to_owned())
        .collect();
    assert_eq!(subjects, set(&hers.iter().collect::<Vec<_>>()));

    // Nothing left to move: 200, none moved, nothing recorded.
    let body = json!({"from_user_id": amina.id, "to_user_id": bram.id, "kind": "clients"});
    let none = ok(post(&app, &admin, "/api/v1/assignments", body).await, 200).await;
    assert_eq!(none, json!({"moved": 0, "ids": []}));
    assert!(
        audited(&app, &admin, &admin, "assignments.move")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_caseworkers_open_cases_move_and_closed_ones_stay() {
    let stage = Stage::new().await;
    let app = &stage.app;
    let lead = person(app, Role::Lead).await;
    let admin = person(app, Role::Admin).await;
    let xander = person_with(app, stage.caseworker.clone()).await;
    let yara = person(app, Role::Caseworker).await;
    let zeno = person(app, Role::Caseworker).await;

    // The stage's case runs to its end and closes.
    let referral = stage.accepted_referral().await;
    let closed = stage.case_id.clone();
    ok(
        post(
            app,
            &xander,
            &format!("/api/v1/return-cases/{closed}/departure"),
            json!({"departed_on": day(0)}),
        )
        .await,
        200,
    )
    .await;
    let arrival = json!({"arrived_on": day(0), "received": true});
    ok(
        stage
            .partner(&stage.accra, &referral, "arrival", arrival)
            .await,
        200,
    )
    .await;
    let closure = json!({"outcome": "completed"});
    ok(
        stage
            .partner(&stage.accra, &referral, "close", closure)
            .await,
        200,
    )
    .await;
    let open_one = open_case(app, &xander, "Kofi").await;
    let open_two = open_case(app, &xander, "Abla").await;
    let zenos = open_case(app, &zeno, "Mensah").await;

    let body = json!({"from_user_id": xander.id, "to_user_id": yara.id, "kind": "return_cases"});
    let moved = ok(post(app, &lead, "/api/v1/assignments", body).await, 200).await;
    let mut expected = vec![open_one.clone(), open_two.clone()];
    expected.sort();
    assert_eq!(moved["moved"], 2);
    assert_eq!(moved["ids"], json!(expected));

    for case in [&open_one, &open_two] {
        let view = get(app, &yara, &format!("/api/v1/return-cases/{case}")).await;
        assert_eq!(view["caseworker_id"], yara.id.as_str());
        let last = view["history"]
            .as_array()
            .and_then(|h| h.last().cloned())
            .expect("a history");
        assert_eq!(last["change"], "reassigned");
        assert_eq!(last["detail"], yara.id.as_str());
    }
    let view = get(app, &xander, &format!("/api/v1/return-cases/{closed}")).await;
    assert_eq!(view["status"], "closed");
    assert_eq!(
        view["caseworker_id"],
        xander.id.as_str(),
        "a closed case stays"
    );
    assert_eq!(caseworker_of(app, &zeno, &zenos).await, zeno.id);

    let entries = audited(app, &admin, &lead, "assignments.move").await;
    let subjects: BTreeSet<String> = entries
        .iter()
        .inspect(|e| assert_eq!(e["subject_type"], "return_case", "{e}"))
        .map(|e| e["subject_id"].as_str().expect("a subject").to_owned())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(subjects, set(&[&open_one, &open_two]));
}

#[tokio::test]
async fn a_caseload_move_refused_moves_nothing_and_names_every_bad_field() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let admin = person(&app, Role::Admin).await;
    let amina = person(&app, Role::Counsellor).await;
    let bram = person(&app, Role::Counsellor).await;
    let xander = person(&app, Role::Caseworker).await;
    let gone = person(&app, Role::Counsellor).await;
    disable(&app, &gone).await;
    let hers = [
        register(&app, &amina, "Ama").await,
        register(&app, &amina, "Kojo").await,
    ];
    let nobody = uuid::Uuid::now_v7().to_string();

    let cases = [
        (
            json!({"from_user_id": amina.id, "to_user_id": xander.id, "kind": "clients"}),
            vec![("to_user_id", "is not a counsellor")],
        ),
        (
            json!({"from_user_id": amina.id, "to_user_id": bram.id, "kind": "return_cases"}),
            vec![("to_user_id", "is not a caseworker")],
        ),
        (
            json!({"from_user_id": amina.id, "to_user_id": gone.id, "kind": "clients"}),
            vec![("to_user_id", "is a disabled user")],
        ),
        (
            json!({"from_user_id": nobody, "to_user_id": nobody, "kind": "clients"}),
            vec![
                ("from_user_id", "is not a user"),
                ("to_user_id", "must not be from_user_id"),
            ],
        ),
        (
            json!({"from_user_id": amina.id, "to_user_id": amina.id, "kind": "clients"}),
            vec![("to_user_id", "must not be from_user_id")],
        ),
    ];
    for (body, expected) in cases {
        let refused = problem(
            post(&app, &lead, "/api/v1/assignments", body.clone()).await,
            422,
        )
        .await;
        let named: Vec<(String, String)> = refused["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap_or_default().to_owned(),
                    e["message"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
            .collect();
        assert_eq!(named, expected, "{body}");
    }
    // Bad shapes are named field by field before anything is looked up.
    let body = problem(
        post(
            &app,
            &lead,
            "/api/v1/assignments",
            json!({"from_user_id": "amina", "kind": "everything"}),
        )
        .await,
        422,
    )
    .await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["from_user_id", "kind", "to_user_id"], "{body}");

    assert_eq!(
        caseload(&app, &amina).await,
        set(&hers.iter().collect::<Vec<_>>())
    );
    assert!(caseload(&app, &bram).await.is_empty());
    assert!(
        audited(&app, &admin, &lead, "assignments.move")
            .await
            .is_empty()
    );
}

/// Makes the database refuse to hand this one client on, as a failure
/// halfway through a move would.
async fn refuse_to_move(app: &TestApp, client: &str) {
    let statements = if app.database.is_postgres() {
        vec![
            "CREATE FUNCTION refuse_handover() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse_handover BEFORE UPDATE ON clients FOR EACH ROW \
                 WHEN (NEW.id = '{client}') EXECUTE FUNCTION refuse_handover()"
            ),
        ]
    } else {
        vec![format!(
            "CREATE TRIGGER refuse_handover BEFORE UPDATE ON clients \
             WHEN NEW.id = '{client}' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
        )]
    };
    app.write(move |conn, _| {
        for statement in &statements {
            diesel::sql_query(statement.as_str())
                .execute(conn)
                .map_err(AdminError::from)?;
        }
        Ok(())
    })
    .await;
}

async fn allow_moves(app: &TestApp) {
    let statement = if app.database.is_postgres() {
        "DROP TRIGGER refuse_handover ON clients"
    } else {
        "DROP TRIGGER refuse_handover"
    };
    app.write(move |conn, _| {
        diesel::sql_query(statement)
            .execute(conn)
            .map_err(AdminError::from)
    })
    .await;
}

#[tokio::test]
async fn a_caseload_move_that_fails_halfway_leaves_every_client_where_it_was() {
    let app = spawn_app().await;
    let lead = person(&app, Role::Lead).await;
    let admin = person(&app, Role::Admin).await;
    let amina = person(&app, Role::Counsellor).await;
    let bram = person(&app, Role::Counsellor).await;
    let mut hers = Vec::new();
    for name in ["Ama", "Kojo", "Efua"] {
        hers.push(register(&app, &amina, name).await);
    }
    hers.sort();
    // The last in the move's order: the first two are moved before it fails.
    refuse_to_move(&app, &hers[2]).await;

    let body = json!({"from_user_id": amina.id, "to_user_id": bram.id, "kind": "clients"});
    let failed = problem(
        post(&app, &lead, "/api/v1/assignments", body.clone()).await,
        500,
    )
    .await;
    assert!(
        !failed.to_string().contains("refused for the test"),
        "the cause stays inside: {failed}"
    );
    assert_eq!(
        caseload(&app, &amina).await,
        set(&hers.iter().collect::<Vec<_>>())
    );
    assert!(caseload(&app, &bram).await.is_empty(), "none moved");
    assert!(
        audited(&app, &admin, &lead, "assignments.move")
            .await
            .is_empty(),
        "nothing recorded as moved"
    );

    allow_moves(&app).await;
    let moved = ok(post(&app, &lead, "/api/v1/assignments", body).await, 200).await;
    assert_eq!(moved["moved"], 3);
    assert_eq!(
        caseload(&app, &bram).await,
        set(&hers.iter().collect::<Vec<_>>())
    );
    assert_eq!(
        audited(&app, &admin, &lead, "assignments.move").await.len(),
        3
    );
}
