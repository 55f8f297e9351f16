//! The harness itself, on test pages mounted beside the real routes: an
//! accessible Dutch form passes axe, a broken page fails it with exactly
//! the rules it breaks, and the form works by keyboard alone. Each page is
//! served under the strict Content-Security-Policy the staff UI uses.

use actix_web::{HttpRequest, HttpResponse, web};
use fantoccini::key::Key;

use crate::harness::{self, Browser};
use crate::helpers::{self, TestApp};

const CSP: &str = "default-src 'self'";

fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/test/browser/formulier", web::get().to(form_page))
        .route("/test/browser/ontvangen", web::post().to(received_page))
        .route("/test/browser/kapot", web::get().to(broken_page));
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .body(body)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An inline script, which the CSP must block: it would mark the page.
const INLINE_SCRIPT: &str = "<script>document.documentElement.dataset.inline = 'ran';</script>";

async fn form_page() -> HttpResponse {
    html(format!(
        r#"<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Aanmelden – Brug</title>
</head>
<body>
<main>
<h1>Aanmelden</h1>
<form method="post" action="/test/browser/ontvangen">
<p><label for="naam">Naam van de cliënt</label>
<input id="naam" name="naam" type="text" autocomplete="name" required></p>
<p><label>Woonplaats <input name="plaats" type="text" autocomplete="address-level2"></label></p>
<p><button type="submit">Versturen</button></p>
</form>
</main>
{INLINE_SCRIPT}
</body>
</html>"#
    ))
}

#[derive(serde::Deserialize)]
struct Received {
    naam: String,
    #[serde(default)]
    plaats: String,
}

async fn received_page(request: HttpRequest, form: web::Form<Received>) -> HttpResponse {
    let language = request
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut response = html(format!(
        r#"<!DOCTYPE html>
<html lang="nl">
<head><meta charset="utf-8"><title>Ontvangen – Brug</title></head>
<body>
<main>
<h1>Ontvangen</h1>
<p id="ontvangen-naam">{}</p>
<p id="ontvangen-plaats">{}</p>
<p id="ontvangen-taal">{}</p>
</main>
</body>
</html>"#,
        escape(&form.naam),
        escape(&form.plaats),
        escape(language),
    ));
    response.headers_mut().insert(
        actix_web::http::header::SET_COOKIE,
        actix_web::http::header::HeaderValue::from_static(
            "brug_test=ontvangen; Path=/; HttpOnly; SameSite=Strict",
        ),
    );
    response
}

/// Three faults and nothing else: no `lang`, an unlabelled field, an image
/// without `alt`.
async fn broken_page() -> HttpResponse {
    html(format!(
        r#"<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Kapot – Brug</title></head>
<body>
<main>
<h1>Kapot</h1>
<form method="post" action="/test/browser/ontvangen">
<p><input type="text" name="naam"> <button type="submit">Versturen</button></p>
</form>
<p><img src="/test/browser/foto.png" width="16" height="16"></p>
</main>
{INLINE_SCRIPT}
</body>
</html>"#
    ))
}

async fn app() -> TestApp {
    helpers::spawn_app_configured(|_| {}, pages).await
}

async fn inline_script_ran(browser: &Browser) -> bool {
    let mark = browser
        .execute(
            "return document.documentElement.dataset.inline || null;",
            vec![],
        )
        .await
        .expect("read the mark");
    !mark.is_null()
}

#[tokio::test]
async fn an_accessible_page_passes_axe() {
    let app = app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    harness::goto(&browser, &app.url("/test/browser/formulier")).await;
    harness::assert_accessible(&browser, "formulier").await;
    assert!(harness::axe(&browser).await.is_empty());
}

