import Foundation
import Testing

/// `bpcheck inspect`: parameter counts of the bundled examples against closed forms, and exit
/// code 2 with the expected message for every malformed-input case.
@Suite struct InspectCommandTests {
    static let examples = BPCheckProcess.repositoryRoot.appendingPathComponent("examples")
    static let corpus = BPCheckProcess.repositoryRoot.appendingPathComponent("Tests/ModelIOTests/Corpus")

    /// Parameters of linear(in → out) and conv(c → o, k×k), with biases.
    static func linear(_ i: Int, _ o: Int) -> Int { i * o + o }
    static func conv(_ c: Int, _ o: Int, _ k: Int) -> Int { o * c * k * k + o }

    @Test(arguments: [
        ("digits-mlp", linear(64, 32) + linear(32, 32) + linear(32, 10), 64),
        ("digits-cnn", conv(1, 8, 3) + conv(8, 16, 3) + linear(64, 10), 8 * 64 + 8 * 16 + 16 * 16 + 16 * 4),
        ("lenet5-init", conv(1, 6, 5) + conv(6, 16, 5) + linear(400, 120) + linear(120, 84) + linear(84, 10),
         6 * 28 * 28 + 6 * 14 * 14 + 16 * 10 * 10 + 16 * 5 * 5 + 120 + 84),
    ])
    func parameterCountsOfTheExamples(_ example: String, _ parameters: Int, _ sites: Int) throws {
        let r = try BPCheckProcess.run(["inspect", Self.examples.appendingPathComponent(example).appendingPathComponent("model.json").path])
        #expect(r.status == 0, "\(r.stderr)")
        func grouped(_ n: Int) -> String {
            let s = String(n)
            return s.enumerated().map { (i, c) in (i > 0 && (s.count - i) % 3 == 0 ? "," : "") + String(c) }.joined()
        }
        #expect(r.stdout.contains("Parameters: \(grouped(parameters)) in "), "\(r.stdout)")
        #expect(r.stdout.contains("\(grouped(sites)) sites per sample"), "\(r.stdout)")
        #expect(r.stdout.contains("labels 0…9"))
        #expect(r.stdout.contains("Non-finite values: none."))
    }

    @Test func everyCorpusCaseExitsWithTwoAndItsMessage() throws {
        struct Expectation: Decodable { let error: String?; let accepted: Bool? }
        let expected = try JSONDecoder().decode([String: Expectation].self, from: Data(contentsOf: Self.corpus.appendingPathComponent("expected.json")))
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let r = try BPCheckProcess.run(["inspect", Self.corpus.appendingPathComponent(name).appendingPathComponent("model.json").path])
            if e.accepted == true {
                #expect(r.status == 0 && r.stdout.contains("WARNING: non-finite values: fc1.bias: 1 NaN, 1 ±∞") && r.stderr.contains("fc1.bias"), "\(name)")
            } else {
                #expect(r.status == 2, "\(name): exit \(r.status)")
                let message = r.stderr.replacingOccurrences(of: Self.corpus.path + "/", with: "")
                #expect(message.contains(e.error ?? "?"), "\(name): \(message)")
                // The analysis (the default command) refuses the same input the same way.
                let analysis = try BPCheckProcess.run([Self.corpus.appendingPathComponent(name).appendingPathComponent("model.json").path, "--report", "/dev/null/never.md"])
                #expect(analysis.status == 2 && analysis.stderr.replacingOccurrences(of: Self.corpus.path + "/", with: "").contains(e.error ?? "?"), "\(name): \(analysis.stderr)")
            }
        }
    }
}
