import Codecs
import Foundation
import Yams

/// Loads and validates the YAML configuration file (schema: docs/CONFIG.md).
///
/// Every problem is collected, not just the first, each with its line, column and key path.
/// Validation covers syntax and types (unknown keys, wrong types, missing fields, inline
/// secrets) and meaning (duplicate names, unknown references, group cycles, bad class names,
/// globs and relation patterns).
public enum ConfigLoader {
    /// Reads and validates the file at `path`.
    public static func load(path: String) throws(ConfigValidationError) -> GatewayConfiguration {
        if let problem = TrustFile.problem(path: path, what: "configuration file") {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(file: path, location: SourceLocation(line: 1, column: 1), path: "", message: problem)
            ])
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(
                    file: path, location: SourceLocation(line: 1, column: 1), path: "",
                    message: "cannot read file: \(Self.readFailure(error))")
            ])
        }
        return try parse(yaml: text, file: path)
    }

    static func readFailure(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return "not readable as UTF-8 text"
    }

    /// Validates configuration text; `file` names it in diagnostics.
    public static func parse(yaml: String, file: String = "<config>") throws(ConfigValidationError) -> GatewayConfiguration {
        // Bounded before composing: composing and walking an alias-amplified or deeply nested
        // document is what would take unbounded time and memory.
        if let violation = YAMLBudget.check(yaml) {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(
                    file: file, location: SourceLocation(line: violation.line, column: violation.column), path: "",
                    message: violation.message)
            ])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigValidationError(diagnostics: [yamlDiagnostic(error, file: file)])
        } catch {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "", message: "invalid YAML")
            ])
        }
        guard let root else {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "", message: "the file is empty")
            ])
        }
        let reader = ConfigNodeReader(file: file)
        let config = ConfigSchema(reader: reader).readRoot(root)
        if !reader.diagnostics.isEmpty {
            throw ConfigValidationError(diagnostics: reader.diagnostics)
        }
        guard let config else {
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(file: file, location: .unknown, path: "", message: "invalid configuration")
            ])
        }
        return config
    }

    static func yamlDiagnostic(_ error: YamlError, file: String) -> ConfigDiagnostic {
        func diagnostic(_ mark: Mark, _ message: String) -> ConfigDiagnostic {
            ConfigDiagnostic(file: file, location: SourceLocation(line: mark.line, column: mark.column), path: "", message: message)
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return diagnostic(mark, "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return diagnostic(context.mark, "duplicate key(s): \(duplicates.map(ConfigText.quoted).joined(separator: ", "))")
        default:
            return ConfigDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "", message: "YAML error")
        }
    }
}
