"""RIPE's own Python library, as Debian ships it: cousteau 1.4's AtlasStream on socketIO-client 0.6
(Engine.IO 3: binary-framed long-polling, then the websocket upgrade). AtlasStream connects to
port 80 of the server it is given.

Usage: cousteau_stream.py HOST MSM COUNT BUFFERING(true|false)
Prints one JSON line per event; exits after COUNT results (or 20 s).
"""
import json
import sys
import threading
import time

from ripe.atlas.cousteau import AtlasStream

host, msm, count, buffering = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "true"


printing = threading.Lock()


def say(**fields):
    # Whole lines only: handlers run on the client's threads.
    with printing:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


results = []
stream = AtlasStream(debug=True, server=host)
stream.connect()
stream.bind_channel("atlas_result", results.append)
stream.bind_channel("atlas_subscribed", lambda params: say(event="subscribed", params=params, transport=stream.socketIO.transport_name))
stream.bind_channel("atlas_error", lambda error: say(event="error", error=error))
stream.start_stream(stream_type="result", msm=msm, buffering=buffering)
deadline = time.monotonic() + 20
while len(results) < count and time.monotonic() < deadline:
    stream.timeout(seconds=0.2)
for result in results:
    say(event="result", result=result)
stream.disconnect()
say(event="done", results=len(results))
