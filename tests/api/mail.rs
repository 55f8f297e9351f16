//! Email notifications: a small SMTP server runs inside the test process and
//! keeps what it is sent. People at a partner hear of a new referral in
//! their language, the caseworker of a plan to approve in Dutch; nobody
//! else hears anything, no mail names the client, failures are retried and
//! dead-lettered, and without `smtp_url` nothing is queued at all.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use brug::auth::Role;
use brug::auth::partner_users::{self as people, PartnerRole};
use brug::config::{Settings, SmtpUrl};
use brug::mail::MailKind;
use brug::mail::store::{self as outbox, Queued};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::cli::{brug, text};
use crate::helpers::{TestApp, spawn_app_with};
use crate::metrics::{Exposition, scrape, value};
use crate::referrals::{ACCRA, KUMASI, day, ok, send};

/// Names no mail may carry: the client's, made up to be found nowhere else.
const GIVEN: &str = "Zephyrinka";
const FAMILY: &str = "Quillbottom-Asantewaa";
const COMMENT: &str = "Budget the schooling of the twins";

/// One mail as the server received it.
#[derive(Debug, Clone)]
struct Captured {
    to: Vec<String>,
    data: String,
}

/// An SMTP server that answers every command and keeps every mail.
struct SmtpServer {
    url: String,
    mails: Arc<Mutex<Vec<Captured>>>,
}

impl SmtpServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, kept.clone()));
            }
        });
        Self { url, mails }
    }

    fn mails(&self) -> Vec<Captured> {
        self.mails.lock().expect("lock").clone()
    }

    /// Waits until `n` mails have come, and a moment more for any extra.
    async fn wait_for(&self, n: usize) -> Vec<Captured> {
        let until = Instant::now() + Duration::from_secs(20);
        while self.mails().len() < n && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.mails()
    }
}

async fn session(stream: tokio::net::TcpStream, mails: Arc<Mutex<Vec<Captured>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut to = Vec::new();
    let _ = write.write_all(b"220 test ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("RCPT TO:") {
            to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 ok\r\n"
        } else if command == "DATA" {
            let _ = write.write_all(b"354 go on\r\n").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push_str("\r\n");
            }
            let to = std::mem::take(&mut to);
            mails.lock().expect("lock").push(Captured { to, data });
            b"250 kept\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// A mail's subject (RFC 2047 decoded) and body (transfer-decoded).
fn read_mail(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let b64 = |s: &str| {
        let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean)
            .expect("base64");
        String::from_utf8(bytes).expect("UTF-8")
    };
    // Words with a space between them, but for the space between two
    // encoded words, which is not part of the text (RFC 2047).
    let mut subject = String::new();
    let mut after_encoded = false;
    for word in header("Subject").split_whitespace() {
        let encoded = word.strip_prefix("=?utf-8?b?");
        let joined = after_encoded && encoded.is_some();
        if !subject.is_empty() && !joined {
            subject.push(' ');
        }
        match encoded {
            Some(rest) => subject.push_str(&b64(rest.trim_end_matches("?="))),
            None => subject.push_str(word),
        }
        after_encoded = encoded.is_some();
    }
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => b64(body),
        "quoted-printable" => {
            let joined = body.replace("=\r\n", "");
            let mut bytes = Vec::new();
            let raw = joined.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                match (raw[i], raw.get(i + 1..i + 3)) {
                    (b'=', Some(hex)) => {
                        let hex = std::str::from_utf8(hex).expect("hex");
                        bytes.push(u8::from_str_radix(hex, 16).expect("hex"));
                        i += 3;
                    }
                    (byte, _) => {
                        bytes.push(byte);
                        i += 1;
                    }
                }
            }
            String::from_utf8(bytes).expect("UTF-8")
        }
        _ => body.to_owned(),
    };
    (subject, body)
}

