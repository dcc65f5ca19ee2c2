import AD
import Precision

/// How the analysis measures the share of the gradient error each attributed site carries
/// (`Analysis.attribution`; the report's `error_share`).
///
/// Both force only that site to R's decision and compare P's backprop with P's own; they differ
/// in what is replayed. Samples are independent in forward and in the activations' backward
/// (every sum there lies within one sample), so forcing a site in sample s changes only sample
/// s's values and activation gradients; the parameter gradients are sums over the samples, and
/// only sample s's terms in them change. Over ℝ the two measures are equal.
public enum AttributionMethod: String, Sendable, CaseIterable, Codable {
    /// Sample s alone, on a one-sample graph (`SampleSubset`): its forward forced onto P's own
    /// decisions, then onto them with the site replaced by R's; each backward starts from the
    /// loss gradients the whole batch's loss gives sample s (a mean loss divides by the whole
    /// batch), so its values and activation gradients are the batch's rows, bit for bit. The
    /// share is `‖c_P(s) − c_P^(site)(s)‖ / ‖g_R‖`, with `c(s)` sample s's contribution to the
    /// parameter gradients (its terms of each sum, in the documented order). What the batch
    /// replay adds to it is the re-rounding of the other samples' terms after the change: P's
    /// rounding, not the site. Two one-sample passes per site (one shared by the sites of a
    /// sample), against a whole batch's pass for `.batch`. Where samples are not independent
    /// (batch norm in training mode), where a policy rounds (its stochastic roundings depend on
    /// positions in the batch) or where a loss operand has no batch axis, `.batch` is used.
    case sample
    /// The whole batch replayed with the site forced (one forward and backward of the batch per
    /// site): `‖g_P − g_P^(site)‖ / ‖g_R‖`.
    case batch
}

extension PrecisionAnalysis {
    /// Measures, for the most severe sites, the gradient error each carries: P's backprop with
    /// only that site forced to R's decision, against P's own (`AttributionMethod`).
    func attribute(_ sites: inout [Site], _ p: Execution<A>, _ rDecisions: DecisionSet, _ ids: [NodeID],
                                           rNorm: Double, gP: Gradients<A>) throws {
        let order: [SiteClass] = [.spurious, .flipped, .masked]
        let classes = sites.map(\.siteClass)
        func severity(_ k: Int) -> Int { order.firstIndex(of: classes[k])! }
        let chosen = sites.indices.filter { order.contains(classes[$0]) }
            .sorted { (severity($0), $0) < (severity($1), $1) }
            .prefix(analysis.attributedSites)
        guard rNorm > 0, !chosen.isEmpty else { return }
        let batch = max(built.graph.nodes[built.input].shape.first ?? 1, 1)
        let replay = analysis.attribution == .sample ? SampleReplay(self, p, batch: batch, ids: ids) : nil
        // g_P whole, flattened, for the batch replay's differences only (74 MB on VGG11).
        lazy var base = ids.flatMap { gP[$0]!.doubles(p.arithmetic) }
        // Grouped by sample, so that each sample's own replay is computed once.
        var current: (sample: Int, contribution: [Double])?
        for k in chosen.sorted(by: { (sites[$0].sample, $0) < (sites[$1].sample, $1) }) {
            let site = sites[k]
            guard let id = built.graph.node(named: site.layer)?.id, let pRecord = p.decisions[id], let rRecord = rDecisions[id] else { continue }
            if let replay {
                if current?.sample != site.sample { current = (site.sample, try replay.contribution(site.sample)) }
                let moved = try replay.contribution(site.sample, forcing: id, site.index, from: rRecord)
                sites[k].errorShare = GradientAlgebra.norm(zip(current!.contribution, moved).map { $0 - $1 }) / rNorm
                continue
            }
            let flat = site.sample * (pRecord.siteCount / batch) + site.index
            var forcing = p.decisions
            forcing[id]!.replace(flat, from: rRecord)
            let one = try Execution(graph: built.graph, arithmetic: p.arithmetic, feed: feed, model: model, forcing: forcing, rounding: rounding)
            let g = try one.backward(convention: analysis.convention, wrt: ids)
            let moved = ids.flatMap { g[$0]!.doubles(p.arithmetic) }
            sites[k].errorShare = GradientAlgebra.norm(zip(base, moved).map { $0 - $1 }) / rNorm
        }
    }
}

/// One sample of P's batch replayed alone (`AttributionMethod.sample`): its contribution to the
/// parameter gradients, with P's own decisions or with one site forced.
struct SampleReplay<A: ScalarArithmetic> {
    let run: PrecisionAnalysis<A>
    /// P's execution of the whole batch.
    let p: Execution<A>
    let batch: Int
    /// The parameters, in the analysis' order.
    let ids: [NodeID]
    /// The loss node alone, its operands as inputs (`operand0`, …): the whole batch's loss
    /// gradients for any values of its operands.
    let lossGraph: Graph
    /// The loss's operands in the analysed graph, and the inputs standing for them in `lossGraph`.
    let lossOperands: [NodeID], lossInputs: [NodeID]

