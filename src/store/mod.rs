//! Storage: diesel over SQLite (embedded default) and PostgreSQL through one `MultiConnection`.
//!
//! Blocking database work runs off the async executor. SQLite allows one writer at a time, so the
//! server's writes go to one writer thread that commits them in groups (`writer`), while reads use the
//! shared pool; on PostgreSQL every write is its own transaction on the shared pool.

pub mod connection;
pub mod convert;
pub mod gate;
pub mod models;
pub mod queries;
pub mod schema;
pub mod writer;

use crate::error::{Error, Result};
use connection::{AnyConnection, Backend, ConnectionManager};
use diesel::Connection;
use diesel::r2d2::Pool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub type DbPool = Pool<ConnectionManager>;

/// How long a request waits for a pooled connection by default before it fails with 503.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Store {
    read: DbPool,
    write: DbPool,
    /// Admission to each pool, taken before a blocking thread is used, so waiting requests queue
    /// here (cheaply) rather than as parked threads inside the pool.
    read_gate: Arc<gate::Gate>,
    write_gate: Arc<gate::Gate>,
    backend: Backend,
    sqlite_path: Option<String>,
    manager: ConnectionManager,
    /// SQLite's group-commit writer, started with the first asynchronous write.
    writer: Arc<OnceLock<writer::GroupWriter>>,
}

impl Store {
    /// Connects (creating the SQLite file's directory when needed); fails with the driver's own
    /// message when the database cannot be reached.
    pub fn connect(url: &str, pool_size: u32) -> Result<Store> {
        Store::connect_with(url, pool_size, DEFAULT_CONNECT_TIMEOUT)
    }

    /// [`Store::connect`] with the wait for a connection bounded by `connect_timeout` (the
    /// configuration's `db_connect_timeout`).
    pub fn connect_with(url: &str, pool_size: u32, connect_timeout: Duration) -> Result<Store> {
        let manager = ConnectionManager::new(url)?;
        let backend = manager.backend();
        if let Some(path) = manager.sqlite_path()
            && let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Config(format!("cannot create {}: {e}", parent.display())))?;
        }
        // Probe once so a bad URL fails with the driver's message rather than a pool timeout.
        manager.connect_now()?;
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                // No `SELECT 1` before every use: a broken connection is noticed by `has_broken`
                // and replaced, and the ping would double the cost of short queries.
                .test_on_check_out(false)
                // How long a request waits for a connection when none is free and none can be
                // opened (the database is down): then it fails with 503 instead of hanging.
                .connection_timeout(connect_timeout)
                .build(manager.clone())
                .map_err(|e| Error::Unavailable(format!("database pool: {e}")))
        };
        // SQLite reads are local and short: a few connections keep both cores busy, and each one
        // keeps its own page cache, so more would only cost memory.
        let read = match backend {
            Backend::Sqlite => build(pool_size.min(4))?,
            Backend::Postgres => build(pool_size)?,
        };
        let write = match backend {
            Backend::Sqlite => build(1)?,
            Backend::Postgres => read.clone(),
        };
        Ok(Store {
            read_gate: Arc::new(gate::Gate::new("read", read.max_size() as usize)),
            write_gate: Arc::new(gate::Gate::new("write", write.max_size() as usize)),
            read,
            write,
            backend,
            sqlite_path: manager.sqlite_path().map(str::to_string),
            writer: Arc::new(OnceLock::new()),
            manager,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; two processes starting at once do not race (see
    /// [`connection::run_migrations`]).
    pub fn migrate(&self) -> Result<usize> {
        let mut conn = self.write.get()?;
        connection::run_migrations(&mut conn, self.sqlite_path.as_deref())
    }

    /// Runs `f` with a read connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.read_gate.admit().await?;
        let pool = self.read.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = connection::checkout(&pool)?;
            let result = f(&mut conn);
            conn.settle(result)
        })
        .await
        .map_err(Error::internal)?
    }

    /// Runs `f` in one transaction on the write connection; any error rolls everything back.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.backend == Backend::Sqlite {
            let writer = match self.writer.get() {
                Some(w) => w.clone(),
                None => {
                    let started = writer::GroupWriter::start(self.manager.clone())?;
                    self.writer.get_or_init(|| started).clone()
                }
            };
            return writer.write(f).await;
        }
        let _permit = self.write_gate.admit().await?;
        let pool = self.write.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = connection::checkout(&pool)?;
            let result = conn.transaction(|c| f(c));
            conn.settle(result)
        })
        .await
        .map_err(Error::internal)?
    }

    /// Blocking variants for the CLI, which has no async executor of its own to spare.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
        let mut conn = connection::checkout(&self.read)?;
        let result = f(&mut conn);
        conn.settle(result)
    }

    pub fn write_blocking<T>(&self, f: impl FnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
        let mut conn = connection::checkout(&self.write)?;
        let result = conn.transaction(|c| f(c));
        conn.settle(result)
    }

    /// True when the database answers a trivial query (readiness).
    pub async fn ping(&self) -> bool {
        self.read(connection::ping).await.is_ok()
    }

    /// Applied against embedded migrations (readiness).
    pub async fn migration_status(&self) -> Result<connection::MigrationStatus> {
        self.read(connection::migration_status).await
    }

    /// How often calls queued at each admission gate, and how many queue now (metrics).
    pub fn gate_stats(&self) -> [gate::GateStats; 2] {
        [self.read_gate.stats(), self.write_gate.stats()]
    }

    /// The connection pools as they are now (metrics): one shared pool on PostgreSQL; on SQLite the
    /// read pool and the one write connection.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let stat = |name: &'static str, pool: &DbPool| {
            let state = pool.state();
            PoolStats {
                pool: name,
                connections: state.connections,
                idle: state.idle_connections,
                max: pool.max_size(),
            }
        };
        match self.backend {
            Backend::Postgres => vec![stat("shared", &self.read)],
            Backend::Sqlite => vec![stat("read", &self.read), stat("write", &self.write)],
        }
    }
}

/// One pool's connections: open (`connections`, of which `idle` wait unused) and the most it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub pool: &'static str,
    pub connections: u32,
    pub idle: u32,
    pub max: u32,
}
