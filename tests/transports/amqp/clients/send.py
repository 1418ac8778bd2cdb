"""Sends numbered messages with Proton's event-driven Container as fast as
credit allows, then prints one line:
  result accepted=N rejected=N released=N sent=N max_credit=N
         max_credit_plus_unsettled=N remote_max_message_size=N
         conditions=NAME:COUNT,... link_error=NAME|-
Message i carries the body "value-i" (or --body-size bytes), and with
--keyed the annotation x-opt-partition-key "key-(i % 13)" (with --subject-key
the subject instead), with --properties application-properties, ids and a
content type, with --timestamp-base a creation time of base + i ms."""
import argparse
import sys

from proton import Message, symbol, ulong
from proton.handlers import MessagingHandler
from proton.reactor import AtMostOnce, Container


def build_message(args, i):
    body = b"x" * args.body_size if args.body_size is not None else ("value-%d" % i).encode()
    message = Message(body=body, inferred=True)
    if args.keyed:
        if args.subject_key:
            message.subject = "key-%d" % (i % 13)
        else:
            message.annotations = {symbol("x-opt-partition-key"): "key-%d" % (i % 13)}
    if args.properties:
        message.properties = {"index": i, "tag": "t%d" % i, "raw": b"\x00\xff", "flag": True}
        message.id = "id-%d" % i
        message.correlation_id = ulong(i)
        message.content_type = "text/plain"
    if args.timestamp_base is not None:
        # Proton converts seconds with int(s * 1000): the half keeps it exact.
        message.creation_time = (args.timestamp_base + i + 0.5) / 1000.0
    return message


class Sender(MessagingHandler):
    def __init__(self, args):
        super().__init__(auto_settle=True)
        self.args = args
        self.sent = 0
        self.settled = 0
        self.outcomes = {"accepted": 0, "rejected": 0, "released": 0}
        self.conditions = {}
        self.max_credit = 0
        self.max_credit_plus_unsettled = 0
        self.remote_max_message_size = 0
        self.link_error = "-"
        self.timer = None
        self.done = False

    def on_start(self, event):
        self.timer = event.container.schedule(self.args.timeout, self)
        connection = event.container.connect(self.args.url, reconnect=False)
        options = AtMostOnce() if self.args.presettled else None
        event.container.create_sender(connection, self.args.address, options=options)

    def on_timer_task(self, event):
        print("timeout after %d sent, %d settled" % (self.sent, self.settled), file=sys.stderr)
        self.finish(event.container)

    def observe(self, sender):
        unsettled = self.sent - self.settled if not self.args.presettled else 0
        self.max_credit = max(self.max_credit, sender.credit)
        self.max_credit_plus_unsettled = max(self.max_credit_plus_unsettled,
                                             sender.credit + unsettled)

    def on_link_opened(self, event):
        self.remote_max_message_size = event.link.remote_max_message_size
        print("opened", flush=True)

    def on_sendable(self, event):
        sender = event.sender
        self.observe(sender)
        while sender.credit > 0 and self.sent < self.args.count:
            sender.send(build_message(self.args, self.sent))
            self.sent += 1
        if self.args.presettled and self.sent == self.args.count:
            self.finish(event.container, event.connection)

    def settle(self, event, outcome):
        self.outcomes[outcome] += 1
        condition = event.delivery.remote.condition
        if condition is not None:
            self.conditions[condition.name] = self.conditions.get(condition.name, 0) + 1
        self.settled += 1
        self.observe(event.link)
        if self.settled == self.args.count:
            self.finish(event.container, event.connection)

    def on_accepted(self, event):
        self.settle(event, "accepted")

    def on_rejected(self, event):
        self.settle(event, "rejected")

    def on_released(self, event):
        self.settle(event, "released")

    def on_link_error(self, event):
        self.link_error = event.link.remote_condition.name
        self.finish(event.container, event.connection)

    # Proton's MessagingHandler leaves a connection closed with
    # amqp:connection:forced open, to reconnect; this client answers the close.
    def on_connection_remote_close(self, event):
        condition = event.connection.remote_condition
        if condition is not None:
            self.link_error = condition.name
        self.finish(event.container, event.connection)

    def on_connection_error(self, event):
        self.link_error = event.connection.remote_condition.name
        self.finish(event.container, event.connection)

    def on_transport_error(self, event):
        self.link_error = "transport:" + str(event.transport.condition.name)
        self.finish(event.container)

    def finish(self, container, connection=None):
        if self.done:
            return
        self.done = True
        if self.timer:
            self.timer.cancel()
        if connection is not None:
            connection.close()
        else:
            container.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--body-size", type=int)
    parser.add_argument("--keyed", action="store_true")
    parser.add_argument("--subject-key", action="store_true")
    parser.add_argument("--properties", action="store_true")
    parser.add_argument("--timestamp-base", type=int)
    parser.add_argument("--presettled", action="store_true")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    sender = Sender(args)
    Container(sender).run()
    conditions = ",".join("%s:%d" % item for item in sorted(sender.conditions.items())) or "-"
    print("result accepted=%d rejected=%d released=%d sent=%d max_credit=%d "
          "max_credit_plus_unsettled=%d remote_max_message_size=%d conditions=%s link_error=%s" %
          (sender.outcomes["accepted"], sender.outcomes["rejected"], sender.outcomes["released"],
           sender.sent, sender.max_credit, sender.max_credit_plus_unsettled,
           sender.remote_max_message_size, conditions, sender.link_error))


main()
