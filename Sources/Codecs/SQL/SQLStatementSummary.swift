/// What the classifier found in one statement.
public struct SQLStatementSummary: Sendable {
    /// The statement's bytes in the classified text (first to last significant token).
    public var range: ByteRange
    /// Effects, see ``StatementClass``.
    public var classes: StatementClass
    /// The kind of object a DROP removes, when ``classes`` contains ``StatementClass/drop``.
    public var dropKind: DropObjectKind?
    /// Relations named where the classifier could see them.
    public var relations: SQLRelationList

    @inlinable
    public init() {
        range = ByteRange(start: 0, count: 0)
        classes = StatementClass()
        dropKind = nil
        relations = SQLRelationList()
    }
}

/// What the classifier found in a whole query text (all its statements together), which is
/// what policy rules on.
public struct SQLQuerySummary: Sendable {
    /// The union of every statement's classes.
    public var classes: StatementClass
    /// Every kind of object some statement drops.
    public var dropKinds: DropObjectKindSet
    /// Relations named by any statement (``SQLRelationList/isOverflowed`` when incomplete).
    public var relations: SQLRelationList
    /// How many non-empty statements the text holds.
    public var statementCount: Int

    @inlinable
    public init() {
        classes = StatementClass()
        dropKinds = DropObjectKindSet()
        relations = SQLRelationList()
        statementCount = 0
    }

    /// Empties the summary for reuse.
    @inlinable
    public mutating func reset() {
        classes = StatementClass()
        dropKinds = DropObjectKindSet()
        relations.removeAll()
        statementCount = 0
    }

    /// Adds one statement's findings.
    @inlinable
    public mutating func merge(_ statement: SQLStatementSummary, in text: UnsafeRawBufferPointer) {
        classes.formUnion(statement.classes)
        if let kind = statement.dropKind { dropKinds.insert(kind) }
        relations.add(contentsOf: statement.relations, in: text)
        statementCount &+= 1
    }

    /// ``merge(_:in:)`` reading the statement's summary in place.
    @inlinable
    mutating func merge(_ statement: UnsafePointer<SQLStatementSummary>, in text: UnsafeRawBufferPointer) {
        classes.formUnion(statement.pointee.classes)
        if let kind = statement.pointee.dropKind { dropKinds.insert(kind) }
        relations.add(relationsOf: statement, in: text)
        statementCount &+= 1
    }
}

extension SQLQuerySummary {
    /// The classes policy decides for `text`: the classifier's, plus `opaque` when the relation
    /// list overflowed (the rest are unknown) or an identifier is spelled with Unicode escapes
    /// (its bytes are not the name it stands for, see ``SQLUnicodeIdentifiers``).
    public func policyClasses(in text: UnsafeRawBufferPointer) -> StatementClass {
        var result = classes
        if relations.isOverflowed || SQLUnicodeIdentifiers.containsEscapedIdentifier(text) { result.insert(.opaque) }
        return result
    }
}
