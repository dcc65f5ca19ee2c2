import AD
import Foundation

/// Each supported ONNX op type onto bpcheck's primitives (docs/onnx.md lists them and the
/// attribute values accepted). An attribute value bpcheck cannot represent is an error naming
/// the attribute, never a silent approximation.
extension ONNXConverter {
    mutating func mapNode(_ c: Context, isGraphOutput: Bool) throws {
        let a = c.attributes
        switch c.opType {
        case "Constant":
            try a.only(["value", "value_float", "value_floats", "value_int", "value_ints"])
            try defineConstant(c)

        case "Identity":
            try a.only([])
            alias(c, try value(c, 0, role: "input"))
        case "Dropout":
            try a.only(["seed", "ratio", "is_test"])
            alias(c, try value(c, 0, role: "input"))
            markExtraOutputs(c, "mask output")

        case "Gemm": try gemm(c)
        case "MatMul": try matMul(c)
        case "Conv": try conv(c)
        case "MaxPool": try maxPool(c)
        case "AveragePool": try averagePool(c)
        case "GlobalAveragePool":
            try a.only([])
            try globalAverage(c, keepDims: true)
        case "ReduceMean": try reduceMean(c)

        case "Relu": try unary(c, .relu)
        case "Abs": try unary(c, .abs)
        case "Tanh": try unary(c, .tanh)
        case "Sigmoid": try unary(c, .sigmoid)
        case "Softplus": try unary(c, .softplus)
        case "Softsign": try unary(c, .softsign)
        case "LeakyRelu": try unary(c, .leakyReLU(slope: try a.float("alpha") ?? 0.01), attributes: ["alpha"])
        case "Elu": try unary(c, .elu(alpha: try a.float("alpha") ?? 1), attributes: ["alpha"])
        case "Clip": try clip(c)

        case "Max", "Min":
            try a.only([])
            guard c.proto.input.count == 2 else {
                throw fail(c, "input", "\(c.opType) of \(c.proto.input.count) inputs is not supported (two inputs of the same shape)")
            }
            let x = try computed(c, 0), y = try computed(c, 1, role: "inputs[1]")
            try emit(c, c.opType == "Max" ? .maximum : .minimum, inputs: [x, y])
        case "Add":
            try a.only([])
            guard c.proto.input.count == 2 else { throw fail(c, "input", "Add needs two inputs, found \(c.proto.input.count)") }
            let x = try computed(c, 0), y = try computed(c, 1, role: "inputs[1]")
            try emit(c, .add, inputs: [x, y])

        case "BatchNormalization": try batchNorm(c)
        case "Flatten":
            try a.only(["axis"])
            try a.require("axis", equals: 1, default: 1, "bpcheck's flatten keeps the batch axis (axis 1 only)")
            try emit(c, .flatten, inputs: [try computed(c, 0)])
        case "Reshape": try reshape(c)
        case "Shape", "Gather", "Unsqueeze", "Concat": try shapeComputation(c)

        case "Softmax", "LogSoftmax": try trailingSoftmax(c, isGraphOutput: isGraphOutput)

        default:
            throw fail(c, "op_type", "op type '\(c.opType)' is not supported (supported: \(ONNXReader.supportedOps.joined(separator: ", ")))")
        }
    }

    // MARK: - Constants

    mutating func defineConstant(_ c: Context) throws {
        let a = c.attributes, out = c.proto.output[0]
        let tensor: HostTensor
        if let t = try a.tensor("value") {
            tensor = try decode(t, c)
        } else if let f = try a.float("value_float") {
            tensor = try HostTensor(dtype: .f32, shape: [], values: [f])
        } else if let fs = try a.floats("value_floats") {
            tensor = try HostTensor(dtype: .f32, shape: [fs.count], values: fs.map(Double.init))
        } else if let i = try a.int("value_int") {
            tensor = try HostTensor(dtype: .i64, shape: [], ints: [i])
        } else if let i = try a.ints("value_ints") {
            tensor = try HostTensor(dtype: .i64, shape: [i.count], ints: i)
        } else {
            throw fail(c, "value", "a Constant needs one of value, value_float, value_floats, value_int, value_ints")
        }
        alias(c, .constant(tensor, key: out))
    }

    mutating func decode(_ t: Onnx_TensorProto, _ c: Context) throws -> HostTensor {
        try decoder.decode(t, node: c.label, key: "value")
    }

