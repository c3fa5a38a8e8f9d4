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
