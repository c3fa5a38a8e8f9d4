import Logging
import PostgresNIO

/// Statements on the connection a PostgreSQL transaction leased.
struct PostgresStoreTransaction: StoreTransaction {
    let connection: PostgresConnection
    let logger: Logger

    @discardableResult
    func execute(_ statement: StoreStatement) async throws -> Int {
        try await run(statement).metadata.rows ?? 0
    }

    func query(_ statement: StoreStatement) async throws -> [StoreRow] {
        try await run(statement).rows.map(Self.storeRow)
    }

    private func run(_ statement: StoreStatement) async throws -> PostgresQueryResult {
        let result: EventLoopFuture<PostgresQueryResult> = connection.query(try Self.query(statement), logger: logger)
        return try await result.get()
    }

    static func query(_ statement: StoreStatement) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: statement.values.count)
        for value in statement.values {
            switch value {
            case .text(let text): binds.append(text)
            case .integer(let integer): binds.append(integer)
            case .null: binds.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: statement.numberedSQL, binds: binds)
    }

    static func storeRow(_ row: PostgresRow) throws -> StoreRow {
        var columns: [String: StoreValue] = [:]
        for cell in row {
            guard cell.bytes != nil else {
                columns[cell.columnName] = .null
                continue
            }
            switch cell.dataType {
            case .int2, .int4, .int8: columns[cell.columnName] = .integer(try cell.decode(Int64.self))
            case .void: columns[cell.columnName] = .null
            default: columns[cell.columnName] = .text(try cell.decode(String.self))
            }
        }
        return StoreRow(columns)
    }
}
