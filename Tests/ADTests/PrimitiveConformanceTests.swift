import Testing
import AD
import TestSupport

/// The checks every primitive must pass, written once and run over the examples of every
/// primitive: a primitive is covered by being one. `example(of:)` switches over `Op` with no
/// `default:` (a new case without an example does not compile), and `everyPrimitiveHasAnExample`
/// fails for a type in `Op.primitiveTypes` that no example exercises.
@Suite struct PrimitiveConformanceTests {
    /// One operand of an example.
    struct Operand {
        var shape: [Int]
        var range: ClosedRange<Double> = -2...2
        /// Whether the loss is differentiated with respect to it (batchnorm's running statistics
        /// are buffers: no gradient).
        var differentiable = true
    }

    /// A primitive applied to random operands.
    struct Example: CustomTestStringConvertible {
        var op: Op
        var operands: [Operand]
        /// The op's kinks (values of a unary op's input, or of a − b for maximum/minimum):
        /// finite differences stay 0.25 away, the other checks sample on and around them.
        var kinks: [Double] = []
        /// For elementwise kinked ops: the derivative at a kink under C and under C′, as
        /// PyTorch's formula gives it (the independent statement the convention is pinned to).
        var kinkDerivatives: (c: Double, alternative: Double)?
        /// Maximum/minimum: some sites get b = a (ties).
        var ties = false
        /// Max-pool: values on a coarse grid, so that windows tie.
        var grid = false
        var testDescription: String { "\(op.name) \(operands.map(\.shape))" }
        var isLoss: Bool { op.isLoss }
    }