    // MARK: - Linear layers

    mutating func gemm(_ c: Context) throws {
        let a = c.attributes
        try a.only(["alpha", "beta", "transA", "transB"])
        try a.require("transA", equals: 0, default: 0, "bpcheck's linear computes x Wᵀ + b with x = A untransposed")
        let alpha = try a.float("alpha") ?? 1, beta = try a.float("beta") ?? 1
        guard alpha == 1 else { throw fail(c, "alpha", "alpha = \(alpha) is not supported (alpha = 1 only)") }
        let x = try computed(c, 0, role: "A")
        guard shape(x).count == 2 else { throw fail(c, "A", "Gemm needs A of rank 2, found shape \(shape(x)) (batch 1)") }
        var (w, wKey) = try constant(c, 1, role: "B")
        guard w.shape.count == 2 else { throw fail(c, "B", "expected B of rank 2, found shape \(w.shape)") }
        if try a.int("transB") ?? 0 == 0 {
            w = try Self.transposed(w)
            wKey += ".T"
        }
        var parameters: [(role: String, key: String, tensor: HostTensor)] = [("weight", wKey, w)]
        if let (bias, bKey) = try optionalConstant(c, 2, role: "C") {
            guard beta == 1 else { throw fail(c, "beta", "beta = \(beta) is not supported (beta = 1 only)") }
            let out = w.shape[0]
            guard bias.shape == [out] || bias.shape == [1, out] else {
                throw fail(c, "C", "expected a bias C of shape [\(out)] (or [1, \(out)]), found \(bias.shape) (broadcast biases are not supported)")
            }
            parameters.append(("bias", bKey, try HostTensor(dtype: bias.dtype, shape: [out], bytes: bias.bytes)))
        }
        try emit(c, .linear(hasBias: parameters.count == 2), inputs: [x], parameters: parameters)
    }

    /// `x · B` with a constant `B [in, out]`: a linear layer with weight `Bᵀ` (key `B.T`).
    mutating func matMul(_ c: Context) throws {
        try c.attributes.only([])
        let x = try computed(c, 0, role: "A")
        guard shape(x).count == 2 else { throw fail(c, "A", "MatMul is supported for A of rank 2 only, found shape \(shape(x)) (batch 1)") }
        let (b, key) = try constant(c, 1, role: "B")
        guard b.shape.count == 2 else { throw fail(c, "B", "expected a constant B [in, out] of rank 2, found shape \(b.shape)") }
        try emit(c, .linear(hasBias: false), inputs: [x], parameters: [("weight", key + ".T", try Self.transposed(b))])
    }

    /// The transpose of a 2-D tensor, element bytes moved as they are.
    static func transposed(_ t: HostTensor) throws -> HostTensor {
        let rows = t.shape[0], cols = t.shape[1], size = t.dtype.byteSize
        var out = [UInt8](repeating: 0, count: t.bytes.count)
        for i in 0..<rows {
            for j in 0..<cols {
                let from = (i * cols + j) * size, to = (j * rows + i) * size
                for k in 0..<size { out[to + k] = t.bytes[from + k] }
            }
        }
        return try HostTensor(dtype: t.dtype, shape: [cols, rows], bytes: out)
    }

    // MARK: - Convolution and pooling

