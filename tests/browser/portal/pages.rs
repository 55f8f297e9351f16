//! axe-core on every portal page, in English and in Arabic (right to
//! left): sign-in, invitation, both second-factor pages, the inbox (a focal
//! point's, and a coordinator's with drafts waiting), the referral in each
//! status, the draft forms (fresh and refused), settings for both roles, and
//! the page a referral of no one's shows.

use brug::auth::partner_users::PartnerRole;
use fantoccini::{Client, Locator};
use serde_json::json;

use super::{ACCRA, day, enrol, heading, invite, portal_app, referral, see, sign_out};
use crate::counselling::PASSWORD;
use crate::harness;
use crate::helpers::TestApp;

const LANGS: [&str; 2] = ["en", "ar"];

fn with_lang(path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={lang}")
}

async fn html_attr(client: &Client, name: &str) -> Option<String> {
    client
        .find(Locator::Css("html"))
        .await
        .expect("the html element")
        .attr(name)
        .await
        .expect("an attribute")
}

/// The page is in `lang`, right to left in Arabic only, and axe finds
/// nothing on it.
async fn assert_page(client: &Client, lang: &str, page: &str) {
    assert_eq!(
        html_attr(client, "lang").await.as_deref(),
        Some(lang),
        "{page}"
    );
    let dir = html_attr(client, "dir").await;
    if lang == "ar" {
        assert_eq!(dir.as_deref(), Some("rtl"), "{page} in Arabic");
    } else {
        assert_ne!(dir.as_deref(), Some("rtl"), "{page} in {lang}");
    }
    harness::assert_accessible(client, &format!("{page} ({lang})")).await;
}

/// Opens `path` in English and in Arabic and checks each.
async fn check(client: &Client, app: &TestApp, path: &str, page: &str) {
    for lang in LANGS {
        harness::goto(client, &app.url(&with_lang(path, lang))).await;
        harness::wait_for(client, "main h1").await;
        assert_page(client, lang, page).await;
    }
}

/// Clicks the submit button of the form posting to a path ending `action`
/// (by its place, not its words, so that it is found in any language).
async fn submit_form(client: &Client, action: &str) {
    let form = if action.is_empty() {
        "main form".to_owned()
    } else {
        format!("main form[action$=\"{action}\"]")
    };
    harness::wait_for(client, &format!("{form} button[type=submit]"))
        .await
        .click()
        .await
        .expect("submit the form");
}

/// Waits for the refused form's messages.
async fn refused(client: &Client) {
    harness::wait_for(client, "#problem, p.error").await;
}

