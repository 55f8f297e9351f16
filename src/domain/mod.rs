//! Codes shared by every area: countries, regions and languages. Each type
//! can hold only a valid value; parse at the edge and pass them on.
//! The code tables come from maintained crates (`rust_iso3166`, `isolang`).

pub mod categories;
pub mod checklist;
pub mod page;
pub mod proxies;
pub mod refusal;
pub mod retry;
pub mod rules;
pub mod validation;

pub use refusal::{CommandError, Conflict, Denial, FieldError, Outcome, Refusal};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Kosovo has no ISO 3166-1 code yet; `XK` is the user-assigned code that the
/// EU, IOM and most return programmes use for it.
const KOSOVO: &str = "XK";

/// An ISO 3166-1 alpha-2 country code, upper case: `GH`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        let valid = code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && (code == KOSOVO || rust_iso3166::from_alpha2(code).is_some());
        if valid {
            Ok(Self(code.to_owned()))
        } else {
            Err(format!(
                "`{code}` is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GH)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country's English short name.
    pub fn name(&self) -> String {
        if self.0 == KOSOVO {
            return "Kosovo".to_owned();
        }
        rust_iso3166::from_alpha2(&self.0)
            .map(|c| c.name.to_owned())
            .unwrap_or_else(|| self.0.clone())
    }
}

/// An ISO 3166-2 subdivision code inside a country: `AF-KAB`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        match rust_iso3166::iso3166_2::from_code(code) {
            Some(_) => Ok(Self(code.to_owned())),
            None => Err(format!(
                "`{code}` is not an ISO 3166-2 region code (e.g. AF-KAB)"
            )),
        }
    }

    /// The region's code as it must also lie inside `country`.
    pub fn parse_in(code: &str, country: &CountryCode) -> Result<Self, String> {
        let region = Self::parse(code)?;
        if region.country_part() == country.as_str() {
            Ok(region)
        } else {
            Err(format!("`{code}` is not a region of {}", country.as_str()))
        }
    }

    pub fn country_part(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> String {
        rust_iso3166::iso3166_2::from_code(&self.0)
            .map(|s| s.name.to_owned())
            .unwrap_or_else(|| self.0.clone())
    }
}

/// An ISO 639-1 (`ar`) or ISO 639-3 (`prs`) language code, lower case, kept
/// as written; compare with [`LanguageCode::same_language`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        let known = match code.len() {
            2 => isolang::Language::from_639_1(code).is_some(),
            3 => isolang::Language::from_639_3(code).is_some(),
            _ => false,
        };
        if known && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(code.to_owned()))
        } else {
            Err(format!(
                "`{code}` is not an ISO 639-1 or 639-3 language code (e.g. ar, prs)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO 639-3 code, so that `ar` and `ara` compare equal.
    pub fn canonical(&self) -> &'static str {
        let language = match self.0.len() {
            2 => isolang::Language::from_639_1(&self.0),
            _ => isolang::Language::from_639_3(&self.0),
        };
        language.map(|l| l.to_639_3()).unwrap_or("und")
    }

    pub fn same_language(&self, other: &LanguageCode) -> bool {
        self.canonical() == other.canonical()
    }

    pub fn name(&self) -> &'static str {
        match self.0.len() {
            2 => isolang::Language::from_639_1(&self.0),
            _ => isolang::Language::from_639_3(&self.0),
        }
        .map(|l| l.to_name())
        .unwrap_or("unknown")
    }
}

macro_rules! string_newtype_impls {
    ($($ty:ty),*) => {$(
        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(&value)
            }
        }
        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(value: &str) -> Result<Self, String> {
                Self::parse(value)
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

string_newtype_impls!(CountryCode, RegionCode, LanguageCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes() {
        assert!(CountryCode::parse("GH").is_ok());
        assert!(CountryCode::parse("XK").is_ok(), "Kosovo");
        assert_eq!(
            CountryCode::parse("AF").map(|c| c.name()).ok().as_deref(),
            Some("Afghanistan")
        );
        for bad in ["gh", "GHA", "ZZ", "", "G"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_codes_belong_to_their_country() {
        let af = CountryCode::parse("AF").expect("valid");
        let iq = CountryCode::parse("IQ").expect("valid");
        assert!(RegionCode::parse_in("AF-KAB", &af).is_ok());
        assert!(RegionCode::parse_in("AF-KAB", &iq).is_err());
        assert!(RegionCode::parse("AF-XXX").is_err());
    }

    #[test]
    fn language_codes_in_either_form() {
        let ar = LanguageCode::parse("ar").expect("639-1");
        let ara = LanguageCode::parse("ara").expect("639-3");
        assert!(ar.same_language(&ara));
        assert!(
            LanguageCode::parse("prs").is_ok(),
            "Dari has only a 639-3 code"
        );
        for bad in ["AR", "xx", "arab", "", "zzz"] {
            assert!(LanguageCode::parse(bad).is_err(), "{bad}");
        }
    }
}

/// An enumeration stored and sent as a lower-case `snake_case` string, with
/// every value listed once: `as_str`, `parse`, `ALL`, serde and the database
/// columns (`Text`) agree. A stored value that is not in the list is an
/// error when read, never a silent default.
macro_rules! text_enum {
    // Written as its text, on each backend (a bound value goes to the
    // backend's own collector).
    (@to_sql $name:ident, $backend:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $backend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $backend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, $backend>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted values, for messages.
            pub fn list() -> String {
                [$($text),+].join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, crate::db::MultiBackend> for $name {
            fn from_sql(
                bytes: <crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    crate::db::MultiBackend,
                >>::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!("`{text}` is not a stored {} ({})", stringify!($name), Self::list()).into()
                })
            }
        }

        $crate::domain::text_enum!(@to_sql $name, crate::db::MultiBackend);
        $crate::domain::text_enum!(@to_sql $name, diesel::sqlite::Sqlite);
        $crate::domain::text_enum!(@to_sql $name, diesel::pg::Pg);
    };
}
pub(crate) use text_enum;

/// An OpenAPI schema for a text type that is checked when parsed: a string
/// with a pattern and what it means.
macro_rules! string_schema {
    ($name:ty, $pattern:expr, $description:expr, $example:expr) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .examples([$example])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use string_schema;

string_schema!(
    CountryCode,
    "^[A-Z]{2}$",
    "An ISO 3166-1 alpha-2 country code, upper case; XK for Kosovo.",
    "GH"
);
string_schema!(
    RegionCode,
    "^[A-Z]{2}-[A-Z0-9]{1,3}$",
    "An ISO 3166-2 subdivision code inside the country.",
    "GH-AA"
);
string_schema!(
    LanguageCode,
    "^[a-z]{2,3}$",
    "An ISO 639-1 or ISO 639-3 language code, lower case.",
    "tw"
);

/// Lists are stored as comma-separated text; these keep both directions in one place.
pub fn join_list<T>(items: &[T], as_str: impl Fn(&T) -> &str) -> String {
    items.iter().map(as_str).collect::<Vec<_>>().join(",")
}

/// The values of a stored list that still parse (a stored list is written
/// only from parsed values, so nothing is dropped in practice).
pub fn split_list<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(parse)
        .collect()
}

/// Timestamps are stored as UTC without a zone; they leave as RFC 3339 with
/// `Z`, to the microsecond. Use with `#[serde(serialize_with = ...)]`.
pub mod utc {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    pub fn format(at: &NaiveDateTime) -> String {
        at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(at))
    }

    pub fn serialize_option<S: Serializer>(
        at: &Option<NaiveDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&format(at)),
            None => s.serialize_none(),
        }
    }
}
