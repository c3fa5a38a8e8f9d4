/// Why a store operation was refused.
public enum ControlStoreError: Error, Hashable, CustomStringConvertible {
    /// No request, grant or session with that id.
    case notFound(String)
    /// An id already in use.
    case duplicate(String)
    /// The requester tried to approve its own request or grant.
    case selfApproval
    /// This approver already decided this request.
    case alreadyDecided
    /// The request (or grant) is no longer waiting for a decision.
    case notPending(String)
    /// A value the store cannot keep (empty id, non-positive approvals, ...).
    case invalid(String)
    /// The store was written by a newer RingGate (schema version above the latest known).
    case schemaTooNew(found: Int, latest: Int)
    /// The store settings cannot be used (engine, URL, environment variable).
    case configuration(String)

    public var description: String {
        switch self {
        case .notFound(let what): "not found: \(what)"
        case .duplicate(let what): "already exists: \(what)"
        case .selfApproval: "self-approval is not allowed"
        case .alreadyDecided: "this approver already decided this request"
        case .notPending(let what): "no longer pending: \(what)"
        case .invalid(let what): "invalid: \(what)"
        case .schemaTooNew(let found, let latest): "store schema version \(found) is newer than this gateway's (\(latest))"
        case .configuration(let what): "store configuration: \(what)"
        }
    }
}
