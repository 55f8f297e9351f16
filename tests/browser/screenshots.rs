//! The screenshots in `docs/screenshots/` and the README, taken from the
//! real pages over a year of demo data: `cargo test --test browser
//! screenshots -- --ignored` writes them again (run it when pages change).

use brug::cases::CaseStatus;
use brug::db::schema::{clients, return_cases, talks, user_roles, users};
use diesel::dsl::count_star;
use diesel::prelude::*;
use fantoccini::Client;

use crate::counselling::{PASSWORD, click_link, sign_in_by_keyboard, wait_heading};
use crate::harness;
use crate::helpers;

fn demo_user(conn: &mut brug::db::DbConn, role: &str) -> (String, String) {
    users::table
        .inner_join(user_roles::table)
        .filter(user_roles::role.eq(role))
        // The demo's staff, not the test's own token user.
        .filter(users::name.is_not_null())
        .order(users::email.asc())
        .select((users::id, users::email))
        .first(conn)
        .expect("a demo user")
}

async fn shoot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(format!("{name}.png"));
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, png).expect("write the screenshot");
}

#[tokio::test]
#[ignore = "writes docs/screenshots; run when the pages change"]
async fn screenshots() {
    let app = helpers::spawn_app_with(|s| s.insecure_cookies = true).await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    let client: &Client = &browser;
    crate::dashboards::demo_year(&app).await;
    let mut conn = app.db.conn().expect("conn");
    let (counsellor_id, counsellor) = demo_user(&mut conn, "counsellor");
    let (_, caseworker) = demo_user(&mut conn, "caseworker");
    let (_, lead) = demo_user(&mut conn, "lead");
    let client_id: String = talks::table
        .inner_join(clients::table)
        .filter(clients::counsellor_id.eq(&counsellor_id))
        .group_by(talks::client_id)
        .order(count_star().desc())
        .select(talks::client_id)
        .first(&mut conn)
        .expect("a client");
    let case_id: String = return_cases::table
        .filter(return_cases::status.eq(CaseStatus::Open.as_str()))
        .order(return_cases::opened_at.asc())
        .select(return_cases::id)
        .first(&mut conn)
        .expect("an open case");
    drop(conn);
    for email in [counsellor.clone(), caseworker.clone(), lead.clone()] {
        app.write(move |conn, now| {
            brug::auth::sessions::set_password(
                conn,
                &brug::audit::Actor::cli(),
                &email,
                PASSWORD,
                now,
            )
        })
        .await;
    }

    harness::goto(client, &app.url("/login")).await;
    shoot(client, "login").await;
    sign_in_by_keyboard(client, &app, &counsellor).await;
    wait_heading(client, "Mijn werk").await;
    shoot(client, "my-work").await;
    click_link(client, "Cliënten").await;
    wait_heading(client, "Cliënten").await;
    shoot(client, "clients").await;
    harness::goto(client, &app.url(&format!("/clients/{client_id}"))).await;
    harness::wait_for(client, "#talks").await;
    shoot(client, "client").await;
    harness::goto(client, &app.url(&format!("/clients/{client_id}/talks/new"))).await;
    harness::wait_for(client, "#f-notes").await;
    shoot(client, "talk-new").await;
    harness::click_button(client, "Afmelden").await;

    sign_in_by_keyboard(client, &app, &caseworker).await;
    harness::goto(client, &app.url(&format!("/return-cases/{case_id}"))).await;
    harness::wait_for(client, "h1").await;
    shoot(client, "return-case").await;
    harness::goto(client, &app.url("/partners")).await;
    harness::wait_for(client, "h1").await;
    shoot(client, "partners").await;
    harness::click_button(client, "Afmelden").await;

    sign_in_by_keyboard(client, &app, &lead).await;
    harness::goto(client, &app.url("/team?lang=en")).await;
    wait_heading(client, "Team").await;
    shoot(client, "team-en").await;
    harness::goto(client, &app.url("/dashboards?lang=nl")).await;
    harness::wait_for(client, "figure.chart svg").await;
    shoot(client, "dashboards").await;
    harness::goto(client, &app.url("/dashboards/partners")).await;
    harness::wait_for(client, "figure.chart svg").await;
    shoot(client, "dashboards-partners").await;
}
