//! The partner portal over HTTP: sign-in with a second factor, the inbox,
//! the referral as the API shows it, four eyes, forms applied once, and a
//! partner's isolation from every other.

use brug::auth::partner_users::PartnerRole;
use serde_json::{Value, json};

use crate::portal_helpers::{code, invite, portal_user, shown_fields, submit};
use crate::referrals::{ACCRA, KUMASI, Stage, ok};
use crate::web_helpers::{Browser, PASSWORD};

#[tokio::test]
async fn a_partner_user_needs_a_password_and_a_code_and_sees_only_its_inbox() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let (email, token) = invite(&stage.app, ACCRA, PartnerRole::FocalPoint, "en").await;
    let mut browser = Browser::new(&stage.app);

    // Without a session, the portal asks to sign in.
    let inbox = browser.get("/portal").await;
    assert_eq!(inbox.status, 303);
    assert_eq!(inbox.location.as_deref(), Some("/portal/login"));

    // The invitation sets a password, then enrolment shows a QR code.
    browser.get(&format!("/portal/invite/{token}")).await;
    let short = browser
        .post(
            &format!("/portal/invite/{token}"),
            &[("password", "short"), ("again", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.contains("at least 12 characters"), "{}", short.html);
    let set = browser
        .post(
            &format!("/portal/invite/{token}"),
            &[("password", PASSWORD), ("again", PASSWORD)],
        )
        .await;
    assert_eq!(set.location.as_deref(), Some("/portal/second-factor"));
    // Before the second factor, nothing of the partner's opens.
    let early = browser.get(&format!("/portal/referrals/{id}")).await;
    assert_eq!(early.status, 303);
    assert_eq!(early.location.as_deref(), Some("/portal/second-factor"));
    let enrol = browser.get("/portal/second-factor").await;
    assert!(enrol.contains("<svg"), "the QR code is drawn on the page");
    let secret = crate::portal_helpers::secret_of(&enrol);
    let wrong = browser
        .post(
            "/portal/second-factor",
            &[("code", "000000"), ("next", "/portal")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.contains("This code is not right"), "{}", wrong.html);
    let half_open = browser
        .cookies
        .get("brug_portal")
        .cloned()
        .expect("a session");
    // Kept as typed: the same code again later, whatever the clock says then.
    let first_code = code(&secret, 0);
    let right = browser
        .post(
            "/portal/second-factor",
            &[("code", &first_code), ("next", "/portal")],
        )
        .await;
    assert_eq!(right.status, 303, "{}", right.html);
    assert_eq!(right.location.as_deref(), Some("/portal"));
    let verified = browser
        .cookies
        .get("brug_portal")
        .cloned()
        .expect("a session");
    assert_ne!(
        verified, half_open,
        "the session gets a new id with the second factor"
    );

    let inbox = browser.get("/portal").await;
    assert_eq!(inbox.status, 200);
    assert!(
        inbox.contains(&format!("/portal/referrals/{id}")),
        "{}",
        inbox.html
    );
    assert!(inbox.contains("Acknowledge that you received it"));
    assert!(!inbox.contains("<script"), "the portal sends no script");

    // Signed out, and the same code does not sign in again.
    browser.post("/portal/logout", &[]).await;
    browser.get("/portal/login").await;
    let again = browser
        .post(
            "/portal/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/portal"),
            ],
        )
        .await;
    assert_eq!(again.status, 303);
    browser.get("/portal/second-factor").await;
    let reused = browser
        .post(
            "/portal/second-factor",
            &[("code", &first_code), ("next", "/portal")],
        )
        .await;
    assert_eq!(reused.status, 422, "a code is good once");

    // Kumasi's people see none of Accra's referral.
    let mut kumasi = portal_user(&stage.app, KUMASI, PartnerRole::Coordinator).await;
    let theirs = kumasi.browser.get("/portal").await;
    assert!(
        !theirs.contains(id),
        "another partner's referral is not listed"
    );
    let page = kumasi.browser.get(&format!("/portal/referrals/{id}")).await;
    assert_eq!(page.status, 404);
    assert!(!page.contains("Abena"));
}

