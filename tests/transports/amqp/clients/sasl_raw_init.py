"""Sends the SASL header and a sasl-init in one write, before seeing the
server's mechanisms (as a pipelining client may), and prints the sasl-outcome
code the server answers: "outcome 0" (ok), "outcome 1" (auth), or "no outcome".
"""
import argparse
import socket
import struct
import sys

SASL_HEADER = b"AMQP\x03\x01\x00\x00"
SASL_INIT = b"\x00\x53\x41"  # descriptor: ulong 0x41
SASL_OUTCOME = b"\x00\x53\x44"  # descriptor: ulong 0x44


def sasl_init_frame(mechanism, response):
    fields = b"\xa3" + bytes([len(mechanism)]) + mechanism  # sym8
    fields += b"\xa0" + bytes([len(response)]) + response  # vbin8
    body = SASL_INIT + b"\xc0" + bytes([len(fields) + 1, 2]) + fields  # list8 of 2
    return struct.pack(">IBBH", 8 + len(body), 2, 1, 0) + body  # doff 2, SASL frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("mechanism")
    parser.add_argument("--authzid", default="")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    if args.mechanism == "PLAIN":
        response = args.authzid.encode() + b"\0" + args.user.encode() + b"\0" + args.password.encode()
    else:
        response = args.user.encode()
    with socket.create_connection(("127.0.0.1", args.port), timeout=5) as connection:
        connection.sendall(SASL_HEADER + sasl_init_frame(args.mechanism.encode(), response))
        received = b""
        try:
            while SASL_OUTCOME not in received:
                chunk = connection.recv(4096)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
    at = received.find(SASL_OUTCOME)
    # The outcome is a list whose first field, the code, is a ubyte (0x50 NN).
    fields = received[at + len(SASL_OUTCOME):]
    code_at = fields.find(b"\x50") if at >= 0 else -1
    print("outcome %d" % fields[code_at + 1] if code_at >= 0 else "no outcome", flush=True)


if __name__ == "__main__":
    sys.exit(main())
