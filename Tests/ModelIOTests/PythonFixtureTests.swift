import Foundation
import Testing
import ModelIO

/// Files written by Python's `safetensors` and `numpy` (Fixtures/make_fixtures.py) read back to
/// exactly the values the script recorded (as float.hex()).
@Suite struct PythonFixtureTests {
    struct Expected: Decodable {
        let dtype: String
        let shape: [Int]
        let values: [Value]
        enum Value: Decodable {
            case float(String), int(Int)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .int(i) } else { self = .float(try c.decode(String.self)) }
            }
        }
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: TestFiles.fixtures.appendingPathComponent("python-expected.json")))
    }

    static func check(_ tensors: [String: HostTensor]) throws {
        let expected = try expected()
        #expect(Set(tensors.keys) == Set(expected.keys))
        let dtypes = ["float16": DType.f16, "float32": .f32, "float64": .f64, "int64": .i64, "int32": .i32]
        for (name, e) in expected {
            let t = try #require(tensors[name])
            #expect(t.dtype == dtypes[e.dtype] && t.shape == e.shape, "\(name)")
            let doubles = t.doubles()
            for (k, v) in e.values.enumerated() {
                switch v {
                case .int(let i): #expect(t.ints()?[k] == i, "\(name)[\(k)]")
                case .float(let text):
                    let want = try #require(Double(text))
                    #expect((want.isNaN && doubles[k].isNaN) || want.bitPattern == doubles[k].bitPattern, "\(name)[\(k)]: \(doubles[k]) vs \(text)")
                }
            }
        }
    }

    @Test func safetensorsFromPython() throws {
        let (tensors, _) = try Safetensors.read(try TestFiles.bytes(TestFiles.fixtures.appendingPathComponent("python.safetensors")), file: "python.safetensors")
        try Self.check(tensors)
    }

    @Test func npzFromPythonStoredAndDeflated() throws {
        for file in ["python.npz", "python-deflated.npz"] {
            try Self.check(try NumpyFile.readNPZ(try TestFiles.bytes(TestFiles.fixtures.appendingPathComponent(file)), file: file))
        }
    }
}
