//! The checks of one edge node message on its own: MQTT flags as delivered, decoding, and the
//! payload rules of its type.

use crate::Payload;
use crate::topic::MessageType;
use crate::validate::validate;

use super::config::MonitorConfig;
use super::finding::Emit;
use super::rules;

/// Grades a message of type `t` delivered with `qos` and `retain`; returns its payload when it
/// decodes.
pub(super) fn grade(
    emit: &mut Emit<'_>,
    config: &MonitorConfig,
    t: MessageType,
    bytes: &[u8],
    (qos, retain): (u8, bool),
) -> Option<Payload> {
    // Delivered QoS = min(published, subscribed): anything above 0 was published above 0.
    if let (1.., Some(rule)) = (qos, rules::qos_zero(t)) {
        let detail = format!("{t} delivered at QoS {qos}: it was published above QoS 0");
        emit.must(rule, detail);
    }
    // Brokers set retain on a delivery only when replaying a retained message.
    if let (true, Some(rule)) = (retain, rules::not_retained(t)) {
        let detail = format!("{t} delivered as retained: it was published with retain set");
        emit.must(rule, detail);
    }
    let payload = match Payload::decode_with(bytes, &config.decode) {
        Ok(p) => p,
        Err(e) => {
            let detail = format!("{t} payload does not decode: {e}");
            emit.must(rules::undecodable(t), detail);
            return None;
        }
    };
    if let Err(error) = validate(t, &payload) {
        for v in &error.violations {
            let id = v.rule.tck_id_in(t);
            emit.push(rules::severity(v.rule), id, format!("{t} {v}"));
        }
    }
    if let Some(window) = config.utc_window {
        grade_clock(emit, t, &payload, window.as_millis());
    }
    Some(payload)
}

/// The UTC window: the payload timestamp, and the timestamps of the metrics that claim to be
/// current (historical ones are back-filled and may be of any age), against the receive time.
/// One finding per rule and message, however many metrics are off.
fn grade_clock(emit: &mut Emit<'_>, t: MessageType, payload: &Payload, window: u128) {
    let now = emit.at.as_millis();
    let off = |ts: u64| u128::from(ts.abs_diff(now)) > window;
    // NDEATH as a Will carries the CONNECT time, or nothing.
    if let (false, Some(ts)) = (t == MessageType::NDeath, payload.timestamp) {
        if off(ts) {
            let skew = ts.abs_diff(now);
            let detail = format!("{t} timestamp {ts} is {skew} ms away from the receive time");
            emit.must("payloads-timestamp-in-UTC", detail);
        }
    }
    let mut stale = payload
        .metrics
        .iter()
        .filter(|m| !m.is_historical)
        .filter_map(|m| m.timestamp.filter(|&ts| off(ts)));
    if let Some(first) = stale.next() {
        let more = stale.count();
        let skew = first.abs_diff(now);
        let detail = format!(
            "{t} metric timestamp {first} is {skew} ms away from the receive time \
             ({more} more metrics off)"
        );
        emit.must("payloads-metric-timestamp-in-UTC", detail);
    }
}
