//! Background work with a fixed number of tasks, however many payouts a load test makes: one
//! timer task runs every delayed step (settlements, webhook retries) from a heap, and a small
//! pool of workers delivers webhooks from a bounded queue. Tasks hold only a weak reference
//! to the sandbox, so they end when it is dropped.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, mpsc};
use tokio::time::Instant;

use crate::app::App;

pub type Step = Box<dyn FnOnce(&Arc<App>) + Send>;

struct Job {
    due: Instant,
    seq: u64,
    step: Step,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Job {
    // Reversed: BinaryHeap is a max-heap and the earliest job must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// Delayed steps, run in order of their due time by one task.
pub struct Scheduler {
    tx: mpsc::UnboundedSender<(Duration, Step)>,
}

impl Scheduler {
    pub fn start(app: Weak<App>) -> Scheduler {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Duration, Step)>();
        tokio::spawn(async move {
            let mut heap = BinaryHeap::<Job>::new();
            let mut seq = 0u64;
            loop {
                let next_due = heap.peek().map(|j| j.due);
                let received = match next_due {
                    Some(due) => tokio::select! {
                        r = rx.recv() => Some(r),
                        _ = tokio::time::sleep_until(due) => None,
                    },
                    None => Some(rx.recv().await),
                };
                match received {
                    Some(Some((delay, step))) => {
                        seq += 1;
                        heap.push(Job {
                            due: Instant::now() + delay,
                            seq,
                            step,
                        });
                    }
                    Some(None) => return, // the sandbox is gone
                    None => {
                        let Some(app) = app.upgrade() else { return };
                        let now = Instant::now();
                        while heap.peek().is_some_and(|j| j.due <= now) {
                            if let Some(job) = heap.pop() {
                                (job.step)(&app);
                            }
                        }
                    }
                }
            }
        });
        Scheduler { tx }
    }

    /// Runs `step` after `delay`.
    pub fn after(&self, delay: Duration, step: impl FnOnce(&Arc<App>) + Send + 'static) {
        let _ = self.tx.send((delay, Box::new(step)));
    }
}

/// Webhook deliveries waiting for a worker, at most this many (beyond: journaled as dropped).
pub const WEBHOOK_QUEUE: usize = 10_000;
/// Deliveries in progress at once.
pub const WEBHOOK_WORKERS: usize = 16;

/// A bounded queue of async jobs and a fixed pool of workers running them.
pub struct Workers<T> {
    tx: mpsc::Sender<T>,
}

impl<T: Send + 'static> Workers<T> {
    pub fn start<F, Fut>(app: Weak<App>, workers: usize, capacity: usize, run: F) -> Workers<T>
    where
        F: Fn(Arc<App>, T) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<T>(capacity.max(1));
        let rx = Arc::new(AsyncMutex::new(rx));
        let run = Arc::new(run);
        for _ in 0..workers.max(1) {
            let rx = rx.clone();
            let run = run.clone();
            let app = app.clone();
            tokio::spawn(async move {
                loop {
                    let job = rx.lock().await.recv().await;
                    let Some(job) = job else { return };
                    let Some(app) = app.upgrade() else { return };
                    run(app, job).await;
                }
            });
        }
        Workers { tx }
    }

    /// Queues `job`; gives it back when the queue is full.
    pub fn try_push(&self, job: T) -> Result<(), T> {
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job) => job,
        })
    }
}
