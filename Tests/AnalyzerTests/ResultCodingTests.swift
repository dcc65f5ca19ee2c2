import Foundation
import Testing
import BPCheck

/// Per-batch results are `Codable` (no gradients inside) and shards merge into the whole run.
@Suite struct ResultCodingTests {
    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        e.outputFormatting = .sortedKeys
        return e
    }
    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    @Test func shardsEncodedAndMergedEqualTheWholeRun() throws {
        let model = try Model(contentsOf: TestFiles.examples.appendingPathComponent("digits-cnn/model.json"))
        let template = Analysis(model: model, precisions: [.f16, .f32])
        let x = model.inputs!, y = model.targets!
        let whole = try DatasetAnalysis(template, inputs: x.samples(0..<24), targets: y.samples(0..<24), batchSize: 8).run()
        let head = try DatasetAnalysis(template, inputs: x.samples(0..<16), targets: y.samples(0..<16), batchSize: 8).run()
        let tail = try DatasetAnalysis(template, inputs: x.samples(16..<24), targets: y.samples(16..<24), batchSize: 8).run()
        // Each shard goes through JSON, as a cluster job would store it.
        let shards = try [DatasetResult(batches: tail.batches, firstBatch: 2), head].map {
            try Self.decoder().decode(DatasetResult.self, from: Self.encoder().encode($0))
        }
        let merged = try DatasetResult.merging(shards)
        #expect(merged == whole)
        #expect(merged.batches.count == 3 && !whole.batches[0][.f16].gradients.isEmpty && shards[1].batches[0][.f16].gradients.isEmpty)
        #expect(merged.batches.flatMap { $0[.f16].classifiedSites }.count > 0, "the shards carry real sites")
        // Encoding is deterministic: the same bytes for the same result.
        #expect(try Self.encoder().encode(merged) == Self.encoder().encode(whole))

        #expect(throws: AnalysisOptionError.self) { try DatasetResult.merging([head, DatasetResult(batches: tail.batches, firstBatch: 3)]) }
        let other = try DatasetAnalysis(Analysis(model: model, precisions: [.f16]), inputs: x.samples(16..<24), targets: y.samples(16..<24), batchSize: 8).run()
        #expect(throws: AnalysisOptionError.self) { try DatasetResult.merging([head, DatasetResult(batches: other.batches, firstBatch: 2)]) }
    }
}