fn mail_settings(smtp: &str, schedule: &str) -> impl FnOnce(&mut Settings) {
    let smtp = smtp.to_owned();
    let schedule = brug::domain::retry::RetrySchedule::parse(schedule).expect("a schedule");
    move |settings| {
        settings.smtp_url = Some(SmtpUrl::new(smtp));
        settings.mail_from = Some("Brug <brug@example.org>".to_owned());
        settings.public_url = Some("https://brug.example.org".to_owned());
        settings.webhook_retry_schedule = schedule;
        settings.webhook_poll_ms = 20;
    }
}

/// The people of a case: a client with made-up names, consent for the
/// Accra partner, an open case held by a caseworker with a known address.
struct Case {
    app: TestApp,
    caseworker: String,
    caseworker_email: String,
    case_id: String,
    consent_id: String,
}

impl Case {
    async fn new(adjust: impl FnOnce(&mut Settings)) -> Self {
        let app = spawn_app_with(adjust).await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker_email = format!("cw-{}@example.org", uuid::Uuid::now_v7().simple());
        let email = caseworker_email.clone();
        let caseworker = app
            .write(move |conn, now| {
                brug::auth::commands::add_user(conn, &email, None, &[Role::Caseworker], now)
            })
            .await
            .secret;
        let client = created(
            &app,
            &counsellor,
            "/api/v1/clients",
            json!({
                "given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "1979-11-23",
                "country_of_origin": "GH", "languages": ["tw"], "location": "Example-Noord"
            }),
        )
        .await;
        let client_id = client["id"].as_str().expect("id").to_owned();
        let talk = created(&app, &counsellor, &format!("/api/v1/clients/{client_id}/talks"), json!({
            "held_on": day(-1), "mode": "in_person", "topics": ["return"], "intention": "return",
            "duration_minutes": 30, "notes": "A note that no mail may carry."
        })).await;
        let consent = created(&app, &caseworker, &format!("/api/v1/clients/{client_id}/consents"), json!({
            "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": ACCRA,
            "given_on": day(0), "method": "written", "language": "tw"
        })).await;
        let case = created(
            &app,
            &caseworker,
            "/api/v1/return-cases",
            json!({
                "client_id": client_id, "talk_id": talk["id"], "destination_country": "GH",
                "destination_region": "GH-AA", "needs": ["housing"], "planned_departure_on": day(40)
            }),
        )
        .await;
        Self {
            caseworker,
            caseworker_email,
            case_id: case["id"].as_str().expect("id").to_owned(),
            consent_id: consent["id"].as_str().expect("id").to_owned(),
            app,
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        self.app.post_ok(token, path, body).await
    }

    async fn refer(&self) -> String {
        let path = format!("/api/v1/return-cases/{}/referrals", self.case_id);
        let body = json!({"partner_id": ACCRA, "consent_id": self.consent_id});
        let referral = self.post(&self.caseworker, &path, body).await;
        referral["id"].as_str().expect("id").to_owned()
    }

    /// A person at `partner` with a password set (unless `invited_only`).
    async fn person(
        &self,
        partner: &str,
        role: PartnerRole,
        language: &str,
        notify: bool,
        invited_only: bool,
    ) -> (String, String) {
        let email = format!("p-{}@partner.example", uuid::Uuid::now_v7().simple());
        let (partner, language, address) = (partner.to_owned(), language.to_owned(), email.clone());
        let id = self
            .app
            .write(move |conn, now| {
                let actor = brug::audit::Actor::cli();
                let (id, token) =
                    people::add(conn, &actor, &partner, &address, role, &language, now)?;
                if !invited_only {
                    people::accept_invitation(conn, &token, "a long passphrase for tests", now)?;
                }
                people::set_preferences(conn, &id, &language, notify, now)?;
                Ok(id)
            })
            .await;
        (id, email)
    }

    async fn queued(&self) -> Vec<Queued> {
        self.app.write(|conn, _| Ok(outbox::all(conn)?)).await
    }
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    ok(
        send(app, token, reqwest::Method::POST, path, Some(body)).await,
        201,
    )
    .await
}

fn kinds_for(queued: &[Queued], recipient: &str) -> Vec<MailKind> {
    queued
        .iter()
        .filter(|q| q.recipient_id == recipient)
        .map(|q| q.kind)
        .collect()
}

#[tokio::test]
async fn those_who_asked_are_mailed_in_their_language_and_no_mail_names_the_client() {
    let smtp = SmtpServer::start().await;
    let case = Case::new(mail_settings(&smtp.url, "1s")).await;
    let (ama, ama_email) = case
        .person(ACCRA, PartnerRole::Coordinator, "fr", true, false)
        .await;
    let (kwame, kwame_email) = case
        .person(ACCRA, PartnerRole::FocalPoint, "en", true, false)
        .await;
    let (quiet, _) = case
        .person(ACCRA, PartnerRole::FocalPoint, "en", false, false)
        .await;
    let (invited, _) = case
        .person(ACCRA, PartnerRole::FocalPoint, "en", true, true)
        .await;
    let (elsewhere, _) = case
        .person(KUMASI, PartnerRole::Coordinator, "en", true, false)
        .await;
    let out = brug()
        .args(["user", "notify", &case.caseworker_email, "on"])
        .env("DATABASE_URL", &case.app.database.url)
        .output()
        .expect("brug runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mailer = brug::mailer::worker::spawn(case.app.db.clone(), &case.app.settings)
        .expect("a mailer")
        .expect("mail is on");

    let referral = case.refer().await;
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2, "one each for Ama and Kwame: {mails:?}");
    let to_ama = mails
        .iter()
        .find(|m| m.to == [ama_email.clone()])
        .expect("Ama's");
    let (subject, body) = read_mail(&to_ama.data);
    assert_eq!(subject, "Une nouvelle orientation vous attend");
    let link = format!("https://brug.example.org/portal/referrals/{referral}");
    assert!(body.contains(&link), "{body}");
    assert!(body.contains(&format!("Référence : {referral}")), "{body}");
    let to_kwame = mails
        .iter()
        .find(|m| m.to == [kwame_email.clone()])
        .expect("Kwame's");
    assert_eq!(read_mail(&to_kwame.data).0, "A new referral is waiting");
    let queued = case.queued().await;
    for nobody in [&quiet, &invited, &elsewhere] {
        assert!(
            kinds_for(&queued, nobody).is_empty(),
            "{nobody}: {queued:?}"
        );
    }

    // The partner accepts and submits a plan: the caseworker hears of it, in Dutch.
    let key = case.app.partner_key(ACCRA).await;
    let partner = |action: &str| format!("/partner/v1/referrals/{referral}/{action}");
    case.post(&key, &partner("acknowledge"), json!({})).await;
    case.post(&key, &partner("accept"), json!({})).await;
    case.post(
        &key,
        &partner("reintegration-plan"),
        json!({"items": [
            {"need": "housing", "support": "Rent", "amount": 900, "currency": "GHS"}
        ]}),
    )
    .await;
    let mails = smtp.wait_for(3).await;
    let to_caseworker = mails
        .iter()
        .find(|m| m.to == [case.caseworker_email.clone()])
        .expect("the caseworker's");
    let (subject, body) = read_mail(&to_caseworker.data);
    assert_eq!(subject, "Een plan wacht op uw goedkeuring");
    let case_link = format!("https://brug.example.org/return-cases/{}", case.case_id);
    assert!(body.contains(&case_link), "{body}");

    // Returned with a comment: the partner's people hear of it, the comment stays out.
    let reject = format!("/api/v1/referrals/{referral}/reintegration-plan/reject");
    case.post(&case.caseworker, &reject, json!({"comment": COMMENT}))
        .await;
    // A draft waits for sign-off: coordinators only.
    let id = referral.clone();
    case.app
        .write(move |conn, now| {
            Ok(brug::mail::notify_partner_users(
                conn,
                ACCRA,
                Some(PartnerRole::Coordinator),
                MailKind::DraftWaiting,
                &id,
                now,
            )?)
        })
        .await;
    let mails = smtp.wait_for(6).await;
    assert_eq!(mails.len(), 6, "{mails:?}");
    let queued = case.queued().await;
    assert_eq!(
        kinds_for(&queued, &ama),
        [
            MailKind::ReferralRequested,
            MailKind::PlanReturned,
            MailKind::DraftWaiting
        ]
    );
    assert_eq!(
        kinds_for(&queued, &kwame),
        [MailKind::ReferralRequested, MailKind::PlanReturned]
    );
    let returned = mails
        .iter()
        .filter(|m| m.to == [ama_email.clone()])
        .map(|m| read_mail(&m.data).0)
        .collect::<Vec<_>>();
    assert!(
        returned.contains(&"Un plan de réintégration vous a été renvoyé".to_owned()),
        "{returned:?}"
    );

    for mail in &mails {
        let (subject, body) = read_mail(&mail.data);
        for text in [&mail.data, &subject, &body] {
            for secret in [
                GIVEN,
                FAMILY,
                "1979-11-23",
                "23-11-1979",
                COMMENT,
                "no mail may carry",
            ] {
                assert!(!text.contains(secret), "a mail carries {secret}: {text}");
            }
        }
    }
    let (stop, running) = mailer;
    let _ = stop.send(true);
    running.await.expect("the mailer stops cleanly");
}

#[tokio::test]
async fn a_mail_that_cannot_go_is_retried_then_dead_and_replay_sends_it_again() {
    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let down = format!("smtp://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let case = Case::new(|settings| {
        mail_settings(&down, "300ms,300ms")(settings);
        settings.metrics_addr = Some("127.0.0.1:0".into());
    })
    .await;
    let (ama, _) = case
        .person(ACCRA, PartnerRole::FocalPoint, "en", true, false)
        .await;
    let (before, _) = scrape(&case.app).await;
    let (stop, running) = brug::mailer::worker::spawn(case.app.db.clone(), &case.app.settings)
        .expect("a mailer")
        .expect("mail is on");
    case.refer().await;
    let queued = case.queued().await;
    assert_eq!(kinds_for(&queued, &ama), [MailKind::ReferralRequested]);
    let id = queued[0].id.clone();

