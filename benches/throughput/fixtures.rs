//! What the scenarios need, made the way users make it: tokens and keys
//! through the library (as `brug user add` does), then a client, a talk, a
//! consent, a return case and a referral over the API. Invented people only.

use brug::auth::Role;
use brug::auth::commands as auth;
use brug::db::Db;
use serde_json::{Value, json};

pub const ACCRA: &str = "accra-reintegration-network";
pub const KUMASI: &str = "kumasi-homecoming-initiative";

pub struct Tokens {
    pub counsellor: String,
    pub caseworker: String,
    /// Partner key of `ACCRA` (the scenarios' referral).
    pub accra: String,
    /// Partner key of `KUMASI` (the webhook measurements).
    pub kumasi: String,
}

pub fn mint(db: &Db) -> anyhow::Result<Tokens> {
    let now = chrono::Utc::now();
    let user = |email: &str, role: Role| -> anyhow::Result<String> {
        Ok(db
            .write_blocking(|conn| auth::add_user(conn, email, None, &[role], now))?
            .secret)
    };
    let key = |partner: &str| -> anyhow::Result<String> {
        Ok(db
            .write_blocking(|conn| auth::add_partner_key(conn, partner, now))?
            .secret)
    };
    Ok(Tokens {
        counsellor: user("bench-counsellor@example.org", Role::Counsellor)?,
        caseworker: user("bench-caseworker@example.org", Role::Caseworker)?,
        accra: key(ACCRA)?,
        kumasi: key(KUMASI)?,
    })
}

pub struct Fixtures {
    pub client_id: String,
    pub referral_id: String,
    /// A second case, referred to and cancelled again and again for the
    /// webhook latency.
    pub hook_case_id: String,
    pub hook_consent_id: String,
}

/// One request that must answer `expect`; returns the JSON body.
pub async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
    expect: u16,
) -> anyhow::Result<Value> {
    let mut request = http.request(method.clone(), url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let text = response.text().await?;
    anyhow::ensure!(
        status == expect,
        "{method} {url}: expected {expect}, got {status}: {text}"
    );
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn id(value: &Value) -> anyhow::Result<String> {
    value["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no id in {value}"))
}

pub fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

pub fn new_client(given_name: &str) -> Value {
    json!({
        "given_name": given_name, "family_name": "Example", "date_of_birth": "1990-04-05",
        "country_of_origin": "GH", "languages": ["en"], "location": "Example-Noord"
    })
}

pub fn new_talk() -> Value {
    json!({
        "held_on": day(-1), "mode": "in_person", "topics": ["return", "housing"],
        "intention": "return", "duration_minutes": 45, "notes": "Invented notes for a benchmark."
    })
}

/// A client with a talk, a consent for `partner` and an open return case.
async fn case_for(
    http: &reqwest::Client,
    base: &str,
    tokens: &Tokens,
    name: &str,
    partner: &str,
) -> anyhow::Result<(String, String, String)> {
    use reqwest::Method;
    let client = call(
        http,
        Method::POST,
        &format!("{base}/api/v1/clients"),
        &tokens.counsellor,
        Some(new_client(name)),
        201,
    )
    .await?;
    let client_id = id(&client)?;
    let talk = call(
        http,
        Method::POST,
        &format!("{base}/api/v1/clients/{client_id}/talks"),
        &tokens.counsellor,
        Some(new_talk()),
        201,
    )
    .await?;
    let consent = call(
        http,
        Method::POST,
        &format!("{base}/api/v1/clients/{client_id}/consents"),
        &tokens.caseworker,
        Some(json!({
            "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": partner,
            "given_on": day(0), "method": "written", "language": "en"
        })),
        201,
    )
    .await?;
    let case = call(
        http,
        Method::POST,
        &format!("{base}/api/v1/return-cases"),
        &tokens.caseworker,
        Some(json!({
            "client_id": client_id, "talk_id": id(&talk)?, "destination_country": "GH",
            "destination_region": "GH-AA", "needs": ["housing"], "planned_departure_on": day(40)
        })),
        201,
    )
    .await?;
    Ok((client_id, id(&consent)?, id(&case)?))
}

/// Refers the case to `partner`; returns the referral's id.
pub async fn refer(
    http: &reqwest::Client,
    base: &str,
    tokens: &Tokens,
    case_id: &str,
    partner: &str,
    consent_id: &str,
) -> anyhow::Result<String> {
    let referral = call(
        http,
        reqwest::Method::POST,
        &format!("{base}/api/v1/return-cases/{case_id}/referrals"),
        &tokens.caseworker,
        Some(json!({"partner_id": partner, "consent_id": consent_id})),
        201,
    )
    .await?;
    id(&referral)
}

pub async fn cancel(
    http: &reqwest::Client,
    base: &str,
    tokens: &Tokens,
    referral_id: &str,
) -> anyhow::Result<()> {
    call(
        http,
        reqwest::Method::POST,
        &format!("{base}/api/v1/referrals/{referral_id}/cancel"),
        &tokens.caseworker,
        Some(json!({"reason": "Benchmark: plans changed."})),
        200,
    )
    .await?;
    Ok(())
}

pub async fn create(base: &str, tokens: &Tokens) -> anyhow::Result<Fixtures> {
    let http = reqwest::Client::new();
    let (client_id, consent_id, case_id) =
        case_for(&http, base, tokens, "Bench Fixture", ACCRA).await?;
    let referral_id = refer(&http, base, tokens, &case_id, ACCRA, &consent_id).await?;
    let (_, hook_consent_id, hook_case_id) =
        case_for(&http, base, tokens, "Bench Hook", KUMASI).await?;
    Ok(Fixtures {
        client_id,
        referral_id,
        hook_case_id,
        hook_consent_id,
    })
}
