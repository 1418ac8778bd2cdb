"""Sends requests that no well-behaved client sends on its own (a flipped CRC
byte, a retried idempotent batch, a sequence gap, a stale producer epoch), or
that kafka-python has no API for (InitProducerId), built with kafka-python's
own record encoder and protocol classes. Prints one line per step:
"<step> <error code> <offset or producer id>"."""
import argparse
import socket
import time
import zlib

from kafka.conn import BrokerConnection
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.api import Request, Response
from kafka.protocol.produce import ProduceRequest
from kafka.protocol.types import Int16, Int32, Int64, Schema, String
from kafka.record.default_records import DefaultRecordBatchBuilder


class InitProducerIdResponse(Response):
    API_KEY = 22
    API_VERSION = 0
    SCHEMA = Schema(("throttle_time_ms", Int32), ("error_code", Int16), ("producer_id", Int64),
                    ("producer_epoch", Int16))


class InitProducerIdRequest(Request):
    API_KEY = 22
    API_VERSION = 0
    RESPONSE_TYPE = InitProducerIdResponse
    SCHEMA = Schema(("transactional_id", String("utf-8")), ("transaction_timeout_ms", Int32))


class Broker:
    def __init__(self, port):
        self.conn = BrokerConnection("127.0.0.1", port, socket.AF_INET, api_version=(2, 4, 0),
                                     request_timeout_ms=10000)
        assert self.conn.connect_blocking(10), "cannot connect"

    def call(self, request):
        future = self.conn.send(request)
        deadline = time.monotonic() + 10
        while not future.is_done and time.monotonic() < deadline:
            for response, waiting in self.conn.recv():
                waiting.success(response)
        assert future.is_done, "no answer within 10 s"
        assert future.succeeded(), f"request failed: {future.exception}"
        return future.value

    def call_pipelined(self, requests):
        futures = [self.conn.send(request) for request in requests]
        deadline = time.monotonic() + 10
        while not all(f.is_done for f in futures) and time.monotonic() < deadline:
            for response, waiting in self.conn.recv():
                waiting.success(response)
        assert all(f.succeeded() for f in futures), "no answer within 10 s"
        return [f.value for f in futures]

    @staticmethod
    def produce_request(topic, partition, records, acks=-1):
        return ProduceRequest[3](transactional_id=None, required_acks=acks, timeout=10000,
                                 topics=[(topic, [(partition, records)])])

    @staticmethod
    def produce_result(response):
        _, partitions = response.topics[0]
        _, error, offset, _ = partitions[0]
        return error, offset

    def produce(self, topic, partition, records, acks=-1):
        return self.produce_result(self.call(self.produce_request(topic, partition, records, acks)))

    def fetch(self, topic, partition, offset):
        response = self.call(FetchRequest[4](
            replica_id=-1, max_wait_time=0, min_bytes=0, max_bytes=1 << 20, isolation_level=0,
            topics=[(topic, [(partition, offset, 1 << 20)])]))
        _, partitions = response.topics[0]
        _, error, high_watermark = partitions[0][:3]
        return error, high_watermark


def producer_ids(broker, _):
    for step, transactional_id in (("first", None), ("second", None), ("transactional", "tx")):
        response = broker.call(InitProducerIdRequest(transactional_id=transactional_id,
                                                     transaction_timeout_ms=60000))
        print(f"{step} {response.error_code} {response.producer_id} {response.producer_epoch}")


def batch(values, producer_id=-1, epoch=-1, sequence=-1, transactional=False):
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0,
                                        is_transactional=transactional, producer_id=producer_id,
                                        producer_epoch=epoch, base_sequence=sequence,
                                        batch_size=1 << 20)
    for i, value in enumerate(values):
        builder.append(i, timestamp=None, key=None, value=value.encode(), headers=[])
    return bytes(builder.build())


def corrupt(broker, topic):
    good = batch(["intact"])
    flipped = bytearray(good)
    flipped[-1] ^= 0xFF
    print("flipped_crc %d %d" % broker.produce(topic, 0, bytes(flipped)))
    print("truncated %d %d" % broker.produce(topic, 0, good[:-5]))
    print("intact %d %d" % broker.produce(topic, 0, good))
    # Several batches for one partition are appended in order, or not at all.
    two = batch(["first-of-two"]) + batch(["second-of-two"])
    print("two_batches %d %d" % broker.produce(topic, 0, two))
    print("good_then_flipped %d %d" % broker.produce(topic, 0, good + bytes(flipped)))


