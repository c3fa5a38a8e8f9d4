import Foundation

/// One result row by column name, with typed accessors that throw on a schema mismatch.
struct StoreRow: Sendable {
    var columns: [String: StoreValue]

    init(_ columns: [String: StoreValue]) {
        self.columns = columns
    }

    func optionalString(_ name: String) throws -> String? {
        switch columns[name] {
        case .text(let text): return text
        case .null: return nil
        case .integer(let value): return String(value)
        case nil: throw StoreRowError.missingColumn(name)
        }
    }

    func string(_ name: String) throws -> String {
        guard let value = try optionalString(name) else { throw StoreRowError.unexpectedNull(name) }
        return value
    }

    func optionalInteger(_ name: String) throws -> Int64? {
        switch columns[name] {
        case .integer(let value): return value
        case .null: return nil
        case .text(let text):
            guard let value = Int64(text) else { throw StoreRowError.wrongType(name) }
            return value
        case nil: throw StoreRowError.missingColumn(name)
        }
    }

    func integer(_ name: String) throws -> Int64 {
        guard let value = try optionalInteger(name) else { throw StoreRowError.unexpectedNull(name) }
        return value
    }

    func optionalDate(_ name: String) throws -> Date? {
        try optionalInteger(name).map(StoreValue.date(milliseconds:))
    }

    func date(_ name: String) throws -> Date {
        StoreValue.date(milliseconds: try integer(name))
    }

    /// A JSON array of strings (how lists are kept).
    func stringList(_ name: String) throws -> [String] {
        try StoreListCoding.decode(try string(name))
    }
}

/// A row that does not match the schema the code expects.
enum StoreRowError: Error, Hashable {
    case missingColumn(String)
    case unexpectedNull(String)
    case wrongType(String)
}
