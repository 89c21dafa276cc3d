//! Group commit for SQLite: one thread owns the write connection and runs queued write transactions
//! together, each in its own savepoint inside one outer transaction, so a burst of writes pays for one
//! commit instead of one per request. A failing write rolls back only its savepoint; a failing commit
//! fails every write of the batch. Callers see the same contract as a transaction of their own: their
//! changes are durable (as SQLite in WAL mode makes them) before they get their answer.

use super::connection::{AnyConnection, ConnectionManager};
use crate::error::{Error, Result};
use diesel::Connection;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// Writes per batch at most, and writes waiting at most.
const BATCH: usize = 64;
const QUEUE: usize = 4096;

/// A queued write: runs inside the batch and leaves a completion to call once the batch committed.
trait Job: Send {
    fn run(self: Box<Self>, c: &mut AnyConnection) -> Box<dyn Completion>;
}

/// Delivers a write's result once its batch committed (or reports the batch's failure).
trait Completion: Send {
    fn finish(self: Box<Self>, batch_failure: Option<&Error>);
}

struct WriteJob<T, F> {
    f: F,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
}

struct WriteDone<T> {
    result: Result<T>,
    reply: tokio::sync::oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static, F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static> Job
    for WriteJob<T, F>
{
    fn run(self: Box<Self>, c: &mut AnyConnection) -> Box<dyn Completion> {
        let WriteJob { f, reply } = *self;
        // Nested inside the batch's transaction, diesel makes this a savepoint.
        // A full disk or a read-only file is the operator's to fix, not a bug: say so (503).
        let result = c
            .transaction(f)
            .map_err(super::connection::storage_condition);
        Box::new(WriteDone { result, reply })
    }
}

impl<T: Send + 'static> Completion for WriteDone<T> {
    fn finish(self: Box<Self>, batch_failure: Option<&Error>) {
        let result = match batch_failure {
            None => self.result,
            Some(e) => Err(Error::Unavailable(format!("database write failed: {e}"))),
        };
        let _ = self.reply.send(result);
    }
}

#[derive(Clone)]
pub struct GroupWriter {
    jobs: SyncSender<Box<dyn Job>>,
}

impl GroupWriter {
    pub fn start(manager: ConnectionManager) -> Result<GroupWriter> {
        let (tx, rx) = sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(manager, rx))
            .map_err(Error::internal)?;
        Ok(GroupWriter { jobs: tx })
    }

    /// Runs `f` as one transaction of the next batch and returns its result after the commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send(Box::new(WriteJob { f, reply }))
            .map_err(|e| match e {
                TrySendError::Full(_) => {
                    Error::Unavailable("too many database writes waiting".into())
                }
                TrySendError::Disconnected(_) => Error::internal("the database writer stopped"),
            })?;
        answer
            .await
            .map_err(|_| Error::Unavailable("the database write was not carried out".into()))?
    }
}

fn writer_loop(manager: ConnectionManager, jobs: Receiver<Box<dyn Job>>) {
    let mut conn: Option<AnyConnection> = None;
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if conn.is_none() {
            match manager.connect_now() {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::error!(error = %e, "the SQLite writer cannot open the database");
                    // Dropping the jobs answers each caller with "not carried out".
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let mut done: Vec<Box<dyn Completion>> = Vec::with_capacity(batch.len());
        let outcome = c.transaction::<_, Error, _>(|c| {
            for job in batch {
                done.push(job.run(c));
            }
            Ok(())
        });
        match outcome {
            Ok(()) => done.into_iter().for_each(|d| d.finish(None)),
            Err(e) => {
                let e = super::connection::storage_condition(e);
                tracing::error!(error = %e, writes = done.len(), "a batch of database writes failed");
                done.into_iter().for_each(|d| d.finish(Some(&e)));
                // Start from a fresh connection: this one may be in a bad state.
                conn = None;
            }
        }
    }
}
