import AD
import Foundation
import Testing
import BPCheck

/// Soundness of the reference: on 60 random small networks (Fixtures/rational-decisions.json,
/// made by make_rational_decisions.py with Python's exact fractions), every decision R makes
/// equals the exact rational one. R may leave a site undecided; it may never disagree.
@Suite struct SoundnessTests {
    struct Network: Decodable {
        let model: JSONObject
        let decisions: [String: [Decision]]
        enum Decision: Decodable, Equatable {
            case code(Int), set([Int])
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .code(i) } else { self = .set(try c.decode([Int].self)) }
            }
        }
    }

    /// The raw JSON of a model, re-encoded for `Model(json:)`.
    struct JSONObject: Decodable {
        let data: Data
        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer().decode(AnyJSON.self)
            data = try JSONSerialization.data(withJSONObject: value.object)
        }
    }

    struct AnyJSON: Decodable {
        let object: Any
        init(from decoder: any Decoder) throws {
            if let keyed = try? decoder.container(keyedBy: Key.self) {
                var d: [String: Any] = [:]
                for k in keyed.allKeys { d[k.stringValue] = try keyed.decode(AnyJSON.self, forKey: k).object }
                object = d
            } else if var list = try? decoder.unkeyedContainer() {
                var a: [Any] = []
                while !list.isAtEnd { a.append(try list.decode(AnyJSON.self).object) }
                object = a
            } else {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { object = i } else if let d = try? c.decode(Double.self) { object = d } else { object = try c.decode(String.self) }
            }
        }
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    /// R's decisions in each of its arithmetics alone — MPFR intervals from 256 bits, and
    /// double-double balls (no MPFR behind them: what they decide is theirs) — and as the
    /// analysis chains them; and triple- and quad-double balls, which only ever re-run forward
    /// passes on proven decisions, but whose decisions must be as sound.
    /// `streamed`: the laddered reference chunk by chunk of one sample (`StreamingPlan`) where the
    /// network's samples are independent, whole where not (or where a sample climbs alone).
    enum Rung: String, CaseIterable { case mpfr, doubleDouble, laddered, tripleDouble, quadDouble, streamed }

    @Test(arguments: Rung.allCases) func referenceDecisionsEqualExactRationalOnes(_ rung: Rung) throws {
        let networks = try JSONDecoder().decode([Network].self, from: Data(contentsOf: TestFiles.fixtures.appendingPathComponent("rational-decisions.json")))
        #expect(networks.count >= 50)
        var checked = 0, undecided = 0, kinks = 0, streamed = 0
        var disagreements: [String] = []
        for (n, network) in networks.enumerated() {
            let model = try Model(json: [UInt8](network.model.data), file: "net\(n)", directory: URL(fileURLWithPath: "/"))
            let built = try model.graph(batch: model.inputs!.shape[0])
            let feed = try model.feed(inputs: model.inputs!, targets: model.targets!)
            let decisions: DecisionSet
            switch rung {
            case .mpfr: decisions = try ReferenceRun.run(graph: built.graph, feed: feed, options: ReferenceOptions()).execution.decisions
            case .doubleDouble:
                decisions = try CertifiedReference.run(graph: built.graph, feed: feed, start: DoubleDoubleBallArithmetic(), gradientBits: 106).execution.decisions
            case .laddered: decisions = try LadderedReference.decide(graph: built.graph, feed: feed, options: ReferenceOptions()).decisions
            case .tripleDouble:
                decisions = try CertifiedReference.run(graph: built.graph, feed: feed, start: TripleDoubleBallArithmetic(), gradientBits: 159).execution.decisions
            case .quadDouble:
                decisions = try CertifiedReference.run(graph: built.graph, feed: feed, start: QuadDoubleBallArithmetic(), gradientBits: 212).execution.decisions
            case .streamed:
                let options = ReferenceOptions(streamingBytes: 1)
                if let plan = StreamingPlan(graph: built.graph, loss: built.loss, options: options),
                   let r = try LadderedReference.streamed(graph: built.graph, feed: feed, loss: built.loss, plan: plan, options: options,
                                                          conventions: [.pytorch, .alternative], wrt: built.parameters.values.sorted()) {
                    decisions = r.decisions
                    streamed += 1
                } else {
                    decisions = try LadderedReference.decide(graph: built.graph, feed: feed, options: options).decisions
                }
            }
            for (layer, expected) in network.decisions {
                let id = built.graph.node(named: layer)!.id
                switch decisions[id]! {
                case .pieces(let codes):
                    for (i, e) in expected.enumerated() {
                        checked += 1
                        if codes[i] == Piece.undecided { undecided += 1; continue }
                        if case .code(let want) = e {
                            if want == 1 { kinks += 1 }
                            if Int(codes[i]) != want { disagreements.append("net\(n) \(layer)[\(i)]: R \(codes[i]), exact \(want)") }
                        }
                    }
                case .argmax(let sets):
                    for (i, e) in expected.enumerated() {
                        checked += 1
                        if sets.isUndecided(i) { undecided += 1; continue }
                        if case .set(let want) = e {
                            if want.count > 1 { kinks += 1 }
                            if sets.set(i).map(Int.init) != want { disagreements.append("net\(n) \(layer)[\(i)]: R \(sets.set(i)), exact \(want)") }
                        }
                    }
                }
            }
        }
        print("soundness (\(rung)): \(checked) decisions checked, \(kinks) exact kinks, \(undecided) undecided, \(disagreements.count) disagreements")
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
        #expect(checked > 1000)
        if rung == .streamed { #expect(streamed * 2 > networks.count, "\(streamed) of \(networks.count) networks streamed") }
        // Triple- and quad-double sums are not tracked for exactness, so they need not prove exact kinks.
        guard rung != .quadDouble && rung != .tripleDouble else { return }
        #expect(kinks > 100)
        // Undecided only where an exact zero is reached inexactly (and, in balls alone, where
        // a value is too close to its kink for 106 bits: the laddered reference climbs there).
        #expect(undecided * 20 < checked)
    }
}
