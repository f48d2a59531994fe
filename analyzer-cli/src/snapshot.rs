//! A set of records keyed by id, in first-seen order, last write wins: the in-memory form of a
//! full snapshot, used for `--snapshot`, for resuming an output and by `merge`.

use std::collections::HashMap;

use crate::record::Record;

/// Records by id, in the order ids were first seen; a later record with the same id replaces
/// the earlier one in place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    records: Vec<Record>,
    index: HashMap<String, usize>,
}

impl Snapshot {
    /// An empty snapshot.
    pub fn new() -> Snapshot {
        Snapshot::default()
    }

    /// Folds records in order. Returns the snapshot and whether any id occurred more than once.
    pub fn from_records(records: impl IntoIterator<Item = Record>) -> (Snapshot, bool) {
        let mut s = Snapshot::new();
        let mut duplicates = false;
        for r in records {
            duplicates |= s.upsert(r);
        }
        (s, duplicates)
    }

    /// Inserts or replaces by id; returns `true` when a record was replaced.
    pub fn upsert(&mut self, record: Record) -> bool {
        match self.index.get(&record.id) {
            Some(&i) => {
                self.records[i] = record;
                true
            }
            None => {
                self.index.insert(record.id.clone(), self.records.len());
                self.records.push(record);
                false
            }
        }
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.index.get(id).map(|&i| &self.records[i])
    }

    /// Whether a record with this id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    /// Keeps only the records for which `keep` is true; returns how many were removed.
    pub fn retain(&mut self, mut keep: impl FnMut(&Record) -> bool) -> usize {
        let before = self.records.len();
        self.records.retain(|r| keep(r));
        self.index = self.records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        before - self.records.len()
    }

    /// The records in order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, hash: &str) -> Record {
        Record { id: id.into(), content_hash: hash.into(), ..Record::default() }
    }

    #[test]
    fn last_write_wins_in_first_seen_order() {
        let (mut s, dup) = Snapshot::from_records([rec("a", "1"), rec("b", "1"), rec("a", "2")]);
        assert!(dup);
        assert_eq!(s.records(), [rec("a", "2"), rec("b", "1")]);
        assert!(!s.upsert(rec("c", "1")));
        assert!(s.upsert(rec("b", "3")));
        assert_eq!(s.get("b").unwrap().content_hash, "3");
        assert_eq!(s.retain(|r| r.id != "a"), 1);
        assert_eq!(s.records(), [rec("b", "3"), rec("c", "1")]);
        assert_eq!(s.get("c").unwrap().id, "c");
        assert!(!s.contains("a"));
        let (e, dup) = Snapshot::from_records([]);
        assert!(e.is_empty() && !dup);
        assert_eq!(e.len(), 0);
    }
}
