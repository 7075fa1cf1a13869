//! Work spread over the machine's cores: cards judged, findings drawn.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` over `items`, spread over the machine's cores, results in the order of `items`.
pub(crate) fn spread<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Below this many items per thread, starting threads costs more than it saves.
    const PER_THREAD: usize = 8;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len() / PER_THREAD);
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let from = next.fetch_add(PER_THREAD, Ordering::Relaxed);
            if from >= items.len() {
                break done;
            }
            for (i, item) in items.iter().enumerate().skip(from).take(PER_THREAD) {
                done.push((i, f(item)));
            }
        }
    };
    let mut results: Vec<Option<R>> = Vec::new();
    results.resize_with(items.len(), || None);
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in helpers {
            // A worker that panicked is a bug; its items are then judged here, again.
            all.extend(h.join().unwrap_or_default());
        }
        for (i, r) in all {
            results[i] = Some(r);
        }
    });
    results
        .into_iter()
        .zip(items)
        .map(|(r, item)| r.unwrap_or_else(|| f(item)))
        .collect()
}