    /// The examples of `op`'s primitive (a template: its attributes pick the variant).
    static func example(of op: Op) -> [Example] {
        let x = Operand(shape: [2, 5])
        switch op {
        case .input, .parameter: return []
        case .linear:
            return [Example(op: .linear(hasBias: true), operands: [Operand(shape: [3, 4]), Operand(shape: [2, 4]), Operand(shape: [2])]),
                    Example(op: .linear(hasBias: false), operands: [Operand(shape: [2, 3]), Operand(shape: [4, 3])])]
        case .conv2d:
            let a = Conv2DAttributes(stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2)
            return [Example(op: .conv2d(a), operands: [Operand(shape: [2, 4, 5, 6]), Operand(shape: [2, 2, 2, 2]), Operand(shape: [2])])]
        case .maxPool2d:
            return [Example(op: .maxPool2d(PoolAttributes(kernel: [2, 2])), operands: [Operand(shape: [2, 2, 4, 4])], grid: true),
                    Example(op: .maxPool2d(PoolAttributes(kernel: [3, 3], stride: [2, 1], padding: [1, 1])), operands: [Operand(shape: [1, 2, 5, 4])], grid: true)]
        case .avgPool2d:
            return [Example(op: .avgPool2d(PoolAttributes(kernel: [2, 3], stride: [1, 2], padding: [1, 1])), operands: [Operand(shape: [2, 2, 4, 5])]),
                    Example(op: .avgPool2d(PoolAttributes(kernel: [3, 3], stride: [2, 1], padding: [1, 1], countIncludePad: false)), operands: [Operand(shape: [2, 2, 5, 4])])]
        case .relu: return [Example(op: .relu, operands: [x], kinks: [0], kinkDerivatives: (0, 1))]
        case .leakyReLU: return [Example(op: .leakyReLU(slope: 0.25), operands: [x], kinks: [0], kinkDerivatives: (0.25, 1))]
        case .relu6: return [Example(op: .relu6, operands: [Operand(shape: [2, 5], range: -2...8)], kinks: [0, 6], kinkDerivatives: (0, 1))]
        case .hardtanh: return [Example(op: .hardtanh(min: -0.5, max: 1.5), operands: [x], kinks: [-0.5, 1.5], kinkDerivatives: (0, 1))]
        case .abs: return [Example(op: .abs, operands: [x], kinks: [0], kinkDerivatives: (0, 1))]
        case .elu:
            return [Example(op: .elu(alpha: 0.5), operands: [x], kinks: [0], kinkDerivatives: (0.5, 1)),
                    Example(op: .elu(alpha: 1), operands: [x], kinks: [0], kinkDerivatives: (1, 1))]
        case .maximum: return [Example(op: .maximum, operands: [x, x], kinks: [0], ties: true)]
        case .minimum: return [Example(op: .minimum, operands: [x, x], kinks: [0], ties: true)]
        case .tanh: return [Example(op: .tanh, operands: [x])]
        case .sigmoid: return [Example(op: .sigmoid, operands: [x])]
        case .softplus: return [Example(op: .softplus, operands: [x], kinks: [0])]  // a branch point, not a kink
        case .softsign: return [Example(op: .softsign, operands: [x], kinks: [0])]
        case .gelu: return [Example(op: .gelu(approximate: false), operands: [x]), Example(op: .gelu(approximate: true), operands: [x])]
        case .batchNorm:
            let c = Operand(shape: [3]), v = Operand(shape: [3], range: 0.5...2, differentiable: false)
            let stats = [c, c, Operand(shape: [3], differentiable: false), v]
            return [Example(op: .batchNorm(eps: 1e-5, training: false), operands: [Operand(shape: [2, 3, 2, 2])] + stats),
                    Example(op: .batchNorm(eps: 1e-3, training: true), operands: [Operand(shape: [4, 3])] + stats)]
        case .flatten: return [Example(op: .flatten, operands: [Operand(shape: [2, 3, 2, 2])])]
        case .add, .sub, .mul, .div:
            // Two tensors; a constant per sample position, per channel, and a single value.
            let y = op == .div ? Operand(shape: [2, 5], range: 0.5...2) : x
            let perSample = Operand(shape: [5], range: y.range), channel = Operand(shape: [3], range: y.range), one = Operand(shape: [1], range: y.range)
            return [Example(op: op, operands: [x, y]), Example(op: op, operands: [x, perSample]),
                    Example(op: op, operands: [Operand(shape: [2, 3, 2, 2]), channel]), Example(op: op, operands: [Operand(shape: [2, 3, 2]), one])]
        case .concat:
            return [Example(op: .concat, operands: [Operand(shape: [2, 2, 3]), Operand(shape: [2, 3, 3]), Operand(shape: [2, 1, 3])])]
        case .pad: return [Example(op: .pad([1, 0, 2, 1]), operands: [Operand(shape: [2, 2, 3, 3])])]
        case .prelu:
            return [Example(op: .prelu, operands: [Operand(shape: [2, 3, 2, 2]), Operand(shape: [3], range: 0.05...0.5)], kinks: [0]),
                    Example(op: .prelu, operands: [x, Operand(shape: [1], range: 0.05...0.5)], kinks: [0])]
        case .clip:
            return [Example(op: .clip(min: -0.5, max: 1.5), operands: [x], kinks: [-0.5, 1.5], kinkDerivatives: (0, 1)),
                    Example(op: .clip(min: 0, max: .infinity), operands: [x], kinks: [0], kinkDerivatives: (0, 1))]
        case .identity: return [Example(op: .identity, operands: [x])]
        case .crossEntropy: return [Example(op: .crossEntropy(labels: "y"), operands: [Operand(shape: [3, 4])])]
        case .mse: return [Example(op: .mse, operands: [x, x])]
        }
    }

    /// One op of every case (attributes arbitrary: `example(of:)` picks them).
    static let templates: [Op] = [
        .linear(hasBias: true), .conv2d(Conv2DAttributes()), .maxPool2d(PoolAttributes(kernel: [2, 2])),
        .avgPool2d(PoolAttributes(kernel: [2, 2])), .relu, .leakyReLU(slope: 0.01), .relu6, .hardtanh(min: -1, max: 1), .abs,
        .elu(alpha: 1), .maximum, .minimum, .tanh, .sigmoid, .softplus, .softsign, .gelu(approximate: false),
        .batchNorm(eps: 1e-5, training: false), .flatten, .add, .identity, .crossEntropy(labels: "y"), .mse,
        .sub, .mul, .div, .concat, .pad([0, 0, 0, 0]), .prelu, .clip(min: 0, max: 1),
    ]
    static let examples = templates.flatMap(example(of:))

    static let labels = ["y": [0, 3, 1]]

    @Test func everyPrimitiveHasAnExample() {
        let covered = Set(Self.examples.map(\.op.name))
        for type in Op.primitiveTypes {
            #expect(covered.contains(type.name), "\(type.name) has no example in PrimitiveConformanceTests")
        }
        #expect(Set(Op.primitiveTypes.map { $0.name }).count == Op.primitiveTypes.count, "two primitives share a name")
    }

