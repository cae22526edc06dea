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
    if let (Some(window), Some(ts)) = (config.utc_window, payload.timestamp) {
        let skew = ts.abs_diff(emit.at.as_millis());
        // NDEATH as a Will carries the CONNECT time, or nothing.
        if t != MessageType::NDeath && u128::from(skew) > window.as_millis() {
            let detail = format!("{t} timestamp {ts} is {skew} ms away from the receive time");
            emit.must("payloads-timestamp-in-UTC", detail);
        }
    }
    Some(payload)
}
