"""Knowing when a SUB's subscription has reached the broker's XPUB.

ZeroMQ does not say. XPUB passes subscriptions on in order, so a SUB that
subscribes to PROBE after its real topics is in place once a record produced
to PROBE comes back (docs/transports/zeromq.md, section 4).
"""
import sys
import time


def wait_until_subscribed(sub, dealer, probe, seconds):
    """Produces to PROBE over DEALER until SUB receives one; exits on timeout."""
    deadline = time.monotonic() + seconds
    while True:
        if time.monotonic() > deadline:
            sys.exit("no probe record came back")
        dealer.send_multipart([b"J1", b"PUB", probe, b"", b"probe"])
        while sub.poll(200):
            if sub.recv_multipart()[0] == probe:
                return
