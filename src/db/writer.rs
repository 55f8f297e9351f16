//! The one writer of a process, with group commit. [`super::Db::write`]
//! hands its closure here; the writer takes every closure that is waiting
//! (up to [`MAX_BATCH`]), runs each inside its own savepoint of one
//! transaction, commits once, and only then answers each caller. A closure
//! that fails rolls back to its savepoint alone and its caller gets its own
//! error; the others commit. One durable commit (one fsync) serves the whole
//! batch, and on SQLite nothing busy-waits for the write lock: the writer
//! owns the one write connection.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

use diesel::connection::{Connection, TransactionManager};

use super::deferred::{self, Seal};
use super::{DbConn, DbError, Target, begin_write};

/// Most closures in one transaction by default: enough to amortise the
/// commit over a burst, few enough that one batch stays short.
pub const MAX_BATCH: usize = 64;

/// How the writer gathers a batch (settings `write_batch_max` and
/// `write_batch_wait_us`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    pub max: usize,
    /// How long to wait for more after the first; zero takes only those
    /// already waiting.
    pub wait: Duration,
}

impl Default for Batching {
    fn default() -> Self {
        Self {
            max: MAX_BATCH,
            wait: Duration::ZERO,
        }
    }
}

/// What a closure left to do once its batch's commit is known: send its own
/// result, or the commit's failure.
pub type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A closure for the writer: runs on the writer's connection inside its
/// savepoint (or, given `Err(cause)`, does not run and answers with the
/// cause), says whether it succeeded, and how to answer its caller.
pub type Job = Box<dyn for<'c> FnOnce(Result<&'c mut DbConn, &str>) -> (bool, Finish) + Send>;

/// A job with the moment it was handed in.
pub struct Queued {
    pub job: Job,
    pub since: Instant,
    /// Unanswered by then (the database is stuck), it is refused instead.
    pub deadline: Duration,
}

/// Starts the writer thread for `target`; it ends when every sender is
/// gone. `published` is called after each commit that published events.
pub fn spawn(
    target: Target,
    batching: Batching,
    seal: Seal,
    published: impl Fn() + Send + 'static,
) -> Result<Sender<Queued>, DbError> {
    let (sender, receiver) = std::sync::mpsc::channel::<Queued>();
    std::thread::Builder::new()
        .name("brug-writer".to_owned())
        .spawn(move || run(target, batching, &seal, receiver, published))
        .map_err(|e| DbError::Unavailable(format!("cannot start the writer: {e}")))?;
    Ok(sender)
}

