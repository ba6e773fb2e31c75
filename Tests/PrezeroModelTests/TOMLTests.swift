import Foundation
import Testing

@testable import PrezeroModel

@Suite("TOML reader")
struct TOMLTests {
    @Test func documentWithEveryFeature() throws {
        let text = """
            # a plan
            name = "run 1"   # trailing comment
            literal = 'C:\\path'
            count = 1_000
            hex = 0x10
            ratio = 2.5
            big = 1e9
            on = true
            list = [1, 2,
              3,]
            dotted.key = "x"
            point = { x = 1, y = "two" }

            [profile]
            page_bytes = 4096
            [profile.llc]
            ways = 16

            [[policy]]
            name = "kscrubd-v4"
            [[policy]]
            name = "idle-zero"
            stop_fraction = [0.5, 0.8]
            """
        let doc = try TOML.parse(text)
        #expect(doc["name"] as? String == "run 1")
        #expect(doc["literal"] as? String == "C:\\path")
        #expect(doc["count"] as? Int == 1000)
        #expect(doc["hex"] as? Int == 16)
        #expect(doc["ratio"] as? Double == 2.5)
        #expect(doc["big"] as? Double == 1e9)
        #expect(doc["on"] as? Bool == true)
        #expect((doc["list"] as? [Any])?.count == 3)
        #expect((doc["dotted"] as? [String: Any])?["key"] as? String == "x")
        #expect((doc["point"] as? [String: Any])?["y"] as? String == "two")
        let profile = try #require(doc["profile"] as? [String: Any])
        #expect(profile["page_bytes"] as? Int == 4096)
        #expect((profile["llc"] as? [String: Any])?["ways"] as? Int == 16)
        let policies = try #require(doc["policy"] as? [[String: Any]])
        #expect(policies.count == 2)
        #expect(policies[1]["name"] as? String == "idle-zero")
        #expect((policies[1]["stop_fraction"] as? [Any])?.count == 2)
    }

    @Test(arguments: [
        ("a = ", 1), ("a = 1\nb = 'x", 2), ("a = 1\na = 2", 2), ("[t]\n[t]", 2), ("a = [1, 2", 1), ("x = 1 2", 1),
        ("\n\nkey", 3), ("a = nope", 1),
    ])
    func errorsNameTheLine(_ text: String, _ line: Int) {
        #expect {
            _ = try TOML.parse(text)
        } throws: { error in
            (error as? TOMLError)?.line == line
        }
    }

    /// Every built-in profile written as TOML reads back equal.
    @Test(arguments: BuiltinProfiles.names)
    func profilesRoundTripThroughTOML(_ name: String) throws {
        let profile = try #require(BuiltinProfiles.named(name))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(profile)) as? [String: Any])
        let path = NSTemporaryDirectory() + "prezero-\(UUID().uuidString).toml"
        try TOML.serialize(object).write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try MachineProfile.load(path: path)
        // Equal, up to the last bit of a double (Foundation's JSON parser rounds some).
        let a = try #require(try JSONSerialization.jsonObject(with: encoder.encode(loaded)) as? [String: Any])
        #expect(same(a, object), "\(name)")
    }

    func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            return x.keys.sorted() == y.keys.sorted() && x.keys.allSatisfy { same(x[$0]!, y[$0]!) }
        case let (x as [Any], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (x as String, y as String):
            return x == y
        case let (x as NSNumber, y as NSNumber):
            let d = x.doubleValue, e = y.doubleValue
            return d == e || abs(d - e) <= 1e-12 * max(abs(d), abs(e))
        default:
            return false
        }
    }

    @Test func missingProfileFieldIsNamed() throws {
        let path = NSTemporaryDirectory() + "prezero-\(UUID().uuidString).toml"
        try "name = \"x\"\npage_bytes = 4096\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try MachineProfile.load(path: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("missing")
        }
    }
}
