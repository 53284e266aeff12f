"""python3-websocket against the plain WebSocket at /stream/, unpacking RIPE's documented
`event, payload = json.loads(msg)` for every frame.

Usage: websocket_client.py GATEWAY_URL MSM COUNT QUIET_MSM READ_TIMEOUT
Prints one JSON line per frame; then, on a quiet subscription, reads with READ_TIMEOUT seconds and
reports whether (and after how long) the timeout fired.
"""
import json
import sys
import threading
import time

import websocket

url, msm, count, quiet, read_timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
stream_url = url.replace("http", "ws", 1) + "/stream/?client=test-suite"


printing = threading.Lock()


def say(**fields):
    # Whole lines only: handlers run on the client's threads.
    with printing:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def receive(ws):
    event, payload = json.loads(ws.recv())
    say(event=event, payload=payload)
    return event, payload


ws = websocket.create_connection(stream_url, timeout=20)
ws.send(json.dumps(["atlas_subscribe", {"streamType": "result", "msm": msm}]))
receive(ws)
results = 0
while results < count:
    event, _ = receive(ws)
    results += event == "atlas_result"
ws.send(json.dumps(["atlas_subscribe", {"streamType": "result", "msm": "not-a-number"}]))
receive(ws)
ws.send(json.dumps(["atlas_unsubscribe", {"streamType": "result", "msm": msm}]))
receive(ws)
ws.close()

quiet_ws = websocket.create_connection(stream_url, timeout=read_timeout)
quiet_ws.send(json.dumps(["atlas_subscribe", {"streamType": "result", "msm": quiet}]))
event, payload = json.loads(quiet_ws.recv())
say(event="quiet", subscribed=event, local_port=quiet_ws.sock.getsockname()[1])
started = time.monotonic()
try:
    frame = quiet_ws.recv()
    say(event="unexpected", frame=frame, after=time.monotonic() - started)
except websocket.WebSocketTimeoutException:
    say(event="timeout", after=time.monotonic() - started)
quiet_ws.close()
