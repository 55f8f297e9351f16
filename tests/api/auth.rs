//! Identity and the access policy: every route in the policy, public routes
//! and the two kinds of credential, partner isolation, revocation,
//! throttling. The role × operation matrix is in `roles.rs`.

use brug::auth::Role;
use brug::auth::commands as auth_commands;
use brug::auth::policy::{Access, GUARDED_PREFIXES, POLICY, find};
use brug::auth::store as auth_store;
use serde_json::Value;

use crate::helpers::{TestApp, problem, spawn_app};

#[test]
fn every_registered_route_is_in_the_policy_and_every_rule_is_a_route() {
    let routes: Vec<(String, &str)> = brug::startup::routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    for (method, path) in &routes {
        if GUARDED_PREFIXES.iter().any(|p| path.starts_with(p)) || find(method, path).is_some() {
            assert!(
                find(method, path).is_some(),
                "{method} {path} is not in the access policy"
            );
        } else {
            panic!("{method} {path} is outside the API and not public in the policy");
        }
    }
    for rule in POLICY {
        assert!(
            routes
                .iter()
                .any(|(m, p)| m == rule.method && *p == rule.path),
            "policy rule {} names no route",
            rule.operation
        );
    }
}

/// A path for a rule's pattern, with placeholders filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "kabul-return-support")
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let url = app.url(&concrete(path));
    let mut request = match method {
        "GET" => app.client.get(url),
        "POST" => app.client.post(url).json(&serde_json::json!({})),
        "PUT" => app.client.put(url).json(&serde_json::json!({})),
        "PATCH" => app.client.patch(url).json(&serde_json::json!({})),
        other => panic!("no test client for {other}"),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

/// Public routes are open, and a credential of one kind never opens a
/// route of the other (each route of the policy, so that a new one is
/// covered).
#[tokio::test]
async fn public_routes_are_open_and_partner_and_staff_credentials_never_cross() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, app.staff_token(&[role]).await));
    }
    let partner_key = app.partner_key("kabul-return-support").await;
    for rule in POLICY {
        match rule.access {
            Access::Public => {
                let status = call(&app, rule.method, rule.path, None)
                    .await
                    .status()
                    .as_u16();
                assert!(
                    status != 401 && status != 403,
                    "{} is public, got {status}",
                    rule.operation
                );
            }
            // Which staff role may do what is held to API.md in
            // `roles.rs`; here, only that a partner key opens no staff route.
            Access::Staff(_) => {
                let status = call(&app, rule.method, rule.path, Some(&partner_key))
                    .await
                    .status();
                assert_eq!(
                    status.as_u16(),
                    401,
                    "a partner key never works on {}",
                    rule.path
                );
            }
            Access::Partner => {
                let status = call(&app, rule.method, rule.path, Some(&partner_key))
                    .await
                    .status()
                    .as_u16();
                assert!(
                    status != 401 && status != 403,
                    "partner may {}: got {status}",
                    rule.operation
                );
                for (role, token) in &tokens {
                    let status = call(&app, rule.method, rule.path, Some(token))
                        .await
                        .status();
                    assert_eq!(
                        status.as_u16(),
                        401,
                        "a {role} token never works on {}",
                        rule.path
                    );
                }
            }
            Access::PartnerUser(_) => panic!("{} is a portal page, not an API route", rule.path),
        }
    }
}

#[tokio::test]
async fn missing_or_bad_credentials_are_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for token in [None, Some("brug_st_not-a-real-token"), Some("")] {
        let response = app.get_as(token, "/api/v1/partners").await;
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        problem(response, 401).await;
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    let response = app
        .client
        .get(app.url("/api/v1/partners"))
        .header("authorization", format!("Basic {}", app.token))
        .send()
        .await
        .expect("sent");
    problem(response, 401).await;
}

#[tokio::test]
async fn who_am_i_for_staff_and_partners() {
    let app = spawn_app().await;
    let token = app.staff_token(&[Role::Counsellor, Role::Lead]).await;
    let me: Value = app
        .get_as(Some(&token), "/api/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["roles"], serde_json::json!(["counsellor", "lead"]));
    assert!(
        me["email"]
            .as_str()
            .unwrap_or_default()
            .ends_with("@example.org")
    );
}

#[tokio::test]
async fn a_partner_key_reaches_only_its_own_partner() {
    let app = spawn_app().await;
    let kabul = app.partner_key("kabul-return-support").await;
    let accra = app.partner_key("accra-reintegration-network").await;
    let me: Value = app
        .get_as(Some(&kabul), "/partner/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["partner_id"], "kabul-return-support");
    assert_eq!(me["countries"], serde_json::json!(["AF"]));
    let me: Value = app
        .get_as(Some(&accra), "/partner/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["partner_id"], "accra-reintegration-network");
}

#[tokio::test]
async fn disabled_users_revoked_tokens_and_unknown_partners_are_401() {
    let app = spawn_app().await;
    let email = "disable-me@example.org";
    let token = app
        .write(move |conn, now| {
            auth_commands::add_user(conn, email, Some("Test Person"), &[Role::Caseworker], now)
        })
        .await
        .secret;
    assert_eq!(
        app.get_as(Some(&token), "/api/v1/me")
            .await
            .status()
            .as_u16(),
        200
    );
    app.write(move |conn, now| auth_commands::disable_user(conn, email, now))
        .await;
    problem(app.get_as(Some(&token), "/api/v1/me").await, 401).await;

    let other = app.staff_token(&[Role::Lead]).await;
    assert_eq!(
        app.get_as(Some(&other), "/api/v1/me")
            .await
            .status()
            .as_u16(),
        200
    );
    let secret = other.clone();
    app.write(move |conn, now| auth_commands::revoke_token(conn, &secret, None, now))
        .await;
    problem(app.get_as(Some(&other), "/api/v1/me").await, 401).await;

    let missing = app
        .write(
            |conn, now| Ok(auth_commands::add_partner_key(conn, "no-such-partner", now).is_err()),
        )
        .await;
    assert!(missing, "keys only for partners in the directory");
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = spawn_app().await;
    let token = app.staff_token(&[Role::Admin]).await;
    let db = app.db.clone();
    let listed = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        auth_store::list_tokens(&mut conn).expect("tokens")
    })
    .await
    .expect("ran");
    let ours = listed
        .iter()
        .find(|t| token.starts_with(&t.prefix))
        .expect("listed by prefix");
    assert_eq!(ours.prefix.len(), 12);
    assert!(ours.last_used_at.is_none());
    app.get_as(Some(&token), "/api/v1/me").await;
    let db = app.db.clone();
    let dump = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            token_hash: String,
        }
        let mut conn = db.conn().expect("conn");
        diesel::sql_query("SELECT token_hash FROM api_tokens")
            .load::<Row>(&mut *conn)
            .expect("rows")
            .into_iter()
            .map(|r| r.token_hash)
            .collect::<Vec<_>>()
    })
    .await
    .expect("ran");
    assert!(
        dump.iter().all(|h| !h.contains("brug_")),
        "no secret is stored"
    );
    assert!(dump.contains(&brug::auth::hash_token(&token)));
}

