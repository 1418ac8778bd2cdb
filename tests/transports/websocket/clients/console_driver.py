"""Drives the Junction console in a running headless Chromium through the
Chrome DevTools Protocol (python3-websockets, asyncio client).

usage: console_driver.py PROFILE_DIR

PROFILE_DIR is Chromium's --user-data-dir; started with --remote-debugging-port=0
it writes the port it chose to PROFILE_DIR/DevToolsActivePort.

Reads one JSON command per line on stdin and answers each with one JSON line
on stdout; every wait has a deadline, so a missing record is an answer
({"ok": false, ...}), never a hang:
  {"do": "open", "url": U}                 -> page loaded, publish socket open
  {"do": "topics", "expect": T}            -> Refresh until topic T is listed
  {"do": "tail", "topic": T}               -> tail started and subscribed
  {"do": "publish", "topic": T, "key": K, "value": V, "headers": "n=v"}
                                           -> the text shown in #publish-result
  {"do": "wait_record", "value": V}        -> the tail row whose value is V
  {"do": "screenshot", "path": P}          -> PNG written to P
  {"do": "close"}                          -> Chromium asked to exit
"""

import asyncio
import base64
import json
import os
import sys
import time
import urllib.request

import websockets

DEADLINE_SECONDS = 15.0


class DevTools:
    """One CDP session on the browser's page target."""

    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0

    async def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        await self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(await asyncio.wait_for(self.socket.recv(), DEADLINE_SECONDS))
            if message.get("id") != call_id:
                continue  # an event, or a reply nobody waits for any more
            if "error" in message:
                raise RuntimeError(f"{method}: {message['error']}")
            return message["result"]

    async def evaluate(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def poll(self, expression):
        """The first truthy value of `expression`, or None at the deadline."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.05)
        return None


def page_target_url(profile_dir):
    """The page's debugger URL, once Chromium answers on its DevTools port."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        try:
            with open(os.path.join(profile_dir, "DevToolsActivePort")) as file:
                port = int(file.readline())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as reply:
                pages = [t for t in json.load(reply) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except (OSError, ValueError):
            pass  # not written yet, or written halfway, or not listening yet
        if time.monotonic() > deadline:
            raise RuntimeError(f"no DevTools page target for {profile_dir}")
        time.sleep(0.1)


def js(value):
    return json.dumps(value)


async def fill(tools, element_id, value):
    await tools.evaluate(f"document.getElementById({js(element_id)}).value = {js(value)}")


async def run(tools, command):
    action = command["do"]
    if action == "open":
        await tools.call("Page.navigate", url=command["url"])
        connected = await tools.poll(
            "document.readyState === 'complete' &&"
            " document.getElementById('connection-status')?.textContent === 'connected'")
        status = await tools.evaluate("document.getElementById('connection-status')?.textContent")
        return {"ok": bool(connected), "connection": status}
    if action == "topics":
        found = await tools.poll(f"""(() => {{
            document.getElementById('topics-refresh').click();
            const item = document.querySelector(`#topic-list li[data-topic=${{CSS.escape({js(command['expect'])})}}]`);
            return item && item.textContent;
        }})()""")
        return {"ok": bool(found), "item": found}
    if action == "tail":
        await fill(tools, "tail-topic", command["topic"])
        await tools.evaluate("document.getElementById('tail-start').click()")
        status = await tools.poll("(() => { const s = document.getElementById('tail-status');"
                                  " return s.className === 'ok' && s.textContent; })()")
        return {"ok": bool(status), "status": status}
    if action == "publish":
        for field in ("topic", "key", "value", "headers"):
            await fill(tools, f"publish-{field}", command.get(field, ""))
        await tools.evaluate("document.getElementById('publish-result').className = 'pending';"
                             "document.getElementById('publish-submit').click()")
        shown = await tools.poll("(() => { const r = document.getElementById('publish-result');"
                                 " return (r.className === 'ok' || r.className === 'error') &&"
                                 " {kind: r.className, text: r.textContent}; })()")
        return {"ok": bool(shown) and shown["kind"] == "ok", "result": shown}
    if action == "wait_record":
        row = await tools.poll(f"""(() => {{
            for (const row of document.querySelectorAll('#tail-records tr')) {{
                const cells = [...row.cells].map((c) => c.textContent);
                if (cells[4] === {js(command['value'])})
                    return {{partition: cells[0], offset: cells[1], key: cells[3],
                             value: cells[4], headers: cells[5]}};
            }}
            return null;
        }})()""")
        if row:
            return {"ok": True, "row": row}
        rows = await tools.evaluate("document.getElementById('tail-records').innerText")
        return {"ok": False, "rows": rows}
    if action == "screenshot":
        shot = await tools.call("Page.captureScreenshot", format="png")
        with open(command["path"], "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        return {"ok": True, "path": command["path"]}
    if action == "close":
        # Closing lets Chromium reap its own helper processes, which a SIGKILL
        # would orphan; the socket may drop before the reply arrives.
        try:
            await tools.call("Browser.close")
        except websockets.ConnectionClosed:
            pass
        return {"ok": True}
    raise RuntimeError(f"unknown command {action}")


async def main(profile_dir):
    url = page_target_url(profile_dir)
    async with websockets.connect(url, max_size=None, open_timeout=DEADLINE_SECONDS) as socket:
        tools = DevTools(socket)
        await tools.call("Page.enable")
        await tools.call("Runtime.enable")
        await tools.call("Emulation.setDeviceMetricsOverride", width=1280, height=800,
                         deviceScaleFactor=1, mobile=False)
        print(json.dumps({"ok": True, "ready": True}), flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = json.loads(line)
            try:
                answer = await run(tools, command)
            except (RuntimeError, asyncio.TimeoutError) as error:
                answer = {"ok": False, "error": str(error)}
            print(json.dumps({"do": command["do"], **answer}), flush=True)
            if command["do"] == "close":
                return


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
