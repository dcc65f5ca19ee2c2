"""Writes the Python-made fixtures the model-file tests read (run with numpy and safetensors):

    python Tests/ModelIOTests/Fixtures/make_fixtures.py

- python.safetensors: one tensor per dtype safetensors' NumPy API can write (F16, F32, F64, I64,
  I32), with signed zeros, subnormals, ±inf and NaN among the floats;
- python.npz (stored) and python-deflated.npz (np.savez_compressed): the same arrays;
- python-expected.json: every element, floats as float.hex() (exact), ints as ints.
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))

specials = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035156e-05, 5.9604645e-08, float("inf"), float("-inf"), 0.1, 1e-30, 3.4028235e38]
arrays = {
    "half": np.array(specials[:7] + [float("inf"), float("-inf"), 0.1, 2.0, -3.0], dtype=np.float16).reshape(3, 4),
    "single": np.array(specials, dtype=np.float32).reshape(2, 2, 3),
    "double": np.array(specials + [np.pi, -np.e, 5e-324, 1.7976931348623157e308], dtype=np.float64),
    "long": np.array([0, -1, 2**53, -(2**62), 7], dtype=np.int64),
    "int": np.array([[0, -1], [2**31 - 1, -(2**31)]], dtype=np.int32),
    "nan32": np.array([np.nan, 1.0], dtype=np.float32),
}
save_file(arrays, os.path.join(HERE, "python.safetensors"))
np.savez(os.path.join(HERE, "python.npz"), **arrays)
np.savez_compressed(os.path.join(HERE, "python-deflated.npz"), **arrays)


def encode(v, kind):
    if kind == "f":
        v = float(v)
        return "nan" if v != v else v.hex()
    return int(v)


expected = {name: {"dtype": str(a.dtype), "shape": list(a.shape),
                   "values": [encode(v, a.dtype.kind) for v in a.reshape(-1)]}
            for name, a in arrays.items()}
with open(os.path.join(HERE, "python-expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