#[tokio::test]
async fn sixty_bad_tokens_in_a_row_meet_a_429_but_good_tokens_still_work() {
    let app = spawn_app().await;
    // The legitimate caller was at work before the guessing began.
    assert_eq!(app.get("/api/v1/partners").await.status().as_u16(), 200);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..60 {
        let response = app
            .get_as(Some(&format!("brug_st_guess{i}")), "/api/v1/partners")
            .await;
        if response.status().as_u16() == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses[0], 401);
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
    let wait: u64 = retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        app.get("/api/v1/partners").await.status().as_u16(),
        200,
        "the legitimate caller is not slowed"
    );
}

/// 30 unknown tokens from `client` (as forwarded by the test's proxy);
/// the statuses.
async fn guesses(app: &crate::helpers::TestApp, client: &str, from: u32) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in from..from + 30 {
        let response = app
            .client
            .get(app.url("/api/v1/partners"))
            .bearer_auth(format!("brug_st_guess{i}"))
            .header("x-forwarded-for", client)
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    // Behind a trusted proxy (the test connects from 127.0.0.1), each
    // client is throttled on its own.
    let app = crate::helpers::spawn_app_with(|s| {
        s.trusted_proxies =
            brug::domain::proxies::TrustedProxies::parse("127.0.0.1").expect("proxies");
    })
    .await;
    assert!(guesses(&app, "203.0.113.1", 0).await.contains(&429));
    let other = guesses(&app, "203.0.113.2", 100).await;
    assert_eq!(other[0], 401, "another client is not held up: {other:?}");

    // Without one, a guesser cannot dodge the throttle by writing a new
    // address into the header each time.
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let response = app
            .client
            .get(app.url("/api/v1/partners"))
            .bearer_auth(format!("brug_st_guess{i}"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .header("forwarded", format!("for=198.51.100.{i}"))
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn a_throttled_address_is_answered_before_its_credential_is_looked_up() {
    let app = spawn_app().await;
    // A token that worked from here before the guessing began.
    assert_eq!(app.get("/api/v1/partners").await.status().as_u16(), 200);
    let fresh = app.staff_token(&[Role::Caseworker]).await;
    let mut statuses = Vec::new();
    for i in 0..40 {
        let response = app
            .get_as(Some(&format!("brug_st_guess{i}")), "/api/v1/partners")
            .await;
        statuses.push(response.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    // While blocked: a credential that worked lately still gets through;
    // one never seen is not even looked up, so a valid but new one is
    // turned away like a guess.
    assert_eq!(app.get("/api/v1/partners").await.status().as_u16(), 200);
    let unseen = app.get_as(Some(&fresh), "/api/v1/partners").await;
    assert_eq!(unseen.status().as_u16(), 429);
    assert!(unseen.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_percent_encoded_path_does_not_slip_past_the_policy() {
    let app = spawn_app().await;
    for path in ["/api/v1/%61udit", "/api/v1/partner%73", "/api/v1/%63lients"] {
        let response = app.get_as(None, path).await;
        assert_eq!(response.status().as_u16(), 401, "{path} without a token");
    }
    let lead = app.staff_token(&[Role::Lead]).await;
    problem(app.get_as(Some(&lead), "/api/v1/%61udit").await, 403).await;
    problem(app.get_as(Some(&lead), "/api/v1/client%73").await, 403).await;
}

#[tokio::test]
async fn a_denied_attempt_is_audited() {
    let app = spawn_app().await;
    let lead = app.staff_token(&[Role::Lead]).await;
    problem(app.get_as(Some(&lead), "/api/v1/clients").await, 403).await;
    let admin = app.staff_token(&[Role::Admin]).await;
    let page: Value = app
        .get_as(
            Some(&admin),
            "/api/v1/audit?subject_type=route&subject_id=/api/v1/clients",
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"][0]["outcome"], "denied", "{page}");
    assert_eq!(page["items"][0]["operation"], "clients.search");
}
