//! Counsellors' pages: clients, talks, consents, and My work, through the
//! forms a person submits.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::web_helpers::{Browser, signed_in};

const CLIENT: &[(&str, &str)] = &[
    ("given_name", "Testa"),
    ("family_name", "Voorbeeld"),
    ("date_of_birth", "1990-02-03"),
    ("sex", "female"),
    ("country_of_origin", "IQ"),
    ("languages", "ar, ku"),
    ("v_number", "1234567890"),
];

/// Registers the test client through the form; its page's path.
async fn register(browser: &mut Browser<'_>) -> String {
    browser.get("/clients/new").await;
    let made = browser.post("/clients/new", CLIENT).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let location = made.location.expect("location");
    assert!(location.ends_with("?registered=1"), "{location}");
    location.trim_end_matches("?registered=1").to_owned()
}

#[tokio::test]
async fn a_counsellor_registers_a_client_and_finds_them_again() {
    let app = spawn_app().await;
    let (mut browser, me) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let page = browser.get(&format!("{path}?registered=1")).await;
    assert!(page.contains("De cliënt is geregistreerd."));
    assert!(page.contains("Testa Voorbeeld"));
    assert!(
        page.contains("Arabic, Kurdish")
            && page.contains("Iraq (IQ)")
            && page.contains("1234567890")
    );
    assert!(page.contains("Nog geen gesprek vastgelegd"));
    assert!(
        page.contains("<dt>Geslacht</dt><dd>Vrouw</dd>"),
        "{}",
        page.html
    );
    // The same client through the API, held by the one who registered them.
    let id = path.trim_start_matches("/clients/");
    let client: Value = app
        .get(&format!("/api/v1/clients/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(client["given_name"], "Testa");
    assert_eq!(client["sex"], "female");
    assert_eq!(client["counsellor_id"], me.as_str());
    let reference = client["reference"].as_str().expect("reference").to_owned();

    // Mine by default; a search goes in the body, not the address.
    let list = browser.get("/clients").await;
    assert!(list.contains(&reference) && list.contains("Mijn cliënten"));
    let found = browser
        .post("/clients", &[("q", "test"), ("scope", "all")])
        .await;
    assert_eq!(found.status, 200);
    assert!(found.contains(&reference) && found.contains("Gevonden"));
    let none = browser
        .post("/clients", &[("q", "Niemand"), ("scope", "all")])
        .await;
    assert!(none.contains("Geen cliënten gevonden.") && !none.contains(&reference));
    let (mut other, _) = signed_in(&app, &[Role::Counsellor], "Carla").await;
    assert!(
        !other.get("/clients").await.contains(&reference),
        "not Carla's client"
    );
    assert!(other.get("/clients?all=1").await.contains(&reference));
}

#[tokio::test]
async fn a_refused_registration_keeps_what_was_typed_and_names_each_field() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    browser.get("/clients/new").await;
    let refused = browser
        .post(
            "/clients/new",
            &[
                ("given_name", "Testa"),
                ("family_name", ""),
                ("date_of_birth", "2999-01-01"),
                ("country_of_origin", "Irak"),
                ("languages", "ar"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.field_value("given_name").as_deref(), Some("Testa"));
    assert_eq!(
        refused.field_value("country_of_origin").as_deref(),
        Some("Irak")
    );
    // The API's messages, said in Dutch on a Dutch page.
    assert_eq!(
        refused.field_error("family_name").as_deref(),
        Some("is verplicht")
    );
    assert_eq!(
        refused.field_error("date_of_birth").as_deref(),
        Some("moet een datum tussen 1-1-1900 en vandaag zijn")
    );
    assert_eq!(
        refused.field_error("country_of_origin").as_deref(),
        Some("`Irak` is geen landcode van twee hoofdletters (ISO 3166-1), bijvoorbeeld IQ")
    );
    // The form asks for a sex (the API would take none as `unknown`).
    assert_eq!(refused.field_error("sex").as_deref(), Some("is verplicht"));
    assert!(
        refused.contains("4 velden zijn nog niet goed."),
        "{}",
        refused.html
    );
    assert!(refused.field_error("languages").is_none());
    assert!(refused.contains("aria-invalid=\"true\""));
    let listed: Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn a_possible_duplicate_is_shown_and_registered_only_when_confirmed() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let first = register(&mut browser).await;
    browser.get("/clients/new").await;
    let warned = browser.post("/clients/new", CLIENT).await;
    assert_eq!(warned.status, 409);
    assert!(warned.contains("Er bestaat al een cliënt met dezelfde namen"));
    assert!(
        warned.contains(&format!("href=\"{first}\"")),
        "the match is linked"
    );
    assert!(warned.contains("Dit is iemand anders dan de cliënten hierboven"));
    let mut confirmed = CLIENT.to_vec();
    confirmed.push(("confirm_not_duplicate", "on"));
    let made = browser.post("/clients/new", &confirmed).await;
    assert_eq!(made.status, 303);
    let listed: Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
}

#[tokio::test]
async fn talks_build_a_timeline_and_the_latest_intention_counts() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let today = chrono::Utc::now().date_naive();
    let earlier = (today - chrono::Duration::days(20)).to_string();
    let due = (today - chrono::Duration::days(2)).to_string();
    browser.get(&format!("{path}/talks/new")).await;
    let first = browser
        .post(
            &format!("{path}/talks/new"),
            &[
                ("held_on", &earlier),
                ("mode", "in_person"),
                ("duration_minutes", "45"),
                ("interpreter_language", "ar"),
                ("topics", "legal_options"),
                ("topics", "family"),
                ("intention", "undecided"),
                ("notes", "Eerste kennismaking."),
                ("next_talk_on", &due),
            ],
        )
        .await;
    assert_eq!(first.status, 303, "{}", first.html);
    // The planned talk is due: it waits in My work, counted in the menu.
    let work = browser.get("/").await;
    assert!(
        work.contains("Gesprek gepland") && work.contains("te laat"),
        "{}",
        work.html
    );
    assert!(work.contains("Testa Voorbeeld"));
    assert!(work.contains("Mijn werk <span class=\"count\">1</span>"));

    // A refused talk keeps the ticks and names the field.
    browser.get(&format!("{path}/talks/new")).await;
    let refused = browser
        .post(
            &format!("{path}/talks/new"),
            &[
                ("held_on", &today.to_string()),
                ("mode", "phone"),
                ("duration_minutes", "2"),
                ("topics", "return"),
                ("intention", "return"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.field_error("duration_minutes").is_some(),
        "{}",
        refused.html
    );
    assert!(refused.contains("value=\"return\" checked"));
    let second = browser
        .post(
            &format!("{path}/talks/new"),
            &[
                ("held_on", &today.to_string()),
                ("mode", "phone"),
                ("duration_minutes", "30"),
                ("topics", "return"),
                ("intention", "return"),
            ],
        )
        .await;
    assert_eq!(second.status, 303);
    let page = browser.get(&path).await;
    assert!(
        page.contains("<dd>Terugkeer</dd>"),
        "the latest intention: {}",
        page.html
    );
    assert!(page.contains("Nog onbeslist") && page.contains("Juridische mogelijkheden, Familie"));
    // A later talk was held: nothing is due any more.
    assert!(browser.get("/").await.contains("Er wacht nu niets op u."));
}

#[tokio::test]
async fn only_the_author_amends_a_talk_and_the_earlier_version_stays_visible() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let today = chrono::Utc::now().date_naive().to_string();
    browser.get(&format!("{path}/talks/new")).await;
    browser
        .post(
            &format!("{path}/talks/new"),
            &[
                ("held_on", &today),
                ("mode", "video"),
                ("duration_minutes", "30"),
                ("topics", "return"),
                ("intention", "undecided"),
                ("notes", "Eerste versie."),
            ],
        )
        .await;
    let client = browser.get(&path).await;
    let at = client.html.find("href=\"/talks/").expect("a talk link") + 6;
    let talk = client.html[at..at + client.html[at..].find('"').expect("end")].to_owned();
    let shown = browser.get(&talk).await;
    assert!(shown.contains("Gesprek wijzigen"));
    assert_eq!(shown.field_value("duration_minutes").as_deref(), Some("30"));
    let amended = browser
        .post(
            &talk,
            &[
                ("held_on", &today),
                ("mode", "video"),
                ("duration_minutes", "40"),
                ("topics", "return"),
                ("intention", "return"),
                ("notes", "Tweede versie."),
            ],
        )
        .await;
    assert_eq!(amended.status, 303, "{}", amended.html);
    let after = browser.get(&format!("{talk}?amended=1")).await;
    assert!(after.contains("de eerdere versie is bewaard"));
    assert!(after.contains("Tweede versie.") && after.contains("Eerste versie."));
    assert!(after.contains("Eerdere versies"));

    let (mut colleague, _) = signed_in(&app, &[Role::Counsellor], "Carla").await;
    let theirs = colleague.get(&talk).await;
    assert_eq!(theirs.status, 200);
    assert!(
        !theirs.contains("Gesprek wijzigen"),
        "no amend form for another counsellor"
    );
    let forced = colleague
        .post(
            &talk,
            &[
                ("held_on", &today),
                ("mode", "video"),
                ("duration_minutes", "50"),
                ("topics", "return"),
                ("intention", "return"),
            ],
        )
        .await;
    assert_eq!(forced.status, 403, "{}", forced.html);
    let stored: Value = app
        .get(&format!("/api/v1{talk}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored["duration_minutes"], 40);
}

#[tokio::test]
async fn consent_is_recorded_with_a_bilingual_receipt_and_withdrawn() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let form = browser.get(&format!("{path}/consents/new")).await;
    assert!(form.contains("naam en geboortedatum, zodat de partner weet wie komt"));
    let refused = browser
        .post(
            &format!("{path}/consents/new"),
            &[
                ("purpose", "referral"),
                ("given_on", "2026-01-01"),
                ("method", "written"),
                ("language", "ar"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.field_error("data_categories").is_some(),
        "{}",
        refused.html
    );
    let partner = "accra-reintegration-network";
    let given = chrono::Utc::now().date_naive().to_string();
    let made = browser
        .post(
            &format!("{path}/consents/new"),
            &[
                ("purpose", "referral"),
                ("data_categories", "identity"),
                ("data_categories", "needs"),
                ("partner_id", partner),
                ("given_on", &given),
                ("method", "written"),
                ("language", "ar"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let receipt_path = made.location.expect("location");
    let receipt = browser.get(&receipt_path).await;
    assert!(receipt.contains("<section lang=\"nl\"") && receipt.contains("<section lang=\"en\""));
    assert!(receipt.contains("Uw toestemming") && receipt.contains("Your consent"));
    assert!(receipt.contains("Identiteit: naam en geboortedatum"));
    assert!(receipt.contains("Identity: name and date of birth"));
    assert!(receipt.contains("tot intrekking") && receipt.contains("until withdrawn"));
    assert!(
        receipt.contains("Accra"),
        "the partner by name: {}",
        receipt.html
    );

    let client = browser.get(&path).await;
    assert!(client.contains("Er loopt geen verwijzing op deze toestemming."));
    let consent_id = receipt_path
        .trim_start_matches("/consents/")
        .split('/')
        .next()
        .expect("id")
        .to_owned();
    let withdrawn = browser
        .post(
            &format!("/consents/{consent_id}/withdraw"),
            &[("reason", "Wil niet meer.")],
        )
        .await;
    assert_eq!(withdrawn.status, 303);
    let id = path.trim_start_matches("/clients/");
    let consents: Value = app
        .get(&format!("/api/v1/clients/{id}/consents"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(consents["items"][0]["status"], "withdrawn");
    assert_eq!(consents["items"][0]["withdrawal_reason"], "Wil niet meer.");
    let after = browser.get(&path).await;
    assert!(after.contains("Ingetrokken"));
}

#[tokio::test]
async fn an_english_page_gives_the_apis_own_messages() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    browser.get("/clients/new?lang=en").await;
    let refused = browser
        .post(
            "/clients/new",
            &[
                ("given_name", "Testa"),
                ("date_of_birth", "abc"),
                ("sex", "unknown"),
                ("country_of_origin", "IQ"),
                ("languages", "ar"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.contains("<h1>Register a client</h1>"));
    assert_eq!(
        refused.field_error("family_name").as_deref(),
        Some("is required")
    );
    assert_eq!(
        refused.field_error("date_of_birth").as_deref(),
        Some("input contains invalid characters")
    );
    assert!(refused.contains("2 fields are not right yet."));
}

#[tokio::test]
async fn every_page_a_counsellor_opens_stays_under_50_kb_with_its_stylesheet() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let css = browser.get("/static/brug.css").await;
    assert_eq!(css.status, 200);
    assert!(
        css.headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
    let htmx = browser.get("/static/htmx.min.js").await;
    assert!(
        htmx.html.contains("htmx"),
        "htmx is served from Brug itself"
    );
    for page in [
        "/".to_owned(),
        "/clients".to_owned(),
        "/clients/new".to_owned(),
        path.clone(),
        format!("{path}/talks/new"),
        format!("{path}/consents/new"),
        "/partners".to_owned(),
    ] {
        let answer = browser.get(&page).await;
        assert_eq!(answer.status, 200, "{page}");
        let size = answer.html.len() + css.html.len();
        assert!(
            size < 50 * 1024,
            "{page} is {size} bytes with the stylesheet"
        );
        // Nothing from another host: no absolute URL in a src or href.
        for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!answer.html.contains(attribute), "{page} loads {attribute}");
        }
    }
}

#[tokio::test]
async fn an_unknown_client_is_a_plain_404_page_for_reading_and_for_a_form() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let nobody = uuid::Uuid::now_v7();
    let page = browser.get(&format!("/clients/{nobody}")).await;
    assert_eq!(page.status, 404);
    assert!(page.contains("Niet gevonden"), "{}", page.html);
    browser.get("/").await;
    let talk = browser
        .post(
            &format!("/clients/{nobody}/talks/new"),
            &[
                ("held_on", "2026-01-05"),
                ("mode", "phone"),
                ("duration_minutes", "30"),
                ("topics", "return"),
                ("intention", "undecided"),
            ],
        )
        .await;
    assert_eq!(talk.status, 404, "{}", talk.html);
    assert!(talk.contains("Niet gevonden"));
}

#[tokio::test]
async fn a_household_is_formed_from_the_client_page_by_reference() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let first = register(&mut browser).await;
    browser.get("/clients/new").await;
    let other = browser
        .post(
            "/clients/new",
            &[
                ("given_name", "Kind"),
                ("family_name", "Voorbeeld"),
                ("date_of_birth", "2015-05-06"),
                ("sex", "male"),
                ("country_of_origin", "IQ"),
                ("languages", "ar"),
            ],
        )
        .await;
    let other_path = other
        .location
        .expect("location")
        .replace("?registered=1", "");
    let other_id = other_path.trim_start_matches("/clients/").to_owned();
    let other_client: Value = app
        .get(&format!("/api/v1/clients/{other_id}"))
        .await
        .json()
        .await
        .expect("json");
    let reference = other_client["reference"]
        .as_str()
        .expect("reference")
        .to_owned();

    let page = browser.get(&first).await;
    assert!(page.contains("Geen huishouden vastgelegd.") && page.contains("Huishouden vastleggen"));
    let form = browser.get(&format!("{first}/household")).await;
    assert!(form.contains("Wie keert samen met Testa Voorbeeld"));
    let refused = browser
        .post(
            &format!("{first}/household"),
            &[("members", "TO-AAAAA"), ("label", "Voorbeeld")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.field_error("members").as_deref(),
        Some("is van geen enkele cliënt de referentie")
    );
    assert_eq!(refused.field_value("members").as_deref(), Some("TO-AAAAA"));
    let made = browser
        .post(
            &format!("{first}/household"),
            &[("members", &reference), ("label", "Voorbeeld")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.html);
    let page = browser.get(&first).await;
    assert!(
        page.contains(&format!(
            "href=\"{other_path}\">{reference}</a> · Kind Voorbeeld"
        )),
        "{}",
        page.html
    );
    let both: Value = app
        .get(&format!("/api/v1/clients/{other_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        both["household_id"].is_string(),
        "the other client joined: {both}"
    );
}

#[tokio::test]
async fn what_a_page_shows_of_a_person_is_in_the_audit_log_as_the_api_would_record_it() {
    let app = spawn_app().await;
    let (mut browser, me) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let path = register(&mut browser).await;
    let id = path.trim_start_matches("/clients/").to_owned();
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let earlier = (chrono::Utc::now().date_naive() - chrono::Duration::days(9)).to_string();
    browser.get(&format!("{path}/talks/new")).await;
    browser
        .post(
            &format!("{path}/talks/new"),
            &[
                ("held_on", &earlier),
                ("mode", "phone"),
                ("duration_minutes", "30"),
                ("topics", "return"),
                ("intention", "undecided"),
                ("next_talk_on", &yesterday),
            ],
        )
        .await;
    let admin = app.staff_token(&[Role::Admin]).await;
    let entries = |body: Value| -> Vec<(String, String, String)> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| {
                (
                    e["operation"].as_str().unwrap_or_default().to_owned(),
                    e["subject_type"].as_str().unwrap_or_default().to_owned(),
                    e["subject_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    // My work names the client: a read of the client, under the page.
    let work = browser.get("/").await;
    assert!(work.contains("Testa Voorbeeld"));
    // The client page: the client, their talks and consents.
    browser.get(&path).await;
    let log: Value = app
        .get_as(Some(&admin), &format!("/api/v1/audit?actor={me}&limit=200"))
        .await
        .json()
        .await
        .expect("json");
    let log = entries(log);
    assert!(
        log.contains(&("web.home".to_owned(), "client".to_owned(), id.clone())),
        "My work's read of the client: {log:?}"
    );
    assert!(
        log.contains(&("clients.get".to_owned(), "client".to_owned(), id.clone())),
        "the client page's read: {log:?}"
    );
    // A counsellor is not shown the client's return cases (the API's
    // `cases.get` is the caseworkers'), so no case is read.
    assert!(
        !log.iter().any(|(_, kind, _)| kind == "return_case"),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_form_asks_for_a_sex_with_none_chosen_and_unknown_as_an_answer() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let form = browser.get("/clients/new").await;
    let select = form
        .html
        .split("<select id=\"f-sex\"")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .expect("a sex select")
        .to_owned();
    assert!(select.contains(" required"), "{select}");
    assert!(
        !select.contains("selected"),
        "nothing chosen beforehand: {select}"
    );
    for (value, label) in [
        ("female", "Vrouw"),
        ("male", "Man"),
        ("other", "Anders"),
        ("unknown", "Onbekend"),
    ] {
        assert!(
            select.contains(&format!("<option value=\"{value}\">{label}</option>")),
            "{select}"
        );
    }
    // Everything else right, no sex chosen: said beside the field, the
    // answers kept, nothing registered.
    let without: Vec<(&str, &str)> = CLIENT
        .iter()
        .copied()
        .filter(|(k, _)| *k != "sex")
        .collect();
    let refused = browser.post("/clients/new", &without).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert_eq!(refused.field_error("sex").as_deref(), Some("is verplicht"));
    assert_eq!(refused.field_value("given_name").as_deref(), Some("Testa"));
    assert_eq!(refused.field_error("given_name"), None);
    let listed: Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"], json!([]));
    // A chosen value stays chosen when something else is refused.
    let mut other_wrong = CLIENT.to_vec();
    other_wrong.retain(|(k, _)| *k != "family_name");
    let kept = browser.post("/clients/new", &other_wrong).await;
    assert_eq!(kept.status, 422);
    assert!(
        kept.contains("<option value=\"female\" selected>Vrouw</option>"),
        "{}",
        kept.html
    );
    // "Unknown" is an answer.
    let mut unknown: Vec<(&str, &str)> = without.clone();
    unknown.push(("sex", "unknown"));
    let made = browser.post("/clients/new", &unknown).await;
    assert_eq!(made.status, 303, "{}", made.html);
    let listed: Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"][0]["sex"], "unknown");
    let page = browser
        .get(made.location.as_deref().expect("location"))
        .await;
    assert!(
        page.contains("<dt>Geslacht</dt><dd>Onbekend</dd>"),
        "{}",
        page.html
    );
}
