//! The return case and the partner directory in the staff web UI: a
//! caseworker opens a case from the page, sees the matches with their
//! reasons, sends the referral under a consent (or is told which consent
//! is missing), follows the case through the checklist, departure, arrival
//! and the reintegration plan; refused steps are shown where they happen.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::referrals::{ACCRA, KUMASI, Stage, day, ok, send};
use crate::web_helpers::{Answer, Browser, signed_in};
use crate::web_text::{form_fields, visible_text};

/// Where a form sent the browser (303), or the page it showed instead.
fn redirected(answer: &Answer) -> String {
    assert_eq!(answer.status, 303, "{}", answer.html);
    answer.location.clone().unwrap_or_default()
}

/// The fields of the first form posting to `action`, to post as they are.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A Ghanaian client who said in a talk that she wants to return.
async fn client(app: &TestApp) -> (String, String) {
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let client = ok(
        send(
            app,
            &counsellor,
            reqwest::Method::POST,
            "/api/v1/clients",
            Some(json!({
                "given_name": "Abena", "family_name": "Mensah", "date_of_birth": "1988-02-03",
                "country_of_origin": "GH", "languages": ["tw", "en"]
            })),
        )
        .await,
        201,
    )
    .await;
    let id = client["id"].as_str().expect("id").to_owned();
    let talk = ok(
        send(app, &counsellor, reqwest::Method::POST, &format!("/api/v1/clients/{id}/talks"), Some(json!({
            "held_on": day(-1), "mode": "in_person", "topics": ["return"], "intention": "return",
            "duration_minutes": 45
        })))
        .await,
        201,
    )
    .await;
    (id, talk["id"].as_str().expect("id").to_owned())
}

async fn consent(app: &TestApp, client_id: &str, partner: &str) -> String {
    let consent = ok(
        app.post_json(
            &format!("/api/v1/clients/{client_id}/consents"),
            &json!({
                "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": partner,
                "given_on": day(0), "method": "written", "language": "tw"
            }),
        )
        .await,
        201,
    )
    .await;
    consent["id"].as_str().expect("id").to_owned()
}

/// Opens the case through the page's form; returns the case's path.
async fn open_from_page(web: &mut Browser<'_>, client_id: &str, talk_id: &str) -> String {
    let form = format!("/clients/{client_id}/return-cases/new");
    let page = web.get(&form).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let text = visible_text(&page.html);
    assert!(
        text.contains("Terugkeertraject openen voor Abena Mensah"),
        "{text}"
    );
    assert_eq!(
        page.field_value("destination_country").as_deref(),
        Some("GH"),
        "the country of origin is proposed"
    );
    assert!(
        page.contains(&format!("<option value=\"{talk_id}\" selected>")),
        "the talk where she chose to return is proposed"
    );
    let departure = day(40);
    let answer = web
        .post(
            &form,
            &[
                ("destination_country", "GH"),
                ("destination_region", "GH-AA"),
                ("needs", "housing"),
                ("needs", "medical"),
                ("planned_departure_on", &departure),
                ("talk_id", talk_id),
            ],
        )
        .await;
    let to = redirected(&answer);
    assert!(to.starts_with("/return-cases/"), "{to}");
    to
}

async fn case_json(app: &TestApp, case: &str) -> Value {
    ok(app.get(&format!("/api/v1{case}")).await, 200).await
}

/// The case page as a person reads it.
async fn read(web: &mut Browser<'_>, case: &str) -> String {
    let page = web.get(case).await;
    assert_eq!(page.status, 200, "{}", page.html);
    visible_text(&page.html)
}

