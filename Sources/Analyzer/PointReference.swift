import AD
import Precision

/// What a precision's analysis reads of the certified reference R at its point: R's decisions
/// for the whole batch, g_R and g_R′ in R's arithmetic, what the report says of R's ladder, and
/// R's operands at the sites the precision classifies. R computed whole (`CertifiedReference`)
/// and R computed chunk by chunk (`StreamedReference`) both provide it.
public protocol PointReference {
    associatedtype E: EnclosingArithmetic
    /// The arithmetic g_R and g_R′ are in.
    var arithmetic: E { get }
    /// R's decisions at every nonsmooth node, for the whole batch.
    var decisions: DecisionSet { get }
    var gradient: Gradients<E>? { get }
    var alternativeGradient: Gradients<E>? { get }
    /// R's forward precision (bits), the precisions tried before it, the sites left undecided.
    var bits: Int { get }
    var escalations: [Int] { get }
    var undecidedSites: Int { get }
    /// Samples recomputed on the MPFR ladder (`CertifiedReference.climbedSamples`).
    var climbedSamples: Int { get }
    /// The backward's precision, the widest relative enclosure it reached and the bound it was
    /// checked against (`CertifiedReference.gradientWidth`).
    var gradientBits: Int { get }
    var gradientWidth: Double { get }
    var requiredWidth: Double { get }
    /// R's operands at site `site` (flat, over the whole batch) of the nonsmooth node `node`, as
    /// R's arithmetic renders them (`NonsmoothPrimitive.siteOperands`); nil when not known —
    /// a streamed R keeps them only at the sites `precision` classifies.
    func certifiedOperands(_ node: NodeID, site: Int, for precision: PrecisionName) -> String?
    /// How many chunks of samples R ran in (`StreamedReference`); nil when it ran whole.
    var chunks: Int? { get }
}

extension PointReference {
    public var chunks: Int? { nil }
}

extension PointReference {
    /// `run`'s analysis against this reference (a method, so that an `any PointReference` opens to its type).
    func analysed<A: ScalarArithmetic>(by run: PrecisionAnalysis<A>, arithmetic: String) throws -> PrecisionResult {
        try run.run(self, arithmetic: arithmetic)
    }
}

extension CertifiedReference: PointReference {
    public var arithmetic: E { execution.arithmetic }
    public var decisions: DecisionSet { execution.decisions }

    public func certifiedOperands(_ node: NodeID, site: Int, for precision: PrecisionName) -> String? {
        guard let primitive = execution.graph.nodes[node].op.nonsmooth else { return nil }
        let inputs = execution.graph.nodes[node].inputs.map { execution.value($0) }
        return primitive.siteOperands(site, inputs: inputs, output: execution.value(node)) { execution.arithmetic.render($0) }
    }
}
