import AD
import Foundation

/// GELU as exporters without a `Gelu` op write it (PyTorch's legacy exporter before opset 20,
/// tf2onnx), folded into one `gelu` node: what the network computes in the framework that
/// trained it (`nn.GELU()`), one op with one rounding model and exact constants (the file's
/// constants are float32: √2 as 1.4142135381698608).
/// - exact: `x ÷ √2` (or `x · (1/√2)`) → Erf, then the tail;
/// - tanh: `x·x·x` (or `Pow(x, 3)`) → `· 0.044715` → `+ x` → `· √(2/π)` → Tanh, then the tail;
/// - the tail: `+ 1` → `· x` → `· ½`, or `(x · ½) · (…)`.
/// Every intermediate value must be read by the next node only.
struct ONNXGELUPattern {
    struct Match {
        /// The pattern's input.
        let x: String
        /// The indices of all its nodes, in graph order.
        let nodes: [Int]
        let approximate: Bool
    }

    /// Index of the pattern's last node → its match.
    private(set) var matches: [Int: Match] = [:]
    /// Indices of the nodes a match absorbs (all but the last).
    private(set) var absorbed: Set<Int> = []

    /// Finds every match in `graph`; `scalar` reads a value name as a scalar constant (nil when
    /// it is not one).
    init(_ graph: Onnx_GraphProto, scalar: (String) -> Double?) {
        var producer: [String: Int] = [:], readers: [String: [Int]] = [:]
        for (i, n) in graph.node.enumerated() {
            for o in n.output where !o.isEmpty { producer[o] = i }
            for input in n.input where !input.isEmpty { readers[input, default: []].append(i) }
        }
        let outputs = Set(graph.output.map(\.name)), nodes = graph.node
        /// The node producing `value` if `value` is read by `reader` only.
        func soleProducer(_ value: String, readBy reader: Int) -> Int? {
            guard !outputs.contains(value), readers[value] == [reader] else { return nil }
            return producer[value]
        }
        /// The one reader of `value`, if it has exactly one and is not a graph output.
        func soleReader(_ value: String) -> Int? {
            guard !outputs.contains(value), let r = readers[value], r.count == 1 else { return nil }
            return r[0]
        }
        /// For a two-input node of type `op`, the other input when one of them is `value`.
        func other(_ i: Int, _ op: String, than value: String) -> String? {
            let n = nodes[i]
            guard n.opType == op, n.input.count == 2 else { return nil }
            return n.input[0] == value ? n.input[1] : n.input[1] == value ? n.input[0] : nil
        }
        /// The operand of a two-input `op` node that is not the scalar constant ≈ `k`.
        func operand(_ i: Int, _ op: String, times k: Double) -> String? {
            let n = nodes[i]
            guard n.opType == op, n.input.count == 2 else { return nil }
            for (a, b) in [(0, 1), (1, 0)] where near(scalar(n.input[b]), k) { return n.input[a] }
            return nil
        }
        func near(_ v: Double?, _ target: Double) -> Bool { v.map { abs($0 - target) <= 1e-6 * abs(target) } ?? false }

        /// `+ 1`, `· x`, `· ½` after the node `head` (Erf or Tanh): the nodes and the last.
        func tail(_ head: Int, x: String) -> [Int]? {
            let h = nodes[head].output[0]
            guard let a = soleReader(h), let one = other(a, "Add", than: h), scalar(one) == 1 else { return nil }
            let s = nodes[a].output[0]
            guard let m1 = soleReader(s), let m1Other = other(m1, "Mul", than: s) else { return nil }
            if m1Other == x {
                let p = nodes[m1].output[0]
                guard let m2 = soleReader(p), operand(m2, "Mul", times: 0.5) == p else { return nil }
                return [a, m1, m2]
            }
            guard let p = soleProducer(m1Other, readBy: m1), operand(p, "Mul", times: 0.5) == x else { return nil }
            return [a, p, m1]
        }

        for (e, erf) in nodes.enumerated() where erf.opType == "Erf" && erf.input.count == 1 {
            guard let d = soleProducer(erf.input[0], readBy: e) else { continue }
            guard let x = operand(d, "Div", times: 2.0.squareRoot()) ?? operand(d, "Mul", times: 0.5.squareRoot()),
                  nodes[d].input[0] == x, let rest = tail(e, x: x) else { continue }
            record(Match(x: x, nodes: ([d, e] + rest).sorted(), approximate: false))
        }
        for (t, tanh) in nodes.enumerated() where tanh.opType == "Tanh" && tanh.input.count == 1 {
            // √(2/π) · (x + 0.044715 · x³)
            guard let k = soleProducer(tanh.input[0], readBy: t), let sum = operand(k, "Mul", times: (2 / Double.pi).squareRoot()),
                  let s = soleProducer(sum, readBy: k), nodes[s].opType == "Add", nodes[s].input.count == 2 else { continue }
            for (xi, ci) in [(0, 1), (1, 0)] {
                let x = nodes[s].input[xi]
                guard let c = soleProducer(nodes[s].input[ci], readBy: s), let cube = operand(c, "Mul", times: 0.044715),
                      let q = soleProducer(cube, readBy: c) else { continue }
                var cubeNodes: [Int] = []
                if nodes[q].opType == "Pow", nodes[q].input.count == 2, nodes[q].input[0] == x, scalar(nodes[q].input[1]) == 3 {
                    cubeNodes = [q]
                } else if let sq = other(q, "Mul", than: x), let r = soleProducer(sq, readBy: q), other(r, "Mul", than: x) == x {
                    cubeNodes = [q, r]
                } else { continue }
                guard let rest = tail(t, x: x) else { continue }
                record(Match(x: x, nodes: (cubeNodes + [c, s, k, t] + rest).sorted(), approximate: true))
                break
            }
        }

        func record(_ m: Match) {
            guard let last = m.nodes.last, m.nodes.allSatisfy({ !absorbed.contains($0) && matches[$0] == nil }) else { return }
            matches[last] = m
            absorbed.formUnion(m.nodes.dropLast())
        }
    }
}
