import Testing
import AD

/// Bad graphs and feeds give errors that name the node and the key; nothing crashes.
@Suite struct GraphAndFeedErrorTests {
    func error(_ build: (inout Graph) throws -> Void) -> GraphError? {
        var g = Graph()
        do { try build(&g) } catch let e as GraphError { return e } catch { return nil }
        return nil
    }

    @Test func shapeErrorsNameNodeAndKey() {
        let e = error { g in
            let x = try g.input("x", shape: [2, 3])
            let w = try g.parameter("fc1.weight", shape: [4, 5])
            try g.apply("fc1", .linear(hasBias: false), [x, w])
        }
        #expect(e?.node == "fc1" && e?.key == "weight")
        #expect(e?.description.contains("[4, 5]") == true)

        let bias = error { g in
            let x = try g.input("x", shape: [2, 3])
            let w = try g.parameter("w", shape: [4, 3]), b = try g.parameter("b", shape: [5])
            try g.apply("fc", .linear(hasBias: true), [x, w, b])
        }
        #expect(bias?.key == "bias")

        let rank = error { g in
            let x = try g.input("x", shape: [2, 3])
            let w = try g.parameter("w", shape: [4, 3, 3, 3])
            try g.apply("conv", .conv2d(Conv2DAttributes()), [x, w])
        }
        #expect(rank?.node == "conv" && rank?.key == "input")

        let groups = error { g in
            let x = try g.input("x", shape: [1, 3, 8, 8])
            let w = try g.parameter("w", shape: [4, 3, 3, 3])
            try g.apply("conv", .conv2d(Conv2DAttributes(groups: 2)), [x, w])
        }
        #expect(groups?.key == "groups")

        let tooBig = error { g in
            let x = try g.input("x", shape: [1, 1, 2, 2])
            try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [3, 3])), [x])
        }
        #expect(tooBig?.key == "kernel")

        let padding = error { g in
            let x = try g.input("x", shape: [1, 1, 8, 8])
            try g.apply("pool", .maxPool2d(PoolAttributes(kernel: [2, 2], padding: [2, 0])), [x])
        }
        #expect(padding?.key == "padding")

        let mismatch = error { g in
            let a = try g.input("a", shape: [2, 3]), b = try g.input("b", shape: [3, 2])
            try g.apply("m", .maximum, [a, b])
        }
        #expect(mismatch?.key == "inputs[1]")

        let bounds = error { g in
            let a = try g.input("a", shape: [2, 3])
            try g.apply("h", .hardtanh(min: 1, max: -1), [a])
        }
        #expect(bounds?.key == "min")

        let duplicate = error { g in
            try g.input("a", shape: [2, 3])
            try g.input("a", shape: [2, 3])
        }
        #expect(duplicate?.key == "name")

        let forward = error { g in
            try g.input("a", shape: [2, 3])
            try g.apply("r", .relu, [5])
        }
        #expect(forward?.key == "inputs")

        let empty = error { g in try g.input("a", shape: [2, 0]) }
        #expect(empty?.key == "shape")
    }

    @Test func feedErrorsNameTheNode() throws {
        var g = Graph()
        let x = try g.input("x", shape: [2, 3])
        try g.apply("loss", .crossEntropy(labels: "y"), [x])
        let a = FixedArithmetic<Float>()
        #expect(throws: ExecutionError(node: "x", message: "no value was given for this input")) {
            try Execution(graph: g, arithmetic: a, feed: Feed())
        }
        #expect(throws: ExecutionError(node: "x", message: "expected 6 values for shape [2, 3], found 5")) {
            try Execution(graph: g, arithmetic: a, feed: Feed(values: ["x": [1, 2, 3, 4, 5]]))
        }
        #expect(throws: ExecutionError(node: "loss", message: "label 3 of sample 1 is outside 0..<3")) {
            try Execution(graph: g, arithmetic: a, feed: Feed(values: ["x": [1, 2, 3, 4, 5, 6]], labels: ["y": [0, 3]]))
        }
        #expect(throws: ExecutionError(node: "loss", message: "expected 2 labels (one per sample) under 'y', found 1")) {
            try Execution(graph: g, arithmetic: a, feed: Feed(values: ["x": [1, 2, 3, 4, 5, 6]], labels: ["y": [0]]))
        }
    }

    @Test func forcingRecordsMustFit() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 3])
        let r = try g.apply("relu", .relu, [x])
        let a = FixedArithmetic<Float>()
        let feed = Feed(values: ["x": [1, -1, 0]])
        #expect(throws: ExecutionError.self) {
            try Execution(graph: g, arithmetic: a, feed: feed, forcing: [r: .pieces([0, 1])])
        }
        #expect(throws: ExecutionError.self) {
            try Execution(graph: g, arithmetic: a, feed: feed, forcing: [:])
        }
        let forced = try Execution(graph: g, arithmetic: a, feed: feed, forcing: [r: .pieces([0, 2, 1])])
        // Forced pieces at this precision's inputs: below → 0, above → x (−1), on → the kink value 0.
        #expect(forced.value(r).doubles(a) == [0, -1, 0])
    }
}
