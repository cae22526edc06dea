//! A generic edge node: metrics fed by generators, each on its own period.

use sparkplug_b::DataType;
use sparkplug_b::Value;

use crate::generator::Generator;
use crate::values;

/// One generated metric.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    /// The device index, `None` for a node metric.
    pub(crate) device: Option<usize>,
    pub(crate) name: String,
    pub(crate) datatype: DataType,
    pub(crate) generator: Generator,
    pub(crate) period_ms: u64,
    pub(crate) next_due: u64,
    pub(crate) array_len: usize,
    pub(crate) writable: bool,
}

impl Slot {
    /// The next value, sampled at `now_ms`, `start_ms` being time zero of the generators.
    pub(crate) fn sample(&mut self, now_ms: u64, start_ms: u64, stamp_ms: u64) -> Value {
        let t_s = now_ms.saturating_sub(start_ms) as f64 / 1000.0;
        let x = self.generator.sample(t_s);
        values::to_value(self.datatype, x, stamp_ms, self.array_len)
    }
}

/// The generated metrics of one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct GenericSource {
    pub(crate) slots: Vec<Slot>,
    /// The earliest `next_due` of the slots.
    pub(crate) next_due: u64,
}

impl GenericSource {
    pub(crate) fn refresh_due(&mut self) {
        self.next_due = self
            .slots
            .iter()
            .map(|s| s.next_due)
            .min()
            .unwrap_or(u64::MAX);
    }

    /// The slot a command names, if it is writable.
    pub(crate) fn writable_slot(&mut self, device: Option<usize>, name: &str) -> Option<&mut Slot> {
        self.slots
            .iter_mut()
            .find(|s| s.device == device && s.name == name)
            .filter(|s| s.writable)
    }
}
