import BPCheck
import Foundation
import Testing

/// The training report on disk: every file, the NaN/overflow table, the JSON's fields, the
/// figures' marks, and the final weights read back bit for bit.
@Suite struct TrainingReportTests {
    @Test func reportOfARunThatOverflowsNamesWhereAndKeepsTheWeights() throws {
        let (model, x, y) = try TrajectoryTests.line(weight: 1, input: 100)
        var run = TrainingRun(model: model, inputs: x, targets: y, batchSize: 1, steps: 5, optimizer: .sgd(SGDOptions(lr: 1.5e-4)))
        run.precisions = [.f16, .f32]
        let result = try run.run()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-training-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try TrainingReport.write(result, TrainingReportContext(command: "bpcheck train line.json", bpcheckVersion: "test",
                                                                               initialization: "the model's weights"),
                                               reportPath: directory.appendingPathComponent("line.md").path)
        let markdown = try String(contentsOfFile: written.report, encoding: .utf8)
        #expect(markdown.contains("| f16 | C | overflow | 3 | `loss` | forward | 1 |"), "\(markdown)")
        #expect(markdown.contains("overflow at step 3, loss (forward, C)"))
        let svg = try String(contentsOf: directory.appendingPathComponent(written.figures[0]), encoding: .utf8)
        #expect(svg.contains("f16 first overflow: step 3, loss (forward)"))
        #expect(!svg.contains("f32 first"))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("line.json"))) as! [String: Any]
        let f16 = (json["precisions"] as! [[String: Any]])[0]
        let first = f16["first_non_finite"] as! [String: Any]
        #expect(first["step"] as? Int == 3 && first["node"] as? String == "loss" && first["pass"] as? String == "forward")
        let steps = f16["steps"] as! [String: Any]
        #expect((steps["overflow"] as! [Int]).count == 5 && (steps["overflow"] as! [Int])[0] == 0)
        #expect((steps["loss"] as! [Any]).count == 5, "non-finite losses are null, not missing")

        // The final weights, read back: the f32 trajectory's exactly.
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent("line-weights/f32-C.safetensors")))
        let (tensors, metadata) = try Safetensors.read(bytes, file: "f32-C.safetensors")
        #expect(metadata["precision"] == "f32" && metadata["trajectory"] == "C")
        #expect(tensors["fc.weight"]!.doubles() == result[.f32].finalWeights.values["fc.weight"]!)
        #expect(tensors["fc.weight"]!.dtype == .f32)
        let half = try Safetensors.read([UInt8](try Data(contentsOf: directory.appendingPathComponent("line-weights/f16-Cprime.safetensors"))), file: "f16").tensors
        #expect(half["fc.weight"]!.dtype == .f16)
    }
}