#[tokio::test]
async fn the_portal_shows_the_fields_the_api_shows_for_the_same_referral() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let api = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    let page = user.browser.get(&format!("/portal/referrals/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let mut expected: Vec<String> = api["client"]
        .as_object()
        .expect("client")
        .keys()
        .cloned()
        .collect();
    for optional in ["destination_region", "planned_departure_on"] {
        if api.get(optional).is_some() {
            expected.push(optional.to_owned());
        }
    }
    let mut shown = shown_fields(&page.html);
    expected.sort();
    shown.sort();
    assert_eq!(shown, expected);
    // Identity and needs are consented; contact and travel documents are not.
    assert!(shown.contains(&"given_name".to_owned()));
    assert!(!shown.contains(&"location".to_owned()));
    assert!(page.contains("Abena"));
    assert!(
        !page.contains("Example-Zuid"),
        "the location is not consented"
    );
    assert!(
        !page.contains("Private notes"),
        "talk notes never reach a partner"
    );
}

/// The acknowledgement's entries in the referral's history, by the API.
async fn statuses(stage: &Stage, id: &str) -> Vec<String> {
    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    view["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().expect("status").to_owned())
        .collect()
}

#[tokio::test]
async fn a_form_sent_twice_is_applied_once() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    user.browser.get(&format!("/portal/referrals/{id}")).await;
    let path = format!("/portal/referrals/{id}/acknowledge");
    let fields = [("idempotency_key", "flaky-link-1"), ("ack_note", "")];
    let first = user.browser.post(&path, &fields).await;
    assert_eq!(first.status, 303, "{}", first.html);
    let second = user.browser.post(&path, &fields).await;
    assert_eq!(second.status, 303, "the repeat leads where the first did");
    assert_eq!(second.location, first.location);
    assert_eq!(statuses(&stage, id).await, ["requested", "received"]);
    // The partner acknowledged (as with its key), and the person who sent
    // the form is beside it under the same request id, once.
    let admin = stage.app.staff_token(&[brug::auth::Role::Admin]).await;
    let log = ok(stage.get(&admin, "/api/v1/audit?limit=500").await, 200).await;
    let entries = log["items"].as_array().expect("items");
    let by_partner: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["operation"] == "partner.referrals.acknowledge" && e["actor_type"] == "partner"
        })
        .collect();
    let by_person: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            e["operation"] == "partner.referrals.acknowledge" && e["actor_type"] == "partner_user"
        })
        .collect();
    let operations: Vec<String> = entries
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["actor_type"], e["operation"], e["subject_type"]
            )
        })
        .collect();
    assert_eq!(by_partner.len(), 1, "{operations:#?}");
    assert_eq!(by_person.len(), 1, "{by_person:?}");
    assert_eq!(by_partner[0]["actor_id"], ACCRA);
    assert_eq!(by_person[0]["actor_id"], user.id.as_str());
    assert_eq!(by_person[0]["request_id"], by_partner[0]["request_id"]);
    // Without the key, a second acknowledgement is refused by the machine.
    let again = submit(&mut user.browser, &path, &[]).await;
    assert_eq!(again.status, 409, "{}", again.html);
}

