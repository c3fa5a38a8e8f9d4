import Foundation

/// A value bound to, or read from, a store statement: the few types the schema uses.
enum StoreValue: Sendable, Hashable {
    case text(String)
    case integer(Int64)
    case null

    init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    init(_ integer: Int?) { self = integer.map { .integer(Int64($0)) } ?? .null }
    /// An instant as milliseconds since the Unix epoch (how the schema keeps time).
    init(_ date: Date?) { self = date.map { .integer(StoreValue.milliseconds($0)) } ?? .null }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
