//! A counsellor's day in the browser, by keyboard and mouse: sign in,
//! register a client (once refused, once a duplicate), record two talks,
//! record consent and print the receipt, sign out; axe-core on every page.

use fantoccini::Locator;
use fantoccini::key::Key;

use brug::auth::Role;

use fantoccini::Client;

use crate::harness;
use crate::helpers::{self, TestApp};

pub const PASSWORD: &str = "a long enough passphrase";

/// A staff user with a password, for signing in through the form.
pub async fn person(app: &TestApp, roles: &[Role], name: &str) -> String {
    let email = format!("{}@example.org", uuid::Uuid::now_v7().simple());
    let (roles, name, mail) = (roles.to_vec(), name.to_owned(), email.clone());
    app.write(move |conn, now| {
        brug::auth::commands::add_user(conn, &mail, Some(&name), &roles, now)?;
        brug::auth::sessions::set_password(conn, &brug::audit::Actor::cli(), &mail, PASSWORD, now)
    })
    .await;
    email
}

/// Signs in with the keyboard alone: the email field has focus first after
/// the skip link, Tab to the password, Enter submits.
pub async fn sign_in_by_keyboard(client: &Client, app: &TestApp, email: &str) {
    harness::goto(client, &app.url("/login")).await;
    harness::assert_accessible(client, "aanmelden").await;
    let field = harness::wait_for(client, "#f-email").await;
    field.click().await.expect("focus the email field");
    harness::type_keys(client, email).await;
    harness::tab(client).await;
    harness::assert_focused(client, "#f-password").await;
    harness::type_keys(client, PASSWORD).await;
    harness::press(client, Key::Enter).await;
    harness::wait_for(client, "header nav").await;
}

pub async fn click_link(client: &Client, text: &str) {
    let xpath = format!("//a[normalize-space(.)={}]", harness::xpath_literal(text));
    let link = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("no link {text:?}: {e}"));
    link.click().await.expect("click the link");
}

/// Ticks the checkbox or radio button of `name` with `value`.
pub async fn tick(client: &Client, name: &str, value: &str) {
    let css = format!("input[name=\"{name}\"][value=\"{value}\"]");
    harness::wait_for(client, &css)
        .await
        .click()
        .await
        .expect("tick");
}

/// Waits for the page whose first heading starts with `text` (a click
/// loads the next page a moment later).
pub async fn wait_heading(client: &Client, text: &str) {
    let xpath = format!(
        "//h1[starts-with(normalize-space(.), {})]",
        harness::xpath_literal(text)
    );
    if let Err(e) = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(&xpath))
        .await
    {
        let shown = client.source().await.unwrap_or_default();
        panic!("no page headed {text:?}: {e}\n{shown}");
    }
}

