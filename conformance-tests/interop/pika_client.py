"""Drives a broker with Python's pika the way its tutorials do: declare, publish, consume with manual acks, get.

Usage: python3 pika_client.py AMQP_URL QUEUE_NAME
Prints one JSON object with what it observed; exits non-zero on any error.
"""
import json
import sys

import pika

url, queue = sys.argv[1], sys.argv[2]
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.confirm_delivery()
declared = channel.queue_declare(queue=queue, durable=False, auto_delete=False)
for i in range(3):
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=("pika-%d" % i).encode(),
        properties=pika.BasicProperties(content_type="text/plain", headers={"n": i}),
    )

consumed = []
channel.basic_qos(prefetch_count=1)
for method, properties, body in channel.consume(queue, inactivity_timeout=5):
    if method is None:
        break
    consumed.append({"body": body.decode(), "n": properties.headers["n"], "type": properties.content_type})
    channel.basic_ack(method.delivery_tag)
    if len(consumed) == 2:
        break
channel.cancel()

method, properties, body = channel.basic_get(queue, auto_ack=False)
got = body.decode() if body is not None else None
if method is not None:
    channel.basic_ack(method.delivery_tag)
after = channel.queue_declare(queue=queue, passive=True)
channel.queue_delete(queue=queue)
connection.close()
print(json.dumps({
    "declared": declared.method.queue,
    "consumed": consumed,
    "got": got,
    "remaining": after.method.message_count,
}))
