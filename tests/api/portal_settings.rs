//! The portal's settings: a coordinator's keys, webhook and colleagues, a
//! focal point kept out of them, each person's language; the CLI's
//! invitation; and how little a portal page weighs.

use brug::auth::partner_users::PartnerRole;

use crate::cli::{brug, text};
use crate::helpers::spawn_app_with;
use crate::portal_helpers::{portal_user, submit};
use crate::referrals::{ACCRA, KUMASI, Stage, ok};
use crate::web_helpers::{Browser, PASSWORD, hidden};

/// The secret or link a settings page shows once.
fn shown(html: &str) -> String {
    let marker = "class=\"secret\">";
    let start = html.find(marker).expect("something is shown") + marker.len();
    html[start..start + html[start..].find('<').expect("end")].to_owned()
}

#[tokio::test]
async fn a_coordinator_makes_and_revokes_keys_once_and_a_focal_point_cannot() {
    let app = spawn_app_with(|s| s.webhook_allow_local = true).await;
    let mut coordinator = portal_user(&app, ACCRA, PartnerRole::Coordinator).await;
    let page = coordinator.browser.get("/portal/settings").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.headers
            .get("cache-control")
            .map(|v| v.to_str().expect("text")),
        Some("no-store")
    );
    let fields = [("idempotency_key", "make-key-1")];
    let made = coordinator
        .browser
        .post("/portal/settings/keys", &fields)
        .await;
    assert_eq!(made.status, 200, "{}", made.html);
    let key = shown(&made.html);
    assert!(key.starts_with("brug_pk_"), "{key}");
    let me: serde_json::Value = app
        .get_as(Some(&key), "/partner/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["partner_id"], ACCRA);
    // The same form again makes no second key and shows no secret.
    let again = coordinator
        .browser
        .post("/portal/settings/keys", &fields)
        .await;
    assert_eq!(again.status, 303);
    assert_eq!(
        again.location.as_deref(),
        Some("/portal/settings?done=once")
    );
    let listed = coordinator.browser.get("/portal/settings").await;
    assert_eq!(
        listed.html.matches("/revoke\"").count(),
        1,
        "one key: {}",
        listed.html
    );
    assert!(!listed.contains(&key), "a key is never shown again");

    let key_id = me["key_id"].as_str().expect("key id").to_owned();
    let revoked = submit(
        &mut coordinator.browser,
        &format!("/portal/settings/keys/{key_id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(revoked.status, 303, "{}", revoked.html);
    assert_eq!(
        app.get_as(Some(&key), "/partner/v1/me")
            .await
            .status()
            .as_u16(),
        401
    );

    // A webhook: a bad address is named beside the field; a good one shows its secret.
    let bad = submit(
        &mut coordinator.browser,
        "/portal/settings/webhook",
        &[("url", "ftp://example.org/x")],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.field_error("url").is_some(), "{}", bad.html);
    let hook = submit(
        &mut coordinator.browser,
        "/portal/settings/webhook",
        &[("url", "http://127.0.0.1:9/hook")],
    )
    .await;
    assert_eq!(hook.status, 200, "{}", hook.html);
    assert!(shown(&hook.html).starts_with("whsec_"), "{}", hook.html);
    let partner_key = app.partner_key(ACCRA).await;
    let webhook: serde_json::Value = app
        .get_as(Some(&partner_key), "/partner/v1/webhook")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(webhook["url"], "http://127.0.0.1:9/hook");

    // A focal point sees the settings but changes none of them.
    let mut focal = portal_user(&app, ACCRA, PartnerRole::FocalPoint).await;
    let page = focal.browser.get("/portal/settings").await;
    assert!(
        !page.contains("action=\"/portal/settings/keys\""),
        "no key form for a focal point"
    );
    for path in ["/portal/settings/keys", "/portal/settings/users"] {
        let refused = submit(
            &mut focal.browser,
            path,
            &[("email", "x@example.org"), ("role", "coordinator")],
        )
        .await;
        assert_eq!(refused.status, 403, "{path}");
    }
}

#[tokio::test]
async fn a_coordinator_invites_and_disables_colleagues_of_their_own_partner_only() {
    let app = crate::helpers::spawn_app().await;
    let mut coordinator = portal_user(&app, ACCRA, PartnerRole::Coordinator).await;
    coordinator.browser.get("/portal/settings").await;
    let bad = submit(
        &mut coordinator.browser,
        "/portal/settings/users",
        &[
            ("email", "not an address"),
            ("role", "focal_point"),
            ("invite_language", "fr"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("email").is_some(), "{}", bad.html);
    let invited = submit(
        &mut coordinator.browser,
        "/portal/settings/users",
        &[
            ("email", "kofi@partner.example.org"),
            ("role", "focal_point"),
            ("invite_language", "fr"),
        ],
    )
    .await;
    assert_eq!(invited.status, 200, "{}", invited.html);
    let link = shown(&invited.html);
    let path = &link[link.find("/portal/invite/").expect("a portal link")..];
    let mut colleague = Browser::new(&app);
    let page = colleague.get(path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("<html lang=\"fr\""),
        "the invitation is in French: {}",
        &page.html[..200]
    );
    let set = colleague
        .post(path, &[("password", PASSWORD), ("again", PASSWORD)])
        .await;
    assert_eq!(set.status, 303);

    let listed = coordinator.browser.get("/portal/settings").await;
    assert!(listed.contains("kofi@partner.example.org"));
    let marker = "/portal/settings/users/";
    let at = listed.html.find(marker).expect("a disable form") + marker.len();
    let kofi = listed.html[at..at + listed.html[at..].find('/').expect("end")].to_owned();
    // Another partner's coordinator cannot disable Kofi.
    let mut other = portal_user(&app, KUMASI, PartnerRole::Coordinator).await;
    other.browser.get("/portal/settings").await;
    let refused = submit(
        &mut other.browser,
        &format!("/portal/settings/users/{kofi}/disable"),
        &[],
    )
    .await;
    assert_eq!(refused.status, 404);
    let disabled = submit(
        &mut coordinator.browser,
        &format!("/portal/settings/users/{kofi}/disable"),
        &[],
    )
    .await;
    assert_eq!(disabled.status, 303);
    // Kofi's session ended with it.
    let gone = colleague.get("/portal/second-factor").await;
    assert_eq!(gone.status, 303);
    assert!(
        gone.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/portal/login"))
    );
}

#[tokio::test]
async fn a_person_chooses_the_portals_language_and_arabic_reads_right_to_left() {
    let app = crate::helpers::spawn_app().await;
    let mut user = portal_user(&app, ACCRA, PartnerRole::FocalPoint).await;
    let page = user.browser.get("/portal?lang=ar").await;
    assert!(
        page.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "{}",
        &page.html[..120]
    );
    user.browser.get("/portal/settings?lang=en").await;
    let saved = submit(
        &mut user.browser,
        "/portal/settings/me",
        &[("language", "fr")],
    )
    .await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        saved.location.as_deref(),
        Some("/portal/settings?done=preferences&lang=fr")
    );
    let page = user
        .browser
        .get("/portal/settings?done=preferences&lang=fr")
        .await;
    assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"));
    // Signed in again on another day's browser, the portal is in their language.
    user.browser.post("/portal/logout", &[]).await;
    user.browser.cookies.clear();
    user.browser.get("/portal/login").await;
    let email = user.email.clone();
    let signed = user
        .browser
        .post(
            "/portal/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/portal"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303);
    user.browser.get("/portal/second-factor").await;
    let code = crate::portal_helpers::code(&user.secret, 1);
    user.browser
        .post(
            "/portal/second-factor",
            &[("code", &code), ("next", "/portal")],
        )
        .await;
    let inbox = user.browser.get("/portal").await;
    assert_eq!(inbox.status, 200);
    assert!(
        inbox.contains("<html lang=\"fr\" dir=\"ltr\">"),
        "{}",
        &inbox.html[..120]
    );
    assert!(
        inbox.contains("<h1>Boîte de réception</h1>"),
        "French texts"
    );
    let mut fresh = Browser::new(&app);
    fresh.accept_language = Some("ar, en;q=0.5".into());
    let login = fresh.get("/portal/login").await;
    assert!(
        login.contains("<html lang=\"ar\" dir=\"rtl\">"),
        "Accept-Language chooses"
    );
}

#[tokio::test]
async fn portal_pages_weigh_under_30_kb_with_their_stylesheet() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let mut user = portal_user(&stage.app, ACCRA, PartnerRole::Coordinator).await;
    let css = stage
        .app
        .get_as(None, "/static/brug.css")
        .await
        .bytes()
        .await
        .expect("css")
        .len();
    for path in [
        "/portal".to_owned(),
        format!("/portal/referrals/{id}"),
        format!("/portal/referrals/{id}/plan"),
        "/portal/settings".to_owned(),
    ] {
        let page = user.browser.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        let weight = page.html.len() + css;
        assert!(weight < 30 * 1024, "{path}: {weight} bytes of HTML and CSS");
        assert!(!page.contains("<script"), "{path} sends a script");
        for reference in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
            assert!(!page.contains(reference), "{path} loads from another host");
        }
    }
    let _ = ok;
}

#[tokio::test]
async fn the_cli_invites_a_partner_user_with_a_link_to_the_portal() {
    let app = crate::helpers::spawn_app().await;
    let url = app.database.url.clone();
    let run = |args: &[&str]| {
        brug()
            .args(args)
            .arg("--database-url")
            .arg(&url)
            .output()
            .expect("ran")
    };
    let out = run(&[
        "partner",
        "user",
        "add",
        ACCRA,
        "ama@partner.example.org",
        "--role",
        "coordinator",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let link = text(&out.stdout).trim().to_owned();
    assert_eq!(link.lines().count(), 1, "the link alone: {link:?}");
    assert!(
        link.starts_with("http://127.0.0.1:8080/portal/invite/"),
        "{link}"
    );
    let page = app
        .client
        .get(app.url(link.trim_start_matches("http://127.0.0.1:8080")))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(html.contains("ama@partner.example.org"));
    assert!(hidden(&html, "csrf").is_some());
    let twice = run(&[
        "partner",
        "user",
        "add",
        ACCRA,
        "ama@partner.example.org",
        "--role",
        "focal_point",
    ]);
    assert!(!twice.status.success());
    assert!(
        text(&twice.stderr).contains("the address is in use"),
        "{}",
        text(&twice.stderr)
    );
    let bad_role = run(&[
        "partner",
        "user",
        "add",
        ACCRA,
        "x@partner.example.org",
        "--role",
        "boss",
    ]);
    assert_eq!(bad_role.status.code(), Some(2));
    let unknown = run(&[
        "partner",
        "user",
        "add",
        "no-such-partner",
        "y@partner.example.org",
        "--role",
        "coordinator",
    ]);
    assert!(!unknown.status.success());
    let list = text(&run(&["partner", "user", "list", ACCRA]).stdout);
    assert!(
        list.contains("ama@partner.example.org")
            && list.contains("coordinator")
            && list.contains("invited"),
        "{list}"
    );
}
