//! The MQTT driver against real brokers (feature `tokio`).
//!
//! Every scenario runs against an embedded rumqttd broker, started in the test on a free
//! loopback port, and again against the broker of `SPARKPLUG_TEST_MQTT_URL` (for example
//! `mqtt://127.0.0.1:1883`) when that is set; without it those tests print a note and pass.
//! Each run uses its own group and host ids, so retained STATE messages of earlier runs do not
//! interfere. Every wait is bounded. The server-walk tests also start a second rumqttd, or
//! (with `SPARKPLUG_TEST_MQTT_URL`) a Mosquitto of their own on a free port (`mosquitto -c`,
//! killed at the end; skipped with a note when there is no `mosquitto` binary).

// Test code (`cfg(test)`), where unwrapping is the way to fail.
#[cfg(test)]
mod conformance;
#[cfg(test)]
mod connect_flags;
#[cfg(test)]
mod interop;
#[cfg(test)]
mod scenario;
#[cfg(test)]
mod support;

use sparkplug_b::driver::{BrokerUrl, MqttVersion};

use support::{env_broker, rumqttd};

/// tck-id-conformance-mqtt-qos0, tck-id-conformance-mqtt-qos1,
/// tck-id-conformance-mqtt-will-messages, tck-id-conformance-mqtt-retained,
/// tck-id-conformance-mqtt-aware-basic, tck-id-conformance-mqtt-aware-store,
/// tck-id-conformance-mqtt-aware-nbirth-mqtt-topic,
/// tck-id-conformance-mqtt-aware-nbirth-mqtt-retain,
/// tck-id-conformance-mqtt-aware-dbirth-mqtt-topic,
/// tck-id-conformance-mqtt-aware-dbirth-mqtt-retain,
/// tck-id-conformance-mqtt-aware-ndeath-timestamp: the embedded rumqttd is a Sparkplug
/// compliant broker and not an aware one (docs/TCK.md, "The brokers").
#[tokio::test]
async fn rumqttd_is_a_compliant_broker_and_not_an_aware_one() {
    let found = conformance::check(&rumqttd().v4).await;
    eprintln!("rumqttd: {found:?}");
    assert!(
        found.compliant(),
        "rumqttd meets the compliant-broker assertions: {found:?}"
    );
    assert!(
        !found.aware_nbirth && !found.aware_dbirth,
        "rumqttd is not Sparkplug aware"
    );
}

/// The same assertions as `rumqttd_is_a_compliant_broker_and_not_an_aware_one`
/// (tck-id-conformance-mqtt-qos0, tck-id-conformance-mqtt-qos1,
/// tck-id-conformance-mqtt-will-messages, tck-id-conformance-mqtt-retained) against the broker
/// of `SPARKPLUG_TEST_MQTT_URL`; whether it is aware is printed.
#[tokio::test]
async fn env_broker_is_a_compliant_broker() {
    if let Some(url) = env_broker("env_broker_is_a_compliant_broker") {
        let found = conformance::check(&url).await;
        eprintln!(
            "{}:{}: {found:?}, aware: {}",
            url.host(),
            url.port(),
            found.aware()
        );
        assert!(
            found.compliant(),
            "the broker meets the compliant-broker assertions: {found:?}"
        );
    }
}

#[tokio::test]
async fn rumqttd_v311_host_and_edge() {
    scenario::host_and_edge(rumqttd().v4.clone()).await;
}

#[tokio::test]
async fn rumqttd_v5_host_and_edge() {
    scenario::host_and_edge(rumqttd().v5.clone()).await;
}

#[tokio::test]
async fn rumqttd_will_reports_a_lost_edge_node() {
    scenario::will_on_connection_loss(rumqttd().v4.clone()).await;
}

#[tokio::test]
async fn rumqttd_primary_host_offline_and_back() {
    scenario::primary_host_offline_and_back(rumqttd().v4.clone()).await;
}

#[tokio::test]
async fn rumqttd_reconnect_swaps_the_will() {
    scenario::reconnect_with_new_bd_seq().await;
}

#[tokio::test]
async fn env_broker_v311_host_and_edge() {
    if let Some(url) = env_broker("env_broker_v311_host_and_edge") {
        scenario::host_and_edge(url.with_version(MqttVersion::V311)).await;
    }
}

#[tokio::test]
async fn env_broker_v5_host_and_edge() {
    if let Some(url) = env_broker("env_broker_v5_host_and_edge") {
        scenario::host_and_edge(url.with_version(MqttVersion::V5)).await;
    }
}

#[tokio::test]
async fn env_broker_will_reports_a_lost_edge_node() {
    if let Some(url) = env_broker("env_broker_will_reports_a_lost_edge_node") {
        scenario::will_on_connection_loss(url).await;
    }
}

#[tokio::test]
async fn env_broker_primary_host_offline_and_back() {
    if let Some(url) = env_broker("env_broker_primary_host_offline_and_back") {
        scenario::primary_host_offline_and_back(url).await;
    }
}

#[tokio::test]
async fn rumqttd_next_server_after_a_failed_attempt() {
    scenario::next_server_after_a_failed_attempt(rumqttd().v4.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttd_primary_host_offline_moves_to_the_next_server() {
    let broker = rumqttd();
    scenario::primary_host_offline_next_server(broker.v4.clone(), broker.v5.clone()).await;
}

/// Two embedded rumqttd brokers: see `scenario::walks_to_the_server_of_the_primary_host`
/// (tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk,
/// tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rumqttd_edge_walks_to_the_server_of_its_primary_host() {
    let second = support::free_port();
    support::start_rumqttd(second, None);
    scenario::walks_to_the_server_of_the_primary_host(
        rumqttd().v4.clone(),
        BrokerUrl::new("127.0.0.1", second),
    )
    .await;
}

/// `scenario::walks_to_the_server_of_the_primary_host` on a Mosquitto of the test's own (A)
/// and the broker of `SPARKPLUG_TEST_MQTT_URL` (B)
/// (tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_broker_edge_walks_to_the_server_of_its_primary_host() {
    let test = "env_broker_edge_walks_to_the_server_of_its_primary_host";
    if let Some(url) = env_broker(test) {
        if let Some(first) = support::Mosquitto::start(test) {
            scenario::walks_to_the_server_of_the_primary_host(first.url.clone(), url).await;
        }
    }
}

/// `scenario::walks_on_when_a_server_dies`: a Mosquitto of the test's own is killed, the edge
/// node walks on to the broker of `SPARKPLUG_TEST_MQTT_URL`
/// (tck-id-operational-behavior-edge-node-termination-host-offline-reconnect,
/// tck-id-operational-behavior-primary-application-state-with-multiple-servers-single-server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_broker_edge_walks_on_when_a_server_dies() {
    let test = "env_broker_edge_walks_on_when_a_server_dies";
    if let Some(url) = env_broker(test) {
        if let Some(first) = support::Mosquitto::start(test) {
            scenario::walks_on_when_a_server_dies(first, url).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_broker_gives_up_after_max_attempts() {
    scenario::gives_up(BrokerUrl::new("127.0.0.1", support::free_port())).await;
}

#[tokio::test]
async fn rumqttd_forged_offline_state_recovers() {
    scenario::forged_offline_state_recovers(rumqttd().v4.clone()).await;
}

#[tokio::test]
async fn env_broker_forged_offline_state_recovers() {
    if let Some(url) = env_broker("env_broker_forged_offline_state_recovers") {
        scenario::forged_offline_state_recovers(url).await;
    }
}
