#!/usr/bin/env python3
"""Trial of weight averaging for the generator (docs/design.md §2.2): the
element-wise mean of medaug weight files of one architecture (the same
safetensors header), written with the first file's header, e.g. the
per-epoch generators of one run (Polyak / stochastic weight averaging).

  scripts/trials/average_weights.py OUT IN1 IN2 ..."""
import json, struct, sys
import numpy as np
def read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    return b[:8 + n], json.loads(b[8:8 + n]), b[8 + n:]
out, paths = sys.argv[1], sys.argv[2:]
head, header, _ = read(paths[0])
total = None
for p in paths:
    h, hd, data = read(p)
    assert h == head, f"{p}: another layout"
    a = np.frombuffer(data, dtype=np.float32).astype(np.float64)
    total = a if total is None else total + a
for k, v in header.items():
    if k != '__metadata__': assert v['dtype'] == 'F32', k
mean = (total / len(paths)).astype(np.float32)
open(out, 'wb').write(head + mean.tobytes())
print(f"averaged {len(paths)} files into {out}")
