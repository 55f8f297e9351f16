//! The model's questions and answers in the partner portal's languages.
//! The model speaks English; a texts file beside it (`X.texts.toml` for a
//! model `X.toml`, `default_model.texts.toml` for the shipped default)
//! translates every question and answer label, keyed by the model's ids and
//! values. A language the file does not have shows the model's own English.
//! Texts never change scores, so the model's version stays as it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Dimension, Model};

const DEFAULT_TEXTS: &str = include_str!("default_model.texts.toml");

/// What the file names the shipped default's texts in its errors.
const DEFAULT_ORIGIN: &str = "the default model's texts (src/monitoring/default_model.texts.toml)";

/// One indicator in one language.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorTexts {
    pub question: String,
    /// Answer value to its label.
    pub answers: BTreeMap<String, String>,
}

/// The translations of a model: language code (`fr`, `ar`) to indicator id
/// to its texts. Checked against the model when loaded: nothing the model
/// does not have, nothing it has left out in a language that is there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelTexts {
    languages: BTreeMap<String, BTreeMap<String, IndicatorTexts>>,
}

/// An indicator as shown in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalIndicator {
    pub id: String,
    pub dimension: Dimension,
    pub question: String,
    /// Answer value and label, in the model's order (best first).
    pub answers: Vec<(String, String)>,
}

/// The texts file of a model file: `X.texts.toml` beside `X.toml`.
pub fn texts_path(model: &Path) -> PathBuf {
    model.with_extension("texts.toml")
}

