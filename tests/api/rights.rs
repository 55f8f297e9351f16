//! The person's rights: the export of everything held about them, with the
//! record of which partner saw what, held one for one to the audit log;
//! and the same document as a page in both languages.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::referrals::{ACCRA, KUMASI, day, ok, send};
use crate::web_helpers::signed_in;

/// A person with two talks (one amended), a household, consent for Accra,
/// a return case, and a referral Accra read five times (the last after
/// the consent was withdrawn) and Kumasi never could.
pub struct Person {
    pub app: TestApp,
    pub counsellor: String,
    pub caseworker: String,
    pub admin: String,
    pub accra: String,
    pub kumasi: String,
    pub client: String,
    pub sibling: String,
    pub household: String,
    pub talks: Vec<String>,
    pub consent: String,
    pub case: String,
    pub referral: String,
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value, status: u16) -> Value {
    ok(
        send(app, token, reqwest::Method::POST, path, Some(body)).await,
        status,
    )
    .await
}

async fn get(app: &TestApp, token: &str, path: &str, status: u16) -> Value {
    ok(
        send(app, token, reqwest::Method::GET, path, None).await,
        status,
    )
    .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

impl Person {
    pub async fn new() -> Self {
        let app = spawn_app().await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker = app.staff_token(&[Role::Caseworker]).await;
        let admin = app.staff_token(&[Role::Admin]).await;
        let accra = app.partner_key(ACCRA).await;
        let kumasi = app.partner_key(KUMASI).await;
        let client = id(&post(
            &app,
            &counsellor,
            "/api/v1/clients",
            json!({
                "given_name": "Quintessa", "family_name": "Fabelhaft", "date_of_birth": "1991-04-17",
                "sex": "female", "country_of_origin": "GH", "languages": ["tw", "en"],
                "v_number": "4815162342", "location": "Opvang Verzinselveen"
            }),
            201,
        )
        .await);
        let sibling = id(&post(
            &app,
            &counsellor,
            "/api/v1/clients",
            json!({
                "given_name": "Octavius", "family_name": "Fabelhaft", "date_of_birth": "2012-09-01",
                "country_of_origin": "GH", "languages": ["tw"]
            }),
            201,
        )
        .await);
        let household = id(&post(
            &app,
            &counsellor,
            "/api/v1/households",
            json!({"member_ids": [client, sibling], "label": "Huishouden Fabelhaft"}),
            201,
        )
        .await);
        let talks_path = format!("/api/v1/clients/{client}/talks");
        let first = id(&post(
            &app,
            &counsellor,
            &talks_path,
            json!({"held_on": day(-20), "mode": "phone", "topics": ["legal_options"], "intention": "undecided",
                   "duration_minutes": 30, "notes": "Eerste gesprek: twijfelt nog over terugkeer."}),
            201,
        )
        .await);
        let second = id(&post(
            &app,
            &counsellor,
            &talks_path,
            json!({"held_on": day(-2), "mode": "in_person", "topics": ["return", "family"], "intention": "return",
                   "duration_minutes": 60, "notes": "Wil terug naar haar tante in Accra."}),
            201,
        )
        .await);
        ok(
            send(
                &app,
                &counsellor,
                reqwest::Method::PATCH,
                &format!("/api/v1/talks/{second}"),
                Some(json!({"notes": "Wil terug naar haar tante in Kumasi, niet Accra."})),
            )
            .await,
            200,
        )
        .await;
        let consent = id(&post(
            &app,
            &caseworker,
            &format!("/api/v1/clients/{client}/consents"),
            json!({"purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": ACCRA,
                   "given_on": day(0), "method": "written", "language": "tw"}),
            201,
        )
        .await);
        let case = id(&post(
            &app,
            &caseworker,
            "/api/v1/return-cases",
            json!({"client_id": client, "talk_id": second, "destination_country": "GH",
                   "destination_region": "GH-AA", "needs": ["housing", "medical"], "planned_departure_on": day(40)}),
            201,
        )
        .await);
        let referral = id(&post(
            &app,
            &caseworker,
            &format!("/api/v1/return-cases/{case}/referrals"),
            json!({"partner_id": ACCRA, "consent_id": consent}),
            201,
        )
        .await);
        Self {
            app,
            counsellor,
            caseworker,
            admin,
            accra,
            kumasi,
            client,
            sibling,
            household,
            talks: vec![first, second],
            consent,
            case,
            referral,
        }
    }

    /// Accra reads the referral three times and lists its referrals once;
    /// Kumasi tries and is refused; the consent is withdrawn (which cancels
    /// the referral), and Accra reads it once more.
    pub async fn read_by_partners(&self) {
        let path = format!("/partner/v1/referrals/{}", self.referral);
        for _ in 0..3 {
            let seen = get(&self.app, &self.accra, &path, 200).await;
            assert_eq!(seen["client"]["given_name"], "Quintessa");
        }
        let listed = get(&self.app, &self.accra, "/partner/v1/referrals", 200).await;
        assert_eq!(listed["items"][0]["id"], self.referral.as_str());
        get(&self.app, &self.kumasi, &path, 404).await;
        post(
            &self.app,
            &self.caseworker,
            &format!("/api/v1/consents/{}/withdraw", self.consent),
            json!({"reason": "Wil eerst met haar familie overleggen."}),
            200,
        )
        .await;
        let after = get(&self.app, &self.accra, &path, 200).await;
        assert!(after["client"].get("given_name").is_none(), "{after}");
    }

    /// The audit log's entries about the referral, oldest first.
    pub async fn audit_of_referral(&self) -> Vec<Value> {
        let log = get(
            &self.app,
            &self.admin,
            &format!("/api/v1/audit?subject_id={}&limit=500", self.referral),
            200,
        )
        .await;
        let mut entries = log["items"].as_array().expect("items").clone();
        entries.reverse();
        entries
    }
}

#[tokio::test]
async fn the_export_holds_everything_and_its_disclosures_are_the_partner_reads_of_the_audit_log() {
    let person = Person::new().await;
    person.read_by_partners().await;
    let app = &person.app;
    let path = format!("/api/v1/clients/{}/export", person.client);
    let export = get(app, &person.counsellor, &path, 200).await;

    // Identity and household.
    let client = &export["client"];
    assert_eq!(client["given_name"], "Quintessa");
    assert_eq!(client["family_name"], "Fabelhaft");
    assert_eq!(client["date_of_birth"], "1991-04-17");
    assert_eq!(client["v_number"], "4815162342");
    assert_eq!(client["location"], "Opvang Verzinselveen");
    assert_eq!(client["languages"], json!(["tw", "en"]));
    assert_eq!(client["erased_at"], Value::Null);
    assert_eq!(export["erasure"], Value::Null);
    assert_eq!(export["household"]["id"], person.household.as_str());
    assert_eq!(export["household"]["label"], "Huishouden Fabelhaft");
    let members: Vec<&str> = export["household"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["given_name"].as_str())
        .collect();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&"Octavius"), "{members:?}");
    // The other members by reference and name only: their date of birth
    // and the rest of their file are theirs, not the person's.
    let sibling = export["household"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["given_name"] == "Octavius")
        .expect("the sibling");
    let mut fields: Vec<&str> = sibling
        .as_object()
        .expect("a member")
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["erased_at", "family_name", "given_name", "id", "reference"]
    );
    assert!(
        !export["household"].to_string().contains("2012-09-01"),
        "the sibling's date of birth is in the person's export"
    );

    // Both talks, newest first; the amended one with its earlier words.
    let talks = export["talks"].as_array().expect("talks");
    assert_eq!(talks.len(), 2);
    assert_eq!(talks[0]["id"], person.talks[1].as_str());
    assert_eq!(talks[0]["version"], 2);
    assert_eq!(
        talks[0]["notes"],
        "Wil terug naar haar tante in Kumasi, niet Accra."
    );
    assert_eq!(talks[0]["earlier_versions"][0]["version"], 1);
    assert_eq!(
        talks[0]["earlier_versions"][0]["notes"],
        "Wil terug naar haar tante in Accra."
    );
    assert_eq!(talks[1]["id"], person.talks[0].as_str());
    assert_eq!(
        talks[1]["notes"],
        "Eerste gesprek: twijfelt nog over terugkeer."
    );
    assert_eq!(talks[1]["earlier_versions"], json!([]));

    // The consent, withdrawn with its reason.
    let consent = &export["consents"][0];
    assert_eq!(consent["id"], person.consent.as_str());
    assert_eq!(consent["data_categories"], json!(["identity", "needs"]));
    assert_eq!(consent["status"], "withdrawn");
    assert_eq!(
        consent["withdrawal_reason"],
        "Wil eerst met haar familie overleggen."
    );

    // The case and its referral, cancelled when the consent went.
    let case = &export["return_cases"][0];
    assert_eq!(case["id"], person.case.as_str());
    assert_eq!(case["destination_region"], "GH-AA");
    assert_eq!(case["needs"], json!(["housing", "medical"]));
    let changes: Vec<&str> = case["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["change"].as_str())
        .collect();
    assert_eq!(
        changes,
        ["opened", "referral_sent", "referral_cancelled"],
        "{case}"
    );
    let referral = &case["referrals"][0];
    assert_eq!(referral["id"], person.referral.as_str());
    assert_eq!(referral["partner_id"], ACCRA);
    assert_eq!(referral["status"], "cancelled");
    let steps: Vec<&str> = referral["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(steps, ["requested", "cancelled"]);
    assert_eq!(referral["checklist"], json!([]));
    assert_eq!(referral["partner_drafts"], json!([]));

    // The disclosure record is the audit log's partner reads, one for one.
    let entries = person.audit_of_referral().await;
    let reads: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor_type"] == "partner" && e["outcome"] == "ok")
        .collect();
    let disclosures = export["disclosures"].as_array().expect("disclosures");
    assert_eq!(disclosures.len(), 5, "{disclosures:?}");
    assert_eq!(reads.len(), disclosures.len(), "{entries:?}");
    for (entry, disclosure) in reads.iter().zip(disclosures) {
        assert_eq!(disclosure["audit_entry_id"], entry["id"]);
        assert_eq!(disclosure["at"], entry["at"]);
        assert_eq!(disclosure["partner_id"], entry["actor_id"]);
        assert_eq!(disclosure["operation"], entry["operation"]);
        assert_eq!(disclosure["referral_id"], person.referral.as_str());
        assert_eq!(disclosure["partner_id"], ACCRA);
        assert_eq!(disclosure["partner_name"], "Accra Reintegration Network");
    }
    let operations: Vec<&str> = disclosures
        .iter()
        .filter_map(|d| d["operation"].as_str())
        .collect();
    assert_eq!(
        operations,
        [
            "partner.referrals.get",
            "partner.referrals.get",
            "partner.referrals.get",
            "partner.referrals.list",
            "partner.referrals.get"
        ]
    );
    // What the consent allowed while it held; after the withdrawal, only
    // the reference and the destination country.
    let categories: Vec<&Value> = disclosures.iter().map(|d| &d["categories"]).collect();
    let both = json!(["identity", "needs"]);
    assert_eq!(categories, [&both, &both, &both, &both, &json!([])]);
    // Kumasi's refused attempt is in the log, and showed nothing.
    assert!(
        entries
            .iter()
            .any(|e| e["actor_id"] == KUMASI && e["outcome"] == "refused"),
        "{entries:?}"
    );
    assert!(disclosures.iter().all(|d| d["partner_id"] != KUMASI));

    // The export is itself a read of the person, in the log.
    let log = get(
        app,
        &person.admin,
        &format!("/api/v1/audit?subject_id={}&limit=50", person.client),
        200,
    )
    .await;
    let exported = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["operation"] == "clients.export")
        .count();
    assert_eq!(exported, 1, "{log}");
}