#[tokio::test]
async fn a_caseworker_opens_a_case_sends_the_referral_and_follows_it_to_arrival() {
    let app = spawn_app().await;
    let (client_id, talk_id) = client(&app).await;
    let (mut web, me) = signed_in(&app, &[Role::Caseworker], "Sanne de Vries").await;
    let case = open_from_page(&mut web, &client_id, &talk_id).await;

    let text = read(&mut web, &case).await;
    for seen in [
        "Terugkeertraject van Abena Mensah",
        "Ghana (GH)",
        "Greater Accra (GH-AA)",
        "huisvesting, medische zorg",
        "Trajectbegeleider Sanne de Vries",
        "Partners die passen",
        "Accra Reintegration Network",
        "works in Greater Accra (Ghana)",
        "Twi",
        "De cliënt heeft nog geen toestemming gegeven.",
        "Nog geen verwijzing verstuurd.",
    ] {
        assert!(text.contains(seen), "{seen:?} in {text}");
    }
    assert!(
        text.find("Accra Reintegration Network") < text.find("Kumasi Homecoming Initiative"),
        "the best match first"
    );

    let consent_id = consent(&app, &client_id, ACCRA).await;
    let page = web.get(&case).await;
    assert!(visible_text(&page.html).contains("dekt deze verwijzing"));
    let action = format!("{case}/referrals");
    let fields = form_fields(&page.html, &action);
    assert!(
        fields.contains(&("partner_id".into(), ACCRA.into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("consent_id".into(), consent_id)),
        "{fields:?}"
    );
    let answer = web.post(&action, &pairs(&fields)).await;
    assert_eq!(redirected(&answer), case);

    let text = read(&mut web, &case).await;
    assert!(
        text.contains("Accra Reintegration Network: verstuurd"),
        "{text}"
    );
    assert!(
        text.contains("Tijdlijn verstuurd · "),
        "in the timeline: {text}"
    );
    assert!(text.contains("· Sanne de Vries"), "who sent it: {text}");
    assert!(text.contains("Er loopt een verwijzing"), "{text}");
    assert!(
        !text.contains("Partners die passen"),
        "no second referral now"
    );
    let referral = case_json(&app, &case).await["referrals"][0].clone();
    assert_eq!(referral["status"], "requested");
    let referral_id = referral["id"].as_str().expect("id").to_owned();

    // The pages leave the API's audit entries: the same operations.
    let admin = app.staff_token(&[Role::Admin]).await;
    let log = ok(
        app.get_as(Some(&admin), &format!("/api/v1/audit?actor={me}&limit=500"))
            .await,
        200,
    )
    .await;
    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap_or_default().to_owned(),
                e["subject_type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("cases.open", "return_case"),
        ("cases.get", "return_case"),
        ("cases.get", "client"),
        ("referrals.send", "referral"),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned());
        assert!(entries.contains(&expected), "{expected:?} in {entries:?}");
    }

    // The partner acknowledges and accepts: the checklist appears.
    let key = app.partner_key(ACCRA).await;
    for step in ["acknowledge", "accept"] {
        let path = format!("/partner/v1/referrals/{referral_id}/{step}");
        ok(
            send(&app, &key, reqwest::Method::POST, &path, Some(json!({}))).await,
            200,
        )
        .await;
    }
    let text = read(&mut web, &case).await;
    assert!(
        text.contains("Accra Reintegration Network: geaccepteerd"),
        "{text}"
    );
    assert!(text.contains("ontvangst bevestigd · "), "{text}");
    assert!(text.contains("Vertrekchecklist"), "{text}");
    let flight = case_json(&app, &case).await["checklist"]
        .as_array()
        .expect("checklist")
        .iter()
        .find(|i| i["kind"] == "flight")
        .expect("a flight task")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let answer = web
        .post(
            &format!("/checklist-items/{flight}"),
            &[("status", "done"), ("note", "Ticket KL 589 booked")],
        )
        .await;
    assert_eq!(redirected(&answer), case);
    let text = read(&mut web, &case).await;
    assert!(text.contains("Vlucht wij (organisatie)"), "{text}");
    assert!(text.contains("gedaan Ticket KL 589 booked"), "{text}");

    let today = day(0);
    let answer = web
        .post(&format!("{case}/departure"), &[("departed_on", &today)])
        .await;
    assert_eq!(redirected(&answer), case);
    let path = format!("/partner/v1/referrals/{referral_id}/arrival");
    let arrival = json!({"arrived_on": today, "received": true});
    ok(
        send(&app, &key, reqwest::Method::POST, &path, Some(arrival)).await,
        200,
    )
    .await;
    let page = web.get(&case).await;
    let text = visible_text(&page.html);
    assert!(
        text.contains("Accra Reintegration Network: vertrokken"),
        "{text}"
    );
    assert!(text.contains("Vertrokken op "), "{text}");
    assert!(
        !text.contains("Er loopt een verwijzing"),
        "no re-routing after departure"
    );
    assert!(text.contains("opgevangen door de partner"), "{text}");
    assert!(text.contains("Monitoringbezoeken"), "{text}");
    assert!(text.contains("na 1 maand"), "{text}");
    assert!(
        page.html.len() < 50_000,
        "the page is {} bytes",
        page.html.len()
    );

    // The same page in English.
    let text = read(&mut web, &format!("{case}?lang=en")).await;
    assert!(text.contains("Return case of Abena Mensah"), "{text}");
    assert!(
        text.contains("Accra Reintegration Network: departed"),
        "{text}"
    );
}

