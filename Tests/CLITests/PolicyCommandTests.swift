import Foundation
import Testing

/// The policy precisions on the command line: `--policy FILE` mistakes are errors naming the
/// file and the key with exit code 2; a policy file, `--sr-seeds` and the built-in policies
/// analyse and report; `bpcheck precisions` lists the policies.
@Suite struct PolicyCommandTests {
    static func temporary(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let model = BPCheckProcess.repositoryRoot.appendingPathComponent("examples/digits-cnn/model.json").path

    @Test(arguments: [
        ("{\"ops\": {\"conv2d\": \"bf16\",}}", "not valid JSON"),
        ("{\"ops\": {\"convolution\": \"bf16\"}}", "key 'ops.convolution': unknown op type"),
        ("{\"ops\": {\"conv2d\": \"f8\"}}", "key 'ops.conv2d': expected a format"),
        ("{\"ops\": {\"linear\": {\"output\": \"bf16\"}}}", "key 'ops.linear.inputs': missing"),
        ("{\"ops\": {\"linear\": {\"inputs\": \"e4m3\", \"scale\": \"max\"}}}", "key 'ops.linear.scale': expected none or amax"),
        ("{\"layers\": {\"no_such_layer\": \"f16\"}}", "key 'layers.no_such_layer': the model has no layer"),
        ("{\"base\": \"amp-f8\"}", "key 'base': expected one of"),
        ("{\"opz\": {}}", "key 'opz': unknown key"),
    ])
    func badPolicyFilesAreErrorsNamingFileAndKey(text: String, message: String) throws {
        let path = try Self.temporary("bad.json", text)
        let out = (path as NSString).deletingLastPathComponent + "/r.md"
        let r = try BPCheckProcess.run([Self.model, "--precisions", "f32", "--policy", path, "--report", out])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains(path) && r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func policyFileAndSeedsAreAnalysedAndReported() throws {
        let path = try Self.temporary("convs16.json", "{\"base\": \"f32\", \"ops\": {\"conv2d\": \"f16\"}, \"layers\": {\"fc\": {\"inputs\": \"e4m3\", \"output\": \"bf16\", \"scale\": \"amax\", \"overflow\": \"saturate\"}}}")
        let dir = (path as NSString).deletingLastPathComponent
        let r = try BPCheckProcess.run([Self.model, "--precisions", "amp-bf16,sr:bf16", "--sr-seed", "5", "--sr-seeds", "3",
                                        "--policy", path, "--report", dir + "/r.md"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["amp-bf16", "sr:bf16@5", "sr:bf16@6", "sr:bf16@7", "policy:convs16"] {
            #expect(r.stdout.contains("\(name): "), "\(name) missing from:\n\(r.stdout)")
        }
        let md = try String(contentsOfFile: dir + "/r.md", encoding: .utf8)
        #expect(md.contains("## Stochastic rounding over seeds") && md.contains("| sr:bf16 | 3 (5, 6, 7) |"))
        #expect(md.contains("`policy:convs16`: policy file `\(path)`, base f32; conv2d: inputs f16, output f16; layer fc: inputs e4m3, output bf16, amax scale, saturating."))
        #expect(md.contains("`sr:bf16@6`: stochastic rounding to bf16") && md.contains("seed 6"))
        // Different seeds, different gradients: the rows differ somewhere.
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| sr:bf16@") && ($0.contains("| ok |") || $0.contains("| flagged |")) }
        #expect(rows.count == 3 && Set(rows.map { $0.split(separator: "|").dropFirst(2).joined() }).count > 1)
    }

    @Test func precisionsListsThePolicies() throws {
        let r = try BPCheckProcess.run(["precisions"])
        #expect(r.status == 0)
        for name in ["amp-f16", "amp-bf16", "e4m3-policy", "sr:f16", "sr:bf16"] {
            #expect(r.stdout.contains("| \(name) "), "\(name) not listed")
        }
    }
}
