"""Checks `bpcheck --save-gradients DIR` output with NumPy alone: every file loads, and the
norms it implies equal the JSON report's (single-batch runs).

    python Tests/CLITests/Fixtures/check_gradients.py DIR REPORT.json

The safetensors format is parsed here by hand (8-byte length, JSON header, raw bytes) so that
bfloat16, which NumPy lacks, is read too (as float32). Exits 1 on a mismatch.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64}


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[8 + n + begin:8 + n + end]
        if entry["dtype"] == "BF16":
            values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, dtype=np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<"))
        out[name] = values.astype(np.float64).reshape(entry["shape"])
    return out


def flat(d):
    return np.concatenate([d[k].ravel() for k in sorted(d)])


def main(directory, report_path):
    with open(report_path) as f:
        report = json.load(f)
    failures = 0
    for precision, result in report["precisions"].items():
        g = {name: flat(load(f"{directory}/{precision}/{name}.safetensors"))
             for name in ["g_P", "g_P_alt", "g_P_aligned", "g_R", "g_R_alt"]}
        r = np.linalg.norm(g["g_R"])
        implied = {"total": np.linalg.norm(g["g_P"] - g["g_R"]) / r,
                   "kink": np.linalg.norm(g["g_P"] - g["g_P_aligned"]) / r,
                   "rounding": np.linalg.norm(g["g_P_aligned"] - g["g_R"]) / r}
        for key, value in implied.items():
            reported = result["error"][key]
            # The files hold g_R rounded to f64; the JSON's norms were formed before that rounding,
            # so for f64 itself they agree only to ~1e-16 absolute.
            ok = abs(value - reported) <= 1e-6 * max(abs(reported), 1e-300) + 1e-15
            failures += not ok
            print(f"{precision:5} {key:8} files {value:.6e}  json {reported:.6e}  {'ok' if ok else 'MISMATCH'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
