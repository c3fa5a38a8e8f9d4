import Synchronization

/// The TLS context new connections of a listener use, replaceable while the server runs: a
/// certificate reload swaps it, connections already open keep the context they started with.
public final class TLSContextSource: Sendable {
    private let current: Mutex<TLSContext>

    public init(_ context: TLSContext) {
        current = Mutex(context)
    }

    /// The context for a new connection (one lock per connection, never per message).
    public var context: TLSContext {
        current.withLock { $0 }
    }

    /// Makes `context` the one new connections get.
    public func replace(with context: TLSContext) {
        current.withLock { $0 = context }
    }
}
