/// A shell-style glob: `*` (any run of characters), `?` (one character), `[abc]`, `[a-z]`,
/// `[!x]` (negated class) and `\` (escape the next character). Matches the whole text.
///
/// Used for resource names and mask column patterns at compile time, never on the data path.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    enum Element: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case any
        case anyRun
        case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    /// Why a pattern is not a valid glob.
    public enum SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case unterminatedClass
        case emptyClass
        case danglingEscape
        case invalidRange

        public var description: String {
            switch self {
            case .empty: "empty pattern"
            case .unterminatedClass: "unterminated '[' character class"
            case .emptyClass: "empty '[]' character class"
            case .danglingEscape: "pattern ends with an escape '\\'"
            case .invalidRange: "character range runs backwards"
            }
        }
    }

    let elements: [Element]
    public let description: String
    /// How specific the pattern is: the number of literal characters it pins down, with exact
    /// names above every wildcard pattern. Higher is more specific.
    public let specificity: Int
    /// The pattern's scalars when it has no wildcard (matched by plain comparison).
    private let literalScalars: [Unicode.Scalar]?

    /// Parses `pattern`, throwing on malformed syntax.
    public init(_ pattern: String) throws(SyntaxError) {
        guard !pattern.isEmpty else { throw .empty }
        var elements: [Element] = []
        let scalars = Array(pattern.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "*":
                if elements.last != .anyRun { elements.append(.anyRun) }
                index += 1
            case "?":
                elements.append(.any)
                index += 1
            case "\\":
                guard index + 1 < scalars.count else { throw .danglingEscape }
                elements.append(.literal(scalars[index + 1]))
                index += 2
            case "[":
                index += 1
                var negated = false
                if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
                    negated = true
                    index += 1
                }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var closed = false
                while index < scalars.count {
                    let first = scalars[index]
                    if first == "]" {
                        closed = true
                        index += 1
                        break
                    }
                    if index + 2 < scalars.count, scalars[index + 1] == "-", scalars[index + 2] != "]" {
                        let last = scalars[index + 2]
                        guard first <= last else { throw .invalidRange }
                        ranges.append(first...last)
                        index += 3
                    } else {
                        ranges.append(first...first)
                        index += 1
                    }
                }
                guard closed else { throw .unterminatedClass }
                guard !ranges.isEmpty else { throw .emptyClass }
                elements.append(.set(ranges: ranges, negated: negated))
            default:
                elements.append(.literal(scalar))
                index += 1
            }
        }
        self.elements = elements
        self.description = pattern
        let literal = elements.allSatisfy { if case .literal = $0 { true } else { false } }
        let weight = elements.reduce(0) { count, element in
            switch element {
            case .literal: count + 2
            case .set, .any: count + 1
            case .anyRun: count
            }
        }
        self.specificity = literal ? 1 << 20 : weight
        self.literalScalars = literal ? elements.map { if case .literal(let scalar) = $0 { scalar } else { " " } } : nil
    }

    /// Whether the pattern has no wildcard at all (it names exactly one thing).
    public var isLiteral: Bool {
        elements.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        matches(scalars: Array(text.unicodeScalars))
    }

    /// Whether the text, given as Unicode scalars, matches the whole pattern.
    public func matches(scalars: [Unicode.Scalar]) -> Bool {
        if let literalScalars { return literalScalars == scalars }
        // Iterative matcher with single-star backtracking (linear in practice, never exponential).
        var p = 0
        var t = 0
        var starP = -1
        var starT = 0
        while t < scalars.count {
            if p < elements.count {
                switch elements[p] {
                case .anyRun:
                    starP = p
                    starT = t
                    p += 1
                    continue
                case .any:
                    p += 1
                    t += 1
                    continue
                case .literal(let expected) where expected == scalars[t]:
                    p += 1
                    t += 1
                    continue
                case .set(let ranges, let negated)
                where ranges.contains(where: { $0.contains(scalars[t]) }) != negated:
                    p += 1
                    t += 1
                    continue
                default:
                    break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < elements.count, elements[p] == .anyRun { p += 1 }
        return p == elements.count
    }
}
