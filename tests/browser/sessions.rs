//! Sessions in the browser: a duplicate client asks to confirm, a session
//! expires, a form without its token is refused, English by the switch.

use brug::auth::Role;
use brug::db::schema::staff_sessions;
use diesel::prelude::*;
use fantoccini::Client;

use crate::counselling::{person, set_date, sign_in_by_keyboard, wait_heading};
use crate::harness;
use crate::helpers;

async fn register(client: &Client, app: &helpers::TestApp) {
    harness::goto(client, &app.url("/clients/new")).await;
    harness::fill_by_name(client, "given_name", "Dubbel").await;
    harness::fill_by_name(client, "family_name", "Voorbeeld").await;
    set_date(client, "date_of_birth", "1985-06-07").await;
    harness::wait_for(client, "#f-sex")
        .await
        .select_by_value("male")
        .await
        .expect("choose the sex");
    harness::fill_by_name(client, "country_of_origin", "GE").await;
    harness::fill_by_name(client, "languages", "ka").await;
    harness::click_button(client, "Registreren").await;
}

#[tokio::test]
async fn a_duplicate_asks_to_confirm_and_a_stale_form_is_refused() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let email = person(&app, &[Role::Counsellor], "Cora").await;
    sign_in_by_keyboard(client, &app, &email).await;
    register(client, &app).await;
    wait_heading(client, "Dubbel Voorbeeld").await;

    register(client, &app).await;
    let problem = harness::text_of(client, "#problem").await;
    assert!(
        problem.contains("Er bestaat al een cliënt met dezelfde namen"),
        "{problem}"
    );
    assert!(
        problem.contains("Dubbel Voorbeeld"),
        "the match is listed: {problem}"
    );
    harness::assert_accessible(client, "mogelijk dubbele cliënt").await;
    harness::wait_for(client, "#f-confirm_not_duplicate")
        .await
        .click()
        .await
        .expect("tick");
    harness::click_button(client, "Registreren").await;
    wait_heading(client, "Dubbel Voorbeeld").await;
    let listed: serde_json::Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);

    // A form whose token was taken out (as a forged one lacks it).
    harness::goto(client, &app.url("/clients/new")).await;
    harness::wait_for(client, "#f-given_name").await;
    client
        .execute(
            "document.querySelector('main form input[name=csrf]').remove();",
            vec![],
        )
        .await
        .expect("remove the token");
    harness::fill_by_name(client, "given_name", "Vals").await;
    harness::click_button(client, "Registreren").await;
    wait_heading(client, "Formulier verlopen").await;
    harness::assert_accessible(client, "formulier verlopen").await;
    let listed: serde_json::Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
}

#[tokio::test]
async fn an_idle_session_expires_and_english_is_one_click_away() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let email = person(&app, &[Role::Caseworker], "Kees").await;
    sign_in_by_keyboard(client, &app, &email).await;
    wait_heading(client, "Mijn werk").await;
    crate::counselling::click_link(client, "English").await;
    wait_heading(client, "My work").await;
    let lang = client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("the page's language");
    assert_eq!(lang, serde_json::json!("en"));
    harness::assert_accessible(client, "my work").await;
    harness::goto(client, &app.url("/partners")).await;
    wait_heading(client, "Partner").await;

    let idle = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(31);
    app.write(move |conn, _| {
        Ok(diesel::update(staff_sessions::table)
            .set(staff_sessions::last_seen_at.eq(idle))
            .execute(conn)?)
    })
    .await;
    harness::goto(client, &app.url("/")).await;
    wait_heading(client, "Sign in").await;
    assert_eq!(harness::current_url(client).await.path(), "/login");
}

/// Presses Tab until `css` has focus (at most `most` times).
async fn tab_to(client: &Client, css: &str, most: usize) {
    for _ in 0..most {
        if harness::is_focused(client, css).await {
            return;
        }
        harness::tab(client).await;
    }
    let focused = harness::focused(client).await;
    panic!("{css} never got focus by Tab; at {focused}");
}

#[tokio::test]
async fn a_talk_is_recorded_with_the_keyboard_alone() {
    let app = helpers::spawn_app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    let email = person(&app, &[Role::Counsellor], "Cora").await;
    sign_in_by_keyboard(client, &app, &email).await;
    register(client, &app).await;
    wait_heading(client, "Dubbel Voorbeeld").await;
    let path = harness::current_url(client).await.path().to_owned();
    harness::goto(client, &app.url(&format!("{path}/talks/new"))).await;
    harness::wait_for(client, "#f-notes").await;
    // From the top of the page: the skip link first, then through the form.
    tab_to(client, "a.skip", 3).await;
    // A radio group is one tab stop; the arrow keys choose within it.
    tab_to(client, "input[name=mode][value=in_person]", 40).await;
    harness::press(client, fantoccini::key::Key::Down).await;
    assert!(harness::is_focused(client, "input[name=mode][value=phone]:checked").await);
    tab_to(client, "input[name=topics][value=return]", 10).await;
    harness::press(client, fantoccini::key::Key::Space).await;
    tab_to(client, "input[name=topics][value=family]", 10).await;
    harness::press(client, fantoccini::key::Key::Space).await;
    tab_to(client, "input[name=intention][value=return]", 20).await;
    harness::press(client, fantoccini::key::Key::Space).await;
    tab_to(client, "#f-notes", 10).await;
    harness::type_keys(client, "Met het toetsenbord vastgelegd.").await;
    // Past the next-talk date (day, month, year and its picker).
    tab_to(client, "main form button[type=submit]", 12).await;
    harness::press(client, fantoccini::key::Key::Enter).await;
    wait_heading(client, "Dubbel Voorbeeld").await;
    let timeline = harness::text_of(client, "ol.timeline").await;
    assert!(
        timeline.contains("Telefoon") && timeline.contains("Terugkeer"),
        "{timeline}"
    );
    assert!(timeline.contains("Terugkeer, Familie"), "{timeline}");
}
