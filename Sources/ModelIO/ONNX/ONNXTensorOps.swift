import AD
import Foundation

/// `PRelu`, `Pad` and `Concat` on computed tensors.
extension ONNXConverter {
    /// PRelu with a constant slope of one value or one per channel (`[C]`, `[C, 1, 1]`, …):
    /// bpcheck's `prelu` with the slope as its `weight` (`[1]` or `[C]`).
    mutating func prelu(_ c: Context) throws {
        try c.attributes.only([])
        let x = try computed(c, 0, role: "X")
        let (t, key) = try constant(c, 1, role: "slope")
        let xs = shape(x)
        let slope = try broadcastConstant(c, t, key, over: x, role: "slope")
        let weight: HostTensor
        if slope.shape == [] {
            weight = try HostTensor(dtype: slope.dtype, shape: [1], bytes: slope.bytes)
        } else if slope.shape == [xs[1]] {
            weight = slope
        } else {
            throw fail(c, "slope", "a PRelu slope '\(key)' of shape \(t.shape) varies along more than the channel axis; bpcheck's prelu takes one slope or one per channel")
        }
        try emit(c, .prelu, inputs: [x], parameters: [("weight", key, weight)])
    }

    /// Pad with constant zeros on the spatial axes of `[N, C, H, W]`: `pads` as an input (opset
    /// ≥ 11, with optional `constant_value` 0 and `axes`) or an attribute (before 11).
    mutating func pad(_ c: Context) throws {
        let a = c.attributes
        try a.only(opset < 11 ? ["mode", "pads", "value"] : ["mode"])
        let mode = try a.string("mode") ?? "constant"
        guard mode == "constant" else { throw fail(c, "mode", "Pad mode '\(mode)' is not supported (constant zeros only)") }
        let x = try computed(c, 0, role: "data")
        let rank = shape(x).count
        var pads: [Int]
        var axes = Array(0..<rank)
        if opset < 11 {
            guard let p = try a.ints("pads") else { throw fail(c, "pads", "Pad needs pads") }
            pads = p
            if let v = try a.float("value"), v != 0 { throw fail(c, "value", "Pad with the value \(v) is not supported (zeros only)") }
        } else {
            let (t, key) = try constant(c, 1, role: "pads")
            guard let p = t.ints(), t.shape.count == 1 else { throw fail(c, "pads", "expected a 1-D int64 pads tensor, found '\(key)' of type \(t.dtype)") }
            pads = p
            if let (v, vKey) = try optionalConstant(c, 2, role: "constant_value") {
                guard v.count == 1, v.doubles().first == 0 else { throw fail(c, "constant_value", "Pad with the value '\(vKey)' = \(v.doubles()) is not supported (zeros only)") }
            }
            if let (t, key) = try optionalConstant(c, 3, role: "axes") {
                guard let v = t.ints() else { throw fail(c, "axes", "expected int64 axes, found '\(key)'") }
                axes = try v.map { i in
                    let j = i < 0 ? i + rank : i
                    guard (0..<rank).contains(j) else { throw fail(c, "axes", "axis \(i) is outside a tensor of rank \(rank)") }
                    return j
                }
            }
        }
        guard pads.count == 2 * axes.count else {
            throw fail(c, "pads", "expected \(2 * axes.count) pads (begins then ends of axes \(axes)), found \(pads.count)")
        }
        var begin = [Int](repeating: 0, count: rank), end = begin
        for (k, axis) in axes.enumerated() {
            begin[axis] = pads[k]
            end[axis] = pads[k + axes.count]
        }
        guard rank == 4, begin[0] == 0, begin[1] == 0, end[0] == 0, end[1] == 0 else {
            throw fail(c, "pads", "Pad is supported on the spatial axes 2 and 3 of [N, C, H, W] only, found pads \(pads) on axes \(axes) of rank \(rank)")
        }
        let spatial = [begin[2], begin[3], end[2], end[3]]
        guard spatial.allSatisfy({ $0 >= 0 }) else { throw fail(c, "pads", "negative pads (cropping) \(pads) are not supported") }
        try emit(c, .pad(spatial), inputs: [x])
    }

    /// Concat of computed tensors along the channel axis 1.
    mutating func concat(_ c: Context) throws {
        try c.attributes.only(["axis"])
        guard let axis = try c.attributes.int("axis") else { throw fail(c, "axis", "Concat needs an axis") }
        let inputs = try (0..<c.proto.input.count).map { try computed(c, $0, role: "inputs[\($0)]") }
        let rank = shape(inputs[0]).count
        guard axis == 1 || axis == 1 - rank else {
            throw fail(c, "axis", "Concat of computed tensors is supported along the channel axis 1 only, found axis \(axis) on rank \(rank)")
        }
        try emit(c, .concat, inputs: inputs)
    }
}