    /// `leaves → op → mse(·, target)` (or the op itself when it is a loss).
    func build(_ e: Example) throws -> (graph: Graph, leaves: [NodeID], op: NodeID) {
        var graph = Graph()
        var leaves: [NodeID] = []
        for (k, operand) in e.operands.enumerated() { leaves.append(try graph.parameter("p\(k)", shape: operand.shape)) }
        let op = try graph.apply("op", e.op, leaves)
        if !e.isLoss {
            let target = try graph.parameter("target", shape: graph.nodes[op].shape)
            try graph.apply("loss", .mse, [op, target])
        }
        return (graph, leaves, op)
    }

    /// Random values for every operand; with `onKinks`, many exactly on kinks (ties, grid values).
    func point(_ e: Example, _ graph: Graph, _ g: inout SeededGenerator, awayFromKinks: Bool, onKinks: Bool) -> Feed {
        var feed = Feed(labels: Self.labels)
        for (k, operand) in e.operands.enumerated() {
            let n = operand.shape.reduce(1, *)
            feed.values["p\(k)"] = (0..<n).map { i in
                if e.grid && onKinks { return Double(Int(g.uniform(0, 4))) - 1 }
                if onKinks && !e.ties && !e.kinks.isEmpty && g.uniform(0, 1) < 0.4 { return e.kinks[i % e.kinks.count] }
                var v: Double
                repeat { v = g.uniform(operand.range.lowerBound, operand.range.upperBound) }
                while awayFromKinks && !e.ties && e.kinks.contains { Swift.abs(v - $0) < 0.25 }
                return v
            }
        }
        if e.ties, var b = feed.values["p1"], let a = feed.values["p0"] {
            for i in b.indices {
                if onKinks && i % 3 == 0 { b[i] = a[i] }
                if awayFromKinks && Swift.abs(b[i] - a[i]) < 0.25 { b[i] = a[i] + 0.5 }
            }
            feed.values["p1"] = b
        }
        if let target = graph.node(named: "target") {
            feed.values["target"] = (0..<target.shape.reduce(1, *)).map { _ in g.uniform(-1, 1) }
        }
        return feed
    }

    /// Backward against MPFR-512 central finite differences, on smooth pieces.
    @Test(arguments: examples)
    func backwardMatchesFiniteDifferences(_ e: Example) throws {
        var g = SeededGenerator(seed: 11)
        let (graph, _, _) = try build(e)
        let feed = point(e, graph, &g, awayFromKinks: true, onKinks: false)
        let names = e.operands.indices.filter { e.operands[$0].differentiable }.map { "p\($0)" }
        for (name, error) in try FiniteDifferences.relativeErrors(graph, feed, wrt: names) {
            #expect(error <= 1e-40, "\(e.op.name): gradient of \(name) has relative error \(error)")
        }
    }

