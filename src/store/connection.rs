//! The connection type over both backends, chosen from the URL scheme, and its pool manager.

use crate::error::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An r2d2 manager that opens the backend named by the URL scheme, so a PostgreSQL URL that cannot
/// connect reports PostgreSQL's error instead of a confusing SQLite one.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    pub fn new(url: &str) -> Result<Self> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") || url.ends_with(".db") || url == ":memory:" {
            Backend::Sqlite
        } else {
            return Err(Error::Config(format!(
                "database_url must start with sqlite:// or postgres://, got {url:?}"
            )));
        };
        Ok(ConnectionManager {
            url: url.to_string(),
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The file path of a SQLite URL (`sqlite://./data/x.db` → `./data/x.db`).
    pub fn sqlite_path(&self) -> Option<&str> {
        if self.backend != Backend::Sqlite {
            return None;
        }
        let path = self
            .url
            .strip_prefix("sqlite://")
            .or_else(|| self.url.strip_prefix("sqlite:"))
            .unwrap_or(&self.url);
        let path = path.split('?').next().unwrap_or(path);
        (path != ":memory:").then_some(path)
    }

    pub fn connect_now(&self) -> Result<AnyConnection> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgres)
                .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}"))),
            Backend::Sqlite => {
                let path = self.sqlite_path().unwrap_or(":memory:");
                let mut conn = SqliteConnection::establish(path).map_err(|e| {
                    Error::Unavailable(format!("cannot open SQLite database {path}: {e}"))
                })?;
                // WAL lets readers run beside the writer; busy_timeout absorbs short lock waits from
                // other processes (the CLI beside a running server); foreign keys keep deletes tidy.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| Error::Unavailable(format!("configuring SQLite: {e}")))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl diesel::r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<AnyConnection, Self::Error> {
        self.connect_now().map_err(|e| {
            diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                e.to_string(),
            ))
        })
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> std::result::Result<(), Self::Error> {
        ping(conn).map_err(|e| {
            diesel::r2d2::Error::QueryError(diesel::result::Error::QueryBuilderError(
                e.to_string().into(),
            ))
        })
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub fn ping(conn: &mut AnyConnection) -> Result<()> {
    diesel::sql_query("SELECT 1")
        .execute(conn)
        .map(|_| ())
        .map_err(Error::from)
}

/// How the database's applied migrations compare with the ones this build embeds (readiness).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions recorded in the database (a newer build may have applied more than this one knows).
    pub applied: usize,
    /// Versions embedded in this build for the connected backend.
    pub embedded: usize,
    /// Embedded versions the database has not applied.
    pub pending: usize,
}

/// Reads the applied versions without creating anything (unlike diesel's harness, which would create
/// its table on an empty database).
pub fn migration_status(conn: &mut AnyConnection) -> Result<MigrationStatus> {
    use diesel::migration::MigrationSource;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let embedded: Vec<String> = match conn {
        AnyConnection::Sqlite(_) => {
            MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map_err(|e| Error::Internal(format!("embedded migrations: {e}")))?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect()
        }
        AnyConnection::Postgres(_) => {
            MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
                .map_err(|e| Error::Internal(format!("embedded migrations: {e}")))?
                .iter()
                .map(|m| m.name().version().to_string())
                .collect()
        }
    };
    let applied: std::collections::HashSet<String> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load::<Applied>(conn)?
            .into_iter()
            .map(|a| a.version)
            .collect();
    Ok(MigrationStatus {
        applied: applied.len(),
        embedded: embedded.len(),
        pending: embedded.iter().filter(|v| !applied.contains(*v)).count(),
    })
}

/// A fixed key for `pg_advisory_lock`: "guestlist" migrations.
const MIGRATION_LOCK_KEY: i64 = 0x6775_6573_746c_6973;

/// Applies pending migrations. Two processes starting at once must not both apply them: PostgreSQL
/// serialises them with an advisory lock, SQLite with an exclusive lock on `{database}.lock`.
pub fn run_migrations(conn: &mut AnyConnection, sqlite_path: Option<&str>) -> Result<usize> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => {
            let _guard = match sqlite_path {
                Some(path) => {
                    let lock = std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(format!("{path}.lock"))
                        .map_err(|e| Error::Config(format!("cannot open {path}.lock: {e}")))?;
                    lock.lock()
                        .map_err(|e| Error::Config(format!("cannot lock {path}.lock: {e}")))?;
                    Some(lock)
                }
                None => None,
            };
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| Error::Internal(format!("migrating SQLite: {e}")))?
                .len()
        }
        AnyConnection::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| Error::Internal(format!("migrating PostgreSQL: {e}")));
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result?
        }
    };
    Ok(applied)
}
