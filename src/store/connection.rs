//! The connection type over both backends, chosen from the URL scheme, and its pool manager.

use crate::error::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Raised each time a connection is found to have lost the database: every connection opened or
    /// checked before that is suspect, and is pinged once before its next use (see [`checkout`]).
    epoch: Arc<AtomicU64>,
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
            epoch: Arc::new(AtomicU64::new(0)),
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
        // libpq's first TLS attempt would otherwise initialise OpenSSL with its exit handler.
        crate::crypto::init();
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgres)
                .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}"))),
            Backend::Sqlite => {
                let path = self.sqlite_path().unwrap_or(":memory:");
                let opened = SqliteConnection::establish(path)
                    .map_err(|e| {
                        Error::Unavailable(format!("cannot open SQLite database {path}: {e}"))
                    })
                    .and_then(|mut conn| {
                        // WAL lets readers run beside the writer; busy_timeout absorbs short lock
                        // waits from other processes (the CLI beside a running server); foreign keys
                        // keep deletes tidy.
                        conn.batch_execute(
                            "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                        )
                        .map_err(|e| Error::Unavailable(format!("configuring SQLite: {e}")))?;
                        Ok(conn)
                    });
                match opened {
                    Ok(conn) => Ok(AnyConnection::Sqlite(conn)),
                    // A WAL database in a read-only directory cannot get its shared-memory file;
                    // nothing can change it there, so it opens as immutable: reads work, writes
                    // fail with "read-only" (503).
                    Err(e) if path != ":memory:" && directory_is_read_only(path) => {
                        let conn = SqliteConnection::establish(&format!("file:{path}?immutable=1"))
                            .map_err(|_| e)?;
                        Ok(AnyConnection::Sqlite(conn))
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// A connection of the pool, and whether a failure showed that it no longer reaches the database.
///
/// libpq does not reconnect by itself, and diesel calls a connection broken only when a transaction
/// was left open: a connection that lost its server (PostgreSQL restarted) would go back to the
/// pool and fail every later use. [`Pooled::settle`] marks it, so the pool drops it and opens a
/// fresh one when the database is back.
pub struct Pooled {
    conn: AnyConnection,
    lost: bool,
    /// The manager's epoch when this connection was opened or last found working.
    epoch: u64,
    shared_epoch: Arc<AtomicU64>,
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl Pooled {
    /// Looks at a failed call's error: when the database itself is gone (the connection no longer
    /// answers `SELECT 1`), the connection is marked for the pool to drop and the caller gets
    /// `Unavailable` (503, retry later) rather than an internal error. Storage errors that are not
    /// bugs (a full disk, a read-only database) become `Unavailable` too, with a plain message.
    pub fn settle<T>(&mut self, result: Result<T>) -> Result<T> {
        // Any failure is checked, not only internal ones: a connection cut mid-answer can also
        // surface as "no row" (NotFound), which the caller would take for a fact.
        let message = match &result {
            Ok(_) => return result,
            Err(e) => e.to_string(),
        };
        if ping(&mut self.conn).is_err() {
            self.lost = true;
            // The others were opened to the same server: have each checked before its next use.
            self.shared_epoch
                .fetch_max(self.epoch + 1, Ordering::SeqCst);
            return Err(Error::Unavailable(format!(
                "the database connection was lost: {message}"
            )));
        }
        result.map_err(storage_condition)
    }
}

/// Turns errors that are conditions of the database rather than bugs (PostgreSQL restarting; SQLite's
/// "the storage cannot take this write") into `Unavailable` with a message an operator understands;
/// other errors pass unchanged.
pub fn storage_condition(e: Error) -> Error {
    let Error::Internal(message) = &e else {
        return e;
    };
    let lower = message.to_ascii_lowercase();
    let condition = if [
        "terminating connection",
        "shutting down",
        "starting up",
        "in recovery mode",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
    ]
    .iter()
    .any(|m| lower.contains(m))
    {
        // PostgreSQL stopping, starting or failing over while the connection still looked open.
        "the database is restarting"
    } else if lower.contains("database or disk is full") {
        "the disk holding the database is full"
    } else if lower.contains("readonly database") || lower.contains("read-only") {
        "the database is read-only"
    } else if lower.contains("disk i/o error") || lower.contains("unable to open database file") {
        "the database file cannot be read or written"
    } else {
        return e;
    };
    Error::Unavailable(format!("{condition} ({message})"))
}

impl diesel::r2d2::ManageConnection for ConnectionManager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<Pooled, Self::Error> {
        self.connect_now()
            .map(|conn| Pooled {
                conn,
                lost: false,
                epoch: self.epoch.load(Ordering::SeqCst),
                shared_epoch: self.epoch.clone(),
            })
            .map_err(|e| {
                diesel::r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                    e.to_string(),
                ))
            })
    }

    fn is_valid(&self, conn: &mut Pooled) -> std::result::Result<(), Self::Error> {
        ping(&mut conn.conn).map_err(|e| {
            diesel::r2d2::Error::QueryError(diesel::result::Error::QueryBuilderError(
                e.to_string().into(),
            ))
        })
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.lost || diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// A connection from `pool`. After one connection lost the database (a restart, a failover), each
/// older idle connection is pinged once before use and dropped if it is dead too, so that requests
/// after the database came back do not fail one by one on the stale connections.
pub fn checkout(
    pool: &diesel::r2d2::Pool<ConnectionManager>,
) -> Result<diesel::r2d2::PooledConnection<ConnectionManager>> {
    for _ in 0..=pool.max_size() {
        let mut c = pool.get()?;
        let current = c.shared_epoch.load(Ordering::SeqCst);
        if c.epoch >= current {
            return Ok(c);
        }
        if ping(&mut c.conn).is_ok() {
            c.epoch = current;
            return Ok(c);
        }
        c.lost = true; // dropped by the pool when `c` goes back
    }
    Err(Error::Unavailable("no working database connection".into()))
}

pub fn ping(conn: &mut AnyConnection) -> Result<()> {
    diesel::sql_query("SELECT 1")
        .execute(conn)
        .map(|_| ())
        .map_err(Error::from)
}

/// True when no file can be created beside the SQLite database at `path`.
fn directory_is_read_only(path: &str) -> bool {
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let probe = dir.join(format!(".guestlist-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(e) => read_only_error(&e),
    }
}

fn read_only_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
    )
}

/// True when every embedded SQLite migration is recorded as applied (read only: no table is created).
fn sqlite_is_current(c: &mut SqliteConnection) -> bool {
    use diesel::migration::MigrationSource;
    use diesel::sqlite::Sqlite;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let Ok(applied) =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load::<Applied>(c)
    else {
        return false;
    };
    let Ok(embedded) = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS) else {
        return false;
    };
    embedded.iter().all(|m| {
        let name = m.name().version().to_string();
        applied.iter().any(|a| a.version == name)
    })
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
                    let lock = match std::fs::OpenOptions::new()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(format!("{path}.lock"))
                    {
                        Ok(lock) => lock,
                        // A read-only data directory: nothing can be migrated, but a database that
                        // needs nothing can still be read (the server answers writes with 503).
                        Err(e) if read_only_error(&e) && sqlite_is_current(c) => {
                            tracing::warn!(
                                path,
                                "the SQLite database is read-only; writes will fail"
                            );
                            return Ok(0);
                        }
                        Err(e) => {
                            return Err(Error::Config(format!("cannot open {path}.lock: {e}")));
                        }
                    };
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
