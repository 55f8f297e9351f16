//! Migrations, embedded in the binary: one tree per backend, with the same
//! names in both.

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DbConn, DbError};

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises migrations between processes on PostgreSQL, so that several
/// instances starting at once do not race (an arbitrary but fixed key).
const PG_MIGRATION_LOCK: i64 = 0x6272_7567_6d69_6772; // "brugmigr"

fn failed(e: impl std::fmt::Display) -> DbError {
    DbError::Migration(e.to_string())
}

/// Applies every pending migration and returns the versions applied.
pub fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(failed),
        DbConn::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(failed);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))
                .execute(c)?;
            result
        }
    }
}

/// How many migrations the database still lacks.
pub fn pending_count(conn: &mut DbConn) -> Result<usize, DbError> {
    match conn {
        DbConn::Sqlite(c) => c
            .pending_migrations(SQLITE)
            .map(|m| m.len())
            .map_err(failed),
        DbConn::Pg(c) => c
            .pending_migrations(POSTGRES)
            .map(|m| m.len())
            .map_err(failed),
    }
}

/// Reverts every applied migration, newest first (for tests of the down scripts).
pub fn revert_all(conn: &mut DbConn) -> Result<usize, DbError> {
    match conn {
        DbConn::Sqlite(c) => c
            .revert_all_migrations(SQLITE)
            .map(|m| m.len())
            .map_err(failed),
        DbConn::Pg(c) => c
            .revert_all_migrations(POSTGRES)
            .map(|m| m.len())
            .map_err(failed),
    }
}

/// The application's tables and their columns, sorted: what a test compares
/// between the two migration trees.
pub fn describe_schema(conn: &mut DbConn) -> Result<Vec<(String, Vec<String>)>, DbError> {
    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        column_name: String,
    }
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
            AND m.name <> '__diesel_schema_migrations'"
        }
        DbConn::Pg(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let mut columns: Vec<Column> = diesel::sql_query(sql).load(conn)?;
    // Sorted here, not in SQL: PostgreSQL's collation orders `_` unlike SQLite.
    columns.sort_by(|a, b| (&a.table_name, &a.column_name).cmp(&(&b.table_name, &b.column_name)));
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    for column in columns {
        match tables.last_mut() {
            Some((name, cols)) if *name == column.table_name => cols.push(column.column_name),
            _ => tables.push((column.table_name, vec![column.column_name])),
        }
    }
    Ok(tables)
}
