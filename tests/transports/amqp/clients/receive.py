"""An AMQP 1.0 receiver (Proton's event-driven Container), driven by a test.

Prints one line per event, flushed at once so the test can follow along:
  ready                                       the broker answered the attach
  message <partition> <offset> <delivery-count> <topic> <body>
  drained                                     the broker returned the credit
  error <condition> <description>             the broker closed the link
  done                                        --count messages arrived
What it does with each message (--outcome): accept, release (released),
modify (modified, delivery-failed), reject, or hold (never settles).
--credit grants that much credit once (no refill); --prefetch keeps a
refilling credit window instead. Exits 3 after --idle-timeout seconds without
a message, 4 when the broker closes the link.
"""
import argparse
import sys

from proton import Delivery, symbol
from proton.handlers import MessagingHandler
from proton.reactor import AtMostOnce, Container, Filter


def emit(*words):
    print(" ".join(str(word) for word in words), flush=True)


def text(body):
    if isinstance(body, (bytes, memoryview)):
        return bytes(body).decode()
    return str(body)


class Receiver(MessagingHandler):
    def __init__(self, args):
        super().__init__(prefetch=args.prefetch, auto_accept=False)
        self.args = args
        self.received = 0
        self.timer = None
        self.exit_code = 0

    def on_start(self, event):
        options = []
        if self.args.at_most_once:
            options.append(AtMostOnce())
        filters = {}
        if self.args.start:
            filters[symbol("x-opt-start")] = self.args.start
        if filters:
            options.append(Filter(filters))
        self.connection = event.container.connect(self.args.url)
        self.receiver = event.container.create_receiver(self.connection, self.args.address,
                                                        options=options)
        self.arm_idle_timer(event.container)

    def arm_idle_timer(self, container):
        if self.timer:
            self.timer.cancel()
        self.timer = container.schedule(self.args.idle_timeout, self)

    def on_timer_task(self, event):
        emit("error", "idle-timeout", "no message for", self.args.idle_timeout, "s")
        self.exit_code = 3
        event.container.stop()

    def on_link_opened(self, event):
        if event.receiver != self.receiver:
            return
        emit("ready")
        if self.args.drain:
            self.receiver.drain(self.args.drain)
        elif self.args.credit:
            self.receiver.flow(self.args.credit)

    def on_link_flow(self, event):
        if self.args.drain and event.receiver == self.receiver and self.receiver.credit == 0:
            emit("drained")
            self.finish(event)

    def on_link_error(self, event):
        condition = event.link.remote_condition
        emit("error", condition.name if condition else "none",
             condition.description if condition else "")
        self.exit_code = 4
        event.container.stop()

    def on_transport_error(self, event):
        condition = event.transport.condition
        emit("error", condition.name if condition else "transport",
             condition.description if condition else "")
        self.exit_code = 4
        event.container.stop()

    def on_message(self, event):
        message = event.message
        annotations = message.annotations or {}
        emit("message", int(annotations.get(symbol("x-opt-partition"), -1)),
             int(annotations.get(symbol("x-opt-offset"), -1)), message.delivery_count,
             annotations.get(symbol("x-opt-topic")), text(message.body))
        outcome = self.args.outcome
        delivery = event.delivery
        if self.args.at_most_once or outcome == "hold":
            pass
        elif outcome == "accept":
            self.accept(delivery)
        elif outcome == "release":
            self.release(delivery, delivered=False)
        elif outcome == "modify":
            self.release(delivery, delivered=True)
        elif outcome == "reject":
            self.reject(delivery)
        self.received += 1
        self.arm_idle_timer(event.container)
        if self.args.count and self.received >= self.args.count:
            emit("done")
            self.finish(event)

    def finish(self, event):
        if self.timer:
            self.timer.cancel()
        # Detach first so settlements reach the broker before the close.
        self.receiver.close()
        self.connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--outcome", default="accept",
                        choices=["accept", "release", "modify", "reject", "hold"])
    parser.add_argument("--prefetch", type=int, default=100)
    parser.add_argument("--credit", type=int, default=0)
    parser.add_argument("--drain", type=int, default=0)
    parser.add_argument("--at-most-once", action="store_true")
    parser.add_argument("--start")
    parser.add_argument("--idle-timeout", type=float, default=20)
    args = parser.parse_args()
    if args.credit or args.drain:
        args.prefetch = 0
    handler = Receiver(args)
    Container(handler).run()
    sys.exit(handler.exit_code)


if __name__ == "__main__":
    main()
