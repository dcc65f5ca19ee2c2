import Foundation
import Testing
import BPCheck

/// The reports' and result files' SHA-256 against FIPS 180-4's test vectors, whole and fed in
/// pieces, and a file hashed a megabyte at a time against the same bytes hashed at once.
@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test func standardVectors() {
        for (message, digest) in Self.vectors {
            #expect(SHA256.hex(Array(message.utf8)) == digest, "\(message.prefix(10))… (\(message.count) bytes)")
            // In pieces of awkward sizes.
            var h = SHA256.Hasher(), bytes = Array(message.utf8), at = 0, step = 1
            while at < bytes.count {
                h.update(Array(bytes[at..<min(at + step, bytes.count)]))
                at += step
                step = step * 3 % 97 + 1
            }
            #expect(h.finish() == digest, "in pieces: \(message.prefix(10))…")
        }
    }

    @Test func aFileHashedInChunksEqualsItsBytesHashedAtOnce() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bpcheck-sha-\(getpid()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<(3 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        try Data(bytes).write(to: url)
        #expect(try SHA256.hex(contentsOf: url) == SHA256.hex(bytes))
    }
}
