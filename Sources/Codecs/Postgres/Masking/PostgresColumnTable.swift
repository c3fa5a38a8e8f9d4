/// Per-column metadata and mask action of the current result set.
public struct PostgresColumn: Sendable, Hashable {
    public var tableOID: UInt32
    public var attributeNumber: Int16
    public var typeOID: UInt32
    public var typeSize: Int16
    public var typeModifier: Int32
    /// 0 text, 1 binary.
    public var format: Int16
    public var category: PostgresTypeCategory
    /// The action, stored flat (kind, fill, keep) so the masking loop reads plain bytes
    /// rather than an enum with a payload.
    @usableFromInline var actionKind: UInt8
    @usableFromInline var maskFill: UInt8
    @usableFromInline var maskKeepLast: UInt8

    @usableFromInline static let keepKind: UInt8 = 0
    @usableFromInline static let redactKind: UInt8 = 1
    @usableFromInline static let scanKind: UInt8 = 2
    @usableFromInline static let nullKind: UInt8 = 3

    @inlinable
    public init(tableOID: UInt32 = 0, attributeNumber: Int16 = 0, typeOID: UInt32, typeSize: Int16 = -1,
                typeModifier: Int32 = -1, format: Int16 = 0, action: CellMaskAction) {
        self.tableOID = tableOID
        self.attributeNumber = attributeNumber
        self.typeOID = typeOID
        self.typeSize = typeSize
        self.typeModifier = typeModifier
        self.format = format
        self.category = PostgresTypeCategory(typeOID: typeOID)
        self.actionKind = Self.keepKind
        self.maskFill = UInt8(ascii: "*")
        self.maskKeepLast = 0
        self.action = action
    }

    /// What masking does with this column's cells.
    @inlinable
    public var action: CellMaskAction {
        get {
            switch actionKind {
            case Self.redactKind: return .redact(MaskStyle(uncheckedFill: maskFill, keepLast: maskKeepLast))
            case Self.scanKind: return .scan
            case Self.nullKind: return .null
            default: return .keep
            }
        }
        set {
            switch newValue {
            case .keep: actionKind = Self.keepKind
            case .redact(let style):
                actionKind = Self.redactKind
                maskFill = style.fill
                maskKeepLast = style.keepLast
            case .scan: actionKind = Self.scanKind
            case .null: actionKind = Self.nullKind
            }
        }
    }

    /// The redaction style (meaningful when the action is `.redact`).
    @inlinable
    var maskStyle: MaskStyle { MaskStyle(uncheckedFill: maskFill, keepLast: maskKeepLast) }
}

/// A fixed-capacity table of the current result's columns, one per session.
///
/// Storage is allocated once (default capacity 1,664, PostgreSQL's MaxTupleAttributeNumber);
/// loading a RowDescription with more columns is a protocol error, so the gateway fails
/// closed instead of masking a prefix. Loading allocates nothing.
public struct PostgresColumnTable: ~Copyable {
    /// PostgreSQL's MaxTupleAttributeNumber.
    public static let defaultCapacity = 1664

    public let capacity: Int
    public private(set) var count: Int = 0
    /// Whether any column's action is not `.keep` (rows need no work otherwise).
    public private(set) var masksAnything = false
    @usableFromInline let storage: UnsafeMutablePointer<PostgresColumn>

    public init(capacity: Int = PostgresColumnTable.defaultCapacity) {
        self.capacity = max(capacity, 1)
        self.storage = UnsafeMutablePointer<PostgresColumn>.allocate(capacity: max(capacity, 1))
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @inlinable
    public subscript(index: Int) -> PostgresColumn {
        precondition(index >= 0 && index < count, "column index out of range")
        return storage[index]
    }

    /// Forgets the current columns (after CommandComplete, or for a statement without rows).
    public mutating func removeAll() {
        storage.deinitialize(count: count)
        count = 0
        masksAnything = false
    }

    /// Replaces the table with the columns of `description`, asking `planner` for each
    /// column's action.
    public mutating func load<Planner: ColumnMaskPlanner>(
        _ description: RowDescriptionView, planner: inout Planner
    ) throws(PostgresProtocolError) {
        removeAll()
        guard description.columnCount <= capacity else {
            throw .tooManyColumns(count: description.columnCount, limit: capacity)
        }
        var index = 0
        for column in description {
            let action = planner.action(for: column, at: index)
            (storage + index).initialize(to: PostgresColumn(
                tableOID: column.tableOID, attributeNumber: column.attributeNumber, typeOID: column.typeOID,
                typeSize: column.typeSize, typeModifier: column.typeModifier, format: column.format, action: action))
            if action.masks { masksAnything = true }
            index += 1
            count = index
        }
    }

    /// Appends a column directly (COPY results, whose CopyOutResponse carries no types).
    public mutating func append(_ column: PostgresColumn) throws(PostgresProtocolError) {
        guard count < capacity else { throw .tooManyColumns(count: count + 1, limit: capacity) }
        (storage + count).initialize(to: column)
        if column.action.masks { masksAnything = true }
        count += 1
    }

    /// Applies the result-column format codes of a Bind: a RowDescription answering a
    /// Describe of a *statement* reports format 0 for every column, the portal's Bind
    /// decides the real formats.
    public mutating func applyResultFormats(of bind: BindMessageView) {
        var i = 0
        while i < count {
            storage[i].format = bind.resultFormat(forColumn: i)
            i += 1
        }
    }
}
