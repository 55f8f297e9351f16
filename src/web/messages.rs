//! The API's field messages in the page's language. The API speaks
//! English; a Dutch page says the same in Dutch, from Fluent keys named
//! after the English message (`api-is-required`), with the numbers and the
//! value of the message as arguments. A message without a translation is
//! shown as the API gives it.

use super::i18n::{Lang, Texts};

tokio::task_local! {
    /// The language of the page being answered (set by the guard).
    static PAGE_LANG: Lang;
}

/// Runs a page's handler with its language known to [`say`].
pub async fn within<F: std::future::Future>(lang: Lang, page: F) -> F::Output {
    PAGE_LANG.scope(lang, page).await
}

/// The language of the page being answered, if any.
pub fn page_lang() -> Option<Lang> {
    PAGE_LANG.try_with(|lang| *lang).ok()
}

/// `message` in the page's language.
pub fn say(message: &str) -> String {
    match page_lang() {
        Some(lang) => say_in(&Texts::new(lang), message),
        None => message.to_owned(),
    }
}

/// The key of a message: its words, lower case, joined by dashes.
pub fn key_of(message: &str) -> String {
    let mut key = String::from("api");
    let mut dash = true;
    for c in message.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if dash {
                key.push('-');
            }
            key.push(c);
            dash = false;
        } else {
            dash = true;
        }
    }
    key
}

/// chrono's words for a date it could not read.
const BAD_DATE: &[&str] = &[
    "input contains invalid characters",
    "premature end of input",
    "input is out of range",
    "input is not enough for unique date and time",
    "trailing input",
    "bad or unsupported format string",
];

fn numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit() && c != '-' && c != '.')
        .filter(|w| !w.is_empty() && w.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// [`say`] in a given language.
pub fn say_in(t: &Texts, message: &str) -> String {
    if t.lang == Lang::En {
        return message.to_owned();
    }
    let message = message.trim();
    if BAD_DATE.contains(&message) {
        return t.t("api-not-a-date");
    }
    if message.starts_with("invalid type:") && message.ends_with("expected a whole number") {
        return t.t("api-not-a-whole-number");
    }
    // A rule with numbers: `must be between 5 and 480`.
    let n = numbers(message);
    let shape = match message {
        m if m.starts_with("must have between ") && n.len() == 2 => Some(("api-length-between", 2)),
        m if m.starts_with("must have at least ") && n.len() == 1 => {
            Some(("api-length-at-least", 1))
        }
        m if m.starts_with("must have at most ") && n.len() == 1 => Some(("api-length-at-most", 1)),
        m if m.starts_with("must be between ") && n.len() == 2 && !m.contains("today") => {
            Some(("api-between", 2))
        }
        m if m.starts_with("must be at least ") && n.len() == 1 => Some(("api-at-least", 1)),
        m if m.starts_with("must be at most ") && n.len() == 1 => Some(("api-at-most", 1)),
        _ => None,
    };
    if let Some((key, count)) = shape {
        let args: Vec<(&'static str, String)> = if count == 2 {
            vec![("min", n[0].clone()), ("max", n[1].clone())]
        } else {
            vec![("n", n[0].clone())]
        };
        return t.with(key, &args);
    }
    // A value, then what is wrong with it: "`Irak` is not an ISO 3166-1 …".
    if let Some(rest) = message.strip_prefix('`')
        && let Some((value, what)) = rest.split_once("` ")
    {
        let key = key_of(what);
        if t.has(&key) {
            return t.with(&key, &[("value", value.to_owned())]);
        }
        return message.to_owned();
    }
    let key = key_of(message);
    if t.has(&key) {
        return t.t(&key);
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_pages_say_the_apis_messages_in_dutch() {
        let nl = Texts::new(Lang::Nl);
        assert_eq!(say_in(&nl, "is required"), "is verplicht");
        assert_eq!(
            say_in(&nl, "must be between 5 and 480"),
            "moet tussen 5 en 480 liggen"
        );
        assert_eq!(
            say_in(&nl, "must have between 1 and 11 characters or items"),
            "moet 1 tot 11 tekens of keuzes hebben"
        );
        assert_eq!(
            say_in(
                &nl,
                "`Irak` is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GH)"
            ),
            "`Irak` is geen landcode van twee hoofdletters (ISO 3166-1), bijvoorbeeld IQ"
        );
        assert_eq!(
            say_in(&nl, "input contains invalid characters"),
            "is geen datum (dag, maand en jaar)"
        );
        assert_eq!(
            say_in(
                &nl,
                "invalid type: string \"vijf\", expected a whole number"
            ),
            "moet een heel getal zijn"
        );
        // Not translated yet: shown as the API says it, never lost.
        assert_eq!(say_in(&nl, "is something new"), "is something new");
    }

    #[test]
    fn portal_pages_say_the_apis_messages_in_french_and_arabic() {
        let fr = Texts::new(Lang::Fr);
        assert_eq!(say_in(&fr, "is required"), "est obligatoire");
        assert_eq!(
            say_in(&fr, "must be between 5 and 480"),
            "doit être compris entre 5 et 480"
        );
        let ar = Texts::new(Lang::Ar);
        assert_eq!(say_in(&ar, "is required"), "مطلوب");
        assert_eq!(say_in(&ar, "`xx` is listed twice"), "`xx` مذكور مرتين");
    }

    #[test]
    fn english_pages_say_them_as_the_api_does() {
        let en = Texts::new(Lang::En);
        assert_eq!(
            say_in(&en, "must be between 5 and 480"),
            "must be between 5 and 480"
        );
    }

    #[test]
    fn every_translated_message_is_keyed_by_its_english_words() {
        // The English text of each `api-` key is the API's message, so that
        // a message reworded in the API drops out of the translation
        // instead of being shown wrongly.
        let en = Texts::new(Lang::En);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/en/messages.ftl");
        let text = std::fs::read_to_string(path).expect("messages.ftl");
        let mut keyed = 0;
        for line in text.lines() {
            let Some((key, _)) = line.split_once(" = ") else {
                continue;
            };
            if !key.starts_with("api-") || PATTERNS.contains(&key) {
                continue;
            }
            let english = en.with(key, &[("value", "VALUE".to_owned())]);
            let words = english.trim_start_matches("`VALUE` ");
            assert_eq!(key_of(words), key, "{key} says {english:?}");
            keyed += 1;
        }
        assert!(keyed >= 20, "only {keyed} messages");
    }

    /// Keys of the messages made from numbers or of chrono's words.
    const PATTERNS: &[&str] = &[
        "api-not-a-date",
        "api-not-a-whole-number",
        "api-length-between",
        "api-length-at-least",
        "api-length-at-most",
        "api-between",
        "api-at-least",
        "api-at-most",
    ];
}