#[tokio::test]
async fn a_broken_page_fails_axe_with_exactly_its_faults() {
    let app = app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    harness::goto(&browser, &app.url("/test/browser/kapot")).await;
    let violations = harness::axe(&browser).await;
    assert_eq!(
        harness::rule_ids(&violations),
        ["html-has-lang", "image-alt", "label"],
        "{violations:#?}"
    );
    let image = violations
        .iter()
        .find(|v| v.id == "image-alt")
        .expect("image-alt");
    assert_eq!(image.nodes.len(), 1);
    assert!(image.nodes[0].html.starts_with("<img"), "{image}");
    // axe ran in a page whose CSP blocked the page's own inline script.
    assert!(
        !inline_script_ran(&browser).await,
        "the CSP is not in force"
    );

    // And assert_accessible fails, naming every rule.
    let client = (*browser).clone();
    let failed = tokio::spawn(async move {
        harness::assert_accessible(&client, "kapot").await;
    })
    .await
    .expect_err("assert_accessible passes a broken page");
    let message = failed.into_panic();
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    for expected in [
        "\"kapot\"",
        "3 accessibility rule(s)",
        "html-has-lang",
        "image-alt",
        "label (",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} not in:\n{message}"
        );
    }
}

#[tokio::test]
async fn the_form_works_by_keyboard_alone() {
    let app = app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    harness::goto(&browser, &app.url("/test/browser/formulier")).await;
    harness::tab(&browser).await;
    harness::assert_focused(&browser, "#naam").await;
    harness::tab(&browser).await;
    harness::assert_focused(&browser, "input[name=plaats]").await;
    harness::shift_tab(&browser).await;
    harness::assert_focused(&browser, "#naam").await;
    harness::type_keys(&browser, "Amal O'Neill").await;
    harness::press(&browser, Key::Enter).await;

    assert_eq!(
        harness::text_of(&browser, "#ontvangen-naam").await,
        "Amal O'Neill"
    );
    assert_eq!(
        harness::current_url(&browser).await.path(),
        "/test/browser/ontvangen"
    );
    let cookie = harness::cookie(&browser, "brug_test")
        .await
        .expect("the page's cookie");
    assert_eq!(cookie.value(), "ontvangen");
    assert_eq!(cookie.http_only(), Some(true));
    assert!(harness::cookie(&browser, "geen_koekje").await.is_none());
    assert_eq!(
        harness::text_of(&browser, "#ontvangen-taal").await,
        "nl-NL,nl;q=0.9",
        "the browser asks for Dutch everywhere"
    );

    // The next turn starts without this one's cookies (every test app is
    // on 127.0.0.1, and cookies do not tell ports apart).
    drop(browser);
    let browser = harness::browser().await.expect("the browser again");
    assert_eq!(harness::current_url(&browser).await.as_str(), "about:blank");
    harness::goto(&browser, &app.url("/test/browser/formulier")).await;
    assert!(harness::cookie(&browser, "brug_test").await.is_none());
}

#[tokio::test]
async fn the_form_works_with_the_mouse_helpers() {
    let app = app().await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    harness::goto(&browser, &app.url("/test/browser/formulier")).await;
    harness::fill_by_label(&browser, "Naam van de cliënt", "Jan").await;
    harness::fill_by_label(&browser, "Woonplaats", "Ter Apel").await;
    harness::fill_by_name(&browser, "naam", "Jan de Vries").await;
    harness::click_button(&browser, "Versturen").await;
    assert_eq!(
        harness::text_of(&browser, "#ontvangen-naam").await,
        "Jan de Vries"
    );
    assert_eq!(
        harness::text_of(&browser, "#ontvangen-plaats").await,
        "Ter Apel"
    );
    harness::assert_accessible(&browser, "ontvangen").await;
}

#[test]
fn xpath_literals_hold_any_quote() {
    assert_eq!(harness::xpath_literal("Naam"), "'Naam'");
    assert_eq!(harness::xpath_literal("foto's"), "\"foto's\"");
    assert_eq!(
        harness::xpath_literal(r#"'t "Hof""#),
        r#"concat('', "'", 't "Hof"')"#
    );
}