fn run(
    target: Target,
    batching: Batching,
    seal: &Seal,
    receiver: Receiver<Queued>,
    published: impl Fn(),
) {
    let mut conn: Option<DbConn> = None;
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        let until = Instant::now() + batching.wait;
        while batch.len() < batching.max {
            let left = until.saturating_duration_since(Instant::now());
            let next = if left.is_zero() {
                receiver.try_recv().map_err(|e| e == TryRecvError::Empty)
            } else {
                receiver
                    .recv_timeout(left)
                    .map_err(|e| e == RecvTimeoutError::Timeout)
            };
            match next {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // Callers that gave up waiting are told so without running.
        let (late, batch): (Vec<Queued>, Vec<Queued>) = batch
            .into_iter()
            .partition(|q| q.since.elapsed() > q.deadline);
        for queued in late {
            refuse(queued.job, "the database did not take the write in time");
        }
        if batch.is_empty() {
            continue;
        }
        let connection = match conn.take() {
            Some(c) => Ok(c),
            None => target.establish().map_err(|e| e.to_string()),
        };
        let mut connection = match connection {
            Ok(c) => c,
            Err(cause) => {
                tracing::warn!(%cause, "the writer cannot connect");
                for queued in batch {
                    refuse(queued.job, &cause);
                }
                continue;
            }
        };
        let (healthy, announce) = run_batch(
            &mut connection,
            seal,
            batch.into_iter().map(|q| q.job).collect(),
        );
        if announce {
            published();
        }
        if healthy {
            conn = Some(connection);
        }
    }
}

/// Answers a job that will not run with `cause`.
fn refuse(job: Job, cause: &str) {
    let (_, finish) = job(Err(cause));
    finish(Err(cause.to_owned()));
}

/// Runs one batch in one transaction on `conn`: each job in its savepoint,
/// then the audit entries and events they appended ([`deferred`]), then one
/// commit. Returns whether the connection is still fit for the next batch
/// (the batch committed), and whether the commit published events.
pub fn run_batch(conn: &mut DbConn, seal: &Seal, jobs: Vec<Job>) -> (bool, bool) {
    let size = jobs.len();
    if let Err(e) = begin_write(conn) {
        let cause = format!("cannot begin a write: {e}");
        tracing::warn!(%cause);
        for job in jobs {
            refuse(job, &cause);
        }
        crate::metrics::writer_batch(size, None, false);
        return (false, false);
    }
    let keeping = deferred::open();
    let mut finishes: Vec<Finish> = Vec::with_capacity(jobs.len());
    let mut broken: Option<String> = None;
    for job in jobs {
        if let Some(cause) = &broken {
            refuse(job, cause);
            continue;
        }
        if let Err(e) = DbConn::begin_transaction(conn) {
            let cause = format!("cannot open a savepoint: {e}");
            tracing::warn!(%cause, "the batch is abandoned");
            refuse(job, &cause);
            broken = Some(cause);
            continue;
        }
        let mark = deferred::mark();
        let ran = catch_unwind(AssertUnwindSafe(|| job(Ok(&mut *conn))));
        let finish = match ran {
            Ok((ok, finish)) => {
                let closed = if ok {
                    DbConn::commit_transaction(conn)
                } else {
                    deferred::truncate(mark);
                    DbConn::rollback_transaction(conn)
                };
                if let Err(e) = closed {
                    broken = Some(format!("cannot close a savepoint: {e}"));
                }
                Some(finish)
            }
            Err(_) => {
                // The caller's answer went with the panic: it hears 503.
                tracing::error!("a write panicked; it is rolled back");
                deferred::truncate(mark);
                if let Err(e) = DbConn::rollback_transaction(conn) {
                    broken = Some(format!("cannot roll back a savepoint: {e}"));
                }
                None
            }
        };
        // A write that opened a transaction of its own and left it open
        // would carry the rest of the batch inside it: nothing of the batch
        // can be trusted then.
        if broken.is_none() && depth(conn) != Some(1) {
            broken = Some("a write left a transaction of its own open".to_owned());
        }
        if let Some(cause) = &broken {
            tracing::warn!(%cause, "the batch is abandoned");
        }
        finishes.extend(finish);
    }
    if broken.is_none()
        && let Err(e) = deferred::flush(&keeping, conn, seal)
    {
        let cause = format!("cannot append the audit entries and events: {e}");
        tracing::warn!(%cause, "the batch is abandoned");
        broken = Some(cause);
    }
    let mut commit_took = None;
    let committed = match broken {
        Some(cause) => Err(cause),
        None => {
            let started = Instant::now();
            let commit = DbConn::commit_transaction(conn);
            commit_took = Some(started.elapsed());
            match commit {
                Ok(()) if depth(conn) == Some(0) => Ok(()),
                Ok(()) => Err("the commit did not end the transaction".to_owned()),
                Err(e) => Err(format!("the commit failed: {e}")),
            }
        }
    };
    crate::metrics::writer_batch(size, commit_took, committed.is_ok());
    // After any failure the connection is dropped (which rolls back what
    // is still open) and the next batch opens a fresh one.
    let fit = committed.is_ok();
    if !fit {
        abandon(conn);
    }
    drop(keeping);
    let announce = fit && deferred::take_published();
    for finish in finishes {
        finish(committed.clone());
    }
    (fit, announce)
}

/// How deep in transactions the connection is (0 outside any), or `None`
/// when diesel no longer knows.
fn depth(conn: &mut DbConn) -> Option<u32> {
    match <DbConn as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
    {
        Ok(None) => Some(0),
        Ok(Some(depth)) => Some(depth.get()),
        Err(_) => None,
    }
}

/// Rolls back whatever is open, level by level; the connection is dropped
/// afterwards all the same.
fn abandon(conn: &mut DbConn) {
    for _ in 0..8 {
        match depth(conn) {
            Some(0) | None => return,
            Some(_) => {
                if DbConn::rollback_transaction(conn).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    type Answers = Arc<Mutex<Vec<(i64, Result<(), String>)>>>;

    /// A job that inserts `id`, then fails if `fail` (or panics if `panic`),
    /// and notes its answer.
    fn insert(id: i64, fail: bool, panic: bool, answers: &Answers) -> Job {
        let answers = answers.clone();
        Box::new(move |conn| {
            let Ok(conn) = conn else {
                return (false, Box::new(|_| {}));
            };
            let wrote = diesel::sql_query(format!("INSERT INTO t (id) VALUES ({id})"))
                .execute(conn)
                .map(|_| ())
                .map_err(|e| e.to_string());
            if panic {
                panic!("a bug in write {id}");
            }
            let result = match wrote {
                Ok(()) if fail => Err(format!("write {id} refused")),
                other => other,
            };
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |committed| {
                let answer = match (committed, result) {
                    (Ok(()), own) => own,
                    (Err(_), Err(own)) => Err(own),
                    (Err(cause), Ok(())) => Err(cause),
                };
                answers.lock().expect("answers").push((id, answer));
            });
            (ok, finish)
        })
    }

    fn stored(conn: &mut DbConn) -> Vec<i64> {
        diesel::sql_query("SELECT id FROM t ORDER BY id")
            .load::<Id>(conn)
            .expect("read")
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    #[test]
    fn a_failing_write_rolls_back_alone_and_the_rest_of_its_batch_commits() {
        let mut conn = Target::Sqlite(":memory:".into())
            .establish()
            .expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .expect("table");
        let answers: Answers = Arc::default();
        let batch = vec![
            insert(1, false, false, &answers),
            insert(2, true, false, &answers),
            insert(3, false, true, &answers),
            // The same key as the first: the database refuses it.
            insert(1, false, false, &answers),
            insert(4, false, false, &answers),
        ];
        assert!(
            run_batch(&mut conn, &Seal::default(), batch).0,
            "the connection stays fit"
        );
        assert_eq!(stored(&mut conn), [1, 4], "only the writes that succeeded");
        let answers = answers.lock().expect("answers").clone();
        assert_eq!(
            answers.len(),
            4,
            "the panicking write has no answer: {answers:?}"
        );
        assert_eq!(answers[0], (1, Ok(())));
        assert_eq!(answers[1], (2, Err("write 2 refused".to_owned())));
        assert_eq!(answers[2].0, 1);
        assert!(
            answers[2]
                .1
                .as_ref()
                .is_err_and(|e| e.contains("UNIQUE constraint failed")),
            "{answers:?}"
        );
        assert_eq!(answers[3], (4, Ok(())));

        // The next batch runs on the same connection, in a new transaction.
        let next: Answers = Arc::default();
        assert!(
            run_batch(
                &mut conn,
                &Seal::default(),
                vec![insert(5, false, false, &next)]
            )
            .0
        );
        assert_eq!(stored(&mut conn), [1, 4, 5]);
    }

    #[test]
    fn a_write_that_leaves_its_own_transaction_open_fails_its_whole_batch() {
        let mut conn = Target::Sqlite(":memory:".into())
            .establish()
            .expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .expect("table");
        let answers: Answers = Arc::default();
        let unbalanced: Job = {
            let answers = answers.clone();
            Box::new(move |conn| {
                let Ok(conn) = conn else {
                    return (false, Box::new(|_| {}));
                };
                let opened = DbConn::begin_transaction(conn).map_err(|e| e.to_string());
                let finish: Finish = Box::new(move |committed| {
                    answers
                        .lock()
                        .expect("answers")
                        .push((2, opened.and(committed)));
                });
                (true, finish)
            })
        };
        let batch = vec![
            insert(1, false, false, &answers),
            unbalanced,
            insert(3, false, false, &answers),
        ];
        assert!(
            !run_batch(&mut conn, &Seal::default(), batch).0,
            "the connection is not kept"
        );
        assert_eq!(depth(&mut conn), Some(0), "everything rolled back");
        assert_eq!(stored(&mut conn), Vec::<i64>::new());
        let answers = answers.lock().expect("answers").clone();
        // The third was refused before it ran (its stand-in answers nothing).
        let ids: Vec<i64> = answers.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1, 2]);
        assert!(answers.iter().all(|(_, a)| a.is_err()), "{answers:?}");
    }

    #[tokio::test]
    async fn concurrent_writes_each_get_their_own_answer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.sqlite");
        let db = super::super::Db::new(
            &format!("sqlite://{}", path.display()),
            4,
            Duration::from_secs(5),
        )
        .expect("db");
        db.write(|conn| {
            conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
                .map_err(DbError::from)
        })
        .await
        .expect("table");
        let writes = (1..=40).map(|id| {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |conn| {
                    diesel::sql_query(format!("INSERT INTO t (id) VALUES ({id})"))
                        .execute(conn)
                        .map_err(DbError::from)?;
                    if id % 10 == 0 {
                        return Err(DbError::Config(format!("{id} refused")));
                    }
                    Ok(id)
                })
                .await
            })
        });
        let mut answers = Vec::new();
        for write in writes {
            answers.push(write.await.expect("task"));
        }
        let refused: Vec<String> = answers
            .iter()
            .filter_map(|a| a.as_ref().err().map(ToString::to_string))
            .collect();
        assert_eq!(
            refused,
            ["10 refused", "20 refused", "30 refused", "40 refused"]
        );
        let stored = db
            .read(|conn| Ok::<_, DbError>(stored(conn)))
            .await
            .expect("read");
        let expected: Vec<i64> = (1..=40).filter(|id| id % 10 != 0).collect();
        assert_eq!(stored, expected);
    }
}
