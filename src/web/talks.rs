//! Gesprek / Talk: record a future-orientation talk, see one with its
//! earlier versions, and amend your own.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::context::Ctx;
use super::form::summary;
use super::form::{As, FormData, Refused};
use super::i18n::Texts;
use super::page::{self, Field, Kind, Layout};
use crate::audit::AuditContext;
use crate::domain::CommandError;
use crate::talks::store::{TalkVersion, TalkView};
use crate::talks::{Intention, NewTalk, TalkAmendment, TalkMode, Topic, commands, queries};

const TALK_FIELDS: &[(&str, As)] = &[
    ("held_on", As::Text),
    ("mode", As::Text),
    ("duration_minutes", As::Number),
    ("interpreter_language", As::Text),
    ("topics", As::List),
    ("intention", As::Text),
    ("notes", As::Text),
    ("next_talk_on", As::Text),
];

/// An amendment names every field: an emptied optional one is cleared.
const AMEND_FIELDS: &[(&str, As)] = &[
    ("held_on", As::Text),
    ("mode", As::Text),
    ("duration_minutes", As::Number),
    ("interpreter_language", As::Nullable),
    ("topics", As::List),
    ("intention", As::Text),
    ("notes", As::Nullable),
    ("next_talk_on", As::Nullable),
];

fn codes<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

fn talk_fields(
    t: &Texts,
    form: Option<&FormData>,
    refused: Option<&Refused>,
    current: Option<&TalkView>,
) -> Vec<Field> {
    let today = Utc::now().date_naive().to_string();
    let mut fields = vec![
        Field::new("held_on", t.t("talk-held-on"), Kind::Date)
            .required()
            .value(today),
        Field::new("mode", t.t("talk-mode"), Kind::Radios)
            .required()
            .codes(t, "mode", &codes(TalkMode::ALL, TalkMode::as_str)),
        Field::new("duration_minutes", t.t("talk-duration"), Kind::Number)
            .required()
            .value("60")
            .hint(t.t("talk-duration-hint")),
        Field::new("interpreter_language", t.t("talk-interpreter"), Kind::Text)
            .hint(t.t("talk-interpreter-hint")),
        Field::new("topics", t.t("talk-topics"), Kind::Checkboxes)
            .required()
            .codes(t, "topic", &codes(Topic::ALL, Topic::as_str)),
        Field::new("intention", t.t("talk-intention"), Kind::Radios)
            .required()
            .hint(t.t("talk-intention-hint"))
            .codes(t, "intention", &codes(Intention::ALL, Intention::as_str)),
        Field::new("notes", t.t("talk-notes"), Kind::TextArea).hint(t.t("talk-notes-hint")),
        Field::new("next_talk_on", t.t("talk-next"), Kind::Date),
    ];
    if let Some(talk) = current {
        for field in &mut fields {
            match field.name {
                "held_on" => field.value = talk.held_on.to_string(),
                "mode" => field.value = talk.mode.as_str().to_owned(),
                "duration_minutes" => field.value = talk.duration_minutes.to_string(),
                "interpreter_language" => {
                    field.value = talk.interpreter_language.clone().unwrap_or_default()
                }
                "intention" => field.value = talk.intention.as_str().to_owned(),
                "notes" => field.value = talk.notes.clone().unwrap_or_default(),
                "next_talk_on" => {
                    field.value = talk.next_talk_on.map(|d| d.to_string()).unwrap_or_default()
                }
                "topics" => {
                    for choice in &mut field.choices {
                        choice.selected = talk.topics.contains(&choice.value);
                    }
                }
                _ => {}
            }
        }
    }
    fields
        .into_iter()
        .map(|f| f.from_form(form, refused))
        .map(|mut f| {
            // Radios show their value as the ticked choice.
            if f.kind == Kind::Radios {
                let value = f.value.clone();
                for c in &mut f.choices {
                    c.selected = c.value == value;
                }
            }
            f
        })
        .collect()
}

async fn render_new(
    ctx: &Ctx,
    client_id: String,
    form: Option<&FormData>,
    refused: Option<Refused>,
) -> HttpResponse {
    let t = ctx.t;
    let spec = super::context::FormSpec {
        title: t.t("talk-new-title"),
        action: format!("/clients/{client_id}/talks/new"),
        intro: None,
        back: Some((format!("/clients/{client_id}"), t.t("back-to-client"))),
        hidden: Vec::new(),
        submit: t.t("talk-submit"),
    };
    ctx.form_page(spec, refused, |r| talk_fields(&t, form, r, None))
        .await
}

