//! The partner portal in the browser, as a person at a partner works it:
//! invited, a password, a second factor read off the enrolment page; a
//! focal point and a coordinator of one partner take a referral from the
//! first acknowledgement to its closure, four eyes on every draft, with
//! the caseworker's return of the plan in the staff UI between; another
//! partner sees none of it. `pages` holds axe-core on every portal page in
//! English and Arabic; `slow` the 2G test and the pages' weight.
//!
//! The portal ships no script (`slow` asserts `document.scripts` is empty):
//! every click below is a plain form post answered by 303 and a GET, so
//! these tests are also the proof that the portal works with JavaScript
//! off. (WebDriver's `execute` is used only to set a date input's value and
//! to read what the browser measured, never by the pages.)

mod pages;
mod slow;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use brug::audit::Actor;
use brug::auth::Role;
use brug::auth::partner_users::{self, PartnerRole};
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::counselling::{PASSWORD, person, set_date};
use crate::harness;
use crate::helpers::{self, TestApp};

pub const ACCRA: &str = "accra-reintegration-network";
pub const KUMASI: &str = "kumasi-homecoming-initiative";

pub fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

/// The app as the portal tests need it (cookies over plain http).
pub async fn portal_app() -> TestApp {
    helpers::spawn_app_with(|s| s.insecure_cookies = true).await
}

/// A new Ghanaian client who wants to return, consent for Accra, a return
/// case and a referral to Accra: the case's id and the referral's.
pub async fn referral(app: &TestApp, caseworker: &str, name: &str) -> (String, String) {
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let client = app
        .post_ok(
            &counsellor,
            "/api/v1/clients",
            json!({
                "given_name": name, "family_name": "Example", "date_of_birth": "1988-02-03",
                "country_of_origin": "GH", "languages": ["tw", "en"]
            }),
        )
        .await;
    let client_id = client["id"].as_str().expect("client id");
    let talk = app
        .post_ok(
            &counsellor,
            &format!("/api/v1/clients/{client_id}/talks"),
            json!({
                "held_on": day(-1), "mode": "in_person", "topics": ["return"],
                "intention": "return", "duration_minutes": 45
            }),
        )
        .await;
    let consent = app
        .post_ok(
            caseworker,
            &format!("/api/v1/clients/{client_id}/consents"),
            json!({
                "purpose": "referral", "data_categories": ["identity", "needs"],
                "partner_id": ACCRA, "given_on": day(0), "method": "written", "language": "tw"
            }),
        )
        .await;
    let case = app
        .post_ok(
            caseworker,
            "/api/v1/return-cases",
            json!({
                "client_id": client_id, "talk_id": talk["id"], "destination_country": "GH",
                "destination_region": "GH-AA", "needs": ["housing", "education"],
                "planned_departure_on": day(40)
            }),
        )
        .await;
    let case_id = case["id"].as_str().expect("case id").to_owned();
    let sent = app
        .post_ok(
            caseworker,
            &format!("/api/v1/return-cases/{case_id}/referrals"),
            json!({"partner_id": ACCRA, "consent_id": consent["id"]}),
        )
        .await;
    (
        case_id,
        sent["id"].as_str().expect("referral id").to_owned(),
    )
}

/// A person at a partner, with the TOTP secret their app holds and the
/// last 30-second step they used (a code is good once per step).
pub struct PartnerPerson {
    pub email: String,
    pub secret: String,
    last_step: AtomicI64,
}