#[tokio::test]
async fn a_coordinator_submits_what_a_focal_point_drafted_and_never_their_own() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let mut focal = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    let mut coordinator = portal_user(&stage.app, ACCRA, PartnerRole::Coordinator).await;

    let form = focal
        .browser
        .get(&format!("/portal/referrals/{id}/plan"))
        .await;
    assert_eq!(form.status, 200, "{}", form.html);
    let bad = submit(
        &mut focal.browser,
        &format!("/portal/referrals/{id}/plan"),
        &[
            ("items[0].need", "housing"),
            ("items[0].support", "Three months' rent"),
            ("items[0].amount", "lots"),
            ("items[0].currency", "GHS"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.field_error("items[0].amount").is_some(), "{}", bad.html);
    let saved = submit(
        &mut focal.browser,
        &format!("/portal/referrals/{id}/plan"),
        &[
            ("items[0].need", "housing"),
            ("items[0].support", "Three months' rent"),
            ("items[0].amount", "1200"),
            ("items[0].currency", "ghs"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    // Nothing reached the caseworker yet.
    let api = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(api["reintegration_plan"], Value::Null);

    let page = focal.browser.get(&format!("/portal/referrals/{id}")).await;
    let first = draft_id(&page.html);
    // A focal point may not submit.
    let refused = submit(
        &mut focal.browser,
        &format!("/portal/drafts/{first}/submit"),
        &[],
    )
    .await;
    assert_eq!(refused.status, 403);

    coordinator
        .browser
        .get(&format!("/portal/referrals/{id}"))
        .await;
    let submitted = submit(
        &mut coordinator.browser,
        &format!("/portal/drafts/{first}/submit"),
        &[],
    )
    .await;
    assert_eq!(submitted.status, 303, "{}", submitted.html);
    let api = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    let plan = &api["reintegration_plan"];
    assert_eq!(plan["status"], "submitted");
    assert_eq!(plan["items"][0]["currency"], "GHS");
    assert_eq!(plan["items"][0]["amount"], 1200.0);

    // The caseworker returns it; the comment shows on the form.
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/reintegration-plan/reject"),
                json!({"comment": "Please add the school fees."}),
            )
            .await,
        200,
    )
    .await;
    let form = coordinator
        .browser
        .get(&format!("/portal/referrals/{id}/plan"))
        .await;
    assert!(
        form.contains("Please add the school fees."),
        "{}",
        form.html
    );
    assert_eq!(
        form.field_value("items[0].amount").as_deref(),
        Some("1200.0")
    );

    // A coordinator who drafts may not submit their own draft.
    submit(
        &mut coordinator.browser,
        &format!("/portal/referrals/{id}/plan"),
        &[
            ("items[0].need", "housing"),
            ("items[0].support", "Three months' rent"),
            ("items[0].amount", "1200"),
            ("items[0].currency", "GHS"),
            ("items[1].need", "education"),
            ("items[1].support", "School fees"),
            ("items[1].amount", "300"),
            ("items[1].currency", "GHS"),
        ],
    )
    .await;
    let page = coordinator
        .browser
        .get(&format!("/portal/referrals/{id}"))
        .await;
    let own = draft_id(&page.html);
    let four_eyes = submit(
        &mut coordinator.browser,
        &format!("/portal/drafts/{own}/submit"),
        &[],
    )
    .await;
    assert_eq!(four_eyes.status, 409, "{}", four_eyes.html);
    assert!(four_eyes.contains("colleague"), "{}", four_eyes.html);
}

/// The first draft's id on a referral page.
fn draft_id(html: &str) -> String {
    let marker = "/portal/drafts/";
    let start = html.find(marker).expect("a draft is listed") + marker.len();
    html[start..start + html[start..].find('/').expect("end")].to_owned()
}

#[tokio::test]
async fn the_portal_declines_with_a_code_that_the_partners_report_counts() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    user.browser.get(&format!("/portal/referrals/{id}")).await;
    submit(
        &mut user.browser,
        &format!("/portal/referrals/{id}/acknowledge"),
        &[],
    )
    .await;
    let page = user.browser.get(&format!("/portal/referrals/{id}")).await;
    assert!(
        page.contains("value=\"no_capacity\""),
        "the coded reasons are offered"
    );
    let path = format!("/portal/referrals/{id}/decline");
    let without = submit(
        &mut user.browser,
        &path,
        &[("reason_code", "other"), ("decline_reason", "")],
    )
    .await;
    assert_eq!(without.status, 422, "{}", without.html);
    assert!(
        without.field_error("decline_reason").is_some(),
        "the text is asked for beside its field"
    );
    let declined = submit(
        &mut user.browser,
        &path,
        &[("reason_code", "no_capacity"), ("decline_reason", "")],
    )
    .await;
    assert_eq!(declined.status, 303, "{}", declined.html);
    let page = user.browser.get(&format!("/portal/referrals/{id}")).await;
    assert!(page.contains("Declined: No capacity"), "{}", page.html);
    let api = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(api["status"], "rejected");
    assert_eq!(api["status_reason"]["code"], "no_capacity");
    let lead = stage.app.staff_token(&[brug::auth::Role::Lead]).await;
    let report = ok(stage.get(&lead, "/api/v1/reports/partners").await, 200).await;
    let row = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["partner_id"] == ACCRA)
        .cloned()
        .expect("Accra's row");
    assert_eq!(row["declines_by_reason"]["no_capacity"], "<5");
    assert_eq!(row["declines_by_reason"]["other"], 0);
}

