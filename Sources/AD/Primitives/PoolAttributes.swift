/// Attributes of `maxpool2d` and `avgpool2d`: `[h, w]` pairs `kernel`, `stride` (default the
/// kernel, as in PyTorch) and `padding` (at most half the kernel).
public struct PoolAttributes: Sendable, Equatable {
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: [Int]
    /// Average pooling only: whether padded positions count in the divisor (PyTorch's default,
    /// `count_include_pad=True`; ONNX's default is 0). Max-pooling ignores it.
    public var countIncludePad: Bool

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], countIncludePad: Bool = true) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countIncludePad = countIncludePad
    }

    static let keys = ["kernel", "stride", "padding"]

    static func read(_ r: any AttributeReader, op: String) throws -> PoolAttributes {
        guard let kernel = try r.pair("kernel") else { throw r.error("kernel", "\(op) needs a 'kernel'") }
        return PoolAttributes(kernel: kernel, stride: try r.pair("stride"), padding: try r.pair("padding") ?? [0, 0])
    }

    var attributes: [(key: String, value: AttributeValue)] {
        [("kernel", .pair(kernel)), ("stride", .pair(stride)), ("padding", .pair(padding))]
    }

    /// The pooling shape rule: `[N, C, oh, ow]` for an input `[N, C, H, W]`.
    func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        try s.rank(0, "input", [4])
        let x = s.shape(0)
        let (kh, kw) = try s.pair(kernel, "kernel", min: 1)
        let (sh, sw) = try s.pair(stride, "stride", min: 1)
        let (ph, pw) = try s.pair(padding, "padding", min: 0)
        guard ph <= kh / 2, pw <= kw / 2 else {
            throw s.fail("padding", "padding \(padding) must be at most half the kernel \(kernel), so every window holds an input value")
        }
        let oh = ConvGeometry.outputExtent(x[2], kernel: kh, stride: sh, padding: ph, dilation: 1)
        let ow = ConvGeometry.outputExtent(x[3], kernel: kw, stride: sw, padding: pw, dilation: 1)
        guard oh >= 1, ow >= 1 else {
            throw s.fail("kernel", "a \(kh)×\(kw) window does not fit a \(x[2])×\(x[3]) input")
        }
        return [x[0], x[1], oh, ow]
    }

    /// The window geometry on input `x`: the one place pooling windows are laid out.
    @inlinable
    public func geometry(_ x: [Int]) -> Conv2DShape {
        Conv2DShape(n: x[0], c: x[1], h: x[2], w: x[3], o: x[1], kh: kernel[0], kw: kernel[1],
                    sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], dh: 1, dw: 1, groups: x[1])
    }
}
