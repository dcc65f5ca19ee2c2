import Foundation
import Testing
import AD
import Workloads

/// The papers' networks (W3 VGG11, W4 ResNet18, for 32×32×3 inputs) are the standard ones: their
/// parameter counts equal the published closed forms, and a pass at f32 agrees with f64.
@Suite struct PaperWorkloadTests {
    @Test(arguments: [(Workload.w3, 9_225_610), (Workload.w4, 11_173_962)])
    func parameterCountsAndOnePass(_ workload: Workload, _ expected: Int) throws {
        let (built, feed, parameters, _) = try workload.build(batch: 1)
        // VGG11: Σ convs (3·64 + 64·128 + 128·256 + 256·256 + 256·512 + 3·512·512)·9 + biases,
        // + 512·10 + 10. ResNet18 (CIFAR): the usual 11,173,962 (convs without bias, BN weight
        // and bias, the linear layer; running statistics are buffers).
        #expect(parameters.reduce(0) { $0 + Tensor<FixedArithmetic<Double>>.count(of: built.graph.nodes[$1].shape) } == expected)
        #expect(built.graph.nodes[built.output].shape == [1, 10])
        let f64 = try Execution(graph: built.graph, arithmetic: FixedArithmetic<Double>(), feed: feed)
        let f32 = try Execution(graph: built.graph, arithmetic: FixedArithmetic<Float>(), feed: feed)
        let l64 = f64.value(built.loss).doubles(FixedArithmetic<Double>())[0], l32 = f32.value(built.loss).doubles(FixedArithmetic<Float>())[0]
        #expect(l64.isFinite && abs(l32 - l64) <= 1e-5 * abs(l64), "\(workload.rawValue): f32 loss \(l32), f64 \(l64)")
    }

    /// Every workload is the network the JAX peer builds from the same draws: bpcheck's f64
    /// loss at batch 2 equals JAX's (`Fixtures/jax-losses.json`, written by
    /// `.venv-peer/bin/python Sources/BPCheckBench/jax_peer.py --losses 2` after `make peer`).
    @Test(arguments: Workload.allCases)
    func lossEqualsTheJAXPeers(_ workload: Workload) throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: TestFiles.fixtures.appendingPathComponent("jax-losses.json"))) as! [String: Double]
        let (built, feed, _, _) = try workload.build(batch: 2)
        let a = FixedArithmetic<Double>()
        let loss = try Execution(graph: built.graph, arithmetic: a, feed: feed).value(built.loss).doubles(a)[0]
        let jax = try #require(expected[workload.rawValue])
        #expect(abs(loss - jax) <= 1e-12 * abs(jax), "\(workload.rawValue): bpcheck \(loss), JAX \(jax)")
    }
}
