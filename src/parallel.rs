//! Pure per-item work spread over the machine's cores, results in input order (so the output
//! never depends on threading).

/// `items.iter().map(f)`, in order, spread over the machine's cores when there are many items:
/// for pure per-item work (validating files, diffing resources) on large inputs.
pub fn map_in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 64;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / MIN_PER_THREAD)
        .min(8);
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map_in_parallel;

    #[test]
    fn parallel_map_keeps_order_for_large_and_small_inputs() {
        for n in [0, 1, 63, 64, 129, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = map_in_parallel(&items, |i| i * 2);
            assert_eq!(
                doubled,
                items.iter().map(|i| i * 2).collect::<Vec<_>>(),
                "n = {n}"
            );
        }
    }
}
