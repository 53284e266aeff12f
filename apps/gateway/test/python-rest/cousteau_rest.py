"""RIPE Atlas Cousteau (Debian's python3-ripe-atlas-cousteau) against the REST API v2.

Usage: cousteau_rest.py SERVER COMMAND JSON-ARGS. SERVER is host:port, reached over https as
cousteau always does (REQUESTS_CA_BUNDLE names the certificate to trust). Prints one JSON object:
{"ok": ..., "response": ...} as the client library hands them to its user.
"""
import json
import sys

from ripe.atlas.cousteau import (
    AtlasChangeRequest, AtlasChangeSource, AtlasCreateRequest, AtlasLatestRequest, AtlasResultsRequest,
    AtlasSource, AtlasStopRequest, Dns, Http, Measurement, MeasurementRequest, Ntp, Ping, Probe,
    ProbeRequest, Sslcert, Traceroute,
)

DEFINITIONS = {"ping": Ping, "traceroute": Traceroute, "dns": Dns, "sslcert": Sslcert, "ntp": Ntp, "http": Http}


def create(server, args):
    definition = DEFINITIONS[args["type"]](**args["definition"])
    source = AtlasSource(**args["source"])
    request = AtlasCreateRequest(
        server=server, key=args["key"], measurements=[definition], sources=[source], is_oneoff=args.get("is_oneoff", False),
    )
    return request.create()


def change(server, args):
    sources = [AtlasChangeSource(**s) for s in args["sources"]]
    return AtlasChangeRequest(server=server, key=args["key"], msm_id=args["msm_id"], sources=sources).create()


def stop(server, args):
    return AtlasStopRequest(server=server, key=args["key"], msm_id=args["msm_id"]).create()


def results(server, args):
    return AtlasResultsRequest(server=server, **args).create()


def latest(server, args):
    return AtlasLatestRequest(server=server, **args).create()


def measurement(server, args):
    m = Measurement(server=server, **args)
    return True, {
        "id": m.id, "type": m.type, "status": m.status, "status_id": m.status_id, "target": m.target,
        "description": m.description, "is_oneoff": m.is_oneoff, "interval": m.interval, "result_url": m.result_url,
        "protocol": m.protocol, "start_time": m.start_time.timestamp() if m.start_time else None,
    }


def probe(server, args):
    p = Probe(server=server, **args)
    return True, {
        "id": p.id, "country_code": p.country_code, "asn_v4": p.asn_v4, "prefix_v4": p.prefix_v4,
        "is_anchor": p.is_anchor, "status": p.status, "geometry": p.geometry, "tags": p.tags,
    }


def probes(server, args):
    found = ProbeRequest(server=server, return_objects=True, **args)
    ids = [p.id for p in found]
    return True, {"ids": ids, "total_count": found.total_count}


def measurements(server, args):
    found = MeasurementRequest(server=server, return_objects=True, **args)
    listed = [{"id": m.id, "type": m.type, "status_id": m.status_id} for m in found]
    return True, {"measurements": listed, "total_count": found.total_count}


COMMANDS = {
    "create": create, "change": change, "stop": stop, "results": results, "latest": latest,
    "measurement": measurement, "probe": probe, "probes": probes, "measurements": measurements,
}

if __name__ == "__main__":
    server, command, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    ok, response = COMMANDS[command](server, arguments)
    print(json.dumps({"ok": ok, "response": response}))