def idempotence(broker, topic):
    producer_id = int(time.time() * 1000)
    first = batch(["a0", "a1", "a2"], producer_id, 0, 0)
    print("first %d %d" % broker.produce(topic, 0, first))
    print("retry_of_first %d %d" % broker.produce(topic, 0, first))
    print("second %d %d" % broker.produce(topic, 0, batch(["b3", "b4"], producer_id, 0, 3)))
    print("late_retry_of_first %d %d" % broker.produce(topic, 0, first))
    print("gap %d %d" % broker.produce(topic, 0, batch(["c9"], producer_id, 0, 9)))
    print("new_epoch_mid_sequence %d %d" % broker.produce(
        topic, 0, batch(["d5"], producer_id, 1, 5)))
    print("new_epoch %d %d" % broker.produce(topic, 0, batch(["e0"], producer_id, 1, 0)))
    print("stale_epoch %d %d" % broker.produce(topic, 0, batch(["f5"], producer_id, 0, 5)))
    print("high_watermark %d %d" % broker.fetch(topic, 0, 0))


def restart_producer_id(topic):
    """The same producer id in both halves of the restart scenario."""
    return zlib.crc32(topic.encode()) + 1


def before_restart(broker, topic):
    producer_id = restart_producer_id(topic)
    print("first %d %d" % broker.produce(topic, 0, batch(["r0", "r1", "r2"], producer_id, 0, 0)))
    print("second %d %d" % broker.produce(topic, 0, batch(["r3"], producer_id, 0, 3)))


def after_restart(broker, topic):
    """The producer retries its last batches after the broker restarted."""
    producer_id = restart_producer_id(topic)
    print("retry_of_second %d %d" % broker.produce(topic, 0, batch(["r3"], producer_id, 0, 3)))
    print("retry_of_first %d %d" % broker.produce(
        topic, 0, batch(["r0", "r1", "r2"], producer_id, 0, 0)))
    print("gap %d %d" % broker.produce(topic, 0, batch(["r9"], producer_id, 0, 9)))
    print("next %d %d" % broker.produce(topic, 0, batch(["r4"], producer_id, 0, 4)))
    print("high_watermark %d %d" % broker.fetch(topic, 0, 0))


def pipelined_retry(broker, topic):
    """The retry is sent before the original is answered, so with
    flush = "always" it usually finds the original still waiting for its
    fsync."""
    producer_id = int(time.time() * 1000)
    records = batch(["p0", "p1"], producer_id, 0, 0)
    request = broker.produce_request(topic, 0, records)
    for step, response in zip(("original", "retry", "second_retry"),
                              broker.call_pipelined([request, request, request])):
        print("%s %d %d" % ((step,) + broker.produce_result(response)))
    print("high_watermark %d %d" % broker.fetch(topic, 0, 0))


def transactional(broker, topic):
    print("transactional %d %d" % broker.produce(
        topic, 0, batch(["t"], int(time.time() * 1000), 0, 0, transactional=True)))


def unknown_topic(broker, topic):
    print("produce %d %d" % broker.produce(topic, 0, batch(["x"])))
    print("fetch %d %d" % broker.fetch(topic, 0, 0))


def out_of_range(broker, topic):
    print("produce %d %d" % broker.produce(topic, 0, batch(["only"])))
    print("fetch_beyond_end %d %d" % broker.fetch(topic, 0, 1000))
    print("fetch_unknown_partition %d %d" % broker.fetch(topic, 99, 0))


SCENARIOS = {"corrupt": corrupt, "idempotence": idempotence, "transactional": transactional,
             "unknown-topic": unknown_topic, "out-of-range": out_of_range, "producer-ids": producer_ids,
             "pipelined-retry": pipelined_retry, "before-restart": before_restart,
             "after-restart": after_restart}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    SCENARIOS[args.scenario](Broker(args.port), args.topic)


if __name__ == "__main__":
    main()
