import Foundation
import IOCore
import Synchronization

/// The sessions that are logged in right now, for the control API (list, kill). Sessions add
/// and remove themselves once each (login, close); nothing here runs per statement.
public final class LiveSessions: Sendable {
    /// One logged-in session.
    public struct Entry: Sendable {
        public var id: UInt64
        public var identity: String
        public var resource: String
        public var database: String?
        public var clientAddress: String?
        public var startedAt: Date
        /// The cancel key the session's client holds (nil: the server sent none).
        var cancelKey: (processID: Int32, secretKey: Int32)?
        let reply: SessionReplyAddress<GatewaySessionEvent>
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    public init() {}

    func add(_ entry: Entry) {
        entries.withLock { $0[entry.id] = entry }
    }

    func remove(_ id: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// The live sessions, oldest first.
    public var list: [Entry] {
        entries.withLock { Array($0.values) }.sorted { $0.id < $1.id }
    }

    /// The live session `id`, if any.
    public func entry(_ id: UInt64) -> Entry? {
        entries.withLock { $0[id] }
    }

    /// Posts `event` to the live session whose client holds cancel key `key` (its client
    /// sent a CancelRequest); nothing when there is none.
    func postToHolder(ofCancelKey key: (processID: Int32, secretKey: Int32), _ event: GatewaySessionEvent) {
        let target = entries.withLock { entries in
            entries.values.first { $0.cancelKey?.processID == key.processID && $0.cancelKey?.secretKey == key.secretKey }
        }
        target?.reply.post(event)
    }

    /// Asks session `id` to end (FATAL 57P01 to its client). False when no such session is live.
    @discardableResult
    public func terminate(_ id: UInt64, by actor: String) -> Bool {
        guard let entry = entries.withLock({ $0[id] }) else { return false }
        entry.reply.post(.terminate(by: actor))
        return true
    }
}
