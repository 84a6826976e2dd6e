#!/usr/bin/env python3
"""Builds OCI image layouts by hand (python tarfile + gzip/zstd CLI) for the local-backend
tests, independent of mlbox's own image writer.

  oci_by_hand.py STORE TAG SPEC.json

SPEC: {"layers": [{"compression": "gzip|zstd|none", "entries": [ENTRY...]}...],
       "config": {...container config...}}
ENTRY: {"path": "a/b", "type": "file|dir|symlink|hardlink|whiteout|opaque",
        "data": "text", "src": "/host/file", "size": N (pseudo-random bytes seeded by the path), "mode": "0644", "target": "...",
        "uid": 0, "gid": 0}
Prints the manifest digest.
"""
import gzip, hashlib, io, json, os, random, subprocess, sys, tarfile


def put_blob(store, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(store, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(store, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def make_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind = e.get("type", "file")
            path = e["path"]
            if kind == "whiteout":
                d, b = os.path.split(path)
                path, kind = os.path.join(d, ".wh." + b), "file"
            elif kind == "opaque":
                path, kind = os.path.join(path, ".wh..wh..opq"), "file"
            ti = tarfile.TarInfo(path)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = 1700000000
            data = b""
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, int(e.get("mode", "0755"), 8)
            elif kind == "symlink":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, e["target"], 0o777
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, e["target"]
                ti.mode = int(e.get("mode", "0644"), 8)
            else:
                ti.mode = int(e.get("mode", "0644"), 8)
                if "src" in e:
                    data = open(e["src"], "rb").read()
                elif "size" in e:
                    data = random.Random(path).randbytes(e["size"])  # same spec, same bytes
                else:
                    data = e.get("data", "").encode()
                ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if kind == "file" else None)
    return buf.getvalue()


def main():
    store, tag, spec_path = sys.argv[1:4]
    spec = json.load(open(spec_path))
    os.makedirs(store, exist_ok=True)
    with open(os.path.join(store, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layers, diff_ids = [], []
    for layer in spec["layers"]:
        raw = make_tar(layer["entries"])
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        comp = layer.get("compression", "gzip")
        if comp == "gzip":
            blob, mt = gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif comp == "zstd":
            blob = subprocess.run(["zstd", "-q", "-c"], input=raw, check=True,
                                  stdout=subprocess.PIPE).stdout
            mt = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            blob, mt = raw, "application/vnd.oci.image.layer.v1.tar"
        d, n = put_blob(store, blob)
        layers.append({"mediaType": mt, "digest": d, "size": n})
    config = {"architecture": "amd64", "os": "linux",
              "config": spec.get("config", {"Cmd": ["/bin/sh"], "WorkingDir": "/"}),
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cn = put_blob(store, json.dumps(config, sort_keys=True).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cd, "size": cn},
                "layers": layers}
    md, mn = put_blob(store, json.dumps(manifest, sort_keys=True).encode())
    index_path = os.path.join(store, "index.json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    if os.path.exists(index_path):
        index = json.load(open(index_path))
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "digest": md, "size": mn,
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    print(md)


main()
