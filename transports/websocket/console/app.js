// The Junction console: lists topics, tails one live, publishes records.
// Plain browser JavaScript talking to the websocket transport's /ws endpoint.
"use strict";

const MAX_TAIL_ROWS = 500;
const socketUrl = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const byId = (id) => document.getElementById(id);

// ---- Topics ---------------------------------------------------------------

async function refreshTopics() {
  const list = byId("topic-list");
  const problem = byId("topics-error");
  try {
    const response = await fetch("api/topics", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const topics = await response.json();
    topics.sort((a, b) => a.name.localeCompare(b.name));
    list.replaceChildren(...topics.map(topicItem));
    byId("topic-names").replaceChildren(
      ...topics.map((topic) => Object.assign(document.createElement("option"), { value: topic.name })));
    if (topics.length === 0) list.append(Object.assign(document.createElement("li"), {
      className: "muted", textContent: "No topics yet: publish one." }));
    problem.hidden = true;
  } catch (error) {
    problem.textContent = `Could not load topics: ${error.message}`;
    problem.hidden = false;
  }
}

function topicItem(topic) {
  const item = document.createElement("li");
  item.dataset.topic = topic.name;
  item.title = "Tail this topic";
  const name = Object.assign(document.createElement("span"), { textContent: topic.name });
  const partitions = Object.assign(document.createElement("span"), {
    className: "partitions", textContent: `${topic.partitions}p` });
  item.append(name, partitions);
  item.addEventListener("click", () => {
    byId("tail-topic").value = topic.name;
    byId("publish-topic").value ||= topic.name;
    startTail(topic.name);
  });
  return item;
}

// ---- Live tail ------------------------------------------------------------
// Each tail has its own socket: closing it ends the subscription on the broker.

let tailSocket = null;

function startTail(topic) {
  stopTail();
  const socket = new WebSocket(socketUrl);
  tailSocket = socket;
  byId("tail-records").replaceChildren();
  setTailStatus(`Connecting to ${topic}…`, "muted");
  byId("tail-stop").disabled = false;
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ op: "subscribe", id: "tail", topic, mode: "broadcast", from: "latest" }));
  });
  socket.addEventListener("message", (event) => {
    if (socket !== tailSocket) return;
    const message = JSON.parse(event.data);
    if (message.op === "subscribed") {
      setTailStatus(`Tailing ${topic}: new records appear at the top.`, "ok");
    } else if (message.op === "record") {
      showRecord(message);
    } else if (message.op === "error") {
      setTailStatus(`Tail of ${topic} failed: ${message.code}: ${message.message}`, "error");
    }
  });
  socket.addEventListener("close", () => {
    if (socket !== tailSocket) return;
    tailSocket = null;
    byId("tail-stop").disabled = true;
    setTailStatus(`Tail of ${topic} ended: the connection closed.`, "error");
  });
}

function stopTail() {
  if (!tailSocket) return;
  const socket = tailSocket;
  tailSocket = null;
  socket.close();
  byId("tail-stop").disabled = true;
  setTailStatus("Stopped.", "muted");
}

function setTailStatus(text, kind) {
  const status = byId("tail-status");
  status.textContent = text;
  status.className = kind;
}

function showRecord(record) {
  const row = document.createElement("tr");
  row.className = "fresh record";
  const time = record.timestamp == null ? "" : new Date(record.timestamp).toLocaleTimeString();
  row.append(cell(String(record.partition)), cell(String(record.offset)), cell(time),
             payloadCell(record.key, record.encoding, "key"),
             payloadCell(record.value, record.encoding, "value"),
             cell(headersText(record.headers, record.encoding), "headers"));
  const rows = byId("tail-records");
  rows.prepend(row);
  while (rows.rows.length > MAX_TAIL_ROWS) rows.lastElementChild.remove();
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// A record with any non-UTF-8 byte arrives with every field base64-encoded;
// fields that decode to UTF-8 are shown as text, the others stay base64, marked.
function readable(text, encoding) {
  if (encoding !== "base64") return { text, binary: false };
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), binary: false };
  } catch {
    return { text: `base64:${text}`, binary: true };
  }
}

function payloadCell(text, encoding, className) {
  if (text == null) return Object.assign(cell("null", className), { title: `no ${className}` });
  const shown = readable(text, encoding);
  const td = cell(shown.text, className);
  if (shown.binary) td.classList.add("binary");
  return td;
}

function headersText(headers, encoding) {
  return Object.entries(headers ?? {})
    .map(([name, value]) => {
      const shownValue = value == null ? "" : readable(value, encoding).text;
      return `${readable(name, encoding).text}=${shownValue}`;
    })
    .join(", ");
}

// ---- Publish --------------------------------------------------------------
// One socket shared by every publish; replies find their request by id.

let publishSocket = null;
let nextRequestId = 1;
const pendingPublishes = new Map();

function openPublishSocket() {
  if (publishSocket && publishSocket.readyState <= WebSocket.OPEN) return publishSocket;
  const socket = new WebSocket(socketUrl);
  publishSocket = socket;
  socket.addEventListener("open", () => setConnection("connected", true));
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const done = pendingPublishes.get(message.id);
    if (!done) return;
    pendingPublishes.delete(message.id);
    done(message);
  });
  socket.addEventListener("close", () => {
    setConnection("disconnected", false);
    for (const done of pendingPublishes.values()) {
      done({ op: "error", code: "disconnected", message: "the connection closed before a reply" });
    }
    pendingPublishes.clear();
  });
  return socket;
}

function setConnection(text, open) {
  const status = byId("connection-status");
  status.textContent = text;
  status.classList.toggle("open", open);
}

function whenOpen(socket) {
  if (socket.readyState === WebSocket.OPEN) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("close", () => reject(new Error("could not connect")), { once: true });
  });
}

// "name=value" per line; a line without "=" is a header with an empty value.
function parseHeaders(text) {
  const headers = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf("=");
    if (at < 0) headers[line] = "";
    else headers[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return headers;
}

async function publish(event) {
  event.preventDefault();
  const result = byId("publish-result");
  const request = {
    op: "publish",
    id: String(nextRequestId++),
    topic: byId("publish-topic").value.trim(),
    value: byId("publish-value").value,
  };
  const key = byId("publish-key").value;
  if (key !== "") request.key = key;
  const headers = parseHeaders(byId("publish-headers").value);
  if (Object.keys(headers).length > 0) request.headers = headers;
  result.textContent = "Publishing…";
  result.className = "muted";
  try {
    const socket = openPublishSocket();
    await whenOpen(socket);
    const reply = await new Promise((resolve) => {
      pendingPublishes.set(request.id, resolve);
      socket.send(JSON.stringify(request));
    });
    if (reply.op === "ack") {
      result.textContent = `Stored in ${reply.topic ?? request.topic} partition ${reply.partition} at offset ${reply.offset}.`;
      result.className = "ok";
      refreshTopics();
    } else {
      result.textContent = `Error ${reply.code}: ${reply.message}`;
      result.className = "error";
    }
  } catch (error) {
    result.textContent = `Error: ${error.message}`;
    result.className = "error";
  }
}

// ---- Wiring ---------------------------------------------------------------

byId("topics-refresh").addEventListener("click", refreshTopics);
byId("tail-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const topic = byId("tail-topic").value.trim();
  if (topic) startTail(topic);
});
byId("tail-stop").addEventListener("click", stopTail);
byId("publish-form").addEventListener("submit", publish);
openPublishSocket();
refreshTopics();