#[tokio::test]
async fn the_portal_puts_on_hold_resumes_and_states_its_capacity() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    user.browser.get(&format!("/portal/referrals/{id}")).await;
    let hold = format!("/portal/referrals/{id}/hold");
    let past = submit(
        &mut user.browser,
        &hold,
        &[
            ("hold_reason", "Flooding"),
            ("review_on", &crate::referrals::day(-1)),
        ],
    )
    .await;
    assert_eq!(past.status, 422);
    assert!(past.field_error("review_on").is_some(), "{}", past.html);
    let held = submit(
        &mut user.browser,
        &hold,
        &[
            ("hold_reason", "The road to the district is flooded"),
            ("review_on", &crate::referrals::day(14)),
        ],
    )
    .await;
    assert_eq!(held.status, 303, "{}", held.html);
    let page = user.browser.get(&format!("/portal/referrals/{id}")).await;
    assert!(page.contains("On hold until"), "{}", page.html);
    assert!(page.contains("The road to the district is flooded"));
    let inbox = user.browser.get("/portal").await;
    assert!(inbox.contains("Review the hold"), "{}", inbox.html);
    let resumed = submit(
        &mut user.browser,
        &format!("/portal/referrals/{id}/resume"),
        &[],
    )
    .await;
    assert_eq!(resumed.status, 303);
    let api = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(api["status"], "accepted");
    let events = ok(
        stage
            .get(&stage.accra, "/partner/v1/events?limit=500")
            .await,
        200,
    )
    .await;
    let types: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| t.contains("hold") || t.contains("resumed"))
        .collect();
    assert_eq!(types, ["referral.on_hold", "referral.resumed"]);

    // Capacity: a waiting list needs its weeks, beside the row.
    user.browser.get("/portal/settings").await;
    let no_weeks = submit(
        &mut user.browser,
        "/portal/settings/capacity",
        &[("capacity.GH.housing", "waitlist")],
    )
    .await;
    assert_eq!(no_weeks.status, 422, "{}", no_weeks.html);
    assert!(
        no_weeks.field_error("capacity.GH.housing").is_some(),
        "{}",
        no_weeks.html
    );
    let saved = submit(
        &mut user.browser,
        "/portal/settings/capacity",
        &[
            ("capacity.GH.housing", "waitlist"),
            ("weeks.GH.housing", "6"),
            ("capacity.GH.medical", "yes"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let capacity = ok(stage.get(&stage.accra, "/partner/v1/capacity").await, 200).await;
    let items = capacity["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{capacity}");
    let housing = items
        .iter()
        .find(|i| i["need"] == "housing")
        .expect("housing");
    assert_eq!(housing["answer"], "waitlist");
    assert_eq!(housing["waitlist_weeks"], 6);
    let page = user.browser.get("/portal/settings").await;
    assert!(page.contains("name=\"weeks.GH.housing\" type=\"number\" min=\"1\" max=\"52\" inputmode=\"numeric\" value=\"6\""));
}

#[tokio::test]
async fn a_partner_out_of_the_directory_has_no_portal_and_guessed_codes_end_the_sign_in() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id").to_owned();
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    let page = user
        .browser
        .get(&format!("/portal/referrals/{id}?done=anything-you-like"))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.headers
            .get("cache-control")
            .map(|v| v.to_str().expect("text")),
        Some("no-store"),
        "a returnee's data is never cached"
    );
    assert!(
        !page.contains("anything-you-like"),
        "a notice comes only from the portal's words"
    );

    // Guessing codes: after five wrong ones the password is asked for again.
    let mut guesser = Browser::new(&stage.app);
    guesser.get("/portal/login").await;
    guesser
        .post(
            "/portal/login",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "/portal"),
            ],
        )
        .await;
    guesser.get("/portal/second-factor").await;
    let mut last = None;
    for _ in 0..5 {
        last = Some(
            guesser
                .post(
                    "/portal/second-factor",
                    &[("code", "000000"), ("next", "/portal")],
                )
                .await,
        );
    }
    let last = last.expect("answered");
    assert_eq!(last.status, 303);
    assert_eq!(last.location.as_deref(), Some("/portal/login?codes=1"));
    let again = guesser.get("/portal/second-factor").await;
    assert_eq!(again.status, 303, "the half-open session ended");

    // The directory drops Accra: its people are out, as its keys are.
    stage
        .app
        .write(|conn, _| {
            use brug::db::schema::partners;
            use diesel::prelude::*;
            diesel::update(partners::table.find(ACCRA))
                .set(partners::status.eq("inactive"))
                .execute(conn)?;
            Ok(())
        })
        .await;
    let gone = user.browser.get("/portal").await;
    assert_eq!(gone.status, 303);
    let mut fresh = Browser::new(&stage.app);
    fresh.get("/portal/login").await;
    let refused = fresh
        .post(
            "/portal/login",
            &[
                ("email", &user.email),
                ("password", PASSWORD),
                ("next", "/portal"),
            ],
        )
        .await;
    assert_eq!(refused.status, 401);
}

