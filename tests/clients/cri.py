#!/usr/bin/python3
"""A minimal CRI client (what crictl does, for the calls cri.bats makes;
crictl is not packaged in Debian 12).

    cri.py SOCKET METHOD [REQUEST-JSON]

calls runtime.v1.RuntimeService/METHOD on the unix SOCKET with the request
given as JSON (proto field names) and prints the response as JSON; bytes
fields (ExecSync's stdout/stderr) are printed as text.  A gRPC error prints
its code and message on stderr and exits 1.  The message classes come from
cri-api.proto beside this file, compiled with protoc at each run (a few ms)
so no generated code is kept in the tree."""
import base64
import importlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def load_messages():
    out = tempfile.mkdtemp(prefix="cri-proto.")
    try:
        subprocess.run(["protoc", "-I", HERE, "--python_out", out, "cri-api.proto"],
                       check=True)
        sys.path.insert(0, out)
        # protoc names the module after the file: cri-api.proto -> cri_api_pb2
        return importlib.import_module("cri_api_pb2")
    finally:
        # the module is loaded; its source is not needed any more
        subprocess.run(["rm", "-rf", out], check=False)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    socket, method = sys.argv[1], sys.argv[2]
    body = json.loads(sys.argv[3]) if len(sys.argv) == 4 else {}

    import grpc
    from google.protobuf import json_format

    pb = load_messages()
    service = pb.DESCRIPTOR.services_by_name["RuntimeService"]
    m = service.methods_by_name.get(method)
    if m is None:
        print(f"cri.py: unknown method {method}", file=sys.stderr)
        return 2
    req_cls = getattr(pb, m.input_type.name)
    resp_cls = getattr(pb, m.output_type.name)
    req = json_format.ParseDict(body, req_cls())

    with grpc.insecure_channel("unix://" + socket) as ch:
        call = ch.unary_unary(f"/runtime.v1.RuntimeService/{method}",
                              request_serializer=req_cls.SerializeToString,
                              response_deserializer=resp_cls.FromString)
        try:
            resp = call(req, timeout=float(os.environ.get("CRI_TIMEOUT", "120")))
        except grpc.RpcError as e:
            print(f"cri.py: {method}: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1

    d = json_format.MessageToDict(resp, preserving_proto_field_name=True,
                                  including_default_value_fields=True)
    for f in m.output_type.fields:
        if f.type == f.TYPE_BYTES and f.name in d:
            d[f.name] = base64.b64decode(d[f.name]).decode("utf-8", "replace")
    print(json.dumps(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
