/// A relation named in policy: `users`, `public.users`, `"Audit"."Log"`, or `hr.*`.
///
/// Identifiers follow PostgreSQL: unquoted ones fold to lower case (ASCII letters only, as
/// PostgreSQL does in UTF-8 databases); quoted ones keep their case, `""` standing for `"`.
public struct RelationPattern: Sendable, Hashable, CustomStringConvertible {
    /// The schema, folded; `nil` when the pattern is unqualified (matches that name in any schema).
    public var schema: String?
    /// The relation name, folded; `nil` for `schema.*` (every relation of the schema).
    public var name: String?

    public enum SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case unterminatedQuote
        case emptyIdentifier
        case tooManyParts
        case invalidCharacter(Character)
        case wildcardNeedsSchema

        public var description: String {
            switch self {
            case .empty: "empty relation name"
            case .unterminatedQuote: "unterminated quoted identifier"
            case .emptyIdentifier: "empty identifier"
            case .tooManyParts: "a relation is at most schema.name"
            case .invalidCharacter(let c): "invalid character '\(c)' in unquoted identifier"
            case .wildcardNeedsSchema: "'*' is only allowed as the name in schema.*"
            }
        }
    }

    public init(schema: String?, name: String?) {
        self.schema = schema
        self.name = name
    }

    /// Parses a relation pattern as written in the configuration.
    public init(parsing text: String) throws(SyntaxError) {
        let parts = try Self.identifiers(text)
        switch parts.count {
        case 1:
            guard let only = parts[0] else { throw .wildcardNeedsSchema }
            self.init(schema: nil, name: only)
        case 2:
            guard let schema = parts[0] else { throw .wildcardNeedsSchema }
            self.init(schema: schema, name: parts[1])
        default:
            throw .tooManyParts
        }
    }

    /// Splits dotted identifiers, folding unquoted ones; `nil` entries are `*`.
    static func identifiers(_ text: String) throws(SyntaxError) -> [String?] {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { throw .empty }
        var parts: [String?] = []
        var index = 0
        while true {
            guard index < scalars.count else { throw .emptyIdentifier }
            if scalars[index] == "\"" {
                var value = String.UnicodeScalarView()
                index += 1
                var closed = false
                while index < scalars.count {
                    if scalars[index] == "\"" {
                        if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                            value.append("\"")
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    value.append(scalars[index])
                    index += 1
                }
                guard closed else { throw .unterminatedQuote }
                guard !value.isEmpty else { throw .emptyIdentifier }
                parts.append(String(value))
            } else if scalars[index] == "*" {
                parts.append(nil)
                index += 1
            } else {
                var value = String.UnicodeScalarView()
                while index < scalars.count, scalars[index] != "." {
                    let scalar = scalars[index]
                    let isIdentifierScalar =
                        scalar.value >= 0x80 || scalar == "_" || scalar == "$"
                        || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                        || ("0"..."9").contains(scalar)
                    guard isIdentifierScalar else { throw .invalidCharacter(Character(scalar)) }
                    if ("A"..."Z").contains(scalar), let lower = Unicode.Scalar(scalar.value + 32) {
                        value.append(lower)
                    } else {
                        value.append(scalar)
                    }
                    index += 1
                }
                guard !value.isEmpty else { throw .emptyIdentifier }
                parts.append(String(value))
            }
            if index == scalars.count { break }
            guard scalars[index] == "." else {
                throw .invalidCharacter(Character(scalars[index]))
            }
            index += 1
        }
        return parts
    }

    public var description: String {
        func quoted(_ identifier: String) -> String {
            let plain = identifier.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
            }
            return plain ? identifier : "\"" + identifier.replacing("\"", with: "\"\"") + "\""
        }
        let namePart = name.map(quoted) ?? "*"
        return schema.map { quoted($0) + "." + namePart } ?? namePart
    }
}
