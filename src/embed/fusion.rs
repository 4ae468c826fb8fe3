//! Reciprocal-rank fusion: one ranking from several, by rank alone (Cormack, Clarke and
//! Büttcher, SIGIR 2009). Each list gives an item `1 / (K + rank)`; the sums rank the fused
//! list. Scores of different scales (BM25, cosine) need no calibration, which is why it is the
//! usual way to fuse lexical and dense retrieval.

use std::collections::HashMap;
use std::hash::Hash;

/// The constant of reciprocal-rank fusion; 60 is the published value, used unchanged.
pub const K: f32 = 60.0;

/// The weight of the ranking by meaning against BM25's (1) in hybrid search. Measured on every
/// visible set (docs/ranking.md, "Search by meaning"): from 0.1 to 1 hybrid beats BM25 on
/// Cranfield, CISI and the passage questions, increasingly on the questions as the weight
/// grows; above 0.2 the golden suite of keyword queries loses expected documents from its top
/// 3. At 0.2 every set gains and none loses: meaning can lift a passage past about fifteen
/// places of BM25's ranking, not more.
pub const SEMANTIC_WEIGHT: f32 = 0.2;

/// Fuses `lists` (each best first) into one list, best first, with each item's fused score.
/// Ties keep the order in which items were first seen, list by list, so the result is stable.
pub fn reciprocal_rank<T: Eq + Hash + Clone>(lists: &[Vec<T>]) -> Vec<(T, f32)> {
    let weighted: Vec<(&[T], f32)> = lists.iter().map(|l| (l.as_slice(), 1.0)).collect();
    weighted_reciprocal_rank(&weighted)
}

/// [`reciprocal_rank`] with a weight per list: an item gets `weight / (K + rank)` from each.
pub fn weighted_reciprocal_rank<T: Eq + Hash + Clone>(lists: &[(&[T], f32)]) -> Vec<(T, f32)> {
    let mut scores: HashMap<T, (f32, usize)> = HashMap::new();
    let mut seen = 0usize;
    for &(list, weight) in lists {
        for (rank, item) in list.iter().enumerate() {
            let entry = scores.entry(item.clone()).or_insert_with(|| {
                seen += 1;
                (0.0, seen)
            });
            entry.0 += weight / (K + rank as f32 + 1.0);
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

    #[test]
    fn a_lighter_list_moves_items_less() {
        let words = vec!["a", "b", "c"];
        let meaning = vec!["c", "b", "a"];
        // Equal weights: a tie between a and c, broken by first sight.
        let even = reciprocal_rank(&[words.clone(), meaning.clone()]);
        assert_eq!(even[0].0, "a");
        assert_eq!(even[1].0, "c");
        assert!((even[0].1 - even[1].1).abs() < 1e-6);
        // Meaning at a fifth: the words' order holds.
        let light = weighted_reciprocal_rank(&[(&words[..], 1.0), (&meaning[..], 0.2)]);
        let order: Vec<&str> = light.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert!((light[0].1 - (1.0 / 61.0 + 0.2 / 63.0)).abs() < 1e-6);
    }
}