#[tokio::test]
async fn a_coordinator_submits_from_the_draft_they_read_and_drafts_end_with_the_referral() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let mut focal = portal_user(&stage.app, ACCRA, PartnerRole::FocalPoint).await;
    let mut coordinator = portal_user(&stage.app, ACCRA, PartnerRole::Coordinator).await;
    focal
        .browser
        .get(&format!("/portal/referrals/{id}/plan"))
        .await;
    submit(
        &mut focal.browser,
        &format!("/portal/referrals/{id}/plan"),
        &[
            ("items[0].need", "housing"),
            ("items[0].support", "Rent for a room"),
            ("items[0].amount", "500"),
            ("items[0].currency", "GHS"),
        ],
    )
    .await;
    let own_view = focal
        .browser
        .get(&format!("/portal/referrals/{id}/plan"))
        .await;
    assert!(
        !own_view.contains("/submit\""),
        "no sign-off for the one who drafted it"
    );
    let review = coordinator
        .browser
        .get(&format!("/portal/referrals/{id}/plan"))
        .await;
    assert!(review.contains("/submit\""), "{}", review.html);
    assert_eq!(
        review.field_value("items[0].support").as_deref(),
        Some("Rent for a room")
    );
    // The caseworker cancels: the draft ends with the referral.
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/cancel"),
                json!({"reason": "The person changed their mind."}),
            )
            .await,
        200,
    )
    .await;
    let inbox = coordinator.browser.get("/portal").await;
    assert!(
        !inbox.contains("Waiting for your sign-off"),
        "{}",
        inbox.html
    );
    let page = coordinator
        .browser
        .get(&format!("/portal/referrals/{id}"))
        .await;
    assert!(
        !page.contains("/portal/drafts/"),
        "no draft is left: {}",
        page.html
    );
}
