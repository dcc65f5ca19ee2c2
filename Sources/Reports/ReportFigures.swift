import Analyzer
import Foundation

/// The report's figures, written as SVG by bpcheck itself (no plotting dependency).
public enum ReportFigures {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    static func fmt(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A log-scale error axis 10⁻¹⁸ … 10¹ between `top` and `bottom` (0 and values below the
    /// range at the bottom): the position of a value, and the grid lines with their labels.
    static func errorAxis(top: Double, bottom: Double, width: Int) -> (y: (Double?) -> Double, grid: String) {
        let lo = -18.0, hi = 1.0
        let y = { (v: Double?) -> Double in
            guard let v, v > 0 else { return bottom }
            let l = min(max(log10(v), lo), hi)
            return bottom - (l - lo) / (hi - lo) * (bottom - top)
        }
        var grid = ""
        for e in stride(from: Int(lo), through: Int(hi), by: 3) {
            let yy = y(pow(10, Double(e)))
            grid += "<line x1=\"70\" x2=\"\(width - 10)\" y1=\"\(fmt(yy))\" y2=\"\(fmt(yy))\" stroke=\"#ddd\"/><text x=\"10\" y=\"\(fmt(yy + 4))\">1e\(e)</text>\n"
        }
        return (y, grid)
    }

    /// Grouped bars, log scale 10⁻¹⁸ … 10¹: the kink-caused and the rounding relative error of
    /// each precision (the worst batch).
    public static func errorDecomposition(_ summaries: [PrecisionSummary]) -> String {
        let width = 120 + 110 * summaries.count, height = 320
        let bottom = 260.0
        let (y, grid) = errorAxis(top: 30, bottom: bottom, width: width)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"10\" y=\"18\" font-size=\"13\">Gradient error relative to the reference: kink-caused vs rounding</text>\n"
        out += grid
        for (i, s) in summaries.enumerated() {
            let x0 = 90.0 + Double(i) * 110
            let e = s.worst.error
            for (k, (value, color, label)) in [(e.kink, "#d62728", "kink"), (e.rounding, "#1f77b4", "rounding")].enumerated() {
                let x = x0 + Double(k) * 38, yy = y(value)
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(yy))\" width=\"32\" height=\"\(fmt(bottom - yy))\" fill=\"\(color)\"><title>\(label): \(value.map { String(format: "%.3g", $0) } ?? "n/a")</title></rect>\n"
                out += "<text x=\"\(fmt(x + 16))\" y=\"\(fmt(yy - 3))\" text-anchor=\"middle\" font-size=\"9\">\(value.map { $0 == 0 ? "0" : String(format: "%.0e", $0) } ?? "n/a")</text>\n"
            }
            out += "<text x=\"\(fmt(x0 + 35))\" y=\"\(fmt(bottom + 16))\" text-anchor=\"middle\">\(escape(s.precision.description))\(s.flagged ? " ⚑" : "")</text>\n"
        }
        out += "<rect x=\"90\" y=\"\(fmt(bottom + 30))\" width=\"10\" height=\"10\" fill=\"#d62728\"/><text x=\"104\" y=\"\(fmt(bottom + 39))\">kink-caused ‖g_P − g_P|R‖/‖g_R‖</text>\n"
        out += "<rect x=\"300\" y=\"\(fmt(bottom + 30))\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/><text x=\"314\" y=\"\(fmt(bottom + 39))\">rounding ‖g_P|R − g_R‖/‖g_R‖</text>\n"
        return out + "</svg>\n"
    }

    /// Dataset mode, two panels: per precision, the share of batches in the bifurcation zone at P
    /// (g_P ≠ g_P′) and over ℝ (g_R ≠ g_R′), 0–100%; below, every batch's kink-caused and
    /// rounding relative errors (log scale 10⁻¹⁸ … 10¹; zero at the bottom), one dot each.
    public static func datasetShares(_ summaries: [PrecisionSummary]) -> String {
        let width = 120 + 110 * summaries.count, height = 620
        let top = 30.0, bottom = 240.0
        func y(_ share: Double) -> Double { bottom - share * (bottom - top) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let n = summaries.first?.batches.count ?? 0
        out += "<text x=\"10\" y=\"18\" font-size=\"13\">Share of the \(n) batches in the bifurcation zone</text>\n"
        for p in stride(from: 0, through: 100, by: 25) {
            let yy = y(Double(p) / 100)
            out += "<line x1=\"70\" x2=\"\(width - 10)\" y1=\"\(fmt(yy))\" y2=\"\(fmt(yy))\" stroke=\"#ddd\"/><text x=\"10\" y=\"\(fmt(yy + 4))\">\(p)%</text>\n"
        }
        for (i, s) in summaries.enumerated() {
            let x0 = 90.0 + Double(i) * 110
            for (k, (share, color, label)) in [(s.bifurcationShare, "#ff7f0e", "at P"), (s.referenceBifurcationShare, "#2ca02c", "over ℝ")].enumerated() {
                let x = x0 + Double(k) * 38, yy = y(share)
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(yy))\" width=\"32\" height=\"\(fmt(bottom - yy))\" fill=\"\(color)\"><title>\(label): \(Int((share * 100).rounded()))%</title></rect>\n"
                out += "<text x=\"\(fmt(x + 16))\" y=\"\(fmt(yy - 3))\" text-anchor=\"middle\" font-size=\"9\">\(Int((share * 100).rounded()))%</text>\n"
            }
            out += "<text x=\"\(fmt(x0 + 35))\" y=\"\(fmt(bottom + 16))\" text-anchor=\"middle\">\(escape(s.precision.description))</text>\n"
        }
        out += "<rect x=\"90\" y=\"\(fmt(bottom + 30))\" width=\"10\" height=\"10\" fill=\"#ff7f0e\"/><text x=\"104\" y=\"\(fmt(bottom + 39))\">g_P ≠ g_P′ (the precision's bifurcation zone)</text>\n"
        out += "<rect x=\"90\" y=\"\(fmt(bottom + 46))\" width=\"10\" height=\"10\" fill=\"#2ca02c\"/><text x=\"104\" y=\"\(fmt(bottom + 55))\">g_R ≠ g_R′ (over ℝ at P's point)</text>\n"

        // The errors of every batch.
        let top2 = 336.0, bottom2 = 556.0
        let (y2, grid) = errorAxis(top: top2, bottom: bottom2, width: width)
        out += "<text x=\"10\" y=\"\(fmt(top2 - 12))\" font-size=\"13\">Each batch's gradient error relative to the reference (0 at the bottom)</text>\n"
        out += grid
        for (i, s) in summaries.enumerated() {
            let x0 = 90.0 + Double(i) * 110
            for (b, r) in s.batches.enumerated() {
                let jitter = Double(b % 8) * 3
                out += "<circle cx=\"\(fmt(x0 + 8 + jitter))\" cy=\"\(fmt(y2(r.error.kink)))\" r=\"2.5\" fill=\"#d62728\" fill-opacity=\"0.6\"><title>batch \(b) kink-caused: \(r.error.kink.map { String(format: "%.3g", $0) } ?? "n/a")</title></circle>\n"
                out += "<circle cx=\"\(fmt(x0 + 46 + jitter))\" cy=\"\(fmt(y2(r.error.rounding)))\" r=\"2.5\" fill=\"#1f77b4\" fill-opacity=\"0.6\"><title>batch \(b) rounding: \(r.error.rounding.map { String(format: "%.3g", $0) } ?? "n/a")</title></circle>\n"
            }
            out += "<text x=\"\(fmt(x0 + 35))\" y=\"\(fmt(bottom2 + 16))\" text-anchor=\"middle\">\(escape(s.precision.description))</text>\n"
        }
        out += "<circle cx=\"95\" cy=\"\(fmt(bottom2 + 35))\" r=\"4\" fill=\"#d62728\"/><text x=\"104\" y=\"\(fmt(bottom2 + 39))\">kink-caused ‖g_P − g_P|R‖/‖g_R‖</text>\n"
        out += "<circle cx=\"95\" cy=\"\(fmt(bottom2 + 51))\" r=\"4\" fill=\"#1f77b4\"/><text x=\"104\" y=\"\(fmt(bottom2 + 55))\">rounding ‖g_P|R − g_R‖/‖g_R‖</text>\n"
        return out + "</svg>\n"
    }

    /// One row of bars per precision: how many nonsmooth inputs lie how far from their kink, in
    /// epsilons of that precision (log-scaled counts).
    public static func kinkDistances(_ summaries: [PrecisionSummary]) -> String {
        let buckets = KinkDistance.labels.count
        let rowHeight = 70.0, left = 70.0, barWidth = 64.0
        let width = Int(left + Double(buckets) * (barWidth + 6) + 20), height = Int(40 + rowHeight * Double(summaries.count) + 40)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"10\" y=\"18\" font-size=\"13\">Distance of nonsmooth-op inputs from their kink, in epsilons of each precision</text>\n"
        let maxCount = summaries.flatMap(\.kinkDistances).max() ?? 1
        for (r, s) in summaries.enumerated() {
            let base = 40 + rowHeight * Double(r + 1) - 12
            out += "<text x=\"10\" y=\"\(fmt(base - 20))\">\(escape(s.precision.description))</text>\n"
            for (b, n) in s.kinkDistances.enumerated() {
                let h = n == 0 ? 0 : (log10(Double(n)) + 1) / (log10(Double(max(maxCount, 1))) + 1) * (rowHeight - 24)
                let x = left + Double(b) * (barWidth + 6)
                out += "<rect x=\"\(fmt(x))\" y=\"\(fmt(base - h))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(h))\" fill=\"\(b == 0 ? "#d62728" : "#7f7f7f")\"><title>\(n)</title></rect>\n"
                out += "<text x=\"\(fmt(x + barWidth / 2))\" y=\"\(fmt(base - h - 2))\" text-anchor=\"middle\" font-size=\"9\">\(n)</text>\n"
            }
        }
        let labelY = 40 + rowHeight * Double(summaries.count) + 6
        for (b, label) in KinkDistance.labels.enumerated() {
            out += "<text x=\"\(fmt(left + Double(b) * (barWidth + 6) + barWidth / 2))\" y=\"\(fmt(labelY))\" text-anchor=\"middle\" font-size=\"9\">\(escape(label))</text>\n"
        }
        return out + "</svg>\n"
    }
}
