import Foundation
import Testing
import AD

/// Conventions pinned on hand-made kinks: each derivative choice, read off a single backward.
@Suite struct ConventionTests {
    let a = FixedArithmetic<Double>()

    /// The local derivatives of `op` at `x` (fed exactly): the gradient of `Σ op(x)` through
    /// `loss = (Σ op(x) − t)²` with `t` chosen so that d loss / d Σ = 1 exactly.
    func localDerivatives(_ op: Op, _ x: [Double], _ convention: DerivativeConvention) throws -> [Double] {
        var graph = Graph()
        let xi = try graph.parameter("x", shape: [1, x.count])
        let y = try graph.apply("op", op, [xi])
        let ones = try graph.parameter("ones", shape: [1, x.count])
        let total = try graph.apply("sum", .linear(hasBias: false), [y, ones])
        let target = try graph.parameter("target", shape: [1, 1])
        try graph.apply("loss", .mse, [total, target])
        var feed = Feed(values: ["x": x, "ones": Array(repeating: 1, count: x.count), "target": [0]])
        let sum = try Execution(graph: graph, arithmetic: a, feed: feed).value(total).doubles(a)[0]
        feed.values["target"] = [sum - 0.5]
        let run = try Execution(graph: graph, arithmetic: a, feed: feed)
        return try run.backward(convention: convention, wrt: [xi])[xi]!.doubles(a)
    }

    func with(_ change: (inout DerivativeConvention) -> Void) -> DerivativeConvention {
        var c = DerivativeConvention.pytorch
        change(&c)
        return c
    }

    @Test func reluAtZeroIsTheConventionsValue() throws {
        for value in [0.0, 0.5, 1.0] {
            let d = try localDerivatives(.relu, [-1, 0, 2, -0.0], with { $0[ReLU.atZero] = .number(value) })
            #expect(d == [0, value, 1, value])
        }
        #expect(try localDerivatives(.relu, [0], .pytorch) == [0])
        #expect(try localDerivatives(.relu, [0], .alternative) == [1])
    }

    @Test func leakyAbsHardtanhRelu6AtTheirKinks() throws {
        #expect(try localDerivatives(.leakyReLU(slope: 0.25), [-1, 0, 1], .pytorch) == [0.25, 0.25, 1])
        #expect(try localDerivatives(.leakyReLU(slope: 0.25), [-1, 0, 1], .alternative) == [0.25, 1, 1])
        #expect(try localDerivatives(.abs, [-3, 0, 3], .pytorch) == [-1, 0, 1])
        #expect(try localDerivatives(.abs, [-3, 0, 3], with { $0[Abs.atZero] = .number(-1) }) == [-1, -1, 1])
        #expect(try localDerivatives(.relu6, [-1, 0, 3, 6, 7], .pytorch) == [0, 0, 1, 0, 0])
        #expect(try localDerivatives(.relu6, [-1, 0, 3, 6, 7], .alternative) == [0, 1, 1, 1, 0])
        #expect(try localDerivatives(.hardtanh(min: -1, max: 1), [-2, -1, 0.5, 1, 2], with { $0[Hardtanh.atBound] = .number(0.5) }) == [0, 0.5, 1, 0.5, 0])
    }

    /// ELU: PyTorch's elu_backward gives α·eˣ at and below 0, so α at 0; C′ gives 1. With α = 1
    /// there is no kink (both one-sided derivatives are 1).
    @Test func eluAtZeroIsAlphaUnlessFlipped() throws {
        #expect(try localDerivatives(.elu(alpha: 0.5), [-1, 0, 1], .pytorch) == [0.5 * Foundation.exp(-1.0), 0.5, 1])
        #expect(try localDerivatives(.elu(alpha: 0.5), [-1, 0, 1], .alternative) == [0.5 * Foundation.exp(-1.0), 1, 1])
        #expect(try localDerivatives(.elu(alpha: 0.5), [0], with { $0[ELU.atZero] = .number(0.25) }) == [0.25])
        #expect(try localDerivatives(.elu(alpha: 1), [0], .alternative) == [1])
    }

