//! The NDATA stream of many ice plant edge nodes, for the host throughput benchmark
//! (`benches/host.rs`) and the instruction counts of `host_ops`.

use sparkplug_b::session::Timestamp;
use sparkplug_b::session::host::{HostApplication, HostConfig};
use sparkplug_b::topic::HostId;
use sparkplug_b::{Metric, Payload};

/// Edge nodes in the stream.
pub const NODES: usize = 100;
/// NDATA messages per node.
pub const ROUNDS: u8 = 10;

/// Encoded messages with their topics.
pub struct Stream {
    /// One NBIRTH per node.
    pub births: Vec<(String, Vec<u8>)>,
    /// `ROUNDS` NDATA per node, interleaved as a broker delivers them.
    pub data: Vec<(String, Vec<u8>)>,
}

/// The births of every node, then `ROUNDS` NDATA per node interleaved as a broker delivers
/// them, each NDATA the ice plant one with the node's next seq.
pub fn stream() -> Stream {
    let ndata = crate::ice_plant_ndata();
    let mut birth = Payload::new(crate::NDATA_TIMESTAMP - 10_000)
        .with_seq(0)
        .with_metric(Metric::new("bdSeq", 0i64).with_timestamp(crate::NDATA_TIMESTAMP - 10_000))
        .with_metric(
            Metric::new("Node Control/Rebirth", false)
                .with_timestamp(crate::NDATA_TIMESTAMP - 10_000),
        );
    for m in &ndata.metrics {
        let (Some(alias), Some(value)) = (m.alias, m.value.clone()) else {
            continue;
        };
        birth.metrics.push(
            Metric::new(format!("Plant/Metric {alias}"), value)
                .with_alias(alias)
                .with_timestamp(crate::NDATA_TIMESTAMP - 10_000),
        );
    }
    let encode = |p: &Payload| p.encode_to_vec().expect("benchmark payloads encode");
    let births = (0..NODES)
        .map(|n| (format!("spBv1.0/IcePlant/NBIRTH/Plant{n}"), encode(&birth)))
        .collect();
    let mut data = Vec::with_capacity(NODES * usize::from(ROUNDS));
    for round in 1..=ROUNDS {
        let bytes = encode(&Payload {
            seq: Some(u64::from(round)),
            ..ndata.clone()
        });
        for n in 0..NODES {
            data.push((format!("spBv1.0/IcePlant/NDATA/Plant{n}"), bytes.clone()));
        }
    }
    Stream { births, data }
}

/// A host that is online and has seen every node's birth.
pub fn born_host(stream: &Stream) -> HostApplication {
    let now = Timestamp::from_millis(crate::NDATA_TIMESTAMP);
    let mut host = HostApplication::new(HostConfig::new(HostId::new("bench").expect("a valid id")));
    host.connect(now);
    host.handle_connected(now);
    for (topic, bytes) in &stream.births {
        host.handle_publish(now, topic, bytes);
    }
    while host.poll_transmit().is_some() {}
    while host.poll_event().is_some() {}
    host
}