    // Watch its attempts: each failure moves the next attempt later, the
    // third is the last.
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let mail = id.clone();
        let state = case
            .app
            .write(move |conn, _| Ok(outbox::state(conn, &mail)?))
            .await
            .expect("the mail");
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        if state.dead_at.is_some() || Instant::now() > until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let attempts: Vec<i32> = seen.iter().map(|s| s.attempts).collect();
    assert_eq!(
        attempts.last(),
        Some(&3),
        "dead after three attempts: {seen:?}"
    );
    assert!(attempts.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    let waiting = |n: i32| {
        seen.iter()
            .find(|s| s.attempts == n && s.dead_at.is_none())
            .map(|s| s.next_attempt_at)
            .unwrap_or_else(|| panic!("no retry waiting after attempt {n}: {seen:?}"))
    };
    assert!(
        waiting(2) > waiting(1),
        "the next attempt moved on: {seen:?}"
    );
    let _ = stop.send(true);
    running.await.expect("stops");
    // Operators see it: the dead letter (of this database), and the
    // attempts among the process's counters (other tests mail too).
    let (dead, shown) = scrape(&case.app).await;
    assert_eq!(value(&dead, "brug_mail_dead_letters", &[]), 1.0, "{shown}");
    let emails = |after: &Exposition, outcome: &str| {
        let labels = [("outcome", outcome)];
        value(after, "brug_emails_total", &labels) - value(&before, "brug_emails_total", &labels)
    };
    assert!(emails(&dead, "failed") >= 2.0, "{shown}");
    assert!(emails(&dead, "dead_lettered") >= 1.0, "{shown}");

    let out = brug()
        .args(["mail", "dead"])
        .env("DATABASE_URL", &case.app.database.url)
        .output()
        .expect("brug runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(
        listed.contains(&id) && listed.contains("referral_requested"),
        "{listed}"
    );
    assert!(!listed.contains("@partner.example"), "no address: {listed}");
    let out = brug()
        .args(["mail", "replay", &id])
        .env("DATABASE_URL", &case.app.database.url)
        .output()
        .expect("brug runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 mail(s) queued again"),
        "{}",
        text(&out.stderr)
    );
    let mail = id.clone();
    let state = case
        .app
        .write(move |conn, _| Ok(outbox::state(conn, &mail)?))
        .await
        .expect("the mail");
    assert_eq!((state.attempts, state.dead_at), (0, None), "queued afresh");