pub async fn new_form(ctx: Ctx, client_id: web::Path<String>) -> HttpResponse {
    render_new(&ctx, client_id.into_inner(), None, None).await
}

pub async fn create(
    ctx: Ctx,
    audit: AuditContext,
    client_id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let client_id = client_id.into_inner();
    let input: NewTalk = match form.parse(TALK_FIELDS) {
        Ok(input) => input,
        Err(refused) => return render_new(&ctx, client_id, Some(&form), Some(refused)).await,
    };
    let target = client_id.clone();
    let made = ctx
        .state
        .db
        .write(move |conn| commands::record(conn, &audit, &target, &input, Utc::now()))
        .await;
    match made {
        Ok(_) => page::see_other(&format!("/clients/{client_id}#talks")),
        Err(err) => render_new(&ctx, client_id, Some(&form), Some(Refused::from(err))).await,
    }
}

pub struct VersionLine {
    pub version: i32,
    pub recorded_at: String,
    pub held_on: String,
    pub intention: String,
    pub mode: String,
    pub notes: String,
}

#[derive(Template)]
#[template(path = "talks/show.html")]
struct ShowPage {
    l: Layout,
    talk: TalkView,
    held_on: String,
    mode: String,
    intention: String,
    topics: String,
    next: String,
    versions: Vec<VersionLine>,
    /// The author may amend.
    fields: Option<Vec<Field>>,
    problem: Option<String>,
    errors: Vec<(String, String)>,
    amended: bool,
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    amended: Option<String>,
}

async fn render_show(
    ctx: &Ctx,
    audit: AuditContext,
    id: String,
    form: Option<&FormData>,
    refused: Option<Refused>,
    amended: bool,
) -> HttpResponse {
    let found = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        queries::get(conn, by, &id, Utc::now())
    })
    .await;
    let (talk, versions): (TalkView, Vec<TalkVersion>) = match found {
        Ok(found) => found,
        Err(err) => return ctx.fail(err.into()).await,
    };
    let (status, refused) = match super::form::shown(refused) {
        Ok(shown) => shown,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let author = ctx
        .staff()
        .map(|s| s.user_id == talk.counsellor_id && s.has_any(&[crate::auth::Role::Counsellor]))
        .unwrap_or(false);
    let fields = author.then(|| talk_fields(&t, form, refused.as_ref(), Some(&talk)));
    let errors = fields
        .as_ref()
        .map(|f| summary(f, refused.as_ref()))
        .unwrap_or_default();
    let label_list = |list: &[String]| {
        list.iter()
            .map(|x| t.code_label("topic", x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = ShowPage {
        held_on: page::date(&t, talk.held_on),
        mode: t.code_label("mode", talk.mode.as_str()),
        intention: t.code_label("intention", talk.intention.as_str()),
        topics: label_list(&talk.topics),
        next: talk
            .next_talk_on
            .map(|d| page::date(&t, d))
            .unwrap_or_else(|| "–".into()),
        versions: versions
            .iter()
            .filter(|v| v.version < talk.version)
            .map(|v| VersionLine {
                version: v.version,
                recorded_at: v.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                held_on: page::date(&t, v.held_on),
                intention: t.code_label("intention", v.intention.as_str()),
                mode: t.code_label("mode", v.mode.as_str()),
                notes: v.notes.clone().unwrap_or_default(),
            })
            .collect(),
        fields,
        problem: refused.as_ref().and_then(Refused::detail),
        errors,
        amended,
        l: ctx.layout(t.t("talk-title"), "clients").await,
        talk,
    };
    page::render(status, &body)
}

pub async fn show(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> HttpResponse {
    render_show(
        &ctx,
        audit,
        id.into_inner(),
        None,
        None,
        query.amended.is_some(),
    )
    .await
}

pub async fn amend(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let reader = audit.clone();
    let amendment: TalkAmendment = match form.parse(AMEND_FIELDS) {
        Ok(amendment) => amendment,
        Err(refused) => {
            return render_show(&ctx, reader, id, Some(&form), Some(refused), false).await;
        }
    };
    let target = id.clone();
    let made = ctx
        .state
        .db
        .write(move |conn| commands::amend(conn, &audit, &target, amendment, Utc::now()))
        .await;
    match made {
        Ok(_) => page::see_other(&format!("/talks/{id}?amended=1")),
        Err(err @ CommandError::Refused(_)) => {
            render_show(
                &ctx,
                reader,
                id,
                Some(&form),
                Some(Refused::from(err)),
                false,
            )
            .await
        }
        Err(err) => ctx.fail(err.into()).await,
    }
}
