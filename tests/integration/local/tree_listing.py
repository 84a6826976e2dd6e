#!/usr/bin/env python3
"""Prints a canonical listing of a directory tree: path, type, mode, uid, gid, link target,
content SHA-256 -- one line per entry, sorted -- so two unpacks can be diffed."""
import hashlib, os, stat, sys

root = sys.argv[1]
skip = set(sys.argv[2:])
lines = []
for dirpath, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
        full = os.path.join(dirpath, name)
        rel = os.path.relpath(full, root)
        if rel in skip:
            continue
        st = os.lstat(full)
        mode = "%o" % stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            kind, extra = "l", os.readlink(full)
        elif stat.S_ISDIR(st.st_mode):
            kind, extra = "d", ""
        elif stat.S_ISREG(st.st_mode):
            kind = "f"
            extra = hashlib.sha256(open(full, "rb").read()).hexdigest() + " nlink=%d" % st.st_nlink
        else:
            kind, extra = "o", "%x" % st.st_rdev
        lines.append("%s %s %s %d:%d %s" % (rel, kind, mode, st.st_uid, st.st_gid, extra))
print("\n".join(sorted(lines)))
