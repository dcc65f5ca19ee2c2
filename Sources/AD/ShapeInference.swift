/// Output shapes of the primitives, and the checks that make an execution unable to fail.
enum ShapeInference {
    static func outputShape(of op: Op, named name: String, inputs: [Node]) throws -> [Int] {
        func fail(_ key: String?, _ message: String) -> GraphError { GraphError(node: name, key: key, message: message) }
        func arity(_ n: ClosedRange<Int>, _ keys: String) throws {
            guard n.contains(inputs.count) else {
                throw fail("inputs", "\(op.name) takes \(n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound) or \(n.upperBound)") operands (\(keys)), found \(inputs.count)")
            }
        }
        func rank(_ i: Int, _ key: String, _ r: [Int]) throws {
            guard r.contains(inputs[i].shape.count) else {
                throw fail(key, "expected a tensor of rank \(r.map(String.init).joined(separator: " or ")), found shape \(inputs[i].shape) ('\(inputs[i].name)')")
            }
        }
        func expectShape(_ i: Int, _ key: String, _ expected: [Int]) throws {
            guard inputs[i].shape == expected else {
                throw fail(key, "expected shape \(expected), found \(inputs[i].shape) ('\(inputs[i].name)')")
            }
        }
        func pair(_ v: [Int], _ key: String, min: Int) throws -> (Int, Int) {
            // The upper bound keeps every size computation far from overflow.
            guard v.count == 2, v[0] >= min, v[1] >= min, v[0] <= 1 << 20, v[1] <= 1 << 20 else {
                throw fail(key, "expected an int or an [h, w] pair, each in \(min)…\(1 << 20), found \(v)")
            }
            return (v[0], v[1])
        }

        switch op {
        case .input, .parameter:
            throw fail(nil, "leaves are added with input(_:shape:) or parameter(_:shape:)")

        case .linear(let hasBias):
            try arity(hasBias ? 3...3 : 2...2, hasBias ? "input, weight, bias" : "input, weight")
            try rank(0, "input", [2])
            try rank(1, "weight", [2])
            let x = inputs[0].shape, w = inputs[1].shape
            guard w[1] == x[1] else {
                throw fail("weight", "expected shape [out, \(x[1])] for an input of \(x[1]) features, found \(w)")
            }
            if hasBias { try expectShape(2, "bias", [w[0]]) }
            return [x[0], w[0]]

        case .conv2d(let a):
            try arity(2...3, "input, weight, bias")
            try rank(0, "input", [4])
            try rank(1, "weight", [4])
            let x = inputs[0].shape, w = inputs[1].shape
            let (sh, sw) = try pair(a.stride, "stride", min: 1)
            let (ph, pw) = try pair(a.padding, "padding", min: 0)
            let (dh, dw) = try pair(a.dilation, "dilation", min: 1)
            guard a.groups >= 1, a.groups <= 1 << 20, x[1] % a.groups == 0, w[0] % a.groups == 0 else {
                throw fail("groups", "groups = \(a.groups) must divide the input channels (\(x[1])) and the output channels (\(w[0]))")
            }
            guard w[1] == x[1] / a.groups else {
                throw fail("weight", "expected shape [out, \(x[1] / a.groups), kh, kw] (input channels / groups), found \(w)")
            }
            if inputs.count == 3 { try expectShape(2, "bias", [w[0]]) }
            let oh = ConvGeometry.outputExtent(x[2], kernel: w[2], stride: sh, padding: ph, dilation: dh)
            let ow = ConvGeometry.outputExtent(x[3], kernel: w[3], stride: sw, padding: pw, dilation: dw)
            guard oh >= 1, ow >= 1 else {
                throw fail("weight", "a \(w[2])×\(w[3]) kernel (dilation \(a.dilation), padding \(a.padding)) does not fit a \(x[2])×\(x[3]) input")
            }
            return [x[0], w[0], oh, ow]

        case .maxPool2d(let a), .avgPool2d(let a):
            try arity(1...1, "input")
            try rank(0, "input", [4])
            let x = inputs[0].shape
            let (kh, kw) = try pair(a.kernel, "kernel", min: 1)
            let (sh, sw) = try pair(a.stride, "stride", min: 1)
            let (ph, pw) = try pair(a.padding, "padding", min: 0)
            guard ph <= kh / 2, pw <= kw / 2 else {
                throw fail("padding", "padding \(a.padding) must be at most half the kernel \(a.kernel), so every window holds an input value")
            }
            let oh = ConvGeometry.outputExtent(x[2], kernel: kh, stride: sh, padding: ph, dilation: 1)
            let ow = ConvGeometry.outputExtent(x[3], kernel: kw, stride: sw, padding: pw, dilation: 1)
            guard oh >= 1, ow >= 1 else {
                throw fail("kernel", "a \(kh)×\(kw) window does not fit a \(x[2])×\(x[3]) input")
            }
            return [x[0], x[1], oh, ow]

        case .hardtanh(let lo, let hi):
            try arity(1...1, "input")
            guard lo.isFinite, hi.isFinite, lo < hi else {
                throw fail("min", "expected finite bounds with min < max, found min = \(lo), max = \(hi)")
            }
            return inputs[0].shape

        case .leakyReLU(let slope):
            try arity(1...1, "input")
            guard slope.isFinite else { throw fail("negative_slope", "expected a finite slope, found \(slope)") }
            return inputs[0].shape

        case .relu, .relu6, .abs, .tanh, .sigmoid, .softplus, .gelu, .identity:
            try arity(1...1, "input")
            return inputs[0].shape

        case .maximum, .minimum, .add:
            try arity(2...2, "inputs[0], inputs[1]")
            try expectShape(1, "inputs[1]", inputs[0].shape)
            return inputs[0].shape

        case .batchNorm(let eps, _):
            try arity(5...5, "input, weight, bias, running_mean, running_var")
            try rank(0, "input", [2, 4])
            guard eps.isFinite, eps >= 0 else { throw fail("eps", "expected a finite eps ≥ 0, found \(eps)") }
            let c = inputs[0].shape[1]
            for (i, key) in ["weight", "bias", "running_mean", "running_var"].enumerated() {
                try expectShape(i + 1, key, [c])
            }
            return inputs[0].shape

        case .flatten:
            try arity(1...1, "input")
            try rank(0, "input", Array(1...8))
            let x = inputs[0].shape
            return [x[0], x.dropFirst().reduce(1, *)]

        case .crossEntropy:
            try arity(1...1, "logits")
            try rank(0, "logits", [2])
            return []

        case .mse:
            try arity(2...2, "prediction, target")
            try expectShape(1, "target", inputs[0].shape)
            return []
        }
    }
}

/// Sizes and index maps shared by convolution and pooling.
public enum ConvGeometry {
    /// `⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1`, PyTorch's output size (0 or less when nothing fits).
    @inlinable public static func outputExtent(_ n: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        return span < 0 ? 0 : span / s + 1
    }
}
