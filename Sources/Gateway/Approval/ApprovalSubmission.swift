import Foundation

/// What a session hands the ``ApprovalBroker`` when policy sends a statement to review.
public struct ApprovalSubmission: Sendable {
    public var sessionID: UInt64
    public var identity: String
    public var groups: [String]
    public var resource: String
    public var database: String
    /// The full statement text.
    public var statement: String
    public var classes: [String]
    public var relations: [String]
    /// The client's reason (`/* reason: ... */`, else `application_name`).
    public var justification: String?
    /// The rule that sent it to review (nil: the resource's default).
    public var rule: String?
    public var settings: ApprovalSettings
}

/// How a held statement's request ended, as its session hears it.
public enum ApprovalOutcome: Sendable, Equatable {
    /// Enough distinct approvers approved: the held bytes go to the server unchanged.
    case approved(by: [String])
    case denied(by: String, comment: String?)
    /// Its deadline passed without enough approvals.
    case expired
    /// The store could not take or keep the request: the statement does not run.
    case failed(String)

    /// The client's error text for an outcome other than approval.
    func refusal(requestID: String) -> String? {
        switch self {
        case .approved: nil
        case .denied(let approver, let comment):
            "approval request \(requestID) was denied by \(approver)" + (comment.map { ": \($0)" } ?? "")
        case .expired: "approval request \(requestID) expired without enough approvals"
        case .failed(let reason): "approval request \(requestID) failed: \(reason)"
        }
    }
}

/// The client's reason for a statement: a `/* reason: ... */` comment in it, else the
/// session's `application_name` unless that is a client program's default name.
enum ApprovalJustification {
    /// `application_name` values clients set on their own: not a reason anyone gave.
    static let clientDefaults: Set<String> = ["psql", "pgbench", "pg_dump", "pg_dumpall", "pg_restore", "PostgreSQL JDBC Driver"]

    static func find(in statement: String, applicationName: String?) -> String? {
        var rest = statement[...]
        while let open = rest.range(of: "/*") {
            guard let close = rest.range(of: "*/", range: open.upperBound..<rest.endIndex) else { break }
            let comment = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            if comment.lowercased().hasPrefix("reason:") {
                let reason = comment.dropFirst("reason:".count).trimmingCharacters(in: .whitespacesAndNewlines)
                if !reason.isEmpty { return String(reason.prefix(1000)) }
            }
            rest = rest[close.upperBound...]
        }
        guard let applicationName else { return nil }
        let name = applicationName.trimmingCharacters(in: .whitespaces)
        return name.isEmpty || clientDefaults.contains(name) ? nil : String(name.prefix(1000))
    }
}
