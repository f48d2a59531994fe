//! The batch engine behind `analyze_many`: Rust worker threads, input-order delivery, bounded
//! look-ahead, cancellation.
//!
//! Work items are claimed from a shared counter by `workers` plain threads that never touch the
//! GIL. The consumer (the Python iterator) receives results over a channel with the GIL
//! released, reorders them into input order, and checks for `KeyboardInterrupt` between waits.
//! A worker does not start item `i` until `i < delivered + window`, so memory for finished but
//! undelivered results stays bounded even when one early item is slow.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use analyzer_core::AnalyzerError;

/// How long the consumer waits for a result before it checks for signals again.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Results allowed in flight per worker beyond the next one to deliver.
const WINDOW_PER_WORKER: usize = 2;
/// Most worker threads a batch accepts: more than any machine's cores. A larger count would try
/// to start that many threads.
pub(crate) const MAX_WORKERS: usize = 1024;

/// The outcome of one item.
pub(crate) type ItemResult<T> = Result<T, AnalyzerError>;

struct Shared {
    /// (next item to claim, number of items delivered to the consumer)
    state: Mutex<(usize, usize)>,
    advanced: Condvar,
    cancel: AtomicBool,
}

/// A running batch. Dropping it cancels the remaining work and joins the workers.
pub(crate) struct Batch<T: Send + 'static> {
    rx: Receiver<(usize, ItemResult<T>)>,
    pending: BTreeMap<usize, ItemResult<T>>,
    next: usize,
    total: usize,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

impl<T: Send + 'static> Batch<T> {
    /// Starts `workers` threads running `f` over `items`.
    pub(crate) fn start<I, F>(items: Vec<I>, workers: usize, f: F) -> Self
    where
        I: Send + Sync + 'static,
        F: Fn(&I) -> ItemResult<T> + Send + Sync + 'static,
    {
        let total = items.len();
        let workers = workers.max(1).min(total.max(1));
        let window = workers * WINDOW_PER_WORKER + 1;
        let items = Arc::new(items);
        let f = Arc::new(f);
        let shared =
            Arc::new(Shared { state: Mutex::new((0, 0)), advanced: Condvar::new(), cancel: AtomicBool::new(false) });
        let (tx, rx) = channel();
        let handles = (0..workers)
            .map(|_| {
                let (items, f, shared, tx): (_, _, _, Sender<_>) =
                    (items.clone(), f.clone(), shared.clone(), tx.clone());
                std::thread::spawn(move || worker(&items, &*f, &shared, &tx, window))
            })
            .collect();
        Batch { rx, pending: BTreeMap::new(), next: 0, total, shared, workers: handles }
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.total
    }

    /// Number of items delivered so far.
    pub(crate) fn delivered(&self) -> usize {
        self.next
    }

    /// Waits up to [`POLL_INTERVAL`] for the next item in input order. `Ok(None)` means "not yet"
    /// (call again after checking signals); `Err(())` means the batch is exhausted.
    pub(crate) fn poll_next(&mut self) -> Result<Option<(usize, ItemResult<T>)>, ()> {
        if self.next >= self.total {
            return Err(());
        }
        loop {
            if let Some(r) = self.pending.remove(&self.next) {
                let index = self.next;
                self.next += 1;
                let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
                state.1 = self.next;
                self.shared.advanced.notify_all();
                return Ok(Some((index, r)));
            }
            match self.rx.recv_timeout(POLL_INTERVAL) {
                Ok((i, r)) => {
                    self.pending.insert(i, r);
                }
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                // Every worker is gone but the item never came: a worker died outside
                // catch_unwind, which cannot happen; report it as an error for that item.
                Err(RecvTimeoutError::Disconnected) => {
                    let index = self.next;
                    self.next += 1;
                    return Ok(Some((index, Err(AnalyzerError::Internal("worker thread ended unexpectedly".into())))));
                }
            }
        }
    }

    /// Stops the workers after their current item.
    pub(crate) fn cancel(&self) {
        self.shared.cancel.store(true, Ordering::SeqCst);
        self.shared.advanced.notify_all();
    }
}

impl<T: Send + 'static> Drop for Batch<T> {
    fn drop(&mut self) {
        self.cancel();
        for h in self.workers.drain(..) {
            let _ = h.join();
        }
    }
}

fn worker<I, T, F>(items: &[I], f: &F, shared: &Shared, tx: &Sender<(usize, ItemResult<T>)>, window: usize)
where
    F: Fn(&I) -> ItemResult<T>,
{
    loop {
        let index = {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if shared.cancel.load(Ordering::SeqCst) || state.0 >= items.len() {
                    return;
                }
                if state.0 < state.1 + window {
                    break;
                }
                state = shared.advanced.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.0 += 1;
            state.0 - 1
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&items[index])))
            .unwrap_or_else(|panic| Err(AnalyzerError::from_panic(panic)));
        if tx.send((index, result)).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T: Send + 'static>(mut b: Batch<T>) -> Vec<(usize, ItemResult<T>)> {
        let mut out = Vec::new();
        loop {
            match b.poll_next() {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {}
                Err(()) => return out,
            }
        }
    }

    #[test]
    fn delivers_in_input_order_whatever_the_finishing_order() {
        let items: Vec<u64> = (0..40).collect();
        let batch = Batch::start(items, 4, |&i| {
            std::thread::sleep(Duration::from_millis((40 - i) % 7));
            if i % 13 == 5 { Err(AnalyzerError::Empty("test".into())) } else { Ok(i * 2) }
        });
        let out = drain(batch);
        assert_eq!(out.len(), 40);
        for (k, (i, r)) in out.into_iter().enumerate() {
            assert_eq!(i, k);
            match r {
                Ok(v) => assert_eq!(v, 2 * k as u64),
                Err(e) => {
                    assert_eq!(k % 13, 5);
                    assert!(matches!(e, AnalyzerError::Empty(_)));
                }
            }
        }
    }

    #[test]
    fn a_panicking_item_becomes_an_error_and_the_rest_go_on() {
        let batch = Batch::start((0..10).collect::<Vec<u32>>(), 2, |&i| {
            if i == 3 {
                panic!("boom");
            }
            Ok(i)
        });
        let out = drain(batch);
        assert_eq!(out.len(), 10);
        assert!(out[3].1.is_err());
        assert!(out.iter().filter(|(_, r)| r.is_ok()).count() == 9);
    }

    #[test]
    fn dropping_a_batch_stops_the_workers() {
        let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = started.clone();
        let batch = Batch::start((0..1000).collect::<Vec<u32>>(), 2, move |&i| {
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            Ok(i)
        });
        std::thread::sleep(Duration::from_millis(20));
        drop(batch);
        // The look-ahead window bounds how far the workers ran without a consumer.
        assert!(started.load(Ordering::SeqCst) <= 2 * WINDOW_PER_WORKER + 1 + 2);
    }

    #[test]
    fn empty_batch_is_exhausted_at_once() {
        let mut b = Batch::start(Vec::<u8>::new(), 3, |&i| Ok(i));
        assert_eq!(b.len(), 0);
        assert!(b.poll_next().is_err());
    }
}