impl ModelTexts {
    /// The texts of the model loaded from `model_path` (as
    /// [`Model::load`]): the shipped default's for none, else the texts
    /// file beside the model's, or no translations when there is none.
    pub fn load(model_path: Option<&Path>, model: &Model) -> Result<Self, String> {
        let Some(model_path) = model_path else {
            return Self::parse(DEFAULT_TEXTS, DEFAULT_ORIGIN, model);
        };
        let path = texts_path(model_path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path.display().to_string(), model),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Reads and checks texts against `model`; every problem is one line
    /// starting with `origin`.
    pub fn parse(text: &str, origin: &str, model: &Model) -> Result<Self, String> {
        let languages = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let texts = Self { languages };
        texts.check(model).map_err(|problems| {
            problems
                .iter()
                .map(|p| format!("{origin}: {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        Ok(texts)
    }

    /// Every indicator and answer named must be the model's, and a language
    /// that is there must translate all of them, none blank.
    pub fn check(&self, model: &Model) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        for (lang, indicators) in &self.languages {
            if lang.is_empty() || !lang.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                problems.push(format!(
                    "language `{lang}` is not a language code in lower case (such as fr or ar)"
                ));
            }
            for (id, texts) in indicators {
                let Some(indicator) = model.indicators.iter().find(|i| &i.id == id) else {
                    problems.push(format!(
                        "language {lang}, indicator {id}: the model has no such indicator"
                    ));
                    continue;
                };
                if texts.question.trim().is_empty() {
                    problems.push(format!(
                        "language {lang}, indicator {id}: the question is blank"
                    ));
                }
                for (value, label) in &texts.answers {
                    if !indicator.answers.iter().any(|a| &a.value == value) {
                        problems.push(format!(
                            "language {lang}, indicator {id}: `{value}` is not one of its answers"
                        ));
                    } else if label.trim().is_empty() {
                        problems.push(format!(
                            "language {lang}, indicator {id}: answer `{value}` is blank"
                        ));
                    }
                }
                for answer in &indicator.answers {
                    if !texts.answers.contains_key(&answer.value) {
                        problems.push(format!(
                            "language {lang}, indicator {id}: answer `{}` is not translated",
                            answer.value
                        ));
                    }
                }
            }
            for indicator in &model.indicators {
                if !indicators.contains_key(&indicator.id) {
                    problems.push(format!(
                        "language {lang}, indicator {}: not translated",
                        indicator.id
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The languages translated, in alphabetical order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// One indicator's texts in `lang`, if the file has them.
    pub fn indicator(&self, lang: &str, id: &str) -> Option<&IndicatorTexts> {
        self.languages.get(lang)?.get(id)
    }
}

impl Model {
    /// The indicators with their questions and answers in `lang` (a code
    /// such as `fr`), or in the model's own English for a language the
    /// texts do not have (such as `en`).
    pub fn in_language(&self, texts: &ModelTexts, lang: &str) -> Vec<LocalIndicator> {
        let lang = lang.trim().to_ascii_lowercase();
        self.indicators
            .iter()
            .map(|indicator| {
                let local = texts.indicator(&lang, &indicator.id);
                LocalIndicator {
                    id: indicator.id.clone(),
                    dimension: indicator.dimension,
                    question: local
                        .map(|t| t.question.clone())
                        .unwrap_or_else(|| indicator.question.clone()),
                    answers: indicator
                        .answers
                        .iter()
                        .map(|a| {
                            let label = local
                                .and_then(|t| t.answers.get(&a.value))
                                .cloned()
                                .unwrap_or_else(|| a.label.clone());
                            (a.value.clone(), label)
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::load(None).expect("the default model is valid")
    }

    fn shipped() -> ModelTexts {
        ModelTexts::load(None, &model()).expect("the shipped texts are valid")
    }

    /// The shipped texts with `edit` applied to their file.
    fn edited(edit: impl Fn(&str) -> String) -> Result<ModelTexts, String> {
        ModelTexts::parse(&edit(DEFAULT_TEXTS), "edited.texts.toml", &model())
    }

    #[test]
    fn the_shipped_texts_translate_every_indicator_in_french_and_arabic() {
        let model = model();
        let texts = shipped();
        assert_eq!(texts.languages().collect::<Vec<_>>(), ["ar", "fr"]);
        for lang in ["fr", "ar"] {
            for indicator in &model.indicators {
                let local = texts
                    .indicator(lang, &indicator.id)
                    .unwrap_or_else(|| panic!("{lang} has no {}", indicator.id));
                assert_ne!(
                    local.question, indicator.question,
                    "{lang} {}",
                    indicator.id
                );
                let values: Vec<&str> = local.answers.keys().map(String::as_str).collect();
                let mut theirs: Vec<&str> =
                    indicator.answers.iter().map(|a| a.value.as_str()).collect();
                theirs.sort_unstable();
                assert_eq!(values, theirs, "{lang} {}", indicator.id);
            }
        }
    }

    #[test]
    fn an_unknown_indicator_is_refused_by_name() {
        let error = edited(|t| {
            format!("{t}\n[fr.horoscope]\nquestion = \"Signe ?\"\n[fr.horoscope.answers]\nbelier = \"Bélier\"\n")
        })
        .expect_err("no such indicator");
        assert_eq!(
            error,
            "edited.texts.toml: language fr, indicator horoscope: the model has no such indicator"
        );
    }

    #[test]
    fn an_unknown_answer_is_refused_by_name() {
        let error = edited(|t| {
            t.replace(
                "[ar.debt.answers]\n",
                "[ar.debt.answers]\ncastle = \"قصر\"\n",
            )
        })
        .expect_err("no such answer");
        assert_eq!(
            error,
            "edited.texts.toml: language ar, indicator debt: `castle` is not one of its answers"
        );
    }

    #[test]
    fn a_missing_answer_or_indicator_in_a_language_is_refused() {
        let error = edited(|t| t.replace("often = \"Souvent\"\n", ""))
            .expect_err("three indicators lose an answer");
        assert!(
            error.contains(
                "edited.texts.toml: language fr, indicator food_security: answer `often` is not translated"
            ),
            "{error}"
        );
        assert_eq!(error.lines().count(), 3, "{error}");

        let error = edited(|t| {
            t.replace("[ar.safety]", "[ar.unused]")
                .replace("[ar.safety.answers]", "[ar.unused.answers]")
        })
        .expect_err("safety has no Arabic");
        assert!(
            error.contains("language ar, indicator safety: not translated"),
            "{error}"
        );
    }

    #[test]
    fn a_model_file_takes_its_texts_from_beside_it_when_there() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let model_path = dir.path().join("programme.toml");
        let model = model();
        let none = ModelTexts::load(Some(&model_path), &model).expect("no texts file");
        assert_eq!(none.languages().count(), 0);

        let texts_file = dir.path().join("programme.texts.toml");
        assert_eq!(texts_path(&model_path), texts_file);
        let broken = DEFAULT_TEXTS.replace("no_income = \"Aucun revenu\"\n", "");
        std::fs::write(&texts_file, broken).expect("write");
        let error = ModelTexts::load(Some(&model_path), &model).expect_err("incomplete");
        assert!(
            error.starts_with(&texts_file.display().to_string()),
            "{error}"
        );
        assert!(
            error.contains("language fr, indicator income_sources"),
            "{error}"
        );
    }

    #[test]
    fn french_shows_the_french_texts() {
        let model = model();
        let french = model.in_language(&shipped(), "fr");
        let income = french
            .iter()
            .find(|i| i.id == "income_sources")
            .expect("income_sources");
        assert_eq!(
            income.question,
            "Comment la personne gagne-t-elle sa vie aujourd'hui ?"
        );
        assert_eq!(income.dimension, Dimension::Economic);
        assert_eq!(
            income.answers.last(),
            Some(&("no_income".to_owned(), "Aucun revenu".to_owned()))
        );
        let arabic = model.in_language(&shipped(), "ar");
        assert_eq!(arabic[0].question, "كيف يكسب الشخص رزقه حاليًا؟");
    }

    #[test]
    fn a_language_without_texts_shows_the_models_english() {
        let model = model();
        let english = model.in_language(&shipped(), "en");
        assert_eq!(english.len(), model.indicators.len());
        for (local, indicator) in english.iter().zip(&model.indicators) {
            assert_eq!(local.id, indicator.id);
            assert_eq!(local.question, indicator.question);
            let labels: Vec<(String, String)> = indicator
                .answers
                .iter()
                .map(|a| (a.value.clone(), a.label.clone()))
                .collect();
            assert_eq!(local.answers, labels);
        }
        assert_eq!(
            english[0].question,
            "How does the person earn a living now?"
        );
    }
}