    // With the server up, it goes.
    let smtp = SmtpServer::start().await;
    let mut settings = case.app.settings.clone();
    settings.smtp_url = Some(SmtpUrl::new(smtp.url.clone()));
    let (stop, running) = brug::mailer::worker::spawn(case.app.db.clone(), &settings)
        .expect("a mailer")
        .expect("mail is on");
    assert_eq!(smtp.wait_for(1).await.len(), 1);
    let _ = stop.send(true);
    running.await.expect("stops");
    let (sent, shown) = scrape(&case.app).await;
    assert_eq!(value(&sent, "brug_mail_dead_letters", &[]), 0.0, "{shown}");
    assert!(emails(&sent, "sent") >= 1.0, "{shown}");
}

#[tokio::test]
async fn without_smtp_url_nothing_is_queued() {
    let case = Case::new(|_| {}).await;
    case.person(ACCRA, PartnerRole::Coordinator, "en", true, false)
        .await;
    let referral = case.refer().await;
    case.app
        .write(move |conn, now| {
            Ok(brug::mail::notify_partner_users(
                conn,
                ACCRA,
                None::<PartnerRole>,
                MailKind::DraftWaiting,
                &referral,
                now,
            )?)
        })
        .await;
    assert!(
        brug::mailer::worker::spawn(case.app.db.clone(), &case.app.settings)
            .expect("settings")
            .is_none(),
        "no mailer without smtp_url"
    );
    assert_eq!(case.queued().await, []);
}

