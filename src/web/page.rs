//! Rendering pages: the layout every page shares, form fields with their
//! errors, and the plain pages for errors.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;

use super::form::{FormData, Refused};
use super::i18n::{Lang, Texts};

/// What the layout around every page shows: the language, who is signed
/// in, the navigation with its counts, the form token.
#[derive(Debug, Clone)]
pub struct Layout {
    pub t: Texts,
    pub title: String,
    /// The browser tab's title when it must differ from the heading: a
    /// reference instead of a person's name (tab titles go into history).
    pub tab: Option<String>,
    /// Signed in: name (or email) and what the navigation offers.
    pub user: Option<NavUser>,
    pub csrf: String,
    /// This page's path, for the language switch.
    pub path: String,
    /// Which navigation entry is this page's.
    pub section: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub name: String,
    pub clients: bool,
    pub team: bool,
    /// Leads (and administrators) see the dashboards.
    pub dashboards: bool,
    /// Items in "My work", shown beside its link.
    pub work: usize,
}

impl Layout {
    /// The other language, for the switch: its code and its own name.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        match self.t.lang {
            Lang::Nl => ("en", "English"),
            _ => ("nl", "Nederlands"),
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.t.t(key)
    }

    /// This page in the other language.
    pub fn switch_href(&self) -> String {
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={}", self.path, self.other_lang().0)
    }

    pub fn tab_title(&self) -> &str {
        self.tab.as_deref().unwrap_or(&self.title)
    }

    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

/// One control of a form, with what was typed and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub kind: Kind,
    pub value: String,
    pub required: bool,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub choices: Vec<Choice>,
    /// `autocomplete` for the browser (`off` for personal data).
    pub autocomplete: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Email,
    Password,
    Date,
    /// A month (`yyyy-mm`).
    Month,
    Number,
    TextArea,
    Select,
    /// Several may be ticked.
    Checkboxes,
    /// One checkbox.
    Check,
    Radios,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Field {
    pub fn new(name: &'static str, label: String, kind: Kind) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            required: false,
            hint: None,
            error: None,
            choices: Vec::new(),
            autocomplete: "off",
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: String) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn autocomplete(mut self, value: &'static str) -> Self {
        self.autocomplete = value;
        self
    }

    /// Choices from codes, labelled through the texts (`prefix-code`).
    pub fn codes(mut self, t: &Texts, prefix: &str, codes: &[&str]) -> Self {
        self.choices = codes
            .iter()
            .map(|code| Choice {
                value: (*code).to_owned(),
                label: t.code_label(prefix, code),
                selected: false,
            })
            .collect();
        self
    }

    pub fn choices(mut self, choices: Vec<(String, String)>) -> Self {
        self.choices = choices
            .into_iter()
            .map(|(value, label)| Choice {
                value,
                label,
                selected: false,
            })
            .collect();
        self
    }

    /// Takes what was typed (or ticked) and the error for this field.
    pub fn from_form(mut self, form: Option<&FormData>, refused: Option<&Refused>) -> Self {
        if let Some(form) = form {
            match self.kind {
                Kind::Checkboxes => {
                    let ticked = form.all(self.name);
                    for choice in &mut self.choices {
                        choice.selected = ticked.contains(&choice.value);
                    }
                }
                Kind::Check => {
                    self.value = if form.has(self.name) {
                        "on".into()
                    } else {
                        String::new()
                    }
                }
                Kind::Password => {}
                _ => self.value = form.get(self.name).to_owned(),
            }
        }
        if let Some(refused) = refused {
            self.error = refused.error_for(self.name);
        }
        if matches!(self.kind, Kind::Select | Kind::Radios) {
            let value = self.value.clone();
            for choice in &mut self.choices {
                choice.selected = choice.value == value;
            }
        }
        self
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            Kind::Email => "email",
            Kind::Password => "password",
            Kind::Date => "date",
            Kind::Month => "month",
            Kind::Number => "number",
            _ => "text",
        }
    }

    pub fn is(&self, kind: &str) -> bool {
        let mine = match self.kind {
            Kind::TextArea => "textarea",
            Kind::Select => "select",
            Kind::Checkboxes => "checkboxes",
            Kind::Check => "check",
            Kind::Radios => "radios",
            _ => "input",
        };
        mine == kind
    }

    /// The ids the control is described by: its hint and its error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
}

/// A rendered page with the headers every page has.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

/// Renders a template, or says sorry plainly when it cannot.
pub fn render<T: Template>(status: StatusCode, template: &T) -> HttpResponse {
    match template.render() {
        Ok(body) => html(status, body),
        Err(err) => {
            tracing::error!(error = %err, "a page did not render");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("Er ging iets mis. / Something went wrong.")
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    message: String,
    signed_in: bool,
}

/// A page that only says what happened, without navigation (403, 404, a
/// refused form): a title and a sentence from the texts.
pub fn plain(t: Texts, status: StatusCode, title_key: &str, body_key: &str) -> HttpResponse {
    let page = ErrorPage {
        l: Layout {
            t,
            title: t.t(title_key),
            tab: None,
            user: None,
            csrf: String::new(),
            path: "/".into(),
            section: "",
        },
        message: t.t(body_key),
        signed_in: false,
    };
    render(status, &page)
}

/// An error page inside the layout, for a signed-in person.
pub fn error_in(layout: Layout, status: StatusCode, message: String) -> HttpResponse {
    let page = ErrorPage {
        l: layout,
        message,
        signed_in: true,
    };
    render(status, &page)
}

/// After a form that worked: to the page that shows the result (303, so
/// that reloading does not post again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// A date as people read it in the page's language.
pub fn date(t: &Texts, day: chrono::NaiveDate) -> String {
    match t.lang {
        Lang::Nl => day.format("%-d-%-m-%Y").to_string(),
        Lang::En => day.format("%-d %b %Y").to_string(),
        Lang::Fr => day.format("%d/%m/%Y").to_string(),
        // Unambiguous whichever way the line runs.
        Lang::Ar => day.format("%Y-%m-%d").to_string(),
    }
}

/// A country's name from its ISO 3166 code, or the code when unknown.
pub fn country_name(code: &str) -> String {
    crate::domain::CountryCode::parse(code)
        .map(|c| c.name())
        .unwrap_or_else(|_| code.to_owned())
}

/// A language's name from its ISO 639 code, or the code when unknown.
pub fn language_name(code: &str) -> String {
    crate::domain::LanguageCode::parse(code)
        .map(|l| l.name().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}
