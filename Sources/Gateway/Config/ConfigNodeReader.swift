import Yams

/// Walks a YAML node tree and collects every problem instead of stopping at the first.
///
/// Each accessor reports a diagnostic at the node's own line and column and returns `nil`
/// on a problem, so the caller can keep reading the rest of the file.
final class ConfigNodeReader {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []
    /// Group names used by `groups[].groups` and `policies[].groups`, checked once all groups are read.
    /// Every resource name declared, even in entries with other errors (avoids cascades).
    var declaredResourceNames: Set<String> = []
    /// Every valid `listen` address read so far, with the resource that declared it.
    var listenAddresses: [(address: HostPort, resource: String, location: SourceLocation)] = []
    var groupReferences: [(name: String, location: SourceLocation, path: String)] = []

    init(file: String) {
        self.file = file
    }

    /// A mapping's entries by key, with the key node kept for locations.
    struct Entries {
        var values: [String: (key: Node, value: Node)]
        var node: Node
        var path: String

        subscript(key: String) -> Node? { values[key]?.value }

        func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    func location(of node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return .unknown }
        return SourceLocation(line: mark.line, column: mark.column)
    }

    func report(_ node: Node?, _ path: String, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, location: location(of: node), path: path, message: message))
    }

    func report(at location: SourceLocation, _ path: String, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, location: location, path: path, message: message))
    }

    static func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: node.null != nil ? "null" : "a scalar"
        case .alias: "an alias"
        }
    }

    /// Reads a mapping, reporting a wrong type and every key not in `known`.
    func mapping(_ node: Node, _ path: String, known: Set<String>) -> Entries? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected a mapping, found \(Self.kindName(node))")
            return nil
        }
        var values: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                report(key, path, "mapping keys must be plain strings")
                continue
            }
            let name = scalar.string
            guard known.contains(name) else {
                let shown = ConfigText.quoted(name)
                let keyPath = path.isEmpty ? shown : "\(path).\(shown)"
                report(key, keyPath, "unknown key '\(ConfigText.quoted(name))' (expected one of: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            let keyPath = path.isEmpty ? name : "\(path).\(name)"
            if values[name] != nil {
                report(key, keyPath, "duplicate key '\(ConfigText.quoted(name))'")
                continue
            }
            values[name] = (key, value)
        }
        return Entries(values: values, node: node, path: path)
    }

    /// Reads a list; a wrong type is reported and yields `nil`.
    func sequence(_ node: Node, _ path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, path, "expected a list, found \(Self.kindName(node))")
            return nil
        }
        return Array(sequence)
    }

    func required(_ entries: Entries, _ key: String) -> Node? {
        guard let node = entries[key] else {
            report(entries.node, entries.path(key), "missing required field '\(ConfigText.quoted(key))'")
            return nil
        }
        return node
    }

    func string(_ node: Node, _ path: String) -> String? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            report(node, path, "expected a string, found \(Self.kindName(node))")
            return nil
        }
        guard !scalar.string.isEmpty else {
            report(node, path, "must not be empty")
            return nil
        }
        return scalar.string
    }

    func int(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else {
            report(node, path, "expected an integer, found \(Self.describe(node))")
            return nil
        }
        guard range.contains(value) else {
            report(node, path, "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    func bool(_ node: Node, _ path: String) -> Bool? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "expected true or false, found \(Self.kindName(node))")
            return nil
        }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default:
            report(node, path, "expected true or false, found '\(ConfigText.quoted(scalar.string))'")
            return nil
        }
    }

    /// Reads a list of non-empty strings; a single string is accepted as a one-element list.
    func stringList(_ node: Node, _ path: String) -> [String]? {
        stringListWithNodes(node, path).map { $0.map(\.value) }
    }

    /// Like ``stringList(_:_:)``, keeping each item's node for later diagnostics.
    func stringListWithNodes(_ node: Node, _ path: String) -> [(value: String, node: Node, path: String)]? {
        if case .scalar = node, node.null == nil {
            return string(node, path).map { [($0, node, path)] }
        }
        guard let items = sequence(node, path) else { return nil }
        var result: [(value: String, node: Node, path: String)] = []
        var ok = true
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if let value = string(item, itemPath) { result.append((value, item, itemPath)) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// Reads a value restricted to a fixed set of names.
    func choice<T>(_ node: Node, _ path: String, _ options: [(String, T)]) -> T? {
        guard let text = string(node, path) else { return nil }
        guard let match = options.first(where: { $0.0 == text }) else {
            report(node, path, "invalid value '\(ConfigText.quoted(text))' (expected one of: \(options.map(\.0).joined(separator: ", ")))")
            return nil
        }
        return match.1
    }

    /// Reads a duration: an integer (seconds) or a number with a unit `ms`, `s`, `m`, `h`.
    /// Returns milliseconds.
    func duration(_ node: Node, _ path: String, maximumMilliseconds: Int = 7 * 24 * 3_600_000) -> Int? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            report(node, path, "expected a duration such as 500ms, 5s, 2m or 1h, found \(Self.kindName(node))")
            return nil
        }
        guard let value = Self.parseDuration(scalar.string) else {
            report(node, path, "invalid duration '\(ConfigText.quoted(scalar.string))' (use 500ms, 5s, 2m or 1h)")
            return nil
        }
        guard value <= maximumMilliseconds else {
            report(node, path, "duration '\(ConfigText.quoted(scalar.string))' is too long")
            return nil
        }
        return value
    }

    static func parseDuration(_ text: String) -> Int? {
        let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var digits = Substring(text)
        var multiplier = 1000
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            multiplier = factor
            break
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number >= 0 else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }

    /// Reads a byte count: an integer or a number with `KiB`, `MiB`, `GiB`.
    func byteSize(_ node: Node, _ path: String) -> Int? {
        guard case .scalar(let scalar) = node, node.null == nil else {
            report(node, path, "expected a size such as 65536 or 10MiB, found \(Self.kindName(node))")
            return nil
        }
        let text = scalar.string
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)]
        var digits = Substring(text)
        var multiplier = 1
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            multiplier = factor
            break
        }
        guard let number = Int(digits), number > 0 else {
            report(node, path, "invalid size '\(ConfigText.quoted(text))' (a positive integer, optionally with KiB, MiB or GiB)")
            return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else {
            report(node, path, "size '\(ConfigText.quoted(text))' is too large")
            return nil
        }
        return product
    }

    static func describe(_ node: Node) -> String {
        if case .scalar(let scalar) = node, node.null == nil { return "'\(ConfigText.quoted(scalar.string))'" }
        return kindName(node)
    }
}
