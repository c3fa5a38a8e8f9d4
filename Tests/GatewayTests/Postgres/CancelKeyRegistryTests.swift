import Gateway
import Testing

@Suite struct CancelKeyRegistryTests {
    @Test func registerLookupRemove() throws {
        let registry = CancelKeyRegistry()
        let key = registry.register(upstream: "10.0.0.5:5432", processID: 31337, secretKey: -12345)
        #expect(key.processID > 0)
        let upstream = try #require(registry.lookup(processID: key.processID, secretKey: key.secretKey))
        #expect(upstream == CancelKeyRegistry.Upstream(address: "10.0.0.5:5432", processID: 31337, secretKey: -12345))
        // A wrong secret (any value but the right one) finds nothing.
        #expect(registry.lookup(processID: key.processID, secretKey: key.secretKey &+ 1) == nil)
        #expect(registry.lookup(processID: key.processID &+ 1, secretKey: key.secretKey) == nil)
        registry.remove(processID: key.processID)
        #expect(registry.lookup(processID: key.processID, secretKey: key.secretKey) == nil)
        #expect(registry.count == 0)
    }

    @Test func gatewayProcessIDsAreUniqueAndPositive() {
        let registry = CancelKeyRegistry()
        var seen = Set<Int32>()
        for i in 0..<1000 {
            let key = registry.register(upstream: "db:5432", processID: 777, secretKey: Int32(i))
            #expect(key.processID > 0)
            #expect(seen.insert(key.processID).inserted)
        }
        #expect(registry.count == 1000)
    }

    @Test func counterWrapsAroundSkippingLiveKeys() {
        let registry = CancelKeyRegistry(firstProcessID: .max - 1)
        let a = registry.register(upstream: "u", processID: 1, secretKey: 1)
        let b = registry.register(upstream: "u", processID: 2, secretKey: 2)
        #expect(a.processID == .max - 1 && b.processID == .max)
        let c = registry.register(upstream: "u", processID: 3, secretKey: 3)
        #expect(c.processID == 1)
        // Wrap again onto live IDs: they are skipped.
        let wrapped = CancelKeyRegistry(firstProcessID: .max)
        let first = wrapped.register(upstream: "u", processID: 1, secretKey: 1)
        let second = wrapped.register(upstream: "u", processID: 1, secretKey: 1)
        #expect(first.processID == .max && second.processID == 1)
        #expect(wrapped.lookup(processID: first.processID, secretKey: first.secretKey)?.address == "u")
    }

    @Test func concurrentRegistrationsStayUnique() async {
        let registry = CancelKeyRegistry()
        let ids = await withTaskGroup(of: [Int32].self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<200).map { registry.register(upstream: "u", processID: Int32(task), secretKey: Int32($0)).processID }
                }
            }
            var all: [Int32] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 1600 && Set(ids).count == 1600)
    }
}
