"""The scale benchmark's scenario on the original design's Python library, mqtt-spb-wrapper.

N edge nodes x M devices x K Double metrics (random walks), each device publishing a DDATA
with all its metrics every PERIOD seconds, against the same broker, for DURATION seconds.
The library gives every edge node and every device its own paho client, connection and
network thread (MqttSpbEntityDevice is an MQTT client of its own).

    python spb_wrapper_sim.py --nodes 10 --devices 10 --metrics 50 --period 1 --duration 30
    python spb_wrapper_sim.py ... --period 0     # as fast as possible: the library's ceiling

Prints the metrics/s achieved against the metrics/s scheduled, the worst lag behind the
schedule, and the process's RSS.
"""

import argparse
import random
import resource
import time

from mqtt_spb_wrapper import MqttSpbEntityDevice, MqttSpbEntityEdgeNode


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nodes", type=int, default=10)
    p.add_argument("--devices", type=int, default=10)
    p.add_argument("--metrics", type=int, default=50)
    p.add_argument("--period", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    a = p.parse_args()

    group = "PyBench%d" % int(time.time())
    t0 = time.time()
    devices = []
    nodes = []
    for n in range(a.nodes):
        node = MqttSpbEntityEdgeNode(group, "Node%d" % (n + 1))
        node.data.set_value("Uptime", 0)
        if not node.connect(a.host, a.port, client_id="%s-n%d" % (group, n)):
            raise SystemExit("node %d could not connect" % n)
        node.publish_birth()
        nodes.append(node)
        for d in range(a.devices):
            dev = MqttSpbEntityDevice(group, "Node%d" % (n + 1), "Device%d" % (d + 1))
            for k in range(a.metrics):
                dev.data.set_value("Value%d" % (k + 1), 0.0)
            if not dev.connect(a.host, a.port, client_id="%s-n%dd%d" % (group, n, d)):
                raise SystemExit("device %d/%d could not connect" % (n, d))
            dev.publish_birth()
            devices.append([dev, [0.0] * a.metrics])
    setup = time.time() - t0
    scheduled = len(devices) * a.metrics / a.period if a.period > 0 else float("nan")
    print("spb-wrapper: %d nodes x %d devices x %d metrics, %d MQTT connections, set up in %.1f s"
          % (a.nodes, a.devices, a.metrics, len(devices) + len(nodes), setup))

    published = 0
    max_lag = 0.0
    start = time.time()
    tick = start
    while time.time() - start < a.duration:
        for dev, values in devices:
            for k in range(a.metrics):
                values[k] += random.uniform(-1.0, 1.0)
                dev.data.set_value("Value%d" % (k + 1), values[k])
            dev.publish_data()
            published += a.metrics
        if a.period > 0:
            tick += a.period
            now = time.time()
            max_lag = max(max_lag, now - tick)
            if tick > now:
                time.sleep(tick - now)
    elapsed = time.time() - start
    achieved = published / elapsed
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if a.period > 0:
        print("metrics/s: %.0f achieved, %.0f scheduled (%.1f %%); max lag %.0f ms"
              % (achieved, scheduled, 100.0 * achieved / scheduled, max(0.0, max_lag) * 1000))
    else:
        print("metrics/s: %.0f achieved as fast as possible (one thread publishing)" % achieved)
    print("memory: max RSS %.1f MiB, %.0f bytes per metric"
          % (rss_mib, rss_mib * 1048576 / (len(devices) * a.metrics)))
    for dev, _ in devices:
        dev.disconnect()
    for node in nodes:
        node.disconnect()


if __name__ == "__main__":
    main()