#[tokio::test]
async fn who_may_export_is_who_works_with_clients_and_administrators() {
    let person = Person::new().await;
    let app = &person.app;
    let path = format!("/api/v1/clients/{}/export", person.client);
    // An administrator answers the person's request.
    let export = get(app, &person.admin, &path, 200).await;
    assert_eq!(export["client"]["given_name"], "Quintessa");
    get(app, &person.caseworker, &path, 200).await;
    // A lead sees aggregates only: 403, naming the operation.
    let lead = app.staff_token(&[Role::Lead]).await;
    let refused = get(app, &lead, &path, 403).await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("clients.export")),
        "{refused}"
    );
    // A partner key is not a staff token: 401, as on every staff route.
    let response = app.get_as(Some(&person.accra), &path).await;
    assert_eq!(response.status().as_u16(), 401);
    // Another counsellor gets what reading the client gives them: every
    // counsellor may read every client, so the export too.
    let other = app.staff_token(&[Role::Counsellor]).await;
    let read = app
        .get_as(Some(&other), &format!("/api/v1/clients/{}", person.client))
        .await
        .status();
    let exported = app.get_as(Some(&other), &path).await;
    assert_eq!(exported.status(), read);
    assert_eq!(exported.status().as_u16(), 200);
    // No such client: 404.
    let nobody = format!("/api/v1/clients/{}/export", uuid::Uuid::now_v7());
    get(app, &person.counsellor, &nobody, 404).await;
}