/// A draft saved in the portal tells the partner's coordinators, never the
/// one who drafted it nor the focal points.
#[tokio::test]
async fn a_draft_saved_in_the_portal_is_mailed_to_the_other_coordinators() {
    let case = Case::new(mail_settings("smtp://127.0.0.1:9", "1h")).await;
    let referral = case.refer().await;
    let accra = case.app.partner_key(ACCRA).await;
    for step in ["acknowledge", "accept"] {
        case.post(
            &accra,
            &format!("/partner/v1/referrals/{referral}/{step}"),
            json!({}),
        )
        .await;
    }
    let mut drafter =
        crate::portal_helpers::portal_user(&case.app, ACCRA, PartnerRole::Coordinator).await;
    let (other, _) = case
        .person(ACCRA, PartnerRole::Coordinator, "en", true, false)
        .await;
    let (focal, _) = case
        .person(ACCRA, PartnerRole::FocalPoint, "en", true, false)
        .await;
    drafter
        .browser
        .get(&format!("/portal/referrals/{referral}/plan"))
        .await;
    let saved = crate::portal_helpers::submit(
        &mut drafter.browser,
        &format!("/portal/referrals/{referral}/plan"),
        &[
            ("items[0].need", "housing"),
            ("items[0].support", "Rent"),
            ("items[0].amount", "100"),
            ("items[0].currency", "GHS"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let queued = case.queued().await;
    // (Both joined after the referral came: the draft is all they hear of.)
    assert_eq!(kinds_for(&queued, &other), [MailKind::DraftWaiting]);
    assert!(
        kinds_for(&queued, &focal).is_empty(),
        "focal points sign nothing off"
    );
    assert!(
        !kinds_for(&queued, &drafter.id).contains(&MailKind::DraftWaiting),
        "the drafter is not told of their own draft"
    );
}