#[tokio::test]
async fn a_send_without_consent_says_what_is_missing_and_where_to_record_it() {
    let app = spawn_app().await;
    let (client_id, talk_id) = client(&app).await;
    let (mut web, _) = signed_in(&app, &[Role::Caseworker], "Sanne de Vries").await;
    let case = open_from_page(&mut web, &client_id, &talk_id).await;
    let action = format!("{case}/referrals");
    let record = format!("href=\"/clients/{client_id}/consents/new\"");

    // No consent at all.
    let page = web.get(&case).await;
    let fields = form_fields(&page.html, &action);
    let answer = web.post(&action, &pairs(&fields)).await;
    assert_eq!(answer.status, 409);
    let text = visible_text(&answer.html);
    assert!(
        text.contains("Er is geen geldige toestemming van de cliënt die deze verwijzing dekt."),
        "{text}"
    );
    assert!(answer.contains(&record), "a link to record the consent");

    // A consent for another partner only: the consent check's own words.
    consent(&app, &client_id, KUMASI).await;
    let page = web.get(&case).await;
    assert!(visible_text(&page.html).contains("Geen toestemming dekt deze partner."));
    let fields = form_fields(&page.html, &action);
    assert!(
        fields.contains(&("partner_id".into(), ACCRA.into())),
        "{fields:?}"
    );
    let answer = web.post(&action, &pairs(&fields)).await;
    assert_eq!(answer.status, 409);
    let text = visible_text(&answer.html);
    assert!(text.contains("Er is geen geldige toestemming"), "{text}");
    assert!(
        text.contains(&format!(
            "No valid consent covers this referral: the consent covers {KUMASI}, not {ACCRA}."
        )),
        "{text}"
    );
    assert!(answer.contains(&record), "a link to record the consent");
    assert!(
        text.contains("Partners die passen"),
        "the case page, still whole"
    );
    assert_eq!(case_json(&app, &case).await["referrals"], json!([]));
}

/// A referral accepted by Accra, departed and arrived, with a plan
/// submitted; the caseworker signed in.
async fn plan_waiting(stage: &Stage) -> (Browser<'_>, String, String) {
    let (mut web, _) = signed_in(&stage.app, &[Role::Caseworker], "Sanne de Vries").await;
    let id = stage.accepted_referral().await;
    let case = format!("/return-cases/{}", stage.case_id);
    read(&mut web, &case).await;
    let answer = web
        .post(&format!("{case}/departure"), &[("departed_on", &day(0))])
        .await;
    assert_eq!(redirected(&answer), case);
    let arrival = json!({"arrived_on": day(0), "received": true});
    ok(
        stage.partner(&stage.accra, &id, "arrival", arrival).await,
        200,
    )
    .await;
    let plan = json!({"items": [
        {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "GHS"},
        {"need": "medical", "support": "Follow-up with a doctor", "amount": 250.5, "currency": "GHS"},
    ]});
    let path = format!("/partner/v1/referrals/{id}/reintegration-plan");
    ok(stage.post(&stage.accra, &path, plan).await, 200).await;
    (web, case, id)
}

#[tokio::test]
async fn returning_a_plan_needs_a_comment_beside_the_field_and_changes_nothing_without_one() {
    let stage = Stage::new().await;
    let (mut web, case, id) = plan_waiting(&stage).await;
    let text = read(&mut web, &case).await;
    for seen in [
        "Re-integratieplan: ingediend, wacht op uw besluit",
        "huisvesting Three months' rent 900,00 GHS",
        "medische zorg Follow-up with a doctor 250,50 GHS",
        "Totaal 1150,50 GHS",
        "Plan goedkeuren",
    ] {
        assert!(text.contains(seen), "{seen:?} in {text}");
    }

    let reject = format!("/referrals/{id}/plan/reject");
    let answer = web.post(&reject, &[("comment", "")]).await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.field_error("comment").is_some(),
        "the error beside the field"
    );
    assert!(
        answer.contains("href=\"#f-comment\""),
        "the summary links to it"
    );
    let text = visible_text(&answer.html);
    assert!(text.contains("Dit is nog niet goed"), "{text}");
    assert!(text.contains("ingediend, wacht op uw besluit"), "{text}");
    let plan = case_json(&stage.app, &case).await["referrals"][0]["reintegration_plan"].clone();
    assert_eq!(
        (plan["status"].clone(), plan["comment"].clone()),
        (json!("submitted"), Value::Null)
    );

    let comment = "Add a budget for education.";
    let answer = web.post(&reject, &[("comment", comment)]).await;
    assert_eq!(redirected(&answer), case);
    let text = read(&mut web, &case).await;
    assert!(text.contains("Re-integratieplan: teruggestuurd"), "{text}");
    assert!(text.contains(comment), "{text}");
    assert!(!text.contains("Plan goedkeuren"), "nothing to decide now");

    // Returned, it cannot be returned again: the API's sentence on top.
    let answer = web.post(&reject, &[("comment", comment)]).await;
    assert_eq!(answer.status, 409);
    let text = visible_text(&answer.html);
    assert!(
        text.contains("The plan is returned; only a submitted plan is approved or returned."),
        "{text}"
    );

    // Submitted again, it is approved.
    let plan = json!({"items": [
        {"need": "education", "support": "School fees", "amount": 300, "currency": "GHS"},
    ]});
    let path = format!("/partner/v1/referrals/{id}/reintegration-plan");
    ok(stage.post(&stage.accra, &path, plan).await, 200).await;
    read(&mut web, &case).await;
    let answer = web
        .post(&format!("/referrals/{id}/plan/approve"), &[])
        .await;
    assert_eq!(redirected(&answer), case);
    let text = read(&mut web, &case).await;
    assert!(text.contains("Re-integratieplan: goedgekeurd"), "{text}");
    assert!(text.contains("versie 2"), "{text}");
}

