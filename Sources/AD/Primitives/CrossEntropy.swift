/// Mean cross-entropy of logits `[N, classes]` against the integer labels fed under `labels`
/// (see `LossKernels` for the formula). A loss: the model file's `"loss": {"op": "cross_entropy"}`.
public struct CrossEntropy: LossPrimitive {
    /// The name the labels are fed under.
    public var labels: String

    public init(labels: String) { self.labels = labels }
    public static let name = "cross_entropy"
    public static let schema = PrimitiveSchema()
    public static func read(_ r: any AttributeReader) throws -> CrossEntropy { CrossEntropy(labels: "targets") }
    public var op: Op { .crossEntropy(labels: labels) }
    /// Row s of the gradient is `(softmax(z_s) − onehot(label_s)) / N`.
    public var gradientRowsAreIndependent: Bool { true }

    public func outputShape(_ s: ShapeCheck) throws -> [Int] {
        try s.arity(1...1, "logits")
        try s.rank(0, "logits", [2])
        return []
    }

    @inlinable
    public func forward<A: ScalarArithmetic>(_ io: inout ForwardIO<A>) throws {
        let a = io.arithmetic, z = io.inputs[0]
        let labels = try checkedLabels(io, n: z.shape[0], classes: z.shape[1])
        io.write { p in LossKernels.crossEntropyForward(a, z: z.slots, labels: labels, classes: z.shape[1], loss: p) }
    }

    @inlinable
    public func backward<A: ScalarArithmetic>(_ io: inout BackwardIO<A>) {
        guard let gz = io.slots(0), let given = io.labels[labels] else { return }  // forward checked the labels
        let z = io.inputs[0]
        LossKernels.crossEntropyBackward(io.arithmetic, z: z.slots, labels: given, classes: z.shape[1], gloss: io.gy.slots, gz: gz)
    }

    /// The labels, checked: present, one per sample, each a class.
    public func checkedLabels<A: ScalarArithmetic>(_ io: ForwardIO<A>, n: Int, classes: Int) throws -> [Int] {
        guard let given = io.labels[labels] else { throw io.fail("no labels were given under '\(labels)'") }
        guard given.count == n else {
            throw io.fail("expected \(n) labels (one per sample) under '\(labels)', found \(given.count)")
        }
        if let bad = given.firstIndex(where: { $0 < 0 || $0 >= classes }) {
            throw io.fail("label \(given[bad]) of sample \(bad) is outside 0..<\(classes)")
        }
        return given
    }
}