#[tokio::test]
async fn the_export_page_shows_the_same_in_dutch_and_in_english() {
    let person = Person::new().await;
    person.read_by_partners().await;
    let app = &person.app;
    let (mut browser, _) = signed_in(app, &[Role::Counsellor], "Cora Consulent").await;
    let client_page = browser.get(&format!("/clients/{}", person.client)).await;
    assert!(
        client_page.contains(&format!("href=\"/clients/{}/export\"", person.client)),
        "the client page links to the export"
    );
    assert!(client_page.contains("Alles wat Brug bewaart (inzage)"));

    let page = browser
        .get(&format!("/clients/{}/export", person.client))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("<html lang=\"nl\">"));
    for shown in [
        "Quintessa Fabelhaft",
        "4815162342",
        "Opvang Verzinselveen",
        "Wil terug naar haar tante in Kumasi, niet Accra.",
        "Wil terug naar haar tante in Accra.",
        "Eerste gesprek: twijfelt nog over terugkeer.",
        "Octavius Fabelhaft",
        "Wie zag welke gegevens",
        "Accra Reintegration Network",
        "Identiteit, Behoeften",
        "alleen de referentie en het land van bestemming",
    ] {
        assert!(page.contains(shown), "nl lacks {shown}");
    }
    // Five disclosures, one row each.
    let table = &page.html[page.html.find("id=\"disclosures\"").expect("the table")..];
    let rows = table[..table.find("</table>").expect("its end")]
        .matches("<tr><th scope=\"row\">")
        .count();
    assert_eq!(rows, 5);

    let english = browser
        .get(&format!("/clients/{}/export?lang=en", person.client))
        .await;
    assert_eq!(english.status, 200);
    assert!(english.html.contains("<html lang=\"en\">"));
    for shown in [
        "Everything Brug holds about",
        "Quintessa Fabelhaft",
        "4815162342",
        "Wil terug naar haar tante in Kumasi, niet Accra.",
        "Who saw which data",
        "Identity, Needs",
        "only the reference and destination country",
    ] {
        assert!(english.contains(shown), "en lacks {shown}");
    }

    // The file to hand over is the API's document.
    let file = browser
        .get(&format!("/clients/{}/export?format=json", person.client))
        .await;
    assert_eq!(file.status, 200);
    assert!(
        file.headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment")),
        "{:?}",
        file.headers
    );
    let document: Value = serde_json::from_str(&file.html).expect("json");
    assert_eq!(document["client"]["v_number"], "4815162342");
    assert_eq!(document["disclosures"].as_array().map(Vec::len), Some(5));

    // A lead may not see it.
    let (mut lead, _) = signed_in(app, &[Role::Lead], "Lea Leiding").await;
    let refused = lead
        .get(&format!("/clients/{}/export", person.client))
        .await;
    assert_eq!(refused.status, 403);
    assert!(!refused.contains("Quintessa"));
}