    mutating func conv(_ c: Context) throws {
        let a = c.attributes
        try a.only(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        try a.noAutoPad()
        let x = try computed(c, 0, role: "X")
        let (w, wKey) = try constant(c, 1, role: "W")
        guard w.shape.count == 4 else { throw fail(c, "W", "only 2-D convolutions are supported: expected W [out, in/group, kh, kw], found shape \(w.shape)") }
        if let k = try a.ints("kernel_shape"), k != Array(w.shape[2...]) {
            throw fail(c, "kernel_shape", "kernel_shape \(k) does not match W's spatial shape \(Array(w.shape[2...]))")
        }
        let op = Op.conv2d(Conv2D(stride: try a.pair("strides", default: [1, 1]) ?? [1, 1], padding: try a.symmetricPads(),
                                  dilation: try a.pair("dilations", default: [1, 1]) ?? [1, 1], groups: try a.int("group") ?? 1))
        var parameters: [(role: String, key: String, tensor: HostTensor)] = [("weight", wKey, w)]
        if let (b, bKey) = try optionalConstant(c, 2, role: "B") { parameters.append(("bias", bKey, b)) }
        try emit(c, op, inputs: [x], parameters: parameters)
    }

    /// kernel_shape, strides (ONNX's default 1, not the kernel), symmetric pads; ceil_mode 0,
    /// dilations 1.
    func window(_ c: Context) throws -> PoolAttributes {
        let a = c.attributes
        try a.noAutoPad()
        guard let kernel = try a.pair("kernel_shape", default: nil) else { throw fail(c, "kernel_shape", "\(c.opType) needs kernel_shape") }
        try a.require("ceil_mode", equals: 0, default: 0, "bpcheck's pooling rounds the output size down (ceil_mode 0 only)")
        if let d = try a.ints("dilations"), d.contains(where: { $0 != 1 }) {
            throw fail(c, "dilations", "dilations \(d) are not supported (1 only)")
        }
        return PoolAttributes(kernel: kernel, stride: try a.pair("strides", default: [1, 1]), padding: try a.symmetricPads())
    }

    mutating func maxPool(_ c: Context) throws {
        try c.attributes.only(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"])
        try c.attributes.require("storage_order", equals: 0, default: 0, "row-major indices only")
        let w = try window(c)
        try emit(c, .maxPool2d(w), inputs: [try computed(c, 0, role: "X")])
        markExtraOutputs(c, "Indices output")
    }

    mutating func averagePool(_ c: Context) throws {
        let a = c.attributes
        try a.only(["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"])
        var w = try window(c)
        // ONNX's default is 0 (padding not counted), PyTorch's and model.json's 1; equal when unpadded.
        let include = try a.int("count_include_pad") ?? 0
        guard include == 0 || include == 1 else { throw fail(c, "count_include_pad", "expected 0 or 1, found \(include)") }
        w.countIncludePad = include == 1 || w.padding == [0, 0]
        try emit(c, .avgPool2d(w), inputs: [try computed(c, 0, role: "X")])
    }

    /// The mean over H and W as one avgpool2d window of the whole (static) spatial size.
    mutating func globalAverage(_ c: Context, keepDims: Bool) throws {
        let x = try computed(c, 0, role: "X")
        let s = shape(x)
        guard s.count == 4 else { throw fail(c, "X", "expected an input [N, C, H, W], found shape \(s) (batch 1)") }
        let k = [s[2], s[3]]
        if keepDims {
            try emit(c, .avgPool2d(PoolAttributes(kernel: k, stride: k)), inputs: [x])
        } else {
            let pooled = "\(c.name)/pool"
            try emit(c, .avgPool2d(PoolAttributes(kernel: k, stride: k)), inputs: [x], name: pooled)
            try emit(c, .flatten, inputs: [pooled])
        }
    }

    /// ReduceMean over axes {2, 3} of a 4-D tensor (dynamo's global average pooling).
    mutating func reduceMean(_ c: Context) throws {
        let a = c.attributes
        try a.only(["axes", "keepdims", "noop_with_empty_axes"])
        try a.require("noop_with_empty_axes", equals: 0, default: 0, "only a mean over explicit axes is supported")
        var axes = try a.ints("axes")
        if let (t, _) = try optionalConstant(c, 1, role: "axes") {
            guard let v = t.ints() else { throw fail(c, "axes", "expected int64 axes, found \(t.dtype)") }
            axes = v
        }
        let rank = shape(try computed(c, 0, role: "data")).count
        let normalized = Set((axes ?? []).map { $0 < 0 ? $0 + rank : $0 })
        guard rank == 4, normalized == [2, 3], axes?.count == 2 else {
            throw fail(c, "axes", "ReduceMean is supported over the spatial axes [2, 3] of a 4-D tensor only (global average pooling), found axes \(axes.map { "\($0)" } ?? "none") on rank \(rank)")
        }
        let keep = try a.int("keepdims") ?? 1
        try globalAverage(c, keepDims: keep != 0)
    }

    // MARK: - Elementwise

    mutating func unary(_ c: Context, _ op: Op, attributes: [String] = []) throws {
        try c.attributes.only(attributes)
        try emit(c, op, inputs: [try computed(c, 0)])
    }

    /// Clip with constant bounds. ONNX Clip is PyTorch's clamp, whose gradient passes at the
    /// bounds (x == min or x == max); bpcheck maps it to relu6 / hardtanh / relu, whose
    /// derivative there is the convention's choice (`hardtanh_prime_at_bounds`, PyTorch's 0;
    /// `relu_prime_at_zero`). nn.ReLU6 and nn.Hardtanh export as Clip too and match exactly;
    /// torch.clamp differs only at sites exactly on a bound. A dedicated clip primitive with
    /// its own convention key is a later step.
    mutating func clip(_ c: Context) throws {
        let a = c.attributes
        try a.only(opset < 11 ? ["min", "max"] : [])
        let x = try computed(c, 0)
        var lo = -Double.infinity, hi = Double.infinity
        if opset < 11 {
            lo = try a.float("min") ?? lo
            hi = try a.float("max") ?? hi
        } else {
            for (k, role) in [(1, "min"), (2, "max")] {
                guard let (t, key) = try optionalConstant(c, k, role: role) else { continue }
                guard t.count == 1, t.dtype.isFloatingPoint, let v = t.doubles().first, !v.isNaN else {
                    throw fail(c, role, "expected a scalar float bound, found '\(key)' of shape \(t.shape) and type \(t.dtype)")
                }
                // Bounds are float32 tensors: read as their shortest decimal (6 stays 6, 0.1 is 0.1).
                let bound = t.dtype == .f32 ? ONNXAttributes.decimal(Float(v)) : v
                if k == 1 { lo = bound } else { hi = bound }
            }
        }
        let op: Op
        switch (lo, hi) {
        case (0, 6): op = .relu6
        case (0, .infinity): op = .relu
        case _ where lo.isFinite && hi.isFinite && lo < hi: op = .hardtanh(min: lo, max: hi)
        default:
            throw fail(c, "min", "Clip to [\(lo), \(hi)] is not supported (finite bounds min < max, or min 0 without max)")
        }
        try emit(c, op, inputs: [x])
    }

    // MARK: - Normalisation and shapes

    mutating func batchNorm(_ c: Context) throws {
        let a = c.attributes
        try a.only(["epsilon", "momentum", "training_mode", "spatial"])
        try a.require("spatial", equals: 1, default: 1, "per-channel statistics only")
        let training = try a.int("training_mode") ?? 0
        guard training == 0 || training == 1 else { throw fail(c, "training_mode", "expected 0 or 1, found \(training)") }
        let x = try computed(c, 0, role: "X")
        var parameters: [(role: String, key: String, tensor: HostTensor)] = []
        for (k, role, onnxRole) in [(1, "weight", "scale"), (2, "bias", "B"), (3, "running_mean", "input_mean"), (4, "running_var", "input_var")] {
            let (t, key) = try constant(c, k, role: onnxRole)
            parameters.append((role, key, t))
        }
        try emit(c, .batchNorm(eps: try a.float("epsilon") ?? 1e-5, training: training == 1), inputs: [x], parameters: parameters)
        markExtraOutputs(c, "running statistics output")
        if training == 1 { note("\(c.label): training_mode 1: normalised with the batch's statistics (bpcheck batchnorm mode \"train\")") }
    }

    /// `Shape`, `Gather` (axis 0 of a shape vector), `Unsqueeze` (of a scalar or vector, to a
    /// vector) and `Concat` (axis 0) on shape vectors and int64 constants: folded into a
    /// `shapeVector` with the batch kept symbolic (the legacy exporter's `x.view(x.size(0), -1)`
    /// with a dynamic batch). Anything else these ops compute is an error.
    mutating func shapeComputation(_ c: Context) throws {
        let a = c.attributes
        func dims(_ k: Int) throws -> [ShapeDim] {
            switch try value(c, k, role: "input") {
            case .shapeVector(let d): return d
            case .constant(let t, let key):
                guard let ints = t.ints(), t.shape.count <= 1 else {
                    throw fail(c, "inputs", "\(c.opType) of '\(key)' (type \(t.dtype), shape \(t.shape)) is not a shape computation bpcheck folds")
                }
                return ints.map { .value($0) }
            default:
                throw fail(c, "inputs", "\(c.opType) is supported only on shape vectors (Shape → Gather → Unsqueeze → Concat → Reshape); input \(k) is a tensor")
            }
        }
        let result: [ShapeDim]
        switch c.opType {
        case "Shape":
            try a.only([])
            let x = try computed(c, 0, role: "data")
            result = [.batch] + shape(x).dropFirst().map { .value($0) }
        case "Gather":
            try a.only(["axis"])
            guard try a.int("axis") ?? 0 == 0 else { throw fail(c, "axis", "Gather of a shape vector along axis 0 only") }
            let source = try dims(0)
            let (t, key) = try constant(c, 1, role: "indices")
            guard let indices = t.ints(), t.shape.count <= 1 else { throw fail(c, "indices", "expected int64 indices, found '\(key)'") }
            result = try indices.map { i in
                let j = i < 0 ? i + source.count : i
                guard j >= 0, j < source.count else { throw fail(c, "indices", "index \(i) is outside a shape of rank \(source.count)") }
                return source[j]
            }
        case "Unsqueeze":
            try a.only(["axes"])
            result = try dims(0)
        default:  // Concat
            try a.only(["axis"])
            guard let axis = try a.int("axis"), axis == 0 || axis == -1 else { throw fail(c, "axis", "Concat of shape vectors along axis 0 only") }
            result = try (0..<c.proto.input.count).flatMap { try dims($0) }
        }
        alias(c, .shapeVector(result))
    }

    /// Reshape to a flatten-like shape `[N, -1]`, `[0, -1]`, `[-1, k]` or `[N, k]` (k the
    /// per-sample size), from a constant int64 shape or a folded shape computation whose first
    /// entry is the batch.
    mutating func reshape(_ c: Context) throws {
        let a = c.attributes
        try a.only(["allowzero"])
        let x = try computed(c, 0, role: "data")
        if case .shapeVector(let d) = try value(c, 1, role: "shape") {
            let perSample = shape(x).dropFirst().reduce(1, *)
            guard d.count == 2, d[0] == .batch, d[1] == .value(-1) || d[1] == .value(perSample) else {
                throw fail(c, "shape", "Reshape to a computed shape \(d.map { $0 == .batch ? "N" : "\($0)" }) is not supported: only [N, -1] or [N, \(perSample)] (a flatten)")
            }
            try emit(c, .flatten, inputs: [x])
            return
        }
        let (t, key) = try constant(c, 1, role: "shape")
        guard let target = t.ints(), t.shape.count == 1 else { throw fail(c, "shape", "expected a 1-D int64 shape, found '\(key)' of type \(t.dtype) and shape \(t.shape)") }
        // allowzero = 1 (the dynamo exporter's) makes a 0 a literal zero extent: only a shape
        // without zeros is then the same.
        if try a.int("allowzero") ?? 0 != 0, target.contains(0) {
            throw fail(c, "allowzero", "allowzero = 1 with a 0 in the shape \(target) makes an empty tensor")
        }
        let perSample = shape(x).dropFirst().reduce(1, *)
        let flattenLike = target.count == 2 && (target[1] == perSample || (target[1] == -1 && target[0] != -1)) && (target[0] >= -1)
        guard flattenLike else {
            throw fail(c, "shape", "Reshape to \(target) is not supported: only flatten-like shapes [N, -1], [0, -1], [-1, \(perSample)] (the input holds \(perSample) values per sample)")
        }
        if target[0] > 0 {
            note("\(c.label): the Reshape bakes the batch size \(target[0]) into its shape; read as a flatten (any batch size)")
        }
        try emit(c, .flatten, inputs: [x])
    }

    /// A Softmax or LogSoftmax over the classes that ends the graph, removed before
    /// cross-entropy (which takes logits); anywhere else an error.
    mutating func trailingSoftmax(_ c: Context, isGraphOutput: Bool) throws {
        try c.attributes.only(["axis"])
        let x = try computed(c, 0)
        let rank = shape(x).count
        let axis = try c.attributes.int("axis") ?? (opset >= 13 ? -1 : 1)
        guard isGraphOutput, reader.loss == .crossEntropy, rank == 2, axis == 1 || axis == -1 else {
            throw fail(c, "op_type", "\(c.opType) is supported only as the graph's last node over the classes of [N, classes] logits, removed before the cross-entropy loss (which applies log-softmax itself)")
        }
        alias(c, .node(x))
        note("\(c.label): removed the trailing \(c.opType): the cross-entropy loss takes the logits before it")
    }
}
