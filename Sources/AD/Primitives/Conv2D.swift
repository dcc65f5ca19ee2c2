/// The attributes of `conv2d` are its primitive.
public typealias Conv2DAttributes = Conv2D

/// 2-D convolution in PyTorch's layout: inputs `x [N, C, H, W]`, `W [O, C/groups, kh, kw]`,
/// optionally `b [O]` (roles `weight`, `bias`); attributes `[h, w]` pairs `stride`, `padding`,
/// `dilation` and `groups`. Output size `⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1` per axis.
public struct Conv2D: Primitive {
    public var stride: [Int]
    public var padding: [Int]
    public var dilation: [Int]
    public var groups: Int

    public init(stride: [Int] = [1, 1], padding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public static let name = "conv2d"
    public static let schema = PrimitiveSchema(roles: [("weight", true), ("bias", false)], attributes: ["stride", "padding", "dilation", "groups"])
    public static func read(_ r: any AttributeReader) throws -> Conv2D {
        Conv2D(stride: try r.pair("stride") ?? [1, 1], padding: try r.pair("padding") ?? [0, 0],
               dilation: try r.pair("dilation") ?? [1, 1], groups: try r.integer("groups") ?? 1)
    }
    public var attributes: [(key: String, value: AttributeValue)] {
        [("stride", .pair(stride)), ("padding", .pair(padding)), ("dilation", .pair(dilation)), ("groups", .integer(groups))]
    }
    public var op: Op { .conv2d(self) }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(2...3, "input, weight, bias")
        try s.rank(0, "input", [4])
        try s.rank(1, "weight", [4])
        let x = s.shape(0), w = s.shape(1)
        let (sh, sw) = try s.pair(stride, "stride", min: 1)
        let (ph, pw) = try s.pair(padding, "padding", min: 0)
        let (dh, dw) = try s.pair(dilation, "dilation", min: 1)
        guard groups >= 1, groups <= 1 << 20, x[1] % groups == 0, w[0] % groups == 0 else {
            throw s.fail("groups", "groups = \(groups) must divide the input channels (\(x[1])) and the output channels (\(w[0]))")
        }
        guard w[1] == x[1] / groups else {
            throw s.fail("weight", "expected shape [out, \(x[1] / groups), kh, kw] (input channels / groups), found \(w)")
        }
        if s.inputs.count == 3 { try s.expectShape(2, "bias", [w[0]]) }
        let oh = ConvGeometry.outputExtent(x[2], kernel: w[2], stride: sh, padding: ph, dilation: dh)
        let ow = ConvGeometry.outputExtent(x[3], kernel: w[3], stride: sw, padding: pw, dilation: dw)
        guard oh >= 1, ow >= 1 else {
            throw s.fail("weight", "a \(w[2])×\(w[3]) kernel (dilation \(dilation), padding \(padding)) does not fit a \(x[2])×\(x[3]) input")
        }
        return [x[0], w[0], oh, ow]
    }

    /// The geometry of this convolution on input `x` with weight `w`.
    @inlinable
    public func geometry(_ x: [Int], _ w: [Int]) -> Conv2DShape {
        Conv2DShape(n: x[0], c: x[1], h: x[2], w: x[3], o: w[0], kh: w[2], kw: w[3],
                    sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1],
                    dh: dilation[0], dw: dilation[1], groups: groups)
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1], accumulation = io.accumulation
        let b = io.inputs.count == 3 ? io.inputs[2].slots : nil
        let g = geometry(x.shape, w.shape)
        // Flushed products: counted by the kernel where it can (binary16's tile), else by a
        // second pass; not at all where the operands' smallest magnitudes rule them out.
        let count = FlushCounting.conv2dMayFlush(a, g, x: x.slots, w: w.slots).input
        let counted = io.write { p in Conv2DKernels.forward(a, accumulation, g, x: x.slots, w: w.slots, b: b, y: p, countingFlushes: count) }
        io.flushed = count ? counted ?? FlushCounting.conv2d(a, g, x: x.slots, w: w.slots) : 0
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        let a = io.arithmetic, x = io.inputs[0], w = io.inputs[1]
        let g = geometry(x.shape, w.shape)
        let count = FlushCounting.conv2dMayFlush(a, g, x: x.slots, w: w.slots, gy: io.gy.slots, weight: io.needs(1), input: io.needs(0))
        let counted = Conv2DKernels.backward(a, io.accumulation, g, x: x.slots, w: w.slots, gy: io.gy.slots,
                                             gx: io.slots(0), gw: io.slots(1), gb: io.inputs.count == 3 ? io.slots(2) : nil,
                                             countingFlushes: count)
        io.flushed += (count.weight ? counted.weight ?? 0 : 0) + (count.input ? counted.input ?? 0 : 0)
        let recount = (weight: count.weight && counted.weight == nil, input: count.input && counted.input == nil)
        if recount.weight || recount.input {
            io.flushed += FlushCounting.conv2d(a, g, x: x.slots, w: w.slots, gy: io.gy.slots, weight: recount.weight, input: recount.input)
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

extension Conv2D {
    /// The same receptive field layout (padding at the same positions): the input and weight
    /// elements in the kernel's summation order, and the bias.
    public func sameComputation(_ i: Int, _ j: Int, _ c: SameComputation) -> [(Int, Int, Int)]? {
        let g = geometry(c.shapes[0], c.shapes[1])
        func site(_ e: Int) -> (s: Int, o: Int, oy: Int, ox: Int) {
            (e / (g.o * g.oh * g.ow), (e / (g.oh * g.ow)) % g.o, (e / g.ow) % g.oh, e % g.ow)
        }
        let u = site(i), v = site(j)
        var pairs: [(Int, Int, Int)] = []
        let kk = g.kh * g.kw
        for ci in 0..<g.cg {
            for p in 0..<kk {
                let a = g.windowOffset(u.oy, u.ox, p), b = g.windowOffset(v.oy, v.ox, p)
                switch (a, b) {
                case (nil, nil): continue
                case let (a?, b?):
                    let channelU = (u.o / g.og) * g.cg + ci, channelV = (v.o / g.og) * g.cg + ci
                    pairs.append((0, (u.s * g.c + channelU) * g.h * g.w + a, (v.s * g.c + channelV) * g.h * g.w + b))
                    pairs.append((1, (u.o * g.cg + ci) * kk + p, (v.o * g.cg + ci) * kk + p))
                default: return nil
                }
            }
        }
        if c.shapes.count == 3 { pairs.append((2, u.o, v.o)) }
        return pairs
    }
}
