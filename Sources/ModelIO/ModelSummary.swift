import AD
import Foundation

/// What `bpcheck inspect` prints: nodes with shapes, parameters, nonsmooth sites, the data.
public struct ModelSummary: Sendable {
    public struct Row: Sendable {
        public let node: String
        public let op: String
        public let inputs: [String]
        public let shape: [Int]
        public let parameters: [(name: String, dtype: DType, shape: [Int])]
        public let sitesPerSample: Int?
    }

    public let model: Model
    public let rows: [Row]
    /// Total scalar parameters.
    public let parameterCount: Int
    /// Scalars per dtype.
    public let parametersByDType: [DType: Int]

    public init(_ model: Model) throws {
        self.model = model
        let built = try model.graph(batch: 1)
        var rows: [Row] = []
        for node in model.nodes {
            let g = built.graph.node(named: node.name)!
            let params = node.parameters.map { (name: $0.tensor, dtype: model.tensors[$0.tensor]!.dtype, shape: model.tensors[$0.tensor]!.shape) }
            let perSample = Array(g.shape.dropFirst()).reduce(1, *)
            rows.append(Row(node: node.name, op: node.op.name, inputs: node.inputs, shape: Array(g.shape.dropFirst()),
                            parameters: params, sitesPerSample: node.op.isNonsmooth ? perSample : nil))
        }
        self.rows = rows
        var byType: [DType: Int] = [:]
        for t in model.tensors.values { byType[t.dtype, default: 0] += t.count }
        parametersByDType = byType
        parameterCount = byType.values.reduce(0, +)
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    /// The Markdown text.
    public var text: String {
        var out = "# \(model.name)\n\n"
        out += "File \(model.file); input shape \(model.inputShape) per sample; loss \(model.loss.rawValue)"
        out += model.weightsFile.map { "; weights \($0)" } ?? "" 
        out += ".\n\n| node | op | inputs | output per sample | parameters | nonsmooth sites / sample |\n|---|---|---|---|---|---|\n"
        for r in rows {
            let params = r.parameters.map { "\($0.name) \($0.dtype.rawValue) \($0.shape)" }.joined(separator: ", ")
            out += "| \(r.node) | \(r.op) | \(r.inputs.joined(separator: ", ")) | \(r.shape) | \(params.isEmpty ? "—" : params) | \(r.sitesPerSample.map(Self.grouped) ?? "—") |\n"
        }
        let dtypes = parametersByDType.keys.sorted { $0.rawValue < $1.rawValue }.map { "\($0.rawValue): \(Self.grouped(parametersByDType[$0]!))" }.joined(separator: ", ")
        out += "\nParameters: \(Self.grouped(parameterCount)) in \(model.tensors.count) tensors (\(dtypes)).\n"
        let nonsmooth = rows.filter { $0.sitesPerSample != nil }
        let sites = nonsmooth.reduce(0) { $0 + $1.sitesPerSample! }
        out += "Nonsmooth ops: \(nonsmooth.count) (\(nonsmooth.map { "\($0.node) \($0.op)" }.joined(separator: ", "))), \(Self.grouped(sites)) sites per sample.\n"
        if let x = model.inputs, let y = model.targets {
            out += "Default batch: inputs \(x.dtype.rawValue) \(x.shape), targets \(y.dtype.rawValue) \(y.shape)"
            if let labels = y.ints(), let lo = labels.min(), let hi = labels.max() {
                out += ", labels \(lo)…\(hi) (\(Set(labels).count) distinct)"
            }
            out += ".\n"
        } else {
            out += "No default batch (give one with --data).\n"
        }
        let bad = model.nonFiniteTensors
        if bad.isEmpty {
            out += "Non-finite values: none.\n"
        } else {
            out += "WARNING: non-finite values: " + bad.map { "\($0.name): \($0.nan) NaN, \($0.infinite) ±∞" }.joined(separator: "; ") + ".\n"
        }
        return out
    }
}
