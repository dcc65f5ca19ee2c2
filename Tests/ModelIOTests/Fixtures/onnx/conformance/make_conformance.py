"""ONNX's own node conformance cases for the ops bpcheck imports, as bpcheck fixtures.

`onnx.backend.test.case.node.collect_testcases()` (in the onnx 1.23.2 wheel, offline) gives
each case as a model of one node with its inputs and expected outputs. bpcheck reads a network
with ONE data input and constant weights, so each case is rewritten: the node's first input
stays the graph input (its first axis is the batch), every other input becomes an initializer
holding the case's value (weights, biases, bounds, shapes). Written per case: `<name>.onnx`
and `<name>.npz` (x: the first input, y: the expected first output), and `cases.json` (name,
op type). Tests/ModelIOTests/ONNXConformanceTests.swift runs every case bpcheck can read through
its f64 forward pass and compares with the expected output (ONNX's runner tolerances,
rtol 1e-3, atol 1e-7); cases it cannot read are listed with the reader's message.

    make onnx-conformance   # .venv-onnx with onnx==1.23.2 and numpy, then this script
"""
import json
import os
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import onnx
from onnx import helper, numpy_helper
from onnx.backend.test.case.node import collect_testcases

OPS = {"Relu", "LeakyRelu", "Elu", "Abs", "Tanh", "Sigmoid", "Softplus", "Softsign", "Max", "Min", "Add", "Conv",
       "MaxPool", "AveragePool", "GlobalAveragePool", "Gemm", "MatMul", "BatchNormalization", "Flatten", "Reshape",
       "Identity", "Dropout", "Clip", "ReduceMean", "Sub", "Mul", "Div", "PRelu", "Gelu", "Pad", "Concat"}


def main():
    out = os.path.dirname(os.path.abspath(__file__))
    cases = []
    for case in sorted(collect_testcases(), key=lambda c: c.name):
        graph = case.model.graph
        if len(graph.node) != 1 or graph.node[0].op_type not in OPS or not case.data_sets:
            continue
        inputs, outputs = case.data_sets[0]
        node = graph.node[0]
        if len(graph.input) != len(inputs) or not len(outputs):
            continue
        x = np.asarray(inputs[0])
        if x.dtype not in (np.float32, np.float64) or x.ndim < 2 or x.ndim > 4:  # bpcheck: [N, features] … [N, C, H, W]
            continue
        initializers = [numpy_helper.from_array(np.asarray(v), name=graph.input[k].name) for k, v in enumerate(inputs) if k > 0]
        g = helper.make_graph([node], case.name, [graph.input[0]], [graph.output[0]], initializer=initializers)
        model = helper.make_model(g, opset_imports=case.model.opset_import, ir_version=case.model.ir_version)
        onnx.save(model, os.path.join(out, case.name + ".onnx"))
        np.savez_compressed(os.path.join(out, case.name + ".npz"), x=x, y=np.asarray(outputs[0], dtype=np.float64))
        cases.append({"name": case.name, "op": node.op_type})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"{len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