#[tokio::test]
async fn every_portal_page_passes_axe_in_english_and_in_arabic() {
    let app = portal_app().await;
    let caseworker = app.staff_token(&[brug::auth::Role::Caseworker]).await;
    let key = app.partner_key(ACCRA).await;
    let step = |id: &str, action: &str| format!("/partner/v1/referrals/{id}/{action}");
    let (_, requested) = referral(&app, &caseworker, "Abena").await;
    let (_, received) = referral(&app, &caseworker, "Kofi").await;
    app.post_ok(&key, &step(&received, "acknowledge"), json!({}))
        .await;
    let (_, accepted) = referral(&app, &caseworker, "Ama").await;
    let (case, departed) = referral(&app, &caseworker, "Yaw").await;
    for id in [&accepted, &departed] {
        app.post_ok(&key, &step(id, "acknowledge"), json!({})).await;
        app.post_ok(&key, &step(id, "accept"), json!({})).await;
    }
    app.post_ok(
        &caseworker,
        &format!("/api/v1/return-cases/{case}/departure"),
        json!({"departed_on": day(0)}),
    )
    .await;
    app.post_ok(
        &key,
        &step(&departed, "arrival"),
        json!({"arrived_on": day(0), "received": true}),
    )
    .await;
    app.post_ok(
        &key,
        &step(&departed, "reintegration-plan"),
        json!({"items": [
            {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "GHS"}
        ]}),
    )
    .await;
    let (_, token) = invite(&app, ACCRA, PartnerRole::FocalPoint).await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;

    // Before signing in.
    check(client, &app, "/portal/login", "sign-in").await;
    let invitation = format!("/portal/invite/{token}");
    check(client, &app, &invitation, "invitation").await;
    for lang in LANGS {
        harness::goto(client, &app.url(&with_lang(&invitation, lang))).await;
        submit_form(client, "").await;
        refused(client).await;
        assert_page(client, lang, "invitation, refused").await;
    }
    harness::goto(client, &app.url(&with_lang(&invitation, "en"))).await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::fill_by_name(client, "again", PASSWORD).await;
    harness::click_button(client, "Save the password").await;
    harness::wait_for(client, "code.secret").await;
    check(
        client,
        &app,
        "/portal/second-factor",
        "enrolment with the QR code",
    )
    .await;
    client
        .delete_all_cookies()
        .await
        .expect("forget the half-enrolled session");

    // A focal point's pages.
    let focal = enrol(client, &app, ACCRA, PartnerRole::FocalPoint).await;
    check(client, &app, "/portal", "inbox").await;
    let referral_page = |id: &str| format!("/portal/referrals/{id}");
    check(client, &app, &referral_page(&requested), "referral, new").await;
    check(
        client,
        &app,
        &referral_page(&received),
        "referral, acknowledged",
    )
    .await;
    check(
        client,
        &app,
        &referral_page(&accepted),
        "referral, accepted with tasks",
    )
    .await;
    harness::goto(
        client,
        &app.url(&with_lang(&referral_page(&accepted), "en")),
    )
    .await;
    see(client, "Preparing the departure").await;
    check(
        client,
        &app,
        &referral_page(&departed),
        "referral, departed with a plan",
    )
    .await;

    let plan = format!("/portal/referrals/{accepted}/plan");
    check(client, &app, &plan, "plan form").await;
    for lang in LANGS {
        harness::goto(client, &app.url(&with_lang(&plan, lang))).await;
        super::choose(client, "items[0].need", "housing").await;
        harness::fill_by_name(client, "items[0].amount", "lots").await;
        harness::fill_by_name(client, "items[0].currency", "cedi").await;
        submit_form(client, "/plan").await;
        refused(client).await;
        assert_page(client, lang, "plan form, refused").await;
    }
    check(
        client,
        &app,
        &format!("/portal/referrals/{departed}/monitoring"),
        "monitoring form",
    )
    .await;
    for lang in LANGS {
        let monitoring = format!("/portal/referrals/{departed}/monitoring");
        harness::goto(client, &app.url(&with_lang(&monitoring, lang))).await;
        submit_form(client, "/monitoring").await;
        refused(client).await;
        assert_page(client, lang, "monitoring form, refused").await;
    }
    let closure = format!("/portal/referrals/{departed}/closure");
    check(client, &app, &closure, "closure form").await;
    harness::goto(client, &app.url(&with_lang(&closure, "en"))).await;
    super::choose(client, "outcome", "completed").await;
    harness::click_button(client, "Save the draft").await;
    see(client, "Draft saved. A coordinator will submit it.").await;
    check(
        client,
        &app,
        &referral_page(&departed),
        "referral with a draft, focal point",
    )
    .await;
    check(client, &app, "/portal/settings", "settings, focal point").await;
    check(
        client,
        &app,
        &referral_page("no-such-referral"),
        "not found",
    )
    .await;
    harness::goto(
        client,
        &app.url(&with_lang(&referral_page("no-such-referral"), "en")),
    )
    .await;
    heading(client, "Not found").await;
    harness::goto(
        client,
        &app.url(&with_lang(&referral_page("no-such-referral"), "ar")),
    )
    .await;
    heading(client, "غير موجود").await;

    // The code page of the next sign-in.
    harness::goto(client, &app.url("/portal?lang=en")).await;
    sign_out(client).await;
    harness::fill_by_name(client, "email", &focal.email).await;
    harness::fill_by_name(client, "password", PASSWORD).await;
    harness::click_button(client, "Sign in").await;
    heading(client, "Your code").await;
    check(client, &app, "/portal/second-factor", "second factor, code").await;
    for lang in LANGS {
        harness::goto(client, &app.url(&with_lang("/portal/second-factor", lang))).await;
        harness::fill_by_name(client, "code", "000000").await;
        submit_form(client, "/portal/second-factor").await;
        refused(client).await;
        assert_page(client, lang, "second factor, wrong code").await;
    }
    client
        .delete_all_cookies()
        .await
        .expect("forget the session");

    // A coordinator's, with a draft waiting for the sign-off.
    enrol(client, &app, ACCRA, PartnerRole::Coordinator).await;
    see(client, "Waiting for your sign-off").await;
    check(client, &app, "/portal", "inbox with drafts waiting").await;
    check(
        client,
        &app,
        &referral_page(&departed),
        "referral with a draft, coordinator",
    )
    .await;
    check(client, &app, "/portal/settings", "settings, coordinator").await;
    check(client, &app, "/portal?closed=1", "inbox, closed referrals").await;
}
