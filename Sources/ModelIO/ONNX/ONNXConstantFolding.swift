import AD
import Foundation

/// Nodes whose inputs are all constants, evaluated at import (what exporters leave unfolded:
/// PyTorch's legacy exporter computes `nn.ZeroPad2d`'s pads with ConstantOfShape → Concat →
/// Reshape → Slice → Transpose → Reshape → Cast). The result is a constant like an
/// initializer; one note names the folded nodes.
extension ONNXConverter {
    static let foldableOps: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Neg", "Sqrt", "Reciprocal", "Cast", "Concat", "Reshape", "Slice", "Transpose",
        "ConstantOfShape", "Unsqueeze", "Squeeze",
    ]

    /// Whether `c` reads constants only (and at least one input) and is an op the folder evaluates.
    func isConstantSubgraph(_ c: Context) -> Bool {
        guard Self.foldableOps.contains(c.opType), c.proto.input.contains(where: { !$0.isEmpty }) else { return false }
        return c.proto.input.allSatisfy { name in
            if name.isEmpty { return true }
            if case .constant? = valueIfKnown(name) { return true }
            return false
        }
    }

    /// Evaluates `c` on its constant inputs and defines its output as the result.
    mutating func foldConstantNode(_ c: Context) throws {
        let a = c.attributes
        func input(_ k: Int, _ role: String) throws -> HostTensor { try constant(c, k, role: role).tensor }
        func ints(_ k: Int, _ role: String) throws -> [Int]? {
            guard let (t, key) = try optionalConstant(c, k, role: role) else { return nil }
            guard let v = t.ints() else { throw fail(c, role, "expected int64 values, found '\(key)' of type \(t.dtype)") }
            return v
        }
        let result: HostTensor
        switch c.opType {
        case "Add", "Sub", "Mul", "Div":
            try a.only([])
            let (x, kx) = try constant(c, 0, role: "A"), (y, ky) = try constant(c, 1, role: "B")
            if let xi = x.ints(), let yi = y.ints(), x.shape.count <= 1, y.shape.count <= 1, xi.count == yi.count || xi.count == 1 || yi.count == 1 {
                // Integer arithmetic on shape vectors.
                let n = Swift.max(xi.count, yi.count)
                let values = try (0..<n).map { i -> Int in
                    let u = xi[xi.count == 1 ? 0 : i], v = yi[yi.count == 1 ? 0 : i]
                    switch c.opType {
                    case "Add": return u &+ v
                    case "Sub": return u &- v
                    case "Mul": return u &* v
                    default:
                        guard v != 0 else { throw fail(c, "B", "integer division by zero in a constant Div") }
                        return u / v
                    }
                }
                result = try HostTensor(dtype: x.dtype, shape: x.shape.count >= y.shape.count ? x.shape : y.shape, ints: values)
            } else {
                result = try fold(c, Self.arithmeticOps[c.opType]!, x, y, keys: (kx, ky))
            }
        case "Neg", "Sqrt", "Reciprocal":
            try a.only([])
            let x = try input(0, "X")
            guard x.dtype.isFloatingPoint else {
                if c.opType == "Neg", let v = x.ints() { result = try HostTensor(dtype: x.dtype, shape: x.shape, ints: v.map { 0 &- $0 }); break }
                throw fail(c, "X", "\(c.opType) of an integer constant is not supported")
            }
            let f: (Double) -> Double = c.opType == "Neg" ? { -$0 } : c.opType == "Sqrt" ? { $0.squareRoot() } : { 1 / $0 }
            result = try HostTensor(dtype: x.dtype, shape: x.shape, values: x.doubles().map(f))
        case "Cast":
            try a.only(["to", "saturate", "round_mode"])
            guard let to = try a.int("to"), let dtype = ONNXTensorDecoder.dtype(Int32(truncatingIfNeeded: to)) else {
                throw fail(c, "to", "Cast to type \(try a.int("to").map { ONNXTensorDecoder.typeName(Int32(truncatingIfNeeded: $0)) } ?? "none") is not supported")
            }
            let x = try input(0, "input")
            if dtype.isFloatingPoint {
                result = try HostTensor(dtype: dtype, shape: x.shape, values: x.doubles())
            } else {
                result = try HostTensor(dtype: dtype, shape: x.shape, ints: x.doubles().map { v in
                    guard v.isFinite, abs(v) < 9.2e18 else { throw fail(c, "to", "Cast of \(v) to \(dtype) overflows") }
                    return Int(v.rounded(.towardZero))
                })
            }
        case "ConstantOfShape":
            try a.only(["value"])
            guard let shape = try ints(0, "input"), shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, { $0 &* $1 }) <= 1 << 20 else {
                throw fail(c, "input", "ConstantOfShape needs a small non-negative int64 shape")
            }
            let count = shape.reduce(1, *)
            if let t = try a.tensor("value") {
                let v = try decode(t, c)
                guard v.count == 1 else { throw fail(c, "value", "expected a one-element value, found shape \(v.shape)") }
                result = v.dtype.isFloatingPoint
                    ? try HostTensor(dtype: v.dtype, shape: shape, values: [Double](repeating: v.doubles()[0], count: count))
                    : try HostTensor(dtype: v.dtype, shape: shape, ints: [Int](repeating: v.ints()![0], count: count))
            } else {
                result = try HostTensor(dtype: .f32, shape: shape, values: [Double](repeating: 0, count: count))
            }
        case "Concat":
            try a.only(["axis"])
            guard let axis = try a.int("axis") else { throw fail(c, "axis", "Concat needs an axis") }
            let parts = try (0..<c.proto.input.count).map { try input($0, "inputs[\($0)]") }
            result = try concatenate(c, parts, axis: axis)
        case "Reshape":
            try a.only(["allowzero"])
            let x = try input(0, "data")
            guard var target = try ints(1, "shape") else { throw fail(c, "shape", "Reshape needs a shape") }
            let allowZero = try a.int("allowzero") ?? 0 != 0
            for i in target.indices where target[i] == 0 && !allowZero {
                guard i < x.shape.count else { throw fail(c, "shape", "a 0 at axis \(i) copies an axis the data (shape \(x.shape)) lacks") }
                target[i] = x.shape[i]
            }
            if let i = target.firstIndex(of: -1) {
                let known = target.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
                guard known > 0, x.count % known == 0 else { throw fail(c, "shape", "cannot reshape \(x.shape) to \(target)") }
                target[i] = x.count / known
            }
            guard target.allSatisfy({ $0 >= 0 }), target.reduce(1, *) == x.count else { throw fail(c, "shape", "cannot reshape \(x.shape) to \(target)") }
            result = try HostTensor(dtype: x.dtype, shape: target, bytes: x.bytes)
        case "Unsqueeze", "Squeeze":
            try a.only(["axes"])
            let x = try input(0, "data")
            let axes = try ints(1, "axes") ?? a.ints("axes")
            var shape = x.shape
            if c.opType == "Unsqueeze" {
                guard let axes else { throw fail(c, "axes", "Unsqueeze needs axes") }
                let rank = shape.count + axes.count
                for axis in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() {
                    guard (0...shape.count).contains(axis) else { throw fail(c, "axes", "axis outside rank \(rank)") }
                    shape.insert(1, at: axis)
                }
            } else {
                let drop = Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map { $0 < 0 ? $0 + shape.count : $0 })
                guard drop.allSatisfy({ (0..<shape.count).contains($0) && shape[$0] == 1 }) else {
                    throw fail(c, "axes", "Squeeze of axes \(axes ?? []) of shape \(shape): each must be 1")
                }
                shape = shape.indices.filter { !drop.contains($0) }.map { shape[$0] }
            }
            result = try HostTensor(dtype: x.dtype, shape: shape, bytes: x.bytes)
        case "Transpose":
            try a.only(["perm"])
            let x = try input(0, "data")
            let perm = try a.ints("perm") ?? Array(x.shape.indices.reversed())
            guard perm.sorted() == Array(x.shape.indices) else { throw fail(c, "perm", "expected a permutation of \(Array(x.shape.indices)), found \(perm)") }
            result = try Self.gather(x, shape: perm.map { x.shape[$0] }) { index in
                var source = [Int](repeating: 0, count: perm.count)
                for (k, p) in perm.enumerated() { source[p] = index[k] }
                return source
            }
        default:  // Slice
            try a.only([])
            let x = try input(0, "data")
            guard let starts = try ints(1, "starts"), let ends = try ints(2, "ends") else { throw fail(c, "starts", "Slice needs starts and ends") }
            let axes = try ints(3, "axes") ?? Array(0..<starts.count), steps = try ints(4, "steps") ?? [Int](repeating: 1, count: starts.count)
            guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else {
                throw fail(c, "starts", "Slice needs starts, ends, axes and steps of one length, steps nonzero")
            }
            var first = [Int](repeating: 0, count: x.shape.count), step = [Int](repeating: 1, count: x.shape.count), extent = x.shape
            for k in axes.indices {
                let axis = axes[k] < 0 ? axes[k] + x.shape.count : axes[k]
                guard (0..<x.shape.count).contains(axis) else { throw fail(c, "axes", "axis \(axes[k]) outside rank \(x.shape.count)") }
                let n = x.shape[axis], s = steps[k]
                func clamp(_ v: Int, _ lo: Int, _ hi: Int) -> Int { Swift.min(Swift.max(v, lo), hi) }
                let b = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k]
                let (lo, hi) = s > 0 ? (clamp(b, 0, n), clamp(e, 0, n)) : (clamp(b, -1, n - 1), clamp(e, -1, n - 1))
                first[axis] = lo
                step[axis] = s
                extent[axis] = s > 0 ? Swift.max(0, (hi - lo + s - 1) / s) : Swift.max(0, (lo - hi - s - 1) / -s)
            }
            result = try Self.gather(x, shape: extent) { index in index.indices.map { first[$0] + index[$0] * step[$0] } }
        }
        alias(c, .constant(result, key: c.proto.output[0]))
        foldedNodes.append(c.label)
    }

    /// Constants joined along `axis` (ONNX Concat).
    func concatenate(_ c: Context, _ parts: [HostTensor], axis: Int) throws -> HostTensor {
        guard let base = parts.first else { throw fail(c, "inputs", "Concat needs inputs") }
        let rank = base.shape.count, ax = axis < 0 ? axis + rank : axis
        guard (0..<rank).contains(ax), parts.allSatisfy({ $0.dtype == base.dtype && $0.shape.count == rank }) else {
            throw fail(c, "axis", "Concat of constants of shapes \(parts.map(\.shape)) and types \(parts.map(\.dtype)) along axis \(axis)")
        }
        for p in parts where p.shape.enumerated().contains(where: { $0.offset != ax && $0.element != base.shape[$0.offset] }) {
            throw fail(c, "inputs", "Concat of constants of shapes \(parts.map(\.shape)) along axis \(axis): other axes differ")
        }
        let outer = base.shape[..<ax].reduce(1, *), size = base.dtype.byteSize
        var bytes: [UInt8] = []
        for o in 0..<outer {
            for p in parts {
                let block = p.shape[ax...].reduce(1, *) * size
                bytes += p.bytes[(o * block)..<((o + 1) * block)]
            }
        }
        var shape = base.shape
        shape[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        return try HostTensor(dtype: base.dtype, shape: shape, bytes: bytes)
    }

    /// A tensor of `shape` whose element at each multi-index is `x`'s at `source(index)`.
    static func gather(_ x: HostTensor, shape: [Int], source: ([Int]) -> [Int]) throws -> HostTensor {
        let size = x.dtype.byteSize, count = shape.reduce(1, *)
        var bytes = [UInt8](repeating: 0, count: count * size)
        var index = [Int](repeating: 0, count: shape.count)
        for j in 0..<count {
            var rest = j
            for axis in shape.indices.reversed() {
                index[axis] = rest % shape[axis]
                rest /= shape[axis]
            }
            var flat = 0
            for (axis, i) in source(index).enumerated() { flat = flat * x.shape[axis] + i }
            for b in 0..<size { bytes[j * size + b] = x.bytes[flat * size + b] }
        }
        return try HostTensor(dtype: x.dtype, shape: shape, bytes: bytes)
    }
}
