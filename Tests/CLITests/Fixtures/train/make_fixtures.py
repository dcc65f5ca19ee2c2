"""Malformed data files for TrainCommandTests (numpy only): python make_fixtures.py."""
import numpy as np

d = np.load("../../../../examples/digits-cnn/data.npz")
np.savez("no-targets.npz", x=d["x"][:32])
y = d["y"][:32].copy()
y[5] = 12
np.savez("bad-label.npz", x=d["x"][:32], y=y)
np.savez("wrong-shape.npz", x=d["x"][:32].reshape(32, 64), y=d["y"][:32])
with open("not-a-zip.npz", "wb") as f:
    f.write(b"this is not a zip archive\n")
