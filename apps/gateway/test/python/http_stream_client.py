"""The plain HTTP stream read with Python's standard library and a read timeout, on a quiet
subscription: every line unpacks as `event, payload`, and the timeout fires.

Usage: http_stream_client.py GATEWAY_URL QUIET_MSM READ_TIMEOUT
"""
import json
import socket
import sys
import threading
import time
import urllib.request

url, quiet, read_timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])


printing = threading.Lock()


def say(**fields):
    # Whole lines only: handlers run on the client's threads.
    with printing:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


response = urllib.request.urlopen("%s/stream/?streamType=result&msm=%d" % (url, quiet), timeout=read_timeout)
event, payload = json.loads(response.readline())
say(event="quiet", subscribed=event, payload=payload, local_port=response.fp.raw._sock.getsockname()[1])
started = time.monotonic()
try:
    line = response.readline()
    say(event="unexpected", line=line.decode("utf8"), after=time.monotonic() - started)
except socket.timeout:
    say(event="timeout", after=time.monotonic() - started)
response.close()
