/// Attributes of `maxpool2d` and `avgpool2d`: `[h, w]` pairs `kernel`, `stride` (default the
/// kernel, as in PyTorch) and `padding` (at most half the kernel); for `maxpool2d` also
/// `dilation` (default 1) and `ceil_mode` (default 0).
public struct PoolAttributes: Sendable, Equatable {
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: [Int]
    /// Max-pooling only: the spacing of window positions (PyTorch's `dilation`).
    public var dilation: [Int]
    /// Max-pooling only: the output extent rounds up (PyTorch's and ONNX's `ceil_mode`): a last
    /// window may hang over the bottom or right edge (its positions there are −∞, like padding)
    /// as long as it starts inside the input or the top/left padding.
    public var ceilMode: Bool
    /// Average pooling only: whether padded positions count in the divisor (PyTorch's default,
    /// `count_include_pad=True`; ONNX's default is 0). Max-pooling ignores it.
    public var countIncludePad: Bool

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], countIncludePad: Bool = true,
                dilation: [Int] = [1, 1], ceilMode: Bool = false) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countIncludePad = countIncludePad
        self.dilation = dilation
        self.ceilMode = ceilMode
    }

    static let keys = ["kernel", "stride", "padding"]
    static let maxPoolKeys = keys + ["dilation", "ceil_mode"]

    static func read(_ r: any AttributeReader, op: String) throws -> PoolAttributes {
        guard let kernel = try r.pair("kernel") else { throw r.error("kernel", "\(op) needs a 'kernel'") }
        var w = PoolAttributes(kernel: kernel, stride: try r.pair("stride"), padding: try r.pair("padding") ?? [0, 0])
        if r.has("dilation") { w.dilation = try r.pair("dilation") ?? [1, 1] }
        if let ceil = try r.integer("ceil_mode") {
            guard ceil == 0 || ceil == 1 else { throw r.error("ceil_mode", "expected 0 or 1, found \(ceil)") }
            w.ceilMode = ceil == 1
        }
        return w
    }

    /// `dilation` and `ceil_mode` are written only when not their defaults.
    var attributes: [(key: String, value: AttributeValue)] {
        [("kernel", .pair(kernel)), ("stride", .pair(stride)), ("padding", .pair(padding))]
            + (dilation == [1, 1] ? [] : [("dilation", .pair(dilation))]) + (ceilMode ? [("ceil_mode", .integer(1))] : [])
    }

    /// The output extent along one axis: PyTorch's `pooling_output_shape` (floor, or with
    /// `ceilMode` ceiling, dropping a last window that would start on the bottom/right padding).
    @inlinable
    public static func outputExtent(_ n: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int, ceil: Bool) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        guard span >= 0 else { return 0 }
        var out = (span + (ceil ? s - 1 : 0)) / s + 1
        if ceil && (out - 1) * s >= n + p { out -= 1 }
        return out
    }

    /// `[oh, ow]` for an input `[N, C, H, W]` (no checks).
    public func outputExtents(_ x: [Int]) -> [Int] {
        (0..<2).map { Self.outputExtent(x[2 + $0], kernel: kernel[$0], stride: stride[$0], padding: padding[$0], dilation: dilation[$0], ceil: ceilMode) }
    }

    /// The pooling shape rule: `[N, C, oh, ow]` for an input `[N, C, H, W]`.
    func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "input")
        try s.rank(0, "input", [4])
        let x = s.shape(0)
        let (kh, kw) = try s.pair(kernel, "kernel", min: 1)
        let (sh, sw) = try s.pair(stride, "stride", min: 1)
        let (ph, pw) = try s.pair(padding, "padding", min: 0)
        let (dh, dw) = try s.pair(dilation, "dilation", min: 1)
        // PyTorch's rule, on the dilated (effective) kernel.
        guard ph <= ((kh - 1) * dh + 1) / 2, pw <= ((kw - 1) * dw + 1) / 2 else {
            throw s.fail("padding", "padding \(padding) must be at most half the \(dilation == [1, 1] ? "" : "effective (dilated) ")kernel \(kernel), so every window holds an input value")
        }
        let oh = Self.outputExtent(x[2], kernel: kh, stride: sh, padding: ph, dilation: dh, ceil: ceilMode)
        let ow = Self.outputExtent(x[3], kernel: kw, stride: sw, padding: pw, dilation: dw, ceil: ceilMode)
        guard oh >= 1, ow >= 1 else {
            throw s.fail("kernel", "a \(kh)×\(kw) window does not fit a \(x[2])×\(x[3]) input")
        }
        return [x[0], x[1], oh, ow]
    }

    /// The window geometry on input `x`: the one place pooling windows are laid out.
    @inlinable
    public func geometry(_ x: [Int]) -> Conv2DShape {
        var g = Conv2DShape(n: x[0], c: x[1], h: x[2], w: x[3], o: x[1], kh: kernel[0], kw: kernel[1],
                            sh: stride[0], sw: stride[1], ph: padding[0], pw: padding[1], dh: dilation[0], dw: dilation[1], groups: x[1])
        if ceilMode {
            g.oh = Self.outputExtent(x[2], kernel: kernel[0], stride: stride[0], padding: padding[0], dilation: dilation[0], ceil: true)
            g.ow = Self.outputExtent(x[3], kernel: kernel[1], stride: stride[1], padding: padding[1], dilation: dilation[1], ceil: true)
        }
        return g
    }
}