    /// Interval soundness: for random intervals (points, narrow, wide, straddling kinks and
    /// branch points), the op's value and gradient at sample points of the intervals — computed
    /// at 1024 bits — lie inside the 128-bit interval results.
    @Test(arguments: examples)
    func intervalsEncloseEverySamplePoint(_ e: Example) throws {
        var g = SeededGenerator(seed: 12)
        let (graph, leaves, op) = try build(e)
        let ia = MPFRIntervalArithmetic(bits: 128), pa = MPFRIntervalArithmetic(bits: 1024)
        for trial in 0..<6 {
            let center = point(e, graph, &g, awayFromKinks: false, onKinks: trial % 2 == 0)
            var bounds: [String: [(Double, Double)]] = [:]
            var intervals: [String: Tensor<MPFRIntervalArithmetic>] = [:]
            for (name, values) in center.values {
                let b = values.map { c -> (Double, Double) in
                    let r = [0, 1e-9, 0.1, 0.7, 2][Int(g.uniform(0, 5))] * g.uniform(0, 1)
                    return name.hasPrefix("p") ? (c - r, c + r) : (c, c)
                }
                bounds[name] = b
                var t = Tensor<MPFRIntervalArithmetic>(zeros: graph.node(named: name)!.shape, ia)
                t.withMutableSlots { p in for (i, (lo, hi)) in b.enumerated() { ia.setBounds(p + i, lo, hi) } }
                intervals[name] = t
            }
            if e.op == .batchNorm(eps: 1e-3, training: true) || e.op == .batchNorm(eps: 1e-5, training: false) {
                // The variance stays positive over its interval.
                bounds["p4"] = bounds["p4"]!.map { (Swift.max($0.0, 0.25), Swift.max($0.1, 0.25)) }
                intervals["p4"]!.withMutableSlots { p in for (i, (lo, hi)) in bounds["p4"]!.enumerated() { ia.setBounds(p + i, lo, hi) } }
            }
            let enclosure = try Execution(graph: graph, arithmetic: ia, feed: Feed(labels: Self.labels), tensors: intervals)
            let wanted = leaves.indices.filter { e.operands[$0].differentiable }.map { leaves[$0] }
            let gEnclosure = try enclosure.backward(wrt: wanted)
            for _ in 0..<4 {
                var sample = Feed(labels: Self.labels)
                for (name, b) in bounds {
                    sample.values[name] = b.map { lo, hi in
                        let pick = Int(g.uniform(0, 5))
                        let kinks = e.kinks.filter { $0 >= lo && $0 <= hi }
                        let v = pick == 0 ? lo : pick == 1 ? hi : pick == 2 && !kinks.isEmpty ? kinks[0] : lo + g.uniform(0, 1) * (hi - lo)
                        return Swift.min(Swift.max(v, lo), hi)
                    }
                }
                let run = try Execution(graph: graph, arithmetic: pa, feed: sample)
                let gRun = try run.backward(wrt: wanted)
                for id in [op] + (e.isLoss ? [] : [graph.nodes.count - 1]) {
                    let v = run.value(id), enc = enclosure.value(id)
                    for i in 0..<v.count {
                        #expect(ia.encloses(enc.slots + i, v.slots + i),
                                "\(e.op.name): value \(graph.nodes[id].name)[\(i)] = \(pa.decimalString(v.slots + i, digits: 12)) outside \(ia.decimalString(enc.slots + i, digits: 12))")
                    }
                }
                for id in wanted {
                    let v = gRun[id]!, enc = gEnclosure[id]!
                    for i in 0..<v.count {
                        #expect(ia.encloses(enc.slots + i, v.slots + i),
                                "\(e.op.name): gradient \(graph.nodes[id].name)[\(i)] = \(pa.decimalString(v.slots + i, digits: 12)) outside \(ia.decimalString(enc.slots + i, digits: 12))")
                    }
                }
            }
        }
    }

    /// Forcing a run's own decisions reproduces it bit for bit (values and both gradients), at
    /// f32 and f16, on points with many kink hits.
    @Test(arguments: examples)
    func forcingOwnDecisionsReproducesTheRun(_ e: Example) throws {
        var g = SeededGenerator(seed: 13)
        let (graph, leaves, _) = try build(e)
        func check<A: ScalarArithmetic>(_ a: A) throws {
            let feed = point(e, graph, &g, awayFromKinks: false, onKinks: true)
            let run = try Execution(graph: graph, arithmetic: a, feed: feed)
            let forced = try Execution(graph: graph, arithmetic: a, feed: feed, forcing: run.decisions)
            #expect(forced.decisions == run.decisions)
            for node in graph.nodes {
                let u = run.value(node.id), v = forced.value(node.id)
                #expect((0..<u.count).allSatisfy { a.identical(u.slots + $0, v.slots + $0) }, "\(e.op.name) at \(a.precision): \(node.name) differs when forced")
            }
            let conventions = [DerivativeConvention.pytorch, .alternative]
            let gu = try run.backward(conventions: conventions, wrt: leaves), gv = try forced.backward(conventions: conventions, wrt: leaves)
            for j in 0..<2 {
                for id in leaves {
                    let u = gu[j][id]!, v = gv[j][id]!
                    #expect((0..<u.count).allSatisfy { a.identical(u.slots + $0, v.slots + $0) }, "\(e.op.name): gradient of \(graph.nodes[id].name) differs when forced")
                }
            }
        }
        try check(FixedArithmetic<Float>())
        try check(FixedArithmetic<Half>())
    }

    /// At every kink hit the gradient follows the convention: under C and C′ it is PyTorch's
    /// derivative and the alternative's (elementwise ops, against the values written in the
    /// examples), C and C′ differ exactly at the kink hits; a kinked op's examples do hit kinks.
    @Test(arguments: PrimitiveConformanceTests.examples.filter { $0.op.isNonsmooth })
    func conventionIsPinnedAtEveryKink(_ e: Example) throws {
        var g = SeededGenerator(seed: 14)
        let (graph, leaves, op) = try build(e)
        let a = FixedArithmetic<Double>()
        let feed = point(e, graph, &g, awayFromKinks: false, onKinks: true)
        let run = try Execution(graph: graph, arithmetic: a, feed: feed)
        let record = run.decisions[op]!
        let both = try run.backward(conventions: [.pytorch, .alternative], wrt: leaves + [op])
        if e.kinkDerivatives?.c == e.kinkDerivatives?.alternative && e.kinkDerivatives != nil {
            #expect(record.kinkCount == 0, "\(e.op.name): no kink expected (both one-sided derivatives agree)")
            return
        }
        #expect(record.kinkCount > 0, "\(e.op.name): the example hits no kink")
        let gy = both[0][op]!.doubles(a)
        if let (dc, dAlt) = e.kinkDerivatives, leaves.count == 1 {
            let gc = both[0][leaves[0]]!.doubles(a), gAlt = both[1][leaves[0]]!.doubles(a)
            for i in 0..<record.siteCount {
                if record.state(i) == .kink {
                    #expect(gc[i] == gy[i] * dc && gAlt[i] == gy[i] * dAlt, "\(e.op.name) site \(i): C \(gc[i]), C′ \(gAlt[i]) for gy \(gy[i])")
                } else {
                    #expect(gc[i] == gAlt[i], "\(e.op.name) site \(i) is off its kinks, yet C and C′ differ")
                }
            }
        } else {
            let differ = leaves.contains { id in both[0][id]!.doubles(a) != both[1][id]!.doubles(a) }
            #expect(differ, "\(e.op.name): C and C′ agree although the example hits \(record.kinkCount) kinks")
        }
    }

    /// `read(attributes)` inverts `attributes`, through a reader over the written values.
    @Test(arguments: examples)
    func attributesRoundTrip(_ e: Example) throws {
        let p = e.op.primitive!
        var reader = ValuesReader(node: "n", values: Dictionary(uniqueKeysWithValues: p.attributes.map { ($0.key, $0.value) }))
        if case .linear(true) = e.op { reader.present.insert("bias") }
        let type = Swift.type(of: p)
        #expect(try type.read(reader).op == e.op || e.op.isLoss)
        for key in p.attributes.map(\.key) { #expect(type.schema.attributes.contains(key)) }
    }

    /// One operand too many: an error naming the node and `inputs` (concat takes any number).
    @Test(arguments: examples.filter { $0.op != .concat })
    func wrongArityNamesNodeAndKey(_ e: Example) throws {
        var graph = Graph()
        var ids: [NodeID] = []
        for (k, operand) in (e.operands + [e.operands[0]]).enumerated() { ids.append(try graph.parameter("p\(k)", shape: operand.shape)) }
        #expect(throws: GraphError.self) { try graph.apply("bad", e.op, ids) }
        do { try graph.apply("bad", e.op, ids) } catch let error as GraphError {
            #expect(error.node == "bad" && error.key == "inputs", "\(error)")
        }
    }
}

/// An `AttributeReader` over values as `Primitive.attributes` writes them.
struct ValuesReader: AttributeReader {
    struct Failure: Error { let message: String }
    let node: String
    let values: [String: AttributeValue]
    var present: Set<String> = []

    func has(_ key: String) -> Bool { values[key] != nil || present.contains(key) }
    func integer(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        guard case .integer(let i) = v else { throw error(key, "not an integer") }
        return i
    }
    func pair(_ key: String) throws -> [Int]? {
        switch values[key] {
        case nil: nil
        case .pair(let p)?: p
        case .integer(let i)?: [i, i]
        default: throw error(key, "not a pair")
        }
    }
    func number(_ key: String) throws -> Double? {
        guard let v = values[key] else { return nil }
        guard case .number(let d) = v else { throw error(key, "not a number") }
        return d
    }
    func choice(_ key: String, _ allowed: [String]) throws -> String? {
        guard let v = values[key] else { return nil }
        guard case .string(let s) = v, allowed.contains(s) else { throw error(key, "not one of \(allowed)") }
        return s
    }
    func error(_ key: String, _ message: String) -> any Error { Failure(message: "\(node).\(key): \(message)") }
}
