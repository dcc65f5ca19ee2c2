import Testing
import AD
import ModelIO
import Precision

/// Policy files: the fp8 recipe written as a file is the built-in `e4m3-policy`, the string
/// shorthand means "inputs and output in that format", and every malformed key is an error
/// naming the file and the key (the command line turns it into exit code 2).
@Suite struct PolicyFileTests {
    static func parse(_ text: String) throws -> PolicySpec {
        try PolicyFile.parse(try StrictJSONReader.parse(Array(text.utf8)), file: "p.json", defaultName: "p")
    }

    @Test func theRecipeAsAFileIsTheBuiltInPolicy() throws {
        let gemm = #"{"inputs": "e4m3", "output": "bf16", "gradient": "e5m2", "scale": "amax", "overflow": "saturate"}"#
        var spec = try Self.parse(#"{"name": "e4m3-policy", "base": "amp-bf16", "ops": {"linear": \#(gemm), "conv2d": \#(gemm)}}"#)
        #expect(spec.source == "p.json")
        spec.source = nil
        #expect(spec == PolicySpec.e4m3Recipe(saturating: true))
        let short = try Self.parse(#"{"ops": {"relu": "f16"}, "layers": {"fc": "fp32"}}"#)
        #expect(short.name == "p" && short.base == .f32)
        #expect(short.ops["relu"] == PolicySpec.Rule(inputs: .binary16, output: .binary16))
        #expect(short.layers["fc"] == PolicySpec.Rule(inputs: .binary32, output: .binary32))
    }

    @Test(arguments: [
        (#"{"ops": {"linear": {"inputs": "e4m3", "overflow": "clamp"}}}"#, "key 'ops.linear.overflow': expected saturate or nonsaturating"),
        (#"{"ops": {"linear": {"inputs": "e4m3", "gradiant": "e5m2"}}}"#, "key 'ops.linear.gradiant': unknown key"),
        (#"{"ops": {"linear": "mpfr:64"}}"#, "key 'ops.linear': expected a format"),
        (#"{"name": "a b"}"#, "key 'name': 'a b' is not a policy name"),
        (#"{"layers": []}"#, "key 'layers': expected an object"),
        (#"[]"#, "p.json: expected an object"),
    ])
    func malformedKeysAreNamed(text: String, message: String) throws {
        do {
            _ = try Self.parse(text)
            Issue.record("accepted \(text)")
        } catch let e as ModelError {
            #expect("\(e)".hasPrefix("p.json") && "\(e)".contains(message), "\(e)")
        }
    }

    @Test func unknownLayersAreFoundAgainstTheGraph() throws {
        var g = Graph()
        let x = try g.input("x", shape: [1, 2])
        _ = try g.apply("act", .relu, [x])
        let spec = try Self.parse(#"{"layers": {"act": "bf16", "missing": "f16"}}"#)
        #expect(throws: PolicyError(file: "p.json", key: "layers.missing", message: "the model has no layer 'missing'")) {
            try NodeRounding.build(spec, graph: g)
        }
    }
}
