/// The named prepared statements of one PostgreSQL session, kept so that a policy published
/// after a statement was prepared is applied to its later executions (Bind).
///
/// Only named statements are kept (an unnamed one is parsed again for every execution and so
/// decided every time). Steady state costs one comparison per Bind: the texts are decided
/// again once per reload, and a name is looked up only while some statement is refused.
struct PreparedStatements {
    /// Statement name → SQL text.
    private(set) var texts: [[UInt8]: [UInt8]] = [:]
    /// Names the current policy refuses.
    private(set) var refused: Set<[UInt8]> = []
    /// The policy generation every kept text was last decided under.
    var decidedGeneration: UInt64 = 0
    /// Most named statements one session may keep; beyond it new ones are refused.
    static let capacity = 10_000

    var isFull: Bool { texts.count >= Self.capacity }

    mutating func store(name: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer) {
        let key = Array(name)
        texts[key] = Array(text)
        refused.remove(key)
    }

    mutating func remove(name: UnsafeRawBufferPointer) {
        let key = Array(name)
        texts[key] = nil
        refused.remove(key)
    }

    mutating func removeAll() {
        texts.removeAll()
        refused.removeAll()
    }

    /// Records the outcome of deciding every kept text under `generation`.
    mutating func decided(generation: UInt64, refused: Set<[UInt8]>) {
        decidedGeneration = generation
        self.refused = refused
    }

    func isRefused(name: UnsafeRawBufferPointer) -> Bool {
        !refused.isEmpty && refused.contains(Array(name))
    }
}
