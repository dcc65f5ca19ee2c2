import AD
import Foundation
import Precision

/// `--policy policy.json`: a precision policy's rules (`PolicySpec`), read strictly. Every
/// mistake is a `ModelError` naming the file and the key (exit code 2 on the command line).
///
/// ```json
/// {"name": "bf16-convs", "base": "f32",
///  "ops": {"conv2d": "bf16", "linear": {"inputs": "e4m3", "output": "bf16", "gradient": "e5m2",
///                                       "scale": "amax", "overflow": "saturate"}},
///  "layers": {"fc2": "f32"}}
/// ```
/// - `name` (default: the file's name without its extension): the precision is `policy:NAME`;
/// - `base`: `f32` (default: nodes without a rule compute and store binary32) or `amp-f16`/`amp-bf16`
///   (PyTorch autocast's table for them);
/// - `ops` (by primitive name) and `layers` (by node name, taking precedence): a format
///   (`f16`, `bf16`, `f32`, `e4m3`, `e5m2`) — operands cast to it, output stored in it — or an
///   object with `inputs` (required), `output` (default: `inputs`), `gradient` (the incoming
///   gradient's cast; default none), `scale` (`none` or `amax`, default `none`) and `overflow`
///   (`nonsaturating`, default, or `saturate`).
public enum PolicyFile {
    public static func read(_ path: String) throws -> PolicySpec {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw ModelError(file: path, message: "cannot read the policy file: \(error.localizedDescription)")
        }
        let json: JSONValue
        do { json = try StrictJSONReader.parse(bytes) } catch {
            throw ModelError(file: path, message: "not valid JSON: \(error)")
        }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(json, file: path, defaultName: stem)
    }

    public static func parse(_ json: JSONValue, file: String, defaultName: String) throws -> PolicySpec {
        func fail(_ key: String?, _ message: String) -> ModelError { ModelError(file: file, key: key, message: message) }
        let top = try object(json, file: file, key: nil, allowed: ["name", "base", "ops", "layers"])
        var name = defaultName
        if let v = top["name"] {
            guard case .string(let s) = v else { throw fail("name", "expected a string") }
            name = s
        }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw fail("name", "'\(name)' is not a policy name (letters, digits, '-', '_', '.')")
        }
        var base = PolicySpec.Base.f32
        if let v = top["base"] {
            guard case .string(let s) = v, let b = PolicySpec.Base(rawValue: s) else {
                throw fail("base", "expected one of \(PolicySpec.Base.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            base = b
        }
        var spec = PolicySpec(name: name, source: file, base: base)
        for (section, known) in [("ops", Set(AutocastClass.table.keys)), ("layers", nil as Set<String>?)] {
            guard let v = top[section] else { continue }
            let rules = try object(v, file: file, key: section, allowed: nil)
            for (key, value) in rules.sorted(by: { $0.key < $1.key }) {
                if let known, !known.contains(key) {
                    throw fail("\(section).\(key)", "unknown op type '\(key)' (known: \(known.sorted().joined(separator: ", ")))")
                }
                let rule = try self.rule(value, file: file, key: "\(section).\(key)")
                if section == "ops" { spec.ops[key] = rule } else { spec.layers[key] = rule }
            }
        }
        return spec
    }

    static func format(_ v: JSONValue, file: String, key: String) throws -> FormatInfo {
        let accepted: [String: FormatInfo] = ["f16": .binary16, "bf16": .bfloat16, "f32": .binary32, "e4m3": .e4m3, "e5m2": .e5m2]
        guard case .string(let s) = v, let p = try? PrecisionName(parsing: s), let f = accepted[p.description] else {
            throw ModelError(file: file, key: key, message: "expected a format: f16, bf16, f32, e4m3 or e5m2")
        }
        return f
    }

    static func rule(_ v: JSONValue, file: String, key: String) throws -> PolicySpec.Rule {
        if case .string = v {
            let f = try format(v, file: file, key: key)
            return PolicySpec.Rule(inputs: f, output: f)
        }
        let o = try object(v, file: file, key: key, allowed: ["inputs", "output", "gradient", "scale", "overflow"])
        guard let i = o["inputs"] else { throw ModelError(file: file, key: "\(key).inputs", message: "missing: the format operands are cast to") }
        let inputs = try format(i, file: file, key: "\(key).inputs")
        let output = try o["output"].map { try format($0, file: file, key: "\(key).output") } ?? inputs
        let gradient = try o["gradient"].map { try format($0, file: file, key: "\(key).gradient") }
        var scaling = TensorCast.Scaling.none
        if let s = o["scale"] {
            guard case .string(let t) = s, let sc = TensorCast.Scaling(rawValue: t) else {
                throw ModelError(file: file, key: "\(key).scale", message: "expected none or amax")
            }
            scaling = sc
        }
        var saturating = false
        if let s = o["overflow"] {
            guard case .string(let t) = s, t == "saturate" || t == "nonsaturating" else {
                throw ModelError(file: file, key: "\(key).overflow", message: "expected saturate or nonsaturating")
            }
            saturating = t == "saturate"
        }
        return PolicySpec.Rule(inputs: inputs, output: output, gradient: gradient, scaling: scaling, saturating: saturating)
    }

    /// An object's members, each key once, within `allowed` when given.
    static func object(_ v: JSONValue, file: String, key: String?, allowed: Set<String>?) throws -> [String: JSONValue] {
        guard case .object(let pairs) = v else { throw ModelError(file: file, key: key, message: "expected an object") }
        var out: [String: JSONValue] = [:]
        for (k, value) in pairs {
            let path = key.map { "\($0).\(k)" } ?? k
            guard out[k] == nil else { throw ModelError(file: file, key: path, message: "given twice") }
            if let allowed, !allowed.contains(k) {
                throw ModelError(file: file, key: path, message: "unknown key (expected \(allowed.sorted().joined(separator: ", ")))")
            }
            out[k] = value
        }
        return out
    }
}
