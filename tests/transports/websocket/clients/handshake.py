"""handshake.py URL [ORIGIN] [TOKEN]: tries one upgrade, reports the HTTP status
(101 when accepted) and, when accepted, that a publish is acked and that
permessage-deflate (which the client offers) was negotiated."""
import asyncio
import sys

import websockets

from wsclient import connect, receive_op, report, send


async def main(url, origin, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with connect(url, origin=origin or None, extra_headers=headers) as ws:
            await send(ws, op="publish", id=1, topic="t", value="x")
            acked = (await receive_op(ws, "ack"))["id"] == 1
            deflate = any("permessage-deflate" in extension.name for extension in ws.extensions)
            report(status=101, acked=acked, deflate=deflate)
    except websockets.InvalidStatusCode as refused:
        report(status=refused.status_code, acked=False, deflate=False)


asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "",
                 sys.argv[3] if len(sys.argv) > 3 else ""))
