"""A pysparkplug edge node for the interop test `tests/broker/interop.rs`.

Usage: py_edge_node.py HOST PORT GROUP NODE SECONDS

Uses pysparkplug's own EdgeNode and Device API: connects (NBIRTH, then the DBIRTH of device
"Pump1"), publishes two NDATA and one DDATA with changed values, then waits until a line arrives
on stdin or SECONDS have passed, and disconnects cleanly (NDEATH, then DISCONNECT).

Prints one JSON line per step on stdout ({"event": ...}; "data_sent" after the last data
message); logs go to stderr. Exits 0 when every
step went through, 1 otherwise.
"""

import json
import logging
import select
import sys
import threading

from pysparkplug import Client, DataType, Device, EdgeNode, Metric, get_current_timestamp

DEVICE = "Pump1"


def say(**fields):
    print(json.dumps(fields), flush=True)


class SignallingClient(Client):
    """pysparkplug's Client, setting `born` once the edge node's connect callback has run.

    EdgeNode publishes its NBIRTH and DBIRTHs from that callback, in paho's network thread, and
    has no public way to tell when they are out (its private `_connected` flag is set before
    them: data published as soon as it flips can go before the DBIRTH, with its seq).
    """

    def __init__(self):
        super().__init__()
        self.born = threading.Event()

    def connect(self, host, *, callback=None, **kwargs):
        def signalling(client):
            if callback is not None:
                callback(client)
            self.born.set()

        super().connect(host, callback=signalling, **kwargs)


def metric(name, datatype, value):
    return Metric(
        timestamp=get_current_timestamp(), name=name, datatype=datatype, value=value
    )


def node_metrics():
    """The NBIRTH metrics (bdSeq is added by pysparkplug)."""
    return [
        metric("Temp", DataType.DOUBLE, 20.5),
        metric("Count", DataType.INT64, -9_000_000_000),
        metric("Running", DataType.BOOLEAN, True),
        metric("Mode", DataType.STRING, "auto"),
        metric("Offset8", DataType.INT8, -5),
        metric("Offset16", DataType.INT16, -1234),
        metric("Offset32", DataType.INT32, -100_000),
        metric("Big32", DataType.UINT32, 4_000_000_000),
        metric("Small8", DataType.UINT8, 200),
        metric("Ratio", DataType.FLOAT, 1.5),
    ]


def device_metrics():
    """The DBIRTH metrics of Pump1."""
    return [
        metric("Speed", DataType.INT32, 1200),
        metric("Level", DataType.INT8, -128),
        metric("Serial", DataType.UINT32, 4_294_967_295),
        metric("On", DataType.BOOLEAN, False),
    ]


def main():
    host, port, group, node_id, seconds = sys.argv[1:6]
    port, seconds = int(port), float(seconds)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)

    client = SignallingClient()
    node = EdgeNode(
        group_id=group, edge_node_id=node_id, metrics=node_metrics(), client=client
    )
    node.register(Device(device_id=DEVICE, metrics=device_metrics()))
    node.connect(host, port=port, keepalive=10)
    if not client.born.wait(20):
        say(event="error", detail="not born within 20 s")
        return 1
    say(event="born")

    node.update(
        [
            metric("Temp", DataType.DOUBLE, 21.25),
            metric("Offset8", DataType.INT8, -128),
            metric("Offset16", DataType.INT16, -32768),
            metric("Big32", DataType.UINT32, 4_294_967_295),
        ]
    )
    say(event="sent", message_type="NDATA")
    node.update_device(
        DEVICE,
        [
            metric("Speed", DataType.INT32, -1200),
            metric("Level", DataType.INT8, 127),
            metric("Serial", DataType.UINT32, 0),
            metric("On", DataType.BOOLEAN, True),
        ],
    )
    say(event="sent", message_type="DDATA")
    node.update(
        [
            metric("Count", DataType.INT64, 42),
            metric("Running", DataType.BOOLEAN, False),
            metric("Mode", DataType.STRING, "manual"),
            metric("Offset32", DataType.INT32, -2_147_483_648),
        ]
    )
    say(event="sent", message_type="NDATA")
    say(event="data_sent")

    # Stay online until told to leave (a line on stdin) or SECONDS have passed.
    select.select([sys.stdin], [], [], seconds)
    node.disconnect()
    say(event="disconnected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
