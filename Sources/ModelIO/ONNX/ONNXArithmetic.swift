import AD
import Foundation

/// `Add`, `Sub`, `Mul`, `Div`: of two computed tensors of one shape, of a computed tensor and a
/// constant broadcast over it (ONNX's numpy broadcasting, onto the forms bpcheck's `add`, `sub`,
/// `mul`, `div` take: a scalar, one value per channel, one per position of a sample), or of two
/// constants (folded at import).
extension ONNXConverter {
    static let arithmeticOps: [String: Op] = ["Add": .add, "Sub": .sub, "Mul": .mul, "Div": .div]

    mutating func arithmetic(_ c: Context) throws {
        try c.attributes.only([])
        guard c.proto.input.count == 2, let op = Self.arithmeticOps[c.opType] else {
            throw fail(c, "input", "\(c.opType) needs two inputs, found \(c.proto.input.count)")
        }
        switch (try value(c, 0, role: "A"), try value(c, 1, role: "B")) {
        case (.node(let x), .node(let y)):
            guard shape(x) == shape(y) else {
                throw fail(c, "B", "\(c.opType) of computed tensors of shapes \(Self.perSample(shape(x))) and \(Self.perSample(shape(y))) (per sample): broadcasting between two computed tensors is not supported")
            }
            try emit(c, op, inputs: [x, y])
        case (.node(let x), .constant(let t, let key)):
            try emit(c, op, inputs: [x], parameters: [("constant", key, try broadcastConstant(c, t, key, over: x, role: "B"))])
        case (.constant(let t, let key), .node(let x)):
            let k = try broadcastConstant(c, t, key, over: x, role: "A")
            switch op {
            case .add, .mul:
                try emit(c, op, inputs: [x], parameters: [("constant", key, k)])
            case .sub:
                // c − x = −(x − c) exactly (negation is exact and rounding is symmetric).
                let difference = "\(c.name)/x-c"
                try emit(c, .sub, inputs: [x], parameters: [("constant", key, k)], name: difference)
                try emit(c, .mul, inputs: [difference], parameters: [("constant", "\(c.name).minus_one", try HostTensor(dtype: .f32, shape: [], values: [-1]))])
            default:
                throw fail(c, "A", "Div of a constant by a computed tensor ('\(key)' ÷ x) is not supported (x ÷ constant is)")
            }
        default:
            throw fail(c, "A", "\(c.opType) of a shape computation is not supported")
        }
    }

    static func perSample(_ s: [Int]) -> [Int] { Array(s.dropFirst()) }

    /// `t` broadcast over the computed tensor `x` (batch-1 shape `[1, …]`) under ONNX's rule
    /// (shapes aligned on the right; each axis 1 or equal), as the smallest form bpcheck's
    /// elementwise primitives take: `[]` (one value), `[C]` (per channel, axis 1), or the
    /// per-sample shape (values repeated where `t` had 1s).
    func broadcastConstant(_ c: Context, _ t: HostTensor, _ key: String, over x: String, role: String) throws -> HostTensor {
        let xs = shape(x)
        guard t.dtype.isFloatingPoint else { throw fail(c, role, "constant '\(key)' has type \(t.dtype); \(c.opType) needs a float constant") }
        guard t.shape.count <= xs.count else {
            throw fail(c, role, "constant '\(key)' of shape \(t.shape) has more axes than the tensor \(xs) it is broadcast over")
        }
        let s = [Int](repeating: 1, count: xs.count - t.shape.count) + t.shape
        for (axis, (d, e)) in zip(s, xs).enumerated() where d != 1 && d != e {
            throw fail(c, role, "constant '\(key)' of shape \(t.shape) does not broadcast over \(xs.count == 2 ? "[N, \(xs[1])]" : "[N, \(xs.dropFirst().map(String.init).joined(separator: ", "))]") (axis \(axis): \(d) against \(axis == 0 ? "the batch" : "\(e)"))")
        }
        if t.count == 1 { return try HostTensor(dtype: t.dtype, shape: [], bytes: t.bytes) }
        if xs.count >= 2, s[1] == xs[1], s.dropFirst(2).allSatisfy({ $0 == 1 }) {
            return try HostTensor(dtype: t.dtype, shape: [xs[1]], bytes: t.bytes)
        }
        let target = Array(xs.dropFirst())
        if Array(s.dropFirst()) == target { return try HostTensor(dtype: t.dtype, shape: target, bytes: t.bytes) }
        return try Self.expand(t, from: Array(s.dropFirst()), to: target)
    }

    /// `t` (read with shape `from`, same rank as `to`, each axis 1 or equal) repeated to `to`.
    static func expand(_ t: HostTensor, from: [Int], to: [Int]) throws -> HostTensor {
        try gather(try HostTensor(dtype: t.dtype, shape: from, bytes: t.bytes), shape: to) { index in
            zip(index, from).map { i, extent in extent == 1 ? 0 : i }
        }
    }

    /// `a ∘ b` of two constants with broadcasting, computed in float64 and stored in the wider
    /// of the two float types: for float32 operands this is exactly ONNX's float32 result
    /// (float64 holds 2·24 + 2 bits, so rounding the float64 result of +, −, ×, ÷ to float32 is
    /// the correctly rounded float32 result).
    func fold(_ c: Context, _ op: Op, _ a: HostTensor, _ b: HostTensor, keys: (String, String)) throws -> HostTensor {
        guard a.dtype.isFloatingPoint, b.dtype.isFloatingPoint else {
            throw fail(c, "A", "\(c.opType) of the integer constants '\(keys.0)' and '\(keys.1)' is not supported")
        }
        let rank = Swift.max(a.shape.count, b.shape.count)
        let sa = [Int](repeating: 1, count: rank - a.shape.count) + a.shape, sb = [Int](repeating: 1, count: rank - b.shape.count) + b.shape
        var out: [Int] = []
        for (d, e) in zip(sa, sb) {
            guard d == e || d == 1 || e == 1 else {
                throw fail(c, "B", "constants '\(keys.0)' \(a.shape) and '\(keys.1)' \(b.shape) do not broadcast")
            }
            out.append(Swift.max(d, e))
        }
        let va = try Self.expand(a, from: sa, to: out).doubles(), vb = try Self.expand(b, from: sb, to: out).doubles()
        let values: [Double] = zip(va, vb).map { x, y in
            switch op {
            case .add: x + y
            case .sub: x - y
            case .mul: x * y
            default: x / y
            }
        }
        let dtype: DType = a.dtype == .f64 || b.dtype == .f64 ? .f64 : (a.dtype == b.dtype ? a.dtype : .f32)
        return try HostTensor(dtype: dtype, shape: out, values: values)
    }
}
