"""Reads a Vigie Open311 endpoint with `georeport` (PyPI), a GeoReport v2 client that no one
here wrote, in JSON and in XML, and prints what it saw as one JSON line.

Usage: python3 open311_client.py http://127.0.0.1:PORT/open311/v2 JURISDICTION
"""

import json
import sys

from georeport import GeoReport


def as_list(x):
    """xmltodict gives one element as a dict, several as a list, none as None."""
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def read(root, jurisdiction, fmt):
    client = GeoReport(root, jurisdiction=jurisdiction, output_format=fmt)
    services = as_list(client.get_service_list())
    first = services[0]["service_code"]
    definition = client.get_service_definition(first)
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = as_list((attributes or {}).get("attribute"))
    requests = as_list(client.get_service_requests())
    one = client.get_service_request(requests[0]["service_request_id"])
    if fmt == "xml":
        one = as_list(one)[0]
    return {
        "services": len(services),
        "first_service": first,
        "attributes": [a["code"] for a in attributes],
        "requests": len(requests),
        "status": one["status"],
    }


def main():
    root, jurisdiction = sys.argv[1], sys.argv[2]
    print(json.dumps({fmt: read(root, jurisdiction, fmt) for fmt in ("json", "xml")}))


if __name__ == "__main__":
    main()
