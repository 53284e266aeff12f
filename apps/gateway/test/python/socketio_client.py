"""python-socketio 5.x (Engine.IO 4), as a RIPE Atlas user writes it: one-argument handlers.

Usage: socketio_client.py GATEWAY_URL MSM COUNT
Prints one JSON line per event; exits after COUNT results (or 20 s).
"""
import json
import sys
import threading

import socketio

url, msm, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sio = socketio.Client()
results = []
done = threading.Event()


printing = threading.Lock()


def say(**fields):
    # Whole lines only: handlers run on the client's threads.
    with printing:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


@sio.on("atlas_subscribed")
def on_subscribed(params):
    say(event="subscribed", params=params, transport=sio.transport())


@sio.on("atlas_result")
def on_result(result):
    results.append(result)
    say(event="result", result=result)
    if len(results) >= count:
        done.set()


@sio.on("atlas_error")
def on_error(error):
    say(event="error", error=error)


sio.connect(url, socketio_path="stream/socket.io", wait_timeout=10)
sio.emit("atlas_subscribe", {"stream_type": "result", "msm": msm})
done.wait(20)
sio.disconnect()
say(event="done", results=len(results))
