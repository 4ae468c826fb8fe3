//! Reciprocal-rank fusion: one ranking from several, by rank alone (Cormack, Clarke and
//! Büttcher, SIGIR 2009). Each list gives an item `1 / (K + rank)`; the sums rank the fused
//! list. Scores of different scales (BM25, cosine) need no calibration, which is why it is the
//! usual way to fuse lexical and dense retrieval.

use std::collections::HashMap;
use std::hash::Hash;

/// The constant of reciprocal-rank fusion; 60 is the published value, used unchanged.
pub const K: f32 = 60.0;

/// Fuses `lists` (each best first) into one list, best first, with each item's fused score.
/// Ties keep the order in which items were first seen, list by list, so the result is stable.
pub fn reciprocal_rank<T: Eq + Hash + Clone>(lists: &[Vec<T>]) -> Vec<(T, f32)> {
    let mut scores: HashMap<T, (f32, usize)> = HashMap::new();
    let mut seen = 0usize;
    for list in lists {
        for (rank, item) in list.iter().enumerate() {
            let entry = scores.entry(item.clone()).or_insert_with(|| {
                seen += 1;
                (0.0, seen)
            });
            entry.0 += 1.0 / (K + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<(T, f32, usize)> = scores
        .into_iter()
        .map(|(item, (score, first))| (item, score, first))
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused
        .into_iter()
        .map(|(item, score, _)| (item, score))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_in_both_lists_rise_and_ties_keep_first_seen_order() {
        let bm25 = vec!["a", "b", "c"];
        let dense = vec!["c", "d", "a"];
        let fused = reciprocal_rank(&[bm25, dense]);
        let order: Vec<&str> = fused.iter().map(|(i, _)| *i).collect();
        // a: 1/61 + 1/63, c: 1/63 + 1/61 (tie, a seen first), b: 1/62, d: 1/62 (b first).
        assert_eq!(order, ["a", "c", "b", "d"]);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-6);
    }

    #[test]
    fn one_list_keeps_its_order_and_empty_lists_give_nothing() {
        let fused = reciprocal_rank(&[vec![3, 1, 2]]);
        assert_eq!(fused.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [3, 1, 2]);
        assert!(reciprocal_rank::<u8>(&[vec![], vec![]]).is_empty());
    }
}
