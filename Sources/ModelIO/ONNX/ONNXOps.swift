import AD
import Foundation

/// Each supported ONNX op type onto bpcheck's primitives (docs/onnx.md lists them and the
/// attribute values accepted). An attribute value bpcheck cannot represent is an error naming
/// the attribute, never a silent approximation.
extension ONNXConverter {
    mutating func mapNode(_ c: Context, isGraphOutput: Bool) throws {
        let a = c.attributes
        if isConstantSubgraph(c) {
            try foldConstantNode(c)
            return
        }
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
        case "Add", "Sub", "Mul", "Div": try arithmetic(c)
        case "PRelu": try prelu(c)
        case "Gelu":
            try a.only(["approximate"])
            let approximate = try a.string("approximate") ?? "none"
            guard approximate == "none" || approximate == "tanh" else { throw fail(c, "approximate", "expected \"none\" or \"tanh\", found \"\(approximate)\"") }
            try emit(c, .gelu(approximate: approximate == "tanh"), inputs: [try computed(c, 0)])
        case "Erf":
            throw fail(c, "op_type", "Erf is supported only inside the exact GELU pattern x·½·(1 + erf(x ÷ √2)), read as one gelu node")
        case "Pad": try pad(c)

        case "BatchNormalization": try batchNorm(c)
        case "Flatten":
            try a.only(["axis"])
            try a.require("axis", equals: 1, default: 1, "bpcheck's flatten keeps the batch axis (axis 1 only)")
            try emit(c, .flatten, inputs: [try computed(c, 0)])
        case "Reshape": try reshape(c)
        case "Concat" where c.proto.input.contains(where: { if case .node? = valueIfKnown($0) { return true } else { return false } }):
            try concat(c)
        case "Unsqueeze" where isTensor(c, 0): try liftOrSqueeze(c)
        case "Squeeze" where isTensor(c, 0): try liftOrSqueeze(c)
        case "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat": try shapeComputation(c)

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

    /// `Y = α·(A·B′) + β·C` with A computed `[N, K]` (transA 0: the batch is A's first axis),
    /// B constant (transB either way), C an optional constant broadcast over Y. With α = β = 1
    /// one `linear` (bias C); otherwise `linear` without bias, then `mul` by α, then `add` of
    /// β·C (folded: ONNX's float32 product, see `fold`), each rounded as ONNX writes it.
    mutating func gemm(_ c: Context) throws {
        let a = c.attributes
        try a.only(["alpha", "beta", "transA", "transB"])
        try a.require("transA", equals: 0, default: 0, "A is the batch [N, K] (batch axis first); a transposed computed A is not supported")
        let alpha = try a.float("alpha") ?? 1, beta = try a.float("beta") ?? 1
        let x = try computed(c, 0, role: "A")
        guard shape(x).count == 2 else { throw fail(c, "A", "Gemm needs A of rank 2, found shape \(shape(x)) (batch 1)") }
        var (w, wKey) = try constant(c, 1, role: "B")
        guard w.shape.count == 2 else { throw fail(c, "B", "expected B of rank 2, found shape \(w.shape)") }
        if try a.int("transB") ?? 0 == 0 {
            w = try Self.transposed(w)
            wKey += ".T"
        }
        guard w.shape[1] == shape(x)[1] else {
            throw fail(c, "B", "B holds \(w.shape[1]) inputs per output, A has \(shape(x)[1]) features")
        }
        let out = w.shape[0]
        let bias = try optionalConstant(c, 2, role: "C")
        if alpha == 1 && beta == 1, let (b, bKey) = bias, b.shape == [out] || b.shape == [1, out] {
            try emit(c, .linear(hasBias: true), inputs: [x], parameters: [("weight", wKey, w), ("bias", bKey, try HostTensor(dtype: b.dtype, shape: [out], bytes: b.bytes))])
            return
        }
        if alpha == 1 && (bias == nil || beta == 0) {
            // No C, or β = 0 (jax2onnx writes C = 0 with β = 0): the product alone.
            try emit(c, .linear(hasBias: false), inputs: [x], parameters: [("weight", wKey, w)])
            return
        }
        let addsC = bias != nil && beta != 0
        var last = "\(c.name)/matmul"
        try emit(c, .linear(hasBias: false), inputs: [x], parameters: [("weight", wKey, w)], name: last)
        if alpha != 1 {
            let scaled = addsC ? "\(c.name)/alpha" : c.name
            try emit(c, .mul, inputs: [last], parameters: [("constant", "\(c.name).alpha", try HostTensor(dtype: .f32, shape: [], values: [alpha]))], name: scaled)
            last = scaled
        }
        if let (b, bKey) = bias, addsC {
            var term = b, key = bKey
            if beta != 1 {
                term = try fold(c, .mul, b, try HostTensor(dtype: .f32, shape: [], values: [beta]), keys: (bKey, "beta"))
                key = "\(c.name).beta_C"
            }
            try emit(c, .add, inputs: [last], parameters: [("constant", key, try broadcastConstant(c, term, key, over: last, role: "C"))])
        } else if last != c.name {
            // α = 1 with β = 0 or no C: the product is the output.
            try emit(c, .identity, inputs: [last])
        }
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
        // Asymmetric pads: a zero `pad` node, then the convolution unpadded (the same sums:
        // padded positions are zeros either way).
        let p = try a.pads()
        let symmetric = p[0] == p[2] && p[1] == p[3]
        var input = x
        if !symmetric {
            input = "\(c.name)/pad"
            try emit(c, .pad(p), inputs: [x], name: input)
        }
        let op = Op.conv2d(Conv2D(stride: try a.pair("strides", default: [1, 1]) ?? [1, 1], padding: symmetric ? [p[0], p[1]] : [0, 0],
                                  dilation: try a.pair("dilations", default: [1, 1]) ?? [1, 1], groups: try a.int("group") ?? 1))
        var parameters: [(role: String, key: String, tensor: HostTensor)] = [("weight", wKey, w)]
        if let (b, bKey) = try optionalConstant(c, 2, role: "B") { parameters.append(("bias", bKey, b)) }
        try emit(c, op, inputs: [input], parameters: parameters)
    }

    /// kernel_shape, strides (ONNX's default 1, not the kernel), symmetric pads, dilations,
    /// ceil_mode.
    func window(_ c: Context) throws -> PoolAttributes {
        let a = c.attributes
        try a.noAutoPad()
        guard let kernel = try a.pair("kernel_shape", default: nil) else { throw fail(c, "kernel_shape", "\(c.opType) needs kernel_shape") }
        let ceil = try a.int("ceil_mode") ?? 0
        guard ceil == 0 || ceil == 1 else { throw fail(c, "ceil_mode", "expected 0 or 1, found \(ceil)") }
        return PoolAttributes(kernel: kernel, stride: try a.pair("strides", default: [1, 1]), padding: try a.symmetricPads(),
                              dilation: try a.pair("dilations", default: [1, 1]) ?? [1, 1], ceilMode: ceil == 1)
    }

    mutating func maxPool(_ c: Context) throws {
        try c.attributes.only(["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"])
        try c.attributes.require("storage_order", equals: 0, default: 0, "row-major indices only")
        if case .lifted(let x, let axes)? = inputName(c, 0).flatMap(valueIfKnown) {
            try liftedMaxPool(c, x, axes: axes)
            return
        }
        let w = try window(c)
        try emit(c, .maxPool2d(w), inputs: [try computed(c, 0, role: "X")])
        markExtraOutputs(c, "Indices output")
    }

    /// A MaxPool over `[1, …, 1, N, C, H, W]` (`axes` unit axes added in front) whose kernel,
    /// strides, pads and dilations are trivial on N and C: a `maxpool2d` of the original tensor,
    /// its output lifted the same way (for the `Squeeze` that follows).
    mutating func liftedMaxPool(_ c: Context, _ x: String, axes: Int) throws {
        let a = c.attributes
        try a.noAutoPad()
        guard axes == 2, shape(x).count == 4 else {
            throw fail(c, "X", "a MaxPool over a tensor with \(axes) unit axes added in front is supported for [1, 1, N, C, H, W] only (jax2onnx's max-pooling of [N, C, H, W])")
        }
        func four(_ key: String, _ fallback: Int) throws -> [Int] {
            let v = try a.ints(key) ?? [Int](repeating: fallback, count: key == "pads" ? 8 : 4)
            guard v.count == (key == "pads" ? 8 : 4) else { throw fail(c, key, "expected \(key == "pads" ? 8 : 4) values for a pool over N, C, H, W, found \(v)") }
            return v
        }
        let kernel = try four("kernel_shape", 1), strides = try four("strides", 1), dilations = try four("dilations", 1), pads = try four("pads", 0)
        guard kernel[0] == 1, kernel[1] == 1, strides[0] == 1, strides[1] == 1, dilations[0] == 1, dilations[1] == 1,
              pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else {
            throw fail(c, "kernel_shape", "a MaxPool over the batch or channel axes (kernel \(kernel), strides \(strides), pads \(pads)) is not supported")
        }
        guard pads[2] == pads[6], pads[3] == pads[7] else {
            throw fail(c, "pads", "asymmetric padding \(pads) is not supported for MaxPool (top = bottom and left = right)")
        }
        let ceil = try a.int("ceil_mode") ?? 0
        guard ceil == 0 || ceil == 1 else { throw fail(c, "ceil_mode", "expected 0 or 1, found \(ceil)") }
        let w = PoolAttributes(kernel: Array(kernel[2...]), stride: Array(strides[2...]), padding: [pads[2], pads[3]],
                               dilation: Array(dilations[2...]), ceilMode: ceil == 1)
        try emit(c, .maxPool2d(w), inputs: [x])
        alias(c, .lifted(c.name, axes: axes))
        markExtraOutputs(c, "Indices output")
    }

    /// `Unsqueeze` of axis 0 of a computed tensor (lifted, for a pool), or the `Squeeze` of
    /// those axes back.
    mutating func liftOrSqueeze(_ c: Context) throws {
        try c.attributes.only(["axes"])
        var axes = try c.attributes.ints("axes")
        if let (t, key) = try optionalConstant(c, 1, role: "axes") {
            guard let v = t.ints() else { throw fail(c, "axes", "expected int64 axes, found '\(key)'") }
            axes = v
        }
        let input = try value(c, 0, role: "data")
        // Unit axes inserted anywhere among the first k + m positions keep them all units.
        func leading(_ k: Int) -> Bool {
            guard let axes, !axes.isEmpty, Set(axes).count == axes.count else { return false }
            return axes.allSatisfy { $0 >= 0 && $0 < k + axes.count }
        }
        switch input {
        case .node(let x) where c.opType == "Unsqueeze" && leading(0):
            alias(c, .lifted(x, axes: axes!.count))
        case .lifted(let x, let k) where c.opType == "Unsqueeze" && leading(k):
            alias(c, .lifted(x, axes: k + axes!.count))
        case .lifted(let x, let k) where c.opType == "Squeeze" && axes.map(Set.init) == Set(0..<k):
            alias(c, .node(x))
        default:
            throw fail(c, "axes", "\(c.opType) of a computed tensor (axes \(axes.map { "\($0)" } ?? "none")) is supported only as the unit axes jax2onnx adds in front of a pooled tensor and removes after it")
        }
    }

    /// Whether input `k` is a computed tensor (plain or lifted).
    func isTensor(_ c: Context, _ k: Int) -> Bool {
        switch inputName(c, k).flatMap(valueIfKnown) {
        case .node?, .lifted?: return true
        default: return false
        }
    }

    mutating func averagePool(_ c: Context) throws {
        let a = c.attributes
        try a.only(["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"])
        var w = try window(c)
        let x = try computed(c, 0, role: "X")
        guard w.dilation == [1, 1] else { throw fail(c, "dilations", "dilations \(w.dilation) are not supported for AveragePool (1 only)") }
        if w.ceilMode {
            // Accepted where rounding up adds no window (the divisor of a window hanging over
            // the edge differs between PyTorch and ONNX versions).
            var floor = w
            floor.ceilMode = false
            let s = shape(x)
            guard s.count == 4, floor.outputExtents(s) == w.outputExtents(s) else {
                throw fail(c, "ceil_mode", "ceil_mode 1 that adds a window hanging over the edge is not supported for AveragePool")
            }
            w = floor
        }
        // ONNX's default is 0 (padding not counted), PyTorch's and model.json's 1; equal when unpadded.
        let include = try a.int("count_include_pad") ?? 0
        guard include == 0 || include == 1 else { throw fail(c, "count_include_pad", "expected 0 or 1, found \(include)") }
        w.countIncludePad = include == 1 || w.padding == [0, 0]
        try emit(c, .avgPool2d(w), inputs: [x])
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

    /// Clip with constant bounds (inputs from opset 11, attributes before): bpcheck's `clip`,
    /// whose derivative at the bounds is its own convention choice (`clip_prime_at_bounds`;
    /// nn.ReLU6, nn.Hardtanh and torch.clamp all export as Clip and disagree there).
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
        guard lo < hi, lo != .infinity, hi != -.infinity else {
            throw fail(c, "min", "Clip to [\(lo), \(hi)] is not supported (min < max)")
        }
        if !lo.isFinite && !hi.isFinite {
            alias(c, .node(x))  // no bound: the identity
            note("\(c.label): a Clip without bounds is the identity")
            return
        }
        try emit(c, .clip(min: lo, max: hi), inputs: [x])
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
        case "Unsqueeze", "Squeeze":
            // Of a scalar or a vector, to a vector (a shape vector has no other axes).
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
