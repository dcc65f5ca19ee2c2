import Precision

extension NodeRounding {
    /// The per-node roundings of precision `p` over `graph`, nil for a precision that rounds
    /// every operation itself (f16, bf16, f32, f64, fp8, MPFR). `policies` holds the rules of
    /// the `policy:NAME` precisions.
    /// - Throws: `PolicyError` for a `policy:NAME` without rules, or rules naming a layer the
    ///   graph does not have.
    public static func forPrecision(_ p: PrecisionName, graph: Graph, policies: [String: PolicySpec] = [:]) throws -> NodeRounding? {
        switch p {
        case .amp(let low): return try build(PolicySpec(name: p.description, base: low == .f16 ? .ampF16 : .ampBF16), graph: graph)
        case .e4m3Policy(let saturating): return try build(.e4m3Recipe(saturating: saturating), graph: graph)
        case .stochastic(let low, let seed): return stochastic(graph, low: low.format, seed: seed)
        case .policy(let name):
            guard let spec = policies[name] else {
                throw PolicyError(file: p.description, message: "no policy file defines '\(name)' (give it with --policy FILE)")
            }
            return try build(spec, graph: graph)
        case .f16, .bf16, .f32, .f64, .e4m3, .e5m2, .mpfr: return nil
        }
    }

    /// PyTorch autocast with the 16-bit format `low` (binary16 or bfloat16) over `graph`.
    public static func autocast(_ graph: Graph, low: FormatInfo) -> NodeRounding {
        // Cannot throw: no layer rules.
        try! build(PolicySpec(name: "amp", base: low == .binary16 ? .ampF16 : .ampBF16), graph: graph)
    }

    /// Stochastic rounding to `low` of every node's output, every gradient contribution and
    /// every addition of contributions; leaves are already `low` (the point is rounded to it).
    public static func stochastic(_ graph: Graph, low: FormatInfo, seed: UInt64) -> NodeRounding {
        let sr = TensorCast(low, rounding: .stochastic)
        let nodes = graph.nodes
        return NodeRounding(storage: nodes.map { _ in low }, output: nodes.map { $0.op.isLeaf ? nil : sr },
                            operands: nodes.map { $0.inputs.map { _ in nil } }, incoming: nodes.map { $0.inputs.map { _ in nil } },
                            operandGradients: nodes.map { $0.inputs.map { _ in [sr] } }, accumulation: nodes.map { _ in sr }, seed: seed)
    }

    /// The roundings of `spec` over `graph` (the rules of `PolicySpec`, and autocast's table for
    /// its base): leaves stay f32.
    ///
    /// Autocast's classes (`AutocastClass`): a "16-bit" op casts every operand whose tensor is
    /// not already 16-bit to 16 bits (the weight copy, the f32 activation) and stores a 16-bit
    /// output; an "f32" op computes from its operands promoted exactly and stores f32; an
    /// "inputs" op stores the dtype its data operands share (for `batchnorm` only operand 0, the
    /// activation: its f32 weight, bias and statistics do not promote it), f32 when they differ.
    /// The gradient an op returns for operand k is rounded to the dtype of the tensor it used
    /// (its cast copy, except an fp8 copy inside a GEMM, whose gradient comes out in the dtype
    /// before quantisation as in Transformer Engine), then to the producer's dtype.
    public static func build(_ spec: PolicySpec, graph: Graph) throws -> NodeRounding {
        let known = Set(graph.nodes.map(\.name))
        for layer in spec.layers.keys.sorted() where !known.contains(layer) {
            throw PolicyError(file: spec.source ?? spec.name, key: "layers.\(layer)", message: "the model has no layer '\(layer)'")
        }
        for op in spec.ops.keys.sorted() where AutocastClass.of(primitiveNamed: op) == nil {
            throw PolicyError(file: spec.source ?? spec.name, key: "ops.\(op)",
                              message: "unknown op type '\(op)' (known: \(AutocastClass.table.keys.sorted().joined(separator: ", ")))")
        }
        let f32 = FormatInfo.binary32
        let low: FormatInfo? = switch spec.base { case .f32: nil; case .ampF16: .binary16; case .ampBF16: .bfloat16 }
        func nearest(_ f: FormatInfo?) -> TensorCast? { f.flatMap { $0 == f32 ? nil : TensorCast($0) } }
        func isFP8(_ f: FormatInfo) -> Bool { f == .e4m3 || f == .e5m2 }
        var storage: [FormatInfo] = [], output: [TensorCast?] = [], operands: [[TensorCast?]] = []
        var incoming: [[TensorCast?]] = [], gradients: [[[TensorCast]]] = []
        for node in graph.nodes {
            let name = node.op.primitive.map { type(of: $0).name }
            let producers = node.inputs.map { storage[$0] }
            var cast = [TensorCast?](repeating: nil, count: node.inputs.count)
            var gy = [TensorCast?](repeating: nil, count: node.inputs.count)
            var stored = f32
            if node.op.isLeaf || name == nil {
                stored = f32
            } else if let rule = spec.layers[node.name] ?? spec.ops[name!] {
                let gemm = name == "linear" || name == "conv2d"
                for k in node.inputs.indices {
                    let isBias = gemm && k == 2
                    guard let target = isBias ? rule.output : rule.inputs, target != f32 else { continue }
                    let scaled = !isBias && rule.scaling == .amax
                    if scaled || producers[k] != target {
                        cast[k] = TensorCast(target, scaling: isBias ? .none : rule.scaling, saturating: !isBias && rule.saturating)
                    }
                    if !isBias, let g = rule.gradient, g != f32 { gy[k] = TensorCast(g, scaling: rule.scaling, saturating: rule.saturating) }
                }
                stored = rule.output ?? f32
            } else if let low {
                switch AutocastClass.of(primitiveNamed: name!) ?? .followsInputs {
                case .lowPrecision:
                    for k in node.inputs.indices where producers[k] != low { cast[k] = TensorCast(low) }
                    stored = low
                case .float32:
                    stored = f32
                case .followsInputs:
                    let data = name == "batchnorm" ? Array(producers.prefix(1)) : producers
                    stored = data.first.map { first in data.allSatisfy { $0 == first } ? first : f32 } ?? f32
                }
            }
            storage.append(stored)
            output.append(node.op.isLeaf ? nil : nearest(stored))
            operands.append(cast)
            incoming.append(gy)
            gradients.append(node.inputs.indices.map { k in
                var steps: [TensorCast] = []
                if let c = cast[k], !isFP8(c.format) { steps.append(TensorCast(c.format)) }
                if producers[k] != f32 && steps.last?.format != producers[k] { steps.append(TensorCast(producers[k])) }
                return steps
            })
        }
        return NodeRounding(storage: storage, output: output, operands: operands, incoming: incoming,
                            operandGradients: gradients, accumulation: storage.map(nearest))
    }
}