#[tokio::test]
async fn a_counsellor_registers_a_client_records_talks_and_consent() {
    let app = helpers::spawn_app_with(|s| s.insecure_cookies = true).await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let email = person(&app, &[Role::Counsellor], "Cora Consulent").await;

    sign_in_by_keyboard(client, &app, &email).await;
    wait_heading(client, "Mijn werk").await;
    harness::assert_accessible(client, "mijn werk").await;
    assert!(
        harness::cookie(client, "brug_session")
            .await
            .expect("session")
            .http_only()
            .unwrap_or(false)
    );

    click_link(client, "Cliënten").await;
    wait_heading(client, "Cliënten").await;
    harness::assert_accessible(client, "cliënten").await;
    click_link(client, "Cliënt registreren").await;
    harness::wait_for(client, "#f-given_name").await;
    harness::assert_accessible(client, "cliënt registreren").await;

    // Refused: what was typed stays, the bad field is named beside it.
    harness::fill_by_name(client, "given_name", "Testa").await;
    harness::fill_by_name(client, "country_of_origin", "Irak").await;
    harness::click_button(client, "Registreren").await;
    let error = harness::text_of(client, "#country_of_origin-error").await;
    assert!(error.contains("ISO 3166-1"), "{error}");
    let kept = harness::wait_for(client, "#f-given_name").await;
    assert_eq!(
        kept.prop("value").await.expect("value").as_deref(),
        Some("Testa")
    );
    harness::assert_accessible(client, "cliënt registreren, geweigerd").await;

    harness::fill_by_name(client, "family_name", "Voorbeeld").await;
    set_date(client, "date_of_birth", "1990-02-03").await;
    harness::wait_for(client, "#f-sex")
        .await
        .select_by_value("female")
        .await
        .expect("choose the sex");
    harness::fill_by_name(client, "country_of_origin", "IQ").await;
    harness::fill_by_name(client, "languages", "ar").await;
    harness::click_button(client, "Registreren").await;
    harness::wait_for(client, "p.notice").await;
    wait_heading(client, "Testa Voorbeeld TO-").await;
    harness::assert_accessible(client, "cliënt").await;
    let client_url = harness::current_url(client).await;

    for (intention, notes) in [("undecided", "Eerste gesprek."), ("return", "Wil terug.")] {
        click_link(client, "Gesprek vastleggen").await;
        harness::wait_for(client, "#f-notes").await;
        harness::assert_accessible(client, "gesprek vastleggen").await;
        tick(client, "mode", "in_person").await;
        tick(client, "topics", "return").await;
        tick(client, "intention", intention).await;
        harness::fill_by_name(client, "notes", notes).await;
        harness::click_button(client, "Gesprek opslaan").await;
        wait_heading(client, "Testa Voorbeeld").await;
    }
    let facts = harness::text_of(client, "dl.facts").await;
    assert!(facts.contains("Terugkeer"), "{facts}");
    let timeline = harness::text_of(client, "ol.timeline").await;
    assert!(
        timeline.contains("Nog onbeslist") && timeline.contains("Terugkeer"),
        "{timeline}"
    );

    click_link(client, "Toestemming vastleggen").await;
    harness::wait_for(client, "#f-partner_id").await;
    harness::assert_accessible(client, "toestemming vastleggen").await;
    tick(client, "data_categories", "identity").await;
    tick(client, "data_categories", "needs").await;
    tick(client, "data_categories", "travel_documents").await;
    let partner = harness::wait_for(client, "#f-partner_id").await;
    partner
        .select_by_value("accra-reintegration-network")
        .await
        .expect("choose the partner");
    tick(client, "method", "written").await;
    harness::fill_by_name(client, "language", "ar").await;
    harness::click_button(client, "Toestemming opslaan").await;
    wait_heading(client, "Bewijs van toestemming").await;
    let receipt = harness::text_of(client, "main").await;
    assert!(
        receipt.contains("Uw toestemming") && receipt.contains("Your consent"),
        "{receipt}"
    );
    harness::assert_accessible(client, "bewijs van toestemming").await;

    harness::goto(client, client_url.as_str()).await;
    harness::assert_accessible(client, "cliënt met gesprekken en toestemming").await;

    // The search narrows as one types (htmx, under the strict CSP), and
    // the address keeps no name.
    harness::goto(client, &app.url("/clients?all=1")).await;
    harness::wait_for(client, "#f-q")
        .await
        .click()
        .await
        .expect("focus the search");
    harness::type_keys(client, "Testa").await;
    let found = client
        .wait()
        .at_most(harness::WAIT)
        .for_element(Locator::XPath(
            "//div[@id='results']/h2[normalize-space(.)='Gevonden']",
        ))
        .await;
    assert!(found.is_ok(), "the results did not update while typing");
    assert!(
        harness::text_of(client, "#results")
            .await
            .contains("Testa Voorbeeld")
    );
    assert_eq!(harness::current_url(client).await.path(), "/clients");
    assert!(
        harness::current_url(client)
            .await
            .query()
            .is_none_or(|q| !q.contains("Testa"))
    );
    harness::assert_accessible(client, "cliënten, gezocht").await;
    harness::click_button(client, "Afmelden").await;
    wait_heading(client, "Aanmelden").await;
    harness::goto(client, &app.url("/clients")).await;
    assert_eq!(harness::current_url(client).await.path(), "/login");
}

/// A date field takes keys in the browser's locale; setting its value is
/// what a date picker does.
pub async fn set_date(client: &Client, name: &str, iso: &str) {
    let element = harness::wait_for(client, &format!("input[name=\"{name}\"]")).await;
    client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&element).expect("element"),
                serde_json::Value::from(iso),
            ],
        )
        .await
        .expect("set the date");
}

#[tokio::test]
async fn the_team_page_is_accessible_and_closed_to_counsellors() {
    // The default `Secure` cookie: browsers keep it for http://127.0.0.1
    // (a secure context), so local try-outs need no setting.
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let lead = person(&app, &[Role::Lead], "Lea Lead").await;
    sign_in_by_keyboard(client, &app, &lead).await;
    click_link(client, "Team").await;
    wait_heading(client, "Team").await;
    harness::assert_accessible(client, "team").await;
    harness::click_button(client, "Caseload overdragen").await;
    harness::wait_for(client, "#from_user_id-error").await;
    harness::assert_accessible(client, "team, geweigerd").await;
    harness::click_button(client, "Afmelden").await;

    let counsellor = person(&app, &[Role::Counsellor], "Cora").await;
    sign_in_by_keyboard(client, &app, &counsellor).await;
    harness::goto(client, &app.url("/team")).await;
    wait_heading(client, "Geen toegang").await;
    harness::assert_accessible(client, "geen toegang").await;
}
