//! Unit tests of the database layer.

use super::*;

#[test]
fn target_follows_the_url_scheme() {
    assert_eq!(
        Target::parse("sqlite://brug.sqlite").ok(),
        Some(Target::Sqlite("brug.sqlite".into()))
    );
    assert_eq!(
        Target::parse("sqlite:///var/lib/brug/brug.sqlite").ok(),
        Some(Target::Sqlite("/var/lib/brug/brug.sqlite".into()))
    );
    assert_eq!(
        Target::parse("postgres://postgres@127.0.0.1/brug")
            .map(|t| t.backend())
            .ok(),
        Some(Backend::Postgres)
    );
    assert!(Target::parse("mysql://localhost/brug").is_err());
    assert!(Target::parse("sqlite://").is_err());
}

#[test]
fn text_enums_are_stored_as_text_and_an_unknown_value_is_an_error() {
    use crate::domain::checklist::ChecklistOwner;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Owner {
        #[diesel(sql_type = Text)]
        owner: ChecklistOwner,
    }

    let mut conn = Target::Sqlite(":memory:".into())
        .establish()
        .expect("in-memory SQLite");
    conn.batch_execute("CREATE TABLE t (owner TEXT NOT NULL)")
        .expect("table");
    diesel::sql_query("INSERT INTO t (owner) VALUES (?)")
        .bind::<Text, _>(ChecklistOwner::Authority)
        .execute(&mut conn)
        .expect("insert");
    let stored: Vec<Owner> = diesel::sql_query("SELECT owner FROM t")
        .load(&mut conn)
        .expect("read");
    assert_eq!(stored[0].owner, ChecklistOwner::Authority);
    let raw: Vec<String> = diesel::sql_query("SELECT owner FROM t")
        .load::<Owner>(&mut conn)
        .expect("read")
        .into_iter()
        .map(|o| o.owner.as_str().to_owned())
        .collect();
    assert_eq!(raw, ["authority"]);

    conn.batch_execute("INSERT INTO t (owner) VALUES ('the_neighbour')")
        .expect("a stray value");
    let err = diesel::sql_query("SELECT owner FROM t")
        .load::<Owner>(&mut conn)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("`the_neighbour` is not a stored ChecklistOwner"),
        "{err}"
    );
}
