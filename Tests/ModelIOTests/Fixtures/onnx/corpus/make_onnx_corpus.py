"""Malformed ONNX files for ONNXCorpusTests.swift: each must give a ModelError with exactly the
message in expected.json (written by hand after checking each message names file, node, key).

    .venv-onnx/bin/python Tests/ModelIOTests/Fixtures/onnx/corpus/make_onnx_corpus.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def init(name, shape, seed=0):
    return numpy_helper.from_array(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), name)


def save(name, nodes, initializers, input_shape=("N", 1, 6, 6), output="y"):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bpcheck-corpus")
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())
    return model


def conv(pads, name="conv1"):
    return helper.make_node("Conv", ["x", "w", "b"], ["c"], name=name, pads=pads, kernel_shape=[3, 3])


def head(src="c", n=4 * 4 * 4):
    return [helper.make_node("Flatten", [src], ["f"], name="flat", axis=1),
            helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1)], \
        [init("fc.weight", (3, n), 2), init("fc.bias", (3,), 3)]


def external(name, location, offset):
    """The valid model with fc.weight moved to external data at `location`, `offset`."""
    m = save(name, [conv([0, 0, 0, 0])] + head()[0], conv_inits + head()[1])
    for t in m.graph.initializer:
        if t.name == "fc.weight":
            t.ClearField("raw_data")
            t.data_location = TensorProto.EXTERNAL
            for k, v in (("location", location), ("offset", str(offset)), ("length", str(3 * 64 * 4))):
                e = t.external_data.add()
                e.key, e.value = k, v
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


conv_inits = [init("w", (4, 1, 3, 3)), init("b", (4,), 1)]

# A valid model, also the source of the truncated one.
nodes, inits = head()
good = save("valid", [conv([0, 0, 0, 0]), helper.make_node("Relu", ["c"], ["r"], name="relu1")] + head("r")[0], conv_inits + inits)
data = good.SerializeToString()
with open(os.path.join(HERE, "truncated-protobuf.onnx"), "wb") as f:
    f.write(data[: len(data) - 37])
os.rename(os.path.join(HERE, "valid.onnx"), os.path.join(HERE, "accepted-raw-data.onnx"))

# The same model with every initializer in the typed fields (float_data), IR version 3 (the
# initializers also listed as graph inputs), and the conv weights in Constant nodes.
typed = [helper.make_tensor(t.name, TensorProto.FLOAT, t.dims, numpy_helper.to_array(t).flatten().tolist(), raw=False)
         for t in conv_inits + inits]
constants = [helper.make_node("Constant", [], [t.name], name="", value=t) for t in typed[:2]]
graph = helper.make_graph(
    constants + [conv([0, 0, 0, 0], name=""), helper.make_node("Relu", ["c"], ["r"], name="relu1")] + head("r")[0],
    "typed",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 6, 6])]
    + [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in typed[2:]],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], typed[2:])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], producer_name="bpcheck-corpus")
model.ir_version = 3
with open(os.path.join(HERE, "accepted-typed-fields-ir3-constants.onnx"), "wb") as f:
    f.write(model.SerializeToString())

save("unsupported-op", [conv([0, 0, 0, 0]), helper.make_node("HardSwish", ["c"], ["e"], name="hs1")] + head("e")[0], conv_inits + inits)
save("erf-alone", [conv([0, 0, 0, 0]), helper.make_node("Erf", ["c"], ["e"], name="erf1")] + head("e")[0], conv_inits + inits)
n6 = 4 * 5 * 5
# Asymmetric pads: a Conv's read as a zero Pad node (accepted), a MaxPool's an error.
save("accepted-conv-asymmetric-pads", [conv([1, 1, 0, 0])] + head(n=n6)[0], conv_inits + head(n=n6)[1])
save("asymmetric-pads", [conv([0, 0, 0, 0]), helper.make_node("MaxPool", ["c"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2],
                                                               pads=[1, 1, 0, 0])] + head("p", 4 * 2 * 2)[0], conv_inits + head(n=16)[1])
# ceil_mode: MaxPool's accepted; an AveragePool's that adds a window hanging over the edge is not.
save("accepted-maxpool-ceil-mode", [conv([0, 0, 0, 0]), helper.make_node("MaxPool", ["c"], ["p"], name="pool1", kernel_shape=[3, 3],
                                                                        strides=[2, 2], ceil_mode=1)] + head("p", 4 * 2 * 2)[0], conv_inits + head(n=16)[1])
save("ceil-mode", [conv([0, 0, 0, 0]), helper.make_node("AveragePool", ["c"], ["p"], name="pool1", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)]
     + head("p", 4 * 2 * 2)[0], conv_inits + head(n=16)[1])
save("pad-reflect", [conv([0, 0, 0, 0]), helper.make_node("Pad", ["c", "pads"], ["p"], name="pad1", mode="reflect")] + head("p", 4 * 5 * 5)[0],
     conv_inits + head(n=4 * 5 * 5)[1] + [numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int64), "pads")])
save("pad-channels", [conv([0, 0, 0, 0]), helper.make_node("Pad", ["c", "pads"], ["p"], name="pad1")] + head("p", 5 * 4 * 4)[0],
     conv_inits + head(n=5 * 4 * 4)[1] + [numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 1, 0, 0], dtype=np.int64), "pads")])
save("prelu-computed-slope", [conv([0, 0, 0, 0]), helper.make_node("Relu", ["c"], ["r"], name="relu1"),
     helper.make_node("PRelu", ["c", "r"], ["k"], name="prelu1")] + head("k")[0], conv_inits + inits)
save("div-constant-by-tensor", [conv([0, 0, 0, 0]), helper.make_node("Div", ["one", "c"], ["k"], name="div1")] + head("k")[0],
     conv_inits + inits + [numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")])
save("mul-broadcast-computed", [conv([0, 0, 0, 0]), helper.make_node("ReduceMean", ["c", "axes"], ["m"], name="mean1", keepdims=1),
     helper.make_node("Mul", ["c", "m"], ["k"], name="mul1")] + head("k")[0],
     conv_inits + inits + [numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes")])
save("concat-spatial", [conv([0, 0, 0, 0]), helper.make_node("Concat", ["c", "c"], ["k"], name="cat1", axis=2)] + head("k", 4 * 8 * 4)[0],
     conv_inits + head(n=4 * 8 * 4)[1])
save("missing-initializer", [conv([0, 0, 0, 0])] + head()[0], conv_inits + [init("fc.bias", (3,), 3)])
save("symbolic-per-sample-shape", [conv([0, 0, 0, 0])] + head()[0], conv_inits + inits, input_shape=("N", 1, "H", 6))
save("avgpool-padding-not-counted", [conv([0, 0, 0, 0]),
     helper.make_node("AveragePool", ["c"], ["p"], name="pool1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])] + head("p")[0], conv_inits + inits)
save("gemm-transA", [conv([0, 0, 0, 0]), helper.make_node("Flatten", ["c"], ["f"], name="flat", axis=1),
     helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transA=1, transB=1)], conv_inits + inits)

# External data whose file is missing.
external("external-data-missing", "weights.bin", 0)

# More: a BOOL initializer, dilated max-pooling, a Gemm with alpha, a Reshape that is not a
# flatten, Clip with a computed bound, an op with an unknown domain's dtype, two data inputs,
# external data whose range leaves the file.
bad = conv_inits + inits + [helper.make_tensor("mask", TensorProto.BOOL, [4], [True, False, True, True])]
save("bool-initializer", [conv([0, 0, 0, 0]), helper.make_node("Dropout", ["c", "ratio", "mask"], ["d"], name="drop1")] + head("d")[0],
     bad + [numpy_helper.from_array(np.array(0.5, dtype=np.float32), "ratio")])
save("avgpool-dilations", [conv([0, 0, 0, 0]), helper.make_node("AveragePool", ["c"], ["p"], name="pool1", kernel_shape=[2, 2], dilations=[2, 2])]
     + head("p", 4 * 2 * 2)[0], conv_inits + head(n=16)[1])
save("accepted-gemm-alpha-beta", [conv([0, 0, 0, 0]), helper.make_node("Flatten", ["c"], ["f"], name="flat", axis=1),
     helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", alpha=0.5, beta=2.0, transB=1)], conv_inits + inits)
save("reshape-not-a-flatten", [conv([0, 0, 0, 0]), helper.make_node("Reshape", ["c", "shape"], ["y"], name="reshape1")],
     conv_inits + [numpy_helper.from_array(np.array([-1, 8, 8], dtype=np.int64), "shape")])
save("clip-computed-bound", [conv([0, 0, 0, 0]), helper.make_node("Relu", ["c"], ["r"], name="relu1"),
     helper.make_node("Clip", ["c", "r"], ["k"], name="clip1")] + head("k")[0], conv_inits + inits)
save("conv-3d-kernel", [helper.make_node("Conv", ["x", "w3", "b"], ["c"], name="conv1", kernel_shape=[3, 3, 3])] + head()[0],
     [init("w3", (4, 1, 3, 3, 3)), init("b", (4,), 1)] + inits, input_shape=("N", 1, 6, 6, 6))
m = save("two-data-inputs", [conv([0, 0, 0, 0])] + head()[0], conv_inits + inits)
m.graph.input.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", 3]))
with open(os.path.join(HERE, "two-data-inputs.onnx"), "wb") as f:
    f.write(m.SerializeToString())
external("external-data-out-of-range", "external-data-out-of-range.bin", 16)
with open(os.path.join(HERE, "external-data-out-of-range.bin"), "wb") as f:
    f.write(bytes(3 * 64 * 4))  # 16 bytes short of offset + length
# The legacy exporter's x.view(x.size(0), -1) with a dynamic batch: Shape → Gather(0) →
# Unsqueeze → Concat([N, -1]) → Reshape; must read as the flatten of accepted-raw-data.
shape_nodes = [helper.make_node("Shape", ["r"], ["s"], name="shape1"),
               helper.make_node("Constant", [], ["zero"], name="", value=numpy_helper.from_array(np.array(0, dtype=np.int64))),
               helper.make_node("Gather", ["s", "zero"], ["n"], name="gather1", axis=0),
               helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze1"),
               helper.make_node("Concat", ["n1", "minus1"], ["target"], name="concat1", axis=0),
               helper.make_node("Reshape", ["r", "target"], ["f"], name="flat"),
               helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="fc", transB=1)]
save("accepted-dynamic-flatten", [conv([0, 0, 0, 0]), helper.make_node("Relu", ["c"], ["r"], name="relu1")] + shape_nodes,
     conv_inits + inits + [numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0"),
                           numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus1")])
# An external-data offset that no Int holds with its length: an error, not an overflow.
external("external-data-huge-offset", "external-data-out-of-range.bin", 2 ** 63 - 1)
print(sorted(f for f in os.listdir(HERE) if f.endswith(".onnx")))
