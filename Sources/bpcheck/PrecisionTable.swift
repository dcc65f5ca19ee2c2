import BPCheck

/// The Markdown table `bpcheck precisions` prints.
enum PrecisionTable {
    static func render(_ names: [PrecisionName]) -> String {
        var rows = [["name", "what", "significand bits", "exponent range (normal)", "epsilon", "smallest subnormal", "largest finite"]]
        for name in names {
            let f = name.format
            let subnormal = f.hasSubnormals ? FormatInfo.describePowerOfTwo(f.leastNonzeroExponent) : "none (smallest: \(FormatInfo.describePowerOfTwo(f.minExponent)))"
            let largest: String
            if let g = f.greatestFiniteMagnitude {
                largest = "(2 − 2^\(f.epsilonExponent))·2^\(f.maxExponent) ≈ \(FormatInfo.scientific(g))"
            } else {
                largest = "(2 − 2^\(f.epsilonExponent))·2^\(f.maxExponent)"
            }
            rows.append([name.description, name.summary, "\(f.significandBits)",
                         "2^\(f.minExponent) … 2^\(f.maxExponent)",
                         FormatInfo.describePowerOfTwo(f.epsilonExponent), subnormal, largest])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " | ") + " |"
        }
        var out = [line(rows[0]), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        out += rows.dropFirst().map(line)
        return out.joined(separator: "\n")
    }
}
