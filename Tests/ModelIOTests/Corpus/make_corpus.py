"""Writes the malformed-input corpus: one folder per case, each with a model.json (and the
broken file it points to). Tests/ModelIOTests/CorpusTests.swift checks that loading each case
gives exactly the message in expected.json, and the CLI exit code 2.

    python Tests/ModelIOTests/Corpus/make_corpus.py     (numpy only)
"""
import copy
import json
import os
import shutil
import struct
import zipfile
import io

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = {
    "format": "bpcheck-model", "version": 1, "name": "tiny",
    "input_shape": [4],
    "tensors": {
        "fc1.weight": {"shape": [3, 4], "dtype": "f32", "data": [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9, 1.0, 1.1, 1.2]},
        "fc1.bias": {"shape": [3], "dtype": "f32", "data": [0.01, -0.02, 0.03]},
    },
    "graph": [
        {"name": "fc1", "op": "linear", "weight": "fc1.weight", "bias": "fc1.bias"},
        {"name": "relu1", "op": "relu"},
    ],
    "loss": {"op": "cross_entropy"},
    "data": {"inputs": {"shape": [2, 4], "dtype": "f32", "data": [1, 0, 0.5, 2, 0, 0, 1, 1]},
             "targets": {"shape": [2], "dtype": "i64", "data": [0, 2]}},
}


def case(name, model=None, files=None, raw=None):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.json"), "wb") as f:
        f.write(raw if raw is not None else json.dumps(model, indent=1).encode())
    for fname, data in (files or {}).items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def edit(fn):
    m = copy.deepcopy(BASE)
    fn(m)
    return m


def safetensors_bytes(header, data):
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def npy_bytes(descr="<f4", fortran=False, shape=(2, 4), data=None, magic=b"\x93NUMPY", header_len=None):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", repr(tuple(shape)))
    header = header.ljust(118) + "\n"
    hl = len(header) if header_len is None else header_len
    if data is None:
        data = np.zeros(shape, dtype=np.float32).tobytes()
    return magic + b"\x01\x00" + struct.pack("<H", hl) + header.encode() + data


def with_weights(st):
    """The base model with its tensors moved to w.safetensors."""
    m = copy.deepcopy(BASE)
    del m["tensors"]
    m["weights"] = "w.safetensors"
    return m, {"w.safetensors": st}


def with_inputs(ref, files):
    m = copy.deepcopy(BASE)
    m["data"]["inputs"] = ref
    return m, files


