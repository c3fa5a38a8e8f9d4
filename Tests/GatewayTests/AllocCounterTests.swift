import CAllocCounter
import Testing

@Suite struct AllocCounterTests {
    /// The counter the allocation tests rely on must see a real allocation.
    @Test func countsAHeapAllocation() {
        let before = rg_thread_allocation_count()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        let after = rg_thread_allocation_count()
        buffer.deallocate()
        #expect(after - before == 1)
    }
}
