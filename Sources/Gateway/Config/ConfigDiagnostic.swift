/// A position in a configuration file (1-based line and column, as YAML reports them).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Used when a value was not read from a file (built in code, or defaulted).
    public static let unknown = SourceLocation(line: 0, column: 0)

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// One problem found in a configuration file.
///
/// Printed as `FILE:LINE:COL: path.to.key: message`, the form compilers use, so editors can
/// jump to it. Messages never contain secret values.
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation
    /// Dotted path of the offending key, with sequence indices: `resources[0].credentials.password`.
    public var path: String
    public var message: String

    public init(file: String, location: SourceLocation, path: String, message: String) {
        self.file = file
        self.location = location
        self.path = path
        self.message = message
    }

    public var description: String {
        "\(file):\(location.line):\(location.column): \(path.isEmpty ? "<root>" : path): \(message)"
    }
}

/// A configuration that failed to load; carries every problem found, sorted by position.
public struct ConfigValidationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics.sorted { ($0.location, $0.path) < ($1.location, $1.path) }
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// How diagnostics quote values taken from the file: never more than a short prefix, and never
/// the credentials of a URL (`scheme://user:password@host` becomes `scheme://***@host`), so a
/// secret pasted into the wrong key does not end up in a terminal, a CI log or an audit event.
public enum ConfigText {
    /// Characters of a value a diagnostic shows; longer values are cut and end in `…`.
    public static let quotedPrefixLength = 24

    /// The value as a diagnostic may show it (without the surrounding quotes).
    public static func quoted(_ value: String) -> String {
        let redacted = redactingURLCredentials(value)
        var result = ""
        var count = 0
        for character in redacted {
            if count == quotedPrefixLength { return result + "…" }
            // Control characters (a newline in a value) would break the one-line form.
            result += character.isNewline || character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                ? "?" : String(character)
            count += 1
        }
        return result
    }

    /// Replaces the user-info part of every `scheme://user[:password]@host` in `value` with `***`.
    public static func redactingURLCredentials(_ value: String) -> String {
        guard value.contains("://"), value.contains("@") else { return value }
        var output = ""
        var rest = Substring(value)
        while let separator = rest.range(of: "://") {
            output += rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            // The authority ends at the first '/', '?', '#' or whitespace.
            let authorityEnd = rest.firstIndex { "/?#".contains($0) || $0.isWhitespace } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                output += "***"
                rest = rest[at...]
            }
        }
        return output + rest
    }
}
