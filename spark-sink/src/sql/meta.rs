//! Births (catalogue versions) and lifecycle events, and the node and device state the events
//! move.

use serde_json::json;

use super::db::{Param, Tx};
use super::dialect::{Dialect, placeholders};
use super::ids::{IdCache, device_col};
use crate::record::{Birth, Event, EventKind, Source};

/// The JSON certificate of a birth: `[{"name", "alias", "datatype", "properties"}]`, then
/// each template definition of an NBIRTH as `{"name", "alias": null, "datatype": 19,
/// "datatype_name": "Template", "properties": null, "definition": {version, metrics,
/// parameters, ...}}` (definitions are not metrics: they have no `sink_metrics` row).
fn certificate(birth: &Birth) -> String {
    let mut entries: Vec<_> = birth.metrics.iter().map(|m| m.to_json()).collect();
    entries.extend(birth.templates.iter().map(|(name, definition)| {
        json!({
            "name": name,
            "alias": null,
            "datatype": sparkplug_b::DataType::Template.code(),
            "datatype_name": sparkplug_b::DataType::Template.name(),
            "properties": null,
            "definition": definition,
        })
    }));
    serde_json::Value::Array(entries).to_string()
}

/// Stores a birth (a replay is a no-op) and brings the catalogue to it; a replayed older birth
/// does not take the catalogue back.
pub(crate) async fn write_birth(
    tx: &mut Tx,
    dialect: Dialect,
    birth: &Birth,
    ids: &IdCache,
) -> Result<(), sqlx::Error> {
    let Some(source_ids) = ids.source(&birth.source) else {
        return Err(sqlx::Error::RowNotFound);
    };
    let node_id = source_ids.node_id;
    let device = device_col(&birth.source).to_owned();
    let sql = format!(
        "{} INTO sink_births (node_id, device, bd_seq, timestamp_ms, received_at_ms, metric_count, certificate) VALUES (?, ?, ?, ?, ?, ?, ?)",
        dialect.insert_ignore()
    );
    tx.execute(
        &sql,
        &[
            Param::I64(node_id),
            Param::Text(device.clone()),
            Param::opt(birth.bd_seq, Param::U64),
            Param::I64(birth.timestamp_ms),
            Param::I64(birth.received_at_ms),
            Param::I64(birth.metrics.len() as i64),
            Param::Text(certificate(birth)),
        ],
    )
    .await?;
    let rows = tx
        .fetch_all(
            "SELECT birth_id FROM sink_births WHERE node_id = ? AND device = ? AND timestamp_ms = ? AND received_at_ms = ?",
            &[
                Param::I64(node_id),
                Param::Text(device.clone()),
                Param::I64(birth.timestamp_ms),
                Param::I64(birth.received_at_ms),
            ],
        )
        .await?;
    let birth_id = rows
        .first()
        .map(|r| r.i64(0))
        .transpose()?
        .flatten()
        .ok_or(sqlx::Error::RowNotFound)?;
    let entries: Vec<_> = birth
        .metrics
        .iter()
        .filter(|m| m.metric.chars().count() <= super::samples::MAX_NAME_CHARS)
        .collect();
    let cols = [
        "node_id",
        "device",
        "name",
        "alias",
        "datatype",
        "properties",
        "eng_unit",
        "birth_id",
    ];
    for chunk in entries.chunks(500) {
        let sql = format!(
            "INSERT INTO sink_metrics ({}) VALUES {}{}",
            cols.join(", "),
            placeholders(cols.len(), chunk.len()),
            dialect.upsert(
                "sink_metrics",
                "node_id, device, name",
                &cols[3..],
                Some("OLD.birth_id IS NULL OR NEW.birth_id >= OLD.birth_id"),
            )
        );
        let mut params = Vec::with_capacity(chunk.len() * cols.len());
        for m in chunk {
            let eng_unit = m
                .properties
                .as_ref()
                .and_then(|p| p.get("engUnit"))
                .and_then(|v| v.value.as_ref())
                .and_then(|v| v.as_str())
                .map(|s| s.chars().take(255).collect::<String>());
            let properties = m
                .properties
                .as_ref()
                .and_then(|p| serde_json::to_string(p).ok());
            params.push(Param::I64(node_id));
            params.push(Param::Text(device.clone()));
            params.push(Param::Text(m.metric.to_string()));
            params.push(Param::opt(m.alias, Param::U64));
            params.push(Param::I64(m.datatype.code().into()));
            params.push(Param::opt(properties, Param::Text));
            params.push(Param::opt(eng_unit, Param::Text));
            params.push(Param::I64(birth_id));
        }
        tx.execute(&sql, &params).await?;
    }
    Ok(())
}

/// The fields of an event kind, as stored in `detail`.
fn detail(kind: &EventKind) -> serde_json::Value {
    match kind {
        EventKind::Online => json!({}),
        EventKind::Offline { cause } => json!({ "cause": cause }),
        EventKind::SeqGap { expected, received } => {
            json!({ "expected": expected, "received": received })
        }
        EventKind::RebirthRequested { reason } => json!({ "reason": reason }),
        EventKind::Violation { tck_id, detail } => json!({ "tck_id": tck_id, "detail": detail }),
        #[allow(unreachable_patterns)]
        other => json!({ "debug": format!("{other:?}") }),
    }
}

/// FNV-1a, 64 bits: a hash that stays the same across builds and platforms.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The identity of an event: the same event written twice has the same key.
fn event_key(event: &Event, detail: &str) -> String {
    let source = event
        .source
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let bd_seq = event.bd_seq.map(|b| b.to_string()).unwrap_or_default();
    let ts = event.timestamp_ms.to_string();
    let parts: [&[u8]; 5] = [
        source.as_bytes(),
        event.kind.name().as_bytes(),
        bd_seq.as_bytes(),
        ts.as_bytes(),
        detail.as_bytes(),
    ];
    // Two hashes, the second over the reversed parts: 128 bits against collisions.
    let mut reversed = parts;
    reversed.reverse();
    format!("{:016x}{:016x}", fnv1a(&parts), fnv1a(&reversed))
}

