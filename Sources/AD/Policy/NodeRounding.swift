import Precision

/// Per-node roundings of a mixed-precision policy, applied by `Execution` on top of binary32
/// arithmetic: every value of the narrow formats is exactly a binary32 value, so a "16-bit op"
/// is the binary32 computation on 16-bit-valued operands whose output is rounded once to 16
/// bits — what a tensor-core GEMM/convolution with f32 accumulation and a pointwise CUDA kernel
/// with f32 `opmath` do (docs/precisions.md). Products of two 16-bit (or fp8) values are exact
/// in binary32, so binary32's linear/conv2d *is* the f32-accumulating GEMM.
///
/// What `Execution` does with it, for node `n`:
/// - forward: operand `k` is cast by `operands[n][k]` before use (forward and backward: the
///   same copy); the output is rounded by `output[n]`;
/// - backward: the incoming gradient used for operand `k`'s contribution is cast by
///   `incoming[n][k]` (the fp8 recipe's e5m2 gradients); the contribution is then rounded by
///   each cast of `operandGradients[n][k]` in turn (the dtype of the tensor `n` received, then
///   its producer's); several contributions to node `n` are added with a rounding by
///   `accumulation[n]` after each addition (autograd accumulates in the tensor's dtype).
///
/// Range events are counted after the roundings: a 16-bit overflow of a binary32 value is an
/// overflow.
public struct NodeRounding: Sendable, Equatable {
    /// The dtype of node `i`'s tensor under the policy (documentation and tests; `output` is
    /// what rounds).
    public var storage: [FormatInfo]
    public var output: [TensorCast?]
    public var operands: [[TensorCast?]]
    public var incoming: [[TensorCast?]]
    public var operandGradients: [[[TensorCast]]]
    public var accumulation: [TensorCast?]
    /// The seed of stochastic casts.
    public var seed: UInt64

    public init(storage: [FormatInfo], output: [TensorCast?], operands: [[TensorCast?]], incoming: [[TensorCast?]],
                operandGradients: [[[TensorCast]]], accumulation: [TensorCast?], seed: UInt64 = 0) {
        self.storage = storage
        self.output = output
        self.operands = operands
        self.incoming = incoming
        self.operandGradients = operandGradients
        self.accumulation = accumulation
        self.seed = seed
    }

    /// Whether the arrays fit `graph` (one entry per node, one per operand).
    public func fits(_ graph: Graph) -> Bool {
        let n = graph.nodes.count
        guard storage.count == n, output.count == n, operands.count == n, incoming.count == n,
              operandGradients.count == n, accumulation.count == n else { return false }
        return graph.nodes.indices.allSatisfy { i in
            let k = graph.nodes[i].inputs.count
            return operands[i].count == k && incoming[i].count == k && operandGradients[i].count == k
        }
    }
}