#[tokio::test]
async fn a_read_in_the_partner_portal_is_disclosed_as_the_partners() {
    use brug::auth::partner_users::PartnerRole;
    let person = Person::new().await;
    let app = &person.app;
    let mut user = crate::portal_helpers::portal_user(app, ACCRA, PartnerRole::FocalPoint).await;
    let page = user
        .browser
        .get(&format!("/portal/referrals/{}", person.referral))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.contains("Quintessa"));
    let export = get(
        app,
        &person.counsellor,
        &format!("/api/v1/clients/{}/export", person.client),
        200,
    )
    .await;
    let entries = person.audit_of_referral().await;
    let reads: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor_type"] == "partner" && e["outcome"] == "ok")
        .collect();
    assert_eq!(reads.len(), 1, "{entries:?}");
    let disclosures = export["disclosures"].as_array().expect("disclosures");
    assert_eq!(disclosures.len(), reads.len(), "{disclosures:?}");
    for (entry, disclosure) in reads.iter().zip(disclosures) {
        assert_eq!(disclosure["audit_entry_id"], entry["id"]);
        assert_eq!(disclosure["at"], entry["at"]);
        assert_eq!(disclosure["partner_id"], ACCRA);
        assert_eq!(disclosure["categories"], json!(["identity", "needs"]));
    }
}
