//! Built for a poor connection: under Chromium's 2G emulation a focal point
//! acknowledges a new referral from the inbox in under 10 seconds; the
//! inbox and the referral weigh under 30 KB with their stylesheet, run no
//! script, and load nothing from another host.

use std::time::{Duration, Instant};

use brug::auth::partner_users::PartnerRole;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{ACCRA, enrol, portal_app, referral};
use crate::harness;

/// 250 kbit/s, in bytes per second, both ways.
const TWO_G_BYTES_PER_SECOND: u32 = 31_250;
const TWO_G_LATENCY_MS: u32 = 300;
/// What a page may weigh: HTML and the stylesheet together.
const BUDGET_BYTES: u64 = 30 * 1024;
const DEADLINE: Duration = Duration::from_secs(10);

/// A Chrome DevTools command with parameters, through chromedriver's
/// `goog/cdp/execute` (as the harness sends its own).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.0, "params": self.1 });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

async fn cdp(client: &Client, command: &'static str, params: Value) {
    client
        .issue_cmd(Cdp(command, params))
        .await
        .unwrap_or_else(|e| panic!("browser: {command}: {e}"));
}

/// 2G: 250 kbit/s each way, 300 ms latency.
async fn two_g(client: &Client) {
    cdp(client, "Network.enable", json!({})).await;
    cdp(
        client,
        "Network.emulateNetworkConditions",
        json!({
            "offline": false,
            "latency": TWO_G_LATENCY_MS,
            "downloadThroughput": TWO_G_BYTES_PER_SECOND,
            "uploadThroughput": TWO_G_BYTES_PER_SECOND,
        }),
    )
    .await;
}

/// The network as it was: no latency, no limit (-1).
async fn full_speed(client: &Client) {
    cdp(
        client,
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    )
    .await;
}

/// Waits up to the deadline's end for `xpath`.
async fn wait_xpath(client: &Client, xpath: &str, until: Instant) {
    let left = until.saturating_duration_since(Instant::now());
    if let Err(e) = client
        .wait()
        .at_most(left)
        .for_element(Locator::XPath(xpath))
        .await
    {
        panic!("no {xpath} within the {DEADLINE:?}: {e}");
    }
}

/// Opens the inbox, the referral, acknowledges it: how long it took.
async fn acknowledge_from_the_inbox(client: Client, inbox: String, id: String) -> Duration {
    let started = Instant::now();
    let until = started + DEADLINE;
    harness::goto(&client, &inbox).await;
    let link = format!("//a[@href='/portal/referrals/{id}']");
    wait_xpath(&client, &link, until).await;
    client
        .find(Locator::XPath(&link))
        .await
        .expect("the referral in the inbox")
        .click()
        .await
        .expect("open the referral");
    let button = "//button[normalize-space(.)='Acknowledge']";
    wait_xpath(&client, button, until).await;
    client
        .find(Locator::XPath(button))
        .await
        .expect("the button")
        .click()
        .await
        .expect("acknowledge");
    wait_xpath(
        &client,
        "//p[@class='notice' and normalize-space(.)='Acknowledged.']",
        until,
    )
    .await;
    started.elapsed()
}

#[tokio::test]
async fn a_focal_point_acknowledges_a_new_referral_over_2g_in_under_10_seconds() {
    let app = portal_app().await;
    let caseworker = app.staff_token(&[brug::auth::Role::Caseworker]).await;
    let (_, id) = referral(&app, &caseworker, "Abena").await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    enrol(&browser, &app, ACCRA, PartnerRole::FocalPoint).await;

    two_g(&browser).await;
    // In a task of its own, so that the network is restored for the next
    // test however this one ends.
    let run = tokio::spawn(acknowledge_from_the_inbox(
        (*browser).clone(),
        app.url("/portal"),
        id,
    ))
    .await;
    full_speed(&browser).await;
    let took = match run {
        Ok(took) => took,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("the 2G run did not finish: {e}"),
    };
    println!("2G: from opening the inbox to \"Acknowledged.\" took {took:?}");
    // Three pages and a form's post each wait 300 ms at least: the
    // emulation was on.
    assert!(
        took >= Duration::from_millis(4 * u64::from(TWO_G_LATENCY_MS)),
        "too fast for 2G ({took:?}): was the emulation on?"
    );
    assert!(took < DEADLINE, "took {took:?} over 2G");
}

/// What the browser measured of the page: its HTML's size (as received, or
/// as parsed if that is more), what else it loaded or links to, its scripts.
const MEASURE: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const linked = [...document.querySelectorAll('[src], link[href], object[data]')]
  .map(e => e.src || e.href || e.data);
return {
  origin: location.origin,
  html: Math.max(nav ? nav.decodedBodySize : 0,
    new Blob(['<!doctype html>', document.documentElement.outerHTML]).size),
  resources: performance.getEntriesByType('resource').map(r => r.name),
  linked: linked,
  scripts: document.scripts.length,
};
"#;

async fn weigh(client: &Client, page: &str, stylesheet: u64) -> u64 {
    let measured = client
        .execute(MEASURE, vec![])
        .await
        .expect("measure the page");
    let origin = measured["origin"].as_str().expect("origin");
    assert_eq!(measured["scripts"], 0, "{page} has no script");
    for list in ["resources", "linked"] {
        for name in measured[list].as_array().expect("names") {
            let name = name.as_str().expect("a URL");
            assert!(
                name.starts_with(&format!("{origin}/")),
                "{page} loads {name}, not from {origin}"
            );
        }
    }
    let html = measured["html"].as_u64().expect("the HTML's size");
    assert!(html > 1000, "{page}: {measured}");
    let total = html + stylesheet;
    println!("{page}: {html} B of HTML + {stylesheet} B of CSS = {total} B");
    assert!(
        total < BUDGET_BYTES,
        "{page} weighs {total} B (HTML {html} + CSS {stylesheet}), over {BUDGET_BYTES}"
    );
    total
}

#[tokio::test]
async fn the_inbox_and_a_referral_weigh_under_30_kb_with_no_script_and_no_other_host() {
    let app = portal_app().await;
    let caseworker = app.staff_token(&[brug::auth::Role::Caseworker]).await;
    let key = app.partner_key(ACCRA).await;
    let mut ids = Vec::new();
    for name in ["Abena", "Kofi", "Ama", "Yaw", "Esi"] {
        ids.push(referral(&app, &caseworker, name).await.1);
    }
    // The heaviest referral page: accepted, with its checklist tasks.
    for step in ["acknowledge", "accept"] {
        app.post_ok(
            &key,
            &format!("/partner/v1/referrals/{}/{step}", ids[0]),
            json!({}),
        )
        .await;
    }
    let css = app
        .client
        .get(app.url("/static/brug.css"))
        .send()
        .await
        .expect("the stylesheet");
    assert_eq!(css.status(), 200);
    let stylesheet = u64::try_from(css.bytes().await.expect("bytes").len()).expect("size");
    let Some(browser) = harness::browser().await else {
        return;
    };
    enrol(&browser, &app, ACCRA, PartnerRole::FocalPoint).await;
    harness::goto(&browser, &app.url("/portal")).await;
    weigh(&browser, "the inbox with five referrals", stylesheet).await;
    harness::goto(&browser, &app.url(&format!("/portal/referrals/{}", ids[0]))).await;
    super::see(&browser, "Preparing the departure").await;
    weigh(&browser, "an accepted referral with its tasks", stylesheet).await;
}