    /// A 2×2 window with a triple tie {1, 2, 3} (positions 1, 2, 3 hold 5) and a window without.
    @Test func maxPoolTiesFollowTheRule() throws {
        // x [1, 1, 2, 4]: window 0 = [0 5; 5 5] (tie at 1, 2, 3), window 1 = [1 2; 3 4] (max at 3).
        let x: [Double] = [0, 5, 1, 2, 5, 5, 3, 4]
        let op = Op.maxPool2d(PoolAttributes(kernel: [2, 2]))
        func grads(_ rule: DerivativeConvention.TieRule) throws -> [Double] {
            var graph = Graph()
            let xi = try graph.parameter("x", shape: [1, 1, 2, 4])
            let p = try graph.apply("pool", op, [xi])
            let f = try graph.apply("flat", .flatten, [p])
            let w = try graph.parameter("w", shape: [1, 2])
            let s = try graph.apply("sum", .linear(hasBias: false), [f, w])
            let t = try graph.parameter("t", shape: [1, 1])
            try graph.apply("loss", .mse, [s, t])
            // s = 5 + 4 = 9; t = 8.5 makes d loss/ds = 1.
            let run = try Execution(graph: graph, arithmetic: a, feed: Feed(values: ["x": x, "w": [1, 1], "t": [8.5]]))
            #expect(run.decisions[p] == .argmax(ArgmaxSets(first: [1, 3], ties: [0: [1, 2, 3]])))
            var c = DerivativeConvention.pytorch
            c[MaxPool2D.tie] = .tie(rule)
            return try run.backward(convention: c, wrt: [xi])[xi]!.doubles(a)
        }
        // Window positions 1, 2, 3 of window 0 are x indices 1, 4, 5; window 1's max (pos 3) is index 7.
        #expect(try grads(.first) == [0, 1, 0, 0, 0, 0, 0, 1])
        #expect(try grads(.last) == [0, 0, 0, 0, 0, 1, 0, 1])
        #expect(try grads(.split) == [0, 1.0 / 3, 0, 0, 1.0 / 3, 1.0 / 3, 0, 1])
    }

    @Test func maximumAndMinimumTiesFollowTheRule() throws {
        func grads(_ op: Op, _ rule: DerivativeConvention.TieRule) throws -> ([Double], [Double]) {
            var graph = Graph()
            let u = try graph.parameter("u", shape: [1, 3]), v = try graph.parameter("v", shape: [1, 3])
            let m = try graph.apply("m", op, [u, v])
            let w = try graph.parameter("w", shape: [1, 3])
            let s = try graph.apply("sum", .linear(hasBias: false), [m, w])
            let t = try graph.parameter("t", shape: [1, 1])
            try graph.apply("loss", .mse, [s, t])
            let feed = Feed(values: ["u": [1, 2, 3], "v": [2, 2, 1], "w": [1, 1, 1], "t": [op == .maximum ? 6.5 : 3.5]])
            let run = try Execution(graph: graph, arithmetic: a, feed: feed)
            #expect(run.decisions[m] == .pieces([0, 1, 2]))
            var c = DerivativeConvention.pytorch
            c[ExtremumTie.choice] = .tie(rule)
            let g = try run.backward(convention: c, wrt: [u, v])
            return (g[u]!.doubles(a), g[v]!.doubles(a))
        }
        #expect(try grads(.maximum, .first) == ([0, 1, 1], [1, 0, 0]))
        #expect(try grads(.maximum, .last) == ([0, 0, 1], [1, 1, 0]))
        #expect(try grads(.maximum, .split) == ([0, 0.5, 1], [1, 0.5, 0]))
        #expect(try grads(.minimum, .first) == ([1, 1, 0], [0, 0, 1]))
        #expect(try grads(.minimum, .split) == ([1, 0.5, 0], [0, 0.5, 1]))
    }

    @Test func presetsAreWrittenDown() {
        #expect(DerivativeConvention.pytorch[ReLU.atZero] == .number(0) && DerivativeConvention.alternative[ReLU.atZero] == .number(1))
        #expect(DerivativeConvention.pytorch[MaxPool2D.tie] == .tie(.first) && DerivativeConvention.alternative[MaxPool2D.tie] == .tie(.last))
        #expect(DerivativeConvention.pytorch[ExtremumTie.choice] == .tie(.split) && DerivativeConvention.alternative[ExtremumTie.choice] == .tie(.first))
        #expect(DerivativeConvention.pytorch[LeakyReLU.atZero] == .standard && DerivativeConvention.alternative[LeakyReLU.atZero] == .number(1))
        #expect(DerivativeConvention.pytorch[ELU.atZero] == .standard && DerivativeConvention.alternative[ELU.atZero] == .number(1))
        #expect(DerivativeConvention.pytorch.flipped == DerivativeConvention.alternative)
        var bad = DerivativeConvention.pytorch
        bad[ReLU.atZero] = .number(2)
        #expect(throws: ConventionError.self) { try bad.validate() }
    }
}