/// Stores an event (a replay is a no-op) and, when it is new, applies it to the node or
/// device state. Returns whether it was new.
pub(crate) async fn write_event(
    tx: &mut Tx,
    dialect: Dialect,
    event: &Event,
    ids: &IdCache,
) -> Result<bool, sqlx::Error> {
    let detail = detail(&event.kind).to_string();
    let source: Option<&Source> = event.source.as_deref();
    let sql = format!(
        "{} INTO sink_events (event_key, group_id, node, device, kind, bd_seq, timestamp_ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        dialect.insert_ignore()
    );
    let inserted = tx
        .execute(
            &sql,
            &[
                Param::Text(event_key(event, &detail)),
                Param::opt(source.map(|s| s.group.clone()), Param::Text),
                Param::opt(source.map(|s| s.node.clone()), Param::Text),
                Param::opt(source.and_then(|s| s.device.clone()), Param::Text),
                Param::Text(event.kind.name().to_owned()),
                Param::opt(event.bd_seq, Param::U64),
                Param::I64(event.timestamp_ms),
                Param::Text(detail),
            ],
        )
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let Some(source) = source else {
        return Ok(true);
    };
    let Some(node_id) = ids.source(source).map(|s| s.node_id) else {
        return Err(sqlx::Error::RowNotFound);
    };
    apply_state(tx, event, source, node_id).await?;
    Ok(true)
}

/// Moves node or device state for a new event. Online/Offline change `online` only when the
/// event is not older than the last state change; counters always count.
async fn apply_state(
    tx: &mut Tx,
    event: &Event,
    source: &Source,
    node_id: i64,
) -> Result<(), sqlx::Error> {
    let ts = Param::I64(event.timestamp_ms);
    let newer = "(state_ms IS NULL OR state_ms <= ?)";
    let (table, key, key_params): (&str, &str, Vec<Param>) = match &source.device {
        None => ("sink_nodes", "node_id = ?", vec![Param::I64(node_id)]),
        Some(d) => (
            "sink_devices",
            "node_id = ? AND device = ?",
            vec![Param::I64(node_id), Param::Text(d.clone())],
        ),
    };
    match &event.kind {
        EventKind::Online => {
            let bd_seq = if source.device.is_none() {
                "bd_seq = CASE WHEN (state_ms IS NULL OR state_ms <= ?) THEN COALESCE(?, bd_seq) ELSE bd_seq END, "
            } else {
                ""
            };
            let sql = format!(
                "UPDATE {table} SET births = births + 1, online = CASE WHEN {newer} THEN 1 ELSE online END, {bd_seq}\
                 last_birth_ms = CASE WHEN last_birth_ms IS NULL OR last_birth_ms < ? THEN ? ELSE last_birth_ms END, \
                 state_ms = CASE WHEN {newer} THEN ? ELSE state_ms END WHERE {key}"
            );
            let mut params = vec![ts.clone()];
            if source.device.is_none() {
                params.push(ts.clone());
                params.push(Param::opt(event.bd_seq, Param::U64));
            }
            params.extend([ts.clone(), ts.clone(), ts.clone(), ts.clone()]);
            params.extend(key_params);
            tx.execute(&sql, &params).await?;
        }
        EventKind::Offline { .. } => {
            let sql = format!(
                "UPDATE {table} SET deaths = deaths + 1, online = CASE WHEN {newer} THEN 0 ELSE online END, \
                 last_death_ms = CASE WHEN last_death_ms IS NULL OR last_death_ms < ? THEN ? ELSE last_death_ms END, \
                 state_ms = CASE WHEN {newer} THEN ? ELSE state_ms END WHERE {key}"
            );
            let mut params = vec![ts.clone(), ts.clone(), ts.clone(), ts.clone(), ts.clone()];
            params.extend(key_params);
            tx.execute(&sql, &params).await?;
            // From now on the values received before this death read as STALE (the catalogue
            // query compares them with `state_ms`); nothing to rewrite here.
            if source.device.is_none() {
                // A node's death takes its devices offline with it.
                tx.execute(
                    &format!(
                        "UPDATE sink_devices SET online = 0, state_ms = ? WHERE node_id = ? AND online = 1 AND {newer}"
                    ),
                    &[ts.clone(), Param::I64(node_id), ts.clone()],
                )
                .await?;
            }
        }
        EventKind::SeqGap { .. } => {
            tx.execute(
                "UPDATE sink_nodes SET seq_gaps = seq_gaps + 1 WHERE node_id = ?",
                &[Param::I64(node_id)],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn event_keys_are_stable_and_tell_events_apart() {
        let e = Event {
            source: Some(Arc::new(Source::node("G", "N"))),
            kind: EventKind::Online,
            bd_seq: Some(1),
            timestamp_ms: 5,
        };
        let k = event_key(&e, "{}");
        assert_eq!(k, event_key(&e.clone(), "{}"));
        assert_eq!(k.len(), 32);
        let mut later = e.clone();
        later.timestamp_ms = 6;
        assert_ne!(k, event_key(&later, "{}"));
        assert_eq!(fnv1a(&[b""]), fnv1a(&[b""]));
    }

    #[test]
    fn details_name_the_fields_of_each_kind() {
        let d = detail(&EventKind::SeqGap {
            expected: 3,
            received: 5,
        });
        assert_eq!(d, json!({"expected": 3, "received": 5}));
    }
}
