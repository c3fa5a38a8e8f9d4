import Codecs

/// A statement to explain: its classes and the relations it names, with the text they index.
public struct StatementInput: Sendable, Hashable {
    public var classes: StatementClass
    public var relations: [RelationReference]
    /// The bytes ``relations`` point into.
    public var text: [UInt8]
    /// The statement's length in bytes (for `max_statement_length`).
    public var length: Int

    public init(classes: StatementClass, relations: [RelationReference], text: [UInt8], length: Int) {
        self.classes = classes
        self.relations = relations
        self.text = text
        self.length = length
    }

    /// Why a statement could not be turned into classes and relations.
    public enum InputError: Error, Sendable, Hashable, CustomStringConvertible {
        case unknownClass(String)
        case invalidRelation(String, String)

        public var description: String {
            switch self {
            case .unknownClass(let name):
                "unknown statement class '\(name)' (expected one of: \(StatementClass.allNamed.map(\.name).joined(separator: ", ")))"
            case .invalidRelation(let text, let why): "invalid relation '\(text)': \(why)"
            }
        }
    }

    /// A statement described by class names and relation names (`public.users`, `"Audit"."Log"`).
    public init(classNames: [String], relationNames: [String], length: Int = 0) throws(InputError) {
        var classes: StatementClass = []
        for name in classNames {
            guard let value = StatementClass(name: name) else { throw .unknownClass(name) }
            classes.formUnion(value)
        }
        var text: [UInt8] = []
        var relations: [RelationReference] = []
        for name in relationNames {
            let parts = try Self.split(name)
            var ranges: [(ByteRange, Bool)] = []
            for (part, quoted) in parts {
                let start = Int32(clamping: text.count)
                text.append(contentsOf: part.utf8)
                ranges.append((ByteRange(start: start, count: Int32(clamping: part.utf8.count)), quoted))
                text.append(0x20)
            }
            let schema = ranges.count == 2 ? ranges[0] : nil
            guard let last = ranges.last else { throw .invalidRelation(name, "empty") }
            relations.append(
                RelationReference(
                    schema: schema?.0, schemaQuoted: schema?.1 ?? false, name: last.0, nameQuoted: last.1, isModified: false))
        }
        self.init(classes: classes, relations: relations, text: text, length: length)
    }

    /// Splits `schema.name` into identifiers as a statement would spell them (quotes removed,
    /// doubled quotes kept, as the classifier reports them).
    static func split(_ text: String) throws(InputError) -> [(String, Bool)] {
        var parts: [(String, Bool)] = []
        var current = ""
        var quoted = false
        var inQuotes = false
        var iterator = Array(text).makeIterator()
        var pending = iterator.next()
        while let character = pending {
            pending = iterator.next()
            if inQuotes {
                if character == "\"" {
                    if pending == "\"" {
                        current.append("\"\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                guard current.isEmpty else { throw .invalidRelation(text, "quote inside an identifier") }
                inQuotes = true
                quoted = true
            } else if character == "." {
                guard !current.isEmpty else { throw .invalidRelation(text, "empty identifier") }
                parts.append((current, quoted))
                current = ""
                quoted = false
            } else {
                current.append(character)
            }
        }
        guard !inQuotes else { throw .invalidRelation(text, "unterminated quote") }
        guard !current.isEmpty else { throw .invalidRelation(text, "empty identifier") }
        parts.append((current, quoted))
        guard parts.count <= 2 else { throw .invalidRelation(text, "at most schema.name") }
        return parts
    }

    /// Classifies SQL text with the PostgreSQL classifier (Codecs/SQL): the union of every
    /// statement's classes and the relations they name, as ranges into the text's bytes.
    /// More relations than the classifier keeps count as ``StatementClass/opaque`` (fail closed).
    public static func classify(sql: String, options: SQLClassifierOptions = SQLClassifierOptions()) -> StatementInput {
        let text = Array(sql.utf8)
        var summary = SQLQuerySummary()
        text.withUnsafeBytes { SQLClassifier(options: options).classify(text: $0, into: &summary) }
        let classes = text.withUnsafeBytes { summary.policyClasses(in: $0) }
        return StatementInput(classes: classes, relations: Array(summary.relations), text: text, length: text.count)
    }
}
