//! The texts of the pages, from Project Fluent files (`locales/<lang>/*.ftl`,
//! compiled in): Dutch first, English beside it. The language is `?lang=`
//! (remembered in a cookie), else the cookie, else `Accept-Language`, else
//! Dutch.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_web::HttpRequest;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "nl",
        // No Unicode isolation marks around arguments: they show up as
        // stray characters in form values and in copied text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages of the pages: the staff UI's (Dutch first, English) and
/// the partner portal's (English first, French, Arabic written right to
/// left).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
    Fr,
    Ar,
}

/// The cookie that remembers the language chosen with `?lang=`.
pub const LANG_COOKIE: &str = "brug_lang";

impl Lang {
    /// The staff UI's languages, the default first.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];
    /// The partner portal's languages, the default first.
    pub const PORTAL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Ar];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Ar => "ar",
        }
    }

    /// The language's own name, for a language switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Nl => "Nederlands",
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Ar => "العربية",
        }
    }

    /// `rtl` for a language written right to left, else `ltr`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            _ => "ltr",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Lang::Nl, Lang::En, Lang::Fr, Lang::Ar]
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Nl => langid!("nl"),
            Lang::En => langid!("en"),
            Lang::Fr => langid!("fr"),
            Lang::Ar => langid!("ar"),
        }
    }

    /// The staff UI's language: see [`Lang::among`].
    pub fn of(req: &HttpRequest) -> (Self, bool) {
        Self::among(req, &Self::ALL)
    }

    /// `?lang=` (and whether it was given: the caller then remembers it),
    /// else the cookie, else the best of `Accept-Language`, else the first
    /// of `offered`; only ever one of `offered`.
    pub fn among(req: &HttpRequest, offered: &[Lang]) -> (Self, bool) {
        let offer = |code: &str| Lang::parse(code).filter(|l| offered.contains(l));
        let asked = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| offer(&v));
        if let Some(lang) = asked {
            return (lang, true);
        }
        if let Some(lang) = req.cookie(LANG_COOKIE).and_then(|c| offer(c.value())) {
            return (lang, false);
        }
        (Self::from_accept_language(req, offered), false)
    }

    fn from_accept_language(req: &HttpRequest, offered: &[Lang]) -> Self {
        let first = offered.first().copied().unwrap_or(Lang::Nl);
        let header = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let requested = fluent_langneg::accepted_languages::parse(header);
        let available: Vec<LanguageIdentifier> = offered.iter().map(|l| l.id()).collect();
        let default = first.id();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            Some(&default),
            fluent_langneg::NegotiationStrategy::Lookup,
        );
        chosen
            .first()
            .and_then(|id| Lang::parse(id.language.as_str()))
            .filter(|l| offered.contains(l))
            .unwrap_or(first)
    }

    /// Where a missing text is looked for next: the portal's languages fall
    /// back to English, English to Dutch.
    fn fallbacks(self) -> &'static [Lang] {
        match self {
            Lang::Nl => &[Lang::Nl, Lang::En],
            Lang::En => &[Lang::En, Lang::Nl],
            Lang::Fr => &[Lang::Fr, Lang::En],
            Lang::Ar => &[Lang::Ar, Lang::En],
        }
    }
}

/// Looks texts up in one language; what templates call `t`.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub lang: Lang,
}

impl Texts {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The text of `key`; a missing key shows as itself (a test keeps every
    /// key in every language).
    pub fn t(&self, key: &str) -> String {
        self.lookup(key, None).unwrap_or_else(|| key.to_owned())
    }

    /// `key` in this language, else in its fallbacks (never silently in a
    /// language the reader did not choose when their own has it).
    fn lookup(
        &self,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
    ) -> Option<String> {
        self.lang
            .fallbacks()
            .iter()
            .find_map(|lang| LOCALES.lookup_single_language(&lang.id(), key, args).ok())
    }

    /// The text of `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.with(key, &[(name, value.to_string())])
    }

    /// The text of `key` with a count (Fluent picks the plural form).
    pub fn count(&self, key: &str, n: usize) -> String {
        self.number(key, "count", n as u64)
    }

    /// The text of `key` with a number named `name` (a plural or `[1]`
    /// variant chooses by it).
    pub fn number(&self, key: &str, name: &'static str, n: u64) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(n));
        self.lookup(key, Some(&args))
            .unwrap_or_else(|| key.to_owned())
    }

    pub fn with(&self, key: &str, values: &[(&'static str, String)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = values
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        self.lookup(key, Some(&args))
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether `key` exists in this language (or the fallback's), whatever
    /// arguments it takes.
    pub fn has(&self, key: &str) -> bool {
        let args: HashMap<Cow<'static, str>, FluentValue> = [
            "value",
            "n",
            "min",
            "max",
            "count",
            "country",
            "email",
            "minutes",
            "date",
            "task",
            "reference",
            "pending",
            "reason",
            "delivered",
            "dead",
        ]
        .into_iter()
        .map(|name| (Cow::Borrowed(name), FluentValue::from("")))
        .collect();
        self.lookup(key, Some(&args)).is_some()
    }

    /// A code's label (`intention-return`), or the code itself.
    pub fn code_label(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}-{}", code.replace('_', "-"));
        self.lookup(&key, None).unwrap_or_else(|| code.to_owned())
    }
}