GOOD_ST_HEADER = {"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
                  "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]}}
GOOD_ST_DATA = np.arange(15, dtype=np.float32).tobytes()


def main():
    for entry in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, entry)):
            shutil.rmtree(os.path.join(HERE, entry))
    # JSON itself
    case("json-truncated", raw=json.dumps(BASE).encode()[:40])
    case("json-not-utf8", raw=b'{"format": "bpcheck-model", "name": "caf\xe9"}')
    case("json-deeply-nested", raw=b'{"format": ' + b"[" * 100 + b"]" * 100 + b"}")
    case("json-duplicate-key", raw=b'{"format": "bpcheck-model", "format": "bpcheck-model"}')
    case("json-trailing-garbage", raw=json.dumps(BASE).encode() + b" x")
    case("json-top-level-array", raw=b"[1, 2]")
    # top level
    case("wrong-format", edit(lambda m: m.update(format="onnx")))
    case("wrong-version", edit(lambda m: m.update(version=2)))
    case("unknown-top-level-key", edit(lambda m: m.update(weigths="w.safetensors")))
    case("missing-input-shape", edit(lambda m: m.pop("input_shape")))
    case("unknown-loss", edit(lambda m: m.update(loss={"op": "hinge"})))
    # nodes
    case("unknown-op", edit(lambda m: m["graph"].append({"name": "sm", "op": "softmax"})))
    case("unknown-attribute", edit(lambda m: m["graph"][0].update(stride=2)))
    case("missing-tensor", edit(lambda m: m["graph"][0].update(weight="fc9.weight")))
    case("weight-shape-mismatch", edit(lambda m: m["tensors"]["fc1.weight"].update(shape=[4, 3])))
    case("bias-shape-mismatch", edit(lambda m: m["tensors"].update({"fc1.bias": {"shape": [4], "dtype": "f32", "data": [0, 0, 0, 0]}})))
    case("forward-reference", edit(lambda m: m["graph"][0].update(inputs=["relu1"])))
    case("cycle", edit(lambda m: m["graph"][1].update(inputs=["relu1"])))
    case("duplicate-node-name", edit(lambda m: m["graph"][1].update(name="fc1")))
    case("extra-tensor", edit(lambda m: m["tensors"].update({"spare": {"shape": [1], "dtype": "f32", "data": [1]}})))
    case("conv-on-vector", edit(lambda m: m["graph"].insert(0, {"name": "conv", "op": "conv2d", "weight": "fc1.weight"})))
    case("pool-padding-too-large", edit(lambda m: (m.update(input_shape=[1, 4, 4]), m["graph"].insert(0, {"name": "pool", "op": "maxpool2d", "kernel": 2, "padding": 2}))))
    case("hardtanh-bounds", edit(lambda m: m["graph"].append({"name": "ht", "op": "hardtanh", "min": 1, "max": -1})))
    case("gelu-approximate", edit(lambda m: m["graph"].append({"name": "g", "op": "gelu", "approximate": "fast"})))
    case("maximum-one-input", edit(lambda m: m["graph"].append({"name": "mx", "op": "maximum"})))
    # inline tensors and data
    case("inline-count-mismatch", edit(lambda m: m["tensors"]["fc1.bias"].update(data=[1, 2])))
    case("inline-base64-length", edit(lambda m: m["tensors"].update({"fc1.bias": {"shape": [3], "dtype": "f32", "base64": "AAAAAAAAAAA="}})))
    case("inline-unknown-dtype", edit(lambda m: m["tensors"]["fc1.bias"].update(dtype="f8")))
    case("inline-not-a-number", edit(lambda m: m["tensors"]["fc1.bias"].update(data=[1, "x", 3])))
    case("labels-out-of-range", edit(lambda m: m["data"]["targets"].update(data=[0, 3])))
    case("float-labels", edit(lambda m: m["data"].update(targets={"shape": [2], "dtype": "f32", "data": [0, 1]})))
    case("inputs-wrong-shape", edit(lambda m: m["data"].update(inputs={"shape": [2, 5], "dtype": "f32", "data": [0] * 10})))
    case("nan-and-inf-weights-accepted", edit(lambda m: m["tensors"]["fc1.bias"].update(data=["nan", "inf", 1])))
    # safetensors
    m, _ = with_weights(b"")
    case("weights-missing-file", m)
    case("safetensors-truncated", *with_weights(b"\x10\x00\x00"))
    case("safetensors-header-past-end", *with_weights(struct.pack("<Q", 10_000) + b"{}"))
    case("safetensors-header-not-json", *with_weights(struct.pack("<Q", 4) + b"{{{{"))
    case("safetensors-overlapping-offsets", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [40, 52]}}, GOOD_ST_DATA[:52])))
    case("safetensors-offsets-out-of-range", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]}}, GOOD_ST_DATA[:56])))
    case("safetensors-byte-count-mismatch", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F64", "shape": [3, 4], "data_offsets": [0, 48]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]}}, GOOD_ST_DATA)))
    case("safetensors-shape-overflow", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 48]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]}}, GOOD_ST_DATA)))
    case("safetensors-huge-shape", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 40000000000]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [48, 60]}}, GOOD_ST_DATA)))
    case("safetensors-unsupported-dtype", *with_weights(safetensors_bytes(
        dict(GOOD_ST_HEADER, **{"fc1.bias": {"dtype": "BOOL", "shape": [12], "data_offsets": [48, 60]}}), GOOD_ST_DATA)))
    case("safetensors-hole", *with_weights(safetensors_bytes(
        {"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
         "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [52, 64]}}, GOOD_ST_DATA + b"\x00" * 4)))
    entry = json.dumps(GOOD_ST_HEADER["fc1.bias"])
    duplicated = ('{"fc1.weight": %s, "fc1.bias": %s, "fc1.bias": %s}' % (json.dumps(GOOD_ST_HEADER["fc1.weight"]), entry, entry)).encode()
    case("safetensors-duplicate-key", *with_weights(struct.pack("<Q", len(duplicated)) + duplicated + GOOD_ST_DATA))
    # .npy / .npz data
    case("npy-wrong-magic", *with_inputs("x.npy", {"x.npy": npy_bytes(magic=b"\x93NUMPZ")}))
    case("npy-fortran-order", *with_inputs("x.npy", {"x.npy": npy_bytes(fortran=True)}))
    case("npy-truncated-data", *with_inputs("x.npy", {"x.npy": npy_bytes()[:-5]}))
    case("npy-header-past-end", *with_inputs("x.npy", {"x.npy": npy_bytes(header_len=5000)}))
    case("npy-big-endian", *with_inputs("x.npy", {"x.npy": npy_bytes(descr=">f4")}))
    buf = io.BytesIO()
    np.savez(buf, y=np.zeros((2, 4), np.float32))
    case("npz-missing-member", *with_inputs("d.npz:x", {"d.npz": buf.getvalue()}))
    case("npz-not-a-zip", *with_inputs("d.npz:x", {"d.npz": b"PK\x03\x04 this is not a zip archive at all"}))
    case("npz-without-member-name", *with_inputs("d.npz", {"d.npz": buf.getvalue()}))
    # An archive whose central directory claims a member inflates to 2^31 bytes.
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("x.npy", npy_bytes())
    zb = bytearray(zbuf.getvalue())
    cd = zb.rfind(b"PK\x01\x02")
    zb[cd + 24:cd + 28] = struct.pack("<I", 2**31)
    case("npz-size-bomb", *with_inputs("d.npz:x", {"d.npz": bytes(zb)}))


if __name__ == "__main__":
    main()
