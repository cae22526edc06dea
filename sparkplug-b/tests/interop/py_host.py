"""A pysparkplug subscriber for the interop test `tests/broker/interop.rs`.

Usage: py_host.py HOST PORT GROUP SECONDS

Subscribes with pysparkplug's Client to spBv1.0/GROUP/# (QoS 1) and prints one JSON line per
message, as pysparkplug decoded it (aliases and datatypes of data messages resolved by
pysparkplug itself through the last birth):

  {"topic": ..., "message_type": "NBIRTH", "seq": 0, "timestamp": ...,
   "metrics": [{"name": ..., "alias": ..., "datatype": 10, "datatype_name": "DOUBLE",
                "value": ..., "is_null": false}, ...]}

A message pysparkplug fails to decode gives {"topic": ..., "message_type": ..., "error": ...,
"seq": ..., "raw": [...]} instead, "raw" listing each metric's name, alias, datatype, value field and
value as they are on the wire (read with pysparkplug's bundled protobuf classes). The first line
is {"event": "ready"}, once the broker acknowledged the subscription. Exits after SECONDS.
"""

import base64
import datetime
import json
import logging
import sys
import threading
import time

from pysparkplug import MULTI_LEVEL_WILDCARD, Client, QoS, Topic
from pysparkplug import _protobuf as protobuf  # only to show what failed to decode

_print_lock = threading.Lock()


def say(fields):
    with _print_lock:
        print(json.dumps(fields), flush=True)


def jsonable(value):
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    return value


def raw_fields(payload):
    """The seq and metrics of a payload as they are on the wire."""
    try:
        pb = protobuf.Payload.FromString(payload)
    except Exception as error:  # noqa: BLE001
        return {"raw": repr(error)}
    metrics = []
    for m in pb.metrics:
        field = m.WhichOneof("value")
        value = getattr(m, field) if field else None
        metrics.append(
            {
                "name": m.name if m.HasField("name") else None,
                "alias": m.alias if m.HasField("alias") else None,
                "datatype": m.datatype if m.HasField("datatype") else None,
                "field": field,
                "value": jsonable(value),
            }
        )
    return {"seq": pb.seq if pb.HasField("seq") else None, "raw": metrics}


class ReportingClient(Client):
    """pysparkplug's Client, reporting a message it cannot decode instead of raising in paho's
    network thread (which would stop the loop)."""

    def _handle_message(self, mqtt_message):
        try:
            return super()._handle_message(mqtt_message)
        except Exception as error:  # noqa: BLE001
            parts = mqtt_message.topic.split("/")
            say(
                {
                    "topic": mqtt_message.topic,
                    "message_type": parts[2] if len(parts) > 2 else None,
                    "error": f"{type(error).__name__}: {error}",
                    **raw_fields(mqtt_message.payload),
                }
            )
            return None


def on_message(_client, message):
    if message is None:
        return
    payload = message.payload
    fields = {
        "topic": str(message.topic),
        "message_type": str(message.topic.message_type),
        "qos": int(message.qos),
        "retain": bool(message.retain),
        "timestamp": getattr(payload, "timestamp", None),
        "seq": getattr(payload, "seq", None),
    }
    if hasattr(payload, "metrics"):
        metrics = payload.metrics
    elif hasattr(payload, "bd_seq_metric"):
        metrics = (payload.bd_seq_metric,)
    else:
        metrics = ()
    fields["metrics"] = [
        {
            "name": m.name,
            "alias": m.alias,
            "datatype": int(m.datatype),
            "datatype_name": m.datatype.name,
            "value": jsonable(m.value),
            "is_null": m.is_null,
        }
        for m in metrics
    ]
    say(fields)


def main():
    host, port, group, seconds = sys.argv[1:5]
    port, seconds = int(port), float(seconds)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)

    client = ReportingClient(client_id=f"pysparkplug-interop-{group}")
    # pysparkplug has no SUBACK callback of its own: hook paho's, to say when we listen.
    client._client.on_subscribe = lambda *_: say({"event": "ready"})  # noqa: SLF001
    topic = Topic(group_id=group, message_type=MULTI_LEVEL_WILDCARD)
    client.subscribe(topic, QoS.AT_LEAST_ONCE, on_message)
    client.connect(host, port=port, keepalive=10)
    time.sleep(seconds)
    client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
