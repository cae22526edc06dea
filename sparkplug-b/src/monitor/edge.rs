//! What the monitor follows of each edge node: its sessions (bdSeq), its seq stream, its
//! births and its devices.
//!
//! ```text
//!                NBIRTH (bdSeq checked against the last session's + 1)
//!   Unknown ──────────────────────────► Online ◄──┐ NBIRTH, same bdSeq: a rebirth
//!      │                                 │  └─────┘
//!      │ NDEATH                          │ NDEATH with the session's bdSeq (another is stale)
//!      ▼                                 ▼
//!   Offline ◄────────────────────────────┘   DBIRTH, NDATA, DDATA here break the order rules
//! ```
//! A node first seen through a message other than its NBIRTH or NDEATH stays `Unknown`: the
//! monitor started during its session, so ordering and birth contents cannot be graded until
//! its next birth. The seq stream is graded from the first message seen.

use std::collections::{HashMap, HashSet};

use crate::Payload;
use crate::session::{Seq, Timestamp};
use crate::topic::{DeviceId, MessageType};
use crate::validate::BDSEQ;

use super::data::{self, Scope};
use super::finding::{CAPACITY, Emit, Subject};
use super::report::{Status, Tally};
use super::rules;

/// One message being handled.
pub(super) struct Msg<'a> {
    pub(super) t: MessageType,
    /// Findings about the message's own subject (its device, for device messages).
    pub(super) emit: Emit<'a>,
    /// The edge node, for findings on the seq stream and bdSeq.
    pub(super) node: Subject,
    pub(super) max_metrics: usize,
}

/// An edge node.
#[derive(Debug)]
pub(super) struct NodeTracker {
    pub(super) last_seen: Timestamp,
    pub(super) tally: Tally,
    /// The group and node ids lower-cased, for `tck-id-case-sensitivity-sparkplug-ids`.
    pub(super) lower: (String, String),
    pub(super) status: Status,
    pub(super) births: u64,
    pub(super) rebirth_requests: u64,
    /// The bdSeq of the current session (Online) or of the last one (Offline).
    pub(super) bd_seq: Option<i64>,
    /// The seq of the last message of the seq stream.
    pub(super) seq: Option<Seq>,
    scope: Scope,
    /// Template definitions of the session's NBIRTH.
    templates: Option<HashSet<String>>,
    /// Which birth declared each alias of the session: the node (`None`) or a device.
    aliases: HashMap<u64, Option<DeviceId>>,
    pub(super) devices: HashMap<DeviceId, DeviceTracker>,
}

/// A device of an edge node.
#[derive(Debug)]
pub(super) struct DeviceTracker {
    pub(super) last_seen: Timestamp,
    pub(super) tally: Tally,
    pub(super) lower: String,
    pub(super) status: Status,
    scope: Scope,
}

fn next_bd_seq(bd_seq: i64) -> i64 {
    if bd_seq == 255 {
        0
    } else {
        bd_seq.saturating_add(1)
    }
}

fn bd_seq_of(payload: &Payload) -> Option<i64> {
    payload.metric(BDSEQ)?.value.as_ref()?.as_i64()
}

impl NodeTracker {
    pub(super) fn new(now: Timestamp, lower: (String, String)) -> Self {
        NodeTracker {
            last_seen: now,
            tally: Tally::default(),
            lower,
            status: Status::Unknown,
            births: 0,
            rebirth_requests: 0,
            bd_seq: None,
            seq: None,
            scope: Scope::default(),
            templates: None,
            aliases: HashMap::new(),
            devices: HashMap::new(),
        }
    }

