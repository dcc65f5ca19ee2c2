import AD
import Analyzer
import Precision

/// `--sr-seeds K`: the spread of a stochastic-rounding precision's results over its seeds (the
/// same `sr:F` under K seeds, each also a row of the summary): minimum, mean and maximum of the
/// worst batch's total, kink-caused and rounding errors, and how many seeds were flagged.
/// Nothing is written when no format has two seeds.
public enum StochasticSpread {
    public static func markdown(_ summaries: [PrecisionSummary]) -> String {
        var groups: [(HalfFormat, [PrecisionSummary])] = []
        for s in summaries {
            guard case .stochastic(let low, _) = s.precision else { continue }
            if let i = groups.firstIndex(where: { $0.0 == low }) { groups[i].1.append(s) } else { groups.append((low, [s])) }
        }
        let spread = groups.filter { $0.1.count > 1 }
        guard !spread.isEmpty else { return "" }
        var out = "## Stochastic rounding over seeds\n\n"
        out += "| precision | seeds | flagged | total error min / mean / max | kink-caused min / mean / max | rounding min / mean / max |\n|---|---|---|---|---|---|\n"
        for (low, rows) in spread {
            func stats(_ v: [Double?]) -> String {
                let x = v.compactMap { $0 }
                guard !x.isEmpty else { return "—" }
                return "\(ReportMarkdown.f(x.min())) / \(ReportMarkdown.f(x.reduce(0, +) / Double(x.count))) / \(ReportMarkdown.f(x.max()))"
            }
            let seeds = rows.compactMap { r -> UInt64? in if case .stochastic(_, let s) = r.precision { return s } else { return nil } }
            out += "| sr:\(low) | \(seeds.count) (\(seeds.map(String.init).joined(separator: ", "))) | \(rows.filter(\.flagged).count) of \(rows.count) | "
            out += "\(stats(rows.map { $0.worst.error.total })) | \(stats(rows.map { $0.worst.error.kink })) | \(stats(rows.map { $0.worst.error.rounding })) |\n"
        }
        return out + "\n"
    }
}

/// The lines of `ReportContext.policyNotes`: what each policy precision among `names` does.
public enum PolicyNotes {
    public static func lines(_ names: [PrecisionName], policies: [String: PolicySpec]) -> [String] {
        var out: [String] = []
        for p in names {
            switch p {
            case .amp(let low):
                out.append("`\(p)`: PyTorch autocast with \(low) (CUDA op lists, docs/precisions.md): f32 master weights and inputs; linear, conv2d and prelu on \(low) copies of their operands, exact products accumulated in f32, output rounded once to \(low); softplus and the losses in f32; every other op in its inputs' dtype (batch norm: its input's); each gradient rounded to the dtype of the tensor it is for, 16-bit gradients accumulated in 16 bits. Replayed in binary32 with per-node roundings (--accumulation does not apply).")
            case .stochastic(let low, let seed):
                out.append("`\(p)`: stochastic rounding to \(low) of every op's output (computed in binary32 from \(low) operands), of every gradient contribution and of every addition of contributions; the point is rounded to nearest \(low); seed \(seed), draws keyed on (seed, node, pass, element) — the same in g_P, g_P′ and g_P|R.")
            case .e4m3Policy(let saturating):
                out.append("`\(p)`: fp8 recipe (Transformer Engine HYBRID): amp-bf16, with linear/conv2d inputs and weights cast to e4m3 and their incoming gradients to e5m2, each with a per-tensor power-of-two scale from its amax; f32 accumulation; bf16 outputs; f32 weight gradients; casts \(saturating ? "saturating (counted as range events)" : "non-saturating (overflow → NaN in e4m3, ∞ in e5m2)").")
            case .policy(let name):
                if let spec = policies[name] {
                    let rules = spec.ops.keys.sorted().map { "\($0): \(describe(spec.ops[$0]!))" } + spec.layers.keys.sorted().map { "layer \($0): \(describe(spec.layers[$0]!))" }
                    out.append("`\(p)`: policy file `\(spec.source ?? name)`, base \(spec.base.rawValue); \(rules.isEmpty ? "no rules" : rules.joined(separator: "; ")).")
                } else {
                    out.append("`\(p)`: the rules of a policy file (its --policy is in the command).")
                }
            default: break
            }
        }
        return out
    }

    static func describe(_ r: PolicySpec.Rule) -> String {
        let name = { (f: FormatInfo?) in f.map(FormatInfo.shortName) ?? "f32" }
        var s = "inputs \(name(r.inputs)), output \(name(r.output))"
        if let g = r.gradient { s += ", gradient \(FormatInfo.shortName(g))" }
        if r.scaling == .amax { s += ", amax scale" }
        if r.saturating { s += ", saturating" }
        return s
    }
}
