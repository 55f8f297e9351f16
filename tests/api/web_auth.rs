//! Signing in to the staff web UI: the session cookie, expiry, sign-out,
//! CSRF, throttling, invitations, and the wall between cookies and tokens.

use brug::auth::Role;
use brug::db::schema::{staff_invitations, staff_sessions};
use diesel::prelude::*;

use crate::helpers::{spawn_app, spawn_app_with};
use crate::web_helpers::{Browser, PASSWORD, signed_in, staff_user};

#[tokio::test]
async fn a_person_signs_in_with_a_strict_cookie_and_sees_my_work_in_dutch() {
    let app = spawn_app().await;
    let (email, _) = staff_user(&app, &[Role::Counsellor], "Cora Consulent").await;
    let mut browser = Browser::new(&app);

    let away = browser.get("/").await;
    assert_eq!(away.status, 303);
    assert_eq!(away.location.as_deref(), Some("/login"));
    let deep = browser.get("/clients?all=1").await;
    assert_eq!(
        deep.location.as_deref(),
        Some("/login?next=%2Fclients%3Fall%3D1")
    );

    let login = browser.get("/login").await;
    assert!(login.contains("<html lang=\"nl\">") && login.contains("Aanmelden"));
    let answer = browser
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/clients"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    assert_eq!(answer.location.as_deref(), Some("/clients"));
    let cookie = answer
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("text").to_owned())
        .find(|c| c.starts_with("brug_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    // Only a hash of the session id is stored.
    let secret = browser.cookies["brug_session"].clone();
    let stored: Vec<String> = app
        .write(|conn, _| {
            Ok(staff_sessions::table
                .select(staff_sessions::id_hash)
                .load(conn)?)
        })
        .await;
    assert_eq!(stored, vec![brug::auth::hash_token(&secret)]);

    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.contains("<h1>Mijn werk</h1>"), "{}", home.html);
    assert!(home.contains("Cora Consulent"));
    assert!(home.contains("Er wacht nu niets op u."));
    let headers = &home.headers;
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn local_development_cookies_go_without_secure() {
    let app = spawn_app_with(|s| s.insecure_cookies = true).await;
    let (email, _) = staff_user(&app, &[Role::Caseworker], "Kees").await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    let answer = browser
        .post(
            "/login",
            &[("email", &email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    let cookie = answer.headers[reqwest::header::SET_COOKIE]
        .to_str()
        .expect("text");
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_wrong_password_or_address_says_the_same_and_starts_no_session() {
    let app = spawn_app().await;
    let (email, _) = staff_user(&app, &[Role::Counsellor], "Cora").await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    for (who, password) in [
        (email.as_str(), "not the password"),
        ("nobody@example.org", PASSWORD),
    ] {
        let answer = browser
            .post(
                "/login",
                &[("email", who), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(answer.status, 401);
        assert!(answer.contains("Het e-mailadres of het wachtwoord klopt niet."));
        // What was typed stays; the password does not.
        assert_eq!(answer.field_value("email").as_deref(), Some(who));
        assert_eq!(answer.field_value("password").as_deref(), Some(""));
        assert!(!browser.cookies.contains_key("brug_session"));
    }
    // A redirect after sign-in never leaves the site.
    let answer = browser
        .post(
            "/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address() {
    let app = spawn_app().await;
    let (email, _) = staff_user(&app, &[Role::Counsellor], "Cora").await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    let mut throttled = None;
    // A different made-up address each time: the account's own limit
    // never comes into it, only the address's.
    for attempt in 0..40 {
        let guess = format!("guess-{attempt}@example.org");
        let answer = browser
            .post(
                "/login",
                &[("email", &guess), ("password", "guess"), ("next", "/")],
            )
            .await;
        if answer.status == 429 {
            throttled = Some((attempt, answer));
            break;
        }
        assert_eq!(answer.status, 401);
    }
    let (attempt, answer) = throttled.expect("throttled within 40 guesses");
    assert!(attempt >= 19, "throttled after {attempt} guesses");
    assert!(
        answer.contains("Te veel mislukte pogingen"),
        "{}",
        answer.html
    );
    assert!(answer.headers.contains_key(reqwest::header::RETRY_AFTER));
    // Not even the right password gets through from that address now.
    let right = browser
        .post(
            "/login",
            &[("email", &email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(right.status, 429);
}

#[tokio::test]
async fn guesses_at_one_account_are_throttled_and_audited_under_it() {
    let app = spawn_app().await;
    let (email, user_id) = staff_user(&app, &[Role::Counsellor], "Cora").await;
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    let mut refused_at = None;
    let started = std::time::Instant::now();
    for attempt in 0..20 {
        let answer = browser
            .post(
                "/login",
                &[("email", &email), ("password", "guess"), ("next", "/")],
            )
            .await;
        if answer.status == 429 {
            refused_at = Some(attempt);
            break;
        }
    }
    let attempt = refused_at.expect("the account's limit");
    // Ten a minute: one more comes back every six seconds, so a machine
    // slow enough to spend that long on the guesses allows one more each.
    let refilled = (started.elapsed().as_secs_f64() / 6.0).floor() as usize;
    assert!(
        (9..=11 + refilled).contains(&attempt),
        "throttled after {attempt} guesses ({refilled} came back meanwhile)"
    );
    // An address that does not exist is limited the same way: the answer
    // tells nothing about which exist.
    let mut unknown_at = None;
    for attempt in 0..20 {
        let answer = browser
            .post(
                "/login",
                &[
                    ("email", "nobody@example.org"),
                    ("password", "guess"),
                    ("next", "/"),
                ],
            )
            .await;
        if answer.status == 429 {
            unknown_at = Some(attempt);
            break;
        }
    }
    assert!(unknown_at.is_some());
    let admin = app.staff_token(&[Role::Admin]).await;
    let log: serde_json::Value = app
        .get_as(
            Some(&admin),
            &format!("/api/v1/audit?subject_id={user_id}&limit=100"),
        )
        .await
        .json()
        .await
        .expect("json");
    let denied = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["operation"] == "session.start" && e["outcome"] == "denied")
        .count();
    // Every wrong password is recorded, the one that hit the limit too.
    assert_eq!(denied, attempt + 1, "each wrong password is recorded");
}

#[tokio::test]
async fn signing_out_ends_the_session_at_once() {
    let app = spawn_app().await;
    let (mut browser, user_id) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    let old = browser.cookies.clone();
    browser.get("/").await;
    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/login?signed_out=1"));
    assert!(!browser.cookies.contains_key("brug_session"));
    // The old cookie, replayed, opens nothing.
    browser.cookies = old;
    let replay = browser.get("/").await;
    assert_eq!(replay.location.as_deref(), Some("/login"));
    let ended: Option<chrono::NaiveDateTime> = app
        .write(|conn, _| {
            Ok(staff_sessions::table
                .select(staff_sessions::ended_at)
                .first(conn)?)
        })
        .await;
    assert!(ended.is_some());
    let audit = app
        .get_as(
            Some(&admin(&app).await),
            &format!("/api/v1/audit?actor={user_id}"),
        )
        .await;
    let body: serde_json::Value = audit.json().await.expect("json");
    let operations: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["operation"].as_str())
        .collect();
    assert!(
        operations.contains(&"session.start") && operations.contains(&"session.end"),
        "{operations:?}"
    );
}

async fn admin(app: &crate::helpers::TestApp) -> String {
    app.staff_token(&[Role::Admin]).await
}

#[tokio::test]
async fn a_session_ends_after_thirty_idle_minutes_and_after_twelve_hours() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    assert_eq!(browser.get("/").await.status, 200);
    let idle = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(31);
    app.write(move |conn, _| {
        Ok(diesel::update(staff_sessions::table)
            .set(staff_sessions::last_seen_at.eq(idle))
            .execute(conn)?)
    })
    .await;
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/login"));

    let (mut busy, _) = signed_in(&app, &[Role::Counsellor], "Carla").await;
    let long_ago =
        chrono::Utc::now().naive_utc() - chrono::Duration::hours(12) - chrono::Duration::minutes(1);
    let now = chrono::Utc::now().naive_utc();
    app.write(move |conn, _| {
        Ok(
            diesel::update(staff_sessions::table.filter(staff_sessions::ended_at.is_null()))
                .set((
                    staff_sessions::created_at.eq(long_ago),
                    staff_sessions::last_seen_at.eq(now),
                ))
                .execute(conn)?,
        )
    })
    .await;
    assert_eq!(busy.get("/").await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_everywhere() {
    let app = spawn_app().await;
    let (email, _) = staff_user(&app, &[Role::Counsellor], "Cora").await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&email, PASSWORD).await;
    assert_eq!(browser.get("/").await.status, 200);
    app.write(move |conn, now| brug::auth::commands::disable_user(conn, &email, now))
        .await;
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/login"));
}

#[tokio::test]
async fn a_form_without_its_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    browser.get("/clients/new").await;
    let fields = [
        ("given_name", "Testa"),
        ("family_name", "Voorbeeld"),
        ("date_of_birth", "1990-02-03"),
        ("country_of_origin", "IQ"),
        ("languages", "ar"),
    ];
    let none = browser.post_raw("/clients/new", &fields).await;
    assert_eq!(none.status, 403);
    assert!(none.contains("Formulier verlopen"), "{}", none.html);
    let mut wrong = vec![("csrf", "not-the-token-of-this-session-at-all-000000")];
    wrong.extend_from_slice(&fields);
    assert_eq!(browser.post_raw("/clients/new", &wrong).await.status, 403);
    // Nor signs anyone out or in without one.
    assert_eq!(browser.post_raw("/logout", &[]).await.status, 403);
    let mut stranger = Browser::new(&app);
    let login = stranger
        .post_raw(
            "/login",
            &[("email", "x@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, 403);
    let listed: serde_json::Value = app.get("/api/v1/clients").await.json().await.expect("json");
    assert_eq!(listed["items"], serde_json::json!([]));
}

#[tokio::test]
async fn pages_take_no_token_and_the_api_takes_no_session() {
    let app = spawn_app().await;
    let (browser, _) = signed_in(&app, &[Role::Caseworker], "Kees").await;
    // A valid token on a page: not signed in, sent to sign in.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("/"))
        .bearer_auth(&app.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    // A valid session on the API: not authenticated.
    let api = app
        .client
        .get(app.url("/api/v1/me"))
        .header(
            reqwest::header::COOKIE,
            format!("brug_session={}", browser.cookies["brug_session"]),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(api.status(), 401);
}

#[tokio::test]
async fn a_role_without_the_page_gets_a_plain_refusal_that_is_audited() {
    let app = spawn_app().await;
    let (mut browser, lead_id) = signed_in(&app, &[Role::Lead], "Lea Lead").await;
    let home = browser.get("/").await;
    assert!(
        !home.contains("href=\"/clients\""),
        "a lead is offered no client list"
    );
    let refused = browser.get("/clients").await;
    assert_eq!(refused.status, 403);
    assert!(refused.contains("Geen toegang"), "{}", refused.html);
    assert!(
        refused.headers["content-type"]
            .to_str()
            .expect("text")
            .starts_with("text/html")
    );
    let audit: serde_json::Value = app
        .get_as(
            Some(&admin(&app).await),
            &format!("/api/v1/audit?actor={lead_id}"),
        )
        .await
        .json()
        .await
        .expect("json");
    let denied = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["outcome"] == "denied")
        .expect("a denied entry");
    assert_eq!(denied["operation"], "clients.search");
}

#[tokio::test]
async fn english_follows_the_switch_and_the_browser() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(&app, &[Role::Counsellor], "Cora").await;
    browser.accept_language = Some("en-GB,en;q=0.9,nl;q=0.5".into());
    let english = browser.get("/").await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("<h1>My work</h1>"));
    browser.accept_language = None;
    assert!(browser.get("/").await.contains("<h1>Mijn werk</h1>"));
    let switched = browser.get("/?lang=en").await;
    assert!(switched.contains("<h1>My work</h1>"));
    assert_eq!(
        browser.cookies.get("brug_lang").map(String::as_str),
        Some("en")
    );
    // Remembered on the next page, and switched back the same way.
    assert!(browser.get("/clients").await.contains("<h1>Clients</h1>"));
    assert!(
        browser
            .get("/clients?lang=nl")
            .await
            .contains("<h1>Cliënten</h1>")
    );
}

#[tokio::test]
async fn an_invitation_sets_a_password_once_within_72_hours() {
    let app = spawn_app().await;
    let secret = app
        .write(|conn, now| {
            brug::auth::commands::invite_user(
                conn,
                "nieuw@example.org",
                Some("Nina"),
                &[Role::Caseworker],
                now,
            )
        })
        .await;
    let mut browser = Browser::new(&app);
    let path = format!("/invite/{secret}");
    let page = browser.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("nieuw@example.org"));
    let differ = browser
        .post(
            &path,
            &[("password", PASSWORD), ("again", "something else entirely")],
        )
        .await;
    assert_eq!(differ.status, 422);
    assert!(differ.contains("De twee wachtwoorden zijn niet gelijk."));
    let short = browser
        .post(&path, &[("password", "kort"), ("again", "kort")])
        .await;
    assert_eq!(short.status, 422);
    assert!(short.contains("minstens 12 tekens"), "{}", short.html);
    let set = browser
        .post(&path, &[("password", PASSWORD), ("again", PASSWORD)])
        .await;
    assert_eq!(set.status, 303);
    assert_eq!(set.location.as_deref(), Some("/login?password_set=1"));
    browser.sign_in("nieuw@example.org", PASSWORD).await;
    let again = Browser::new(&app).get(&path).await;
    assert_eq!(again.status, 404);
    assert!(again.contains("al gebruikt, verlopen of onbekend"));

    let late = app
        .write(|conn, now| brug::auth::commands::reinvite_user(conn, "nieuw@example.org", now))
        .await;
    let expired = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    app.write(move |conn, _| {
        Ok(
            diesel::update(staff_invitations::table.filter(staff_invitations::used_at.is_null()))
                .set(staff_invitations::expires_at.eq(expired))
                .execute(conn)?,
        )
    })
    .await;
    assert_eq!(
        Browser::new(&app)
            .get(&format!("/invite/{late}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn every_form_of_the_ui_refuses_a_post_without_its_token() {
    let app = spawn_app().await;
    let (mut browser, _) = signed_in(
        &app,
        &[Role::Counsellor, Role::Caseworker, Role::Lead, Role::Admin],
        "Alle Rollen",
    )
    .await;
    let some_id = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for rule in brug::auth::policy::PAGES {
        if rule.method != "POST" {
            continue;
        }
        let path = rule.path.replace("{id}", &some_id).replace("{token}", "x");
        let answer = browser.post_raw(&path, &[("reason", "x")]).await;
        assert_eq!(
            answer.status, 403,
            "{} answered {}",
            rule.path, answer.status
        );
        assert!(
            answer.contains("Formulier verlopen"),
            "{}: {}",
            rule.path,
            answer.html
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} forms");
}

#[tokio::test]
async fn a_new_link_or_a_password_set_retires_every_older_link() {
    let app = spawn_app().await;
    let first = app
        .write(|conn, now| {
            brug::auth::commands::invite_user(
                conn,
                "ines@example.org",
                None,
                &[Role::Counsellor],
                now,
            )
        })
        .await;
    let second = app
        .write(|conn, now| brug::auth::commands::reinvite_user(conn, "ines@example.org", now))
        .await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.get(&format!("/invite/{first}")).await.status,
        404,
        "replaced"
    );
    // A password refused leaves the link usable.
    browser.get(&format!("/invite/{second}")).await;
    let short = browser
        .post(
            &format!("/invite/{second}"),
            &[("password", "kort"), ("again", "kort")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert_eq!(browser.get(&format!("/invite/{second}")).await.status, 200);
    // A password set by the administrator retires it too.
    app.write(|conn, now| {
        brug::auth::sessions::set_password(
            conn,
            &brug::audit::Actor::cli(),
            "ines@example.org",
            PASSWORD,
            now,
        )
    })
    .await;
    assert_eq!(browser.get(&format!("/invite/{second}")).await.status, 404);
}

#[tokio::test]
async fn an_invitation_opened_while_signed_in_still_sets_the_password() {
    let app = spawn_app().await;
    let secret = app
        .write(|conn, now| {
            brug::auth::commands::invite_user(
                conn,
                "colleague@example.org",
                None,
                &[Role::Caseworker],
                now,
            )
        })
        .await;
    let (mut browser, _) = signed_in(&app, &[Role::Admin], "Ada").await;
    let path = format!("/invite/{secret}");
    browser.get(&path).await;
    let set = browser
        .post(&path, &[("password", PASSWORD), ("again", PASSWORD)])
        .await;
    assert_eq!(set.status, 303, "{}", set.html);
    Browser::new(&app)
        .sign_in("colleague@example.org", PASSWORD)
        .await;
}

#[tokio::test]
async fn after_sign_in_only_a_path_of_this_site_is_followed() {
    let app = spawn_app().await;
    let (email, _) = staff_user(&app, &[Role::Counsellor], "Cora").await;
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let mut browser = Browser::new(&app);
        browser.get("/login").await;
        let answer = browser
            .post(
                "/login",
                &[("email", &email), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(answer.location.as_deref(), Some("/"), "{next:?}");
        // Signed in already, the same `next` in the address goes home too.
        let again = browser
            .get(&format!(
                "/login?{}",
                serde_urlencoded::to_string([("next", next)]).expect("query")
            ))
            .await;
        assert_eq!(again.location.as_deref(), Some("/"), "{next:?}");
    }
}
