import Testing
import AD
import TestSupport

/// Every primitive's backward against central finite differences computed in MPFR at 256 bits,
/// at random points away from kinks: relative error ≤ 10⁻⁴⁰ for every operand.
@Suite struct BackwardVersusFiniteDifferencesTests {
    static let tolerance = 1e-40

    /// Builds `leaves → op → mse(·, target)` and checks the gradient of every leaf.
    func check(_ op: Op, leaves: [(String, [Int], Double, Double)], seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        var graph = Graph(), feed = Feed()
        var ids: [NodeID] = []
        for (name, shape, lo, hi) in leaves {
            ids.append(try graph.randomParameter(name, shape, &feed, &g, lo, hi))
        }
        let out = try graph.apply("op", op, ids)
        try graph.mseLoss(of: out, &feed, &g)
        let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: leaves.map(\.0) + ["target"])
        for (name, error) in errors {
            #expect(error <= Self.tolerance, "\(op.name): gradient of \(name) has relative error \(error)")
        }
    }

    @Test func linear() throws {
        try check(.linear(hasBias: true), leaves: [("x", [3, 5], -1, 1), ("w", [4, 5], -1, 1), ("b", [4], -1, 1)], seed: 1)
        try check(.linear(hasBias: false), leaves: [("x", [2, 3], -1, 1), ("w", [6, 3], -1, 1)], seed: 2)
    }

    @Test(arguments: [
        Conv2DAttributes(),
        Conv2DAttributes(stride: [2, 1], padding: [1, 2]),
        Conv2DAttributes(stride: [1, 2], padding: [2, 1], dilation: [2, 1]),
        Conv2DAttributes(padding: [1, 1], dilation: [1, 2], groups: 2),
    ])
    func conv2d(_ attributes: Conv2DAttributes) throws {
        let cIn = 4, cOut = 6
        try check(.conv2d(attributes), leaves: [("x", [2, cIn, 6, 7], -1, 1), ("w", [cOut, cIn / attributes.groups, 3, 2], -1, 1), ("b", [cOut], -1, 1)], seed: 3)
    }

    @Test func pooling() throws {
        // Random values: ties have probability zero, so every window has one maximum.
        try check(.maxPool2d(PoolAttributes(kernel: [2, 2])), leaves: [("x", [2, 3, 6, 6], -1, 1)], seed: 4)
        try check(.maxPool2d(PoolAttributes(kernel: [3, 3], stride: [2, 1], padding: [1, 1])), leaves: [("x", [2, 2, 7, 6], -1, 1)], seed: 5)
        try check(.avgPool2d(PoolAttributes(kernel: [2, 3], stride: [1, 2], padding: [1, 1])), leaves: [("x", [2, 2, 5, 6], -1, 1)], seed: 6)
    }

    /// Piecewise ops at points away from their breakpoints (|x| ≥ 0.25 from every kink).
    @Test func piecewiseAwayFromKinks() throws {
        func awayFromKinks(_ kinks: [Double], _ seed: UInt64) -> (Op) throws -> Void {
            { op in
                var g = SeededGenerator(seed: seed)
                var graph = Graph(), feed = Feed()
                let values = (0..<24).map { _ -> Double in
                    var v: Double
                    repeat { v = g.uniform(-8, 8) } while kinks.contains { abs(v - $0) < 0.25 }
                    return v
                }
                feed.values["x"] = values
                let x = try graph.parameter("x", shape: [4, 6])
                let out = try graph.apply("op", op, [x])
                try graph.mseLoss(of: out, &feed, &g)
                let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: ["x"])
                #expect(errors["x"]! <= Self.tolerance, "\(op.name): relative error \(errors["x"]!)")
            }
        }
        try awayFromKinks([0], 7)(.relu)
        try awayFromKinks([0], 8)(.leakyReLU(slope: 0.01))
        try awayFromKinks([0], 9)(.abs)
        try awayFromKinks([0, 6], 10)(.relu6)
        try awayFromKinks([-1.5, 2], 11)(.hardtanh(min: -1.5, max: 2))
    }

    @Test func maximumAndMinimum() throws {
        try check(.maximum, leaves: [("a", [3, 4], -1, 1), ("b", [3, 4], -1, 1)], seed: 12)
        try check(.minimum, leaves: [("a", [3, 4], -1, 1), ("b", [3, 4], -1, 1)], seed: 13)
        try check(.add, leaves: [("a", [3, 4], -1, 1), ("b", [3, 4], -1, 1)], seed: 14)
    }

    @Test func smoothActivations() throws {
        for (i, op) in [Op.tanh, .sigmoid, .softplus, .gelu(approximate: false), .gelu(approximate: true)].enumerated() {
            try check(op, leaves: [("x", [3, 5], -4, 4)], seed: 20 + UInt64(i))
        }
        try check(.softplus, leaves: [("x", [2, 3], 30, 60)], seed: 26)   // the large-x branch
        try check(.softplus, leaves: [("x", [2, 3], -60, -30)], seed: 27)  // the small-x branch
    }

    @Test func batchNorm() throws {
        for training in [false, true] {
            let leaves: [(String, [Int], Double, Double)] = [
                ("x", [3, 2, 3, 2], -2, 2), ("weight", [2], 0.5, 2), ("bias", [2], -1, 1),
                ("mean", [2], -0.5, 0.5), ("var", [2], 0.5, 2),
            ]
            var g = SeededGenerator(seed: training ? 31 : 30)
            var graph = Graph(), feed = Feed()
            let ids = try leaves.map { try graph.randomParameter($0.0, $0.1, &feed, &g, $0.2, $0.3) }
            let out = try graph.apply("bn", .batchNorm(eps: 1e-5, training: training), ids)
            try graph.mseLoss(of: out, &feed, &g)
            let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: ["x", "weight", "bias"])
            for (name, e) in errors { #expect(e <= Self.tolerance, "batchnorm(training: \(training)) \(name): \(e)") }
        }
        // 2-D input.
        var g = SeededGenerator(seed: 32)
        var graph = Graph(), feed = Feed()
        let ids = try [("x", [4, 3]), ("weight", [3]), ("bias", [3]), ("mean", [3]), ("var", [3])].map {
            try graph.randomParameter($0.0, $0.1, &feed, &g, 0.5, 1.5)
        }
        let out = try graph.apply("bn", .batchNorm(eps: 1e-3, training: true), ids)
        try graph.mseLoss(of: out, &feed, &g)
        let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: ["x", "weight", "bias"])
        for (name, e) in errors { #expect(e <= Self.tolerance, "batchnorm 2-D \(name): \(e)") }
    }

    @Test func crossEntropyAndShapeOps() throws {
        var g = SeededGenerator(seed: 40)
        var graph = Graph(), feed = Feed()
        let x = try graph.randomParameter("x", [3, 2, 2, 2], &feed, &g, -3, 3)
        let f = try graph.apply("flatten", .flatten, [x])
        let i = try graph.apply("identity", .identity, [f])
        try graph.apply("loss", .crossEntropy(labels: "y"), [i])
        feed.labels["y"] = [3, 0, 7]
        let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: ["x"])
        #expect(errors["x"]! <= Self.tolerance, "cross_entropy: \(errors["x"]!)")
    }

    /// A small network with a node used twice (residual), checking the summation of contributions.
    @Test func networkWithSharedNodes() throws {
        var g = SeededGenerator(seed: 50)
        var graph = Graph(), feed = Feed()
        let x = try graph.randomParameter("x", [2, 4], &feed, &g)
        let w1 = try graph.randomParameter("w1", [4, 4], &feed, &g)
        let h = try graph.apply("fc1", .linear(hasBias: false), [x, w1])
        let t = try graph.apply("tanh", .tanh, [h])
        let r = try graph.apply("res", .add, [t, x])
        let w2 = try graph.randomParameter("w2", [3, 4], &feed, &g)
        let z = try graph.apply("fc2", .linear(hasBias: false), [r, w2])
        try graph.apply("loss", .crossEntropy(labels: "y"), [z])
        feed.labels["y"] = [1, 2]
        let errors = try FiniteDifferences.relativeErrors(graph, feed, wrt: ["x", "w1", "w2"])
        for (name, e) in errors { #expect(e <= Self.tolerance, "\(name): \(e)") }
    }
}
