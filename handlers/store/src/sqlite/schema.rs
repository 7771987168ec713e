//! Tables of the SQLite store, created on open.

use rusqlite::Connection;

pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "
        CREATE TABLE IF NOT EXISTS ratings (
            user_id  INTEGER NOT NULL,
            movie_id INTEGER NOT NULL,
            rating   REAL    NOT NULL,
            ts       INTEGER NOT NULL,
            PRIMARY KEY (user_id, movie_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS dead_letters (
            id            TEXT PRIMARY KEY,
            received_at   INTEGER NOT NULL,
            reason        TEXT NOT NULL,
            raw           TEXT NOT NULL,
            partition     TEXT,
            sequence      INTEGER,
            offset_value  TEXT,
            enqueued_time TEXT
        );
        CREATE INDEX IF NOT EXISTS dead_letters_received ON dead_letters (received_at);
        CREATE TABLE IF NOT EXISTS movies (
            movie_id INTEGER PRIMARY KEY,
            title    TEXT NOT NULL,
            genres   TEXT NOT NULL,
            hidden   INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS models (
            version    INTEGER PRIMARY KEY,
            created_at INTEGER NOT NULL,
            status     TEXT NOT NULL,
            decision   TEXT NOT NULL,
            params     TEXT NOT NULL,
            metrics    TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS model_files (
            version INTEGER NOT NULL REFERENCES models (version) ON DELETE CASCADE,
            path    TEXT NOT NULL,
            bytes   BLOB NOT NULL,
            PRIMARY KEY (version, path)
        );
        CREATE TABLE IF NOT EXISTS recommendations (
            version      INTEGER NOT NULL,
            user_id      INTEGER NOT NULL,
            generated_at INTEGER NOT NULL,
            items        TEXT NOT NULL,
            PRIMARY KEY (version, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rating_marks (
            user_id INTEGER PRIMARY KEY,
            mark    INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS popular (
            version INTEGER PRIMARY KEY,
            items   TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS served_lists (
            user_id      INTEGER NOT NULL,
            served_at_ms INTEGER NOT NULL,
            version      INTEGER NOT NULL,
            source       TEXT NOT NULL,
            arm          TEXT NOT NULL,
            movies       TEXT NOT NULL,
            PRIMARY KEY (user_id, served_at_ms)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS served_lists_time ON served_lists (served_at_ms);
        CREATE TABLE IF NOT EXISTS leases (
            name       TEXT PRIMARY KEY,
            holder     TEXT NOT NULL,
            expires_at INTEGER NOT NULL
        );
        ",
    )?;
    add_column_if_missing(conn, "movies", "hidden", "INTEGER NOT NULL DEFAULT 0")?;
    add_column_if_missing(conn, "recommendations", "rating_mark", "INTEGER")
}

/// Stores created before a column existed get it, with its default.
fn add_column_if_missing(
    conn: &Connection,
    table: &str,
    column: &str,
    declaration: &str,
) -> rusqlite::Result<()> {
    let present: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )?;
    if !present {
        conn.execute_batch(&format!(
            "ALTER TABLE {table} ADD COLUMN {column} {declaration};"
        ))?;
    }
    Ok(())
}
