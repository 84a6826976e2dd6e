#!/usr/bin/env python3
"""Independent decoder for TensorBoard event files written by mlbox-trainer.

Checks TFRecord framing (u64 length, masked CRC32C of the length, payload, masked CRC32C of
the payload), decodes tensorflow.Event protos by hand, and prints {tag: [(step, value)]} as
JSON. With --dump-payload DIR, writes each record's payload for `protoc --decode_raw`.
"""
import json
import os
import struct
import sys


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = _table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(c: int) -> int:
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(buf: bytes):
    i = 0
    while i < len(buf):
        if len(buf) - i < 12:
            raise ValueError(f"truncated record header at {i}")
        (n,) = struct.unpack_from("<Q", buf, i)
        (lcrc,) = struct.unpack_from("<I", buf, i + 8)
        if masked(crc32c(buf[i:i + 8])) != lcrc:
            raise ValueError(f"bad length CRC at {i}")
        data = buf[i + 12:i + 12 + n]
        (dcrc,) = struct.unpack_from("<I", buf, i + 12 + n)
        if masked(crc32c(data)) != dcrc:
            raise ValueError(f"bad data CRC at {i}")
        yield data
        i += 12 + n + 4


def varint(b, i):
    shift = v = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 1:
            v = b[i:i + 8]
            i += 8
        elif w == 5:
            v = b[i:i + 4]
            i += 4
        elif w == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def main():
    path = sys.argv[1]
    dump = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--dump-payload" else None
    out = {}
    version = None
    with open(path, "rb") as fh:
        buf = fh.read()
    for k, payload in enumerate(records(buf)):
        if dump:
            with open(os.path.join(dump, f"record{k}.bin"), "wb") as fh:
                fh.write(payload)
        step = 0
        for f, w, v in fields(payload):
            if f == 2 and w == 0:
                step = v
            elif f == 3 and w == 2:
                version = v.decode()
            elif f == 5 and w == 2:
                for sf, _, sv in fields(v):
                    if sf != 1:
                        continue
                    tag, val = None, None
                    for vf, vw, vv in fields(sv):
                        if vf == 1:
                            tag = vv.decode()
                        elif vf == 2 and vw == 5:
                            (val,) = struct.unpack("<f", vv)
                    out.setdefault(tag, []).append((step, val))
    if version != "brain.Event:2":
        raise ValueError(f"no file_version event (got {version!r})")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