    /// Nil where the sample replay does not apply (see `AttributionMethod.sample`).
    init?(_ run: PrecisionAnalysis<A>, _ p: Execution<A>, batch: Int, ids: [NodeID]) {
        let graph = run.built.graph, loss = graph.nodes[run.built.loss]
        guard run.rounding == nil, batch > 1, SampleSubset(graph: graph, batch: batch, samples: [0]) != nil,
              p.decisions.values.allSatisfy({ $0.siteCount % batch == 0 }),
              loss.inputs.allSatisfy({ graph.nodes[$0].shape.first == batch }) else { return nil }
        guard let alone = try? graph.lossAlone(run.built.loss) else { return nil }
        self.run = run
        self.p = p
        self.batch = batch
        self.ids = ids
        lossGraph = alone.graph
        lossOperands = loss.inputs
        lossInputs = alone.inputs
    }

    /// Sample `s`'s contribution to P's parameter gradients (parameter order, flattened), under
    /// P's own decisions, or with site `index` (within the sample) of node `node` forced to
    /// `record`'s decision (a record of the whole batch).
    func contribution(_ s: Int, forcing node: NodeID? = nil, _ index: Int = 0, from record: DecisionRecord? = nil) throws -> [Double] {
        let a = p.arithmetic, built = run.built, convention = run.analysis.convention
        let subset = SampleSubset(graph: built.graph, batch: batch, samples: [s])!  // init checked that subsets exist
        var forcing: DecisionSet = [:]
        for (id, r) in p.decisions { forcing[id] = r.samples(s..<(s + 1), of: batch) }
        if let node, let record { forcing[node]!.replace(index, from: record.samples(s..<(s + 1), of: batch)) }
        let one = try Execution(graph: subset.graph, arithmetic: a, feed: subset.feed(run.feed), model: run.model, forcing: forcing)
        // The whole batch's loss on P's operands with sample s's rows replaced by this replay's
        // (the same rows when nothing is forced), differentiated: its gradients' rows s.
        let operands = lossOperands.map { id in replacingRow(p.value(id), s, with: one.value(id)) }
        var tensors: [String: Tensor<A>] = [:]
        for (k, t) in operands.enumerated() { tensors["operand\(k)"] = t }
        let loss = try Execution(graph: lossGraph, arithmetic: a, feed: Feed(labels: run.feed.labels), tensors: tensors, model: run.model)
        let g = try loss.backward(convention: convention, wrt: lossInputs)
        let rows: [Tensor<A>?] = lossInputs.map { row(g[$0]!, s) }
        let contribution = try one.backward(convention: convention, from: built.loss, lossOperandGradients: rows, wrt: ids)
        return ids.flatMap { contribution[$0]!.doubles(a) }
    }

    /// Row `s` of a batch-major tensor, as a one-sample tensor.
    func row(_ t: Tensor<A>, _ s: Int) -> Tensor<A> {
        let a = p.arithmetic, per = t.count / batch
        var out = Tensor<A>(zeros: [1] + t.shape.dropFirst(), a)
        out.withMutableSlots { q in for i in 0..<per { a.copy(q + i, t.slots + s * per + i) } }
        return withExtendedLifetime(t) { out }
    }

    /// `t` with row `s` replaced by the one-sample tensor `r`.
    func replacingRow(_ t: Tensor<A>, _ s: Int, with r: Tensor<A>) -> Tensor<A> {
        let a = p.arithmetic, per = t.count / batch
        var out = Tensor<A>(zeros: t.shape, a)
        out.withMutableSlots { q in
            for i in 0..<t.count { a.copy(q + i, t.slots + i) }
            for i in 0..<per { a.copy(q + s * per + i, r.slots + i) }
        }
        return withExtendedLifetime((t, r)) { out }
    }
}

extension Graph {
    /// The loss node `loss` alone, its operands as inputs `operand0`, … of the same shapes: the
    /// whole batch's loss gradients for any values of its operands (the sample replay's and the
    /// streamed reference's).
    func lossAlone(_ loss: NodeID) throws -> (graph: Graph, inputs: [NodeID]) {
        var g = Graph()
        let node = nodes[loss]
        let inputs = try node.inputs.enumerated().map { k, id in try g.input("operand\(k)", shape: nodes[id].shape) }
        _ = try g.apply(node.name, node.op, inputs)
        return (g, inputs)
    }
}
