#!/usr/bin/env python3
"""Writes a test image into an OCI image layout (creating it when missing).

  make_oci_image.py LAYOUT TAG --layers 1M,300K,... [--seed N] [--gzip-below SIZE]
                    [--label KEY=VALUE ...]

Each layer is a tar holding one file of pseudo-random bytes (from --seed, so the same
arguments give the same digests). Layers smaller than --gzip-below are gzip'd, larger ones
stored as plain tar (random data does not compress; this keeps big test images fast).
Prints the manifest digest.
"""
import argparse, gzip, hashlib, io, json, os, random, tarfile


def size_arg(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text and text[-1] in mult:
        return int(float(text[:-1]) * mult[text[-1]])
    return int(text)


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return "sha256:" + digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("layout")
    ap.add_argument("tag")
    ap.add_argument("--layers", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip-below", type=size_arg, default=8 << 20)
    ap.add_argument("--label", action="append", default=[], help="KEY=VALUE, added to the config's Labels")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(a.layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    rng = random.Random(a.seed)
    layers, diff_ids = [], []
    for i, spec in enumerate(a.layers.split(",")):
        size = size_arg(spec)
        payload = rng.randbytes(size)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(f"data/layer{i}.bin")
            info.size, info.mtime, info.mode = size, 0, 0o644
            tar.addfile(info, io.BytesIO(payload))
        tar_bytes = buf.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        if size < a.gzip_below:
            blob = gzip.compress(tar_bytes, compresslevel=1, mtime=0)
            media = "application/vnd.oci.image.layer.v1.tar+gzip"
        else:
            blob, media = tar_bytes, "application/vnd.oci.image.layer.v1.tar"
        layers.append({"mediaType": media, "digest": put_blob(a.layout, blob), "size": len(blob)})
    config = {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/true"],
                   "Labels": dict({"seed": str(a.seed)}, **dict(l.split("=", 1) for l in a.label))},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "make_oci_image.py"}
                    for _ in layers],
    }
    cbytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put_blob(a.layout, cbytes), "size": len(cbytes)},
        "layers": layers,
    }
    mbytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    mdigest = put_blob(a.layout, mbytes)
    index_path = os.path.join(a.layout, "index.json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"] = [m for m in index.get("manifests", [])
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != a.tag]
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
        "size": len(mbytes), "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"org.opencontainers.image.ref.name": a.tag}})
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    print(mdigest)


if __name__ == "__main__":
    main()
