"""Connects with the given SASL settings and sends messages, reporting each step.

Prints "connected", then "accepted N" per settled message, and on a refusal
"refused outcome=OUTCOME condition=NAME" (OUTCOME: the SASL outcome code's
name, or "none" when no outcome was received). With --count 0 it sends one
message every --interval seconds until killed.
"""
import argparse
import sys

from proton import Message
from proton.handlers import MessagingHandler
from proton.reactor import Container

SASL_OUTCOMES = {None: "none", -1: "none", 0: "ok", 1: "auth", 2: "sys", 3: "perm", 4: "temp"}


class Client(MessagingHandler):
    def __init__(self, args):
        super().__init__()
        self.args = args
        self.sent = 0
        self.accepted = 0
        self.done = False

    def on_start(self, event):
        options = dict(reconnect=False)
        if self.args.no_sasl:
            options["sasl_enabled"] = False
        else:
            options["allowed_mechs"] = self.args.mechs
            options["allow_insecure_mechs"] = True
        if self.args.user:
            options.update(user=self.args.user, password=self.args.password)
        self.connection = event.container.connect(self.args.url, **options)
        self.sender = event.container.create_sender(self.connection, self.args.address)
        self.deadline = event.container.schedule(self.args.timeout, self)

    def on_timer_task(self, event):
        if self.done:
            return
        if self.args.count == 0 and self.accepted > 0 and self.sent == self.accepted:
            self.send_one()
            return
        self.report("timeout")
        self.finish()

    def on_connection_opened(self, event):
        self.report("connected")

    def on_sendable(self, event):
        if self.sent == self.accepted and (self.args.count == 0 or self.sent < self.args.count):
            self.send_one()

    def send_one(self):
        if self.sender.credit > 0:
            self.sent += 1
            self.sender.send(Message(body="message %d" % self.sent))

    def on_accepted(self, event):
        self.accepted += 1
        self.report("accepted %d" % self.accepted)
        if self.args.count == 0:
            event.container.schedule(self.args.interval, self)
        elif self.accepted < self.args.count:
            self.send_one()
        else:
            self.finish()

    def on_transport_error(self, event):
        self.refused(event.transport.condition, event.transport.sasl().outcome)

    def on_connection_error(self, event):
        self.refused(event.connection.remote_condition, event.transport.sasl().outcome)

    def refused(self, condition, outcome):
        if not self.done:
            name = condition.name if condition else "none"
            self.report("refused outcome=%s condition=%s" % (SASL_OUTCOMES.get(outcome, outcome), name))
        self.finish()

    def finish(self):
        self.done = True
        self.deadline.cancel()
        self.connection.close()

    def report(self, line):
        print(line, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--address", default="sasl-test")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--mechs", default="ANONYMOUS PLAIN")
    parser.add_argument("--no-sasl", action="store_true")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=10)
    Container(Client(parser.parse_args())).run()


if __name__ == "__main__":
    sys.exit(main())
