import BPCheck

/// The Markdown table `bpcheck precisions` prints.
enum PrecisionTable {
    static func render(_ names: [PrecisionName]) -> String {
        var rows = [["name", "what", "significand bits", "exponent range (normal)", "epsilon", "smallest subnormal", "largest finite", "largest finite (exact)", "infinities"]]
        for name in names {
            let f = name.format
            let subnormal = f.hasSubnormals ? FormatInfo.describePowerOfTwo(f.leastNonzeroExponent) : "none (smallest: \(FormatInfo.describePowerOfTwo(f.minExponent)))"
            let largest: String
            let closedForm = f.largestSignificand == (1 << min(f.significandBits, 62)) - 1 || f.significandBits > 62
                ? "(2 − 2^\(f.epsilonExponent))·2^\(f.maxExponent)"
                : "\(f.largestSignificand)·2^\(f.maxExponent - f.significandBits + 1)"
            let exact: String
            if let g = f.greatestFiniteMagnitude {
                largest = "\(closedForm) ≈ \(FormatInfo.scientific(g))"
                exact = ExactDecimal.integer(g).map(ExactDecimal.abbreviated) ?? "—"
            } else {
                largest = closedForm
                exact = "—"
            }
            rows.append([name.description, name.summary, "\(f.significandBits)",
                         "2^\(f.minExponent) … 2^\(f.maxExponent)",
                         FormatInfo.describePowerOfTwo(f.epsilonExponent), subnormal, largest, exact,
                         f.hasInfinities ? "±∞" : "none (overflow → NaN)"])
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

/// Exact decimal renderings of binary values.
enum ExactDecimal {
    /// Digit strings of at most 40 digits as they are; longer ones as their first and last ten
    /// digits and the count (`f64`'s 309-digit largest value would make the table unreadable).
    static func abbreviated(_ digits: String) -> String {
        digits.count <= 40 ? digits : "\(digits.prefix(10))…\(digits.suffix(10)) (\(digits.count) digits)"
    }

    /// The exact decimal digits of a nonnegative integer-valued finite `Double` (every digit of
    /// `Double.greatestFiniteMagnitude`'s 309), or nil when `x` is not such a value.
    static func integer(_ x: Double) -> String? {
        guard x.isFinite, x >= 0, x == x.rounded(.towardZero) else { return nil }
        if x < 0x1p63 { return String(UInt64(x)) }
        // x = m · 2^k with m < 2^53: multiply the base-10⁹ limbs of m by 2, k times.
        let k = Int(x.exponent) - 52
        var limbs: [UInt64] = [UInt64(x.significandBitPattern | (1 << 52))]  // < 2^53: split below
        limbs = [limbs[0] % 1_000_000_000, limbs[0] / 1_000_000_000 % 1_000_000_000, limbs[0] / 1_000_000_000_000_000_000]
        for _ in 0..<k {
            var carry: UInt64 = 0
            for i in limbs.indices {
                let v = limbs[i] * 2 + carry
                limbs[i] = v % 1_000_000_000
                carry = v / 1_000_000_000
            }
            if carry > 0 { limbs.append(carry) }
        }
        while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
        var s = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let d = String(limb)
            s += String(repeating: "0", count: 9 - d.count) + d
        }
        return s
    }
}
