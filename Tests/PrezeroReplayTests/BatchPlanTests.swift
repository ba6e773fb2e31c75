import Foundation
import PrezeroTestSupport
import Testing

import PrezeroModel
@testable import PrezeroReplay

@Suite("Batch plans")
struct BatchPlanTests {
    let traces = repositoryRoot.appendingPathComponent("traces").path

    func plan(_ text: String) throws -> BatchPlan {
        let path = Scratch.directory + "prezero-plan-\(UUID().uuidString).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try BatchPlan.load(path: path, toolVersion: "test")
    }

    /// 2 traces x 2 profiles x 2 touch models x (baseline + 3 x 2 sweep points) = 56 runs.
    @Test func expandsToTheCrossProduct() throws {
        let p = try plan("""
            traces = ["\(traces)/git-clone.perf.txt.zst", "\(traces)/zstd-*.perf.txt.zst"]
            profiles = ["epyc-zen5-vm", "piii-450"]
            touch = ["first-line", "lines:4"]
            [[policy]]
            name = "zero-on-fault"
            [[policy]]
            name = "kscrubd-v4"
            scrub_start = [4, 5, 6]
            scrub_stop = { from = 1, to = 2, step = 1 }
            """)
        #expect(p.runs.count == 2 * 2 * 2 * (1 + 3 * 2))
        #expect(Set(p.runs.map(\.id)).count == p.runs.count)
        let sweep = p.runs.filter { $0.policy == "kscrubd-v4" }.map { $0.settings.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }
        #expect(Set(sweep) == Set([4, 5, 6].flatMap { s in [1, 2].map { "scrub_start=\(s) scrub_stop=\($0)" } }))
        // The baseline is added when the plan does not list it.
        let noBaseline = try plan("""
            traces = ["\(traces)/git-clone.perf.txt.zst"]
            [[policy]]
            name = "oracle"
            """)
        #expect(noBaseline.runs.map(\.policy).sorted() == ["oracle", "zero-on-fault"])
    }

    @Test(arguments: [2, 3, 7])
    func shardsPartitionThePlan(_ n: Int) throws {
        let p = try plan("""
            traces = ["\(traces)/*.txt.zst"]
            [[policy]]
            name = "idle-zero"
            stop_fraction = { from = 0.5, to = 0.9, step = 0.1 }
            """)
        let shards = (1...n).map { p.shard($0, of: n).map(\.id) }
        let all = shards.flatMap { $0 }
        #expect(all.count == p.runs.count)
        #expect(Set(all) == Set(p.runs.map(\.id)))
        for shard in shards { #expect(abs(shard.count - p.runs.count / n) <= 1) }
    }

    @Test func runIDsAreStableAndDependOnEveryInput() throws {
        let text = """
            traces = ["\(traces)/git-clone.perf.txt.zst"]
            [[policy]]
            name = "kscrubd-v4"
            scrub_start = 5
            """
        let a = try plan(text).runs.map(\.id).sorted()
        let b = try plan(text).runs.map(\.id).sorted()
        #expect(a == b)
        let c = try plan(text.replacingOccurrences(of: "scrub_start = 5", with: "scrub_start = 6")).runs.map(\.id).sorted()
        #expect(a != c)
        #expect(Set(a).intersection(c).count == 1)  // the shared baseline
        // Simulating the private L2 is an input too; it is on by default.
        #expect(try plan(text).runs.allSatisfy { $0.setup.privateL2 })
        let off = try plan("private_l2 = false\n" + text).runs
        #expect(Set(off.map(\.id)).isDisjoint(with: a))
        #expect(off.allSatisfy { !$0.setup.privateL2 })
        #expect(try plan("private_l2 = true\n" + text).runs.map(\.id).sorted() == a)
    }

    @Test func privateL2NeedsABooleanAndChangesOnlyProfilesWithAnL2() throws {
        #expect {
            _ = try plan("""
                traces = ["\(traces)/git-clone.perf.txt.zst"]
                profiles = ["epyc-zen5-vm", "piii-450"]
                private_l2 = "yes"
                [[policy]]
                name = "oracle"
                """)
        } throws: { error in
            "\(error)".contains("private_l2 must be true or false")
        }
        func ids(_ l2: Bool) throws -> [String: String] {
            let runs = try plan("""
                traces = ["\(traces)/git-clone.perf.txt.zst"]
                profiles = ["epyc-zen5-vm", "piii-450"]
                private_l2 = \(l2)
                [[policy]]
                name = "oracle"
                """).runs
            return Dictionary(uniqueKeysWithValues: runs.map { ("\($0.profileName) \($0.policy)", $0.id) })
        }
        let (on, off) = (try ids(true), try ids(false))
        // piii-450 has no L2: the flag does not change what its runs compute, nor their names.
        #expect(on["piii-450 oracle"] == off["piii-450 oracle"])
        #expect(on["epyc-zen5-vm oracle"] != off["epyc-zen5-vm oracle"])
    }

    @Test func everyProblemIsReportedBeforeAnythingRuns() throws {
        #expect {
            _ = try plan("""
                traces = ["\(traces)/nothing-*.zst", "/no/such/trace.zst"]
                profiles = ["cray-1"]
                colour = "blue"
                touch = "lines:0"
                [[policy]]
                name = "kscrubd-v9"
                [[policy]]
                name = "idle-zero"
                stop = 0.5
                [[policy]]
                name = "kscrubd-v4"
                scrub_start = { from = 5, to = 1, step = 1 }
                """)
        } throws: { error in
            guard let problems = error as? BatchPlan.Problems else { return false }
            let text = problems.description
            return problems.list.count == 8 && text.contains("colour") && text.contains("nothing-*.zst")
                && text.contains("/no/such/trace.zst") && text.contains("cray-1") && text.contains("lines:0")
                && text.contains("kscrubd-v9") && text.contains("'stop'") && text.contains("from <= to")
        }
    }

    @Test func tomlSyntaxErrorsNameTheLine() throws {
        #expect {
            _ = try plan("traces = [\"a\"\n[[policy]\nname = 1\n")
        } throws: { error in
            (error as? BatchPlan.Problems)?.description.contains(":2:") == true
        }
    }
}