    /// Makes sure `id` is tracked, dropping the least recently seen device beyond `max`.
    /// Returns whether one was dropped.
    pub(super) fn ensure_device(&mut self, m: &mut Msg<'_>, id: &DeviceId, max: usize) -> bool {
        if self.devices.contains_key(id) {
            return false;
        }
        let mut evicted = false;
        if self.devices.len() >= max.max(1) {
            let oldest = self.devices.iter().min_by_key(|(_, d)| d.last_seen);
            if let Some(old) = oldest.map(|(k, _)| k.clone()) {
                self.release_aliases(&old);
                self.devices.remove(&old);
                let detail =
                    format!("device {old} is no longer tracked: max_devices_per_node = {max}");
                m.emit.about(m.node.clone()).info(CAPACITY, detail);
                evicted = true;
            }
        }
        let lower = id.as_str().to_lowercase();
        if let Some((other, _)) = self.devices.iter().find(|(_, d)| d.lower == lower) {
            let detail = format!(
                "device ids {:?} and {:?} differ only in case",
                id.as_str(),
                other.as_str()
            );
            m.emit.should("case-sensitivity-sparkplug-ids", detail);
        }
        // In a session whose NBIRTH was seen, a device must be born before anything else.
        let status = match self.status {
            Status::Online => Status::Offline,
            other => other,
        };
        let device = DeviceTracker {
            last_seen: m.emit.at,
            tally: Tally::default(),
            lower,
            status,
            scope: Scope::default(),
        };
        self.devices.insert(id.clone(), device);
        evicted
    }

    /// A message of this node, or of its device `device`, already validated. `payload` is
    /// `None` when it did not decode.
    pub(super) fn handle(
        &mut self,
        m: &mut Msg<'_>,
        device: Option<&DeviceId>,
        payload: Option<Payload>,
    ) {
        use MessageType as M;
        match (m.t, device) {
            (M::NBirth, _) => self.nbirth(m, payload),
            (M::NDeath, _) => self.ndeath(m, payload.as_ref()),
            (M::NData, _) => {
                self.order(m);
                self.sequence(m, payload.as_ref());
                if let Some(p) = payload {
                    data::template_refs(m, &p, self.templates.as_ref());
                    self.scope.data(m, p);
                }
            }
            (M::NCmd, _) => {
                if let Some(p) = payload {
                    self.rebirth_requests += self.scope.command(m, p);
                }
            }
            (M::DBirth, Some(id)) => self.dbirth(m, id, payload),
            (M::DDeath, Some(id)) => {
                self.sequence(m, payload.as_ref());
                self.release_aliases(id);
                if let Some(dev) = self.devices.get_mut(id) {
                    dev.status = Status::Offline;
                    dev.scope = Scope::default();
                }
            }
            (M::DData, Some(id)) => self.ddata(m, id, payload),
            (M::DCmd, Some(id)) => {
                if let (Some(dev), Some(p)) = (self.devices.get(id), payload) {
                    dev.scope.command(m, p);
                }
            }
            _ => {}
        }
    }

    fn nbirth(&mut self, m: &mut Msg<'_>, payload: Option<Payload>) {
        self.births += 1;
        let bd_seq = payload.as_ref().and_then(bd_seq_of);
        let rebirth = self.status == Status::Online && bd_seq.is_some() && bd_seq == self.bd_seq;
        if let (false, Some(previous), Some(bd_seq)) = (rebirth, self.bd_seq, bd_seq) {
            let expected = next_bd_seq(previous);
            if bd_seq != expected {
                let detail = format!(
                    "NBIRTH of a new session has bdSeq {bd_seq}; the previous session had \
                     {previous}, so {expected} was expected"
                );
                m.emit.must("topics-nbirth-bdseq-increment", detail);
            }
        }
        self.end_session();
        self.status = Status::Online;
        self.bd_seq = bd_seq;
        let seq = payload
            .as_ref()
            .and_then(|p| p.seq)
            .and_then(Seq::from_wire);
        self.seq = Some(seq.unwrap_or(Seq::ZERO));
        for dev in self.devices.values_mut() {
            dev.status = Status::Offline;
        }
        if let Some(p) = payload {
            let defs = data::definitions(&p);
            data::template_refs(m, &p, Some(&defs));
            self.templates = Some(defs);
            self.scope = Scope::from_birth(m, &p);
            for alias in self.scope.aliases() {
                self.aliases.insert(alias, None);
            }
        }
    }

