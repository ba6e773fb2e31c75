import Foundation
import PrezeroTestSupport
import Testing

@testable import PrezeroModel

@Suite("TOML through TOMLKit")
struct TOMLTests {
    @Test func documentWithEveryFeature() throws {
        let text = """
            # a plan
            name = "run 1"   # trailing comment
            literal = 'C:\\path'
            multi = \"\"\"
            two
            lines\"\"\"
            count = 1_000
            hex = 0x10
            ratio = 2.5
            big = 1e9
            forever = inf
            unknown = nan
            day = 2026-12-01
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
        let doc = try ConfigValue.parseTOML(text, file: "plan.toml")
        #expect(doc["name"] == .string("run 1"))
        #expect(doc["literal"] == .string("C:\\path"))
        #expect(doc["multi"] == .string("two\nlines"))
        #expect(doc["count"] == .integer(1000))
        #expect(doc["hex"] == .integer(16))
        #expect(doc["ratio"] == .double(2.5))
        #expect(doc["big"] == .double(1e9))
        #expect(doc["forever"] == .double(.infinity))
        #expect(doc["unknown"]?.number?.isNaN == true)
        #expect(doc["day"]?.string?.contains("2026") == true)
        #expect(doc["on"] == .bool(true))
        #expect(doc["list"]?.array?.count == 3)
        #expect(doc["dotted"]?.table?["key"] == .string("x"))
        #expect(doc["point"]?.table?["y"] == .string("two"))
        #expect(doc["profile"]?.table?["page_bytes"] == .integer(4096))
        #expect(doc["profile"]?.table?["llc"]?.table?["ways"] == .integer(16))
        let policies = try #require(doc["policy"]?.array)
        #expect(policies.count == 2)
        #expect(policies[1].table?["name"] == .string("idle-zero"))
        #expect(policies[1].table?["stop_fraction"]?.array?.count == 2)
    }

    /// toml++ reports where the document goes wrong: line and column.
    @Test(arguments: [
        ("a = ", 1), ("a = 1\nb = 'x", 2), ("a = 1\na = 2", 2), ("[t]\n[t]", 2), ("a = [1, 2", 1), ("x = 1 2", 1),
        ("\n\nkey", 3), ("a = nope", 1),
    ])
    func errorsNameTheLineAndColumn(_ text: String, _ line: Int) {
        #expect {
            _ = try ConfigValue.parseTOML(text, file: "bad.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.line == line && (error.column ?? 0) >= 1 && error.description.hasPrefix("bad.toml:\(line):")
        }
    }

    /// Every built-in profile written as TOML (`prezero profiles NAME --toml`) reads back equal.
    @Test(arguments: BuiltinProfiles.names)
    func profilesRoundTripThroughTOML(_ name: String) throws {
        let profile = try #require(BuiltinProfiles.named(name))
        try withTemporaryDirectory { directory in
            let path = directory + "/profile.toml"
            try profile.tomlText().write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try MachineProfile.load(path: path) == profile, "\(name)")
        }
    }

    /// Built-in profiles describe real machines: epyc-zen5-vm (Zen 5) has no zeroing engine, the
    /// Altix its BTE. An engine a profile file adds, or `--set` changes, is hypothetical; the
    /// built-in's own engine read back from a file is not.
    @Test func enginesNotShippedAreHypothetical() throws {
        #expect(BuiltinProfiles.epycZen5VM.engines.isEmpty)
        let altix = try #require(BuiltinProfiles.named("altix-sn2"))
        #expect(altix.engines.map(\.kind) == ["bte"] && altix.engines.allSatisfy { $0.hypothetical == nil })
        try withTemporaryDirectory { directory in
            func written(_ profile: MachineProfile) throws -> MachineProfile {
                let path = directory + "/\(profile.name).toml"
                try profile.tomlText().write(toFile: path, atomically: true, encoding: .utf8)
                return try MachineProfile.load(path: path)
            }
            let reread = try written(altix)
            #expect(reread.engines.allSatisfy { $0.hypothetical == nil })
            var epyc = BuiltinProfiles.epycZen5VM
            epyc.engines = altix.engines
            let added = try written(epyc)
            #expect(!added.engines.isEmpty && added.engines.allSatisfy { $0.hypothetical == true })
        }
        var faster = altix
        try faster.set("engine_bytes_per_ns", "1")
        #expect(faster.engines.allSatisfy { $0.hypothetical == true })
    }

    @Test func missingProfileFieldIsNamed() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.toml"
            try "name = \"x\"\npage_bytes = 4096\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                _ = try MachineProfile.load(path: path)
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains("missing")
            }
        }
    }

    /// `--set profile.KEY` and profile files are checked against each field's declared range.
    @Test func profileFieldsHaveRanges() throws {
        var profile = BuiltinProfiles.epycZen5VM
        #expect(throws: ProfileError.self) { try profile.set("line_miss_ns", "-5") }
        #expect(throws: ProfileError.self) { try profile.set("initially_free_fraction", "1.5") }
        #expect(throws: ProfileError.self) { try profile.set("cpus", "2.5") }
        try profile.set("line_miss_ns", "13")
        #expect(profile.lineMissNs == 13)
        profile.lineHitNs = -1
        #expect(profile.validationErrors().contains { $0.hasPrefix("line_hit_ns -1.0 is outside 0...1000000 (ns)") })
        do { try profile.set("line_miss_ns", "-5") } catch { #expect("\(error)" == "profile.line_miss_ns=-5 is outside 0...1000000 (ns)") }
    }
}

/// Runs `body` with a fresh directory under the system's temporary directory, removed after.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = Scratch.directory + "prezero-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}