#[tokio::test]
async fn a_refused_step_is_shown_at_the_top_of_the_case_page() {
    let stage = Stage::new().await;
    let (mut web, _) = signed_in(&stage.app, &[Role::Caseworker], "Sanne de Vries").await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let case = format!("/return-cases/{}", stage.case_id);
    let cancel = format!("/referrals/{id}/cancel");
    read(&mut web, &case).await;

    let answer = web.post(&cancel, &[("reason", "")]).await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.field_error("reason").is_some(),
        "the error beside the reason"
    );

    let reason = "The client chose another date";
    let answer = web.post(&cancel, &[("reason", reason)]).await;
    assert_eq!(redirected(&answer), case);
    let text = read(&mut web, &case).await;
    assert!(
        text.contains("Accra Reintegration Network: geannuleerd"),
        "{text}"
    );
    assert!(text.contains(&format!("Reden: {reason}")), "{text}");
    assert!(
        text.contains("Kies een andere partner om opnieuw te verwijzen."),
        "re-route: {text}"
    );
    assert!(text.contains("eerder verwezen: geannuleerd"), "{text}");

    let answer = web.post(&cancel, &[("reason", reason)]).await;
    assert_eq!(answer.status, 409);
    let text = visible_text(&answer.html);
    let top = text.find("Dit lukte niet").expect("the problem is shown");
    assert!(
        top < text.find("Verwijzingen").expect("the referrals"),
        "above the page"
    );
    assert!(
        text.contains("A referral that is cancelled cannot cancel now."),
        "{text}"
    );

    let page = web
        .get("/return-cases/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(page.status, 404);
    assert!(visible_text(&page.html).contains("Niet gevonden"));
}

#[tokio::test]
async fn a_counsellor_may_not_open_a_return_case_page() {
    let stage = Stage::new().await;
    let (mut web, _) = signed_in(&stage.app, &[Role::Counsellor], "Noor Bakker").await;
    let page = web.get(&format!("/return-cases/{}", stage.case_id)).await;
    assert_eq!(page.status, 403);
    let text = visible_text(&page.html);
    assert!(text.contains("Geen toegang"), "{text}");
    assert!(!text.contains("Abena"), "nothing of the case shown");
}

#[tokio::test]
async fn the_partner_directory_lists_only_partners_serving_the_country_asked() {
    let app = spawn_app().await;
    let (mut web, _) = signed_in(&app, &[Role::Lead], "Lotte Jansen").await;
    let page = web.get("/partners?country=GH").await;
    assert_eq!(page.status, 200);
    let text = visible_text(&page.html);
    assert!(text.contains("2 partners."), "{text}");
    assert!(text.contains("Accra Reintegration Network"), "{text}");
    assert!(text.contains("Kumasi Homecoming Initiative"), "{text}");
    assert!(!text.contains("Kabul"), "only partners in Ghana: {text}");
    assert!(
        page.contains("<option value=\"GH\" selected>"),
        "the filter kept"
    );

    let page = web.get("/partners?country=GH&need=family_tracing").await;
    assert_eq!(page.status, 200);
    assert!(!visible_text(&page.html).contains("Accra Reintegration Network"));

    let page = web.get("/partners?country=ZZ").await;
    assert_eq!(page.status, 422);
    assert!(
        page.field_error("country").is_some(),
        "the error beside the field"
    );

    let page = web.get(&format!("/partners/{ACCRA}")).await;
    assert_eq!(page.status, 200);
    let text = visible_text(&page.html);
    for seen in [
        "Accra Reintegration Network",
        "Greater Accra",
        "Hana Voorbeeld",
        "actief",
    ] {
        assert!(text.contains(seen), "{seen:?} in {text}");
    }
    let page = web.get("/partners/no-such-partner").await;
    assert_eq!(page.status, 404);
}

#[test]
fn every_case_text_is_in_both_languages() {
    let keys = |lang: &str| -> Vec<String> {
        let path = format!("{}/locales/{lang}/cases.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("the texts");
        let mut keys: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once(" ="))
            .map(|(k, _)| k.trim().to_owned())
            .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.contains(' '))
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys("nl"), keys("en"));
}