    fn ndeath(&mut self, m: &mut Msg<'_>, payload: Option<&Payload>) {
        let bd_seq = payload.and_then(bd_seq_of);
        match (self.status, self.bd_seq, bd_seq) {
            // The explicit NDEATH and then the Will of the same session.
            (Status::Offline, Some(current), Some(got)) if got == current => return,
            // A death for the session after the one known is a session whose birth was missed.
            (Status::Online | Status::Offline, Some(current), Some(got))
                if got != current && got != next_bd_seq(current) =>
            {
                let detail = format!(
                    "NDEATH with bdSeq {got} is stale (the session's bdSeq is {current}): a late \
                     Will of an older session, which hosts ignore"
                );
                m.emit.info("payloads-ndeath-bdseq", detail);
                return;
            }
            _ => {}
        }
        self.end_session();
        self.status = Status::Offline;
        self.bd_seq = bd_seq.or(self.bd_seq);
        self.seq = None;
        for dev in self.devices.values_mut() {
            dev.status = Status::Offline;
        }
    }

    fn dbirth(&mut self, m: &mut Msg<'_>, id: &DeviceId, payload: Option<Payload>) {
        self.order(m);
        self.sequence(m, payload.as_ref());
        self.release_aliases(id);
        let Some(dev) = self.devices.get_mut(id) else {
            return;
        };
        dev.status = Status::Online;
        dev.scope = Scope::default();
        let Some(p) = payload else { return };
        data::template_refs(m, &p, self.templates.as_ref());
        dev.scope = Scope::from_birth(m, &p);
        for alias in dev.scope.aliases() {
            match self.aliases.get(&alias) {
                None => {
                    self.aliases.insert(alias, Some(id.clone()));
                }
                Some(Some(owner)) if owner == id => {} // repeated in this DBIRTH: validated
                Some(owner) => {
                    let owner = owner
                        .as_ref()
                        .map_or("the node".into(), |d| format!("device {d}"));
                    let detail = format!("DBIRTH alias {alias} is already used by {owner}");
                    m.emit.must("payloads-alias-uniqueness", detail);
                }
            }
        }
    }

    fn ddata(&mut self, m: &mut Msg<'_>, id: &DeviceId, payload: Option<Payload>) {
        if !self.order(m)
            && self
                .devices
                .get(id)
                .is_some_and(|d| d.status == Status::Offline)
        {
            let detail = "DDATA of a device not born since its node's NBIRTH or its DDEATH";
            m.emit.must("payloads-ddata-order", detail.into());
        }
        self.sequence(m, payload.as_ref());
        let (Some(dev), Some(p)) = (self.devices.get_mut(id), payload) else {
            return;
        };
        data::template_refs(m, &p, self.templates.as_ref());
        dev.scope.data(m, p);
    }

    /// DBIRTH, NDATA and DDATA must follow an NBIRTH of the session: after the node's NDEATH
    /// they break the order rules. Returns whether it reported.
    fn order(&self, m: &mut Msg<'_>) -> bool {
        let id = rules::order(m.t);
        if let (Status::Offline, Some(id)) = (self.status, id) {
            m.emit.must(
                id,
                format!("{} after the node's NDEATH, before its next NBIRTH", m.t),
            );
            return true;
        }
        false
    }

    /// DBIRTH, NDATA, DDATA and DDEATH carry the previous message's seq + 1, 255 wrapping to 0.
    /// A message without a readable seq (reported by the validator) is assumed to take its
    /// place, so one fault gives one finding.
    fn sequence(&mut self, m: &mut Msg<'_>, payload: Option<&Payload>) {
        let got = payload.and_then(|p| p.seq).and_then(Seq::from_wire);
        if let (Some(last), Some(got)) = (self.seq, got) {
            let expected = last.next();
            if got != expected {
                let detail = format!("{} seq {got} after {last}, expected {expected}", m.t);
                m.emit
                    .about(m.node.clone())
                    .must(rules::seq_increment(m.t), detail);
            }
        }
        self.seq = got.or(self.seq.map(Seq::next));
    }

    /// Forgets what the session's births declared.
    fn end_session(&mut self) {
        self.scope = Scope::default();
        self.templates = None;
        self.aliases.clear();
        for dev in self.devices.values_mut() {
            dev.scope = Scope::default();
        }
    }

    /// Frees the aliases a device's birth declared.
    fn release_aliases(&mut self, id: &DeviceId) {
        if let Some(dev) = self.devices.get(id) {
            for alias in dev.scope.aliases() {
                if self
                    .aliases
                    .get(&alias)
                    .is_some_and(|o| o.as_ref() == Some(id))
                {
                    self.aliases.remove(&alias);
                }
            }
        }
    }
}
