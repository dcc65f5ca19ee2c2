"""Stored (uncompressed) .npz data files for DataFileMappingTests.swift, as np.savez writes them.

    python3 make_data_fixtures.py      (numpy)

stored.npz        x float32 [10, 3], y int64 [10]: read on demand (memory mapped)
stored-zip64.npz  the same through zipfile with force_zip64 (NumPy's own writer for big arrays)
bad-header.npz    a stored x.npy whose header says 11 samples for 10 samples' bytes
"""
import io
import os
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
x = (np.arange(30, dtype=np.float32) / 7).reshape(10, 3)
y = np.arange(10, dtype=np.int64) % 3
np.savez(os.path.join(HERE, "stored.npz"), x=x, y=y)


def npy(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


with zipfile.ZipFile(os.path.join(HERE, "stored-zip64.npz"), "w", compression=zipfile.ZIP_STORED) as z:
    for name, a in (("x", x), ("y", y)):
        with z.open(name + ".npy", "w", force_zip64=True) as f:
            f.write(npy(a))

bad = npy(x).replace(b"(10, 3)", b"(11, 3)")
with zipfile.ZipFile(os.path.join(HERE, "bad-header.npz"), "w", compression=zipfile.ZIP_STORED) as z:
    z.writestr("x.npy", bad)
    z.writestr("y.npy", npy(y))
