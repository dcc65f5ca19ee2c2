import AD
import Precision

/// What one training step did at one precision, for both trajectories.
///
/// Step `t` (1-based) computes, on its batch, the forward and backward of the C trajectory at
/// its weights θ_C(t−1) under C and under C′ (the bifurcation test: `g_P ≠ g_P′` in any bit at
/// θ_C, −0 equal to +0, NaN equal to NaN), the C′ trajectory's own forward and backward under C′
/// at θ_C′(t−1), then both updates; `divergence` is measured after them.
public struct StepRecord: Sendable, Equatable, Codable {
    /// The step, from 1.
    public let step: Int
    /// The epoch (0-based) the batch comes from.
    public let epoch: Int
    /// The training loss of the batch at P, before the update: on the C trajectory (under C's
    /// forward, which is convention-free) and on the C′ trajectory.
    public let loss: Double
    public let lossAlternative: Double
    /// Whether `g_P ≠ g_P′` at the C trajectory's weights (bifurcation at this step).
    public let bifurcation: Bool
    /// Where the conventions changed the gradient at a bifurcation step: the nonsmooth nodes
    /// whose output's gradient is the same under C and C′ and an input's differs, from the loss
    /// down (empty when `bifurcation` is false).
    public let bifurcationLayers: [String]
    /// ‖θ_C − θ_C′‖₂ / ‖θ_C‖₂ after this step's updates (0 while the trajectories are
    /// bit-identical; NaN when either holds NaN).
    public let divergence: Double
    /// Whether the two trajectories hold bit-identical weights after this step.
    public let identical: Bool
    /// Sites exactly on a kink in the forward pass of each trajectory (relu-like breakpoints hit,
    /// tied max-pool windows, …).
    public let kinkHits: Int
    public let kinkHitsAlternative: Int
    /// Range events of the step (forward, backward and the update) on each trajectory.
    public let events: RangeEvents
    public let eventsAlternative: RangeEvents
}

/// Held-out loss and accuracy of both trajectories at one step (0: the starting weights).
public struct EvaluationRecord: Sendable, Equatable, Codable {
    public let step: Int
    public let loss: Double
    public let lossAlternative: Double
    /// Share of samples whose arg-max logit (first maximum; NaN counts as wrong) is the label;
    /// nil for an MSE model.
    public let accuracy: Double?
    public let accuracyAlternative: Double?
}

/// The certified analysis (`Analysis`) of one step's batch at the C trajectory's weights.
public struct CertificationRecord: Sendable, Equatable, Codable {
    public let step: Int
    /// Site counts by class (genuine, spurious, masked, flipped, undecided).
    public let counts: [String: Int]
    /// Whether `g_R ≠ g_R′` (the batch is in the bifurcation zone over ℝ).
    public let referenceBifurcation: Bool
    /// The kink-caused and rounding relative errors of `g_P` (nil where `‖g_R‖ = 0`).
    public let kinkCausedError: Double?
    public let roundingError: Double?
    public let flagged: Bool
}

/// Where a value first became NaN or ±∞ on a trajectory.
public struct RangeEventLocation: Sendable, Equatable, Codable {
    /// `C` or `C′`.
    public let trajectory: String
    /// `overflow` or `nan`.
    public let kind: String
    public let step: Int
    /// The node whose output held it: forward, the node computed; backward, the node whose
    /// backward produced the gradient; update, the parameter tensor updated.
    public let node: String
    /// `forward`, `backward` or `update`.
    public let pass: String
    /// How many values of that node were affected.
    public let count: Int
}

/// Final weights of one trajectory, in the precision that held them.
public struct TrajectoryWeights: Sendable, Equatable {
    public let precision: PrecisionName
    /// Values by tensor key (each exact in `precision`), with shapes.
    public let values: [String: [Double]]
    public let shapes: [String: [Int]]
}

/// Both trajectories at one precision.
public struct PrecisionTraining: Sendable {
    public let precision: PrecisionName
    /// The precision the weights and optimizer state are held in (P, or f32 with master weights).
    public let optimizerPrecision: PrecisionName
    public let steps: [StepRecord]
    public let evaluations: [EvaluationRecord]
    public let certifications: [CertificationRecord]
    /// The first overflow and the first NaN of each trajectory (at most four entries).
    public let firstEvents: [RangeEventLocation]
    public let finalWeights: TrajectoryWeights
    public let finalWeightsAlternative: TrajectoryWeights

    /// The first step with `g_P ≠ g_P′` at θ_C.
    public var firstBifurcation: Int? { steps.first { $0.bifurcation }?.step }
    /// The layers where the conventions changed the gradient at the first bifurcation step.
    public var firstBifurcationLayers: [String] { steps.first { $0.bifurcation }?.bifurcationLayers ?? [] }
    /// The first step after which the trajectories' weights differ.
    public var firstParting: Int? { steps.first { !$0.identical }?.step }
    /// The share of steps in the bifurcation zone.
    public var bifurcationShare: Double { steps.isEmpty ? 0 : Double(steps.filter(\.bifurcation).count) / Double(steps.count) }
    /// Whether the two trajectories stayed bit-identical at every step.
    public var identicalThroughout: Bool { steps.allSatisfy(\.identical) }
    /// The first NaN or overflow of either kind on either trajectory (earliest step; forward
    /// before backward before update).
    public var firstNonFinite: RangeEventLocation? {
        let order = ["forward": 0, "backward": 1, "update": 2]
        return firstEvents.min { ($0.step, order[$0.pass] ?? 3, $0.trajectory) < ($1.step, order[$1.pass] ?? 3, $1.trajectory) }
    }
}

/// The result of a training replay: per precision, the C and C′ trajectories.
public struct TrainingResult: Sendable {
    public let run: TrainingRun
    public let results: [PrecisionTraining]

    /// The trajectories at `p`.
    public subscript(_ p: PrecisionName) -> PrecisionTraining {
        guard let r = results.first(where: { $0.precision == p }) else { preconditionFailure("\(p) was not trained") }
        return r
    }
}
