import Foundation
import Testing

@testable import PrezeroReplay

@Suite("The metric table")
struct MetricTableTests {
    /// Every stored field of RunMetrics has exactly one entry in Metric.all, reached by its key
    /// path: setting each entry's value changes one field, and the names are unique JSON keys.
    @Test func everyFieldHasOneEntry() throws {
        let fields = Mirror(reflecting: RunMetrics()).children.compactMap(\.label)
        #expect(Metric.all.count == fields.count, "RunMetrics has \(fields.count) fields, Metric.all \(Metric.all.count) entries")
        #expect(Set(Metric.all.map(\.name)).count == Metric.all.count, "duplicate metric names")
        var touched = Set<String>()
        for metric in Metric.all {
            var m = RunMetrics()
            switch metric.access {
            case .count(let path, _): m[keyPath: path] = 7
            case .real(let path, _): m[keyPath: path] = 7.5
            case .series(let path, _): m[keyPath: path] = [[7, 7]]
            case .counts(let path): m[keyPath: path] = ["x": 7]
            }
            let changed = zip(Mirror(reflecting: m).children, Mirror(reflecting: RunMetrics()).children)
                .filter { "\($0.0.value)" != "\($0.1.value)" }.compactMap(\.0.label)
            #expect(changed.count == 1, "\(metric.name) changes \(changed)")
            touched.formUnion(changed)
            #expect(!metric.unit.isEmpty && !metric.meaning.isEmpty && !metric.how.isEmpty, "\(metric.name) undocumented")
        }
        #expect(touched == Set(fields), "fields without an entry: \(Set(fields).subtracting(touched).sorted())")
    }

    /// The JSON object of a result round-trips every metric, under the table's names.
    @Test func jsonRoundTrip() throws {
        var m = RunMetrics()
        for (i, metric) in Metric.all.enumerated() {
            switch metric.access {
            case .count(let path, _): m[keyPath: path] = UInt64(i + 1)
            case .real(let path, _): m[keyPath: path] = Double(i) + 0.25
            case .series(let path, _): m[keyPath: path] = [[Double(i), 1]]
            case .counts(let path): m[keyPath: path] = ["cpu": UInt64(i)]
            }
        }
        let data = try JSONEncoder().encode(m)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys
        #expect(Set(keys) == Set(Metric.all.map(\.name)))
        #expect(try JSONDecoder().decode(RunMetrics.self, from: data) == m)
    }
}
