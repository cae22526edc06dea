//! Store and forward: the values recorded while the node cannot publish live.
//!
//! While the node is disconnected, waits for its Primary Host, or waits for a debounced rebirth,
//! `flush` moves the changed values here instead of publishing them. After the next birth
//! sequence they are published with `is_historical = true` and their original timestamps, so
//! hosts store them without taking them as live values (SPARKPLUG.md 2.6 and 3.7). The buffer
//! is bounded: beyond its capacity the oldest values are dropped and counted.

use std::collections::VecDeque;

use crate::topic::DeviceId;

use super::metrics::Change;

/// The bounded buffer of stored values, oldest first.
#[derive(Debug, Clone, Default)]
pub(super) struct StoreForward {
    capacity: usize,
    entries: VecDeque<(Option<DeviceId>, Change)>,
}

impl StoreForward {
    /// A buffer of `capacity` values; 0 stores nothing.
    pub(super) fn new(capacity: usize) -> Self {
        StoreForward {
            capacity,
            entries: VecDeque::new(),
        }
    }

    /// Stores the values of the node (`device: None`) or a device; returns how many values
    /// (of these or older ones) were dropped to stay within capacity. With capacity 0 nothing
    /// is stored and nothing counts as dropped: store and forward is off.
    pub(super) fn push(&mut self, device: Option<&DeviceId>, changes: Vec<Change>) -> usize {
        if self.capacity == 0 {
            return 0;
        }
        let mut dropped = 0;
        for change in changes {
            if self.entries.len() == self.capacity {
                self.entries.pop_front();
                dropped += 1;
            }
            self.entries.push_back((device.cloned(), change));
        }
        dropped
    }

    /// How many values are stored.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Forgets the values of a device that is gone: its DDATA could no longer follow a DBIRTH.
    pub(super) fn forget_device(&mut self, device: &DeviceId) {
        self.entries.retain(|(d, _)| d.as_ref() != Some(device));
    }

    /// Empties the buffer: the node's values first, then each device's in the order the devices
    /// first appear; each group keeps the order the values were stored in.
    pub(super) fn drain_grouped(&mut self) -> Vec<(Option<DeviceId>, Vec<Change>)> {
        let mut groups: Vec<(Option<DeviceId>, Vec<Change>)> = vec![(None, Vec::new())];
        for (device, change) in self.entries.drain(..) {
            match groups.iter_mut().find(|(d, _)| *d == device) {
                Some((_, changes)) => changes.push(change),
                None => groups.push((device, vec![change])),
            }
        }
        groups.retain(|(_, changes)| !changes.is_empty());
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Timestamp;

    fn change(name: &str, ms: u64) -> Change {
        Change {
            name: name.to_owned(),
            alias: None,
            value: Some(crate::Value::Int32(ms as i32)),
            timestamp: Timestamp::from_millis(ms),
            quality: crate::Quality::Good,
            transient: false,
            metadata: None,
        }
    }

    #[test]
    fn bounded_oldest_dropped_first() {
        let mut sf = StoreForward::new(3);
        let d = DeviceId::new("D").unwrap();
        assert_eq!(sf.push(None, vec![change("a", 1), change("b", 2)]), 0);
        assert_eq!(sf.push(Some(&d), vec![change("c", 3), change("d", 4)]), 1);
        assert_eq!(sf.len(), 3);
        let groups = sf.drain_grouped();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, None);
        assert_eq!(groups[0].1, vec![change("b", 2)]);
        assert_eq!(groups[1].0.as_ref(), Some(&d));
        assert_eq!(groups[1].1, vec![change("c", 3), change("d", 4)]);
        assert_eq!(sf.len(), 0);
    }

    #[test]
    fn capacity_zero_is_off_and_devices_can_be_forgotten() {
        let mut off = StoreForward::new(0);
        assert_eq!(off.push(None, vec![change("a", 1)]), 0);
        assert_eq!(off.len(), 0);
        let mut sf = StoreForward::new(10);
        let d = DeviceId::new("D").unwrap();
        sf.push(Some(&d), vec![change("a", 1)]);
        sf.push(None, vec![change("b", 2)]);
        sf.forget_device(&d);
        let groups = sf.drain_grouped();
        assert_eq!(groups, vec![(None, vec![change("b", 2)])]);
    }
}