impl PartnerPerson {
    /// The code of the step after the last one used, no earlier than the
    /// one before now (the server allows one step of drift either way);
    /// waits, bounded, for the clock when the next step is too far ahead.
    pub async fn next_code(&self) -> String {
        let step = loop {
            let now = chrono::Utc::now().timestamp() / 30;
            let step = (self.last_step.load(Ordering::SeqCst) + 1).max(now - 1);
            if step <= now + 1 {
                break step;
            }
            assert!(step <= now + 2, "the steps ran ahead of the clock");
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        self.last_step.store(step, Ordering::SeqCst);
        let at = u64::try_from(step * 30).expect("a time after 1970");
        brug::auth::totp::code_at(&self.secret, at).expect("a code")
    }
}

/// Invites a person as `brug partner user add` does: email and token.
pub async fn invite(app: &TestApp, partner: &str, role: PartnerRole) -> (String, String) {
    let email = format!("{}@partner.example.org", uuid::Uuid::now_v7().simple());
    let (partner, mail) = (partner.to_owned(), email.clone());
    let (_, token) = app
        .write(move |conn, now| {
            partner_users::add(conn, &Actor::cli(), &partner, &mail, role, "en", now)
        })
        .await;
    (email, token)
}

/// Through the invitation link in the browser: a password, the key shown
/// beside the QR code into the "authenticator", its code; lands in the inbox.
pub async fn enrol(
    client: &Client,
    app: &TestApp,
    partner: &str,
    role: PartnerRole,
) -> PartnerPerson {
    let (email, token) = invite(app, partner, role).await;
    harness::goto(client, &app.url(&format!("/portal/invite/{token}"))).await;
    see(client, &email).await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::fill_by_name(client, "again", PASSWORD).await;
    harness::click_button(client, "Save the password").await;
    let shown = harness::text_of(client, "code.secret").await;
    let secret: String = shown.split_whitespace().collect();
    assert!(secret.len() >= 16, "a base32 key is shown: {shown:?}");
    assert!(
        harness::wait_for(client, "figure.qr svg")
            .await
            .is_displayed()
            .await
            .expect("shown"),
        "the QR code is drawn on the page"
    );
    let person = PartnerPerson {
        email,
        secret,
        last_step: AtomicI64::new(i64::MIN / 2),
    };
    harness::fill_by_name(client, "code", &person.next_code().await).await;
    harness::click_button(client, "Continue").await;
    heading(client, "Inbox").await;
    person
}

/// Signs in with the password and the next code.
pub async fn sign_in(client: &Client, app: &TestApp, person: &PartnerPerson) {
    harness::goto(client, &app.url("/portal/login")).await;
    harness::fill_by_name(client, "email", &person.email).await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::click_button(client, "Sign in").await;
    heading(client, "Your code").await;
    harness::fill_by_name(client, "code", &person.next_code().await).await;
    harness::click_button(client, "Continue").await;
    heading(client, "Inbox").await;
}

pub async fn sign_out(client: &Client) {
    harness::click_button(client, "Sign out").await;
    see(client, "You are signed out.").await;
}

/// Waits until `<main>` holds `text` (a form's redirect lands a moment
/// after the click).
pub async fn see(client: &Client, text: &str) {
    let xpath = format!(
        "//main[contains(normalize-space(.), {})]",
        harness::xpath_literal(text)
    );
    if let Err(e) = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
    {
        let main = harness::text_of(client, "main").await;
        panic!("no {text:?} on the page: {e}\n{main}");
    }
}

/// Waits for the page whose `<h1>` reads `text`.
pub async fn heading(client: &Client, text: &str) {
    let xpath = format!("//h1[normalize-space(.)={}]", harness::xpath_literal(text));
    if let Err(e) = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
    {
        let main = harness::text_of(client, "main").await;
        panic!("no page headed {text:?}: {e}\n{main}");
    }
}

pub async fn main_text(client: &Client) -> String {
    harness::text_of(client, "main").await
}

/// The text of the referral's status, the first `<strong>` under its title.
pub async fn status(client: &Client) -> String {
    harness::text_of(client, "h1 + p strong").await
}

async fn count(client: &Client, xpath: &str) -> usize {
    client
        .find_all(Locator::XPath(xpath))
        .await
        .map(|found| found.len())
        .unwrap_or(0)
}

/// Waits, bounded by [`harness::WAIT`], until `ready` holds (a page that
/// reads as the last one did before the redirect lands).
pub async fn until<F, Fut>(ready: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + harness::WAIT;
    while !ready().await {
        assert!(
            std::time::Instant::now() < deadline,
            "not within {:?}",
            harness::WAIT
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the draft listed as `what` to review it, and clicks "Submit"
/// under what it shows (a coordinator submits only what they read).
pub async fn submit_draft(client: &Client, what: &str) {
    let xpath = format!(
        "//li[strong[normalize-space(.)={}]]//a[normalize-space(.)='Review and submit']",
        harness::xpath_literal(what)
    );
    let link = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no review link for the draft {what:?}: {e}"));
    link.click().await.expect("open the draft");
    see(client, "Sign-off").await;
    harness::click_button(client, "Submit").await;
}

pub async fn follow(client: &Client, text: &str) {
    crate::counselling::click_link(client, text).await;
}

pub async fn choose(client: &Client, name: &str, value: &str) {
    harness::wait_for(client, &format!("select[name=\"{name}\"]"))
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value:?} in {name:?}: {e}"));
}

/// One answer for every question of the monitoring form (the first of each).
pub async fn answer_every_question(client: &Client) -> usize {
    let radios = client
        .find_all(Locator::Css("input[type=radio]"))
        .await
        .expect("the questions' answers");
    let mut answered: Vec<String> = Vec::new();
    for radio in radios {
        let name = radio.attr("name").await.expect("name").expect("a name");
        if !answered.contains(&name) {
            radio.click().await.expect("answer");
            answered.push(name);
        }
    }
    answered.len()
}

/// Drafts the monitoring report of the first visit open: today, in person.
pub async fn draft_monitoring(client: &Client) {
    harness::wait_for(client, "select[name=\"visit_id\"]").await;
    let first = harness::wait_for(client, "select[name=\"visit_id\"] option:not([value=\"\"])")
        .await
        .attr("value")
        .await
        .expect("value")
        .expect("a visit");
    choose(client, "visit_id", &first).await;
    set_date(client, "held_on", &day(0)).await;
    choose(client, "mode", "in_person").await;
    assert!(
        answer_every_question(client).await > 3,
        "the model's questions"
    );
    harness::click_button(client, "Save the draft").await;
}

/// Fills row `n` of the plan form.
pub async fn plan_row(client: &Client, n: usize, need: &str, support: &str, amount: &str) {
    choose(client, &format!("items[{n}].need"), need).await;
    harness::fill_by_name(client, &format!("items[{n}].support"), support).await;
    harness::fill_by_name(client, &format!("items[{n}].amount"), amount).await;
    harness::fill_by_name(client, &format!("items[{n}].currency"), "GHS").await;
}

/// The rows of the plan's table on the referral page, cells joined by " | ".
async fn plan_rows(client: &Client) -> Vec<String> {
    let mut rows = Vec::new();
    for row in client
        .find_all(Locator::Css("table.list tbody tr"))
        .await
        .expect("the plan's rows")
    {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("td")).await.expect("cells") {
            cells.push(cell.text().await.expect("text"));
        }
        rows.push(cells.join(" | "));
    }
    rows
}

#[tokio::test]
async fn a_partner_takes_a_referral_from_the_inbox_to_its_closure_with_four_eyes() {
    let app = portal_app().await;
    let caseworker = app.staff_token(&[Role::Caseworker]).await;
    let (case_id, id) = referral(&app, &caseworker, "Abena").await;
    let staff = person(&app, &[Role::Caseworker], "Sanne de Vries").await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let page = app.url(&format!("/portal/referrals/{id}"));

    // The focal point: invited, enrolled, the new referral in the inbox.
    let focal = enrol(client, &app, ACCRA, PartnerRole::FocalPoint).await;
    let inbox = main_text(client).await;
    assert!(
        inbox.contains("Acknowledge that you received it"),
        "{inbox}"
    );
    assert!(inbox.contains("New"), "{inbox}");
    let link = harness::wait_for(client, &format!("a[href=\"/portal/referrals/{id}\"]")).await;
    let reference = link.text().await.expect("the reference");
    assert!(inbox.contains(&reference));
    link.click().await.expect("open the referral");
    heading(client, &reference).await;
    assert_eq!(status(client).await, "New");
    assert!(
        main_text(client).await.contains("Abena"),
        "identity is consented"
    );

    harness::click_button(client, "Acknowledge").await;
    see(client, "Acknowledged.").await;
    assert_eq!(status(client).await, "Acknowledged");
    harness::click_button(client, "Accept the referral").await;
    see(client, "Accepted.").await;
    assert_eq!(status(client).await, "Accepted");
    see(client, "Preparing the departure").await;
    let done = "//button[normalize-space(.)='Done']";
    let open = count(client, done).await;
    assert!(open > 0, "the partner has checklist tasks to complete");
    for left in (0..open).rev() {
        harness::click_button(client, "Done").await;
        until(|| async { count(client, done).await == left }).await;
        see(client, "Task done.").await;
    }

    // The caseworker records the departure; the partner confirms arrival.
    app.post_ok(
        &caseworker,
        &format!("/api/v1/return-cases/{case_id}/departure"),
        json!({"departed_on": day(0)}),
    )
    .await;
    harness::goto(client, &page).await;
    assert_eq!(status(client).await, "Departed");
    set_date(client, "arrived_on", &day(0)).await;
    harness::wait_for(client, "input[name=\"received\"]")
        .await
        .click()
        .await
        .expect("tick: we received the person");
    harness::click_button(client, "Confirm the arrival").await;
    see(client, "Arrival confirmed.").await;
    see(client, "Monitoring visits").await;

    // The focal point drafts the plan; nothing goes out without a coordinator.
    follow(client, "Draft or change the plan").await;
    heading(client, &format!("Reintegration plan for {reference}")).await;
    plan_row(client, 0, "housing", "Three months' rent", "900").await;
    harness::click_button(client, "Save the draft").await;
    see(client, "Draft saved. A coordinator will submit it.").await;
    see(
        client,
        "A coordinator other than the person who drafted it submits it.",
    )
    .await;
    assert_eq!(
        count(client, "//button[normalize-space(.)='Submit']").await,
        0
    );
    assert!(main_text(client).await.contains("No plan yet."));
    sign_out(client).await;

    // The coordinator, a second session: the draft waits for the sign-off.
    let coordinator = enrol(client, &app, ACCRA, PartnerRole::Coordinator).await;
    see(client, "Waiting for your sign-off").await;
    follow(client, "Reintegration plan").await;
    heading(client, &reference).await;
    submit_draft(client, "Reintegration plan").await;
    see(client, "The plan was submitted to the caseworker.").await;
    see(client, "Submitted, waiting for approval").await;
    assert_eq!(plan_rows(client).await.len(), 1);
    assert!(plan_rows(client).await[0].contains("Three months' rent"));
    sign_out(client).await;

    // The caseworker returns it in the staff UI, with a comment.
    harness::goto(client, &app.url("/login")).await;
    harness::fill_by_name(client, "email", &staff).await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::click_button(client, "Aanmelden").await;
    harness::wait_for(client, "header nav").await;
    harness::goto(client, &app.url(&format!("/return-cases/{case_id}"))).await;
    harness::fill_by_name(client, "comment", "Please add the school fees.").await;
    harness::click_button(client, "Terugsturen met opmerking").await;
    see(client, "Please add the school fees.").await;
    harness::click_button(client, "Afmelden").await;
    harness::wait_for(client, "#f-email").await;

    // The focal point sees the comment, and changes the plan.
    sign_in(client, &app, &focal).await;
    see(client, "The plan was returned: change it").await;
    harness::goto(client, &page).await;
    assert!(main_text(client).await.contains("Returned"));
    follow(client, "Draft or change the plan").await;
    see(
        client,
        "The caseworker's comment: Please add the school fees.",
    )
    .await;
    let amount = harness::wait_for(client, "input[name=\"items[0].amount\"]").await;
    let kept = amount
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        kept.starts_with("900"),
        "the returned plan is on the form: {kept}"
    );
    plan_row(client, 1, "education", "School fees", "300").await;
    harness::click_button(client, "Save the draft").await;
    see(client, "Draft saved. A coordinator will submit it.").await;
    sign_out(client).await;

    // The coordinator resubmits; the caseworker approves (API).
    sign_in(client, &app, &coordinator).await;
    see(client, "Waiting for your sign-off").await;
    harness::goto(client, &page).await;
    submit_draft(client, "Reintegration plan").await;
    see(client, "The plan was submitted to the caseworker.").await;
    let rows = plan_rows(client).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[1].contains("School fees") && rows[1].contains("GHS"),
        "{rows:?}"
    );
    app.post_ok(
        &caseworker,
        &format!("/api/v1/referrals/{id}/reintegration-plan/approve"),
        json!({}),
    )
    .await;
    harness::goto(client, &page).await;
    see(client, "Approved").await;
    assert_eq!(
        count(client, "//a[normalize-space(.)='Draft or change the plan']").await,
        0,
        "an approved plan is not offered for change"
    );
    sign_out(client).await;

