import Codecs
import Testing

@Suite struct StatementClassTests {
    @Test func everyNameRoundTrips() {
        for (name, value) in StatementClass.allNamed {
            #expect(StatementClass(name: name) == value)
            #expect(value.names == [name])
        }
        #expect(StatementClass(name: "select") == nil)
    }

    @Test func classesAreDistinctBits() {
        var seen: StatementClass = []
        for (_, value) in StatementClass.allNamed {
            #expect(value.rawValue.nonzeroBitCount == 1)
            #expect(!seen.contains(value))
            seen.insert(value)
        }
    }
}
