import Foundation
import Hummingbird
import NIOCore

/// `/v1/grants`: time-boxed grants asked for (any authenticated caller the grant's
/// `requesters` allow), listed (admins and approvers: all; others: their own), approved and
/// denied (the grant's approvers, never its holder), and revoked (admins, approvers, or the
/// holder withdrawing it).
enum GrantRoutes {
    static func add(to router: Router<BasicRequestContext>, _ services: ControlServer.Services) {
        router.post("/v1/grants") { request, _ -> Response in
            let caller = try await caller(request, services)
            let grants = try service(services)
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let asked = try? JSONDecoder().decode(GrantRequestBody.self, from: Data(buffer: body)) else {
                throw HTTPError(.badRequest, message: "expected {\"resource\", \"duration\", \"reason\"} and optionally \"grant\"")
            }
            guard let seconds = try? DurationParser.seconds(asked.duration) else {
                throw HTTPError(.badRequest, message: "duration: expected 90s, 30m, 2h or 1h30m")
            }
            let grant = try await mapErrors {
                try await grants.request(
                    by: caller, resource: asked.resource, grant: asked.grant, duration: .seconds(seconds), reason: asked.reason)
            }
            return try ControlServer.json(GrantDescription(grant, at: Date(), decisions: []), status: .created)
        }
        router.get("/v1/grants") { request, _ -> Response in
            let caller = try await caller(request, services)
            let grants = try service(services)
            let now = Date()
            let listed = try await grants.list(for: caller)
            return try ControlServer.json(listed.map { GrantDescription($0, at: now, decisions: []) })
        }
        router.get("/v1/grants/:id") { request, context -> Response in
            let caller = try await caller(request, services)
            let grants = try service(services)
            let id = try context.parameters.require("id")
            guard let grant = try await grants.grant(id, for: caller) else { throw HTTPError(.notFound, message: "no grant \(id)") }
            let decisions = try await grants.store.grantDecisions(grantID: id)
            return try ControlServer.json(GrantDescription(grant, at: Date(), decisions: decisions))
        }
        for (path, verdict) in [("approve", ApprovalVerdict.approve), ("deny", ApprovalVerdict.deny)] {
            router.post("/v1/grants/:id/\(path)") { request, context -> Response in
                let caller = try await caller(request, services)
                let grants = try service(services)
                let id = try context.parameters.require("id")
                let body = try await request.body.collect(upTo: 64 * 1024)
                let comment = (try? JSONDecoder().decode(ApprovalRoutes.DecisionBody.self, from: Data(buffer: body)))?.comment
                let grant = try await mapErrors { try await grants.decide(id, verdict: verdict, by: caller, comment: comment) }
                return try ControlServer.json(GrantDescription(grant, at: Date(), decisions: []))
            }
        }
        router.post("/v1/grants/:id/revoke") { request, context -> Response in
            let caller = try await caller(request, services)
            let grants = try service(services)
            let id = try context.parameters.require("id")
            let grant = try await mapErrors { try await grants.revoke(id, by: caller) }
            return try ControlServer.json(GrantDescription(grant, at: Date(), decisions: []))
        }
    }

    private static func caller(_ request: Request, _ services: ControlServer.Services) async throws -> GrantService.Caller {
        let caller = try await ControlServer.authenticate(request, services)
        let isAdmin = services.settings.adminGroups.contains(where: caller.groups.contains)
        return GrantService.Caller(name: caller.name, groups: caller.groups, isAdmin: isAdmin)
    }

    private static func service(_ services: ControlServer.Services) throws -> GrantService {
        guard let grants = services.approvals?.grants else { throw HTTPError(.notFound, message: "grants are not enabled") }
        return grants
    }

    /// The API's statuses for what the grant service and the store refuse.
    private static func mapErrors<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as GrantRequestError {
            switch error {
            case .invalid(let message): throw HTTPError(.badRequest, message: message)
            case .forbidden(let message): throw HTTPError(.forbidden, message: message)
            }
        } catch let error as ApprovalAuthorizationError {
            throw HTTPError(.forbidden, message: error.description)
        } catch let error as ControlStoreError {
            throw ApprovalRoutes.decisionError(error)
        }
    }
}

/// The body of `POST /v1/grants`.
struct GrantRequestBody: Decodable {
    var resource: String
    /// The grant's name (`grants[].name`); optional when one grant covers the resource.
    var grant: String?
    /// `30m`, `2h`, `1h30m`.
    var duration: String
    var reason: String
}

/// A grant as the API shows it.
struct GrantDescription: Codable, Sendable {
    var id: String
    /// `pending`, `active`, `expired`, `denied` or `revoked`, at the time of the answer.
    var state: String
    var identity: String
    var resource: String
    var grant: String
    var reason: String
    var durationSeconds: Double
    var requiredApprovals: Int
    var requestedAt: Double
    var approvedAt: Double?
    var approvedBy: String?
    var expiresAt: Double?
    var deniedBy: String?
    var revokedAt: Double?
    var revokedBy: String?
    var decisions: [RequestDescription.Decision]

    init(_ grant: AccessGrant, at instant: Date, decisions: [ApprovalDecision]) {
        id = grant.id
        state = grant.state(at: instant).rawValue
        identity = grant.identity
        resource = grant.resource
        self.grant = grant.ruleSet
        reason = grant.reason
        durationSeconds = Double(grant.duration.components.seconds) + Double(grant.duration.components.attoseconds) / 1e18
        requiredApprovals = grant.requiredApprovals
        requestedAt = grant.requestedAt.timeIntervalSince1970
        approvedAt = grant.approvedAt?.timeIntervalSince1970
        approvedBy = grant.approvedBy
        expiresAt = grant.expiresAt?.timeIntervalSince1970
        deniedBy = grant.deniedBy
        revokedAt = grant.revokedAt?.timeIntervalSince1970
        revokedBy = grant.revokedBy
        self.decisions = decisions.map {
            RequestDescription.Decision(
                approver: $0.approver, verdict: $0.verdict.rawValue, decidedAt: $0.decidedAt.timeIntervalSince1970, comment: $0.comment)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, state, identity, resource, grant, reason, decisions
        case durationSeconds = "duration_seconds"
        case requiredApprovals = "required_approvals"
        case requestedAt = "requested_at"
        case approvedAt = "approved_at"
        case approvedBy = "approved_by"
        case expiresAt = "expires_at"
        case deniedBy = "denied_by"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }
}