    // The focal point reports the first visit and drafts the closure.
    sign_in(client, &app, &focal).await;
    harness::goto(client, &page).await;
    follow(client, "Report a monitoring visit").await;
    heading(client, &format!("Monitoring visit for {reference}")).await;
    draft_monitoring(client).await;
    see(client, "Draft saved. A coordinator will submit it.").await;
    follow(client, "Close the referral").await;
    heading(client, &format!("Closing {reference}")).await;
    choose(client, "outcome", "completed").await;
    harness::click_button(client, "Save the draft").await;
    see(client, "Draft saved. A coordinator will submit it.").await;
    see(client, "Monitoring report").await;
    see(client, "Closure").await;
    sign_out(client).await;

    // The coordinator submits the report, then the closure.
    sign_in(client, &app, &coordinator).await;
    let waiting = main_text(client).await;
    assert!(
        waiting.contains("Waiting for your sign-off")
            && waiting.contains("Monitoring report")
            && waiting.contains("Closure"),
        "{waiting}"
    );
    harness::goto(client, &page).await;
    submit_draft(client, "Monitoring report").await;
    see(client, "The monitoring report was submitted.").await;
    let visits = client
        .find(Locator::XPath(
            "//h2[normalize-space(.)='Monitoring visits']/following-sibling::ul[1]/li[1]",
        ))
        .await
        .expect("the visits")
        .text()
        .await
        .expect("text");
    assert!(
        visits.ends_with("done"),
        "the first visit is done: {visits}"
    );
    submit_draft(client, "Closure").await;
    let xpath = "//h1/following-sibling::p[1]/strong[normalize-space(.)='Completed']";
    client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(xpath))
        .await
        .expect("the referral is completed");
    assert_eq!(status(client).await, "Completed");
    assert_eq!(
        count(client, "//a[normalize-space(.)='Close the referral']").await,
        0
    );
    harness::goto(client, &app.url("/portal")).await;
    assert!(
        !main_text(client).await.contains(&reference),
        "no longer open"
    );
    follow(client, "Show closed referrals").await;
    see(client, &reference).await;
    see(client, "Completed").await;
    sign_out(client).await;

    // Kumasi's people see none of it.
    enrol(client, &app, KUMASI, PartnerRole::Coordinator).await;
    let theirs = main_text(client).await;
    assert!(!theirs.contains(&reference), "{theirs}");
    assert!(!theirs.contains("Waiting for your sign-off"), "{theirs}");
    harness::goto(client, &app.url("/portal?closed=1")).await;
    assert!(!main_text(client).await.contains(&reference));
    harness::goto(client, &page).await;
    heading(client, "Not found").await;
    let shown = main_text(client).await;
    assert!(
        !shown.contains("Abena") && !shown.contains(&reference),
        "{shown}"
    );
}
